//! Deterministic costs beside wall time (`rigor bench --measure instructions,cycles-estimate`):
//! a small C program whose loop count is its argument executes instructions in proportion to
//! it; a 2 % longer loop is called regressed on instructions while the same program twice is
//! not; a machine without a counting tool says so and goes on with wall time; and the
//! measures that do not exist are refused.

mod common;

use std::path::{Path, PathBuf};

use common::{ran, rigor};

/// A loop of `argv[1]` iterations the compiler cannot fold away.
const LOOP_C: &str = r#"
#include <stdlib.h>
int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 0;
    volatile unsigned long x = 0;
    for (long i = 0; i < n; i++) x += (unsigned long)i ^ (x >> 3);
    return 0;
}
"#;

/// The loop program, compiled into `dir`; `None` (the test skipped) without gcc or valgrind.
fn loop_program(dir: &Path) -> Option<PathBuf> {
    common::tool("valgrind", "apt-get install valgrind")?;
    let gcc = common::tool("gcc", "apt-get install gcc")?;
    let source = dir.join("loop.c");
    std::fs::write(&source, LOOP_C).unwrap();
    let program = dir.join("loop");
    let out = std::process::Command::new(gcc)
        .args(["-O1", "-o"])
        .arg(&program)
        .arg(&source)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(program)
}

/// `rigor bench --measure instructions,cycles-estimate` of `program N`: its JSON.
fn counted(dir: &Path, program: &Path, n: u64, name: &str) -> serde_json::Value {
    let r = ran(rigor(dir)
        .args([
            "bench",
            "--name",
            name,
            "--runs",
            "2",
            "--count-runs",
            "2",
            "--json",
        ])
        .args(["--measure", "instructions,cycles-estimate", "--"])
        .arg(program)
        .arg(n.to_string())
        .output()
        .unwrap());
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.json
}

fn median(json: &serde_json::Value, series: &str) -> f64 {
    let values: Vec<f64> = json["commands"][0]["counts"][series]["values"]
        .as_array()
        .unwrap_or_else(|| panic!("{series} counted: {json}"))
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let mut sorted = values.clone();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}

#[test]
fn instructions_follow_the_loop_count() {
    let dir = tempfile::tempdir().unwrap();
    let Some(program) = loop_program(dir.path()) else {
        return;
    };
    let counts: Vec<f64> = [1_000_000u64, 2_000_000, 4_000_000]
        .iter()
        .map(|n| median(&counted(dir.path(), &program, *n, "loop"), "instructions"))
        .collect();
    // The same cost per iteration between 1 and 2 million as between 2 and 4 million, and
    // the fixed cost (start-up, the loader) the same in each.
    let per_iteration_low = (counts[1] - counts[0]) / 1e6;
    let per_iteration_high = (counts[2] - counts[1]) / 2e6;
    assert!(
        (per_iteration_high / per_iteration_low - 1.0).abs() < 0.01,
        "{counts:?}: {per_iteration_low} and {per_iteration_high} instructions per iteration"
    );
    assert!(
        per_iteration_low > 3.0,
        "a loop iteration is several instructions"
    );
    let fixed = counts[0] - per_iteration_low * 1e6;
    let predicted = fixed + per_iteration_low * 4e6;
    assert!(
        (counts[2] / predicted - 1.0).abs() < 0.01,
        "linear within 1 %: {} against {predicted}",
        counts[2]
    );
    let json = counted(dir.path(), &program, 1_000_000, "loop");
    let counts = &json["commands"][0]["counts"];
    // Instructions from the CPU's counters where perf reads them, else from the simulation;
    // the cycle estimate is always the simulation's.
    let source = counts["instructions"]["source"].as_str().unwrap();
    assert!(["perf", "cachegrind"].contains(&source), "{counts}");
    assert_eq!(
        counts["cycles_estimate"]["source"], "cachegrind",
        "{counts}"
    );
    assert!(median(&json, "cycles_estimate") >= median(&json, "instructions"));
    assert_eq!(counts["wall_ns"].as_array().unwrap().len(), 2);
}

