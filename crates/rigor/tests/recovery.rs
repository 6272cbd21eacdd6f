//! Recovery after a spike, against a server whose capacity is known: it serves one request at
//! a time in 8 ms (about 120 a second), so a steady 40/s is comfortable, a spike to 200/s
//! builds a queue, and after it the queue drains at the difference — the service comes back a
//! few seconds after the spike ends, and the run says how many.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{ms, rigor, run_plan, serial};

/// A keep-alive HTTP/1.1 server on loopback that serves one request at a time, each taking
/// `each`, whatever the number of connections.
fn one_at_a_time(each: Duration) -> u16 {
    let one = Arc::new(Mutex::new(()));
    common::hand_server(move |_, stream| {
        {
            let _one = one.lock().unwrap_or_else(|e| e.into_inner());
            std::thread::sleep(each);
        }
        stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            .is_ok()
    })
}

fn plan(port: u16, phases: &str, threshold: &str) -> String {
    format!(
        r#"
[[scenario]]
name = "spiky"
phases = [{phases}]
thresholds = ["{threshold}"]
[[scenario.request]]
url = "http://127.0.0.1:{port}/"
"#
    )
}

#[test]
fn the_service_comes_back_some_seconds_after_the_spike_and_the_run_says_when() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    let port = one_at_a_time(Duration::from_millis(8));
    let phases = r#"{ kind = "steady", rate = "40/s", for = "4s" }, { kind = "spike", multiple = 5, for = "2s", tolerance = "50%" }, { kind = "steady", name = "after", rate = "40/s", for = "12s" }"#;
    std::fs::write(
        dir.path().join("rigor.toml"),
        plan(port, phases, "recovery.time < 30s"),
    )
    .unwrap();
    let r = common::only_scenario(run_plan(dir.path()));
    assert_eq!(r.code, 0, "{}\n{}", r.stderr, r.stdout);
    let recoveries = r.json["recoveries"].as_array().expect("recoveries");
    assert_eq!(recoveries.len(), 1, "{recoveries:?}");
    let rec = &recoveries[0];
    assert_eq!(rec["phase"], "spike");
    assert_eq!(rec["before"], "steady");
    assert_eq!(rec["tolerance"], 0.5);
    // The queue of the spike (about 160 arrivals over what the server can serve in 2 s) takes
    // a couple of seconds to drain at 80 a second: not at once, and well within the 12 s.
    let recovered = ms(&rec["recovered_ns"]) / 1e3;
    assert!(
        (1.0..=10.0).contains(&recovered),
        "recovered {recovered} s after the spike: {rec}"
    );
    let before = ms(&rec["before_p95_ns"]);
    let peak = ms(&rec["peak_p95_ns"]);
    assert!(
        peak > 5.0 * before,
        "peak p95 {peak} ms, before {before} ms"
    );
    assert!(
        r.json["thresholds"][0]["passed"] == true,
        "{}",
        r.json["thresholds"]
    );
    let shown = rigor(dir.path()).arg("show").output().unwrap();
    let shown = String::from_utf8_lossy(&shown.stdout);
    assert!(
        shown.contains("after the spike `spike`: recovered"),
        "{shown}"
    );
}

#[test]
fn a_spike_with_nothing_after_it_has_no_recovery_and_its_threshold_fails() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    let port = one_at_a_time(Duration::from_millis(1));
    let phases = r#"{ kind = "steady", rate = "20/s", for = "3s" }, { kind = "spike", multiple = 2, for = "1s" }"#;
    std::fs::write(
        dir.path().join("rigor.toml"),
        plan(port, phases, "recovery.time < 1m"),
    )
    .unwrap();
    let r = common::only_scenario(run_plan(dir.path()));
    assert_eq!(r.code, 1, "{}\n{}", r.stderr, r.stdout);
    let rec = &r.json["recoveries"][0];
    assert!(rec["recovered_ns"].is_null(), "{rec}");
    assert!(
        rec["note"]
            .as_str()
            .unwrap_or("")
            .contains("add a phase after"),
        "{rec}"
    );
}

#[test]
fn recovery_is_refused_where_it_cannot_apply() {
    let dir = tempfile::tempdir().unwrap();
    // A tolerance on a phase that is not a spike.
    std::fs::write(
        dir.path().join("rigor.toml"),
        plan(
            1,
            r#"{ kind = "steady", rate = "20/s", for = "3s", tolerance = "10%" }"#,
            "latency.p95 < 1s",
        ),
    )
    .unwrap();
    let r = run_plan(dir.path());
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("`tolerance` is a spike's"),
        "{}",
        r.stderr
    );
    // An absurd tolerance.
    std::fs::write(
        dir.path().join("rigor.toml"),
        plan(
            1,
            r#"{ kind = "steady", rate = "20/s", for = "3s" }, { kind = "spike", for = "1s", tolerance = "0%" }"#,
            "latency.p95 < 1s",
        ),
    )
    .unwrap();
    let r = run_plan(dir.path());
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("is not a tolerance"), "{}", r.stderr);
}
