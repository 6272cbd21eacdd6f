#!/usr/bin/env bash
# `rigor import csv` of a long history: ROWS rows (default 10,000) of an Otava-style CSV (time,
# commit, branch, three metrics, with steps), imported into a fresh store; then the same file
# again (every row already stored: nothing new), then `rigor history` of the whole series.
# Prints wall times (median of ROUNDS, default 3), peak RSS of the import (GNU time `%M`) and
# the store's size. Goals: a 10,000-row import and its re-import each under 2 s, history
# under 1 s. Uses the release build unless RIGOR=path is set.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ROWS=${ROWS:-10000}
ROUNDS=${ROUNDS:-3}
[ -x /usr/bin/time ] || { echo "GNU time is missing: apt-get install time" >&2; exit 2; }
# shellcheck source=common.sh
. "$here/common.sh"
trap 'rm -rf "$work"' EXIT
csv="$work/history.csv"
python3 - "$csv" "$ROWS" <<'EOF'
import random, sys, datetime
path, rows = sys.argv[1], int(sys.argv[2])
rng = random.Random(42)
start = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
with open(path, "w") as f:
    f.write("time,commit,branch,p95,throughput,errors\n")
    for i in range(rows):
        level = 1.0 + 0.1 * ((i // 1000) % 3)
        t = (start + datetime.timedelta(hours=i)).strftime("%Y-%m-%d %H:%M:%S +0000")
        f.write(f"{t},c{i:06d},main,{10 * level * rng.gauss(1, 0.02):.4f},"
                f"{1000 / level * rng.gauss(1, 0.02):.2f},{rng.random() * 0.01:.5f}\n")
EOF
median() { python3 -c 'import sys,statistics; print(statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }
imports=() rsss=() again=() histories=()
seconds() { python3 -c "print(($2 - $1) / 1e9)"; }
for round in $(seq "$ROUNDS"); do
    store="$work/store-$round.db"
    /usr/bin/time -f '%e %M' -o "$work/time" "$RIGOR" import csv "$csv" --scenario api \
        --unit p95=ms --store "$store" >/dev/null 2>&1
    line=$(tail -1 "$work/time")
    imports+=("${line% *}") rsss+=("${line#* }")
    s=$(date +%s%N)
    out=$("$RIGOR" import csv "$csv" --scenario api --unit p95=ms --store "$store" 2>/dev/null)
    again+=("$(seconds "$s" "$(date +%s%N)")")
    case $out in *"nothing new"*) ;; *) echo "the re-import stored rows again: $out" >&2; exit 1 ;; esac
    s=$(date +%s%N)
    steps=$("$RIGOR" history p95 --scenario api --store "$store" --json --min-magnitude 5% \
        | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["series"][0]["change_points"]))')
    histories+=("$(seconds "$s" "$(date +%s%N)")")
done
store_mib=$(python3 -c "import os; print(f'{os.path.getsize(\"$work/store-1.db\") / 2**20:.1f}')")
echo "rows: $ROWS; import: $(median "${imports[@]}") s; peak RSS: $(python3 -c "print(f'{$(median "${rsss[@]}") / 1024:.1f}')") MiB;" \
     "re-import (nothing new): $(median "${again[@]}") s; history p95: $(median "${histories[@]}") s," \
     "$steps change points ($(( (ROWS - 1) / 1000 )) steps made, one every 1,000 rows); store: $store_mib MiB"
