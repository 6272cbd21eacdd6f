//! Folding real `perf script` captures of the built-in target under load (fixtures made with
//! `perf record -e cpu-clock -F 99 --call-graph fp -p PID` and `perf script`, not by hand):
//! one on a route that burns 2 ms of CPU a request, one on a route that only waits.

use rigor_model::output::profile::ProfileCapture;
use rigor_profile::fold_perf_script;

const BUSY: &str = include_str!("fixtures/target-busy.perf-script.txt");
const IDLE: &str = include_str!("fixtures/target-idle.perf-script.txt");

/// Samples in a capture: one header line each (the line naming the event).
fn headers(script: &str) -> u64 {
    script.lines().filter(|l| l.contains(" cpu-clock:")).count() as u64
}

#[test]
fn every_sample_is_folded_with_its_module() {
    let folded = fold_perf_script(BUSY).unwrap();
    assert_eq!(folded.samples, headers(BUSY));
    let counted: u64 = folded
        .text
        .lines()
        .map(|l| l.rsplit_once(' ').unwrap().1.parse::<u64>().unwrap())
        .sum();
    assert_eq!(
        counted, folded.samples,
        "each sample counts once, not by its period"
    );
    assert!(folded
        .text
        .lines()
        .all(|l| l.starts_with("tokio-rt-worker;") || !l.contains("burn_cpu")));
    assert_eq!(
        folded
            .modules
            .get("rigor_target::behaviour::burn_cpu")
            .map(String::as_str),
        Some("rigor")
    );
    assert_eq!(
        folded.modules.get("start_thread").map(String::as_str),
        Some("libc.so.6")
    );
    // The capture's binary had no frame pointers: the stacks say so, and the hint names the fix.
    assert!(
        folded
            .hints
            .iter()
            .any(|h| h.contains("force-frame-pointers")),
        "{:?}",
        folded.hints
    );
}

#[test]
fn the_work_is_the_hottest_frame_and_the_largest_growth() {
    let busy = fold_perf_script(BUSY).unwrap();
    let idle = fold_perf_script(IDLE).unwrap();
    let capture = ProfileCapture {
        modules: busy.modules.clone(),
        ..ProfileCapture::default()
    };
    let report = rigor_analysis::profile::hottest(1, &capture, &busy.text, 10);
    assert_eq!(
        report.hottest[0].frame, "rigor_target::behaviour::burn_cpu",
        "{:#?}",
        report.hottest
    );
    assert_eq!(report.hottest[0].module.as_deref(), Some("rigor"));
    assert!(
        report.hottest[0].self_share > 0.2,
        "{:?}",
        report.hottest[0]
    );
    assert_eq!(idle.samples, headers(IDLE));
    let (grew, _) =
        rigor_analysis::profile::diff((&idle.text, &idle.modules), (&busy.text, &busy.modules), 5);
    assert_eq!(
        grew[0].frame, "rigor_target::behaviour::burn_cpu",
        "{grew:#?}"
    );
}
