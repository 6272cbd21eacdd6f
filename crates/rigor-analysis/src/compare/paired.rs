//! Interleaved validation: the version before a change and the version after it, run in
//! alternation (A B A B …), each metric judged over the rounds by the paired Student-t
//! ([`rigor_stats::paired`]). A pair's two runs are minutes apart at most, so the machine's
//! drift between invocations moves both alike and cancels in their difference: it cannot fake
//! a win or hide a loss.

use rigor_stats::{paired_difference, paired_ratio};

use super::{
    ensure_same_kind, judge, run_ref, tradeoff, untrustworthy, CompareError, CompareSettings,
    Pending,
};
use crate::data::{RunData, RunKind};
use crate::metrics::value;
use crate::output::{ChangeKind, Comparison, ANALYSIS_SCHEMA_VERSION};

/// Rounds below which the rounds' spread cannot be read (the t-distribution needs two degrees
/// of freedom to be of use).
pub const MIN_ROUNDS: usize = 3;

/// Compares the `after` runs with the `before` runs, round `i` being `(before[i], after[i])`
/// run one after the other. Every metric the last pair shares is judged over all rounds; one
/// that some run lacks keeps the last pair's within-run verdict, and a warning says so.
pub fn compare_interleaved(
    before: &[RunData],
    after: &[RunData],
    settings: &CompareSettings,
) -> Result<Comparison, CompareError> {
    let (Some(a), Some(b)) = (before.last(), after.last()) else {
        return Err(CompareError::Rounds {
            rounds: 0,
            needed: MIN_ROUNDS,
        });
    };
    if before.len() != after.len() || before.len() < MIN_ROUNDS {
        return Err(CompareError::Rounds {
            rounds: before.len().min(after.len()),
            needed: MIN_ROUNDS,
        });
    }
    for run in before.iter().chain(after) {
        ensure_same_kind(a, run)?;
    }
    let mut warnings: Vec<String> = before
        .iter()
        .chain(after)
        .filter_map(untrustworthy)
        .collect();
    let mut pending = Vec::new();
    match a.kind {
        RunKind::Load => super::load::compare_load(a, b, settings, &mut pending, &mut warnings),
        RunKind::Bench => super::bench::compare_bench(a, b, settings, &mut pending, &mut warnings),
        RunKind::Imported | RunKind::Telemetry => {
            super::imported::compare_imported(a, b, settings, &mut pending, &mut warnings)
        }
    }
    let pairs: Vec<String> = before
        .iter()
        .zip(after)
        .map(|(x, y)| format!("{}/{}", x.id(), y.id()))
        .collect();
    let mut unread = Vec::new();
    pending.retain_mut(|p| {
        let judged = rejudge(p, before, after, settings.bootstrap.confidence, &pairs);
        if !judged && !p.history_only {
            unread.push(p.metric.clone());
        }
        judged || !p.history_only
    });
    if !unread.is_empty() {
        warnings.push(format!(
            "{} judged by the last pair's own samples: not every round has {}, or the rounds did not vary",
            unread.join(", "),
            if unread.len() == 1 { "it" } else { "them" },
        ));
    }
    if pending.is_empty() {
        return Err(CompareError::Nothing {
            a: a.id(),
            b: b.id(),
            hint: String::new(),
        });
    }
    let metrics = judge(pending, settings);
    Ok(Comparison {
        schema_version: ANALYSIS_SCHEMA_VERSION,
        baseline: run_ref(a),
        candidate: run_ref(b),
        environment_warnings: Vec::new(),
        warnings,
        tradeoff: tradeoff(&metrics),
        metrics,
        confidence: settings.bootstrap.confidence,
        alpha: settings.alpha,
        seed: settings.bootstrap.seed,
        profiles: Vec::new(),
    })
}

/// Judges one metric over the rounds; `false` when a run lacks it or the rounds show no
/// spread (the last pair's verdict then stands).
fn rejudge(
    p: &mut Pending,
    before: &[RunData],
    after: &[RunData],
    confidence: f64,
    pairs: &[String],
) -> bool {
    // Counts by different tools are not comparable: every round must be counted alike.
    if let Some(first) = before.first() {
        let alike = crate::metrics::counted_like(first, p.measure, &p.scope);
        if !before.iter().chain(after).all(alike) {
            return false;
        }
    }
    let read = |runs: &[RunData]| -> Option<Vec<f64>> {
        runs.iter()
            .map(|r| value(r, p.measure, &p.scope).ok().flatten())
            .collect()
    };
    let (Some(a), Some(b)) = (read(before), read(after)) else {
        return false;
    };
    let judged = match p.change_kind {
        ChangeKind::Relative => paired_ratio(&a, &b, confidence),
        ChangeKind::Absolute => paired_difference(&a, &b, confidence),
    };
    let Some(judged) = judged else {
        return false;
    };
    let n = a.len() as f64;
    p.baseline = a.iter().sum::<f64>() / n;
    p.candidate = b.iter().sum::<f64>() / n;
    p.change = judged.change;
    p.p_value = judged.p_value;
    p.by_overlap = false;
    p.method = format!(
        "interleaved: {} rounds before/after (runs {}), paired Student-t on each round's {} (its spread {})",
        judged.rounds,
        pairs.join(", "),
        match p.change_kind {
            ChangeKind::Relative => "log ratio",
            ChangeKind::Absolute => "difference",
        },
        match p.change_kind {
            ChangeKind::Relative => format!("{:.3} %", judged.spread * 100.0),
            ChangeKind::Absolute => format!("{:.4} points", judged.spread * 100.0),
        }
    );
    true
}
