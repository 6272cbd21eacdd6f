//! The measurement semantics, checked against a real HTTP server (the built-in target on a
//! loopback port) through the real binary. Every load here is bounded in time and requests.

mod common;

use std::time::Duration;

use common::{load, ms, rigor, serial, target};

#[test]
fn fixed_latency_gives_that_median() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    let t = target(&["/fixed: latency=20ms"], None);
    let r = load(
        dir.path(),
        &[&t.url("/fixed"), "--rate", "50/s", "--duration", "3s"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    // The server's latency, send to response: never below its 20 ms, and of that order (a
    // busy 2-core machine adds scheduling delay, so the upper bound is loose: this checks
    // what is measured, not how fast the machine is).
    let raw_p50 = ms(&r.json["total"]["raw_latency"]["p50_ns"]);
    assert!((20.0..=40.0).contains(&raw_p50), "raw p50 {raw_p50} ms");
    // From the intended start it also holds the generator's send lag (~0.3 ms in a debug
    // build here), so it is at least the raw figure and at most a little more.
    let p50 = ms(&r.json["total"]["latency"]["p50_ns"]);
    let lag = ms(&r.json["generator"]["schedule_lag"]["p50_ns"]);
    assert!(
        p50 >= raw_p50 && p50 <= raw_p50 + lag + 1.0,
        "corrected p50 {p50} ms, raw {raw_p50} ms, send lag p50 {lag} ms"
    );
    assert_eq!(r.json["total"]["requests"], 150);
}

#[test]
fn open_model_achieves_its_rate() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    let t = target(&["/: latency=1ms"], None);
    let r = load(
        dir.path(),
        &[&t.url("/"), "--rate", "400/s", "--duration", "5s"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json["total"]["requests"], 2000);
    let rate = r.json["total"]["throughput_per_s"].as_f64().unwrap();
    assert!((rate - 400.0).abs() / 400.0 <= 0.01, "achieved {rate}/s");
    // Nothing judged the run (it has no thresholds): completed, not passed.
    assert_eq!(r.json["status"], "completed");
    assert_eq!(r.json["generator"]["dropped_arrivals"], 0);
}

#[test]
fn a_stall_shows_in_corrected_but_not_raw_percentiles() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    // The server pauses every response for 400 ms out of every 2 s. With one connection,
    // arrivals during a stall wait in the generator: their intended-start latency includes the
    // wait, their send-to-response latency does not (this is coordinated omission).
    let t = target(&["/: latency=1ms"], Some("400ms/2s"));
    let r = load(
        dir.path(),
        &[
            &t.url("/"),
            "--rate",
            "200/s",
            "--duration",
            "8s",
            "--max-connections",
            "1",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let corrected_p99 = ms(&r.json["total"]["latency"]["p99_ns"]);
    let raw_p99 = ms(&r.json["total"]["raw_latency"]["p99_ns"]);
    assert!(
        corrected_p99 >= 250.0,
        "corrected p99 {corrected_p99} ms should reach the stall's scale"
    );
    // Raw latency leaves the wait out: far below the corrected figure, whatever the machine
    // adds to both (no absolute bound: a busy machine slows every response).
    assert!(
        raw_p99 * 4.0 <= corrected_p99,
        "raw p99 {raw_p99} ms should stay far below corrected p99 {corrected_p99} ms"
    );
    assert!(r.json["generator"]["late_arrivals"].as_u64().unwrap() > 0);
}

#[test]
fn errors_and_timeouts_are_counted_by_kind() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    let t = target(&["/err: errors=100%@503", "/slow: latency=2s"], None);
    let plan = format!(
        r#"
[[scenario]]
name = "mixed"
timeout = "200ms"
phases = [{{ kind = "steady", rate = "40/s", for = "2s" }}]
thresholds = ["error_rate < 1%"]
[[scenario.request]]
name = "err"
url = "{err}"
[[scenario.request]]
name = "slow"
url = "{slow}"
"#,
        err = t.url("/err"),
        slow = t.url("/slow"),
    );
    std::fs::write(dir.path().join("rigor.toml"), plan).unwrap();
    let out = rigor(dir.path())
        .args([
            "run",
            "--json",
            "--quiet",
            "--max-lag",
            common::LOOSE_MAX_LAG,
        ])
        .output()
        .unwrap();
    let r = common::only_scenario(common::ran(out));
    // Not one request succeeded: whatever the thresholds say, the run measured the target's
    // failure, not its service, and exits 3 (its thresholds are judged and kept all the same).
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(r.json["status"], "target_failed");
    let reason = r.json["status_reason"].as_str().unwrap();
    assert!(
        reason.contains("no request succeeded: all 80 failed (http_503 40, timeout 40)"),
        "{reason}"
    );
    let kinds = &r.json["total"]["errors_by_kind"];
    assert_eq!(kinds["http_503"], 40, "{kinds}");
    assert_eq!(kinds["timeout"], 40, "{kinds}");
    assert_eq!(r.json["total"]["errors"], 80);
    assert_eq!(r.json["requests"][0]["name"], "err");
    assert_eq!(r.json["requests"][0]["errors_by_kind"]["http_503"], 40);
    // Failures' timings are kept apart from the responses' latency: a timeout at 200 ms
    // is in the failed row, and the latency table of a request that never succeeded is empty.
    let slow = &r.json["requests"][1];
    assert_eq!(slow["latency"]["count"], 0, "{slow}");
    assert_eq!(slow["failed_latency"]["count"], 40, "{slow}");
    let slow_p50 = ms(&slow["failed_latency"]["p50_ns"]);
    assert!(
        slow_p50 >= 200.0,
        "timeouts keep their latency: {slow_p50} ms"
    );
    assert_eq!(r.json["total"]["latency"]["count"], 0);
    assert_eq!(r.json["total"]["failed_latency"]["count"], 80);
    assert_eq!(r.json["thresholds"][0]["passed"], false);
}

#[test]
fn closed_model_with_think_time() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    let t = target(&["/: latency=10ms"], None);
    let r = load(
        dir.path(),
        &[
            &t.url("/"),
            "--concurrency",
            "4",
            "--think-time",
            "40ms",
            "--duration",
            "3s",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json["model"], "closed");
    // Each user cycles every ~51 ms: about 4 / 0.051 = 78 requests per second.
    let rate = r.json["total"]["throughput_per_s"].as_f64().unwrap();
    assert!((60.0..=82.0).contains(&rate), "closed-model rate {rate}/s");
    assert_eq!(r.json["generator"]["connections_opened"], 4);
}

#[test]
fn requests_bound_and_http2_prior_knowledge() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    let t = target(&["/: latency=1ms"], None);
    let r = load(
        dir.path(),
        &[
            &t.url("/"),
            "--http",
            "2",
            "--concurrency",
            "8",
            "--requests",
            "500",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json["total"]["requests"], 500);
    assert_eq!(r.json["total"]["errors"], 0);
    assert_eq!(r.json["total"]["status_codes"]["200"], 500);
}

#[test]
fn interrupted_run_is_stored_with_its_data() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    let t = target(&["/: latency=5ms"], None);
    let child = common::spawn(
        dir.path(),
        &[
            "load",
            &t.url("/"),
            "--rate",
            "100/s",
            "--duration",
            "60s",
            "--json",
            "--quiet",
        ],
    );
    std::thread::sleep(Duration::from_millis(2500));
    common::signal(&child, libc::SIGINT);
    let out = child.wait_with_output().unwrap();
    let r = common::ran(out);
    assert_eq!(r.code, 130, "{}", r.stderr);
    assert_eq!(r.json["status"], "interrupted");
    let requests = r.json["total"]["requests"].as_u64().unwrap();
    // Stopped early (the plan was 6,000), and the requests in flight at the stop finished
    // within the grace period (5 ms responses): none abandoned.
    assert!((1..6_000).contains(&requests), "{requests} requests");
    assert_eq!(r.json["total"]["abandoned"], 0, "{}", r.stdout);
    // The store has it too, windows and all.
    let shown = rigor(dir.path())
        .args(["show", "latest", "--json"])
        .output()
        .unwrap();
    let shown = common::ran(shown);
    assert_eq!(shown.json["status"], "interrupted");
    assert_eq!(shown.json["total"]["requests"], requests);
    let store = rigor_store::SqliteStore::open(&dir.path().join(".rigor/rigor.db")).unwrap();
    use rigor_store::Store;
    let windows = store.windows(r.json["run_id"].as_i64().unwrap()).unwrap();
    assert!(windows.len() >= 2, "{} windows", windows.len());
    let window_requests: u64 = windows.iter().map(|w| w.requests).sum();
    assert_eq!(window_requests, requests);
}

