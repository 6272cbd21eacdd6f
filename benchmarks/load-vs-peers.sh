#!/usr/bin/env bash
# load-vs-peers.sh: rigor's HTTP load generator against wrk and oha, on one nginx, on loopback.
#
# What it measures (issue 2, "What it must show"):
#   * closed model, CONNECTIONS (50) keep-alive connections, DURATION (10) seconds, for each of
#     wrk, oha and rigor: requests per second (from the tool's own output), generator CPU per
#     request ((user+sys) from /usr/bin/time divided by the requests the tool completed) and
#     the generator's peak RSS (/usr/bin/time %M), plus the ratios of rigor to wrk and oha;
#   * rigor's peak RSS for a LONG_DURATION (60) second run against the DURATION run (memory must
#     not grow with the length of the run);
#   * an open-model row: rigor at OPEN_RATE (10000) req/s for OPEN_DURATION (20) s: the achieved
#     rate, the p99 schedule lag and the run's status;
#   * the goals next to the figures with PASS / MISS.
#
# The server is nginx, started by this script from its own nginx.conf in a temp dir: one worker
# pinned to SERVER_CPU (0), 127.0.0.1 on a free port, a small static file, access log off.
# Every generator runs under `taskset -c GEN_CPU` (1) with one thread.
#
# Environment (all optional):
#   DURATION=10 LONG_DURATION=60 OPEN_RATE=10000 OPEN_DURATION=20 OPEN_MAX_CONNECTIONS=200
#   CONNECTIONS=50 ROUNDS=1 (repeat the closed-model trio, in a rotated order each round; the
#   ratios use the median per tool, and the per-round ratios are printed too)
#   SERVER_CPU=0 GEN_CPU=1 SKIP_LONG=0 SKIP_OPEN=0 KEEP_TMP=0 (1 keeps the raw outputs)
#   RIGOR=path/to/rigor (default: $CARGO_TARGET_DIR/release/rigor, then target/release/rigor,
#   then rigor on PATH)  NO_INSTALL=0 (1: do not `cargo install oha` when it is missing)
#
# Usage: benchmarks/load-vs-peers.sh            (about 3 minutes with the defaults)
#        DURATION=5 SKIP_LONG=1 SKIP_OPEN=1 benchmarks/load-vs-peers.sh    (a quick look)
set -euo pipefail

die() { echo "load-vs-peers: $*" >&2; exit 2; }
note() { echo "load-vs-peers: $*" >&2; }

strip_s() { local v=${1%s}; [[ $v =~ ^[0-9]+$ && $v -gt 0 ]] || die "$2 must be a whole number of seconds, got '$1'"; echo "$v"; }
DURATION=$(strip_s "${DURATION:-10}" DURATION)
LONG_DURATION=$(strip_s "${LONG_DURATION:-60}" LONG_DURATION)
OPEN_DURATION=$(strip_s "${OPEN_DURATION:-20}" OPEN_DURATION)
OPEN_RATE=${OPEN_RATE:-10000}; OPEN_RATE=${OPEN_RATE%/s}
[[ $OPEN_RATE =~ ^[0-9]+$ ]] || die "OPEN_RATE must be requests per second, e.g. 10000"
OPEN_MAX_CONNECTIONS=${OPEN_MAX_CONNECTIONS:-200}
CONNECTIONS=${CONNECTIONS:-50}
ROUNDS=${ROUNDS:-1}
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive whole number"
SERVER_CPU=${SERVER_CPU:-0}
GEN_CPU=${GEN_CPU:-1}
SKIP_LONG=${SKIP_LONG:-0}
SKIP_OPEN=${SKIP_OPEN:-0}
KEEP_TMP=${KEEP_TMP:-0}
NO_INSTALL=${NO_INSTALL:-0}

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$script_dir/.." && pwd)

# ---------------------------------------------------------------------------------------------
# Tools
need() { # command, install hint
    command -v "$1" >/dev/null 2>&1 || die "'$1' not found: $2"
}
need nginx "apt-get install nginx"
need wrk "apt-get install wrk"
need taskset "apt-get install util-linux"
need python3 "apt-get install python3"
need awk "apt-get install mawk"
[[ -x /usr/bin/time ]] || die "/usr/bin/time (GNU time) not found: apt-get install time"

