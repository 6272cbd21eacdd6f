//! The runbook's escalation table as committed in `examples/escalation/rigor.toml`, row for
//! row: each rule is made to fire and not to fire by a build (a `rigor run` and a `rigor gate`
//! of it) whose target behaves so, time-compressed — the plan's 5- and 10-minute windows become
//! 3 seconds, its 12-minute run a few seconds — and otherwise as committed.

mod common;

use std::path::Path;

use common::{free_port, rigor};

const EXAMPLE: &str = include_str!("../../../examples/escalation/rigor.toml");

/// The committed plan, time-compressed, on `port`, its target started with `flags` and its
/// load held `seconds`. Each replacement must find its text, so the test follows the plan.
fn plan(port: u16, flags: &str, seconds: u32) -> String {
    let mut text = EXAMPLE.to_string();
    let command = text
        .lines()
        .find(|l| l.starts_with("command = \"rigor target"))
        .expect("the plan starts the built-in target")
        .to_string();
    for (from, to) in [
        (
            command.as_str(),
            format!("command = \"rigor target --port 8080 {flags}\""),
        ),
        ("for = \"12m\"", format!("for = \"{seconds}s\"")),
        // Enough responses in a few seconds for p95 to be judged against the baseline.
        ("rate = \"100/s\"", "rate = \"200/s\"".into()),
        ("sustained 5m", "sustained 3s".into()),
        ("sustained 10m", "sustained 3s".into()),
        ("8080", port.to_string()),
    ] {
        assert!(text.contains(from), "the example plan has `{from}`");
        text = text.replace(from, &to);
    }
    text
}

/// One build: the plan run once, then gated (each rule's outcome by its check).
struct Build {
    gate: serde_json::Value,
    code: i32,
}

impl Build {
    /// The outcome of the rule whose check starts with `check`.
    fn outcome(&self, check: &str) -> String {
        let checks = self.gate["checks"].as_array().expect("checks");
        let found = checks
            .iter()
            .find(|c| c["description"].as_str().unwrap_or("").starts_with(check))
            .unwrap_or_else(|| panic!("no check `{check}` in {}", self.gate));
        found["outcome"].as_str().unwrap_or("").to_string()
    }

    fn message(&self, check: &str) -> String {
        let checks = self.gate["checks"].as_array().expect("checks");
        checks
            .iter()
            .find(|c| c["description"].as_str().unwrap_or("").starts_with(check))
            .map(|c| c["message"].as_str().unwrap_or("").to_string())
            .unwrap_or_default()
    }
}

/// Runs the plan once; its run id. Every scrape of the target's metrics must have answered
/// unless the target is `saturated` (its workers busy burning CPU, so its /metrics waits too:
/// a scrape that times out then is counted, as it should be, and the rules still judge).
fn run(dir: &Path, flags: &str, seconds: u32) -> i64 {
    run_as(dir, flags, seconds, false)
}

fn run_as(dir: &Path, flags: &str, seconds: u32, saturated: bool) -> i64 {
    let port = free_port();
    std::fs::write(dir.join("rigor.toml"), plan(port, flags, seconds)).unwrap();
    let ran = common::run_plan(dir);
    let run = ran.json["scenarios"][0]["run_id"]
        .as_i64()
        .unwrap_or_else(|| panic!("a run: {}\n{}", ran.stdout, ran.stderr));
    let scraped = &ran.json["scenarios"][0]["target_metrics"];
    if saturated {
        assert!(
            scraped["scrapes"].as_u64() > scraped["failed"].as_u64(),
            "some scrape answered: {scraped}"
        );
    } else {
        assert_eq!(scraped["failed"], 0, "every scrape answered: {scraped}");
    }
    run
}

/// One build: a run, then the gate of it.
fn build(dir: &Path, flags: &str, seconds: u32) -> Build {
    build_as(dir, flags, seconds, false)
}

fn build_as(dir: &Path, flags: &str, seconds: u32, saturated: bool) -> Build {
    let run = run_as(dir, flags, seconds, saturated);
    let run_text = run.to_string();
    let gated = common::ran(
        rigor(dir)
            .args(["gate", "--json", "--run", &run_text])
            .output()
            .unwrap(),
    );
    assert!(
        gated.json["checks"].is_array(),
        "gate ran: {}\n{}",
        gated.stdout,
        gated.stderr
    );
    Build {
        gate: gated.json,
        code: gated.code,
    }
}

const P95: &str = "latency.p95 < +30% consecutive 2";
const ERRORS: &str = "error_rate < 1%";
const LAG: &str = "target.metric.kafka_consumer_lag < 5k";
const CPU: &str = "target.cpu < 85%";
const PAUSES: &str = "target.metric.rigor_target_pause_seconds.max < 500ms";

