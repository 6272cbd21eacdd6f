//! Threshold expressions: `latency.p95 < 120ms`, `error_rate < 1%`, `throughput > 900/s`,
//! optionally scoped: `latency.p99{request="GET /x"} < 200ms`, `error_rate{phase=steady} < 1%`.
//!
//! A threshold names a [`Metric`] within a [`Scope`]; the metric's kind fixes the unit its
//! value is written in, so `latency.p95 < 1%` is refused at parse time, not silently compared.
//! [`target_metric`] reads the `target.*` metrics off a run's target summary.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::output::TargetSummary;
use crate::units::{format_nanos, parse_duration, three_figures, Rate, Ratio};

/// A metric, as named in thresholds, rules and comparisons.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Metric {
    /// Latency from the intended start (coordinated-omission corrected), in nanoseconds.
    Latency(Stat),
    /// Latency from the actual send, in nanoseconds.
    RawLatency(Stat),
    /// How late requests were sent relative to the schedule, in nanoseconds.
    ScheduleLag(Stat),
    /// Failed requests over all requests, as a fraction.
    ErrorRate,
    /// Completed requests per second.
    Throughput,
    /// Count of requests.
    Requests,
    /// Count of failed requests.
    Errors,
    /// The target process's CPU over the run (share of the machine's cores, 0 to 1; `max` for
    /// the busiest second).
    TargetCpu(Stat),
    /// The target's resident memory (bytes; `max` by default).
    TargetRss(Stat),
    TargetThreads,
    TargetFds,
}

/// A statistic of a latency distribution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stat {
    Min,
    Mean,
    Max,
    /// A percentile in (0, 100].
    Percentile(f64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    Duration,
    Ratio,
    Rate,
    Count,
    Bytes,
}

impl Metric {
    pub fn kind(self) -> MetricKind {
        match self {
            Metric::Latency(_) | Metric::RawLatency(_) | Metric::ScheduleLag(_) => {
                MetricKind::Duration
            }
            Metric::ErrorRate => MetricKind::Ratio,
            Metric::Throughput => MetricKind::Rate,
            Metric::Requests | Metric::Errors | Metric::TargetThreads | Metric::TargetFds => {
                MetricKind::Count
            }
            Metric::TargetCpu(_) => MetricKind::Ratio,
            Metric::TargetRss(_) => MetricKind::Bytes,
        }
    }

    /// Formats a value of this metric in its unit.
    pub fn format_value(self, value: f64) -> String {
        match self.kind() {
            MetricKind::Duration => format_nanos(value),
            MetricKind::Ratio => format!("{}%", three_figures(value * 100.0)),
            MetricKind::Rate => format!("{}/s", three_figures(value)),
            MetricKind::Count => format!("{value:.0}"),
            MetricKind::Bytes => crate::units::Bytes(value.max(0.0) as u64).to_string(),
        }
    }
}

/// A `target.*` metric read off the target's summary; `None` for any other metric (and for
/// statistics the summary does not keep).
pub fn target_metric(s: &TargetSummary, metric: Metric) -> Option<f64> {
    match metric {
        Metric::TargetCpu(Stat::Max) => Some(s.cpu_max),
        Metric::TargetCpu(Stat::Mean) => Some(s.cpu_mean),
        Metric::TargetRss(Stat::Max) => Some(s.rss_max_bytes as f64),
        Metric::TargetRss(Stat::Min) => Some(s.rss_start_bytes.min(s.rss_end_bytes) as f64),
        Metric::TargetThreads => Some(f64::from(s.threads_max)),
        Metric::TargetFds => Some(f64::from(s.fds_max)),
        _ => None,
    }
}

pub const METRIC_NAMES: &[&str] = &[
    "latency.p50",
    "latency.p90",
    "latency.p95",
    "latency.p99",
    "latency.p99.9",
    "latency.min",
    "latency.mean",
    "latency.max",
    "latency.raw.p95",
    "schedule_lag.p99",
    "error_rate",
    "throughput",
    "requests",
    "errors",
    "target.cpu",
    "target.cpu.max",
    "target.rss",
    "target.threads",
    "target.fds",
];

impl FromStr for Stat {
    type Err = String;
    fn from_str(text: &str) -> Result<Stat, String> {
        match text {
            "min" => Ok(Stat::Min),
            "mean" | "avg" => Ok(Stat::Mean),
            "max" => Ok(Stat::Max),
            "median" => Ok(Stat::Percentile(50.0)),
            _ => {
                let digits = text.strip_prefix('p').ok_or_else(|| text.to_string())?;
                // p999 is p99.9 by convention; p9999 is p99.99.
                let value: f64 =
                    if !digits.contains('.') && digits.len() > 2 && digits.starts_with("99") {
                        format!("99.{}", &digits[2..]).parse()
                    } else {
                        digits.parse()
                    }
                    .map_err(|_| text.to_string())?;
                if value > 0.0 && value <= 100.0 {
                    Ok(Stat::Percentile(value))
                } else {
                    Err(text.to_string())
                }
            }
        }
    }
}

