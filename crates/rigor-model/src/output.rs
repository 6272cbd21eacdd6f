//! The versioned JSON output: what `--json` writes and what the store keeps as a run's
//! summary. This is a contract with other tools: field names are `snake_case`, times are
//! integer nanoseconds (`*_ns`), and any incompatible change bumps [`SCHEMA_VERSION`]. The
//! committed JSON Schema (`schema/run-summary.schema.json`) is checked against these types by
//! a test.

pub mod bench;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub mod analysis;
pub mod capacity;
pub mod history;
pub mod imported;
pub mod profile;
pub mod report;

pub use crate::status::{RunKind, RunStatus};

/// Version of the JSON output and stored summaries.
pub const SCHEMA_VERSION: u32 = 4;

/// Summary statistics of one latency distribution, in nanoseconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LatencySummary {
    pub count: u64,
    pub min_ns: u64,
    pub mean_ns: u64,
    pub stdev_ns: u64,
    pub p50_ns: u64,
    pub p90_ns: u64,
    pub p95_ns: u64,
    pub p99_ns: u64,
    pub p999_ns: u64,
    pub max_ns: u64,
}

/// Figures for the whole run, one request name, or one phase.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GroupSummary {
    /// `"all"` for the whole run; otherwise the request or phase name.
    pub name: String,
    /// Requests completed (with a response or an error).
    pub requests: u64,
    pub errors: u64,
    pub error_rate: f64,
    /// Completed requests per second over the group's active time.
    pub throughput_per_s: f64,
    /// Time this group was active, in nanoseconds.
    pub duration_ns: u64,
    /// Latency of the requests that succeeded, from each one's intended start (coordinated
    /// omission corrected). Failed requests are not in it: see `failed_latency`.
    pub latency: LatencySummary,
    /// Latency of the requests that succeeded, from each one's actual send.
    pub raw_latency: LatencySummary,
    /// Latency from intended start of the requests that failed after they were sent
    /// (timeouts, resets, error statuses, failed checks), apart from the responses'.
    #[serde(default)]
    pub failed_latency: LatencySummary,
    /// Requests sent that had no answer when the run stopped (Ctrl-C, or the drain after
    /// the schedule ended): neither completed nor errors.
    #[serde(default)]
    pub abandoned: u64,
    /// Requests sent a second time on a new connection because the server closed their
    /// keep-alive connection as they went out (idempotent methods only, once each).
    #[serde(default)]
    pub retried: u64,
    /// Errors by kind: `connect_refused`, `timeout`, `http_503`, `check_body` …
    pub errors_by_kind: BTreeMap<String, u64>,
    /// Responses by HTTP status code.
    pub status_codes: BTreeMap<String, u64>,
    /// Where the requests' time went, stage by stage; absent in runs recorded before rigor
    /// measured it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stages: Option<StageSummary>,
}

/// Where a group's requests spent their time: the waterfall of the protocol's network
/// analysis. Each stage is a distribution of its own, so the stages' percentiles do not add
/// up to the total's; their means do, nearly: `latency.mean` ≈ wait + connect share + TLS
/// share + TTFB + transfer, where the wait is for a free connection.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StageSummary {
    /// TCP connect of the connections these requests opened (`count` is how many: a request
    /// on a kept-alive connection opened none).
    pub connect: LatencySummary,
    /// TLS handshakes of the connections these requests opened (none over plain HTTP).
    pub tls: LatencySummary,
    /// From the request's send to the first byte of its response, for the responses that
    /// succeeded: the server's think time plus one round trip.
    pub ttfb: LatencySummary,
    /// From the first byte of the response to its last, for the responses that succeeded.
    pub transfer: LatencySummary,
}

impl StageSummary {
    /// The stage's distribution.
    pub fn of(&self, stage: crate::metric::Stage) -> &LatencySummary {
        use crate::metric::Stage;
        match stage {
            Stage::Connect => &self.connect,
            Stage::Tls => &self.tls,
            Stage::Ttfb => &self.ttfb,
            Stage::Transfer => &self.transfer,
        }
    }
}

