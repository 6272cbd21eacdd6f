#!/usr/bin/env bash
# `rigor import hyperfine` of a 1,000,000-run export: wall time and peak RSS of the import,
# the size it leaves in the store, and how long `rigor show` and `rigor runs` of it take after.
# Goals: import < 2 s and < 100 MiB peak RSS, whatever the number of runs.
#
# The export comes from hyperfine-export.py (SAMPLES runs, default 1,000,000; seeded, so every
# run of the script imports the same file). Wall time is the median of ROUNDS (3) imports into a
# fresh store each; peak RSS from GNU time (`%M`, needed: apt-get install time). Uses the
# release build (what users run) unless RIGOR=path is set.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
SAMPLES=${SAMPLES:-1000000}
ROUNDS=${ROUNDS:-3}
[ -x /usr/bin/time ] || { echo "GNU time is missing: apt-get install time" >&2; exit 2; }
# shellcheck source=common.sh
. "$here/common.sh"
trap 'rm -rf "$work"' EXIT
export_file="$work/hyperfine.json"
echo "writing a $SAMPLES-run export" >&2
python3 "$here/hyperfine-export.py" "$export_file" "$SAMPLES"
size_mib=$(python3 -c "import os; print(f'{os.path.getsize(\"$export_file\") / 2**20:.1f}')")

walls=() rsss=()
for round in $(seq "$ROUNDS"); do
    store="$work/store-$round.db"
    line=$( { /usr/bin/time -f '%e %M' "$RIGOR" import hyperfine "$export_file" --store "$store" >/dev/null; } 2>&1 | tail -1 )
    walls+=("${line% *}")
    rsss+=("${line#* }")
done
median() { python3 -c 'import sys,statistics; print(statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }
wall=$(median "${walls[@]}")
rss_mib=$(python3 -c "print(f'{$(median "${rsss[@]}") / 1024:.1f}')")
store="$work/store-1.db"
store_mib=$(python3 -c "import os; print(f'{os.path.getsize(\"$store\") / 2**20:.2f}')")
row_kib=$(python3 -c "import sqlite3; print(f'{sqlite3.connect(\"$store\").execute(\"SELECT length(summary) FROM runs\").fetchone()[0] / 1024:.0f}')")
time_ms() { local s e; s=$(date +%s%N); "$RIGOR" "$@" --store "$store" >/dev/null; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
show_ms=$(time_ms show 1)
runs_ms=$(time_ms runs)
verdict() { python3 -c "print('PASS' if $1 < $2 else 'MISS')"; }
echo "| figure | value | goal |"
echo "|---|---:|---|"
echo "| export | $SAMPLES runs, $size_mib MiB | |"
echo "| import wall time (median of $ROUNDS) | ${wall} s | < 2 s $(verdict "$wall" 2) |"
echo "| import peak RSS (median of $ROUNDS) | ${rss_mib} MiB | < 100 MiB $(verdict "$rss_mib" 100) |"
echo "| store after the import | ${store_mib} MiB (summary row ${row_kib} KiB) | |"
echo "| \`rigor show 1\` / \`rigor runs\` after | ${show_ms} ms / ${runs_ms} ms | |"