impl fmt::Display for Stat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stat::Min => f.write_str("min"),
            Stat::Mean => f.write_str("mean"),
            Stat::Max => f.write_str("max"),
            Stat::Percentile(p) => write!(f, "p{p}"),
        }
    }
}

impl FromStr for Metric {
    type Err = String;
    fn from_str(text: &str) -> Result<Metric, String> {
        let unknown = || {
            let hint = crate::plan::did_you_mean(text, METRIC_NAMES)
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            format!(
                "unknown metric `{text}`{hint}; metrics are latency.STAT, latency.raw.STAT, schedule_lag.STAT (STAT: p50, p95, p99, p99.9, min, mean, max), error_rate, throughput, requests, errors, target.cpu, target.cpu.max, target.rss, target.threads, target.fds"
            )
        };
        let stat = |s: &str| s.parse::<Stat>().map_err(|_| unknown());
        if let Some(s) = text.strip_prefix("latency.raw.") {
            return Ok(Metric::RawLatency(stat(s)?));
        }
        if let Some(s) = text.strip_prefix("latency.") {
            return Ok(Metric::Latency(stat(s)?));
        }
        if let Some(s) = text.strip_prefix("schedule_lag.") {
            return Ok(Metric::ScheduleLag(stat(s)?));
        }
        if text == "target.cpu" {
            return Ok(Metric::TargetCpu(Stat::Mean));
        }
        if let Some(s) = text.strip_prefix("target.cpu.") {
            return Ok(Metric::TargetCpu(stat(s)?));
        }
        if text == "target.rss" {
            return Ok(Metric::TargetRss(Stat::Max));
        }
        if let Some(s) = text.strip_prefix("target.rss.") {
            return Ok(Metric::TargetRss(stat(s)?));
        }
        match text {
            "target.threads" => Ok(Metric::TargetThreads),
            "target.fds" => Ok(Metric::TargetFds),
            "error_rate" => Ok(Metric::ErrorRate),
            "throughput" => Ok(Metric::Throughput),
            "requests" => Ok(Metric::Requests),
            "errors" => Ok(Metric::Errors),
            _ => Err(unknown()),
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Metric::Latency(s) => write!(f, "latency.{s}"),
            Metric::RawLatency(s) => write!(f, "latency.raw.{s}"),
            Metric::ScheduleLag(s) => write!(f, "schedule_lag.{s}"),
            Metric::ErrorRate => f.write_str("error_rate"),
            Metric::Throughput => f.write_str("throughput"),
            Metric::Requests => f.write_str("requests"),
            Metric::Errors => f.write_str("errors"),
            Metric::TargetCpu(Stat::Mean) => f.write_str("target.cpu"),
            Metric::TargetCpu(s) => write!(f, "target.cpu.{s}"),
            Metric::TargetRss(Stat::Max) => f.write_str("target.rss"),
            Metric::TargetRss(s) => write!(f, "target.rss.{s}"),
            Metric::TargetThreads => f.write_str("target.threads"),
            Metric::TargetFds => f.write_str("target.fds"),
        }
    }
}

/// Which slice of a run a metric is read from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Scope {
    #[default]
    Run,
    Request(String),
    Phase(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparator {
    Less,
    LessEqual,
    Greater,
    GreaterEqual,
}

impl Comparator {
    pub fn holds(self, value: f64, limit: f64) -> bool {
        match self {
            Comparator::Less => value < limit,
            Comparator::LessEqual => value <= limit,
            Comparator::Greater => value > limit,
            Comparator::GreaterEqual => value >= limit,
        }
    }
    fn as_str(self) -> &'static str {
        match self {
            Comparator::Less => "<",
            Comparator::LessEqual => "<=",
            Comparator::Greater => ">",
            Comparator::GreaterEqual => ">=",
        }
    }
}

