//! The result of a benchmark: every run as measured, the statistics drawn from them, the
//! warnings, and how the runs were taken (order, shell correction, interruption).
//!
//! These types are the JSON contract of `rigor bench --export-json` and of the stored run:
//! `snake_case` names, times in integer nanoseconds (`*_ns`), sizes in bytes (`*_bytes`), and
//! [`BENCH_SCHEMA_VERSION`] bumped on any incompatible change.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::executor::Measurement;
use crate::spec::{Order, RunCount};
use crate::stats::{Relative, Summary};

/// Version of the serialized [`BenchResult`].
pub const BENCH_SCHEMA_VERSION: u32 = 1;

/// A whole benchmark.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchResult {
    pub schema_version: u32,
    /// `"rigor"`, or the tool the result was imported from (`"hyperfine"`).
    pub source: String,
    pub commands: Vec<CommandResult>,
    /// The command index of every timed run, in the order they ran.
    pub order: Vec<usize>,
    /// The same for the warm-up runs.
    pub warmup_order: Vec<usize>,
    /// How each round was ordered (`None` when imported from a tool that does not say).
    pub ordering: Option<Order>,
    /// Warm-up runs per command.
    pub warmup: u64,
    /// The stop rule for timed runs (`None` when imported).
    pub run_count: Option<RunCount>,
    pub ignore_failure: bool,
    /// The measured shell start-up cost, when commands ran through a shell.
    pub shell: Option<ShellOverhead>,
    pub warnings: Vec<Warning>,
    /// Stopped early (Ctrl-C): the runs finished before the stop are all kept.
    pub interrupted: bool,
    /// The peak resident size every run starts from: Linux counts a child's peak from its
    /// spawner's, so a command whose own peak is lower reports this floor (`None` when
    /// unknown, as for imports).
    #[serde(default)]
    pub peak_rss_floor_bytes: Option<u64>,
}

/// One benchmarked command: its runs and what they show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommandResult {
    pub name: String,
    /// The command line, parameters filled in.
    pub command: String,
    pub parameters: Vec<ParameterValue>,
    /// Every timed run in the order it ran (shell overhead already subtracted, if any).
    pub runs: Vec<RunRecord>,
    /// `None` without runs (interrupted before the first one finished).
    pub stats: Option<Summary>,
    /// Speed relative to the fastest command; `None` for a single command.
    pub relative: Option<Relative>,
    /// Indices into `runs` of the robust outliers (they are kept in every statistic).
    pub outliers: Vec<usize>,
}

/// A parameter and the value this command was run with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParameterValue {
    pub name: String,
    pub value: String,
}

/// One timed run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRecord {
    /// The round it ran in, counting from 0; with interleaving, runs of different commands
    /// in the same round ran next to each other.
    pub round: u64,
    #[serde(flatten)]
    pub measurement: Measurement,
}

/// The shell's own start-up cost and what was done with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShellOverhead {
    pub shell: String,
    pub runs: u64,
    #[serde(with = "nanos", rename = "wall_mean_ns")]
    pub wall_mean: Duration,
    #[serde(with = "nanos", rename = "wall_stddev_ns")]
    pub wall_stddev: Duration,
    #[serde(with = "nanos", rename = "user_mean_ns")]
    pub user_mean: Duration,
    #[serde(with = "nanos", rename = "system_mean_ns")]
    pub system_mean: Duration,
    /// Whether the means were subtracted from every run's wall, user and system time.
    pub subtracted: bool,
    /// Timed runs whose wall time came out below the overhead and were clamped to zero.
    pub clamped_runs: u64,
}

/// Something the user should know about the numbers. Warnings explain; they never change
/// or drop data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    pub kind: WarningKind,
    /// The command it is about, as an index into [`BenchResult::commands`].
    pub command: Option<usize>,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    /// Runs far from the median (modified z-score above 3.5).
    Outliers,
    /// The first timed run was a slow outlier: cold caches, most likely.
    SlowFirstRun,
    /// Shell syntax in a command that runs without a shell.
    ShellSyntax,
    /// Runs that came out faster than the shell's start-up cost and were clamped to zero.
    ShellOverheadClamped,
    /// Runs that failed but were kept because failures were ignored.
    FailuresIgnored,
    /// Too few runs for a standard deviation or a confidence interval.
    FewRuns,
    /// A cleanup hook failed after the measurements were taken.
    CleanupFailed,
}

impl BenchResult {
    /// The index of the command with the smallest mean wall time.
    pub fn fastest(&self) -> Option<usize> {
        self.commands
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.stats.as_ref().map(|s| (i, s.mean)))
            .min_by_key(|&(_, mean)| mean)
            .map(|(i, _)| i)
    }
}

impl CommandResult {
    /// Wall times of the runs, in nanoseconds, in run order.
    pub fn wall_nanos(&self) -> Vec<f64> {
        self.runs
            .iter()
            .map(|r| r.measurement.wall.as_nanos() as f64)
            .collect()
    }
}

/// (De)serialises a [`Duration`] as integer nanoseconds (saturating at `u64::MAX`).
pub mod nanos {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(u64::try_from(value.as_nanos()).unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        u64::deserialize(deserializer).map(Duration::from_nanos)
    }

    /// The same for `Option<Duration>`.
    pub mod option {
        use std::time::Duration;

        use serde::{Deserialize, Deserializer, Serializer};

        pub fn serialize<S: Serializer>(
            value: &Option<Duration>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            match value {
                Some(duration) => super::serialize(duration, serializer),
                None => serializer.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Option<Duration>, D::Error> {
            Ok(Option::<u64>::deserialize(deserializer)?.map(Duration::from_nanos))
        }
    }
}
