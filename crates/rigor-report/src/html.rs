//! One self-contained HTML file per report: styles, charts (inline SVG, [`chart`]) and the
//! figures all inside it, so it opens offline, from an artifact or an email, and prints. The
//! only script is a small self-check (`check.js`) that counts the charts the browser drew and
//! says so at the foot of the page; the report reads the same without it.
//!
//! Sections: a load run ([`run`]), a benchmark, a comparison (with both runs overlaid when
//! the command gives their seconds) and a gate. Text from plans and targets is escaped
//! everywhere ([`esc`]).

mod capacity;
mod chart;
mod history;
mod profile;
mod run;

use std::fmt::Write as _;
use std::io::Write;

use rigor_model::output::analysis::{
    ChangeKind, CheckOutcome, Comparison, GateReport, MetricComparison, VerdictName,
};
use rigor_model::output::bench::BenchResult;
use rigor_model::units::{format_nanos, three_figures, Bytes};

use crate::terminal::{interval_cell, q_cell};
use crate::{Exporter, Format, Report, ReportError};

use chart::{Strip, StripChart};

/// The HTML exporter.
pub struct Html;

const STYLE: &str = include_str!("html/page.css");
const CHECK: &str = include_str!("html/check.js");

impl Exporter for Html {
    fn export(&self, report: &Report<'_>, out: &mut dyn Write) -> Result<(), ReportError> {
        let page = match report {
            Report::LoadReport(r) => page(
                &format!("rigor run {} · {}", r.summary.run_id, r.summary.scenario),
                &run::load(r),
            ),
            Report::Bench {
                run_id,
                name,
                result,
            } => page(
                &format!("rigor bench run {run_id} · {name}"),
                &bench(*run_id, name, result),
            ),
            Report::Comparison {
                comparison,
                baseline_name,
                runs,
            } => page(
                &format!(
                    "rigor compare {} → {}",
                    comparison.baseline.run_id, comparison.candidate.run_id
                ),
                &self::comparison(comparison, *baseline_name, *runs),
            ),
            Report::Gate { report, .. } => {
                page(&format!("rigor gate: {}", report.outcome), &gate(report))
            }
            Report::Capacity(r) => page(
                &format!("rigor capacity · {}", r.scenario),
                &capacity::page(r),
            ),
            Report::History { report, .. } => page(
                &format!("rigor history · {}", report.scenario),
                &history::page(report),
            ),
            Report::Imported { run_id, name, run } => page(
                &format!("rigor · imported run {run_id}"),
                &crate::imported::html(*run_id, name, run),
            ),
            _ => return Err(ReportError::unsupported(Format::Html, report)),
        };
        out.write_all(page.as_bytes())?;
        Ok(())
    }
}

/// The page around a report's body.
fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"color-scheme\" content=\"light dark\">\
         <meta name=\"generator\" content=\"rigor {version}\">\
         <title>{title}</title><style>{STYLE}</style></head>\n<body><main>\n{body}\n\
         <footer><p>Written by rigor {version}. This file is self-contained: it loads nothing \
         from the network. <span id=\"rigor-check\"></span></p></footer></main>\
         <script>{CHECK}</script></body></html>\n",
        version = env!("CARGO_PKG_VERSION"),
        title = esc(title),
    )
}

