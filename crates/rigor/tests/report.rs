//! `rigor report`: the Markdown, CSV and JSON of a known stored run and comparison hold the
//! run's own figures (parsed, not matched as whole files), and bad input leaves nothing
//! half-written.

mod common;

use std::path::Path;

use common::{load, rigor, serial, target};

/// One stored load run at a fixed rate, its JSON summary.
fn stored_run(dir: &Path, url: &str, rate: &str) -> serde_json::Value {
    let r = load(
        dir,
        &[url, "--rate", rate, "--duration", "2s", "--name", "svc"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.json
}

fn report(dir: &Path, args: &[&str]) -> common::Ran {
    common::ran(rigor(dir).arg("report").args(args).output().unwrap())
}

/// The cells of the Markdown table row whose first cell is `first`.
fn md_row(md: &str, first: &str) -> Vec<String> {
    md.lines()
        .map(|l| {
            l.trim()
                .trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_string())
                .collect::<Vec<_>>()
        })
        .find(|cells| cells.first().is_some_and(|c| c == first))
        .unwrap_or_else(|| panic!("no row `{first}` in\n{md}"))
}

/// The value under a key figure's name in the HTML (`<dt>p99</dt><dd>…</dd>`).
fn html_figure(html: &str, name: &str) -> String {
    let key = format!("<dt>{name}</dt><dd>");
    let at = html
        .find(&key)
        .unwrap_or_else(|| panic!("no figure {name}"))
        + key.len();
    html[at..at + html[at..].find("</dd>").unwrap()].to_string()
}

/// The markup of the chart `id`.
fn chart<'a>(html: &'a str, id: &str) -> &'a str {
    let open = format!("<figure class=\"chart\" id=\"{id}\">");
    let at = html.find(&open).unwrap_or_else(|| panic!("no chart {id}"));
    &html[at..at + html[at..].find("</figure>").unwrap()]
}

/// How many points the chart draws of a series; `None` when it draws none.
fn series_points(chart: &str, series: &str) -> Option<usize> {
    let key = format!("data-series=\"{series}\" data-points=\"");
    let at = chart.find(&key)? + key.len();
    chart[at..at + chart[at..].find('"').unwrap()].parse().ok()
}

