#!/usr/bin/env bash
# `rigor report` of a one-hour load run with per-second windows: goal, every format made in
# under 1 s, and the self-contained HTML under 2 MiB.
#
# Records one real 20 s run (a plan that starts the built-in target, so the target's CPU, RSS,
# threads and descriptors are sampled each second, at RATE, 1000/s by default, over two
# request routes), then stretches it into a 3600 s run in the same store with the
# `stretch_run` example of rigor-store (its windows and samples repeated in order: each second
# is a real second). Times, with `rigor bench` (ROUNDS runs, 10 by default, 1 warm-up):
# `rigor report ID -f html` and `rigor report ID -f md,html,csv,series,json -o DIR`; then,
# once, the HTML of a comparison of two such hour-long runs (2,000 bootstrap resamples of the
# one-second windows for each latency metric) with its wall time and peak RSS; prints the size
# of every file. Uses the release build unless RIGOR=path is set.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
RATE=${RATE:-1000/s}
ROUNDS=${ROUNDS:-10}
SECONDS_LONG=${SECONDS_LONG:-3600}
# shellcheck source=common.sh
. "$here/common.sh"
trap 'rm -rf "$work"' EXIT
(cd "$root" && cargo build --release -p rigor-store --example stretch_run --quiet)
stretch="${CARGO_TARGET_DIR:-$root/target}/release/examples/stretch_run"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/rigor.toml" <<PLAN
store = "rigor.db"

[target]
command = "$RIGOR target --port $port --threads 1 --route '/api: latency=lognormal(2ms,20ms), cpu=100us, errors=0.2%@503' --route '/slow: latency=20ms'"
ready = "http://127.0.0.1:$port/health"

[[scenario]]
name = "hour"
phases = [
  { name = "warm", kind = "ramp", to = "$RATE", over = "5s" },
  { name = "steady", kind = "steady", rate = "$RATE", for = "15s" },
]
thresholds = ["latency.p99 < 500ms", "error_rate < 5%"]
[[scenario.request]]
name = "api"
url = "http://127.0.0.1:$port/api"
[[scenario.request]]
name = "slow"
url = "http://127.0.0.1:$port/slow"
PLAN
echo "recording a 20 s run at $RATE" >&2
(cd "$work" && "$RIGOR" run --quiet >/dev/null)
long=$("$stretch" "$work/rigor.db" 1 "$SECONDS_LONG")
other=$("$stretch" "$work/rigor.db" 1 "$SECONDS_LONG")
echo "stretched run 1 into runs $long and $other of $SECONDS_LONG s" >&2

cd "$work"
"$RIGOR" bench --quiet --store "$work/bench.db" --runs "$ROUNDS" --warmup 1 \
    -c "$RIGOR report $long --store $work/rigor.db -f html -o $work/one.html" \
    -c "$RIGOR report $long --store $work/rigor.db -f md,html,csv,series,json -o $work/all" \
    >/dev/null
"$RIGOR" show latest --store "$work/bench.db"
echo
echo "a comparison of the two hour-long runs, once (GNU time):"
/usr/bin/time -f '  %e s wall, %U s user, %M KiB peak RSS' \
    "$RIGOR" report --compare "$long" "$other" --store "$work/rigor.db" -f html -o "$work/compare.html"
echo
echo "files of run $long ($SECONDS_LONG s):"
for f in "$work"/all/*; do
    printf '  %-24s %10d bytes (%.2f MiB)\n' "$(basename "$f")" "$(stat -c %s "$f")" \
        "$(echo "$(stat -c %s "$f") / 1048576" | bc -l)"
done
printf '  %-24s %10d bytes\n' "compare.html" "$(stat -c %s "$work/compare.html")"
html=$(stat -c %s "$work/one.html")
echo "HTML: $html bytes; goal < 2 MiB (2097152): $([ "$html" -lt 2097152 ] && echo PASS || echo MISS)"
