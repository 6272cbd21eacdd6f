//! Comparison and gate on synthetic runs with known shifts: deterministic (seeded), so the
//! calibration that `benchmarks/calibrate-compare.sh` does with real runs has a short,
//! exact counterpart here.

use std::time::Duration;

use rigor_analysis::gate::GateContext;
use rigor_analysis::{
    compare, evaluate, CheckOutcome, CompareSettings, GateInput, RunData, VerdictName,
};
use rigor_model::hist;
use rigor_model::output::bench::{BenchResult, CommandResult, Measurement, TimedRun as BenchRun};
use rigor_model::output::{Environment, GroupSummary, RunStatus, RunSummary, SCHEMA_VERSION};
use rigor_model::plan::{Action, BudgetSpec, RuleSpec};
use rigor_store::{StoredRun, StoredWindow};

fn environment() -> Environment {
    Environment {
        cpu_model: "Test CPU".into(),
        cores: 2,
        kernel: "6.1".into(),
        rigor_version: "0.1.0".into(),
        ..Default::default()
    }
}

fn record(id: i64, kind: &str, summary: String) -> StoredRun {
    StoredRun {
        id,
        kind: rigor_model::RunKind::parse(kind).expect("a run kind"),
        scenario: "svc".into(),
        status: RunStatus::Passed,
        status_reason: None,
        started_at_ns: id * 1_000_000_000,
        ended_at_ns: Some(id * 1_000_000_000 + 1),
        plan: "{}".into(),
        environment: serde_json::to_string(&environment()).unwrap(),
        summary: Some(summary),
        git_commit: None,
        owner: None,
        headline: Default::default(),
    }
}

/// A log-normal sample (median `median_ms`, sigma 0.4) from a seeded generator.
fn lognormal(rng: &mut fastrand::Rng, median_ms: f64) -> f64 {
    let (u1, u2) = (rng.f64().max(1e-12), rng.f64());
    let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
    median_ms * 1e6 * (0.4 * z).exp()
}

/// A load run of `seconds` windows of `per_second` requests with the given median latency.
fn load_run(
    id: i64,
    seed: u64,
    median_ms: f64,
    seconds: u32,
    per_second: u32,
    errors_per_second: u64,
) -> RunData {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut windows = Vec::new();
    let mut all = hist::new_hist();
    for second in 0..seconds {
        let mut h = hist::new_hist();
        for _ in 0..per_second {
            let v = lognormal(&mut rng, median_ms) as u64;
            hist::record(&mut h, v);
        }
        all.add(&h).unwrap();
        let encoded = hist::encode(&h);
        windows.push(StoredWindow {
            second,
            phase: "steady".into(),
            requests: u64::from(per_second),
            errors: errors_per_second,
            sent: u64::from(per_second),
            corrected: encoded.clone(),
            raw: encoded,
            slowest: String::new(),
            ..StoredWindow::default()
        });
    }
    let requests = u64::from(per_second) * u64::from(seconds);
    let errors = errors_per_second * u64::from(seconds);
    let total = GroupSummary {
        name: "all".into(),
        requests,
        errors,
        error_rate: errors as f64 / requests as f64,
        throughput_per_s: f64::from(per_second),
        duration_ns: u64::from(seconds) * 1_000_000_000,
        latency: hist::summarize(&all),
        raw_latency: hist::summarize(&all),
        ..Default::default()
    };
    let summary = RunSummary {
        schema_version: SCHEMA_VERSION,
        run_id: id,
        kind: rigor_model::RunKind::Load,
        scenario: "svc".into(),
        model: "open".into(),
        status: RunStatus::Passed,
        status_reason: None,
        started_at: String::new(),
        ended_at: String::new(),
        duration_ns: total.duration_ns,
        total,
        requests: vec![],
        phases: vec![],
        generator: Default::default(),
        target: None,
        target_metrics: None,
        slowest: Vec::new(),
        recoveries: Vec::new(),
        journey: None,
        replay: None,
        thresholds: vec![],
        environment: environment(),
    };
    RunData::new(
        record(id, "load", serde_json::to_string(&summary).unwrap()),
        windows,
    )
    .unwrap()
}

