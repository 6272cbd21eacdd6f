//! The command line as a user meets it: bad input gets a clear message and exit code 2 or 3,
//! the store survives concurrent writers and refuses what it cannot read, the JSON output
//! follows its committed schema, and the README's main command works.

mod common;

use std::time::Duration;

use common::{load, rigor, serial, target};

#[test]
fn unreachable_target_fails_fast_with_one_message() {
    let dir = tempfile::tempdir().unwrap();
    // Bind then drop a listener to get a loopback port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let r = load(
        dir.path(),
        &[
            &format!("http://127.0.0.1:{port}/"),
            "--rate",
            "100/s",
            "-d",
            "5s",
        ],
    );
    // It failed before loading (no JSON summary of a 5 s run), not after.
    assert_eq!(r.json, serde_json::Value::Null, "{}", r.stdout);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr
            .contains(&format!("cannot reach http://127.0.0.1:{port}")),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("refused"), "{}", r.stderr);
    assert_eq!(
        r.stderr.lines().count(),
        1,
        "one error, not a wall:\n{}",
        r.stderr
    );
    // Reachability is checked before a run exists: nothing is left in the store, and no
    // store is created where the user happened to stand.
    assert!(
        !dir.path().join(".rigor").exists(),
        "a run that could not start left a store behind"
    );
}

#[test]
fn unbounded_and_malformed_flags_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let r = load(dir.path(), &["http://127.0.0.1:9/"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("would never end"), "{}", r.stderr);
    let r = load(
        dir.path(),
        &["http://127.0.0.1:9/", "--rate", "100", "-d", "1s"],
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("--rate") && r.stderr.contains("not a valid rate"),
        "{}",
        r.stderr
    );
    let r = load(dir.path(), &["http://127.0.0.1:9/", "-d", "5 parsecs"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--duration"), "{}", r.stderr);
    let r = load(dir.path(), &["ftp://127.0.0.1:9/", "-d", "1s"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("not an http:// or https:// URL"),
        "{}",
        r.stderr
    );
    let r = load(
        dir.path(),
        &["http://127.0.0.1:9/", "-d", "1s", "-t", "latncy.p95 < 1s"],
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("did you mean `latency.p95`"),
        "{}",
        r.stderr
    );
}

#[test]
fn malformed_plan_names_file_line_column_and_suggests() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("rigor.toml"),
        "[[scenario]]\nname = \"a\"\n  phasse = []\n",
    )
    .unwrap();
    let r = common::ran(rigor(dir.path()).arg("run").output().unwrap());
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("rigor.toml:3:3: unknown field `phasse`"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("did you mean `phases`?"), "{}", r.stderr);
    assert!(
        !dir.path().join(".rigor").exists(),
        "nothing is stored for a bad plan"
    );
}

#[test]
fn missing_plan_and_init() {
    let dir = tempfile::tempdir().unwrap();
    let r = common::ran(rigor(dir.path()).arg("run").output().unwrap());
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("rigor init"), "{}", r.stderr);
    let r = common::ran(rigor(dir.path()).arg("init").output().unwrap());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text = std::fs::read_to_string(dir.path().join("rigor.toml")).unwrap();
    rigor_model::Plan::parse(&text, std::path::Path::new("rigor.toml")).unwrap();
    let r = common::ran(rigor(dir.path()).arg("init").output().unwrap());
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--force"), "{}", r.stderr);
}

#[test]
fn reading_commands_never_create_a_store() {
    let dir = tempfile::tempdir().unwrap();
    let r = common::ran(rigor(dir.path()).arg("runs").output().unwrap());
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("no runs in"), "{}", r.stdout);
    let r = common::ran(rigor(dir.path()).args(["runs", "--json"]).output().unwrap());
    assert_eq!((r.code, r.json.clone()), (0, serde_json::json!([])));
    for args in [&["show", "latest"][..], &["show", "3"], &["compare"]] {
        let r = common::ran(rigor(dir.path()).args(args).output().unwrap());
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains("no runs in"), "{args:?}: {}", r.stderr);
    }
    assert!(
        !dir.path().join(".rigor").exists(),
        "a command that only reads left a store behind"
    );
}

