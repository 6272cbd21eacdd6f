//! A tuning session (issue 16): the performance-tuning procedure as data — its required
//! inputs, its plan of hypotheses, its phases and gates, and how it ended — so that it can be
//! stored, resumed from another shell and reported. The commands that move it along are the
//! CLI's (`rigor tune`); this module says what a session is and what it still needs.
//!
//! The procedure's words are kept: the required inputs (goal, baseline, scope, a test or
//! benchmark, the tuning approved, no functional regressions), the remediation paths (a
//! missing baseline is taken now; a missing benchmark is written), the five phases and the
//! exit states `completed`, `blocked` and `aborted`.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::expr::{Expr, ExprError, Target};

pub mod artifacts;
mod iteration;
mod progress;

pub use iteration::{
    Interleaved, Iteration, IterationOutcome, MetricChange, PeakCheck, TestsOutcome,
};

/// The version of the session's stored form; a change that old readers cannot follow bumps it.
pub const SESSION_VERSION: u32 = 1;

/// A tuning session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct Session {
    pub version: u32,
    pub id: i64,
    pub name: String,
    /// The plan's directory: one session is current per directory.
    pub plan_dir: String,
    pub state: SessionState,
    /// The performance goal, in the metric-expression grammar.
    pub goal: Option<String>,
    /// The load the service is expected to peak at (the validation runs there too).
    pub expected_peak: Option<String>,
    /// The component, service or code path in scope, as the user says it.
    pub scope: Option<String>,
    /// What reproduces the load and measures it.
    pub reproducer: Option<Reproducer>,
    /// The command whose success says there is no functional regression.
    pub tests: Option<String>,
    /// Who approved the tuning, and when.
    pub approved: Option<Signed>,
    /// The run the session measures against.
    pub baseline_run: Option<i64>,
    /// Every run of the unchanged system taken as the baseline (`--repeat`), the first being
    /// `baseline_run`: their spread is the benchmark's own noise.
    pub baseline_runs: Vec<i64>,
    /// The baseline at the expected peak load, when the session has one.
    pub baseline_peak_run: Option<i64>,
    pub hypotheses: Vec<Hypothesis>,
    /// Every gate's answer, in order.
    pub gates: Vec<GateAnswer>,
    /// Each change validated against the baseline, in order.
    pub iterations: Vec<Iteration>,
    /// The latest diagnosis: the run it read and what it found, strongest first.
    pub diagnosis: Option<Diagnosis>,
    /// Phase 4, load testing and capacity: its search, or a recorded skip.
    pub capacity: Option<CapacityPhase>,
    /// Phase 5, monitoring: the budgets written into the plan and the objectives changed.
    pub monitoring: Option<Monitoring>,
    /// The final run made the named baseline at close.
    pub promoted: Option<Promotion>,
    /// The audit trail: every step taken, by whom and when.
    pub log: Vec<LogEntry>,
    /// The session log in the protocol's form, each line timestamped: `[PHASE 1 START] - …`,
    /// `[PHASE 1 COMPLETE] - …`, and failures in its terms (`LoadTestFailure: …`,
    /// `TelemetryGap: …`, `RegressionDetected: …`) with their recovery.
    pub events: Vec<String>,
    /// How it ended, once it has.
    pub closed: Option<Closure>,
}

impl Default for Session {
    fn default() -> Session {
        Session {
            version: SESSION_VERSION,
            id: 0,
            name: String::new(),
            plan_dir: String::new(),
            state: SessionState::Open,
            goal: None,
            expected_peak: None,
            scope: None,
            reproducer: None,
            tests: None,
            approved: None,
            baseline_run: None,
            baseline_runs: Vec::new(),
            baseline_peak_run: None,
            hypotheses: Vec::new(),
            gates: Vec::new(),
            iterations: Vec::new(),
            diagnosis: None,
            capacity: None,
            monitoring: None,
            promoted: None,
            log: Vec::new(),
            events: Vec::new(),
            closed: None,
        }
    }
}