cargo_home=${CARGO_HOME:-$HOME/.cargo}
case ":$PATH:" in *":$cargo_home/bin:"*) ;; *) PATH="$PATH:$cargo_home/bin" ;; esac
if ! command -v oha >/dev/null 2>&1; then
    if [[ $NO_INSTALL == 1 ]]; then die "'oha' not found: cargo install oha --locked"; fi
    command -v cargo >/dev/null 2>&1 || die "'oha' not found and no cargo to build it: install Rust, then cargo install oha --locked"
    note "oha not found: cargo install oha --locked --root $cargo_home (takes several minutes)"
    cargo install oha --locked --root "$cargo_home" >&2 || die "cargo install oha failed"
    need oha "cargo install oha --locked"
fi

if [[ -z ${RIGOR:-} ]]; then
    for candidate in ${CARGO_TARGET_DIR:+"$CARGO_TARGET_DIR/release/rigor"} "$repo_root/target/release/rigor"; do
        if [[ -x $candidate ]]; then RIGOR=$candidate; break; fi
    done
fi
if [[ -z ${RIGOR:-} ]]; then RIGOR=$(command -v rigor || true); fi
[[ -n ${RIGOR:-} && -x $RIGOR ]] || die "no rigor binary: cargo build --release -p rigor (or set RIGOR=path)"

ncpu=$(nproc)
(( SERVER_CPU < ncpu && GEN_CPU < ncpu )) || die "need CPUs $SERVER_CPU and $GEN_CPU, this machine has $ncpu"
[[ $SERVER_CPU != "$GEN_CPU" ]] || note "warning: server and generator share CPU $GEN_CPU"

# oha's JSON flag changed name over its versions.
oha_help=$(oha --help 2>&1 || true)
if grep -q -- '--output-format' <<<"$oha_help"; then oha_json=(--output-format json); else oha_json=(--json); fi
# One runtime thread, like wrk -t1 and rigor --threads 1 (older oha read only TOKIO_WORKER_THREADS).
oha_threads=()
if grep -q -- '--worker-threads' <<<"$oha_help"; then oha_threads=(--worker-threads 1); fi

# JSON: jq when present, else python3.
if command -v jq >/dev/null 2>&1; then json_tool=jq; else json_tool=python3; fi
json_get() { # file, dotted path (.a.b) -> scalar or empty
    if [[ $json_tool == jq ]]; then
        jq -r "$2 | if . == null then empty else . end" "$1" 2>/dev/null || true
    else
        python3 - "$1" "$2" <<'PY' 2>/dev/null || true
import json, sys
v = json.load(open(sys.argv[1]))
for k in [k for k in sys.argv[2].split(".") if k]:
    v = v.get(k) if isinstance(v, dict) else None
    if v is None:
        break
if v is not None:
    print(json.dumps(v) if isinstance(v, (bool, dict, list)) else v)
PY
    fi
}
json_sum() { # file, dotted path to an object of numbers -> sum of its values (0 if absent)
    if [[ $json_tool == jq ]]; then
        jq -r "[($2 // {}) | .[]] | add // 0" "$1" 2>/dev/null || echo 0
    else
        python3 - "$1" "$2" <<'PY' 2>/dev/null || echo 0
import json, sys
v = json.load(open(sys.argv[1]))
for k in [k for k in sys.argv[2].split(".") if k]:
    v = v.get(k) if isinstance(v, dict) else None
    if v is None:
        break
print(sum(v.values()) if isinstance(v, dict) else 0)
PY
    fi
}
json_not_2xx_3xx() { # file, dotted path to {status: count} -> count of statuses outside 2xx/3xx
    if [[ $json_tool == jq ]]; then
        jq -r "[($2 // {}) | to_entries[] | select(.key | test(\"^[23]\") | not) | .value] | add // 0" "$1" 2>/dev/null || echo 0
    else
        python3 - "$1" "$2" <<'PY' 2>/dev/null || echo 0
import json, sys
v = json.load(open(sys.argv[1]))
for k in [k for k in sys.argv[2].split(".") if k]:
    v = v.get(k) if isinstance(v, dict) else None
    if v is None:
        break
print(sum(n for s, n in v.items() if not s.startswith(("2", "3"))) if isinstance(v, dict) else 0)
PY
    fi
}