fn verdict(c: &rigor_analysis::Comparison, metric: &str) -> VerdictName {
    c.metrics
        .iter()
        .find(|m| m.metric == metric)
        .unwrap_or_else(|| panic!("no {metric}"))
        .verdict
}

#[test]
fn a_known_shift_is_regressed_and_swapping_flips_it() {
    let a = load_run(1, 11, 20.0, 30, 200, 0);
    let b = load_run(2, 12, 22.0, 30, 200, 0);
    let c = compare(&a, &b, &CompareSettings::default()).unwrap();
    for metric in ["latency.p50", "latency.p90", "latency.mean"] {
        assert_eq!(verdict(&c, metric), VerdictName::Regressed, "{metric}");
    }
    let p50 = c
        .metrics
        .iter()
        .find(|m| m.metric == "latency.p50")
        .unwrap();
    assert!(
        p50.change_lower < 0.10 && 0.10 < p50.change_upper,
        "interval covers the true +10%: {p50:?}"
    );
    let swapped = compare(&b, &a, &CompareSettings::default()).unwrap();
    assert_eq!(verdict(&swapped, "latency.p50"), VerdictName::Improved);
    assert_eq!(verdict(&c, "throughput"), VerdictName::Unchanged);
}

#[test]
fn a_a_comparisons_rarely_call_a_regression() {
    let mut regressed = Vec::new();
    for trial in 0..20u64 {
        let a = load_run(1, 100 + trial, 20.0, 20, 100, 0);
        let b = load_run(2, 200 + trial, 20.0, 20, 100, 0);
        let c = compare(&a, &b, &CompareSettings::default()).unwrap();
        for m in c
            .metrics
            .iter()
            .filter(|m| m.verdict == VerdictName::Regressed)
        {
            regressed.push(format!(
                "trial {trial}: {} {:+.3} [{:+.3}, {:+.3}] q {:.4}",
                m.metric, m.change, m.change_lower, m.change_upper, m.q_value
            ));
        }
    }
    assert!(
        regressed.len() <= 1,
        "regressed verdicts across 20 A/A comparisons: {regressed:#?}"
    );
}

#[test]
fn error_rates_use_the_two_proportion_test() {
    let a = load_run(1, 1, 20.0, 20, 200, 0);
    let b = load_run(2, 2, 20.0, 20, 200, 10); // 5% errors
    let c = compare(&a, &b, &CompareSettings::default()).unwrap();
    let m = c.metrics.iter().find(|m| m.metric == "error_rate").unwrap();
    assert_eq!(m.change_kind, rigor_analysis::output::ChangeKind::Absolute);
    assert!((m.change - 0.05).abs() < 1e-9);
    assert_eq!(m.verdict, VerdictName::Regressed);
}

fn bench_run(id: i64, wall_ms: f64, rss_mib: u64, seed: u64) -> RunData {
    bench_run_with_floor(id, wall_ms, rss_mib, seed, None)
}

/// The summary statistics `rigor bench` stores beside the runs (those the metrics read).
fn stats_of(runs: &[BenchRun]) -> rigor_model::output::bench::Summary {
    let mut walls: Vec<Duration> = runs.iter().map(|r| r.measurement.wall).collect();
    walls.sort();
    let n = walls.len() as u32;
    let mut rss: Vec<u64> = runs.iter().map(|r| r.measurement.peak_rss).collect();
    rss.sort_unstable();
    rigor_model::output::bench::Summary {
        count: u64::from(n),
        mean: walls.iter().sum::<Duration>() / n,
        stddev: None,
        median: walls[walls.len() / 2],
        median_ci: None,
        min: walls[0],
        max: walls[walls.len() - 1],
        user_mean: Duration::from_millis(1),
        system_mean: Duration::from_millis(1),
        peak_rss_max_bytes: rss[rss.len() - 1],
        peak_rss_median_bytes: rss[rss.len() / 2],
    }
}

