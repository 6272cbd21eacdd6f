//! The terminal tables: a run (throughput, both latency rows, errors by kind, phases and
//! requests, the generator's health, the target's saturation, thresholds), a benchmark
//! (hyperfine's layout and more), a comparison, the gate, the run list.

use std::io::{self, Write};
use std::time::Duration;

use rigor_model::output::bench::{BenchResult, CommandResult, Order, ShellOverhead, Summary};
use rigor_model::output::{
    GeneratorHealth, GroupSummary, LatencySummary, RunSummary, TargetSummary, ThresholdOutcome,
};

use rigor_model::units::{format_nanos, three_figures, Bytes};

use crate::{Exporter, Report, ReportError};

mod profile;
mod run_list;
pub use run_list::{no_runs_text, run_list};

/// The terminal exporter.
pub struct Terminal;

impl Exporter for Terminal {
    fn export(&self, report: &Report<'_>, out: &mut dyn Write) -> Result<(), ReportError> {
        match report {
            Report::Run(s) => summary(out, s)?,
            Report::LoadReport(r) => summary(out, &r.summary)?,
            Report::Bench {
                run_id,
                name,
                result,
            } => bench(out, *run_id, name, result)?,
            Report::Comparison {
                comparison: c,
                baseline_name,
                ..
            } => {
                comparison(out, c, *baseline_name)?;
                for d in &c.profiles {
                    writeln!(out)?;
                    profile::diff(out, d)?;
                }
            }
            Report::Gate { report, .. } => gate(out, report)?,
            Report::Profile(r) => profile::profile(out, r)?,
            Report::ProfileDiff(d) => profile::diff(out, d)?,
            Report::RunList { runs, location } => run_list(out, runs, location)?,
            Report::Capacity(r) => out.write_all(crate::capacity::terminal(r).as_bytes())?,
            Report::Imported { run_id, name, run } => {
                out.write_all(crate::imported::terminal(*run_id, name, run).as_bytes())?
            }
            Report::History { report, points } => {
                out.write_all(crate::history::terminal(report, *points).as_bytes())?
            }
            Report::PlanRun(output) => {
                for s in &output.scenarios {
                    summary(out, s)?;
                    writeln!(out)?;
                }
                for b in &output.benches {
                    bench(out, b.run_id, &b.name, &b.result)?;
                    writeln!(out)?;
                }
            }
        }
        Ok(())
    }
}

/// Writes the end-of-run summary: throughput, latency (corrected and raw), errors by kind,
/// per phase and per request, the generator's health and the thresholds.
pub fn summary(out: &mut dyn Write, s: &RunSummary) -> io::Result<()> {
    run_headline(out, s)?;
    writeln!(out)?;
    latency_table(out, s)?;
    if !s.total.errors_by_kind.is_empty() {
        let kinds: Vec<String> = s
            .total
            .errors_by_kind
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        writeln!(out, "\n  errors by kind: {}", kinds.join(", "))?;
    }
    if s.phases.len() > 1 {
        groups(out, "phase", &s.phases)?;
    }
    if let Some(r) = &s.replay {
        writeln!(out, "\n  replay: {}", crate::journey::replay_line(r))?;
        for skip in &r.skipped {
            writeln!(out, "    {}", crate::journey::skipped_line(skip))?;
        }
    }
    if s.journey.is_some() {
        journey(out, s)?;
    } else if s.requests.len() > 1 {
        groups(out, "request", &s.requests)?;
    }
    stages(out, s)?;
    for r in &s.recoveries {
        writeln!(
            out,
            "\n  after the spike `{}`: {}",
            r.phase,
            crate::recovery::line(r)
        )?;
    }
    slowest(out, s)?;
    generator(out, &s.model, &s.generator)?;
    if let Some(t) = &s.target {
        target(out, t)?;
    }
    if let Some(m) = &s.target_metrics {
        scraped(out, m)?;
    }
    thresholds(out, &s.thresholds)
}

