//! Upgrading older stores, and what schema 2 adds: baselines and gate records that go with
//! their run.

mod common;

use std::path::Path;

use common::{finished_run, histogram, window};
use rigor_store::RunKind;
use rigor_store::{GateRecord, RunFilter, RunStatus, SqliteStore, Store, SCHEMA_VERSION};

/// The first migration exactly as released.
const SCHEMA_1: &str = include_str!("../src/migrations/001_runs.sql");

/// What the released schema-1 code writes in `PRAGMA application_id` ("rigr").
const APPLICATION_ID: i32 = 0x7269_6772;

fn user_version(path: &Path) -> i64 {
    rusqlite::Connection::open(path)
        .expect("raw connection")
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .expect("user_version")
}

/// Writes a store as rigor at schema 1 left it, with one finished run (a window and a
/// histogram) and one run whose process died; returns their ids.
fn write_schema_1_store(path: &Path) -> (i64, i64) {
    let conn = rusqlite::Connection::open(path).expect("raw connection");
    conn.pragma_update(None, "journal_mode", "WAL")
        .expect("wal");
    conn.execute_batch(&format!(
        "BEGIN; {SCHEMA_1} PRAGMA user_version = 1; PRAGMA application_id = {APPLICATION_ID}; COMMIT;"
    ))
    .expect("apply schema 1");
    conn.execute(
        "INSERT INTO runs (kind, scenario, status, started_at_ns, ended_at_ns, plan, \
         environment, summary, git_commit) VALUES ('load', 'product-get', 'passed', 100, 200, \
         'plan', '{}', '{\"ok\":true}', 'abc1234')",
        [],
    )
    .expect("insert a finished run");
    let finished = conn.last_insert_rowid();
    let w = window(0, "steady");
    conn.execute(
        "INSERT INTO windows (run_id, second, phase, requests, errors, sent, corrected, raw) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        rusqlite::params![
            finished,
            w.second,
            w.phase,
            w.requests,
            w.errors,
            w.sent,
            w.corrected,
            w.raw
        ],
    )
    .expect("insert a window");
    conn.execute(
        "INSERT INTO histograms (run_id, scope, name, kind, data) \
         VALUES (?1, 'run', 'all', 'corrected', x'0102')",
        [finished],
    )
    .expect("insert a histogram");
    conn.execute(
        "INSERT INTO runs (kind, scenario, status, started_at_ns, plan, environment) \
         VALUES ('bench', 'parse', 'running', 300, 'plan', '{}')",
        [],
    )
    .expect("insert a running run");
    (finished, conn.last_insert_rowid())
}

#[test]
fn this_build_writes_schema_11() {
    assert_eq!(SCHEMA_VERSION, 11);
}

/// The first four migrations exactly as released, for a store as rigor at schema 4 left it.
const SCHEMA_1_TO_4: [&str; 4] = [
    SCHEMA_1,
    include_str!("../src/migrations/002_baselines_gates.sql"),
    include_str!("../src/migrations/003_samples.sql"),
    include_str!("../src/migrations/004_bench_runs_owner.sql"),
];

