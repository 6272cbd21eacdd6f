//! `[[slo]]`: a service level objective — an SLI (availability from failed requests, or
//! latency below a threshold), an objective (`99.9%`) and a window (`30d`) — over PromQL
//! selectors the user supplies, or rigor's own live metrics by default. A load run of its
//! scenario judges the SLI over the run; `rigor slo rules` turns each into Prometheus
//! recording and alerting rules with the SRE workbook's multi-window, multi-burn-rate alerts.
//!
//! The burn-rate alerts (`burn.rs`) are the workbook's: over 30 days a page when 2 % of the
//! budget burns in 1 h (checked over 1 h and 5 m) or 5 % in 6 h (6 h and 30 m), a ticket when
//! 10 % burns in 1 d (1 d and 2 h) or in 3 d (3 d and 6 h) — 14.4×, 6×, 3× and 1× — and over
//! another window the same shares over windows scaled to it.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::units::parse_duration;

mod burn;

pub use burn::{prometheus_duration, BurnAlert};

/// A `[[slo]]` table as written.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SloSpec {
    /// Its name: the `slo` label of its rules and alerts (letters, digits, `-`, `_`).
    pub name: String,
    /// `availability` (requests that did not fail) or `latency` (requests faster than
    /// `threshold`).
    pub sli: String,
    /// The share of good requests promised (`99.9%`).
    pub objective: String,
    /// The window the objective holds over (`30d`, `28d`, `4w`).
    pub window: String,
    /// A latency SLI's bound (`300ms`): a request is good when it is answered faster.
    pub threshold: Option<String>,
    /// The scenario whose runs judge the SLI (and whose name selects rigor's own series).
    pub scenario: Option<String>,
    /// Availability: the counter of every request, as a PromQL selector
    /// (`http_requests_total{job="api"}`) [default: rigor's `rigor_requests_total`].
    pub total: Option<String>,
    /// Availability: the counter of failed requests (`http_requests_total{job="api",code=~"5.."}`).
    pub errors: Option<String>,
    /// Latency: the histogram, by its name and selector (`http_request_duration_seconds{job="api"}`),
    /// read through its `_bucket` at `le` = the threshold and its `_count`.
    pub histogram: Option<String>,
    /// What the SLO is about, for the alerts' descriptions.
    pub description: Option<String>,
    /// The runbook an alert links to.
    pub runbook: Option<String>,
    /// Labels every rule and alert of the SLO carries (`team = "payments"`).
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

/// What the SLI counts as a bad event.
#[derive(Debug, Clone, PartialEq)]
pub enum Sli {
    /// Failed requests over all requests.
    Availability { total: Selector, errors: Selector },
    /// Requests slower than `threshold` over all requests, from a histogram.
    Latency {
        histogram: Selector,
        threshold: Duration,
    },
}

/// A PromQL instant-vector selector: a metric name and its label matchers as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    pub name: String,
    /// The matchers inside the braces, as written (`job="api",code=~"5.."`), possibly empty.
    pub matchers: String,
}

impl Selector {
    /// Parses `name{matchers}` or `name`; refuses a range, a function or an unbalanced brace.
    pub fn parse(text: &str) -> Result<Selector, String> {
        let t = text.trim();
        let wrong = |why: &str| {
            format!("`{text}` is not a PromQL selector ({why}): write `metric_name{{label=\"value\"}}`, without rate() or a [range] — rigor adds those")
        };
        if t.contains('[') || t.contains('(') {
            return Err(wrong("it has a range or a function"));
        }
        let (name, matchers) = match t.find('{') {
            Some(open) => {
                let inner = t[open + 1..]
                    .strip_suffix('}')
                    .ok_or_else(|| wrong("its braces are not closed at the end"))?;
                if inner.contains('{') || inner.contains('}') {
                    return Err(wrong("it has braces inside its braces"));
                }
                (&t[..open], inner.trim())
            }
            None => (t, ""),
        };
        let name = name.trim();
        let valid_name = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
            && !name.starts_with(|c: char| c.is_ascii_digit());
        if !valid_name {
            return Err(wrong(
                "it needs a metric name of letters, digits, `_` and `:`",
            ));
        }
        Ok(Selector {
            name: name.to_string(),
            matchers: matchers.trim_end_matches(',').to_string(),
        })
    }

