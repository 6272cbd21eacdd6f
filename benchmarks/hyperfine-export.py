#!/usr/bin/env python3
"""Writes a hyperfine --export-json file with N runs of one command (default 1,000,000), for
benchmarking `rigor import hyperfine`: times around 10 ms, memory around 4 MiB, every
1000th run failing, as hyperfine 1.18 writes them (seconds; bytes).

    python3 benchmarks/hyperfine-export.py OUT.json [N]
"""
import json
import random
import sys


def main() -> None:
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    rng = random.Random(20261202)
    times = [round(rng.lognormvariate(-4.6, 0.1), 9) for _ in range(n)]
    memory = [4_194_304 + 4096 * rng.randrange(64) for _ in range(n)]
    codes = [1 if i % 1000 == 999 else 0 for i in range(n)]
    mean = sum(times) / n
    result = {
        "command": "sleep 0.01",
        "mean": mean,
        "stddev": (sum((t - mean) ** 2 for t in times) / (n - 1)) ** 0.5,
        "median": sorted(times)[n // 2],
        "user": 0.0004,
        "system": 0.0011,
        "min": min(times),
        "max": max(times),
        "times": times,
        "memory_usage_byte": memory,
        "exit_codes": codes,
        "parameters": {},
    }
    with open(out, "w") as f:
        json.dump({"results": [result]}, f)


if __name__ == "__main__":
    main()
