//! A run's tables in HTML: both latency rows, failures by kind and status, phases, requests,
//! the generator's health and the target's figures.

use std::fmt::Write as _;

use rigor_model::output::{GroupSummary, LatencySummary, RunSummary};
use rigor_model::units::{format_nanos, three_figures, Bytes};

use crate::html::{esc, table};

/// The run's tables: latency, failures, phases, requests, generator, target.
pub(super) fn tables(out: &mut String, s: &RunSummary) {
    let t = &s.total;
    out.push_str("<section><h2>Latency</h2>");
    let mut rows = vec![
        latency_row("from intended start", &t.latency),
        latency_row("from send (raw)", &t.raw_latency),
    ];
    if t.failed_latency.count > 0 {
        rows.push(latency_row("failed requests", &t.failed_latency));
    }
    table(
        out,
        "latency",
        &[
            "", "count", "p50", "p90", "p95", "p99", "p99.9", "max", "mean",
        ],
        &[1, 2, 3, 4, 5, 6, 7, 8],
        &rows,
    );
    out.push_str("<p class=\"caption\">Latency is of successful responses; failed requests are counted and timed apart.</p>");
    let _ = write!(
        out,
        "<h3>Requests and failures</h3><p>{} requests · {} errors ({}%) · {} abandoned at the stop · {} retried after a lost keep-alive race.</p>",
        t.requests,
        t.errors,
        three_figures(t.error_rate * 100.0),
        t.abandoned,
        t.retried
    );
    if !t.errors_by_kind.is_empty() {
        let rows: Vec<Vec<String>> = t
            .errors_by_kind
            .iter()
            .map(|(k, n)| vec![esc(k), n.to_string()])
            .collect();
        table(out, "errors", &["error", "count"], &[1], &rows);
    }
    if !t.status_codes.is_empty() {
        let rows: Vec<Vec<String>> = t
            .status_codes
            .iter()
            .map(|(k, n)| vec![esc(k), n.to_string()])
            .collect();
        table(out, "statuses", &["status", "responses"], &[1], &rows);
    }
    out.push_str("</section>");
    groups(out, "Phases", "phase", &s.phases);
    if s.requests.len() > 1 {
        groups(out, "Requests", "request", &s.requests);
    }
    replay(out, s);
    journey(out, s);
    stages(out, s);
    if !s.recoveries.is_empty() {
        out.push_str("<section><h2>Recovery after spikes</h2>");
        for r in &s.recoveries {
            let class = if r.recovered_ns.is_some() {
                ""
            } else {
                " class=\"warning\""
            };
            let _ = write!(
                out,
                "<p{class}>After <code>{}</code>: {}.</p>",
                esc(&r.phase),
                esc(&crate::recovery::line(r))
            );
        }
        out.push_str("</section>");
    }
    slowest(out, s);
    let g = &s.generator;
    out.push_str("<section><h2>Generator health</h2>");
    table(
        out,
        "generator",
        &[
            "send lag p99",
            "max",
            "late arrivals",
            "dropped arrivals",
            "CPU",
            "connections opened",
            "peak RSS",
            "other work on the machine",
        ],
        &[0, 1, 2, 3, 4, 5, 6, 7],
        &[vec![
            format_nanos(g.schedule_lag.p99_ns as f64),
            format_nanos(g.schedule_lag.max_ns as f64),
            g.late_arrivals.to_string(),
            g.dropped_arrivals.to_string(),
            format!(
                "{}% of {} thread{}",
                three_figures(g.cpu_utilisation * 100.0),
                g.threads,
                if g.threads == 1 { "" } else { "s" }
            ),
            g.connections_opened.to_string(),
            esc(&Bytes(g.peak_rss_bytes).to_string()),
            g.host_other_cpu_cores
                .map_or("not measured".to_string(), |c| {
                    format!("{} cores", three_figures(c))
                }),
        ]],
    );
    out.push_str("</section>");
    if let Some(t) = &s.target {
        target(out, t);
    }
    if let Some(m) = &s.target_metrics {
        scraped(out, m);
    }
}

/// What a replay sent, and the lines it left out.
fn replay(out: &mut String, s: &RunSummary) {
    let Some(r) = &s.replay else {
        return;
    };
    let _ = write!(
        out,
        "<section><h2>Replay</h2><p>{}.</p>",
        esc(&crate::journey::replay_line(r))
    );
    if !r.skipped.is_empty() {
        out.push_str("<ul>");
        for skip in &r.skipped {
            let _ = write!(out, "<li>{}</li>", esc(&crate::journey::skipped_line(skip)));
        }
        out.push_str("</ul>");
    }
    out.push_str("</section>");
}

