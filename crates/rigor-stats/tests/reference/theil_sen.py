#!/usr/bin/env python3
"""Expected Theil-Sen fits for rigor-stats' trend tests, computed with SciPy's
scipy.stats.theilslopes (the reference implementation of Sen's interval).

    pip install scipy && python3 theil_sen.py > theil_sen.json

The series are generated here with a fixed linear congruential generator, so the JSON holds
both the data and the expected values and the Rust test needs neither SciPy nor this script.
"""
import json
import math

import scipy
from scipy.stats import theilslopes


def lcg(seed):
    state = seed
    while True:
        state = (state * 6364136223846793005 + 1442695040888963407) % 2**64
        yield (state >> 11) / 2**53


def noise(seed, n, scale):
    g = lcg(seed)
    # Box-Muller: normal noise.
    out = []
    for _ in range(n):
        u1, u2 = max(next(g), 1e-12), next(g)
        out.append(scale * math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * u2))
    return out


cases = []


def case(name, x, y, confidence=0.95):
    r = theilslopes(y, x, alpha=confidence)
    cases.append({
        "name": name,
        "confidence": confidence,
        "x": x,
        "y": y,
        "slope": r.slope,
        "intercept": r.intercept,
        "lower": r.low_slope,
        "upper": r.high_slope,
    })


n = 60
x = [float(i) for i in range(n)]
case("flat with noise", x, [100.0 + e for e in noise(1, n, 5.0)])
case("linear with noise", x, [100.0 + 2.5 * i + e for i, e in zip(x, noise(2, n, 5.0))])
case("linear, 90%", x, [100.0 + 2.5 * i + e for i, e in zip(x, noise(2, n, 5.0))], 0.90)
case("sawtooth", x, [100.0 + 10.0 * (i % 6) + e for i, e in zip(x, noise(3, n, 1.0))])
case("step", x, [100.0 + (50.0 if i >= 30 else 0.0) + e for i, e in zip(x, noise(4, n, 2.0))])
# Whole counts, as a process's open files are: many ties in y.
case("ties", x, [float(12 + (i // 20)) for i in range(n)])
case("short", [0.0, 1.0, 2.0, 3.0, 4.0], [1.0, 3.0, 2.0, 5.0, 4.0])
# Uneven spacing, ties in x.
case("uneven", [0.0, 0.5, 0.5, 2.0, 3.5, 7.0, 7.5, 9.0], [3.0, 4.0, 2.5, 6.0, 6.5, 12.0, 11.0, 14.5])

print(json.dumps({"scipy": scipy.__version__, "cases": cases}, indent=1))
