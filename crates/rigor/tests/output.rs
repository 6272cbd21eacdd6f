//! The output layer through the real binary: every JSON output follows its committed schema,
//! stdout carries only the data, a closed pipe is the reader being done, and a run with
//! nothing to show is an error.

mod common;

use std::io::Read;
use std::process::Stdio;

use common::{assert_schema, load, ran, rigor, serial, target};

#[test]
fn every_json_output_follows_its_schema() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    let t = target(&["/: latency=1ms"], None);
    std::fs::write(
        dir.path().join("rigor.toml"),
        format!(
            r#"
[[scenario]]
name = "s"
phases = [{{ kind = "steady", rate = "20/s", for = "1s" }}]
[[scenario.request]]
url = "{}"

[[bench]]
name = "t"
command = "true"
runs = 3
"#,
            t.url("/")
        ),
    )
    .unwrap();
    let plan = common::run_plan(dir.path());
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert_schema("plan-run.schema.json", &plan.json);
    assert_eq!(plan.json["benches"][0]["name"], "t");
    assert_eq!(
        plan.json["benches"][0]["commands"][0]["runs"]
            .as_array()
            .unwrap()
            .len(),
        3
    );

    let runs = ran(rigor(dir.path()).args(["runs", "--json"]).output().unwrap());
    assert_schema("run-list.schema.json", &runs.json);
    assert_eq!(runs.json.as_array().unwrap().len(), 2);
    assert_eq!(runs.json[0]["kind"], "bench");
    assert_eq!(runs.json[1]["summary"]["scenario"], "s");

    let bench = ran(rigor(dir.path())
        .args(["bench", "--json", "--quiet", "-r", "2", "--", "true"])
        .output()
        .unwrap());
    assert_eq!(bench.code, 0, "{}", bench.stderr);
    assert_schema("bench-result.schema.json", &bench.json);
    let shown = ran(rigor(dir.path())
        .args(["show", "latest", "--json"])
        .output()
        .unwrap());
    assert_schema("bench-result.schema.json", &shown.json);
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    let t = target(&["/: latency=1ms"], None);
    let r = load(dir.path(), &[&t.url("/"), "--requests", "20"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // `rigor show latest --json | head -c 1`: the reader leaves after the first byte.
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("rigor"))
        .current_dir(dir.path())
        .env_remove("RIGOR_STORE")
        .args(["show", "latest", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 1];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // The pipe's read end is closed here.
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("Broken pipe"), "{stderr}");
}

#[test]
fn showing_a_run_with_nothing_to_show_fails_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join(".rigor").join("rigor.db");
    let mut store = rigor_store::SqliteStore::open(&db).unwrap();
    use rigor_store::Store;
    let id = store
        .begin_run(&rigor_store::NewRun {
            kind: rigor_store::RunKind::Load,
            scenario: "s".into(),
            plan: "{}".into(),
            started_at_ns: 1,
            environment: "{}".into(),
            git_commit: None,
            owner: None,
        })
        .unwrap();
    store
        .finish_run(
            id,
            &rigor_store::RunEnd {
                status: rigor_store::RunStatus::Aborted,
                reason: Some("cannot reach http://127.0.0.1:1"),
                ended_at_ns: 2,
                summary: "null",
                headline: rigor_store::RunHeadline::default(),
            },
        )
        .unwrap();
    drop(store);
    for args in [vec!["show", "1"], vec!["show", "1", "--json"]] {
        let r = ran(rigor(dir.path()).args(&args).output().unwrap());
        assert_eq!(r.code, 3, "{args:?}: {}", r.stderr);
        assert!(r.stdout.is_empty(), "{args:?}: {}", r.stdout);
        assert!(
            r.stderr.contains("run 1 (s, aborted) has no results")
                && r.stderr.contains("cannot reach"),
            "{}",
            r.stderr
        );
    }
}
