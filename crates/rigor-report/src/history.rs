//! A metric's history in the terminal: each series's span and its change points — where,
//! from what to what, by how much with its interval, how surely, the first run and commit
//! after the step — and, asked, every run's value.

use std::fmt::Write as _;

use rigor_model::output::history::{HistoryChange, HistoryReport, MetricHistory};
use rigor_model::units::{rfc3339, three_figures};

/// A value in the series's unit (a number to three figures when the unit is not known).
pub(crate) fn value(unit: &str, v: f64) -> String {
    rigor_model::metric::Unit::from_name(unit).map_or_else(|| three_figures(v), |u| u.format(v))
}

fn day(ns: i64) -> String {
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_nanos(ns.max(0) as u64);
    rfc3339(time)[..16].replace('T', " ")
}

fn commit(c: &Option<String>) -> String {
    c.as_deref()
        .map_or("no commit".into(), |c| c.chars().take(10).collect())
}

/// One change point in a line.
fn step(s: &MetricHistory, c: &HistoryChange) -> String {
    let interval = match (c.change_lower, c.change_upper) {
        (Some(l), Some(u)) => format!(" [{:+.1}%, {:+.1}%]", l * 100.0, u * 100.0),
        _ => String::new(),
    };
    format!(
        "run {} ({}, {}): {} → {} ({:+.1}%{interval}), p {:.1e}, {} runs before, {} after: {}",
        c.run_id,
        commit(&c.git_commit),
        day(c.started_at_ns),
        value(&s.unit, c.median_before),
        value(&s.unit, c.median_after),
        c.change * 100.0,
        c.pvalue,
        c.runs_before,
        c.runs_after,
        c.kind.to_uppercase()
    )
}

pub fn terminal(r: &HistoryReport, points: bool) -> String {
    let mut out = String::new();
    let with_steps = r
        .series
        .iter()
        .filter(|s| !s.change_points.is_empty())
        .count();
    let _ = writeln!(
        out,
        "history of `{}` ({} runs): {} of {} metric{} stepped (window {}, p ≤ {}, at least {}% change)",
        r.scenario,
        r.kind,
        with_steps,
        r.series.len(),
        if r.series.len() == 1 { "" } else { "s" },
        r.options.window,
        r.options.max_pvalue,
        three_figures(r.options.min_magnitude * 100.0)
    );
    for warning in &r.warnings {
        let _ = writeln!(out, "warning: {warning}");
    }
    for s in &r.series {
        let (first, last) = (s.points.first(), s.points.last());
        let span = match (first, last) {
            (Some(a), Some(b)) => format!(
                "{} runs, run {} ({}) to run {} ({})",
                s.points.len(),
                a.run_id,
                day(a.started_at_ns),
                b.run_id,
                day(b.started_at_ns)
            ),
            _ => "no runs".into(),
        };
        let _ = writeln!(
            out,
            "\n{}: {span}; {}",
            s.metric,
            match s.change_points.len() {
                0 => "no change point".to_string(),
                1 => "1 change point".to_string(),
                n => format!("{n} change points"),
            }
        );
        for c in &s.change_points {
            let _ = writeln!(out, "  {}", step(s, c));
        }
        for n in &s.notes {
            let _ = writeln!(out, "  note: {n}");
        }
        if points {
            for p in &s.points {
                let _ = writeln!(
                    out,
                    "    run {:>6}  {}  {:<10}  {}",
                    p.run_id,
                    day(p.started_at_ns),
                    commit(&p.git_commit),
                    value(&s.unit, p.value)
                );
            }
        }
    }
    for l in &r.left_out {
        let _ = writeln!(
            out,
            "\nleft out: {} run{} {} ({})",
            l.runs.len(),
            if l.runs.len() == 1 { "" } else { "s" },
            l.why,
            l.runs
                .iter()
                .take(10)
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
                + if l.runs.len() > 10 { ", …" } else { "" }
        );
    }
    out
}
