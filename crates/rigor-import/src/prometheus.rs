//! A range of a real Prometheus server's series as a run of kind `telemetry`: production's
//! figures as a baseline (`rigor import prometheus`). Each named PromQL query is read over
//! the window with `/api/v1/query_range` and becomes one figure: its mean over the window,
//! with the means of consecutive blocks of points as its samples — the points of a series are
//! not independent (one slow minute is followed by another), and block means are, nearly, so
//! a comparison's bootstrap over them gives an interval that allows for that.
//!
//! A query must come back as one series: several (one per label set) are refused with their
//! labels, since which of them is the baseline is the user's choice (`sum`, `max` or a
//! matcher says). A query that returns nothing in the window, or only NaN, is refused too.

use std::collections::BTreeMap;
use std::time::Duration;

use rigor_model::metric::{Direction, Unit};
use rigor_model::output::imported::ImportedValue;

use crate::{Import, RunOrigin};

/// The most blocks a figure's points are cut into (its samples).
pub const MAX_BLOCKS: usize = 30;
/// The fewest points a block holds; a series shorter than two blocks keeps no samples.
pub const MIN_BLOCK: usize = 5;

/// One named query, as the user gave it (`p95=histogram_quantile(…)`).
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub name: String,
    pub promql: String,
    /// The unit its values are in, and the factor to rigor's.
    pub unit: Unit,
    pub factor: f64,
    pub better: Direction,
}

/// The range read: `[start, end]` every `step`, in Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    pub start_s: f64,
    pub end_s: f64,
    pub step: Duration,
}

/// What can go wrong reading from Prometheus.
#[derive(Debug, thiserror::Error)]
pub enum PromError {
    /// The server could not be reached, or did not answer as Prometheus does.
    #[error("{0}")]
    Unreachable(String),
    /// The server refused the query or it came back empty: the user's to fix.
    #[error("{0}")]
    Query(String),
}

impl PromError {
    pub fn is_bad_input(&self) -> bool {
        matches!(self, PromError::Query(_))
    }
}

/// `NAME=PROMQL` or a bare `PROMQL` (then named `default`): the name is a word of letters,
/// digits, `_`, `.` and `-` before an `=` that is not PromQL's `==` or `=~`.
pub fn split_named(text: &str, default: &str) -> (String, String) {
    if let Some((name, rest)) = text.split_once('=') {
        let is_name = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
            && !rest.starts_with(['=', '~']);
        if is_name {
            return (name.to_string(), rest.trim().to_string());
        }
    }
    (default.to_string(), text.trim().to_string())
}

/// The unit a query's values are likely in when the user did not say, and whether that was
/// a guess from its text: a quantile or ratio of a `_seconds` histogram is in seconds, a
/// `_bytes` series in bytes, a rate of a counter per second; anything else a plain number.
pub fn guess_unit(promql: &str) -> (Unit, f64, bool) {
    let q = promql.to_ascii_lowercase();
    if q.contains("_seconds") && !q.contains("_count") && !q.contains("_total") {
        (Unit::Nanos, 1e9, true)
    } else if q.contains("_bytes") && !q.contains("rate(") {
        (Unit::Bytes, 1.0, true)
    } else if q.contains("rate(") && (q.contains("_total") || q.contains("_count")) {
        (Unit::PerSecond, 1.0, true)
    } else {
        (Unit::Number, 1.0, false)
    }
}

