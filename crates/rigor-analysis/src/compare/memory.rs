//! The target's peak memory between two load runs. A run has one peak resident set size (its
//! highest once-a-second sample), so there is no within-run spread to bootstrap and no
//! interval narrower than the change itself: the peaks are compared against a memory noise
//! band (5 %, as allocators keep slack and a thread stack more or less moves it) and a floor
//! (1 MiB), and said so. With five or more earlier runs of the baseline the spread between
//! their peaks judges it instead ([`super::between`]), as for every metric.

use rigor_stats::Interval;

use super::{CompareSettings, Pending};
use crate::data::RunData;
use crate::metrics::value;
use crate::output::ChangeKind;

/// The least relative change in peak memory that is not noise, unless the user sets
/// `target.rss`'s own band.
pub const MEMORY_NOISE: f64 = 0.05;

/// The least absolute change in peak memory that counts: a page table and a few buffers.
pub const MEMORY_FLOOR_BYTES: f64 = 1024.0 * 1024.0;

/// `target.rss`, peak against peak, when both runs sampled the target.
pub(super) fn compare_peak_memory(
    a: &RunData,
    b: &RunData,
    s: &CompareSettings,
    scope: &rigor_model::metric::Scope,
    out: &mut Vec<Pending>,
) {
    let Ok(metric) = "target.rss".parse::<rigor_model::metric::Metric>() else {
        return;
    };
    let read = |r: &RunData| value(r, metric, scope).ok().flatten();
    let (Some(pa), Some(pb)) = (read(a), read(b)) else {
        return;
    };
    if pa <= 0.0 {
        return;
    }
    let noise = s
        .noise_by_metric
        .get("target.rss")
        .copied()
        .unwrap_or(MEMORY_NOISE.max(s.noise));
    let change = (pb - pa) / pa;
    let beyond = change.abs() > noise && (pb - pa).abs() >= MEMORY_FLOOR_BYTES;
    out.push(Pending {
        history_only: false,
        untested: false,
        by_overlap: false,
        metric: metric.to_string(),
        measure: metric,
        scope: scope.clone(),
        unit: metric.unit(),
        direction: crate::metrics::stats_direction(metric.direction()),
        baseline: pa,
        candidate: pb,
        change_kind: ChangeKind::Relative,
        change: Interval {
            estimate: change,
            lower: change,
            upper: change,
        },
        // Not a test's p-value: the peaks are single figures, so what is beyond the band and
        // the floor is a change, and what is within them is not.
        p_value: if beyond { 0.0 } else { 1.0 },
        noise,
        method: format!(
            "peak against peak (one figure a run): beyond the {:.0} % memory band and the 1 MiB floor or not",
            noise * 100.0
        ),
    });
}
