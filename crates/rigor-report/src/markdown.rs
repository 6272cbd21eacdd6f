//! GitHub-flavoured Markdown: a load run and a comparison (`run.rs`), a benchmark in
//! hyperfine's table layout, the gate's checks as a table (the step summary, a pull-request
//! comment).

use std::fmt::Write as _;
use std::io::Write;

use rigor_model::output::analysis::{CheckOutcome, GateReport};
use rigor_model::output::bench::BenchResult;

use crate::{Exporter, Format, Report, ReportError};

mod run;

pub struct Markdown;

impl Exporter for Markdown {
    fn export(&self, report: &Report<'_>, out: &mut dyn Write) -> Result<(), ReportError> {
        let text = match report {
            Report::Bench { result, .. } => bench(result),
            Report::Gate { report, .. } => gate(report),
            Report::Profile(r) => profile(r),
            Report::LoadReport(r) => run::load(r),
            Report::Capacity(r) => crate::capacity::markdown(r),
            Report::Imported { run_id, name, run } => crate::imported::markdown(*run_id, name, run),
            Report::Comparison {
                comparison,
                baseline_name,
                ..
            } => run::comparison(comparison, *baseline_name),
            other => return Err(ReportError::unsupported(Format::Markdown, other)),
        };
        Ok(out.write_all(text.as_bytes())?)
    }
}

/// hyperfine's Markdown table: `Command | Mean [ms] | Min [ms] | Max [ms] | Relative`, in
/// one unit chosen from the fastest mean (µs below a millisecond, s from a second).
pub fn bench(result: &BenchResult) -> String {
    let fastest = result
        .fastest()
        .and_then(|i| result.commands[i].stats.as_ref())
        .map_or(0.0, |s| s.mean.as_secs_f64());
    let (unit, per_second) = if fastest >= 1.0 {
        ("s", 1.0)
    } else if fastest >= 1e-3 || fastest == 0.0 {
        ("ms", 1e3)
    } else {
        ("µs", 1e6)
    };
    let mut out = format!(
        "| Command | Mean [{unit}] | Min [{unit}] | Max [{unit}] | Relative |\n\
         |:---|---:|---:|---:|---:|\n"
    );
    for command in &result.commands {
        let cell = code_cell(&command.name);
        let Some(stats) = &command.stats else {
            let _ = writeln!(out, "| {cell} | n/a | n/a | n/a | n/a |");
            continue;
        };
        let v = |d: std::time::Duration| d.as_secs_f64() * per_second;
        let mean = match stats.stddev {
            Some(sd) => format!("{:.1} ± {:.1}", v(stats.mean), v(sd)),
            None => format!("{:.1}", v(stats.mean)),
        };
        let relative = match &command.relative {
            Some(r) => match r.stddev {
                Some(sd) => format!("{:.2} ± {:.2}", r.ratio, sd),
                None => format!("{:.2}", r.ratio),
            },
            None => "1.00".to_string(),
        };
        let _ = writeln!(
            out,
            "| {cell} | {mean} | {:.1} | {:.1} | {relative} |",
            v(stats.min),
            v(stats.max)
        );
    }
    counts(&mut out, result);
    out
}

/// The deterministic costs, when any were counted, in a table of their own below hyperfine's
/// (whose columns stay as hyperfine writes them).
fn counts(out: &mut String, result: &BenchResult) {
    let counted = crate::counts::counted(result);
    if counted.is_empty() {
        return;
    }
    out.push_str(
        "\n| Command | Count | Median | ± (half range) | Counted runs | Tool |\n\
         |:---|:---|---:|---:|---:|:---|\n",
    );
    let mut notes = Vec::new();
    for c in counted {
        let cell = code_cell(&c.name);
        for line in crate::counts::lines(c) {
            let _ = writeln!(
                out,
                "| {cell} | {} | {} | {} | {} | {} |",
                line.what, line.median, line.spread, line.runs, line.source
            );
        }
        if let Some(cost) = crate::counts::cost(c) {
            notes.push(format!("{cell}: counting cost {cost}."));
        }
        for why in crate::counts::unavailable(c) {
            notes.push(format!("{cell}: {}", why.replace('|', "\\|")));
        }
    }
    for note in notes {
        let _ = write!(out, "\n{note}\n");
    }
}

/// A command as inline code in a table cell: pipes escaped, and double backticks when the
/// command has a backtick of its own.
fn code_cell(text: &str) -> String {
    let escaped = text.replace('|', "\\|");
    if escaped.contains('`') {
        format!("`` {escaped} ``")
    } else {
        format!("`{escaped}`")
    }
}

