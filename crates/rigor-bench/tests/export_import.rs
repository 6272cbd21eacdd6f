//! Exports of a replayed benchmark, exactly, and imports of hyperfine's JSON.

use std::time::Duration;

use rigor_bench::export::{to_csv, to_json, to_markdown};
use rigor_bench::{
    export, import_hyperfine, BenchResult, BenchSpec, ExportFormat, FakeExecutor, ImportError,
    Measurement, Parameter, RunCount, Runner, BENCH_SCHEMA_VERSION,
};

fn ms(value: f64) -> Duration {
    Duration::from_micros((value * 1e3).round() as u64)
}

/// `old 1` takes 20, 22, 24, 22 ms; `new 1` takes 10, 11, 12, 11 ms.
fn old_and_new() -> BenchResult {
    let walls = |v: [f64; 4]| v.map(|w| Measurement::from_wall(ms(w))).to_vec();
    let mut fake = FakeExecutor::scripted([
        ("old 1", walls([20.0, 22.0, 24.0, 22.0])),
        ("new 1", walls([10.0, 11.0, 12.0, 11.0])),
    ]);
    let spec = BenchSpec {
        runs: RunCount::Fixed { runs: 4 },
        parameters: vec![Parameter::list("n", vec!["1".into()]).unwrap()],
        ..BenchSpec::new(["old {n}", "new {n}"])
    };
    let plan = spec.resolve().unwrap();
    Runner::new(&plan, &mut fake).run().unwrap()
}

#[test]
fn markdown_table_like_hyperfine() {
    assert_eq!(
        to_markdown(&old_and_new()),
        "| Command | Mean [ms] | Min [ms] | Max [ms] | Relative |\n\
         |:---|---:|---:|---:|---:|\n\
         | `old 1` | 22.0 ± 1.6 | 20.0 | 24.0 | 2.00 ± 0.21 |\n\
         | `new 1` | 11.0 ± 0.8 | 10.0 | 12.0 | 1.00 |\n"
    );
}

#[test]
fn markdown_escapes_pipes_and_picks_the_unit() {
    let mut fake = FakeExecutor::constant(Duration::from_micros(250));
    let spec = BenchSpec {
        runs: RunCount::Fixed { runs: 2 },
        shell: Some(rigor_bench::Shell {
            subtract_overhead: false,
            ..rigor_bench::Shell::default()
        }),
        ..BenchSpec::new(["ls | wc -l"])
    };
    let plan = spec.resolve().unwrap();
    let result = Runner::new(&plan, &mut fake).run().unwrap();
    assert_eq!(
        to_markdown(&result),
        "| Command | Mean [µs] | Min [µs] | Max [µs] | Relative |\n\
         |:---|---:|---:|---:|---:|\n\
         | `ls \\| wc -l` | 250.0 ± 0.0 | 250.0 | 250.0 | 1.00 |\n"
    );
}

#[test]
fn csv_has_one_summary_row_per_command() {
    assert_eq!(
        to_csv(&old_and_new()).unwrap(),
        "name,command,runs,mean_ns,stddev_ns,median_ns,median_ci_lower_ns,median_ci_upper_ns,\
         min_ns,max_ns,user_mean_ns,system_mean_ns,peak_rss_max_bytes,peak_rss_median_bytes,\
         outliers,relative,relative_stddev,parameter_n\n\
         old 1,old 1,4,22000000,1632993,22000000,,,20000000,24000000,0,0,0,0,0,2.000000,0.209946,1\n\
         new 1,new 1,4,11000000,816497,11000000,,,10000000,12000000,0,0,0,0,0,1.000000,,1\n"
    );
}

#[test]
fn json_is_versioned_and_round_trips() {
    let result = old_and_new();
    let json = to_json(&result).unwrap();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["schema_version"], BENCH_SCHEMA_VERSION);
    assert_eq!(value["source"], "rigor");
    assert_eq!(value["commands"][0]["stats"]["mean_ns"], 22_000_000);
    assert_eq!(value["commands"][1]["runs"][2]["wall_ns"], 12_000_000);
    assert_eq!(value["commands"][1]["runs"][2]["round"], 2);
    assert_eq!(value["commands"][1]["runs"][2]["exit_code"], 0);
    assert_eq!(value["commands"][0]["parameters"][0]["name"], "n");
    assert_eq!(value["order"], serde_json::json!([0, 1, 0, 1, 0, 1, 0, 1]));
    assert_eq!(value["ordering"]["kind"], "interleaved");
    assert_eq!(value["run_count"]["kind"], "fixed");
    assert_eq!(value["interrupted"], false);
    let back: BenchResult = serde_json::from_str(&json).unwrap();
    assert_eq!(back, result);
    assert_eq!(export(&result, ExportFormat::Json).unwrap(), json);
}

