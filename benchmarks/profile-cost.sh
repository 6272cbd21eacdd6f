#!/usr/bin/env bash
# What profiling costs the target: the built-in target (one worker thread, a route doing
# 200 µs of CPU and 1 ms of waiting a request) under the same load with and without
# `--profile` at the default 99 Hz, in alternating rounds. Two loads: closed (CONCURRENCY
# users, 8 by default, no think time: throughput is what the target can do) and open (RATE,
# 1000/s by default: latency at a fixed load). Prints each round and the medians' ratios
# (profiled / not). Needs perf; uses the release build unless RIGOR=path is set.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-10s}
CONCURRENCY=${CONCURRENCY:-8}
RATE=${RATE:-1000/s}
CALL_GRAPH=${CALL_GRAPH:-fp}
# shellcheck source=common.sh
. "$here/common.sh"
target_pid=
cleanup() { if [ -n "$target_pid" ]; then kill "$target_pid" 2>/dev/null || true; fi; rm -rf "$work"; }
trap cleanup EXIT
command -v "${PERF:-perf}" >/dev/null || { echo "perf is not installed (apt-get install linux-perf)" >&2; exit 3; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$RIGOR" target --port "$port" --threads 1 --route '/work: cpu=200us, latency=1ms' >/dev/null 2>&1 &
target_pid=$!
for _ in $(seq 100); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1',$port),0.1)" 2>/dev/null && break
    sleep 0.1
done
url="http://127.0.0.1:$port/work"

one() { # model-args... ; prints "throughput p99_ms target_cpu_cores samples"
    "$RIGOR" load "$url" "$@" --duration "$DURATION" --target-pid "$target_pid" \
        --store "$store" --quiet --json --max-lag 250ms |
        python3 -c 'import json,sys; s=json.load(sys.stdin); t=s["total"]; print(t["throughput_per_s"], t["latency"]["p99_ns"]/1e6, (s.get("target") or {}).get("cpu_cores_mean", 0))'
}

for model in closed open; do
    if [ "$model" = closed ]; then args=(--concurrency "$CONCURRENCY"); else args=(--rate "$RATE"); fi
    echo "== $model model (${args[*]}), $ROUNDS rounds of $DURATION, alternating"
    : > "$work/$model.plain"; : > "$work/$model.profiled"
    for r in $(seq "$ROUNDS"); do
        plain=$(one "${args[@]}")
        profiled=$(one "${args[@]}" --profile --call-graph "$CALL_GRAPH")
        echo "$plain" >> "$work/$model.plain"; echo "$profiled" >> "$work/$model.profiled"
        echo "  round $r: without: $plain · with --profile: $profiled   (req/s, p99 ms, target cores)"
    done
    python3 - "$work/$model.plain" "$work/$model.profiled" <<'PY'
import statistics, sys
def cols(path):
    rows = [list(map(float, l.split())) for l in open(path) if l.strip()]
    return [statistics.median(c) for c in zip(*rows)]
a, b = cols(sys.argv[1]), cols(sys.argv[2])
print(f"  medians without: {a[0]:.0f} req/s, p99 {a[1]:.2f} ms, target {a[2]:.3f} cores")
print(f"  medians with:    {b[0]:.0f} req/s, p99 {b[1]:.2f} ms, target {b[2]:.3f} cores")
print(f"  ratio with/without: throughput {b[0]/a[0]:.3f}, p99 {b[1]/a[1]:.3f}, target CPU {b[2]/a[2] if a[2] else float('nan'):.3f}")
PY
done
