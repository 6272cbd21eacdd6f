//! Importing hyperfine's `--export-json` files, so a team can bring its benchmark history.
//!
//! hyperfine writes `{"results": [{"command", "mean", "stddev", "median", "user", "system",
//! "min", "max", "times": […], "exit_codes": […], "parameters": {…}}]}` with times in
//! seconds, and `memory_usage_byte` per run in recent versions. Each run becomes a
//! [`TimedRun`] (wall time, exit code and peak memory when given; per-run CPU times are not
//! in the file and stay zero), the statistics are recomputed from the runs like rigor's own,
//! and the user and system means are taken from the file.
//!
//! Memory and the stored result stay bounded whatever the number of runs: the file is read as
//! a stream, each per-run array is folded as it is read (running mean and variance, extremes,
//! an HDR histogram for the medians) and at most [`MAX_KEPT_RUNS`] runs per command are kept
//! as runs. A command with more keeps an evenly spaced subset (every k-th run) for
//! comparisons; its statistics are still over every run, and a warning says so.
//!
//! Nothing is made up where the file has nothing: a result without any `times` is refused,
//! naming its command (its summary alone would be stored as runs that were never there).

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use rigor_model::hist::{self, Hist};
use serde::de::{Deserializer, SeqAccess, Visitor};
use serde::Deserialize;

use crate::analysis::{analyze, failures_warning, relate};
use crate::executor::Measurement;
use crate::result::{
    BenchResult, CommandResult, ParameterValue, TimedRun, Warning, WarningKind,
    BENCH_SCHEMA_VERSION,
};
use crate::stats::Summary;

/// The most runs of one command kept as runs (a longer export keeps every k-th, k a power of
/// two, so between half this and this many).
pub const MAX_KEPT_RUNS: usize = 10_000;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("not a hyperfine JSON export: {0}")]
    Json(#[from] serde_json::Error),
    #[error("the hyperfine export has no results")]
    Empty,
    #[error("hyperfine result `{command}`: {reason}")]
    Invalid { command: String, reason: String },
    #[error("hyperfine result `{command}` has no `times`: there is no run to import (its summary alone would be stored as runs that were never measured); export it again with a hyperfine that writes `times`, or leave it out")]
    NoTimes { command: String },
}

#[derive(Deserialize)]
struct Export {
    results: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    command: String,
    user: Option<f64>,
    system: Option<f64>,
    #[serde(default)]
    times: Folded<Wall>,
    exit_codes: Option<Folded<ExitCode>>,
    memory_usage_byte: Option<Folded<Memory>>,
    parameters: Option<BTreeMap<String, serde_json::Value>>,
}

/// Turns a hyperfine JSON export into a [`BenchResult`] with `source: "hyperfine"`.
pub fn import_hyperfine(json: &str) -> Result<BenchResult, ImportError> {
    import_hyperfine_from(json.as_bytes())
}

/// [`import_hyperfine`] reading the export as a stream: memory stays bounded however long
/// the file is.
pub fn import_hyperfine_from(reader: impl std::io::Read) -> Result<BenchResult, ImportError> {
    let export: Export = serde_json::from_reader(std::io::BufReader::new(reader))?;
    if export.results.is_empty() {
        return Err(ImportError::Empty);
    }
    let mut commands = Vec::new();
    let mut order = Vec::new();
    let mut full = Vec::new();
    let mut warnings = Vec::new();
    for (index, entry) in export.results.iter().enumerate() {
        check(entry)?;
        let runs = runs(entry);
        order.extend(std::iter::repeat_n(index, runs.len()));
        let thinned = entry.times.stride > 1;
        if thinned {
            warnings.push(thinned_warning(index, entry, runs.len()));
        }
        full.push(thinned.then(|| summary_of_every_run(entry)));
        commands.push(CommandResult {
            name: entry.command.clone(),
            command: entry.command.clone(),
            parameters: parameters(entry),
            runs,
            stats: None,
            relative: None,
            outliers: Vec::new(),
            counts: None,
        });
    }
    let mut result = BenchResult {
        schema_version: BENCH_SCHEMA_VERSION,
        source: "hyperfine".to_string(),
        commands,
        order,
        warmup_order: Vec::new(),
        ordering: None,
        warmup: 0,
        run_count: None,
        ignore_failure: false,
        shell: None,
        warnings: Vec::new(),
        interrupted: false,
        peak_rss_floor_bytes: None,
        host_other_cpu_cores: None,
    };
    analyze(&mut result);
    // A thinned command's failures are counted over every run, not the kept ones.
    for (index, entry) in export.results.iter().enumerate() {
        if entry.times.stride > 1 {
            result
                .warnings
                .retain(|w| !(w.kind == WarningKind::FailuresIgnored && w.command == Some(index)));
            let failed = entry.exit_codes.as_ref().map_or(0, |c| c.fold.failed);
            let runs = entry.times.seen;
            warnings.extend(failures_warning(index, &entry.command, failed, runs));
        }
    }
    result.warnings.extend(warnings);
    for ((command, entry), full) in result.commands.iter_mut().zip(&export.results).zip(full) {
        if let Some(full) = full {
            command.stats = Some(full);
        }
        if let Some(stats) = &mut command.stats {
            stats.user_mean = seconds(entry.user.unwrap_or(0.0));
            stats.system_mean = seconds(entry.system.unwrap_or(0.0));
        }
    }
    relate(&mut result);
    Ok(result)
}