# Arithmetic; any empty or non-numeric operand gives "n/a".
is_num() { [[ ${1:-} =~ ^[-+]?[0-9]+([.][0-9]+)?([eE][-+]?[0-9]+)?$ ]]; }
is_zero() { awk -v x="$1" 'BEGIN { exit !(x + 0 == 0) }'; }
calc() { # format, awk expression over a b c, a, b, c
    local fmt=$1 expr=$2; shift 2
    local x
    for x in "$@"; do is_num "$x" || { echo "n/a"; return; }; done
    # A zero divisor gives n/a (the expressions divide by b or c only).
    if [[ $expr == *"/ b"* ]] && is_zero "${2:-0}"; then echo "n/a"; return; fi
    if [[ $expr == *"/ c"* ]] && is_zero "${3:-0}"; then echo "n/a"; return; fi
    awk -v a="${1:-0}" -v b="${2:-0}" -v c="${3:-0}" "BEGIN { v = ($expr); printf \"$fmt\", v }"
}
median() { # numbers... -> median, n/a if none
    local nums=() x
    for x in "$@"; do is_num "$x" && nums+=("$x"); done
    (( ${#nums[@]} )) || { echo "n/a"; return; }
    printf '%s\n' "${nums[@]}" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.6g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
verdict() { # awk condition over a b, a, b -> PASS / MISS / n/a
    local cond=$1 a=${2:-} b=${3:-0}
    if ! is_num "$a" || ! is_num "$b"; then echo "n/a"; return; fi
    awk -v a="$a" -v b="$b" "BEGIN { if ($cond) print \"PASS\"; else print \"MISS\" }"
}

# ---------------------------------------------------------------------------------------------
# Temp dir, nginx, cleanup
work=$(mktemp -d "${TMPDIR:-/tmp}/load-vs-peers.XXXXXX")
nginx_pid=""
cleanup() {
    local rc=$?
    if [[ -n $nginx_pid ]] && kill -0 "$nginx_pid" 2>/dev/null; then
        kill -TERM "$nginx_pid" 2>/dev/null || true
        for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$nginx_pid" 2>/dev/null || break; sleep 0.2; done
        kill -KILL "$nginx_pid" 2>/dev/null || true
        wait "$nginx_pid" 2>/dev/null || true
    fi
    if [[ $KEEP_TMP == 1 ]]; then note "raw outputs kept in $work"; else rm -rf "$work"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$work/nginx/www" "$work/nginx/tmp" "$work/out"
# A small static file: 128 bytes of body.
python3 -c 'print("rigor load-vs-peers benchmark payload " + "x" * 88)' >"$work/nginx/www/index.html"
user_line=""
if [[ $(id -u) == 0 ]]; then user_line="user $(id -un) $(id -gn);"; fi
cpu_mask=$(python3 -c "print(format(1 << $SERVER_CPU, 'b'))")
cat >"$work/nginx/nginx.conf" <<EOF
$user_line
daemon off;
worker_processes 1;
worker_cpu_affinity $cpu_mask;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events {
    worker_connections 4096;
}
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 300s;
    keepalive_requests 1000000;
    default_type text/html;
    client_body_temp_path $work/nginx/tmp/client_body;
    proxy_temp_path $work/nginx/tmp/proxy;
    fastcgi_temp_path $work/nginx/tmp/fastcgi;
    uwsgi_temp_path $work/nginx/tmp/uwsgi;
    scgi_temp_path $work/nginx/tmp/scgi;
    server {
        listen 127.0.0.1:$port;
        root $work/nginx/www;
        location / { }
    }
}
EOF
taskset -c "$SERVER_CPU" nginx -p "$work/nginx" -e "$work/nginx/error.log" -c "$work/nginx/nginx.conf" \
    >"$work/nginx/stdout.log" 2>&1 &
nginx_pid=$!
url="http://127.0.0.1:$port/index.html"

ready=0
for _ in $(seq 1 50); do
    kill -0 "$nginx_pid" 2>/dev/null || { cat "$work/nginx/error.log" "$work/nginx/stdout.log" >&2 2>/dev/null; die "nginx exited at start"; }
    if python3 -c "import urllib.request, sys; urllib.request.urlopen(sys.argv[1], timeout=1).read()" "$url" 2>/dev/null; then
        ready=1; break
    fi
    sleep 0.1
done
[[ $ready == 1 ]] || die "nginx did not answer on $url within 5 s"
# Where nginx's processes may run, as the kernel sees it (master and worker).
nginx_workers=$(cat "/proc/$nginx_pid/task/$nginx_pid/children" 2>/dev/null || true)
nginx_affinity=""
for p in "$nginx_pid" $nginx_workers; do
    nginx_affinity+="${nginx_affinity:+, }pid $p on CPU $(taskset -pc "$p" 2>/dev/null | awk -F': ' '{ print $2 }')"
done

# The server's CPU time so far (user + system, seconds), to see whether nginx is the bottleneck.
clk_tck=$(getconf CLK_TCK 2>/dev/null || echo 100)
server_cpu_s() {
    local ticks=0 p
    for p in $nginx_workers; do
        ticks=$(( ticks + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0) ))
    done
    awk -v t="$ticks" -v hz="$clk_tck" 'BEGIN { printf "%.2f", t / hz }'
}

# ---------------------------------------------------------------------------------------------
# Running one generator: /usr/bin/time around taskset around the tool.
# Leaves $work/out/TAG.{out,err,time}; sets run_rc, run_user, run_sys, run_rss_kib, run_wall,
# run_sleeps (the generator's voluntary context switches: how often it waited for the server) and
# run_server_s (nginx's CPU seconds during the run).
timed() { # tag, command...
    local tag=$1; shift
    local server_before
    server_before=$(server_cpu_s)
    run_rc=0
    /usr/bin/time -f '%U %S %M %e %w' -o "$work/out/$tag.time" taskset -c "$GEN_CPU" "$@" \
        >"$work/out/$tag.out" 2>"$work/out/$tag.err" || run_rc=$?
    # GNU time writes "Command exited with non-zero status N" first when the tool fails.
    read -r run_user run_sys run_rss_kib run_wall run_sleeps < <(tail -n 1 "$work/out/$tag.time")
    run_server_s=$(calc '%.2f' 'a - b' "$(server_cpu_s)" "$server_before")
}

declare -A rps cpu_us rss_mib requests errors extra gen_util server_us sleeps
tags=()

run_wrk() { # tag
    local tag=$1
    timed "$tag" wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency "$url"
    local f="$work/out/$tag.out"
    [[ $run_rc == 0 ]] || note "wrk exited $run_rc: $(head -c 400 "$work/out/$tag.err")"
    rps[$tag]=$(awk '/^Requests\/sec:/ { print $2 }' "$f")
    requests[$tag]=$(awk '/requests in/ { print $1; exit }' "$f")
    local sock non2xx
    sock=$(awk '/Socket errors:/ { gsub(",", ""); print $4 + $6 + $8 + $10 }' "$f")
    non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $5 }' "$f")
    errors[$tag]=$(( ${sock:-0} + ${non2xx:-0} ))
    extra[$tag]="exit $run_rc; p99 $(awk '/^ +99%/ { print $2 }' "$f")"
}

run_oha() { # tag
    local tag=$1
    timed "$tag" env TOKIO_WORKER_THREADS=1 oha "${oha_threads[@]}" -c "$CONNECTIONS" -z "${DURATION}s" \
        --no-tui "${oha_json[@]}" "$url"
    local f="$work/out/$tag.out"
    [[ $run_rc == 0 ]] || note "oha exited $run_rc: $(head -c 400 "$work/out/$tag.err")"
    rps[$tag]=$(json_get "$f" .summary.requestsPerSec)
    # Completed responses; requests cut off at the deadline are in errorDistribution.
    requests[$tag]=$(json_sum "$f" .statusCodeDistribution)
    local errs
    errs=$(json_sum "$f" .errorDistribution)
    errors[$tag]=$(json_not_2xx_3xx "$f" .statusCodeDistribution)
    local p99
    p99=$(json_get "$f" '.latencyPercentiles.p99')
    extra[$tag]="exit $run_rc; p99 $(calc '%.3fms' 'a * 1000' "$p99"); cut off at deadline/other errors: $errs"
}

run_rigor() { # tag, duration seconds
    local tag=$1 dur=$2
    timed "$tag" "$RIGOR" load "$url" --concurrency "$CONNECTIONS" --duration "${dur}s" \
        --threads 1 --json --quiet --store "$work/rigor.db" --name "$tag"
    local f="$work/out/$tag.out"
    [[ $run_rc == 0 ]] || note "rigor exited $run_rc: $(head -c 400 "$work/out/$tag.err")"
    rps[$tag]=$(json_get "$f" .total.throughput_per_s)
    requests[$tag]=$(json_get "$f" .total.requests)
    errors[$tag]=$(json_get "$f" .total.errors)
    local status p99 self_cpu self_rss
    status=$(json_get "$f" .status)
    p99=$(json_get "$f" .total.latency.p99_ns)
    self_cpu=$(json_get "$f" .generator.cpu_ns)
    self_rss=$(json_get "$f" .generator.peak_rss_bytes)
    extra[$tag]="exit $run_rc; status ${status:-?}; p99 $(calc '%.3fms' 'a / 1e6' "$p99"); self-reported CPU $(calc '%.2fs' 'a / 1e9' "$self_cpu"), peak RSS $(calc '%.1fMiB' 'a / 1048576' "$self_rss")"
}

finish_row() { # tag: derive CPU per request and RSS from the /usr/bin/time figures
    local tag=$1
    cpu_us[$tag]=$(calc '%.2f' '(a + b) * 1e6 / c' "$run_user" "$run_sys" "${requests[$tag]:-}")
    rss_mib[$tag]=$(calc '%.1f' 'a / 1024' "$run_rss_kib")
    gen_util[$tag]=$(calc '%.0f' '(a + b) * 100 / c' "$run_user" "$run_sys" "$run_wall")
    server_us[$tag]=$(calc '%.2f' 'a * 1e6 / b' "$run_server_s" "${requests[$tag]:-}")
    sleeps[$tag]=$(calc '%.0f' 'a * 1000 / b' "$run_sleeps" "${requests[$tag]:-}")
    extra[$tag]="${extra[$tag]}; user ${run_user}s sys ${run_sys}s wall ${run_wall}s"
    tags+=("$tag")
}

# ---------------------------------------------------------------------------------------------
echo "# rigor load vs wrk vs oha"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "- machine: $(nproc) CPUs, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), kernel $(uname -r)"
echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- nginx $(nginx -v 2>&1 | sed 's/^nginx version: nginx\///'), one worker on CPU $SERVER_CPU ($nginx_affinity); generators on CPU $GEN_CPU (taskset), one thread each"
echo "- $(wrk -v 2>&1 | head -n 1 | awk '{ print $1, $2 }'); $(oha --version 2>&1 | head -n 1); $("$RIGOR" --version 2>&1 | head -n 1) ($RIGOR)"
echo "- target: $url (128-byte static file, keep-alive); closed model, $CONNECTIONS connections, ${DURATION} s per run, $ROUNDS round(s)"
echo

# Each round starts with the next tool, so no tool always runs first (on a fresh nginx) or last.
tools=(wrk oha rigor)
for round in $(seq 1 "$ROUNDS"); do
    for i in 0 1 2; do
        tool=${tools[$(( (round - 1 + i) % 3 ))]}
        note "round $round/$ROUNDS: $tool ${DURATION}s"
        case $tool in
            wrk) run_wrk "wrk.$round" ;;
            oha) run_oha "oha.$round" ;;
            rigor) run_rigor "rigor.$round" "$DURATION" ;;
        esac
        finish_row "$tool.$round"
    done
