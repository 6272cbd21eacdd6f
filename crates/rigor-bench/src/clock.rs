//! Where the benchmark loop reads the time for progress and time-left estimates. Real runs
//! use [`MonotonicClock`]; tests use the [`FakeClock`](crate::FakeClock) that the fake
//! executor advances by the durations it reports, so whole runs replay exactly.
//!
//! Measurements never come from here: each run's wall time is the executor's own.

use std::time::{Duration, Instant};

/// A monotonic clock.
pub trait Clock {
    /// Time since an arbitrary but fixed origin.
    fn now(&self) -> Duration;
}

/// The operating system's monotonic clock.
#[derive(Debug, Clone, Copy)]
pub struct MonotonicClock {
    origin: Instant,
}

impl MonotonicClock {
    pub fn new() -> MonotonicClock {
        MonotonicClock {
            origin: Instant::now(),
        }
    }
}

impl Default for MonotonicClock {
    fn default() -> MonotonicClock {
        MonotonicClock::new()
    }
}

impl Clock for MonotonicClock {
    fn now(&self) -> Duration {
        self.origin.elapsed()
    }
}
