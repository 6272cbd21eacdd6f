//! Comparing two load runs: latency by block bootstrap over one-second windows, throughput
//! over whole seconds, the error rate as two proportions.

use std::collections::BTreeMap;

use rigor_model::metric::Scope;
use rigor_stats::{compare as bootstrap, two_proportions, Sample, Statistic};

use super::{noise_for, CompareSettings, Pending, MIN_TAIL};
use crate::data::{RunData, RunKind};
use crate::metrics::{info, MetricInfo, LOAD_METRICS};
use crate::output::ChangeKind;

/// Load metrics: latency by block bootstrap over the windows, throughput over whole seconds,
/// the error rate by two proportions.
pub(super) fn compare_load(
    a: &RunData,
    b: &RunData,
    s: &CompareSettings,
    out: &mut Vec<Pending>,
    warnings: &mut Vec<String>,
) {
    let phase = s.phase.as_deref();
    let (wa, wb) = (a.windows(phase), b.windows(phase));
    let (ca, cb) = (
        latency_windows(&wa, Latency::Corrected),
        latency_windows(&wb, Latency::Corrected),
    );
    let (ra, rb) = (
        latency_windows(&wa, Latency::Raw),
        latency_windows(&wb, Latency::Raw),
    );
    // Journeys' metrics, when both runs walked one: compared as the requests' are.
    let journeys = |w: &[&crate::data::WindowData]| w.iter().any(|w| w.journeys.is_some());
    let both_journeys = journeys(&wa) && journeys(&wb);
    if journeys(&wa) != journeys(&wb) {
        let (walked, other) = if journeys(&wa) { (a, b) } else { (b, a) };
        warnings.push(format!(
            "journey metrics are not compared: run {} walked a journey and run {} did not",
            walked.id(),
            other.id()
        ));
    }
    let (ja, jb) = if both_journeys {
        (
            latency_windows(&wa, Latency::Journey),
            latency_windows(&wb, Latency::Journey),
        )
    } else {
        (Vec::new(), Vec::new())
    };
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
        if metric.starts_with("journey") && !both_journeys {
            continue;
        }
        let compared = match *metric {
            "throughput" => compare_throughput(metric, &info, (a, b), (&wa, &wb), s),
            "error_rate" => compare_error_rate(metric, &info, (&wa, &wb), s, Counted::Requests),
            "journey.failure_rate" => {
                compare_error_rate(metric, &info, (&wa, &wb), s, Counted::Journeys)
            }
            _ => match latency_statistic(metric) {
                Some((Latency::Corrected, statistic)) => {
                    compare_latency(metric, &info, statistic, (&ca, &cb), s, warnings)
                }
                Some((Latency::Raw, statistic)) => {
                    compare_latency(metric, &info, statistic, (&ra, &rb), s, warnings)
                }
                Some((Latency::Journey, statistic)) => {
                    compare_latency(metric, &info, statistic, (&ja, &jb), s, warnings)
                }
                None => None,
            },
        };
        out.extend(compared);
    }
    compare_signals(a, b, s, out, warnings);
    super::memory::compare_peak_memory(a, b, s, &phase_scope(s), out);
}

/// The target's signals both runs sampled, compared by seconds: CPU, context switches.
const SIGNALS: &[&str] = &[
    "target.cpu",
    "target.cpu.p95",
    "target.cpu.user",
    "target.cpu.system",
    "target.ctx_switches.rate",
];

/// Scraped series compared at most: more would bury the comparison (name fewer in
/// `[target.metrics] select`).
const MAX_SCRAPED: usize = 50;