/// The run, its outcome, and the totals: requests, duration, rate and errors.
fn run_headline(out: &mut dyn Write, s: &RunSummary) -> io::Result<()> {
    let t = &s.total;
    // A run whose thresholds say nothing of errors still says on its first line that many
    // of its requests failed.
    let alarm = if t.error_rate >= HIGH_ERROR_RATE {
        format!(
            " · {}% OF REQUESTS FAILED",
            three_figures(t.error_rate * 100.0)
        )
    } else {
        String::new()
    };
    writeln!(
        out,
        "run {} · {} · {} model · {}{alarm}",
        s.run_id,
        s.scenario,
        s.model,
        s.status.as_str().to_uppercase()
    )?;
    if let Some(reason) = &s.status_reason {
        writeln!(out, "  reason: {reason}")?;
    }
    let mut apart = String::new();
    if t.abandoned > 0 {
        apart.push_str(&format!(" · {} abandoned at stop", t.abandoned));
    }
    if t.retried > 0 {
        apart.push_str(&format!(
            " · {} retried after the server closed a keep-alive connection",
            t.retried
        ));
    }
    writeln!(
        out,
        "  {} requests in {} · {}/s · errors {} ({}%){apart}",
        t.requests,
        format_nanos(s.duration_ns as f64),
        three_figures(t.throughput_per_s),
        t.errors,
        three_figures(t.error_rate * 100.0)
    )
}

/// The error rate from which a run's first line says how many requests failed.
pub(crate) const HIGH_ERROR_RATE: f64 = 0.01;

/// Latency percentiles of the successful responses, measured from when each request was due
/// and from when it was sent; failed requests' timings on a row of their own.
fn latency_table(out: &mut dyn Write, s: &RunSummary) -> io::Result<()> {
    writeln!(
        out,
        "  {:<22}{:>9}{:>9}{:>9}{:>9}{:>9}{:>9}",
        format!("latency ({} ok)", s.total.latency.count),
        "p50",
        "p90",
        "p95",
        "p99",
        "p99.9",
        "max"
    )?;
    latency_row(out, "from intended start", &s.total.latency)?;
    latency_row(out, "from actual send", &s.total.raw_latency)?;
    if s.total.failed_latency.count > 0 {
        latency_row(
            out,
            &format!("failed ({})", s.total.failed_latency.count),
            &s.total.failed_latency,
        )?;
    }
    if s.model == "closed" {
        writeln!(
            out,
            "  (closed model: each request starts when the previous one ends, so both rows agree)"
        )?;
    }
    Ok(())
}

/// Where the mean response's time went, stage by stage, per request name.
/// The journey: its walks, their duration, and a row per step.
fn journey(out: &mut dyn Write, s: &RunSummary) -> io::Result<()> {
    let Some(j) = &s.journey else {
        return Ok(());
    };
    writeln!(out, "\n  journey: {}", crate::journey::headline(j))?;
    writeln!(out, "  {}", crate::journey::duration(j))?;
    let rows = crate::journey::rows(s);
    let headers = crate::journey::HEADERS;
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(&r.cells) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &[&str]| {
        let mut text = String::from(" ");
        for (i, (c, w)) in cells.iter().zip(&widths).enumerate() {
            text.push(' ');
            if i == 0 || i == cells.len() - 1 {
                text.push_str(&format!("{c:<w$}"));
            } else {
                text.push_str(&format!("{c:>w$}"));
            }
        }
        text.trim_end().to_string()
    };
    writeln!(out, "\n{}", line(&headers))?;
    for r in &rows {
        let cells: Vec<&str> = r.cells.iter().map(String::as_str).collect();
        writeln!(out, "{}", line(&cells))?;
    }
    for why in rows.iter().filter_map(|r| r.failure.as_ref()) {
        writeln!(out, "  {why}")?;
    }
    Ok(())
}