/// Where a session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SessionState {
    /// Going: its inputs are there, or being remedied.
    Open,
    /// An input is missing that rigor cannot supply: see [`Session::missing`].
    Blocked,
    /// Every gate passed.
    Completed,
    /// Stopped, with the reason; every result so far kept.
    Aborted,
}

impl SessionState {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionState::Open => "open",
            SessionState::Blocked => "blocked",
            SessionState::Completed => "completed",
            SessionState::Aborted => "aborted",
        }
    }

    /// Whether the session has ended.
    pub fn is_closed(self) -> bool {
        matches!(self, SessionState::Completed | SessionState::Aborted)
    }

    pub fn parse(text: &str) -> Option<SessionState> {
        [
            SessionState::Open,
            SessionState::Blocked,
            SessionState::Completed,
            SessionState::Aborted,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

impl fmt::Display for SessionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What reproduces the load: a scenario or bench of the plan, or a URL or command that the
/// session writes into the plan as a minimal one (the missing-benchmark remediation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reproducer {
    Scenario(String),
    Bench(String),
}

impl fmt::Display for Reproducer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reproducer::Scenario(s) => write!(f, "scenario `{s}`"),
            Reproducer::Bench(b) => write!(f, "bench `{b}`"),
        }
    }
}

/// Who did something, and when (RFC 3339, UTC).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Signed {
    pub by: String,
    pub at: String,
}

/// A hypothesis of the plan: "cache X will reduce DB load", with its expected effect.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct Hypothesis {
    /// From 1, in the order they were added.
    pub id: u32,
    pub text: String,
    pub area: Area,
    /// The metric it should move, and by how much (`latency.p95 -30%`).
    pub expected: Option<String>,
    /// Its expected gain and its effort, each 1 (small) to 5 (large): the plan orders the
    /// hypotheses by gain over effort.
    pub gain: u8,
    pub effort: u8,
    pub status: HypothesisStatus,
    /// The figures that confirmed or refuted it.
    pub evidence: Option<String>,
    pub added: Signed,
}

impl Hypothesis {
    /// Return on effort: gain over effort.
    pub fn return_on_effort(&self) -> f64 {
        f64::from(self.gain) / f64::from(self.effort.max(1))
    }
}

/// Where a hypothesis acts, in the procedure's areas.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Area {
    Algorithm,
    Database,
    Caching,
    Frontend,
    Infrastructure,
    #[default]
    Configuration,
}

impl Area {
    pub const ALL: [Area; 6] = [
        Area::Algorithm,
        Area::Database,
        Area::Caching,
        Area::Frontend,
        Area::Infrastructure,
        Area::Configuration,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Area::Algorithm => "algorithm",
            Area::Database => "database",
            Area::Caching => "caching",
            Area::Frontend => "frontend",
            Area::Infrastructure => "infrastructure",
            Area::Configuration => "configuration",
        }
    }
}

impl std::str::FromStr for Area {
    type Err = String;
    fn from_str(text: &str) -> Result<Area, String> {
        Area::ALL
            .into_iter()
            .find(|a| a.as_str() == text)
            .ok_or_else(|| {
                let names: Vec<&str> = Area::ALL.iter().map(|a| a.as_str()).collect();
                format!("`{text}` is not an area: give one of {}", names.join(", "))
            })
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum HypothesisStatus {
    #[default]
    Proposed,
    Confirmed,
    Refuted,
    Dropped,
}

impl HypothesisStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            HypothesisStatus::Proposed => "proposed",
            HypothesisStatus::Confirmed => "confirmed",
            HypothesisStatus::Refuted => "refuted",
            HypothesisStatus::Dropped => "dropped",
        }
    }
}

