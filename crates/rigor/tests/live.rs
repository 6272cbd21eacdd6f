//! The live endpoint and production telemetry: `--metrics-addr` serving a run's figures
//! while it goes (clean under `promtool check metrics`, its counts the run's own), a real
//! Prometheus scraping it during a run against the built-in target (the count it saw equal to
//! the run's, the SLO rules `rigor slo rules` writes evaluated on what it serves), then
//! `rigor import prometheus` reading that range back as a `telemetry` run whose figures match
//! the stored run's; SLOs judged over a run; and the bad input each of these can get.

mod common;

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{free_port, ran, rigor, Ran};

/// A GET of `path` on `addr`, the answer's status line and body.
fn get(addr: &str, path: &str, accept: Option<&str>) -> Option<(String, String)> {
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let accept = accept
        .map(|a| format!("Accept: {a}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{accept}Connection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let (head, body) = text.split_once("\r\n\r\n")?;
    Some((head.lines().next()?.to_string(), body.to_string()))
}

/// The value of the sample `line_start …` in an exposition.
fn sample(text: &str, line_start: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(line_start))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

fn promtool_check(promtool: &Path, text: &str) -> (bool, String) {
    let mut child = Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn wait_output(child: Child) -> Ran {
    ran(child.wait_with_output().unwrap())
}

#[test]
fn the_live_endpoint_serves_the_runs_counts_and_passes_promtool() {
    let promtool = common::tool("promtool", "apt-get install prometheus");
    let _serial = common::serial();
    let target = common::target(&["/: latency=5ms, errors=10%@503"], None);
    let dir = tempfile::tempdir().unwrap();
    let addr = format!("127.0.0.1:{}", free_port());
    let url = format!("http://{}/", target.addr());
    let child = common::spawn(
        dir.path(),
        &[
            "load",
            &url,
            "--rate",
            "40/s",
            "--duration",
            "3s",
            "--traceparent",
            "--metrics-addr",
            &addr,
            "--metrics-linger",
            "30s",
            "--json",
            "--max-lag",
            "250ms",
        ],
    );
    // While it runs: the run is there, counting.
    let started = Instant::now();
    let mut during = None;
    while started.elapsed() < Duration::from_secs(20) {
        if let Some((status, body)) = get(&addr, "/metrics", None) {
            if sample(&body, "rigor_requests_total{").is_some_and(|v| v > 0.0) {
                assert!(status.contains("200"), "{status}");
                during = Some(body);
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let during = during.expect("the endpoint served counts while the run went");
    assert!(during.contains("rigor_run_running 1"), "{during}");
    // OpenMetrics, as Prometheus asks: families, exemplars with trace ids, the end marker.
    let (_, om) = get(
        &addr,
        "/metrics",
        Some("application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"),
    )
    .unwrap();
    assert!(om.contains("# TYPE rigor_requests counter"), "{om}");
    assert!(om.ends_with("# EOF\n"));
    // After the run: one more scrape gets the final counts and ends the linger.
    let mut last = String::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Some((_, body)) = get(&addr, "/metrics", None) {
            if body.contains("rigor_run_running 0") {
                last = body;
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let r = wait_output(child);
    assert_eq!(r.code, 0, "no threshold fails: {}", r.stderr);
    let summary = &r.json;
    let requests = summary["total"]["requests"].as_f64().unwrap();
    let errors = summary["total"]["errors"].as_f64().unwrap();
    let success = sample(
        &last,
        "rigor_requests_total{scenario=\"adhoc\",phase=\"steady\",outcome=\"success\"}",
    )
    .unwrap();
    let failed = sample(
        &last,
        "rigor_requests_total{scenario=\"adhoc\",phase=\"steady\",outcome=\"error\"}",
    )
    .unwrap();
    assert_eq!(success + failed, requests, "{last}");
    assert_eq!(failed, errors);
    assert_eq!(
        sample(
            &last,
            "rigor_request_errors_total{scenario=\"adhoc\",phase=\"steady\",kind=\"http_503\"}"
        ),
        Some(errors)
    );
    assert_eq!(
        sample(
            &last,
            "rigor_request_duration_seconds_count{scenario=\"adhoc\",phase=\"steady\"}"
        ),
        Some(success),
        "the histogram holds the responses that succeeded"
    );
    assert!(last.contains("rigor_generator_send_lag_p99_seconds"));
    assert!(r.stderr.contains("live metrics at http://"), "{}", r.stderr);
    if let Some(promtool) = promtool {
        for text in [&during, &last] {
            let (ok, said) = promtool_check(&promtool, text);
            assert!(
                ok && said.trim().is_empty(),
                "promtool check metrics: {said}\n{text}"
            );
        }
    }
}

#[test]
fn an_address_that_cannot_be_listened_on_is_refused_before_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = held.local_addr().unwrap().to_string();
    let r = ran(rigor(dir.path())
        .args([
            "load",
            "http://127.0.0.1:9/",
            "-r",
            "1/s",
            "-d",
            "1s",
            "--metrics-addr",
            &addr,
        ])
        .output()
        .unwrap());
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("cannot listen there"), "{}", r.stderr);
    let r = ran(rigor(dir.path())
        .args([
            "load",
            "http://127.0.0.1:9/",
            "-r",
            "1/s",
            "-d",
            "1s",
            "--metrics-addr",
            "nonsense",
        ])
        .output()
        .unwrap());
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("HOST:PORT"), "{}", r.stderr);
    assert!(!dir.path().join(".rigor").exists(), "nothing was stored");
}

const SLO_PLAN: &str = r#"
[[scenario]]
name = "live"
traceparent = true
[[scenario.request]]
url = "URL"
[[scenario.phases]]
kind = "steady"
rate = "40/s"
for = "FOR"

[[slo]]
name = "live-availability"
scenario = "live"
sli = "availability"
objective = "99%"
window = "30d"

[[slo]]
name = "live-latency"
scenario = "live"
sli = "latency"
threshold = "300ms"
objective = "99%"
window = "30d"
"#;

fn slo_plan(dir: &Path, url: &str, length: &str) {
    std::fs::write(
        dir.join("rigor.toml"),
        SLO_PLAN.replace("URL", url).replace("FOR", length),
    )
    .unwrap();
}

#[test]
fn a_run_judges_the_plans_slos_over_its_requests() {
    let _serial = common::serial();
    let target = common::target(&["/: latency=5ms, errors=10%@503"], None);
    let dir = tempfile::tempdir().unwrap();
    slo_plan(dir.path(), &format!("http://{}/", target.addr()), "2s");
    let r = common::only_scenario(ran(rigor(dir.path())
        .args(["run", "--json", "--max-lag", "250ms"])
        .output()
        .unwrap()));
    assert_eq!(r.code, 1, "{}", r.stderr);
    let thresholds = r.json["thresholds"].as_array().unwrap();
    let verdict = |name: &str| {
        thresholds
            .iter()
            .find(|t| {
                t["threshold"]
                    .as_str()
                    .unwrap()
                    .starts_with(&format!("slo {name}:"))
            })
            .unwrap_or_else(|| panic!("{name} judged: {thresholds:?}"))
            .clone()
    };
    let availability = verdict("live-availability");
    assert_eq!(availability["passed"], false, "{availability}");
    let expected = 1.0
        - r.json["total"]["errors"].as_f64().unwrap()
            / r.json["total"]["requests"].as_f64().unwrap();
    assert!((availability["value"].as_f64().unwrap() - expected).abs() < 1e-12);
    let latency = verdict("live-latency");
    assert_eq!(
        latency["passed"], true,
        "5 ms responses are within 300 ms: {latency}"
    );
    assert_eq!(latency["value"], 1.0);
}

/// A Prometheus server of our own on loopback, scraping `target` every second and
/// evaluating `rules`; killed when dropped.
struct Prometheus {
    child: Child,
    addr: String,
    _dir: tempfile::TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Prometheus {
    fn start(binary: &Path, target: &str, rules: &Path) -> Prometheus {
        let dir = tempfile::tempdir().unwrap();
        let config = format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - {}\nscrape_configs:\n  - job_name: rigor\n    static_configs:\n      - targets: ['{target}']\n",
            rules.display()
        );
        std::fs::write(dir.path().join("prometheus.yml"), config).unwrap();
        let addr = format!("127.0.0.1:{}", free_port());
        let child = Command::new(binary)
            .arg(format!(
                "--config.file={}",
                dir.path().join("prometheus.yml").display()
            ))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address={addr}"))
            .arg("--enable-feature=exemplar-storage")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let p = Prometheus {
            child,
            addr,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if get(&p.addr, "/-/ready", None).is_some_and(|(s, _)| s.contains("200")) {
                return p;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("prometheus did not become ready");
    }

    /// An instant query's single value, if it has one.
    fn value(&self, promql: &str) -> Option<f64> {
        let (_, body) = get(
            &self.addr,
            &format!("/api/v1/query?query={}", encode(promql)),
            None,
        )?;
        let json: serde_json::Value = serde_json::from_str(&body).ok()?;
        json["data"]["result"][0]["value"][1]
            .as_str()
            .and_then(|v| v.parse().ok())
    }
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn a_real_prometheus_follows_the_run_and_its_range_comes_back_as_a_telemetry_run() {
    let Some(prometheus) = common::tool("prometheus", "apt-get install prometheus") else {
        return;
    };
    let _serial = common::serial();
    let target = common::target(&["/: latency=20ms, errors=10%@503"], None);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    slo_plan(d, &format!("http://{}/", target.addr()), "8s");
    let rules = ran(rigor(d)
        .args(["slo", "rules", "-o", "out"])
        .output()
        .unwrap());
    assert_eq!(rules.code, 0, "{}", rules.stderr);
    let live = format!("127.0.0.1:{}", free_port());
    let server = Prometheus::start(&prometheus, &live, &d.join("out/slo-rules.yml"));

    let r = common::only_scenario(ran(rigor(d)
        .args([
            "run",
            "--json",
            "--max-lag",
            "250ms",
            "--metrics-addr",
            &live,
        ])
        .args(["--metrics-linger", "60s"])
        .output()
        .unwrap()));
    assert_eq!(
        r.code, 1,
        "the availability SLO fails at 10 % errors: {}",
        r.stderr
    );
    assert!(
        !r.stderr.contains("was not scraped"),
        "Prometheus scraped after the end: {}",
        r.stderr
    );
    let requests = r.json["total"]["requests"].as_f64().unwrap();
    let errors = r.json["total"]["errors"].as_f64().unwrap();
    let ended = Instant::now();

    // The last scrape came after the run's end, so Prometheus has its whole count.
    let total = "sum(max_over_time(rigor_requests_total{scenario=\"live\"}[1h]))";
    let mut seen = None;
    while ended.elapsed() < Duration::from_secs(10) {
        seen = server.value(total);
        if seen == Some(requests) {
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    assert_eq!(seen, Some(requests), "Prometheus's count against the run's");
    // The rules written from the plan evaluate on the live series. Their ratio of rates
    // reads the scraped seconds only (the first scrape comes a second or two into the run),
    // so it is near the run's 10 %, not equal to it.
    let error_ratio = server
        .value("last_over_time(slo:sli_error:ratio_rate5m{slo=\"live-availability\"}[1h])")
        .expect("the recording rule has a value");
    assert!(
        error_ratio > 0.0 && error_ratio < 0.25,
        "recorded error ratio {error_ratio} against the run's {}",
        errors / requests
    );
    let latency_bad = server
        .value("last_over_time(slo:sli_error:ratio_rate5m{slo=\"live-latency\"}[1h])")
        .expect("the latency SLI is recorded");
    assert!(
        latency_bad < 0.01,
        "20 ms responses within 300 ms: {latency_bad}"
    );

    // The slowest requests' trace ids came with the buckets as exemplars, and Prometheus kept
    // them.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let (_, body) = get(
        &server.addr,
        &format!(
            "/api/v1/query_exemplars?query={}&start={}&end={}",
            encode("rigor_request_duration_seconds_bucket{scenario=\"live\"}"),
            now - 600,
            now + 60
        ),
        None,
    )
    .unwrap();
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    let trace_ids: Vec<String> = json["data"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .flat_map(|s| s["exemplars"].as_array().cloned().unwrap_or_default())
        .filter_map(|e| e["labels"]["trace_id"].as_str().map(str::to_string))
        .collect();
    assert!(!trace_ids.is_empty(), "exemplars stored: {body}");
    assert!(
        trace_ids
            .iter()
            .all(|t| t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit())),
        "{trace_ids:?}"
    );

    // Every point of the range read back lies after the last scrape: each is the run's total.
    std::thread::sleep(Duration::from_secs(4));
    let url = format!("http://{}", server.addr);
    let imported = ran(rigor(d)
        .args(["import", "prometheus", "--url", &url, "--window", "3s", "--step", "1s"])
        .args(["--query", &format!("requests={total}")])
        .args([
            "--query",
            "ok=sum(max_over_time(rigor_requests_total{scenario=\"live\",outcome=\"success\"}[1h])) / sum(max_over_time(rigor_requests_total{scenario=\"live\"}[1h]))",
        ])
        .args([
            "--query",
            "p50=histogram_quantile(0.5, sum by (le) (max_over_time(rigor_request_duration_seconds_bucket{scenario=\"live\"}[1h])))",
        ])
        .args(["--unit", "requests=count", "--unit", "ok=ratio", "--higher-is-better", "ok"])
        .output()
        .unwrap());
    assert_eq!(imported.code, 0, "{}\n{}", imported.stdout, imported.stderr);
    let shown = ran(rigor(d)
        .args(["show", "latest", "--json"])
        .output()
        .unwrap());
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    assert_eq!(shown.json["source"], "prometheus", "{}", shown.stdout);
    let listed = ran(rigor(d).args(["runs"]).output().unwrap());
    assert!(listed.stdout.contains("telemetry"), "{}", listed.stdout);
    // As a baseline-metrics.csv, each figure's method is its query.
    let csv = ran(rigor(d)
        .args(["report", "latest", "-f", "csv"])
        .output()
        .unwrap());
    assert_eq!(csv.code, 0, "{}", csv.stderr);
    assert!(
        csv.stdout.contains("requests,")
            && csv
                .stdout
                .contains("PromQL `sum(max_over_time(rigor_requests_total"),
        "{}",
        csv.stdout
    );
    let values = shown.json["values"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", shown.stdout))
        .clone();
    let value = |name: &str| {
        values
            .iter()
            .find(|v| v["metric"] == name)
            .and_then(|v| v["value"].as_f64())
            .unwrap_or_else(|| panic!("{name} in {values:?}"))
    };
    assert_eq!(
        value("requests"),
        requests,
        "the count read back is the run's"
    );
    assert!((value("ok") - (1.0 - errors / requests)).abs() < 1e-9);
    // The quantile of buckets is interpolated within the bucket the run's median is in.
    let p50 = value("p50");
    assert!(
        (10e6..=25e6).contains(&p50),
        "p50 {p50} ns within the 10–25 ms bucket (the run's: {} ns)",
        r.json["total"]["latency"]["p50_ns"]
    );
}

#[test]
fn bad_prometheus_imports_say_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let import = |args: &[&str]| {
        ran(rigor(d)
            .args(["import", "prometheus"])
            .args(args)
            .output()
            .unwrap())
    };
    // Nothing listens there: could not run.
    let dead = format!("http://127.0.0.1:{}", free_port());
    let r = import(&["--url", &dead, "--query", "up", "--window", "1h"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("cannot reach Prometheus"), "{}", r.stderr);
    for (args, says) in [
        (vec!["--window", "soon"], "not a window"),
        (vec!["--window", "7d", "--step", "1s"], "at most 11,000"),
        (
            vec!["--window", "1h", "--query", "up"],
            "two queries are named",
        ),
        (vec!["--window", "1h", "--unit", "furlongs"], "not a unit"),
        (
            vec!["--window", "1h", "--unit", "nope=s"],
            "no query is named so",
        ),
    ] {
        let mut all = vec!["--url", dead.as_str(), "--query", "up"];
        all.extend(args);
        let r = import(&all);
        assert_eq!(r.code, 2, "{all:?}: {}", r.stderr);
        assert!(r.stderr.contains(says), "{all:?}: {}", r.stderr);
    }
    let r = import(&[
        "--url",
        "https://127.0.0.1:1",
        "--query",
        "up",
        "--window",
        "1h",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("http://"), "{}", r.stderr);
    assert!(!d.join(".rigor").exists(), "nothing was stored");
}

#[test]
fn a_query_prometheus_refuses_or_cannot_answer_is_bad_input() {
    let Some(prometheus) = common::tool("prometheus", "apt-get install prometheus") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("rules.yml"), "groups: []\n").unwrap();
    let server = Prometheus::start(
        &prometheus,
        &format!("127.0.0.1:{}", free_port()),
        &d.join("rules.yml"),
    );
    let url = format!("http://{}", server.addr);
    for (query, says) in [
        ("no_such_metric_anywhere", "returned nothing"),
        ("sum(rate(up[5m]", "Prometheus refused it"),
        (
            "vector(1) or label_replace(vector(2), \"a\", \"b\", \"\", \"\")",
            "2 series",
        ),
    ] {
        let r = ran(rigor(d)
            .args([
                "import",
                "prometheus",
                "--url",
                &url,
                "--window",
                "1m",
                "--step",
                "10s",
            ])
            .args(["--query", query])
            .output()
            .unwrap());
        assert_eq!(r.code, 2, "{query}: {}", r.stderr);
        assert!(r.stderr.contains(says), "{query}: {}", r.stderr);
    }
}
