//! What a report shows beyond a run's summary: the run second by second (for charts and the
//! per-second CSV) and how it was measured (the methodology section). Made by
//! `rigor-analysis` from the stored windows and samples; written by `rigor-report`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::RunSummary;

/// A load run as a report shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LoadReport {
    pub summary: RunSummary,
    /// Each second of the run, in order (seconds with no request are present, with zeros).
    pub seconds: Vec<SecondFigures>,
    /// What the run was asked to do.
    pub method: Method,
    /// The whole run's latency by percentile, as HdrHistogram plots it: the minimum, then
    /// `1 - 10^(-k/10)` from k = 3 (49.9 %) out to 99.999 % while responses lie beyond, then
    /// the maximum.
    #[serde(default)]
    pub spectrum: Vec<SpectrumPoint>,
    /// The profiles taken during the run (`--profile`), with their folded stacks for the
    /// flame graph.
    #[serde(default)]
    pub profiles: Vec<ProfileSection>,
    /// The tuning session the run belongs to, when it does: what the run was for in it and
    /// what it showed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<SessionSection>,
}

/// A run's place in a tuning session (`rigor tune`), as its report shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SessionSection {
    pub session: String,
    /// `open`, `blocked`, `completed`, `aborted`.
    pub state: String,
    pub goal: Option<String>,
    pub scope: Option<String>,
    /// What the run was for: `baseline`, `diagnosis`, `iteration 2`, `iteration 2 at the
    /// expected peak` …
    pub role: String,
    /// The run it was judged against, for a change's run.
    pub against: Option<i64>,
    /// The run's figure against the goal.
    pub goal_check: Option<crate::tune::GoalCheck>,
    /// The goal's metric against the run it was judged against, with its interval.
    pub goal_change: Option<crate::tune::MetricChange>,
    /// What the change came to (`improved`, `trade_off` …), for a change's run.
    pub outcome: Option<String>,
    /// What changed, as the user said it.
    pub note: Option<String>,
    /// The session's phase tracker when the report was written.
    pub phases: Vec<crate::tune::PhaseRow>,
}

/// A run's profile as its report shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProfileSection {
    pub report: super::profile::ProfileReport,
    /// `frame;frame;frame count` lines; empty when there is no profile.
    pub folded: String,
}

/// One point of the percentile spectrum.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SpectrumPoint {
    /// 0 to 100.
    pub percentile: f64,
    /// From intended start (successful responses); `None` when the run had none.
    pub latency_ns: Option<u64>,
    /// From actual send.
    pub raw_latency_ns: Option<u64>,
}

/// One second of a load run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SecondFigures {
    /// Seconds since the run began (0 is the first second).
    pub second: u32,
    /// The phase the second belongs to (the one that completed most of its requests, when a
    /// phase boundary falls inside it).
    pub phase: String,
    /// Requests that completed in this second, failures included.
    pub requests: u64,
    pub errors: u64,
    /// Latency of the successful responses, from each request's intended start.
    pub latency: Option<SecondLatency>,
    /// The same responses timed from the moment they were sent.
    pub raw_latency: Option<SecondLatency>,
    /// The target's CPU in cores, RSS, threads and open descriptors, when it was sampled.
    pub target_cpu_cores: Option<f64>,
    pub target_rss_bytes: Option<u64>,
    pub target_threads: Option<u32>,
    pub target_fds: Option<u32>,
    /// How late the generator sent this second's requests: the 99th percentile and the
    /// maximum of actual send minus intended send. `None` when nothing was sent (or the run
    /// was recorded before rigor kept it).
    #[serde(default)]
    pub send_lag_p99_ns: Option<u64>,
    #[serde(default)]
    pub send_lag_max_ns: Option<u64>,
}

/// Percentiles of one second's latency, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SecondLatency {
    pub p50_ns: u64,
    pub p90_ns: u64,
    pub p99_ns: u64,
    pub max_ns: u64,
}

/// How a load run was measured: the part of a report that lets someone else repeat it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Method {
    /// The load model: `open` (arrivals on a schedule) or `closed` (a fixed number of users).
    pub model: String,
    /// The phases as planned.
    pub phases: Vec<PlannedPhase>,
    /// The most connections the generator could open (open model), or the users (closed).
    pub connections: Option<u64>,
    /// The HTTP version asked for.
    pub http: Option<String>,
    /// The requests, as `METHOD url` (secrets were redacted when the run was stored).
    pub requests: Vec<String>,
    /// Where latency is measured from, in words.
    pub latency_from: String,
    /// The plan's budgets on this scenario with a fixed limit, as the metric grammar writes
    /// them (`latency.p95 <= 120ms`): drawn on the charts beside the thresholds; the gate
    /// judges them.
    #[serde(default)]
    pub budgets: Vec<String>,
}

/// A phase as the plan gave it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PlannedPhase {
    pub name: String,
    pub kind: String,
    pub duration_ns: u64,
    /// Planned arrival rate at the start and end of the phase (open model), per second.
    pub rate_start: Option<f64>,
    pub rate_end: Option<f64>,
    /// Planned users (closed model).
    pub users: Option<u64>,
}