/// The journey: its walks, their duration and a row per step.
fn journey(out: &mut String, s: &RunSummary) {
    let Some(j) = &s.journey else {
        return;
    };
    let _ = write!(
        out,
        "<section><h2>Journey</h2><p>{}.</p><p>{}.</p>",
        esc(&crate::journey::headline(j)),
        esc(&crate::journey::duration(j))
    );
    let rows = crate::journey::rows(s);
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.cells.iter().map(|c| esc(c)).collect())
        .collect();
    table(
        out,
        "journey",
        &crate::journey::HEADERS,
        &[1, 2, 3, 4, 5, 6, 7],
        &cells,
    );
    for why in rows.iter().filter_map(|r| r.failure.as_ref()) {
        let _ = write!(out, "<p class=\"warning\">{}</p>", esc(why));
    }
    out.push_str("<p class=\"caption\">Each step's latency is from its intended start: the previous step's response plus its think time (the arrival's due time for the first). A failed step ends its walk, which is counted with it.</p></section>");
}

/// Where the mean response's time went: a waterfall bar per request name (wait, connect,
/// TLS, TTFB, transfer, to scale across the rows) and the stages' percentiles.
fn stages(out: &mut String, s: &RunSummary) {
    let rows = crate::stages::rows(s);
    if rows.is_empty() {
        return;
    }
    out.push_str("<section><h2>Where the time goes</h2><div class=\"waterfall\">");
    let longest = rows
        .iter()
        .map(|r| r.parts.iter().sum::<f64>())
        .fold(0.0, f64::max);
    for r in &rows {
        let _ = write!(
            out,
            "<div class=\"waterfall-row\"><code>{}</code><div class=\"waterfall-bar\">",
            esc(&r.name)
        );
        for (i, (part, ns)) in crate::stages::PARTS.iter().zip(r.parts).enumerate() {
            if ns <= 0.0 || longest <= 0.0 {
                continue;
            }
            let _ = write!(
                out,
                "<span class=\"stage stage-{i}\" style=\"width:{:.3}%\" title=\"{part} {}\"></span>",
                ns / longest * 100.0,
                esc(&format_nanos(ns))
            );
        }
        let _ = write!(
            out,
            "</div><span class=\"waterfall-total\">{}</span></div>",
            esc(&format_nanos(r.parts.iter().sum()))
        );
    }
    out.push_str("<p class=\"legend\">");
    for (i, part) in crate::stages::PARTS.iter().enumerate() {
        let _ = write!(out, "<span class=\"stage stage-{i}\"></span> {part} ");
    }
    out.push_str("</p></div>");
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut c: Vec<String> = r.cells().iter().map(|c| esc(c)).collect();
            c[0] = format!("<code>{}</code>", c[0]);
            c
        })
        .collect();
    table(
        out,
        "stages",
        &crate::stages::HEADERS,
        &[1, 2, 3, 4, 5, 6, 7, 8, 9],
        &cells,
    );
    let (part, share) = rows[0].dominant();
    let _ = write!(
        out,
        "<p class=\"caption\">{}% of the mean response's time is {part}. {}</p></section>",
        three_figures(share * 100.0),
        esc(crate::stages::CAPTION)
    );
}

/// The run's slowest requests, with their trace ids when the run sent `traceparent`.
fn slowest(out: &mut String, s: &RunSummary) {
    if s.slowest.is_empty() {
        return;
    }
    out.push_str("<section><h2>Slowest requests</h2>");
    let rows: Vec<Vec<String>> = s
        .slowest
        .iter()
        .map(|r| {
            vec![
                format_nanos(r.latency_ns as f64),
                format!("<code>{}</code>", esc(&r.request)),
                format_nanos(r.due_ns as f64),
                esc(&r.phase),
                esc(&r.outcome),
                r.trace_id
                    .as_deref()
                    .map_or("–".to_string(), |t| format!("<code>{}</code>", esc(t))),
            ]
        })
        .collect();
    table(
        out,
        "slowest",
        &[
            "latency", "request", "due at", "phase", "outcome", "trace id",
        ],
        &[0, 2],
        &rows,
    );
    let traced = s.slowest.iter().any(|r| r.trace_id.is_some());
    let _ = write!(
        out,
        "<p class=\"caption\">Latency from when each request was due. {}</p></section>",
        if traced {
            "Each request carried a W3C traceparent with this trace id: look it up in the service's tracing backend."
        } else {
            "Run with <code>--traceparent</code> (or <code>traceparent = true</code> in the scenario) to send each request with a trace id to look up in the service's traces."
        }
    );
}

