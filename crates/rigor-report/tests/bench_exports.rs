//! Exports of a replayed benchmark, exactly: hyperfine's Markdown table, one CSV row per
//! command, and the versioned JSON.

use std::time::Duration;

use rigor_bench::{
    BenchResult, BenchSpec, FakeExecutor, Measurement, Parameter, RunCount, Runner,
    BENCH_SCHEMA_VERSION,
};
use rigor_report::{Format, Report};

fn bench(result: &BenchResult, format: Format) -> String {
    rigor_report::to_string(
        &Report::Bench {
            run_id: 1,
            name: "b",
            result,
        },
        format,
    )
    .unwrap()
}

fn to_markdown(result: &BenchResult) -> String {
    bench(result, Format::Markdown)
}

fn to_csv(result: &BenchResult) -> Result<String, std::convert::Infallible> {
    Ok(bench(result, Format::Csv))
}

fn to_json(result: &BenchResult) -> Result<String, std::convert::Infallible> {
    Ok(bench(result, Format::Json))
}

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
}
