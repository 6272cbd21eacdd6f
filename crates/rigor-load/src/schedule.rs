//! The load schedule as data: when each arrival is due (open model) and how many users are
//! active (closed model). Pure functions of the plan, so they are tested exactly.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rigor_model::plan::{Phase, PhaseLoad};

/// One open-model phase on the run's timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenPhase {
    /// When the phase starts, from the start of the run.
    pub offset: Duration,
    pub duration: Duration,
    start_rate: f64,
    end_rate: f64,
    /// Length over which the rate goes from `start_rate` to `end_rate` (the planned duration,
    /// which an iteration bound may cut short).
    ramp: f64,
    /// Arrivals due in this phase.
    pub arrivals: u64,
    /// Each arrival's due time from the start of the phase, when they are given rather than
    /// spaced by the rate (a log replayed at its own timing).
    pub times: Option<std::sync::Arc<Vec<Duration>>>,
}

impl OpenPhase {
    /// Arrival `k`'s due time from the start of the phase: the time at which the integral of
    /// the (linear) rate reaches `k`, so arrivals are evenly spaced at a constant rate and
    /// follow the ramp exactly otherwise.
    pub fn due(&self, k: u64) -> Duration {
        if let Some(times) = &self.times {
            return times
                .get(k as usize)
                .or(times.last())
                .copied()
                .unwrap_or_default();
        }
        let k = k as f64;
        let (r0, r1) = (self.start_rate, self.end_rate);
        let seconds = if (r1 - r0).abs() < 1e-12 || self.ramp <= 0.0 {
            if r0 > 0.0 {
                k / r0
            } else {
                0.0
            }
        } else {
            // N(t) = r0 t + a t², a = (r1 - r0) / (2 D); solve N(t) = k.
            let a = (r1 - r0) / (2.0 * self.ramp);
            let discriminant = (r0 * r0 + 4.0 * a * k).max(0.0);
            (discriminant.sqrt() - r0) / (2.0 * a)
        };
        Duration::from_secs_f64(seconds.max(0.0))
    }

    /// The arrival rate at `elapsed` into the phase.
    pub fn rate_at(&self, elapsed: Duration) -> f64 {
        if self.ramp <= 0.0 {
            return self.start_rate;
        }
        let f = (elapsed.as_secs_f64() / self.ramp).clamp(0.0, 1.0);
        self.start_rate + (self.end_rate - self.start_rate) * f
    }
}

/// Expected arrivals in `[0, t)` for a rate going linearly from `r0` to `r1` over `ramp`.
fn cumulative(r0: f64, r1: f64, ramp: f64, t: f64) -> f64 {
    if ramp <= 0.0 {
        return r0 * t;
    }
    r0 * t + (r1 - r0) * t * t / (2.0 * ramp)
}

/// The whole open-model timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenSchedule {
    pub phases: Vec<OpenPhase>,
}

impl OpenSchedule {
    /// Lays the phases end to end. A phase ends at its duration or once its `iterations` are
    /// due, whichever is first; `request_limit` caps the arrivals of the whole run.
    pub fn new(phases: &[Phase], request_limit: Option<u64>) -> OpenSchedule {
        let mut offset = Duration::ZERO;
        let mut remaining = request_limit.unwrap_or(u64::MAX);
        let mut out = Vec::with_capacity(phases.len());
        for phase in phases {
            let PhaseLoad::Open { start, end } = phase.load else {
                continue;
            };
            let (r0, r1) = (start.as_per_second(), end.as_per_second());
            let planned = phase.duration.map(|d| d.as_secs_f64());
            let mut arrivals = match planned {
                // Arrival k is in the phase iff N(k) < D's count, i.e. k < N(D).
                Some(d) => (cumulative(r0, r1, d, d) - 1e-9).ceil().max(0.0) as u64,
                None => u64::MAX,
            };
            if let Some(n) = phase.iterations {
                arrivals = arrivals.min(n);
            }
            arrivals = arrivals.min(remaining);
            remaining -= arrivals;
            let mut open = OpenPhase {
                offset,
                duration: Duration::ZERO,
                start_rate: r0,
                end_rate: r1,
                ramp: planned.unwrap_or(0.0),
                arrivals,
                times: None,
            };
            // Cut short by iterations or the request limit: the phase ends one interval after
            // its last arrival, so the next phase keeps the spacing.
            let full = planned.map(|d| (cumulative(r0, r1, d, d) - 1e-9).ceil().max(0.0) as u64);
            open.duration = match (planned, full) {
                (Some(d), Some(full)) if arrivals >= full => Duration::from_secs_f64(d),
                _ if arrivals == 0 => Duration::ZERO,
                _ => {
                    let last = open.due(arrivals - 1);
                    let rate = open.rate_at(last).max(1e-9);
                    let d = last + Duration::from_secs_f64(1.0 / rate);
                    planned.map_or(d, |p| d.min(Duration::from_secs_f64(p)))
                }
            };
            offset += open.duration;
            out.push(open);
        }
        OpenSchedule { phases: out }
    }

