//! A metric's history in HTML: for each series, its value run by run with every change point
//! marked where the step begins, and the steps in a table (the first run and commit after
//! each, the medians either side, the change with its interval, the p-value).

use std::fmt::Write as _;

use rigor_model::output::history::{HistoryReport, MetricHistory};
use rigor_model::units::three_figures;

use super::chart::{LineChart, Scale, XAxis};
use super::{badge_of, esc, table};
use crate::history::value;

pub fn page(r: &HistoryReport) -> String {
    let mut out = String::new();
    let stepped = r
        .series
        .iter()
        .filter(|s| !s.change_points.is_empty())
        .count();
    let _ = write!(
        out,
        "<header><h1>rigor history · {}</h1><p class=\"status\">{} {} runs · {} of {} metric{} stepped · window {}, p ≤ {}, at least {} % change</p></header>",
        esc(&r.scenario),
        if r.series.iter().any(|s| s.change_points.iter().any(|c| c.kind == "regression")) {
            badge_of("REGRESSION STEP", "bad")
        } else if stepped > 0 {
            badge_of("STEPPED", "warn")
        } else {
            badge_of("NO STEP", "good")
        },
        esc(&r.kind),
        stepped,
        r.series.len(),
        if r.series.len() == 1 { "" } else { "s" },
        r.options.window,
        r.options.max_pvalue,
        three_figures(r.options.min_magnitude * 100.0),
    );
    for warning in &r.warnings {
        let _ = write!(out, "<p class=\"alarm\">{}</p>", esc(warning));
    }
    for s in &r.series {
        series(&mut out, s);
    }
    if !r.left_out.is_empty() {
        out.push_str("<section><h2>Left out</h2><ul>");
        for l in &r.left_out {
            let _ = write!(
                out,
                "<li>{} run{} {}</li>",
                l.runs.len(),
                if l.runs.len() == 1 { "" } else { "s" },
                esc(&l.why)
            );
        }
        out.push_str("</ul></section>");
    }
    let _ = write!(
        out,
        "<section><h2>Method</h2><p>{}.</p></section>",
        esc(&r.options.method)
    );
    out
}

fn series(out: &mut String, s: &MetricHistory) {
    let _ = write!(out, "<section><h2>{}</h2>", esc(&s.metric));
    let scale = match s.unit.as_str() {
        "ns" => Scale::Duration,
        "bytes" => Scale::Bytes,
        _ => Scale::Number,
    };
    // Fractions are drawn as percentages.
    let factor = if s.unit == "fraction" { 100.0 } else { 1.0 };
    let mut chart = LineChart::new(
        &format!("history-{}", s.metric.replace(['.', '{', '}', '=', ',', ' '], "-")),
        &format!("{} run by run", s.metric),
        XAxis::Linear(""),
        scale,
    )
    .caption(&format!(
        "Each run's value in the order the runs were made (1 is the oldest shown){}; a mark where a change point begins: its first run after the step. {} is better.",
        if s.unit == "fraction" { ", in per cent" } else { "" },
        if s.better == "lower" { "Lower" } else { "Higher" }
    ))
    .series(
        &s.metric,
        0,
        s.points
            .iter()
            .enumerate()
            .map(|(i, p)| ((i + 1) as f64, Some(p.value * factor)))
            .collect(),
    );
    chart.marks = s
        .change_points
        .iter()
        .map(|c| ((c.index + 1) as f64, format!("{:+.0}%", c.change * 100.0)))
        .collect();
    // One run is a value, not a history: said, not drawn as a lone dot.
    if s.points.len() >= 2 {
        chart.render(out);
    } else {
        let _ = write!(
            out,
            "<p class=\"note\">{} run{}: nothing to draw a history of yet.</p>",
            s.points.len(),
            if s.points.len() == 1 { "" } else { "s" }
        );
    }
    if !s.change_points.is_empty() {
        let rows: Vec<Vec<String>> = s
            .change_points
            .iter()
            .map(|c| {
                let pct = |v: f64| format!("{:+.1} %", v * 100.0);
                vec![
                    c.run_id.to_string(),
                    esc(&c
                        .git_commit
                        .as_deref()
                        .map_or("–".into(), |g| g.chars().take(10).collect::<String>())),
                    esc(&value(&s.unit, c.median_before)),
                    esc(&value(&s.unit, c.median_after)),
                    format!(
                        "{}{}",
                        pct(c.change),
                        match (c.change_lower, c.change_upper) {
                            (Some(l), Some(u)) => format!(" [{}, {}]", pct(l), pct(u)),
                            _ => String::new(),
                        }
                    ),
                    format!("{:.1e}", c.pvalue),
                    match c.kind.as_str() {
                        "regression" => badge_of("regression", "bad"),
                        "improvement" => badge_of("improvement", "good"),
                        other => badge_of(other, "plain"),
                    },
                ]
            })
            .collect();
        table(
            out,
            "steps",
            &[
                "first run after",
                "commit",
                "median before",
                "median after",
                "change",
                "p",
                "kind",
            ],
            &[0, 2, 3, 4, 5],
            &rows,
        );
    }
    for n in &s.notes {
        let _ = write!(out, "<p class=\"note\">{}</p>", esc(n));
    }
    out.push_str("</section>");
}