fn bench_run_with_floor(
    id: i64,
    wall_ms: f64,
    rss_mib: u64,
    seed: u64,
    floor: Option<u64>,
) -> RunData {
    let mut rng = fastrand::Rng::with_seed(seed);
    let runs: Vec<BenchRun> = (0..30)
        .map(|round| BenchRun {
            round,
            measurement: Measurement {
                wall: Duration::from_secs_f64(wall_ms / 1e3 * (1.0 + 0.02 * (rng.f64() - 0.5))),
                user: Duration::from_millis(1),
                system: Duration::from_millis(1),
                peak_rss: rss_mib * 1024 * 1024 + rng.u64(0..4096),
                exit_code: Some(0),
                signal: None,
            },
        })
        .collect();
    let result = BenchResult {
        schema_version: 1,
        source: "rigor".into(),
        commands: vec![CommandResult {
            name: "x".into(),
            command: "x".into(),
            parameters: vec![],
            stats: Some(stats_of(&runs)),
            runs,
            relative: None,
            outliers: vec![],
            counts: None,
        }],
        order: vec![],
        warmup_order: vec![],
        ordering: None,
        warmup: 0,
        run_count: None,
        ignore_failure: false,
        shell: None,
        warnings: vec![],
        interrupted: false,
        peak_rss_floor_bytes: floor,
        host_other_cpu_cores: None,
    };
    RunData::new(
        record(id, "bench", serde_json::to_string(&result).unwrap()),
        vec![],
    )
    .unwrap()
}

/// A bench run whose command was counted by `source` (`values` instructions, one per counted
/// run); `timed` timed runs of `wall_ms`.
fn counted_run(
    id: i64,
    source: rigor_model::output::bench::CountSource,
    values: &[u64],
    timed: usize,
    wall_ms: f64,
) -> RunData {
    use rigor_model::output::bench::{CountSeries, Counts};
    let mut run = bench_run(id, wall_ms, 50, id as u64);
    let mut result = run.bench.take().unwrap();
    let command = &mut result.commands[0];
    command.runs.truncate(timed);
    command.stats = Some(stats_of(&command.runs));
    command.counts = Some(Counts {
        instructions: Some(CountSeries {
            source,
            settings: source.as_str().into(),
            values: values.to_vec(),
        }),
        cycles_estimate: None,
        wall_ns: vec![1_000_000; values.len()],
        unavailable: vec![],
    });
    RunData::new(
        record(id, "bench", serde_json::to_string(&result).unwrap()),
        vec![],
    )
    .unwrap()
}

#[test]
fn counts_of_different_tools_are_never_set_against_each_other() {
    use rigor_model::output::bench::CountSource::{Cachegrind, Perf};
    let settings = CompareSettings::default();
    let perf = counted_run(1, Perf, &[1_000_000, 1_000_100, 1_000_050], 30, 100.0);
    let sim = counted_run(2, Cachegrind, &[1_200_000; 3], 30, 100.0);
    let c = compare(&perf, &sim, &settings).unwrap();
    assert!(
        !c.metrics
            .iter()
            .any(|m| m.metric.starts_with("instructions")),
        "{:?}",
        c.metrics
    );
    assert!(
        c.warnings
            .iter()
            .any(|w| w.contains("counts of different tools are different measures")),
        "{:?}",
        c.warnings
    );
    // Against a history counted by perf, cachegrind's runs keep the two runs' own verdict:
    // the spread of perf's counts says nothing of the simulation's.
    let history: Vec<RunData> = (3..9)
        .map(|id| counted_run(id, Perf, &[1_000_000 + id as u64 * 500; 3], 30, 100.0))
        .collect();
    let a = counted_run(10, Cachegrind, &[1_000_000; 3], 30, 100.0);
    let b = counted_run(11, Cachegrind, &[1_030_000; 3], 30, 100.0);
    let c = rigor_analysis::compare_with_history(&a, &history, &b, &settings).unwrap();
    let m = metric(&c, "instructions.median");
    assert_eq!(m.verdict, VerdictName::Regressed, "{m:?}");
    assert!(!m.method.starts_with("between runs"), "{}", m.method);
}