fn stages(out: &mut dyn Write, s: &RunSummary) -> io::Result<()> {
    let rows = crate::stages::rows(s);
    if rows.is_empty() {
        return Ok(());
    }
    let width = rows
        .iter()
        .map(|r| r.name.chars().count())
        .max()
        .unwrap_or(0)
        .max(28)
        + 2;
    writeln!(
        out,
        "\n  {:<width$}{:>9}{:>9}{:>9}{:>9}{:>9}{:>10}{:>7}",
        "where the time goes (mean)",
        "wait",
        "connect",
        "TLS",
        "TTFB",
        "transfer",
        "TTFB p95",
        "conns"
    )?;
    for r in &rows {
        writeln!(
            out,
            "  {:<width$}{:>9}{:>9}{:>9}{:>9}{:>9}{:>10}{:>7}",
            r.name,
            r.part(0),
            r.part(1),
            r.part(2),
            r.part(3),
            r.part(4),
            format_nanos(r.ttfb.p95_ns as f64),
            r.connections
        )?;
    }
    Ok(())
}

/// The run's slowest requests, with their trace ids when the run sent `traceparent`.
fn slowest(out: &mut dyn Write, s: &RunSummary) -> io::Result<()> {
    if s.slowest.is_empty() {
        return Ok(());
    }
    writeln!(out, "\n  slowest requests")?;
    for r in s.slowest.iter().take(5) {
        let trace = r
            .trace_id
            .as_deref()
            .map(|t| format!("  trace {t}"))
            .unwrap_or_default();
        writeln!(
            out,
            "    {:>9}  {}  due at {} ({})  {}{trace}",
            format_nanos(r.latency_ns as f64),
            r.request,
            format_nanos(r.due_ns as f64),
            r.phase,
            r.outcome
        )?;
    }
    Ok(())
}

/// The load generator's own health, so a reader can tell a slow target from a slow generator.
fn generator(out: &mut dyn Write, model: &str, g: &GeneratorHealth) -> io::Result<()> {
    // Lag, late and dropped arrivals judge a schedule; a closed model has none (each user sends
    // when its previous request ends), so there they would only print the timer's resolution.
    let schedule = if model == "closed" {
        String::new()
    } else {
        format!(
            "send lag p50 {} p99 {} (own scheduling p99 {}) · late {} · dropped {} · ",
            format_nanos(g.schedule_lag.p50_ns as f64),
            format_nanos(g.schedule_lag.p99_ns as f64),
            format_nanos(g.scheduler_lag.p99_ns as f64),
            g.late_arrivals,
            g.dropped_arrivals,
        )
    };
    writeln!(
        out,
        "\n  generator: {schedule}CPU {}% of {} thread{} · {} connection{} opened{} · peak RSS {}{}",
        three_figures(g.cpu_utilisation * 100.0),
        g.threads,
        if g.threads == 1 { "" } else { "s" },
        g.connections_opened,
        if g.connections_opened == 1 { "" } else { "s" },
        if g.connections_closed_idle > 0 {
            format!(" ({} let go idle)", g.connections_closed_idle)
        } else {
            String::new()
        },
        Bytes(g.peak_rss_bytes),
        g.host_other_cpu_cores
            .map(|c| format!("\n  machine: other processes kept {c:.2} CPU cores busy meanwhile"))
            .unwrap_or_default(),
    )
}

/// The probed target's saturation: CPU, memory, tasks, scheduling, storage, faults, the
/// host's pressure, how it ended, and what could not be read.
fn target(out: &mut dyn Write, t: &TargetSummary) -> io::Result<()> {
    writeln!(out, "  target (pid {})", t.pid)?;
    for (label, value) in crate::signals::lines(t) {
        writeln!(out, "    {label:<14}{value}")?;
    }
    for note in &t.notes {
        writeln!(out, "    note: {note}")?;
    }
    if let (Some(_), Some(output)) = (&t.exit, &t.output_tail) {
        writeln!(out, "    its last output:")?;
        let lines: Vec<&str> = output.lines().collect();
        for line in &lines[lines.len().saturating_sub(10)..] {
            writeln!(out, "      | {line}")?;
        }
    }
    Ok(())
}

