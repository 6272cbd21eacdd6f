//! `rigor compare`: every metric two runs share, each with a verdict.
//!
//! Load runs are compared window by window: latency percentiles with a block bootstrap over
//! the one-second window histograms (whole seconds are resampled, so the correlation between
//! requests of the same second is kept), throughput over the per-second completion counts,
//! error rates with the two-proportion test and Newcombe's interval. Bench runs are compared
//! run by run: bootstrap intervals of the relative change with the Mann–Whitney p-value.
//! The p-values of one comparison are adjusted together (Benjamini–Hochberg) before the
//! noise-band rule turns each into improved, regressed, unchanged or inconclusive.

use std::collections::BTreeMap;

use rigor_model::hist::Hist;
use rigor_model::output::bench::CommandResult;
use rigor_stats::{
    benjamini_hochberg, compare as bootstrap, mann_whitney_u, two_proportions, Alternative,
    BootstrapConfig, Direction, Interval, MannWhitneyMethod, NoiseBand, Sample, Statistic,
};

use crate::data::{environment_differences, RunData, RunKind};
use crate::metrics::{info, MetricInfo, Unit, BENCH_METRICS, LOAD_METRICS};
use crate::output::{
    ChangeKind, Comparison, MetricComparison, RunRef, VerdictName, ANALYSIS_SCHEMA_VERSION,
};

/// Observations beyond a percentile that each run needs before the percentile is judged.
pub const MIN_TAIL: u64 = 50;

/// How to compare.
#[derive(Debug, Clone)]
pub struct CompareSettings {
    pub bootstrap: BootstrapConfig,
    pub alpha: f64,
    /// Default half-width of the noise band for relative changes (0.02 = 2 %).
    pub noise: f64,
    /// Per-metric noise overrides.
    pub noise_by_metric: BTreeMap<String, f64>,
    /// Noise for absolute changes of error rates (0.001 = 0.1 percentage point).
    pub rate_noise: f64,
    /// Only this phase's windows (load runs).
    pub phase: Option<String>,
    /// Environment differences are errors, not warnings.
    pub strict_env: bool,
}

