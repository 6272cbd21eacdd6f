//! Scraping the target's own metrics (`--target-metrics`, `[target.metrics]`) against the
//! built-in target's real `/metrics`: the series are stored with the run and judged in
//! thresholds; an endpoint that refuses, one that never answers and bad input are each told.

mod common;

use common::{load, rigor, serial, target};

#[test]
fn scraped_series_are_kept_and_judged_by_thresholds() {
    let _serial = serial();
    let server = target(&["/orders: latency=1ms"], None);
    let url = format!("http://{}/orders", server.addr());
    let metrics = format!("http://{}/metrics", server.addr());
    let dir = tempfile::tempdir().unwrap();
    let r = load(
        dir.path(),
        &[
            &url,
            "--rate",
            "100/s",
            "--duration",
            "4s",
            "--target-metrics",
            &metrics,
            "-t",
            r#"target.metric.rigor_target_requests_total{route="/orders"} > 50/s"#,
            "-t",
            r#"target.metric.rigor_target_request_duration_seconds.p99{route="/orders"} < 500ms"#,
            "-t",
            r#"target.metric.rigor_target_requests_total{status="200"} > 1/s"#,
            "-t",
            "target.metric.no_such_series < 1",
        ],
    );
    let s = &r.json["target_metrics"];
    assert_eq!(s["failed"], 0, "{}", r.stdout);
    assert!(s["scrapes"].as_u64().unwrap() >= 4, "{s}");
    let rate = s["series"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["series"] == r#"rigor_target_requests_total{route="/orders",status="200"}"#)
        .unwrap_or_else(|| panic!("the counter's rate is kept: {s}"));
    // The target's own count agrees with the load: 100/s over the seconds scraped.
    let mean = rate["mean"].as_f64().unwrap();
    assert!((70.0..=130.0).contains(&mean), "{rate}");
    let outcome = |i: usize| &r.json["thresholds"][i];
    assert_eq!(outcome(0)["passed"], true, "{}", outcome(0));
    assert_eq!(outcome(1)["passed"], true, "{}", outcome(1));
    // Two series have status 200 (the route and the default one): the threshold must say so
    // rather than pick one.
    assert_eq!(outcome(2)["passed"], false);
    assert!(
        outcome(2)["value_text"]
            .as_str()
            .unwrap()
            .contains("matches 2 series"),
        "{}",
        outcome(2)
    );
    // A series the target does not have is named with those it has, and fails.
    assert_eq!(outcome(3)["passed"], false);
    assert!(
        outcome(3)["value_text"]
            .as_str()
            .unwrap()
            .contains("rigor_target_in_flight_requests"),
        "{}",
        outcome(3)
    );
    assert_eq!(r.code, 1, "a failed threshold fails the run");
    // The samples are stored: `show` reads them back the same.
    let shown = rigor(dir.path())
        .args(["show", &r.json["run_id"].to_string(), "--json"])
        .output()
        .unwrap();
    let shown: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(shown["target_metrics"], r.json["target_metrics"]);
}

#[test]
fn an_endpoint_that_refuses_or_never_answers_is_counted_not_fatal() {
    let _serial = serial();
    let server = target(&["/x: latency=1ms"], None);
    let url = format!("http://{}/x", server.addr());
    let dir = tempfile::tempdir().unwrap();
    // Bound and never accepting: each scrape connects into the backlog and waits.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = common::free_port();
    for (endpoint, why) in [
        (
            format!("http://{}/metrics", silent.local_addr().unwrap()),
            "timeout",
        ),
        (format!("http://127.0.0.1:{closed}/metrics"), "scraping"),
        // The target itself, but a path that is not metrics: its `ok` is not the format.
        (format!("http://{}/x", server.addr()), "exposition"),
    ] {
        let r = load(
            dir.path(),
            &[
                &url,
                "--rate",
                "20/s",
                "--duration",
                "2s",
                "--target-metrics",
                &endpoint,
                "-t",
                "target.metric.anything < 1",
            ],
        );
        let s = &r.json["target_metrics"];
        assert!(s["failed"].as_u64().unwrap() >= 1, "{endpoint}: {s}");
        assert_eq!(s["failed"], s["scrapes"], "{endpoint}: every scrape failed");
        let last = s["last_error"].as_str().unwrap_or_default().to_lowercase();
        assert!(last.contains(why), "{endpoint}: {last}");
        // The load itself was measured; the threshold on what was never scraped fails.
        assert!(r.json["total"]["requests"].as_u64().unwrap() >= 30);
        assert_eq!(r.json["thresholds"][0]["passed"], false);
        assert_eq!(r.json["thresholds"][0]["value_text"], "no data");
        assert_eq!(r.code, 1);
        // The terminal summary says so too.
        let text = rigor(dir.path())
            .args(["show", &r.json["run_id"].to_string()])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&text.stdout);
        assert!(text.contains("failed (last:"), "{text}");
    }
}

