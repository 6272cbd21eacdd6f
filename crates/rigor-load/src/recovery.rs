//! Resilience after a spike: how long after a spike phase ends the service's latency (p95 of
//! each second) and error rate come back to within a tolerance of their level in the phase
//! before it, and stay there for [`HOLD_SECONDS`] seconds in a row.
//!
//! The level before is the median of the previous phase's per-second p95s (robust to a slow
//! second or two), and its error rate over the whole phase. Seconds are the run's one-second
//! windows, all phases together; a second counts only if it completed requests, so an idle
//! second neither recovers nor breaks a run of recovered ones.

use std::time::Duration;

use rigor_model::output::Recovery;
use rigor_model::plan::{Phase, PhaseKind};

use crate::result::PhaseResult;
use crate::SecondLevel;

/// How many seconds in a row must be back within the tolerance to call the service recovered.
pub const HOLD_SECONDS: u32 = 3;

/// How far above its error rate before the spike a second's may be and count as back.
pub const ERROR_RATE_SLACK: f64 = 0.01;

/// The recovery after each spike phase of the run.
pub fn recoveries(
    planned: &[Phase],
    timeline: &[PhaseResult],
    seconds: &[SecondLevel],
    run_end: Duration,
) -> Vec<Recovery> {
    let mut out = Vec::new();
    for (i, phase) in planned.iter().enumerate() {
        if phase.kind != PhaseKind::Spike || i == 0 {
            continue;
        }
        let (Some(spike), Some(before)) = (timeline.get(i), timeline.get(i - 1)) else {
            continue;
        };
        let tolerance = phase
            .tolerance
            .unwrap_or(rigor_model::plan::DEFAULT_RECOVERY_TOLERANCE);
        // The aftermath of this spike lasts until the next one starts.
        let until = planned
            .iter()
            .zip(timeline)
            .skip(i + 1)
            .find(|(p, _)| p.kind == PhaseKind::Spike)
            .map_or(run_end, |(_, t)| t.start);
        out.push(recovery(spike, before, tolerance, seconds, until));
    }
    out
}