    /// The selector with `suffix` on its name and `extra` matchers added.
    pub fn with(&self, suffix: &str, extra: &str) -> String {
        let matchers: Vec<&str> = [self.matchers.as_str(), extra]
            .into_iter()
            .filter(|m| !m.is_empty())
            .collect();
        format!("{}{suffix}{{{}}}", self.name, matchers.join(","))
    }
}

/// A threshold as a histogram bucket's `le` label: seconds without float noise (`0.3`, `1`).
/// The live endpoint writes its buckets' labels with it and the rules select them with it,
/// so the two always meet.
pub fn le_label(threshold: Duration) -> String {
    crate::units::at_most_decimals(threshold.as_secs_f64(), 9)
}

/// An SLO as a load run judges it: its SLI measured on the run's own requests (whatever
/// selector production reads it from), the objective as the threshold. Availability is the
/// share of requests that succeeded; latency the share of the responses that succeeded within
/// the threshold — what the rules compute from rigor's own series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SloCheck {
    pub name: String,
    pub objective: f64,
    /// A latency SLI's bound; `None` for availability.
    pub threshold_ns: Option<u64>,
}

impl SloCheck {
    pub fn of(slo: &Slo) -> SloCheck {
        SloCheck {
            name: slo.name.clone(),
            objective: slo.objective,
            threshold_ns: match &slo.sli {
                Sli::Availability { .. } => None,
                Sli::Latency { threshold, .. } => Some(threshold.as_nanos() as u64),
            },
        }
    }

    /// The verdict as a threshold line: `good` of `valid` events were good.
    pub fn judge(&self, good: u64, valid: u64) -> crate::output::ThresholdOutcome {
        let share = (valid > 0).then(|| good as f64 / valid as f64);
        let what = match self.threshold_ns {
            None => "of requests succeed".to_string(),
            Some(ns) => format!(
                "of responses within {}",
                crate::units::format_nanos(ns as f64)
            ),
        };
        crate::output::ThresholdOutcome {
            threshold: format!("slo {}: {}% {what}", self.name, percent(self.objective)),
            value: share,
            value_text: match share {
                Some(v) => format!("{}% ({good} of {valid})", percent(v)),
                None => "no data: no requests to judge".to_string(),
            },
            passed: share.is_some_and(|v| v >= self.objective),
        }
    }
}

impl crate::plan::Scenario {
    /// The latency bounds of the SLOs judged on this scenario: the live endpoint gives each
    /// a histogram bucket, so the rules `rigor slo rules` writes evaluate on what it serves.
    pub fn slo_thresholds(&self) -> Vec<Duration> {
        self.slos
            .iter()
            .filter_map(|s| s.threshold_ns.map(Duration::from_nanos))
            .collect()
    }
}

/// A share as a percentage to four decimals, trailing zeros cut (`99.9`, `99.9523`).
fn percent(share: f64) -> String {
    crate::units::at_most_decimals(share * 100.0, 4)
}

/// An `[[slo]]` read and checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Slo {
    pub name: String,
    pub sli: Sli,
    /// The share of good events promised, strictly between 0 and 1.
    pub objective: f64,
    pub window: Duration,
    pub scenario: Option<String>,
    pub description: Option<String>,
    pub runbook: Option<String>,
    pub labels: BTreeMap<String, String>,
}

impl Slo {
    /// The error budget: the share of events allowed to be bad.
    pub fn error_budget(&self) -> f64 {
        1.0 - self.objective
    }
}

/// `30d`, `4w`, `720h`: an SLO's window, from one day to a year, in whole minutes.
fn parse_window(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let wrong = || {
        format!(
            "`{text}` is not a window: write days (`30d`, `28d`), weeks (`4w`) or hours (`720h`)"
        )
    };
    let d = if let Some(n) = t.strip_suffix('d') {
        days(n).ok_or_else(wrong)?
    } else if let Some(n) = t.strip_suffix('w') {
        days(n).map(|d| d * 7).ok_or_else(wrong)?
    } else {
        parse_duration(t).map_err(|_| wrong())?
    };
    if d < Duration::from_secs(86_400) || d > Duration::from_secs(366 * 86_400) {
        return Err(format!(
            "the window `{text}` is outside one day to a year: an SLO's window is usually 28 or 30 days (the ticket alert alone looks back 3 days)"
        ));
    }
    if !d.as_secs().is_multiple_of(60) || d.subsec_nanos() != 0 {
        return Err(format!("the window `{text}` must be whole minutes"));
    }
    Ok(d)
}

