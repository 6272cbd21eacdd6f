//! A scenario's thresholds: expressions of the one grammar ([`crate::expr`]) judged on the run
//! itself against a fixed limit — `latency.p95 < 120ms`, `error_rate < 1%`,
//! `latency.p99{request="GET /x"} < 200ms`, `error_rate{phase=steady} < 1%`.
//!
//! The metric fixes the unit its limit is written in, so `latency.p95 < 1%` is refused when
//! the plan is read, not silently compared. What needs more than the run (a change against a
//! baseline, N runs in a row) belongs to `[[rule]]`s, which the gate judges.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use crate::expr::Comparator;
use crate::expr::{Expr, ExprError, Target};
pub use crate::metric::{Metric, Scope, Stat};

/// A parsed threshold; `limit` is in the metric's unit (ns, fraction, per second, bytes).
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    /// As written in the plan or on the command line.
    pub text: String,
    pub metric: Metric,
    pub scope: Scope,
    /// The scenario the threshold names, if it names one (it must be its own).
    pub scenario: Option<String>,
    pub comparator: Comparator,
    pub limit: f64,
}

/// A threshold that cannot be judged, with the column of the part at fault.
pub type ThresholdError = ExprError;

impl FromStr for Threshold {
    type Err = ThresholdError;
    fn from_str(text: &str) -> Result<Threshold, ThresholdError> {
        let expr: Expr = text.parse()?;
        let refuse = |message: &str| ExprError {
            text: expr.text.clone(),
            column: 1,
            message: message.to_string(),
        };
        let Target::Absolute(limit) = expr.target else {
            return Err(refuse("a threshold judges one run against a fixed limit; a change against a baseline (`+30%`) is a [[rule]] that `rigor gate` judges"));
        };
        if expr.consecutive.is_some() || expr.baseline.is_some() {
            return Err(refuse("a threshold judges one run; `consecutive` and `vs` belong to [[rule]]s, which `rigor gate` judges"));
        }
        if expr.sustained.is_some() || expr.occurrences.is_some() {
            return Err(refuse("`sustained` and `occurrences` are judged over a run's seconds by [[rule]]s (`rigor gate`); a threshold judges the whole run"));
        }
        if expr.at.is_some() {
            return Err(refuse("`at RATE` names the load a goal must hold at (`rigor tune`, `rigor capacity`); a threshold is judged at the scenario's own load"));
        }
        Ok(Threshold {
            text: expr.text.clone(),
            metric: expr.metric,
            scope: expr.labels.scope(),
            scenario: expr.labels.scenario.clone(),
            comparator: expr.comparator,
            limit,
        })
    }
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
        assert!(e.contains("is not a comparison"), "{e}");
        let e = "latency.p95 < +30%"
            .parse::<Threshold>()
            .unwrap_err()
            .to_string();
        assert!(e.contains("[[rule]]"), "{e}");
        assert!(!Comparator::Less.holds(2.0, 1.0));
        assert!(Comparator::GreaterEqual.holds(1.0, 1.0));
    }
}