/// The load generator's own health during the run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GeneratorHealth {
    /// Actual send minus intended send, over all requests (open model): includes any wait for
    /// a free connection, which is the server's doing when it is slow.
    pub schedule_lag: LatencySummary,
    /// The generator's own part: how late its scheduler handed each arrival over. This is
    /// what marks a run invalid when it exceeds `--max-lag`.
    pub scheduler_lag: LatencySummary,
    /// Arrivals that had to wait because no connection was free.
    pub late_arrivals: u64,
    /// Arrivals never sent: the backlog was full or the run ended first.
    pub dropped_arrivals: u64,
    /// CPU time the generator used (user + system), in nanoseconds.
    pub cpu_ns: u64,
    /// CPU time over wall time over the cores the generator could use (0 to 1).
    pub cpu_utilisation: f64,
    pub threads: u32,
    pub connections_opened: u64,
    /// Idle connections let go during the run: closed by the server (keep-alive timeout),
    /// or unused for 30 s after a stall made the generator open more than the load needs.
    #[serde(default)]
    pub connections_closed_idle: u64,
    /// CPU cores that other processes on the machine kept busy on average during the run
    /// (the machine's busy cores less the run's own use), when `/proc/stat` could be read: a
    /// comparison of runs with very different figures here warns that the machine, not the
    /// code, may account for a change.
    #[serde(default)]
    pub host_other_cpu_cores: Option<f64>,
    /// Peak resident memory of the generator, in bytes.
    pub peak_rss_bytes: u64,
}

/// The system under test's saturation over the run, from per-second `/proc` samples of its
/// process and every process under it (summed), with the host's stall pressure.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TargetSummary {
    pub pid: u32,
    /// Seconds sampled.
    pub samples: u32,
    #[serde(flatten)]
    pub figures: TargetFigures,
    /// The same figures over each phase's seconds, for `{phase=...}` filters.
    #[serde(default)]
    pub phases: Vec<PhaseFigures>,
    /// Each process of the tree that was seen, busiest first (at most 20).
    #[serde(default)]
    pub processes: Vec<ProcessSummary>,
    /// Figures that could not be read, and why (each said once).
    #[serde(default)]
    pub notes: Vec<String>,
    /// How the target ended, when it exited during the run.
    #[serde(default)]
    pub exit: Option<TargetExit>,
    /// What the target printed last (at most 16 KiB), when rigor started it and it failed.
    #[serde(default)]
    pub output_tail: Option<String>,
    /// Whether its memory, open files and threads kept growing after the warm-up.
    #[serde(default)]
    pub trends: Vec<TrendFigures>,
}

/// Whether a figure of the target kept growing after the warm-up: leak detection by a robust
/// trend (the Theil–Sen slope over block means, with Sen's 95 % interval). A leak is called
/// only when the interval is above zero, the growth is beyond the threshold, and both halves
/// grow at the same pace — so noise, a garbage collector's sawtooth and a one-off step are not.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TrendFigures {
    /// `target.rss`, `target.fds` or `target.threads`.
    pub series: String,
    /// The first second judged (after the warm-up) and how many were.
    pub from_second: u32,
    pub seconds: u32,
    /// Growth per second, with its 95 % interval, and over each half of the seconds judged.
    pub slope_per_s: f64,
    pub lower_per_s: f64,
    pub upper_per_s: f64,
    pub first_half_per_s: f64,
    pub second_half_per_s: f64,
    /// The growth per hour beyond which a leak is called.
    pub threshold_per_hour: f64,
    pub leaking: bool,
    /// The verdict in words.
    pub verdict: String,
    /// The memory limit the growth is projected to (memory only), and where it was read.
    pub limit_bytes: Option<u64>,
    pub limit_source: Option<String>,
    /// Seconds from the end of the run until the limit, at this slope, when leaking.
    pub time_to_limit_s: Option<f64>,
}

