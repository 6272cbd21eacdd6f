//! A tuning session's iterations: each change validated against the baseline, at the goal's
//! load and at the expected peak, alone or interleaved with the version before it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{GoalCheck, Signed};

/// A change validated: its run against the session's baseline at the goal's load, the
/// functional tests, and what it did to every metric both runs have.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Iteration {
    /// From 1.
    pub number: u32,
    pub run_id: i64,
    /// The baseline it was compared with.
    pub against: i64,
    /// What changed, as the user says it.
    pub note: Option<String>,
    /// The hypothesis it tested, confirmed or refuted by it.
    pub hypothesis: Option<u32>,
    pub goal: Option<GoalCheck>,
    /// The goal's metric against the baseline, when the comparison judged it.
    pub goal_change: Option<MetricChange>,
    /// Other metrics that improved, and the outcomes that regressed (latency, throughput,
    /// errors, CPU, memory, wall time: the trade-offs to sign off).
    pub improved: Vec<MetricChange>,
    pub regressed: Vec<MetricChange>,
    /// Diagnostic signals that moved the wrong way (context switches, the target's own
    /// series): shown, but no trade-off by themselves.
    #[serde(default)]
    pub signals_regressed: Vec<MetricChange>,
    pub tests: Option<TestsOutcome>,
    /// The goal's metric against the previous iteration's run, when there was one.
    #[serde(default)]
    pub previous: Option<MetricChange>,
    /// When the before and after versions were run in alternation: which, and their runs.
    #[serde(default)]
    pub interleaved: Option<Interleaved>,
    /// The same change at the expected peak load, when the session has one.
    #[serde(default)]
    pub peak: Option<PeakCheck>,
    pub outcome: IterationOutcome,
    pub signed: Signed,
}

/// An interleaved validation: the version before the change and the version after it, each
/// started by its own command, run A B A B … and judged round by round (the paired
/// Student-t), so that the machine's drift between invocations cannot fake a win.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Interleaved {
    /// What starts each version: the target's command (a scenario) or the benchmarked
    /// command (a bench).
    pub before: String,
    pub after: String,
    pub rounds: u32,
    /// Round `i` is `(before_runs[i], after_runs[i])`, run in that order.
    pub before_runs: Vec<i64>,
    pub after_runs: Vec<i64>,
}

/// The change at the expected peak load: "improvement under expected peak load".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PeakCheck {
    /// The peak rate, as the session has it (`300/s`).
    pub rate: String,
    pub run_id: i64,
    /// The baseline's run at the peak it was compared with; `None` when the baseline has
    /// none (the peak was set after it was taken), and then `note` says so.
    pub against: Option<i64>,
    pub goal: Option<GoalCheck>,
    pub goal_change: Option<MetricChange>,
    /// Outcomes that regressed at the peak: trade-offs to sign off like the others.
    pub regressed: Vec<MetricChange>,
    pub note: Option<String>,
}

/// A metric's verdict against the baseline, with its change and interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MetricChange {
    pub metric: String,
    pub verdict: String,
    /// The change as the comparison gives it (relative, or absolute for shares).
    pub change: f64,
    pub lower: f64,
    pub upper: f64,
    /// `-48% [-52%, -44%]`.
    pub text: String,
    pub method: String,
}

/// The functional tests' run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TestsOutcome {
    pub command: String,
    pub passed: bool,
    pub exit_code: Option<i32>,
    /// The last lines of what it printed.
    pub output_tail: String,
}

/// What an iteration came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum IterationOutcome {
    /// The goal's metric improved, no other regressed, the tests passed.
    Improved,
    /// Improved, but another metric regressed: a trade-off to sign off.
    TradeOff,
    /// The goal's metric did not improve beyond the noise.
    NoImprovement,
    /// The goal's metric regressed: name the change to roll back.
    Regressed,
    /// A functional test failed: fast but wrong is useless, whatever the speed-up.
    TestsFailed,
}

impl IterationOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            IterationOutcome::Improved => "improved",
            IterationOutcome::TradeOff => "trade_off",
            IterationOutcome::NoImprovement => "no_improvement",
            IterationOutcome::Regressed => "regressed",
            IterationOutcome::TestsFailed => "tests_failed",
        }
    }
}