done

long_tag=""
if [[ $SKIP_LONG != 1 ]]; then
    note "rigor ${LONG_DURATION}s (memory over a longer run)"
    long_tag="rigor-long"
    run_rigor "$long_tag" "$LONG_DURATION"; finish_row "$long_tag"
fi

echo "## Closed model: $CONNECTIONS connections, ${DURATION} s"
echo
echo "| run | req/s | CPU µs/request | peak RSS MiB | requests | errors | generator CPU % | generator sleeps per 1000 requests | nginx CPU µs/request | notes |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
for tag in "${tags[@]}"; do
    label=$tag
    [[ $tag == "$long_tag" ]] && label="rigor (${LONG_DURATION} s)"
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$label" "$(calc '%.0f' a "${rps[$tag]:-}")" \
        "${cpu_us[$tag]}" "${rss_mib[$tag]}" "${requests[$tag]:-n/a}" "${errors[$tag]:-n/a}" \
        "${gen_util[$tag]}" "${sleeps[$tag]}" "${server_us[$tag]}" "${extra[$tag]}"
done
echo
echo "(generator CPU %: (user + sys) / wall of the generator on its one core; near 100 the generator is"
echo "the bottleneck, well below it the server or other work on the machine is. Generator sleeps: its"
echo "voluntary context switches, each a wait for the server and a wake-up that nginx's core pays for."
echo "nginx CPU µs/request: the nginx worker's CPU time during the run over the requests completed.)"
echo

