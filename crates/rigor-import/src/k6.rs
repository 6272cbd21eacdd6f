//! k6's end-of-test summary as JSON: what `handleSummary` receives (`JSON.stringify(data)`:
//! each metric with its `type`, `contains` and `values`) or the older `--summary-export` file
//! (each metric's values flat, without a type).
//!
//! Each metric's figures keep k6's names: a trend's statistics as `http_req_duration.p95`
//! (`p(95)` written `p95`, `p(99.9)` `p99.9`; `avg`, `med`, `min`, `max` as k6 has them), a
//! counter's `.count` and `.rate`, a rate's `.rate`, a gauge's `.value`, `.min` and `.max`;
//! sub-metrics keep their tags, in brackets so that a plan's rule can name them
//! (`http_req_duration[expected_response:true].p95`). Time trends
//! are in milliseconds in the file and nanoseconds here, data counters are bytes. Which way is
//! better comes from what the metric counts: time, failures and dropped iterations are lower is
//! better, requests, iterations, data and checks higher. The virtual users (`vus`,
//! `vus_max`), the test's duration and each threshold's outcome are attributes: they describe
//! the run rather than measure the system.
//!
//! k6's `http_req_duration` runs from the request's send to its last byte (no connection
//! set-up) and, under a closed model, leaves out the time a request waited to be sent: it is
//! not rigor's `latency` (from the intended start), and stays under its own name.

use std::collections::BTreeMap;

use rigor_model::metric::{Direction, Unit};
use rigor_model::output::imported::ImportedValue;
use serde_json::Value;

use crate::{Import, ImportError, RunOrigin};

/// k6's built-in metrics that hold durations (the older export does not say which do).
const TIME_METRICS: &[&str] = &[
    "http_req_duration",
    "http_req_blocked",
    "http_req_connecting",
    "http_req_tls_handshaking",
    "http_req_sending",
    "http_req_waiting",
    "http_req_receiving",
    "iteration_duration",
    "group_duration",
    "ws_connecting",
    "ws_session_duration",
    "grpc_req_duration",
];

/// Reads a k6 JSON summary.
pub fn import_k6(text: &str, origin: &RunOrigin) -> Result<Import, ImportError> {
    let doc: Value = serde_json::from_str(text)
        .map_err(|e| ImportError::format(format!("not a k6 JSON summary: {e}")))?;
    let metrics = doc
        .get("metrics")
        .and_then(Value::as_object)
        .ok_or_else(|| {
            ImportError::format("not a k6 JSON summary: it has no `metrics` object (write it with handleSummary's JSON.stringify(data) or --summary-export)")
        })?;
    if metrics.is_empty() {
        return Err(ImportError::format(
            "the k6 summary has no metrics: there is nothing to import",
        ));
    }
    let mut values = Vec::new();
    let mut failed = Vec::new();
    let mut attributes = BTreeMap::new();
    attributes.insert("tool".to_string(), "k6".to_string());
    for (name, metric) in metrics {
        let Some(object) = metric.as_object() else {
            return Err(ImportError::format(format!(
                "metric `{name}` is not an object of figures"
            )));
        };
        // handleSummary's form nests the figures under `values`; --summary-export's has them
        // flat beside `thresholds`.
        let figures = object
            .get("values")
            .and_then(Value::as_object)
            .unwrap_or(object);
        let kind = object.get("type").and_then(Value::as_str);
        let contains = object.get("contains").and_then(Value::as_str);
        let base = name.split('{').next().unwrap_or(name);
        // A sub-metric's tags go in brackets (`http_req_duration[expected_response:true]`):
        // braces would read as a plan rule's labels.
        let name = &name.replace('{', "[").replace('}', "]");
        if matches!(base, "vus" | "vus_max") {
            if let Some(max) = figures.get("max").and_then(Value::as_f64) {
                attributes.insert(format!("{name}.max"), number(max));
            }
            continue;
        }
        let is_time =
            contains == Some("time") || (contains.is_none() && TIME_METRICS.contains(&base));
        let is_data = contains == Some("data") || base.starts_with("data_");
        let mut keys: Vec<(&String, f64)> = Vec::new();
        for (key, v) in figures {
            if key == "thresholds" {
                continue;
            }
            let Some(v) = v.as_f64() else {
                continue;
            };
            if !v.is_finite() {
                return Err(ImportError::format(format!(
                    "metric `{name}`, `{key}`: {v} is not a finite number"
                )));
            }
            keys.push((key, v));
        }
        let rate_metric = kind == Some("rate")
            || (kind.is_none() && figures.contains_key("passes") && figures.contains_key("fails"));
        for (key, v) in keys {
            let Some((figure, unit, factor)) = figure(key, rate_metric, is_time, is_data) else {
                continue;
            };
            let metric = format!("{name}.{figure}");
            values.push(ImportedValue {
                better: direction(base, &figure, rate_metric),
                metric,
                value: v * factor,
                unit,
                interval: None,
                samples: Vec::new(),
            });
        }
        for (source, outcome) in thresholds(object) {
            if outcome == "failed" {
                failed.push(format!("{name}: {source}"));
            }
            attributes.insert(format!("threshold {name}: {source}"), outcome);
        }
    }
    if let Some(ms) = doc
        .pointer("/state/testRunDurationMs")
        .and_then(Value::as_f64)
    {
        attributes.insert("duration".into(), format!("{}s", number(ms / 1000.0)));
    }
    if values.is_empty() {
        return Err(ImportError::format(
            "the k6 summary has no numeric figures to import",
        ));
    }
    let notes = vec!["k6's http_req_duration runs from the request's send to its last byte (no connection set-up) and leaves out time spent waiting to be sent: it is not rigor's latency from the intended start, and keeps k6's name".into()];
    let mut notes = notes;
    if !failed.is_empty() {
        notes.push(format!(
            "k6 judged {} of its thresholds failed: {}",
            failed.len(),
            failed.join("; ")
        ));
    }
    Ok(origin.one_run("k6", attributes, values, notes))
}

