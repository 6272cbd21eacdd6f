//! The result of a command benchmark, as `rigor bench --export-json` writes it and the store
//! keeps it: every run as measured, the statistics drawn from them, the warnings, and how the
//! runs were taken (order, stop rule, shell correction, interruption).
//!
//! These types are a JSON contract: `snake_case` names, times in integer nanoseconds
//! (`*_ns`), sizes in bytes (`*_bytes`), and [`BENCH_SCHEMA_VERSION`] bumped on any
//! incompatible change. They live in the model rather than in `rigor-bench` so that reading a
//! stored benchmark (to compare or gate it) does not need the benchmark engine; `rigor-bench`
//! computes them and re-exports them at their old paths.

use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Version of the serialized [`BenchResult`].
pub const BENCH_SCHEMA_VERSION: u32 = 1;

/// A whole benchmark.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
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
    /// CPU cores that other processes on the machine kept busy on average during the run
    /// (the machine's busy cores less the run's own use), when `/proc/stat` could be read: a
    /// comparison of runs with very different figures here warns that the machine, not the
    /// code, may account for a change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_other_cpu_cores: Option<f64>,
}

/// One benchmarked command: its runs and what they show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CommandResult {
    pub name: String,
    /// The command line, parameters filled in.
    pub command: String,
    pub parameters: Vec<ParameterValue>,
    /// Every timed run in the order it ran (shell overhead already subtracted, if any).
    pub runs: Vec<TimedRun>,
    /// `None` without runs (interrupted before the first one finished).
    pub stats: Option<Summary>,
    /// Speed relative to the fastest command; `None` for a single command.
    pub relative: Option<Relative>,
    /// Indices into `runs` of the robust outliers (they are kept in every statistic).
    pub outliers: Vec<usize>,
    /// Deterministic costs of the command (`--measure instructions,cycles-estimate`), taken
    /// on runs of their own: `None` when none were asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counts: Option<Counts>,
}

/// A command's deterministic costs: instructions executed and an estimated cycle count, each
/// from the tool that counted it, run by run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Counts {
    /// Instructions executed by the command and every process it started, one per counted
    /// run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<CountSeries>,
    /// Cycles as a cache simulation estimates them: L1 hits + 5 × last-level hits + 35 ×
    /// memory accesses (the weights of iai and Callgrind's "estimated cycles").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cycles_estimate: Option<CountSeries>,
    /// The wall time of each counted run (the tool's slowdown included): what counting cost.
    #[serde(default)]
    pub wall_ns: Vec<u64>,
    /// Why a cost that was asked for is missing (no tool on this machine, a run that failed
    /// under it), and what would enable it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unavailable: Vec<String>,
}

/// One count over the counted runs, and where it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CountSeries {
    pub source: CountSource,
    /// The tool's settings that change the count (the simulated caches), as it was run.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub settings: String,
    /// One value per counted run, in the order they ran.
    pub values: Vec<u64>,
}

impl CountSeries {
    /// The median of the values (the mean of the middle two for an even count).
    pub fn median(&self) -> Option<f64> {
        let mut v: Vec<u64> = self.values.clone();
        v.sort_unstable();
        match v.len() {
            0 => None,
            n if n % 2 == 1 => Some(v[n / 2] as f64),
            n => Some((v[n / 2 - 1] as f64 + v[n / 2] as f64) / 2.0),
        }
    }

    /// A statistic of the values: `median`, `mean`, `min` or `max`.
    pub fn stat(&self, stat: &str) -> Option<f64> {
        let n = self.values.len();
        if n == 0 {
            return None;
        }
        match stat {
            "median" => self.median(),
            "mean" => Some(self.values.iter().map(|&v| v as f64).sum::<f64>() / n as f64),
            "min" => self.values.iter().min().map(|&v| v as f64),
            "max" => self.values.iter().max().map(|&v| v as f64),
            _ => None,
        }
    }

    /// The spread of the values: (max − min) / median, 0 for one value.
    pub fn spread(&self) -> Option<f64> {
        let median = self.median()?;
        let (min, max) = (self.stat("min")?, self.stat("max")?);
        (median > 0.0).then(|| (max - min) / median)
    }
}

