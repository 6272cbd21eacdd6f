//! Metrics second by second within one run, for rules that must hold over time
//! (`sustained`): per-second latency, error rate and throughput from the stored windows, and
//! the target's samples.

use std::collections::BTreeMap;

use rigor_model::hist::Hist;
use rigor_model::metric::{Scope, Scraped};
use rigor_model::threshold::{Metric, Stat};

use crate::data::{RunData, RunKind, WindowData};

/// The metric second by second (load runs), for `sustained` and `occurrences` rules: within
/// one phase's seconds for a `{phase=...}` filter. A second of the target's samples belongs
/// to the phase that completed most requests in it.
pub(crate) fn window_series(
    run: &RunData,
    parsed: Metric,
    scope: &Scope,
) -> Result<Vec<(u32, f64)>, String> {
    if run.kind != RunKind::Load {
        return Err(format!(
            "`sustained` and `occurrences` need a per-second series; {} runs have none (metric `{parsed}`)", run.kind
        ));
    }
    let phase = match scope {
        Scope::Run => None,
        Scope::Phase(p) => Some(p.as_str()),
        Scope::Request(r) => {
            return Err(format!(
                "`{parsed}{{request=\"{r}\"}}`: a per-second judgement reads the whole run or one phase"
            ))
        }
    };
    let sampled = match parsed {
        Metric::Target(signal) => Some((signal.series().to_string(), 1.0)),
        Metric::Scraped(m) => {
            let prefix = rigor_model::metric::scraped::PREFIX;
            let names: std::collections::BTreeSet<&str> = run
                .samples
                .iter()
                .filter_map(|s| s.name.strip_prefix(prefix))
                .collect();
            let found = m.resolve(names.iter().copied())?.map(|(key, _)| key);
            let series = found.ok_or_else(|| {
                if names.is_empty() {
                    format!(
                        "`{parsed}` has no scrapes in run {}: rigor scrapes the target's metrics given [target.metrics] url in the plan or --target-metrics URL",
                        run.id()
                    )
                } else {
                    format!(
                        "`{parsed}`: run {} scraped no such series; it has {}",
                        run.id(),
                        names.iter().take(12).copied().collect::<Vec<_>>().join(", ")
                    )
                }
            })?;
            Some((Scraped::sample_name(&series), m.scale()))
        }
        _ => None,
    };
    if let Some((name, scale)) = sampled {
        let phases = phase.map(|_| phase_of_second(run));
        let mut kept: Vec<(u32, f64)> = run
            .samples
            .iter()
            .filter(|s| s.name == name)
            .filter(|s| match (&phases, phase) {
                (Some(of), Some(p)) => of.get(&s.second).is_some_and(|q| q == p),
                _ => true,
            })
            .map(|s| (s.second, s.value * scale))
            .collect();
        if kept.is_empty() && !matches!(parsed, Metric::Scraped(_)) {
            return Err(format!(
                "`{parsed}` has no samples in run {}{}: rigor samples the target when it starts it ([target] command in the plan) or is given --target-pid",
                run.id(),
                phase.map(|p| format!(" within phase `{p}`")).unwrap_or_default()
            ));
        }
        kept.sort_by_key(|(second, _)| *second);
        return Ok(kept);
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
    each_second(run, |at, second| {
        if phase.is_some_and(|p| second.phase != p) {
            return;
        }
        series.push((
            at,
            match parsed {
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
            },
        ));
    });
    Ok(series)
}

/// The phase of each second of a load run: the one that completed most requests in it.
pub(crate) fn phase_of_second(run: &RunData) -> BTreeMap<u32, String> {
    let mut most: BTreeMap<u32, (u64, &str)> = BTreeMap::new();
    for w in run.windows(None) {
        let slot = most.entry(w.second).or_insert((0, w.phase.as_str()));
        if w.requests > slot.0 {
            *slot = (w.requests, w.phase.as_str());
        }
    }
    most.into_iter()
        .map(|(second, (_, phase))| (second, phase.to_string()))
        .collect()
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

/// How many values `beyond` holds for (NaN never counts).
pub(crate) fn occurrences(series: &[(u32, f64)], beyond: impl Fn(f64) -> bool) -> usize {
    series
        .iter()
        .filter(|(_, v)| !v.is_nan() && beyond(*v))
        .count()
}

/// The longest time, in seconds, for which `beyond` held at every point in a row (NaN never
/// counts). A point stands for the interval up to the next: one second for the target's
/// samples and the windows, the scrape interval for the target's own metrics.
pub(crate) fn longest_streak(series: &[(u32, f64)], beyond: impl Fn(f64) -> bool) -> u32 {
    let step = series
        .windows(2)
        .map(|w| w[1].0.saturating_sub(w[0].0))
        .filter(|gap| *gap > 0)
        .min()
        .unwrap_or(1);
    let (mut best, mut start) = (0, None);
    for &(second, v) in series {
        if !v.is_nan() && beyond(v) {
            let from = *start.get_or_insert(second);
            best = best.max(second - from + step);
        } else {
            start = None;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streaks_count_consecutive_breaches_only() {
        let values = [1.0, 5.0, 6.0, f64::NAN, 7.0, 8.0, 9.0, 1.0];
        let series: Vec<(u32, f64)> = (0..).zip(values).collect();
        assert_eq!(longest_streak(&series, |v| v > 4.0), 3);
        assert_eq!(longest_streak(&[], |v| v > 4.0), 0);
        // Scraped every 15 s: four breaching scrapes in a row stand for a minute.
        let scraped: Vec<(u32, f64)> = (0..).step_by(15).zip([9.0, 9.0, 9.0, 9.0, 1.0]).collect();
        assert_eq!(longest_streak(&scraped, |v| v > 4.0), 60);
        assert_eq!(occurrences(&series, |v| v > 4.0), 5);
    }
}
