//! The plan file, `rigor.toml`: what to load, how hard, and what counts as passing.
//!
//! Parsing happens in two stages (ripgrep's habit): serde reads the text into the `*Spec`
//! types, refusing unknown keys with the file, line, column and a did-you-mean; then
//! [`Plan::scenario`] resolves a spec into a [`Scenario`] whose every phase is complete and
//! whose invariants hold, so the engine never sees a half-valid plan.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::threshold::{Threshold, ThresholdError};
use crate::units::{HumanDuration, Rate};

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
    /// Where the run store lives (default `.rigor/rigor.db`).
    pub store: Option<String>,
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
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioSpec {
    pub name: String,
    #[serde(default)]
    pub phases: Vec<PhaseSpec>,
    #[serde(default)]
    pub request: Vec<RequestSpec>,
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

/// A `[[bench]]` entry: commands benchmarked hyperfine-style (several are interleaved).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BenchEntry {
    pub name: String,
    /// The command line (no shell unless `shell` is set).
    pub command: Option<String>,
    /// Several commands, run interleaved (A B A B …) and compared.
    #[serde(default)]
    pub commands: Vec<String>,
    /// Untimed runs of each command first.
    pub warmup: Option<u64>,
    /// Exactly this many timed runs (otherwise at least `min_runs` and `min_time`).
    pub runs: Option<u64>,
    pub min_runs: Option<u64>,
    pub min_time: Option<HumanDuration>,
    pub max_runs: Option<u64>,
    /// Once per command before its runs; before and after each run; once after.
    pub setup: Option<String>,
    pub prepare: Option<String>,
    pub conclude: Option<String>,
    pub cleanup: Option<String>,
    /// Run through a shell: `true` for `sh`, or the shell to use (its start-up is subtracted).
    pub shell: Option<ShellChoice>,
    /// `discard` (default), `pipe`, `inherit`, or a file path for the output.
    pub output: Option<String>,
    #[serde(default)]
    pub ignore_failure: bool,
    /// `interleaved` (default) or `random` (each round shuffled; see `seed`).
    pub order: Option<String>,
    pub seed: Option<u64>,
    /// A parameter scan: `{ name = "threads", from = "1", to = "8", step = "1" }`.
    pub scan: Option<ScanSpec>,
    /// A parameter list: `{ name = "size", values = ["small", "large"] }`.
    pub list: Option<ListSpec>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ShellChoice {
    Enabled(bool),
    Program(String),
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanSpec {
    pub name: String,
    pub from: String,
    pub to: String,
    pub step: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListSpec {
    pub name: String,
    pub values: Vec<String>,
}

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
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum LoadLevel {
    Concurrency(u32),
    Rate(Rate),
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
}

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
    #[error("{path}: scenario `{scenario}`: {message}")]
    Invalid {
        path: PathBuf,
        scenario: String,
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
        toml::from_str(text).map_err(|err| syntax_error(text, path, &err))
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
        self.scenario
            .iter()
            .filter(|s| only.is_none_or(|name| s.name == name))
            .map(|spec| {
                let base = path.parent().unwrap_or(Path::new("."));
                spec.resolve(base).map_err(|message| PlanError::Invalid {
                    path: path.to_path_buf(),
                    scenario: spec.name.clone(),
                    message,
                })
            })
            .collect()
    }
}

/// Turns a toml/serde error into file:line:column with a did-you-mean for unknown keys.
fn syntax_error(text: &str, path: &Path, err: &toml::de::Error) -> PlanError {
    let (line, column) = match err.span() {
        Some(span) => line_column(text, span.start),
        None => (1, 1),
    };
    let message = err.message().trim().to_string();
    let hint = unknown_name_hint(&message);
    PlanError::Syntax {
        path: path.to_path_buf(),
        line,
        column,
        message,
        hint,
    }
}

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// serde says "unknown field `x`, expected one of `a`, `b`": suggest the nearest.
fn unknown_name_hint(message: &str) -> String {
    let Some(rest) = message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix("unknown variant `"))
    else {
        return String::new();
    };
    let Some((name, expected)) = rest.split_once('`') else {
        return String::new();
    };
    let candidates: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    did_you_mean(name, &candidates)
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default()
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

impl ScenarioSpec {
    /// Resolves this spec; `base` is the directory relative paths are taken from.
    pub fn resolve(&self, base: &Path) -> Result<Scenario, String> {
        if self.name.trim().is_empty() {
            return Err("`name` must not be empty".into());
        }
        if self.request.is_empty() {
            return Err("no [[scenario.request]]: add at least one request with a `url`".into());
        }
        let timeout = self.timeout.map_or(DEFAULT_TIMEOUT, |t| t.0);
        let requests = self
            .request
            .iter()
            .enumerate()
            .map(|(i, r)| {
                r.resolve(timeout)
                    .map_err(|e| format!("request {}: {e}", i + 1))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut names = std::collections::BTreeSet::new();
        for r in &requests {
            if !names.insert(r.name.as_str()) {
                return Err(format!(
                    "two requests are named `{}`: give each a distinct `name`",
                    r.name
                ));
            }
        }
        let phases = resolve_phases(&self.phases)?;
        let model = match phases[0].load {
            PhaseLoad::Open { .. } => Model::Open,
            PhaseLoad::Closed { .. } => Model::Closed,
        };
        if self.requests.is_none()
            && phases
                .iter()
                .any(|p| p.duration.is_none() && p.iterations.is_none())
        {
            return Err(
                "a phase has neither `for` nor `iterations`: the run would never end".into(),
            );
        }
        let thresholds = self
            .thresholds
            .iter()
            .map(|t| t.parse::<Threshold>())
            .collect::<Result<Vec<_>, ThresholdError>>()
            .map_err(|e| format!("thresholds: {e}"))?;
        if self.max_connections == Some(0) {
            return Err("`max_connections` must be at least 1".into());
        }
        Ok(Scenario {
            name: self.name.clone(),
            model,
            phases,
            requests,
            data: self.data.as_ref().map(|d| base.join(d)),
            max_connections: self.max_connections.unwrap_or(DEFAULT_MAX_CONNECTIONS),
            think_time: self.think_time.map_or(Duration::ZERO, |t| t.0),
            http: self.http.unwrap_or_default(),
            insecure: self.insecure,
            request_limit: self.requests,
            thresholds,
            grace: self.grace.map_or(DEFAULT_GRACE, |g| g.0),
        })
    }
}

impl RequestSpec {
    fn resolve(&self, default_timeout: Duration) -> Result<Request, String> {
        let method = self
            .method
            .clone()
            .unwrap_or_else(|| "GET".into())
            .to_ascii_uppercase();
        if !method.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(format!("`method = \"{method}\"` is not an HTTP method"));
        }
        check_url(&self.url)?;
        let name = match &self.name {
            Some(name) => name.clone(),
            None => format!("{method} {}", url_path(&self.url)),
        };
        if self.weight == Some(0) {
            return Err("`weight` must be at least 1".into());
        }
        Ok(Request {
            name,
            method,
            url: self.url.clone(),
            headers: self
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            body: self.body.clone(),
            weight: self.weight.unwrap_or(1),
            timeout: self.timeout.map_or(default_timeout, |t| t.0),
            check: self.check.clone(),
        })
    }
}

/// A light check that a URL template is http(s) with a host; the engine parses it fully.
pub fn check_url(url: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or_else(|| format!("`{url}` is not an http:// or https:// URL"))?;
    let host = rest.split(['/', '?']).next().unwrap_or("");
    if host.is_empty() {
        return Err(format!("`{url}` has no host"));
    }
    Ok(())
}

fn url_path(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    match rest.find('/') {
        Some(i) => &rest[i..],
        None => "/",
    }
}

fn resolve_phases(specs: &[PhaseSpec]) -> Result<Vec<Phase>, String> {
    if specs.is_empty() {
        return Err("no `phases`: add e.g. phases = [{ kind = \"steady\", rate = \"10/s\", for = \"30s\" }]".into());
    }
    let mut phases: Vec<Phase> = Vec::with_capacity(specs.len());
    let mut model: Option<Model> = None;
    let mut used_names = BTreeMap::<String, usize>::new();
    for (i, spec) in specs.iter().enumerate() {
        let at = |msg: String| format!("phase {} ({}): {msg}", i + 1, spec.kind.as_str());
        let previous = phases.last().map(|p| p.load);
        let phase = spec.resolve(previous).map_err(at)?;
        let this_model = match phase.load {
            PhaseLoad::Open { .. } => Model::Open,
            PhaseLoad::Closed { .. } => Model::Closed,
        };
        match model {
            None => model = Some(this_model),
            Some(m) if m != this_model => {
                return Err(at(
                    "mixes arrival rates and concurrency: a scenario is either open (rates such as \"100/s\") or closed (concurrency such as 50)".into(),
                ))
            }
            _ => {}
        }
        let mut phase = phase;
        let count = used_names.entry(phase.name.clone()).or_insert(0);
        *count += 1;
        if *count > 1 {
            phase.name = format!("{}-{}", phase.name, count);
        }
        phases.push(phase);
    }
    Ok(phases)
}

impl PhaseSpec {
    fn resolve(&self, previous: Option<PhaseLoad>) -> Result<Phase, String> {
        let duration = match (self.duration, self.over) {
            (Some(_), Some(_)) => return Err("give `for` or `over`, not both".into()),
            (d, o) => d.or(o).map(|d| d.0),
        };
        if self.rate.is_some() && self.concurrency.is_some() {
            return Err(
                "give `rate` (open model) or `concurrency` (closed model), not both".into(),
            );
        }
        let level = self
            .rate
            .map(LoadLevel::Rate)
            .or(self.concurrency.map(LoadLevel::Concurrency));
        let previous_end = previous.map(|p| match p {
            PhaseLoad::Open { end, .. } => LoadLevel::Rate(end),
            PhaseLoad::Closed { end, .. } => LoadLevel::Concurrency(end),
        });
        let zero_like = |l: LoadLevel| match l {
            LoadLevel::Rate(_) => LoadLevel::Rate(Rate::ZERO),
            LoadLevel::Concurrency(_) => LoadLevel::Concurrency(0),
        };
        let (start, end, duration) = match self.kind {
            PhaseKind::Smoke => {
                let l = level.unwrap_or(LoadLevel::Concurrency(1));
                let d = if self.iterations.is_some() {
                    duration
                } else {
                    Some(duration.unwrap_or(SMOKE_DEFAULT_DURATION))
                };
                (l, l, d)
            }
            PhaseKind::Steady | PhaseKind::Soak => {
                let l = level.or(previous_end).ok_or(
                    "needs a `rate` (e.g. \"100/s\") or a `concurrency` (e.g. 50)".to_string(),
                )?;
                (l, l, duration)
            }
            PhaseKind::Ramp | PhaseKind::Stage => {
                if level.is_some() {
                    return Err(
                        "a ramp goes `from` one level `to` another; `rate`/`concurrency` do not apply"
                            .into(),
                    );
                }
                let to = self
                    .to
                    .ok_or("needs `to`, the level it ends at (e.g. to = \"100/s\" or to = 50)")?;
                let from = self.from.or(previous_end).unwrap_or(zero_like(to));
                if duration.is_none() {
                    return Err("needs `over` (or `for`), how long the ramp lasts".into());
                }
                (from, to, duration)
            }
            PhaseKind::Spike => {
                let base = previous_end.ok_or("a spike multiplies the previous phase's load: put a steady phase before it, or use `kind = \"steady\"` with a higher rate")?;
                let multiple = self.multiple.unwrap_or(SPIKE_DEFAULT_MULTIPLE);
                if !(multiple > 0.0 && multiple.is_finite()) {
                    return Err("`multiple` must be a positive number".into());
                }
                let l = match level {
                    Some(l) => l,
                    None => match base {
                        LoadLevel::Rate(r) => {
                            LoadLevel::Rate(Rate::per_second(r.as_per_second() * multiple))
                        }
                        LoadLevel::Concurrency(c) => {
                            LoadLevel::Concurrency((c as f64 * multiple).round() as u32)
                        }
                    },
                };
                (l, l, duration)
            }
        };
        if duration.is_some_and(|d| d.is_zero()) {
            return Err("duration must be greater than zero".into());
        }
        let load = match (start, end) {
            (LoadLevel::Rate(s), LoadLevel::Rate(e)) => PhaseLoad::Open { start: s, end: e },
            (LoadLevel::Concurrency(s), LoadLevel::Concurrency(e)) => {
                PhaseLoad::Closed { start: s, end: e }
            }
            _ => {
                return Err(
                    "`from` and `to` must both be rates (\"10/s\") or both concurrencies (10)"
                        .into(),
                )
            }
        };
        let peak_is_zero = match load {
            PhaseLoad::Open { start, end } => {
                start.as_per_second() <= 0.0 && end.as_per_second() <= 0.0
            }
            PhaseLoad::Closed { start, end } => start == 0 && end == 0,
        };
        if peak_is_zero && self.iterations.is_some() {
            return Err("a phase with zero load cannot reach its `iterations`".into());
        }
        Ok(Phase {
            name: self
                .name
                .clone()
                .unwrap_or_else(|| self.kind.as_str().into()),
            kind: self.kind,
            duration,
            iterations: self.iterations,
            load,
        })
    }
}

impl fmt::Display for PhaseLoad {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PhaseLoad::Open { start, end } if start == end => write!(f, "{start}"),
            PhaseLoad::Open { start, end } => write!(f, "{start} → {end}"),
            PhaseLoad::Closed { start, end } if start == end => write!(f, "{start} users"),
            PhaseLoad::Closed { start, end } => write!(f, "{start} → {end} users"),
        }
    }
}

/// The commented starter plan written by `rigor init`.
pub const STARTER_PLAN: &str = include_str!("starter.toml");

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Plan, PlanError> {
        Plan::parse(text, Path::new("rigor.toml"))
    }

    fn scenario(text: &str) -> Result<Scenario, String> {
        let plan = parse(text).map_err(|e| e.to_string())?;
        plan.scenarios(Path::new("rigor.toml"), None)
            .map(|mut v| v.remove(0))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn starter_plan_parses_and_resolves() {
        let plan = parse(STARTER_PLAN).unwrap();
        let scenarios = plan.scenarios(Path::new("rigor.toml"), None).unwrap();
        assert!(!scenarios.is_empty());
    }

    #[test]
    fn unknown_key_names_line_column_and_suggestion() {
        let text = "[[scenario]]\nname = \"a\"\nphasse = []\n";
        let err = parse(text).unwrap_err().to_string();
        assert!(
            err.starts_with("rigor.toml:3:1: unknown field `phasse`"),
            "{err}"
        );
        assert!(err.contains("did you mean `phases`?"), "{err}");
    }

    #[test]
    fn unknown_phase_kind_suggests_the_nearest() {
        let text = "[[scenario]]\nname = \"a\"\nphases = [{ kind = \"stedy\", rate = \"1/s\", for = \"1s\" }]\n";
        let err = parse(text).unwrap_err().to_string();
        assert!(err.contains("rigor.toml:3:"), "{err}");
        assert!(err.contains("did you mean `steady`?"), "{err}");
    }

    #[test]
    fn bad_units_name_the_value() {
        let text = "[[scenario]]\nname = \"a\"\nphases = [{ kind = \"steady\", rate = \"100\", for = \"1s\" }]\n";
        let err = parse(text).unwrap_err().to_string();
        assert!(err.contains("`100` is not a valid rate"), "{err}");
    }

    const REQ: &str = "[[scenario.request]]\nurl = \"http://127.0.0.1:1/x\"\n";

    #[test]
    fn phases_resolve_from_previous_levels() {
        let s = scenario(&format!(
            "[[scenario]]\nname = \"a\"\nphases = [\n {{ kind = \"ramp\", to = \"100/s\", over = \"10s\" }},\n {{ kind = \"steady\", for = \"1m\" }},\n {{ kind = \"spike\", for = \"5s\" }},\n {{ kind = \"steady\", for = \"5s\" }},\n]\n{REQ}"
        ))
        .unwrap();
        assert_eq!(s.model, Model::Open);
        let loads: Vec<_> = s.phases.iter().map(|p| p.load.to_string()).collect();
        assert_eq!(loads, ["0/s → 100/s", "100/s", "500/s", "500/s"]);
        let names: Vec<_> = s.phases.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["ramp", "steady", "spike", "steady-2"]);
        assert_eq!(s.requests[0].name, "GET /x");
    }

    #[test]
    fn closed_model_and_mixing_is_refused() {
        let s = scenario(&format!(
            "[[scenario]]\nname = \"a\"\nthink_time = \"10ms\"\nphases = [{{ kind = \"steady\", concurrency = 8, for = \"2s\" }}]\n{REQ}"
        ))
        .unwrap();
        assert_eq!(s.model, Model::Closed);
        assert_eq!(s.think_time, Duration::from_millis(10));
        let err = scenario(&format!(
            "[[scenario]]\nname = \"a\"\nphases = [{{ kind = \"steady\", concurrency = 8, for = \"2s\" }}, {{ kind = \"steady\", rate = \"8/s\", for = \"2s\" }}]\n{REQ}"
        ))
        .unwrap_err();
        assert!(
            err.contains("phase 2 (steady): mixes arrival rates and concurrency"),
            "{err}"
        );
    }

    #[test]
    fn unbounded_runs_are_refused() {
        let err = scenario(&format!(
            "[[scenario]]\nname = \"a\"\nphases = [{{ kind = \"steady\", rate = \"8/s\" }}]\n{REQ}"
        ))
        .unwrap_err();
        assert!(err.contains("never end"), "{err}");
        // An iteration count bounds it.
        scenario(&format!(
            "[[scenario]]\nname = \"a\"\nphases = [{{ kind = \"steady\", rate = \"8/s\", iterations = 10 }}]\n{REQ}"
        ))
        .unwrap();
    }

    #[test]
    fn unknown_scenario_lists_or_suggests() {
        let plan = parse(&format!(
            "[[scenario]]\nname = \"product-get\"\nphases = [{{ kind = \"smoke\" }}]\n{REQ}"
        ))
        .unwrap();
        let err = plan
            .scenarios(Path::new("rigor.toml"), Some("product-gte"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("did you mean `product-get`?"), "{err}");
    }

    #[test]
    fn ramp_without_to_says_so() {
        let err = scenario(&format!(
            "[[scenario]]\nname = \"a\"\nphases = [{{ kind = \"ramp\", over = \"2s\" }}]\n{REQ}"
        ))
        .unwrap_err();
        assert!(err.contains("phase 1 (ramp): needs `to`"), "{err}");
    }
}
