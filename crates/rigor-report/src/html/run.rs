//! A load run in HTML: its status, key figures and thresholds, then the charts (latency over
//! time from intended start and from send, throughput against the plan with errors, the
//! percentile spectrum, the generator's send lag, the target's CPU, memory, threads and
//! descriptors), then the tables and the method. And two runs overlaid, for a comparison.

use std::fmt::Write as _;

use rigor_model::metric::Signal;
use rigor_model::output::report::{LoadReport, SecondFigures, SecondLatency};
use rigor_model::output::{LatencySummary, RunSummary};
use rigor_model::threshold::{Metric, Scope, Threshold};
use rigor_model::units::{format_nanos, three_figures, Bytes};

mod tables;

use super::chart::{Limit, LineChart, Scale, XAxis};
use rigor_model::tune::PhaseStatus;

use super::{badge, badge_of, esc, table};
use crate::terminal::HIGH_ERROR_RATE;

pub fn load(r: &LoadReport) -> String {
    let s = &r.summary;
    let mut out = String::new();
    header(&mut out, s);
    if let Some(x) = &r.session {
        session(&mut out, x);
    }
    key_figures(&mut out, s);
    thresholds(&mut out, s);
    out.push_str("<section><h2>Over time</h2>");
    for chart in charts(r) {
        chart.render(&mut out);
    }
    out.push_str("</section>");
    tables::tables(&mut out, s);
    for p in &r.profiles {
        super::profile::section(&mut out, p);
    }
    method(&mut out, r);
    out
}

/// The tuning session the run belongs to: what it was for, what it showed, and the phase
/// tracker.
fn session(out: &mut String, x: &rigor_model::output::report::SessionSection) {
    out.push_str("<section class=\"session\"><h2>Tuning session</h2>");
    for line in crate::tune::section_lines(x) {
        let _ = write!(out, "<p>{}</p>", code_spans(&esc(&line)));
    }
    let rows: Vec<Vec<String>> = x
        .phases
        .iter()
        .map(|p| {
            vec![
                p.number.to_string(),
                esc(&p.title),
                // A word in a badge: the tracker's emoji need a font a browser may lack.
                match p.status {
                    PhaseStatus::Done => badge_of("done", "good"),
                    PhaseStatus::InProgress => badge_of("in progress", "warn"),
                    PhaseStatus::NotStarted => badge_of("not started", "plain"),
                    PhaseStatus::Blocked => badge_of("blocked", "bad"),
                },
                code_spans(&esc(&p.notes)),
            ]
        })
        .collect();
    table(
        out,
        "phases",
        &["phase", "title", "status", "notes"],
        &[0],
        &rows,
    );
    out.push_str("</section>");
}

/// Escaped text with its `code` spans as `<code>`.
fn code_spans(escaped: &str) -> String {
    let mut out = String::new();
    for (i, part) in escaped.split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{part}</code>");
        } else {
            out.push_str(part);
        }
    }
    out
}

fn header(out: &mut String, s: &RunSummary) {
    let status = s.status.as_str();
    let good = match status {
        "passed" | "completed" => Some(true),
        "failed" | "target_failed" | "invalid" | "crashed" => Some(false),
        _ => None,
    };
    let _ = write!(
        out,
        "<header><h1>rigor run {} · {}</h1><p class=\"status\">{} {} model · started {} · {} requests in {}</p>",
        s.run_id,
        esc(&s.scenario),
        badge(&status.to_uppercase(), good),
        esc(&s.model),
        esc(&s.started_at),
        s.total.requests,
        format_nanos(s.duration_ns as f64),
    );
    if let Some(reason) = &s.status_reason {
        let _ = write!(out, "<p class=\"alarm\">{}</p>", esc(reason));
    }
    if s.total.error_rate >= HIGH_ERROR_RATE {
        let _ = write!(
            out,
            "<p class=\"alarm\">{}% of requests failed: the latency below is of the responses that succeeded.</p>",
            three_figures(s.total.error_rate * 100.0)
        );
    }
    out.push_str("</header>");
}

