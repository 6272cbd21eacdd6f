//! Where a request's time goes: connect, TLS, time to first byte and transfer, measured
//! against servers whose stages are known — one that thinks before its head and dribbles its
//! body, and the built-in target — and read back as metrics from a run and from the store.

mod common;

use std::io::Write;
use std::time::Duration;

use common::{load, ms, rigor, run_plan, serial, target};

/// A keep-alive HTTP/1.1 server on loopback that answers every request by waiting `think`,
/// sending its head and half of a 10-byte body, waiting `dribble`, then the rest.
fn dribbling_server(think: Duration, dribble: Duration) -> u16 {
    common::hand_server(move |_, stream| {
        std::thread::sleep(think);
        let head = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello";
        if stream.write_all(head).is_err() {
            return false;
        }
        std::thread::sleep(dribble);
        stream.write_all(b"world").is_ok()
    })
}

#[test]
fn ttfb_and_transfer_are_the_servers_think_time_and_dribble() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    let port = dribbling_server(Duration::from_millis(30), Duration::from_millis(40));
    let url = format!("http://127.0.0.1:{port}/");
    let r = load(
        dir.path(),
        &[
            &url,
            "-n",
            "12",
            "-c",
            "2",
            "--threshold",
            "latency.ttfb.p50 < 60ms",
            "--threshold",
            "latency.transfer.p50 > 35ms",
        ],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stderr, r.stdout);
    let stages = &r.json["total"]["stages"];
    let ttfb = ms(&stages["ttfb"]["p50_ns"]);
    let transfer = ms(&stages["transfer"]["p50_ns"]);
    // Never below what the server waited; of its order above (a busy machine adds delay).
    assert!((30.0..=55.0).contains(&ttfb), "ttfb p50 {ttfb} ms");
    assert!(
        (40.0..=65.0).contains(&transfer),
        "transfer p50 {transfer} ms"
    );
    assert_eq!(stages["ttfb"]["count"], 12);
    assert_eq!(stages["transfer"]["count"], 12);
    // Two connections, each opened once, by the requests that needed them; no TLS.
    assert_eq!(r.json["generator"]["connections_opened"], 2);
    assert_eq!(stages["connect"]["count"], 2);
    assert_eq!(stages["tls"]["count"], 0);
    // The stages of a request account for its time from send: TTFB and transfer together
    // are the raw latency, within the histograms' precision.
    let raw = ms(&r.json["total"]["raw_latency"]["mean_ns"]);
    let parts = ms(&stages["ttfb"]["mean_ns"]) + ms(&stages["transfer"]["mean_ns"]);
    assert!(
        (raw - parts).abs() <= raw * 0.01 + 0.05,
        "raw {raw} ms, parts {parts} ms"
    );
    // Thresholds name the stages and judge them.
    let judged: Vec<&str> = r.json["thresholds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["threshold"].as_str().unwrap())
        .collect();
    assert_eq!(judged.len(), 2, "{judged:?}");
    assert!(r.json["thresholds"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["passed"] == true));
}

#[test]
fn a_failed_response_adds_no_stage_and_the_report_shows_the_breakdown() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    let t = target(
        &["/bad: latency=5ms, errors=100%@503", "/ok: latency=5ms"],
        None,
    );
    std::fs::write(
        dir.path().join("rigor.toml"),
        format!(
            r#"
[[scenario]]
name = "mixed"
requests = 60
phases = [{{ kind = "steady", rate = "100/s", for = "5s" }}]
[[scenario.request]]
name = "ok"
url = "{ok}"
[[scenario.request]]
name = "bad"
url = "{bad}"
"#,
            ok = t.url("/ok"),
            bad = t.url("/bad"),
        ),
    )
    .unwrap();
    let r = common::only_scenario(run_plan(dir.path()));
    let requests = r.json["requests"].as_array().expect("requests").clone();
    let by_name = |name: &str| {
        requests
            .iter()
            .find(|g| g["name"] == name)
            .unwrap_or_else(|| panic!("no request {name}: {}", r.stdout))
            .clone()
    };
    let ok = by_name("ok");
    assert!(ok["requests"].as_u64().unwrap() > 0);
    assert_eq!(ok["stages"]["ttfb"]["count"], ok["latency"]["count"]);
    let ttfb = ms(&ok["stages"]["ttfb"]["p50_ns"]);
    assert!(ttfb >= 5.0, "ok ttfb p50 {ttfb} ms");
    // Error responses are timed apart, as their latency is: no stages of theirs.
    let bad = by_name("bad");
    assert_eq!(bad["errors"], bad["requests"]);
    assert_eq!(bad["stages"]["ttfb"]["count"], 0, "{bad}");
    // The report says where the time goes, per request.
    assert!(
        r.stdout.contains("\"stages\""),
        "the JSON carries the stages"
    );
    let text = rigor(dir.path()).args(["show", "latest"]).output().unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("where the time goes"), "{text}");
}

#[test]
fn stages_are_read_back_from_the_store_for_a_gate() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    let t = target(&["/: latency=10ms"], None);
    std::fs::write(
        dir.path().join("rigor.toml"),
        format!(
            r#"
[[scenario]]
name = "svc"
requests = 30
phases = [{{ kind = "steady", rate = "100/s", for = "5s" }}]
[[scenario.request]]
url = "{url}"

[[budget]]
scenario = "svc"
metric = "latency.ttfb.p50"
max = "5ms"

[[budget]]
scenario = "svc"
metric = "latency.transfer.p95"
max = "1s"
"#,
            url = t.url("/"),
        ),
    )
    .unwrap();
    let r = run_plan(dir.path());
    assert_eq!(r.code, 0, "{}\n{}", r.stderr, r.stdout);
    let gate = rigor(dir.path()).args(["gate", "--json"]).output().unwrap();
    let out = String::from_utf8_lossy(&gate.stdout);
    assert_eq!(
        gate.status.code(),
        Some(1),
        "{out}\n{}",
        String::from_utf8_lossy(&gate.stderr)
    );
    let json: serde_json::Value = serde_json::from_str(&out).expect("gate JSON");
    assert_eq!(json["outcome"], "fail", "{json}");
    let text = json.to_string();
    assert!(
        text.contains("latency.ttfb.p50") && text.contains("latency.transfer.p95"),
        "{json}"
    );
}