const QUIET: &str = "--threads 1 --route '/orders: latency=20ms' --gauge kafka_consumer_lag=1200";
const SLOW: &str = "--threads 1 --route '/orders: latency=40ms' --gauge kafka_consumer_lag=1200";

#[test]
fn every_row_of_the_escalation_table_fires_and_holds() {
    let _serial = common::serial();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();

    // The first build is the baseline; a quiet service breaches nothing.
    let baseline = run(dir, QUIET, 6);
    let set = rigor(dir)
        .args(["baseline", "set", &baseline.to_string()])
        .output()
        .unwrap();
    assert!(set.status.success(), "{set:?}");
    let base = {
        let b = build(dir, QUIET, 6);
        assert_eq!(b.outcome(P95), "pass", "{}", b.gate);
        b
    };
    for row in [ERRORS, LAG, CPU, PAUSES] {
        assert_eq!(base.outcome(row), "pass", "{row}: {}", base.gate);
    }
    assert_eq!(base.code, 0);

    // p95 ↑ 30 %, 2 consecutive builds, block merge: the first slow build waits, the second
    // blocks, with the runbook's action.
    let first = build(dir, SLOW, 6);
    assert_eq!(first.outcome(P95), "pending", "{}", first.gate);
    assert_eq!(first.code, 0);
    let second = build(dir, SLOW, 6);
    assert_eq!(second.outcome(P95), "fail", "{}", second.gate);
    assert!(second.message(P95).contains("respond: Block merge"));
    assert_eq!(second.code, 1, "a failed rule fails the gate");

    // Error rate > 1 %, immediate.
    let errors = build(
        dir,
        "--threads 1 --route '/orders: latency=20ms, errors=5%@503' --gauge kafka_consumer_lag=1200",
        6,
    );
    assert_eq!(errors.outcome(ERRORS), "fail", "{}", errors.gate);
    assert!(errors.message(ERRORS).contains("Rollback / investigate"));

    // Kafka lag > 5k for 5 min (3 s here): held the whole run, it warns; for its first 1.5 s
    // only, it does not.
    let lagging = build(
        dir,
        "--threads 1 --route '/orders: latency=20ms' --gauge kafka_consumer_lag=6000",
        6,
    );
    assert_eq!(lagging.outcome(LAG), "warn", "{}", lagging.gate);
    assert!(lagging.message(LAG).contains("Scale consumer / alert"));
    let blip = build(
        dir,
        "--threads 1 --route '/orders: latency=20ms' --gauge kafka_consumer_lag=6000 --gauge kafka_consumer_lag=1200@1500ms",
        6,
    );
    assert_eq!(blip.outcome(LAG), "pass", "{}", blip.gate);

    // CPU > 85 % for 10 min (3 s here): a pre-fork server whose requests each cost 12 ms of
    // CPU, at 200/s, asks for 2.4 of the two cores, so its workers are all busy and queue.
    // Twelve of them, not two or four: the kernel shares the cores by thread, so beside a
    // build's two compilers and the generator two workers got 2 × 2/5 = 0.8 of a core (a
    // fresh clone's CI saw the rule pass), and four beside one busy process 2 × 4/5 = 80 % of
    // the machine; twelve get 2 × 12/13 ≈ 92 % beside one, which is the share the rule reads.
    let busy = build_as(
        dir,
        "--threads 1 --workers 12 --route '/orders: cpu=12ms' --gauge kafka_consumer_lag=1200",
        6,
        true,
    );
    assert_eq!(busy.outcome(CPU), "warn", "{}", busy.gate);
    assert!(busy.message(CPU).contains("Scale horizontally"));

    // GC pause > 500 ms, 5 occurrences: 600 ms pauses every 1.2 s over 9 s are seven or so;
    // 200 ms pauses as often are under the limit every time.
    let pausing = build(
        dir,
        "--threads 1 --route '/orders: latency=20ms' --gauge kafka_consumer_lag=1200 --stall 600ms/1200ms",
        9,
    );
    assert_eq!(pausing.outcome(PAUSES), "warn", "{}", pausing.gate);
    assert!(pausing.message(PAUSES).contains("Investigate allocation"));
    let short = build(
        dir,
        "--threads 1 --route '/orders: latency=20ms' --gauge kafka_consumer_lag=1200 --stall 200ms/1200ms",
        9,
    );
    assert_eq!(short.outcome(PAUSES), "pass", "{}", short.gate);
}

#[test]
fn the_committed_plan_parses_with_its_real_windows() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rigor.toml"), EXAMPLE).unwrap();
    // `rigor gate` with no runs judges nothing, but reads and checks every rule first.
    let out = rigor(dir.path()).args(["gate", "--json"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("rigor.toml:"),
        "the plan is valid as committed: {stderr}"
    );
    assert!(stderr.contains("no finished run of `orders`"), "{stderr}");
    assert_eq!(out.status.code(), Some(3));
}
