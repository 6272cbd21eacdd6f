//! The gate history on a real SQLite file.

mod common;

use common::finished_run;
use rigor_store::RunKind;
use rigor_store::{GateRecord, RunId, SqliteStore, Store, StoreError};

fn temp_store() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&dir.path().join("rigor.db")).expect("open store");
    (dir, store)
}

fn record(
    run_id: RunId,
    check: &str,
    scenario: &str,
    outcome: &str,
    value: Option<f64>,
) -> GateRecord {
    GateRecord {
        run_id,
        check: check.to_string(),
        scenario: scenario.to_string(),
        outcome: outcome.to_string(),
        value,
        at_ns: 1_000 + run_id,
    }
}

const P95: &str = "rule:latency.p95:+30%";
const ERRORS: &str = "budget:error_rate<1%";

#[test]
fn gate_records_round_trip_with_and_without_a_value() {
    let (_dir, mut store) = temp_store();
    let run = finished_run(&mut store, "s", RunKind::Load, 10);
    let with = record(run, P95, "s", "fail", Some(0.3125));
    let without = record(run, ERRORS, "s", "pass", None);
    store
        .record_gate(&[with.clone(), without.clone()])
        .expect("record");
    assert_eq!(
        store.gate_history(P95, "s", 10).expect("history"),
        vec![with]
    );
    assert_eq!(
        store.gate_history(ERRORS, "s", 10).expect("history"),
        vec![without]
    );
}

#[test]
fn recording_the_same_run_and_check_again_replaces_it() {
    let (_dir, mut store) = temp_store();
    let run = finished_run(&mut store, "s", RunKind::Load, 10);
    store
        .record_gate(&[record(run, P95, "s", "fail", Some(0.5))])
        .expect("first");
    let mut again = record(run, P95, "s", "pass", None);
    again.at_ns = 99_999;
    store
        .record_gate(std::slice::from_ref(&again))
        .expect("again");
    assert_eq!(
        store.gate_history(P95, "s", 10).expect("history"),
        vec![again]
    );

    // Within one batch, the last record for a (run, check) wins.
    let last = record(run, P95, "s", "warn", Some(2.0));
    store
        .record_gate(&[record(run, P95, "s", "breach", Some(1.0)), last.clone()])
        .expect("batch");
    assert_eq!(
        store.gate_history(P95, "s", 10).expect("history"),
        vec![last]
    );
}

#[test]
fn history_is_newest_run_first_by_start_time_then_id() {
    let (_dir, mut store) = temp_store();
    // Run ids grow, start times do not (an imported run may be older than the runs before it).
    let late = finished_run(&mut store, "s", RunKind::Load, 300);
    let early = finished_run(&mut store, "s", RunKind::Load, 100);
    let tie_first = finished_run(&mut store, "s", RunKind::Load, 200);
    let tie_second = finished_run(&mut store, "s", RunKind::Load, 200);
    // Recorded in an order that matches neither.
    for run in [tie_first, late, tie_second, early] {
        store
            .record_gate(&[record(run, P95, "s", "pass", Some(run as f64))])
            .expect("record");
    }
    let order: Vec<RunId> = store
        .gate_history(P95, "s", 10)
        .expect("history")
        .iter()
        .map(|r| r.run_id)
        .collect();
    assert_eq!(order, vec![late, tie_second, tie_first, early]);

    let newest_two: Vec<RunId> = store
        .gate_history(P95, "s", 2)
        .expect("history")
        .iter()
        .map(|r| r.run_id)
        .collect();
    assert_eq!(newest_two, vec![late, tie_second]);
    assert!(store.gate_history(P95, "s", 0).expect("history").is_empty());
    assert_eq!(
        store
            .gate_history(P95, "s", usize::MAX)
            .expect("history")
            .len(),
        4
    );
}

