//! `rigor import wrk|criterion|k6`: a real wrk run against the built-in target, criterion's
//! saved results of a real benchmark (committed: fib(15) and fib(20) saved as baseline
//! `before`, then fib(16) and fib(21) as `after`, 63 % slower by criterion's own estimate), and a k6 summary, each stored as an imported run; criterion's
//! samples are compared as samples; bad files are refused with nothing stored.

mod common;

use std::path::Path;

use common::{ran, rigor, serial, Ran};

fn json(r: &Ran) -> serde_json::Value {
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout))
}

fn runs(dir: &Path) -> usize {
    let r = ran(rigor(dir)
        .args(["runs", "--json", "--limit", "1000"])
        .output()
        .unwrap());
    json(&r).as_array().map_or(0, Vec::len)
}

#[test]
fn a_real_wrk_run_is_imported_with_its_figures() {
    let Some(wrk) = common::tool("wrk", "apt-get install wrk") else {
        return;
    };
    let _lock = serial();
    let target = common::target(&["/: latency=2ms"], None);
    let out = std::process::Command::new(wrk)
        .args(["-t1", "-c2", "-d1s", "--latency"])
        .arg(format!("http://{}/", target.addr()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("wrk.txt"), &out.stdout).unwrap();
    let r = ran(rigor(d)
        .args([
            "import",
            "wrk",
            "wrk.txt",
            "--scenario",
            "api",
            "--commit",
            "abc123",
        ])
        .args(["--time", "2026-12-01T10:00:00Z"])
        .output()
        .unwrap());
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("imported 1 run of wrk.txt as run 1 of `api`"),
        "{}",
        r.stdout
    );
    assert!(r.stderr.contains("coordinated omission"), "{}", r.stderr);
    let r = ran(rigor(d).args(["show", "1", "--json"]).output().unwrap());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let run = json(&r);
    let value = |name: &str| {
        run["values"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["metric"] == name)
            .unwrap_or_else(|| panic!("{name}: {run:#}"))["value"]
            .as_f64()
            .unwrap()
    };
    // Two connections on a 2 ms route: about 1,000 requests in the second, each over 2 ms.
    assert!(value("requests") > 100.0, "{run:#}");
    assert!(
        value("latency.p50") >= 2e6 && value("latency.p50") < 50e6,
        "{run:#}"
    );
    assert!(value("requests_per_sec") > 100.0, "{run:#}");
    assert_eq!(value("error_rate"), 0.0);
    assert_eq!(run["attributes"]["connections"], "2");
    let r = ran(rigor(d).args(["runs", "--json"]).output().unwrap());
    let listed = &json(&r)[0];
    assert_eq!(listed["git_commit"], "abc123");
    assert_eq!(listed["kind"], "imported");
    assert_eq!(listed["started_at_ns"], 1_796_119_200_000_000_000i64);
    // The same output again, its file touched since: the same run, not a second one.
    let r = ran(rigor(d)
        .args(["import", "wrk", "wrk.txt", "--scenario", "api"])
        .output()
        .unwrap());
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("nothing new in wrk.txt"), "{}", r.stdout);
    assert!(
        r.stderr.contains("dated by when wrk.txt was last written"),
        "{}",
        r.stderr
    );
}

#[test]
fn criterion_samples_are_compared_as_samples() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/criterion");
    let import = |which: &str, commit: &str, time: &str| {
        ran(rigor(d)
            .args(["import", "criterion"])
            .arg(&fixture)
            .args([
                "--baseline",
                which,
                "--scenario",
                "fib",
                "--commit",
                commit,
                "--time",
                time,
            ])
            .output()
            .unwrap())
    };
    let r = import("before", "before", "2026-12-01");
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("fib/15 (ns, lower is better)"),
        "{}",
        r.stdout
    );
    let r = import("after", "after", "2026-12-02");
    assert_eq!(r.code, 0, "{}", r.stderr);
    // The same results again: nothing new.
    let r = import("after", "after", "2026-12-02");
    assert!(
        r.stdout.contains("1 run already in the store"),
        "{}",
        r.stdout
    );
    assert_eq!(runs(d), 2);

    let r = ran(rigor(d)
        .args(["compare", "1", "2", "--json"])
        .output()
        .unwrap());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let c = json(&r);
    common::assert_schema("comparison.schema.json", &c);
    for m in c["metrics"].as_array().unwrap() {
        assert_eq!(m["verdict"], "regressed", "{m:#}");
        assert!(m.get("untested").is_none(), "{m:#}");
        assert!(m["method"].as_str().unwrap().contains("samples"), "{m:#}");
        // criterion's estimates differ by +62.9 % and +63.5 %: the bootstrap agrees.
        let (lo, hi) = (
            m["change_lower"].as_f64().unwrap(),
            m["change_upper"].as_f64().unwrap(),
        );
        assert!(lo > 0.5 && hi < 0.75, "{m:#}");
    }
    let r = ran(rigor(d).args(["show", "2"]).output().unwrap());
    assert!(r.stdout.contains("fib/20"), "{}", r.stdout);
    assert!(r.stdout.contains("from 30 samples"), "{}", r.stdout);

    let r = import("nonesuch", "x", "2026-12-03");
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no criterion results"), "{}", r.stderr);
    let r = ran(rigor(d)
        .args(["import", "criterion", "missing-dir", "--scenario", "fib"])
        .output()
        .unwrap());
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("is not a directory"), "{}", r.stderr);
    assert_eq!(runs(d), 2);
}

