//! `[[bench]]` entries: commands benchmarked hyperfine-style by `rigor run`.

use serde::{Deserialize, Serialize};

use crate::units::HumanDuration;

/// A `[[bench]]` entry: commands benchmarked hyperfine-style (several are interleaved).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BenchEntry {
    pub name: String,
    /// The command line (no shell unless `shell` is set).
    pub command: Option<String>,
    /// Several commands, run interleaved (A B A B …) and compared.
    #[serde(default)]
    pub commands: Vec<String>,
    /// Untimed runs of each command first.
    pub warmup: Option<u64>,
    /// Exactly this many timed runs (otherwise at least `min_runs` and `min_time`).
    pub runs: Option<u64>,
    pub min_runs: Option<u64>,
    pub min_time: Option<HumanDuration>,
    pub max_runs: Option<u64>,
    /// Once per command before its runs; before and after each run; once after.
    pub setup: Option<String>,
    pub prepare: Option<String>,
    pub conclude: Option<String>,
    pub cleanup: Option<String>,
    /// Run through a shell: `true` for `sh`, or the shell to use (its start-up is subtracted).
    pub shell: Option<ShellChoice>,
    /// `discard` (default), `pipe`, `inherit`, or a file path for the output.
    pub output: Option<String>,
    #[serde(default)]
    pub ignore_failure: bool,
    /// `interleaved` (default) or `random` (each round shuffled; see `seed`).
    pub order: Option<String>,
    pub seed: Option<u64>,
    /// A parameter scan: `{ name = "threads", from = "1", to = "8", step = "1" }`.
    pub scan: Option<ScanSpec>,
    /// A parameter list: `{ name = "size", values = ["small", "large"] }`.
    pub list: Option<ListSpec>,
    /// What each command's cost is measured in besides its time: `wall` (always),
    /// `instructions` and `cycles-estimate` (deterministic counts from perf or Valgrind, on
    /// runs of their own).
    #[serde(default)]
    pub measure: Vec<String>,
    /// How many counted runs each command gets when `measure` asks for counts [default: 3].
    pub count_runs: Option<u64>,
}

/// The measures a `[[bench]]` may ask for.
pub const MEASURES: [&str; 3] = ["wall", "instructions", "cycles-estimate"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ShellChoice {
    Enabled(bool),
    Program(String),
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanSpec {
    pub name: String,
    pub from: String,
    pub to: String,
    pub step: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListSpec {
    pub name: String,
    pub values: Vec<String>,
}