/// The target's own metrics: how the scraping went and each series kept.
fn scraped(out: &mut dyn Write, s: &rigor_model::output::ScrapeSummary) -> io::Result<()> {
    writeln!(out, "  target's metrics")?;
    for line in crate::signals::scrape_heading(s) {
        writeln!(out, "    {line}")?;
    }
    let rows = crate::signals::scrape_rows(s);
    let shown = crate::signals::SCRAPE_ROWS_SHOWN.min(20);
    if !rows.is_empty() {
        writeln!(out, "    {:>9} {:>9} {:>9}  series", "mean", "max", "last")?;
    }
    for row in rows.iter().take(shown) {
        writeln!(
            out,
            "    {:>9} {:>9} {:>9}  {}",
            row[2], row[4], row[5], row[0]
        )?;
    }
    if rows.len() > shown {
        writeln!(out, "    … {} more series in --json", rows.len() - shown)?;
    }
    for note in &s.notes {
        writeln!(out, "    note: {note}")?;
    }
    Ok(())
}

fn thresholds(out: &mut dyn Write, thresholds: &[ThresholdOutcome]) -> io::Result<()> {
    if thresholds.is_empty() {
        return Ok(());
    }
    writeln!(out, "\n  thresholds")?;
    for th in thresholds {
        let mark = if th.passed { "pass" } else { "FAIL" };
        writeln!(
            out,
            "    {mark}  {:<40} measured {}",
            th.threshold, th.value_text
        )?;
    }
    Ok(())
}

fn latency_row(out: &mut dyn Write, label: &str, l: &LatencySummary) -> io::Result<()> {
    if l.count == 0 {
        return writeln!(out, "  {label:<22}{:>9}", "no data");
    }
    let f = |ns: u64| format_nanos(ns as f64);
    writeln!(
        out,
        "  {label:<22}{:>9}{:>9}{:>9}{:>9}{:>9}{:>9}",
        f(l.p50_ns),
        f(l.p90_ns),
        f(l.p95_ns),
        f(l.p99_ns),
        f(l.p999_ns),
        f(l.max_ns)
    )
}

fn groups(out: &mut dyn Write, what: &str, groups: &[GroupSummary]) -> io::Result<()> {
    writeln!(out)?;
    let width = groups
        .iter()
        .map(|g| g.name.chars().count())
        .max()
        .unwrap_or(0)
        .max(what.len())
        + 2;
    writeln!(
        out,
        "  {what:<width$}{:>10}{:>11}{:>9}{:>9}{:>9}{:>9}",
        "requests", "rate", "p50", "p95", "p99", "errors"
    )?;
    for g in groups {
        let f = |ns: u64| {
            if g.latency.count == 0 {
                "-".to_string()
            } else {
                format_nanos(ns as f64)
            }
        };
        writeln!(
            out,
            "  {:<width$}{:>10}{:>11}{:>9}{:>9}{:>9}{:>9}",
            g.name,
            g.requests,
            format!("{}/s", three_figures(g.throughput_per_s)),
            f(g.latency.p50_ns),
            f(g.latency.p95_ns),
            f(g.latency.p99_ns),
            g.errors
        )?;
    }
    Ok(())
}

/// Writes a benchmark's summary, hyperfine-style: mean ± σ, median with its confidence
/// interval, range, CPU and memory per command, then the relative speeds and the warnings.
pub fn bench(out: &mut dyn Write, run_id: i64, name: &str, r: &BenchResult) -> io::Result<()> {
    bench_headline(out, run_id, name, r)?;
    for c in &r.commands {
        writeln!(out, "\n  {}", c.command)?;
        match &c.stats {
            Some(s) => command_stats(out, c, s, r)?,
            None => writeln!(out, "    no finished runs")?,
        }
    }
    if let Some(fastest) = r.fastest().filter(|_| r.commands.len() > 1) {
        relative_speeds(out, &r.commands, fastest)?;
    }
    if let Some(shell) = &r.shell {
        shell_overhead(out, shell)?;
    }
    for w in &r.warnings {
        writeln!(out, "\n  warning: {}", w.message)?;
    }
    Ok(())
}

