//! Round trips of every `Store` method on a real SQLite file.

mod common;

use std::path::PathBuf;

use common::{histogram, new_run, window};
use rigor_store::RunKind;
use rigor_store::{RunFilter, RunStatus, SqliteStore, Store, StoreError, StoredWindow};

fn temp_store() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&dir.path().join("rigor.db")).expect("open store");
    (dir, store)
}

#[test]
fn a_begun_run_is_running_with_everything_it_was_given() {
    let (_dir, mut store) = temp_store();
    let new = new_run("product-get", RunKind::Load, 1_700_000_000_123_456_789);
    let id = store.begin_run(&new).expect("begin");

    let run = store.run(id).expect("read back");
    assert_eq!(run.id, id);
    assert_eq!(run.kind, RunKind::Load);
    assert_eq!(run.scenario, "product-get");
    assert_eq!(run.status, RunStatus::Running);
    assert_eq!(run.status_reason, None);
    assert_eq!(run.started_at_ns, 1_700_000_000_123_456_789);
    assert_eq!(run.ended_at_ns, None);
    assert_eq!(run.plan, new.plan);
    assert_eq!(run.environment, new.environment);
    assert_eq!(run.summary, None);
    assert_eq!(run.git_commit.as_deref(), Some("1232b26"));
}

#[test]
fn a_run_without_a_git_commit_reads_back_without_one() {
    let (_dir, mut store) = temp_store();
    let mut new = new_run("parse-large", RunKind::Bench, 1);
    new.git_commit = None;
    let id = store.begin_run(&new).expect("begin");
    assert_eq!(store.run(id).expect("read").git_commit, None);
}

#[test]
fn finishing_records_status_reason_end_and_summary() {
    let (_dir, mut store) = temp_store();
    let id = store
        .begin_run(&new_run("s", RunKind::Load, 10))
        .expect("begin");
    let summary = r#"{"schema_version":1,"status":"invalid"}"#;
    store
        .finish_run(
            id,
            &common::end(RunStatus::Invalid, Some("generator saturated"), 20, summary),
        )
        .expect("finish");

    let run = store.run(id).expect("read back");
    assert_eq!(run.status, RunStatus::Invalid);
    assert_eq!(run.status_reason.as_deref(), Some("generator saturated"));
    assert_eq!(run.ended_at_ns, Some(20));
    assert_eq!(run.summary.as_deref(), Some(summary));
}

#[test]
fn every_status_round_trips() {
    let (_dir, mut store) = temp_store();
    for status in [
        RunStatus::Running,
        RunStatus::Passed,
        RunStatus::Failed,
        RunStatus::Invalid,
        RunStatus::Interrupted,
        RunStatus::Aborted,
    ] {
        let id = store
            .begin_run(&new_run("s", RunKind::Load, 1))
            .expect("begin");
        store
            .finish_run(id, &common::end(status, None, 2, "{}"))
            .expect("finish");
        assert_eq!(store.run(id).expect("read").status, status);
    }
}

#[test]
fn windows_read_back_by_second_then_phase_whatever_the_write_order() {
    let (_dir, mut store) = temp_store();
    let id = store
        .begin_run(&new_run("s", RunKind::Load, 1))
        .expect("begin");
    store
        .append_windows(id, &[window(2, "steady"), window(1, "ramp")])
        .expect("first batch");
    store
        .append_windows(id, &[window(1, "steady"), window(0, "ramp")])
        .expect("second batch");
    store.append_windows(id, &[]).expect("an empty batch");

    let expected = vec![
        window(0, "ramp"),
        window(1, "ramp"),
        window(1, "steady"),
        window(2, "steady"),
    ];
    assert_eq!(store.windows(id).expect("windows"), expected);
}

#[test]
fn counts_up_to_the_largest_sqlite_integer_round_trip() {
    let (_dir, mut store) = temp_store();
    let id = store
        .begin_run(&new_run("s", RunKind::Load, 1))
        .expect("begin");
    let big = StoredWindow {
        second: u32::MAX,
        requests: i64::MAX as u64,
        ..window(0, "soak")
    };
    store
        .append_windows(id, std::slice::from_ref(&big))
        .expect("append");
    assert_eq!(store.windows(id).expect("windows"), vec![big]);
}

