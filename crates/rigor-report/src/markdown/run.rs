//! A load run and a comparison in Markdown: what a pull-request comment or a baseline
//! snapshot holds. Tables are GitHub-flavoured and read as plain text too (a status line
//! first, one fact per cell, units in every cell).

use std::fmt::Write as _;

use rigor_model::output::analysis::{ChangeKind, Comparison, VerdictName};
use rigor_model::output::report::LoadReport;
use rigor_model::output::{GroupSummary, LatencySummary, RunSummary};
use rigor_model::units::{format_nanos, three_figures, Bytes};

use crate::terminal::{interval_cell, q_cell, HIGH_ERROR_RATE};

/// A load run: status, summary, latency, phases and requests, thresholds, generator, target,
/// environment and method.
pub fn load(r: &LoadReport) -> String {
    let s = &r.summary;
    let mut out = String::new();
    let _ = writeln!(out, "# rigor run {} · {}\n", s.run_id, cell(&s.scenario));
    let _ = writeln!(out, "{}\n", status_line(s));
    if let Some(reason) = &s.status_reason {
        let _ = writeln!(out, "Reason: {}\n", reason);
    }
    if let Some(x) = &r.session {
        let _ = writeln!(
            out,
            "## Tuning session\n\n{}\n",
            crate::tune::section_lines(x).join(" ")
        );
        out.push_str("| phase | title | status | notes |\n|---:|---|---|---|\n");
        for p in &x.phases {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                p.number,
                p.title,
                p.status.mark(),
                cell(&p.notes)
            );
        }
        out.push('\n');
    }
    summary_table(&mut out, s);
    latency_table(&mut out, s);
    if !s.total.errors_by_kind.is_empty() {
        let kinds: Vec<String> = s
            .total
            .errors_by_kind
            .iter()
            .map(|(k, n)| format!("{} {n}", cell(k)))
            .collect();
        let _ = writeln!(out, "Errors by kind: {}.\n", kinds.join(", "));
    }
    if !s.thresholds.is_empty() {
        let _ = writeln!(
            out,
            "## Thresholds\n\n| | threshold | measured |\n|---|---|---:|"
        );
        for t in &s.thresholds {
            let _ = writeln!(
                out,
                "| {} | `{}` | {} |",
                if t.passed { "✅ pass" } else { "❌ FAIL" },
                t.threshold.replace('|', "\\|").replace('`', "'"),
                cell(&t.value_text)
            );
        }
        out.push('\n');
    }
    groups(&mut out, "Phases", "phase", &s.phases);
    if s.requests.len() > 1 {
        groups(&mut out, "Requests", "request", &s.requests);
    }
    replay(&mut out, s);
    journey(&mut out, s);
    stages(&mut out, s);
    if !s.recoveries.is_empty() {
        out.push_str("## Recovery after spikes\n\n");
        for r in &s.recoveries {
            let _ = writeln!(
                out,
                "- After `{}`: {}.",
                cell(&r.phase),
                cell(&crate::recovery::line(r))
            );
        }
        out.push('\n');
    }
    slowest(&mut out, s);
    generator(&mut out, s);
    if let Some(t) = &s.target {
        target(&mut out, t);
    }
    if let Some(m) = &s.target_metrics {
        scraped(&mut out, m);
    }
    for p in &r.profiles {
        let _ = writeln!(out, "## Profile of the {}\n", p.report.capture.name);
        out.push_str(&crate::markdown::profile_body(&p.report, "###"));
        out.push('\n');
    }
    method(&mut out, r);
    out
}

/// The status as the first line: the outcome in capitals, and failures said outright.
fn status_line(s: &RunSummary) -> String {
    let mark = match s.status.as_str() {
        "passed" | "completed" => "✅",
        "failed" | "target_failed" | "invalid" | "crashed" => "❌",
        _ => "⚠️",
    };
    let mut line = format!(
        "{mark} **{}** · {} model · {} · {} requests in {}",
        s.status.as_str().to_uppercase(),
        s.model,
        s.started_at,
        s.total.requests,
        format_nanos(s.duration_ns as f64)
    );
    if s.total.error_rate >= HIGH_ERROR_RATE {
        let _ = write!(
            line,
            " · **{}% of requests failed**",
            three_figures(s.total.error_rate * 100.0)
        );
    }
    line
}

fn summary_table(out: &mut String, s: &RunSummary) {
    let t = &s.total;
    let _ = writeln!(
        out,
        "## Summary\n\n| requests | throughput | errors | error rate | abandoned at stop | retried |\n|---:|---:|---:|---:|---:|---:|\n| {} | {}/s | {} | {}% | {} | {} |\n",
        t.requests,
        three_figures(t.throughput_per_s),
        t.errors,
        three_figures(t.error_rate * 100.0),
        t.abandoned,
        t.retried
    );
}