/// The target's sampled signals and its own scraped series (their means), each by a
/// bootstrap over the two runs' seconds; only what both runs have.
fn compare_signals(
    a: &RunData,
    b: &RunData,
    s: &CompareSettings,
    out: &mut Vec<Pending>,
    warnings: &mut Vec<String>,
) {
    let scope = phase_scope(s);
    let prefix = rigor_model::metric::scraped::PREFIX;
    let scraped = |r: &RunData| -> std::collections::BTreeSet<String> {
        r.samples
            .iter()
            .filter_map(|x| x.name.strip_prefix(prefix))
            .map(str::to_string)
            .collect()
    };
    let common: Vec<String> = scraped(a).intersection(&scraped(b)).cloned().collect();
    if common.len() > MAX_SCRAPED {
        warnings.push(format!(
            "the target's metrics have {} series in both runs; the first {MAX_SCRAPED} are compared: name fewer in [target.metrics] select",
            common.len()
        ));
    }
    let names = SIGNALS.iter().map(|n| n.to_string()).chain(
        common
            .iter()
            .take(MAX_SCRAPED)
            .map(|series| format!("{prefix}{series}")),
    );
    for name in names {
        let Ok(metric) = name.parse::<rigor_model::metric::Metric>() else {
            continue;
        };
        let series = |r: &RunData| -> Vec<f64> {
            crate::series::window_series(r, metric, &scope)
                .map(|v| {
                    v.into_iter()
                        .map(|(_, x)| x)
                        .filter(|x| x.is_finite())
                        .collect()
                })
                .unwrap_or_default()
        };
        let (xa, xb) = (series(a), series(b));
        if xa.len() < 2 || xb.len() < 2 {
            continue;
        }
        let statistic = match metric {
            rigor_model::metric::Metric::Target(rigor_model::metric::Signal::Cpu(
                rigor_model::metric::Stat::Percentile(p),
            )) => Statistic::Quantile(p / 100.0),
            _ => Statistic::Mean,
        };
        let Ok(c) = bootstrap(
            &Sample::Values(&xa),
            &Sample::Values(&xb),
            statistic,
            &s.bootstrap,
        ) else {
            continue;
        };
        let Some(change) = c.relative_change else {
            // Zero in the baseline: no change relative to it means anything. Said, not
            // dropped in silence.
            warnings.push(format!(
                "`{metric}` is {} in the baseline (over {} seconds) and {} in the candidate: no relative change to judge, so it is not compared",
                metric.format_value(c.baseline.estimate),
                xa.len(),
                metric.format_value(c.candidate.estimate)
            ));
            continue;
        };
        out.push(Pending {
            history_only: false,
            untested: false,
            by_overlap: false,
            metric: metric.to_string(),
            measure: metric,
            scope: scope.clone(),
            unit: metric.unit(),
            direction: crate::metrics::stats_direction(metric.direction()),
            baseline: c.baseline.estimate,
            candidate: c.candidate.estimate,
            change_kind: ChangeKind::Relative,
            change,
            p_value: c.p_value,
            noise: noise_for(s, &name),
            method: format!(
                "bootstrap of the {} over {} and {} sampled seconds",
                if statistic == Statistic::Mean {
                    "mean"
                } else {
                    "percentile"
                },
                xa.len(),
                xb.len()
            ),
        });
    }
}

/// Where a load metric is read in a whole run: the phase compared, or all of it.
fn phase_scope(s: &CompareSettings) -> Scope {
    match &s.phase {
        Some(p) => Scope::Phase(p.clone()),
        None => Scope::Run,
    }
}

/// Which of a window's latency histograms a metric reads.
#[derive(Clone, Copy)]
enum Latency {
    Corrected,
    Raw,
    /// The durations of a journey's completed walks.
    Journey,
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
        "journey.duration.p50" => (Latency::Journey, Statistic::MEDIAN),
        "journey.duration.p95" => (Latency::Journey, Statistic::P95),
        "journey.duration.p99" => (Latency::Journey, Statistic::P99),
        "journey.duration.mean" => (Latency::Journey, Statistic::Mean),
        _ => return None,
    })
}

/// The windows' non-empty histograms of one kind as their recorded `(value, count)` pairs:
/// the blocks the bootstrap resamples. Each window is decoded, read and dropped in turn, so
/// an hour of windows costs kilobytes each, not a whole histogram's range.
fn latency_windows(windows: &[&crate::data::WindowData], latency: Latency) -> Vec<Counts> {
    windows
        .iter()
        .filter_map(|w| match latency {
            Latency::Raw => w.raw(),
            Latency::Corrected => w.corrected(),
            Latency::Journey => w.journey_duration(),
        })
        .filter(|h| !h.is_empty())
        .map(|h| {
            h.iter_recorded()
                .map(|b| (b.value_iterated_to(), b.count_at_value()))
                .collect()
        })
        .collect()
}