#[test]
fn a_window_written_again_replaces_the_first() {
    let (_dir, mut store) = temp_store();
    let id = store
        .begin_run(&new_run("s", RunKind::Load, 1))
        .expect("begin");
    store
        .append_windows(id, &[window(0, "steady")])
        .expect("first");
    let again = StoredWindow {
        requests: 7,
        raw: vec![9, 9],
        ..window(0, "steady")
    };
    store
        .append_windows(id, std::slice::from_ref(&again))
        .expect("again");
    assert_eq!(store.windows(id).expect("windows"), vec![again]);
}

#[test]
fn a_batch_of_windows_is_stored_all_or_none() {
    let (_dir, mut store) = temp_store();
    let id = store
        .begin_run(&new_run("s", RunKind::Load, 1))
        .expect("begin");
    // SQLite integers are signed 64-bit: this count cannot be stored, so the batch must fail
    // and take the valid window before it down with it.
    let too_big = StoredWindow {
        requests: u64::MAX,
        ..window(1, "steady")
    };
    let err = store
        .append_windows(id, &[window(0, "steady"), too_big])
        .expect_err("an unstorable window fails the batch");
    assert!(err.to_string().contains("rigor.db"), "{err}");
    assert_eq!(
        store.windows(id).expect("windows"),
        Vec::<StoredWindow>::new()
    );
}

#[test]
fn histograms_round_trip_and_replace_the_same_scope_name_and_kind() {
    let (_dir, mut store) = temp_store();
    let id = store
        .begin_run(&new_run("s", RunKind::Load, 1))
        .expect("begin");
    store
        .save_histograms(
            id,
            &[
                histogram("run", "all", "raw", &[1]),
                histogram("run", "all", "corrected", &[2, 0, 255]),
                histogram("request", "GET /products/:id", "corrected", &[3]),
            ],
        )
        .expect("save");
    store
        .save_histograms(
            id,
            &[
                histogram("run", "all", "raw", &[4, 4]),
                histogram("generator", "all", "lag", &[5]),
            ],
        )
        .expect("save again");

    assert_eq!(
        store.histograms(id).expect("histograms"),
        vec![
            histogram("generator", "all", "lag", &[5]),
            histogram("request", "GET /products/:id", "corrected", &[3]),
            histogram("run", "all", "corrected", &[2, 0, 255]),
            histogram("run", "all", "raw", &[4, 4]),
        ]
    );
}

#[test]
fn a_run_with_nothing_recorded_yet_has_no_windows_or_histograms() {
    let (_dir, mut store) = temp_store();
    let id = store
        .begin_run(&new_run("s", RunKind::Load, 1))
        .expect("begin");
    assert!(store.windows(id).expect("windows").is_empty());
    assert!(store.histograms(id).expect("histograms").is_empty());
}

#[test]
fn windows_and_histograms_stay_with_their_own_run() {
    let (_dir, mut store) = temp_store();
    let a = store
        .begin_run(&new_run("a", RunKind::Load, 1))
        .expect("begin a");
    let b = store
        .begin_run(&new_run("b", RunKind::Load, 2))
        .expect("begin b");
    store.append_windows(a, &[window(0, "steady")]).expect("a");
    store.append_windows(b, &[window(5, "spike")]).expect("b");
    store
        .save_histograms(b, &[histogram("run", "all", "raw", &[1])])
        .expect("b histograms");
    assert_eq!(store.windows(a).expect("a"), vec![window(0, "steady")]);
    assert_eq!(store.windows(b).expect("b"), vec![window(5, "spike")]);
    assert!(store.histograms(a).expect("a").is_empty());
}

/// Stores runs started at these times, in this order, and returns their ids.
fn store_runs(store: &mut SqliteStore, runs: &[(&str, RunKind, i64)]) -> Vec<i64> {
    runs.iter()
        .map(|&(scenario, kind, at)| {
            store
                .begin_run(&new_run(scenario, kind, at))
                .expect("begin")
        })
        .collect()
}

#[test]
fn runs_are_listed_newest_first_with_later_ids_first_on_a_tie() {
    let (_dir, mut store) = temp_store();
    let ids = store_runs(
        &mut store,
        &[
            ("a", RunKind::Load, 300),
            ("b", RunKind::Load, 100),
            ("c", RunKind::Bench, 300),
            ("d", RunKind::Load, 200),
        ],
    );
    let listed: Vec<i64> = store
        .runs(&RunFilter::default())
        .expect("runs")
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(listed, vec![ids[2], ids[0], ids[3], ids[1]]);
}

