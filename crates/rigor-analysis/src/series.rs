//! Metrics second by second within one run, for rules that must hold over time
//! (`sustained`): per-second latency, error rate and throughput from the stored windows, and
//! the target's samples.

use std::collections::BTreeMap;

use rigor_model::threshold::{Metric, Stat};

use crate::data::{RunData, RunKind};

/// The metric second by second (load runs), for `sustained` rules.
pub(crate) fn window_series(run: &RunData, metric: &str) -> Result<Vec<f64>, String> {
    if run.kind != RunKind::Load {
        return Err(format!(
            "`sustained` needs a per-second series; bench runs have none (metric `{metric}`)"
        ));
    }
    let parsed: Metric = metric.parse()?;
    let sampled = match parsed {
        Metric::TargetCpu(_) => Some("target.cpu"),
        Metric::TargetRss(_) => Some("target.rss"),
        Metric::TargetThreads => Some("target.threads"),
        Metric::TargetFds => Some("target.fds"),
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
    let windows = run.windows(None);
    let mut by_second: BTreeMap<u32, (u64, u64, Option<rigor_model::hist::Hist>)> = BTreeMap::new();
    for w in windows {
        let slot = by_second.entry(w.second).or_insert((0, 0, None));
        slot.0 += w.requests;
        slot.1 += w.errors;
        let hist = match parsed {
            Metric::RawLatency(_) => w.raw.as_ref(),
            _ => w.corrected.as_ref(),
        };
        if let Some(h) = hist {
            match &mut slot.2 {
                Some(acc) => {
                    let _ = acc.add(h);
                }
                None => slot.2 = Some(h.clone()),
            }
        }
    }
    let stat = |h: &Option<rigor_model::hist::Hist>, s: Stat| -> f64 {
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
    Ok(by_second
        .values()
        .map(|(requests, errors, hist)| match parsed {
            Metric::Latency(s) | Metric::RawLatency(s) => stat(hist, s),
            Metric::ErrorRate => {
                if *requests > 0 {
                    *errors as f64 / *requests as f64
                } else {
                    f64::NAN
                }
            }
            Metric::Throughput | Metric::Requests => *requests as f64,
            Metric::Errors => *errors as f64,
            _ => f64::NAN,
        })
        .collect())
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
