//! Named baselines on a real SQLite file: set, replace, look up, list, refuse.

mod common;

use common::{finished_run, new_run};
use rigor_store::RunKind;
use rigor_store::{Baseline, RunStatus, SqliteStore, Store, StoreError};

fn temp_store() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&dir.path().join("rigor.db")).expect("open store");
    (dir, store)
}

fn baseline(name: &str, kind: RunKind, scenario: &str, env: &str, run: i64, at: i64) -> Baseline {
    Baseline {
        name: name.to_string(),
        kind,
        scenario: scenario.to_string(),
        environment_key: env.to_string(),
        run_id: run,
        set_at_ns: at,
        reason: None,
    }
}

#[test]
fn a_baseline_takes_its_kind_and_scenario_from_the_run() {
    let (_dir, mut store) = temp_store();
    let run = finished_run(&mut store, "product-get", RunKind::Load, 10);
    let set = store
        .set_baseline("main", run, "env-a", 100)
        .expect("set baseline");
    let expected = baseline("main", RunKind::Load, "product-get", "env-a", run, 100);
    assert_eq!(set, expected);
    assert_eq!(
        store
            .baseline("main", RunKind::Load, "product-get", Some("env-a"))
            .expect("lookup"),
        Some(expected.clone())
    );
    assert_eq!(
        store
            .baseline("main", RunKind::Load, "product-get", None)
            .expect("lookup any env"),
        Some(expected)
    );
}

#[test]
fn setting_a_baseline_again_replaces_only_the_same_name_kind_scenario_and_environment() {
    let (_dir, mut store) = temp_store();
    let first = finished_run(&mut store, "s", RunKind::Load, 10);
    let second = finished_run(&mut store, "s", RunKind::Load, 20);
    let other = finished_run(&mut store, "t", RunKind::Load, 30);
    store
        .set_baseline("main", first, "env-a", 100)
        .expect("set");
    store
        .set_baseline("main", first, "env-b", 101)
        .expect("set");
    store
        .set_baseline("release", first, "env-a", 102)
        .expect("set");
    store
        .set_baseline("main", other, "env-a", 103)
        .expect("set");

    store
        .set_baseline("main", second, "env-a", 200)
        .expect("replace");

    assert_eq!(
        store.baselines(None, None).expect("list"),
        vec![
            baseline("main", RunKind::Load, "s", "env-a", second, 200),
            baseline("main", RunKind::Load, "s", "env-b", first, 101),
            baseline("release", RunKind::Load, "s", "env-a", first, 102),
            baseline("main", RunKind::Load, "t", "env-a", other, 103),
        ]
    );
}

#[test]
fn lookup_is_per_environment_or_the_most_recently_set_in_any() {
    let (_dir, mut store) = temp_store();
    let a = finished_run(&mut store, "s", RunKind::Load, 10);
    let b = finished_run(&mut store, "s", RunKind::Load, 20);
    let c = finished_run(&mut store, "s", RunKind::Load, 30);
    store.set_baseline("main", a, "env-a", 300).expect("set a");
    store.set_baseline("main", b, "env-b", 100).expect("set b");

    let lookup = |store: &SqliteStore, env| {
        store
            .baseline("main", RunKind::Load, "s", env)
            .expect("lookup")
            .map(|b| (b.run_id, b.environment_key))
    };
    assert_eq!(lookup(&store, Some("env-a")), Some((a, "env-a".into())));
    assert_eq!(lookup(&store, Some("env-b")), Some((b, "env-b".into())));
    assert_eq!(lookup(&store, Some("env-c")), None);
    // The newest by set time, not the last written nor the newest run.
    assert_eq!(lookup(&store, None), Some((a, "env-a".into())));

    // Set at the same instant: the one set last wins.
    store.set_baseline("main", c, "env-c", 300).expect("set c");
    assert_eq!(lookup(&store, None), Some((c, "env-c".into())));
    store
        .set_baseline("main", a, "env-a", 300)
        .expect("set a again");
    assert_eq!(lookup(&store, None), Some((a, "env-a".into())));
}

