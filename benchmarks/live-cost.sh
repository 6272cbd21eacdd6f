#!/usr/bin/env bash
# What serving a run live costs the generator: rigor's CPU time per request without and with
# --metrics-addr, the endpoint scraped every second in OpenMetrics (as Prometheus asks) by a
# curl loop. PAIRS interleaved pairs (5 by default) of RATE (5000/s) for SECONDS (10) against
# the built-in target (2 threads, an immediate answer), rigor on CPU 0 and the target on CPU 1
# where taskset exists; the pairs alternate which runs first. Prints each run's CPU per request, the median ratio, and the size of
# one scrape.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
PAIRS=${PAIRS:-5}
RATE=${RATE:-5000/s}
SECONDS_EACH=${SECONDS_EACH:-10}
# shellcheck source=common.sh
. "$here/common.sh"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# exec, so that a pin run in the background is the pinned program itself and `kill $!` ends it.
pin() { if command -v taskset >/dev/null; then exec taskset -c "$1" "${@:2}"; else exec "${@:2}"; fi; }

port=$(free_port)
(pin 1 "$RIGOR" target --port "$port" --threads 2 >/dev/null 2>&1) &
pids+=("$!")
sleep 1

# One run; prints its CPU ns per request.
run() {
    local extra=("$@")
    (pin 0 "$RIGOR" load "http://127.0.0.1:$port/" --rate "$RATE" --duration "${SECONDS_EACH}s" \
        --store "$store" --json --quiet --max-lag 250ms "${extra[@]}") |
        python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["generator"]["cpu_ns"] / max(1, s["total"]["requests"]))'
}

plain=(); live=()
for i in $(seq "$PAIRS"); do
    # Alternate which goes first (ABBA), so a drift of the machine does not side with one.
    if [ $((i % 2)) -eq 1 ]; then plain+=("$(run)"); fi
    mport=$(free_port)
    (
        for _ in $(seq $((SECONDS_EACH + 5))); do
            curl -s -H 'Accept: application/openmetrics-text;version=1.0.0' \
                "http://127.0.0.1:$mport/metrics" -o "$work/scrape.txt" || true
            sleep 1
        done
    ) &
    scraper=$!
    live+=("$(run --metrics-addr "127.0.0.1:$mport" --metrics-linger 2s)")
    kill "$scraper" 2>/dev/null || true
    wait "$scraper" 2>/dev/null || true
    if [ $((i % 2)) -eq 0 ]; then plain+=("$(run)"); fi
    echo "pair $i: plain ${plain[-1]} ns/request, live ${live[-1]} ns/request"
done
python3 - "${plain[@]}" -- "${live[@]}" <<'PY'
import statistics, sys
args = sys.argv[1:]
cut = args.index("--")
plain = [float(x) for x in args[:cut]]
live = [float(x) for x in args[cut + 1:]]
ratios = [l / p for p, l in zip(plain, live)]
print(f"CPU per request: plain median {statistics.median(plain):.0f} ns, live median {statistics.median(live):.0f} ns")
print(f"live / plain, per pair: {', '.join(f'{r:.3f}' for r in ratios)}; median {statistics.median(ratios):.3f}")
PY
if [ -f "$work/scrape.txt" ]; then
    echo "one scrape: $(wc -c < "$work/scrape.txt") bytes, $(grep -vc '^#' "$work/scrape.txt") samples"
fi