#[test]
fn a_count_is_judged_against_its_baseline_not_a_history_of_other_builds() {
    use rigor_model::output::bench::CountSource::Cachegrind;
    // Eight earlier runs of two builds, the baseline the newest of the later build; the
    // candidate does 2 % more work than the baseline. Their mean (a count no run had) would
    // hide it.
    let mut history: Vec<RunData> = (1..=7)
        .rev()
        .map(|id| {
            let n = if id < 4 { 60_123_000 } else { 61_323_000 };
            counted_run(id, Cachegrind, &[n; 3], 30, 100.0)
        })
        .collect();
    let baseline = counted_run(8, Cachegrind, &[61_323_000; 3], 30, 100.0);
    history.insert(0, baseline.clone());
    let candidate = counted_run(9, Cachegrind, &[62_549_460; 3], 30, 100.0);
    let c = rigor_analysis::compare_with_history(
        &baseline,
        &history[1..],
        &candidate,
        &CompareSettings::default(),
    )
    .unwrap();
    let m = metric(&c, "instructions.median");
    assert_eq!(m.verdict, VerdictName::Regressed, "{m:?}");
    assert_eq!(m.baseline, 61_323_000.0, "{m:?}");
    assert!((m.change - 0.02).abs() < 1e-6, "{m:?}");
}

#[test]
fn counts_compare_with_one_timed_run_and_leave_the_other_q_values_alone() {
    use rigor_model::output::bench::CountSource::Cachegrind;
    let settings = CompareSettings::default();
    // One timed run a side: the timings cannot be compared, the counts can.
    let a = counted_run(1, Cachegrind, &[1_000_000; 3], 1, 100.0);
    let b = counted_run(2, Cachegrind, &[1_020_000; 3], 1, 100.0);
    let c = compare(&a, &b, &settings).unwrap();
    assert_eq!(verdict(&c, "instructions.median"), VerdictName::Regressed);
    assert!(c.warnings.iter().any(|w| w.contains("the timings of")));
    // Decided by overlap, not by a test: the range is shown, no p-value is claimed.
    let m = metric(&c, "instructions.median");
    assert!(m.p_value.is_nan() && m.q_value.is_nan(), "{m:?}");
    assert!(m.change_lower > 0.0 && m.method.contains("every run of one against every run"));
    // Counts decided by overlap take no part in the FDR adjustment of the timings.
    let (plain_a, plain_b) = (bench_run(3, 100.0, 50, 3), bench_run(4, 101.0, 50, 4));
    let plain = compare(&plain_a, &plain_b, &settings).unwrap();
    let with_counts = compare(
        &counted_run(3, Cachegrind, &[1_000_000; 3], 30, 100.0),
        &counted_run(4, Cachegrind, &[1_020_000; 3], 30, 101.0),
        &settings,
    )
    .unwrap();
    for name in ["wall.median", "wall.mean"] {
        assert_eq!(
            metric(&plain, name).q_value,
            metric(&with_counts, name).q_value,
            "{name}"
        );
    }
}

#[test]
fn bench_tradeoff_is_called_out() {
    let a = bench_run(1, 100.0, 50, 1);
    let b = bench_run(2, 80.0, 70, 2);
    let c = compare(&a, &b, &CompareSettings::default()).unwrap();
    assert_eq!(verdict(&c, "wall.median"), VerdictName::Improved);
    assert_eq!(verdict(&c, "peak_rss"), VerdictName::Regressed);
    let t = c.tradeoff.as_deref().unwrap();
    assert!(
        t.contains("wall.median improved") && t.contains("peak_rss regressed"),
        "{t}"
    );
    let err = compare(
        &a,
        &load_run(3, 3, 20.0, 5, 10, 0),
        &CompareSettings::default(),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("only runs of the same kind"),
        "{err}"
    );
}

/// A gate context over fixed baselines and an in-memory history.
struct Fixed {
    baseline: Option<RunData>,
    history: Vec<CheckOutcome>,
}

impl GateContext for Fixed {
    fn baseline(&mut self, _name: &str, _run: &RunData) -> Result<Option<RunData>, String> {
        Ok(self.baseline.clone())
    }
    fn history(
        &mut self,
        _check: &str,
        _scenario: &str,
        _before: i64,
        limit: usize,
    ) -> Vec<CheckOutcome> {
        self.history.iter().copied().take(limit).collect()
    }
}

