//! A scenario as written resolved into one ready to run, and where in it a problem lies
//! ([`Place`]), which [`Plan::scenarios`](super::Plan::scenarios) turns into the plan's line
//! and column.

use std::path::Path;
use std::time::Duration;

use super::journey::resolve_steps;
use super::limits;
use super::phases::resolve_phases;
use super::{did_you_mean, Phase};
use super::{
    Model, PhaseLoad, Request, RequestSpec, Scenario, ScenarioSpec, DEFAULT_GRACE,
    DEFAULT_MAX_CONNECTIONS, DEFAULT_TIMEOUT,
};
use crate::threshold::{Scope, Threshold};

/// Where in a scenario a problem lies; entries count from 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// The scenario as a whole: its table header.
    Scenario,
    /// One of the scenario's own keys.
    Key(&'static str),
    /// A request, or one of its keys.
    Request(usize, Option<&'static str>),
    /// A journey's step, or one of its keys.
    Step(usize, Option<&'static str>),
    /// A phase.
    Phase(usize),
    /// A threshold, at a column (from 1) of its expression.
    Threshold(usize, usize),
}

/// What is wrong with a scenario, and where. Its text names the entry (`request 2: …`,
/// `phase 1 (ramp): …`), so it reads whole where there is no plan file (`rigor load`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ResolveError {
    pub place: Place,
    pub message: String,
}

impl ResolveError {
    pub(crate) fn new(place: Place, message: impl Into<String>) -> ResolveError {
        ResolveError {
            place,
            message: message.into(),
        }
    }
}

impl ScenarioSpec {
    /// Resolves this spec; `base` is the directory relative paths are taken from.
    pub fn resolve(&self, base: &Path) -> Result<Scenario, ResolveError> {
        if self.name.trim().is_empty() {
            return Err(ResolveError::new(
                Place::Key("name"),
                "`name` must not be empty",
            ));
        }
        if self.replay.is_some() {
            return self.resolve_replay(base);
        }
        if self.request.is_empty() && self.step.is_empty() {
            return Err(ResolveError::new(
                Place::Scenario,
                "no [[scenario.request]] and no [[scenario.step]]: add at least one request with a `url` (or the steps of a journey)",
            ));
        }
        if !self.request.is_empty() && !self.step.is_empty() {
            return Err(ResolveError::new(
                Place::Step(0, None),
                "the scenario has both [[scenario.request]] and [[scenario.step]]: a scenario is a weighted set of independent requests or one journey; put the journey in a scenario of its own",
            ));
        }
        if self.cookies.is_some() && self.step.is_empty() {
            return Err(ResolveError::new(
                Place::Key("cookies"),
                "`cookies` is kept per journey, and this scenario has no [[scenario.step]]",
            ));
        }
        let think_time = self.think_time.map_or(Duration::ZERO, |t| t.0);
        let (requests, journey) = if self.step.is_empty() {
            (self.requests_resolved()?, None)
        } else {
            let (requests, journey) = resolve_steps(
                &self.step,
                self.timeout.map_or(DEFAULT_TIMEOUT, |t| t.0),
                think_time,
                self.cookies.unwrap_or(true),
                self.data.is_some(),
            )?;
            (requests, Some(journey))
        };
        let phases = resolve_phases(&self.phases)?;
        let model = model_of(&phases);
        if self.requests.is_none() {
            if let Some(i) = phases
                .iter()
                .position(|p| p.duration.is_none() && p.iterations.is_none())
            {
                return Err(ResolveError::new(
                    Place::Phase(i),
                    format!(
                        "phase {} has neither `for` nor `iterations`: the run would never end",
                        i + 1
                    ),
                ));
            }
        }
        let thresholds = self.thresholds_parsed()?;
        for (i, threshold) in thresholds.iter().enumerate() {
            self.check_labels(threshold, &phases, &requests)
                .map_err(|e| {
                    ResolveError::new(
                        Place::Threshold(i, 1),
                        format!("thresholds: `{}`: {e}", threshold.text),
                    )
                })?;
        }
        self.check_limits()?;
        for (i, name) in self.secret_headers.iter().enumerate() {
            check_header_name(name).map_err(|e| {
                ResolveError::new(
                    Place::Key("secret_headers"),
                    format!("secret_headers {}: {e}", i + 1),
                )
            })?;
        }
        Ok(Scenario {
            name: self.name.clone(),
            model,
            phases,
            requests,
            data: self.data.as_ref().map(|d| base.join(d)),
            max_connections: self.max_connections.unwrap_or(DEFAULT_MAX_CONNECTIONS),
            think_time,
            http: self.http.unwrap_or_default(),
            insecure: self.insecure,
            request_limit: self.requests,
            thresholds,
            grace: self.grace.map_or(DEFAULT_GRACE, |g| g.0),
            secret_headers: self.secret_headers.clone(),
            traceparent: self.traceparent,
            journey,
            replay: None,
            slos: Vec::new(),
        })
    }

    /// A scenario that replays a log: its phases (or the log's own timing), and no written
    /// requests, data or steps beside it.
    fn resolve_replay(&self, base: &Path) -> Result<Scenario, ResolveError> {
        let Some(spec) = &self.replay else {
            return Err(ResolveError::new(Place::Key("replay"), "no replay"));
        };
        let at = |message: String| ResolveError::new(Place::Key("replay"), message);
        if !self.request.is_empty() || !self.step.is_empty() || self.data.is_some() {
            return Err(at("[scenario.replay] sends the log's requests: the scenario cannot also have [[scenario.request]], [[scenario.step]] or `data`; put them in a scenario of their own".into()));
        }
        if spec.file.trim().is_empty() {
            return Err(at("`file` is empty: give the access log or URL list to replay, from the plan's directory".into()));
        }
        check_url(&spec.base).map_err(|e| at(format!("base: {e}")))?;
        let origin = spec.base.trim_end_matches('/');
        if origin
            .split_once("://")
            .is_some_and(|(_, rest)| rest.contains(['/', '?', '{']))
        {
            return Err(at(format!(
                "base = \"{}\": give the origin only (`http://host:port`); the log holds the paths",
                spec.base
            )));
        }
        for name in spec.headers.keys() {
            check_header_name(name).map_err(|e| at(format!("headers: {e}")))?;
        }
        let shuffle = match spec.order.as_deref() {
            None | Some("log") => {
                if spec.seed.is_some() {
                    return Err(at("`seed` is the shuffle's: set order = \"shuffle\" too, or drop it".into()));
                }
                None
            }
            Some("shuffle") => Some(spec.seed.unwrap_or(1)),
            Some(other) => {
                return Err(at(format!(
                    "order = \"{other}\": a replay goes in the log's order (`log`) or shuffled with a seed (`shuffle`)"
                )))
            }
        };
        let phases = match spec.speed {
            Some(speed) => {
                if !(speed.is_finite() && speed > 0.0 && speed <= 1e6) {
                    return Err(at(format!(
                        "speed = {speed}: give how many times faster than logged, above 0 and at most 1000000 (1 is as logged)"
                    )));
                }
                if !self.phases.is_empty() {
                    return Err(at("a replay at the log's own timing (`speed`) has no phases: drop `phases`, or drop `speed` to send the log at the phases' rate".into()));
                }
                // The engine sets its length and count from the log.
                vec![Phase {
                    name: "replay".into(),
                    kind: super::PhaseKind::Steady,
                    duration: None,
                    iterations: None,
                    load: PhaseLoad::Open {
                        start: crate::units::Rate::per_second(1.0),
                        end: crate::units::Rate::per_second(1.0),
                    },
                    tolerance: None,
                }]
            }
            None => resolve_phases(&self.phases)?,
        };
        let model = model_of(&phases);
        let thresholds = self.thresholds_parsed()?;
        self.check_limits()?;
        let timeout = self.timeout.map_or(DEFAULT_TIMEOUT, |t| t.0);
        Ok(Scenario {
            name: self.name.clone(),
            model,
            phases,
            requests: Vec::new(),
            data: None,
            max_connections: self.max_connections.unwrap_or(DEFAULT_MAX_CONNECTIONS),
            think_time: self.think_time.map_or(Duration::ZERO, |t| t.0),
            http: self.http.unwrap_or_default(),
            insecure: self.insecure,
            request_limit: self.requests,
            thresholds,
            grace: self.grace.map_or(DEFAULT_GRACE, |g| g.0),
            secret_headers: self.secret_headers.clone(),
            traceparent: self.traceparent,
            journey: None,
            replay: Some(super::Replay {
                file: base.join(&spec.file),
                base: origin.to_string(),
                shuffle,
                speed: spec.speed,
                timeout,
                headers: spec
                    .headers
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            }),
            slos: Vec::new(),
        })
    }

    /// The thresholds parsed; an error points at the column of the expression at fault.
    fn thresholds_parsed(&self) -> Result<Vec<Threshold>, ResolveError> {
        self.thresholds
            .iter()
            .enumerate()
            .map(|(i, t)| {
                t.parse::<Threshold>().map_err(|e| {
                    ResolveError::new(Place::Threshold(i, e.column), format!("thresholds: {e}"))
                })
            })
            .collect()
    }

    /// Every request resolved, each with its own name.
    fn requests_resolved(&self) -> Result<Vec<Request>, ResolveError> {
        let timeout = self.timeout.map_or(DEFAULT_TIMEOUT, |t| t.0);
        let mut requests: Vec<Request> = Vec::with_capacity(self.request.len());
        for (i, spec) in self.request.iter().enumerate() {
            let request = spec.resolve(timeout).map_err(|(key, e)| {
                ResolveError::new(
                    Place::Request(i, Some(key)),
                    format!("request {}: {e}", i + 1),
                )
            })?;
            if requests.iter().any(|r| r.name == request.name) {
                return Err(ResolveError::new(
                    Place::Request(i, None),
                    format!(
                        "two requests are named `{}`: give each a distinct `name`",
                        request.name
                    ),
                ));
            }
            requests.push(request);
        }
        Ok(requests)
    }

    /// A threshold's labels name this scenario, and a phase or request it has.
    fn check_labels(
        &self,
        threshold: &Threshold,
        phases: &[Phase],
        requests: &[Request],
    ) -> Result<(), String> {
        if matches!(
            threshold.metric,
            crate::metric::Metric::JourneyDuration(_)
                | crate::metric::Metric::JourneyFailureRate
                | crate::metric::Metric::Journeys
        ) {
            if self.step.is_empty() {
                return Err(format!(
                    "`{}` is a journey's, and scenario `{}` has no [[scenario.step]]",
                    threshold.metric, self.name
                ));
            }
            if let Scope::Request(step) = &threshold.scope {
                return Err(format!(
                    "`{}` is of whole walks, not of the step `{step}`: judge a step by its own latency, error_rate and the rest",
                    threshold.metric
                ));
            }
        }
        if let Some(other) = threshold.scenario.as_ref().filter(|s| **s != self.name) {
            return Err(format!(
                "names scenario `{other}`, but it is a threshold of scenario `{}`: a threshold judges its own scenario's run (drop the label, or move the threshold)",
                self.name
            ));
        }
        let (what, name, names): (&str, &str, Vec<&str>) = match &threshold.scope {
            Scope::Run => return Ok(()),
            Scope::Phase(name) => (
                "phase",
                name,
                phases.iter().map(|p| p.name.as_str()).collect(),
            ),
            Scope::Request(name) => (
                "request",
                name,
                requests.iter().map(|r| r.name.as_str()).collect(),
            ),
        };
        if names.contains(&name) {
            return Ok(());
        }
        let hint = did_you_mean(name, &names)
            .map(|n| format!(" (did you mean `{n}`?)"))
            .unwrap_or_else(|| format!("; its {what}s are {}", names.join(", ")));
        Err(format!("the scenario has no {what} named `{name}`{hint}"))
    }

    /// The scenario's own numbers within [`limits`]; phases and requests check theirs.
    fn check_limits(&self) -> Result<(), ResolveError> {
        if let Some(n) = self.max_connections {
            limits::count_within(n, 1, limits::MAX_CONNECTIONS, "connections").map_err(|e| {
                ResolveError::new(
                    Place::Key("max_connections"),
                    format!("`max_connections = {n}` {e}"),
                )
            })?;
        }
        let waits = [
            ("timeout", self.timeout, limits::MIN_TIME),
            ("think_time", self.think_time, Duration::ZERO),
            ("grace", self.grace, Duration::ZERO),
        ];
        for (key, value, min) in waits {
            if let Some(d) = value {
                limits::duration_within(d.0, min, limits::MAX_WAIT)
                    .map_err(|e| ResolveError::new(Place::Key(key), format!("`{key}` {e}")))?;
            }
        }
        if self.data.as_deref().is_some_and(|d| d.trim().is_empty()) {
            return Err(ResolveError::new(
                Place::Key("data"),
                "`data` is empty: give the path of the CSV file, from the plan's directory",
            ));
        }
        if self.requests == Some(0) {
            return Err(ResolveError::new(
                Place::Key("requests"),
                "`requests = 0` would send nothing: give at least 1, or remove it",
            ));
        }
        Ok(())
    }
}

impl RequestSpec {
    /// The request as it is sent; an error names the key at fault.
    pub(super) fn resolve(
        &self,
        default_timeout: Duration,
    ) -> Result<Request, (&'static str, String)> {
        let method = self
            .method
            .clone()
            .unwrap_or_else(|| "GET".into())
            .to_ascii_uppercase();
        if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err((
                "method",
                format!("`method = \"{method}\"` is not an HTTP method"),
            ));
        }
        check_url(&self.url).map_err(|e| ("url", e))?;
        let name = match &self.name {
            Some(name) => name.clone(),
            None => format!("{method} {}", url_path(&self.url)),
        };
        if let Some(bad) = self.check.status.iter().find(|s| !(100..=599).contains(*s)) {
            return Err((
                "check",
                format!("check status {bad} is not an HTTP status: give codes from 100 to 599"),
            ));
        }
        if self.weight == Some(0) {
            return Err(("weight", "`weight` must be at least 1".into()));
        }
        if let Some(t) = self.timeout {
            limits::duration_within(t.0, limits::MIN_TIME, limits::MAX_WAIT)
                .map_err(|e| ("timeout", format!("`timeout` {e}")))?;
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

/// The model the first phase's load is in (the phases' check keeps them all in one).
fn model_of(phases: &[Phase]) -> Model {
    match phases.first().map(|p| p.load) {
        Some(PhaseLoad::Closed { .. }) => Model::Closed,
        _ => Model::Open,
    }
}

/// A header name is a token (RFC 9110): letters, digits and ``!#$%&'*+-.^_`|~``, at least one.
pub fn check_header_name(name: &str) -> Result<(), String> {
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if name.is_empty() || !name.chars().all(token) {
        return Err(format!("`{name}` is not a valid header name"));
    }
    Ok(())
}

/// A light check that a URL template is http(s) with a host; the engine parses it fully.
pub fn check_url(url: &str) -> Result<(), String> {
    if url.contains(char::is_whitespace) {
        return Err(format!(
            "`{url}` contains a space or line break, which a URL cannot hold: write a space as %20"
        ));
    }
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