/// The target's figures over a span of seconds. Rates are means over the span's seconds;
/// `None` marks a figure that could not be read (see the summary's notes) or that runs
/// recorded before rigor measured it do not have.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TargetFigures {
    /// CPU as a share of the machine's cores (0 to 1), mean and highest second.
    pub cpu_mean: f64,
    pub cpu_max: f64,
    /// CPU in cores (1.0 = one core fully busy), mean over the span.
    pub cpu_cores_mean: f64,
    /// Percentiles of the per-second CPU share.
    #[serde(default)]
    pub cpu_p50: Option<f64>,
    #[serde(default)]
    pub cpu_p90: Option<f64>,
    #[serde(default)]
    pub cpu_p95: Option<f64>,
    #[serde(default)]
    pub cpu_p99: Option<f64>,
    /// User and system CPU apart, as shares of the machine.
    #[serde(default)]
    pub cpu_user_mean: Option<f64>,
    #[serde(default)]
    pub cpu_system_mean: Option<f64>,
    pub rss_start_bytes: u64,
    pub rss_end_bytes: u64,
    pub rss_max_bytes: u64,
    pub threads_max: u32,
    pub fds_max: u32,
    /// The most processes alive at once (the target and its descendants).
    #[serde(default)]
    pub processes_max: Option<u32>,
    /// Context switches per second, all and involuntary (preempted by the scheduler).
    #[serde(default)]
    pub ctx_switches_per_s: Option<f64>,
    #[serde(default)]
    pub involuntary_switches_per_s: Option<f64>,
    /// Storage bytes read and written per second.
    #[serde(default)]
    pub read_bytes_per_s: Option<f64>,
    #[serde(default)]
    pub write_bytes_per_s: Option<f64>,
    /// Page faults per second: minor (no I/O) and major (read from storage).
    #[serde(default)]
    pub minor_faults_per_s: Option<f64>,
    #[serde(default)]
    pub major_faults_per_s: Option<f64>,
    /// The host's stall pressure (PSI), when the kernel reports it.
    #[serde(default)]
    pub host_pressure: Option<PressureFigures>,
}

/// The share of time (0 to 1) some task on the host waited for each resource, mean over the
/// span's seconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PressureFigures {
    pub cpu: Option<f64>,
    pub memory: Option<f64>,
    pub io: Option<f64>,
}

/// The target's figures within one phase.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PhaseFigures {
    pub phase: String,
    /// Seconds sampled within the phase.
    pub samples: u32,
    #[serde(flatten)]
    pub figures: TargetFigures,
}

/// One process of the target's tree.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProcessSummary {
    pub pid: u32,
    pub ppid: u32,
    pub command: String,
    /// Seconds it was seen in.
    pub seconds: u32,
    /// CPU it used itself, in cores, mean over the seconds it was seen.
    pub cpu_cores_mean: f64,
    pub rss_max_bytes: u64,
    pub threads_max: u32,
}

/// How a target rigor started ended during a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TargetExit {
    /// The second of the run it was found gone in.
    pub second: u32,
    /// Its exit code, when it exited.
    pub code: Option<i32>,
    /// The signal that killed it, when one did.
    pub signal: Option<i32>,
    /// As a person reads it: `exit status 3`, `killed by signal 9 (SIGKILL)`.
    pub status: String,
}

/// The target's own metrics, scraped from its exposition endpoint (`[target.metrics]`) and
/// given by its probes (`[[target.probe]]`) while the run went: how the scraping and the
/// probes went, and each series' figures.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ScrapeSummary {
    /// The endpoint scraped, when one was.
    pub url: Option<String>,
    /// The interval between scrapes, in nanoseconds.
    pub every_ns: u64,
    pub scrapes: u32,
    /// Scrapes that failed (refused, timed out, not the exposition format, not 2xx).
    pub failed: u32,
    pub last_error: Option<String>,
    #[serde(default)]
    pub notes: Vec<String>,
    /// Every series kept, by name: a gauge as read, a counter as its rate per second, a
    /// histogram's `.p50`/`.p95`/`.p99`/`.max`/`.rate` per interval; values as the exporter
    /// gave them (seconds in seconds).
    pub series: Vec<SeriesFigures>,
    /// The same over each phase's seconds, for `{phase=...}` filters.
    #[serde(default)]
    pub phases: Vec<PhaseSeries>,
    /// The probes run, each with how it went.
    #[serde(default)]
    pub probes: Vec<ProbeSummary>,
}