#[test]
fn gate_budgets_rules_and_consecutive_runs() {
    let baseline = load_run(1, 11, 20.0, 30, 200, 0);
    let slower = [load_run(2, 12, 26.0, 30, 200, 0)];
    let budgets = [BudgetSpec {
        metric: "latency.p95".into(),
        max: Some("1s".into()),
        ..Default::default()
    }];
    let rules = [RuleSpec {
        metric: "latency.p95".into(),
        max_increase: Some("20%".parse().unwrap()),
        consecutive: Some(2),
        action: Action::Fail,
        ..Default::default()
    }];
    let input = GateInput {
        budgets: &budgets,
        rules: &rules,
        runs: &slower,
        settings: CompareSettings::default(),
    };
    let mut first = Fixed {
        baseline: Some(baseline.clone()),
        history: vec![],
    };
    let report = evaluate(&input, &mut first).unwrap();
    assert_eq!(
        report.checks[0].outcome,
        CheckOutcome::Pass,
        "{:?}",
        report.checks[0]
    );
    assert_eq!(
        report.checks[1].outcome,
        CheckOutcome::Pending,
        "{:?}",
        report.checks[1]
    );
    assert_eq!(report.outcome, "pass");
    let mut second = Fixed {
        baseline: Some(baseline),
        history: vec![CheckOutcome::Pending],
    };
    let report = evaluate(&input, &mut second).unwrap();
    assert_eq!(report.checks[1].outcome, CheckOutcome::Fail);
    assert_eq!(report.outcome, "fail");

    let mut none = Fixed {
        baseline: None,
        history: vec![],
    };
    let err = evaluate(&input, &mut none).unwrap_err().to_string();
    assert!(err.contains("rigor baseline set"), "{err}");

    let bad = [RuleSpec {
        metric: "latency.p95x".into(),
        max: Some("1s".into()),
        ..Default::default()
    }];
    let input = GateInput {
        budgets: &[],
        rules: &bad,
        runs: &slower,
        settings: CompareSettings::default(),
    };
    let err = evaluate(&input, &mut none).unwrap_err().to_string();
    assert!(
        err.contains("no run has this metric") && err.contains("latency.p95"),
        "{err}"
    );
}

#[test]
fn sustained_rules_read_the_per_second_series() {
    let run = [load_run(2, 12, 20.0, 30, 200, 20)]; // 10% errors every second
    let rules = [
        RuleSpec {
            metric: "error_rate".into(),
            max: Some("5%".into()),
            sustained: Some("10s".parse().unwrap()),
            action: Action::Warn,
            ..Default::default()
        },
        RuleSpec {
            metric: "error_rate".into(),
            max: Some("5%".into()),
            sustained: Some("60s".parse().unwrap()),
            ..Default::default()
        },
    ];
    let input = GateInput {
        budgets: &[],
        rules: &rules,
        runs: &run,
        settings: CompareSettings::default(),
    };
    let report = evaluate(
        &input,
        &mut Fixed {
            baseline: None,
            history: vec![],
        },
    )
    .unwrap();
    assert_eq!(report.checks[0].outcome, CheckOutcome::Warn);
    assert_eq!(
        report.checks[1].outcome,
        CheckOutcome::Pass,
        "30 s of breach is not 60 s"
    );
    assert_eq!(report.outcome, "pass");
}

#[test]
fn a_percentile_too_thin_to_judge_breaches_instead_of_passing() {
    // 20 windows of 100 requests: 2,000 responses, too few for p99 (needs 5,000).
    let baseline = load_run(1, 1, 20.0, 20, 100, 0);
    let run = [load_run(2, 2, 20.0, 20, 100, 0)];
    let rules = [RuleSpec {
        metric: "latency.p99".into(),
        max_increase: Some("20%".parse().unwrap()),
        ..Default::default()
    }];
    let input = GateInput {
        budgets: &[],
        rules: &rules,
        runs: &run,
        settings: CompareSettings::default(),
    };
    let report = evaluate(
        &input,
        &mut Fixed {
            baseline: Some(baseline),
            history: vec![],
        },
    )
    .unwrap();
    let check = &report.checks[0];
    assert_eq!(check.outcome, CheckOutcome::Fail, "{check:?}");
    assert!(
        check.message.contains("not judged") && check.message.contains("5000"),
        "{}",
        check.message
    );
}