/// What `hyperfine --export-json` writes (1.18), parameters and memory included.
const HYPERFINE: &str = r#"{
  "results": [
    {
      "command": "sort -n data-small.txt",
      "mean": 0.012233333333333334,
      "stddev": 0.00021602468994692855,
      "median": 0.01225,
      "user": 0.0081,
      "system": 0.0032,
      "min": 0.0119,
      "max": 0.0125,
      "times": [0.0121, 0.0125, 0.0119, 0.0124, 0.0122, 0.0123],
      "memory_usage_byte": [3801088, 3805184, 3801088, 3796992, 3801088, 3809280],
      "exit_codes": [0, 0, 0, 0, 0, 0],
      "parameters": { "size": "small" }
    },
    {
      "command": "sort -n data-large.txt",
      "mean": 0.025233333333333333,
      "stddev": 0.0005046450898073488,
      "median": 0.0251,
      "user": 0.0192,
      "system": 0.0041,
      "min": 0.0247,
      "max": 0.0261,
      "times": [0.0252, 0.0247, 0.0261, 0.0249, 0.0255, 0.0250],
      "memory_usage_byte": [7340032, 7344128, 7340032, 7348224, 7340032, 7340032],
      "exit_codes": [0, 0, 0, 0, 0, 0],
      "parameters": { "size": "large" }
    }
  ]
}"#;

#[test]
fn imports_a_hyperfine_export() {
    let result = import_hyperfine(HYPERFINE).unwrap();
    assert_eq!(result.source, "hyperfine");
    assert_eq!(result.schema_version, BENCH_SCHEMA_VERSION);
    assert_eq!(result.commands.len(), 2);
    let small = &result.commands[0];
    assert_eq!(small.name, "sort -n data-small.txt");
    assert_eq!(small.parameters[0].name, "size");
    assert_eq!(small.parameters[0].value, "small");
    assert_eq!(small.runs.len(), 6);
    assert_eq!(small.runs[1].measurement.wall, ms(12.5));
    assert_eq!(small.runs[1].measurement.peak_rss, 3_805_184);
    assert_eq!(small.runs[1].measurement.exit_code, Some(0));
    assert_eq!(small.runs[1].round, 1);

    // Recomputed from `times`, they agree with hyperfine's (and Python's) figures.
    let stats = small.stats.as_ref().unwrap();
    assert_eq!(stats.mean, Duration::from_nanos(12_233_333));
    assert_eq!(stats.stddev, Some(Duration::from_nanos(216_025)));
    assert_eq!(stats.median, ms(12.25));
    assert_eq!((stats.min, stats.max), (ms(11.9), ms(12.5)));
    assert_eq!((stats.user_mean, stats.system_mean), (ms(8.1), ms(3.2)));
    assert_eq!(stats.peak_rss_max_bytes, 3_809_280);
    let ci = stats.median_ci.as_ref().unwrap();
    assert_eq!((ci.lower_rank, ci.upper_rank), (1, 6));

    // large / small = 2.0626702997275204 ± 0.05503099488805071 (Python)
    let large = result.commands[1].relative.as_ref().unwrap();
    assert!((large.ratio - 2.0626702997275204).abs() < 1e-6);
    assert!((large.stddev.unwrap() - 0.05503099488805071).abs() < 1e-6);
    assert!(small.relative.as_ref().unwrap().fastest);
    assert_eq!(result.order, [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
    assert!(result.warnings.is_empty());
    assert!(result.ordering.is_none());
}

#[test]
fn imports_old_exports_without_times_from_their_summary() {
    let json = r#"{"results": [{"command": "make", "mean": 1.5, "stddev": 0.1,
        "median": 1.45, "user": 1.2, "system": 0.2, "min": 1.4, "max": 1.8,
        "exit_codes": [0]}]}"#;
    let result = import_hyperfine(json).unwrap();
    let stats = result.commands[0].stats.as_ref().unwrap();
    assert!(result.commands[0].runs.is_empty());
    assert_eq!(stats.mean, Duration::from_millis(1500));
    assert_eq!(stats.stddev, Some(Duration::from_millis(100)));
    assert_eq!((stats.min, stats.max), (ms(1400.0), ms(1800.0)));
    assert_eq!(stats.user_mean, ms(1200.0));
}

#[test]
fn refuses_what_is_not_a_hyperfine_export() {
    assert!(matches!(import_hyperfine("{}"), Err(ImportError::Json(_))));
    assert!(matches!(
        import_hyperfine(r#"{"results": []}"#),
        Err(ImportError::Empty)
    ));
    let negative = r#"{"results": [{"command": "x", "mean": 1.0, "times": [0.5, -1.0]}]}"#;
    assert_eq!(
        import_hyperfine(negative).unwrap_err().to_string(),
        "hyperfine result `x`: `times` has -1, not a time in seconds"
    );
    assert!(import_hyperfine("[1, 2]")
        .unwrap_err()
        .to_string()
        .starts_with("not a hyperfine JSON export: "));
}
