#!/usr/bin/env bash
# journey-cost.sh: what a journey costs the generator (issue 20). The same five requests
# to one nginx on loopback, sent two ways by rigor pinned to one core with one thread:
#
#   journey      a five-step [[scenario.step]] walk: the first step's JSON body is kept and
#                its token extracted (json:/token), the four others carry it in a header
#                (`Authorization: Bearer {token}`), rendered per walk, with the cookie jar on;
#   independent  the same five URLs as [[scenario.request]], the header written out, so each
#                request is sent from bytes rendered once before the run.
#
# Each is run ROUNDS times (3), interleaved, in the closed model (CONCURRENCY users, 16, for
# SECONDS, 10) and in the open model at RATE requests/s (10000/s: 2000 walks/s). Printed:
# requests/s, rigor's CPU µs per request (its own user+system time from the run's JSON over
# the requests it completed), and the ratios journey/independent, medians over the rounds.
#
# Needs nginx (apt-get install nginx). SERVER_CPU (0) and GEN_CPU (1) pin nginx and rigor.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ROUNDS=${ROUNDS:-3}
SECONDS_EACH=${SECONDS:-10}
CONCURRENCY=${CONCURRENCY:-16}
RATE=${RATE:-10000}
SERVER_CPU=${SERVER_CPU:-0}
GEN_CPU=${GEN_CPU:-1}
command -v nginx >/dev/null || { echo "journey-cost.sh: needs nginx (apt-get install nginx)" >&2; exit 3; }
# shellcheck source=common.sh
. "$here/common.sh"
nginx_pid=""
cleanup() {
    [[ -n $nginx_pid ]] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$work/nginx/www" "$work/nginx/tmp"
printf '{"token":"t1x00ff","user":"bench"}' >"$work/nginx/www/login.json"
for p in a b c d; do python3 -c 'print("rigor journey-cost payload " + "x" * 100)' >"$work/nginx/www/$p.html"; done
user_line=""
if [[ $(id -u) == 0 ]]; then user_line="user $(id -un) $(id -gn);"; fi
cat >"$work/nginx/nginx.conf" <<EOF
$user_line
daemon off;
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_timeout 300s;
    keepalive_requests 1000000;
    default_type text/html;
    types { application/json json; }
    client_body_temp_path $work/nginx/tmp/client_body;
    proxy_temp_path $work/nginx/tmp/proxy;
    fastcgi_temp_path $work/nginx/tmp/fastcgi;
    uwsgi_temp_path $work/nginx/tmp/uwsgi;
    scgi_temp_path $work/nginx/tmp/scgi;
    server { listen 127.0.0.1:$port; root $work/nginx/www; location / { } }
}
EOF
taskset -c "$SERVER_CPU" nginx -p "$work/nginx" -e "$work/nginx/error.log" -c "$work/nginx/nginx.conf" >/dev/null 2>&1 &
nginx_pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 50); do
    python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=1).read()" "$base/login.json" 2>/dev/null && break
    sleep 0.1
done

plan() { # plan KIND LOAD → a plan file for that kind at that load
    local kind=$1 load=$2 file="$work/$1-$RANDOM.toml"
    {
        echo "[[scenario]]"
        echo "name = \"$kind\""
        echo "phases = [{ kind = \"steady\", $load, for = \"${SECONDS_EACH}s\" }]"
        if [[ $kind == journey ]]; then
            echo "[[scenario.step]]"; echo "name = \"login\""; echo "url = \"$base/login.json\""
            echo 'extract = { token = "json:/token" }'
            for p in a b c d; do
                echo "[[scenario.step]]"; echo "name = \"$p\""; echo "url = \"$base/$p.html\""
                echo 'headers = { Authorization = "Bearer {token}" }'
            done
        else
            echo "[[scenario.request]]"; echo "name = \"login\""; echo "url = \"$base/login.json\""
            for p in a b c d; do
                echo "[[scenario.request]]"; echo "name = \"$p\""; echo "url = \"$base/$p.html\""
                echo 'headers = { Authorization = "Bearer t1x00ff" }'
            done
        fi
    } >"$file"
    echo "$file"
}

measure() { # measure KIND LOAD → "req/s cpu-µs-per-request"
    local file
    file=$(plan "$1" "$2")
    taskset -c "$GEN_CPU" "$RIGOR" run --plan "$file" --store "$store" --threads 1 --json --quiet --max-lag 1s \
        | python3 -c '
import json, sys
s = json.load(sys.stdin)["scenarios"][0]
t = s["total"]
assert t["errors"] == 0, t["errors_by_kind"]
cpu = s["generator"]["cpu_ns"] / 1e3 / t["requests"]
print("%.0f %.3f" % (t["throughput_per_s"], cpu))'
}

median() { python3 -c 'import statistics,sys; print(statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }

echo "rigor $("$RIGOR" --version | awk '{print $2}') · nginx on CPU $SERVER_CPU, rigor on CPU $GEN_CPU (--threads 1) · $ROUNDS rounds of ${SECONDS_EACH}s"
for model in "concurrency = $CONCURRENCY" "rate = \"${RATE}/s\""; do
    declare -A rps=() cpu=()
    for round in $(seq "$ROUNDS"); do
        for kind in independent journey; do
            if [[ $kind == journey && $model == rate* ]]; then
                load="rate = \"$((RATE / 5))/s\""
            else
                load=$model
            fi
            read -r r c < <(measure "$kind" "$load")
            rps[$kind]+=" $r"; cpu[$kind]+=" $c"
            echo "  round $round · $model · $kind: $r req/s, $c µs CPU/request"
        done
    done
    ri=$(median ${rps[independent]}); rj=$(median ${rps[journey]})
    ci=$(median ${cpu[independent]}); cj=$(median ${cpu[journey]})
    echo "$model: independent $ri req/s, $ci µs/request · journey $rj req/s, $cj µs/request"
    python3 -c "print(f'  journey/independent: throughput {$rj/$ri:.3f}, CPU per request {$cj/$ci:.3f}')"
    unset rps cpu
done