#[test]
fn history_filters_by_check_and_scenario() {
    let (_dir, mut store) = temp_store();
    let s1 = finished_run(&mut store, "s", RunKind::Load, 10);
    let s2 = finished_run(&mut store, "s", RunKind::Load, 20);
    let t1 = finished_run(&mut store, "t", RunKind::Load, 30);
    store
        .record_gate(&[
            record(s1, P95, "s", "pass", Some(1.0)),
            record(s1, ERRORS, "s", "pass", Some(0.0)),
            record(s2, P95, "s", "fail", Some(2.0)),
            record(t1, P95, "t", "fail", Some(3.0)),
            record(t1, ERRORS, "t", "fail", Some(0.02)),
        ])
        .expect("record");

    let ids = |check, scenario| -> Vec<(RunId, String)> {
        store
            .gate_history(check, scenario, 10)
            .expect("history")
            .into_iter()
            .map(|r| (r.run_id, r.outcome))
            .collect()
    };
    assert_eq!(
        ids(P95, "s"),
        vec![(s2, "fail".to_string()), (s1, "pass".to_string())]
    );
    assert_eq!(ids(ERRORS, "s"), vec![(s1, "pass".to_string())]);
    assert_eq!(ids(P95, "t"), vec![(t1, "fail".to_string())]);
    assert!(ids("rule:latency.p99:+20%", "s").is_empty());
    assert!(ids(P95, "u").is_empty());
}

#[test]
fn a_batch_naming_a_missing_run_stores_nothing() {
    let (dir, mut store) = temp_store();
    let run = finished_run(&mut store, "s", RunKind::Load, 10);
    let err = store
        .record_gate(&[
            record(run, P95, "s", "pass", Some(1.0)),
            record(4242, P95, "s", "pass", Some(1.0)),
        ])
        .expect_err("missing run");
    assert!(
        matches!(err, StoreError::NotFound { id: 4242, .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "run 4242 is not in the run store {}: `rigor runs` lists the stored runs",
            dir.path().join("rigor.db").display()
        )
    );
    assert!(store
        .gate_history(P95, "s", 10)
        .expect("history")
        .is_empty());
}

#[test]
fn an_empty_batch_is_fine_and_the_history_survives_reopening() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("rigor.db");
    let kept = {
        let mut store = SqliteStore::open(&path).expect("open");
        store.record_gate(&[]).expect("empty batch");
        let run = finished_run(&mut store, "s", RunKind::Load, 10);
        let kept = record(run, P95, "s", "pass", Some(f64::INFINITY));
        store
            .record_gate(std::slice::from_ref(&kept))
            .expect("record");
        kept
    };
    let mut store = SqliteStore::open(&path).expect("reopen");
    finished_run(&mut store, "s", RunKind::Load, 20);
    assert_eq!(
        store.gate_history(P95, "s", 10).expect("history"),
        vec![kept]
    );
}

#[test]
fn a_checks_history_moves_to_its_new_key_and_the_newer_record_wins() {
    let (_dir, mut store) = temp_store();
    let a = finished_run(&mut store, "s", RunKind::Load, 10);
    let b = finished_run(&mut store, "s", RunKind::Load, 20);
    let other = finished_run(&mut store, "t", RunKind::Load, 30);
    let new = "rule:latency.p95 <= +30%";
    store
        .record_gate(&[
            record(a, P95, "s", "fail", None),
            record(b, P95, "s", "pending", None),
            // Run b was already judged under the new key: that record is kept.
            record(b, new, "s", "pass", None),
            record(other, P95, "t", "fail", None),
        ])
        .expect("record");
    let moved = store.rename_gate_check("s", P95, new).expect("rename");
    assert_eq!(moved, 1);
    let history = store.gate_history(new, "s", 10).expect("history");
    let outcomes: Vec<(RunId, &str)> = history
        .iter()
        .map(|r| (r.run_id, r.outcome.as_str()))
        .collect();
    assert_eq!(outcomes, [(b, "pass"), (a, "fail")]);
    assert!(store.gate_history(P95, "s", 10).expect("old").is_empty());
    assert_eq!(
        store
            .gate_history(P95, "t", 10)
            .expect("other scenario")
            .len(),
        1,
        "only scenario s moved"
    );
    assert_eq!(store.rename_gate_check("s", P95, new).expect("again"), 0);
}