/// Text made safe for HTML content and attribute values.
pub(crate) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A table: a header row, then rows of cells already escaped (they may hold markup). Columns
/// listed in `numeric` are right-aligned, with tabular figures.
fn table(out: &mut String, class: &str, headers: &[&str], numeric: &[usize], rows: &[Vec<String>]) {
    let _ = write!(
        out,
        "<div class=\"table\"><table class=\"{class}\"><thead><tr>"
    );
    for (i, h) in headers.iter().enumerate() {
        let align = if numeric.contains(&i) {
            " class=\"num\""
        } else {
            ""
        };
        let _ = write!(out, "<th{align}>{}</th>", esc(h));
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows {
        out.push_str("<tr>");
        for (i, c) in row.iter().enumerate() {
            let align = if numeric.contains(&i) {
                " class=\"num\""
            } else {
                ""
            };
            let _ = write!(out, "<td{align}>{c}</td>");
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div>");
}

/// A status badge: `passed`, `FAILED` …, coloured by how it went.
fn badge(text: &str, good: Option<bool>) -> String {
    let class = match good {
        Some(true) => "good",
        Some(false) => "bad",
        None => "warn",
    };
    badge_of(text, class)
}

/// A badge of CSS class `class` (`good`, `bad`, `warn`, `plain`).
fn badge_of(text: &str, class: &str) -> String {
    format!("<span class=\"badge {class}\">{}</span>", esc(text))
}

/// A benchmark: the commands' figures, every run as a point, and the relative speeds.
fn bench(run_id: i64, name: &str, result: &BenchResult) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<header><h1>rigor bench · {}</h1><p class=\"meta\">run {run_id} · {} command{} · {} warm-up run{} each{}</p></header>",
        esc(name),
        result.commands.len(),
        if result.commands.len() == 1 { "" } else { "s" },
        result.warmup,
        if result.warmup == 1 { "" } else { "s" },
        if result.interrupted {
            " · <strong>interrupted</strong>: the runs finished before the stop are all kept"
        } else {
            ""
        },
    );
    for w in &result.warnings {
        let _ = write!(out, "<p class=\"warning\">⚠ {}</p>", esc(&w.message));
    }
    let rows: Vec<Vec<String>> = result
        .commands
        .iter()
        .map(|c| {
            let code = format!("<code>{}</code>", esc(&c.name));
            let Some(s) = &c.stats else {
                return vec![
                    code,
                    "no runs".into(),
                    "–".into(),
                    "–".into(),
                    "–".into(),
                    "–".into(),
                    "–".into(),
                    "–".into(),
                ];
            };
            let d = |d: std::time::Duration| format_nanos(d.as_nanos() as f64);
            let ci = s.median_ci.as_ref().map_or("–".to_string(), |ci| {
                format!("[{}, {}]", d(ci.lower), d(ci.upper))
            });
            let relative = match &c.relative {
                Some(r) if r.fastest => "fastest".to_string(),
                Some(r) => match r.stddev {
                    Some(sd) => format!("{} ± {}", three_figures(r.ratio), three_figures(sd)),
                    None => three_figures(r.ratio),
                },
                None => "–".to_string(),
            };
            vec![
                code,
                s.count.to_string(),
                match s.stddev {
                    Some(sd) => format!("{} ± {}", d(s.mean), d(sd)),
                    None => d(s.mean),
                },
                d(s.median),
                esc(&ci),
                format!("{} … {}", d(s.min), d(s.max)),
                // At the spawner's floor the figure is only a bound, as the terminal says.
                esc(&if s.peak_rss_max_bytes == 0 {
                    "not measured".to_string()
                } else if result.peak_rss_at_floor(s) {
                    format!("≤ {} (at the floor)", Bytes(result.peak_rss_bound(s)))
                } else {
                    Bytes(s.peak_rss_max_bytes).to_string()
                }),
                esc(&relative),
            ]
        })
        .collect();
    out.push_str("<section><h2>Commands</h2>");
    table(
        &mut out,
        "figures",
        &[
            "command",
            "runs",
            "mean ± σ",
            "median",
            "median 95% CI",
            "min … max",
            "peak RSS",
            "relative",
        ],
        &[1, 2, 3, 5, 6, 7],
        &rows,
    );
    out.push_str("</section>");
    counts(&mut out, result);
    out.push_str("<section><h2>Distributions</h2>");
    let strips: Vec<Strip> = result
        .commands
        .iter()
        .map(|c| Strip {
            name: c.name.clone(),
            values: c
                .runs
                .iter()
                .map(|r| r.measurement.wall.as_nanos() as f64)
                .collect(),
            outliers: c.outliers.clone(),
        })
        .collect();
    StripChart {
        id: "bench-distribution".into(),
        title: "Wall time of every run".into(),
        caption: "Each point is one timed run; the box spans the middle half of the runs and the bar marks the median. Outliers (ringed) are kept in every statistic.".into(),
        strips,
    }
    .render(&mut out);
    let relative: Vec<(String, f64, Option<f64>)> = result
        .commands
        .iter()
        .filter_map(|c| {
            let r = c.relative.as_ref()?;
            Some((c.name.clone(), r.ratio, r.stddev))
        })
        .collect();
    if !relative.is_empty() {
        chart::bars(
            &mut out,
            "bench-relative",
            "Relative to the fastest (mean wall time)",
            "1× is the fastest command; the whisker is one standard deviation of the ratio.",
            &relative,
        );
    }
    out.push_str("</section>");
    out
}

/// The deterministic costs, when any were counted: one row per count, then what counting cost
/// and what could not be counted.
fn counts(out: &mut String, result: &BenchResult) {
    let counted = crate::counts::counted(result);
    if counted.is_empty() {
        return;
    }
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    for c in counted {
        let code = format!("<code>{}</code>", esc(&c.name));
        for line in crate::counts::lines(c) {
            rows.push(vec![
                code.clone(),
                esc(line.what),
                esc(&line.median),
                esc(&line.spread),
                line.runs.to_string(),
                esc(line.source),
            ]);
        }
        if let Some(cost) = crate::counts::cost(c) {
            notes.push(format!("{code}: counting cost {}.", esc(&cost)));
        }
        for why in crate::counts::unavailable(c) {
            notes.push(format!("{code}: {}", esc(why)));
        }
    }
    out.push_str("<section><h2>Deterministic costs</h2>");
    if !rows.is_empty() {
        table(
            out,
            "counts",
            &[
                "command",
                "count",
                "median",
                "± half range",
                "counted runs",
                "tool",
            ],
            &[2, 3, 4],
            &rows,
        );
    }
    for note in notes {
        let _ = write!(out, "<p class=\"meta\">{note}</p>");
    }
    out.push_str("</section>");
}

/// A comparison: the verdicts first, each metric's interval against its noise band, then the
/// two runs overlaid when their seconds were given.
fn comparison(
    c: &Comparison,
    baseline_name: Option<&str>,
    runs: Option<(
        &rigor_model::output::report::LoadReport,
        &rigor_model::output::report::LoadReport,
    )>,
) -> String {
    let mut out = String::new();
    let label = baseline_name
        .map(|n| format!(" (baseline <code>{}</code>)", esc(n)))
        .unwrap_or_default();
    let regressed = c.count(VerdictName::Regressed);
    let judged = c.count(VerdictName::Unchanged) + c.count(VerdictName::Improved);
    let _ = write!(
        out,
        "<header><h1>rigor compare · {}</h1><p class=\"meta\">run {}{label} → run {} · α {} · {:.0}% intervals · q adjusted for false discoveries across the metrics · bootstrap seed {}</p><p class=\"status\">{} {} improved · {} unchanged · {} inconclusive</p></header>",
        esc(&c.candidate.scenario),
        c.baseline.run_id,
        c.candidate.run_id,
        c.alpha,
        c.confidence * 100.0,
        c.seed,
        if regressed > 0 {
            badge(&format!("{regressed} REGRESSED"), Some(false))
        } else if judged == 0 {
            badge("nothing judged", None)
        } else {
            badge("0 regressed", Some(true))
        },
        c.count(VerdictName::Improved),
        c.count(VerdictName::Unchanged),
        c.count(VerdictName::Inconclusive),
    );
    if let Some(t) = &c.tradeoff {
        let _ = write!(
            out,
            "<p class=\"warning\"><strong>Trade-off:</strong> {}</p>",
            esc(t)
        );
    }
    for w in c.environment_warnings.iter().chain(&c.warnings) {
        let _ = write!(out, "<p class=\"warning\">⚠ {}</p>", esc(w));
    }
    out.push_str("<section><h2>Verdicts</h2>");
    let rows: Vec<Vec<String>> = c.metrics.iter().map(verdict_row).collect();
    table(
        &mut out,
        "verdicts",
        &[
            "metric",
            "baseline",
            "candidate",
            "change",
            "interval",
            "against noise",
            "q",
            "verdict",
        ],
        &[1, 2, 3, 6],
        &rows,
    );
    out.push_str("<p class=\"caption\">The bar is the interval of the change, the dot its estimate, the shaded band the noise the runs' own spread allows, the line zero.</p><details><summary>How each metric was judged</summary><ul>");
    for m in &c.metrics {
        let _ = write!(
            out,
            "<li><code>{}</code>: {}</li>",
            esc(&m.metric),
            esc(&m.method)
        );
    }
    let _ = write!(
        out,
        "</ul></details><p class=\"meta\">Baseline run {} ({}), candidate run {} ({}).</p></section>",
        c.baseline.run_id,
        esc(c.baseline.git_commit.as_deref().unwrap_or("no commit")),
        c.candidate.run_id,
        esc(c.candidate.git_commit.as_deref().unwrap_or("no commit")),
    );
    if let Some((a, b)) = runs {
        out.push_str("<section><h2>The two runs</h2>");
        run::overlay(&mut out, a, b);
        out.push_str("</section>");
    }
    for d in &c.profiles {
        let stacks = runs.and_then(|(a, b)| folded_of(a, &d.name).zip(folded_of(b, &d.name)));
        profile::diff_section(&mut out, d, stacks);
    }
    out
}

/// The folded stacks of a run's profile named `name`.
fn folded_of<'r>(r: &'r rigor_model::output::report::LoadReport, name: &str) -> Option<&'r str> {
    r.profiles
        .iter()
        .find(|p| p.report.capture.name == name)
        .map(|p| p.folded.as_str())
}