/// A duration as the bench table prints it.
fn ns(d: Duration) -> String {
    format_nanos(d.as_nanos() as f64)
}

/// The bench, its name, how its commands were ordered and whether it was interrupted.
fn bench_headline(out: &mut dyn Write, run_id: i64, name: &str, r: &BenchResult) -> io::Result<()> {
    let order = match r.ordering {
        Some(Order::Random { seed }) => format!("random order, seed {seed}"),
        Some(Order::Interleaved) if r.commands.len() > 1 => "interleaved".to_string(),
        _ => String::new(),
    };
    write!(out, "bench {run_id} · {name}")?;
    if !order.is_empty() {
        write!(out, " · {} commands {order}", r.commands.len())?;
    }
    if r.interrupted {
        write!(out, " · INTERRUPTED")?;
    }
    writeln!(out)
}

/// One command's time, median, range and peak memory.
fn command_stats(
    out: &mut dyn Write,
    c: &CommandResult,
    s: &Summary,
    r: &BenchResult,
) -> io::Result<()> {
    let stddev = s.stddev.map_or_else(|| "-".to_string(), ns);
    writeln!(
        out,
        "    Time (mean ± σ):     {} ± {}    [user {}, system {}]",
        ns(s.mean),
        stddev,
        ns(s.user_mean),
        ns(s.system_mean)
    )?;
    match &s.median_ci {
        Some(ci) => writeln!(
            out,
            "    Median ({:.0}% CI):     {} [{}, {}]",
            ci.confidence * 100.0,
            ns(s.median),
            ns(ci.lower),
            ns(ci.upper)
        )?,
        None => writeln!(out, "    Median:              {}", ns(s.median))?,
    }
    writeln!(
        out,
        "    Range (min … max):   {} … {}    {} run{}{}",
        ns(s.min),
        ns(s.max),
        s.count,
        if s.count == 1 { "" } else { "s" },
        if c.outliers.is_empty() {
            String::new()
        } else {
            format!(
                ", {} outlier{}",
                c.outliers.len(),
                if c.outliers.len() == 1 { "" } else { "s" }
            )
        }
    )?;
    peak_memory(out, s, r)?;
    command_counts(out, c)?;
    Ok(())
}

/// `Instructions: 1.234G ± 0.01 %` (the median, half the range of the counted runs), the
/// cycle estimate, which tool counted and what the counted runs cost; what could not be
/// counted.
fn command_counts(out: &mut dyn Write, c: &CommandResult) -> io::Result<()> {
    for line in crate::counts::lines(c) {
        let label = match line.what {
            "instructions" => "Instructions:",
            _ => "Cycles (estimate):",
        };
        writeln!(
            out,
            "    {label:<21}{} ± {}    {} counted run{} ({})",
            line.median,
            line.spread,
            line.runs,
            if line.runs == 1 { "" } else { "s" },
            line.source
        )?;
    }
    if let Some(cost) = crate::counts::cost(c) {
        writeln!(out, "    Counting cost:       {cost}")?;
    }
    for why in crate::counts::unavailable(c) {
        writeln!(out, "    note: {why}")?;
    }
    Ok(())
}