#[test]
fn two_percent_more_work_is_a_regression_and_the_same_work_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let Some(program) = loop_program(d) else {
        return;
    };
    let first = counted(d, &program, 5_000_000, "work");
    // perf where the CPU's counters can be read, else cachegrind.
    let source = first["commands"][0]["counts"]["instructions"]["source"]
        .as_str()
        .unwrap()
        .to_string();
    for n in [5_000_000u64, 5_100_000] {
        counted(d, &program, n, "work");
    }
    let compare = |a: &str, b: &str| {
        let r = ran(rigor(d).args(["compare", a, b, "--json"]).output().unwrap());
        assert_eq!(r.code, 0, "{}", r.stderr);
        r.json["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["metric"] == "instructions.median")
            .unwrap_or_else(|| panic!("instructions compared: {}", r.stdout))
            .clone()
    };
    let same = compare("1", "2");
    assert_eq!(same["verdict"], "unchanged", "{same}");
    assert!(same["change"].as_f64().unwrap().abs() < 0.001, "{same}");
    let more = compare("2", "3");
    assert_eq!(more["verdict"], "regressed", "{more}");
    let change = more["change"].as_f64().unwrap();
    assert!((0.015..0.025).contains(&change), "{more}");
    assert!(more["method"]
        .as_str()
        .unwrap()
        .contains(&format!("{source} counts")));

    // A budget on instructions is a gate.
    std::fs::write(
        d.join("rigor.toml"),
        format!(
            "[[bench]]\nname = \"work\"\ncommand = \"{} 5100000\"\nruns = 2\nmeasure = [\"instructions\"]\n\n[[rule]]\nscenario = \"work\"\ncheck = \"instructions.median < +1% vs main\"\n",
            program.display()
        ),
    )
    .unwrap();
    let set = ran(rigor(d)
        .args(["baseline", "set", "2", "--name", "main"])
        .output()
        .unwrap());
    assert_eq!(set.code, 0, "{}", set.stderr);
    let gate = ran(rigor(d).args(["gate", "--run", "3"]).output().unwrap());
    assert_eq!(gate.code, 1, "{}\n{}", gate.stdout, gate.stderr);
    assert!(
        gate.stdout.contains("instructions.median"),
        "{}",
        gate.stdout
    );

    // An absolute budget in a count's own words: about 9 instructions an iteration make
    // 5.1 million iterations some 46 million instructions.
    let budget = |max: &str| {
        std::fs::write(
            d.join("rigor.toml"),
            format!(
                "[[bench]]\nname = \"work\"\ncommand = \"{} 5100000\"\nmeasure = [\"instructions\"]\n\n[[budget]]\nscenario = \"work\"\nmetric = \"instructions.median\"\nmax = \"{max}\"\n",
                program.display()
            ),
        )
        .unwrap();
        ran(rigor(d).args(["gate", "--run", "3"]).output().unwrap())
    };
    let within = budget("50M");
    assert_eq!(within.code, 0, "{}\n{}", within.stdout, within.stderr);
    let over = budget("45M");
    assert_eq!(over.code, 1, "{}\n{}", over.stdout, over.stderr);
    assert!(over.stdout.contains("45.000M"), "{}", over.stdout);

    // The reports carry the counts: Markdown below hyperfine's table, HTML in a section.
    let rep = ran(rigor(d)
        .args(["report", "3", "-f", "md,html", "-o", "rep"])
        .output()
        .unwrap());
    assert_eq!(rep.code, 0, "{}", rep.stderr);
    let md = std::fs::read_to_string(d.join("rep/run-3.md")).unwrap();
    assert!(
        md.contains("| Command | Mean ["),
        "hyperfine's table stays: {md}"
    );
    let row = md
        .lines()
        .find(|l| l.contains("| instructions |"))
        .unwrap_or_else(|| panic!("an instructions row: {md}"));
    assert!(
        row.contains("M |") && row.ends_with(&format!("| {source} |")),
        "{row}"
    );
    assert!(md.contains("counting cost"), "{md}");
    let html = std::fs::read_to_string(d.join("rep/run-3.html")).unwrap();
    assert!(
        html.contains("<h2>Deterministic costs</h2>")
            && html.contains(&format!("<td>{source}</td>")),
        "{html}"
    );
    // A C loop's peak memory is below what can be measured: a bound, as the terminal says.
    assert!(html.contains("(at the floor)"), "{html}");
}