/// The recovery after `spike`, watched until `run_end` (the run's end, or the next spike's
/// start).
fn recovery(
    spike: &PhaseResult,
    before: &PhaseResult,
    tolerance: f64,
    seconds: &[SecondLevel],
    run_end: Duration,
) -> Recovery {
    let mut r = Recovery {
        phase: spike.name.clone(),
        before: before.name.clone(),
        tolerance,
        hold_s: HOLD_SECONDS,
        observed_ns: run_end.saturating_sub(spike.end).as_nanos() as u64,
        ..Recovery::default()
    };
    // The seconds wholly inside a span, with responses.
    let within = |from: Duration, to: Duration| {
        let first = from.as_secs_f64().ceil() as u32;
        let last = to.as_secs_f64().floor() as u32; // exclusive
        seconds
            .iter()
            .filter(move |s| s.second >= first && s.second < last && s.requests > 0)
    };
    let level: Vec<&SecondLevel> = within(before.start, before.end).collect();
    let mut p95s: Vec<u64> = level
        .iter()
        .filter(|s| s.p95_ns > 0)
        .map(|s| s.p95_ns)
        .collect();
    if p95s.is_empty() {
        r.note = Some(format!(
            "the phase before the spike (`{}`) has no whole second with responses to take the level from: lengthen it to a few seconds",
            before.name
        ));
        return r;
    }
    p95s.sort_unstable();
    r.before_p95_ns = p95s[p95s.len() / 2];
    let (requests, errors) = level
        .iter()
        .fold((0, 0), |(n, e), s| (n + s.requests, e + s.errors));
    r.before_error_rate = errors as f64 / requests as f64;
    r.peak_p95_ns = seconds
        .iter()
        .filter(|s| {
            f64::from(s.second) + 1.0 > spike.start.as_secs_f64()
                && f64::from(s.second) < run_end.as_secs_f64()
        })
        .map(|s| s.p95_ns)
        .max()
        .unwrap_or(0);
    let p95_limit = r.before_p95_ns as f64 * (1.0 + tolerance);
    let error_limit = r.before_error_rate + ERROR_RATE_SLACK;
    // Whole seconds only: the last, partly after the run, holds the drain's stragglers.
    let after: Vec<&SecondLevel> = within(spike.end, run_end).collect();
    let back = |ok: &dyn Fn(&SecondLevel) -> bool| -> Option<u64> {
        let mut streak: Option<(u32, u32)> = None; // (first second, length)
        for s in &after {
            streak = if ok(s) {
                Some(streak.map_or((s.second, 1), |(first, n)| (first, n + 1)))
            } else {
                None
            };
            if let Some((first, n)) = streak {
                if n >= HOLD_SECONDS {
                    let at = Duration::from_secs(u64::from(first));
                    return Some(at.saturating_sub(spike.end).as_nanos() as u64);
                }
            }
        }
        None
    };
    let error_rate = |s: &SecondLevel| s.errors as f64 / s.requests as f64;
    r.p95_recovered_ns = back(&|s| s.p95_ns > 0 && s.p95_ns as f64 <= p95_limit);
    r.errors_recovered_ns = back(&|s| error_rate(s) <= error_limit);
    r.recovered_ns =
        back(&|s| s.p95_ns > 0 && s.p95_ns as f64 <= p95_limit && error_rate(s) <= error_limit);
    if after.is_empty() {
        r.note = Some(format!(
            "nothing was measured after the spike: add a phase after `{}` to see the service recover",
            spike.name
        ));
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phase(name: &str, start: u64, end: u64) -> PhaseResult {
        PhaseResult {
            name: name.into(),
            start: Duration::from_secs(start),
            end: Duration::from_secs(end),
        }
    }

    /// Seconds 0.. with the given p95 in ms and error count out of 100 requests.
    fn seconds(levels: &[(u64, u64)]) -> Vec<SecondLevel> {
        levels
            .iter()
            .enumerate()
            .map(|(i, &(ms, errors))| SecondLevel {
                second: i as u32,
                requests: 100,
                errors,
                p95_ns: ms * 1_000_000,
            })
            .collect()
    }

    #[test]
    fn recovery_is_the_first_of_three_seconds_back_within_the_tolerance() {
        // steady 0–5 s at 10 ms; spike 5–8 s; after it p95 falls back over four seconds, one
        // good second (at 10) alone does not count, errors settle a second earlier.
        let s = seconds(&[
            (10, 0),
            (11, 0),
            (10, 0),
            (9, 1),
            (10, 0),
            (80, 20),
            (120, 30),
            (150, 40),
            (90, 10),
            (40, 0),
            (11, 0),
            (30, 0),
            (12, 0),
            (11, 0),
            (10, 0),
            (10, 0),
        ]);
        let timeline = [
            phase("steady", 0, 5),
            phase("spike", 5, 8),
            phase("after", 8, 16),
        ];
        let r = recovery(&timeline[1], &timeline[0], 0.2, &s, Duration::from_secs(16));
        assert_eq!(r.before_p95_ns, 10_000_000);
        assert!((r.before_error_rate - 0.002).abs() < 1e-12);
        assert_eq!(r.peak_p95_ns, 150_000_000);
        // p95: seconds 12, 13, 14 are the first three in a row at or below 12 ms: 4 s after 8.
        assert_eq!(r.p95_recovered_ns, Some(4_000_000_000));
        // Errors: at most 1.2 % from second 9 on (second 8 has 10 %): 1 s after the spike.
        assert_eq!(r.errors_recovered_ns, Some(1_000_000_000));
        assert_eq!(r.recovered_ns, Some(4_000_000_000));
        assert_eq!(r.observed_ns, 8_000_000_000);
        assert!(r.note.is_none());
    }

    #[test]
    fn a_service_that_never_comes_back_has_no_recovery_time() {
        let s = seconds(&[
            (10, 0),
            (10, 0),
            (10, 0),
            (200, 50),
            (200, 50),
            (40, 0),
            (35, 0),
        ]);
        let timeline = [
            phase("steady", 0, 3),
            phase("spike", 3, 5),
            phase("after", 5, 7),
        ];
        let r = recovery(&timeline[1], &timeline[0], 0.2, &s, Duration::from_secs(7));
        assert_eq!(r.p95_recovered_ns, None);
        assert_eq!(r.recovered_ns, None);
        // Its errors did come back, but two seconds are not three in a row.
        assert_eq!(r.errors_recovered_ns, None);
        let wide = recovery(&timeline[1], &timeline[0], 3.0, &s, Duration::from_secs(7));
        assert_eq!(wide.recovered_ns, None, "two good seconds are not enough");
    }

    #[test]
    fn each_spike_is_watched_until_the_next_one() {
        use rigor_model::plan::{Phase, PhaseLoad};
        use rigor_model::units::Rate;
        let phase_of = |name: &str, kind| Phase {
            name: name.into(),
            kind,
            duration: None,
            iterations: None,
            load: PhaseLoad::Open {
                start: Rate::per_second(1.0),
                end: Rate::per_second(1.0),
            },
            tolerance: None,
        };
        let planned = [
            phase_of("steady", PhaseKind::Steady),
            phase_of("spike", PhaseKind::Spike),
            phase_of("calm", PhaseKind::Steady),
            phase_of("spike-2", PhaseKind::Spike),
            phase_of("after", PhaseKind::Steady),
        ];
        let timeline = [
            phase("steady", 0, 3),
            phase("spike", 3, 4),
            phase("calm", 4, 8),
            phase("spike-2", 8, 9),
            phase("after", 9, 13),
        ];
        // The first spike peaks at 50 ms, the second at 400 ms.
        let s = seconds(&[
            (10, 0),
            (10, 0),
            (10, 0),
            (50, 0),
            (10, 0),
            (10, 0),
            (10, 0),
            (10, 0),
            (400, 0),
            (10, 0),
            (10, 0),
            (10, 0),
            (10, 0),
        ]);
        let r = recoveries(&planned, &timeline, &s, Duration::from_secs(13));
        assert_eq!(r.len(), 2);
        assert_eq!(
            r[0].peak_p95_ns, 50_000_000,
            "the second spike is not the first's"
        );
        assert_eq!(
            r[0].observed_ns, 4_000_000_000,
            "watched until the next spike"
        );
        assert_eq!(r[0].recovered_ns, Some(0));
        assert_eq!(r[1].peak_p95_ns, 400_000_000);
        assert_eq!(r[1].recovered_ns, Some(0));
    }

    #[test]
    fn a_spike_at_the_end_says_nothing_was_measured_after_it() {
        let s = seconds(&[(10, 0), (10, 0), (10, 0), (90, 0), (90, 0)]);
        let timeline = [phase("steady", 0, 3), phase("spike", 3, 5)];
        let r = recovery(&timeline[1], &timeline[0], 0.2, &s, Duration::from_secs(5));
        assert_eq!(r.recovered_ns, None);
        assert!(
            r.note.as_deref().unwrap().contains("add a phase after"),
            "{r:?}"
        );
    }

    #[test]
    fn a_service_unaffected_by_the_spike_recovers_at_once() {
        let s = seconds(&[(10, 0); 12]);
        let timeline = [
            phase("steady", 0, 4),
            phase("spike", 4, 6),
            phase("after", 6, 12),
        ];
        let r = recovery(&timeline[1], &timeline[0], 0.2, &s, Duration::from_secs(12));
        assert_eq!(r.recovered_ns, Some(0));
    }
}