/// The figure a summary key is, with its unit and the factor to that unit; `None` for a key
/// that is no figure of the system (a rate's pass and fail counts, kept in its rate).
fn figure(key: &str, rate: bool, time: bool, data: bool) -> Option<(String, Unit, f64)> {
    if rate {
        return match key {
            "rate" | "value" => Some(("rate".into(), Unit::Fraction, 1.0)),
            _ => None,
        };
    }
    let name = match key.strip_prefix("p(").and_then(|k| k.strip_suffix(')')) {
        Some(p) => format!("p{p}"),
        None => key.to_string(),
    };
    Some(match key {
        "count" if data => (name, Unit::Bytes, 1.0),
        "count" => (name, Unit::Count, 1.0),
        "rate" if data => (name, Unit::BytesPerSecond, 1.0),
        "rate" => (name, Unit::PerSecond, 1.0),
        _ if time => (name, Unit::Nanos, 1e6),
        _ => (name, Unit::Number, 1.0),
    })
}

/// Which way is better for a figure of metric `base`.
fn direction(base: &str, figure: &str, rate: bool) -> Direction {
    let worse_when_more = [
        "fail", "failed", "error", "errors", "dropped", "timeout", "timeouts", "retry", "retries",
    ];
    if base
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|word| worse_when_more.contains(&word))
    {
        return Direction::LowerIsBetter;
    }
    if rate || base == "checks" {
        return Direction::HigherIsBetter;
    }
    match figure {
        "count" | "rate" => Direction::HigherIsBetter,
        _ => Direction::LowerIsBetter,
    }
}

/// Each threshold and whether it held: `{"p(95)<500": {"ok": true}}` (handleSummary) or
/// `{"p(95)<500": false}` (the older export, where the flag says whether it was crossed).
fn thresholds(object: &serde_json::Map<String, Value>) -> Vec<(String, String)> {
    let Some(t) = object.get("thresholds").and_then(Value::as_object) else {
        return Vec::new();
    };
    t.iter()
        .filter_map(|(source, v)| {
            let ok = match v {
                Value::Object(o) => o.get("ok").and_then(Value::as_bool)?,
                Value::Bool(crossed) => !crossed,
                _ => return None,
            };
            Some((source.clone(), if ok { "ok" } else { "failed" }.to_string()))
        })
        .collect()
}

fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rigor_model::output::imported::ImportedRun;

    fn origin() -> RunOrigin {
        RunOrigin {
            started_at_ns: 7,
            git_commit: Some("abc".into()),
            git_branch: None,
            file: "summary.json".into(),
        }
    }

    fn value(run: &ImportedRun, name: &str) -> (f64, Unit, Direction) {
        let v = run
            .get(name)
            .unwrap_or_else(|| panic!("{name} in {:?}", run.values));
        (v.value, v.unit, v.better)
    }

    #[test]
    fn handle_summary_data_keeps_k6s_names_in_rigors_units() {
        let text = r#"{
          "state": {"testRunDurationMs": 30018.4},
          "metrics": {
            "http_req_duration": {"type": "trend", "contains": "time",
              "values": {"avg": 36.1, "med": 31.0, "p(95)": 54.2, "p(99.9)": 120.5, "max": 1339.3},
              "thresholds": {"p(95)<500": {"ok": true}}},
            "http_req_duration{expected_response:true}": {"type": "trend", "contains": "time",
              "values": {"p(95)": 50.0}},
            "http_reqs": {"type": "counter", "contains": "default", "values": {"count": 16510, "rate": 549.99}},
            "http_req_failed": {"type": "rate", "contains": "default", "values": {"rate": 0.02, "passes": 330, "fails": 16180}},
            "checks": {"type": "rate", "contains": "default", "values": {"rate": 0.98, "passes": 98, "fails": 2}},
            "data_received": {"type": "counter", "contains": "data", "values": {"count": 1000000, "rate": 33333.3}},
            "dropped_iterations": {"type": "counter", "contains": "default", "values": {"count": 4, "rate": 0.1}},
            "vus_max": {"type": "gauge", "contains": "default", "values": {"value": 50, "min": 50, "max": 50}}
          }
        }"#;
        let import = import_k6(text, &origin()).unwrap();
        let run = &import.rows[0].run;
        assert_eq!(import.rows[0].git_commit.as_deref(), Some("abc"));
        assert_eq!(
            value(run, "http_req_duration.p95"),
            (54.2e6, Unit::Nanos, Direction::LowerIsBetter)
        );
        assert_eq!(value(run, "http_req_duration.p99.9").0, 120.5e6);
        assert_eq!(
            value(run, "http_req_duration[expected_response:true].p95").0,
            50.0e6
        );
        assert_eq!(
            value(run, "http_reqs.rate"),
            (549.99, Unit::PerSecond, Direction::HigherIsBetter)
        );
        assert_eq!(
            value(run, "http_req_failed.rate"),
            (0.02, Unit::Fraction, Direction::LowerIsBetter)
        );
        assert_eq!(value(run, "checks.rate").2, Direction::HigherIsBetter);
        assert_eq!(value(run, "data_received.count").1, Unit::Bytes);
        assert_eq!(
            value(run, "dropped_iterations.count").2,
            Direction::LowerIsBetter
        );
        // A rate's pass and fail counts are in its rate; the virtual users describe the run.
        assert!(run.get("http_req_failed.passes").is_none());
        assert!(run.get("vus_max.value").is_none());
        assert_eq!(run.attributes["vus_max.max"], "50");
        assert_eq!(
            run.attributes["threshold http_req_duration: p(95)<500"],
            "ok"
        );
        assert_eq!(run.attributes["duration"], "30.0184s");
    }

    #[test]
    fn the_older_summary_export_reads_the_same() {
        let text = r#"{"metrics": {
            "http_req_duration": {"avg": 36.1, "med": 31.0, "p(95)": 54.2, "thresholds": {"p(95)<50": true}},
            "http_reqs": {"count": 16510, "rate": 549.99},
            "http_req_failed": {"passes": 330, "fails": 16180, "value": 0.02}
        }}"#;
        let run = &import_k6(text, &origin()).unwrap().rows[0].run;
        assert_eq!(value(run, "http_req_duration.p95").0, 54.2e6);
        assert_eq!(value(run, "http_req_failed.rate").0, 0.02);
        assert_eq!(value(run, "http_reqs.count").1, Unit::Count);
        assert_eq!(
            run.attributes["threshold http_req_duration: p(95)<50"],
            "failed"
        );
    }

    #[test]
    fn what_is_no_k6_summary_is_refused() {
        for (text, expected) in [
            ("not json", "not a k6 JSON summary"),
            ("{\"results\": []}", "no `metrics` object"),
            ("{\"metrics\": {}}", "no metrics"),
            ("{\"metrics\": {\"x\": 3}}", "not an object"),
            (
                "{\"metrics\": {\"vus\": {\"value\": 1, \"max\": 1}}}",
                "no numeric figures",
            ),
        ] {
            let e = import_k6(text, &origin()).unwrap_err().to_string();
            assert!(e.contains(expected), "{text}: {e}");
        }
    }
}
