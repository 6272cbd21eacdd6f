#!/usr/bin/env bash
# Calibration of the deterministic measures (`rigor bench --measure instructions`): ROUNDS
# (20 by default) rounds, each three separate invocations of `rigor bench` on a CPU-bound C
# loop — A, A again, and B with 2 % more iterations (its input, not its code) — into a store
# of the round's own, then `rigor compare` A/A and A/B. Prints, for instructions and for wall
# time, how often each verdict came, and how much the instruction count varied over all A
# runs. HOGS (1 by default) busy loops run meanwhile, so the machine is as busy as a CI
# runner. Needs gcc and valgrind.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ROUNDS=${ROUNDS:-20}
HOGS=${HOGS:-1}
ITERATIONS=${ITERATIONS:-10000000}
# shellcheck source=common.sh
. "$here/common.sh"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

cat > "$work/loop.c" <<'C'
#include <stdlib.h>
int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 0;
    volatile unsigned long x = 0;
    for (long i = 0; i < n; i++) x += (unsigned long)i ^ (x >> 3);
    return 0;
}
C
gcc -O1 -o "$work/loop" "$work/loop.c"
more=$((ITERATIONS * 102 / 100))
for _ in $(seq "$HOGS"); do
    (while :; do :; done) &
    pids+=("$!")
done

bench() { # store n
    "$RIGOR" bench --store "$1" --name work --runs 10 --count-runs 3 \
        --measure instructions --json --quiet -- "$work/loop" "$2" |
        python3 -c 'import json,sys; c=json.load(sys.stdin)["commands"][0]["counts"]["instructions"]; print(sorted(c["values"])[len(c["values"])//2])'
}
verdicts() { # store a b -> "instructions-verdict wall-verdict"
    "$RIGOR" compare "$2" "$3" --store "$1" --json |
        python3 -c '
import json, sys
m = {x["metric"]: x["verdict"] for x in json.load(sys.stdin)["metrics"]}
print(m.get("instructions.median", "missing"), m.get("wall.median", "missing"))'
}

a_counts=(); aa=(); ab=()
for round in $(seq "$ROUNDS"); do
    store="$work/round-$round.db"
    a_counts+=("$(bench "$store" "$ITERATIONS")")
    a_counts+=("$(bench "$store" "$ITERATIONS")")
    bench "$store" "$more" > /dev/null
    aa+=("$(verdicts "$store" 1 2)")
    ab+=("$(verdicts "$store" 1 3)")
    echo "round $round: A/A ${aa[-1]} · A/B ${ab[-1]}" >&2
done
python3 - "${#a_counts[@]}" "${a_counts[@]}" "${aa[@]}" -- "${ab[@]}" <<'PY'
import collections, sys
n = int(sys.argv[1])
counts = [float(x) for x in sys.argv[2:2 + n]]
rest = sys.argv[2 + n:]
cut = rest.index("--")
# Each verdict argument is "instructions-verdict wall-verdict".
pairs = lambda args: [tuple(a.split()) for a in args]
aa, ab = pairs(rest[:cut]), pairs(rest[cut + 1:])
spread = (max(counts) - min(counts)) / sorted(counts)[len(counts) // 2]
print(f"instructions over {len(counts)} separate A runs: median {sorted(counts)[len(counts)//2]:.0f}, spread (max - min) / median {spread * 100:.4f} %")
for label, results in (("A/A", aa), ("A/B +2 %", ab)):
    for i, metric in enumerate(("instructions.median", "wall.median")):
        tally = collections.Counter(r[i] for r in results)
        print(f"{label:9} {metric:20} " + ", ".join(f"{v} {k}" for k, v in sorted(tally.items())) + f" (of {len(results)})")
PY
