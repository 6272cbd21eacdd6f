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
fn a_result_without_times_is_refused_not_made_into_runs() {
    // hyperfine's summary and five exit codes, but not one run's time or memory: stored, it
    // read "5 runs" and "Peak memory 0B".
    for times in [r#""times": [], "#, r#""times": null, "#, ""] {
        let json = format!(
            r#"{{"results": [{{"command": "sleep 0.1", "mean": 0.1, "times": [0.1]}},
            {{"command": "make", "mean": 1.5, "stddev": 0.1, "median": 1.45, "user": 1.2,
            "system": 0.2, "min": 1.4, "max": 1.8, {times}"exit_codes": [0, 0, 0, 0, 0]}}]}}"#
        );
        let error = import_hyperfine(&json).unwrap_err();
        assert!(
            matches!(&error, ImportError::NoTimes { command } if command == "make"),
            "{times}: {error:?}"
        );
        assert!(
            error
                .to_string()
                .starts_with("hyperfine result `make` has no `times`: there is no run to import"),
            "{error}"
        );
    }
}

/// A hyperfine export of one command with `n` runs: times cycling 10.0–10.9 ms, memory
/// cycling 4–5 MiB, every 1000th run failing with exit code 1.
fn long_export(n: usize) -> String {
    let times: Vec<String> = (0..n)
        .map(|i| format!("{}", 0.010 + (i % 10) as f64 * 1e-4))
        .collect();
    let memory: Vec<String> = (0..n)
        .map(|i| (4_194_304 + (i % 2) * 1_048_576).to_string())
        .collect();
    let codes: Vec<&str> = (0..n)
        .map(|i| if i % 1000 == 999 { "1" } else { "0" })
        .collect();
    format!(
        r#"{{"results": [{{"command": "long", "mean": 0.01045, "user": 0.001, "system": 0.002,
        "times": [{}], "memory_usage_byte": [{}], "exit_codes": [{}]}}]}}"#,
        times.join(","),
        memory.join(","),
        codes.join(",")
    )
}

#[test]
fn an_export_longer_than_what_is_kept_keeps_exact_statistics_and_every_kth_run() {
    let n = 50_000;
    let result = import_hyperfine(&long_export(n)).unwrap();
    let command = &result.commands[0];
    // 50,000 runs halve to every 8th: 6,250 kept.
    assert_eq!(command.runs.len(), 6_250);
    assert!(command.runs.len() <= rigor_bench::MAX_KEPT_RUNS);
    for (position, run) in command.runs.iter().enumerate() {
        let index = position as u64 * 8;
        assert_eq!(run.round, index);
        let i = index as usize;
        assert_eq!(run.measurement.wall, ms(10.0 + (i % 10) as f64 * 0.1));
        assert_eq!(
            run.measurement.peak_rss,
            4_194_304 + (i as u64 % 2) * 1_048_576
        );
        assert_eq!(
            run.measurement.exit_code,
            Some(if i % 1000 == 999 { 1 } else { 0 })
        );
    }
    let stats = command.stats.as_ref().unwrap();
    // Over every run, not the kept ones.
    assert_eq!(stats.count, n as u64);
    assert_eq!(stats.mean, Duration::from_nanos(10_450_000));
    assert_eq!((stats.min, stats.max), (ms(10.0), ms(10.9)));
    let sd = stats.stddev.unwrap().as_nanos() as f64;
    // The population of 0.0, 0.1 … 0.9 ms offsets: sd 0.28723 ms (n − 1 barely matters).
    assert!((sd - 287_231.0).abs() < 10.0, "{sd}");
    // The median of 10.0 … 10.9 ms in equal shares: 10.4 ms, to three significant digits.
    let median = stats.median.as_nanos() as f64;
    assert!(
        (median - 10_400_000.0).abs() <= 10_400_000.0 * 1e-3,
        "{median}"
    );
    assert_eq!(stats.median_ci, None, "its ranks are over runs not kept");
    assert_eq!(stats.peak_rss_max_bytes, 5_242_880);
    assert_eq!(stats.user_mean, ms(1.0));
    // Every 1000th run failed, each at an odd index, and the kept runs are at multiples of 8:
    // none of them is kept, and the failures are counted over every run all the same.
    let failures: Vec<&str> = result
        .warnings
        .iter()
        .filter(|w| w.kind == rigor_bench::WarningKind::FailuresIgnored)
        .map(|w| w.message.as_str())
        .collect();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(
        failures[0].starts_with("50 of 50000 runs of `long` failed"),
        "{failures:?}"
    );
    let warning = result
        .warnings
        .iter()
        .find(|w| w.kind == rigor_bench::WarningKind::RunsThinned)
        .expect("a warning that runs were thinned");
    assert_eq!(
        warning.message,
        "`long` has 50000 runs: its statistics are over all of them (medians to three \
         significant digits), and 6250 evenly spaced runs (every 8th) are kept for comparisons"
    );
}

#[test]
fn an_export_of_exactly_what_is_kept_is_imported_whole() {
    let n = rigor_bench::MAX_KEPT_RUNS - 1;
    let result = import_hyperfine(&long_export(n)).unwrap();
    assert_eq!(result.commands[0].runs.len(), n);
    assert!(result
        .warnings
        .iter()
        .all(|w| w.kind != rigor_bench::WarningKind::RunsThinned));
    let stats = result.commands[0].stats.as_ref().unwrap();
    assert!(stats.median_ci.is_some());
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
