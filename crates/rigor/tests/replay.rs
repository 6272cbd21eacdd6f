//! Replaying real traffic: a committed access-log sample (Combined Log Format, with lines it
//! cannot reproduce) sent to the built-in target, whose own counts per route must be the
//! log's; the log's order kept or shuffled with a seed; the log's own timing scaled.

mod common;

use std::path::PathBuf;

use common::{load, serial, target};

fn sample() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/access-sample.log")
}

/// The sample's requests that can be replayed, in its order (its other lines are a POST and
/// a PUT, whose bodies it does not hold, a `"-"` request and a proxy's absolute URL).
fn logged_targets() -> Vec<String> {
    std::fs::read_to_string(sample())
        .unwrap()
        .lines()
        .filter_map(|l| {
            let request = l.split('"').nth(1)?;
            let mut parts = request.split(' ');
            let (method, target) = (parts.next()?, parts.next()?);
            (matches!(method, "GET" | "HEAD") && target.starts_with('/'))
                .then(|| target.to_string())
        })
        .collect()
}

/// `rigor_target_requests_total` of `route`, all statuses, from the target's `/metrics`.
fn answered(t: &rigor_target::RunningTarget, route: &str) -> u64 {
    use std::io::{Read, Write};
    let mut conn = std::net::TcpStream::connect(t.addr()).unwrap();
    conn.write_all(b"GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut text = String::new();
    conn.read_to_string(&mut text).unwrap();
    let prefix = format!("rigor_target_requests_total{{route=\"{route}\",");
    text.lines()
        .filter(|l| l.starts_with(&prefix))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

#[test]
fn the_targets_own_counts_per_path_are_the_logs() {
    let _lock = serial();
    let t = target(
        &[
            "/products: latency=1ms",
            "/cart: latency=1ms",
            "/search: latency=1ms",
        ],
        None,
    );
    let dir = tempfile::tempdir().unwrap();
    let log = sample();
    let r = load(
        dir.path(),
        &[
            &t.url("/"),
            "--replay",
            log.to_str().unwrap(),
            "--rate",
            "80/s",
        ],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let logged = logged_targets();
    assert_eq!(logged.len(), 40);
    let in_log = |path: &str| {
        logged
            .iter()
            .filter(|t| t.split('?').next() == Some(path))
            .count() as u64
    };
    for route in ["/products", "/cart", "/search"] {
        assert_eq!(answered(&t, route), in_log(route), "{route}");
    }
    assert_eq!(
        answered(&t, "default"),
        0,
        "nothing the log does not hold was sent"
    );
    // Sent once, by name: each `METHOD path`.
    assert_eq!(r.json["total"]["requests"], 40);
    let by_name = |name: &str| {
        r.json["requests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["name"] == name)
            .map_or(0, |g| g["requests"].as_u64().unwrap())
    };
    assert_eq!(by_name("GET /products"), 20);
    assert_eq!(by_name("GET /cart") + by_name("HEAD /cart"), 12);
    assert_eq!(by_name("HEAD /cart"), 2);
    assert_eq!(by_name("GET /search"), 8);
    // What it could not reproduce is counted and named by line.
    let replay = &r.json["replay"];
    assert_eq!(replay["replayable"], 40, "{replay}");
    let skipped: u64 = replay["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["count"].as_u64().unwrap())
        .sum();
    assert_eq!(skipped, 4, "{replay}");
    let reasons = replay["skipped"].to_string();
    assert!(
        reasons.contains("a body the log does not hold"),
        "{reasons}"
    );
    assert!(
        reasons.contains("[12,35]"),
        "the POST and the PUT, by line: {reasons}"
    );
    common::assert_schema("run-summary.schema.json", &r.json);
}

/// The targets a hand-written server received, in order, from `rigor load ARGS`.
fn received(args: &[&str]) -> (Vec<String>, common::Ran) {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let record = seen.clone();
    let port = common::hand_server(move |head, stream| {
        use std::io::Write;
        record
            .lock()
            .unwrap()
            .push(head.split(' ').nth(1).unwrap_or("").to_string());
        stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            .is_ok()
    });
    let dir = tempfile::tempdir().unwrap();
    let log = sample();
    let url = format!("http://127.0.0.1:{port}");
    let mut all = vec![url.as_str(), "--replay", log.to_str().unwrap()];
    all.extend_from_slice(args);
    let r = load(dir.path(), &all);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let got = seen.lock().unwrap().clone();
    (got, r)
}

#[test]
fn the_logs_order_is_kept_or_shuffled_the_same_way_by_a_seed() {
    let _lock = serial();
    let logged = logged_targets();
    // One at a time, 25 ms apart: the server sees the log's order.
    let (in_order, _) = received(&["--rate", "40/s"]);
    assert_eq!(in_order, logged);
    let (shuffled, r) = received(&["--rate", "40/s", "--shuffle", "7"]);
    assert_ne!(shuffled, logged, "shuffled");
    let mut sorted = shuffled.clone();
    sorted.sort();
    let mut expected = logged.clone();
    expected.sort();
    assert_eq!(sorted, expected, "the same requests, each once");
    assert_eq!(
        (
            r.json["replay"]["order"].as_str(),
            r.json["replay"]["seed"].as_u64()
        ),
        (Some("shuffle"), Some(7))
    );
    let (again, _) = received(&["--rate", "40/s", "--shuffle", "7"]);
    assert_eq!(again, shuffled, "the same seed, the same order");
}

#[test]
fn the_logs_own_timing_is_kept_scaled() {
    let _lock = serial();
    // The sample spans 4 s, 8 requests a second; at ×4, 1 s.
    let (got, r) = received(&["--speed", "4"]);
    assert_eq!(got.len(), 40);
    let seconds: Vec<u64> = r.json["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["requests"].as_u64().unwrap())
        .collect();
    assert_eq!(seconds, [40]);
    let duration = common::ms(&r.json["duration_ns"]);
    assert!((1000.0..2600.0).contains(&duration), "{duration} ms");
    assert_eq!(r.json["replay"]["speed"], 4.0);
    assert_eq!(common::ms(&r.json["replay"]["span_ns"]), 4000.0);
}

#[test]
fn a_log_with_nothing_to_replay_or_a_bad_flag_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("posts.log"),
        "10.0.0.1 - - [03/Dec/2026:09:00:00 +0000] \"POST /a HTTP/1.1\" 200 1\nnot a line\n",
    )
    .unwrap();
    let r = load(
        dir.path(),
        &[
            "http://127.0.0.1:9",
            "--replay",
            "posts.log",
            "--rate",
            "1/s",
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("holds no request that can be replayed"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("(lines 1)") && r.stderr.contains("(lines 2)"),
        "{}",
        r.stderr
    );
    let r = load(
        dir.path(),
        &[
            "http://127.0.0.1:9",
            "--replay",
            "missing.log",
            "--rate",
            "1/s",
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("cannot read the replay file"),
        "{}",
        r.stderr
    );
    let r = load(
        dir.path(),
        &[
            "http://127.0.0.1:9",
            "--replay",
            "posts.log",
            "--speed",
            "0",
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("speed = 0"), "{}", r.stderr);
}

#[test]
fn a_plan_replays_a_log_from_its_own_directory() {
    let _lock = serial();
    let t = target(&["/products: latency=1ms"], None);
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(sample(), dir.path().join("traffic.log")).unwrap();
    let plan = |extra: &str| {
        format!(
            "[[scenario]]\nname = \"replayed\"\nphases = [{{ kind = \"steady\", concurrency = 2 }}]\nthresholds = [\"error_rate < 1%\"]\n[scenario.replay]\nfile = \"traffic.log\"\nbase = \"http://{}\"\n{extra}",
            t.addr()
        )
    };
    std::fs::write(
        dir.path().join("rigor.toml"),
        plan("order = \"shuffle\"\nseed = 3\n"),
    )
    .unwrap();
    let r = common::only_scenario(common::run_plan(dir.path()));
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(
        r.json["total"]["requests"], 40,
        "the closed model sends the log once"
    );
    assert_eq!(answered(&t, "/products"), 20);
    for (extra, says) in [
        ("order = \"random\"\n", "order = \"random\""),
        ("seed = 3\n", "`seed` is the shuffle's"),
        ("speed = 2\n", "has no phases"),
    ] {
        std::fs::write(dir.path().join("rigor.toml"), plan(extra)).unwrap();
        let r = common::run_plan(dir.path());
        assert_eq!(r.code, 2, "{extra}: {}", r.stderr);
        assert!(r.stderr.contains("rigor.toml:5:1"), "{}", r.stderr);
        assert!(r.stderr.contains(says), "{}", r.stderr);
    }
}
