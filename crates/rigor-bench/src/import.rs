//! Importing hyperfine's `--export-json` files, so a team can bring its benchmark history.
//!
//! hyperfine writes `{"results": [{"command", "mean", "stddev", "median", "user", "system",
//! "min", "max", "times": […], "exit_codes": […], "parameters": {…}}]}` with times in
//! seconds, and `memory_usage_byte` per run in recent versions. Each run becomes a
//! [`TimedRun`] (wall time, exit code and peak memory when given; per-run CPU times are not
//! in the file and stay zero), the statistics are recomputed from the runs like rigor's own,
//! and the user and system means are taken from the file. A result without `times` keeps
//! the file's summary figures.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use crate::analysis::{analyze, relate};
use crate::executor::Measurement;
use crate::result::{BenchResult, CommandResult, ParameterValue, TimedRun, BENCH_SCHEMA_VERSION};
use crate::stats::Summary;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("not a hyperfine JSON export: {0}")]
    Json(#[from] serde_json::Error),
    #[error("the hyperfine export has no results")]
    Empty,
    #[error("hyperfine result `{command}`: {reason}")]
    Invalid { command: String, reason: String },
}

#[derive(Deserialize)]
struct Export {
    results: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    command: String,
    mean: f64,
    stddev: Option<f64>,
    median: Option<f64>,
    user: Option<f64>,
    system: Option<f64>,
    min: Option<f64>,
    max: Option<f64>,
    times: Option<Vec<f64>>,
    exit_codes: Option<Vec<Option<i32>>>,
    memory_usage_byte: Option<Vec<u64>>,
    parameters: Option<BTreeMap<String, serde_json::Value>>,
}

/// Turns a hyperfine JSON export into a [`BenchResult`] with `source: "hyperfine"`.
pub fn import_hyperfine(json: &str) -> Result<BenchResult, ImportError> {
    let export: Export = serde_json::from_str(json)?;
    if export.results.is_empty() {
        return Err(ImportError::Empty);
    }
    let mut commands = Vec::new();
    let mut order = Vec::new();
    let mut fallbacks = Vec::new();
    for (index, entry) in export.results.iter().enumerate() {
        let runs = runs(entry)?;
        order.extend(std::iter::repeat_n(index, runs.len()));
        fallbacks.push(summary_from_fields(entry, runs.is_empty())?);
        commands.push(CommandResult {
            name: entry.command.clone(),
            command: entry.command.clone(),
            parameters: parameters(entry),
            runs,
            stats: None,
            relative: None,
            outliers: Vec::new(),
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
    for ((command, entry), fallback) in result
        .commands
        .iter_mut()
        .zip(&export.results)
        .zip(fallbacks)
    {
        match (&mut command.stats, fallback) {
            (Some(stats), _) => {
                stats.user_mean = seconds(entry.user.unwrap_or(0.0));
                stats.system_mean = seconds(entry.system.unwrap_or(0.0));
            }
            (None, fallback) => command.stats = fallback,
        }
    }
    relate(&mut result);
    Ok(result)
}

fn runs(entry: &Entry) -> Result<Vec<TimedRun>, ImportError> {
    let times = entry.times.as_deref().unwrap_or_default();
    times
        .iter()
        .enumerate()
        .map(|(i, &time)| {
            check(entry, "times", time)?;
            let exit_code = match &entry.exit_codes {
                Some(codes) => codes.get(i).copied().flatten(),
                None => Some(0),
            };
            let peak_rss = entry
                .memory_usage_byte
                .as_ref()
                .and_then(|m| m.get(i).copied())
                .unwrap_or(0);
            Ok(TimedRun {
                round: i as u64,
                measurement: Measurement {
                    wall: seconds(time),
                    peak_rss,
                    exit_code,
                    ..Measurement::default()
                },
            })
        })
        .collect()
}

/// The summary as hyperfine computed it, for results without `times`.
fn summary_from_fields(entry: &Entry, needed: bool) -> Result<Option<Summary>, ImportError> {
    if !needed {
        return Ok(None);
    }
    check(entry, "mean", entry.mean)?;
    let field = |name: &str, value: Option<f64>| -> Result<Duration, ImportError> {
        let value = value.unwrap_or(entry.mean);
        check(entry, name, value)?;
        Ok(seconds(value))
    };
    Ok(Some(Summary {
        count: entry
            .exit_codes
            .as_ref()
            .map_or(0, |codes| codes.len() as u64),
        mean: seconds(entry.mean),
        stddev: entry.stddev.map(seconds),
        median: field("median", entry.median)?,
        median_ci: None,
        min: field("min", entry.min)?,
        max: field("max", entry.max)?,
        user_mean: seconds(entry.user.unwrap_or(0.0)),
        system_mean: seconds(entry.system.unwrap_or(0.0)),
        peak_rss_max_bytes: 0,
        peak_rss_median_bytes: 0,
    }))
}

fn check(entry: &Entry, field: &str, value: f64) -> Result<(), ImportError> {
    if value.is_finite() && value >= 0.0 {
        return Ok(());
    }
    Err(ImportError::Invalid {
        command: entry.command.clone(),
        reason: format!("`{field}` has {value}, not a time in seconds"),
    })
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
