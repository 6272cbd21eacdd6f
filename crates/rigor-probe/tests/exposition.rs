//! The exposition parser on real exporters' output, captured on this project's machines (not
//! typed by hand): Debian's prometheus-node-exporter 1.5.0, Prometheus 2.42.0's own
//! `/metrics`, and the built-in target's after a load with errors, a leak, stalls and a gauge
//! set (`promtool check metrics` accepts it).

use std::path::PathBuf;

use rigor_probe::exposition::{parse, Kind};

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(path).expect("fixture")
}

/// Lines that are samples: neither comments nor blank.
fn sample_lines(text: &str) -> usize {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .count()
}

#[test]
fn node_exporters_output_parses_whole() {
    let text = fixture("node-exporter.prom");
    let e = parse(&text).expect("parses");
    assert_eq!(e.samples.len(), sample_lines(&text));
    assert_eq!(
        e.types.len(),
        text.lines().filter(|l| l.starts_with("# TYPE")).count()
    );
    assert_eq!(e.family_of("node_cpu_seconds_total").1, Kind::Counter);
    let idle = e
        .samples
        .iter()
        .find(|s| s.name == "node_cpu_seconds_total" && s.label("mode") == Some("idle"))
        .expect("idle CPU");
    assert!(idle.value > 0.0);
}

#[test]
fn prometheus_own_output_parses_with_its_summaries() {
    let text = fixture("prometheus.prom");
    let e = parse(&text).expect("parses");
    assert_eq!(e.samples.len(), sample_lines(&text));
    assert_eq!(e.family_of("go_gc_duration_seconds").1, Kind::Summary);
    let quantiles: Vec<&str> = e
        .samples
        .iter()
        .filter(|s| s.name == "go_gc_duration_seconds")
        .filter_map(|s| s.label("quantile"))
        .collect();
    assert_eq!(quantiles, ["0", "0.25", "0.5", "0.75", "1"]);
    assert_eq!(
        e.family_of("prometheus_tsdb_compaction_chunk_range_seconds_bucket")
            .1,
        Kind::Histogram
    );
}

#[test]
fn the_built_in_targets_output_parses_with_its_figures() {
    let text = fixture("rigor-target.prom");
    let e = parse(&text).expect("parses");
    assert_eq!(e.samples.len(), sample_lines(&text));
    let value = |name: &str, labels: &[(&str, &str)]| {
        e.samples
            .iter()
            .find(|s| s.name == name && labels.iter().all(|(k, v)| s.label(k) == Some(v)))
            .map(|s| s.value)
    };
    assert_eq!(
        value(
            "rigor_target_requests_total",
            &[("route", "/slow"), ("status", "503")]
        ),
        Some(12.0)
    );
    assert_eq!(value("consumer_lag", &[]), Some(6000.0));
    assert_eq!(value("rigor_target_leaked_bytes", &[]), Some(409_600.0));
    assert_eq!(
        value(
            "rigor_target_request_duration_seconds_bucket",
            &[("route", "/slow"), ("le", "+Inf")]
        ),
        Some(600.0)
    );
    assert_eq!(value("rigor_target_pause_seconds_count", &[]), Some(5.0));
}