/// One `[[target.probe]]` over the run. Its series (named as the probe) is among the summary's:
/// a number probe's values, or a text probe's count of changes so far.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProbeSummary {
    pub name: String,
    pub command: String,
    /// `number` or `text`.
    pub kind: String,
    pub every_ns: u64,
    pub runs: u32,
    /// Runs that failed (a non-zero exit, the timeout, a number probe printing no number).
    pub failed: u32,
    pub last_error: Option<String>,
    /// A text probe's first output and each change after it.
    #[serde(default)]
    pub texts: Vec<ProbeText>,
}

/// A text probe's output at the second it first appeared.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProbeText {
    pub second: u32,
    /// FNV-1a of the output.
    pub hash: String,
    /// Its first line (at most 200 characters).
    pub first_line: String,
}

/// A scraped series' figures over a span of scrapes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SeriesFigures {
    /// `name`, `name{label="value"}`, `name.p99{label="value"}`.
    pub series: String,
    pub samples: u32,
    pub mean: f64,
    pub min: f64,
    pub max: f64,
    pub p95: f64,
    pub last: f64,
}

impl SeriesFigures {
    /// The figure a statistic over the scrapes reads.
    pub fn stat(&self, stat: crate::metric::SeriesStat) -> f64 {
        use crate::metric::SeriesStat;
        match stat {
            SeriesStat::Mean => self.mean,
            SeriesStat::Min => self.min,
            SeriesStat::Max => self.max,
            SeriesStat::P95 => self.p95,
            SeriesStat::Last => self.last,
        }
    }
}

/// The scraped series within one phase.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PhaseSeries {
    pub phase: String,
    pub series: Vec<SeriesFigures>,
}

/// A threshold's verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ThresholdOutcome {
    pub threshold: String,
    /// The measured value in the metric's unit (ns, fraction, per second, count); `null` when
    /// the run has no data for it.
    pub value: Option<f64>,
    pub value_text: String,
    pub passed: bool,
}

/// Where a run was taken: comparisons across different environments warn.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Environment {
    pub rigor_version: String,
    pub hostname: String,
    pub os: String,
    pub kernel: String,
    pub cpu_model: String,
    pub cores: u32,
    pub memory_bytes: u64,
    pub git_commit: Option<String>,
    pub git_dirty: Option<bool>,
    /// The branch checked out; `None` when detached (or recorded by a rigor that did not
    /// keep it).
    #[serde(default)]
    pub git_branch: Option<String>,
    pub load_average_1m: Option<f64>,
}

/// One load run, as `--json` prints it and the store keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RunSummary {
    pub schema_version: u32,
    pub run_id: i64,
    pub kind: RunKind,
    pub scenario: String,
    /// `open` (arrival rate) or `closed` (fixed concurrency).
    pub model: String,
    pub status: RunStatus,
    /// Why the run is invalid, interrupted or aborted.
    pub status_reason: Option<String>,
    /// RFC 3339, UTC.
    pub started_at: String,
    pub ended_at: String,
    pub duration_ns: u64,
    pub total: GroupSummary,
    pub requests: Vec<GroupSummary>,
    pub phases: Vec<GroupSummary>,
    pub generator: GeneratorHealth,
    /// The target's resources, when rigor could sample its process.
    #[serde(default)]
    pub target: Option<TargetSummary>,
    /// The target's own metrics, when they were scraped.
    #[serde(default)]
    pub target_metrics: Option<ScrapeSummary>,
    /// The run's slowest requests (at most 10), slowest first, with their trace ids when the
    /// run sent `traceparent`; each second's slowest are kept with its window in the store.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slowest: Vec<SlowRequest>,
    /// For each spike phase, how long the service took to come back after it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recoveries: Vec<Recovery>,
    /// The journeys walked, when the scenario is a journey (its steps' figures are the
    /// `requests`, by the same names).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub journey: Option<JourneySummary>,
    /// What was replayed, when the scenario replays a log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replay: Option<ReplaySummary>,
    pub thresholds: Vec<ThresholdOutcome>,
    pub environment: Environment,
}

