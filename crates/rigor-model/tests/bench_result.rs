//! The benchmark result's JSON is a stored format: results written before the types moved
//! from `rigor-bench` to the model (the fixture) must read back the same and write out byte
//! for byte as they were.

use std::path::PathBuf;
use std::time::Duration;

use rigor_model::output::bench::{
    BenchResult, CommandResult, Measurement, MedianCi, Order, ParameterValue, Relative, RunCount,
    ShellOverhead, Summary, TimedRun, Warning, WarningKind, BENCH_SCHEMA_VERSION,
};

/// A benchmark result with every optional part present.
fn every_field() -> BenchResult {
    let run = |round: u64, wall_ns: u64, exit_code: Option<i32>, signal: Option<i32>| TimedRun {
        round,
        measurement: Measurement {
            wall: Duration::from_nanos(wall_ns),
            user: Duration::from_nanos(wall_ns / 2 + 1),
            system: Duration::from_nanos(wall_ns / 10 + 3),
            peak_rss: 4_321_000 + round,
            exit_code,
            signal,
        },
    };
    let summary = Summary {
        count: 7,
        mean: Duration::from_nanos(12_345_678),
        stddev: Some(Duration::from_nanos(234_567)),
        median: Duration::from_nanos(12_300_000),
        median_ci: Some(MedianCi {
            lower: Duration::from_nanos(12_000_001),
            upper: Duration::from_nanos(12_900_002),
            lower_rank: 1,
            upper_rank: 7,
            confidence: 0.984375,
        }),
        min: Duration::from_nanos(11_999_999),
        max: Duration::from_nanos(13_000_000),
        user_mean: Duration::from_nanos(6_000_000),
        system_mean: Duration::from_nanos(1_000_000),
        peak_rss_max_bytes: 4_321_006,
        peak_rss_median_bytes: 4_321_003,
    };
    BenchResult {
        schema_version: BENCH_SCHEMA_VERSION,
        source: "rigor".into(),
        commands: vec![
            CommandResult {
                name: "fast".into(),
                command: "sleep 0.01".into(),
                parameters: vec![ParameterValue {
                    name: "n".into(),
                    value: "0.01".into(),
                }],
                runs: vec![
                    run(0, 12_000_001, Some(0), None),
                    run(1, 12_300_000, Some(1), None),
                    run(2, 13_000_000, None, Some(9)),
                ],
                stats: Some(summary.clone()),
                relative: Some(Relative {
                    ratio: 1.0,
                    stddev: None,
                    fastest: true,
                }),
                outliers: vec![2],
                counts: None,
            },
            CommandResult {
                name: "slow".into(),
                command: "sleep 0.02".into(),
                parameters: vec![],
                runs: vec![run(0, 24_000_000, Some(0), None)],
                stats: Some(Summary {
                    stddev: None,
                    median_ci: None,
                    ..summary
                }),
                relative: Some(Relative {
                    ratio: 2.0000000000000004,
                    stddev: Some(0.25712973861329),
                    fastest: false,
                }),
                outliers: vec![],
                counts: None,
            },
            CommandResult {
                name: "never".into(),
                command: "false".into(),
                parameters: vec![],
                runs: vec![],
                stats: None,
                relative: None,
                outliers: vec![],
                counts: None,
            },
        ],
        order: vec![1, 0, 1, 0],
        warmup_order: vec![0, 1],
        ordering: Some(Order::Random { seed: 42 }),
        warmup: 1,
        run_count: Some(RunCount::Auto {
            min_runs: 3,
            min_time: Duration::from_millis(1500),
            max_runs: Some(9),
        }),
        ignore_failure: true,
        shell: Some(ShellOverhead {
            shell: "sh".into(),
            runs: 50,
            wall_mean: Duration::from_nanos(1_234_567),
            wall_stddev: Duration::from_nanos(89_012),
            user_mean: Duration::from_nanos(400_000),
            system_mean: Duration::from_nanos(300_000),
            subtracted: true,
            clamped_runs: 1,
        }),
        warnings: vec![
            Warning {
                kind: WarningKind::Outliers,
                command: Some(0),
                message: "1 outlier".into(),
            },
            Warning {
                kind: WarningKind::CleanupFailed,
                command: None,
                message: "cleanup failed".into(),
            },
        ],
        interrupted: true,
        peak_rss_floor_bytes: Some(4_000_000),
        host_other_cpu_cores: None,
    }
}

fn fixture() -> String {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bench-result-v1.json");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn a_stored_result_reads_back_and_writes_out_byte_for_byte() {
    let stored = fixture();
    let read: BenchResult = serde_json::from_str(&stored).unwrap();
    assert_eq!(read, every_field());
    assert_eq!(serde_json::to_string_pretty(&read).unwrap() + "\n", stored);
}

#[test]
fn tagged_settings_keep_their_shape() {
    assert_eq!(
        serde_json::to_string(&RunCount::Fixed { runs: 4 }).unwrap(),
        r#"{"kind":"fixed","runs":4}"#
    );
    assert_eq!(
        serde_json::to_string(&Order::Interleaved).unwrap(),
        r#"{"kind":"interleaved"}"#
    );
    // A result stored before `peak_rss_floor_bytes` existed still reads.
    let mut old: serde_json::Value = serde_json::from_str(&fixture()).unwrap();
    old.as_object_mut().unwrap().remove("peak_rss_floor_bytes");
    let read: BenchResult = serde_json::from_value(old).unwrap();
    assert_eq!(read.peak_rss_floor_bytes, None);
}