fn days(n: &str) -> Option<Duration> {
    let n: u64 = n.trim().parse().ok()?;
    n.checked_mul(86_400).map(Duration::from_secs)
}

/// `99.9%` as 0.999; 0 %, 100 % and beyond are refused with why.
fn parse_objective(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let value = t
        .strip_suffix('%')
        .and_then(|p| p.trim().parse::<f64>().ok())
        .filter(|v| v.is_finite())
        .ok_or_else(|| format!("`{text}` is not an objective: write a percentage (`99.9%`)"))?;
    if value >= 100.0 {
        return Err(format!(
            "the objective `{text}` leaves no error budget: {}; promise less than 100 % (`99.9%`, `99.99%`)",
            if value > 100.0 {
                "more than every request cannot be good"
            } else {
                "a single bad request breaks it, and no burn rate can be computed"
            }
        ));
    }
    if value <= 0.0 {
        return Err(format!(
            "the objective `{text}` promises nothing: give the share of good requests (`99.9%`)"
        ));
    }
    Ok(value / 100.0)
}

impl SloSpec {
    /// Checks the table and reads it; `Err` names the key at fault and what to write.
    pub fn resolve(&self) -> Result<Slo, String> {
        let name = self.name.trim();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(format!(
                "name `{}`: an SLO's name is letters, digits, `-` and `_` (it becomes a label)",
                self.name
            ));
        }
        let at = |key: &str, e: String| format!("slo `{name}`, {key}: {e}");
        let objective = parse_objective(&self.objective).map_err(|e| at("objective", e))?;
        let window = parse_window(&self.window).map_err(|e| at("window", e))?;
        let scenario_matcher = self
            .scenario
            .as_deref()
            .map(|s| {
                format!(
                    "scenario=\"{}\"",
                    s.replace('\\', "\\\\").replace('"', "\\\"")
                )
            })
            .unwrap_or_default();
        let own = |name: &str, extra: &str| Selector {
            name: name.to_string(),
            matchers: [scenario_matcher.as_str(), extra]
                .into_iter()
                .filter(|m| !m.is_empty())
                .collect::<Vec<_>>()
                .join(","),
        };
        let selector = |key: &str, text: &Option<String>| {
            text.as_deref()
                .map(|t| Selector::parse(t).map_err(|e| at(key, e)))
                .transpose()
        };
        let sli = match self.sli.trim() {
            "availability" => {
                if self.histogram.is_some() || self.threshold.is_some() {
                    return Err(at(
                        "sli",
                        "an availability SLI counts failed requests: `histogram` and `threshold` belong to a latency SLI".into(),
                    ));
                }
                let (total, errors) = (
                    selector("total", &self.total)?,
                    selector("errors", &self.errors)?,
                );
                match (total, errors) {
                    (Some(total), Some(errors)) => Sli::Availability { total, errors },
                    (None, None) => Sli::Availability {
                        total: own("rigor_requests_total", ""),
                        errors: own("rigor_requests_total", "outcome=\"error\""),
                    },
                    _ => {
                        return Err(at(
                            "total/errors",
                            "give both counters (every request and the failed ones), or neither for rigor's own".into(),
                        ))
                    }
                }
            }
            "latency" => {
                if self.total.is_some() || self.errors.is_some() {
                    return Err(at(
                        "sli",
                        "a latency SLI reads a histogram: `total` and `errors` belong to an availability SLI".into(),
                    ));
                }
                let threshold = self
                    .threshold
                    .as_deref()
                    .ok_or_else(|| at("threshold", "a latency SLI needs the bound a good request is answered within (`threshold = \"300ms\"`)".into()))?;
                let threshold =
                    parse_duration(threshold).map_err(|e| at("threshold", e.to_string()))?;
                if threshold.is_zero() {
                    return Err(at(
                        "threshold",
                        "a bound of zero makes every request bad".into(),
                    ));
                }
                let histogram = selector("histogram", &self.histogram)?
                    .unwrap_or_else(|| own("rigor_request_duration_seconds", ""));
                Sli::Latency {
                    histogram,
                    threshold,
                }
            }
            other => {
                return Err(at(
                    "sli",
                    format!("`{other}` is not an SLI rigor knows: `availability` or `latency`"),
                ))
            }
        };
        for key in self.labels.keys() {
            let valid = !key.is_empty()
                && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !key.starts_with(|c: char| c.is_ascii_digit());
            if !valid || key == "slo" || key == "severity" {
                return Err(at(
                    "labels",
                    format!("`{key}` cannot be a label: a Prometheus label name is letters, digits and `_` (and `slo` and `severity` are rigor's)"),
                ));
            }
        }
        Ok(Slo {
            name: name.to_string(),
            sli,
            objective,
            window,
            scenario: self.scenario.clone(),
            description: self.description.clone(),
            runbook: self.runbook.clone(),
            labels: self.labels.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::burn::{MIN_WINDOW, WORKBOOK_WINDOW};
    use super::*;

    fn spec(sli: &str, objective: &str, window: &str) -> SloSpec {
        SloSpec {
            name: "checkout".into(),
            sli: sli.into(),
            objective: objective.into(),
            window: window.into(),
            threshold: (sli == "latency").then(|| "300ms".into()),
            scenario: Some("checkout".into()),
            ..SloSpec::default()
        }
    }

    #[test]
    fn over_thirty_days_the_burn_rates_are_the_workbooks() {
        let slo = spec("availability", "99.9%", "30d").resolve().unwrap();
        assert!((slo.error_budget() - 0.001).abs() < 1e-12);
        let got: Vec<(&str, String, String, f64)> = slo
            .burn_alerts()
            .iter()
            .map(|a| {
                (
                    a.severity,
                    prometheus_duration(a.long),
                    prometheus_duration(a.short),
                    (a.factor * 1000.0).round() / 1000.0,
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("page", "1h".into(), "5m".into(), 14.4),
                ("page", "6h".into(), "30m".into(), 6.0),
                ("ticket", "1d".into(), "2h".into(), 3.0),
                ("ticket", "3d".into(), "6h".into(), 1.0),
            ]
        );
        let windows: Vec<String> = slo
            .rule_windows()
            .into_iter()
            .map(prometheus_duration)
            .collect();
        assert_eq!(windows, ["5m", "30m", "1h", "2h", "6h", "1d", "3d"]);
        // Over four weeks the windows shrink with the window, and the factors stay.
        let slo = spec("availability", "99.9%", "4w").resolve().unwrap();
        let a = slo.burn_alerts();
        assert_eq!(prometheus_duration(a[0].long), "56m");
        assert_eq!(prometheus_duration(a[0].short), "5m");
        assert!((a[0].factor - 14.4).abs() < 1e-9);
        // Over a week no alert burns slower than the budget allows (fixed windows made the
        // 3-day ticket 0.23×); over a day or three the window is none of the alerts' own, so
        // its ratio is recorded once.
        let workbook = [14.4, 6.0, 3.0, 1.0];
        for window in ["7d", "1d", "3d", "2d", "25h", "1445m", "31d", "365d"] {
            let slo = spec("availability", "99.9%", window).resolve().unwrap();
            let long_enough = slo.window >= Duration::from_secs(WORKBOOK_WINDOW);
            for (a, book) in slo.burn_alerts().iter().zip(workbook) {
                // Never an alert at a rate the budget allows; never below the workbook's
                // factor unless its window was held at five minutes, and at most the rounding
                // of a window to whole minutes above it.
                assert!(a.factor >= 1.0 - 1e-9, "{window}: {a:?}");
                if a.long.as_secs() > MIN_WINDOW {
                    assert!(a.factor >= book - 1e-9, "{window}: {a:?}");
                }
                if long_enough {
                    assert!(a.factor < book * 1.02, "{window}: {a:?}");
                }
                assert!(
                    a.short <= a.long && a.short.as_secs() >= MIN_WINDOW,
                    "{window}: {a:?}"
                );
            }
            assert!(!slo.rule_windows().contains(&slo.window), "{window}");
            assert!(slo.unreachable_alerts().is_empty());
        }
        // Over a day the fastest page's window is held at five minutes: 2 % of the budget in
        // five minutes is 5.76 times its rate.
        let day = spec("availability", "99.9%", "1d").resolve().unwrap();
        assert_eq!(prometheus_duration(day.burn_alerts()[0].long), "5m");
        assert!((day.burn_alerts()[0].factor - 5.76).abs() < 1e-9);
        let week = spec("availability", "99.9%", "7d").resolve().unwrap();
        let windows: Vec<String> = week
            .rule_windows()
            .into_iter()
            .map(prometheus_duration)
            .collect();
        assert_eq!(
            windows,
            ["5m", "7m", "14m", "28m", "1h24m", "5h36m", "16h48m"]
        );
        // A loose objective: the fastest page would need an error ratio of 144 %.
        let loose = spec("latency", "90%", "30d").resolve().unwrap();
        let never: Vec<f64> = loose
            .unreachable_alerts()
            .iter()
            .map(|a| a.factor)
            .collect();
        assert_eq!(never.len(), 1);
        assert!((never[0] - 14.4).abs() < 1e-9);
        match slo.sli {
            Sli::Availability { total, errors } => {
                assert_eq!(
                    total.with("", ""),
                    "rigor_requests_total{scenario=\"checkout\"}"
                );
                assert_eq!(
                    errors.with("", ""),
                    "rigor_requests_total{scenario=\"checkout\",outcome=\"error\"}"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn objectives_and_windows_that_cannot_be_are_refused() {
        for (objective, expected) in [
            ("100%", "leaves no error budget"),
            ("120%", "more than every request"),
            ("0%", "promises nothing"),
            ("99.9", "write a percentage"),
            ("lots", "write a percentage"),
        ] {
            let e = spec("availability", objective, "30d")
                .resolve()
                .unwrap_err();
            assert!(e.contains(expected), "{objective}: {e}");
        }
        for (window, expected) in [
            ("30", "is not a window"),
            ("thirty days", "is not a window"),
            ("12h", "outside one day to a year"),
            ("400d", "outside one day to a year"),
        ] {
            let e = spec("availability", "99.9%", window).resolve().unwrap_err();
            assert!(e.contains(expected), "{window}: {e}");
        }
        assert_eq!(
            spec("availability", "99.9%", "720h")
                .resolve()
                .unwrap()
                .window,
            Duration::from_secs(30 * 86_400)
        );
    }

    #[test]
    fn slis_and_selectors_are_checked() {
        let mut s = spec("latency", "99%", "30d");
        s.threshold = None;
        assert!(s.resolve().unwrap_err().contains("needs the bound"));
        let mut s = spec("availability", "99%", "30d");
        s.total = Some("http_requests_total{job=\"api\"}".into());
        assert!(s.resolve().unwrap_err().contains("give both counters"));
        s.errors = Some("rate(http_requests_total{code=~\"5..\"}[5m])".into());
        assert!(s.resolve().unwrap_err().contains("without rate()"));
        s.errors = Some("http_requests_total{job=\"api\",code=~\"5..\"}".into());
        assert!(s.resolve().is_ok());
        let s = spec("speed", "99%", "30d");
        assert!(s.resolve().unwrap_err().contains("`speed` is not an SLI"));
        let mut s = spec("availability", "99%", "30d");
        s.labels.insert("severity".into(), "x".into());
        assert!(s.resolve().unwrap_err().contains("cannot be a label"));
        let h = Selector::parse("http_request_duration_seconds{job=\"api\"}").unwrap();
        assert_eq!(
            h.with("_bucket", "le=\"0.3\""),
            "http_request_duration_seconds_bucket{job=\"api\",le=\"0.3\"}"
        );
        assert_eq!(Selector::parse("up").unwrap().with("", ""), "up{}");
        for bad in ["", "{job=\"x\"}", "a{b=\"c\"", "9lives", "a{b{c}}"] {
            assert!(Selector::parse(bad).is_err(), "{bad}");
        }
    }
}
