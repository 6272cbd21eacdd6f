//! The stored summary of an imported run: figures another tool measured (a row of an
//! Otava-style CSV history, a k6 JSON summary, wrk's text output, criterion's estimates), by
//! that tool's names, each with its unit and better direction, and the run's attributes
//! (commit, branch, version …) as the source gave them.
//!
//! Most imported figures are values without an interval: there is no sampling distribution
//! to resample, so a comparison judges them against the noise band (or, with enough runs,
//! against the spread between runs) and says so. A source that keeps its samples (criterion)
//! brings them, and is compared on them.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::metric::{Column, Direction, Metric, Unit};

/// The version of the stored form.
pub const IMPORTED_SCHEMA_VERSION: u32 = 1;

/// One imported run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ImportedRun {
    pub schema_version: u32,
    /// What it came from: `csv`, `k6`, `wrk`, `criterion`.
    pub source: String,
    /// The file it was read from, as given.
    pub file: String,
    /// The CSV row (1 = the first after the header), for a row of a history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row: Option<u64>,
    /// The git branch the source names for the run (a `branch` column), for `--branch`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_branch: Option<String>,
    /// What describes the run rather than measures it (commit, branch, version, the tool's
    /// settings), by name.
    pub attributes: BTreeMap<String, String>,
    /// Its figures, in the source's order.
    pub values: Vec<ImportedValue>,
    /// What differs between the source's way of measuring and rigor's, for the reader.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// One figure of an imported run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ImportedValue {
    /// Its name, as the source names it (a column, `http_req_duration.p95`).
    pub metric: String,
    /// In `unit`: durations in nanoseconds, shares as fractions.
    pub value: f64,
    pub unit: Unit,
    pub better: Direction,
    /// The source's confidence interval for it, when it gives one (criterion).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<[f64; 2]>,
    /// The source's own samples of it, in `unit` (criterion's time per iteration of each
    /// sample), when it keeps them: a comparison resamples these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub samples: Vec<f64>,
}

impl ImportedValue {
    /// The metric this value is of.
    pub fn column(&self) -> Column {
        Column::new(&self.metric, self.unit, self.better)
    }
}

impl ImportedRun {
    /// The value named `name`.
    pub fn get(&self, name: &str) -> Option<&ImportedValue> {
        self.values.iter().find(|v| v.metric == name)
    }

    /// A metric's value: only the run's own columns are its metrics.
    pub fn value(&self, metric: Metric) -> Option<f64> {
        match metric {
            Metric::Column(c) => self.get(c.name()).map(|v| v.value),
            _ => None,
        }
    }
}