#[test]
fn a_schema_4_store_gets_the_run_list_columns_filled_from_its_summaries() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("rigor.db");
    {
        let conn = rusqlite::Connection::open(&path).expect("raw connection");
        conn.execute_batch(&format!(
            "BEGIN; {} PRAGMA user_version = 4; PRAGMA application_id = {APPLICATION_ID}; COMMIT;",
            SCHEMA_1_TO_4.join("\n")
        ))
        .expect("apply schemas 1 to 4");
        let insert = |kind: &str, status: &str, summary: Option<&str>| {
            conn.execute(
                "INSERT INTO runs (kind, scenario, status, started_at_ns, plan, environment, \
                 summary) VALUES (?1, 's', ?2, ?3, 'plan', '{}', ?4)",
                rusqlite::params![kind, status, conn.last_insert_rowid() + 1, summary],
            )
            .expect("insert a run");
        };
        // What rigor at schema 4 wrote: a load run, one with no responses, a benchmark, a run
        // that never finished and one whose summary is not JSON.
        insert(
            "load",
            "passed",
            Some(
                r#"{"total":{"requests":1200,"throughput_per_s":199.5,"latency":{"count":1200,"p99_ns":4100000}}}"#,
            ),
        );
        insert(
            "load",
            "completed",
            Some(
                r#"{"total":{"requests":30,"throughput_per_s":10.0,"latency":{"count":0,"p99_ns":0}}}"#,
            ),
        );
        insert(
            "bench",
            "completed",
            Some(
                r#"{"commands":[{"stats":{"count":20,"mean_ns":10500000}},{"stats":{"count":20,"mean_ns":1}}]}"#,
            ),
        );
        insert("load", "running", None);
        insert("bench", "completed", Some("not json"));
    }
    let mut store = SqliteStore::open(&path).expect("open and upgrade");
    assert_eq!(user_version(&path), SCHEMA_VERSION);
    // Schema 6: an upgraded store keeps profiles with its runs (none for the old ones).
    assert!(store.profiles(1).expect("profiles").is_empty());
    let profile = rigor_store::ProfileRecord {
        name: "target".into(),
        capture: "{}".into(),
        folded: Some("main;work 3\n".into()),
    };
    store.save_profile(1, &profile).expect("save a profile");
    assert_eq!(store.profiles(1).expect("profiles"), vec![profile]);
    let listed: Vec<_> = store
        .list_runs(&RunFilter::default())
        .expect("list")
        .into_iter()
        .rev()
        .map(|r| r.headline)
        .collect();
    let none = rigor_store::RunHeadline::default();
    assert_eq!(
        listed,
        vec![
            rigor_store::RunHeadline {
                requests: Some(1200),
                throughput_per_s: Some(199.5),
                p99_ns: Some(4_100_000),
                ..none
            },
            rigor_store::RunHeadline {
                requests: Some(30),
                throughput_per_s: Some(10.0),
                p99_ns: None,
                ..none
            },
            rigor_store::RunHeadline {
                bench_runs: Some(20),
                bench_mean_ns: Some(10_500_000),
                ..none
            },
            none,
            none,
        ]
    );
}

#[test]
fn a_schema_1_store_is_upgraded_and_keeps_its_runs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("rigor.db");
    let (finished, running) = write_schema_1_store(&path);
    assert_eq!(user_version(&path), 1);

    let mut store = SqliteStore::open(&path).expect("open and upgrade");
    assert_eq!(user_version(&path), SCHEMA_VERSION);

    let runs = store.runs(&RunFilter::default()).expect("runs");
    let ids: Vec<(i64, RunStatus)> = runs.iter().map(|r| (r.id, r.status)).collect();
    assert_eq!(
        ids,
        vec![(running, RunStatus::Running), (finished, RunStatus::Passed)]
    );
    let old = store.run(finished).expect("old run");
    assert_eq!(
        (
            old.scenario.as_str(),
            old.summary.as_deref(),
            old.git_commit.as_deref()
        ),
        ("product-get", Some("{\"ok\":true}"), Some("abc1234"))
    );
    // A second recorded before its slowest requests and journeys were kept reads back with
    // none.
    assert_eq!(
        store.windows(finished).expect("windows"),
        vec![rigor_store::StoredWindow {
            slowest: String::new(),
            journeys: String::new(),
            journey_duration: Vec::new(),
            ..window(0, "steady")
        }]
    );
    assert_eq!(
        store.histograms(finished).expect("histograms"),
        vec![histogram("run", "all", "corrected", &[1, 2])]
    );

    // The new tables work on the old runs, and new runs continue the old ids.
    let set = store
        .set_baseline("main", finished, "env", 1_000)
        .expect("baseline on an old run");
    assert_eq!(
        (set.kind, set.scenario.as_str()),
        (RunKind::Load, "product-get")
    );
    let gate = GateRecord {
        run_id: finished,
        check: "budget:latency.p95<120ms".into(),
        scenario: "product-get".into(),
        outcome: "pass".into(),
        value: Some(0.1),
        at_ns: 1_001,
    };
    store
        .record_gate(std::slice::from_ref(&gate))
        .expect("gate on an old run");
    let new = finished_run(&mut store, "product-get", RunKind::Load, 400);
    assert!(new > running);
    drop(store);

    // Opening again finds the current schema and changes nothing.
    let store = SqliteStore::open(&path).expect("reopen");
    assert_eq!(user_version(&path), SCHEMA_VERSION);
    assert_eq!(store.runs(&RunFilter::default()).expect("runs").len(), 3);
    assert_eq!(
        store
            .baseline("main", RunKind::Load, "product-get", None)
            .expect("lookup"),
        Some(set)
    );
    assert_eq!(
        store
            .gate_history("budget:latency.p95<120ms", "product-get", 5)
            .expect("history"),
        vec![gate]
    );
}

