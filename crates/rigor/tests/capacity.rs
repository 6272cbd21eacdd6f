//! `rigor capacity` against the built-in target made to saturate at a known rate whatever the
//! machine: a route that serves at most 4 requests at once, each 20 ms, sustains exactly
//! 200/s. The search steps up, fails past it and narrows; and its bad input is refused.

mod common;

use common::{rigor, serial};

fn plan(dir: &std::path::Path, port: u16) {
    std::fs::write(
        dir.join("rigor.toml"),
        format!(
            "[target]\ncommand = \"rigor target --port {port} --route '/api: latency=20ms, concurrency=4'\"\nready = \"http://127.0.0.1:{port}/health\"\n\n[[scenario]]\nname = \"api\"\nphases = [{{ kind = \"steady\", rate = \"50/s\", for = \"5s\" }}]\n[[scenario.request]]\nurl = \"http://127.0.0.1:{port}/api\"\n"
        ),
    )
    .unwrap();
}

fn capacity(dir: &std::path::Path, extra: &[&str]) -> common::Ran {
    let mut cmd = rigor(dir);
    cmd.args([
        "capacity",
        "--ramp",
        "1s",
        "--warmup",
        "1s",
        "--hold",
        "3s",
        "--max-time",
        "3m",
    ])
    .args(extra);
    common::ran(cmd.output().expect("rigor runs"))
}

#[test]
fn the_search_finds_the_rate_a_pool_of_four_allows() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    plan(dir.path(), common::free_port());
    let r = capacity(
        dir.path(),
        &["--slo", "latency.p99 < 200ms", "--start", "50/s"],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let line = r
        .stdout
        .lines()
        .find(|l| l.starts_with("maximum sustainable throughput: "))
        .unwrap_or_else(|| panic!("{}", r.stdout));
    let found: f64 = line["maximum sustainable throughput: ".len()..]
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (170.0..=230.0).contains(&found),
        "within 15 % of the 200/s four 20 ms workers allow: {}",
        r.stdout
    );
    // Every step a stored run of its own name, apart from the scenario's own runs.
    assert!(r.stdout.contains("FAIL: "), "{}", r.stdout);
    let runs = common::ran(rigor(dir.path()).args(["runs", "--json"]).output().unwrap());
    assert!(runs.stdout.contains("api@capacity"), "{}", runs.stdout);
    assert!(
        !runs.stdout.contains("\"scenario\": \"api\""),
        "{}",
        runs.stdout
    );
}

#[test]
fn bad_input_and_a_target_that_is_down_are_refused_plainly() {
    let dir = tempfile::tempdir().unwrap();
    plan(dir.path(), common::free_port());
    let r = capacity(dir.path(), &["--slo", "latncy.p99 < 200ms"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("did you mean"), "{}", r.stderr);
    let r = capacity(dir.path(), &["--slo", "latency.p99 < +10%"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let r = capacity(dir.path(), &["--start", "100/s", "--max-rate", "50/s"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("below the first step"), "{}", r.stderr);
    let r = capacity(dir.path(), &["--factor", "1"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    // Nothing listens: the first step fails on the target, and nothing is claimed.
    let down = tempfile::tempdir().unwrap();
    let port = common::free_port();
    std::fs::write(
        down.path().join("rigor.toml"),
        format!("[[scenario]]\nname = \"api\"\nphases = [{{ kind = \"steady\", rate = \"20/s\", for = \"2s\" }}]\n[[scenario.request]]\nurl = \"http://127.0.0.1:{port}/\"\n"),
    )
    .unwrap();
    let r = capacity(down.path(), &[]);
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    assert!(
        !r.stdout.contains("maximum sustainable"),
        "no capacity is claimed: {}",
        r.stdout
    );
}