med() { # tool, array name -> median over rounds
    local tool=$1 vals=() r
    local -n arr=$2
    for r in $(seq 1 "$ROUNDS"); do vals+=("${arr[$tool.$r]:-}"); done
    median "${vals[@]}"
}
w_rps=$(med wrk rps); o_rps=$(med oha rps); r_rps=$(med rigor rps)
w_cpu=$(med wrk cpu_us); o_cpu=$(med oha cpu_us); r_cpu=$(med rigor cpu_us)
w_rss=$(med wrk rss_mib); o_rss=$(med oha rss_mib); r_rss=$(med rigor rss_mib)

if (( ROUNDS > 1 )); then
    echo "Medians over $ROUNDS rounds:"
    echo
    echo "| tool | req/s | CPU µs/request | peak RSS MiB |"
    echo "|---|---:|---:|---:|"
    echo "| wrk | $(calc '%.0f' a "$w_rps") | $w_cpu | $w_rss |"
    echo "| oha | $(calc '%.0f' a "$o_rps") | $o_cpu | $o_rss |"
    echo "| rigor | $(calc '%.0f' a "$r_rps") | $r_cpu | $r_rss |"
    echo
fi

tp_wrk=$(calc '%.3f' 'a / b' "$r_rps" "$w_rps")
tp_oha=$(calc '%.3f' 'a / b' "$r_rps" "$o_rps")
cpu_wrk=$(calc '%.3f' 'a / b' "$r_cpu" "$w_cpu")
cpu_oha=$(calc '%.3f' 'a / b' "$r_cpu" "$o_cpu")
echo "Ratios: throughput rigor/wrk $tp_wrk, rigor/oha $tp_oha; CPU per request rigor/wrk $cpu_wrk, rigor/oha $cpu_oha"
echo
if (( ROUNDS > 1 )); then
    # Paired by round: the three runs of a round share the machine's state of the moment.
    paired() { # peer -> "median (min … max), rigor ahead in K of N rounds"
        local peer=$1 r ratios=()
        for r in $(seq 1 "$ROUNDS"); do ratios+=("$(calc '%.4f' 'a / b' "${rps[rigor.$r]:-}" "${rps[$peer.$r]:-}")"); done
        printf '%s\n' "${ratios[@]}" | grep -E '^[0-9.]+$' | sort -g | awk '{ v[++n] = $1; if ($1 >= 1) k++ }
            END { if (!n) { print "n/a"; exit } m = n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
                  printf "median %.3f (%.3f … %.3f), rigor ahead in %d of %d rounds", m, v[1], v[n], k + 0, n }'
    }
    echo "Per-round throughput ratios: rigor/wrk $(paired wrk); rigor/oha $(paired oha)"
    echo