/// Reads every query over `range` from the server at `base` (`http://host:9090`).
pub fn fetch(
    base: &str,
    queries: &[Query],
    range: Range,
    timeout: Duration,
) -> Result<Vec<Vec<(f64, f64)>>, PromError> {
    let base = base.trim_end_matches('/');
    if !base.starts_with("http://") {
        return Err(PromError::Query(format!(
            "--url {base}: give the server's http:// address (such as http://127.0.0.1:9090); https is not supported by this build, so reach it through a local tunnel or proxy"
        )));
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        // The URL is the user's: no proxy from the environment in between.
        .proxy(None)
        .build()
        .into();
    let url = format!("{base}/api/v1/query_range");
    queries
        .iter()
        .map(|q| {
            let step = format!("{}", range.step.as_secs_f64());
            let (start, end) = (format!("{}", range.start_s), format!("{}", range.end_s));
            let mut response = agent
                .post(&url)
                .send_form([
                    ("query", q.promql.as_str()),
                    ("start", start.as_str()),
                    ("end", end.as_str()),
                    ("step", step.as_str()),
                ])
                .map_err(|e| {
                    PromError::Unreachable(format!(
                        "cannot reach Prometheus at {base}: {e}; check --url and that the server is up"
                    ))
                })?;
            let status = response.status();
            let body = response
                .body_mut()
                .with_config()
                .limit(256 * 1024 * 1024)
                .read_to_string()
                .map_err(|e| {
                    PromError::Unreachable(format!("reading {url}'s answer failed: {e}"))
                })?;
            parse_range(&body, status.as_u16(), &q.name, &q.promql, &url)
        })
        .collect()
}

/// A `query_range` answer as one series of (time, value), NaN points left out.
pub fn parse_range(
    body: &str,
    status: u16,
    name: &str,
    promql: &str,
    url: &str,
) -> Result<Vec<(f64, f64)>, PromError> {
    let json: serde_json::Value = serde_json::from_str(body).map_err(|_| {
        PromError::Unreachable(format!(
            "{url} answered {status} with something that is not Prometheus's JSON; is --url a Prometheus server?"
        ))
    })?;
    if json["status"] != "success" {
        let why = json["error"].as_str().unwrap_or("no reason given");
        let kind = json["errorType"].as_str().unwrap_or("error");
        return Err(PromError::Query(format!(
            "query `{name}` ({promql}): Prometheus refused it ({kind}): {why}"
        )));
    }
    let result = json["data"]["result"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    match result.len() {
        0 => {
            return Err(PromError::Query(format!(
                "query `{name}` ({promql}) returned nothing in the window: check the metric's name and labels, and that the window covers when it was scraped"
            )))
        }
        1 => {}
        n => {
            let sets: Vec<String> = result
                .iter()
                .take(5)
                .map(|r| r["metric"].to_string())
                .collect();
            return Err(PromError::Query(format!(
                "query `{name}` ({promql}) returned {n} series ({}{}): a figure is one series; aggregate them (sum, max, avg) or select one with a matcher",
                sets.join(", "),
                if n > 5 { ", …" } else { "" }
            )));
        }
    }
    let points: Vec<(f64, f64)> = result[0]["values"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| {
            let t = p.get(0)?.as_f64()?;
            let v: f64 = p.get(1)?.as_str()?.parse().ok()?;
            v.is_finite().then_some((t, v))
        })
        .collect();
    if points.is_empty() {
        return Err(PromError::Query(format!(
            "query `{name}` ({promql}) has no finite value in the window (only NaN or infinities: a quantile or ratio of no traffic)"
        )));
    }
    Ok(points)
}

/// The block means of `values`: at most [`MAX_BLOCKS`] blocks of equal length (at least
/// [`MIN_BLOCK`] points each), the remainder left to the last; empty when there are too few
/// points for two blocks.
pub fn block_means(values: &[f64]) -> Vec<f64> {
    let blocks = (values.len() / MIN_BLOCK).min(MAX_BLOCKS);
    if blocks < 2 {
        return Vec::new();
    }
    let size = values.len() / blocks;
    (0..blocks)
        .map(|b| {
            let end = if b + 1 == blocks {
                values.len()
            } else {
                (b + 1) * size
            };
            let block = &values[b * size..end];
            block.iter().sum::<f64>() / block.len() as f64
        })
        .collect()
}

/// Unix seconds as an RFC 3339 time in UTC, to the millisecond.
fn rfc3339(unix_s: f64) -> String {
    let ns = (unix_s * 1e3).round() as i128 * 1_000_000;
    time::OffsetDateTime::from_unix_timestamp_nanos(ns)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| format!("{unix_s}"))
}

/// The run the series make: one figure per query.
pub fn to_run(
    base: &str,
    queries: &[Query],
    series: &[Vec<(f64, f64)>],
    range: Range,
    origin: &RunOrigin,
) -> Import {
    let mut attributes = BTreeMap::new();
    attributes.insert("url".to_string(), base.to_string());
    attributes.insert("start".to_string(), rfc3339(range.start_s));
    attributes.insert("end".to_string(), rfc3339(range.end_s));
    attributes.insert(
        "step".to_string(),
        rigor_model::plan::prometheus_duration(range.step),
    );
    let mut notes = Vec::new();
    let values = queries
        .iter()
        .zip(series)
        .map(|(q, points)| {
            attributes.insert(format!("query.{}", q.name), q.promql.clone());
            let values: Vec<f64> = points.iter().map(|(_, v)| v * q.factor).collect();
            let mean = values.iter().sum::<f64>() / values.len() as f64;
            let samples = block_means(&values);
            notes.push(format!(
                "`{}`: {} points, mean {}{}",
                q.name,
                values.len(),
                q.unit.format(mean),
                if samples.is_empty() {
                    " (too few points for block means: compared as a value without an interval)"
                        .to_string()
                } else {
                    format!(
                        ", samples the means of {} consecutive blocks",
                        samples.len()
                    )
                }
            ));
            ImportedValue {
                metric: q.name.clone(),
                value: mean,
                unit: q.unit,
                better: q.better,
                interval: None,
                samples,
            }
        })
        .collect();
    origin.one_run("prometheus", attributes, values, notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_split_from_promql_but_a_matcher_is_not_a_name() {
        assert_eq!(
            split_named("p95=histogram_quantile(0.95, x)", "value"),
            ("p95".into(), "histogram_quantile(0.95, x)".into())
        );
        assert_eq!(
            split_named("up{job=\"api\"}", "value"),
            ("value".into(), "up{job=\"api\"}".into())
        );
        assert_eq!(split_named("x==1", "v"), ("v".into(), "x==1".into()));
        assert_eq!(split_named("x=~1", "v").0, "v");
    }

    #[test]
    fn the_answer_is_one_series_or_a_clear_refusal() {
        let ok = r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"2.5"],[2,"NaN"],[3,"3.5"]]}]}}"#;
        assert_eq!(
            parse_range(ok, 200, "q", "x", "u").unwrap(),
            vec![(1.0, 2.5), (3.0, 3.5)]
        );
        let two = r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"a":"1"},"values":[]},{"metric":{"a":"2"},"values":[]}]}}"#;
        let e = parse_range(two, 200, "q", "x", "u").unwrap_err();
        assert!(
            e.is_bad_input() && e.to_string().contains("2 series"),
            "{e}"
        );
        let none = r#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#;
        assert!(parse_range(none, 200, "q", "x", "u")
            .unwrap_err()
            .to_string()
            .contains("returned nothing"));
        let nan = r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"NaN"]]}]}}"#;
        assert!(parse_range(nan, 200, "q", "x", "u")
            .unwrap_err()
            .to_string()
            .contains("no finite value"));
        let bad = r#"{"status":"error","errorType":"bad_data","error":"parse error at char 4"}"#;
        let e = parse_range(bad, 400, "q", "x(", "u").unwrap_err();
        assert!(
            e.is_bad_input() && e.to_string().contains("parse error"),
            "{e}"
        );
        let html = "<html>nginx</html>";
        assert!(!parse_range(html, 200, "q", "x", "u")
            .unwrap_err()
            .is_bad_input());
    }

    #[test]
    fn times_are_kept_as_rfc3339() {
        assert_eq!(rfc3339(1_700_000_000.5), "2023-11-14T22:13:20.5Z");
    }

    #[test]
    fn block_means_cut_a_series_into_equal_blocks() {
        let values: Vec<f64> = (0..100).map(f64::from).collect();
        let means = block_means(&values);
        assert_eq!(means.len(), 20);
        assert_eq!(means[0], 2.0);
        assert_eq!(means[19], 97.0);
        let long: Vec<f64> = (0..10_080).map(|i| f64::from(i % 7)).collect();
        assert_eq!(block_means(&long).len(), MAX_BLOCKS);
        assert!(block_means(&values[..9]).is_empty());
    }

    #[test]
    fn units_are_guessed_only_where_the_name_says() {
        assert_eq!(
            guess_unit("histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))").0,
            Unit::Nanos
        );
        assert_eq!(
            guess_unit("sum(rate(http_requests_total[5m]))").0,
            Unit::PerSecond
        );
        assert_eq!(guess_unit("up").0, Unit::Number);
        assert_eq!(guess_unit("process_resident_memory_bytes").0, Unit::Bytes);
    }
}
