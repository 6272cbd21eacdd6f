//! The JSON contract of `rigor compare --json` and `rigor gate --json`; committed schemas
//! under `schema/` are checked against these types by a test.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Version of the comparison and gate JSON.
pub const ANALYSIS_SCHEMA_VERSION: u32 = 1;

/// One run as a comparison names it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RunRef {
    pub run_id: i64,
    pub kind: String,
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

impl From<rigor_stats::Verdict> for VerdictName {
    fn from(v: rigor_stats::Verdict) -> Self {
        match v {
            rigor_stats::Verdict::Improved => VerdictName::Improved,
            rigor_stats::Verdict::Regressed => VerdictName::Regressed,
            rigor_stats::Verdict::Unchanged => VerdictName::Unchanged,
            rigor_stats::Verdict::Inconclusive => VerdictName::Inconclusive,
        }
    }
}

/// One metric compared between the baseline (A) and the candidate (B).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MetricComparison {
    /// `latency.p95`, `throughput`, `error_rate`, `wall.median` …
    pub metric: String,
    /// `ns`, `per_s`, `fraction`, `bytes`.
    pub unit: String,
    /// `lower_is_better` or `higher_is_better`.
    pub better: String,
    pub baseline: f64,
    pub candidate: f64,
    /// How the change is expressed: `relative` ((B − A)/A) or `absolute` (B − A, for rates).
    pub change_kind: String,
    pub change: f64,
    pub change_lower: f64,
    pub change_upper: f64,
    /// The test's own p-value.
    pub p_value: f64,
    /// The Benjamini–Hochberg adjusted p-value across this comparison's metrics.
    pub q_value: f64,
    /// The half-width of the noise band, in the change's unit.
    pub noise: f64,
    pub verdict: VerdictName,
    /// How the interval and p-value were obtained.
    pub method: String,
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
}

impl CheckOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckOutcome::Pass => "pass",
            CheckOutcome::Warn => "warn",
            CheckOutcome::Fail => "fail",
            CheckOutcome::Pending => "pending",
        }
    }
}

/// One budget or rule judged on one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CheckResult {
    /// Stable id, also the key of the gate history: `budget:latency.p95<120ms`.
    pub id: String,
    /// `budget` or `rule`.
    pub kind: String,
    pub scenario: String,
    pub run_id: i64,
    pub metric: String,
    /// What the check asks, in words: `latency.p95 < 120ms`, `latency.p95 up ≤ 30% vs main (2 runs in a row)`.
    pub description: String,
    pub outcome: CheckOutcome,
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
