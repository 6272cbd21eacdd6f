//! `capacity-analysis.json`: what a capacity search found. The steps it made (each a stored
//! run), how each was judged, the maximum sustainable throughput with its bracket, the knee of
//! the latency–throughput curve, the Universal Scalability Law fitted to the steps, and what
//! growth would need and cost. Written by `rigor capacity`, kept in the store after every step
//! (so an interrupted search keeps its group), and read by its Markdown and HTML reports.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The version of the document's form.
pub const CAPACITY_SCHEMA_VERSION: u32 = 1;

/// `capacity-analysis.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CapacityReport {
    pub schema_version: u32,
    /// The search's id in the store, when it was kept.
    pub search_id: Option<i64>,
    /// The plan's scenario searched with; its steps are stored as runs of `SCENARIO@capacity`.
    pub scenario: String,
    /// How load was offered: arrival rates stepped up (open) or users swept (closed).
    pub model: SearchModel,
    /// The SLOs every step had to keep, as given.
    pub slos: Vec<String>,
    /// How the search was set up.
    pub settings: CapacitySettings,
    /// Wall-clock start of the search, Unix nanoseconds.
    pub started_at_ns: i64,
    pub steps: Vec<CapacityStep>,
    pub outcome: CapacityOutcome,
    /// The knee of latency against throughput, over the steps that were judged.
    pub knee: Option<Knee>,
    /// The Universal Scalability Law fitted to (concurrency, throughput) of the judged steps;
    /// `None` with fewer than three distinct concurrencies, with why in `outcome.notes`.
    pub scalability: Option<Scalability>,
    /// What growth needs and costs, when `--growth` was given and a capacity was found.
    pub growth: Option<Growth>,
}

/// How a search offers load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SearchModel {
    /// Arrival rates, stepped up then narrowed (the open model: arrivals do not wait for
    /// responses, so queueing shows).
    Open,
    /// A fixed number of users each, swept (the closed model: each user waits for its
    /// response), for scalability modelling.
    Closed,
}

/// The search's bounds and step shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CapacitySettings {
    /// The first step's rate (open model).
    pub start_per_s: Option<f64>,
    /// Each step this many times the last (geometric stepping).
    pub factor: Option<f64>,
    /// Each step this much above the last (additive stepping), per second.
    pub step_per_s: Option<f64>,
    /// The most the search offers, per second.
    pub max_rate_per_s: Option<f64>,
    /// The users of each step (closed model).
    pub concurrency: Vec<u32>,
    pub max_time_s: f64,
    /// Narrowing rounds between the last pass and the first fail.
    pub rounds: u32,
    pub ramp_s: f64,
    pub warmup_s: f64,
    /// The judged part of each step.
    pub hold_s: f64,
}

/// One step: a stored run at one offered rate (or number of users), judged on its hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CapacityStep {
    /// 1, 2, … in the order they ran.
    pub step: u32,
    pub run_id: i64,
    /// The arrival rate offered (open model).
    pub offered_per_s: Option<f64>,
    /// The users (closed model).
    pub users: Option<u32>,
    /// Responses a second over the hold: the median of its per-second completions.
    pub achieved_per_s: f64,
    /// Over the hold, of responses (failures are counted apart).
    pub latency_mean_ns: Option<f64>,
    pub latency_p50_ns: Option<f64>,
    pub latency_p95_ns: Option<f64>,
    pub latency_p99_ns: Option<f64>,
    /// Failed requests over all requests in the hold, 0–1.
    pub error_rate: f64,
    /// The target's CPU over the hold (cores busy, 1.0 = one core), when it was sampled.
    pub target_cpu: Option<f64>,
    /// Requests in the system by Little's law: achieved throughput × mean latency.
    pub in_flight: Option<f64>,
    pub verdict: StepVerdictKind,
    /// Why it failed or was not judged, one reason each.
    pub reasons: Vec<String>,
}

/// How a step was judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepVerdictKind {
    /// Every SLO held and the throughput kept up with the offered rate.
    Pass,
    /// The system did not sustain the step.
    Fail,
    /// The step says nothing of the system (the generator fell behind, or the run did not
    /// complete).
    NotJudged,
}

/// How the search ended and what it found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CapacityOutcome {
    pub ended: SearchEnd,
    /// The highest offered rate (or users) that passed: the maximum sustainable throughput
    /// is the achieved rate of that step.
    pub max_sustainable_per_s: Option<f64>,
    /// The offered rate of the highest step that passed.
    pub last_pass_per_s: Option<f64>,
    /// The lowest offered rate that failed: with `last_pass_per_s`, the bracket.
    pub first_fail_per_s: Option<f64>,
    /// The result in a sentence, as the terminal says it.
    pub summary: String,
    /// What a reader should know: a fit refused, a projection flagged.
    pub notes: Vec<String>,
}

