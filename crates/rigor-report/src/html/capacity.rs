//! A capacity search in HTML: the result, throughput and latency against load with the knee
//! and the maximum sustainable throughput marked, the scalability model's curve over the
//! measured points (drawn no further than twice the largest measured concurrency), the step
//! table, growth and the notes.

use std::fmt::Write as _;

use rigor_model::output::capacity::{CapacityReport, SearchModel, StepVerdictKind};
use rigor_model::units::{format_nanos, three_figures};

use super::chart::{LineChart, Scale, XAxis};
use super::{badge_of, esc, table};
use crate::capacity::{coefficient, growth_text, knee_text, load, scalability_text};

pub fn page(r: &CapacityReport) -> String {
    let mut out = String::new();
    let found = r.outcome.max_sustainable_per_s.is_some();
    let _ = write!(
        out,
        "<header><h1>rigor capacity · {}</h1><p class=\"status\">{} {} model · {} steps{}</p><p>{}</p></header>",
        esc(&r.scenario),
        if found {
            badge_of("CAPACITY FOUND", "good")
        } else {
            badge_of("NO CAPACITY CLAIMED", "warn")
        },
        match r.model {
            SearchModel::Open => "open",
            SearchModel::Closed => "closed",
        },
        r.steps.len(),
        r.search_id
            .map(|id| format!(" · capacity search {id}"))
            .unwrap_or_default(),
        esc(&r.outcome.summary),
    );
    out.push_str("<section><h2>Against load</h2>");
    for chart in charts(r) {
        chart.render(&mut out);
    }
    out.push_str("</section>");
    out.push_str("<section><h2>Steps</h2>");
    let rows: Vec<Vec<String>> = r
        .steps
        .iter()
        .map(|s| {
            let ms = |v: Option<f64>| v.map_or("–".into(), format_nanos);
            vec![
                s.step.to_string(),
                esc(&load(s)),
                format!("{:.1}/s", s.achieved_per_s),
                ms(s.latency_p50_ns),
                ms(s.latency_p95_ns),
                ms(s.latency_p99_ns),
                format!("{:.2} %", s.error_rate * 100.0),
                s.target_cpu
                    .map_or("–".into(), |c| format!("{:.1} %", c * 100.0)),
                s.run_id.to_string(),
                match s.verdict {
                    StepVerdictKind::Pass => badge_of("pass", "good"),
                    StepVerdictKind::Fail => {
                        format!("{} {}", badge_of("fail", "bad"), esc(&s.reasons.join("; ")))
                    }
                    StepVerdictKind::NotJudged => format!(
                        "{} {}",
                        badge_of("not judged", "warn"),
                        esc(&s.reasons.join("; "))
                    ),
                },
            ]
        })
        .collect();
    table(
        &mut out,
        "steps",
        &[
            "step",
            "load",
            "achieved",
            "p50",
            "p95",
            "p99",
            "errors",
            "target CPU",
            "run",
            "verdict",
        ],
        &[0, 1, 2, 3, 4, 5, 6, 7, 8],
        &rows,
    );
    out.push_str("</section>");
    let mut findings = |title: &str, lines: Vec<String>| {
        let _ = write!(out, "<section><h2>{}</h2><ul>", esc(title));
        for line in lines {
            let _ = write!(out, "<li>{}</li>", esc(&line));
        }
        out.push_str("</ul></section>");
    };
    if let Some(k) = &r.knee {
        findings("Knee", knee_text(k));
    }
    if let Some(s) = &r.scalability {
        findings("Scalability model (USL)", scalability_text(s));
    }
    if let Some(g) = &r.growth {
        let mut lines = growth_text(g);
        lines.extend(g.assumptions.iter().map(|a| format!("assumed: {a}")));
        findings("Growth and cost", lines);
    }
    if !r.outcome.notes.is_empty() {
        findings("Notes", r.outcome.notes.clone());
    }
    out
}