/// The procedure's quality gates, in order.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Gate {
    /// The plan reviewed before execution (an explicit yes).
    Plan,
    /// Baseline recorded, goal and gap stated.
    Baseline,
    /// The scenarios ran, saturation and profile captured, bottleneck named.
    Diagnosis,
    /// Measurable improvement, goal met (or the variance signed off), no regression, the
    /// functional tests pass.
    Optimisation,
    /// SLO and budget updates recorded, report published.
    Governance,
}

impl Gate {
    pub const ALL: [Gate; 5] = [
        Gate::Plan,
        Gate::Baseline,
        Gate::Diagnosis,
        Gate::Optimisation,
        Gate::Governance,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Gate::Plan => "plan",
            Gate::Baseline => "baseline",
            Gate::Diagnosis => "diagnosis",
            Gate::Optimisation => "optimisation",
            Gate::Governance => "governance",
        }
    }

    /// What the gate asks, in the procedure's words.
    pub fn question(self) -> &'static str {
        match self {
            Gate::Plan => "Is the tuning plan (goal, baseline, approach, measurement, risks) approved for execution?",
            Gate::Baseline => "Is the baseline recorded, and the goal and the gap to it stated?",
            Gate::Diagnosis => "Did the scenarios run, were saturation and a profile captured, and is the bottleneck named?",
            Gate::Optimisation => "Is the improvement measurable, the goal met (or the variance signed off), no other metric regressed and the functional tests passing?",
            Gate::Governance => "Are the SLO and budget updates recorded and the report published?",
        }
    }
}

impl std::str::FromStr for Gate {
    type Err = String;
    fn from_str(text: &str) -> Result<Gate, String> {
        Gate::ALL
            .into_iter()
            .enumerate()
            .find(|(i, g)| g.as_str() == text || (i + 1).to_string() == text)
            .map(|(_, g)| g)
            .ok_or_else(|| {
                let names: Vec<String> = Gate::ALL
                    .iter()
                    .enumerate()
                    .map(|(i, g)| format!("{} ({})", g.as_str(), i + 1))
                    .collect();
                format!("`{text}` is not a gate: the gates are {}", names.join(", "))
            })
    }
}

/// An answer to a gate: Yes, No or Clarify, by whom, when, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct GateAnswer {
    pub gate: Gate,
    pub answer: Answer,
    pub note: Option<String>,
    pub signed: Signed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Yes,
    No,
    Clarify,
}

/// What a diagnostic run says limits the service, from its measured evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Diagnosis {
    pub run_id: i64,
    /// Strongest first; the first is the bottleneck named.
    pub findings: Vec<Finding>,
}

/// One thing the evidence shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Finding {
    pub bottleneck: Bottleneck,
    /// One sentence: what it is, in figures.
    pub headline: String,
    /// The measured figures it rests on.
    pub evidence: Vec<String>,
    /// Where to look next.
    pub next: String,
}

/// The kinds of bottleneck the triage names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Bottleneck {
    /// The generator fell behind: nothing else measured can be trusted.
    GeneratorLimited,
    /// Requests fail under the load.
    ErrorsUnderLoad,
    /// The target's memory grows while it serves.
    MemoryGrowth,
    /// Arrivals queue: the service does not keep up with the rate offered.
    ThroughputPlateau,
    /// A request's time is mostly the target's CPU.
    CpuBound,
    /// A request's time is mostly waiting: a slow dependency, a lock, I/O, a sleep.
    Waiting,
}

impl Bottleneck {
    pub fn as_str(self) -> &'static str {
        match self {
            Bottleneck::GeneratorLimited => "generator limited",
            Bottleneck::ErrorsUnderLoad => "errors under load",
            Bottleneck::MemoryGrowth => "memory growth",
            Bottleneck::ThroughputPlateau => "throughput plateau",
            Bottleneck::CpuBound => "CPU-bound",
            Bottleneck::Waiting => "waiting",
        }
    }
}

