//! The plan file, `rigor.toml`: what to load, how hard, and what counts as passing.
//!
//! Parsing happens in two stages (ripgrep's habit): serde reads the text into the `*Spec`
//! types, refusing unknown keys with the file, line, column and a did-you-mean; then
//! [`Plan::scenario`] resolves a spec into a [`Scenario`] whose every phase is complete and
//! whose invariants hold, so the engine never sees a half-valid plan.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::threshold::Threshold;

mod bench;
mod checks;
mod edit;
mod extraction;
mod gate;
mod journey;
pub mod limits;
mod locate;
mod phases;
mod rate;
mod resolve;
mod secrets;
mod slo;
mod syntax;
pub mod template;

use locate::{Locator, Step};
use syntax::syntax_error;

use crate::units::{HumanDuration, Rate, Ratio};
pub use bench::{BenchEntry, ListSpec, ScanSpec, ShellChoice, MEASURES};
pub use edit::{set_budget, set_slo, BudgetEdit, SloEdit, SLO_KEYS};
pub use extraction::Extraction;
pub use gate::{Action, BudgetSpec, Check, CheckKind, RuleSpec};
pub use journey::{Extract, Journey, JourneyStep, StepSpec};
pub use resolve::{check_header_name, check_url, Place, ResolveError};
pub use secrets::{redact_value, DEFAULT_SECRET_HEADERS, REDACTED};
pub use slo::{le_label, prometheus_duration, BurnAlert, Selector, Sli, Slo, SloCheck, SloSpec};

/// A parsed `rigor.toml`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// The system under test, started before the scenarios when `command` is set.
    pub target: Option<TargetSpec>,
    #[serde(default)]
    pub scenario: Vec<ScenarioSpec>,
    /// Command benchmarks, run by `rigor run` beside the scenarios.
    #[serde(default)]
    pub bench: Vec<BenchEntry>,
    /// Absolute goals judged by `rigor gate`: the performance budget table.
    #[serde(default)]
    pub budget: Vec<BudgetSpec>,
    /// Regression rules against the baseline: the escalation table.
    #[serde(default)]
    pub rule: Vec<RuleSpec>,
    /// Service level objectives: judged over each run of their scenario, and turned into
    /// Prometheus alerting rules by `rigor slo rules`.
    #[serde(default)]
    pub slo: Vec<SloSpec>,
    /// Where the run store lives (default `.rigor/rigor.db`).
    pub store: Option<String>,
    /// Headers whose values are credentials in every scenario, beside the ones always
    /// treated so ([`DEFAULT_SECRET_HEADERS`]): never stored or printed as written.
    #[serde(default)]
    pub secret_headers: Vec<String>,
    /// The text the plan was read from, for the line and column of later messages.
    #[serde(skip)]
    text: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetSpec {
    /// Command line that starts the target, run with `sh -c`; `rigor …` means this rigor.
    pub command: Option<String>,
    /// URL polled until it answers 2xx before the load starts.
    pub ready: Option<String>,
    /// How long to wait for `ready` (default 30s).
    pub ready_timeout: Option<HumanDuration>,
    /// The target's own metrics, scraped while a run goes.
    pub metrics: Option<MetricsSpec>,
    /// The memory the target may use (`512MiB`): a leak's growth is projected to it (without
    /// it, to the target's control group limit, when it has one).
    pub memory_limit: Option<crate::units::Bytes>,
    /// Commands run every interval while a run goes, whose output is a series of the run.
    #[serde(default)]
    pub probe: Vec<ProbeTable>,
}

/// `[[target.probe]]`: a command whose number becomes the series `target.metric.NAME` (a
/// queue's depth, a pool's connections), or whose text's changes are counted there (a query
/// plan's `EXPLAIN`, `kind = "text"`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProbeTable {
    /// Its series' name: letters, digits and `_`.
    pub name: String,
    /// Run with `sh -c` in the plan's directory.
    pub command: String,
    /// How often (default 5s).
    pub every: Option<HumanDuration>,
    /// How long one run may take before it is killed and counted failed (default the
    /// interval, at most 10s).
    pub timeout: Option<HumanDuration>,
    /// `number` (default) or `text`.
    pub kind: Option<String>,
}

impl ProbeTable {
    pub fn interval(&self) -> Duration {
        self.every.map_or(Duration::from_secs(5), |d| d.0)
    }