fn verdict_row(m: &MetricComparison) -> Vec<String> {
    let pct = |v: f64| match m.change_kind {
        ChangeKind::Absolute => format!("{:+.2} pt", v * 100.0),
        ChangeKind::Relative => format!("{:+.1}%", v * 100.0),
    };
    let (verdict, class) = match m.verdict {
        VerdictName::Improved => (badge("improved", Some(true)), "improved"),
        VerdictName::Regressed => (badge("REGRESSED", Some(false)), "regressed"),
        VerdictName::Unchanged => (badge_of("unchanged", "plain"), "unchanged"),
        VerdictName::Inconclusive => (badge("inconclusive", None), "inconclusive"),
    };
    let mut picture = String::new();
    chart::interval(
        &mut picture,
        m.change,
        m.change_lower,
        m.change_upper,
        m.noise,
        class,
    );
    vec![
        format!("<code>{}</code>", esc(&m.metric)),
        esc(&m.unit.format(m.baseline)),
        esc(&m.unit.format(m.candidate)),
        esc(&pct(m.change)),
        esc(&interval_cell(m, &pct)),
        picture,
        esc(&q_cell(m)),
        verdict,
    ]
}

/// The gate: its verdict, then one row per check.
fn gate(report: &GateReport) -> String {
    let mut out = String::new();
    let failed = report.outcome != "pass";
    let count = |o: CheckOutcome| report.checks.iter().filter(|c| c.outcome == o).count();
    let _ = write!(
        out,
        "<header><h1>rigor gate</h1><p class=\"status\">{} {} checks · {} passed · {} warned · {} failed · {} pending</p></header>",
        badge(&report.outcome.to_uppercase(), Some(!failed)),
        report.checks.len(),
        count(CheckOutcome::Pass),
        count(CheckOutcome::Warn),
        count(CheckOutcome::Fail),
        count(CheckOutcome::Pending),
    );
    for w in &report.warnings {
        let _ = write!(out, "<p class=\"warning\">⚠ {}</p>", esc(w));
    }
    let rows: Vec<Vec<String>> = report
        .checks
        .iter()
        .map(|c| {
            let good = match c.outcome {
                CheckOutcome::Pass => Some(true),
                CheckOutcome::Fail => Some(false),
                _ => None,
            };
            vec![
                badge(c.outcome.as_str(), good),
                esc(&c.scenario),
                c.run_id.to_string(),
                format!("<code>{}</code>", esc(&c.description)),
                esc(&c.value_text),
                esc(&c.message),
            ]
        })
        .collect();
    out.push_str("<section><h2>Checks</h2>");
    table(
        &mut out,
        "checks",
        &["outcome", "scenario", "run", "check", "measured", "detail"],
        &[2],
        &rows,
    );
    out.push_str("</section>");
    out
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn markup_in_text_is_escaped() {
        assert_eq!(
            esc("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
    }
}