/// The tool that counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CountSource {
    /// The CPU's own counters, read by `perf stat` (user-mode instructions).
    Perf,
    /// Valgrind's cachegrind: instructions as the simulated CPU executed them, and its cache
    /// simulation for the cycle estimate.
    Cachegrind,
}

impl CountSource {
    pub fn as_str(self) -> &'static str {
        match self {
            CountSource::Perf => "perf",
            CountSource::Cachegrind => "cachegrind",
        }
    }
}

/// A parameter and the value this command was run with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ParameterValue {
    pub name: String,
    pub value: String,
}

/// One timed run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TimedRun {
    /// The round it ran in, counting from 0; with interleaving, runs of different commands
    /// in the same round ran next to each other.
    pub round: u64,
    #[serde(flatten)]
    pub measurement: Measurement,
}

/// The shell's own start-up cost and what was done with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ShellOverhead {
    pub shell: String,
    pub runs: u64,
    #[schemars(with = "u64")]
    #[serde(with = "nanos", rename = "wall_mean_ns")]
    pub wall_mean: Duration,
    #[schemars(with = "u64")]
    #[serde(with = "nanos", rename = "wall_stddev_ns")]
    pub wall_stddev: Duration,
    #[schemars(with = "u64")]
    #[serde(with = "nanos", rename = "user_mean_ns")]
    pub user_mean: Duration,
    #[schemars(with = "u64")]
    #[serde(with = "nanos", rename = "system_mean_ns")]
    pub system_mean: Duration,
    /// Whether the means were subtracted from every run's wall, user and system time.
    pub subtracted: bool,
    /// Timed runs whose wall time came out below the overhead and were clamped to zero.
    pub clamped_runs: u64,
}

/// Something the user should know about the numbers. Warnings explain; they never change
/// or drop data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Warning {
    pub kind: WarningKind,
    /// The command it is about, as an index into [`BenchResult::commands`].
    pub command: Option<usize>,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
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
    /// An import with more runs than are kept: the statistics are over every run, and an
    /// evenly spaced subset is kept as runs.
    RunsThinned,
}

/// What one run of a command cost.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Measurement {
    /// From just before the spawn to the reap.
    #[schemars(with = "u64")]
    #[serde(with = "nanos", rename = "wall_ns")]
    pub wall: Duration,
    /// CPU time in user mode of the process and the descendants it waited for.
    #[schemars(with = "u64")]
    #[serde(with = "nanos", rename = "user_ns")]
    pub user: Duration,
    /// CPU time in the kernel on its behalf.
    #[schemars(with = "u64")]
    #[serde(with = "nanos", rename = "system_ns")]
    pub system: Duration,
    /// Peak resident set size in bytes (`ru_maxrss`). Linux counts the memory image the child
    /// had before `exec` too, so this is never below the resident size of the process that
    /// spawned it: rigor's own when rigor spawns the command itself, the small spawn helper's
    /// when that helper does. GNU time and hyperfine share such a floor.
    #[serde(rename = "peak_rss_bytes")]
    pub peak_rss: u64,
    /// The exit code; `None` when a signal ended the process.
    pub exit_code: Option<i32>,
    /// The signal that ended the process, if one did.
    pub signal: Option<i32>,
}

impl Measurement {
    /// A successful run (exit code 0) that took `wall`, with no CPU time or memory recorded.
    pub fn from_wall(wall: Duration) -> Measurement {
        Measurement {
            wall,
            exit_code: Some(0),
            ..Measurement::default()
        }
    }

    pub fn succeeded(&self) -> bool {
        self.exit_code == Some(0)
    }

    /// "exit code 2" or "signal 9", for messages.
    pub fn describe_exit(&self) -> String {
        describe_exit(self.exit_code, self.signal)
    }
}

/// "exit code 2" or "signal 9": how a process ended, for messages.
pub fn describe_exit(exit_code: Option<i32>, signal: Option<i32>) -> String {
    match (exit_code, signal) {
        (Some(code), _) => format!("exit code {code}"),
        (None, Some(signal)) => format!("signal {signal}"),
        (None, None) => "an unknown status".to_string(),
    }
}