    /// When the last phase ends, from the start of the run.
    pub fn end(&self) -> Duration {
        self.phases
            .last()
            .map_or(Duration::ZERO, |p| p.offset + p.duration)
    }

    pub fn total_arrivals(&self) -> u64 {
        self.phases.iter().map(|p| p.arrivals).sum()
    }

    /// The phase index active `elapsed` into the run (the last one after the end).
    pub fn phase_at(&self, elapsed: Duration) -> usize {
        self.phases
            .iter()
            .position(|p| elapsed < p.offset + p.duration)
            .unwrap_or(self.phases.len().saturating_sub(1))
    }
}

/// Active users `elapsed` into a closed-model phase: linear from start to end, rounded.
pub fn concurrency_at(phase: &Phase, elapsed: Duration) -> u32 {
    let PhaseLoad::Closed { start, end } = phase.load else {
        return 0;
    };
    match phase.duration {
        Some(d) if !d.is_zero() && start != end => {
            let f = (elapsed.as_secs_f64() / d.as_secs_f64()).clamp(0.0, 1.0);
            (start as f64 + (end as f64 - start as f64) * f).round() as u32
        }
        _ => start,
    }
}

/// The largest number of users any closed-model phase asks for.
pub fn peak_concurrency(phases: &[Phase]) -> u32 {
    phases
        .iter()
        .map(|p| match p.load {
            PhaseLoad::Closed { start, end } => start.max(end),
            PhaseLoad::Open { .. } => 0,
        })
        .max()
        .unwrap_or(0)
}

/// Which closed-model phase is active. Phases end on their duration or their iteration count,
/// whichever comes first, so the timeline is only known as the run goes: virtual users on all
/// threads advance it together.
pub struct PhaseClock {
    start: Instant,
    current: AtomicUsize,
    /// Nanoseconds from `start` at which the current phase began.
    phase_started_ns: AtomicU64,
    issued_in_phase: AtomicU64,
    issued_total: AtomicU64,
    phase_starts: Mutex<Vec<Duration>>,
}

/// What a virtual user should do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Turn {
    /// Send a request in this phase.
    Send(usize),
    /// Not active right now; look again after this long.
    Wait(Duration),
    /// The schedule is over.
    Done,
}

impl PhaseClock {
    pub fn new(start: Instant) -> PhaseClock {
        PhaseClock {
            start,
            current: AtomicUsize::new(0),
            phase_started_ns: AtomicU64::new(0),
            issued_in_phase: AtomicU64::new(0),
            issued_total: AtomicU64::new(0),
            phase_starts: Mutex::new(vec![Duration::ZERO]),
        }
    }

    /// Decides the next turn of user `user` (0-based) at `now`.
    pub fn turn(
        &self,
        phases: &[Phase],
        request_limit: Option<u64>,
        user: u32,
        now: Instant,
    ) -> Turn {
        loop {
            let index = self.current.load(Ordering::Acquire);
            let Some(phase) = phases.get(index) else {
                return Turn::Done;
            };
            let since_start = now.saturating_duration_since(self.start);
            let started = Duration::from_nanos(self.phase_started_ns.load(Ordering::Acquire));
            let elapsed = since_start.saturating_sub(started);
            if phase.duration.is_some_and(|d| elapsed >= d) {
                self.advance(index, started + phase.duration.unwrap_or_default());
                continue;
            }
            let active = concurrency_at(phase, elapsed);
            if user >= active {
                let wait = phase
                    .duration
                    .map_or(Duration::from_millis(10), |d| d.saturating_sub(elapsed))
                    .min(Duration::from_millis(10));
                return Turn::Wait(wait.max(Duration::from_micros(100)));
            }
            if let Some(limit) = request_limit {
                if self.issued_total.fetch_add(1, Ordering::AcqRel) >= limit {
                    self.current.store(phases.len(), Ordering::Release);
                    return Turn::Done;
                }
            }
            if let Some(limit) = phase.iterations {
                if self.issued_in_phase.fetch_add(1, Ordering::AcqRel) >= limit {
                    self.advance(index, since_start);
                    continue;
                }
            }
            return Turn::Send(index);
        }
    }

    /// Moves from phase `from` to the next, once, whichever user gets there first.
    fn advance(&self, from: usize, at: Duration) {
        if self
            .current
            .compare_exchange(from, from + 1, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            self.issued_in_phase.store(0, Ordering::Release);
            self.phase_started_ns
                .store(at.as_nanos() as u64, Ordering::Release);
            if let Ok(mut starts) = self.phase_starts.lock() {
                starts.push(at);
            }
        }
    }

    /// When each phase began, from the start of the run (the last entry is the end when done).
    pub fn phase_starts(&self) -> Vec<Duration> {
        self.phase_starts
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default()
    }

    pub fn current(&self) -> usize {
        self.current.load(Ordering::Acquire)
    }

