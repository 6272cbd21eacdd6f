//! `rigor history --json`: a metric over a scenario's (or bench's) stored runs, oldest first,
//! and the change points found in it — where the metric stepped, by how much, how surely, and
//! the first run and commit after the step.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The version of the document's form.
pub const HISTORY_SCHEMA_VERSION: u32 = 1;

/// The history of one scenario: one series per metric asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HistoryReport {
    pub schema_version: u32,
    pub scenario: String,
    /// `load` or `bench`.
    pub kind: String,
    pub options: HistoryOptions,
    pub series: Vec<MetricHistory>,
    /// Runs left out of every series, and why.
    pub left_out: Vec<LeftOut>,
    /// What the reader must know of the whole: runs of several machines or ways of measuring
    /// mixed in one series (`--mixed`).
    pub warnings: Vec<String>,
}

/// How change points were found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HistoryOptions {
    /// The method: E-divisive means in sliding windows, then a merge on Student's t-test
    /// (Hunter's, as Apache Otava carries it out).
    pub method: String,
    pub window: usize,
    pub max_pvalue: f64,
    /// The smallest relative change reported as a step, 0–1.
    pub min_magnitude: f64,
}

/// One metric over the runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MetricHistory {
    pub metric: String,
    /// `ns`, `fraction`, `per_second`, `bytes` …: how `value` reads.
    pub unit: String,
    /// Which way is better: `lower` or `higher`.
    pub better: String,
    pub points: Vec<HistoryPoint>,
    pub change_points: Vec<HistoryChange>,
    /// What a reader should know of this series (too few runs to look for steps, values
    /// without intervals).
    pub notes: Vec<String>,
}

/// One run's value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HistoryPoint {
    pub run_id: i64,
    pub started_at_ns: i64,
    pub git_commit: Option<String>,
    pub value: f64,
}

/// A step in the series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HistoryChange {
    /// The first point after the step, in `points`.
    pub index: usize,
    /// The first run after the step, and its commit.
    pub run_id: i64,
    pub git_commit: Option<String>,
    pub started_at_ns: i64,
    /// Medians of the pieces either side (between the neighbouring change points).
    pub median_before: f64,
    pub median_after: f64,
    /// `median_after / median_before − 1`, with its 95 % bootstrap interval.
    pub change: f64,
    pub change_lower: Option<f64>,
    pub change_upper: Option<f64>,
    /// Student's two-sample t-test of the pieces, two-sided.
    pub pvalue: f64,
    pub runs_before: usize,
    pub runs_after: usize,
    /// `regression`, `improvement` (by the metric's better direction) or `change`.
    pub kind: String,
}

/// Runs not in the series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LeftOut {
    pub runs: Vec<i64>,
    pub why: String,
}