#[test]
fn runs_filter_by_scenario_and_kind_and_limit() {
    let (_dir, mut store) = temp_store();
    let ids = store_runs(
        &mut store,
        &[
            ("product-get", RunKind::Load, 1),
            ("product-get", RunKind::Load, 2),
            ("product-get", RunKind::Bench, 3),
            ("checkout", RunKind::Load, 4),
            ("product-get", RunKind::Load, 5),
        ],
    );
    let filter = |scenario: Option<&str>, kind: Option<RunKind>, limit: Option<usize>| RunFilter {
        scenario: scenario.map(str::to_string),
        kind,
        limit,
        status: None,
    };
    let cases = [
        (
            filter(None, None, None),
            vec![ids[4], ids[3], ids[2], ids[1], ids[0]],
        ),
        (filter(None, None, Some(2)), vec![ids[4], ids[3]]),
        (filter(None, None, Some(0)), vec![]),
        (
            filter(None, None, Some(usize::MAX)),
            vec![ids[4], ids[3], ids[2], ids[1], ids[0]],
        ),
        (
            filter(Some("product-get"), None, None),
            vec![ids[4], ids[2], ids[1], ids[0]],
        ),
        (
            filter(None, Some(RunKind::Load), None),
            vec![ids[4], ids[3], ids[1], ids[0]],
        ),
        (
            filter(Some("product-get"), Some(RunKind::Load), Some(2)),
            vec![ids[4], ids[1]],
        ),
        (filter(Some("checkout"), Some(RunKind::Bench), None), vec![]),
        (filter(Some("no-such-scenario"), None, None), vec![]),
    ];
    for (filter, expected) in cases {
        let listed: Vec<i64> = store
            .runs(&filter)
            .expect("runs")
            .iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(listed, expected, "{filter:?}");
    }
}

#[test]
fn latest_run_is_the_newest_match_and_ignores_the_limit() {
    let (_dir, mut store) = temp_store();
    assert_eq!(
        store.latest_run(&RunFilter::default()).expect("empty"),
        None
    );

    let ids = store_runs(
        &mut store,
        &[
            ("a", RunKind::Load, 1),
            ("b", RunKind::Bench, 3),
            ("a", RunKind::Load, 2),
        ],
    );
    let latest = |filter: RunFilter| store.latest_run(&filter).expect("latest").map(|r| r.id);
    assert_eq!(latest(RunFilter::default()), Some(ids[1]));
    let only_a = RunFilter {
        scenario: Some("a".into()),
        limit: Some(0),
        ..RunFilter::default()
    };
    assert_eq!(latest(only_a), Some(ids[2]));
    // Bench runs of a scenario that only has load runs.
    let no_match = RunFilter {
        scenario: Some("a".into()),
        kind: Some(RunKind::Bench),
        ..RunFilter::default()
    };
    assert_eq!(latest(no_match), None);
}

#[test]
fn a_missing_run_is_not_found_by_every_method() {
    let (dir, mut store) = temp_store();
    let missing = 4242;
    let results: Vec<(&str, StoreError)> = vec![
        ("run", store.run(missing).expect_err("run")),
        ("windows", store.windows(missing).expect_err("windows")),
        (
            "histograms",
            store.histograms(missing).expect_err("histograms"),
        ),
        (
            "append_windows",
            store
                .append_windows(missing, &[window(0, "steady")])
                .expect_err("append"),
        ),
        (
            "save_histograms",
            store
                .save_histograms(missing, &[histogram("run", "all", "raw", &[1])])
                .expect_err("save"),
        ),
        (
            "finish_run",
            store
                .finish_run(missing, &common::end(RunStatus::Passed, None, 1, "{}"))
                .expect_err("finish"),
        ),
    ];
    let path = dir.path().join("rigor.db");
    for (method, err) in results {
        assert!(
            matches!(err, StoreError::NotFound { id: 4242, .. }),
            "{method}: {err:?}"
        );
        assert_eq!(
            err.to_string(),
            format!(
                "run 4242 is not in the run store {}: `rigor runs` lists the stored runs",
                path.display()
            ),
            "{method}"
        );
    }
    assert!(store.runs(&RunFilter::default()).expect("runs").is_empty());
}