/// Phase 4 as the session carried it out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CapacityPhase {
    /// Why the capacity search was skipped, when it was.
    pub skipped: Option<String>,
    /// What the search the phase took found, when one was taken.
    #[serde(default)]
    pub search: Option<CapacityFinding>,
    pub signed: Signed,
}

/// A capacity search as a session's phase 4 keeps it: what it found, against the session's
/// expected peak.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CapacityFinding {
    /// The search in the store (`rigor capacity --show ID`).
    pub search_id: i64,
    pub scenario: String,
    /// The search's result in a sentence.
    pub summary: String,
    /// The maximum sustainable throughput, when the search claims one.
    pub max_sustainable_per_s: Option<f64>,
    /// The lowest rate that failed.
    pub first_fail_per_s: Option<f64>,
    /// The throughput at the knee of latency against load.
    pub knee_per_s: Option<f64>,
    /// `contention` or `coherency`, from the scalability model.
    pub bound_by: Option<String>,
    /// The session's expected peak, per second.
    pub expected_peak_per_s: Option<f64>,
    /// Capacity over the expected peak, minus one (0.4 = 40 % headroom; negative: the peak
    /// is beyond what was sustained).
    pub headroom: Option<f64>,
    /// The search's steps' runs.
    pub runs: Vec<i64>,
}

impl CapacityFinding {
    /// The phase tracker's note: the capacity against the expected peak.
    pub fn phase_note(&self) -> String {
        match (
            self.max_sustainable_per_s,
            self.expected_peak_per_s,
            self.headroom,
        ) {
            (Some(c), Some(p), Some(h)) if h < 0.0 => format!(
                "capacity {c:.1}/s is BELOW the expected peak {p:.1}/s ({:.0} %)",
                h * 100.0
            ),
            (Some(c), Some(p), Some(h)) => format!(
                "capacity {c:.1}/s, {:.0} % above the expected peak {p:.1}/s",
                h * 100.0
            ),
            (Some(c), _, _) => format!("capacity {c:.1}/s (no expected peak to compare)"),
            (None, _, _) => format!("search {}: {}", self.search_id, self.summary),
        }
    }
}

/// Phase 5 as the session carried it out: the budgets it wrote into the plan (as TOML) and
/// the objective changes they make.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Monitoring {
    /// The plan written to.
    pub plan: String,
    pub budgets: Vec<String>,
    pub updates: Vec<crate::slo::SloUpdate>,
    /// The run whose figures the budgets hold to (the last change that improved).
    pub final_run: i64,
    pub signed: Signed,
}

/// The named baseline moved to the session's final run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Promotion {
    pub baseline: String,
    pub run_id: i64,
    /// The run it replaced, when the name was taken.
    pub previous: Option<i64>,
    /// Where its snapshot was written (`docs/perf/baselines/…`).
    pub snapshot: Option<String>,
    pub signed: Signed,
}

/// One line of the audit trail.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LogEntry {
    pub signed: Signed,
    pub what: String,
}

/// How a session ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Closure {
    pub state: SessionState,
    pub reason: Option<String>,
    pub signed: Signed,
}

/// A required input the session lacks, and what supplies it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Missing {
    /// The procedure's name for it: `performance goal`, `baseline`, `scope`, …
    pub input: String,
    /// Whether rigor remedies it itself (a baseline is taken now) rather than blocking.
    pub remedied_by_rigor: bool,
    /// The command that supplies it.
    pub remedy: String,
}

/// A phase of the protocol, as the tracker shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PhaseRow {
    pub number: u8,
    pub title: String,
    pub status: PhaseStatus,
    pub notes: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PhaseStatus {
    Done,
    InProgress,
    NotStarted,
    Blocked,
}

impl PhaseStatus {
    /// The tracker's mark.
    pub fn mark(self) -> &'static str {
        match self {
            PhaseStatus::Done => "✅ done",
            PhaseStatus::InProgress => "⏳ in progress",
            PhaseStatus::NotStarted => "❌ not started",
            PhaseStatus::Blocked => "⛔ blocked",
        }
    }
}

