//! Profiling under load with the real Linux perf: the built-in target, started by the plan,
//! is sampled during the steady phase; the function that burns its CPU is the hottest frame,
//! and between a run without that work and one with it, it is the largest growth. And the
//! ways a profile cannot be had: no perf, a perf that refuses, no target to profile.

mod common;

use std::path::Path;

use common::{ran, rigor, serial, tool, LOOSE_MAX_LAG};

const WORK: &str = "rigor_target::behaviour::burn_cpu";

fn plan(port: u16) -> String {
    format!(
        r#"
[target]
command = "rigor target --port {port} --threads 1 --route '/busy: cpu=2ms' --route '/idle: latency=1ms'"
ready = "http://127.0.0.1:{port}/health"

[[scenario]]
name = "idle"
phases = [{{ kind = "steady", rate = "100/s", for = "3s" }}]
[[scenario.request]]
url = "http://127.0.0.1:{port}/idle"

[[scenario]]
name = "busy"
phases = [{{ name = "warm", kind = "steady", rate = "50/s", for = "1s" }}, {{ name = "steady", kind = "steady", rate = "100/s", for = "3s" }}]
[[scenario.request]]
url = "http://127.0.0.1:{port}/busy"
"#
    )
}

fn run(dir: &Path, scenario: &str, perf: Option<&str>) -> common::Ran {
    let mut cmd = rigor(dir);
    cmd.args([
        "run",
        scenario,
        "--quiet",
        "--max-lag",
        LOOSE_MAX_LAG,
        "--profile",
        "--call-graph",
        "dwarf",
        // More samples than the default 99 a second, so a 3 s phase says clearly where the
        // time went.
        "--profile-frequency",
        "499",
    ]);
    if let Some(perf) = perf {
        cmd.env("PERF", perf);
    }
    ran(cmd.output().unwrap())
}

fn profile(dir: &Path, args: &[&str]) -> common::Ran {
    ran(rigor(dir).arg("profile").args(args).output().unwrap())
}