/// The target's own metrics: how the scraping went and a table of the series kept.
fn scraped(out: &mut String, s: &rigor_model::output::ScrapeSummary) {
    out.push_str("<section><h2>The target's metrics</h2>");
    for line in crate::signals::scrape_heading(s) {
        let _ = write!(out, "<p>{}</p>", esc(&line));
    }
    let rows: Vec<Vec<String>> = crate::signals::scrape_rows(s)
        .iter()
        .take(crate::signals::SCRAPE_ROWS_SHOWN)
        .map(|row| row.iter().map(|c| esc(c)).collect())
        .collect();
    if !rows.is_empty() {
        table(
            out,
            "scraped",
            &crate::signals::SCRAPE_HEADERS,
            &[1, 2, 3, 4, 5],
            &rows,
        );
    }
    if s.series.len() > rows.len() {
        let _ = write!(
            out,
            "<p class=\"note\">{} more series are in the run's JSON.</p>",
            s.series.len() - rows.len()
        );
    }
    for note in &s.notes {
        let _ = write!(out, "<p class=\"note\">{}</p>", esc(note));
    }
    out.push_str("</section>");
}

/// The target's signals, its processes, what could not be read and, when it died, its output.
fn target(out: &mut String, t: &rigor_model::output::TargetSummary) {
    let _ = write!(
        out,
        "<section><h2>Target</h2><p>Process {} and its descendants, {} seconds sampled.</p>",
        t.pid, t.samples
    );
    let rows: Vec<Vec<String>> = crate::signals::lines(t)
        .into_iter()
        .map(|(label, value)| vec![esc(label), esc(&value)])
        .collect();
    table(out, "target", &["figure", "value"], &[], &rows);
    let processes: Vec<Vec<String>> = crate::signals::process_rows(t)
        .into_iter()
        .map(|row| row.iter().map(|c| esc(c)).collect())
        .collect();
    if !processes.is_empty() {
        out.push_str("<h3>Processes</h3>");
        table(
            out,
            "processes",
            &crate::signals::PROCESS_HEADERS,
            &[0, 1, 3, 4, 5],
            &processes,
        );
    }
    for note in &t.notes {
        let _ = write!(out, "<p class=\"note\">{}</p>", esc(note));
    }
    if let (Some(exit), Some(output)) = (&t.exit, &t.output_tail) {
        let _ = write!(
            out,
            "<h3>The target's last output ({})</h3><pre>{}</pre>",
            esc(&exit.status),
            esc(output)
        );
    }
    out.push_str("</section>");
}

fn latency_row(label: &str, l: &LatencySummary) -> Vec<String> {
    let mut row = vec![esc(label), l.count.to_string()];
    for ns in [
        l.p50_ns, l.p90_ns, l.p95_ns, l.p99_ns, l.p999_ns, l.max_ns, l.mean_ns,
    ] {
        row.push(if l.count == 0 {
            "–".to_string()
        } else {
            format_nanos(ns as f64)
        });
    }
    row
}

fn groups(out: &mut String, title: &str, what: &str, groups: &[GroupSummary]) {
    if groups.is_empty() {
        return;
    }
    let rows: Vec<Vec<String>> = groups
        .iter()
        .map(|g| {
            let f = |ns: u64| {
                if g.latency.count == 0 {
                    "–".to_string()
                } else {
                    format_nanos(ns as f64)
                }
            };
            vec![
                format!("<code>{}</code>", esc(&g.name)),
                format_nanos(g.duration_ns as f64),
                g.requests.to_string(),
                format!("{}/s", three_figures(g.throughput_per_s)),
                f(g.latency.p50_ns),
                f(g.latency.p95_ns),
                f(g.latency.p99_ns),
                g.errors.to_string(),
            ]
        })
        .collect();
    let _ = write!(out, "<section><h2>{title}</h2>");
    table(
        out,
        what,
        &[
            what,
            "duration",
            "requests",
            "throughput",
            "p50",
            "p95",
            "p99",
            "errors",
        ],
        &[1, 2, 3, 4, 5, 6, 7],
        &rows,
    );
    out.push_str("</section>");
}