#[test]
fn history_finds_the_run_whose_work_grew_by_a_percent() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let Some(program) = loop_program(d) else {
        return;
    };
    // One command throughout (so one method); its input, read from a file, grows by 1 % from
    // the fifth run on: the step a commit that adds work makes.
    let command = format!("{} $(cat n.txt)", program.display());
    for run in 1..=8 {
        let n = if run < 5 { 2_000_000 } else { 2_020_000 };
        std::fs::write(d.join("n.txt"), n.to_string()).unwrap();
        let r = ran(rigor(d)
            .args([
                "bench",
                "--name",
                "grow",
                "--runs",
                "1",
                "--count-runs",
                "1",
            ])
            .args(["--measure", "instructions", "--shell", "-c", &command])
            .output()
            .unwrap());
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let r = ran(rigor(d)
        .args(["history", "instructions.median", "--json"])
        .output()
        .unwrap());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let series = &r.json["series"][0];
    let changes = series["change_points"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{}", r.stdout);
    assert_eq!(changes[0]["run_id"], 5, "{}", changes[0]);
    let change = changes[0]["change"].as_f64().unwrap();
    assert!((0.008..0.011).contains(&change), "{}", changes[0]);
    let text = ran(rigor(d)
        .args(["history", "instructions.median"])
        .output()
        .unwrap());
    assert!(
        text.stdout.contains("M → ") && text.stdout.contains("REGRESSION"),
        "{}",
        text.stdout
    );
}

#[test]
fn without_a_counting_tool_the_bench_says_so_and_times_anyway() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty-path");
    std::fs::create_dir(&empty).unwrap();
    let r = ran(rigor(dir.path())
        .env("PATH", &empty)
        .args(["bench", "--runs", "3", "--measure", "instructions"])
        .args(["--", "/bin/true"])
        .output()
        .unwrap());
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("Time (mean"), "{}", r.stdout);
    assert!(
        r.stdout.contains("Valgrind is not installed")
            && r.stdout.contains("apt-get install valgrind"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("perf is not installed"), "{}", r.stdout);

    // A plan's budget on instructions then fails with the reason, rather than erring.
    let d = dir.path();
    std::fs::write(
        d.join("rigor.toml"),
        "[[bench]]\nname = \"t\"\ncommand = \"/bin/true\"\nruns = 2\nmeasure = [\"wall\", \"instructions\"]\n\n[[budget]]\nscenario = \"t\"\nmetric = \"instructions.median\"\nmax = \"1G\"\n",
    )
    .unwrap();
    let run = ran(rigor(d)
        .env("PATH", &empty)
        .args(["run", "--quiet"])
        .output()
        .unwrap());
    assert_ne!(run.code, 2, "{}", run.stderr);
    let gate = ran(rigor(d).args(["gate"]).output().unwrap());
    assert_eq!(gate.code, 1, "{}\n{}", gate.stdout, gate.stderr);
    assert!(
        gate.stdout.contains("no data for instructions.median")
            && gate.stdout.contains("Valgrind is not installed"),
        "{}",
        gate.stdout
    );
    // A budget on a count the bench does not take is a plan mistake, said when it is read.
    std::fs::write(
        d.join("rigor.toml"),
        "[[bench]]\nname = \"t\"\ncommand = \"/bin/true\"\nruns = 2\n\n[[budget]]\nscenario = \"t\"\nmetric = \"instructions.median\"\nmax = \"1G\"\n",
    )
    .unwrap();
    let gate = ran(rigor(d).args(["gate"]).output().unwrap());
    assert_eq!(gate.code, 2, "{}\n{}", gate.stdout, gate.stderr);
    assert!(
        gate.stderr
            .contains("add `measure = [\"wall\", \"instructions\"]` to `t`"),
        "{}",
        gate.stderr
    );
}

#[test]
fn measures_that_do_not_exist_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for (args, says) in [
        (vec!["--measure", "wall,furlongs"], "measure `furlongs`"),
        (vec!["--measure", ""], "a measure with no name"),
        (vec!["--measure", "wall,"], "a measure with no name"),
        (
            vec!["--measure", "instructions", "--count-runs", "0"],
            "count_runs 0",
        ),
        (
            vec!["--count-runs", "3"],
            "count_runs is for counted measures",
        ),
    ] {
        let r = ran(rigor(dir.path())
            .args(["bench", "--runs", "2"])
            .args(&args)
            .args(["--", "true"])
            .output()
            .unwrap());
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(says), "{args:?}: {}", r.stderr);
    }
}