/// Throughput and latency against load, and the scalability model.
fn charts(r: &CapacityReport) -> Vec<LineChart> {
    let (axis, unit) = match r.model {
        SearchModel::Open => (XAxis::Linear("/s"), "offered rate"),
        SearchModel::Closed => (XAxis::Linear(""), "users"),
    };
    let mut by_load: Vec<(f64, &rigor_model::output::capacity::CapacityStep)> = r
        .steps
        .iter()
        .filter(|s| s.verdict != StepVerdictKind::NotJudged)
        .filter_map(|s| Some((s.offered_per_s.or(s.users.map(f64::from))?, s)))
        .collect();
    by_load.sort_by(|a, b| a.0.total_cmp(&b.0));
    let marks = {
        let mut marks = Vec::new();
        if let Some(p) = r.knee.as_ref().and_then(|k| k.kneedle.as_ref()) {
            if let Some((x, _)) = by_load.iter().find(|(_, s)| s.step == p.step) {
                marks.push((*x, "knee".to_string()));
            }
        }
        if let Some(x) = r.outcome.last_pass_per_s {
            marks.push((x, "max sustainable".to_string()));
        }
        marks
    };
    let mut throughput = LineChart::new(
        "capacity-throughput",
        "Throughput against load",
        axis,
        Scale::Number,
    )
    .caption(&format!(
        "Each judged step's responses a second over its hold (the median of its seconds) against the {unit}{}.",
        if r.model == SearchModel::Open {
            ", and the offered rate: the line a system that keeps up follows"
        } else {
            ""
        }
    ))
    ;
    // The offered line first, so the achieved one is drawn over it where they coincide.
    if r.model == SearchModel::Open {
        throughput = throughput.series(
            "offered/s",
            2,
            by_load.iter().map(|(x, _)| (*x, Some(*x))).collect(),
        );
    }
    throughput = throughput.series(
        "achieved/s",
        0,
        by_load
            .iter()
            .map(|(x, s)| (*x, Some(s.achieved_per_s)))
            .collect(),
    );
    throughput.marks.clone_from(&marks);
    let mut latency = LineChart::new(
        "capacity-latency",
        "Latency against load",
        axis,
        Scale::Duration,
    )
    .caption(&format!(
        "Each judged step's latency over its hold, from intended start, against the {unit}; the knee is where it turns from flat to steep. The vertical axis is logarithmic."
    ))
    .series(
        "p50",
        0,
        by_load.iter().map(|(x, s)| (*x, s.latency_p50_ns)).collect(),
    )
    .series(
        "p95",
        1,
        by_load.iter().map(|(x, s)| (*x, s.latency_p95_ns)).collect(),
    )
    .series(
        "p99",
        2,
        by_load.iter().map(|(x, s)| (*x, s.latency_p99_ns)).collect(),
    );
    latency.y_log = true;
    latency.marks = marks;
    let mut charts = vec![throughput, latency];
    if let Some(s) = &r.scalability {
        let mut points = s.points.clone();
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        let top = s.curve.last().map_or(0.0, |p| p.0);
        let curve = s.curve.iter().map(|&(n, x)| (n, Some(x))).collect();
        let mut usl = LineChart::new(
            "capacity-usl",
            "Scalability model",
            XAxis::Linear(""),
            Scale::Number,
        )
        .caption(&format!(
            "Measured throughput against concurrency ({}), and the Universal Scalability Law fitted to it (σ {}, κ {}, λ {}/s), drawn to twice the largest concurrency measured and no further.",
            s.concurrency_from,
            coefficient(s.sigma),
            coefficient(s.kappa),
            three_figures(s.lambda)
        ))
        .series(
            "measured/s",
            0,
            points.iter().map(|&(n, x)| (n, Some(x))).collect(),
        )
        .series("modelled/s", 3, curve);
        if let Some(n) = s.peak_concurrency.filter(|&n| n <= top) {
            usl.marks.push((n, "peak".into()));
        }
        charts.push(usl);
    }
    charts
}
