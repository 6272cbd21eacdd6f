#!/usr/bin/env bash
# rigor's own memory over a soak and after a server stall.
#
#   stall: the built-in target pauses every response for STALL_PAUSE (2 s) at the start of
#          each period; rigor loads it at STALL_RATE (2,000/s) with up to STALL_CONNECTIONS
#          (1,000) connections, so the stall makes it open them all and queue the rest. The
#          same run without the stall is the reference: (peak RSS with the stall − peak RSS
#          without) / (connections opened with − without) is the memory per open connection.
#   soak:  rigor at SOAK_RATE (5,000/s) for SOAK_DURATION (1h) against nginx (or the built-in
#          target when nginx is missing), its RSS read from /proc every SAMPLE_EVERY (60) s.
#          Goal: flat — the last sample within 10 % of the first one after warm-up (minute 1).
#
# PART=stall or PART=soak runs one part only. Prints Markdown for benchmarks/RESULTS.md on
# stdout, progress on stderr.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
PART=${PART:-all}
STALL_PAUSE=${STALL_PAUSE:-2s}
STALL_RATE=${STALL_RATE:-2000/s}
STALL_CONNECTIONS=${STALL_CONNECTIONS:-1000}
SOAK_RATE=${SOAK_RATE:-5000/s}
SOAK_DURATION=${SOAK_DURATION:-1h}
SAMPLE_EVERY=${SAMPLE_EVERY:-60}
# shellcheck source=common.sh
. "$here/common.sh"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "nothing listens on $1" >&2
    exit 1
}
target() { # PORT [--stall SPEC] → starts the built-in target
    local port=$1
    shift
    "$RIGOR" target --port "$port" --threads 1 "$@" >"$work/target-$port.log" 2>&1 &
    pids+=($!)
    wait_port "$port"
}
json() { python3 -c "import json,sys; d=json.load(open('$1')); print($2)"; }

stall_part() {
    local period=$((${STALL_PAUSE%s} + 3))s
    echo "stall: reference run without a stall" >&2
    local p1 p2
    p1=$(free_port)
    target "$p1"
    /usr/bin/time -f '%M' -o "$work/ref.time" "$RIGOR" load "http://127.0.0.1:$p1/" \
        --rate "$STALL_RATE" --duration 5s --max-connections "$STALL_CONNECTIONS" \
        --store "$work/stall.db" --json --quiet >"$work/ref.json" || true
    echo "stall: a $STALL_PAUSE stall every $period" >&2
    p2=$(free_port)
    target "$p2" --stall "$STALL_PAUSE/$period"
    /usr/bin/time -f '%M' -o "$work/stall.time" "$RIGOR" load "http://127.0.0.1:$p2/" \
        --rate "$STALL_RATE" --duration 5s --max-connections "$STALL_CONNECTIONS" \
        --store "$work/stall.db" --json --quiet --max-lag 10s >"$work/stall.json" || true
    local ref_kib stall_kib ref_conns stall_conns
    ref_kib=$(tail -1 "$work/ref.time")
    stall_kib=$(tail -1 "$work/stall.time")
    ref_conns=$(json "$work/ref.json" 'd["generator"]["connections_opened"]')
    stall_conns=$(json "$work/stall.json" 'd["generator"]["connections_opened"]')
    echo "### Peak RSS after a $STALL_PAUSE server stall ($STALL_RATE, up to $STALL_CONNECTIONS connections, 5 s)"
    echo
    echo "| run | connections opened | peak RSS | status | late arrivals | dropped |"
    echo "|---|---|---|---|---|---|"
    for r in ref stall; do
        local kib conns
        kib=$(tail -1 "$work/$r.time")
        conns=$(json "$work/$r.json" 'd["generator"]["connections_opened"]')
        echo "| $([ $r = ref ] && echo 'no stall' || echo "stall $STALL_PAUSE") | $conns | $(python3 -c "print(f'{$kib/1024:.1f} MiB')") | $(json "$work/$r.json" 'd["status"]') | $(json "$work/$r.json" 'd["generator"]["late_arrivals"]') | $(json "$work/$r.json" 'd["generator"]["dropped_arrivals"]') |"
    done
    echo
    python3 -c "
d_kib = $stall_kib - $ref_kib
d_conns = $stall_conns - $ref_conns
print(f'Memory per open connection: ({d_kib} KiB) / ({d_conns} connections) = ' + (f'{d_kib / d_conns:.1f} KiB' if d_conns > 0 else 'n/a (no extra connections)'))"
    echo
}

