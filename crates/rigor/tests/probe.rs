//! The target's saturation: a plan-started target is sampled once a second, its figures land in
//! the summary and the store, and thresholds and gate rules can judge them.

mod common;

use common::{ran, rigor, serial, LOOSE_MAX_LAG};

/// Writes `plan` as the directory's rigor.toml and runs its one scenario.
fn run_plan(dir: &std::path::Path, plan: &str) -> common::Ran {
    std::fs::write(dir.join("rigor.toml"), plan).unwrap();
    common::only_scenario(ran(rigor(dir)
        .args(["run", "--json", "--quiet", "--max-lag", LOOSE_MAX_LAG])
        .output()
        .unwrap()))
}

#[test]
fn a_plan_started_target_is_sampled_and_judged() {
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
command = "rigor target --port {port} --threads 1 --route '/busy: cpu=3ms'"
ready = "http://127.0.0.1:{port}/health"

[[scenario]]
name = "busy"
phases = [{{ kind = "steady", rate = "100/s", for = "4s" }}]
thresholds = ["target.cpu < 99%", "target.rss < 1GiB"]
[[scenario.request]]
url = "http://127.0.0.1:{port}/busy"

[[rule]]
metric = "target.cpu"
max = "5%"
sustained = "2s"
action = "warn"
"#
    );
    let r = run_plan(dir.path(), &plan);
    assert_eq!(r.code, 0, "{}\n{}", r.stderr, r.stdout);
    let target = &r.json["target"];
    assert!(target["samples"].as_u64().unwrap() >= 3, "{target}");
    // 100 requests a second of 3 ms of CPU each: about 0.3 of a core on a quiet machine. How
    // much the target gets on a busy one is the machine's business, so the test asks only
    // that its CPU was seen, and within what the machine has.
    let cores = target["cpu_cores_mean"].as_f64().unwrap();
    let available = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    assert!(cores > 0.0 && cores <= available, "{target}");
    assert!(
        target["rss_max_bytes"].as_u64().unwrap() > 1024 * 1024,
        "{target}"
    );
    assert_eq!(
        r.json["thresholds"][0]["passed"], true,
        "{}",
        r.json["thresholds"]
    );
    // The per-second series is in the store: a sustained rule reads it.
    let gate = ran(rigor(dir.path()).args(["gate", "--json"]).output().unwrap());
    assert_eq!(gate.code, 0, "{}", gate.stderr);
    assert_eq!(gate.json["checks"][0]["outcome"], "warn", "{}", gate.json);
    let shown = ran(rigor(dir.path()).args(["show", "latest"]).output().unwrap());
    assert!(shown.stdout.contains("target (pid"), "{}", shown.stdout);
}

#[test]
fn a_target_pid_that_does_not_exist_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let r = ran(rigor(dir.path())
        .args([
            "load",
            &url,
            "-n",
            "1",
            "--target-pid",
            "999999999",
            "--quiet",
        ])
        .output()
        .unwrap());
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("--target-pid 999999999") && r.stderr.contains("/proc/999999999"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_pre_fork_target_is_sampled_as_a_tree_and_judged_by_phase() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    let port = common::free_port();
    let thresholds =
        r#"["target.processes <= 3", "target.cpu{phase=steady} < 100%", "target.cpu.p95 < 100%"]"#;
    let plan = common::pre_fork_plan(port, thresholds);
    let r = run_plan(dir.path(), &plan);
    assert_eq!(r.code, 0, "{}\n{}", r.stderr, r.stdout);
    let target = &r.json["target"];
    assert_eq!(target["processes_max"], 3, "{target}");
    let processes = target["processes"].as_array().expect("processes");
    assert_eq!(processes.len(), 3, "{target}");
    let root = target["pid"].as_u64().unwrap();
    let workers: Vec<&serde_json::Value> = processes
        .iter()
        .filter(|p| p["pid"].as_u64() != Some(root))
        .collect();
    assert!(
        workers.iter().all(|p| p["ppid"].as_u64() == Some(root)),
        "the workers are the target's children: {target}"
    );
    let worker_cores: f64 = workers
        .iter()
        .map(|p| p["cpu_cores_mean"].as_f64().unwrap())
        .sum();
    assert!(worker_cores > 0.0, "the workers' CPU is counted: {target}");
    let phases: Vec<&str> = target["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["phase"].as_str().unwrap())
        .collect();
    assert_eq!(phases, ["warm", "steady"], "{target}");
    for threshold in r.json["thresholds"].as_array().unwrap() {
        assert_eq!(threshold["passed"], true, "{threshold}");
        assert!(threshold["value"].is_number(), "{threshold}");
    }
    for figure in ["ctx_switches_per_s", "minor_faults_per_s", "cpu_user_mean"] {
        assert!(target[figure].is_number(), "{figure}: {target}");
    }
    // The new series are stored per second: a sustained rule reads one.
    let shown = ran(rigor(dir.path()).args(["show", "latest"]).output().unwrap());
    assert!(
        shown.stdout.contains("3 processes at most"),
        "{}",
        shown.stdout
    );
}

#[test]
fn a_target_that_dies_mid_run_is_reported_at_once_with_its_status_and_output() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    let port = common::free_port();
    let plan = format!(
        r#"
[target]
command = "rigor target --port {port} --threads 1 --exit-after 2s"
ready = "http://127.0.0.1:{port}/health"

[[scenario]]
name = "dies"
phases = [{{ kind = "steady", rate = "100/s", for = "20s" }}]
[[scenario.request]]
url = "http://127.0.0.1:{port}/"
"#
    );
    let r = run_plan(dir.path(), &plan);
    assert_eq!(r.code, 3, "{}\n{}", r.stderr, r.stdout);
    assert_eq!(r.json["status"], "target_failed", "{}", r.json);
    let target = &r.json["target"];
    let exit = &target["exit"];
    assert_eq!(exit["code"], 3, "{target}");
    assert_eq!(exit["status"], "exit status 3", "{target}");
    // Seen at the first second that ended after the death, not at the planned end.
    let died = exit["second"].as_f64().unwrap();
    let ran_for = r.json["duration_ns"].as_f64().unwrap() / 1e9;
    assert!(ran_for <= died + 2.0, "ran {ran_for}s; died at {died}");
    let output = target["output_tail"].as_str().unwrap_or_default();
    assert!(output.contains("exiting with status 3"), "{target}");
    assert!(r.json["status_reason"]
        .as_str()
        .is_some_and(|s| s.contains("exit status 3") && s.contains("exiting with status 3")));
    // The report shows the output with the run.
    let report = ran(rigor(dir.path())
        .args(["report", "latest", "-f", "md"])
        .output()
        .unwrap());
    assert!(
        report
            .stdout
            .contains("The target's last output (exit status 3)"),
        "{}",
        report.stdout
    );
}