/// The protocol's phases, in order.
pub const PHASES: [&str; 5] = [
    "Baseline and requirements",
    "Profiling and bottleneck discovery",
    "Optimisation",
    "Load testing and capacity",
    "Monitoring and continuous optimisation",
];

/// A goal checked: it parses in the expression grammar and, when it is a change, it is one a
/// baseline can measure.
pub fn parse_goal(text: &str) -> Result<Expr, ExprError> {
    let expr: Expr = text.parse()?;
    if expr.sustained.is_some() || expr.occurrences.is_some() || expr.consecutive.is_some() {
        return Err(ExprError {
            text: text.to_string(),
            column: 1,
            message: "a goal is one target at one load (`latency.p95 < 120ms at 100/s`, `target.cpu -20%`); `sustained`, `occurrences` and `consecutive` belong to rules".into(),
        });
    }
    Ok(expr)
}

impl Session {
    /// The required inputs it lacks, in the procedure's order, each with its remedy.
    pub fn missing(&self) -> Vec<Missing> {
        let mut out = Vec::new();
        let mut need = |input: &str, remedied_by_rigor, remedy: &str| {
            out.push(Missing {
                input: input.to_string(),
                remedied_by_rigor,
                remedy: remedy.to_string(),
            })
        };
        if self.goal.is_none() {
            need(
                "performance goal",
                false,
                "rigor tune set --goal 'latency.p95 < 120ms at 100/s'",
            );
        }
        if self.reproducer.is_none() {
            need(
                "test or benchmark",
                false,
                "rigor tune set --scenario NAME (or --bench NAME; --url URL or --command CMD writes a minimal one into the plan)",
            );
        }
        if self.baseline_run.is_none() {
            need("baseline", true, "rigor tune baseline");
        }
        if self.scope.is_none() {
            need(
                "scope",
                false,
                "rigor tune set --scope 'the component, service or code path'",
            );
        }
        if self.approved.is_none() {
            need("tuning approved", false, "rigor tune approve");
        }
        if self.tests.is_none() {
            need(
                "no functional regressions (a test command)",
                false,
                "rigor tune set --tests 'cargo test'",
            );
        }
        out
    }

    /// Why it is blocked — the inputs rigor cannot supply itself — or `None`.
    pub fn blocked_by(&self) -> Vec<Missing> {
        self.missing()
            .into_iter()
            .filter(|m| !m.remedied_by_rigor)
            .collect()
    }

    /// The latest answer to `gate`, if it has one.
    pub fn answer(&self, gate: Gate) -> Option<&GateAnswer> {
        self.gates.iter().rev().find(|a| a.gate == gate)
    }

    fn passed(&self, gate: Gate) -> bool {
        self.answer(gate).is_some_and(|a| a.answer == Answer::Yes)
    }

    /// The hypotheses in the plan's order: by return on effort, highest first (the 80/20),
    /// then as they were added.
    pub fn ordered_hypotheses(&self) -> Vec<&Hypothesis> {
        let mut out: Vec<&Hypothesis> = self.hypotheses.iter().collect();
        out.sort_by(|a, b| {
            b.return_on_effort()
                .total_cmp(&a.return_on_effort())
                .then(a.id.cmp(&b.id))
        });
        out
    }
}

/// What `rigor tune status --json` prints: the session, its tracker, what it still needs, how
/// its baseline stands against the goal, and the next command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TuneStatus {
    pub session: Session,
    pub phases: Vec<PhaseRow>,
    pub missing: Vec<Missing>,
    pub goal: Option<GoalCheck>,
    /// The plan's risks: a benchmark noisier than the goal's margin, the trade-offs each
    /// hypothesis's area tends to make, and those the iterations made.
    #[serde(default)]
    pub risks: Vec<String>,
    pub next: String,
}

