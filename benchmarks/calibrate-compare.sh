#!/usr/bin/env bash
# Calibration of `rigor compare` with real runs against the built-in target.
#
#   A/A: 20 comparisons of two runs of the same configuration. Goal: at most 1 "regressed"
#        verdict across all metrics of all 20 comparisons.
#   A/B: 20 comparisons of a run against a run of a target whose latency distribution is
#        raised 10 %. Goal: latency called regressed in at least 18 of 20.
#
# The default run length of the calibration: RATE (200/s) for DURATION (10 s), open model.
# Every run is a separate `rigor load` invocation. Before the trials, HISTORY (5) runs of A are
# stored, as a CI store holds the earlier runs of its main branch: with 5 or more baseline runs
# `rigor compare` judges against the spread between them (HISTORY=0 COMPARE_ARGS=--history=0
# calibrates the within-run intervals alone). 65 runs in all: about 12 minutes. The target and
# rigor share this machine, as they do in CI; run it as busy as the CI's machine will be.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
RATE=${RATE:-200/s}
DURATION=${DURATION:-10s}
TRIALS=${TRIALS:-20}
HISTORY=${HISTORY:-5}
COMPARE_ARGS=${COMPARE_ARGS:-}
# shellcheck source=common.sh
. "$here/common.sh"
cleanup() { [ -n "${target_pid:-}" ] && kill "$target_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$RIGOR" target --port "$port" --threads 1 \
    --route '/a: latency=lognormal(10ms,30ms)' \
    --route '/b: latency=lognormal(11ms,33ms)' >"$work/target.log" 2>&1 &
target_pid=$!
python3 - "$port" <<'PY'
import sys, time, urllib.request
for _ in range(100):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/health", timeout=1); break
    except Exception:
        time.sleep(0.1)
PY

run() { # scenario path → run id
    "$RIGOR" load "http://127.0.0.1:$port/$2" --rate "$RATE" --duration "$DURATION" --name "$1" \
        --quiet --json --store "$store" --max-lag 50ms | python3 -c 'import json,sys; print(json.load(sys.stdin)["run_id"])'
}
verdicts() { # A B → "metric verdict" lines
    # shellcheck disable=SC2086
    "$RIGOR" compare "$1" "$2" --json --store "$store" $COMPARE_ARGS | python3 -c '
import json, sys
for m in json.load(sys.stdin)["metrics"]:
    print(m["metric"], m["verdict"])'
}

for _ in $(seq "$HISTORY"); do run svc a >/dev/null; done
aa_regressed=0; aa_pairs=0; aa_lines=""
ab_p50=0; ab_p95=0; ab_mean=0; ab_any=0
for trial in $(seq "$TRIALS"); do
    a=$(run svc a); a2=$(run svc a); b=$(run svc-slower b)
    aa=$(verdicts "$a" "$a2"); ab=$(verdicts "$a" "$b")
    n=$(grep -c ' regressed$' <<<"$aa" || true)
    aa_regressed=$((aa_regressed + n))
    [ "$n" -gt 0 ] && aa_pairs=$((aa_pairs + 1))
    [ "$n" -gt 0 ] && aa_lines+="  trial $trial: $(grep ' regressed$' <<<"$aa" | tr '\n' ' ')"$'\n'
    grep -q '^latency.p50 regressed$' <<<"$ab" && ab_p50=$((ab_p50 + 1))
    grep -q '^latency.p95 regressed$' <<<"$ab" && ab_p95=$((ab_p95 + 1))
    grep -q '^latency.mean regressed$' <<<"$ab" && ab_mean=$((ab_mean + 1))
    grep -Eq '^latency\.(p50|p90|p95|mean) regressed$' <<<"$ab" && ab_any=$((ab_any + 1))
    echo "trial $trial: A/A regressed verdicts $n; A/B p50 $(grep '^latency.p50 ' <<<"$ab" | cut -d' ' -f2), p95 $(grep '^latency.p95 ' <<<"$ab" | cut -d' ' -f2)" >&2
done

echo "rigor compare calibration: $TRIALS trials, runs of $RATE for $DURATION against the built-in target"
echo "A/A: $aa_pairs of $TRIALS comparisons with a \"regressed\" verdict ($aa_regressed verdicts across all metrics) (goal ≤ 1 comparison): $([ "$aa_pairs" -le 1 ] && echo PASS || echo MISS)"
[ -n "$aa_lines" ] && printf '%s' "$aa_lines"
echo "A/B (+10% latency): latency regressed in $ab_any of $TRIALS (p50 $ab_p50, p95 $ab_p95, mean $ab_mean) (goal ≥ $((TRIALS * 9 / 10))): $([ "$ab_any" -ge $((TRIALS * 9 / 10)) ] && echo PASS || echo MISS)"