/// Peak memory, or only a bound when it is within 2 % of what every spawned run starts with,
/// or that it was not measured.
fn peak_memory(out: &mut dyn Write, s: &Summary, r: &BenchResult) -> io::Result<()> {
    if s.peak_rss_max_bytes == 0 {
        // No process runs in zero bytes: the source had no memory figures (an import).
        return writeln!(out, "    Peak memory:         not measured");
    }
    if r.peak_rss_at_floor(s) {
        writeln!(
            out,
            "    Peak memory:         ≤ {} (at the floor of what can be measured: every run starts at the spawner's size)",
            Bytes(r.peak_rss_bound(s)),
        )
    } else {
        writeln!(
            out,
            "    Peak memory:         {} (median {})",
            Bytes(s.peak_rss_max_bytes),
            Bytes(s.peak_rss_median_bytes)
        )
    }
}

/// How many times faster the fastest command ran than each of the others.
fn relative_speeds(
    out: &mut dyn Write,
    commands: &[CommandResult],
    fastest: usize,
) -> io::Result<()> {
    writeln!(out, "\n  Summary\n    `{}` ran", commands[fastest].command)?;
    for (i, c) in commands.iter().enumerate() {
        if i == fastest {
            continue;
        }
        if let Some(rel) = &c.relative {
            let spread = rel
                .stddev
                .map(|s| format!(" ± {}", three_figures(s)))
                .unwrap_or_default();
            writeln!(
                out,
                "      {}{spread} times faster than `{}`",
                three_figures(rel.ratio),
                c.command
            )?;
        }
    }
    Ok(())
}

fn shell_overhead(out: &mut dyn Write, shell: &ShellOverhead) -> io::Result<()> {
    writeln!(
        out,
        "\n  shell `{}` start-up {} ± {} ({} runs){}",
        shell.shell,
        ns(shell.wall_mean),
        ns(shell.wall_stddev),
        shell.runs,
        if shell.subtracted {
            ", subtracted from every run"
        } else {
            ", not subtracted"
        }
    )
}

/// Writes a comparison: one row per metric with its change, interval, q-value and verdict.
pub fn comparison(
    out: &mut dyn Write,
    c: &rigor_model::output::analysis::Comparison,
    baseline_name: Option<&str>,
) -> io::Result<()> {
    use rigor_model::output::analysis::VerdictName;
    let label = baseline_name
        .map(|n| format!(" (baseline `{n}`)"))
        .unwrap_or_default();
    writeln!(
        out,
        "compare run {}{label} → run {} · {}",
        c.baseline.run_id, c.candidate.run_id, c.candidate.scenario
    )?;
    if let Some(t) = &c.tradeoff {
        writeln!(out, "  {t}")?;
    }
    for w in &c.environment_warnings {
        writeln!(out, "  warning: environment: {w}")?;
    }
    for w in &c.warnings {
        writeln!(out, "  warning: {w}")?;
    }
    metric_table(out, c)?;
    writeln!(
        out,
        "\n  {} improved · {} regressed · {} unchanged · {} inconclusive ({}, α {}, FDR-adjusted q)",
        c.count(VerdictName::Improved),
        c.count(VerdictName::Regressed),
        c.count(VerdictName::Unchanged),
        c.count(VerdictName::Inconclusive),
        noise_bands(c),
        c.alpha
    )
}

/// The noise bands the relative changes were judged against: the band most of them share,
/// then any other with the metrics it was theirs (`noise band ±2%; ±0.5% for
/// instructions.median`).
pub(crate) fn noise_bands(c: &rigor_model::output::analysis::Comparison) -> String {
    use rigor_model::output::analysis::ChangeKind;
    let relative: Vec<_> = c
        .metrics
        .iter()
        .filter(|m| m.change_kind == ChangeKind::Relative)
        .collect();
    let mut bands: Vec<(f64, Vec<&str>)> = Vec::new();
    for m in &relative {
        match bands.iter_mut().find(|(n, _)| *n == m.noise) {
            Some((_, names)) => names.push(&m.metric),
            None => bands.push((m.noise, vec![&m.metric])),
        }
    }
    bands.sort_by_key(|b| std::cmp::Reverse(b.1.len()));
    let pct = |n: f64| format!("±{}%", three_figures(n * 100.0));
    let Some(((main, _), rest)) = bands.split_first() else {
        return format!("noise band {}", pct(0.02));
    };
    let mut text = format!("noise band {}", pct(*main));
    for (noise, names) in rest {
        text.push_str(&format!("; {} for {}", pct(*noise), names.join(", ")));
    }
    text
}