#[test]
fn deleting_a_run_deletes_its_baselines_and_gate_records() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("rigor.db");
    let mut store = SqliteStore::open(&path).expect("open");
    let doomed = finished_run(&mut store, "s", RunKind::Load, 1);
    let kept = finished_run(&mut store, "s", RunKind::Load, 2);
    store.set_baseline("main", doomed, "e1", 10).expect("set");
    store.set_baseline("old", doomed, "e1", 11).expect("set");
    store.set_baseline("main", kept, "e2", 12).expect("set");
    let gate = |run| GateRecord {
        run_id: run,
        check: "rule:latency.p95:+30%".into(),
        scenario: "s".into(),
        outcome: "pass".into(),
        value: None,
        at_ns: 20,
    };
    store
        .record_gate(&[gate(doomed), gate(kept)])
        .expect("record");

    {
        // Deleting runs is not exposed yet: do it as a future `rigor runs rm` would.
        let conn = rusqlite::Connection::open(&path).expect("raw connection");
        conn.pragma_update(None, "foreign_keys", true)
            .expect("foreign keys");
        let deleted = conn
            .execute("DELETE FROM runs WHERE id = ?1", [doomed])
            .expect("delete the run");
        assert_eq!(deleted, 1);
    }

    let left: Vec<(String, i64)> = store
        .baselines(None, None)
        .expect("baselines")
        .into_iter()
        .map(|b| (b.name, b.run_id))
        .collect();
    assert_eq!(left, vec![("main".to_string(), kept)]);
    assert_eq!(store.baseline_names().expect("names"), vec!["main"]);
    assert_eq!(
        store
            .gate_history("rule:latency.p95:+30%", "s", 10)
            .expect("history"),
        vec![gate(kept)]
    );
}

#[test]
fn samples_round_trip_and_replace() {
    use rigor_store::Sample;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut store = SqliteStore::open(&dir.path().join("s.db")).expect("open");
    let run = store
        .begin_run(&rigor_store::NewRun {
            kind: RunKind::Load,
            scenario: "s".into(),
            plan: "{}".into(),
            started_at_ns: 1,
            environment: "{}".into(),
            git_commit: None,
            owner: None,
        })
        .expect("begin");
    let sample = |second, name: &str, value| Sample {
        second,
        name: name.into(),
        value,
    };
    store
        .append_samples(
            run,
            &[
                sample(1, "target.cpu", 0.5),
                sample(0, "target.cpu", 0.25),
                sample(0, "target.rss", 1e6),
            ],
        )
        .expect("append");
    store
        .append_samples(run, &[sample(1, "target.cpu", 0.75)])
        .expect("replace");
    let stored = store.samples(run).expect("read");
    assert_eq!(
        stored,
        [
            sample(0, "target.cpu", 0.25),
            sample(1, "target.cpu", 0.75),
            sample(0, "target.rss", 1e6)
        ]
    );
    assert!(
        store
            .append_samples(run + 100, &[sample(0, "x", 1.0)])
            .is_err(),
        "a missing run is refused"
    );
}

#[test]
fn bench_runs_round_trip_replace_and_keep_their_order() {
    use rigor_store::BenchRun;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut store = SqliteStore::open(&dir.path().join("s.db")).expect("open");
    let run = store
        .begin_run(&rigor_store::NewRun {
            kind: RunKind::Bench,
            scenario: "parse".into(),
            plan: "{}".into(),
            started_at_ns: 1,
            environment: "{}".into(),
            git_commit: None,
            owner: Some("boot:42:7".into()),
        })
        .expect("begin");
    let bench_run = |seq, command, wall_ns| BenchRun {
        seq,
        command,
        round: seq / 2,
        wall_ns,
        user_ns: wall_ns / 2,
        system_ns: wall_ns / 4,
        peak_rss_bytes: 1 << 20,
        exit_code: Some(0),
        signal: None,
    };
    store
        .append_bench_runs(run, &[bench_run(1, 1, 20), bench_run(0, 0, 10)])
        .expect("append");
    let killed = BenchRun {
        exit_code: None,
        signal: Some(9),
        ..bench_run(1, 1, 25)
    };
    store
        .append_bench_runs(run, &[killed, bench_run(2, 0, u64::MAX)])
        .expect("append again");
    let stored = store.bench_runs(run).expect("read");
    assert_eq!(
        stored,
        vec![
            bench_run(0, 0, 10),
            killed,
            BenchRun {
                // Past i64::MAX the figure is clamped, never wrapped to a negative number.
                wall_ns: i64::MAX as u64,
                ..bench_run(2, 0, u64::MAX)
            }
        ]
    );
    assert_eq!(
        store.run(run).expect("run").owner.as_deref(),
        Some("boot:42:7")
    );
    assert!(matches!(
        store.append_bench_runs(run + 1, &[bench_run(0, 0, 1)]),
        Err(rigor_store::StoreError::NotFound { .. })
    ));
}