/// A plan whose target leaks `leak` per request (or nothing), under 40 requests a second for
/// a 2 s warm phase and a 14 s steady one.
fn leak_plan(port: u16, route: &str) -> String {
    format!(
        r#"
[target]
command = "rigor target --port {port} --threads 1 --route '{route}'"
ready = "http://127.0.0.1:{port}/health"
memory_limit = "1GiB"

[[scenario]]
name = "soak"
phases = [{{ name = "warm", kind = "steady", rate = "40/s", for = "2s" }}, {{ name = "steady", kind = "steady", rate = "40/s", for = "14s" }}]
thresholds = ["target.rss.slope < 1MiB/h"]
[[scenario.request]]
url = "http://127.0.0.1:{port}/work"
"#
    )
}

#[test]
fn a_leak_is_found_with_its_slope_and_a_flat_target_is_not() {
    let _serial = common::serial();
    let dir = tempfile::tempdir().unwrap();
    let port = common::free_port();
    std::fs::write(
        dir.path().join("rigor.toml"),
        leak_plan(port, "/work: latency=1ms, leak=32KiB"),
    )
    .unwrap();
    let r = common::only_scenario(common::run_plan(dir.path()));
    let trends = r.json["target"]["trends"].as_array().unwrap_or_else(|| {
        panic!("trends: {}\n{}", r.stdout, r.stderr);
    });
    let rss = trends
        .iter()
        .find(|t| t["series"] == "target.rss")
        .expect("a memory trend");
    assert_eq!(rss["leaking"], true, "{rss}");
    // What the target kept per second: 32 KiB for each request answered in the steady phase.
    let steady = &r.json["phases"][1];
    let configured = 32.0 * 1024.0 * steady["throughput_per_s"].as_f64().unwrap();
    let slope = rss["slope_per_s"].as_f64().unwrap();
    assert!(
        (slope / configured - 1.0).abs() < 0.2,
        "found {slope} B/s, configured {configured} B/s: {rss}"
    );
    assert_eq!(rss["limit_bytes"], 1u64 << 30);
    assert!(rss["time_to_limit_s"].as_f64().unwrap() > 0.0, "{rss}");
    assert!(rss["verdict"].as_str().unwrap().starts_with("leaking"));
    assert_eq!(
        r.json["thresholds"][0]["passed"], false,
        "{}",
        r.json["thresholds"]
    );
    assert_eq!(r.code, 1);

    // The same target without the leak is not called leaking, and the threshold holds.
    let port = common::free_port();
    std::fs::write(
        dir.path().join("rigor.toml"),
        leak_plan(port, "/work: latency=1ms"),
    )
    .unwrap();
    let r = common::only_scenario(common::run_plan(dir.path()));
    let trends = r.json["target"]["trends"].as_array().unwrap();
    for t in trends {
        assert_eq!(t["leaking"], false, "{t}");
    }
    assert_eq!(
        r.json["thresholds"][0]["passed"], true,
        "{}",
        r.json["thresholds"]
    );
}
