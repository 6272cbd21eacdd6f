//! A load run's summary is a stored format: summaries written by schema 2 (before the target
//! was sampled as a process tree, captured from that build's `rigor load --target-pid --json`)
//! must read back with their figures where they were, and say "not measured" for what that
//! build did not measure rather than zero.

use std::path::PathBuf;

use rigor_model::metric::Metric;
use rigor_model::output::{RunSummary, StoredSummary};
use rigor_model::threshold::Scope;
use rigor_model::RunKind;

fn fixture() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/run-summary-v2.json");
    std::fs::read_to_string(path).expect("fixture")
}

#[test]
fn a_schema_2_summary_reads_with_its_target_figures() {
    let Some(StoredSummary::Load(summary)) =
        StoredSummary::parse(RunKind::Load, Some(&fixture())).expect("parses")
    else {
        panic!("a load summary");
    };
    let t = summary.target.as_ref().expect("it sampled a target");
    assert_eq!(t.samples, 4);
    assert_eq!(t.figures.rss_max_bytes, 6_746_112);
    assert_eq!(t.figures.threads_max, 3);
    assert!(t.phases.is_empty() && t.processes.is_empty() && t.exit.is_none());
    let value = |name: &str| {
        name.parse::<Metric>()
            .expect(name)
            .value_in_load(&summary, &Scope::Run)
            .expect(name)
    };
    assert_eq!(value("target.cpu"), Some(t.figures.cpu_mean));
    assert_eq!(value("target.rss.peak"), Some(6_746_112.0));
    // What schema 2 did not measure is unknown, not zero.
    assert_eq!(value("target.cpu.p95"), None);
    assert_eq!(value("target.ctx_switches.rate"), None);
    assert_eq!(value("target.processes"), None);
}

#[test]
fn a_summary_writes_its_target_figures_flat_as_schema_2_did() {
    let text = fixture();
    let summary: RunSummary = serde_json::from_str(&text).expect("parses");
    let written = serde_json::to_value(&summary).expect("writes");
    let before: serde_json::Value = serde_json::from_str(&text).expect("json");
    for key in [
        "pid",
        "samples",
        "cpu_mean",
        "cpu_max",
        "rss_max_bytes",
        "fds_max",
    ] {
        assert_eq!(written["target"][key], before["target"][key], "{key}");
    }
}

#[test]
fn a_signal_has_no_value_per_request() {
    let summary: RunSummary = serde_json::from_str(&fixture()).expect("parses");
    let request = summary.requests[0].name.clone();
    let err = "target.cpu"
        .parse::<Metric>()
        .unwrap()
        .value_in_load(&summary, &Scope::Request(request))
        .unwrap_err();
    assert!(err.contains("not one request's"), "{err}");
    let err = "target.cpu.p97".parse::<Metric>().unwrap_err();
    assert!(err.contains("did you mean `target.cpu.p"), "{err}");
}