/// A history kept by check key, as the store keeps it.
struct Keyed {
    baseline: Option<RunData>,
    history: std::collections::BTreeMap<String, Vec<CheckOutcome>>,
}

impl GateContext for Keyed {
    fn baseline(&mut self, _name: &str, _run: &RunData) -> Result<Option<RunData>, String> {
        Ok(self.baseline.clone())
    }
    fn history(&mut self, check: &str, _s: &str, _before: i64, limit: usize) -> Vec<CheckOutcome> {
        self.history
            .get(check)
            .map(|h| h.iter().copied().take(limit).collect())
            .unwrap_or_default()
    }
    fn adopt_history(&mut self, legacy: &str, key: &str, _scenario: &str) {
        if let Some(old) = self.history.remove(legacy) {
            self.history.entry(key.to_string()).or_default().extend(old);
        }
    }
}

#[test]
fn history_under_an_earlier_key_still_counts_and_the_key_is_the_plans_text() {
    let baseline = load_run(1, 11, 20.0, 30, 200, 0);
    let slower = [load_run(2, 12, 26.0, 30, 200, 0)];
    let rules = [RuleSpec {
        metric: "latency.p95".into(),
        max_increase: Some("20%".into()),
        consecutive: Some(2),
        ..Default::default()
    }];
    let input = GateInput {
        budgets: &[],
        rules: &rules,
        runs: &slower,
        settings: CompareSettings::default(),
    };
    // rigor 0.1 stored this rule's history under a key built from a formatted value.
    let mut context = Keyed {
        baseline: Some(baseline),
        history: [(
            "rule:latency.p95:worse>+20.0%:vs:main".to_string(),
            vec![CheckOutcome::Pending],
        )]
        .into(),
    };
    let report = evaluate(&input, &mut context).unwrap();
    let check = &report.checks[0];
    assert_eq!(check.id, "rule:latency.p95 <= +20% 2 consecutive");
    assert_eq!(
        check.outcome,
        CheckOutcome::Fail,
        "the earlier breach was found: {check:?}"
    );
    assert!(context.history.contains_key(&check.id) && context.history.len() == 1);
}

#[test]
fn a_run_that_could_not_be_judged_does_not_count_toward_consecutive() {
    let baseline = load_run(1, 11, 20.0, 30, 200, 0);
    let slower = [load_run(2, 12, 26.0, 30, 200, 0)];
    let rules = [RuleSpec {
        check: Some("latency.p95 < +20% 2 consecutive".into()),
        ..Default::default()
    }];
    let input = GateInput {
        budgets: &[],
        rules: &rules,
        runs: &slower,
        settings: CompareSettings::default(),
    };
    let mut context = Keyed {
        baseline: Some(baseline),
        history: [(
            "rule:latency.p95 < +20% 2 consecutive".to_string(),
            vec![CheckOutcome::NotJudged],
        )]
        .into(),
    };
    let report = evaluate(&input, &mut context).unwrap();
    assert_eq!(
        report.checks[0].outcome,
        CheckOutcome::Pending,
        "{:?}",
        report.checks[0]
    );
    assert!(report.checks[0].judged);
}

#[test]
fn a_crashed_run_is_compared_with_a_warning() {
    let a = load_run(1, 1, 20.0, 20, 200, 0);
    let mut b = load_run(2, 2, 20.0, 20, 200, 0);
    b.record.status = RunStatus::Crashed;
    b.record.status_reason = Some("the process recording it (pid 7) died".into());
    let c = compare(&a, &b, &CompareSettings::default()).unwrap();
    assert!(
        c.warnings
            .iter()
            .any(|w| w.starts_with("run 2 is crashed (the process recording it")),
        "{:?}",
        c.warnings
    );
    assert!(
        !c.warnings.iter().any(|w| w.starts_with("run 1 is")),
        "{:?}",
        c.warnings
    );
}

