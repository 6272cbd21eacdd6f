//! Capacity searches kept in a real SQLite file: created at their first step with their id
//! written into the report, saved whole after every step, listed by scenario, and kept when
//! the store is opened again.

use rigor_model::output::capacity::{
    CapacityOutcome, CapacityReport, CapacitySettings, SearchEnd, SearchModel,
    CAPACITY_SCHEMA_VERSION,
};
use rigor_store::{SqliteStore, Store, StoreError};

fn report(scenario: &str) -> CapacityReport {
    CapacityReport {
        schema_version: CAPACITY_SCHEMA_VERSION,
        search_id: None,
        scenario: scenario.into(),
        model: SearchModel::Open,
        slos: vec!["latency.p99 < 200ms".into()],
        settings: CapacitySettings {
            start_per_s: Some(50.0),
            factor: Some(1.5),
            step_per_s: None,
            max_rate_per_s: Some(3200.0),
            concurrency: Vec::new(),
            max_time_s: 600.0,
            rounds: 3,
            ramp_s: 2.0,
            warmup_s: 2.0,
            hold_s: 10.0,
        },
        started_at_ns: 1,
        steps: Vec::new(),
        outcome: CapacityOutcome {
            ended: SearchEnd::Interrupted,
            max_sustainable_per_s: None,
            last_pass_per_s: None,
            first_fail_per_s: None,
            summary: String::new(),
            notes: Vec::new(),
        },
        knee: None,
        scalability: None,
        growth: None,
    }
}

#[test]
fn a_search_is_kept_whole_after_every_save_and_listed_by_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rigor.db");
    let mut store = SqliteStore::open(&path).unwrap();
    let id = store.create_capacity_search(&report("api"), 10).unwrap();
    let other = store
        .create_capacity_search(&report("checkout"), 11)
        .unwrap();
    assert_ne!(id, other);
    let mut r = store.capacity_searches(Some("api")).unwrap().remove(0);
    assert_eq!(r.search_id, Some(id));
    r.outcome.ended = SearchEnd::Bracketed;
    r.outcome.max_sustainable_per_s = Some(200.4);
    store.save_capacity_search(&r, 12).unwrap();
    drop(store);
    let store = SqliteStore::open(&path).unwrap();
    let all = store.capacity_searches(None).unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0], r, "read back as saved");
    assert_eq!(all[1].scenario, "checkout");
    assert!(store.capacity_searches(Some("nothing")).unwrap().is_empty());
}

#[test]
fn saving_a_search_the_store_does_not_have_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("rigor.db")).unwrap();
    let mut r = report("api");
    r.search_id = Some(41);
    let e = store.save_capacity_search(&r, 1).unwrap_err();
    assert!(matches!(e, StoreError::NoSearch { .. }), "{e}");
    assert!(e.to_string().contains("rigor capacity"), "{e}");
}
