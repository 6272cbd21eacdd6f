//! The two text formats a scrape may ask for: Prometheus's text format 0.0.4 (what
//! `promtool check metrics` reads, and what a plain `curl` gets) and OpenMetrics 1.0 (what
//! Prometheus asks for first), which alone carries exemplars.

use std::fmt::Write;

use crate::{State, GAUGES};

/// The exposition format of a scrape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `text/plain; version=0.0.4`.
    Text,
    /// `application/openmetrics-text; version=1.0.0`, with exemplars.
    OpenMetrics,
}

impl Format {
    /// The format a request's `Accept` header asks for: OpenMetrics when it is named.
    pub fn from_accept(accept: Option<&str>) -> Format {
        match accept {
            Some(a) if a.contains("application/openmetrics-text") => Format::OpenMetrics,
            _ => Format::Text,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Text => "text/plain; version=0.0.4; charset=utf-8",
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Type {
    Counter,
    Gauge,
    Histogram,
    Info,
}

/// Writes a family's `# HELP` and `# TYPE` lines. In OpenMetrics a counter's family is named
/// without `_total` and an info's without `_info`; the text format names the samples' name
/// and has no info type.
fn family(out: &mut String, format: Format, name: &str, kind: Type, help: &str) {
    let (family, word) = match (format, kind) {
        (Format::OpenMetrics, Type::Counter) => {
            (name.strip_suffix("_total").unwrap_or(name), "counter")
        }
        (Format::OpenMetrics, Type::Info) => (name.strip_suffix("_info").unwrap_or(name), "info"),
        (_, Type::Counter) => (name, "counter"),
        (_, Type::Gauge) | (Format::Text, Type::Info) => (name, "gauge"),
        (_, Type::Histogram) => (name, "histogram"),
    };
    let _ = writeln!(out, "# HELP {family} {}", escape_help(help));
    let _ = writeln!(out, "# TYPE {family} {word}");
}

fn escape_help(text: &str) -> String {
    text.replace('\\', "\\\\").replace('\n', "\\n")
}

/// A label value as both formats quote it.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// `{a="x",b="y"}` from pairs (values escaped).
fn labels(pairs: &[(&str, &str)]) -> String {
    let inner: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
        .collect();
    format!("{{{}}}", inner.join(","))
}

/// A sample value: integers as integers, the rest as Rust writes a float (never an exponent).
fn number(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// The whole exposition of `state`.
pub fn render(state: &State, format: Format) -> String {
    let mut out = String::with_capacity(4096);
    family(
        &mut out,
        format,
        "rigor_run_info",
        Type::Info,
        "The run of each scenario: its id in rigor's store.",
    );
    for run in &state.runs {
        let id = run.run_id.to_string();
        let _ = writeln!(
            out,
            "rigor_run_info{} 1",
            labels(&[("scenario", &run.scenario), ("run_id", &id)])
        );
    }
    family(
        &mut out,
        format,
        "rigor_run_running",
        Type::Gauge,
        "1 while a run goes, 0 once it has ended (the endpoint lingers for a last scrape).",
    );
    let _ = writeln!(out, "rigor_run_running {}", u32::from(state.running > 0));
    family(
        &mut out,
        format,
        "rigor_run_elapsed_seconds",
        Type::Gauge,
        "How long each scenario's latest run has gone, to its last finished second.",
    );
    for run in &state.runs {
        let _ = writeln!(
            out,
            "rigor_run_elapsed_seconds{} {}",
            labels(&[("scenario", &run.scenario)]),
            number(run.elapsed_s)
        );
    }

    family(
        &mut out,
        format,
        "rigor_requests_total",
        Type::Counter,
        "Requests completed, by outcome: success, or error (a failed connection, a timeout, \
         an unexpected status or a failed check).",
    );
    each_phase(state, |scenario, p| {
        for (outcome, n) in [("success", p.requests - p.errors), ("error", p.errors)] {
            let _ = writeln!(
                out,
                "rigor_requests_total{} {n}",
                labels(&[
                    ("scenario", scenario),
                    ("phase", &p.name),
                    ("outcome", outcome)
                ])
            );
        }
    });
    family(
        &mut out,
        format,
        "rigor_request_errors_total",
        Type::Counter,
        "Failed requests, by kind.",
    );
    each_phase(state, |scenario, p| {
        for (kind, n) in &p.kinds {
            let _ = writeln!(
                out,
                "rigor_request_errors_total{} {n}",
                labels(&[("scenario", scenario), ("phase", &p.name), ("kind", kind)])
            );
        }
    });
    family(
        &mut out,
        format,
        "rigor_responses_total",
        Type::Counter,
        "Responses, by status code.",
    );
    each_phase(state, |scenario, p| {
        for (code, n) in &p.statuses {
            let _ = writeln!(
                out,
                "rigor_responses_total{} {n}",
                labels(&[
                    ("scenario", scenario),
                    ("phase", &p.name),
                    ("code", &code.to_string())
                ])
            );
        }
    });
    family(
        &mut out,
        format,
        "rigor_requests_sent_total",
        Type::Counter,
        "Requests sent; those not yet completed are in flight.",
    );
    each_phase(state, |scenario, p| {
        let _ = writeln!(
            out,
            "rigor_requests_sent_total{} {}",
            labels(&[("scenario", scenario), ("phase", &p.name)]),
            p.sent
        );
    });

    family(
        &mut out,
        format,
        "rigor_request_duration_seconds",
        Type::Histogram,
        "The latency of the responses that succeeded, from each request's intended start \
         (so a generator or server that falls behind shows as latency).",
    );
    each_phase(state, |scenario, p| {
        for (i, (bound, le)) in state.buckets.iter().enumerate() {
            let count = p
                .latency
                .count_between(0, (bound * 1e9) as u64)
                .min(p.latency.len());
            let line = format!(
                "rigor_request_duration_seconds_bucket{} {count}",
                labels(&[("scenario", scenario), ("phase", &p.name), ("le", le)])
            );
            out.push_str(&line);
            exemplar(&mut out, format, p.exemplars.get(i));
            out.push('\n');
        }
        let all = labels(&[("scenario", scenario), ("phase", &p.name), ("le", "+Inf")]);
        let _ = write!(
            out,
            "rigor_request_duration_seconds_bucket{all} {}",
            p.latency.len()
        );
        exemplar(&mut out, format, p.exemplars.last());
        out.push('\n');
        let own = labels(&[("scenario", scenario), ("phase", &p.name)]);
        let sum = if p.latency.is_empty() {
            0.0
        } else {
            p.latency.mean() * p.latency.len() as f64 / 1e9
        };
        let _ = writeln!(
            out,
            "rigor_request_duration_seconds_sum{own} {}",
            number(sum)
        );
        let _ = writeln!(
            out,
            "rigor_request_duration_seconds_count{own} {}",
            p.latency.len()
        );
    });

    for (_, metric, _, help) in GAUGES {
        if let Some(v) = state.gauges.get(metric) {
            family(&mut out, format, metric, Type::Gauge, help);
            let _ = writeln!(out, "{metric} {}", number(*v));
        }
    }
    if format == Format::OpenMetrics {
        out.push_str("# EOF\n");
    }
    out
}

fn each_phase(state: &State, mut f: impl FnMut(&str, &crate::PhaseFigures)) {
    for run in &state.runs {
        for p in &run.phases {
            f(&run.scenario, p);
        }
    }
}

/// ` # {trace_id="…"} 0.42 1700000000.123` after a bucket, in OpenMetrics only.
fn exemplar(out: &mut String, format: Format, e: Option<&Option<crate::Exemplar>>) {
    if format != Format::OpenMetrics {
        return;
    }
    if let Some(Some(e)) = e {
        let _ = write!(
            out,
            " # {{trace_id=\"{}\"}} {} {:.3}",
            escape(&e.trace_id),
            number(e.latency_ns as f64 / 1e9),
            e.at_unix_s
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Exemplar, Feed, PhaseSecond, RunStart, Second};
    use std::time::Duration;

    fn fed() -> Feed {
        let feed = Feed::new(&[Duration::from_millis(300)]);
        feed.begin(&RunStart {
            run_id: 7,
            scenario: "check\"out".into(),
            phases: vec!["steady".into()],
        });
        let mut latency = rigor_model::hist::new_hist();
        for ms in [2u64, 4, 40, 200, 310, 2000] {
            latency.record(ms * 1_000_000).unwrap();
        }
        feed.second(
            "check\"out",
            &Second {
                elapsed: Duration::from_secs(1),
                phases: vec![PhaseSecond {
                    phase: "steady".into(),
                    requests: 8,
                    errors: 2,
                    sent: 9,
                    errors_by_kind: vec![("http_503".into(), 1), ("timeout".into(), 1)],
                    statuses: vec![(200, 6), (503, 1)],
                    latency: Some(latency),
                    slowest: vec![Exemplar {
                        latency_ns: 2_000_000_000,
                        trace_id: "4bf92f3577b34da6a3ce929d0e0e4736".into(),
                        at_unix_s: 1_700_000_000.5,
                    }],
                }],
                samples: vec![
                    ("generator.lag_p99".into(), 1_500_000.0),
                    ("target.rss".into(), 1024.0),
                    ("target.metric.up".into(), 1.0),
                ],
            },
        );
        feed
    }

    #[test]
    fn counts_split_by_outcome_and_buckets_are_cumulative() {
        let text = fed().render(Format::Text);
        assert!(text.contains(
            "rigor_requests_total{scenario=\"check\\\"out\",phase=\"steady\",outcome=\"success\"} 6\n"
        ), "{text}");
        assert!(text.contains("outcome=\"error\"} 2\n"));
        assert!(text.contains("kind=\"timeout\"} 1\n"));
        assert!(text.contains("code=\"503\"} 1\n"));
        assert!(text
            .contains("rigor_requests_sent_total{scenario=\"check\\\"out\",phase=\"steady\"} 9\n"));
        // 2, 4 ≤ 5 ms; 40 ≤ 50 ms; 200 ≤ 250 ms; the SLO's 300 ms holds those four; 310 ≤ 0.5 s.
        for (le, n) in [
            ("0.005", 2),
            ("0.05", 3),
            ("0.25", 4),
            ("0.3", 4),
            ("0.5", 5),
            ("1", 5),
            ("2.5", 6),
            ("+Inf", 6),
        ] {
            assert!(
                text.contains(&format!("le=\"{le}\"}} {n}\n")),
                "le {le}: {text}"
            );
        }
        assert!(text.contains("rigor_generator_send_lag_p99_seconds 0.0015\n"));
        assert!(text.contains("rigor_target_resident_memory_bytes 1024\n"));
        assert!(
            !text.contains("up"),
            "a scraped series is the target's own: {text}"
        );
        assert!(
            !text.contains("trace_id"),
            "the text format has no exemplars"
        );
        assert!(!text.contains("# EOF"));
    }

    #[test]
    fn openmetrics_names_families_and_carries_exemplars() {
        let om = fed().render(Format::OpenMetrics);
        assert!(om.contains("# TYPE rigor_requests counter\n"), "{om}");
        assert!(om.contains("# TYPE rigor_run info\n"));
        assert!(om.contains(
            "le=\"2.5\"} 6 # {trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736\"} 2 1700000000.500\n"
        ), "{om}");
        assert!(om.ends_with("# EOF\n"));
    }

    #[test]
    fn a_bucket_keeps_its_slowest_request_as_its_exemplar() {
        let feed = fed();
        let faster = |ms: u64, trace: &str| Second {
            elapsed: Duration::from_secs(2),
            phases: vec![PhaseSecond {
                phase: "steady".into(),
                slowest: vec![Exemplar {
                    latency_ns: ms * 1_000_000,
                    trace_id: trace.into(),
                    at_unix_s: 1_700_000_001.5,
                }],
                ..Default::default()
            }],
            samples: Vec::new(),
        };
        // 1.9 s is in the 2 s request's bucket (≤ 2.5 s) but faster: the 2 s one stays.
        feed.second("check\"out", &faster(1900, "aaaa"));
        let om = feed.render(Format::OpenMetrics);
        assert!(om.contains("4bf92f3577b34da6a3ce929d0e0e4736"), "{om}");
        assert!(!om.contains("aaaa"), "{om}");
        // 2.2 s is slower: it stands for the bucket now.
        feed.second("check\"out", &faster(2200, "bbbb"));
        let om = feed.render(Format::OpenMetrics);
        assert!(om.contains("{trace_id=\"bbbb\"} 2.2 "), "{om}");
    }

    #[test]
    fn a_scenario_run_again_keeps_counting() {
        let feed = fed();
        feed.finish();
        feed.begin(&RunStart {
            run_id: 8,
            scenario: "check\"out".into(),
            phases: vec!["steady".into()],
        });
        feed.second(
            "check\"out",
            &Second {
                elapsed: Duration::from_secs(1),
                phases: vec![PhaseSecond {
                    phase: "steady".into(),
                    requests: 1,
                    ..Default::default()
                }],
                samples: Vec::new(),
            },
        );
        let text = feed.render(Format::Text);
        assert!(text.contains("outcome=\"success\"} 7\n"), "{text}");
        assert!(text.contains("run_id=\"8\"} 1\n"));
        assert!(text.contains("rigor_run_running 1\n"));
    }

    #[test]
    fn numbers_read_as_prometheus_reads_them() {
        assert_eq!(number(3.0), "3");
        assert_eq!(number(0.0015), "0.0015");
        assert_eq!(number(f64::NAN), "NaN");
        assert_eq!(number(f64::INFINITY), "+Inf");
        assert_eq!(escape("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
    }
}
