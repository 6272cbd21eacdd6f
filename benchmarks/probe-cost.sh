#!/usr/bin/env bash
# What watching the target costs rigor: CPU time per sample of the target's process tree (the
# built-in target with 1 worker thread, then with 100) and per scrape of a metrics endpoint of
# 1,000 series (100 gauges, 300 counters, 600 histogram series from 20 histograms of 12
# buckets each, served by python's http.server). Each is done every 10 ms for SECONDS (5 by
# default) by crates/rigor-probe/examples/probe_cost.rs; its process does nothing else.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SECONDS_EACH=${SECONDS_EACH:-5}
# shellcheck source=common.sh
. "$here/common.sh"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
(cd "$root" && cargo build --release -p rigor-probe --example probe_cost --quiet)
cost="${CARGO_TARGET_DIR:-$root/target}/release/examples/probe_cost"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
    for _ in $(seq 100); do
        python3 -c "import socket; socket.create_connection(('127.0.0.1',$1),0.1)" 2>/dev/null && return
        sleep 0.1
    done
    echo "nothing listens on port $1" >&2; exit 3
}

for threads in 1 100; do
    port=$(free_port)
    "$RIGOR" target --port "$port" --threads "$threads" >/dev/null 2>&1 &
    pid=$!; pids+=("$pid")
    wait_port "$port"
    echo "target with --threads $threads ($(ls /proc/$pid/task | wc -l) threads):"
    "$cost" sample "$pid" "$SECONDS_EACH"
done

python3 - "$work/metrics" <<'PY'
import sys
out = []
for f in range(100):
    out.append(f"# TYPE bench_gauge_{f} gauge\nbench_gauge_{f} {f}.5")
for f in range(30):
    out.append(f"# TYPE bench_requests_{f} counter")
    for l in range(10):
        out.append(f'bench_requests_{f}_total{{route="/r{l}",status="200"}} {1000 * l + f}')
bounds = ["0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf"]
for f in range(20):
    out.append(f"# TYPE bench_latency_{f}_seconds histogram")
    for l in range(2):
        for i, b in enumerate(bounds):
            out.append(f'bench_latency_{f}_seconds_bucket{{route="/r{l}",le="{b}"}} {10 * (i + 1)}')
        out.append(f'bench_latency_{f}_seconds_sum{{route="/r{l}"}} 12.5')
        out.append(f'bench_latency_{f}_seconds_count{{route="/r{l}"}} 120')
open(sys.argv[1], "w").write("\n".join(out) + "\n")
PY
series=$(grep -vc '^#' "$work/metrics")
port=$(free_port)
(cd "$work" && exec python3 -m http.server "$port" --bind 127.0.0.1 >/dev/null 2>&1) &
pids+=("$!")
wait_port "$port"
echo "endpoint of $series exposition lines ($(wc -c < "$work/metrics") bytes):"
"$cost" scrape "http://127.0.0.1:$port/metrics" "$SECONDS_EACH"