#[test]
fn bad_metrics_endpoints_and_selectors_are_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    for (args, expected) in [
        (
            vec!["--target-metrics", "https://127.0.0.1:1/metrics"],
            "scraping over https is not supported",
        ),
        (
            vec!["--target-metrics", "127.0.0.1:1/metrics"],
            "is not an http",
        ),
        (
            vec![
                "--target-metrics",
                "http://127.0.0.1:1/metrics",
                "--target-metrics-select",
                "bad{selector",
            ],
            "is not a series selector",
        ),
        (
            vec!["-t", "target.metric.9lives < 1"],
            "is not a Prometheus metric name",
        ),
        (
            vec!["-t", "target.metric.lag.median < 1"],
            "a statistic over the run's scrapes",
        ),
    ] {
        let out = rigor(dir.path())
            .args(["load", "http://127.0.0.1:1/", "-n", "1"])
            .args(&args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
    assert!(
        !dir.path().join(".rigor").exists(),
        "bad input creates no store"
    );
    // The plan's table is checked the same way, with its place.
    std::fs::write(
        dir.path().join("rigor.toml"),
        "[target]\n[target.metrics]\nurl = \"http://127.0.0.1:1/metrics\"\nevery = \"1ms\"\n\n[[scenario]]\nname = \"s\"\nrequests = 1\n[[scenario.request]]\nurl = \"http://127.0.0.1:1/\"\n",
    )
    .unwrap();
    let out = rigor(dir.path()).arg("run").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("[target.metrics] every"), "{stderr}");
    for (probe, expected) in [
        (
            "name = \"queue-depth\"\ncommand = \"true\"",
            "letters, digits and `_`",
        ),
        ("name = \"q\"\ncommand = \" \"", "has no command"),
        (
            "name = \"q\"\ncommand = \"true\"\nkind = \"json\"",
            "`number`",
        ),
        ("name = \"q\"\ncommand = \"true\"\nevery = \"1ms\"", "every"),
        (
            "name = \"q\"\ncommand = \"true\"\n[[target.probe]]\nname = \"q\"\ncommand = \"true\"",
            "named twice",
        ),
    ] {
        std::fs::write(
            dir.path().join("rigor.toml"),
            format!("[[target.probe]]\n{probe}\n\n[[scenario]]\nname = \"s\"\nrequests = 1\n[[scenario.request]]\nurl = \"http://127.0.0.1:1/\"\n"),
        )
        .unwrap();
        let out = rigor(dir.path()).arg("run").output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{probe}: {stderr}");
        assert!(
            stderr.contains("[[target.probe]]") && stderr.contains(expected),
            "{probe}: {stderr}"
        );
    }
}

/// The runbook's cache check, "hit ratio after 10 min warm < 85 %", time-compressed: a
/// threshold over the phase after the warm one sees the warmed cache; over the whole run it
/// would be dragged down by the cold start.
#[test]
fn a_hit_ratio_is_judged_after_its_warm_up() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let port = common::free_port();
    std::fs::write(
        dir.path().join("rigor.toml"),
        format!(
            r#"
[target]
command = "rigor target --port {port} --threads 1 --gauge cache_hit_ratio=0.4 --gauge cache_hit_ratio=0.93@2500ms"
ready = "http://127.0.0.1:{port}/health"

[target.metrics]
url = "http://127.0.0.1:{port}/metrics"
select = ["cache_*"]

[[scenario]]
name = "cache"
phases = [{{ name = "warm", kind = "steady", rate = "50/s", for = "3s" }}, {{ name = "steady", kind = "steady", rate = "50/s", for = "3s" }}]
thresholds = ["target.metric.cache_hit_ratio{{phase=steady}} > 85%", "target.metric.cache_hit_ratio > 85%", "target.metric.cache_hit_ratio.min{{phase=warm}} < 50%"]
[[scenario.request]]
url = "http://127.0.0.1:{port}/"
"#
        ),
    )
    .unwrap();
    let r = common::only_scenario(common::run_plan(dir.path()));
    let t = &r.json["thresholds"];
    assert!(t.is_array(), "{}\n{}", r.stdout, r.stderr);
    assert_eq!(t[0]["passed"], true, "after the warm-up: {t}");
    assert_eq!(t[0]["value_text"], "93%", "{t}");
    assert_eq!(t[1]["passed"], false, "over the whole run: {t}");
    assert_eq!(
        t[2]["passed"], true,
        "the cold start is seen in the warm phase: {t}"
    );
    let phases = r.json["target_metrics"]["phases"].as_array().unwrap();
    assert_eq!(phases.len(), 2, "{phases:?}");
}

