//! A capacity search in words and tables: the terminal's step table and findings, and
//! `capacity-analysis.md`. The HTML page is in `html/capacity.rs`; the figures all come from
//! the report (`rigor_analysis::capacity` made them).

use std::fmt::Write as _;

use rigor_model::output::capacity::{
    CapacityReport, CapacityStep, Growth, Knee, Scalability, SearchModel, StepVerdictKind,
};
use rigor_model::units::{format_nanos, three_figures};

/// A latency, or a dash.
fn ms(v: Option<f64>) -> String {
    v.map_or("–".into(), format_nanos)
}

/// A step's load: `120.0/s` or `8 users`.
pub(crate) fn load(s: &CapacityStep) -> String {
    match (s.offered_per_s, s.users) {
        (Some(r), _) => format!("{r:.1}/s"),
        (None, Some(1)) => "1 user".into(),
        (None, Some(u)) => format!("{u} users"),
        (None, None) => "–".into(),
    }
}

pub(crate) fn verdict(s: &CapacityStep) -> String {
    match s.verdict {
        StepVerdictKind::Pass => "pass".into(),
        StepVerdictKind::Fail => format!("FAIL: {}", s.reasons.join("; ")),
        StepVerdictKind::NotJudged => format!("not judged: {}", s.reasons.join("; ")),
    }
}

fn cpu(s: &CapacityStep) -> String {
    s.target_cpu
        .map_or("–".into(), |c| format!("{:.1}%", c * 100.0))
}

fn in_flight(s: &CapacityStep) -> String {
    s.in_flight.map_or("–".into(), |n| format!("{n:.1}"))
}

/// A model coefficient to three significant figures, in scientific notation when small
/// (κ is often 1e-4 or less, which three decimals would show as 0).
pub(crate) fn coefficient(v: f64) -> String {
    if v != 0.0 && v.abs() < 0.01 {
        format!("{v:.2e}")
    } else {
        three_figures(v)
    }
}

/// `0.0267 ± 0.0012`.
fn with_se(v: f64, se: Option<f64>) -> String {
    match se {
        Some(se) => format!("{} ± {}", coefficient(v), coefficient(se)),
        None => coefficient(v),
    }
}

/// The knee in a sentence.
pub(crate) fn knee_text(k: &Knee) -> Vec<String> {
    let mut out = Vec::new();
    match &k.kneedle {
        Some(p) => out.push(format!(
            "Kneedle: step {} ({}/s achieved, {} {})",
            p.step,
            three_figures(p.throughput_per_s),
            k.latency,
            format_nanos(p.latency_ns)
        )),
        None => out.push(format!("Kneedle: no knee in {} against load", k.latency)),
    }
    match &k.slope {
        Some(p) => out.push(format!(
            "slope: after step {} ({}/s, {} {}) {} rises more than {}× as fast as at low load",
            p.step,
            three_figures(p.throughput_per_s),
            k.latency,
            format_nanos(p.latency_ns),
            k.latency,
            k.slope_factor
        )),
        None => out.push(format!(
            "slope: {} never rose {}× as fast as at low load",
            k.latency, k.slope_factor
        )),
    }
    out
}

/// The scalability model in sentences.
pub(crate) fn scalability_text(s: &Scalability) -> Vec<String> {
    let mut out = vec![
        format!(
            "σ (contention) {}, κ (coherency) {}, λ (one unit) {}/s; R² {:.3} over {} steps, concurrency from {}",
            with_se(s.sigma, s.sigma_se),
            with_se(s.kappa, s.kappa_se),
            with_se(s.lambda, s.lambda_se),
            s.r_squared,
            s.points.len(),
            s.concurrency_from
        ),
    ];
    let bound = match s.bound_by.as_str() {
        "contention" => "contention-bound: a serialised share (a lock, a single worker, a pool) limits it; more concurrency approaches a ceiling",
        "coherency" => "coherency-bound: keeping shared state consistent costs more as concurrency grows; past the peak throughput falls",
        _ => "neither contention nor coherency is clear of twice its standard error: more steps, over a wider range, would tell which limits it",
    };
    out.push(bound.to_string());
    match (s.peak_concurrency, s.peak_throughput_per_s) {
        (Some(n), Some(x)) => out.push(format!(
            "peak: {}/s at {} in flight{}",
            three_figures(x),
            three_figures(n),
            if s.kappa_se.is_none_or(|se| s.kappa <= 2.0 * se) {
                " (κ is within twice its standard error of zero: the peak, and any fall past it, is not established)".to_string()
            } else if s.peak_extrapolated {
                format!(
                    " (beyond twice the most measured, {}: an extrapolation, not a finding)",
                    three_figures(s.largest_measured)
                )
            } else {
                String::new()
            }
        )),
        _ => out
            .push("no peak: without coherency delay throughput only approaches its ceiling".into()),
    }
    if let Some(c) = s.amdahl_ceiling_per_s {
        out.push(format!("Amdahl ceiling λ/σ: {}/s", three_figures(c)));
    }
    out
}