impl Default for CompareSettings {
    fn default() -> Self {
        CompareSettings {
            bootstrap: BootstrapConfig::default(),
            alpha: 0.05,
            noise: 0.02,
            noise_by_metric: BTreeMap::new(),
            rate_noise: 0.001,
            phase: None,
            strict_env: false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    #[error("run {a} is a {kind_a} run and run {b} a {kind_b} run: only runs of the same kind can be compared")]
    KindMismatch {
        a: i64,
        kind_a: &'static str,
        b: i64,
        kind_b: &'static str,
    },
    #[error("the runs' environments differ and --strict-env is set: {0}")]
    Environment(String),
    #[error("runs {a} and {b} share no metric with enough data to compare{hint}")]
    Nothing { a: i64, b: i64, hint: String },
}

fn kind_name(kind: RunKind) -> &'static str {
    kind.as_str()
}

/// One metric's raw result before the FDR adjustment.
struct Pending {
    metric: String,
    unit: Unit,
    direction: Direction,
    baseline: f64,
    candidate: f64,
    change_kind: ChangeKind,
    change: Interval,
    p_value: f64,
    noise: f64,
    method: String,
}

/// Compares candidate `b` against baseline `a`.
pub fn compare(
    a: &RunData,
    b: &RunData,
    settings: &CompareSettings,
) -> Result<Comparison, CompareError> {
    ensure_same_kind(a, b)?;
    let differences = environment_differences(a.environment.as_ref(), b.environment.as_ref());
    refuse_strict_differences(&differences, settings)?;
    let mut warnings: Vec<String> = [a, b].into_iter().filter_map(untrustworthy).collect();
    warnings.extend(scenario_mismatch(a, b));
    let mut pending = Vec::new();
    match a.kind {
        RunKind::Load => compare_load(a, b, settings, &mut pending, &mut warnings),
        RunKind::Bench => compare_bench(a, b, settings, &mut pending, &mut warnings),
    }
    if pending.is_empty() {
        return Err(CompareError::Nothing {
            a: a.id(),
            b: b.id(),
            hint: warnings
                .first()
                .map(|w| format!(": {w}"))
                .unwrap_or_default(),
        });
    }
    let metrics = judge(pending, settings);
    let tradeoff = tradeoff(&metrics);
    Ok(Comparison {
        schema_version: ANALYSIS_SCHEMA_VERSION,
        baseline: run_ref(a),
        candidate: run_ref(b),
        environment_warnings: differences,
        warnings,
        tradeoff,
        metrics,
        confidence: settings.bootstrap.confidence,
        alpha: settings.alpha,
        seed: settings.bootstrap.seed,
    })
}

/// A warning for a run whose figures may not stand for a whole run (crashed, interrupted,
/// invalid, the target failed): it is compared all the same, and the reader is told.
fn untrustworthy(run: &RunData) -> Option<String> {
    let status = run.record.status;
    (!status.is_trustworthy()).then(|| {
        format!(
            "run {} is {}{}: its figures may not stand for a whole run",
            run.id(),
            status.as_str(),
            run.record
                .status_reason
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        )
    })
}

fn ensure_same_kind(a: &RunData, b: &RunData) -> Result<(), CompareError> {
    if a.kind == b.kind {
        return Ok(());
    }
    Err(CompareError::KindMismatch {
        a: a.id(),
        kind_a: kind_name(a.kind),
        b: b.id(),
        kind_b: kind_name(b.kind),
    })
}

/// With `--strict-env`, any difference but the host's name stops the comparison.
fn refuse_strict_differences(
    differences: &[String],
    settings: &CompareSettings,
) -> Result<(), CompareError> {
    let strict: Vec<&String> = differences
        .iter()
        .filter(|d| !d.starts_with("host"))
        .collect();
    if settings.strict_env && !strict.is_empty() {
        return Err(CompareError::Environment(
            strict
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("; "),
        ));
    }
    Ok(())
}

fn scenario_mismatch(a: &RunData, b: &RunData) -> Option<String> {
    (a.record.scenario != b.record.scenario).then(|| {
        format!(
            "the runs are of different scenarios (`{}` and `{}`): the comparison assumes they measure the same thing",
            a.record.scenario, b.record.scenario
        )
    })
}

/// Adjusts the p-values of the whole comparison together, then gives each metric its verdict.
fn judge(pending: Vec<Pending>, settings: &CompareSettings) -> Vec<MetricComparison> {
    let p_values: Vec<f64> = pending.iter().map(|p| p.p_value).collect();
    let adjusted = benjamini_hochberg(&p_values, settings.alpha)
        .map(|r| r.adjusted)
        .unwrap_or(p_values);
    pending
        .into_iter()
        .zip(adjusted)
        .map(|(p, q)| judge_metric(p, q, settings.alpha))
        .collect()
}

/// One metric's verdict from its change and its adjusted p-value `q`.
fn judge_metric(p: Pending, q: f64, alpha: f64) -> MetricComparison {
    let band = NoiseBand {
        alpha,
        noise: p.noise,
    };
    let verdict = band.judge(&p.change, q, p.direction);
    MetricComparison {
        metric: p.metric,
        unit: p.unit,
        better: match p.direction {
            Direction::LowerIsBetter => rigor_model::metric::Direction::LowerIsBetter,
            Direction::HigherIsBetter => rigor_model::metric::Direction::HigherIsBetter,
        },
        baseline: p.baseline,
        candidate: p.candidate,
        change_kind: p.change_kind,
        change: p.change.estimate,
        change_lower: p.change.lower,
        change_upper: p.change.upper,
        p_value: p.p_value,
        q_value: q,
        noise: p.noise,
        verdict: verdict.into(),
        method: p.method,
    }
}

fn run_ref(r: &RunData) -> RunRef {
    RunRef {
        run_id: r.id(),
        kind: r.record.kind,
        scenario: r.record.scenario.clone(),
        started_at_ns: r.record.started_at_ns,
        git_commit: r.record.git_commit.clone(),
    }
}

fn noise_for(settings: &CompareSettings, metric: &str) -> f64 {
    settings
        .noise_by_metric
        .get(metric)
        .copied()
        .unwrap_or(settings.noise)
}

/// "latency.p95 improved 12% while peak_rss regressed 30%": the one line a reader must see.
fn tradeoff(metrics: &[MetricComparison]) -> Option<String> {
    let describe = |m: &MetricComparison| match m.change_kind {
        ChangeKind::Absolute => format!(
            "{} {} by {} points",
            m.metric,
            m.verdict.as_str(),
            three(m.change.abs() * 100.0)
        ),
        ChangeKind::Relative => format!(
            "{} {} {}%",
            m.metric,
            m.verdict.as_str(),
            three(m.change.abs() * 100.0)
        ),
    };
    let improved: Vec<String> = metrics
        .iter()
        .filter(|m| m.verdict == VerdictName::Improved)
        .map(describe)
        .collect();
    let regressed: Vec<String> = metrics
        .iter()
        .filter(|m| m.verdict == VerdictName::Regressed)
        .map(describe)
        .collect();
    (!improved.is_empty() && !regressed.is_empty()).then(|| {
        format!(
            "trade-off: {} while {}",
            improved.join(", "),
            regressed.join(", ")
        )
    })
}

fn three(v: f64) -> String {
    rigor_model::units::three_figures(v)
}

/// Load metrics: latency by block bootstrap over the windows, throughput over whole seconds,
/// the error rate by two proportions.
fn compare_load(
    a: &RunData,
    b: &RunData,
    s: &CompareSettings,
    out: &mut Vec<Pending>,
    warnings: &mut Vec<String>,
) {
    let phase = s.phase.as_deref();
    let (wa, wb) = (a.windows(phase), b.windows(phase));
    let (ca, cb) = (
        latency_histograms(&wa, Latency::Corrected),
        latency_histograms(&wb, Latency::Corrected),
    );
    let (ra, rb) = (
        latency_histograms(&wa, Latency::Raw),
        latency_histograms(&wb, Latency::Raw),
    );
    if ca.len() < 2 || cb.len() < 2 {
        warnings.push(format!(
            "latency needs at least two one-second windows with responses in each run{}; runs {} and {} have {} and {}",
            phase.map(|p| format!(" (phase `{p}`)")).unwrap_or_default(),
            a.id(),
            b.id(),
            ca.len(),
            cb.len()
        ));
    }
    for metric in LOAD_METRICS {
        let Some(info) = info(RunKind::Load, metric) else {
            continue;
        };
        let compared = match *metric {
            "throughput" => compare_throughput(metric, &info, &wa, &wb, s),
            "error_rate" => compare_error_rate(metric, &info, &wa, &wb, s),
            _ => match latency_statistic(metric) {
                Some((Latency::Corrected, statistic)) => {
                    compare_latency(metric, &info, statistic, (&ca, &cb), s, warnings)
                }
                Some((Latency::Raw, statistic)) => {
                    compare_latency(metric, &info, statistic, (&ra, &rb), s, warnings)
                }
                None => None,
            },
        };
        out.extend(compared);
    }
}

/// Which of a window's two latency histograms a metric reads.
#[derive(Clone, Copy)]
enum Latency {
    Corrected,
    Raw,
}

/// The latency metrics: the histograms each reads and the statistic taken of them.
fn latency_statistic(metric: &str) -> Option<(Latency, Statistic)> {
    Some(match metric {
        "latency.p50" => (Latency::Corrected, Statistic::MEDIAN),
        "latency.p90" => (Latency::Corrected, Statistic::Quantile(0.90)),
        "latency.p95" => (Latency::Corrected, Statistic::P95),
        "latency.p99" => (Latency::Corrected, Statistic::P99),
        "latency.mean" => (Latency::Corrected, Statistic::Mean),
        "latency.raw.p50" => (Latency::Raw, Statistic::MEDIAN),
        "latency.raw.p95" => (Latency::Raw, Statistic::P95),
        "latency.raw.p99" => (Latency::Raw, Statistic::P99),
        _ => return None,
    })
}

/// The windows' non-empty histograms of one kind, the blocks the bootstrap resamples.
fn latency_histograms(windows: &[&crate::data::WindowData], latency: Latency) -> Vec<Hist> {
    windows
        .iter()
        .filter_map(|w| match latency {
            Latency::Raw => w.raw.clone(),
            Latency::Corrected => w.corrected.clone(),
        })
        .filter(|h| !h.is_empty())
        .collect()
}

/// A latency statistic by block bootstrap over the one-second histograms of each run.
fn compare_latency(
    metric: &str,
    info: &MetricInfo,
    statistic: Statistic,
    (windows_a, windows_b): (&[Hist], &[Hist]),
    s: &CompareSettings,
    warnings: &mut Vec<String>,
) -> Option<Pending> {
    if windows_a.len() < 2 || windows_b.len() < 2 {
        return None;
    }
    if let Some(thin) = thin_tail(metric, statistic, windows_a, windows_b) {
        warnings.push(thin);
        return None;
    }
    let c = bootstrap(
        &Sample::Windows(windows_a),
        &Sample::Windows(windows_b),
        statistic,
        &s.bootstrap,
    )
    .ok()?;
    let change = c.relative_change?;
    Some(Pending {
        metric: metric.to_string(),
        unit: info.unit,
        direction: info.direction,
        baseline: c.baseline.estimate,
        candidate: c.candidate.estimate,
        change_kind: ChangeKind::Relative,
        change,
        p_value: c.p_value,
        noise: noise_for(s, metric),
        method: format!(
            "block bootstrap over {} and {} one-second windows",
            windows_a.len(),
            windows_b.len()
        ),
    })
}

/// Why a tail percentile is not judged, when it is not.
///
/// A tail percentile rests on the observations beyond it: with fewer than MIN_TAIL of them
/// the bootstrap's interval is too optimistic to act on.
fn thin_tail(metric: &str, statistic: Statistic, a: &[Hist], b: &[Hist]) -> Option<String> {
    let Statistic::Quantile(q) = statistic else {
        return None;
    };
    let count = |w: &[Hist]| w.iter().map(|h| h.len()).sum::<u64>();
    let least = count(a).min(count(b));
    let tail = (least as f64 * (1.0 - q)).floor() as u64;
    (tail < MIN_TAIL).then(|| {
        format!(
            "{metric} is not judged: each run needs at least {} responses ({MIN_TAIL} beyond the percentile), and one has {least}",
            (MIN_TAIL as f64 / (1.0 - q)).ceil() as u64
        )
    })
}

/// Throughput by bootstrap of the mean over the per-second completion counts.
fn compare_throughput(
    metric: &str,
    info: &MetricInfo,
    wa: &[&crate::data::WindowData],
    wb: &[&crate::data::WindowData],
    s: &CompareSettings,
) -> Option<Pending> {
    let (xa, xb) = (whole_second_counts(wa), whole_second_counts(wb));
    if xa.len() < 2 || xb.len() < 2 {
        return None;
    }
    let c = bootstrap(
        &Sample::Values(&xa),
        &Sample::Values(&xb),
        Statistic::Mean,
        &s.bootstrap,
    )
    .ok()?;
    let change = c.relative_change?;
    Some(Pending {
        metric: metric.to_string(),
        unit: info.unit,
        direction: info.direction,
        baseline: c.baseline.estimate,
        candidate: c.candidate.estimate,
        change_kind: ChangeKind::Relative,
        change,
        p_value: c.p_value,
        noise: noise_for(s, metric),
        method: format!(
            "bootstrap of the mean over {} and {} whole seconds",
            xa.len(),
            xb.len()
        ),
    })
}

/// Completions per second without the first and last seconds, which are partial.
fn whole_second_counts(windows: &[&crate::data::WindowData]) -> Vec<f64> {
    let per_second = per_second_counts(windows);
    if per_second.len() > 2 {
        per_second[1..per_second.len() - 1].to_vec()
    } else {
        Vec::new()
    }
}

/// The error rate by the two-proportion test over all requests; its noise is absolute.
fn compare_error_rate(
    metric: &str,
    info: &MetricInfo,
    wa: &[&crate::data::WindowData],
    wb: &[&crate::data::WindowData],
    s: &CompareSettings,
) -> Option<Pending> {
    let total = |w: &[&crate::data::WindowData]| {
        w.iter()
            .fold((0u64, 0u64), |(e, r), w| (e + w.errors, r + w.requests))
    };
    let ((ea, na), (eb, nb)) = (total(wa), total(wb));
    if na == 0 || nb == 0 {
        return None;
    }
    let c = two_proportions(ea, na, eb, nb, s.bootstrap.confidence).ok()?;
    Some(Pending {
        metric: metric.to_string(),
        unit: info.unit,
        direction: info.direction,
        baseline: c.baseline.estimate,
        candidate: c.candidate.estimate,
        change_kind: ChangeKind::Absolute,
        change: c.difference,
        p_value: c.p_value,
        noise: s
            .noise_by_metric
            .get(metric)
            .copied()
            .unwrap_or(s.rate_noise),
        method: "two-proportion z-test, Newcombe interval of the difference".into(),
    })
}

/// Completions per second, merging the phases that share a second.
fn per_second_counts(windows: &[&crate::data::WindowData]) -> Vec<f64> {
    let mut by_second: BTreeMap<u32, u64> = BTreeMap::new();
    for w in windows {
        *by_second.entry(w.second).or_default() += w.requests;
    }
    by_second.values().map(|&n| n as f64).collect()
}

/// Bench metrics, command by command: bootstrap intervals with Mann–Whitney p-values.
fn compare_bench(
    a: &RunData,
    b: &RunData,
    s: &CompareSettings,
    out: &mut Vec<Pending>,
    warnings: &mut Vec<String>,
) {
    let (Some(ra), Some(rb)) = (&a.bench, &b.bench) else {
        return;
    };
    let single = ra.commands.len() == 1 && rb.commands.len() == 1;
    for ca in &ra.commands {
        // Pair commands by their command line; a one-command bench pairs whatever it ran.
        let cb = if single {
            rb.commands.first()
        } else {
            rb.commands.iter().find(|c| c.command == ca.command)
        };
        let Some(cb) = cb else {
            warnings.push(format!("`{}` is only in run {}", ca.command, a.id()));
            continue;
        };
        if ca.runs.len() < 2 || cb.runs.len() < 2 {
            warnings.push(format!(
                "`{}` needs at least two runs on each side to compare",
                ca.command
            ));
            continue;
        }
        for metric in BENCH_METRICS {
            let Some(info) = info(RunKind::Bench, metric) else {
                continue;
            };
            out.extend(compare_command_metric(metric, &info, (ca, cb), single, s));
        }
    }
}

/// One metric of one command present in both runs. Its name carries the command unless the
/// bench had only the one.
fn compare_command_metric(
    metric: &str,
    info: &MetricInfo,
    (ca, cb): (&CommandResult, &CommandResult),
    single: bool,
    s: &CompareSettings,
) -> Option<Pending> {
    let (xa, xb) = (run_values(ca, metric), run_values(cb, metric));
    let statistic = match metric {
        "wall.median" | "peak_rss" => Statistic::MEDIAN,
        _ => Statistic::Mean,
    };
    let c = bootstrap(
        &Sample::Values(&xa),
        &Sample::Values(&xb),
        statistic,
        &s.bootstrap,
    )
    .ok()?;
    let change = c.relative_change?;
    let p_value = mann_whitney_u(&xa, &xb, Alternative::TwoSided, MannWhitneyMethod::Auto)
        .map_or(c.p_value, |m| m.p_value);
    let name = if single {
        metric.to_string()
    } else {
        format!("{metric}{{command=\"{}\"}}", ca.command)
    };
    Some(Pending {
        noise: noise_for(s, metric),
        metric: name,
        unit: info.unit,
        direction: info.direction,
        baseline: c.baseline.estimate,
        candidate: c.candidate.estimate,
        change_kind: ChangeKind::Relative,
        change,
        p_value,
        method: format!(
            "bootstrap of the {}, Mann–Whitney U p-value ({} and {} runs)",
            if statistic == Statistic::Mean {
                "mean"
            } else {
                "median"
            },
            xa.len(),
            xb.len()
        ),
    })
}

/// The measurement `metric` reads from each of a command's timed runs.
fn run_values(command: &CommandResult, metric: &str) -> Vec<f64> {
    command
        .runs
        .iter()
        .map(|r| match metric {
            "user.mean" => r.measurement.user.as_nanos() as f64,
            "system.mean" => r.measurement.system.as_nanos() as f64,
            "peak_rss" => r.measurement.peak_rss as f64,
            _ => r.measurement.wall.as_nanos() as f64,
        })
        .collect()
}