/// Why a search ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SearchEnd {
    /// A pass and a fail, narrowed as far as asked.
    Bracketed,
    /// Every step passed up to `--max-rate`: the capacity is above it.
    MaxRate,
    /// The first step failed: the capacity is below the start.
    FirstStepFailed,
    /// `--max-time` came before the search ended.
    OutOfTime,
    /// Ctrl-C: every step so far is stored.
    Interrupted,
    /// A step could not be judged (the generator fell behind): nothing past the last pass is
    /// claimed.
    NotJudged,
    /// The target failed at the first step.
    TargetDown,
    /// Every requested concurrency was measured (closed model).
    Swept,
}

/// The knee of latency against achieved throughput: where latency turns from flat to steep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Knee {
    /// The latency the curve is of (`latency.p95`).
    pub latency: String,
    /// Kneedle's knee (sensitivity 1), when it finds one.
    pub kneedle: Option<KneePoint>,
    /// The first step where latency's slope exceeds `slope_factor` times its low-load slope.
    pub slope: Option<KneePoint>,
    pub slope_factor: f64,
}

/// A step at the knee.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct KneePoint {
    pub step: u32,
    pub throughput_per_s: f64,
    pub latency_ns: f64,
}

/// The Universal Scalability Law, `X(N) = λN / (1 + σ(N−1) + κN(N−1))`, fitted by non-linear
/// least squares to the judged steps' (concurrency, throughput).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Scalability {
    /// Where the concurrency came from: the users of each step (closed model), or Little's law
    /// (achieved throughput × mean latency) for the open model.
    pub concurrency_from: String,
    /// The points fitted: (concurrency, throughput per second).
    pub points: Vec<(f64, f64)>,
    /// Contention: the serialised share.
    pub sigma: f64,
    /// Coherency: the cost of keeping shared state consistent.
    pub kappa: f64,
    /// The throughput of one unit of concurrency, per second.
    pub lambda: f64,
    pub sigma_se: Option<f64>,
    pub kappa_se: Option<f64>,
    pub lambda_se: Option<f64>,
    pub r_squared: f64,
    /// Measured minus fitted throughput, point by point.
    pub residuals: Vec<f64>,
    /// `√((1 − σ)/κ)`: where throughput peaks; `None` without coherency delay.
    pub peak_concurrency: Option<f64>,
    /// The modelled throughput at the peak.
    pub peak_throughput_per_s: Option<f64>,
    /// `λ/σ`: the ceiling throughput tends to without coherency delay.
    pub amdahl_ceiling_per_s: Option<f64>,
    /// `contention` when σ(N−1) outweighs κN(N−1) at the largest measured concurrency,
    /// `coherency` when κ's term does, `undetermined` when the deciding coefficient is within
    /// twice its standard error of zero.
    pub bound_by: String,
    /// The largest concurrency measured: the model is not evidence beyond about twice it.
    pub largest_measured: f64,
    /// The model evaluated from zero to twice the largest measured concurrency (and no
    /// further), for charts: (concurrency, throughput per second).
    pub curve: Vec<(f64, f64)>,
    /// Whether the peak lies beyond twice the largest measured concurrency (an extrapolation,
    /// not a finding).
    pub peak_extrapolated: bool,
}

/// What `--growth` needs: instances at a target utilisation, headroom and cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Growth {
    /// Today's peak load, per second (`--load`, or the scenario's highest rate).
    pub current_per_s: f64,
    pub factor: f64,
    /// `current × factor`.
    pub projected_per_s: f64,
    /// The measured maximum sustainable throughput of what was tested (one instance).
    pub capacity_per_instance_per_s: f64,
    /// The utilisation instances are planned at, 0–1.
    pub target_utilisation: f64,
    /// Instances today's load needs at the target utilisation.
    pub instances_now: u32,
    /// Instances the projected load needs at the target utilisation.
    pub instances_needed: u32,
    /// Capacity of one instance over today's load, minus one (0.5 = 50 % headroom).
    pub headroom_now: f64,
    /// Capacity of one instance over the projected load, minus one (negative: it will not
    /// hold alone).
    pub headroom_projected: f64,
    pub cost_per_instance_hour: Option<f64>,
    /// What a million requests cost at the SLO, at the target utilisation.
    pub cost_per_million_requests: Option<f64>,
    /// The projected load's instances, a month (730 hours).
    pub monthly_cost_projected: Option<f64>,
    /// A scaling policy's target: the throughput utilisation at the knee (scale out before
    /// latency turns), when a knee was found below the capacity.
    pub scale_out_utilisation: Option<f64>,
    /// The target's CPU at the knee step, when it was sampled: a CPU-based policy's target.
    pub scale_out_cpu: Option<f64>,
    /// The assumptions the figures rest on.
    pub assumptions: Vec<String>,
}