/// A parsed threshold; `limit` is in the metric's canonical unit (ns, fraction, per second).
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    pub text: String,
    pub metric: Metric,
    pub scope: Scope,
    pub comparator: Comparator,
    pub limit: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}`: {message}")]
pub struct ThresholdError {
    pub text: String,
    pub message: String,
}

impl FromStr for Threshold {
    type Err = ThresholdError;
    fn from_str(text: &str) -> Result<Threshold, ThresholdError> {
        let err = |message: String| ThresholdError {
            text: text.to_string(),
            message,
        };
        let (at, op_len, comparator) = ["<=", ">=", "<", ">"]
            .iter()
            .filter_map(|op| text.find(op).map(|i| (i, *op)))
            .min_by_key(|(i, op)| (*i, std::cmp::Reverse(op.len())))
            .map(|(i, op)| {
                let c = match op {
                    "<=" => Comparator::LessEqual,
                    ">=" => Comparator::GreaterEqual,
                    "<" => Comparator::Less,
                    _ => Comparator::Greater,
                };
                (i, op.len(), c)
            })
            .ok_or_else(|| {
                err(
                    "expected METRIC < VALUE, e.g. `latency.p95 < 120ms` or `error_rate < 1%`"
                        .into(),
                )
            })?;
        let left = text[..at].trim();
        let right = text[at + op_len..].trim();
        let (metric_text, scope) = parse_scope(left).map_err(err)?;
        let metric: Metric = metric_text.parse().map_err(err)?;
        let limit = match metric.kind() {
            MetricKind::Duration => parse_duration(right)
                .map(|d| d.as_nanos() as f64)
                .map_err(|e| e.to_string()),
            MetricKind::Ratio => right
                .parse::<Ratio>()
                .map(|r| r.fraction())
                .map_err(|e| e.to_string()),
            MetricKind::Rate => right
                .parse::<Rate>()
                .map(|r| r.as_per_second())
                .map_err(|e| e.to_string()),
            MetricKind::Count => right
                .parse::<u64>()
                .map(|n| n as f64)
                .map_err(|_| format!("`{right}` is not a whole number")),
            MetricKind::Bytes => right
                .parse::<crate::units::Bytes>()
                .map(|b| b.0 as f64)
                .map_err(|e| e.to_string()),
        }
        .map_err(err)?;
        Ok(Threshold {
            text: text.trim().to_string(),
            metric,
            scope,
            comparator,
            limit,
        })
    }
}

/// Splits `latency.p95{request="GET /x"}` into the metric and its scope.
fn parse_scope(left: &str) -> Result<(&str, Scope), String> {
    let Some(open) = left.find('{') else {
        return Ok((left, Scope::Run));
    };
    let inner = left[open + 1..]
        .strip_suffix('}')
        .ok_or_else(|| "a scope is written {request=\"NAME\"} or {phase=NAME}".to_string())?;
    let (key, value) = inner
        .split_once(['=', ':'])
        .ok_or_else(|| "a scope is written {request=\"NAME\"} or {phase=NAME}".to_string())?;
    let value = value.trim().trim_matches('"').to_string();
    let scope = match key.trim() {
        "request" | "name" => Scope::Request(value),
        "phase" => Scope::Phase(value),
        other => return Err(format!("unknown scope `{other}`: use request or phase")),
    };
    Ok((left[..open].trim(), scope))
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.metric)?;
        match &self.scope {
            Scope::Run => {}
            Scope::Request(n) => write!(f, "{{request=\"{n}\"}}")?,
            Scope::Phase(n) => write!(f, "{{phase=\"{n}\"}}")?,
        }
        write!(
            f,
            " {} {}",
            self.comparator.as_str(),
            self.metric.format_value(self.limit)
        )
    }
}

impl Serialize for Threshold {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Threshold {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_parse_in_their_units() {
        let t: Threshold = "latency.p95 < 120ms".parse().unwrap();
        assert_eq!(t.metric, Metric::Latency(Stat::Percentile(95.0)));
        assert_eq!(t.limit, 120e6);
        assert_eq!(t.comparator, Comparator::Less);
        let t: Threshold = "error_rate<=1%".parse().unwrap();
        assert_eq!(
            (t.metric, t.limit, t.comparator),
            (Metric::ErrorRate, 0.01, Comparator::LessEqual)
        );
        let t: Threshold = "throughput > 900/s".parse().unwrap();
        assert_eq!((t.metric, t.limit), (Metric::Throughput, 900.0));
        let t: Threshold = "latency.raw.p999 < 1s".parse().unwrap();
        assert_eq!(t.metric, Metric::RawLatency(Stat::Percentile(99.9)));
        let t: Threshold = "latency.p99{request=\"GET /x\"} < 200ms".parse().unwrap();
        assert_eq!(t.scope, Scope::Request("GET /x".into()));
        let t: Threshold = "error_rate{phase=steady} < 0.5%".parse().unwrap();
        assert_eq!(t.scope, Scope::Phase("steady".into()));
        assert_eq!(t.to_string(), "error_rate{phase=\"steady\"} < 0.5%");
    }

    #[test]
    fn threshold_errors_explain() {
        let e = "latency.p95 < 1%"
            .parse::<Threshold>()
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a valid duration"), "{e}");
        let e = "latncy.p95 < 1s"
            .parse::<Threshold>()
            .unwrap_err()
            .to_string();
        assert!(e.contains("did you mean `latency.p95`"), "{e}");
        let e = "latency.p95 = 1s"
            .parse::<Threshold>()
            .unwrap_err()
            .to_string();
        assert!(e.contains("expected METRIC < VALUE"), "{e}");
        assert!(!Comparator::Less.holds(2.0, 1.0));
        assert!(Comparator::GreaterEqual.holds(1.0, 1.0));
    }
}