#[test]
fn a_k6_summary_is_imported_and_a_bad_one_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("summary.json"),
        r#"{"state": {"testRunDurationMs": 10000},
            "metrics": {
              "http_req_duration": {"type": "trend", "contains": "time",
                "values": {"avg": 12.5, "med": 11.0, "p(95)": 30.0, "max": 80.0}},
              "http_reqs": {"type": "counter", "contains": "default", "values": {"count": 1000, "rate": 100.0}},
              "http_req_failed": {"type": "rate", "contains": "default", "values": {"rate": 0.01, "passes": 10, "fails": 990}}
            }}"#,
    )
    .unwrap();
    let r = ran(rigor(d)
        .args(["import", "k6", "summary.json", "--scenario", "checkout"])
        .output()
        .unwrap());
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("http_req_duration.p95 (ns, lower is better)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("http_reqs.rate (per_s, higher is better)"),
        "{}",
        r.stdout
    );
    let r = ran(rigor(d).args(["show", "1"]).output().unwrap());
    assert!(r.stdout.contains("30ms"), "{}", r.stdout);

    // A second run: more failures (a share: judged in points), and dropped iterations where
    // the first had none (no relative change from zero: said, not dropped silently).
    let second = std::fs::read_to_string(d.join("summary.json"))
        .unwrap()
        .replace("\"rate\": 0.01", "\"rate\": 0.05")
        .replace(
            "\"http_reqs\"",
            "\"dropped_iterations\": {\"type\": \"counter\", \"contains\": \"default\", \"values\": {\"count\": 4, \"rate\": 0.4}},\n              \"http_reqs\"",
        );
    let first = std::fs::read_to_string(d.join("summary.json")).unwrap().replace(
        "\"http_reqs\"",
        "\"dropped_iterations\": {\"type\": \"counter\", \"contains\": \"default\", \"values\": {\"count\": 0, \"rate\": 0}},\n              \"http_reqs\"",
    );
    std::fs::write(d.join("first.json"), first).unwrap();
    std::fs::write(d.join("second.json"), second).unwrap();
    for (file, time) in [("first.json", "2026-12-01"), ("second.json", "2026-12-02")] {
        let r = ran(rigor(d)
            .args([
                "import",
                "k6",
                file,
                "--scenario",
                "checkout2",
                "--time",
                time,
            ])
            .output()
            .unwrap());
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let r = ran(rigor(d)
        .args(["compare", "2", "3", "--json"])
        .output()
        .unwrap());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let c = json(&r);
    common::assert_schema("comparison.schema.json", &c);
    let failed = c["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["metric"] == "http_req_failed.rate")
        .unwrap();
    assert_eq!(failed["change_kind"], "absolute", "{failed:#}");
    assert!(
        (failed["change"].as_f64().unwrap() - 0.04).abs() < 1e-9,
        "{failed:#}"
    );
    assert_eq!(failed["verdict"], "regressed", "{failed:#}");
    assert!(
        failed["p_value"].is_null() && failed["change_lower"].is_null(),
        "{failed:#}"
    );
    assert!(
        c["warnings"]
            .to_string()
            .contains("`dropped_iterations.count` is not compared: its baseline value is 0"),
        "{c:#}"
    );
    // A count is written as a bare number in a budget.
    std::fs::write(
        d.join("rigor.toml"),
        "[[budget]]\ncheck = \"imported.http_reqs.count > 500\"\nscenario = \"checkout2\"\n",
    )
    .unwrap();
    let r = ran(rigor(d).args(["gate"]).output().unwrap());
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    std::fs::remove_file(d.join("rigor.toml")).unwrap();

    for (text, expected) in [
        ("{", "not a k6 JSON summary"),
        ("{\"metrics\": {}}", "no metrics"),
    ] {
        std::fs::write(d.join("bad.json"), text).unwrap();
        let r = ran(rigor(d)
            .args(["import", "k6", "bad.json", "--scenario", "checkout"])
            .output()
            .unwrap());
        assert_eq!(r.code, 2, "{text}");
        assert!(r.stderr.contains(expected), "{text}: {}", r.stderr);
    }
    let r = ran(rigor(d)
        .args([
            "import",
            "k6",
            "summary.json",
            "--scenario",
            "checkout",
            "--time",
            "soon",
        ])
        .output()
        .unwrap());
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--time"), "{}", r.stderr);
    // A k6 figure named in rigor's vocabulary style, asked of history: did-you-mean.
    let r = ran(rigor(d)
        .args(["history", "http_req_duration.p99", "--scenario", "checkout"])
        .output()
        .unwrap());
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("did you mean `http_req_duration.p95`?"),
        "{}",
        r.stderr
    );
    assert_eq!(runs(d), 3);
}