/// The gate as a Markdown table: the verdict, then one row per check.
pub fn gate(report: &GateReport) -> String {
    let mut s = format!(
        "## rigor gate: {}\n\n| | scenario | check | measured | detail |\n|---|---|---|---|---|\n",
        report.outcome
    );
    for c in &report.checks {
        let mark = match c.outcome {
            CheckOutcome::Pass => "✅",
            CheckOutcome::Warn => "⚠️",
            CheckOutcome::Fail => "❌",
            CheckOutcome::Pending => "⏳",
            CheckOutcome::NotJudged => "❔",
        };
        s.push_str(&format!(
            "| {mark} | {} | {} | {} | {} |\n",
            c.scenario,
            c.description.replace('|', "\\|"),
            c.value_text.replace('|', "\\|"),
            c.message.replace('|', "\\|")
        ));
    }
    s
}

/// A profile as `profiling-report.md`: what was sampled and when, the hottest frames, the
/// flame graph beside it, and what would give better stacks.
pub fn profile(r: &rigor_model::output::profile::ProfileReport) -> String {
    format!(
        "# Profile of rigor run {} · the {}\n\n{}",
        r.run_id,
        r.capture.name,
        profile_body(r, "##")
    )
}

/// Where the time moved between two profiles, under a heading of `level`.
pub(crate) fn profile_diff_body(
    d: &rigor_model::output::profile::ProfileDiff,
    level: &str,
) -> String {
    use rigor_model::units::three_figures;
    let mut s = format!(
        "{level} Where the time moved: the {}\n\nRun {} ({} samples) → run {} ({} samples); shares of each run's own samples. `rigor profile --diff {} {} -o DIR` writes the differential flame graph.\n",
        d.name, d.before_run, d.before_samples, d.after_run, d.after_samples, d.before_run, d.after_run
    );
    for (title, changes) in [("Grew", &d.grew), ("Shrank", &d.shrank)] {
        s.push_str(&format!("\n{level}# {title}\n\n"));
        if changes.is_empty() {
            s.push_str("None.\n");
            continue;
        }
        s.push_str("| change | total | self | frame | module |\n|---:|---:|---:|---|---|\n");
        for c in changes.iter() {
            s.push_str(&format!(
                "| {:+.1} pt | {}% → {}% | {}% → {}% | {} | {} |\n",
                c.total_change() * 100.0,
                three_figures(c.before_total_share * 100.0),
                three_figures(c.after_total_share * 100.0),
                three_figures(c.before_self_share * 100.0),
                three_figures(c.after_self_share * 100.0),
                code_cell(&c.frame),
                c.module.as_deref().unwrap_or("–")
            ));
        }
    }
    s
}

/// A profile's text under its title; `level` is the Markdown heading of its sections.
pub(crate) fn profile_body(r: &rigor_model::output::profile::ProfileReport, level: &str) -> String {
    use rigor_model::units::{format_nanos, three_figures};
    let c = &r.capture;
    let mut s = String::new();
    if let Some(why) = &c.unavailable {
        s.push_str(&format!("No profile was taken: {why}\n"));
        return s;
    }
    s.push_str(&format!(
        "{} stack samples of pid {} over {} ({}, from {} after the run began), {} at {} Hz, {} call graphs, by {}.\n\n",
        c.samples,
        c.pids.iter().map(u32::to_string).collect::<Vec<_>>().join(", "),
        format_nanos(c.window_ns as f64),
        c.window,
        format_nanos(c.window_start_ns as f64),
        c.event,
        c.frequency_hz,
        c.call_graph,
        if c.tool.is_empty() { "perf" } else { &c.tool }
    ));
    s.push_str(&format!(
        "Flame graph: [profile-{id}.svg](profile-{id}.svg) (open it in a browser: click to zoom, Ctrl-F to search). Folded stacks: `profile-{id}.folded`.\n\n",
        id = r.run_id
    ));
    s.push_str(level);
    s.push_str(" Hottest frames\n\nThe bottleneck priority list: self is time in the frame's own code, total is time with it anywhere on the stack.\n\n| # | self | total | frame | module |\n|---:|---:|---:|---|---|\n");
    for (i, f) in r.hottest.iter().enumerate() {
        s.push_str(&format!(
            "| {} | {}% | {}% | {} | {} |\n",
            i + 1,
            three_figures(f.self_share * 100.0),
            three_figures(f.total_share * 100.0),
            code_cell(&f.frame),
            f.module.as_deref().unwrap_or("–")
        ));
    }
    for h in &c.hints {
        s.push_str(&format!("\n> Hint: {h}\n"));
    }
    s
}