fi

# ---------------------------------------------------------------------------------------------
open_tag=""
if [[ $SKIP_OPEN != 1 ]]; then
    note "rigor open model ${OPEN_RATE}/s for ${OPEN_DURATION}s"
    open_tag="rigor-open"
    timed "$open_tag" "$RIGOR" load "$url" --rate "${OPEN_RATE}/s" --duration "${OPEN_DURATION}s" \
        --max-connections "$OPEN_MAX_CONNECTIONS" --threads 1 --json --quiet --store "$work/rigor.db" --name "$open_tag"
    f="$work/out/$open_tag.out"
    [[ $run_rc == 0 ]] || note "rigor (open model) exited $run_rc: $(head -c 400 "$work/out/$open_tag.err")"
    o_achieved=$(json_get "$f" .total.throughput_per_s)
    o_lag99=$(json_get "$f" .generator.schedule_lag.p99_ns)
    o_status=$(json_get "$f" .status)
    o_reason=$(json_get "$f" .status_reason)
    o_late=$(json_get "$f" .generator.late_arrivals)
    o_dropped=$(json_get "$f" .generator.dropped_arrivals)
    o_conns=$(json_get "$f" .generator.connections_opened)
    o_p99=$(json_get "$f" .total.latency.p99_ns)
    o_rawp99=$(json_get "$f" .total.raw_latency.p99_ns)
    o_requests=$(json_get "$f" .total.requests)
    o_errors=$(json_get "$f" .total.errors)
    o_cpu_us=$(calc '%.2f' '(a + b) * 1e6 / c' "$run_user" "$run_sys" "$o_requests")
    o_rss=$(calc '%.1f' 'a / 1024' "$run_rss_kib")
    echo "## Open model: rigor at ${OPEN_RATE} req/s for ${OPEN_DURATION} s (max ${OPEN_MAX_CONNECTIONS} connections)"
    echo
    echo "| target req/s | achieved req/s | p99 schedule lag | status | late | dropped | connections | p99 corrected / raw | errors | CPU µs/request | peak RSS MiB |"
    echo "|---:|---:|---:|---|---:|---:|---:|---|---:|---:|---:|"
    echo "| $OPEN_RATE | $(calc '%.1f' a "$o_achieved") | $(calc '%.3f ms' 'a / 1e6' "$o_lag99") | ${o_status:-?}${o_reason:+ ($o_reason)} | ${o_late:-n/a} | ${o_dropped:-n/a} | ${o_conns:-n/a} | $(calc '%.3f' 'a / 1e6' "$o_p99") / $(calc '%.3f ms' 'a / 1e6' "$o_rawp99") | ${o_errors:-n/a} | $o_cpu_us | $o_rss |"
    echo "(exit $run_rc; rigor user ${run_user}s sys ${run_sys}s wall ${run_wall}s; nginx CPU ${run_server_s}s)"
    echo