fn key_figures(out: &mut String, s: &RunSummary) {
    let t = &s.total;
    let lat = |l: &LatencySummary, ns: u64| {
        if l.count == 0 {
            "–".to_string()
        } else {
            format_nanos(ns as f64)
        }
    };
    let figures = [
        (
            "throughput",
            format!("{}/s", three_figures(t.throughput_per_s)),
        ),
        (
            "error rate",
            format!("{}%", three_figures(t.error_rate * 100.0)),
        ),
        ("p50", lat(&t.latency, t.latency.p50_ns)),
        ("p99", lat(&t.latency, t.latency.p99_ns)),
        ("p99 from send", lat(&t.raw_latency, t.raw_latency.p99_ns)),
        ("max", lat(&t.latency, t.latency.max_ns)),
        (
            "send lag p99",
            format_nanos(s.generator.schedule_lag.p99_ns as f64),
        ),
    ];
    out.push_str("<dl class=\"figures\">");
    for (name, value) in figures {
        let _ = write!(out, "<div><dt>{name}</dt><dd>{}</dd></div>", esc(&value));
    }
    out.push_str("</dl>");
}

fn thresholds(out: &mut String, s: &RunSummary) {
    if s.thresholds.is_empty() {
        return;
    }
    let rows: Vec<Vec<String>> = s
        .thresholds
        .iter()
        .map(|t| {
            vec![
                if t.passed {
                    badge("pass", Some(true))
                } else {
                    badge("FAIL", Some(false))
                },
                format!("<code>{}</code>", esc(&t.threshold)),
                esc(&t.value_text),
            ]
        })
        .collect();
    out.push_str("<section><h2>Thresholds</h2>");
    table(
        out,
        "thresholds",
        &["", "threshold", "measured"],
        &[2],
        &rows,
    );
    out.push_str("</section>");
}

/// Which chart a threshold is drawn on.
#[derive(Clone, Copy, PartialEq, Eq)]
enum On {
    Latency,
    Throughput,
    Rss,
    Threads,
    Fds,
}

/// The run's thresholds on whole-run metrics that a chart shows, as limit lines (a failed
/// one in red), and the plan's budgets on the scenario (judged by the gate, not here).
fn limits(r: &LoadReport, on: On) -> Vec<Limit> {
    let thresholds = r.summary.thresholds.iter().map(|t| {
        let label = format!(
            "{} (run: {}, {})",
            t.threshold,
            t.value_text,
            if t.passed { "pass" } else { "FAIL" }
        );
        (t.threshold.as_str(), label, !t.passed)
    });
    let budgets = r
        .method
        .budgets
        .iter()
        .map(|b| (b.as_str(), format!("budget {b}"), false));
    thresholds
        .chain(budgets)
        .filter_map(|(text, label, failed)| {
            let parsed: Threshold = text.parse().ok()?;
            if parsed.scope != Scope::Run {
                return None;
            }
            let chart = match parsed.metric {
                Metric::Latency(_) | Metric::RawLatency(_) => On::Latency,
                Metric::Throughput => On::Throughput,
                Metric::Target(Signal::Rss(_)) => On::Rss,
                Metric::Target(Signal::Threads) => On::Threads,
                Metric::Target(Signal::Fds) => On::Fds,
                _ => return None,
            };
            (chart == on).then_some(Limit {
                value: parsed.limit,
                label,
                failed,
            })
        })
        .collect()
}

/// Where each phase begins, as chart marks (none for a run of one phase).
fn phase_marks(seconds: &[SecondFigures]) -> Vec<(f64, String)> {
    let mut marks: Vec<(f64, String)> = Vec::new();
    for s in seconds {
        if marks.last().is_none_or(|(_, p)| *p != s.phase) {
            marks.push((f64::from(s.second), s.phase.clone()));
        }
    }
    if marks.len() < 2 {
        marks.clear();
    }
    marks
}

/// A figure of each second, drawn at the middle of its second (second 3 covers 3 s to 4 s),
/// so that a per-second rate lines up with the planned rate and with phase boundaries.
fn points(
    seconds: &[SecondFigures],
    value: impl Fn(&SecondFigures) -> Option<f64>,
) -> Vec<(f64, Option<f64>)> {
    seconds
        .iter()
        .map(|s| (f64::from(s.second) + 0.5, value(s)))
        .collect()
}

fn latency(l: Option<SecondLatency>, pick: fn(&SecondLatency) -> u64) -> Option<f64> {
    l.map(|l| pick(&l) as f64)
}

