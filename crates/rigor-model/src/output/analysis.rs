//! The JSON contract of `rigor compare --json` and `rigor gate --json` (made by
//! `rigor-analysis`); committed schemas under `schema/` are checked against these types by a
//! test. They live with the other output types so that outputs need the model only.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Version of the comparison and gate JSON.
pub const ANALYSIS_SCHEMA_VERSION: u32 = 2;

/// One run as a comparison names it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RunRef {
    pub run_id: i64,
    pub kind: crate::RunKind,
    pub scenario: String,
    pub started_at_ns: i64,
    pub git_commit: Option<String>,
}

/// The verdict on one metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum VerdictName {
    Improved,
    Regressed,
    Unchanged,
    Inconclusive,
}

impl VerdictName {
    pub fn as_str(self) -> &'static str {
        match self {
            VerdictName::Improved => "improved",
            VerdictName::Regressed => "regressed",
            VerdictName::Unchanged => "unchanged",
            VerdictName::Inconclusive => "inconclusive",
        }
    }
}

/// How a change is expressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// (B − A) / A.
    Relative,
    /// B − A, for shares such as the error rate (percentage points).
    Absolute,
}

/// One metric compared between the baseline (A) and the candidate (B).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MetricComparison {
    /// `latency.p95`, `throughput`, `error_rate`, `wall.median` …
    pub metric: String,
    pub unit: crate::metric::Unit,
    pub better: crate::metric::Direction,
    pub baseline: f64,
    pub candidate: f64,
    pub change_kind: ChangeKind,
    pub change: f64,
    /// The interval's bounds; `null` for two values without an interval (`untested`).
    #[serde(with = "nan_as_null")]
    #[schemars(with = "Option<f64>")]
    pub change_lower: f64,
    #[serde(with = "nan_as_null")]
    #[schemars(with = "Option<f64>")]
    pub change_upper: f64,
    /// The test's own p-value; `null` where no test was made: two values without intervals
    /// (`untested`), or deterministic counts, judged by whether the ranges of their counted
    /// runs overlap (their `method` says so).
    #[serde(with = "nan_as_null")]
    #[schemars(with = "Option<f64>")]
    pub p_value: f64,
    /// The Benjamini–Hochberg adjusted p-value across this comparison's metrics; `null`
    /// where no test was made.
    #[serde(with = "nan_as_null")]
    #[schemars(with = "Option<f64>")]
    pub q_value: f64,
    /// The half-width of the noise band, in the change's unit.
    pub noise: f64,
    pub verdict: VerdictName,
    /// How the interval and p-value were obtained.
    pub method: String,
    /// No test was possible: two values without intervals (imported), whose change is set
    /// against the noise band only; the interval, `p_value` and `q_value` are `null` then.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub untested: bool,
}

/// `rigor compare`: every metric both runs have.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Comparison {
    pub schema_version: u32,
    pub baseline: RunRef,
    pub candidate: RunRef,
    /// Differences between the runs' environments (CPU, cores, kernel, rigor version).
    pub environment_warnings: Vec<String>,
    /// Other things to know (different scenarios, few samples …).
    pub warnings: Vec<String>,
    /// One line when some metric improved while another regressed.
    pub tradeoff: Option<String>,
    pub metrics: Vec<MetricComparison>,
    pub confidence: f64,
    pub alpha: f64,
    pub seed: u64,
    /// Where the time moved, for each profile both runs have (by name): what a comparison of
    /// profiled runs says beside its verdicts.
    #[serde(default)]
    pub profiles: Vec<super::profile::ProfileDiff>,
}

impl Comparison {
    pub fn count(&self, verdict: VerdictName) -> usize {
        self.metrics.iter().filter(|m| m.verdict == verdict).count()
    }
}

/// The outcome of one gate check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckOutcome {
    Pass,
    /// Breached, with action warn.
    Warn,
    /// Breached, with action fail.
    Fail,
    /// Breached, but fewer consecutive runs than the rule needs.
    Pending,
    /// Only in the gate history: an earlier run the check could not judge (too little data).
    /// It failed that run's gate, but does not count as a breach for `consecutive`.
    NotJudged,
}

impl CheckOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckOutcome::Pass => "pass",
            CheckOutcome::Warn => "warn",
            CheckOutcome::Fail => "fail",
            CheckOutcome::Pending => "pending",
            CheckOutcome::NotJudged => "not_judged",
        }
    }

    pub fn parse(text: &str) -> Option<CheckOutcome> {
        [
            CheckOutcome::Pass,
            CheckOutcome::Warn,
            CheckOutcome::Fail,
            CheckOutcome::Pending,
            CheckOutcome::NotJudged,
        ]
        .into_iter()
        .find(|o| o.as_str() == text)
    }
}

/// One budget or rule judged on one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CheckResult {
    /// Stable id, also the key of the gate history: the kind and the plan's own text of the
    /// check, `budget:latency.p95 <= 120ms`.
    pub id: String,
    pub kind: crate::plan::CheckKind,
    pub scenario: String,
    pub run_id: i64,
    pub metric: String,
    /// What the check asks, as the metric grammar writes it: `latency.p95 <= 120ms`,
    /// `latency.p95 <= +30% 2 consecutive`.
    pub description: String,
    pub outcome: CheckOutcome,
    /// False when there was too little data to judge (the outcome is then a breach).
    pub judged: bool,
    /// The measured value (the relative change for a rule against the baseline).
    pub value: Option<f64>,
    pub value_text: String,
    /// Why it passed or what was breached.
    pub message: String,
}

/// `rigor gate`: every check, and the verdict for CI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GateReport {
    pub schema_version: u32,
    /// `pass` (warnings allowed) or `fail`.
    pub outcome: String,
    pub checks: Vec<CheckResult>,
    pub warnings: Vec<String>,
}

/// The JSON Schemas of [`Comparison`] and [`GateReport`].
pub fn schemas() -> (serde_json::Value, serde_json::Value) {
    (
        serde_json::to_value(schemars::schema_for!(Comparison)).unwrap_or_default(),
        serde_json::to_value(schemars::schema_for!(GateReport)).unwrap_or_default(),
    )
}

/// A figure that may be missing, kept as NaN in memory and written as `null`.
mod nan_as_null {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        if v.is_nan() {
            s.serialize_none()
        } else {
            s.serialize_f64(*v)
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    }
}