#[test]
fn lookup_needs_the_name_kind_and_scenario_to_match() {
    let (_dir, mut store) = temp_store();
    let load = finished_run(&mut store, "parse", RunKind::Load, 10);
    let bench = finished_run(&mut store, "parse", RunKind::Bench, 20);
    store
        .set_baseline("main", load, "env", 100)
        .expect("set load");
    store
        .set_baseline("main", bench, "env", 100)
        .expect("set bench");

    let run_of = |name, kind, scenario| {
        store
            .baseline(name, kind, scenario, Some("env"))
            .expect("lookup")
            .map(|b| b.run_id)
    };
    assert_eq!(run_of("main", RunKind::Load, "parse"), Some(load));
    assert_eq!(run_of("main", RunKind::Bench, "parse"), Some(bench));
    assert_eq!(run_of("main", RunKind::Load, "other"), None);
    assert_eq!(run_of("mian", RunKind::Load, "parse"), None);
}

#[test]
fn a_running_or_aborted_run_cannot_be_a_baseline() {
    let (dir, mut store) = temp_store();
    let path = dir.path().join("rigor.db");
    let good = finished_run(&mut store, "s", RunKind::Load, 1);
    store.set_baseline("main", good, "env", 10).expect("set");

    let running = store
        .begin_run(&new_run("s", RunKind::Load, 2))
        .expect("begin");
    let aborted = store
        .begin_run(&new_run("s", RunKind::Load, 3))
        .expect("begin");
    store
        .finish_run(
            aborted,
            &common::end(RunStatus::Aborted, Some("target down"), 4, "{}"),
        )
        .expect("abort");

    for (id, status) in [(running, RunStatus::Running), (aborted, RunStatus::Aborted)] {
        let err = store
            .set_baseline("main", id, "env", 20)
            .expect_err("refused");
        assert!(
            matches!(err, StoreError::NotABaseline { id: i, status: s, .. } if i == id && s == status),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            format!(
                "run {id} is {}: only a finished run can be a baseline; `rigor runs` lists the \
                 runs in {}",
                status.as_str(),
                path.display()
            )
        );
    }
    // The refusals changed nothing.
    assert_eq!(
        store.baselines(None, None).expect("list"),
        vec![baseline("main", RunKind::Load, "s", "env", good, 10)]
    );
}

#[test]
fn every_other_ending_can_be_a_baseline() {
    let (_dir, mut store) = temp_store();
    for (i, status) in [
        RunStatus::Passed,
        RunStatus::Failed,
        RunStatus::Invalid,
        RunStatus::Interrupted,
    ]
    .into_iter()
    .enumerate()
    {
        let id = store
            .begin_run(&new_run("s", RunKind::Load, 1))
            .expect("begin");
        store
            .finish_run(id, &common::end(status, None, 2, "{}"))
            .expect("finish");
        let name = format!("b{i}");
        let set = store.set_baseline(&name, id, "env", 3);
        assert_eq!(set.expect("accepted").run_id, id, "{status:?}");
    }
}

#[test]
fn a_missing_run_cannot_be_a_baseline() {
    let (dir, mut store) = temp_store();
    let err = store
        .set_baseline("main", 4242, "env", 1)
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
    assert!(store.baselines(None, None).expect("list").is_empty());
}

#[test]
fn baselines_survive_new_runs_and_reopening() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("rigor.db");
    let (base, expected) = {
        let mut store = SqliteStore::open(&path).expect("open");
        let base = finished_run(&mut store, "s", RunKind::Load, 10);
        let expected = store.set_baseline("main", base, "env", 11).expect("set");
        (base, expected)
    };
    let mut store = SqliteStore::open(&path).expect("reopen");
    let newer = finished_run(&mut store, "s", RunKind::Load, 20);
    assert!(newer > base);
    assert_eq!(
        store
            .baseline("main", RunKind::Load, "s", Some("env"))
            .expect("lookup"),
        Some(expected.clone())
    );
    assert_eq!(
        store
            .baseline("main", RunKind::Load, "s", None)
            .expect("lookup"),
        Some(expected)
    );
}

