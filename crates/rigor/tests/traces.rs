//! Traces: with `traceparent = true` every request carries a W3C `traceparent` of its own, and
//! the slowest requests the run keeps (of the run, and of each second in the store) name the
//! trace ids they were sent with — checked against what a server actually received.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{rigor, run_plan, serial};

/// What the server saw of one request: its path and its `traceparent`, if any.
type Seen = Arc<Mutex<Vec<(String, Option<String>)>>>;

/// A keep-alive HTTP/1.1 server on loopback: `/slow` answers after 40 ms, anything else at
/// once; it keeps every request's path and `traceparent`.
fn recording_server() -> (u16, Seen) {
    let seen: Seen = Arc::default();
    let kept = seen.clone();
    let port = common::hand_server(move |head, stream| {
        let path = head.split(' ').nth(1).unwrap_or("").to_string();
        let trace = head.lines().find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("traceparent")
                .then(|| value.trim().to_string())
        });
        if path == "/slow" {
            std::thread::sleep(Duration::from_millis(40));
        }
        kept.lock().unwrap().push((path, trace));
        stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            .is_ok()
    });
    (port, seen)
}

fn plan(port: u16, traced: bool) -> String {
    format!(
        r#"
[[scenario]]
name = "traced"
traceparent = {traced}
requests = 60
phases = [{{ kind = "steady", rate = "30/s", for = "3s" }}]
[[scenario.request]]
name = "slow"
url = "http://127.0.0.1:{port}/slow"
[[scenario.request]]
name = "fast"
url = "http://127.0.0.1:{port}/fast"
weight = 2
"#
    )
}

/// The W3C grammar for version 00: `00-` 32 lowercase hex (not all zeros) `-` 16 lowercase
/// hex (not all zeros) `-` 2 hex.
fn valid_traceparent(value: &str) -> bool {
    let parts: Vec<&str> = value.split('-').collect();
    let hex = |s: &str, n: usize| {
        s.len() == n
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            && s.bytes().any(|b| b != b'0')
    };
    parts.len() == 4
        && parts[0] == "00"
        && hex(parts[1], 32)
        && hex(parts[2], 16)
        && parts[3].len() == 2
}

#[test]
fn every_request_carries_its_own_trace_and_the_slowest_name_theirs() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    let (port, seen) = recording_server();
    std::fs::write(dir.path().join("rigor.toml"), plan(port, true)).unwrap();
    let r = common::only_scenario(run_plan(dir.path()));
    assert_eq!(r.code, 0, "{}\n{}", r.stderr, r.stdout);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 60, "the server saw every request");
    let mut ids = std::collections::HashMap::new();
    for (path, trace) in &seen {
        let trace = trace
            .as_deref()
            .unwrap_or_else(|| panic!("{path} had no traceparent"));
        assert!(valid_traceparent(trace), "{trace}");
        let id = trace.split('-').nth(1).unwrap().to_string();
        assert!(
            ids.insert(id, path.clone()).is_none(),
            "trace id repeated: {trace}"
        );
    }
    // The run's ten slowest are the slow route's, each with the trace id it was sent with.
    let slowest = r.json["slowest"].as_array().expect("slowest").clone();
    assert_eq!(slowest.len(), 10, "{slowest:?}");
    for s in &slowest {
        assert_eq!(s["request"], "slow", "{s}");
        let id = s["trace_id"].as_str().expect("a trace id");
        assert_eq!(
            ids.get(id).map(String::as_str),
            Some("/slow"),
            "{id} was sent to /slow"
        );
        assert!(s["latency_ns"].as_u64().unwrap() >= 40_000_000, "{s}");
        assert_eq!(s["outcome"], "200");
    }
    let latencies: Vec<u64> = slowest
        .iter()
        .map(|s| s["latency_ns"].as_u64().unwrap())
        .collect();
    assert!(
        latencies.windows(2).all(|w| w[0] >= w[1]),
        "slowest first: {latencies:?}"
    );

    // Each second's slowest are in the store with its window, with ids the server saw.
    let store = rigor_store::open(&dir.path().join(".rigor/rigor.db")).unwrap();
    let run = r.json["run_id"].as_i64().unwrap();
    let windows = store.windows(run).unwrap();
    let mut kept = 0;
    let mut seconds = 0;
    for w in &windows {
        if w.requests == 0 {
            continue;
        }
        let list: Vec<serde_json::Value> = serde_json::from_str(&w.slowest)
            .unwrap_or_else(|e| panic!("second {}: {e}: {}", w.second, w.slowest));
        assert!(
            !list.is_empty() && list.len() <= 5,
            "second {}: {list:?}",
            w.second
        );
        for s in &list {
            let id = s["trace_id"].as_str().expect("a trace id");
            assert!(ids.contains_key(id), "second {}: {id} never sent", w.second);
        }
        kept += list.len();
        seconds += 1;
    }
    assert!(
        seconds >= 2 && kept >= seconds,
        "{kept} kept over {seconds} seconds"
    );

    // The report shows them.
    let shown = rigor(dir.path()).args(["show"]).output().unwrap();
    let shown = String::from_utf8_lossy(&shown.stdout);
    assert!(
        shown.contains("slowest requests")
            && shown.contains(&slowest[0]["trace_id"].as_str().unwrap()[..32]),
        "{shown}"
    );
}

#[test]
fn without_traceparent_no_header_is_sent_and_the_slowest_have_no_id() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    let (port, seen) = recording_server();
    std::fs::write(dir.path().join("rigor.toml"), plan(port, false)).unwrap();
    let r = common::only_scenario(run_plan(dir.path()));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(seen.lock().unwrap().iter().all(|(_, t)| t.is_none()));
    let slowest = r.json["slowest"].as_array().expect("slowest");
    assert_eq!(slowest.len(), 10);
    assert!(slowest
        .iter()
        .all(|s| s.get("trace_id").is_none() && s["request"] == "slow"));
}

#[test]
fn a_traceparent_header_of_ones_own_beside_the_option_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let text = plan(1, true).replace(
        "name = \"fast\"",
        "name = \"fast\"\nheaders = { traceparent = \"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\" }",
    );
    std::fs::write(dir.path().join("rigor.toml"), text).unwrap();
    let r = run_plan(dir.path());
    assert_eq!(r.code, 2, "{}\n{}", r.stderr, r.stdout);
    assert!(
        r.stderr.contains("traceparent") && r.stderr.contains("keep one of the two"),
        "{}",
        r.stderr
    );
}