/// A replayed log: what of it was sent, how, and what it could not reproduce.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct ReplaySummary {
    pub file: String,
    /// Its requests that can be sent again, each once per pass over the log.
    pub replayable: u64,
    /// `log` or `shuffle`.
    pub order: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// The log's timing, this many times faster; `null` when the phases set the rate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speed: Option<f64>,
    /// How long the log spans, first request to last.
    pub span_ns: u64,
    /// Lines it could not reproduce, by why: never guessed at, never sent.
    pub skipped: Vec<SkippedLines>,
}

/// Lines of a replayed log left out for one reason.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SkippedLines {
    pub reason: String,
    pub count: u64,
    /// The first few of their line numbers.
    pub lines: Vec<usize>,
}

/// A journey's walks: how many started, completed and failed (at which step), and how long a
/// whole walk took.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct JourneySummary {
    pub started: u64,
    /// Walks whose every step succeeded.
    pub completed: u64,
    /// Walks ended by a failed step (counted with it in `steps`).
    pub failed: u64,
    /// Walks started but neither completed nor failed: stopped mid-walk, or still walking
    /// when the run's drain ended.
    pub unfinished: u64,
    /// Walks started per second of the run: the arrival rate, in the open model.
    pub started_per_s: f64,
    /// Failed over completed and failed.
    pub failure_rate: f64,
    /// From each completed walk's intended start to its last step's response, think times
    /// included.
    pub duration: LatencySummary,
    pub steps: Vec<JourneyStepSummary>,
    /// The same, per phase (the phase each walk started in).
    pub phases: Vec<JourneyPhaseSummary>,
}

/// One second's journeys as the store keeps them beside its window (JSON in the `journeys`
/// column): the walks that started in it, and those that ended in it, completed or failed
/// by step.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WindowJourneys {
    pub started: u64,
    pub completed: u64,
    pub failed_at: Vec<u64>,
}

impl WindowJourneys {
    pub fn failed(&self) -> u64 {
        self.failed_at.iter().sum()
    }
}

/// One step of a journey, beside its request's figures (under the same name in `requests`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct JourneyStepSummary {
    pub step: String,
    pub repeat: u32,
    pub think_ns: u64,
    /// What it takes from its response: `token = json:/token`.
    pub extracts: Vec<String>,
    /// Walks that ended at this step because it failed.
    pub failed_walks: u64,
    /// Why a value could not be taken, the first time it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extract_failure: Option<String>,
}

impl JourneyStepSummary {
    /// The rows of `scenario`'s journey (empty when it has none), each with the walks that
    /// ended at it (`failed_at`, by step) and why it could not take a value, if it could not.
    pub fn of_steps(
        scenario: &crate::plan::Scenario,
        failed_at: &[u64],
        why: impl Fn(usize) -> Option<String>,
    ) -> Vec<JourneyStepSummary> {
        let Some(journey) = &scenario.journey else {
            return Vec::new();
        };
        journey
            .steps
            .iter()
            .enumerate()
            .map(|(i, step)| JourneyStepSummary {
                step: scenario
                    .requests
                    .get(i)
                    .map(|r| r.name.clone())
                    .unwrap_or_default(),
                repeat: step.repeat,
                think_ns: step.think.as_nanos() as u64,
                extracts: step
                    .extract
                    .iter()
                    .map(|e| format!("{} = {}", e.variable, e.from))
                    .collect(),
                failed_walks: failed_at.get(i).copied().unwrap_or(0),
                extract_failure: why(i),
            })
            .collect()
    }
}

/// A phase's walks.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct JourneyPhaseSummary {
    pub phase: String,
    pub started: u64,
    pub completed: u64,
    pub failed: u64,
    pub started_per_s: f64,
    pub duration: LatencySummary,
}

