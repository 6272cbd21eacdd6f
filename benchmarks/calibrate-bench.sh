#!/usr/bin/env bash
# Calibration of `rigor compare` for command benchmarks, over separate invocations.
#
#   A/A: TRIALS (20) pairs of separate `rigor bench` invocations of the same command
#        (`sleep 0.01`, RUNS (20) runs each). Goal: at most 1 "regressed" verdict across all
#        metrics of all the comparisons.
#   A/B: each trial also runs the command made 10 % slower — `sleep` for 0.01 s plus a tenth of
#        the A run's measured mean wall time, so the whole wall time grows by 10 % — and
#        compares it with the A run. Goal: wall time called regressed in at least 18 of 20.
#
# Every bench is a process of its own, one after another (A, A', B), so drift of the machine
# between invocations is in the comparison, as it is in CI. Before the trials, HISTORY (5)
# invocations of A are stored, as a CI store holds the earlier runs of its main branch: with 5
# or more baseline runs `rigor compare` judges against the spread between them (set HISTORY=0
# and COMPARE_ARGS=--history=0 to calibrate the within-run intervals alone). Run it on a
# machine as busy as the CI's will be. Prints a Markdown report on stdout, one line per trial
# on stderr.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
TRIALS=${TRIALS:-20}
RUNS=${RUNS:-20}
HISTORY=${HISTORY:-5}
COMPARE_ARGS=${COMPARE_ARGS:-}
# shellcheck source=common.sh
. "$here/common.sh"
trap 'rm -rf "$work"' EXIT

bench() { # NAME SECONDS → run id; mean wall (s) in $work/mean
    "$RIGOR" bench --runs "$RUNS" --name "$1" --store "$store" --json --quiet -- sleep "$2" |
        python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["commands"][0]["stats"]["mean_ns"]/1e9)' >"$work/mean"
    "$RIGOR" runs --store "$store" --json --limit 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["run_id"])'
}
verdicts() { # A B → "metric verdict" lines, and warnings as "warning: …"
    # shellcheck disable=SC2086
    "$RIGOR" compare "$1" "$2" --json --store "$store" $COMPARE_ARGS | python3 -c '
import json, sys
c = json.load(sys.stdin)
for m in c["metrics"]:
    print(m["metric"], m["verdict"])
    if m["metric"] == "wall.mean":
        print("method:", m["method"].split(":")[0])
for w in c["warnings"]:
    print("warning:", w)'
}

for _ in $(seq "$HISTORY"); do bench aa 0.01 >/dev/null; done
aa_regressed=0; aa_pairs=0; aa_improved=0; aa_lines=""; ab_found=0; ab_lines=""; not_judged=""
for trial in $(seq "$TRIALS"); do
    a=$(bench aa 0.01); mean_a=$(cat "$work/mean")
    a2=$(bench aa 0.01)
    slower=$(python3 -c "print(f'{0.01 + 0.1 * $mean_a:.6f}')")
    b=$(bench ab "$slower")
    aa=$(verdicts "$a" "$a2"); ab=$(verdicts "$a" "$b")
    n=$(grep -c ' regressed$' <<<"$aa" || true)
    i=$(grep -c ' improved$' <<<"$aa" || true)
    aa_regressed=$((aa_regressed + n)); aa_improved=$((aa_improved + i))
    [ "$n" -gt 0 ] && aa_pairs=$((aa_pairs + 1))
    [ "$n" -gt 0 ] && aa_lines+="  - trial $trial: $(grep ' regressed$' <<<"$aa" | tr '\n' ' ')"$'\n'
    if grep -Eq '^wall\.(mean|median|min) regressed$' <<<"$ab"; then
        ab_found=$((ab_found + 1))
    else
        ab_lines+="  - trial $trial: $(grep '^wall' <<<"$ab" | tr '\n' ' ')"$'\n'
    fi
    [ -z "$not_judged" ] && not_judged=$(grep '^warning:' <<<"$aa" | sort -u || true)
    [ -z "${method:-}" ] && method=$(grep '^method:' <<<"$aa" | cut -d' ' -f2- || true)
    echo "trial $trial: A mean $(python3 -c "print(f'{$mean_a*1e3:.3f}')") ms, B sleeps $slower s; A/A regressed $n, improved $i; A/B $(grep '^wall.mean ' <<<"$ab" | cut -d' ' -f2)" >&2
done

echo "rigor compare calibration for benches: $TRIALS trials of \`sleep 0.01\` × $RUNS runs, each bench a separate invocation, after $HISTORY baseline invocations; verdicts by ${method:-?}"
echo
echo "| | result | goal |"
echo "|---|---|---|"
echo "| A/A: comparisons with a \"regressed\" verdict | $aa_pairs of $TRIALS ($aa_regressed \"regressed\" and $aa_improved \"improved\" verdicts across all metrics) | ≤ 1: $([ "$aa_pairs" -le 1 ] && echo PASS || echo MISS) |"
echo "| A/B (+10 % wall): wall time (mean, median or min) called regressed | $ab_found of $TRIALS | ≥ $((TRIALS * 9 / 10)): $([ "$ab_found" -ge $((TRIALS * 9 / 10)) ] && echo PASS || echo MISS) |"
[ -n "$aa_lines" ] && { echo; echo "A/A regressions:"; printf '%s' "$aa_lines"; }
[ -n "$ab_lines" ] && { echo; echo "A/B misses:"; printf '%s' "$ab_lines"; }
[ -n "$not_judged" ] && { echo; echo "Warnings of the first A/A comparison:"; echo "$not_judged" | sed 's/^/  - /'; }
true