/// Six invocations of the same code, each drifting by up to 3 % as a busy machine makes them
/// (the runs within one invocation vary by only 1 %), newest first.
fn drifting_history() -> Vec<RunData> {
    [1.0, -1.5, 3.0, -2.0, 2.5, 0.0]
        .iter()
        .enumerate()
        .map(|(i, drift)| bench_run(6 - i as i64, 100.0 * (1.0 + drift / 100.0), 50, i as u64))
        .collect()
}

fn metric<'c>(
    c: &'c rigor_analysis::Comparison,
    name: &str,
) -> &'c rigor_analysis::MetricComparison {
    c.metrics
        .iter()
        .find(|m| m.metric == name)
        .unwrap_or_else(|| panic!("no {name} in {:?}", c.metrics))
}

#[test]
fn drift_between_invocations_is_not_a_regression_once_there_is_history() {
    let history = drifting_history();
    let (baseline, earlier) = history.split_first().unwrap();
    // The same code in another invocation, 4 % slower by the machine's drift alone.
    let candidate = bench_run(8, 104.0, 50, 99);
    let settings = CompareSettings::default();
    // From the two runs alone, their tight intervals call the drift a regression ...
    let alone = compare(baseline, &candidate, &settings).unwrap();
    assert_eq!(verdict(&alone, "wall.mean"), VerdictName::Regressed);
    // ... against the spread between the baseline's runs, it is what invocations differ by.
    let c = rigor_analysis::compare_with_history(baseline, earlier, &candidate, &settings).unwrap();
    for name in ["wall.mean", "wall.median", "wall.min"] {
        let m = metric(&c, name);
        assert_ne!(m.verdict, VerdictName::Regressed, "{m:?}");
        assert!(m.method.starts_with("between runs"), "{}", m.method);
        assert!(m.method.contains("6 baseline runs"), "{}", m.method);
    }
    assert!(
        !c.warnings.iter().any(|w| w.contains("within the two runs")),
        "{:?}",
        c.warnings
    );
}

#[test]
fn a_real_slowdown_is_found_against_the_spread_between_runs() {
    let history = drifting_history();
    let (baseline, earlier) = history.split_first().unwrap();
    let candidate = bench_run(8, 115.0, 50, 99);
    let c = rigor_analysis::compare_with_history(
        baseline,
        earlier,
        &candidate,
        &CompareSettings::default(),
    )
    .unwrap();
    for name in ["wall.mean", "wall.median", "wall.min"] {
        let m = metric(&c, name);
        assert_eq!(m.verdict, VerdictName::Regressed, "{m:?}");
        // The baseline figure is the runs' centre: about 100.5 ms.
        assert!((m.baseline / 1e6 - 100.5).abs() < 1.0, "{m:?}");
        assert!(m.change_lower > 0.02 && m.change < 0.2, "{m:?}");
    }
}

#[test]
fn without_enough_history_the_comparison_says_what_its_verdicts_rest_on() {
    let history = drifting_history();
    let candidate = bench_run(8, 104.0, 50, 99);
    // Two earlier runs and the baseline: three, fewer than five.
    let c = rigor_analysis::compare_with_history(
        &history[3],
        &history[4..],
        &candidate,
        &CompareSettings::default(),
    )
    .unwrap();
    let warning = c
        .warnings
        .iter()
        .find(|w| w.contains("verdicts use the spread within the two runs"))
        .unwrap_or_else(|| panic!("{:?}", c.warnings));
    assert!(warning.contains("3 runs of `svc`"), "{warning}");
    // The fastest run is judged only against the spread between runs.
    assert!(!c.metrics.iter().any(|m| m.metric == "wall.min"));
    assert!(metric(&c, "wall.mean").method.starts_with("bootstrap"));
}