fn latency_table(out: &mut String, s: &RunSummary) {
    let t = &s.total;
    let _ = writeln!(
        out,
        "## Latency\n\n| | count | p50 | p90 | p95 | p99 | p99.9 | max | mean |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    latency_row(out, "from intended start", &t.latency);
    latency_row(out, "from send (raw)", &t.raw_latency);
    if t.failed_latency.count > 0 {
        latency_row(out, "failed requests", &t.failed_latency);
    }
    let _ = writeln!(
        out,
        "\nLatency is of successful responses; failed requests are timed apart.\n"
    );
}

fn latency_row(out: &mut String, label: &str, l: &LatencySummary) {
    if l.count == 0 {
        let _ = writeln!(out, "| {label} | 0 | – | – | – | – | – | – | – |");
        return;
    }
    let f = |ns: u64| format_nanos(ns as f64);
    let _ = writeln!(
        out,
        "| {label} | {} | {} | {} | {} | {} | {} | {} | {} |",
        l.count,
        f(l.p50_ns),
        f(l.p90_ns),
        f(l.p95_ns),
        f(l.p99_ns),
        f(l.p999_ns),
        f(l.max_ns),
        f(l.mean_ns)
    );
}

fn groups(out: &mut String, title: &str, what: &str, groups: &[GroupSummary]) {
    if groups.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "## {title}\n\n| {what} | duration | requests | throughput | p50 | p95 | p99 | errors |\n|---|---:|---:|---:|---:|---:|---:|---:|"
    );
    for g in groups {
        let f = |ns: u64| {
            if g.latency.count == 0 {
                "–".to_string()
            } else {
                format_nanos(ns as f64)
            }
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {}/s | {} | {} | {} | {} |",
            cell(&g.name),
            format_nanos(g.duration_ns as f64),
            g.requests,
            three_figures(g.throughput_per_s),
            f(g.latency.p50_ns),
            f(g.latency.p95_ns),
            f(g.latency.p99_ns),
            g.errors
        );
    }
    out.push('\n');
}

fn generator(out: &mut String, s: &RunSummary) {
    let g = &s.generator;
    let other = g
        .host_other_cpu_cores
        .map_or("not measured".to_string(), |c| {
            format!("{} cores", three_figures(c))
        });
    let _ = writeln!(
        out,
        "## Generator health\n\n| schedule lag p99 | max | late arrivals | dropped arrivals | CPU | connections opened | peak RSS | other work on the machine |\n|---:|---:|---:|---:|---:|---:|---:|---:|\n| {} | {} | {} | {} | {}% of {} thread{} | {} | {} | {} |\n",
        format_nanos(g.schedule_lag.p99_ns as f64),
        format_nanos(g.schedule_lag.max_ns as f64),
        g.late_arrivals,
        g.dropped_arrivals,
        three_figures(g.cpu_utilisation * 100.0),
        g.threads,
        if g.threads == 1 { "" } else { "s" },
        g.connections_opened,
        Bytes(g.peak_rss_bytes),
        other
    );
}

fn method(out: &mut String, r: &LoadReport) {
    let m = &r.method;
    let e = &r.summary.environment;
    let _ = writeln!(out, "## Method and environment\n");
    let _ = writeln!(
        out,
        "- Model: {} · latency measured from {}.",
        m.model, m.latency_from
    );
    for p in &m.phases {
        let load = crate::method::planned_load(p);
        let _ = writeln!(
            out,
            "- Phase `{}` ({}): {} for {}.",
            p.name.replace('`', "'"),
            p.kind,
            load,
            format_nanos(p.duration_ns as f64)
        );
    }
    if let Some(c) = m.connections {
        let _ = writeln!(
            out,
            "- Connections: at most {c}{}.",
            m.http
                .as_deref()
                .map(|h| format!(" · HTTP {h}"))
                .unwrap_or_default()
        );
    }
    for req in &m.requests {
        let _ = writeln!(out, "- Request: `{}`", req.replace('`', "'"));
    }
    for b in &m.budgets {
        let _ = writeln!(
            out,
            "- Budget (judged by `rigor gate`): `{}`",
            b.replace('`', "'")
        );
    }
    let commit = crate::method::commit(e);
    let _ = writeln!(
        out,
        "- rigor {} · commit {} · {} · {} ({} cores, {}) · kernel {} · host {}.",
        e.rigor_version,
        commit,
        e.os,
        e.cpu_model,
        e.cores,
        Bytes(e.memory_bytes),
        e.kernel,
        e.hostname
    );
}