    pub fn run_timeout(&self) -> Duration {
        self.timeout
            .map_or_else(|| self.interval().min(Duration::from_secs(10)), |d| d.0)
    }

    /// Whether the probe's output is text (its changes counted) rather than a number.
    pub fn is_text(&self) -> bool {
        self.kind.as_deref() == Some("text")
    }

    fn check(&self) -> Result<(), String> {
        let name_ok = self
            .name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !name_ok {
            return Err(format!(
                "name = \"{}\": a probe's name is its series' and is written with letters, digits and `_`, not starting with a digit",
                self.name
            ));
        }
        if self.command.trim().is_empty() {
            return Err(format!("`{}` has no command", self.name));
        }
        if let Some(kind) = self
            .kind
            .as_deref()
            .filter(|k| !matches!(*k, "number" | "text"))
        {
            return Err(format!(
                "`{}`: kind = \"{kind}\": a probe is `number` (its output is a series) or `text` (its changes are counted)",
                self.name
            ));
        }
        limits::duration_within(
            self.interval(),
            Duration::from_millis(100),
            Duration::from_secs(3600),
        )
        .map_err(|e| format!("`{}`: every {e}", self.name))?;
        limits::duration_within(
            self.run_timeout(),
            Duration::from_millis(10),
            Duration::from_secs(600),
        )
        .map_err(|e| format!("`{}`: timeout {e}", self.name))
    }
}

/// `[target.metrics]`: a Prometheus or OpenMetrics endpoint of the target, scraped once an
/// interval while a run goes; the series kept are stored beside the load's figures and named
/// `target.metric.NAME` in thresholds and rules.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSpec {
    /// `http://host:port/metrics`.
    pub url: String,
    /// The series to keep, by name and labels with `*` globs (`jvm_gc_*`,
    /// `http_requests_total{status="5*"}`); every series (up to 1000) when empty.
    #[serde(default)]
    pub select: Vec<String>,
    /// How often to scrape (default 1s, as the target is sampled).
    pub every: Option<HumanDuration>,
    /// How long one scrape may take before it counts as failed (default the interval, at
    /// most 5s).
    pub timeout: Option<HumanDuration>,
}

impl MetricsSpec {
    /// The endpoint, checked: http only (rigor scrapes without TLS), with a host.
    pub fn check(&self) -> Result<(), String> {
        let url = self.url.trim();
        if url.starts_with("https://") {
            return Err(format!("url = \"{url}\": scraping over https is not supported; expose the metrics over http (on loopback, say) or scrape through a local relay"));
        }
        check_url(url)?;
        let every = self.interval();
        limits::duration_within(every, Duration::from_millis(100), Duration::from_secs(3600))
            .map_err(|e| format!("every {e}"))?;
        if let Some(t) = self.timeout {
            limits::duration_within(t.0, Duration::from_millis(10), Duration::from_secs(60))
                .map_err(|e| format!("timeout {e}"))?;
        }
        Ok(())
    }

    pub fn interval(&self) -> Duration {
        self.every.map_or(Duration::from_secs(1), |d| d.0)
    }