soak_part() {
    local url port
    port=$(free_port)
    if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then
        local nginx_bin
        nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
        cat >"$work/nginx.conf" <<EOF
daemon off; master_process off; worker_processes 1; pid $work/nginx.pid;
error_log $work/nginx-error.log; events { worker_connections 4096; }
http { access_log off; client_body_temp_path $work; proxy_temp_path $work; fastcgi_temp_path $work;
  uwsgi_temp_path $work; scgi_temp_path $work; keepalive_requests 1000000;
  server { listen 127.0.0.1:$port; location / { return 200 "ok"; } } }
EOF
        "$nginx_bin" -p "$work" -c "$work/nginx.conf" 2>/dev/null &
        pids+=($!)
        wait_port "$port"
        echo "soak: nginx on $port" >&2
        server="nginx"
    else
        target "$port"
        server="the built-in target"
    fi
    url="http://127.0.0.1:$port/"
    "$RIGOR" load "$url" --rate "$SOAK_RATE" --duration "$SOAK_DURATION" --store "$work/soak.db" \
        --json --quiet --max-lag 50ms >"$work/soak.json" 2>"$work/soak.err" &
    local rigor_pid=$!
    pids+=($rigor_pid)
    local minute=0
    : >"$work/rss"
    while kill -0 "$rigor_pid" 2>/dev/null; do
        sleep "$SAMPLE_EVERY"
        local rss
        rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$rigor_pid/status" 2>/dev/null || true)
        [ -z "$rss" ] && break
        minute=$((minute + 1))
        echo "$minute $rss" >>"$work/rss"
        echo "soak: sample $minute: rigor RSS $((rss / 1024)) MiB" >&2
    done
    wait "$rigor_pid" || true
    echo "### Soak: $SOAK_RATE for $SOAK_DURATION against $server, rigor's RSS every $SAMPLE_EVERY s"
    echo
    python3 - "$work/rss" "$work/soak.json" <<'PY'
import json, sys
samples = [tuple(map(int, l.split())) for l in open(sys.argv[1]) if l.strip()]
try:
    s = json.load(open(sys.argv[2]))
except Exception:
    s = None
if s:
    t, g = s["total"], s["generator"]
    print(f"run: status {s['status']}, {t['requests']} requests, {t['throughput_per_s']:.0f}/s achieved, "
          f"errors {t['errors']}, scheduler lag p99 {g['scheduler_lag']['p99_ns']/1e6:.2f} ms, "
          f"generator CPU {g['cpu_utilisation']*100:.0f} %, peak RSS {g['peak_rss_bytes']/2**20:.1f} MiB")
    print()
if samples:
    print("| sample | RSS |")
    print("|---|---|")
    step = max(1, len(samples) // 12)
    shown = samples[::step]
    if shown[-1] != samples[-1]:
        shown.append(samples[-1])
    for m, kib in shown:
        print(f"| {m} | {kib/1024:.1f} MiB |")
    rss = [kib for _, kib in samples]
    base = rss[1] if len(rss) > 1 else rss[0]
    growth = (rss[-1] - base) / base * 100
    print()
    print(f"min {min(rss)/1024:.1f} MiB, max {max(rss)/1024:.1f} MiB, last vs sample 2: {growth:+.1f} % "
          f"(goal within ±10 %: {'PASS' if abs(growth) <= 10 else 'MISS'})")
PY
    echo
}

case "$PART" in
    stall) stall_part ;;
    soak) soak_part ;;
    *) stall_part; soak_part ;;
esac