/// The planned request rate second by second (open model): each phase's arrival rate,
/// ramped from its start to its end rate; for a journey, its walks' rate times the requests
/// a walk sends, so it reads against the requests completed.
fn planned_rate(r: &LoadReport) -> Option<Vec<(f64, Option<f64>)>> {
    if r.method.model != "open" || r.method.phases.is_empty() {
        return None;
    }
    let per_arrival = r.summary.journey.as_ref().map_or(1.0, |j| {
        j.steps.iter().map(|s| f64::from(s.repeat.max(1))).sum()
    });
    let mut out = Vec::new();
    let mut at = 0.0;
    for p in &r.method.phases {
        let (Some(a), Some(b)) = (p.rate_start, p.rate_end) else {
            return None;
        };
        let length = p.duration_ns as f64 / 1e9;
        out.push((at, Some(a * per_arrival)));
        out.push((at + length, Some(b * per_arrival)));
        at += length;
    }
    Some(out)
}

/// The charts of one run, each only when the run has its data.
fn charts(r: &LoadReport) -> Vec<LineChart> {
    let sec = &r.seconds;
    let marks = phase_marks(sec);
    let mut charts = Vec::new();

    let mut lat = LineChart::new("latency", "Latency over time", XAxis::Seconds, Scale::Duration)
        .caption("Each second's successful responses, timed from their intended start (coordinated omission corrected) and, apart, from the moment they were sent. A gap between the two (dashed: from send) is time requests spent waiting to be sent.")
        .series("p50", 0, points(sec, |x| latency(x.latency, |l| l.p50_ns)))
        .series("p99", 1, points(sec, |x| latency(x.latency, |l| l.p99_ns)))
        .series("max", 2, points(sec, |x| latency(x.latency, |l| l.max_ns)))
        .series("p50 from send", 3, points(sec, |x| latency(x.raw_latency, |l| l.p50_ns)))
        .series("p99 from send", 4, points(sec, |x| latency(x.raw_latency, |l| l.p99_ns)));
    lat.marks.clone_from(&marks);
    lat.limits = limits(r, On::Latency);
    charts.push(lat);

    let mut rate = LineChart::new("throughput", "Throughput and errors", XAxis::Seconds, Scale::Number)
        .caption("Requests completed and requests failed in each second, per second; with the open model, the planned arrival rate. A second with nothing completed shows as zero.")
        .series("completed/s", 0, points(sec, |x| Some(x.requests as f64)))
        .series("errors/s", 5, points(sec, |x| Some(x.errors as f64)));
    if let Some(planned) = planned_rate(r) {
        rate = rate.series("planned/s", 2, planned);
    }
    rate.marks.clone_from(&marks);
    rate.limits = limits(r, On::Throughput);
    charts.push(rate);

    let mut spectrum = LineChart::new(
        "spectrum",
        "Latency by percentile",
        XAxis::Percentile,
        Scale::Duration,
    )
    .caption("The whole run's latency at each percentile, as HdrHistogram plots it: 90 %, 99 %, 99.9 % … are evenly spaced, so the tail is as visible as the median. The vertical axis is logarithmic.")
    .series(
        "from intended start",
        0,
        r.spectrum
            .iter()
            .map(|p| (p.percentile, p.latency_ns.map(|v| v as f64)))
            .collect(),
    )
    .series(
        "from send",
        3,
        r.spectrum
            .iter()
            .map(|p| (p.percentile, p.raw_latency_ns.map(|v| v as f64)))
            .collect(),
    );
    spectrum.y_log = true;
    charts.push(spectrum);

    let mut lag = LineChart::new("send-lag", "Generator send lag", XAxis::Seconds, Scale::Duration)
        .caption("How late the generator sent each second's requests against their schedule: its own health. Lag that grows means the generator, not the target, limited the run.")
        .series("p99", 0, points(sec, |x| x.send_lag_p99_ns.map(|v| v as f64)))
        .series("max", 1, points(sec, |x| x.send_lag_max_ns.map(|v| v as f64)));
    lag.marks.clone_from(&marks);
    if lag.has_data() {
        charts.push(lag);
    }

    type Figure = fn(&SecondFigures) -> Option<f64>;
    let target: [(&str, &str, Scale, Option<On>, Figure); 4] = [
        (
            "target-cpu",
            "Target CPU (cores busy)",
            Scale::Number,
            None,
            |x| x.target_cpu_cores,
        ),
        (
            "target-rss",
            "Target resident memory",
            Scale::Bytes,
            Some(On::Rss),
            |x| x.target_rss_bytes.map(|v| v as f64),
        ),
        (
            "target-threads",
            "Target threads",
            Scale::Number,
            Some(On::Threads),
            |x| x.target_threads.map(f64::from),
        ),
        (
            "target-fds",
            "Target open file descriptors",
            Scale::Number,
            Some(On::Fds),
            |x| x.target_fds.map(f64::from),
        ),
    ];
    for (id, title, scale, on, value) in target {
        let mut c = LineChart::new(id, title, XAxis::Seconds, scale)
            .caption("Sampled from the target's process once a second.")
            .series(title.trim_start_matches("Target "), 0, points(sec, value));
        if !c.has_data() {
            continue;
        }
        c.marks.clone_from(&marks);
        if let Some(on) = on {
            c.limits = limits(r, on);
        }
        charts.push(c);
    }
    charts
}