    pub fn scrape_timeout(&self) -> Duration {
        self.timeout
            .map_or_else(|| self.interval().min(Duration::from_secs(5)), |d| d.0)
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioSpec {
    pub name: String,
    #[serde(default)]
    pub phases: Vec<PhaseSpec>,
    #[serde(default)]
    pub request: Vec<RequestSpec>,
    /// A journey: ordered steps one virtual user walks, in place of independent requests.
    #[serde(default)]
    pub step: Vec<StepSpec>,
    /// Whether a journey keeps the cookies its responses set and sends them back (default
    /// true; each journey starts with none).
    pub cookies: Option<bool>,
    /// Real traffic to send again, in place of written requests.
    pub replay: Option<ReplaySpec>,
    /// CSV file whose columns become `{variables}` in URLs, headers and bodies.
    pub data: Option<String>,
    /// Upper bound on connections the open model may open (default 1000).
    pub max_connections: Option<u32>,
    /// Per-request timeout unless a request sets its own (default 10s).
    pub timeout: Option<HumanDuration>,
    /// Pause between a virtual user's requests in the closed model.
    pub think_time: Option<HumanDuration>,
    /// `"1.1"`, `"2"` (h2 via ALPN on https, prior knowledge on http), or `"auto"`.
    pub http: Option<HttpVersion>,
    /// Accept self-signed and otherwise unverifiable TLS certificates.
    #[serde(default)]
    pub insecure: bool,
    /// Stop after this many requests in total, whatever the phases say.
    pub requests: Option<u64>,
    /// k6-style pass/fail conditions judged at the end: `"latency.p95 < 120ms"`.
    #[serde(default)]
    pub thresholds: Vec<String>,
    /// Time to let in-flight requests finish after the last phase or an interrupt.
    pub grace: Option<HumanDuration>,
    /// More headers whose values are credentials, in this scenario only (see
    /// [`Plan::secret_headers`]).
    #[serde(default)]
    pub secret_headers: Vec<String>,
    /// Send a W3C `traceparent` header (a new trace, sampled) on every request, so the
    /// slowest requests the run keeps can be found in the service's traces by their ids.
    #[serde(default)]
    pub traceparent: bool,
}

/// `[scenario.replay]`: an access log (Common or Combined Log Format) or a list of `METHOD URL`
/// lines, whose requests are sent again to `base`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplaySpec {
    /// The file, from the plan's directory.
    pub file: String,
    /// Where its paths go: `http://127.0.0.1:8080`.
    pub base: String,
    /// `log` (default: the log's order) or `shuffle`.
    pub order: Option<String>,
    /// The shuffle's seed (default 1): the same seed gives the same order.
    pub seed: Option<u64>,
    /// Send at the log's own timing, this many times faster (1 is as logged); without it,
    /// the phases set the rate.
    pub speed: Option<f64>,
    /// Headers sent with every replayed request (the log holds none): `Authorization`.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
}

/// A resolved replay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Replay {
    pub file: PathBuf,
    /// `scheme://authority`, without a trailing slash.
    pub base: String,
    /// The shuffle's seed, when the order is shuffled.
    pub shuffle: Option<u64>,
    /// The log's timing, this many times faster; `None` when the phases set the rate.
    pub speed: Option<f64>,
    /// Each replayed request's timeout.
    pub timeout: Duration,
    /// Headers sent with every replayed request.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum HttpVersion {
    #[serde(rename = "1.1")]
    #[default]
    Http1,
    #[serde(rename = "2")]
    Http2,
    #[serde(rename = "auto")]
    Auto,
}

impl std::str::FromStr for HttpVersion {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "1.1" | "1" | "http1" => Ok(HttpVersion::Http1),
            "2" | "h2" | "http2" | "h2c" => Ok(HttpVersion::Http2),
            "auto" => Ok(HttpVersion::Auto),
            _ => Err(format!(
                "`{text}` is not an HTTP version: expected 1.1, 2 or auto"
            )),
        }
    }
}

/// One phase as written in the plan; [`Phase`] is its resolved form.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhaseSpec {
    pub kind: PhaseKind,
    pub name: Option<String>,
    /// How long the phase lasts.
    #[serde(rename = "for")]
    pub duration: Option<HumanDuration>,
    /// Synonym of `for`, reads better on a ramp: `{ kind = "ramp", to = "100/s", over = "30s" }`.
    pub over: Option<HumanDuration>,
    /// Arrival rate (open model).
    pub rate: Option<Rate>,
    /// Number of concurrent virtual users (closed model).
    pub concurrency: Option<u32>,
    /// Where a ramp or stage starts (default: where the previous phase ended, or zero).
    pub from: Option<LoadLevel>,
    /// Where a ramp or stage ends.
    pub to: Option<LoadLevel>,
    /// A spike's multiple of the previous phase's load (default 5).
    pub multiple: Option<f64>,
    /// Stop the phase after this many requests.
    pub iterations: Option<u64>,
    /// A spike's recovery tolerance (default 20%): how far above its level before the spike
    /// p95 may stay and count as recovered.
    pub tolerance: Option<Ratio>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum PhaseKind {
    Smoke,
    Ramp,
    #[default]
    Steady,
    Spike,
    Soak,
    Stage,
}

impl PhaseKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PhaseKind::Smoke => "smoke",
            PhaseKind::Ramp => "ramp",
            PhaseKind::Steady => "steady",
            PhaseKind::Spike => "spike",
            PhaseKind::Soak => "soak",
            PhaseKind::Stage => "stage",
        }
    }
}

/// A load level: an arrival rate (`"100/s"`, open model) or a concurrency (`50`, closed model).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(untagged)]
pub enum LoadLevel {
    Concurrency(u32),
    Rate(Rate),
}

