#!/usr/bin/env bash
# Calibration of `rigor tune validate --before CMD --after CMD` (interleaved rounds judged by the
# paired Student-t) with real tuning sessions against the built-in target.
#
#   A/A: TRIALS sessions whose "before" and "after" start the same target configuration.
#        Goal: the goal's metric never called improved or regressed, and no outcome called a
#        trade-off, in any of them.
#   A/B: TRIALS sessions whose "after" serves a latency distribution 5 % lower. Goal: the goal's
#        metric (latency.p50) called improved in at least 9 of 10.
#
# Each session is separate invocations of rigor throughout (start, baseline, validate; each
# run its own `rigor run` child starting its own target), ROUNDS (5) rounds of a before and an
# after run of DURATION (3 s) at RATE (100/s): about 45 s a session, 15 minutes for 10 trials
# of each. The target and rigor share this machine, as they do in CI.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
RATE=${RATE:-100/s}
DURATION=${DURATION:-3s}
TRIALS=${TRIALS:-10}
ROUNDS=${ROUNDS:-5}
AFTER_MS=${AFTER_MS:-9.5}     # the A/B's "after" median (the before's is 10 ms): 5 % lower
SKIP_AA=${SKIP_AA:-}
# shellcheck source=common.sh
. "$here/common.sh"
trap 'rm -rf "$work"' EXIT

version() { # port median_ms → the target's command line
    local p95=$(python3 -c "print(round($2 * 3, 3))")
    echo "rigor target --port $1 --threads 1 --route '/a: latency=lognormal(${2}ms,${p95}ms)'"
}

session() { # trial kind after_median_ms → "verdict outcome regressed-count"
    local dir="$work/$2-$1" port
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    mkdir -p "$dir"
    cat >"$dir/rigor.toml" <<TOML
[target]
command = "$(version "$port" 10 | sed 's/"/\\"/g')"
ready = "http://127.0.0.1:$port/health"

[[scenario]]
name = "api"
phases = [{ kind = "steady", rate = "$RATE", for = "$DURATION" }]
[[scenario.request]]
url = "http://127.0.0.1:$port/a"
TOML
    (
        cd "$dir"
        "$RIGOR" tune start cal --goal 'latency.p50 < 9.8ms' --scenario api --scope /a \
            --tests true --approve --by cal >/dev/null 2>&1
        "$RIGOR" tune baseline --by cal >/dev/null 2>&1
        "$RIGOR" tune hypothesis add 'a faster /a' --by cal >/dev/null 2>&1
        "$RIGOR" tune gate plan --yes --by cal >/dev/null 2>&1
        "$RIGOR" tune validate --before "$(version "$port" 10)" --after "$(version "$port" "$3")" \
            --rounds "$ROUNDS" --json --by cal 2>/dev/null | python3 -c '
import json, sys
it = json.load(sys.stdin)["session"]["iterations"][-1]
c = it.get("goal_change") or {}
print(c.get("verdict", "none"), it["outcome"], len(it["regressed"]), c.get("text", "").replace(" ", "_"))'
    )
}

aa_called=0; aa_tradeoffs=0; ab_improved=0; lines=""
for trial in $(seq "$TRIALS"); do
    if [ -z "$SKIP_AA" ]; then
        read -r v o r t <<<"$(session "$trial" aa 10)"
        lines+="A/A $trial: latency.p50 $v ($t), outcome $o, $r outcome(s) regressed"$'\n'
        case "$v" in improved|regressed) aa_called=$((aa_called + 1)) ;; esac
        [ "$r" -gt 0 ] && aa_tradeoffs=$((aa_tradeoffs + 1))
    fi
    read -r v o r t <<<"$(session "$trial" ab "$AFTER_MS")"
    lines+="A/B $trial: latency.p50 $v ($t), outcome $o, $r outcome(s) regressed"$'\n'
    [ "$v" = improved ] && ab_improved=$((ab_improved + 1))
done
printf '%s' "$lines"
echo "A/A: goal metric called in $aa_called of $TRIALS; an outcome regressed in $aa_tradeoffs of $TRIALS"
echo "A/B (after median ${AFTER_MS} ms against 10 ms): improved in $ab_improved of $TRIALS"
