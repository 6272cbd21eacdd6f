//! Metrics second by second within one run, for rules that must hold over time
//! (`sustained`): per-second latency, error rate and throughput from the stored windows, and
//! the target's samples.

use std::collections::BTreeMap;

use rigor_model::hist::Hist;
use rigor_model::threshold::{Metric, Stat};

use crate::data::{RunData, RunKind, WindowData};

/// The metric second by second (load runs), for `sustained` rules.
pub(crate) fn window_series(run: &RunData, metric: &str) -> Result<Vec<f64>, String> {
    if run.kind != RunKind::Load {
        return Err(format!(
            "`sustained` needs a per-second series; bench runs have none (metric `{metric}`)"
        ));
    }
    let parsed: Metric = metric.parse()?;
    let sampled = match parsed {
        Metric::Target(signal) => Some(signal.series()),
        _ => None,
    };
    if let Some(name) = sampled {
        let series = run.series(name);
        if series.is_empty() {
            return Err(format!(
                "`{metric}` has no samples in run {}: rigor samples the target when it starts it ([target] command in the plan) or is given --target-pid",
                run.id()
            ));
        }
        return Ok(series);
    }
    let stat = |h: &Option<Hist>, s: Stat| -> f64 {
        let Some(h) = h.as_ref().filter(|h| !h.is_empty()) else {
            return f64::NAN;
        };
        match s {
            Stat::Min => h.min() as f64,
            Stat::Max => h.max() as f64,
            Stat::Mean => h.mean(),
            Stat::Percentile(p) => h.value_at_quantile(p / 100.0) as f64,
        }
    };
    let mut series = Vec::new();
    each_second(run, |_, second| {
        series.push(match parsed {
            Metric::Latency(s) => stat(&second.corrected, s),
            Metric::RawLatency(s) => stat(&second.raw, s),
            Metric::ErrorRate => {
                if second.requests > 0 {
                    second.errors as f64 / second.requests as f64
                } else {
                    f64::NAN
                }
            }
            Metric::Throughput | Metric::Requests => second.requests as f64,
            Metric::Errors => second.errors as f64,
            _ => f64::NAN,
        });
    });
    Ok(series)
}

/// One second of a load run: its windows (one per phase it touches) merged.
pub(crate) struct Second {
    /// The phase that completed the most requests in the second (a second at a phase
    /// boundary holds windows of both).
    pub phase: String,
    pub requests: u64,
    pub errors: u64,
    pub corrected: Option<Hist>,
    pub raw: Option<Hist>,
}

/// Calls `f` with each second of the run that has windows, in second order, its windows
/// merged. One second's histograms are decoded at a time: an hour of them at once would
/// take gigabytes.
pub(crate) fn each_second(run: &RunData, mut f: impl FnMut(u32, Second)) {
    let mut by_second: BTreeMap<u32, Vec<&WindowData>> = BTreeMap::new();
    for w in run.windows(None) {
        by_second.entry(w.second).or_default().push(w);
    }
    for (second, windows) in by_second {
        let mut slot = Second {
            phase: String::new(),
            requests: 0,
            errors: 0,
            corrected: None,
            raw: None,
        };
        let mut most = None;
        for w in windows {
            if most.is_none_or(|m| w.requests > m) {
                most = Some(w.requests);
                slot.phase.clone_from(&w.phase);
            }
            slot.requests += w.requests;
            slot.errors += w.errors;
            merge(&mut slot.corrected, w.corrected());
            merge(&mut slot.raw, w.raw());
        }
        f(second, slot);
    }
}

/// Adds `from` into `into` (which takes it whole when empty).
pub(crate) fn merge(into: &mut Option<Hist>, from: Option<Hist>) {
    let Some(from) = from else { return };
    match into {
        // Both histograms have rigor's bounds; adding cannot fail.
        Some(h) => {
            let _ = h.add(&from);
        }
        None => *into = Some(from),
    }
}

/// The longest run of consecutive values for which `beyond` holds (NaN never counts).
pub(crate) fn longest_streak(series: &[f64], beyond: impl Fn(f64) -> bool) -> usize {
    let (mut best, mut current) = (0, 0);
    for &v in series {
        if !v.is_nan() && beyond(v) {
            current += 1;
            best = best.max(current);
        } else {
            current = 0;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streaks_count_consecutive_breaches_only() {
        let series = [1.0, 5.0, 6.0, f64::NAN, 7.0, 8.0, 9.0, 1.0];
        assert_eq!(longest_streak(&series, |v| v > 4.0), 3);
        assert_eq!(longest_streak(&[], |v| v > 4.0), 0);
    }
}