impl<'de> Deserialize<'de> for LoadLevel {
    /// A number is users, a string a rate; anything else is refused with both forms (serde's
    /// own untagged error, "data did not match any variant", says neither).
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Count(i64),
            Text(String),
        }
        use serde::de::Error;
        match Raw::deserialize(deserializer).map_err(|_| {
            D::Error::custom("expected a rate such as \"100/s\" or a number of users such as 50")
        })? {
            Raw::Count(n) => u32::try_from(n).map(LoadLevel::Concurrency).map_err(|_| {
                D::Error::custom(format!("{n} is not a number of users: give 0 or more"))
            }),
            Raw::Text(text) => text
                .parse()
                .map(LoadLevel::Rate)
                .map_err(|e| D::Error::custom(format!("{e}, or a number of users such as 50"))),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestSpec {
    /// Name under which the request's figures are reported (default: `METHOD path`).
    pub name: Option<String>,
    pub method: Option<String>,
    pub url: String,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    pub body: Option<String>,
    /// Relative share of arrivals (default 1).
    pub weight: Option<u32>,
    pub timeout: Option<HumanDuration>,
    #[serde(default)]
    pub check: CheckSpec,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckSpec {
    /// Statuses that count as success (default: any 2xx or 3xx).
    #[serde(default)]
    pub status: Vec<u16>,
    /// Text the body must contain.
    pub body_contains: Option<String>,
}

/// Whether load is offered as arrivals per second or by a fixed set of users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Model {
    /// Arrival rate: requests start on a schedule whatever the server does.
    Open,
    /// Fixed concurrency: each virtual user waits for its response (plus think time).
    Closed,
}

/// The load a phase applies, linear from `start` to `end` over the phase.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "lowercase")]
pub enum PhaseLoad {
    Open { start: Rate, end: Rate },
    Closed { start: u32, end: u32 },
}

/// A resolved phase: complete, bounded and consistent with its scenario's model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Phase {
    pub name: String,
    pub kind: PhaseKind,
    pub duration: Option<Duration>,
    pub iterations: Option<u64>,
    pub load: PhaseLoad,
    /// A spike's recovery tolerance as a fraction (0.2 for 20 %); `None` on other phases.
    #[serde(default)]
    pub tolerance: Option<f64>,
}

/// A spike's recovery tolerance when its phase gives none.
pub const DEFAULT_RECOVERY_TOLERANCE: f64 = 0.2;

/// A resolved request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub name: String,
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    pub weight: u32,
    pub timeout: Duration,
    pub check: CheckSpec,
}

/// A scenario ready to run: what the load engine takes, built from the plan or from flags.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scenario {
    pub name: String,
    pub model: Model,
    pub phases: Vec<Phase>,
    pub requests: Vec<Request>,
    pub data: Option<PathBuf>,
    pub max_connections: u32,
    pub think_time: Duration,
    pub http: HttpVersion,
    pub insecure: bool,
    pub request_limit: Option<u64>,
    pub thresholds: Vec<Threshold>,
    pub grace: Duration,
    /// Headers the user marked as credentials, beyond [`DEFAULT_SECRET_HEADERS`].
    #[serde(default)]
    pub secret_headers: Vec<String>,
    /// Whether every request carries a W3C `traceparent` header.
    #[serde(default)]
    pub traceparent: bool,
    /// The order its requests are walked in, when the scenario is a journey: then an
    /// arrival (open model) or a user's turn (closed) is one walk of all its steps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub journey: Option<Journey>,
    /// The traffic to send again, when the scenario replays a log: its requests are filled
    /// in from the file when the run is prepared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replay: Option<Replay>,
    /// The plan's SLOs that apply to it (`[[slo]]` naming it, or naming no scenario), judged
    /// over the run beside its thresholds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slos: Vec<SloCheck>,
}

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_MAX_CONNECTIONS: u32 = 1000;
pub const DEFAULT_GRACE: Duration = Duration::from_secs(5);
const SMOKE_DEFAULT_DURATION: Duration = Duration::from_secs(10);
const SPIKE_DEFAULT_MULTIPLE: f64 = 5.0;

