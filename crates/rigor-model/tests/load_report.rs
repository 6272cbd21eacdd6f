//! The report model of a load run is what `rigor report -f json` writes and what the HTML and
//! Markdown reports are made from. This fixture was captured from this build's `rigor run` of
//! a plan that starts the built-in target, scrapes its /metrics, runs a probe, sends
//! `traceparent` and spikes — so every section the signals work added is in it — and then
//! `rigor report -f json`. It must read back with each section where the reports look for it,
//! and its figures must be the metrics that thresholds and rules read.

use std::path::PathBuf;

use rigor_model::metric::Metric;
use rigor_model::output::report::LoadReport;
use rigor_model::threshold::Scope;

fn report() -> LoadReport {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/load-report-v3.json");
    let text = std::fs::read_to_string(path).expect("fixture");
    serde_json::from_str(&text).expect("the captured report parses")
}

fn value(r: &LoadReport, name: &str, scope: &Scope) -> Option<f64> {
    name.parse::<Metric>()
        .expect(name)
        .value_in_load(&r.summary, scope)
        .expect(name)
}

#[test]
fn the_signals_sections_read_back_where_the_reports_look() {
    let r = report();
    let s = &r.summary;
    // The target's saturation, whole run and per phase, and its processes.
    let t = s.target.as_ref().expect("the target was sampled");
    assert!(t.samples >= 7 && t.figures.cpu_mean > 0.0, "{t:?}");
    assert!(t.figures.rss_max_bytes > 0 && t.figures.threads_max > 0);
    assert_eq!(
        t.phases
            .iter()
            .map(|p| p.phase.as_str())
            .collect::<Vec<_>>(),
        ["steady", "spike", "after"]
    );
    assert!(!t.processes.is_empty());
    assert!(r.seconds.iter().any(|s| s.target_cpu_cores.is_some()));
    // Its own metrics and the probe's, with how the scraping went.
    let m = s.target_metrics.as_ref().expect("scraped");
    assert_eq!(m.failed, 0);
    let series = |name: &str| m.series.iter().find(|x| x.series == name).expect(name);
    assert_eq!(series("queue_depth").mean, 12.0);
    assert_eq!(series("open_files").last, 42.0);
    assert_eq!(m.probes.len(), 1);
    // Where the time goes: every successful response has its TTFB and transfer; the
    // connections opened have their connect time and no TLS.
    let stages = s.total.stages.as_ref().expect("stages");
    assert_eq!(stages.ttfb.count, s.total.latency.count);
    assert_eq!(stages.transfer.count, s.total.latency.count);
    assert_eq!(stages.connect.count, s.generator.connections_opened);
    assert_eq!(stages.tls.count, 0);
    // The slowest, with the trace ids they were sent with; the recovery after the spike.
    assert_eq!(s.slowest.len(), 10);
    assert!(s
        .slowest
        .iter()
        .all(|x| x.trace_id.as_ref().is_some_and(|t| t.len() == 32)));
    assert!(s
        .slowest
        .windows(2)
        .all(|w| w[0].latency_ns >= w[1].latency_ns));
    assert_eq!(s.recoveries.len(), 1);
    assert_eq!(s.recoveries[0].before, "steady");
}

#[test]
fn its_figures_are_the_metrics_rules_read() {
    let r = report();
    let s = &r.summary;
    let run = Scope::Run;
    assert_eq!(
        value(&r, "target.cpu", &run),
        Some(s.target.as_ref().unwrap().figures.cpu_mean)
    );
    assert_eq!(value(&r, "target.metric.queue_depth", &run), Some(12.0));
    assert_eq!(value(&r, "target.metric.open_files.last", &run), Some(42.0));
    let ttfb = s.total.stages.as_ref().unwrap().ttfb.p95_ns as f64;
    assert_eq!(value(&r, "latency.ttfb.p95", &run), Some(ttfb));
    let slow_ttfb = value(&r, "latency.ttfb.p50", &Scope::Request("slow".into())).unwrap();
    let fast_ttfb = value(&r, "latency.ttfb.p50", &Scope::Request("orders".into())).unwrap();
    assert!(
        slow_ttfb > fast_ttfb,
        "the 30 ms route waits longer than the 5 ms one"
    );
    assert_eq!(
        value(&r, "recovery.time", &run),
        s.recoveries[0].recovered_ns.map(|ns| ns as f64)
    );
    assert!("recovery.time"
        .parse::<Metric>()
        .unwrap()
        .value_in_load(s, &Scope::Phase("after".into()))
        .unwrap_err()
        .contains("not a spike phase"));
}

#[test]
fn it_writes_back_as_it_was_read() {
    let r = report();
    let again: LoadReport =
        serde_json::from_value(serde_json::to_value(&r).expect("writes")).expect("reads");
    assert_eq!(again, r);
}

/// A run of a tuning session, captured from this build: `rigor tune` start, baseline, a
/// hypothesis, the plan and baseline gates, the fix, `validate`, then `rigor report 2 -f json`.
/// Its session section reads back with what the run was for and what it showed.
#[test]
fn a_tuning_sessions_run_carries_its_section() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/load-report-v4-session.json");
    let text = std::fs::read_to_string(path).expect("fixture");
    let r: LoadReport = serde_json::from_str(&text).expect("the captured report parses");
    let x = r.session.as_ref().expect("the run belongs to a session");
    assert_eq!(x.session, "checkout-latency");
    assert_eq!(x.role, "iteration 1");
    assert_eq!(x.against, Some(1));
    assert_eq!(x.outcome.as_deref(), Some("improved"));
    let change = x
        .goal_change
        .as_ref()
        .expect("the goal's metric was judged");
    assert_eq!(
        (change.metric.as_str(), change.verdict.as_str()),
        ("latency.p50", "improved")
    );
    assert!(change.lower <= change.change && change.change <= change.upper);
    let check = x.goal_check.as_ref().expect("checked against the goal");
    assert_eq!(check.met, Some(true));
    assert_eq!(check.run_id, r.summary.run_id);
    // The figure the goal was checked on is the report's own.
    let p50 = value(&r, "latency.p50", &Scope::Run).unwrap();
    assert_eq!(check.value, Some(p50));
    assert_eq!(x.phases.len(), 5);
    assert_eq!(x.phases[0].status, rigor_model::tune::PhaseStatus::Done);
    // A report without a session (the signals fixture) reads back with none.
    assert!(report().session.is_none());
}