    /// Stops the schedule: every user's next turn is `Done`.
    pub fn finish(&self, phases: usize) {
        self.current.store(phases, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rigor_model::plan::PhaseKind;
    use rigor_model::Rate;

    fn open(start: f64, end: f64, secs: Option<f64>, iterations: Option<u64>) -> Phase {
        Phase {
            name: "p".into(),
            kind: PhaseKind::Steady,
            duration: secs.map(Duration::from_secs_f64),
            iterations,
            tolerance: None,
            load: PhaseLoad::Open {
                start: Rate::per_second(start),
                end: Rate::per_second(end),
            },
        }
    }

    #[test]
    fn constant_rate_spaces_arrivals_evenly() {
        let s = OpenSchedule::new(&[open(100.0, 100.0, Some(1.0), None)], None);
        assert_eq!(s.phases[0].arrivals, 100);
        assert_eq!(s.phases[0].due(0), Duration::ZERO);
        assert_eq!(s.phases[0].due(1), Duration::from_millis(10));
        assert_eq!(s.phases[0].due(99), Duration::from_millis(990));
        assert_eq!(s.end(), Duration::from_secs(1));
    }

    #[test]
    fn ramp_follows_the_integral_of_the_rate() {
        // 0 → 100/s over 10 s: 500 arrivals; N(t) = 5 t², so arrival 125 is due at 5 s.
        let s = OpenSchedule::new(&[open(0.0, 100.0, Some(10.0), None)], None);
        let p = &s.phases[0];
        assert_eq!(p.arrivals, 500);
        assert!((p.due(125).as_secs_f64() - 5.0).abs() < 1e-9);
        assert!(p.due(499) < Duration::from_secs(10));
        // Ramping down is the mirror image.
        let s = OpenSchedule::new(&[open(100.0, 0.0, Some(10.0), None)], None);
        assert_eq!(s.phases[0].arrivals, 500);
        assert!((s.phases[0].due(375).as_secs_f64() - 5.0).abs() < 1e-9);
    }

    #[test]
    fn phases_follow_each_other_and_limits_cut_them() {
        let phases = [
            open(10.0, 10.0, Some(2.0), None),
            open(50.0, 50.0, Some(1.0), Some(20)),
            open(10.0, 10.0, None, Some(5)),
        ];
        let s = OpenSchedule::new(&phases, None);
        let arrivals: Vec<u64> = s.phases.iter().map(|p| p.arrivals).collect();
        assert_eq!(arrivals, [20, 20, 5]);
        assert_eq!(s.phases[1].offset, Duration::from_secs(2));
        // Iterations cut the 1 s phase to 20 arrivals at 50/s: 0.4 s.
        assert_eq!(s.phases[2].offset, Duration::from_millis(2400));
        assert_eq!(s.end(), Duration::from_millis(2900));
        assert_eq!(s.phase_at(Duration::from_millis(2500)), 2);
        let capped = OpenSchedule::new(&phases, Some(25));
        let arrivals: Vec<u64> = capped.phases.iter().map(|p| p.arrivals).collect();
        assert_eq!(arrivals, [20, 5, 0]);
        assert_eq!(capped.total_arrivals(), 25);
    }

    fn closed(start: u32, end: u32, secs: Option<u64>, iterations: Option<u64>) -> Phase {
        Phase {
            name: "c".into(),
            kind: PhaseKind::Ramp,
            duration: secs.map(Duration::from_secs),
            iterations,
            tolerance: None,
            load: PhaseLoad::Closed { start, end },
        }
    }

    #[test]
    fn concurrency_ramps_linearly() {
        let p = closed(0, 10, Some(10), None);
        assert_eq!(concurrency_at(&p, Duration::ZERO), 0);
        assert_eq!(concurrency_at(&p, Duration::from_secs(5)), 5);
        assert_eq!(concurrency_at(&p, Duration::from_secs(20)), 10);
        assert_eq!(peak_concurrency(&[p, closed(3, 3, Some(1), None)]), 10);
    }

    #[test]
    fn phase_clock_advances_on_iterations_and_time() {
        let start = Instant::now();
        let phases = [closed(2, 2, None, Some(3)), closed(1, 1, Some(1), None)];
        let clock = PhaseClock::new(start);
        let turns: Vec<Turn> = (0..3)
            .map(|_| clock.turn(&phases, None, 0, start))
            .collect();
        assert_eq!(turns, [Turn::Send(0); 3]);
        // The fourth request moves to phase 1, where only user 0 is active.
        assert_eq!(clock.turn(&phases, None, 0, start), Turn::Send(1));
        assert!(matches!(clock.turn(&phases, None, 1, start), Turn::Wait(_)));
        let later = start + Duration::from_secs(2);
        assert_eq!(clock.turn(&phases, None, 0, later), Turn::Done);
        assert_eq!(clock.phase_starts().len(), 3);
    }

    #[test]
    fn request_limit_ends_the_clock() {
        let start = Instant::now();
        let phases = [closed(1, 1, Some(60), None)];
        let clock = PhaseClock::new(start);
        assert_eq!(clock.turn(&phases, Some(2), 0, start), Turn::Send(0));
        assert_eq!(clock.turn(&phases, Some(2), 0, start), Turn::Send(0));
        assert_eq!(clock.turn(&phases, Some(2), 0, start), Turn::Done);
    }
}
