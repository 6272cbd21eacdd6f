//! The HTML reports in a real browser: headless Chromium opens each report (a load run with
//! a sampled target, a comparison, a benchmark, a gate, a capacity search) from a `file://` URL with the network
//! shut off, and the page's own count says every chart was drawn with data points, that it
//! asked for nothing from anywhere and raised no error. A screenshot of each is kept under
//! the target directory (`report-screenshots/`) for a person to look at.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{ran, rigor, serial, tool, LOOSE_MAX_LAG};

/// What the browser saw of one page.
struct Seen {
    /// The page as the browser left it, scripts run.
    dom: String,
    /// The browser's log: console messages included.
    log: String,
}

impl Seen {
    /// An attribute the self-check set on `<html>`.
    fn root(&self, name: &str) -> u64 {
        let open = self
            .dom
            .find("<html")
            .unwrap_or_else(|| panic!("no <html> in the DOM:\n{}", self.dom));
        let tag = &self.dom[open..open + self.dom[open..].find('>').unwrap()];
        let key = format!("{name}=\"");
        let at = tag
            .find(&key)
            .unwrap_or_else(|| panic!("the page did not set {name}: {tag}\n{}", self.log));
        let rest = &tag[at + key.len()..];
        rest[..rest.find('"').unwrap()].parse().unwrap()
    }
}

/// Chromium with no network: a proxy that refuses, no host resolves, no background traffic.
fn chromium(browser: &Path, profile: &Path) -> Command {
    let mut cmd = Command::new(browser);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-extensions",
        "--disable-sync",
        "--disable-background-networking",
        "--disable-component-update",
        "--proxy-server=127.0.0.1:9",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--hide-scrollbars",
        "--enable-logging=stderr",
        "--v=0",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    cmd
}

