//! Baselines, `rigor compare` and `rigor gate` through the real binary, on real runs of the
//! built-in target: fixed latencies make the verdicts certain.

mod common;

use common::{ran, rigor, serial, target, LOOSE_MAX_LAG};

/// A 3 s open-model run of `url` stored as scenario `svc`; returns its run id.
fn run(dir: &std::path::Path, url: &str) -> i64 {
    let r = ran(rigor(dir)
        .args([
            "load",
            url,
            "--rate",
            "200/s",
            "-d",
            "3s",
            "--name",
            "svc",
            "--json",
            "--quiet",
            "--max-lag",
            LOOSE_MAX_LAG,
        ])
        .output()
        .unwrap());
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.json["run_id"].as_i64().unwrap()
}

fn metric<'a>(c: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    c["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["metric"] == name)
        .unwrap_or_else(|| panic!("no {name} in {c}"))
}

#[test]
fn baseline_then_compare() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    let t = target(&["/fast: latency=10ms", "/slow: latency=15ms"], None);
    let a = run(dir.path(), &t.url("/fast"));
    let r = ran(rigor(dir.path())
        .args(["baseline", "set", &a.to_string()])
        .output()
        .unwrap());
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains(&format!("is now run {a}")),
        "{}",
        r.stdout
    );
    let _same = run(dir.path(), &t.url("/fast"));
    // Two separate invocations on a machine that may be busy compiling: their 10 ms can
    // drift by a few per cent, which two runs alone cannot tell from a change (the
    // calibration scripts measure that); a 10 % band keeps this A/A check about the command.
    let c = ran(rigor(dir.path())
        .args(["compare", "--json", "--noise", "10%"])
        .output()
        .unwrap());
    assert_eq!(c.code, 0, "{}", c.stderr);
    assert_eq!(c.json["baseline"]["run_id"], a);
    assert_ne!(metric(&c.json, "latency.p50")["verdict"], "regressed");
    let _slow = run(dir.path(), &t.url("/slow"));
    let c = ran(rigor(dir.path())
        .args(["compare", "--json"])
        .output()
        .unwrap());
    let p50 = metric(&c.json, "latency.p50");
    assert_eq!(p50["verdict"], "regressed", "{p50}");
    assert!(
        (0.3..0.7).contains(&p50["change"].as_f64().unwrap()),
        "{p50}"
    );
    let text = ran(rigor(dir.path()).arg("compare").output().unwrap());
    assert!(
        text.stdout.contains("REGRESSED") && text.stdout.contains("baseline `main`"),
        "{}",
        text.stdout
    );
    common::assert_schema("comparison.schema.json", &c.json);
    let list = ran(rigor(dir.path())
        .args(["baseline", "list"])
        .output()
        .unwrap());
    assert!(
        list.stdout.contains("main") && list.stdout.contains("svc"),
        "{}",
        list.stdout
    );
    // Explicit runs, and a baseline name that does not exist.
    let c = ran(rigor(dir.path())
        .args(["compare", &a.to_string(), "latest", "--json"])
        .output()
        .unwrap());
    assert_eq!(c.code, 0, "{}", c.stderr);
    let missing = ran(rigor(dir.path())
        .args(["compare", "--baseline", "release"])
        .output()
        .unwrap());
    assert_eq!(missing.code, 3);
    assert!(
        missing.stderr.contains("no baseline `release`") && missing.stderr.contains("named main"),
        "{}",
        missing.stderr
    );
}

#[test]
fn mismatched_kinds_and_environments() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    let t = target(&["/: latency=1ms"], None);
    let load_run = run(dir.path(), &t.url("/"));
    let load_run2 = run(dir.path(), &t.url("/"));
    let bench = ran(rigor(dir.path())
        .args(["bench", "-r", "3", "--json", "--quiet", "--", "true"])
        .output()
        .unwrap());
    let bench_run = bench
        .json
        .get("run_id")
        .and_then(|v| v.as_i64())
        .unwrap_or(load_run2 + 1);
    let r = ran(rigor(dir.path())
        .args(["compare", &load_run.to_string(), &bench_run.to_string()])
        .output()
        .unwrap());
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("only runs of the same kind"),
        "{}",
        r.stderr
    );
    // Pretend the second run was taken on another kernel.
    let conn = rusqlite::Connection::open(dir.path().join(".rigor/rigor.db")).unwrap();
    conn.execute("UPDATE runs SET environment = json_set(environment, '$.kernel', '0.0-other') WHERE id = ?1", [load_run2]).unwrap();
    drop(conn);
    let (a, b) = (load_run.to_string(), load_run2.to_string());
    let r = ran(rigor(dir.path())
        .args(["compare", &a, &b, "--json"])
        .output()
        .unwrap());
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.json["environment_warnings"][0]
            .as_str()
            .unwrap()
            .contains("kernel differs"),
        "{}",
        r.json
    );
    let r = ran(rigor(dir.path())
        .args(["compare", &a, &b, "--strict-env"])
        .output()
        .unwrap());
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("kernel differs") && r.stderr.contains("--strict-env"),
        "{}",
        r.stderr
    );
}

