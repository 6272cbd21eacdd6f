//! The evidence a tuning session writes (under `.artifacts/performance/`): the JSON artifacts'
//! types, each with a committed schema, and the manifest that lists every artifact with its
//! hash, size and the runs it comes from.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Diagnosis, Hypothesis, Iteration, Missing, Reproducer, Signed};

/// `performance-intake-report.json`: the required inputs as the session holds them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct IntakeReport {
    pub session: String,
    pub goal: Option<String>,
    pub expected_peak: Option<String>,
    pub baseline_run: Option<i64>,
    pub scope: Option<String>,
    pub reproducer: Option<Reproducer>,
    pub tests: Option<String>,
    pub approved: Option<Signed>,
    /// What is still missing, with the command that supplies each.
    pub missing: Vec<Missing>,
}

/// `optimization-plan.json`: the goal, the baseline, the hypotheses by return on effort, how
/// the change is measured, and the risks seen so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct OptimizationPlan {
    pub session: String,
    pub goal: Option<String>,
    pub baseline_run: Option<i64>,
    /// By gain over effort, highest first.
    pub hypotheses: Vec<Hypothesis>,
    /// The steps, in order, each with the command that carries it out.
    #[serde(default)]
    pub steps: Vec<String>,
    /// How and when it is measured.
    pub measurement: String,
    pub risks: Vec<String>,
    /// Who approved the tuning.
    pub approved: Option<Signed>,
    /// The plan gate's answer: reviewed before execution.
    #[serde(default)]
    pub reviewed: Option<super::GateAnswer>,
}

/// `optimization-validation-report.json`: every iteration against the baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ValidationReport {
    pub session: String,
    pub goal: Option<String>,
    pub baseline_run: Option<i64>,
    pub iterations: Vec<Iteration>,
    pub diagnosis: Option<Diagnosis>,
}

/// `load-test-results.json`: the session's runs and their headline figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LoadTestResults {
    pub session: String,
    pub runs: Vec<SessionRun>,
}

/// One run of the session: what it was for and its headline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SessionRun {
    pub run_id: i64,
    /// `baseline`, `diagnosis` or `iteration N`.
    pub role: String,
    pub scenario: String,
    pub status: String,
    pub requests: Option<u64>,
    pub throughput_per_s: Option<f64>,
    pub p50_ns: Option<u64>,
    pub p95_ns: Option<u64>,
    pub p99_ns: Option<u64>,
    pub error_rate: Option<f64>,
}

/// `performance-report-manifest.json`: every artifact written, with its hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Manifest {
    pub session: String,
    pub state: String,
    pub written_at: String,
    pub artifacts: Vec<ArtifactEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ArtifactEntry {
    /// From the artifacts' directory.
    pub path: String,
    /// Lower-case hex.
    pub sha256: String,
    pub bytes: u64,
    /// The runs its figures come from.
    pub runs: Vec<i64>,
}
