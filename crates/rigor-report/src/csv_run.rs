//! A load run and a comparison as CSV. A run's figures in the shape of the runbook's
//! `baseline-metrics.csv` (one row per metric: timestamp, scenario, metric, value, unit,
//! source, method), named in rigor's metric vocabulary so a gate or a spreadsheet reads them
//! back; the run second by second; a comparison one row per metric.

use rigor_model::metric::{Metric, Scope};
use rigor_model::output::analysis::{Comparison, GateReport};
use rigor_model::output::report::{LoadReport, SecondLatency};

use crate::ReportError;

/// The metrics a run's CSV lists, in this order (those the run has no value for are left out).
const RUN_METRICS: [&str; 18] = [
    "throughput",
    "requests",
    "errors",
    "error_rate",
    "latency.p50",
    "latency.p90",
    "latency.p95",
    "latency.p99",
    "latency.p99.9",
    "latency.max",
    "latency.mean",
    "latency.raw.p50",
    "latency.raw.p99",
    "schedule_lag.p99",
    "target.cpu",
    "target.cpu.max",
    "target.rss",
    "target.fds",
];

/// The columns of a baseline-metrics.csv.
const METRICS_HEADER: [&str; 7] = [
    "timestamp",
    "scenario",
    "metric",
    "value",
    "unit",
    "source",
    "method",
];

/// One row per metric of the whole run, then per phase and per request (`scenario` carries
/// the group as `scenario/phase:NAME`).
pub fn load_metrics(r: &LoadReport) -> Result<String, ReportError> {
    let s = &r.summary;
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(METRICS_HEADER)?;
    let source = format!("rigor run {}", s.run_id);
    let method = format!(
        "rigor {} load, {} model, {} phase{}, latency from intended start",
        s.environment.rigor_version,
        s.model,
        s.phases.len(),
        if s.phases.len() == 1 { "" } else { "s" }
    );
    let mut scopes = vec![(s.scenario.clone(), Scope::Run)];
    if s.phases.len() > 1 {
        scopes.extend(s.phases.iter().map(|p| {
            (
                format!("{}/phase:{}", s.scenario, p.name),
                Scope::Phase(p.name.clone()),
            )
        }));
    }
    if s.requests.len() > 1 {
        scopes.extend(s.requests.iter().map(|q| {
            (
                format!("{}/request:{}", s.scenario, q.name),
                Scope::Request(q.name.clone()),
            )
        }));
    }
    for (label, scope) in &scopes {
        for name in RUN_METRICS {
            let Ok(metric) = name.parse::<Metric>() else {
                continue;
            };
            if *scope != Scope::Run && name.starts_with("target.") {
                continue;
            }
            let Ok(Some(value)) = metric.value_in_load(s, scope) else {
                continue;
            };
            w.write_record([
                s.started_at.as_str(),
                label,
                name,
                &number(value),
                metric.unit().as_str(),
                &source,
                &method,
            ])?;
        }
    }
    finish(w)
}

/// An imported or telemetry run in the same shape: one row per figure, its method what the
/// source says — for production telemetry the PromQL query, the range and the step.
pub fn imported_metrics(
    run_id: i64,
    name: &str,
    run: &rigor_model::output::imported::ImportedRun,
) -> Result<String, ReportError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(METRICS_HEADER)?;
    let attribute = |key: &str| run.attributes.get(key).cloned().unwrap_or_default();
    let source = format!("rigor run {run_id} ({} {})", run.source, run.file);
    for v in &run.values {
        let method = match run.attributes.get(&format!("query.{}", v.metric)) {
            Some(query) => format!(
                "PromQL `{query}` from {} to {} every {}, mean of the points",
                attribute("start"),
                attribute("end"),
                attribute("step")
            ),
            None => format!("imported from {}", run.source),
        };
        w.write_record([
            attribute("end").as_str(),
            name,
            v.metric.as_str(),
            &number(v.value),
            v.unit.as_str(),
            &source,
            &method,
        ])?;
    }
    finish(w)
}

