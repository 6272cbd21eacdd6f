//! A real load recorded into a real SQLite store that runs out of room: the measurement comes
//! back whole, the failure is told the moment it happens, and what the store did not take is in
//! a fallback file (a run store of its own). The store is size-limited with SQLite's `max_page_count`
//! ([`SqliteStore::limit_size`]), so this runs anywhere, without a small filesystem.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rigor_model::plan::{PhaseKind, PhaseSpec, RequestSpec, ScenarioSpec};
use rigor_model::StopHandle;
use rigor_recorder::{prepare_load, LoadOptions, RecordError};
use rigor_store::{
    NewRun, RunFilter, RunKind, RunStatus, SqliteStore, Store, StoreError, StoredWindow,
};

/// A 3-second open-model scenario at 50/s against `url` (loopback).
fn scenario(url: &str) -> rigor_model::plan::Scenario {
    let spec = ScenarioSpec {
        name: "full".into(),
        phases: vec![PhaseSpec {
            kind: PhaseKind::Steady,
            duration: Some("3s".parse().expect("duration")),
            rate: Some("50/s".parse().expect("rate")),
            ..Default::default()
        }],
        request: vec![RequestSpec {
            url: url.into(),
            ..Default::default()
        }],
        ..Default::default()
    };
    spec.resolve(std::path::Path::new(".")).expect("scenario")
}

fn options(dir: &std::path::Path) -> LoadOptions {
    LoadOptions {
        threads: 1,
        max_lag: std::time::Duration::from_millis(250),
        project_dir: dir.to_path_buf(),
        plan_text: None,
        target_pid: None,
        target: None,
        profile: None,
        target_metrics: None,
        memory_limit: None,
        live: None,
        probes: Vec::new(),
    }
}

fn target() -> rigor_target::RunningTarget {
    let config = rigor_target::TargetConfig {
        routes: vec!["/: latency=1ms".parse().expect("route")],
        stall: None,
        threads: 1,
        gauges: Vec::new(),
    };
    rigor_target::spawn("127.0.0.1:0".parse().expect("addr"), config).expect("target starts")
}

/// A store at its size limit whose windows table has no room left: small windows of a filler
/// run are appended until SQLite refuses, so the next window of any run needs a page it cannot
/// have, while a run's start row still fits the runs table.
fn full_store(path: &std::path::Path) -> SqliteStore {
    let mut store = SqliteStore::open(path).expect("store");
    let filler = store
        .begin_run(&NewRun {
            kind: RunKind::Load,
            scenario: "filler".into(),
            plan: "{}".into(),
            started_at_ns: 0,
            environment: "{}".into(),
            git_commit: None,
            owner: None,
        })
        .expect("filler run");
    store.limit_size(64 * 1024).expect("limit");
    for second in 0.. {
        let window = StoredWindow {
            second,
            phase: "fill".into(),
            raw: vec![0; 64],
            corrected: vec![0; 64],
            ..StoredWindow::default()
        };
        match store.append_windows(filler, &[window]) {
            Ok(()) => {}
            Err(StoreError::Full { .. }) => break,
            Err(other) => panic!("filling the store: {other}"),
        }
    }
    store
}