/// How a spike phase's aftermath went: how long after the spike the latency and the error
/// rate came back to within a tolerance of their level before it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Recovery {
    /// The spike phase.
    pub phase: String,
    /// The phase before it, whose level is the one to come back to.
    pub before: String,
    /// The level before: the median of that phase's per-second p95s, and its error rate.
    pub before_p95_ns: u64,
    pub before_error_rate: f64,
    /// A second is back when its p95 is within this share above `before_p95_ns` (0.2: 20 %)
    /// and its error rate within one percentage point of `before_error_rate`, and recovered
    /// when `hold_s` such seconds come in a row.
    pub tolerance: f64,
    pub hold_s: u32,
    /// The worst per-second p95 from the spike's start to the end of the run.
    pub peak_p95_ns: u64,
    /// How long the run went on after the spike ended.
    pub observed_ns: u64,
    /// From the spike's end to the first second of the run of `hold_s` seconds back within
    /// the tolerance, for p95, for the error rate, and for both; `None` when the run ended
    /// first. Whole seconds, as the windows are.
    pub p95_recovered_ns: Option<u64>,
    pub errors_recovered_ns: Option<u64>,
    pub recovered_ns: Option<u64>,
    /// Why the recovery could not be judged, when it could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A request kept for being among the slowest: of the run, or of one second.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct SlowRequest {
    /// The request's name.
    pub request: String,
    pub phase: String,
    /// When it was due, from the start of the run.
    pub due_ns: u64,
    /// From when it was due to its answer or failure (as `latency` measures).
    pub latency_ns: u64,
    /// The status it got (`"200"`), or how it failed (`"timeout"`, `"http_503"`).
    pub outcome: String,
    /// The W3C trace id it was sent with (32 hex digits), when the run sent `traceparent`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
}

/// What the store keeps as a finished run's summary, by the run's kind. The one place that
/// reads a stored summary back: nothing else switches on the kind's word.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum StoredSummary {
    Load(Box<RunSummary>),
    Bench(Box<bench::BenchResult>),
    Imported(Box<imported::ImportedRun>),
}

impl StoredSummary {
    /// Reads the summary text stored for a run of `kind`; `Ok(None)` for a run that has none
    /// (still running, aborted, crashed before its end).
    pub fn parse(
        kind: RunKind,
        text: Option<&str>,
    ) -> Result<Option<StoredSummary>, serde_json::Error> {
        let Some(text) = text.filter(|t| !t.trim().is_empty() && t.trim() != "null") else {
            return Ok(None);
        };
        Ok(Some(match kind {
            RunKind::Load => StoredSummary::Load(Box::new(serde_json::from_str(text)?)),
            RunKind::Bench => StoredSummary::Bench(Box::new(serde_json::from_str(text)?)),
            RunKind::Imported | RunKind::Telemetry => {
                StoredSummary::Imported(Box::new(serde_json::from_str(text)?))
            }
        }))
    }
}

/// The few figures `rigor runs` shows of a finished run, which the store keeps as columns beside
/// the summary, so that listing never reads a summary. Each is `None` where the run's kind or
/// data has no such figure.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RunHeadline {
    /// A load run's completed requests.
    pub requests: Option<u64>,
    /// A load run's completed requests per second.
    pub throughput_per_s: Option<f64>,
    /// A load run's p99 latency (from intended start), when it had responses.
    pub p99_ns: Option<u64>,
    /// A benchmark's timed runs of its first command.
    pub bench_runs: Option<u64>,
    /// A benchmark's mean wall time of its first command.
    pub bench_mean_ns: Option<u64>,
}

impl RunHeadline {
    /// The headline of a load run's summary.
    pub fn of_load(summary: &RunSummary) -> RunHeadline {
        let total = &summary.total;
        RunHeadline {
            requests: Some(total.requests),
            throughput_per_s: Some(total.throughput_per_s),
            p99_ns: (total.latency.count > 0).then_some(total.latency.p99_ns),
            ..RunHeadline::default()
        }
    }