/// What is wrong with a plan, with where.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("cannot read plan {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {message}{hint}")]
    Syntax {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
        hint: String,
    },
    #[error("{path}{at}: scenario `{scenario}`: {message}")]
    Invalid {
        path: PathBuf,
        /// `:line:column` of the part at fault, when the plan's text is at hand.
        at: String,
        scenario: String,
        message: String,
    },
    #[error("{path}:{line}:{column}: {table}: {message}")]
    Check {
        path: PathBuf,
        line: usize,
        column: usize,
        /// `[[rule]] 2`: which table, counting from 1.
        table: String,
        message: String,
    },
    #[error("{path}:{line}: {message}")]
    Conflict {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{path}: no scenario named `{name}`{hint}")]
    UnknownScenario {
        path: PathBuf,
        name: String,
        hint: String,
    },
}

impl Plan {
    /// Reads and parses a plan file.
    pub fn load(path: &Path) -> Result<Plan, PlanError> {
        let text = std::fs::read_to_string(path).map_err(|source| PlanError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Plan::parse(&text, path)
    }

    /// Parses plan text; `path` is only used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Plan, PlanError> {
        let mut plan: Plan = toml::from_str(text).map_err(|err| syntax_error(text, path, &err))?;
        plan.text = text.to_string();
        plan.check_names(text, path)?;
        plan.check_top_level(path)?;
        plan.checks_in(text, path)?;
        Ok(plan)
    }

    /// Resolves every scenario, or the one named; errors name the scenario and phase at fault.
    pub fn scenarios(&self, path: &Path, only: Option<&str>) -> Result<Vec<Scenario>, PlanError> {
        if let Some(name) = only {
            let is_bench = self.bench.iter().any(|b| b.name == name);
            if !self.scenario.iter().any(|s| s.name == name) && !is_bench {
                let names: Vec<&str> = self
                    .scenario
                    .iter()
                    .map(|s| s.name.as_str())
                    .chain(self.bench.iter().map(|b| b.name.as_str()))
                    .collect();
                return Err(PlanError::UnknownScenario {
                    path: path.to_path_buf(),
                    name: name.to_string(),
                    hint: did_you_mean(name, &names)
                        .map(|s| format!(" (did you mean `{s}`?)"))
                        .unwrap_or_else(|| format!("; the plan has: {}", names.join(", "))),
                });
            }
        }
        let base = path.parent().unwrap_or(Path::new("."));
        let locator = Locator::new(&self.text);
        self.scenario
            .iter()
            .enumerate()
            .filter(|(_, s)| only.is_none_or(|name| s.name == name))
            .map(|(i, spec)| {
                let mut scenario = spec.resolve(base).map_err(|e| PlanError::Invalid {
                    path: path.to_path_buf(),
                    at: place_in(&locator, i, e.place)
                        .map(|(line, column)| format!(":{line}:{column}"))
                        .unwrap_or_default(),
                    scenario: spec.name.clone(),
                    message: e.message,
                })?;
                scenario
                    .secret_headers
                    .extend(self.secret_headers.iter().cloned());
                // Checked when the plan was read: an SLO that does not resolve is not here.
                scenario.slos = self
                    .slo
                    .iter()
                    .filter_map(|s| s.resolve().ok())
                    .filter(|s| s.scenario.as_deref().is_none_or(|n| n == spec.name))
                    .map(|s| SloCheck::of(&s))
                    .collect();
                Ok(scenario)
            })
            .collect()
    }