/// Summary statistics of one command's timed runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Summary {
    pub count: u64,
    #[schemars(with = "u64")]
    #[serde(with = "nanos", rename = "mean_ns")]
    pub mean: Duration,
    /// Sample standard deviation (n − 1); `None` for a single run.
    #[schemars(with = "Option<u64>")]
    #[serde(with = "nanos::option", rename = "stddev_ns")]
    pub stddev: Option<Duration>,
    #[schemars(with = "u64")]
    #[serde(with = "nanos", rename = "median_ns")]
    pub median: Duration,
    pub median_ci: Option<MedianCi>,
    #[schemars(with = "u64")]
    #[serde(with = "nanos", rename = "min_ns")]
    pub min: Duration,
    #[schemars(with = "u64")]
    #[serde(with = "nanos", rename = "max_ns")]
    pub max: Duration,
    #[schemars(with = "u64")]
    #[serde(with = "nanos", rename = "user_mean_ns")]
    pub user_mean: Duration,
    #[schemars(with = "u64")]
    #[serde(with = "nanos", rename = "system_mean_ns")]
    pub system_mean: Duration,
    pub peak_rss_max_bytes: u64,
    pub peak_rss_median_bytes: u64,
}

/// A distribution-free confidence interval for the median: `[x(lower_rank), x(upper_rank)]`
/// of the sorted runs (ranks count from 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MedianCi {
    #[schemars(with = "u64")]
    #[serde(with = "nanos", rename = "lower_ns")]
    pub lower: Duration,
    #[schemars(with = "u64")]
    #[serde(with = "nanos", rename = "upper_ns")]
    pub upper: Duration,
    pub lower_rank: usize,
    pub upper_rank: usize,
    /// The coverage these ranks achieve (at least 0.95).
    pub confidence: f64,
}

/// A command's mean relative to the fastest command's mean.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Relative {
    /// `mean / fastest mean`: 1 for the fastest, 2.5 for a command taking 2.5 times as long.
    pub ratio: f64,
    /// Its standard deviation by error propagation; `None` for the fastest command itself
    /// and when either command has a single run.
    pub stddev: Option<f64>,
    /// Whether this is the fastest command, the reference of the others.
    pub fastest: bool,
}

/// How many timed runs each command gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum RunCount {
    /// Exactly this many.
    Fixed { runs: u64 },
    /// Until the command has at least `min_runs` runs *and* its runs add up to at least
    /// `min_time` of wall time (before any shell correction), or it reaches `max_runs`.
    Auto {
        min_runs: u64,
        #[schemars(with = "u64")]
        #[serde(with = "nanos", rename = "min_time_ns")]
        min_time: Duration,
        max_runs: Option<u64>,
    },
}

impl Default for RunCount {
    /// hyperfine's rule: at least 10 runs and at least 3 seconds.
    fn default() -> RunCount {
        RunCount::Auto {
            min_runs: 10,
            min_time: Duration::from_secs(3),
            max_runs: None,
        }
    }
}

/// The order of runs within each round.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Order {
    /// A B C, A B C, …: drift over time hits every command alike.
    #[default]
    Interleaved,
    /// Each round in a fresh random order drawn from this seed; the same seed gives the
    /// same order.
    Random { seed: u64 },
}

impl BenchResult {
    /// Whether a command's peak memory is at the floor of what can be measured: within 2 %
    /// of the resident size every spawned run starts at. Such a figure is a bound, not a
    /// measurement, and is neither compared nor judged.
    pub fn peak_rss_at_floor(&self, stats: &Summary) -> bool {
        self.peak_rss_floor_bytes
            .is_some_and(|floor| stats.peak_rss_max_bytes as f64 <= floor as f64 * 1.02)
    }

    /// The bound a peak at the floor is said as: the floor itself, or the measured peak if
    /// that is higher (a peak a little under the floor is no smaller figure, only the same
    /// unknown).
    pub fn peak_rss_bound(&self, stats: &Summary) -> u64 {
        stats
            .peak_rss_max_bytes
            .max(self.peak_rss_floor_bytes.unwrap_or(0))
    }

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