/// Refuses a result without runs or with a time that is not one.
fn check(entry: &Entry) -> Result<(), ImportError> {
    if let Some(value) = entry.times.fold.invalid {
        return Err(ImportError::Invalid {
            command: entry.command.clone(),
            reason: format!("`times` has {value}, not a time in seconds"),
        });
    }
    if entry.times.seen == 0 {
        return Err(ImportError::NoTimes {
            command: entry.command.clone(),
        });
    }
    Ok(())
}

/// The kept runs, each with the exit code and peak memory of the same run in the file.
fn runs(entry: &Entry) -> Vec<TimedRun> {
    let stride = entry.times.stride;
    entry
        .times
        .kept
        .iter()
        .enumerate()
        .map(|(position, &time)| {
            let index = position as u64 * stride;
            let exit_code = match &entry.exit_codes {
                Some(codes) => codes.at(index).copied().flatten(),
                None => Some(0),
            };
            let peak_rss = entry
                .memory_usage_byte
                .as_ref()
                .and_then(|m| m.at(index).copied())
                .unwrap_or(0);
            TimedRun {
                round: index,
                measurement: Measurement {
                    wall: seconds(time),
                    peak_rss,
                    exit_code,
                    ..Measurement::default()
                },
            }
        })
        .collect()
}

/// The statistics of every run of a command whose runs were thinned: count, mean, standard
/// deviation and extremes exact; medians from the histogram (three significant digits); no
/// median interval (its ranks are over runs that were not kept).
fn summary_of_every_run(entry: &Entry) -> Summary {
    let wall = &entry.times.fold;
    let n = entry.times.seen;
    let memory = entry.memory_usage_byte.as_ref().map(|m| &m.fold);
    Summary {
        count: n,
        mean: seconds(wall.mean),
        stddev: (n > 1).then(|| seconds((wall.m2 / (n - 1) as f64).sqrt())),
        median: Duration::from_nanos(wall.hist.value_at_quantile(0.5)),
        median_ci: None,
        min: seconds(wall.min),
        max: seconds(wall.max),
        user_mean: Duration::ZERO,
        system_mean: Duration::ZERO,
        peak_rss_max_bytes: memory.map_or(0, |m| m.max),
        peak_rss_median_bytes: memory.map_or(0, |m| m.hist.value_at_quantile(0.5)),
    }
}

fn thinned_warning(index: usize, entry: &Entry, kept: usize) -> Warning {
    Warning {
        kind: WarningKind::RunsThinned,
        command: Some(index),
        message: format!(
            "`{}` has {} runs: its statistics are over all of them (medians to three \
             significant digits), and {kept} evenly spaced runs (every {}th) are kept for \
             comparisons",
            entry.command, entry.times.seen, entry.times.stride
        ),
    }
}

fn parameters(entry: &Entry) -> Vec<ParameterValue> {
    entry
        .parameters
        .iter()
        .flatten()
        .map(|(name, value)| ParameterValue {
            name: name.clone(),
            value: match value {
                serde_json::Value::String(text) => text.clone(),
                other => other.to_string(),
            },
        })
        .collect()
}

