//! Imports of hyperfine's JSON (the exports live in rigor-report's tests).

use std::time::Duration;

use rigor_bench::{import_hyperfine, ImportError, BENCH_SCHEMA_VERSION};

fn ms(value: f64) -> Duration {
    Duration::from_micros((value * 1e3).round() as u64)
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