/// A comparison: the verdict counts, warnings, then one row per metric with its interval and
/// q-value.
pub fn comparison(c: &Comparison, baseline_name: Option<&str>) -> String {
    let mut out = String::new();
    let label = baseline_name
        .map(|n| format!(" (baseline `{n}`)"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "# rigor compare: run {}{label} → run {} · {}\n",
        c.baseline.run_id,
        c.candidate.run_id,
        cell(&c.candidate.scenario)
    );
    let regressed = c.count(VerdictName::Regressed);
    let _ = writeln!(
        out,
        "{} **{} regressed** · {} improved · {} unchanged · {} inconclusive (α {}, false-discovery adjusted q, {:.0}% intervals)\n",
        if regressed > 0 {
            "❌"
        } else if c.count(VerdictName::Unchanged) + c.count(VerdictName::Improved) == 0 {
            "❔"
        } else {
            "✅"
        },
        regressed,
        c.count(VerdictName::Improved),
        c.count(VerdictName::Unchanged),
        c.count(VerdictName::Inconclusive),
        c.alpha,
        c.confidence * 100.0
    );
    if let Some(t) = &c.tradeoff {
        let _ = writeln!(out, "**Trade-off:** {t}\n");
    }
    for w in c.environment_warnings.iter().chain(&c.warnings) {
        let _ = writeln!(out, "> ⚠️ {w}\n");
    }
    let _ = writeln!(
        out,
        "| metric | baseline | candidate | change | interval | q | verdict |\n|---|---:|---:|---:|---|---:|---|"
    );
    for m in &c.metrics {
        let pct = |v: f64| match m.change_kind {
            ChangeKind::Absolute => format!("{:+.2} pt", v * 100.0),
            ChangeKind::Relative => format!("{:+.1}%", v * 100.0),
        };
        let verdict = match m.verdict {
            VerdictName::Improved => "**improved**",
            VerdictName::Regressed => "❌ **REGRESSED**",
            VerdictName::Unchanged => "unchanged",
            VerdictName::Inconclusive => "inconclusive",
        };
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} | {} | {verdict} |",
            m.metric,
            m.unit.format(m.baseline),
            m.unit.format(m.candidate),
            pct(m.change),
            interval_cell(m, &pct),
            q_cell(m)
        );
    }
    let _ = writeln!(
        out,
        "\n<details><summary>How each metric was judged</summary>\n"
    );
    for m in &c.metrics {
        let _ = writeln!(out, "- `{}`: {}", m.metric, m.method);
    }
    let _ = writeln!(
        out,
        "\n</details>\n\nBaseline run {} ({}), candidate run {} ({}); bootstrap seed {}.",
        c.baseline.run_id,
        c.baseline.git_commit.as_deref().unwrap_or("no commit"),
        c.candidate.run_id,
        c.candidate.git_commit.as_deref().unwrap_or("no commit"),
        c.seed
    );
    for d in &c.profiles {
        out.push('\n');
        out.push_str(&crate::markdown::profile_diff_body(d, "##"));
    }
    out
}

/// Text for a table cell: pipes escaped, line breaks flattened.
/// What a replay sent, and the lines it left out.
fn replay(out: &mut String, s: &RunSummary) {
    let Some(r) = &s.replay else {
        return;
    };
    let _ = writeln!(
        out,
        "## Replay\n\n{}.\n",
        cell(&crate::journey::replay_line(r))
    );
    for skip in &r.skipped {
        let _ = writeln!(out, "- {}", cell(&crate::journey::skipped_line(skip)));
    }
    if !r.skipped.is_empty() {
        out.push('\n');
    }
}