#[test]
fn a_run_that_never_finished_is_listed_as_running_with_its_windows() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("rigor.db");
    let id = {
        let mut store = SqliteStore::open(&path).expect("open");
        let id = store
            .begin_run(&new_run("soak", RunKind::Load, 1))
            .expect("begin");
        store
            .append_windows(id, &[window(0, "soak"), window(1, "soak")])
            .expect("windows");
        // The process "dies" here: the store is dropped without finish_run.
        id
    };

    let store = SqliteStore::open(&path).expect("reopen");
    let runs = store.runs(&RunFilter::default()).expect("runs");
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].id, id);
    assert_eq!(runs[0].status, RunStatus::Running);
    assert_eq!(runs[0].ended_at_ns, None);
    assert_eq!(runs[0].summary, None);
    assert_eq!(
        store.windows(id).expect("windows"),
        vec![window(0, "soak"), window(1, "soak")]
    );
}

#[test]
fn an_unknown_status_in_the_store_is_an_error_not_a_panic() {
    let (dir, mut store) = temp_store();
    let id = store
        .begin_run(&new_run("s", RunKind::Load, 1))
        .expect("begin");
    let path: PathBuf = dir.path().join("rigor.db");
    {
        let conn = rusqlite::Connection::open(&path).expect("raw connection");
        conn.execute("UPDATE runs SET status = 'vanished' WHERE id = ?1", [id])
            .expect("tamper");
    }
    let expected = format!(
        "run {id} in {} has the status `vanished`, which this build does not know: upgrade rigor",
        path.display()
    );
    let err = store.run(id).expect_err("run");
    assert!(
        matches!(err, StoreError::Unknown { what: "status", .. }),
        "{err:?}"
    );
    assert_eq!(err.to_string(), expected);
    let err = store.runs(&RunFilter::default()).expect_err("runs");
    assert_eq!(err.to_string(), expected);
}

#[test]
fn an_in_memory_store_behaves_like_a_file() {
    let mut store = SqliteStore::in_memory().expect("in memory");
    assert_eq!(store.path(), std::path::Path::new(":memory:"));
    let id = store
        .begin_run(&new_run("s", RunKind::Bench, 5))
        .expect("begin");
    store
        .append_windows(id, &[window(0, "steady")])
        .expect("windows");
    store
        .finish_run(id, &common::end(RunStatus::Passed, None, 6, "{}"))
        .expect("finish");
    let latest = store
        .latest_run(&RunFilter::default())
        .expect("latest")
        .expect("a run");
    assert_eq!((latest.id, latest.status), (id, RunStatus::Passed));
    assert_eq!(store.windows(id).expect("windows").len(), 1);
}

#[test]
fn listing_reads_the_figures_given_at_the_end_and_filters_like_runs() {
    let (_dir, mut store) = temp_store();
    let load = store
        .begin_run(&new_run("api", RunKind::Load, 1))
        .expect("begin");
    let headline = rigor_store::RunHeadline {
        requests: Some(600),
        throughput_per_s: Some(200.0),
        p99_ns: Some(3_000_000),
        ..Default::default()
    };
    store
        .finish_run(
            load,
            &rigor_store::RunEnd {
                headline,
                ..common::end(RunStatus::Passed, None, 5, "{}")
            },
        )
        .expect("finish");
    let running = store
        .begin_run(&new_run("sort", RunKind::Bench, 2))
        .expect("begin");

    let listed = store.list_runs(&RunFilter::default()).expect("list");
    let stored = store.runs(&RunFilter::default()).expect("runs");
    assert_eq!(
        listed
            .iter()
            .map(|r| (r.run_id, r.status))
            .collect::<Vec<_>>(),
        stored.iter().map(|r| (r.id, r.status)).collect::<Vec<_>>(),
        "the same runs in the same order"
    );
    assert_eq!(
        (listed[0].run_id, listed[0].headline),
        (running, Default::default())
    );
    assert_eq!((listed[1].run_id, listed[1].headline), (load, headline));
    assert_eq!(listed[1].ended_at_ns, Some(5));
    assert_eq!(listed[1].summary, None, "listing reads no summary");
    let only = store
        .list_runs(&RunFilter {
            scenario: Some("api".into()),
            ..RunFilter::default()
        })
        .expect("filtered");
    assert_eq!(
        only.iter().map(|r| r.run_id).collect::<Vec<_>>(),
        vec![load]
    );
}