#[test]
fn peak_memory_at_the_measurement_floor_is_not_judged() {
    let floor = Some(50 * 1024 * 1024 + 8192);
    let a = bench_run_with_floor(1, 100.0, 50, 1, floor);
    // The candidate's peak is "higher" but both are at the floor: no verdict, a warning.
    let b = bench_run_with_floor(2, 100.0, 50, 2, floor);
    let c = compare(&a, &b, &CompareSettings::default()).unwrap();
    assert!(
        !c.metrics.iter().any(|m| m.metric == "peak_rss"),
        "{:?}",
        c.metrics
    );
    assert!(
        c.warnings
            .iter()
            .any(|w| w.contains("peak_rss of `x` is not judged") && w.contains("floor")),
        "{:?}",
        c.warnings
    );
    assert!(c.tradeoff.is_none());
}

#[test]
fn a_busier_machine_during_one_run_is_said() {
    let mut a = bench_run(1, 100.0, 50, 1);
    let mut b = bench_run(2, 100.0, 50, 2);
    a.bench.as_mut().unwrap().host_other_cpu_cores = Some(0.12);
    b.bench.as_mut().unwrap().host_other_cpu_cores = Some(0.93);
    let c = compare(&a, &b, &CompareSettings::default()).unwrap();
    assert!(
        c.warnings.iter().any(|w| w.contains(
            "the machine was busier during run 2: other processes kept 0.93 CPU cores busy on average (run 1: 0.12 of 2)"
        )),
        "{:?}",
        c.warnings
    );
    // Alike within a quarter of a core: nothing to say.
    b.bench.as_mut().unwrap().host_other_cpu_cores = Some(0.3);
    let c = compare(&a, &b, &CompareSettings::default()).unwrap();
    assert!(
        !c.warnings.iter().any(|w| w.contains("busier")),
        "{:?}",
        c.warnings
    );
}

#[test]
fn interleaved_rounds_cancel_the_machines_drift() {
    // Five rounds A B: the machine drifts by up to ±8 % from round to round (far more than
    // the change), moving both runs of a round alike; B does 3 % less work.
    let drift = [1.0, 1.08, 0.95, 1.04, 0.92];
    let before: Vec<RunData> = drift
        .iter()
        .enumerate()
        .map(|(i, d)| bench_run(10 + 2 * i as i64, 100.0 * d, 50, i as u64))
        .collect();
    let after: Vec<RunData> = drift
        .iter()
        .enumerate()
        .map(|(i, d)| bench_run(11 + 2 * i as i64, 97.0 * d, 50, 50 + i as u64))
        .collect();
    let settings = CompareSettings::default();
    let c = rigor_analysis::compare::compare_interleaved(&before, &after, &settings).unwrap();
    let m = metric(&c, "wall.mean");
    assert_eq!(m.verdict, VerdictName::Improved, "{m:?}");
    assert!(m.change_lower < -0.02 && m.change_upper > -0.04, "{m:?}");
    assert!(
        m.method.starts_with("interleaved: 5 rounds"),
        "{}",
        m.method
    );
    assert!(m.method.contains("10/11, 12/13"), "{}", m.method);
    // The same drift without the change: nothing is called.
    let same: Vec<RunData> = drift
        .iter()
        .enumerate()
        .map(|(i, d)| bench_run(11 + 2 * i as i64, 100.0 * d, 50, 50 + i as u64))
        .collect();
    let aa = rigor_analysis::compare::compare_interleaved(&before, &same, &settings).unwrap();
    for m in &aa.metrics {
        assert!(
            !matches!(m.verdict, VerdictName::Improved | VerdictName::Regressed),
            "{m:?}"
        );
    }
    // Judged against the spread between the before runs alone, the drift swamps the change.
    let history: Vec<RunData> = before[..4].iter().rev().cloned().collect();
    let between =
        rigor_analysis::compare_with_history(&before[4], &history, &after[4], &settings).unwrap();
    assert_ne!(metric(&between, "wall.mean").verdict, VerdictName::Improved);
    // Too few rounds are refused with the number needed.
    let e = rigor_analysis::compare::compare_interleaved(&before[..2], &after[..2], &settings)
        .unwrap_err();
    assert!(e.to_string().contains("at least 3 rounds"), "{e}");
}