/// The journey: its walks, their duration and a row per step.
fn journey(out: &mut String, s: &RunSummary) {
    let Some(j) = &s.journey else {
        return;
    };
    let _ = writeln!(
        out,
        "## Journey\n\n{}.\n\n{}.\n",
        crate::journey::headline(j),
        crate::journey::duration(j)
    );
    let headers = crate::journey::HEADERS;
    let _ = writeln!(
        out,
        "| {} |\n|---|{}---|",
        headers.join(" | "),
        "---:|".repeat(headers.len() - 2)
    );
    let rows = crate::journey::rows(s);
    for r in &rows {
        let cells: Vec<String> = r.cells.iter().map(|c| cell(c)).collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    out.push('\n');
    for why in rows.iter().filter_map(|r| r.failure.as_ref()) {
        let _ = writeln!(out, "- {}", cell(why));
    }
    out.push_str("Each step's latency is from its intended start: the previous step's response plus its think time (the arrival's due time for the first). A failed step ends its walk, which is counted with it.\n\n");
}

/// Where the mean response's time went, per request name, with each stage's percentiles.
fn stages(out: &mut String, s: &RunSummary) {
    let rows = crate::stages::rows(s);
    if rows.is_empty() {
        return;
    }
    out.push_str(
        "## Where the time goes

",
    );
    let _ = writeln!(
        out,
        "| {} |\n|---|{}",
        crate::stages::HEADERS.join(" | "),
        "---:|".repeat(crate::stages::HEADERS.len() - 1)
    );
    for r in &rows {
        let cells: Vec<String> = r.cells().iter().map(|c| cell(c)).collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    let (part, share) = rows[0].dominant();
    let _ = writeln!(
        out,
        "\n{} of the mean response's time is {part}. {}\n",
        percent(share),
        crate::stages::CAPTION
    );
}

/// The run's slowest requests, with their trace ids when the run sent `traceparent`.
fn slowest(out: &mut String, s: &RunSummary) {
    if s.slowest.is_empty() {
        return;
    }
    out.push_str("## Slowest requests\n\n| latency | request | due at | phase | outcome | trace id |\n|---:|---|---:|---|---|---|\n");
    for r in &s.slowest {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            format_nanos(r.latency_ns as f64),
            cell(&r.request),
            format_nanos(r.due_ns as f64),
            cell(&r.phase),
            cell(&r.outcome),
            r.trace_id
                .as_deref()
                .map_or("–".to_string(), |t| format!("`{t}`"))
        );
    }
    out.push('\n');
}

fn percent(share: f64) -> String {
    format!("{}%", rigor_model::units::three_figures(share * 100.0))
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// The target's own metrics: how the scraping went and a table of the series kept.
fn scraped(out: &mut String, s: &rigor_model::output::ScrapeSummary) {
    out.push_str("## The target's metrics\n\n");
    for line in crate::signals::scrape_heading(s) {
        let _ = writeln!(out, "- {}", cell(&line));
    }
    out.push('\n');
    let rows = crate::signals::scrape_rows(s);
    if !rows.is_empty() {
        let _ = writeln!(
            out,
            "| {} |\n|---|---:|---:|---:|---:|---:|",
            crate::signals::SCRAPE_HEADERS.join(" | ")
        );
        for row in rows.iter().take(crate::signals::SCRAPE_ROWS_SHOWN) {
            let cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
            let _ = writeln!(out, "| {} |", cells.join(" | "));
        }
        if rows.len() > crate::signals::SCRAPE_ROWS_SHOWN {
            let _ = writeln!(
                out,
                "\n{} more series are in the run's JSON.",
                rows.len() - crate::signals::SCRAPE_ROWS_SHOWN
            );
        }
        out.push('\n');
    }
    for note in &s.notes {
        let _ = writeln!(out, "> Note: {}\n", cell(note));
    }
}

/// The target's signals, its processes, what could not be read and, when it died, its output.
fn target(out: &mut String, t: &rigor_model::output::TargetSummary) {
    let _ = writeln!(
        out,
        "## Target\n\nProcess {} and its descendants, {} seconds sampled.\n\n| figure | value |\n|---|---|",
        t.pid, t.samples
    );
    for (label, value) in crate::signals::lines(t) {
        let _ = writeln!(out, "| {label} | {} |", cell(&value));
    }
    out.push('\n');
    let processes = crate::signals::process_rows(t);
    if !processes.is_empty() {
        let headers = crate::signals::PROCESS_HEADERS;
        let _ = writeln!(
            out,
            "### Processes\n\n| {} |\n|---:|---:|---|---:|---:|---:|",
            headers.join(" | ")
        );
        for row in processes {
            let cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
            let _ = writeln!(out, "| {} |", cells.join(" | "));
        }
        out.push('\n');
    }
    for note in &t.notes {
        let _ = writeln!(out, "> Note: {}\n", cell(note));
    }
    if let (Some(exit), Some(output)) = (&t.exit, &t.output_tail) {
        // A fence of tildes longer than any run of them in the output cannot be closed by it.
        let longest = output.split(|c| c != '~').map(str::len).max().unwrap_or(0);
        let fence = "~".repeat(longest.max(2) + 1);
        let _ = writeln!(
            out,
            "### The target's last output ({})\n\n{fence}text\n{output}\n{fence}\n",
            exit.status
        );
    }
}