#[test]
fn the_work_is_the_hottest_frame_and_the_largest_growth_with_real_perf() {
    let Some(_perf) = tool("perf", "apt-get install linux-perf") else {
        return;
    };
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rigor.toml"), plan(common::free_port())).unwrap();
    let idle = run(dir.path(), "idle", None);
    assert_eq!(idle.code, 0, "{}\n{}", idle.stderr, idle.stdout);
    // `rigor profile SCENARIO` is `rigor run SCENARIO --profile`.
    let busy = ran(rigor(dir.path())
        .args([
            "profile",
            "busy",
            "--call-graph",
            "dwarf",
            "--max-lag",
            LOOSE_MAX_LAG,
        ])
        .output()
        .unwrap());
    assert_eq!(busy.code, 0, "{}\n{}", busy.stderr, busy.stdout);
    assert!(
        busy.stdout.contains("hottest frames") && busy.stdout.contains(WORK),
        "the run's summary lists the hottest frames:\n{}",
        busy.stdout
    );

    let shown = profile(dir.path(), &["2", "--json", "-o", "out"]);
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    let report = &shown.json;
    assert_eq!(report["capture"]["window"], "phase steady", "{report}");
    assert_eq!(report["capture"]["event"], "cpu-clock");
    // Sampling began when the steady phase did (after the 1 s warm-up), not at the start.
    let start_ms = report["capture"]["window_start_ns"].as_u64().unwrap() / 1_000_000;
    assert!((900..2500).contains(&start_ms), "{start_ms} ms");
    assert!(
        report["capture"]["samples"].as_u64().unwrap() > 20,
        "{report}"
    );
    let hottest = report["hottest"].as_array().unwrap();
    let work = hottest
        .iter()
        .find(|f| f["frame"] == WORK)
        .unwrap_or_else(|| panic!("{WORK} is among the hottest frames: {report}"));
    assert_eq!(work["module"], "rigor");
    // 2 ms of hashing a request at 100 a second: most of the target's CPU is in it.
    assert!(work["total_share"].as_f64().unwrap() > 0.5, "{work}");
    let out = dir.path().join("out");
    let svg = std::fs::read_to_string(out.join("profile-2.svg")).unwrap();
    assert!(
        svg.contains("<svg") && svg.contains("burn_cpu"),
        "an interactive flame graph"
    );
    let folded = std::fs::read_to_string(out.join("profile-2.folded")).unwrap();
    assert!(folded.lines().any(|l| l.contains("burn_cpu")));
    let md = std::fs::read_to_string(out.join("profiling-report-2.md")).unwrap();
    assert!(
        md.contains("## Hottest frames") && md.contains(WORK),
        "{md}"
    );

    let diff = profile(dir.path(), &["--diff", "1", "2", "--json", "-o", "out"]);
    assert_eq!(diff.code, 0, "{}", diff.stderr);
    assert_eq!(diff.json["grew"][0]["frame"], WORK, "{}", diff.json);
    assert!(out.join("profile-diff-1-2.svg").exists());
    // And in the other direction, it is the largest fall.
    let back = profile(dir.path(), &["--diff", "2", "1", "--json"]);
    assert_eq!(back.json["shrank"][0]["frame"], WORK, "{}", back.json);

    // The run's reports carry the profile: Markdown's section, JSON's hottest frames, the
    // HTML's flame graph (its drawing is the browser test's).
    let rep = ran(rigor(dir.path())
        .args(["report", "2", "-f", "md,json,html", "-o", "rep"])
        .output()
        .unwrap());
    assert_eq!(rep.code, 0, "{}", rep.stderr);
    let md = std::fs::read_to_string(dir.path().join("rep/run-2.md")).unwrap();
    assert!(
        md.contains("## Profile of the target") && md.contains(WORK),
        "{md}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("rep/run-2.json")).unwrap())
            .unwrap();
    common::assert_schema("load-report.schema.json", &json);
    assert!(json["profiles"][0]["report"]["hottest"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["frame"] == WORK));
    let html = std::fs::read_to_string(dir.path().join("rep/run-2.html")).unwrap();
    assert!(
        html.contains("<figure class=\"flamegraph\"><iframe"),
        "the flame graph is embedded"
    );

    // A comparison of the two runs says where the time moved beside its verdicts, in every
    // format; the HTML draws the differential flame graph.
    let cmp = ran(rigor(dir.path())
        .args([
            "report",
            "--compare",
            "1",
            "2",
            "-f",
            "md,json,html",
            "-o",
            "cmp",
        ])
        .output()
        .unwrap());
    assert_eq!(cmp.code, 0, "{}", cmp.stderr);
    let md = std::fs::read_to_string(dir.path().join("cmp/compare-1-2.md")).unwrap();
    assert!(
        md.contains("## Where the time moved: the target") && md.contains(WORK),
        "{md}"
    );
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("cmp/compare-1-2.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(json["profiles"][0]["grew"][0]["frame"], WORK, "{json}");
    let html = std::fs::read_to_string(dir.path().join("cmp/compare-1-2.html")).unwrap();
    assert!(
        html.contains("id=\"profile-diff\"")
            && html.contains("<figure class=\"flamegraph\"><iframe"),
        "the differential flame graph is embedded"
    );
    let compared = ran(rigor(dir.path())
        .args(["compare", "1", "2"])
        .output()
        .unwrap());
    assert!(
        compared.stdout.contains("profile diff: run 1"),
        "{}",
        compared.stdout
    );

    // `rigor show` shows the stored profile with the run.
    let shown = ran(rigor(dir.path()).args(["show", "2"]).output().unwrap());
    assert!(shown.stdout.contains("hottest frames"), "{}", shown.stdout);
}

#[test]
fn without_perf_the_run_completes_and_says_why_there_is_no_profile() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rigor.toml"), plan(common::free_port())).unwrap();
    let r = run(dir.path(), "idle", Some("/nonexistent/perf"));
    assert_eq!(r.code, 0, "the measurement stands: {}", r.stderr);
    assert!(
        r.stderr.contains("no profile of the target")
            && r.stderr.contains("is not installed")
            && r.stderr.contains("linux-perf"),
        "{}",
        r.stderr
    );
    let p = profile(dir.path(), &["latest"]);
    assert_eq!(p.code, 3, "{}", p.stderr);
    assert!(p.stderr.contains("could not be taken"), "{}", p.stderr);

    // A perf that is there but refuses, as under a strict perf_event_paranoid.
    let wrapper = dir.path().join("perf");
    std::fs::write(
        &wrapper,
        "#!/bin/sh\nif [ \"$1\" = --version ]; then echo 'perf version 6.1'; exit 0; fi\n\
         echo 'Error: Access to performance monitoring and observability operations is limited.' >&2\n\
         echo 'Consider adjusting /proc/sys/kernel/perf_event_paranoid setting' >&2\nexit 255\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let r = run(dir.path(), "idle", Some(wrapper.to_str().unwrap()));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("not permitted")
            && r.stderr.contains("perf_event_paranoid")
            && r.stderr.contains("CAP_PERFMON"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_profile_needs_a_target_and_a_sane_rate() {
    let dir = tempfile::tempdir().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let r = ran(rigor(dir.path())
        .args(["load", &url, "-n", "1", "--profile", "--quiet"])
        .output()
        .unwrap());
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--target-pid"), "{}", r.stderr);
    let r = ran(rigor(dir.path())
        .args([
            "load",
            &url,
            "-n",
            "1",
            "--profile",
            "--profile-frequency",
            "1000000",
        ])
        .output()
        .unwrap());
    assert_eq!(r.code, 2, "{}", r.stderr);
    let me = std::process::id().to_string();
    let r = ran(rigor(dir.path())
        .args([
            "load",
            &url,
            "-n",
            "1",
            "--target-pid",
            &me,
            "--profile",
            "--profile-phase",
            "nope",
        ])
        .output()
        .unwrap());
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("has no such phase"), "{}", r.stderr);
    assert!(!dir.path().join(".rigor").exists(), "nothing was stored");
    let r = profile(dir.path(), &["latest"]);
    assert_ne!(r.code, 0);
}

#[test]
fn a_profile_taken_elsewhere_is_kept_with_a_stored_run() {
    let _lock = serial();
    let t = common::target(&["/: latency=1ms"], None);
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://{}/", t.addr());
    let r = common::load(dir.path(), &[&url, "-n", "20"]);
    assert_eq!(r.code, 0, "{}", r.stderr);

    // A perf script capture of the built-in target under load, as `perf script` printed it.
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../rigor-profile/tests/fixtures/target-busy.perf-script.txt");
    let r = profile(
        dir.path(),
        &["latest", "--import", script.to_str().unwrap(), "--json"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json["hottest"][0]["frame"], WORK, "{}", r.json);
    assert_eq!(r.json["capture"]["event"], "imported");

    // Folded stacks from another profiler (no thread name first); the import replaces.
    let folded = dir.path().join("collapsed.txt");
    std::fs::write(&folded, "main;parse;lex 30\nmain;render 70\n").unwrap();
    let r = profile(
        dir.path(),
        &["latest", "--import", folded.to_str().unwrap(), "--json"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("replaces"), "{}", r.stderr);
    let hottest = r.json["hottest"].as_array().unwrap();
    assert_eq!(hottest[0]["frame"], "render");
    let main = hottest.iter().find(|f| f["frame"] == "main").unwrap();
    assert_eq!(
        main["total_share"], 1.0,
        "the first frame is a frame: {}",
        r.json
    );
    assert_eq!(r.json["capture"]["samples"], 100);

    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, "nothing to see\n").unwrap();
    let r = profile(dir.path(), &["latest", "--import", empty.to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("holds no stacks"), "{}", r.stderr);
    let r = profile(dir.path(), &["latest", "--import", "/no/such/file"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}

#[test]
fn a_benchmarked_command_is_profiled_in_a_run_of_its_own() {
    let Some(_perf) = tool("perf", "apt-get install linux-perf") else {
        return;
    };
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    let busy = "sh -c 'i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done'";
    let r = ran(rigor(dir.path())
        .args([
            "bench",
            "--runs",
            "3",
            "--profile",
            "-c",
            busy,
            "-c",
            "true",
        ])
        .output()
        .unwrap());
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains(&format!("profile of the {busy}")),
        "{}",
        r.stdout
    );
    let p = profile(dir.path(), &["latest", "--name", busy, "--json"]);
    assert_eq!(p.code, 0, "{}", p.stderr);
    assert!(
        p.json["capture"]["samples"].as_u64().unwrap() > 5,
        "{}",
        p.json
    );
    assert_eq!(
        p.json["capture"]["window"],
        "a run of its own after the timed runs"
    );
    // The timed runs are three, as asked: the profiled run is not one of them.
    let shown = ran(rigor(dir.path())
        .args(["show", "latest", "--json"])
        .output()
        .unwrap());
    assert_eq!(
        shown.json["commands"][0]["runs"].as_array().unwrap().len(),
        3
    );
    let r = profile(dir.path(), &["latest", "--name", "nope"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("no profile named `nope`"), "{}", r.stderr);
}

#[test]
fn a_pre_fork_targets_workers_are_profiled_with_it() {
    let Some(_perf) = tool("perf", "apt-get install linux-perf") else {
        return;
    };
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    let port = common::free_port();
    // The workers start after the target does; the profiler asks for the tree when its
    // window begins.
    let plan = common::pre_fork_plan(port, "[]");
    std::fs::write(dir.path().join("rigor.toml"), plan).unwrap();
    let r = run(dir.path(), "forked", None);
    assert_eq!(r.code, 0, "{}\n{}", r.stderr, r.stdout);
    let shown = profile(dir.path(), &["1", "--json"]);
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    let capture = &shown.json["capture"];
    assert_eq!(
        capture["pids"].as_array().map(Vec::len),
        Some(3),
        "the target and its two workers: {capture}"
    );
    assert!(
        shown.stdout.contains(WORK) || shown.json.to_string().contains(WORK),
        "{}",
        shown.json
    );
}