/// The comparison's metrics, one row each, under a header sized to the longest name.
fn metric_table(
    out: &mut dyn Write,
    c: &rigor_model::output::analysis::Comparison,
) -> io::Result<()> {
    let width = c
        .metrics
        .iter()
        .map(|m| m.metric.chars().count())
        .max()
        .unwrap_or(6)
        .max(6)
        + 2;
    writeln!(
        out,
        "\n  {:<width$}{:>11}{:>11}{:>10}  {:<20}{:>7}  verdict",
        "metric",
        "baseline",
        "candidate",
        "change",
        &format!("{:.0}% interval", c.confidence * 100.0),
        "q"
    )?;
    for m in &c.metrics {
        metric_row(out, m, width)?;
    }
    Ok(())
}

fn metric_row(
    out: &mut dyn Write,
    m: &rigor_model::output::analysis::MetricComparison,
    width: usize,
) -> io::Result<()> {
    use rigor_model::output::analysis::VerdictName;
    let unit = m.unit;
    let pct = |v: f64| {
        if m.change_kind == rigor_model::output::analysis::ChangeKind::Absolute {
            format!("{:+.2}pt", v * 100.0)
        } else {
            format!("{:+.1}%", v * 100.0)
        }
    };
    let verdict = match m.verdict {
        VerdictName::Improved => "IMPROVED",
        VerdictName::Regressed => "REGRESSED",
        VerdictName::Unchanged => "unchanged",
        VerdictName::Inconclusive => "inconclusive",
    };
    writeln!(
        out,
        "  {:<width$}{:>11}{:>11}{:>10}  {:<20}{:>7}  {verdict}",
        m.metric,
        unit.format(m.baseline),
        unit.format(m.candidate),
        pct(m.change),
        interval_cell(m, &pct),
        q_cell(m),
    )
}

/// A change's interval as a table shows it; "no interval" for two values without one.
pub(crate) fn interval_cell(
    m: &rigor_model::output::analysis::MetricComparison,
    pct: &dyn Fn(f64) -> String,
) -> String {
    if m.untested {
        "no interval".to_string()
    } else {
        format!("[{}, {}]", pct(m.change_lower), pct(m.change_upper))
    }
}

/// A change's adjusted p-value as a table shows it; "-" where no test was made.
pub(crate) fn q_cell(m: &rigor_model::output::analysis::MetricComparison) -> String {
    if m.untested {
        "-".to_string()
    } else {
        format_p(m.q_value)
    }
}

pub(crate) fn format_p(p: f64) -> String {
    if p.is_nan() {
        "-".into()
    } else if p < 0.001 {
        "<0.001".into()
    } else {
        format!("{p:.3}")
    }
}

/// Writes the gate's table: one row per check.
pub fn gate(
    out: &mut dyn Write,
    report: &rigor_model::output::analysis::GateReport,
) -> io::Result<()> {
    use rigor_model::output::analysis::CheckOutcome;
    writeln!(out, "gate: {}", report.outcome.to_uppercase())?;
    for c in &report.checks {
        let mark = match c.outcome {
            CheckOutcome::Pass => "pass",
            CheckOutcome::Warn => "WARN",
            CheckOutcome::Fail => "FAIL",
            CheckOutcome::Pending => "pend",
            CheckOutcome::NotJudged => "not judged",
        };
        writeln!(
            out,
            "  {mark}  {:<16} {:<44} {}",
            c.scenario, c.description, c.message
        )?;
    }
    for w in &report.warnings {
        writeln!(out, "  warning: {w}")?;
    }
    Ok(())
}