#[test]
fn baselines_list_by_scenario_then_name_then_newest_and_filter() {
    let (_dir, mut store) = temp_store();
    let b1 = finished_run(&mut store, "beta", RunKind::Load, 1);
    let a1 = finished_run(&mut store, "alpha", RunKind::Load, 2);
    let a2 = finished_run(&mut store, "alpha", RunKind::Bench, 3);
    store.set_baseline("zeta", b1, "e1", 10).expect("set");
    store.set_baseline("main", a1, "e1", 10).expect("set");
    store.set_baseline("main", a1, "e2", 30).expect("set");
    store.set_baseline("main", a2, "e1", 20).expect("set");
    store.set_baseline("alpha", b1, "e1", 5).expect("set");

    let all = store.baselines(None, None).expect("all");
    let keys: Vec<(&str, &str, RunKind, &str)> = all
        .iter()
        .map(|b| {
            (
                b.scenario.as_str(),
                b.name.as_str(),
                b.kind,
                b.environment_key.as_str(),
            )
        })
        .collect();
    assert_eq!(
        keys,
        vec![
            ("alpha", "main", RunKind::Load, "e2"),
            ("alpha", "main", RunKind::Bench, "e1"),
            ("alpha", "main", RunKind::Load, "e1"),
            ("beta", "alpha", RunKind::Load, "e1"),
            ("beta", "zeta", RunKind::Load, "e1"),
        ]
    );

    let runs = |kind, scenario| -> Vec<i64> {
        store
            .baselines(kind, scenario)
            .expect("filtered")
            .iter()
            .map(|b| b.run_id)
            .collect()
    };
    assert_eq!(runs(Some(RunKind::Bench), None), vec![a2]);
    assert_eq!(runs(None, Some("beta")), vec![b1, b1]);
    assert_eq!(runs(Some(RunKind::Load), Some("alpha")), vec![a1, a1]);
    assert_eq!(runs(Some(RunKind::Bench), Some("beta")), Vec::<i64>::new());
}

#[test]
fn baseline_names_are_distinct_and_sorted() {
    let (_dir, mut store) = temp_store();
    assert!(store.baseline_names().expect("names").is_empty());
    let load = finished_run(&mut store, "s", RunKind::Load, 1);
    let bench = finished_run(&mut store, "t", RunKind::Bench, 2);
    store
        .set_baseline("release-1.2", load, "e1", 1)
        .expect("set");
    store.set_baseline("main", load, "e1", 2).expect("set");
    store.set_baseline("main", load, "e2", 3).expect("set");
    store.set_baseline("main", bench, "e1", 4).expect("set");
    store.set_baseline("Main", bench, "e1", 5).expect("set");
    assert_eq!(
        store.baseline_names().expect("names"),
        vec!["Main", "main", "release-1.2"]
    );
}

#[test]
fn a_baseline_set_for_a_reason_keeps_it_and_one_set_by_hand_has_none() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("rigor.db")).unwrap();
    let a = finished_run(&mut store, "work", RunKind::Bench, 1);
    let b = finished_run(&mut store, "work", RunKind::Bench, 3);
    let set = store.set_baseline("main", a, "env", 10).unwrap();
    assert_eq!(set.reason, None);
    let why = "an improvement step of -20.0 % at run 2";
    let moved = store
        .set_baseline_because("main", b, "env", 11, why)
        .unwrap();
    assert_eq!(moved.reason.as_deref(), Some(why));
    let read = store
        .baseline("main", RunKind::Bench, "work", Some("env"))
        .unwrap()
        .unwrap();
    assert_eq!((read.run_id, read.reason.as_deref()), (b, Some(why)));
}
