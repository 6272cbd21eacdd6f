//! The capacity report is what `rigor capacity --json` and `capacity-analysis.json` hold and
//! what its Markdown and HTML are made from. This fixture was captured from this build's
//! `rigor capacity --slo 'latency.p99 < 200ms' --hold 3s --growth 3x --load 100/s
//! --cost-per-instance-hour 0.5` against the built-in target's pool of four 20 ms workers
//! (200/s). It must read back with every section where the reports look for it, and its
//! figures must agree with each other.

use std::path::PathBuf;

use rigor_model::output::capacity::{CapacityReport, SearchEnd, SearchModel, StepVerdictKind};

fn report() -> CapacityReport {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/capacity-analysis-v1.json");
    let text = std::fs::read_to_string(path).expect("fixture");
    serde_json::from_str(&text).expect("the captured report parses")
}

#[test]
fn the_capacity_sections_read_back_and_agree() {
    let r = report();
    assert_eq!(r.schema_version, 1);
    assert_eq!((r.scenario.as_str(), r.model), ("api", SearchModel::Open));
    assert_eq!(r.outcome.ended, SearchEnd::Bracketed);
    // The capacity is what the highest passing step achieved; the bracket its offered rate
    // and the lowest that failed.
    let pass = r
        .steps
        .iter()
        .filter(|s| s.verdict == StepVerdictKind::Pass)
        .max_by(|a, b| {
            a.offered_per_s
                .unwrap()
                .total_cmp(&b.offered_per_s.unwrap())
        })
        .unwrap();
    assert_eq!(r.outcome.max_sustainable_per_s, Some(pass.achieved_per_s));
    assert_eq!(r.outcome.last_pass_per_s, pass.offered_per_s);
    let fail = r.outcome.first_fail_per_s.unwrap();
    assert!(fail > pass.offered_per_s.unwrap());
    assert!(r
        .steps
        .iter()
        .filter(|s| s.verdict == StepVerdictKind::Fail)
        .all(|s| !s.reasons.is_empty() && s.offered_per_s.unwrap() >= fail));
    // Little's law on every step: in flight = achieved × mean latency.
    for s in &r.steps {
        let expected = s.achieved_per_s * s.latency_mean_ns.unwrap() / 1e9;
        assert!((s.in_flight.unwrap() - expected).abs() < 1e-9, "{s:?}");
    }
    // The knee lies at or below the last rate sustained.
    let knee = r.knee.as_ref().unwrap();
    let at = knee.kneedle.as_ref().unwrap();
    let step = &r.steps[at.step as usize - 1];
    assert!(step.offered_per_s.unwrap() <= pass.offered_per_s.unwrap());
    assert_eq!(at.throughput_per_s, step.achieved_per_s);
    // The model: one point a step, a residual each, its curve drawn to twice the most measured.
    let m = r.scalability.as_ref().unwrap();
    assert_eq!(
        (m.points.len(), m.residuals.len()),
        (r.steps.len(), r.steps.len())
    );
    assert!((0.0..=1.0).contains(&m.r_squared));
    let end = m.curve.last().unwrap().0;
    assert!((end - 2.0 * m.largest_measured).abs() < 1e-9);
    // Growth: 3 × 100/s on the capacity found, at 70 %.
    let g = r.growth.as_ref().unwrap();
    assert_eq!(
        (g.current_per_s, g.factor, g.projected_per_s),
        (100.0, 3.0, 300.0)
    );
    assert_eq!(g.capacity_per_instance_per_s, pass.achieved_per_s);
    let needed = (300.0 / (g.capacity_per_instance_per_s * 0.7)).ceil() as u32;
    assert_eq!(g.instances_needed, needed);
    assert!(g.cost_per_million_requests.unwrap() > 0.0);
}