/// A measured run against the goal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GoalCheck {
    pub run_id: i64,
    pub metric: String,
    /// The value measured, in the metric's unit; `None` when the run has no data for it.
    pub value: Option<f64>,
    pub value_text: String,
    /// The goal's target as written (`120ms`, `-20%`).
    pub target_text: String,
    pub met: Option<bool>,
    /// The gap in words: how far from the goal, or how far past it.
    pub verdict: String,
}

/// Whether a metric is an outcome a change can trade away (latency, throughput, errors, CPU,
/// memory, a command's times) rather than a diagnostic signal.
pub fn is_outcome(metric: &str) -> bool {
    use crate::metric::Metric;
    match metric.parse::<Metric>() {
        Ok(Metric::Target(_)) => {
            // The CPU as a whole and the memory are outcomes; the user/system split of a
            // near-idle target doubles on noise and only explains the total.
            matches!(metric, "target.cpu" | "target.cpu.p95" | "target.cpu.max")
                || metric.starts_with("target.rss")
        }
        Ok(Metric::Scraped(_) | Metric::ScheduleLag(_) | Metric::Stage(..)) => false,
        Ok(_) => true,
        Err(_) => false,
    }
}

/// Whether a goal's target is relative to the baseline.
pub fn goal_is_relative(goal: &Expr) -> bool {
    matches!(goal.target, Target::Relative(_))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goals_parse_in_the_expression_grammar() {
        let g = parse_goal("latency.p95{scenario=product-get} < 120ms at 100/s").unwrap();
        assert_eq!(g.at.map(|r| r.as_per_second()), Some(100.0));
        assert!(goal_is_relative(&parse_goal("target.cpu -20%").unwrap()));
        assert!(parse_goal("throughput > 500/s").is_ok());
        let e = parse_goal("latency.p95 < 120ms sustained 1m").unwrap_err();
        assert!(e.message.contains("belong to rules"), "{e}");
        assert!(parse_goal("latncy.p95 < 1s")
            .unwrap_err()
            .to_string()
            .contains("did you mean"));
    }

    #[test]
    fn a_new_session_needs_every_input_and_takes_its_baseline_itself() {
        let mut s = Session::default();
        let missing = s.missing();
        let inputs: Vec<&str> = missing.iter().map(|m| m.input.as_str()).collect();
        assert_eq!(
            inputs,
            [
                "performance goal",
                "test or benchmark",
                "baseline",
                "scope",
                "tuning approved",
                "no functional regressions (a test command)"
            ]
        );
        assert!(!s.blocked_by().iter().any(|m| m.input == "baseline"));
        assert_eq!(
            s.next_command(),
            "rigor tune set --goal 'latency.p95 < 120ms at 100/s'"
        );
        s.goal = Some("latency.p95 < 1s".into());
        s.reproducer = Some(Reproducer::Scenario("api".into()));
        s.scope = Some("the API".into());
        s.approved = Some(Signed::default());
        s.tests = Some("true".into());
        assert_eq!(s.next_command(), "rigor tune baseline");
        assert_eq!(s.phases()[0].status, PhaseStatus::InProgress);
    }

    #[test]
    fn hypotheses_are_ordered_by_return_on_effort() {
        let h = |id, gain, effort| Hypothesis {
            id,
            gain,
            effort,
            ..Hypothesis::default()
        };
        let s = Session {
            hypotheses: vec![h(1, 2, 4), h(2, 5, 1), h(3, 3, 3), h(4, 4, 1)],
            ..Session::default()
        };
        let order: Vec<u32> = s.ordered_hypotheses().iter().map(|h| h.id).collect();
        assert_eq!(order, [2, 4, 3, 1]);
        assert_eq!("caching".parse::<Area>(), Ok(Area::Caching));
        assert!("magic"
            .parse::<Area>()
            .unwrap_err()
            .contains("algorithm, database"));
        assert_eq!("3".parse::<Gate>(), Ok(Gate::Diagnosis));
    }
}