const GATE_PLAN: &str = r#"
[[scenario]]
name = "svc"
phases = [{ kind = "steady", rate = "200/s", for = "3s" }]
[[scenario.request]]
url = "http://127.0.0.1:1/unused"

[[budget]]
scenario = "svc"
metric = "latency.p95"
max = "1s"

[[rule]]
metric = "latency.p50"
max_increase = "20%"
consecutive = 2
action = "fail"

[[rule]]
metric = "error_rate"
max = "1%"
action = "fail"
"#;

#[test]
fn gate_escalates_over_consecutive_runs_with_ci_outputs() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rigor.toml"), GATE_PLAN).unwrap();
    let t = target(&["/fast: latency=10ms", "/slow: latency=15ms"], None);
    let gate = |extra: &[&str]| ran(rigor(dir.path()).arg("gate").args(extra).output().unwrap());
    // Nothing to judge yet, then no baseline.
    let r = gate(&[]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("rigor run"), "{}", r.stderr);
    let a = run(dir.path(), &t.url("/fast"));
    let r = gate(&[]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("rigor baseline set"), "{}", r.stderr);
    ran(rigor(dir.path())
        .args(["baseline", "set", &a.to_string()])
        .output()
        .unwrap());
    // First slow run: breached once, the rule wants two in a row.
    run(dir.path(), &t.url("/slow"));
    let r = gate(&["--json"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stderr, r.stdout);
    let outcomes: Vec<&str> = r.json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["pass", "pending", "pass"], "{}", r.json);
    common::assert_schema("gate.schema.json", &r.json);
    // Second slow run: fail, with JUnit, annotations and a step summary.
    run(dir.path(), &t.url("/slow"));
    let summary = dir.path().join("summary.md");
    let out = rigor(dir.path())
        .args(["gate", "--junit", "junit.xml"])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    let r = ran(out);
    assert_eq!(r.code, 1, "{}\n{}", r.stderr, r.stdout);
    assert!(r.stderr.contains("::error file=rigor.toml"), "{}", r.stderr);
    assert!(!r.stdout.contains("::error"), "{}", r.stdout);
    assert!(r.stdout.contains("gate: FAIL"), "{}", r.stdout);
    let junit = std::fs::read_to_string(dir.path().join("junit.xml")).unwrap();
    assert!(
        junit.contains("tests=\"3\" failures=\"1\"") && junit.contains("<failure"),
        "{junit}"
    );
    let md = std::fs::read_to_string(summary).unwrap();
    assert!(
        md.contains("## rigor gate: fail") && md.contains("❌"),
        "{md}"
    );
}

/// `GITHUB_ACTIONS=true rigor gate --json`: stdout is the JSON and nothing else (it must
/// parse), the workflow commands are on stderr, where GitHub Actions reads them too.
#[test]
fn gate_json_in_github_actions_keeps_annotations_off_stdout() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    let plan = r#"
[[scenario]]
name = "svc"
phases = [{ kind = "steady", rate = "200/s", for = "3s" }]
[[scenario.request]]
url = "http://127.0.0.1:1/unused"

[[budget]]
scenario = "svc"
metric = "latency.p50"
max = "1ms"

[[budget]]
scenario = "svc"
metric = "latency.p95"
max = "10s"
"#;
    std::fs::write(dir.path().join("rigor.toml"), plan).unwrap();
    let t = target(&["/: latency=10ms"], None);
    run(dir.path(), &t.url("/"));
    let out = rigor(dir.path())
        .args(["gate", "--json"])
        .env("GITHUB_ACTIONS", "true")
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}\n{stdout}");
    let json: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{stdout}"));
    assert_eq!(json["outcome"], "fail", "{json}");
    common::assert_schema("gate.schema.json", &json);
    let annotations: Vec<&str> = stderr.lines().filter(|l| l.starts_with("::")).collect();
    assert_eq!(
        annotations.len(),
        1,
        "one breached budget, one annotation:\n{stderr}"
    );
    assert!(
        annotations[0].starts_with("::error file=rigor.toml,title=rigor gate%3A svc "),
        "{stderr}"
    );
}

#[test]
fn gate_rules_on_unknown_metrics_are_errors() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    let plan = GATE_PLAN.replace("metric = \"error_rate\"", "metric = \"eror_rate\"");
    std::fs::write(dir.path().join("rigor.toml"), plan).unwrap();
    let t = target(&["/: latency=1ms"], None);
    run(dir.path(), &t.url("/"));
    let r = ran(rigor(dir.path()).arg("gate").output().unwrap());
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("`eror_rate`") && r.stderr.contains("did you mean `error_rate`"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("latency.p95"),
        "lists the metrics that exist: {}",
        r.stderr
    );
}
