//! `rigor bench` and `rigor import` through the real binary, on real commands.

mod common;

use std::time::Duration;

use common::{ran, rigor, serial};

fn bench(dir: &std::path::Path, args: &[&str]) -> common::Ran {
    ran(rigor(dir)
        .args(["bench", "--json", "--quiet"])
        .args(args)
        .output()
        .unwrap())
}

#[test]
fn benchmarks_a_command_and_stores_it() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    let r = bench(dir.path(), &["-r", "5", "-w", "1", "--", "sleep", "0.01"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let command = &r.json["commands"][0];
    assert_eq!(command["command"], "sleep 0.01");
    // What else the machine did meanwhile is measured with the run.
    assert!(
        r.json["host_other_cpu_cores"].as_f64().is_some(),
        "{}",
        r.stdout
    );
    assert_eq!(command["runs"].as_array().unwrap().len(), 5);
    // A lower bound only: sleep cannot take less, and a busy machine can make it take more.
    let mean_ms = command["stats"]["mean_ns"].as_f64().unwrap() / 1e6;
    assert!(mean_ms >= 10.0, "mean {mean_ms} ms");
    let runs = ran(rigor(dir.path()).args(["runs", "--json"]).output().unwrap());
    assert_eq!(runs.json[0]["kind"], "bench");
    assert_eq!(runs.json[0]["scenario"], "sleep 0.01");
    let shown = ran(rigor(dir.path()).args(["show", "latest"]).output().unwrap());
    assert!(shown.stdout.contains("Time (mean ± σ)"), "{}", shown.stdout);
}

#[test]
fn ab_comparison_interleaves_and_reports_relative_speed() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    let r = bench(dir.path(), &["-r", "4", "-c", "true", "--vs", "sleep 0.02"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let order: Vec<u64> = r.json["order"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert_eq!(order, [0, 1, 0, 1, 0, 1, 0, 1]);
    assert_eq!(r.json["commands"][0]["relative"]["fastest"], true);
    let ratio = r.json["commands"][1]["relative"]["ratio"].as_f64().unwrap();
    // No bound on how much slower: `true` can take milliseconds on a busy machine.
    assert!(
        ratio > 1.0,
        "sleep 0.02 should be slower than true: {ratio}"
    );
    let text = ran(rigor(dir.path()).args(["show", "latest"]).output().unwrap());
    assert!(
        text.stdout.contains("times faster than `sleep 0.02`"),
        "{}",
        text.stdout
    );
}

#[test]
fn failures_are_named_with_their_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let r = bench(dir.path(), &["-r", "2", "--", "no-such-command-here"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("cannot start `no-such-command-here`"),
        "{}",
        r.stderr
    );
    let r = bench(dir.path(), &["-r", "2", "--", "false"]);
    assert_eq!(r.code, 3);
    assert!(
        r.stderr.contains("`false` failed with exit code 1")
            && r.stderr.contains("--ignore-failure"),
        "{}",
        r.stderr
    );
    let r = bench(dir.path(), &["-r", "2", "-i", "--", "false"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = bench(
        dir.path(),
        &[
            "-r",
            "2",
            "--prepare",
            "echo broken cache >&2; exit 7",
            "--",
            "true",
        ],
    );
    assert_eq!(r.code, 3);
    assert!(
        r.stderr.contains("exit code 7") && r.stderr.contains("broken cache"),
        "{}",
        r.stderr
    );
    let r = bench(
        dir.path(),
        &[
            "-r",
            "2",
            "--parameter-scan",
            "n",
            "1",
            "3",
            "--parameter-step",
            "0",
            "--",
            "sleep",
            "0.{n}",
        ],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("step"), "{}", r.stderr);
    let r = bench(dir.path(), &["-r", "2"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no command to benchmark"), "{}", r.stderr);
    // Commands typed the hyperfine way, as plain arguments, are shown the two forms that work.
    let r = bench(dir.path(), &["-r", "2", "sleep 0.01", "sleep 0.02"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("unexpected argument 'sleep 0.01'")
            && r.stderr.contains("rigor bench -- sleep 0.1")
            && r.stderr.contains("-c 'sleep 0.1' -c 'sleep 0.2'"),
        "{}",
        r.stderr
    );
}

#[test]
fn parameter_scan_expands_commands() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    let r = bench(
        dir.path(),
        &[
            "-r",
            "2",
            "--parameter-scan",
            "ms",
            "1",
            "3",
            "--",
            "sleep",
            "0.00{ms}",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let commands: Vec<&str> = r.json["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["command"].as_str().unwrap())
        .collect();
    assert_eq!(commands, ["sleep 0.001", "sleep 0.002", "sleep 0.003"]);
}

#[test]
fn interrupt_keeps_the_finished_runs() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    let child = common::spawn(
        dir.path(),
        &[
            "bench", "-r", "1000", "--json", "--quiet", "--", "sleep", "0.05",
        ],
    );
    std::thread::sleep(Duration::from_millis(1500));
    common::signal(&child, libc::SIGINT);
    let r = ran(child.wait_with_output().unwrap());
    assert_eq!(r.code, 130, "{}", r.stderr);
    assert_eq!(r.json["interrupted"], true);
    let runs = r.json["commands"][0]["runs"].as_array().unwrap().len();
    assert!((5..40).contains(&runs), "{runs} runs kept");
    let stored = ran(rigor(dir.path()).args(["runs", "--json"]).output().unwrap());
    assert_eq!(stored.json[0]["status"], "interrupted");
    assert_eq!(
        stored.json[0]["summary"]["commands"][0]["runs"]
            .as_array()
            .unwrap()
            .len(),
        runs
    );
}

#[test]
fn plan_benches_run_with_rigor_run() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("rigor.toml"),
        r#"
[[bench]]
name = "sleepers"
commands = ["sleep 0.001", "sleep 0.005"]
runs = 3
order = "random"
seed = 7
"#,
    )
    .unwrap();
    let r = ran(rigor(dir.path())
        .args(["run", "--json", "--quiet"])
        .output()
        .unwrap());
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.json["benches"][0]["commands"].as_array().unwrap().len(),
        2
    );
    assert_eq!(r.json["benches"][0]["ordering"]["seed"], 7);
    let again = ran(rigor(dir.path())
        .args(["run", "sleepers", "--json", "--quiet"])
        .output()
        .unwrap());
    assert_eq!(
        again.json["benches"][0]["order"], r.json["benches"][0]["order"],
        "a seed reproduces the order"
    );
    let typo = ran(rigor(dir.path()).args(["run", "sleeper"]).output().unwrap());
    assert_eq!(typo.code, 2);
    assert!(
        typo.stderr.contains("did you mean `sleepers`"),
        "{}",
        typo.stderr
    );
}

#[test]
fn hyperfine_results_import_as_runs() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hf.json");
    std::fs::write(
        &file,
        r#"{"results":[{"command":"gzip -k big","mean":0.5,"stddev":0.01,"median":0.49,"user":0.45,"system":0.04,"min":0.48,"max":0.53,"times":[0.48,0.49,0.5,0.53],"exit_codes":[0,0,0,0]}]}"#,
    )
    .unwrap();
    let r = ran(rigor(dir.path())
        .args(["import", "hyperfine", "hf.json"])
        .output()
        .unwrap());
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("imported hf.json as run 1"),
        "{}",
        r.stdout
    );
    // The export has no memory figures: none is shown as 0 B.
    assert!(
        r.stdout.contains("Peak memory:         not measured"),
        "{}",
        r.stdout
    );
    let shown = ran(rigor(dir.path())
        .args(["show", "1", "--json"])
        .output()
        .unwrap());
    assert_eq!(shown.json["source"], "hyperfine");
    assert_eq!(
        shown.json["commands"][0]["runs"].as_array().unwrap().len(),
        4
    );
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"nope\": 1}").unwrap();
    let r = ran(rigor(dir.path())
        .args(["import", "hyperfine", "bad.json"])
        .output()
        .unwrap());
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("bad.json"), "{}", r.stderr);
}

#[test]
fn peak_memory_is_the_commands_own_not_rigors() {
    // Linux starts a child's peak resident set at its spawner's; rigor spawns through a small
    // helper, so `true` reports the helper's few MiB (4.7 MiB in a release build, ~10 in a
    // debug one), not rigor's own, and a known allocation shows in full above that floor.
    const MIB: f64 = 1024.0 * 1024.0;
    let dir = tempfile::tempdir().unwrap();
    let peaks = |args: &[&str]| -> Vec<f64> {
        let r = bench(dir.path(), args);
        assert_eq!(r.code, 0, "{}", r.stderr);
        r.json["commands"][0]["runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|run| run["peak_rss_bytes"].as_f64().unwrap() / MIB)
            .collect()
    };
    let small = peaks(&["-r", "3", "--", "true"]);
    assert!(
        small.iter().all(|&p| p < 16.0),
        "`true` peaked at {small:?} MiB"
    );
    let touch = "b = bytearray(100*1024*1024); b[::4096] = b'x'*len(b[::4096])";
    let large = peaks(&["-r", "3", "--", "python3", "-c", touch]);
    assert!(
        large.iter().all(|&p| p >= 100.0),
        "100 MiB touched, {large:?} MiB reported"
    );
    // Above the floor, the difference is the allocation, within 10 %.
    let extra = large[0] - small[0];
    assert!(
        (90.0..=125.0).contains(&extra),
        "100 MiB touched, {extra:.1} MiB above `true`"
    );
}

#[test]
fn a_benchmark_killed_mid_run_keeps_its_finished_runs_in_the_store() {
    use rigor_store::{RunFilter, SqliteStore, Store};
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join(".rigor").join("rigor.db");
    // Far more runs than it will get to: it is killed once some are stored.
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("rigor"))
        .current_dir(dir.path())
        .env_remove("RIGOR_STORE")
        .args(["bench", "--quiet", "-r", "5000", "--", "sleep", "0.005"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut seen = 0;
    let mut run_id = None;
    // Bounded: at most ~30 s of polling, then the test fails rather than hangs.
    for _ in 0..600 {
        std::thread::sleep(Duration::from_millis(50));
        let Ok(store) = SqliteStore::open(&db) else {
            continue;
        };
        let Ok(Some(run)) = store.latest_run(&RunFilter::default()) else {
            continue;
        };
        seen = store.bench_runs(run.id).map_or(0, |r| r.len());
        run_id = Some(run.id);
        if seen >= 20 {
            break;
        }
    }
    // SIGKILL: no handler runs, nothing is flushed on the way out.
    child.kill().unwrap();
    let _ = child.wait();
    assert!(seen >= 20, "only {seen} runs were stored while it ran");
    let store = SqliteStore::open(&db).unwrap();
    let run = store.run(run_id.unwrap()).unwrap();
    assert_eq!(run.kind, rigor_store::RunKind::Bench);
    let runs = store.bench_runs(run.id).unwrap();
    assert!(
        runs.len() >= seen,
        "{} stored, {seen} seen before the kill",
        runs.len()
    );
    assert!(runs.len() < 5000, "it was killed before the end");
    for (i, r) in runs.iter().enumerate() {
        assert_eq!(r.seq, i as u64, "runs are stored in order, none missing");
        assert_eq!(r.exit_code, Some(0));
        assert!(r.wall_ns >= 5_000_000, "sleep 0.005 took {} ns", r.wall_ns);
    }
    drop(store);
    // The next rigor finds it crashed and summarises it from those runs.
    let listed = ran(rigor(dir.path()).args(["runs", "--json"]).output().unwrap());
    assert_eq!(listed.json[0]["status"], "crashed", "{}", listed.stdout);
    let command = &listed.json[0]["summary"]["commands"][0];
    assert_eq!(command["command"], "sleep 0.005");
    assert_eq!(command["runs"].as_array().unwrap().len(), runs.len());
    assert!(command["stats"]["median_ns"].as_u64().unwrap() >= 5_000_000);
}

#[test]
fn compare_judges_against_the_spread_between_the_baselines_runs() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    for _ in 0..6 {
        let r = bench(dir.path(), &["-r", "5", "--name", "t", "--", "true"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let compare = |args: &[&str]| {
        ran(rigor(dir.path())
            .args(["compare", "5", "6", "--json"])
            .args(args)
            .output()
            .unwrap())
    };
    // Run 5 is the baseline; it and the four runs before it are the five baseline runs.
    let c = compare(&[]);
    assert_eq!(c.code, 0, "{}", c.stderr);
    let metrics = c.json["metrics"].as_array().unwrap();
    let wall = metrics.iter().find(|m| m["metric"] == "wall.mean").unwrap();
    let method = wall["method"].as_str().unwrap();
    assert!(
        method.starts_with("between runs")
            && method.contains("5 baseline runs (runs 5, 4, 3, 2, 1"),
        "{method}"
    );
    assert!(metrics.iter().any(|m| m["metric"] == "wall.min"));
    // Without history: the spread within the two runs, said in the method, and no minimum.
    let c = compare(&["--history", "0"]);
    let metrics = c.json["metrics"].as_array().unwrap();
    let wall = metrics.iter().find(|m| m["metric"] == "wall.mean").unwrap();
    assert!(wall["method"].as_str().unwrap().starts_with("bootstrap"));
    assert!(!metrics.iter().any(|m| m["metric"] == "wall.min"));
    // Too little history (runs 1 and 2): the verdicts rest on the two runs, and a warning says so.
    let c = ran(rigor(dir.path())
        .args(["compare", "2", "6", "--json"])
        .output()
        .unwrap());
    let warnings = c.json["warnings"].to_string();
    assert!(
        warnings.contains("verdicts use the spread within the two runs"),
        "{warnings}"
    );
}

#[test]
fn a_hyperfine_export_without_times_is_refused_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("hf.json"),
        r#"{"results":[{"command":"make","mean":1.5,"stddev":0.1,"median":1.45,"user":1.2,"system":0.2,"min":1.4,"max":1.8,"times":[],"exit_codes":[0,0,0,0,0]}]}"#,
    )
    .unwrap();
    let r = ran(rigor(dir.path())
        .args(["import", "hyperfine", "hf.json"])
        .output()
        .unwrap());
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .starts_with("error: hf.json: hyperfine result `make` has no `times`"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stdout, "");
    assert!(!dir.path().join(".rigor").exists(), "a store was created");
}

/// A hyperfine export of `command` with `n` runs of 10.0–10.9 ms and 4 MiB each.
fn long_export(command: &str, n: usize) -> String {
    let times: Vec<String> = (0..n)
        .map(|i| format!("{}", 0.010 + (i % 10) as f64 * 1e-4))
        .collect();
    let memory = vec!["4194304"; n].join(",");
    let codes = vec!["0"; n].join(",");
    format!(
        r#"{{"results":[{{"command":"{command}","mean":0.01045,"user":0.001,"system":0.002,"times":[{}],"memory_usage_byte":[{memory}],"exit_codes":[{codes}]}}]}}"#,
        times.join(",")
    )
}

#[test]
fn a_long_hyperfine_export_is_stored_bounded_and_still_shown_and_compared() {
    let dir = tempfile::tempdir().unwrap();
    for (file, command) in [("a.json", "old"), ("b.json", "new")] {
        std::fs::write(dir.path().join(file), long_export(command, 100_000)).unwrap();
        let r = ran(rigor(dir.path())
            .args(["import", "hyperfine", file, "--name", "parse"])
            .output()
            .unwrap());
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stdout.contains("100000 runs"), "{}", r.stdout);
        assert!(r.stdout.contains("every 16th"), "{}", r.stdout);
    }
    // One row of bounded size per import, not a row the size of the export.
    let conn = rusqlite::Connection::open(dir.path().join(".rigor/rigor.db")).unwrap();
    let sizes: Vec<i64> = conn
        .prepare("SELECT length(summary) FROM runs ORDER BY id")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let export = long_export("old", 100_000).len() as i64;
    assert_eq!(sizes.len(), 2);
    assert!(
        sizes.iter().all(|&s| s < export / 2),
        "summaries of {sizes:?} bytes for a {export}-byte export"
    );
    drop(conn);

    let listed = ran(rigor(dir.path()).arg("runs").output().unwrap());
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    assert!(listed.stdout.contains("100000 runs"), "{}", listed.stdout);
    let shown = ran(rigor(dir.path()).args(["show", "1"]).output().unwrap());
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    assert!(
        shown.stdout.contains("100000 runs") && shown.stdout.contains("Peak memory:         4MiB"),
        "{}",
        shown.stdout
    );
    let compared = ran(rigor(dir.path())
        .args(["compare", "1", "2", "--json"])
        .output()
        .unwrap());
    assert_eq!(compared.code, 0, "{}", compared.stderr);
    // The same runs under two names: every metric unchanged, judged over the kept runs.
    let verdicts: Vec<(&str, &str)> = compared.json["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["metric"].as_str().unwrap(),
                m["verdict"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        verdicts,
        [
            ("wall.median", "unchanged"),
            ("wall.mean", "unchanged"),
            ("peak_rss", "unchanged")
        ],
        "{}",
        compared.stdout
    );
}
