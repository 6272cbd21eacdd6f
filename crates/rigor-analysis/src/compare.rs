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

mod bench;
mod between;
mod imported;
mod load;
mod memory;
mod paired;

pub use paired::{compare_interleaved, MIN_ROUNDS};

use bench::compare_bench;
use load::compare_load;

use rigor_model::metric::{Metric, Scope};
use rigor_stats::{benjamini_hochberg, BootstrapConfig, Direction, Interval, NoiseBand};

use crate::data::{environment_differences, RunData, RunKind};
use crate::metrics::Unit;
use crate::output::{
    ChangeKind, Comparison, MetricComparison, RunRef, VerdictName, ANALYSIS_SCHEMA_VERSION,
};

/// Observations beyond a percentile that each run needs before the percentile is judged.
pub const MIN_TAIL: u64 = 50;

/// Baseline runs (the baseline and the runs of its scenario before it) from which verdicts use
/// the spread between runs rather than within the two runs compared.
pub const MIN_HISTORY: usize = 5;

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
    /// At most this many baseline runs (the baseline and its predecessors) whose spread
    /// judges a change; below [`MIN_HISTORY`] the spread within the two runs does.
    pub history_runs: usize,
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
            history_runs: 10,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    #[error("run {a} is of kind {kind_a} and run {b} of kind {kind_b}: only runs of the same kind can be compared")]
    KindMismatch {
        a: i64,
        kind_a: &'static str,
        b: i64,
        kind_b: &'static str,
    },
    #[error("the runs' environments differ and --strict-env is set: {0}")]
    Environment(String),
    #[error("an interleaved comparison needs at least {needed} rounds of a before and an after run each; it has {rounds}")]
    Rounds { rounds: usize, needed: usize },
    #[error("runs {a} and {b} share no metric with enough data to compare{hint}")]
    Nothing { a: i64, b: i64, hint: String },
}

fn kind_name(kind: RunKind) -> &'static str {
    kind.as_str()
}

/// One metric's raw result before the FDR adjustment.
struct Pending {
    metric: String,
    /// What the metric reads, and where: to read it off other runs.
    measure: Metric,
    scope: Scope,
    unit: Unit,
    direction: Direction,
    baseline: f64,
    candidate: f64,
    change_kind: ChangeKind,
    change: Interval,
    p_value: f64,
    noise: f64,
    method: String,
    /// Two values without intervals: no test, the change against the noise band only.
    untested: bool,
    /// Decided by whether two deterministic ranges overlap (p 0 or 1): no test of chance,
    /// so it takes no part in the adjustment, which it would otherwise bend for the rest.
    by_overlap: bool,
    /// Judged only against the spread between runs (the minimum: a bootstrap says nothing of
    /// an extreme order statistic); left out of a comparison without enough history.
    history_only: bool,
}

/// Compares candidate `b` against baseline `a` from the two runs alone.
pub fn compare(
    a: &RunData,
    b: &RunData,
    settings: &CompareSettings,
) -> Result<Comparison, CompareError> {
    compare_with_history(a, &[], b, settings)
}