/// Two runs' charts overlaid: p99 latency and throughput over time, and their spectra.
pub fn overlay(out: &mut String, a: &LoadReport, b: &LoadReport) {
    let names = (
        format!("baseline (run {})", a.summary.run_id),
        format!("candidate (run {})", b.summary.run_id),
    );
    let p99 = |r: &LoadReport| points(&r.seconds, |x| latency(x.latency, |l| l.p99_ns));
    LineChart::new(
        "compare-latency",
        "p99 latency over time",
        XAxis::Seconds,
        Scale::Duration,
    )
    .caption("Each second's p99 from intended start, both runs from their own start.")
    .series(&names.0, 0, p99(a))
    .series(&names.1, 1, p99(b))
    .render(out);
    let rate = |r: &LoadReport| points(&r.seconds, |x| Some(x.requests as f64));
    LineChart::new(
        "compare-throughput",
        "Throughput over time",
        XAxis::Seconds,
        Scale::Number,
    )
    .caption("Requests completed per second.")
    .series(&names.0, 0, rate(a))
    .series(&names.1, 1, rate(b))
    .render(out);
    let spectrum = |r: &LoadReport| {
        r.spectrum
            .iter()
            .map(|p| (p.percentile, p.latency_ns.map(|v| v as f64)))
            .collect()
    };
    let mut c = LineChart::new(
        "compare-spectrum",
        "Latency by percentile",
        XAxis::Percentile,
        Scale::Duration,
    )
    .caption(
        "Each run's latency from intended start at each percentile (logarithmic vertical axis).",
    )
    .series(&names.0, 0, spectrum(a))
    .series(&names.1, 1, spectrum(b));
    c.y_log = true;
    c.render(out);
}

fn method(out: &mut String, r: &LoadReport) {
    let m = &r.method;
    let e = &r.summary.environment;
    out.push_str("<section><h2>Method and environment</h2><ul class=\"method\">");
    let _ = write!(
        out,
        "<li>Model: {} · latency measured from {}.</li>",
        esc(&m.model),
        esc(&m.latency_from)
    );
    for p in &m.phases {
        let load = crate::method::planned_load(p);
        let _ = write!(
            out,
            "<li>Phase <code>{}</code> ({}): {} for {}.</li>",
            esc(&p.name),
            esc(&p.kind),
            esc(&load),
            format_nanos(p.duration_ns as f64)
        );
    }
    if let Some(c) = m.connections {
        let _ = write!(
            out,
            "<li>Connections: at most {c}{}.</li>",
            m.http
                .as_deref()
                .map(|h| format!(" · HTTP {}", esc(h)))
                .unwrap_or_default()
        );
    }
    for req in &m.requests {
        let _ = write!(out, "<li>Request: <code>{}</code></li>", esc(req));
    }
    for b in &m.budgets {
        let _ = write!(
            out,
            "<li>Budget (judged by <code>rigor gate</code>): <code>{}</code></li>",
            esc(b)
        );
    }
    let commit = crate::method::commit(e);
    let _ = write!(
        out,
        "<li>rigor {} · commit {} · {} · {} ({} cores, {}) · kernel {} · host {}.</li></ul></section>",
        esc(&e.rigor_version),
        esc(&commit),
        esc(&e.os),
        esc(&e.cpu_model),
        e.cores,
        esc(&Bytes(e.memory_bytes).to_string()),
        esc(&e.kernel),
        esc(&e.hostname)
    );
}