#[test]
fn store_from_a_newer_rigor_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join(".rigor/rigor.db");
    drop(rigor_store::SqliteStore::open(&db).unwrap());
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let before = std::fs::read(&db).unwrap();
    let r = common::ran(rigor(dir.path()).arg("runs").output().unwrap());
    assert_eq!(r.code, 3);
    assert!(r.stderr.contains("newer rigor"), "{}", r.stderr);
    assert_eq!(std::fs::read(&db).unwrap(), before);
}

#[test]
fn corrupt_store_is_refused_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("runs.db");
    std::fs::write(&db, b"this is not a database, it is a shopping list").unwrap();
    let r = common::ran(
        rigor(dir.path())
            .args(["runs", "--store", "runs.db"])
            .output()
            .unwrap(),
    );
    assert_eq!(r.code, 3);
    assert!(r.stderr.contains("runs.db"), "{}", r.stderr);
    assert_eq!(
        std::fs::read(&db).unwrap(),
        b"this is not a database, it is a shopping list"
    );
}

#[test]
fn two_processes_writing_one_store_both_keep_their_runs() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    let t = target(&["/: latency=1ms"], None);
    let exe = assert_cmd::cargo::cargo_bin("rigor");
    let spawn = || {
        std::process::Command::new(&exe)
            .current_dir(dir.path())
            .env_remove("RIGOR_STORE")
            .args([
                "load",
                &t.url("/"),
                "--rate",
                "200/s",
                "-d",
                "2s",
                "--quiet",
                "--max-lag",
                common::LOOSE_MAX_LAG,
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    for child in [a, b] {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let r = common::ran(rigor(dir.path()).args(["runs", "--json"]).output().unwrap());
    let runs = r.json.as_array().unwrap();
    assert_eq!(runs.len(), 2);
    for run in runs {
        // No thresholds judged them: completed, not passed.
        assert_eq!(run["status"], "completed");
        assert_eq!(run["summary"]["total"]["requests"], 400);
    }
}

#[test]
fn json_output_follows_the_committed_schema() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    let t = target(&["/: latency=1ms, errors=10%@500"], None);
    let r = load(
        dir.path(),
        &[
            &t.url("/"),
            "--rate",
            "100/s",
            "-d",
            "1s",
            "-t",
            "latency.p99 < 1s",
            "-t",
            "error_rate < 50%",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    common::assert_schema("run-summary.schema.json", &r.json);
    // Schema 4: journeys and replays (schema 2 brought the statuses completed, target_failed
    // and crashed and the run kind as an enum; 3, the stages and the slowest requests).
    assert_eq!(r.json["schema_version"], 4);
    assert_eq!(r.json["thresholds"].as_array().unwrap().len(), 2);
    assert!(r.json["environment"]["cores"].as_u64().unwrap() >= 1);
}

#[test]
fn thresholds_fail_with_exit_1_and_generator_lag_makes_a_run_invalid() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    let t = target(&["/: latency=20ms"], None);
    let r = load(
        dir.path(),
        &[
            &t.url("/"),
            "--rate",
            "50/s",
            "-d",
            "1s",
            "-t",
            "latency.p95 < 1ms",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(r.json["status"], "failed");
    assert_eq!(r.json["thresholds"][0]["passed"], false);
    // No real generator keeps to a 1 ns schedule: the run must be flagged, not reported.
    let r = load(
        dir.path(),
        &[
            &t.url("/"),
            "--rate",
            "50/s",
            "-d",
            "1s",
            "--max-lag",
            "1ns",
        ],
    );
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(r.json["status"], "invalid");
    let reason = r.json["status_reason"].as_str().unwrap();
    assert!(reason.contains("could not keep up"), "{reason}");
}

#[test]
fn demo_runs_stores_and_shows() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    let r = common::ran(
        rigor(dir.path())
            .args([
                "demo",
                "--ramp",
                "1s",
                "--duration",
                "1s",
                "--max-lag",
                common::LOOSE_MAX_LAG,
            ])
            .output()
            .unwrap(),
    );
    // The demo's thresholds (p99 < 100 ms) hold on a quiet machine; a busy one may fail them,
    // which is the demo telling the truth. Either way the run is judged, stored and shown.
    let verdict = match r.code {
        0 => "PASSED",
        1 => "FAILED",
        other => panic!("exit {other}: {}\n{}", r.stderr, r.stdout),
    };
    assert!(
        r.stdout
            .contains(&format!("run 1 · demo · open model · {verdict}")),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("from intended start"), "{}", r.stdout);
    assert!(r.stderr.contains("stored as run 1"), "{}", r.stderr);
    let shown = common::ran(rigor(dir.path()).args(["show", "1"]).output().unwrap());
    assert_eq!(shown.code, 0);
    assert!(shown.stdout.contains("run 1 · demo"), "{}", shown.stdout);
    let listed = common::ran(rigor(dir.path()).arg("runs").output().unwrap());
    assert!(
        listed.stdout.contains("demo") && listed.stdout.contains(&verdict.to_lowercase()),
        "{}",
        listed.stdout
    );
    let missing = common::ran(rigor(dir.path()).args(["show", "42"]).output().unwrap());
    assert_eq!(missing.code, 2);
    assert!(missing.stderr.contains("rigor runs"), "{}", missing.stderr);
}

#[test]
fn plan_with_a_target_command_starts_and_stops_it() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let plan = format!(
        r#"
[target]
command = "rigor target --port {port} --route '/p/*: latency=2ms'"
ready = "http://127.0.0.1:{port}/health"
ready_timeout = "10s"

[[scenario]]
name = "smoke-then-steady"
phases = [{{ kind = "smoke", rate = "10/s", for = "1s" }}, {{ kind = "steady", rate = "50/s", for = "1s" }}]
thresholds = ["latency.p95{{phase=steady}} < 100ms", "error_rate < 1%"]
[[scenario.request]]
url = "http://127.0.0.1:{port}/p/{{seq}}"
check = {{ status = [200], body_contains = "ok" }}
"#
    );
    std::fs::write(dir.path().join("rigor.toml"), plan).unwrap();
    let r = common::only_scenario(common::run_plan(dir.path()));
    assert_eq!(r.code, 0, "{}\n{}", r.stderr, r.stdout);
    assert_eq!(r.json["phases"][0]["name"], "smoke");
    assert_eq!(r.json["phases"][0]["requests"], 10);
    assert_eq!(r.json["phases"][1]["requests"], 50);
    assert_eq!(r.json["thresholds"][0]["passed"], true);
    // The target was stopped: its port is free again.
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "target still running"
    );
}

#[test]
fn two_processes_creating_one_store_at_once_both_open_it() {
    // The first to make a new store WAL used to leave the other waiting for a lock it could
    // never get (10 s, then an error): reproduced in 2 of 6 rounds before the fix.
    let dir = tempfile::tempdir().unwrap();
    let exe = assert_cmd::cargo::cargo_bin("rigor");
    for round in 0..20 {
        let db = dir.path().join(format!("s{round}.db"));
        let open = || {
            // A recording command creates the store; reading commands only read an
            // existing one. Two runs of `true` are the quickest recording there is.
            std::process::Command::new(&exe)
                .args(["bench", "--quiet", "-r", "2", "--store"])
                .arg(&db)
                .args(["--", "true"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (open(), open());
        for child in [a, b] {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "round {round}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

#[test]
fn the_run_list_is_read_from_columns_not_from_summaries() {
    let dir = tempfile::tempdir().unwrap();
    let r = common::ran(
        rigor(dir.path())
            .args(["bench", "--runs", "3", "--quiet", "--", "true"])
            .output()
            .unwrap(),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let db = dir.path().join(".rigor/rigor.db");
    // A summary the list would choke on if it read it.
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute("UPDATE runs SET summary = '{not json' WHERE id = 1", [])
        .unwrap();
    drop(conn);
    let table = common::ran(rigor(dir.path()).arg("runs").output().unwrap());
    assert_eq!(table.code, 0, "{}", table.stderr);
    let line = table.stdout.lines().nth(1).unwrap_or_default().to_string();
    assert!(
        line.contains("completed") && line.contains("3 runs") && line.contains(" mean"),
        "{}",
        table.stdout
    );
    let json = common::ran(rigor(dir.path()).args(["runs", "--json"]).output().unwrap());
    assert_eq!(json.code, 0, "{}", json.stderr);
    assert_eq!(json.json[0]["headline"]["bench_runs"], 3, "{}", json.stdout);
    assert!(json.json[0]["headline"]["bench_mean_ns"].as_u64().unwrap() > 0);
    assert_eq!(json.json[0]["summary"], serde_json::Value::Null);
    common::assert_schema("run-list.schema.json", &json.json);
}