#[test]
fn a_run_report_holds_the_runs_figures_in_every_format() {
    let _guard = serial();
    let t = target(&["/: latency=2ms"], None);
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://{}/", t.addr());
    let summary = stored_run(dir.path(), &url, "100/s");
    let id = summary["run_id"].as_i64().unwrap();
    let requests = summary["total"]["requests"].as_u64().unwrap();

    let r = report(dir.path(), &["-f", "md,html,csv,series,json", "-o", "out"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let out = dir.path().join("out");
    let md = std::fs::read_to_string(out.join(format!("run-{id}.md"))).unwrap();
    assert!(md.starts_with(&format!("# rigor run {id} · svc")), "{md}");
    let totals = md_row(&md, &requests.to_string());
    assert_eq!(totals[2], summary["total"]["errors"].to_string(), "{md}");
    let corrected = md_row(&md, "from intended start");
    assert_eq!(
        corrected[1],
        summary["total"]["latency"]["count"].to_string(),
        "latency counts the successful responses"
    );
    assert!(md_row(&md, "from send (raw)").len() == 9);
    assert!(
        md.contains("- Phase `"),
        "the method lists the phases: {md}"
    );
    assert!(
        md.contains("100/s for 2s"),
        "planned rate and duration: {md}"
    );

    // The metrics CSV: one row per metric, with the run as the source.
    let mut csv = csv::Reader::from_path(out.join(format!("run-{id}.csv"))).unwrap();
    assert_eq!(
        csv.headers().unwrap(),
        vec![
            "timestamp",
            "scenario",
            "metric",
            "value",
            "unit",
            "source",
            "method"
        ]
    );
    let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    let value = |metric: &str| -> f64 {
        rows.iter()
            .find(|r| &r[1] == "svc" && &r[2] == metric)
            .unwrap_or_else(|| panic!("no {metric} row"))[3]
            .parse()
            .unwrap()
    };
    assert_eq!(value("requests"), requests as f64);
    assert_eq!(
        value("latency.p99"),
        summary["total"]["latency"]["p99_ns"].as_f64().unwrap()
    );
    assert!(rows.iter().all(|r| r[5] == *format!("rigor run {id}")));

    // The series: one row per second, requests summing to the run's.
    let mut series = csv::Reader::from_path(out.join(format!("run-{id}.series.csv"))).unwrap();
    let seconds: Vec<csv::StringRecord> = series.records().map(Result::unwrap).collect();
    assert!(seconds.len() >= 2, "{} seconds", seconds.len());
    let sum: u64 = seconds.iter().map(|r| r[2].parse::<u64>().unwrap()).sum();
    assert_eq!(sum, requests, "every request is in some second");
    let seconds_numbered: Vec<u32> = seconds.iter().map(|r| r[0].parse().unwrap()).collect();
    assert_eq!(
        seconds_numbered,
        (0..seconds.len() as u32).collect::<Vec<_>>()
    );

    // The JSON: the summary as stored, the seconds, the method.
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join(format!("run-{id}.json"))).unwrap())
            .unwrap();
    common::assert_schema("load-report.schema.json", &json);
    assert_eq!(json["summary"]["total"], summary["total"]);
    assert_eq!(json["seconds"].as_array().unwrap().len(), seconds.len());
    assert_eq!(json["method"]["model"], "open");
    assert_eq!(json["method"]["phases"][0]["rate_start"], 100.0);
    // The spectrum runs from the minimum to the maximum of the whole run.
    let spectrum = json["spectrum"].as_array().unwrap();
    assert_eq!(spectrum.last().unwrap()["percentile"], 100.0);
    assert_eq!(
        spectrum.last().unwrap()["latency_ns"],
        summary["total"]["latency"]["max_ns"]
    );
    let p50 = spectrum
        .iter()
        .find(|p| p["percentile"].as_f64().unwrap() >= 49.0)
        .unwrap()["latency_ns"]
        .as_f64()
        .unwrap();
    let summary_p50 = summary["total"]["latency"]["p50_ns"].as_f64().unwrap();
    assert!(
        (p50 - summary_p50).abs() <= summary_p50 * 0.05,
        "{p50} vs {summary_p50}"
    );
    // Every second that sent requests has its send lag.
    assert!(json["seconds"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["requests"].as_u64().unwrap() > 0)
        .all(|s| s["send_lag_max_ns"].is_u64()));

    // The HTML: the same figures as the Markdown, and each chart's lines with a point for
    // each second that has one.
    let html = std::fs::read_to_string(out.join(format!("run-{id}.html"))).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(
        !html.contains("src=") && !html.contains("href="),
        "nothing is fetched"
    );
    assert_eq!(
        html_figure(&html, "p99"),
        corrected[5],
        "p99 as the Markdown has it"
    );
    assert_eq!(html_figure(&html, "p50"), corrected[2]);
    let with_latency = json["seconds"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| !s["latency"].is_null())
        .count();
    let latency = chart(&html, "latency");
    assert_eq!(
        series_points(latency, "p99"),
        Some(with_latency),
        "{latency}"
    );
    assert_eq!(series_points(latency, "p50 from send"), Some(with_latency));
    let throughput = chart(&html, "throughput");
    assert_eq!(
        series_points(throughput, "completed/s"),
        Some(seconds.len())
    );
    assert_eq!(
        series_points(chart(&html, "spectrum"), "from intended start"),
        Some(spectrum.len())
    );
    assert!(series_points(chart(&html, "send-lag"), "max").is_some());

    // One format without -o goes to stdout, and is the same text.
    let r = report(dir.path(), &[&id.to_string(), "-f", "md"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, md);
}

#[test]
fn a_comparison_report_holds_the_verdicts_with_intervals() {
    let _guard = serial();
    let t = target(&["/: latency=2ms"], None);
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://{}/", t.addr());
    let a = stored_run(dir.path(), &url, "100/s")["run_id"]
        .as_i64()
        .unwrap();
    let b = stored_run(dir.path(), &url, "100/s")["run_id"]
        .as_i64()
        .unwrap();
    let compared = common::ran(
        rigor(dir.path())
            .args(["compare", &a.to_string(), &b.to_string(), "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(compared.code, 0, "{}", compared.stderr);
    let r = report(
        dir.path(),
        &[
            "--compare",
            &a.to_string(),
            &b.to_string(),
            "-f",
            "md,csv,html",
            "-o",
            "out/",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let out = dir.path().join("out");
    let md = std::fs::read_to_string(out.join(format!("compare-{a}-{b}.md"))).unwrap();
    let html = std::fs::read_to_string(out.join(format!("compare-{a}-{b}.html"))).unwrap();
    // Both runs overlaid, the baseline first.
    for id in ["compare-latency", "compare-throughput", "compare-spectrum"] {
        let c = chart(&html, id);
        assert!(
            series_points(c, &format!("baseline (run {a})")).is_some(),
            "{c}"
        );
        assert!(
            series_points(c, &format!("candidate (run {b})")).is_some(),
            "{c}"
        );
    }
    let mut csv = csv::Reader::from_path(out.join(format!("compare-{a}-{b}.csv"))).unwrap();
    let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    let metrics = compared.json["metrics"].as_array().unwrap();
    assert_eq!(rows.len(), metrics.len(), "one row per metric");
    for m in metrics {
        let name = m["metric"].as_str().unwrap();
        let row = rows.iter().find(|r| &r[0] == name).unwrap();
        assert_eq!(&row[13], m["verdict"].as_str().unwrap(), "{name}");
        let lower: f64 = row[8].parse().unwrap();
        assert!(
            (lower - m["change_lower"].as_f64().unwrap()).abs() < 1e-12,
            "{name}"
        );
        let cells = md_row(&md, &format!("`{name}`"));
        assert_eq!(cells.len(), 7, "{name}: {cells:?}");
        assert!(
            cells[4].starts_with('[') && cells[4].ends_with(']'),
            "interval: {cells:?}"
        );
        let verdict: String = cells[6]
            .chars()
            .filter(|c| c.is_ascii_alphabetic())
            .collect();
        assert_eq!(verdict.to_lowercase(), m["verdict"].as_str().unwrap());
        // The HTML row: the same interval, the verdict, and its picture.
        let row = html_row(&html, &format!("<td><code>{name}</code></td>"));
        assert!(row.contains(&format!("<td>{}</td>", cells[4])), "{row}");
        assert!(
            row.to_lowercase()
                .contains(&format!(">{}</span>", m["verdict"].as_str().unwrap())),
            "{row}"
        );
        assert!(row.contains("<svg class=\"interval\""), "{row}");
    }
}

/// The HTML table row that holds `cell`.
fn html_row<'a>(html: &'a str, cell: &str) -> &'a str {
    let at = html
        .find(cell)
        .unwrap_or_else(|| panic!("no row with {cell}"));
    let start = html[..at].rfind("<tr>").unwrap();
    &html[start..at + html[at..].find("</tr>").unwrap()]
}

#[test]
fn bad_input_is_refused_and_nothing_is_half_written() {
    let _guard = serial();
    let t = target(&["/: latency=1ms"], None);
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://{}/", t.addr());
    let id = stored_run(dir.path(), &url, "50/s")["run_id"]
        .as_i64()
        .unwrap();

    let r = report(dir.path(), &["999"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("run 999 is not in the run store"),
        "{}",
        r.stderr
    );

    let r = report(dir.path(), &["-f", "md,csv"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("give -o DIR"), "{}", r.stderr);

    let r = report(dir.path(), &["-f", "pdf"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("give md, html, csv, series or json"),
        "{}",
        r.stderr
    );

    // The gate's report needs its plan, and has no per-second series.
    let r = report(dir.path(), &["--gate", "-p", "missing.toml"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("no plan at missing.toml"), "{}", r.stderr);
    std::fs::write(
        dir.path().join("rigor.toml"),
        "[[scenario]]\nname = \"svc\"\nphases = [{ kind = \"steady\", rate = \"1/s\", for = \"1s\" }]\n[[scenario.request]]\nurl = \"http://127.0.0.1:1/\"\n[[budget]]\nscenario = \"svc\"\nmetric = \"latency.p95\"\nmax = \"1s\"\n",
    )
    .unwrap();
    let r = report(dir.path(), &["--gate", "-f", "series"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("a gate verdict has no `series`"),
        "{}",
        r.stderr
    );
    let r = report(dir.path(), &["--gate", "-f", "md"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("## rigor gate: pass"), "{}", r.stdout);
    std::fs::remove_file(dir.path().join("rigor.toml")).unwrap();

    // A directory that cannot be written: exit 3, and no file (not even a temporary one).
    let locked = dir.path().join("locked");
    std::fs::create_dir(&locked).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o555)).unwrap();
    let writable_anyway = std::fs::write(locked.join("probe"), "x").is_ok();
    if !writable_anyway {
        let r = report(dir.path(), &["-o", locked.join("r.md").to_str().unwrap()]);
        assert_eq!(r.code, 3, "{}", r.stderr);
        assert!(r.stderr.contains("cannot write the report"), "{}", r.stderr);
        assert_eq!(std::fs::read_dir(&locked).unwrap().count(), 0);
    } else {
        // Running as root: a read-only directory does not stop writes, a missing one does.
        let _ = std::fs::remove_file(locked.join("probe"));
        let r = report(dir.path(), &["-o", "/proc/self/no/such/dir/r.md"]);
        assert_eq!(r.code, 3, "{}", r.stderr);
        assert!(r.stderr.contains("cannot write the report"), "{}", r.stderr);
    }

    // An existing report is replaced whole, never truncated by a failed write.
    let path = dir.path().join("r.md");
    std::fs::write(&path, "old").unwrap();
    let r = report(dir.path(), &["-o", "r.md"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(std::fs::read_to_string(&path)
        .unwrap()
        .starts_with(&format!("# rigor run {id}")));

    // A per-second series of a comparison does not exist.
    let r = report(
        dir.path(),
        &[
            "--compare",
            &id.to_string(),
            &id.to_string(),
            "-f",
            "series",
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("`series` is the per-second CSV of a load run"),
        "{}",
        r.stderr
    );

    // A load run against a bench run.
    let bench = common::ran(
        rigor(dir.path())
            .args([
                "bench", "--runs", "3", "--warmup", "0", "--json", "--", "true",
            ])
            .output()
            .unwrap(),
    );
    assert_eq!(bench.code, 0, "{}", bench.stderr);
    let bench_id = id + 1; // the store numbers runs in order
    let r = report(
        dir.path(),
        &["--compare", &id.to_string(), &bench_id.to_string()],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".rigor-report-")
        })
        .collect();
    assert!(leftovers.is_empty(), "no temporary files left behind");

    // A bench run reports in Markdown (hyperfine's table) and has no series.
    let r = report(dir.path(), &[&bench_id.to_string()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("| Command | Mean"), "{}", r.stdout);
    let r = report(dir.path(), &[&bench_id.to_string(), "-f", "series"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}

#[test]
fn load_writes_its_reports_with_the_run_for_ci_to_keep() {
    let _guard = serial();
    // A run that fails its threshold still leaves its reports: that is when they are read.
    let t = target(&["/: latency=3ms"], None);
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://{}/", t.addr());
    let r = load(
        dir.path(),
        &[
            &url,
            "--rate",
            "50/s",
            "--duration",
            "1s",
            "--threshold",
            "latency.p50 < 1ms",
            "--report",
            "artifacts",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let id = r.json["run_id"].as_i64().unwrap();
    let artifacts = dir.path().join("artifacts");
    let mut names: Vec<String> = std::fs::read_dir(&artifacts)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["csv", "html", "json", "md", "series.csv"].map(|s| format!("run-{id}.{s}"))
    );
    let md = std::fs::read_to_string(artifacts.join(format!("run-{id}.md"))).unwrap();
    assert!(md.contains("**FAILED**"), "{md}");
    assert_eq!(md_row(&md, "❌ FAIL")[1], "`latency.p50 < 1ms`");
}

#[test]
fn snapshots_are_named_by_day_and_scenario_and_never_replaced() {
    let _guard = serial();
    let t = target(&["/: latency=1ms"], None);
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://{}/", t.addr());
    let summary = stored_run(dir.path(), &url, "50/s");
    let id = summary["run_id"].as_i64().unwrap();
    let day = &summary["started_at"].as_str().unwrap()[..10];

    let set = common::ran(
        rigor(dir.path())
            .args(["baseline", "set", &id.to_string(), "--snapshot"])
            .output()
            .unwrap(),
    );
    assert_eq!(set.code, 0, "{}", set.stderr);
    let first = dir.path().join(format!("docs/perf/baselines/{day}-svc.md"));
    let text = std::fs::read_to_string(&first).unwrap();
    assert!(text.contains(&format!("# rigor run {id} · svc")), "{text}");
    std::fs::write(&first, text.clone() + "\nreviewed by a person\n").unwrap();

    let again = report(dir.path(), &["--snapshot"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again.stderr.contains("already holds a snapshot"),
        "{}",
        again.stderr
    );
    let second = dir
        .path()
        .join(format!("docs/perf/baselines/{day}-svc-2.md"));
    assert_eq!(std::fs::read_to_string(&second).unwrap(), text);
    assert!(
        std::fs::read_to_string(&first)
            .unwrap()
            .ends_with("reviewed by a person\n"),
        "the first snapshot is kept as it was"
    );

    let elsewhere = report(dir.path(), &["--snapshot", "snaps"]);
    assert_eq!(elsewhere.code, 0, "{}", elsewhere.stderr);
    assert!(dir.path().join(format!("snaps/{day}-svc.md")).exists());
}

#[test]
fn a_bench_export_that_cannot_be_written_keeps_the_stored_run() {
    let dir = tempfile::tempdir().unwrap();
    let r = common::ran(
        rigor(dir.path())
            .args(["bench", "--runs", "3", "--warmup", "0", "--export-markdown"])
            .arg(dir.path().join("no/such/dir/bench.md"))
            .args(["--", "true"])
            .output()
            .unwrap(),
    );
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("cannot write the report"), "{}", r.stderr);
    let listed = report(dir.path(), &["latest"]);
    assert_eq!(listed.code, 0, "the run was stored: {}", listed.stderr);
    assert!(listed.stdout.contains("| `true` |"), "{}", listed.stdout);
}