fn open(browser: &Path, profile: &Path, page: &Path) -> Seen {
    let url = format!("file://{}", page.display());
    let out = chromium(browser, profile)
        .args(["--virtual-time-budget=5000", "--dump-dom", &url])
        .output()
        .expect("chromium runs");
    Seen {
        dom: String::from_utf8_lossy(&out.stdout).into_owned(),
        log: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn screenshot(browser: &Path, profile: &Path, page: &Path, png: &Path, height: u32) {
    let out = chromium(browser, profile)
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("--window-size=1100,{height}"))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    let bytes = std::fs::read(png).unwrap_or_else(|e| {
        panic!(
            "no screenshot {}: {e}\n{}",
            png.display(),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(bytes.len() > 20_000, "a blank page? {} bytes", bytes.len());
}

/// Every chart drawn, nothing fetched, no error: what each report must show in the browser.
fn assert_drawn(seen: &Seen, what: &str, charts: u64) {
    assert_eq!(
        seen.root("data-charts"),
        charts,
        "{what}: charts on the page"
    );
    assert_eq!(
        seen.root("data-charts-drawn"),
        charts,
        "{what}: every chart has a data mark of some size\n{}",
        seen.log
    );
    assert!(seen.root("data-points") > 0, "{what}");
    assert_eq!(
        seen.root("data-resources"),
        0,
        "{what}: the page fetched something"
    );
    assert_eq!(seen.root("data-errors"), 0, "{what}: {}", seen.log);
    let console: Vec<&str> = seen.log.lines().filter(|l| l.contains("CONSOLE")).collect();
    assert!(
        console.iter().any(|l| l.contains("rigor-report:")),
        "the console is read (the self-check's line is there): {}",
        seen.log
    );
    for line in &console {
        assert!(
            line.contains("rigor-report:"),
            "{what}: a console message other than the self-check's: {line}"
        );
    }
    assert!(
        !seen.log.contains("Failed to load resource") && !seen.log.contains("net::ERR_"),
        "{what}: a failed request: {}",
        seen.log
    );
}

fn plan(port: u16) -> String {
    format!(
        r#"
[target]
command = "rigor target --port {port} --threads 1 --route '/api: latency=lognormal(2ms,20ms), cpu=500us, errors=0.5%@503' --route '/slow: latency=20ms'"
ready = "http://127.0.0.1:{port}/health"

[[scenario]]
name = "checkout"
phases = [
  {{ name = "warm", kind = "ramp", from = "20/s", to = "150/s", over = "2s" }},
  {{ name = "steady", kind = "steady", rate = "150/s", for = "3s" }},
]
thresholds = ["latency.p99 < 500ms", "error_rate < 5%", "target.rss < 1GiB"]
[[scenario.request]]
name = "api"
url = "http://127.0.0.1:{port}/api"
[[scenario.request]]
name = "slow"
url = "http://127.0.0.1:{port}/slow"

[[budget]]
scenario = "checkout"
metric = "latency.p95"
max = "1s"

[[rule]]
metric = "error_rate"
max = "1%"
action = "fail"
"#
    )
}

fn screenshots_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn every_html_report_draws_its_charts_offline_in_a_real_browser() {
    let Some(browser) = tool("chromium", "apt-get install chromium") else {
        return;
    };
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    let profile = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rigor.toml"), plan(common::free_port())).unwrap();
    // With perf here, the second run is profiled and its page embeds the flame graph.
    let perf = tool("perf", "apt-get install linux-perf").is_some();
    for i in 0..2 {
        let mut cmd = rigor(dir.path());
        cmd.args([
            "run",
            "--quiet",
            "--max-lag",
            LOOSE_MAX_LAG,
            "--report",
            "reports",
        ]);
        if perf && i == 1 {
            cmd.args(["--profile", "--call-graph", "dwarf"]);
        }
        let r = ran(cmd.output().unwrap());
        assert_eq!(r.code, 0, "{}\n{}", r.stderr, r.stdout);
    }
    let bench = ran(rigor(dir.path())
        .args([
            "bench",
            "--quiet",
            "--runs",
            "8",
            "-c",
            "sleep 0.01",
            "-c",
            "sleep 0.02",
        ])
        .output()
        .unwrap());
    assert_eq!(bench.code, 0, "{}", bench.stderr);
    let report = |args: &[&str]| {
        let r = ran(rigor(dir.path()).arg("report").args(args).output().unwrap());
        assert_eq!(r.code, 0, "{}", r.stderr);
    };
    report(&["--compare", "1", "2", "-f", "html", "-o", "reports/"]);
    report(&["3", "-f", "html", "-o", "reports/"]);
    let gate = ran(rigor(dir.path())
        .args(["gate", "--run", "2", "--report", "reports"])
        .output()
        .unwrap());
    assert_eq!(gate.code, 0, "{}\n{}", gate.stderr, gate.stdout);

    // A capacity sweep, short: three user counts, each 3 s.
    let capacity = ran(rigor(dir.path())
        .args([
            "capacity",
            "--quiet",
            "--concurrency",
            "1,2,4",
            "--ramp",
            "0s",
            "--warmup",
            "1s",
            "--hold",
            "2s",
            "--max-lag",
            LOOSE_MAX_LAG,
            "--report",
            "reports",
        ])
        .output()
        .unwrap());
    assert_eq!(capacity.code, 0, "{}\n{}", capacity.stderr, capacity.stdout);

    // The load scenario's history over its two runs, every metric: too few runs for steps,
    // each drawn all the same.
    let history = ran(rigor(dir.path())
        .args([
            "history",
            "--scenario",
            "checkout",
            "--json",
            "--report",
            "reports",
        ])
        .output()
        .unwrap());
    assert_eq!(history.code, 0, "{}\n{}", history.stderr, history.stdout);
    // A chart for each metric with two runs or more (one run is said, not drawn).
    let history_charts = history.json["series"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["points"].as_array().unwrap().len() >= 2)
        .count() as u64;
    assert!(history_charts > 5, "{}", history.stdout);

    let reports = dir.path().join("reports");
    let run = std::fs::read_to_string(reports.join("run-2.html")).unwrap();
    assert!(
        run.contains("budget latency.p95 &lt;= 1s"),
        "the plan's budget is drawn (or named above the chart) with the thresholds"
    );
    let shots = screenshots_dir();
    // The load run: latency, throughput, spectrum, send lag, and the target's CPU, memory,
    // threads and descriptors.
    let pages = [
        ("run-2.html", "a load run", 8, 7000),
        ("compare-1-2.html", "a comparison", 3, 2600),
        ("run-3.html", "a benchmark", 2, 1300),
        ("gate.html", "a gate", 0, 700),
        // Throughput and latency against the users, and the scalability model.
        ("capacity-analysis.html", "a capacity search", 3, 2400),
        ("history-checkout.html", "a history", history_charts, 4000),
    ];
    for (file, what, charts, height) in pages {
        let page = reports.join(file);
        let seen = open(&browser, profile.path(), &page);
        if charts > 0 {
            assert_drawn(&seen, what, charts);
        } else {
            assert_eq!(seen.root("data-charts"), 0, "{what}");
            assert_eq!(seen.root("data-errors"), 0, "{what}: {}", seen.log);
            assert_eq!(seen.root("data-resources"), 0, "{what}");
        }
        assert!(
            seen.dom.contains("charts drawn."),
            "{what}: the foot of the page says what was drawn"
        );
        if file == "run-2.html" && perf {
            assert_eq!(
                seen.root("data-flamegraphs"),
                1,
                "{what}: the profile's flame graph"
            );
            assert_eq!(
                seen.root("data-flamegraphs-drawn"),
                1,
                "{what}: the flame graph drew its frames\n{}",
                seen.log
            );
        }
        let png = shots.join(file.replace(".html", ".png"));
        screenshot(&browser, profile.path(), &page, &png, height);
    }
}
