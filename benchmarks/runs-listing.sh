#!/usr/bin/env bash
# `rigor runs` on a store of 10,000 runs: the list is read from columns, so it must not slow
# down with the number or size of the runs' summaries. Goal: < 200 ms.
#
# Builds a store with one real load run (the built-in target, 1 s) and one real benchmark
# (`true`, 10 runs), then copies their rows in SQL until the store holds RUNS (10,000) runs, half
# of each kind, with their full summaries. Times, each the median of ROUNDS (5) runs of the
# command: `rigor runs` (the newest 20) and `rigor runs --limit RUNS` (every run). Peak RSS of
# the whole list from GNU time (`%M`) when /usr/bin/time is there. Also the time of SQLite's
# `PRAGMA quick_check` on the same store: what a recording command spends checking the store for
# damage before it starts. Uses the release build (what users run) unless RIGOR=path is set.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
RUNS=${RUNS:-10000}
ROUNDS=${ROUNDS:-5}
# shellcheck source=common.sh
. "$here/common.sh"
target_pid=
cleanup() { if [ -n "$target_pid" ]; then kill "$target_pid" 2>/dev/null || true; fi; rm -rf "$work"; }
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$RIGOR" target --port "$port" >/dev/null 2>&1 &
target_pid=$!
ready=
for _ in $(seq 100); do
    if python3 -c "import socket; socket.create_connection(('127.0.0.1',$port),0.1)" 2>/dev/null; then
        ready=1
        break
    fi
    sleep 0.1
done
[ -n "$ready" ] || { echo "the built-in target did not start on port $port within 10 s" >&2; exit 3; }
echo "making the two real runs" >&2
"$RIGOR" load "http://127.0.0.1:$port/" --rate 200/s --duration 1s --quiet --store "$store" >/dev/null
"$RIGOR" bench --runs 10 --quiet --store "$store" -- true >/dev/null
kill "$target_pid"; target_pid=

echo "copying them to $RUNS runs" >&2
python3 - "$store" "$RUNS" <<'PY'
import sqlite3, sys
store, runs = sys.argv[1], int(sys.argv[2])
db = sqlite3.connect(store)
columns = [r[1] for r in db.execute("PRAGMA table_info(runs)") if r[1] != "id"]
cols = ", ".join(columns)
have = db.execute("SELECT count(*) FROM runs").fetchone()[0]
with db:
    for i in range(runs - have):
        source = 1 + i % 2
        db.execute(
            f"INSERT INTO runs ({cols}) SELECT {cols.replace('started_at_ns', 'started_at_ns + ?')} "
            "FROM runs WHERE id = ?",
            (i + 1, source),
        )
print(db.execute("SELECT count(*), sum(length(summary)) FROM runs").fetchone(), file=sys.stderr)
PY

median_ms() {
    local times=()
    for _ in $(seq "$ROUNDS"); do
        local start end
        start=$(date +%s%N)
        "$RIGOR" "$@" --store "$store" >/dev/null
        end=$(date +%s%N)
        times+=("$(( (end - start) / 1000 ))")
    done
    python3 -c 'import sys,statistics; print(f"{statistics.median(int(x) for x in sys.argv[1:]) / 1000:.1f}")' "${times[@]}"
}

newest=$(median_ms runs)
every=$(median_ms runs --limit "$RUNS")
rss="-"
if [ -x /usr/bin/time ]; then
    rss=$( { /usr/bin/time -f '%M' "$RIGOR" runs --limit "$RUNS" --store "$store" >/dev/null; } 2>&1 | tail -1 )
    rss="$(python3 -c "print(f'{$rss / 1024:.1f}')") MiB"
fi
check=$(python3 - "$store" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
start = time.perf_counter()
assert db.execute("PRAGMA quick_check(1)").fetchone()[0] == "ok"
print(f"{(time.perf_counter() - start) * 1000:.1f}")
PY
)
size=$(python3 -c "import os; print(f'{os.path.getsize(\"$store\") / 2**20:.1f}')")
verdict() { python3 -c "print('PASS' if $1 < 200 else 'MISS')"; }
echo "| command | store | median of $ROUNDS | goal |"
echo "|---|---|---:|---|"
echo "| \`rigor runs\` (newest 20) | $RUNS runs | $newest ms | < 200 ms $(verdict "$newest") |"
echo "| \`rigor runs --limit $RUNS\` (every run) | $RUNS runs | $every ms (peak RSS $rss) | < 200 ms $(verdict "$every") |"
echo
echo "store: $size MiB; \`PRAGMA quick_check\` (a recording command's damage check on open): $check ms"
