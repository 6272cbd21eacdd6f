//! `rigor tune`: a tuning session from its start to its close against the built-in target —
//! the inputs it requires and blocks without, the baseline it takes itself, the goal's gap,
//! the plan of hypotheses, the gates and their audit trail — and the bad input it refuses.

mod common;

use common::{rigor, serial, target};

fn tune(dir: &std::path::Path, args: &[&str]) -> common::Ran {
    let mut cmd = rigor(dir);
    cmd.arg("tune").args(args).args(["--json", "--by", "alice"]);
    common::ran(cmd.output().expect("rigor runs"))
}

fn plan(dir: &std::path::Path, url: &str) {
    std::fs::write(
        dir.join("rigor.toml"),
        format!(
            "[[scenario]]\nname = \"api\"\nphases = [{{ kind = \"steady\", rate = \"40/s\", for = \"2s\" }}]\n[[scenario.request]]\nurl = \"{url}\"\n\n[[bench]]\nname = \"noop\"\ncommand = \"true\"\nruns = 3\n"
        ),
    )
    .unwrap();
}

#[test]
fn a_session_blocks_without_its_inputs_then_takes_its_baseline_and_states_the_gap() {
    let _lock = serial();
    let t = target(&["/slow: latency=30ms"], None);
    let dir = tempfile::tempdir().unwrap();
    plan(dir.path(), &t.url("/slow"));
    // Only a goal: blocked, each missing input named with the command that supplies it.
    let r = tune(
        dir.path(),
        &["start", "speed-up", "--goal", "latency.p95 < 20ms at 40/s"],
    );
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.json["session"]["state"], "blocked");
    let missing: Vec<&str> = r.json["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["input"].as_str().unwrap())
        .collect();
    assert_eq!(
        missing,
        [
            "test or benchmark",
            "baseline",
            "scope",
            "tuning approved",
            "no functional regressions (a test command)"
        ]
    );
    assert_eq!(r.json["phases"][0]["status"], "blocked");
    assert!(r.json["next"]
        .as_str()
        .unwrap()
        .starts_with("rigor tune set --scenario"));
    let r = tune(
        dir.path(),
        &[
            "set",
            "--scenario",
            "api",
            "--scope",
            "the /slow route",
            "--tests",
            "true",
        ],
    );
    assert_eq!(r.code, 3, "still not approved: {}", r.stderr);
    let r = tune(dir.path(), &["approve"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json["session"]["state"], "open");
    assert_eq!(r.json["session"]["approved"]["by"], "alice");
    assert_eq!(r.json["next"], "rigor tune baseline");
    // The missing baseline is the procedure's remediation: taken now, by running the scenario.
    let r = tune(dir.path(), &["baseline"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("[PHASE 1 START]"), "{}", r.stderr);
    let run = r.json["session"]["baseline_run"].as_i64().unwrap();
    let goal = &r.json["goal"];
    assert_eq!(goal["run_id"], run);
    assert_eq!(goal["met"], false, "{goal}");
    assert!(goal["value"].as_f64().unwrap() >= 30e6, "{goal}");
    assert!(
        goal["verdict"].as_str().unwrap().starts_with("the gap: "),
        "{goal}"
    );
    common::assert_schema("tune-status.schema.json", &r.json);
    // The plan: hypotheses in order of gain over effort; the plan gate needs one.
    let e = tune(dir.path(), &["gate", "plan", "--yes"]);
    assert_eq!(e.code, 2, "{}", e.stderr);
    assert!(e.stderr.contains("no hypothesis"), "{}", e.stderr);
    for (text, gain, effort) in [("a cache", "2", "4"), ("drop the sleep", "5", "1")] {
        let r = tune(
            dir.path(),
            &[
                "hypothesis",
                "add",
                text,
                "--expect",
                "latency.p95 -50%",
                "--gain",
                gain,
                "--effort",
                effort,
            ],
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    // The plan, reviewed before execution: printed, and written with the evidence.
    let p = tune(dir.path(), &["plan"]);
    assert_eq!(p.code, 0, "{}", p.stderr);
    common::assert_schema("optimization-plan.schema.json", &p.json);
    let order: Vec<&str> = p.json["hypotheses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["text"].as_str().unwrap())
        .collect();
    assert_eq!(order, ["drop the sleep", "a cache"]);
    assert!(p.json["reviewed"].is_null(), "not yet reviewed: {}", p.json);
    assert_eq!(p.json["steps"].as_array().unwrap().len(), 5);
    assert!(dir
        .path()
        .join(".artifacts/performance/optimization-plan.json")
        .is_file());
    let r = tune(dir.path(), &["gate", "plan", "--yes"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = tune(dir.path(), &["gate", "plan", "--yes"]);
    assert_eq!(r.code, 2, "a gate answered twice: {}", r.stderr);
    assert!(r.stderr.contains("answered yes by alice"), "{}", r.stderr);
    let r = tune(dir.path(), &["status"]);
    let s = &r.json["session"];
    assert_eq!(s["hypotheses"].as_array().unwrap().len(), 2);
    assert_eq!(s["gates"][0]["gate"], "plan");
    let trail: Vec<&str> = s["log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["what"].as_str().unwrap())
        .collect();
    assert!(trail.contains(&"approved the tuning"), "{trail:?}");
    assert!(
        trail.iter().any(|t| t.starts_with("recorded run")),
        "{trail:?}"
    );
    // The terminal form: the tracker and the hypotheses by return on effort.
    let text = common::ran(
        rigor(dir.path())
            .args(["tune", "status", "--by", "alice"])
            .output()
            .unwrap(),
    );
    assert!(
        text.stdout.contains("1      Baseline and requirements"),
        "{}",
        text.stdout
    );
    let first = text.stdout.find("drop the sleep").unwrap();
    let second = text.stdout.find("a cache").unwrap();
    assert!(first < second, "{}", text.stdout);
    // Not every gate passed: closing as completed is refused; aborting keeps everything.
    let r = tune(dir.path(), &["close"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let r = tune(
        dir.path(),
        &["close", "--abort", "--reason", "moved to another team"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json["session"]["state"], "aborted");
    assert_eq!(r.json["session"]["baseline_run"], run);
    assert_eq!(
        r.json["session"]["closed"]["reason"],
        "moved to another team"
    );
    let r = tune(dir.path(), &["hypothesis", "add", "late"]);
    assert_eq!(r.code, 2, "a closed session is kept as it is: {}", r.stderr);
    // The aborted session's evidence: every phase it did not reach says so, none is empty.
    let artifacts = dir.path().join(".artifacts/performance");
    for (name, says) in [
        (
            "phase3_performance_optimization.md",
            "Phase not reached: no change was validated",
        ),
        (
            "phase4_performance_capacity.md",
            "Phase not reached: no capacity search ran",
        ),
        (
            "phase5_performance_operations.md",
            "Phase not reached: no budget or SLO update",
        ),
        ("instrumentation-update-log.md", "| baseline |"),
        ("continuous-improvement-notes.md", "State: aborted"),
    ] {
        let text = std::fs::read_to_string(artifacts.join(name)).unwrap();
        assert!(text.contains(says), "{name}: {text}");
    }
}

#[test]
fn a_goal_already_met_is_said_plainly_and_bad_input_is_refused() {
    let _lock = serial();
    let t = target(&["/fast: latency=1ms"], None);
    let dir = tempfile::tempdir().unwrap();
    plan(dir.path(), &t.url("/fast"));
    for (args, says) in [
        (
            vec!["start", "s", "--goal", "latncy.p95 < 1s"],
            "did you mean `latency.p95`",
        ),
        (
            vec!["start", "s", "--goal", "latency.p95 < 1s sustained 1m"],
            "belong to rules",
        ),
        (
            vec!["start", "s", "--scenario", "apii"],
            "did you mean `api`",
        ),
        (vec!["status"], "no tuning session in"),
    ] {
        let r = tune(dir.path(), &args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(says), "{args:?}: {}", r.stderr);
    }
    let r = tune(
        dir.path(),
        &[
            "start",
            "fast",
            "--goal",
            "latency.p95 < 500ms",
            "--scenario",
            "api",
            "--scope",
            "all",
            "--tests",
            "true",
            "--approve",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let again = tune(
        dir.path(),
        &["start", "other", "--goal", "latency.p95 < 1s"],
    );
    assert_eq!(again.code, 2, "{}", again.stderr);
    assert!(
        again.stderr.contains("already open here: `fast`"),
        "{}",
        again.stderr
    );
    let r = tune(dir.path(), &["baseline"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let goal = &r.json["goal"];
    assert_eq!(goal["met"], true, "{goal}");
    assert!(
        goal["verdict"]
            .as_str()
            .unwrap()
            .contains("tuning is not justified"),
        "{goal}"
    );
    // A bench reproduces work too, and a stored run can be adopted as the baseline.
    let r = tune(dir.path(), &["set", "--bench", "noop"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = tune(dir.path(), &["baseline"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let bench_run = r.json["session"]["baseline_run"].as_i64().unwrap();
    let r = tune(dir.path(), &["baseline", "--run", "1"]);
    assert_eq!(r.json["session"]["baseline_run"], 1, "{}", r.stderr);
    assert!(bench_run > 1);
    let r = tune(dir.path(), &["baseline", "--run", "99"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}

/// A plan whose target is the built-in one, started by the plan, with `/api` answering as
/// `route` says (`latency=30ms`): changing the route is the "fix" a session validates.
fn target_plan(dir: &std::path::Path, port: u16, route: &str) {
    std::fs::write(
        dir.join("rigor.toml"),
        format!(
            "[target]\ncommand = \"rigor target --port {port} --route '/api: {route}'\"\nready = \"http://127.0.0.1:{port}/health\"\n\n[[scenario]]\nname = \"api\"\nphases = [{{ kind = \"steady\", rate = \"50/s\", for = \"3s\" }}]\n[[scenario.request]]\nurl = \"http://127.0.0.1:{port}/api\"\ncheck = {{ status = [200] }}\n"
        ),
    )
    .unwrap();
}

/// [`target_plan`] with a latency SLO of the scenario.
fn slo_plan(dir: &std::path::Path, port: u16, route: &str) {
    target_plan(dir, port, route);
    let mut plan = std::fs::read_to_string(dir.join("rigor.toml")).unwrap();
    plan.push_str("\n[[slo]]\nname = \"api-fast\"\nscenario = \"api\"\nsli = \"latency\"\nthreshold = \"100ms\"\nobjective = \"99%\"\nwindow = \"30d\"\n");
    std::fs::write(dir.join("rigor.toml"), plan).unwrap();
}

#[test]
fn a_whole_session_validates_a_fix_and_refuses_one_that_breaks_the_tests() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    let port = common::free_port();
    slo_plan(dir.path(), port, "latency=30ms");
    std::fs::write(dir.path().join("check.sh"), "test ! -f broken\n").unwrap();
    let r = tune(
        dir.path(),
        &[
            "start",
            "api-latency",
            "--goal",
            "latency.p50 < 15ms",
            "--scenario",
            "api",
            "--scope",
            "the /api route",
            "--tests",
            "sh check.sh",
            "--approve",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let e = tune(dir.path(), &["validate"]);
    assert_eq!(
        e.code, 2,
        "validate before the plan is approved: {}",
        e.stderr
    );
    assert!(
        e.stderr.contains("reviewed before it is executed"),
        "{}",
        e.stderr
    );
    assert_eq!(tune(dir.path(), &["baseline"]).code, 0);
    tune(
        dir.path(),
        &[
            "hypothesis",
            "add",
            "the route's latency is configuration",
            "--expect",
            "latency.p50 -50%",
            "--gain",
            "5",
            "--effort",
            "1",
        ],
    );
    assert_eq!(tune(dir.path(), &["gate", "plan", "--yes"]).code, 0);
    assert_eq!(tune(dir.path(), &["gate", "baseline", "--yes"]).code, 0);
    let e = tune(dir.path(), &["gate", "optimisation", "--yes"]);
    assert_eq!(e.code, 2, "nothing validated yet: {}", e.stderr);
    assert_eq!(
        tune(dir.path(), &["status"]).json["next"],
        "rigor tune diagnose"
    );
    let r = tune(dir.path(), &["diagnose"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.json["session"]["diagnosis"]["findings"][0]["bottleneck"], "waiting",
        "a 30 ms route that uses little CPU waits: {}",
        r.json["session"]["diagnosis"]
    );
    assert_eq!(tune(dir.path(), &["gate", "diagnosis", "--yes"]).code, 0);

    // The fix: the route answers in 3 ms. Validated against the baseline.
    slo_plan(dir.path(), port, "latency=3ms");
    let r = tune(
        dir.path(),
        &[
            "validate",
            "--note",
            "route latency 30ms → 3ms",
            "--hypothesis",
            "1",
        ],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let it = &r.json["session"]["iterations"][0];
    assert_eq!(it["outcome"], "improved", "{it}");
    let change = &it["goal_change"];
    assert_eq!(
        (change["metric"].as_str(), change["verdict"].as_str()),
        (Some("latency.p50"), Some("improved")),
        "{it}"
    );
    assert!(
        change["upper"].as_f64().unwrap() < -0.5,
        "the whole interval is a large cut: {change}"
    );
    assert_eq!(it["goal"]["met"], true, "{it}");
    assert_eq!(it["tests"]["passed"], true, "{it}");
    assert_eq!(r.json["session"]["hypotheses"][0]["status"], "confirmed");
    assert!(r.json["session"]["hypotheses"][0]["evidence"]
        .as_str()
        .unwrap()
        .contains("latency.p50"));
    assert_eq!(r.json["next"], "rigor tune gate optimisation --yes");

    // A faster change that breaks the functional tests: the gate refuses it whatever the
    // speed-up.
    std::fs::write(dir.path().join("broken"), "").unwrap();
    let r = tune(dir.path(), &["validate", "--note", "skip the checks"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.json["session"]["iterations"][1]["outcome"],
        "tests_failed"
    );
    let e = tune(dir.path(), &["gate", "optimisation", "--yes"]);
    assert_eq!(e.code, 2, "{}", e.stderr);
    assert!(
        e.stderr.contains("fast but wrong is useless"),
        "{}",
        e.stderr
    );
    std::fs::remove_file(dir.path().join("broken")).unwrap();

    // A change that is faster but fails requests: a trade-off, passed only when signed off.
    slo_plan(dir.path(), port, "latency=3ms, errors=10%@503");
    let r = tune(dir.path(), &["validate", "--note", "drop the retries"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let it = &r.json["session"]["iterations"][2];
    assert_eq!(it["outcome"], "trade_off", "{it}");
    assert!(it["regressed"].to_string().contains("error_rate"), "{it}");
    let e = tune(dir.path(), &["gate", "optimisation", "--yes"]);
    assert_eq!(e.code, 2, "{}", e.stderr);
    assert!(
        e.stderr.contains("error_rate") && e.stderr.contains("regressed (a trade-off)"),
        "{}",
        e.stderr
    );
    let r = tune(
        dir.path(),
        &[
            "gate",
            "optimisation",
            "--yes",
            "--note",
            "errors are retried by the client",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Phases 4 and 5: the governance gate needs the capacity phase done (here a recorded
    // skip) and the budgets written.
    let e = tune(dir.path(), &["gate", "governance", "--yes"]);
    assert_eq!(e.code, 2, "{}", e.stderr);
    assert!(e.stderr.contains("phase 4 is not done"), "{}", e.stderr);
    assert_eq!(
        tune(dir.path(), &["status"]).json["next"],
        "rigor capacity api --slo '…', then rigor tune capacity --search latest"
    );
    let e = tune(dir.path(), &["capacity", "--skip"]);
    assert_eq!(e.code, 2, "a skip says why: {}", e.stderr);
    let e = tune(dir.path(), &["capacity"]);
    assert_eq!(e.code, 2, "{}", e.stderr);
    assert!(e.stderr.contains("run `rigor capacity api"), "{}", e.stderr);
    let e = tune(dir.path(), &["capacity", "--search", "latest"]);
    assert_eq!(e.code, 2, "no search was made: {}", e.stderr);
    assert!(
        e.stderr.contains("no capacity search `latest`"),
        "{}",
        e.stderr
    );
    let r = tune(
        dir.path(),
        &[
            "capacity",
            "--skip",
            "--reason",
            "one route's latency, not its capacity",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json["phases"][3]["status"], "done");
    let e = tune(dir.path(), &["gate", "governance", "--yes"]);
    assert!(e.stderr.contains("rigor tune monitor"), "{}", e.stderr);
    let e = tune(dir.path(), &["monitor", "--budget", "latency.p95 < +10%"]);
    assert_eq!(e.code, 2, "a budget is absolute: {}", e.stderr);
    let e = tune(dir.path(), &["monitor", "--slo", "api-fast objective=100%"]);
    assert_eq!(
        e.code, 2,
        "an objective of 100 % has no budget: {}",
        e.stderr
    );
    let e = tune(dir.path(), &["monitor", "--slo", "api-slow threshold=20ms"]);
    assert!(
        e.code == 2 && e.stderr.contains("it has api-fast"),
        "{}",
        e.stderr
    );
    let r = tune(
        dir.path(),
        &[
            "monitor",
            "--budget",
            "latency.p99 < 50ms",
            "--slo",
            "api-fast threshold=20ms",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    // The SLO changed in the plan, its rules were written again from it.
    let rules = std::fs::read_to_string(dir.path().join("slo-rules.yml")).unwrap();
    assert!(rules.contains(r#"le=\"0.02\""#), "{rules}");
    let slo_update = r.json["session"]["monitoring"]["updates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["kind"] == "slo")
        .unwrap()
        .clone();
    assert_eq!(slo_update["old"], "threshold 100ms", "{slo_update}");
    assert_eq!(slo_update["new"], "threshold 20ms");
    assert_eq!(slo_update["scenario"], "api");
    assert!(
        slo_update["reason"]
            .as_str()
            .unwrap()
            .contains("measured 100%"),
        "the final run's verdict is the evidence: {slo_update}"
    );
    let plan = std::fs::read_to_string(dir.path().join("rigor.toml")).unwrap();
    assert!(plan.contains("threshold = \"20ms\""), "{plan}");
    assert!(
        plan.contains("check = \"latency.p50 < 15ms\"")
            && plan.contains("check = \"latency.p99 < 50ms\""),
        "{plan}"
    );
    let updates = &r.json["session"]["monitoring"]["updates"];
    assert_eq!(updates[0]["new"], "latency.p50 < 15ms", "{updates}");
    assert!(updates[0]["old"].is_null(), "{updates}");
    // The budgets hold the final run: the gate passes on it.
    let final_run = r.json["session"]["monitoring"]["final_run"]
        .as_i64()
        .unwrap();
    let gate = common::ran(
        rigor(dir.path())
            .args(["gate", "--run", &final_run.to_string()])
            .output()
            .unwrap(),
    );
    assert_eq!(gate.code, 0, "{}\n{}", gate.stdout, gate.stderr);
    let r = tune(dir.path(), &["gate", "governance", "--yes"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.json["session"]["monitoring"]["updates"][0]["approved"]["by"],
        "alice"
    );
    assert_eq!(r.json["next"], "rigor tune close --promote");
    let r = tune(dir.path(), &["close", "--promote"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json["session"]["state"], "completed");
    assert_eq!(r.json["session"]["iterations"].as_array().unwrap().len(), 3);
    assert_eq!(r.json["session"]["promoted"]["run_id"], final_run);
    let shown = common::ran(
        rigor(dir.path())
            .args(["baseline", "show", "api"])
            .output()
            .unwrap(),
    );
    assert!(
        shown.stdout.contains(&format!("run {final_run}")),
        "{}\n{}",
        shown.stdout,
        shown.stderr
    );
    let snapshot = r.json["session"]["promoted"]["snapshot"].as_str().unwrap();
    assert!(snapshot.starts_with("docs/perf/baselines/"), "{snapshot}");
    assert!(dir.path().join(snapshot).is_file(), "{snapshot}");
    common::assert_schema("tune-status.schema.json", &r.json);
    let artifacts = dir.path().join(".artifacts/performance");
    check_artifacts(&artifacts, "completed");
    let record: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(artifacts.join("slo-update-record.json")).unwrap(),
    )
    .unwrap();
    let kinds: Vec<&str> = record["updates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["budget", "budget", "slo", "baseline"], "{record}");
    assert!(
        record["updates"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["approved"]["by"] == "alice"),
        "the governance gate approved every change: {record}"
    );
    let log = std::fs::read_to_string(artifacts.join("tune-session.log")).unwrap();
    for line in [
        "[PHASE 1 START]",
        "[PHASE 1 COMPLETE]",
        "[PHASE 2 START]",
        "[PHASE 3 COMPLETE]",
    ] {
        assert!(log.contains(line), "{line} not in {log}");
    }
    let notes = std::fs::read_to_string(artifacts.join("continuous-improvement-notes.md")).unwrap();
    assert!(
        notes.contains("errors are retried by the client"),
        "the sign-off: {notes}"
    );
    let log = std::fs::read_to_string(artifacts.join("instrumentation-update-log.md")).unwrap();
    assert!(log.contains("| yes |"), "the target was sampled: {log}");
    assert!(
        log.contains("latency.p50: none → latency.p50 < 15ms"),
        "{log}"
    );
    // The final run's own report says what it was in the session.
    let report = common::ran(
        rigor(dir.path())
            .args(["report", &final_run.to_string(), "-f", "md"])
            .output()
            .unwrap(),
    );
    assert!(
        report.stdout.contains("## Tuning session")
            && report.stdout.contains(
                "`api-latency` (completed; scope: the /api route): this run is iteration 3"
            ),
        "{}",
        report.stdout
    );
}

/// Every artifact is there, each JSON one follows its schema, and the manifest lists each
/// with the SHA-256 and size of the file beside it.
fn check_artifacts(dir: &std::path::Path, state: &str) {
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    let manifest: serde_json::Value =
        serde_json::from_str(&read("performance-report-manifest.json")).unwrap();
    common::assert_schema("performance-report-manifest.schema.json", &manifest);
    assert_eq!(manifest["state"], state);
    let listed: Vec<&str> = manifest["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["path"].as_str().unwrap())
        .collect();
    for name in [
        "performance-intake-report.json",
        "baseline-metrics.csv",
        "hypothesis-log.md",
        "optimization-plan.json",
        "profiling-report.md",
        "load-test-results.json",
        "optimization-validation-report.json",
        "phase1_performance_baseline.md",
        "phase2_performance_profiling.md",
        "phase3_performance_optimization.md",
        "phase4_performance_capacity.md",
        "phase5_performance_operations.md",
        "slo-update-record.json",
        "instrumentation-update-log.md",
        "continuous-improvement-notes.md",
        "tune-session.log",
        "PERFORMANCE-REPORT.md",
    ] {
        assert!(
            listed.contains(&name),
            "{name} not in the manifest: {listed:?}"
        );
    }
    for entry in manifest["artifacts"].as_array().unwrap() {
        let name = entry["path"].as_str().unwrap();
        let bytes = std::fs::read(dir.join(name)).unwrap();
        let hash: String = ring::digest::digest(&ring::digest::SHA256, &bytes)
            .as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(entry["sha256"], hash, "{name}");
        assert_eq!(entry["bytes"], bytes.len() as u64, "{name}");
        if let Some(stem) = name.strip_suffix(".json") {
            let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            common::assert_schema(&format!("{stem}.schema.json"), &value);
        }
    }
    let csv = read("baseline-metrics.csv");
    assert!(
        csv.starts_with("metric,value,unit,run_id,method\n"),
        "{csv}"
    );
    assert!(csv.contains("\nlatency.p50,"), "{csv}");
    let report = read("PERFORMANCE-REPORT.md");
    assert!(
        report.contains("## Phase 4: Load testing and capacity"),
        "{report}"
    );
    assert!(
        report.contains("Skipped by alice"),
        "the skipped phase says who and why: {report}"
    );
}

/// A plan of the built-in target on `port` with `/work` answering as `route`, `phases` long.
fn triage_plan(dir: &std::path::Path, port: u16, route: &str, phases: &str) {
    std::fs::write(
        dir.join("rigor.toml"),
        format!(
            "[target]\ncommand = \"rigor target --port {port} --threads 1 --route '/work: {route}'\"\nready = \"http://127.0.0.1:{port}/health\"\nmemory_limit = \"1GiB\"\n\n[[scenario]]\nname = \"work\"\nphases = {phases}\n[[scenario.request]]\nurl = \"http://127.0.0.1:{port}/work\"\n"
        ),
    )
    .unwrap();
}

#[test]
fn the_triage_names_each_bottleneck_from_its_evidence() {
    let _lock = serial();
    let steady = r#"[{ kind = "steady", rate = "40/s", for = "3s" }]"#;
    let soak = r#"[{ name = "warm", kind = "steady", rate = "40/s", for = "2s" }, { name = "steady", kind = "steady", rate = "40/s", for = "12s" }]"#;
    for (route, phases, named, says) in [
        ("cpu=8ms", steady, "cpu_bound", "CPU per request"),
        ("latency=40ms", steady, "waiting", "CPU is"),
        (
            "latency=1ms, errors=20%@503",
            steady,
            "errors_under_load",
            "http_503",
        ),
        ("latency=1ms, leak=32KiB", soak, "memory_growth", "grew"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let port = common::free_port();
        triage_plan(dir.path(), port, route, phases);
        let r = tune(
            dir.path(),
            &[
                "start",
                "t",
                "--goal",
                "latency.p95 < 1ms",
                "--scenario",
                "work",
                "--scope",
                "/work",
                "--tests",
                "true",
                "--approve",
            ],
        );
        assert_eq!(r.code, 0, "{route}: {}", r.stderr);
        assert_eq!(tune(dir.path(), &["baseline"]).code, 0, "{route}");
        let r = tune(dir.path(), &["diagnose"]);
        assert_eq!(r.code, 0, "{route}: {}\n{}", r.stdout, r.stderr);
        assert!(r.stderr.contains("[PHASE 2 START]"), "{}", r.stderr);
        assert!(
            r.stderr
                .contains("[PHASE 2 COMPLETE] - diagnosing under load: run "),
            "{}",
            r.stderr
        );
        let d = &r.json["session"]["diagnosis"];
        let findings = d["findings"].as_array().unwrap();
        let kinds: Vec<&str> = findings
            .iter()
            .map(|f| f["bottleneck"].as_str().unwrap())
            .collect();
        assert!(kinds.contains(&named), "{route}: named {kinds:?}: {d}");
        let finding = findings.iter().find(|f| f["bottleneck"] == named).unwrap();
        assert!(
            finding["evidence"].to_string().contains(says),
            "{route}: {finding}"
        );
        // The CPU-bound and waiting routes are told apart: each is not called the other.
        match named {
            "cpu_bound" => assert!(!kinds.contains(&"waiting"), "{kinds:?}"),
            "waiting" => assert_eq!(kinds[0], "waiting", "{kinds:?}"),
            _ => {}
        }
        assert!(r.json["phases"][1]["notes"]
            .as_str()
            .unwrap()
            .starts_with("bottleneck:"));
    }
}

#[test]
fn a_missing_benchmark_is_written_into_the_plan_and_measured() {
    let _lock = serial();
    let t = target(&["/item: latency=2ms"], None);
    let dir = tempfile::tempdir().unwrap();
    // No plan at all: --url writes a minimal scenario at the goal's rate, and says where.
    let r = tune(
        dir.path(),
        &[
            "start",
            "items",
            "--goal",
            "latency.p95 < 100ms at 20/s",
            "--url",
            &t.url("/item"),
            "--scope",
            "items",
            "--tests",
            "true",
            "--approve",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("wrote a minimal scenario `tune-items` to rigor.toml:3"),
        "{}",
        r.stderr
    );
    assert_eq!(r.json["session"]["reproducer"]["scenario"], "tune-items");
    let plan = std::fs::read_to_string(dir.path().join("rigor.toml")).unwrap();
    assert!(plan.contains("rate = \"20/s\""), "{plan}");
    rigor_model::Plan::parse(&plan, std::path::Path::new("rigor.toml")).expect("a valid plan");
    // Shortened for the test; the user edits it to match real use.
    std::fs::write(
        dir.path().join("rigor.toml"),
        plan.replace("for = \"30s\"", "for = \"2s\""),
    )
    .unwrap();
    let r = tune(dir.path(), &["baseline"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json["goal"]["met"], true, "{}", r.json["goal"]);
    // A command is written as a bench.
    let r = tune(dir.path(), &["set", "--command", "sleep 0.01"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json["session"]["reproducer"]["bench"], "tune-items-bench");
    let plan = std::fs::read_to_string(dir.path().join("rigor.toml")).unwrap();
    assert!(
        plan.contains("[[bench]]\nname = \"tune-items-bench\"\ncommand = \"sleep 0.01\""),
        "{plan}"
    );
    let e = tune(dir.path(), &["set", "--url", "not a url"]);
    assert_eq!(e.code, 2, "{}", e.stderr);
    // A second start is refused before it writes anything into the plan.
    let before = std::fs::read_to_string(dir.path().join("rigor.toml")).unwrap();
    let e = tune(dir.path(), &["start", "more", "--url", &t.url("/other")]);
    assert_eq!(e.code, 2, "{}", e.stderr);
    assert!(
        e.stderr.contains("already open here: `items`"),
        "{}",
        e.stderr
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("rigor.toml")).unwrap(),
        before
    );
}

#[test]
fn an_interleaved_validation_judges_round_by_round_and_at_the_expected_peak() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    let port = common::free_port();
    std::fs::write(
        dir.path().join("rigor.toml"),
        format!(
            "[target]\ncommand = \"rigor target --port {port} --route '/api: latency=20ms'\"\nready = \"http://127.0.0.1:{port}/health\"\n\n[[scenario]]\nname = \"api\"\nphases = [{{ kind = \"steady\", rate = \"60/s\", for = \"2s\" }}]\n[[scenario.request]]\nurl = \"http://127.0.0.1:{port}/api\"\ncheck = {{ status = [200] }}\n"
        ),
    )
    .unwrap();
    let version =
        |latency: &str| format!("rigor target --port {port} --route '/api: latency={latency}'");
    let r = tune(
        dir.path(),
        &[
            "start",
            "interleaved",
            "--goal",
            "latency.p50 < 10ms at 60/s",
            "--peak",
            "120/s",
            "--scenario",
            "api",
            "--scope",
            "the /api route",
            "--tests",
            "true",
            "--approve",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    // The baseline: two runs of the unchanged system, and one at the expected peak.
    let r = tune(dir.path(), &["baseline", "--repeat", "2"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("taking the baseline at the expected peak: rigor run api")
            && r.stderr.contains("--rate 120/s"),
        "{}",
        r.stderr
    );
    let s = &r.json["session"];
    assert_eq!(s["baseline_runs"].as_array().unwrap().len(), 2, "{s}");
    let peak_baseline = s["baseline_peak_run"].as_i64().expect("a run at the peak");
    let peak_run = tune(dir.path(), &["status"]);
    let risks = peak_run.json["risks"].to_string();
    assert!(
        !risks.contains("noisy benchmark"),
        "20 ms against 10 ms: {risks}"
    );
    // The peak run ran at twice the rate.
    let shown = common::ran(
        rigor(dir.path())
            .args(["show", &peak_baseline.to_string(), "--json"])
            .output()
            .unwrap(),
    );
    let sent = shown.json["total"]["requests"].as_u64().unwrap();
    assert!((200..=250).contains(&sent), "120/s for 2 s: {sent}");

    tune(
        dir.path(),
        &["hypothesis", "add", "the route is slow by configuration"],
    );
    assert_eq!(tune(dir.path(), &["gate", "plan", "--yes"]).code, 0);
    let e = tune(
        dir.path(),
        &["validate", "--before", &version("20ms"), "--rounds", "2"],
    );
    assert_eq!(
        e.code, 2,
        "--before without --after, 2 rounds: {}",
        e.stderr
    );
    // Before and after started by their own commands, A B A B A B, then the after at the peak.
    let r = tune(
        dir.path(),
        &[
            "validate",
            "--note",
            "route latency 20ms → 5ms",
            "--hypothesis",
            "1",
            "--before",
            &version("20ms"),
            "--after",
            &version("5ms"),
            "--rounds",
            "3",
        ],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let it = &r.json["session"]["iterations"][0];
    assert_eq!(it["outcome"], "improved", "{it}");
    let x = &it["interleaved"];
    assert_eq!(x["rounds"], 3);
    let (before, after) = (
        x["before_runs"].as_array().unwrap(),
        x["after_runs"].as_array().unwrap(),
    );
    assert_eq!((before.len(), after.len()), (3, 3), "{x}");
    // Alternation: each before run comes just ahead of its after run.
    for (b, a) in before.iter().zip(after) {
        assert_eq!(b.as_i64().unwrap() + 1, a.as_i64().unwrap(), "{x}");
    }
    assert_eq!(it["against"], before[2]);
    let change = &it["goal_change"];
    assert_eq!(change["verdict"], "improved", "{change}");
    assert!(
        change["method"]
            .as_str()
            .unwrap()
            .starts_with("interleaved: 3 rounds"),
        "{change}"
    );
    assert!(change["upper"].as_f64().unwrap() < -0.5, "{change}");
    let peak = &it["peak"];
    assert_eq!(peak["rate"], "120/s");
    assert_eq!(peak["against"], peak_baseline, "{peak}");
    assert_eq!(peak["goal_change"]["verdict"], "improved", "{peak}");
    assert!(it["previous"].is_null(), "the first iteration: {it}");

    // A second change, validated alone: judged against the baseline and the previous one.
    let r = tune(dir.path(), &["validate", "--note", "nothing changed"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let it = &r.json["session"]["iterations"][1];
    assert_eq!(it["against"], r.json["session"]["baseline_run"]);
    assert_eq!(it["previous"]["metric"], "latency.p50", "{it}");
    assert_eq!(
        it["previous"]["verdict"], "regressed",
        "the plan's 20 ms against the interleaved 5 ms: {it}"
    );
    common::assert_schema("tune-status.schema.json", &r.json);
}

#[test]
fn a_gate_asks_a_person_at_a_terminal_and_refuses_what_is_not_ready() {
    let dir = tempfile::tempdir().unwrap();
    plan(dir.path(), "http://127.0.0.1:9/");
    let r = tune(
        dir.path(),
        &[
            "start",
            "asked",
            "--goal",
            "latency.p95 < 20ms",
            "--scenario",
            "api",
            "--scope",
            "the API",
            "--tests",
            "true",
            "--approve",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Not at a terminal: the answer must be given as a flag.
    let e = tune(dir.path(), &["gate", "plan"]);
    assert_eq!(e.code, 2, "{}", e.stderr);
    assert!(
        e.stderr.contains("--yes, --no or --clarify"),
        "{}",
        e.stderr
    );
    // At a terminal (`script` gives the command one): the question, what stands in the way,
    // then Yes / No / Clarify; an unknown answer is asked again.
    let exe = env!("CARGO_BIN_EXE_rigor");
    let asked = |input: &str, gate: &str| {
        let mut cmd = std::process::Command::new("script");
        cmd.args([
            "-qec",
            &format!("'{exe}' tune gate {gate} --by carol"),
            "/dev/null",
        ])
        .current_dir(dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().expect("script (util-linux) runs");
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).to_string(),
        )
    };
    let (code, text) = asked("maybe\nc\nwhich build is measured?\n", "baseline");
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("gate `baseline`: "), "{text}");
    assert!(
        text.contains("no baseline is recorded"),
        "what stands in the way: {text}"
    );
    assert_eq!(text.matches("Yes, No or Clarify?").count(), 2, "{text}");
    let s = tune(dir.path(), &["status"]);
    let answered = &s.json["session"]["gates"][0];
    assert_eq!(answered["answer"], "clarify", "{answered}");
    assert_eq!(answered["note"], "which build is measured?");
    assert_eq!(answered["signed"]["by"], "carol");
    // A Yes the gate cannot take is refused as with --yes, and nothing is recorded.
    let (code, text) = asked("y\n\n", "baseline");
    assert_eq!(code, Some(2), "{text}");
    let e = tune(dir.path(), &["gate", "diagnosis", "--yes"]);
    assert_eq!(e.code, 2, "{}", e.stderr);
    let s = tune(dir.path(), &["status"]);
    assert_eq!(s.json["session"]["gates"].as_array().unwrap().len(), 1);
    // Interleaving starts the target for each run: a plan without a ready URL is refused.
    let e = tune(
        dir.path(),
        &[
            "validate",
            "--before",
            "serve --old",
            "--after",
            "serve --new",
        ],
    );
    assert_eq!(e.code, 2, "{}", e.stderr);
    assert!(
        e.stderr.contains("needs a [target] with `ready`"),
        "{}",
        e.stderr
    );
}

#[test]
fn a_faster_change_that_costs_memory_is_a_trade_off_to_sign_off() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    let port = common::free_port();
    target_plan(dir.path(), port, "latency=30ms");
    let r = tune(
        dir.path(),
        &[
            "start",
            "memory-for-latency",
            "--goal",
            "latency.p50 < 15ms",
            "--scenario",
            "api",
            "--scope",
            "the /api route",
            "--tests",
            "true",
            "--approve",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(tune(dir.path(), &["baseline"]).code, 0);
    tune(
        dir.path(),
        &[
            "hypothesis",
            "add",
            "cache the answers",
            "--area",
            "caching",
        ],
    );
    let plan = tune(dir.path(), &["plan"]);
    assert!(
        plan.json["risks"]
            .to_string()
            .contains("memory for latency"),
        "a cache's trade-off is a risk the plan names: {}",
        plan.json
    );
    assert_eq!(tune(dir.path(), &["gate", "plan", "--yes"]).code, 0);
    assert_eq!(tune(dir.path(), &["gate", "baseline", "--yes"]).code, 0);
    // The "cache": ten times faster, and every answer kept (256 KiB each, 150 of them).
    target_plan(dir.path(), port, "latency=3ms, leak=256KiB");
    let r = tune(
        dir.path(),
        &["validate", "--note", "a cache", "--hypothesis", "1"],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let it = &r.json["session"]["iterations"][0];
    assert_eq!(it["outcome"], "trade_off", "{it}");
    assert_eq!(it["goal_change"]["verdict"], "improved", "{it}");
    let traded: Vec<&str> = it["regressed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["metric"].as_str().unwrap())
        .collect();
    assert!(
        traded.iter().any(|m| m.starts_with("target.rss")),
        "the memory it costs: {it}"
    );
    let e = tune(dir.path(), &["gate", "optimisation", "--yes"]);
    assert_eq!(e.code, 2, "{}", e.stderr);
    assert!(
        e.stderr.contains("target.rss") && e.stderr.contains("sign it off explicitly"),
        "{}",
        e.stderr
    );
    let r = tune(
        dir.path(),
        &[
            "gate",
            "optimisation",
            "--yes",
            "--note",
            "40 MiB is within the pod's limit",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let answered = &r.json["session"]["gates"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(answered["note"], "40 MiB is within the pod's limit");
}

#[test]
fn a_capacity_search_of_the_tuned_system_is_phase_4_with_its_headroom_over_the_peak() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    let port = common::free_port();
    // Four 20 ms workers: 200/s at most, below the expected peak of 250/s.
    target_plan(dir.path(), port, "latency=20ms, concurrency=4");
    let r = tune(
        dir.path(),
        &[
            "start",
            "pool",
            "--goal",
            "latency.p95 < 50ms",
            "--scenario",
            "api",
            "--scope",
            "the /api route",
            "--tests",
            "true",
            "--peak",
            "250/s",
            "--approve",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let search = common::ran(
        rigor(dir.path())
            .args([
                "capacity",
                "api",
                "--slo",
                "latency.p99 < 200ms",
                "--start",
                "150/s",
                "--rounds",
                "1",
                "--ramp",
                "1s",
                "--warmup",
                "1s",
                "--hold",
                "3s",
            ])
            .output()
            .unwrap(),
    );
    assert_eq!(search.code, 0, "{}\n{}", search.stdout, search.stderr);
    let r = tune(dir.path(), &["capacity", "--search", "latest"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let found = &r.json["session"]["capacity"]["search"];
    let capacity = found["max_sustainable_per_s"].as_f64().unwrap();
    assert!((150.0..=210.0).contains(&capacity), "{found}");
    assert!(found["headroom"].as_f64().unwrap() < 0.0, "{found}");
    assert_eq!(found["expected_peak_per_s"], 250.0);
    assert_eq!(r.json["phases"][3]["status"], "done");
    let note = r.json["phases"][3]["notes"].as_str().unwrap();
    assert!(note.contains("BELOW the expected peak 250.0/s"), "{note}");
    let risks = r.json["risks"].to_string();
    assert!(
        risks.contains("will not be served within the SLOs"),
        "{risks}"
    );
    common::assert_schema("tune-status.schema.json", &r.json);
    // The phase's report names the search and its runs.
    let r = tune(dir.path(), &["report"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let phase4 = std::fs::read_to_string(
        dir.path()
            .join(".artifacts/performance/phase4_performance_capacity.md"),
    )
    .unwrap();
    assert!(
        phase4.contains("Capacity search 1 of scenario `api`"),
        "{phase4}"
    );
}
