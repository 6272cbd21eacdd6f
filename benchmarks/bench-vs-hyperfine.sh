#!/usr/bin/env bash
# rigor bench beside hyperfine on the same commands, in one go, and the ratios.
#
#   1. Total wall time of a 500-run benchmark of `true` (no shell for either tool):
#      the tool's own overhead per run. Goal: rigor ≤ 1.0× hyperfine.
#   2. The reported mean of `sleep 0.01` (100 runs): goal: no further from 10 ms than
#      hyperfine's report.
# Each measurement alternates the tools ROUNDS times (default 3) and takes the median, so drift on
# a shared machine hits both alike. Uses the release build (what users run).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
ROUNDS=${ROUNDS:-3}
RUNS_TRUE=${RUNS_TRUE:-500}
RUNS_SLEEP=${RUNS_SLEEP:-100}

command -v hyperfine >/dev/null || { echo "hyperfine is missing: apt-get install hyperfine" >&2; exit 2; }
# shellcheck source=common.sh
. "$here/common.sh"
trap 'rm -rf "$work"' EXIT

now_ns() { date +%s%N; }
median() { python3 -c 'import sys,statistics; print(statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }
json_field() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {"d": d}))' "$1" "$2"; }

rigor_true=(); hf_true=(); rigor_sleep=(); hf_sleep=()
for round in $(seq "$ROUNDS"); do
    t0=$(now_ns); "$RIGOR" bench --quiet --store "$store" -r "$RUNS_TRUE" -- true >/dev/null; t1=$(now_ns)
    rigor_true+=("$(( (t1 - t0) / 1000 ))")
    t0=$(now_ns); hyperfine -N --style none --runs "$RUNS_TRUE" true >/dev/null 2>&1; t1=$(now_ns)
    hf_true+=("$(( (t1 - t0) / 1000 ))")

    "$RIGOR" bench --quiet --store "$store" --json -r "$RUNS_SLEEP" -- sleep 0.01 >"$work/r.json"
    rigor_sleep+=("$(json_field "$work/r.json" 'd["commands"][0]["stats"]["mean_ns"] / 1e3')")
    hyperfine -N --style none --runs "$RUNS_SLEEP" --export-json "$work/h.json" 'sleep 0.01' >/dev/null 2>&1
    hf_sleep+=("$(json_field "$work/h.json" 'd["results"][0]["mean"] * 1e6')")
    echo "round $round: true×$RUNS_TRUE rigor ${rigor_true[-1]} µs, hyperfine ${hf_true[-1]} µs; sleep 0.01 mean rigor ${rigor_sleep[-1]} µs, hyperfine ${hf_sleep[-1]} µs" >&2
done

rt=$(median "${rigor_true[@]}"); ht=$(median "${hf_true[@]}")
rs=$(median "${rigor_sleep[@]}"); hs=$(median "${hf_sleep[@]}")
python3 - "$rt" "$ht" "$rs" "$hs" "$RUNS_TRUE" "$("$RIGOR" --version)" "$(hyperfine --version)" \
    "${rigor_true[*]}" "${hf_true[*]}" "${rigor_sleep[*]}" "${hf_sleep[*]}" <<'PY'
import statistics, sys
rt, ht, rs, hs = map(float, sys.argv[1:5]); runs = sys.argv[5]
per_round = [list(map(float, a.split())) for a in sys.argv[8:12]]
print(f"{sys.argv[6]} vs {sys.argv[7]}")
print(f"{'measure':<42}{'rigor':>12}{'hyperfine':>12}{'ratio':>8}  goal")
ratio = rt / ht
print(f"{'total wall, ' + runs + ' runs of `true`':<42}{rt/1e6:>10.3f} s{ht/1e6:>10.3f} s{ratio:>8.2f}  ≤ 1.00  {'PASS' if ratio <= 1.0 else 'MISS'}")
rd, hd = abs(rs - 10000), abs(hs - 10000)
print(f"{'reported mean of `sleep 0.01`':<42}{rs/1e3:>9.3f} ms{hs/1e3:>9.3f} ms{'':>8}")
print(f"{'  distance from 10 ms':<42}{rd:>9.0f} µs{hd:>9.0f} µs{'':>8}  rigor ≤ hyperfine  {'PASS' if rd <= hd else 'MISS'}")
# Paired by round (each round runs both tools back to back), so drift cancels out.
r_true, h_true, r_sleep, h_sleep = per_round
ratios = sorted(r / h for r, h in zip(r_true, h_true))
faster = sum(r <= 1.0 for r in ratios)
print(f"per round: `true` ratio median {statistics.median(ratios):.3f} (range {ratios[0]:.3f} … "
      f"{ratios[-1]:.3f}); rigor faster in {faster} of {len(ratios)} rounds")
closer = sum(abs(r - 10000) <= abs(h - 10000) for r, h in zip(r_sleep, h_sleep))
print(f"per round: rigor's `sleep 0.01` mean is closer to 10 ms in {closer} of {len(r_sleep)} rounds")
PY