    /// The top-level keys serde cannot check: `secret_headers` are header names, the
    /// target's `ready` is an http(s) URL.
    fn check_top_level(&self, path: &Path) -> Result<(), PlanError> {
        let at = |steps: &[Step], message: String| {
            let (line, column) = Locator::new(&self.text).find(steps).unwrap_or((1, 1));
            PlanError::Syntax {
                path: path.to_path_buf(),
                line,
                column,
                message,
                hint: String::new(),
            }
        };
        let mut names: Vec<&str> = Vec::new();
        for (i, slo) in self.slo.iter().enumerate() {
            let steps = [Step::Key("slo"), Step::Index(i)];
            slo.resolve()
                .map_err(|e| at(&steps, format!("[[slo]] {}: {e}", i + 1)))?;
            if names.contains(&slo.name.as_str()) {
                return Err(at(
                    &steps,
                    format!(
                        "[[slo]] {}: two SLOs are named `{}`: their rules would share one series",
                        i + 1,
                        slo.name
                    ),
                ));
            }
            names.push(&slo.name);
            if let Some(s) = slo.scenario.as_deref() {
                if !self.run_names().contains(&s) {
                    let known = self.run_names();
                    return Err(at(
                        &steps,
                        format!(
                            "[[slo]] {}: no scenario named `{s}`{}",
                            i + 1,
                            did_you_mean(s, &known)
                                .map(|n| format!(" (did you mean `{n}`?)"))
                                .unwrap_or_else(|| format!(
                                    "; the plan has {}",
                                    if known.is_empty() {
                                        "none".to_string()
                                    } else {
                                        known.join(", ")
                                    }
                                ))
                        ),
                    ));
                }
            }
        }
        for (i, name) in self.secret_headers.iter().enumerate() {
            check_header_name(name).map_err(|e| {
                at(
                    &[Step::Key("secret_headers"), Step::Index(i)],
                    format!("secret_headers: {e}"),
                )
            })?;
        }
        if let Some(wait) = self.target.as_ref().and_then(|t| t.ready_timeout) {
            limits::duration_within(wait.0, limits::MIN_TIME, limits::MAX_WAIT).map_err(|e| {
                at(
                    &[Step::Key("target"), Step::Key("ready_timeout")],
                    format!("[target] ready_timeout {e}"),
                )
            })?;
        }
        let probes = self.target.as_ref().map_or(&[][..], |t| &t.probe[..]);
        for (i, probe) in probes.iter().enumerate() {
            let twice = probes[..i].iter().any(|p| p.name == probe.name);
            let problem = if twice {
                Err(format!("`{}` is named twice", probe.name))
            } else {
                probe.check()
            };
            problem.map_err(|e| {
                at(
                    &[Step::Key("target"), Step::Key("probe"), Step::Index(i)],
                    format!("[[target.probe]] {e}"),
                )
            })?;
        }
        if let Some(metrics) = self.target.as_ref().and_then(|t| t.metrics.as_ref()) {
            metrics.check().map_err(|e| {
                at(
                    &[Step::Key("target"), Step::Key("metrics")],
                    format!("[target.metrics] {e}"),
                )
            })?;
        }
        if let Some(ready) = self.target.as_ref().and_then(|t| t.ready.as_deref()) {
            check_url(ready).map_err(|e| {
                at(
                    &[Step::Key("target"), Step::Key("ready")],
                    format!("[target] ready: {e}"),
                )
            })?;
        }
        Ok(())
    }

    /// `PATH:LINE:COLUMN` of the `[[bench]]` named `name` (`PATH` alone when it cannot be
    /// found), to put before what is wrong with it.
    pub fn bench_at(&self, path: &Path, name: &str) -> String {
        let found = self
            .bench
            .iter()
            .position(|b| b.name == name)
            .and_then(|i| Locator::new(&self.text).find(&[Step::Key("bench"), Step::Index(i)]));
        match found {
            Some((line, column)) => format!("{}:{line}:{column}", path.display()),
            None => path.display().to_string(),
        }
    }

    /// Where a place in the `index`-th scenario is in the plan's text, as `(line, column)`.
    pub fn position(&self, index: usize, place: Place) -> Option<(usize, usize)> {
        place_in(&Locator::new(&self.text), index, place)
    }
}

/// The line and column of a place in the `index`-th scenario.
fn place_in(locator: &Locator, index: usize, place: Place) -> Option<(usize, usize)> {
    let scenario = [Step::Key("scenario"), Step::Index(index)];
    let within = |steps: &[Step<'static>]| [&scenario[..], steps].concat();
    match place {
        Place::Scenario => locator.find(&scenario),
        Place::Key(key) => locator.find(&within(&[Step::Key(key)])),
        Place::Request(i, key) => {
            let mut steps = within(&[Step::Key("request"), Step::Index(i)]);
            steps.extend(key.map(Step::Key));
            locator.find(&steps)
        }
        Place::Step(i, key) => {
            let mut steps = within(&[Step::Key("step"), Step::Index(i)]);
            steps.extend(key.map(Step::Key));
            locator.find(&steps).or_else(|| {
                // A key the step inherits (`think` from the scenario): the step itself.
                locator.find(&within(&[Step::Key("step"), Step::Index(i)]))
            })
        }
        Place::Phase(i) => locator.find(&within(&[Step::Key("phases"), Step::Index(i)])),
        Place::Threshold(i, column) => {
            locator.find_in_string(&within(&[Step::Key("thresholds"), Step::Index(i)]), column)
        }
    }
}

/// The candidate closest to `name`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(name, c), *c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// The commented starter plan written by `rigor init`.
pub const STARTER_PLAN: &str = include_str!("starter.toml");

#[cfg(test)]
mod tests;
