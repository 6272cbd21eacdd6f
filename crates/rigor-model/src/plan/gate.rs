//! `[[budget]]` and `[[rule]]`: the performance budget table and the escalation table that
//! `rigor gate` judges.

use serde::{Deserialize, Serialize};

use crate::units::HumanDuration;

/// A `[[budget]]`: an absolute limit on a metric of a scenario or bench.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetSpec {
    /// The scenario or bench it applies to; every one when omitted.
    pub scenario: Option<String>,
    /// `latency.p95`, `error_rate`, `throughput`, `wall.mean`, `peak_rss` …
    pub metric: String,
    /// Upper limit in the metric's unit (`120ms`, `1%`, `64MiB`).
    pub max: Option<String>,
    /// Lower limit (`900/s`).
    pub min: Option<String>,
    /// Only this request's figures (load runs).
    pub request: Option<String>,
    /// Only this phase's figures (load runs).
    pub phase: Option<String>,
}

/// What a breached rule does to the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    #[default]
    Fail,
    Warn,
}

/// A `[[rule]]`: a regression rule, relative to the baseline (`max_increase`) or absolute
/// (`max`/`min`), once or over `consecutive` runs, or `sustained` within a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// The scenario or bench it applies to; every one when omitted.
    pub scenario: Option<String>,
    pub metric: String,
    /// Breached when the metric got worse than the baseline by more than this (`30%`): up for
    /// lower-is-better metrics, down for throughput.
    pub max_increase: Option<crate::units::Ratio>,
    /// Absolute upper limit (`1%` for an error rate).
    pub max: Option<String>,
    /// Absolute lower limit.
    pub min: Option<String>,
    /// Act only when this many runs in a row breach it (default 1).
    pub consecutive: Option<u32>,
    /// Within one run: breached when the per-second metric stays past `max`/`min` this long.
    pub sustained: Option<HumanDuration>,
    #[serde(default)]
    pub action: Action,
    /// The baseline to compare with (default `main`).
    pub baseline: Option<String>,
}