fi

# ---------------------------------------------------------------------------------------------
echo "## Goals"
echo
echo "| goal | measured | verdict |"
echo "|---|---|---|"
echo "| throughput ≥ 1.0× wrk | $tp_wrk× ($(calc '%.0f' a "$r_rps") vs $(calc '%.0f' a "$w_rps") req/s) | $(verdict 'a >= 1.0' "$tp_wrk") |"
echo "| throughput ≥ 1.0× oha | $tp_oha× ($(calc '%.0f' a "$r_rps") vs $(calc '%.0f' a "$o_rps") req/s) | $(verdict 'a >= 1.0' "$tp_oha") |"
echo "| CPU per request ≤ 1.1× wrk | $cpu_wrk× ($r_cpu vs $w_cpu µs) | $(verdict 'a <= 1.1' "$cpu_wrk") |"
echo "| peak RSS ≤ 32 MiB (${DURATION} s run) | $r_rss MiB | $(verdict 'a <= 32' "$r_rss") |"
if [[ -n $long_tag ]]; then
    l_rss=${rss_mib[$long_tag]}
    rss_change=$(calc '%+.1f' '(a / b - 1) * 100' "$l_rss" "$r_rss")
    echo "| peak RSS ≤ 32 MiB (${LONG_DURATION} s run) | $l_rss MiB | $(verdict 'a <= 32' "$l_rss") |"
    echo "| peak RSS ${LONG_DURATION} s vs ${DURATION} s within ±10 % | ${rss_change} % ($l_rss vs $r_rss MiB) | $(verdict 'a >= -10 && a <= 10' "$rss_change") |"
fi
if [[ -n $open_tag ]]; then
    achieved_pct=$(calc '%.2f' 'a * 100 / b' "$o_achieved" "$OPEN_RATE")
    echo "| open model achieves ≥ 99 % of ${OPEN_RATE} req/s | ${achieved_pct} % | $(verdict 'a >= 99' "$achieved_pct") |"
    echo "| open-model run valid (not invalid) | status ${o_status:-?}, p99 schedule lag $(calc '%.3f ms' 'a / 1e6' "$o_lag99") | $( [[ ${o_status:-} == invalid || -z ${o_status:-} ]] && echo MISS || echo PASS ) |"
fi
echo
echo "- load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