/// What growth needs, in sentences.
pub(crate) fn growth_text(g: &Growth) -> Vec<String> {
    let mut out = vec![format!(
        "{}× today's {}/s is {}/s: {} instance{} at {:.0} % utilisation (today {}), headroom of one instance {:+.0} % today, {:+.0} % at the projected load",
        three_figures(g.factor),
        three_figures(g.current_per_s),
        three_figures(g.projected_per_s),
        g.instances_needed,
        if g.instances_needed == 1 { "" } else { "s" },
        g.target_utilisation * 100.0,
        g.instances_now,
        g.headroom_now * 100.0,
        g.headroom_projected * 100.0,
    )];
    if let (Some(per_million), Some(monthly), Some(hourly)) = (
        g.cost_per_million_requests,
        g.monthly_cost_projected,
        g.cost_per_instance_hour,
    ) {
        out.push(format!(
            "cost at {hourly:.4} an instance-hour: {per_million:.4} a million requests at the SLO; {monthly:.2} a month for the projected load"
        ));
    }
    match (g.scale_out_utilisation, g.scale_out_cpu) {
        (Some(u), Some(c)) => out.push(format!(
            "scaling policy: scale out at {:.0} % of capacity (the knee), target CPU {:.0} % of a core",
            u * 100.0,
            c * 100.0
        )),
        (Some(u), None) => out.push(format!(
            "scaling policy: scale out at {:.0} % of capacity (the knee)",
            u * 100.0
        )),
        _ => {}
    }
    out
}

/// A step's row: step, load, achieved, p50, p95, p99, errors, target CPU, in flight, run,
/// verdict.
fn cells(s: &CapacityStep) -> [String; 11] {
    [
        s.step.to_string(),
        load(s),
        format!("{:.1}/s", s.achieved_per_s),
        ms(s.latency_p50_ns),
        ms(s.latency_p95_ns),
        ms(s.latency_p99_ns),
        format!("{:.2}%", s.error_rate * 100.0),
        cpu(s),
        in_flight(s),
        s.run_id.to_string(),
        verdict(s),
    ]
}

/// The terminal's step table and findings.
pub fn terminal(r: &CapacityReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:>4}  {:>11}  {:>9}  {:>8}  {:>8}  {:>8}  {:>7}  {:>7}  {:>9}  {:>5}  verdict",
        "step", "load", "achieved", "p50", "p95", "p99", "errors", "cpu", "in flight", "run"
    );
    for s in &r.steps {
        let c = cells(s);
        let _ = writeln!(
            out,
            "{:>4}  {:>11}  {:>9}  {:>8}  {:>8}  {:>8}  {:>7}  {:>7}  {:>9}  {:>5}  {}",
            c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10]
        );
    }
    let _ = writeln!(out, "\n{}", r.outcome.summary);
    if let Some(k) = &r.knee {
        let _ = writeln!(out, "\nknee of {} against load:", k.latency);
        for line in knee_text(k) {
            let _ = writeln!(out, "  {line}");
        }
    }
    if let Some(s) = &r.scalability {
        let _ = writeln!(out, "\nscalability (Universal Scalability Law):");
        for line in scalability_text(s) {
            let _ = writeln!(out, "  {line}");
        }
    }
    if let Some(g) = &r.growth {
        let _ = writeln!(out, "\ngrowth:");
        for line in growth_text(g) {
            let _ = writeln!(out, "  {line}");
        }
    }
    for note in &r.outcome.notes {
        let _ = writeln!(out, "note: {note}");
    }
    if let Some(id) = r.search_id {
        let _ = writeln!(
            out,
            "\ncapacity search {id}: `rigor capacity --show {id} --report DIR` writes capacity-analysis.md, .json and .html"
        );
    }
    out
}

