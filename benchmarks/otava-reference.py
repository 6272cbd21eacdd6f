#!/usr/bin/env python3
"""Reference change points for rigor's detector, computed by Apache Otava itself.

Writes crates/rigor-stats/tests/fixtures/otava-changepoints.json: seeded series (noise, steps of
several sizes, two steps, a ramp, long series with many steps) and, for each, the change points
`otava.analysis.compute_change_points` finds with the given options (index, p-value and the
means either side), twice: as Otava 0.8.0 ships (`otava`), and with its merge step re-testing
both neighbours of a dropped point, as the Hunter paper describes and rigor does
(`both_neighbours`). rigor's test (crates/rigor-stats/tests/otava_reference.rs) must find the
second exactly, and the first's change points wherever the two agree.

    python3 -m venv /tmp/otava && /tmp/otava/bin/pip install apache-otava==0.8.0
    /tmp/otava/bin/python benchmarks/otava-reference.py
"""

import json
import pathlib
from importlib.metadata import version

import numpy as np
from otava import analysis
from otava.analysis import compute_change_points

OUT = pathlib.Path(__file__).resolve().parent.parent / "crates/rigor-stats/tests/fixtures/otava-changepoints.json"


def steps(rng, n, levels, sigma):
    """`levels` as [(first index, mean)], with normal noise of `sigma`."""
    mean = np.zeros(n)
    for start, level in levels:
        mean[start:] = level
    return (mean + rng.normal(0, sigma, n)).round(6).tolist()


def cases():
    for seed in range(5):
        rng = np.random.default_rng(seed)
        yield f"noise-{seed}", steps(rng, 100, [(0, 100.0)], 1.0), {}
    for seed in range(5):
        rng = np.random.default_rng(100 + seed)
        yield f"step-3sigma-{seed}", steps(rng, 60, [(0, 100.0), (40, 110.0)], 10 / 3), {}
    rng = np.random.default_rng(7)
    yield "two-steps", steps(rng, 90, [(0, 100.0), (30, 120.0), (60, 90.0)], 1.0), {}
    rng = np.random.default_rng(3)
    ramp = (100 * (1 + 0.0005 * np.arange(200)) + rng.normal(0, 1, 200)).round(6).tolist()
    yield "ramp", ramp, {}
    yield "ramp-min-magnitude", ramp, {"min_magnitude": 0.05}
    rng = np.random.default_rng(42)
    levels = [(0, 100.0), (70, 104.0), (150, 97.0), (260, 130.0), (300, 128.0), (420, 100.0)]
    long = steps(rng, 500, levels, 1.5)
    yield "long", long, {}
    yield "long-window-20", long, {"window_len": 20}
    yield "long-pvalue-0.01", long, {"max_pvalue": 0.01}
    rng = np.random.default_rng(9)
    # Latency-like: skewed noise, a 15 % slowdown at run 20 of 30 (the end-to-end test's shape).
    base = np.where(np.arange(30) < 20, 10.0, 11.5)
    yield "latency-30", (base * rng.lognormal(0, 0.03, 30)).round(6).tolist(), {}
    # Otava's own test series (tests/analysis_test.py), window 10, p 0.0001: one step at 10.
    yield "otava-single-series", [1.02, 0.95, 0.99, 1.00, 1.12, 1.00, 1.01, 0.98, 1.01, 0.96,
                                  0.50, 0.51, 0.48, 0.48, 0.55, 0.50, 0.49, 0.51, 0.50, 0.49], \
        {"window_len": 10, "max_pvalue": 0.0001}
    # A real-world series with a published change point: the Nile's annual flow at Aswan,
    # 1871-1970 (10^8 m^3; R's `datasets::Nile`, from Durbin & Koopman 2001). Its level drops
    # from 1899 on (index 28), the change Cobb (1978) dated to 1898 and ascribed to the dams.
    yield "nile", [1120, 1160, 963, 1210, 1160, 1160, 813, 1230, 1370, 1140, 995, 935, 1110,
                   994, 1020, 960, 1180, 799, 958, 1140, 1100, 1210, 1150, 1250, 1260, 1220,
                   1030, 1100, 774, 840, 874, 694, 940, 833, 701, 916, 692, 1020, 1050, 969,
                   831, 726, 456, 824, 702, 1120, 1100, 832, 764, 821, 768, 845, 864, 862,
                   698, 845, 744, 796, 1040, 759, 781, 865, 845, 944, 984, 897, 822, 1010,
                   771, 676, 649, 846, 812, 742, 801, 1040, 860, 874, 848, 890, 744, 749,
                   838, 1050, 918, 986, 797, 923, 975, 815, 1020, 906, 901, 1170, 912, 746,
                   919, 718, 714, 740], {}


def merge_both_neighbours(change_points, series, max_pvalue, min_magnitude):
    """Otava's merge step with one difference: after dropping the weakest change point, the
    neighbours on both sides (the one before it and the one now in its place) are tested on
    their new pieces, as the Hunter paper describes. Otava 0.8.0 re-tests the one in its place
    and the one after that, so the one before keeps the figures of its old, shorter piece."""
    tester = analysis.TTestSignificanceTester(max_pvalue)
    while change_points:
        weakest = max(change_points, key=lambda c: c.stats.pvalue)
        if weakest.stats.pvalue < max_pvalue:
            weakest = min(change_points, key=lambda c: c.stats.change_magnitude())
            if weakest.stats.change_magnitude() > min_magnitude:
                return change_points
        at = change_points.index(weakest)
        del change_points[at]
        intervals = tester.get_intervals(change_points)
        for i in (at - 1, at):
            if 0 <= i < len(change_points):
                cp = change_points[i]
                change_points[i] = tester.change_point(cp.to_candidate(), series, intervals)
    return change_points


def points(cps):
    return [
        {
            "index": int(c.index),
            "pvalue": float(c.stats.pvalue),
            "mean_before": float(c.stats.mean_1),
            "mean_after": float(c.stats.mean_2),
        }
        for c in cps
    ]


def main():
    out = {"otava": version("apache-otava"), "cases": []}
    for name, series, options in cases():
        opts = {"window_len": 50, "max_pvalue": 0.001, "min_magnitude": 0.0, **options}
        cps, _ = compute_change_points(series, **opts)
        stock = analysis.merge
        analysis.merge = merge_both_neighbours
        try:
            paper, _ = compute_change_points(series, **opts)
        finally:
            analysis.merge = stock
        out["cases"].append({
            "name": name,
            "options": opts,
            "series": series,
            "otava": points(cps),
            "both_neighbours": points(paper),
        })
    OUT.write_text(json.dumps(out, indent=1) + "\n")
    for case in out["cases"]:
        print(case["name"], [c["index"] for c in case["otava"]], [c["index"] for c in case["both_neighbours"]])


if __name__ == "__main__":
    main()