    /// The headline of a benchmark's result: its first command's runs and mean.
    pub fn of_bench(result: &bench::BenchResult) -> RunHeadline {
        let first = result.commands.first().and_then(|c| c.stats.as_ref());
        RunHeadline {
            bench_runs: first.map(|s| s.count),
            bench_mean_ns: first.map(|s| u64::try_from(s.mean.as_nanos()).unwrap_or(u64::MAX)),
            ..RunHeadline::default()
        }
    }

    /// The headline of a stored summary of either kind.
    pub fn of(summary: &StoredSummary) -> RunHeadline {
        match summary {
            StoredSummary::Load(s) => RunHeadline::of_load(s),
            StoredSummary::Bench(b) => RunHeadline::of_bench(b),
            StoredSummary::Imported(_) => RunHeadline::default(),
        }
    }
}

/// One stored run as `rigor runs --json` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RunListEntry {
    pub run_id: i64,
    pub kind: RunKind,
    pub scenario: String,
    pub status: RunStatus,
    pub status_reason: Option<String>,
    pub started_at_ns: i64,
    pub ended_at_ns: Option<i64>,
    pub git_commit: Option<String>,
    /// What the one-line list shows of the run.
    #[serde(default)]
    pub headline: RunHeadline,
    /// The run's summary: a load run's [`RunSummary`] or a benchmark's result; `null` for a
    /// run that did not finish.
    pub summary: Option<StoredSummary>,
}

/// A benchmark as `rigor run --json` lists it: the result with its run id and name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BenchRunOutput {
    pub run_id: i64,
    pub name: String,
    #[serde(flatten)]
    pub result: bench::BenchResult,
}

/// `rigor run --json`: one shape whatever the plan holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PlanRunOutput {
    pub schema_version: u32,
    pub scenarios: Vec<RunSummary>,
    pub benches: Vec<BenchRunOutput>,
}

/// Every committed JSON Schema of this crate's outputs: (file name under `schema/`, schema).
pub fn schemas() -> Vec<(&'static str, serde_json::Value)> {
    let value = |s: schemars::schema::RootSchema| serde_json::to_value(s).unwrap_or_default();
    vec![
        (
            "run-summary.schema.json",
            value(schemars::schema_for!(RunSummary)),
        ),
        (
            "bench-result.schema.json",
            value(schemars::schema_for!(bench::BenchResult)),
        ),
        (
            "run-list.schema.json",
            value(schemars::schema_for!(Vec<RunListEntry>)),
        ),
        (
            "plan-run.schema.json",
            value(schemars::schema_for!(PlanRunOutput)),
        ),
        (
            "load-report.schema.json",
            value(schemars::schema_for!(report::LoadReport)),
        ),
        (
            "history.schema.json",
            value(schemars::schema_for!(history::HistoryReport)),
        ),
        (
            "capacity-analysis.schema.json",
            value(schemars::schema_for!(capacity::CapacityReport)),
        ),
        (
            "tune-status.schema.json",
            value(schemars::schema_for!(crate::tune::TuneStatus)),
        ),
        (
            "performance-intake-report.schema.json",
            value(schemars::schema_for!(crate::tune::artifacts::IntakeReport)),
        ),
        (
            "optimization-plan.schema.json",
            value(schemars::schema_for!(
                crate::tune::artifacts::OptimizationPlan
            )),
        ),
        (
            "optimization-validation-report.schema.json",
            value(schemars::schema_for!(
                crate::tune::artifacts::ValidationReport
            )),
        ),
        (
            "load-test-results.schema.json",
            value(schemars::schema_for!(
                crate::tune::artifacts::LoadTestResults
            )),
        ),
        (
            "performance-report-manifest.schema.json",
            value(schemars::schema_for!(crate::tune::artifacts::Manifest)),
        ),
        (
            "slo-update-record.schema.json",
            value(schemars::schema_for!(crate::slo::SloUpdateRecord)),
        ),
    ]
}