/// Compares candidate `b` against baseline `a`, with `history`: earlier runs of the
/// baseline's scenario in the baseline's environment, newest first (not `a`, not `b`). With
/// [`MIN_HISTORY`] runs or more (counting `a`), each verdict judges the change against the
/// spread between those runs, which holds across separate invocations; otherwise against the
/// spread within the two runs, and a warning says so. Each metric's `method` names which.
pub fn compare_with_history(
    a: &RunData,
    history: &[RunData],
    b: &RunData,
    settings: &CompareSettings,
) -> Result<Comparison, CompareError> {
    ensure_same_kind(a, b)?;
    let differences = environment_differences(a.environment.as_ref(), b.environment.as_ref());
    refuse_strict_differences(&differences, settings)?;
    let mut warnings: Vec<String> = [a, b].into_iter().filter_map(untrustworthy).collect();
    warnings.extend(scenario_mismatch(a, b));
    warnings.extend(busier_machine(a, b));
    let mut pending = Vec::new();
    match a.kind {
        RunKind::Load => compare_load(a, b, settings, &mut pending, &mut warnings),
        RunKind::Bench => compare_bench(a, b, settings, &mut pending, &mut warnings),
        RunKind::Imported | RunKind::Telemetry => {
            imported::compare_imported(a, b, settings, &mut pending, &mut warnings)
        }
    }
    between::judge_against_history(a, history, b, settings, &mut pending, &mut warnings);
    warnings.extend(imported::untested_warning(a, &pending));
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
        profiles: Vec::new(),
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

/// Other work on the machine that differs this much between the runs is worth a warning.
const BUSIER_BY_CORES: f64 = 0.25;

/// "The machine was busier during run 7 …": when other processes used much more CPU beside one
/// run than beside the other, a difference between them may be the machine's.
fn busier_machine(a: &RunData, b: &RunData) -> Option<String> {
    let (oa, ob) = (a.other_work_cores()?, b.other_work_cores()?);
    if (oa - ob).abs() < BUSIER_BY_CORES {
        return None;
    }
    let (busier, calmer, more, less) = if ob > oa {
        (b.id(), a.id(), ob, oa)
    } else {
        (a.id(), b.id(), oa, ob)
    };
    let cores = a
        .environment
        .as_ref()
        .map(|e| format!(" of {}", e.cores))
        .unwrap_or_default();
    Some(format!(
        "the machine was busier during run {busier}: other processes kept {more:.2} CPU cores busy on average (run {calmer}: {less:.2}{cores}); a change between them may be the machine's, not the code's"
    ))
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
    // Untested changes, and counts decided by overlap, take no part in the adjustment: they
    // were never a test.
    let adjusted_one = |p: &Pending| !p.untested && !p.by_overlap;
    let p_values: Vec<f64> = pending
        .iter()
        .filter(|p| adjusted_one(p))
        .map(|p| p.p_value)
        .collect();
    let mut adjusted = benjamini_hochberg(&p_values, settings.alpha)
        .map(|r| r.adjusted)
        .unwrap_or(p_values)
        .into_iter();
    pending
        .into_iter()
        .map(|p| {
            let q = if !adjusted_one(&p) {
                p.p_value
            } else {
                adjusted.next().unwrap_or(p.p_value)
            };
            judge_metric(p, q, settings.alpha)
        })
        .collect()
}

/// One metric's verdict from its change and its adjusted p-value `q`.
fn judge_metric(p: Pending, q: f64, alpha: f64) -> MetricComparison {
    let band = NoiseBand {
        alpha,
        noise: p.noise,
    };
    let verdict = band.judge(&p.change, q, p.direction);
    // An untested change was judged as a point against the band; it has no interval or test
    // to show. Counts decided by whether their ranges overlap have their range, but no test:
    // the 0 or 1 they were judged with is no p-value, and printing it as "<0.001" would claim
    // a significance one counted run a side cannot have.
    let (lower, upper, p_value, q) = if p.untested {
        (f64::NAN, f64::NAN, f64::NAN, f64::NAN)
    } else if p.by_overlap {
        (p.change.lower, p.change.upper, f64::NAN, f64::NAN)
    } else {
        (p.change.lower, p.change.upper, p.p_value, q)
    };
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
        change_lower: lower,
        change_upper: upper,
        p_value,
        q_value: q,
        noise: p.noise,
        verdict: verdict_name(verdict),
        method: p.method,
        untested: p.untested,
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

/// The statistics crate's verdict as the output names it.
fn verdict_name(v: rigor_stats::Verdict) -> VerdictName {
    match v {
        rigor_stats::Verdict::Improved => VerdictName::Improved,
        rigor_stats::Verdict::Regressed => VerdictName::Regressed,
        rigor_stats::Verdict::Unchanged => VerdictName::Unchanged,
        rigor_stats::Verdict::Inconclusive => VerdictName::Inconclusive,
    }
}