/// The run second by second: one row per second, latency in nanoseconds, empty cells where
/// nothing was measured.
pub fn load_series(r: &LoadReport) -> Result<String, ReportError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "second",
        "phase",
        "requests",
        "errors",
        "p50_ns",
        "p90_ns",
        "p99_ns",
        "max_ns",
        "raw_p50_ns",
        "raw_p90_ns",
        "raw_p99_ns",
        "raw_max_ns",
        "target_cpu_cores",
        "target_rss_bytes",
        "target_threads",
        "target_fds",
        "send_lag_p99_ns",
        "send_lag_max_ns",
    ])?;
    let lat = |l: Option<SecondLatency>| -> [String; 4] {
        match l {
            Some(l) => [l.p50_ns, l.p90_ns, l.p99_ns, l.max_ns].map(|v| v.to_string()),
            None => Default::default(),
        }
    };
    let opt = |v: Option<String>| v.unwrap_or_default();
    for s in &r.seconds {
        let mut row = vec![
            s.second.to_string(),
            s.phase.clone(),
            s.requests.to_string(),
            s.errors.to_string(),
        ];
        row.extend(lat(s.latency));
        row.extend(lat(s.raw_latency));
        row.push(opt(s.target_cpu_cores.map(number)));
        row.push(opt(s.target_rss_bytes.map(|v| v.to_string())));
        row.push(opt(s.target_threads.map(|v| v.to_string())));
        row.push(opt(s.target_fds.map(|v| v.to_string())));
        row.push(opt(s.send_lag_p99_ns.map(|v| v.to_string())));
        row.push(opt(s.send_lag_max_ns.map(|v| v.to_string())));
        w.write_record(&row)?;
    }
    finish(w)
}

/// A comparison: one row per metric with both values, the change and its interval, p, q and
/// the verdict.
pub fn comparison(c: &Comparison) -> Result<String, ReportError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "metric",
        "unit",
        "baseline_run",
        "candidate_run",
        "baseline",
        "candidate",
        "change_kind",
        "change",
        "change_lower",
        "change_upper",
        "p_value",
        "q_value",
        "noise",
        "verdict",
        "method",
    ])?;
    for m in &c.metrics {
        w.write_record([
            m.metric.clone(),
            m.unit.as_str().to_string(),
            c.baseline.run_id.to_string(),
            c.candidate.run_id.to_string(),
            number(m.baseline),
            number(m.candidate),
            serde_json::to_value(m.change_kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            number(m.change),
            number(m.change_lower),
            number(m.change_upper),
            number(m.p_value),
            number(m.q_value),
            number(m.noise),
            m.verdict.as_str().to_string(),
            m.method.clone(),
        ])?;
    }
    finish(w)
}

/// A value as CSV keeps it: integers without a fraction, others with what f64 prints.
fn number(v: f64) -> String {
    if v.is_nan() {
        String::new()
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

/// The gate: one row per check, with its outcome, value and message.
pub fn gate(r: &GateReport) -> Result<String, ReportError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "scenario",
        "run_id",
        "check",
        "metric",
        "outcome",
        "judged",
        "value",
        "value_text",
        "message",
    ])?;
    for c in &r.checks {
        w.write_record([
            c.scenario.clone(),
            c.run_id.to_string(),
            c.description.clone(),
            c.metric.clone(),
            c.outcome.as_str().to_string(),
            c.judged.to_string(),
            c.value.map(number).unwrap_or_default(),
            c.value_text.clone(),
            c.message.clone(),
        ])?;
    }
    finish(w)
}

fn finish(w: csv::Writer<Vec<u8>>) -> Result<String, ReportError> {
    let bytes = w
        .into_inner()
        .map_err(|e| ReportError::Io(e.into_error()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
