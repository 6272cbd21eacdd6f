//! The target's saturation: a plan-started target is sampled once a second, its figures land in
//! the summary and the store, and thresholds and gate rules can judge them.

mod common;

use common::{ran, rigor, serial, LOOSE_MAX_LAG};

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
    std::fs::write(dir.path().join("rigor.toml"), plan).unwrap();
    let r = common::only_scenario(ran(rigor(dir.path())
        .args(["run", "--json", "--quiet", "--max-lag", LOOSE_MAX_LAG])
        .output()
        .unwrap()));
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