/// One window's latency as `(value, count)` pairs, ascending.
type Counts = Vec<(u64, u64)>;

/// A latency statistic by block bootstrap over the one-second histograms of each run.
fn compare_latency(
    metric: &str,
    info: &MetricInfo,
    statistic: Statistic,
    (windows_a, windows_b): (&[Counts], &[Counts]),
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
        &Sample::WindowCounts(windows_a),
        &Sample::WindowCounts(windows_b),
        statistic,
        &s.bootstrap,
    )
    .ok()?;
    let change = c.relative_change?;
    Some(Pending {
        history_only: false,
        untested: false,
        by_overlap: false,
        metric: metric.to_string(),
        measure: info.metric,
        scope: phase_scope(s),
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
fn thin_tail(metric: &str, statistic: Statistic, a: &[Counts], b: &[Counts]) -> Option<String> {
    let Statistic::Quantile(q) = statistic else {
        return None;
    };
    let count = |w: &[Counts]| w.iter().flatten().map(|(_, n)| n).sum::<u64>();
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
/// Throughput as each run's summary states it (completions over the active time of the run or
/// the phase compared), so the comparison and the runs agree; its interval's width comes from
/// a bootstrap of the mean over whole seconds, which see how much the rate varied second to
/// second (a ramp varies a lot, and its interval says so).
fn compare_throughput(
    metric: &str,
    info: &MetricInfo,
    (a, b): (&RunData, &RunData),
    (wa, wb): (&[&crate::data::WindowData], &[&crate::data::WindowData]),
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
    let by_seconds = c.relative_change?;
    let scope = phase_scope(s);
    let stated = |r: &RunData| {
        crate::metrics::value(r, info.metric, &scope)
            .ok()
            .flatten()
            .filter(|v| *v > 0.0)
    };
    let (ta, tb) = (stated(a)?, stated(b)?);
    let estimate = tb / ta - 1.0;
    let change = rigor_stats::Interval {
        estimate,
        lower: estimate + (by_seconds.lower - by_seconds.estimate),
        upper: estimate + (by_seconds.upper - by_seconds.estimate),
    };
    Some(Pending {
        history_only: false,
        untested: false,
        by_overlap: false,
        metric: metric.to_string(),
        measure: info.metric,
        scope: phase_scope(s),
        unit: info.unit,
        direction: info.direction,
        baseline: ta,
        candidate: tb,
        change_kind: ChangeKind::Relative,
        change,
        p_value: c.p_value,
        noise: noise_for(s, metric),
        method: format!(
            "the runs' stated throughputs; interval and p-value by a bootstrap of the mean over {} and {} whole seconds",
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

/// What a failure rate counts: requests (failed over all), or a journey's walks (failed over
/// those that ended).
#[derive(Clone, Copy)]
enum Counted {
    Requests,
    Journeys,
}

/// A failure rate by the two-proportion test over all requests (or walks); its noise is
/// absolute.
fn compare_error_rate(
    metric: &str,
    info: &MetricInfo,
    (wa, wb): (&[&crate::data::WindowData], &[&crate::data::WindowData]),
    s: &CompareSettings,
    counted: Counted,
) -> Option<Pending> {
    let total = |w: &[&crate::data::WindowData]| {
        w.iter().fold((0u64, 0u64), |(e, r), w| match counted {
            Counted::Requests => (e + w.errors, r + w.requests),
            Counted::Journeys => w
                .journeys
                .as_ref()
                .map_or((e, r), |j| (e + j.failed(), r + j.completed + j.failed())),
        })
    };
    let ((ea, na), (eb, nb)) = (total(wa), total(wb));
    if na == 0 || nb == 0 {
        return None;
    }
    let c = two_proportions(ea, na, eb, nb, s.bootstrap.confidence).ok()?;
    Some(Pending {
        history_only: false,
        untested: false,
        by_overlap: false,
        metric: metric.to_string(),
        measure: info.metric,
        scope: phase_scope(s),
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
