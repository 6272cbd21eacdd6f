# Sourced by the benchmark scripts: the rigor binary they measure, and a work directory that
# is removed on exit. Sets `root`, `RIGOR` (built with `cargo build --release -p rigor` unless
# the caller set it), `work` and `store` (a run store inside `work`).
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RIGOR=${RIGOR:-}
if [ -z "$RIGOR" ]; then
    (cd "$root" && cargo build --release -p rigor --quiet)
    RIGOR="${CARGO_TARGET_DIR:-$root/target}/release/rigor"
fi
work=$(mktemp -d)
store="$work/rigor.db"