/// A Markdown table cell: pipes escaped, newlines flattened.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// `capacity-analysis.md`.
pub fn markdown(r: &CapacityReport) -> String {
    let mut out = format!("# Capacity analysis: {}\n\n", cell(&r.scenario));
    let _ = writeln!(out, "**Result:** {}\n", cell(&r.outcome.summary));
    let judged = if r.slos.is_empty() {
        "no SLO given".to_string()
    } else {
        r.slos
            .iter()
            .map(|s| format!("`{}`", cell(s)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let t = &r.settings;
    let how = match r.model {
        SearchModel::Open => format!(
            "open model: arrival rates from {}/s, {}, up to {}/s; {} narrowing round{}",
            t.start_per_s.map_or("–".into(), three_figures),
            match (t.factor, t.step_per_s) {
                (_, Some(d)) => format!("each step {}/s above the last", three_figures(d)),
                (Some(f), None) => format!("each step {}× the last", three_figures(f)),
                (None, None) => "stepped".into(),
            },
            t.max_rate_per_s.map_or("–".into(), three_figures),
            t.rounds,
            if t.rounds == 1 { "" } else { "s" }
        ),
        SearchModel::Closed => format!(
            "closed model: {} users",
            t.concurrency
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let _ = writeln!(
        out,
        "## Method\n\n- Load: {how}.\n- Each step: {} s ramp, {} s warm-up (not judged), {} s hold (judged); at most {} s in all.\n- Judged on: {judged}{}; a step whose generator fell behind is not judged and ends the search.\n",
        t.ramp_s,
        t.warmup_s,
        t.hold_s,
        t.max_time_s,
        if r.model == SearchModel::Open {
            ", and throughput at least 95 % of the offered rate (arrivals queueing)"
        } else {
            ""
        },
    );
    out.push_str(
        "## Steps\n\n| Step | Load | Achieved | p50 | p95 | p99 | Errors | Target CPU | In flight | Run | Verdict |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---|\n",
    );
    for s in &r.steps {
        let row: Vec<String> = cells(s).iter().map(|c| cell(c)).collect();
        let _ = writeln!(out, "| {} |", row.join(" | "));
    }
    out.push('\n');
    if let Some(k) = &r.knee {
        let _ = writeln!(out, "## Knee\n");
        for line in knee_text(k) {
            let _ = writeln!(out, "- {}", cell(&line));
        }
        out.push('\n');
    }
    if let Some(s) = &r.scalability {
        let _ = writeln!(
            out,
            "## Scalability model\n\nThe Universal Scalability Law, `X(N) = λN / (1 + σ(N−1) + κN(N−1))`, fitted by non-linear least squares.\n"
        );
        for line in scalability_text(s) {
            let _ = writeln!(out, "- {}", cell(&line));
        }
        out.push_str("\n| Concurrency | Measured | Modelled | Residual |\n|---:|---:|---:|---:|\n");
        for ((n, x), res) in s.points.iter().zip(&s.residuals) {
            let _ = writeln!(
                out,
                "| {} | {}/s | {}/s | {:+.1} |",
                three_figures(*n),
                three_figures(*x),
                three_figures(x - res),
                res
            );
        }
        out.push('\n');
    }
    if let Some(g) = &r.growth {
        let _ = writeln!(out, "## Growth and cost\n");
        for line in growth_text(g) {
            let _ = writeln!(out, "- {}", cell(&line));
        }
        let _ = writeln!(out, "\nAssumptions:\n");
        for a in &g.assumptions {
            let _ = writeln!(out, "- {}", cell(a));
        }
        out.push('\n');
    }
    if !r.outcome.notes.is_empty() {
        let _ = writeln!(out, "## Notes\n");
        for n in &r.outcome.notes {
            let _ = writeln!(out, "- {}", cell(n));
        }
        out.push('\n');
    }
    let runs: Vec<String> = r.steps.iter().map(|s| s.run_id.to_string()).collect();
    let _ = writeln!(
        out,
        "## Evidence\n\nEvery step is a stored run of `{}@capacity`: {}{}. `rigor report RUN` shows any of them.",
        cell(&r.scenario),
        runs.join(", "),
        r.search_id
            .map(|id| format!(" (capacity search {id})"))
            .unwrap_or_default()
    );
    out
}