fn seconds(value: f64) -> Duration {
    Duration::from_nanos((value.max(0.0) * 1e9).round() as u64)
}

/// What is learnt of a per-run array while it is read, beyond the runs kept.
trait Fold: Default {
    type Item: for<'de> Deserialize<'de>;
    fn add(&mut self, item: &Self::Item);
}

/// A per-run array read as a stream: folded whole, thinned to at most [`MAX_KEPT_RUNS`]
/// items (those whose index is a multiple of `stride`).
struct Folded<F: Fold> {
    kept: Vec<F::Item>,
    stride: u64,
    seen: u64,
    fold: F,
}

impl<F: Fold> Default for Folded<F> {
    fn default() -> Self {
        Folded {
            kept: Vec::new(),
            stride: 1,
            seen: 0,
            fold: F::default(),
        }
    }
}

impl<F: Fold> Folded<F> {
    fn push(&mut self, item: F::Item) {
        self.fold.add(&item);
        if self.seen.is_multiple_of(self.stride) {
            self.kept.push(item);
            if self.kept.len() >= MAX_KEPT_RUNS {
                // Every other kept item goes: the rest are every (2 × stride)-th.
                let mut position = 0;
                self.kept.retain(|_| {
                    position += 1;
                    position % 2 == 1
                });
                self.stride *= 2;
            }
        }
        self.seen += 1;
    }

    /// The item at `index` in the file, if it was kept.
    fn at(&self, index: u64) -> Option<&F::Item> {
        if !index.is_multiple_of(self.stride) {
            return None;
        }
        self.kept.get(usize::try_from(index / self.stride).ok()?)
    }
}

impl<'de, F: Fold> Deserialize<'de> for Folded<F> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Each<F>(PhantomData<F>);
        impl<'de, F: Fold> Visitor<'de> for Each<F> {
            type Value = Folded<F>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array with one value per run")
            }
            /// `null` (what some exports write for a missing array) is no runs.
            fn visit_unit<E>(self) -> Result<Folded<F>, E> {
                Ok(Folded::default())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Folded<F>, A::Error> {
                let mut folded = Folded::default();
                while let Some(item) = seq.next_element()? {
                    folded.push(item);
                }
                Ok(folded)
            }
        }
        deserializer.deserialize_any(Each(PhantomData))
    }
}

/// Wall times in seconds: mean and variance (Welford), extremes, a histogram for the median,
/// and the first value that is not a time.
struct Wall {
    mean: f64,
    m2: f64,
    count: u64,
    min: f64,
    max: f64,
    hist: Hist,
    invalid: Option<f64>,
}

impl Default for Wall {
    fn default() -> Self {
        Wall {
            mean: 0.0,
            m2: 0.0,
            count: 0,
            min: f64::INFINITY,
            max: 0.0,
            hist: hist::new_hist(),
            invalid: None,
        }
    }
}

impl Fold for Wall {
    type Item = f64;
    fn add(&mut self, &time: &f64) {
        if !(time.is_finite() && time >= 0.0) {
            self.invalid.get_or_insert(time);
            return;
        }
        self.count += 1;
        let delta = time - self.mean;
        self.mean += delta / self.count as f64;
        self.m2 += delta * (time - self.mean);
        self.min = self.min.min(time);
        self.max = self.max.max(time);
        hist::record(&mut self.hist, seconds(time).as_nanos() as u64);
    }
}

/// Exit codes (`null` for a run ended by a signal): how many runs failed.
#[derive(Default)]
struct ExitCode {
    failed: u64,
}

impl Fold for ExitCode {
    type Item = Option<i32>;
    fn add(&mut self, code: &Option<i32>) {
        if *code != Some(0) {
            self.failed += 1;
        }
    }
}

/// Peak memory in bytes: the largest, and a histogram for the median.
struct Memory {
    max: u64,
    hist: Hist,
}

impl Default for Memory {
    fn default() -> Self {
        Memory {
            max: 0,
            hist: hist::new_hist(),
        }
    }
}

impl Fold for Memory {
    type Item = u64;
    fn add(&mut self, &bytes: &u64) {
        self.max = self.max.max(bytes);
        hist::record(&mut self.hist, bytes);
    }
}