#[test]
fn a_store_that_fills_up_during_a_run_loses_nothing_of_the_measurement() {
    let dir = tempfile::tempdir().expect("temp dir");
    let t = target();
    let mut store = full_store(&dir.path().join("rigor.db"));
    let told = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&told);
    let prepared = prepare_load(&scenario(&t.url("/")), &options(dir.path()))
        .expect("prepared")
        .on_lost(Box::new(move |error| {
            assert!(matches!(error, StoreError::Full { .. }), "{error}");
            counter.fetch_add(1, Ordering::SeqCst);
        }));
    let mut windows_seen = 0;
    let recorded = prepared
        .record(&mut store, &StopHandle::new(), &mut |_| windows_seen += 1)
        .expect("the run is measured");

    // The measurement is whole: every request of the plan was sent and answered.
    let summary = &recorded.value;
    assert_eq!(summary.total.requests, 150, "{:?}", summary.total);
    assert_eq!(summary.total.errors, 0);
    // Told once, at the first write that failed, not at the end.
    assert_eq!(told.load(Ordering::SeqCst), 1);

    let lost = recorded.lost.expect("the store could not take the run");
    assert!(
        matches!(lost.first, StoreError::Full { .. }),
        "{}",
        lost.first
    );
    assert!(lost.failed >= 1);
    let text = lost.to_string();
    assert!(text.contains("rigor.db"), "{text}");
    assert!(text.contains("database or disk is full"), "{text}");
    assert!(text.contains("free space"), "{text}");
    let fallback = lost.fallback.clone().expect("a fallback file");
    assert!(text.contains(&fallback.display().to_string()), "{text}");
    {
        // The fallback holds the run, its summary and the windows the store had no room for.
        let saved = SqliteStore::open_for_reading(&fallback).expect("fallback readable");
        let run = saved
            .latest_run(&RunFilter::default())
            .expect("runs")
            .expect("the run");
        let summary: serde_json::Value =
            serde_json::from_str(run.summary.as_deref().expect("a summary")).expect("JSON");
        assert_eq!(summary["run_id"], lost.run);
        assert_eq!(summary["total"]["requests"], 150);
        assert_eq!(
            (run.scenario.as_str(), run.status),
            ("full", RunStatus::Completed)
        );
        assert_eq!(saved.windows(run.id).expect("windows").len(), windows_seen);
    }
    let _ = std::fs::remove_file(&fallback);

    // The store kept what it could: the run and its end with the status measured (the runs
    // table still had room), none of the windows, for which it had none. Its summary is
    // there or, where it did not fit, the run's reason says which file holds it: never a
    // measured run left reading as aborted.
    let run = store.run(lost.run).expect("the run's start was stored");
    assert_eq!(
        (run.scenario.as_str(), run.status),
        ("full", RunStatus::Completed)
    );
    let in_store = run
        .summary
        .as_deref()
        .is_some_and(|s| s.contains("\"requests\":150"));
    let pointed = run.status_reason.as_deref().is_some_and(|r| {
        r.contains("ran out of room") && r.contains(&fallback.display().to_string())
    });
    assert!(in_store || pointed, "{:?}", run.status_reason);
    assert_eq!(store.windows(lost.run).expect("windows").len(), 0);
    assert_eq!(
        lost.failed,
        windows_seen as u64 + u64::from(!in_store),
        "one failed write per window, and the run's end if it did not fit"
    );
}

#[test]
fn a_store_with_no_room_refuses_the_run_before_any_request_is_sent() {
    let dir = tempfile::tempdir().expect("temp dir");
    let t = target();
    let path = dir.path().join("rigor.db");
    let mut store = SqliteStore::open(&path).expect("store");
    store.limit_size(0).expect("limit to what it holds");
    // Fill the runs table itself: the next run's start cannot be written.
    let mut filled = 0;
    loop {
        let run = NewRun {
            kind: RunKind::Load,
            scenario: "filler".into(),
            plan: "x".into(),
            started_at_ns: 0,
            environment: "{}".into(),
            git_commit: None,
            owner: None,
        };
        match store.begin_run(&run) {
            Ok(_) => filled += 1,
            Err(StoreError::Full { .. }) => break,
            Err(other) => panic!("filling the store: {other}"),
        }
    }
    let prepared = prepare_load(&scenario(&t.url("/")), &options(dir.path())).expect("prepared");
    let mut windows = 0;
    let error = prepared
        .record(&mut store, &StopHandle::new(), &mut |_| windows += 1)
        .expect_err("refused");
    assert!(
        matches!(error, RecordError::Begin(StoreError::Full { .. })),
        "{error}"
    );
    assert!(!error.is_bad_input());
    assert_eq!(windows, 0, "nothing was measured");
    assert!(
        error.to_string().contains("free space on its disk"),
        "{error}"
    );
    let runs = store.runs(&RunFilter::default()).expect("runs");
    assert_eq!(runs.len(), filled, "no run was added");
}
