//! Leak detection over a run's samples of the target: after the warm-up, whether its memory,
//! open files and threads kept growing (rigor-stats' robust [`growth`]), by how much an hour,
//! and when the memory would reach its limit.

use std::collections::BTreeMap;

use rigor_model::output::TrendFigures;
use rigor_model::units::{format_duration, three_figures, Bytes};
use rigor_probe::SecondSample;
use rigor_stats::trend::{growth, Why};

/// Growth per hour below which nothing is called a leak: a mebibyte of memory, ten files or
/// threads (what a slow leak shows within a working day).
pub const RSS_THRESHOLD_PER_HOUR: f64 = 1024.0 * 1024.0;
pub const COUNT_THRESHOLD_PER_HOUR: f64 = 10.0;

/// The seconds a warm-up takes of a run without phases of its own: a fifth, at most 5 min.
const WARM_SHARE: f64 = 0.2;
const WARM_MAX: u32 = 300;

/// Where the memory limit comes from: the plan's `[target] memory_limit`, else the target's
/// control group.
#[derive(Debug, Clone, Default)]
pub struct Limits {
    pub memory: Option<(u64, String)>,
}

/// The trends of RSS, open files and threads after the warm-up. The warm-up is the first
/// phase when the scenario has more than one, else the first fifth of the run (at most 5
/// minutes). Too few seconds after it judge nothing (no trend is listed).
pub(crate) fn trends(
    samples: &[SecondSample],
    phase_of_second: &BTreeMap<u32, String>,
    phases: &[String],
    limits: &Limits,
) -> Vec<TrendFigures> {
    let warm = phases.first().filter(|_| phases.len() > 1);
    let judged: Vec<&SecondSample> = match warm {
        Some(first) => {
            let warm_end = phase_of_second
                .iter()
                .filter(|(_, p)| *p == first)
                .map(|(s, _)| *s)
                .max();
            samples
                .iter()
                .filter(|s| warm_end.is_none_or(|end| s.second > end))
                .collect()
        }
        None => {
            let skip = ((samples.len() as f64 * WARM_SHARE) as u32).min(WARM_MAX);
            samples.iter().skip(skip as usize).collect()
        }
    };
    let x: Vec<f64> = judged.iter().map(|s| f64::from(s.second)).collect();
    let series: [(&str, Vec<f64>, f64); 3] = [
        (
            "target.rss",
            judged.iter().map(|s| s.rss_bytes as f64).collect(),
            RSS_THRESHOLD_PER_HOUR,
        ),
        (
            "target.fds",
            judged.iter().map(|s| f64::from(s.fds)).collect(),
            COUNT_THRESHOLD_PER_HOUR,
        ),
        (
            "target.threads",
            judged.iter().map(|s| f64::from(s.threads)).collect(),
            COUNT_THRESHOLD_PER_HOUR,
        ),
    ];
    series
        .into_iter()
        .filter_map(|(name, y, per_hour)| {
            let g = growth(&x, &y, per_hour / 3600.0)?;
            let memory = name == "target.rss";
            let per_hour_text = |per_s: f64| {
                if memory {
                    let sign = if per_s < 0.0 { "-" } else { "" };
                    format!("{sign}{}/h", Bytes((per_s.abs() * 3600.0) as u64))
                } else {
                    format!("{}/h", three_figures(per_s * 3600.0))
                }
            };
            let t = g.trend;
            let slope = format!(
                "{} ({} … {})",
                per_hour_text(t.slope),
                per_hour_text(t.lower),
                per_hour_text(t.upper)
            );
            let mut verdict = match g.why {
                Why::Grows => format!("leaking: grew {slope} through the run after its warm-up"),
                Why::NotBeyondNoise => format!("not leaking: {slope}, an interval that reaches 0"),
                Why::BelowThreshold => format!(
                    "not leaking: grew {slope}, below the {} that is called a leak",
                    per_hour_text(per_hour / 3600.0)
                ),
                Why::OneHalfOnly => format!(
                    "not leaking: {slope} overall, but {} then {}: a step (a cache filled, a pool grown), not steady growth",
                    per_hour_text(g.first_half),
                    per_hour_text(g.second_half)
                ),
                Why::NotSteady => format!(
                    "not leaking: {slope} overall, but each half climbs far faster ({} and {}): it rises and falls (a collector's sawtooth)",
                    per_hour_text(g.first_half),
                    per_hour_text(g.second_half)
                ),
            };
            let (limit_bytes, limit_source) = match (&limits.memory, memory) {
                (Some((bytes, source)), true) => (Some(*bytes), Some(source.clone())),
                _ => (None, None),
            };
            let last = y.last().copied().unwrap_or_default();
            let time_to_limit_s = limit_bytes
                .filter(|_| g.growing && t.slope > 0.0)
                .map(|limit| ((limit as f64 - last) / t.slope).max(0.0));
            if let (Some(s), Some(limit)) = (time_to_limit_s, limit_bytes) {
                verdict.push_str(&format!(
                    "; at this pace it reaches {} in {}",
                    Bytes(limit),
                    format_duration(std::time::Duration::from_secs_f64(s.min(1e12)))
                ));
            }
            Some(TrendFigures {
                series: name.to_string(),
                from_second: judged.first().map_or(0, |s| s.second),
                seconds: x.len() as u32,
                slope_per_s: t.slope,
                lower_per_s: t.lower,
                upper_per_s: t.upper,
                first_half_per_s: g.first_half,
                second_half_per_s: g.second_half,
                threshold_per_hour: per_hour,
                leaking: g.growing,
                verdict,
                limit_bytes,
                limit_source,
                time_to_limit_s,
            })
        })
        .collect()
}