/// Two builds whose service differs only in a lag it exports: the comparison carries the
/// target's signals and its scraped series, and a relative rule on a scraped series acts.
#[test]
fn scraped_series_and_signals_are_compared_between_runs() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let plan = |lag: u32| {
        let port = common::free_port();
        format!(
            r#"
[target]
command = "rigor target --port {port} --threads 1 --route '/: latency=1ms, cpu=2ms' --gauge consumer_lag={lag}"
ready = "http://127.0.0.1:{port}/health"

[target.metrics]
url = "http://127.0.0.1:{port}/metrics"
select = ["consumer_lag"]

[[scenario]]
name = "lag"
phases = [{{ name = "steady", kind = "steady", rate = "50/s", for = "4s" }}]
[[scenario.request]]
url = "http://127.0.0.1:{port}/"

[[rule]]
check = "target.metric.consumer_lag < +50%"
"#
        )
    };
    for lag in [1000, 3000] {
        std::fs::write(dir.path().join("rigor.toml"), plan(lag)).unwrap();
        let r = common::run_plan(dir.path());
        assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
    }
    let c = common::ran(
        rigor(dir.path())
            .args(["compare", "1", "2", "--json"])
            .output()
            .unwrap(),
    );
    let metric = |name: &str| {
        c.json["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["metric"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} compared: {}", c.stdout))
    };
    let lag = metric("target.metric.consumer_lag");
    assert!(
        (lag["change"].as_f64().unwrap() - 2.0).abs() < 1e-9,
        "{lag}"
    );
    assert_eq!(lag["verdict"], "regressed", "{lag}");
    assert!(metric("target.cpu")["baseline"].as_f64().unwrap() > 0.0);
    // The rule against the baseline sees it too.
    let set = rigor(dir.path())
        .args(["baseline", "set", "1"])
        .output()
        .unwrap();
    assert!(set.status.success());
    let g = common::ran(
        rigor(dir.path())
            .args(["gate", "--run", "2", "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(g.json["checks"][0]["outcome"], "fail", "{}", g.stdout);
    assert_eq!(g.code, 1);
}

/// Probes: a number becomes a series, a text's change mid-run is flagged (the query-plan
/// monitor), a failing probe is counted, none of it fatal.
#[test]
fn probes_give_series_and_flag_a_changed_plan() {
    let _serial = serial();
    let server = target(&["/q: latency=1ms"], None);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("depth"), "17\n").unwrap();
    std::fs::write(
        dir.path().join("plan.txt"),
        "Seq Scan on orders\n  Filter: id = 7\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("rigor.toml"),
        format!(
            r#"
[[target.probe]]
name = "queue_depth"
command = "cat depth"
every = "200ms"

[[target.probe]]
name = "query_plan"
command = "cat plan.txt"
every = "200ms"
kind = "text"

[[target.probe]]
name = "broken"
command = "echo no >&2; exit 3"
every = "500ms"

[[scenario]]
name = "probed"
phases = [{{ name = "steady", kind = "steady", rate = "20/s", for = "3s" }}]
thresholds = ["target.metric.queue_depth.max < 100", "target.metric.query_plan.max < 1"]
[[scenario.request]]
url = "http://{}/q"
"#,
            server.addr()
        ),
    )
    .unwrap();
    let child = common::spawn(dir.path(), &["run", "--json", "--quiet"]);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    std::fs::write(
        dir.path().join("plan.txt"),
        "Index Scan using orders_pkey\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("depth"), "250\n").unwrap();
    let r = common::only_scenario(common::ran(child.wait_with_output().unwrap()));
    let m = &r.json["target_metrics"];
    assert!(m["url"].is_null(), "no endpoint, only probes: {m}");
    let probe = |name: &str| {
        m["probes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name}: {m}"))
    };
    let plan = probe("query_plan");
    let texts = plan["texts"].as_array().unwrap();
    assert_eq!(texts.len(), 2, "the first plan and the changed one: {plan}");
    assert_eq!(texts[1]["first_line"], "Index Scan using orders_pkey");
    assert_ne!(texts[0]["hash"], texts[1]["hash"]);
    let broken = probe("broken");
    assert_eq!(broken["failed"], broken["runs"]);
    assert!(broken["last_error"]
        .as_str()
        .unwrap()
        .contains("exit status 3"));
    let t = &r.json["thresholds"];
    assert_eq!(t[0]["passed"], false, "the depth went to 250: {t}");
    assert_eq!(t[1]["passed"], false, "the plan changed: {t}");
    assert_eq!(r.json["total"]["errors"], 0, "the load itself went on");
    let shown = rigor(dir.path())
        .args(["show", &r.json["run_id"].to_string()])
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&shown.stdout);
    assert!(shown.contains("its output CHANGED 1 time"), "{shown}");
}