#[test]
fn second_interrupt_stops_at_once() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    // Responses take 3 s, so a graceful stop would wait; the second signal must not.
    let t = target(&["/: latency=3s"], None);
    let child = common::spawn(
        dir.path(),
        &[
            "load",
            &t.url("/"),
            "--concurrency",
            "4",
            "--duration",
            "60s",
            "--grace",
            "30s",
            "--json",
            "--quiet",
        ],
    );
    std::thread::sleep(Duration::from_millis(4500));
    common::signal(&child, libc::SIGINT);
    std::thread::sleep(Duration::from_millis(300));
    common::signal(&child, libc::SIGTERM);
    let out = child.wait_with_output().unwrap();
    let r = common::ran(out);
    assert_eq!(r.code, 130, "{}", r.stderr);
    assert_eq!(r.json["status"], "interrupted");
    // The second signal cut the grace period short: the four users' requests (3 s
    // responses, sent at 3 s into the run) were abandoned rather than waited for, and are
    // counted as such, not as errors.
    assert_eq!(r.json["total"]["abandoned"], 4, "{}", r.stdout);
    assert_eq!(r.json["total"]["errors"], 0, "{}", r.stdout);
    let shown = common::ran(
        rigor(dir.path())
            .args(["show", "latest", "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(
        shown.json["status"], "interrupted",
        "the store is intact: {}",
        shown.stderr
    );
}

#[test]
fn a_phase_lasts_its_planned_span_not_until_its_slowest_response() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    // Responses take 400 ms: the ramp's last requests come back well after it ends.
    let t = target(&["/: latency=400ms"], None);
    let r = load(
        dir.path(),
        &[
            &t.url("/"),
            "--rate",
            "100/s",
            "--ramp",
            "2s",
            "--duration",
            "2s",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let phases = r.json["phases"].as_array().unwrap();
    assert_eq!(phases[0]["name"], "ramp");
    assert_eq!(phases[0]["duration_ns"], 2_000_000_000u64, "{}", phases[0]);
    assert_eq!(phases[1]["duration_ns"], 2_000_000_000u64, "{}", phases[1]);
    for p in phases {
        let rate = p["throughput_per_s"].as_f64().unwrap();
        let requests = p["requests"].as_f64().unwrap();
        assert!((rate - requests / 2.0).abs() < 1e-6, "{p}");
    }
    // The steady phase offered 100/s; the whole run 4 s of schedule.
    assert_eq!(r.json["duration_ns"], 4_000_000_000u64);
}
