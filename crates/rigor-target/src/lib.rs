//! The demo HTTP server behind `rigor target`: a system under test whose behaviour is set per
//! route, so rigor's load, profile and capacity commands have something honest to measure.
//!
//! It owns the route language (`/slow: latency=lognormal(20ms,200ms), errors=1%@503, cpu=200us`),
//! the `--stall` language (`200ms/5s`), the samplers behind them, and the server itself: HTTP/1.1
//! keep-alive and HTTP/2 prior-knowledge (h2c) on one port, with `/health`, `/stats` and a
//! Prometheus `/metrics` (request counter, duration histogram, gauges; `PUT /gauges/NAME`).
//!
//! It must not print (the binary owns stdout and stderr), must not block a tokio worker except
//! for the CPU work a route asks for, and knows nothing of clap: the binary turns flags into a
//! [`TargetConfig`] with the `FromStr` impls here, whose errors already name the flag.
//!
//! Per response, in this order: the route's CPU work, its leak, its sampled latency, then any
//! global stall window; an injected error replaces the body but keeps the delays.

mod behaviour;
mod clock;
mod flow;
mod metrics;
mod server;
mod spec;

use std::time::Duration;

pub use server::{bind, serve, spawn, RunningTarget};

/// Everything the server needs to run; `routes` are tried in order and the first match wins.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TargetConfig {
    pub routes: Vec<Route>,
    pub stall: Option<Stall>,
    /// Worker threads for [`spawn`] and `rigor target`; 0 means tokio's default (one per core).
    pub threads: usize,
    /// Gauges `/metrics` shows on a schedule from the server's start (`--gauge`).
    pub gauges: Vec<GaugeStep>,
}

/// `--gauge NAME=VALUE[@AFTER]`: from AFTER past the server's start (0 when omitted), the gauge
/// NAME reads VALUE, until a later step of the same gauge or a `PUT /gauges/NAME` — a consumer
/// lag that rises, a hit ratio that falls, at known moments.
#[derive(Debug, Clone, PartialEq)]
pub struct GaugeStep {
    pub name: String,
    pub value: f64,
    pub after: Duration,
}

impl std::str::FromStr for GaugeStep {
    type Err = String;
    fn from_str(spec: &str) -> Result<GaugeStep, String> {
        let form = "write NAME=VALUE or NAME=VALUE@AFTER, such as kafka_consumer_lag=6000@2s";
        let (name, rest) = spec
            .split_once('=')
            .ok_or_else(|| format!("--gauge '{spec}': {form}"))?;
        let (value, after) = match rest.split_once('@') {
            Some((v, a)) => (v, Some(a)),
            None => (rest, None),
        };
        let name = name.trim();
        if !metrics::valid_gauge_name(name) {
            return Err(format!("--gauge '{spec}': `{name}` is not a metric name a test may set (letters, digits, `_` and `:`, not starting with a digit or rigor_target_)"));
        }
        let value: f64 = value
            .trim()
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| format!("--gauge '{spec}': `{}` is not a number", value.trim()))?;
        let after = match after {
            Some(a) => rigor_model::units::parse_duration(a.trim())
                .map_err(|e| format!("--gauge '{spec}': {e}"))?,
            None => Duration::ZERO,
        };
        Ok(GaugeStep {
            name: name.to_string(),
            value,
            after,
        })
    }
}

/// One `--route`: a path (exact, or a prefix when it ends with `*`) and what to do there.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    pub path: String,
    pub behaviour: Behaviour,
}

/// What the server does for each request a route matches.
#[derive(Debug, Clone, PartialEq)]
pub struct Behaviour {
    pub latency: LatencyDist,
    /// The chance, from 0 to 1, that a response is an injected error.
    pub error_rate: f64,
    pub error_status: u16,
    /// Computation done on the worker thread, so a profiler sees it.
    pub cpu: Duration,
    /// Bytes allocated, touched and kept for the life of the server.
    pub leak: u64,
    /// The body size; `None` answers `ok\n`.
    pub body_bytes: Option<u64>,
    /// At most this many of the route's requests are served at once; the rest wait their
    /// turn, first come first served, as on a pool of N workers or connections. The route's
    /// throughput is then capped at N over its service time, whatever the machine.
    pub concurrency: Option<u32>,
}

impl Default for Behaviour {
    fn default() -> Self {
        Behaviour {
            latency: LatencyDist::None,
            error_rate: 0.0,
            error_status: 500,
            cpu: Duration::ZERO,
            leak: 0,
            body_bytes: None,
            concurrency: None,
        }
    }
}

/// The added delay of each response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LatencyDist {
    None,
    Fixed(Duration),
    /// Every delay from the first to the second bound equally likely.
    Uniform(Duration, Duration),
    /// Log-normal, described by the two numbers people know: its median and its 99th percentile.
    LogNormal {
        median: Duration,
        p99: Duration,
    },
}

/// Pause every response for `pause` at the start of each `every` period since the server
/// started, as a garbage-collection pause or a lock convoy would.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stall {
    pub pause: Duration,
    pub every: Duration,
}

/// A `--route` or `--stall` spec that does not parse, quoting it whole.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TargetError {
    #[error("--route '{spec}': {problem}")]
    Route { spec: String, problem: SpecProblem },
    #[error("--stall '{spec}': {problem}")]
    Stall { spec: String, problem: SpecProblem },
}

/// What is wrong inside a spec, with the form that would have worked.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SpecProblem {
    #[error("expected `PATH: key=value, ...` such as `/slow: latency=20ms, errors=1%@503`")]
    Empty,
    #[error("the path `{0}` must start with `/`: expected `PATH: key=value, ...` such as `/slow: latency=20ms`")]
    PathNotAbsolute(String),
    #[error("`*` may only end the path `{0}` (as in `/products/*`, a prefix match)")]
    StarInsidePath(String),
    #[error("`{0}` is not a setting: expected key=value such as latency=20ms")]
    NotKeyValue(String),
    #[error("unknown key `{0}`: expected one of latency, errors, cpu, leak, body, concurrency")]
    UnknownKey(String),
    #[error("`concurrency={0}` cannot be: expected a whole number of requests served at once, from 1 to 100000")]
    Concurrency(String),
    #[error("`{0}` is given twice")]
    DuplicateKey(String),
    #[error(transparent)]
    Unit(#[from] rigor_model::units::UnitError),
    #[error("`{0}` is not a latency: expected a duration (20ms or fixed(20ms)), uniform(MIN,MAX) or lognormal(MEDIAN,P99)")]
    Latency(String),
    #[error("`{0}` has its bounds the wrong way round: expected uniform(MIN,MAX) with MIN <= MAX")]
    UniformOrder(String),
    #[error("`{0}` cannot be: expected lognormal(MEDIAN,P99) with 0 < MEDIAN <= P99")]
    LogNormalOrder(String),
    #[error("`{0}` is not an error rate: expected a percentage from 0% to 100%, optionally with a status, such as 5% or 5%@503")]
    ErrorRate(String),
    #[error("`{0}` is not an error status: expected an HTTP status code from 200 to 599")]
    ErrorStatus(String),
    #[error("body `{0}` is too large: expected at most 1GiB")]
    BodyTooLarge(String),
    #[error("expected PAUSE/EVERY such as 200ms/5s")]
    StallForm,
    #[error("the pause must be shorter than the period it repeats in: expected PAUSE/EVERY such as 200ms/5s")]
    StallOrder,
}
