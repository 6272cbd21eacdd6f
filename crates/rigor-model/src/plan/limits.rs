//! The accepted range of every number a plan or a flag gives to a run, in one place, so the
//! plan's checks and the CLI's flag parsers refuse the same values with the same bounds.
//!
//! Each bound is far past what a real run asks for; a value beyond it is a typo or an absurd
//! number that would otherwise fail late (file descriptors run out, a schedule that never
//! ends, a timeout the histograms cannot record).

use std::time::Duration;

use crate::units::format_duration;

/// The highest arrival rate a plan may ask of one generator. Far above what one machine can
/// send; walking the schedule of a rate past it would take longer than the run.
pub const MAX_RATE_PER_SECOND: f64 = 1_000_000.0;

/// The most virtual users (closed model) or connections (open model) one run may hold: each
/// is a socket, and a process rarely gets more file descriptors.
pub const MAX_CONNECTIONS: u32 = 100_000;

/// The longest phase or run: thirty days (a soak longer than that is better split).
pub const MAX_RUN_LENGTH: Duration = Duration::from_secs(30 * 24 * 3600);

/// The longest request timeout, think time, grace or lag limit: one hour, the top of the
/// latency histograms (a longer wait could not be recorded).
pub const MAX_WAIT: Duration = Duration::from_secs(3600);

/// The shortest request timeout or phase: a millisecond.
pub const MIN_TIME: Duration = Duration::from_millis(1);

/// The most generator threads (0 means one per core).
pub const MAX_THREADS: usize = 1024;

/// The most times one step of a journey may be sent in a row (`repeat`).
pub const MAX_REPEAT: u32 = 1000;

/// The most requests one journey may send, its steps' repeats summed: a journey is one user's
/// visit, and one that sends more never ends in any run worth measuring.
pub const MAX_JOURNEY_SENDS: u32 = 10_000;

/// The most timed or warm-up runs of one benchmarked command.
pub const MAX_BENCH_RUNS: u64 = 1_000_000;

/// Whether `duration` lies in `min..=max`; the error says how it misses and the accepted
/// range, for the caller to put after the flag or key and the value (`is too large: give a
/// duration from 1ms to 720h`).
pub fn duration_within(duration: Duration, min: Duration, max: Duration) -> Result<(), String> {
    let range = format!(
        "give a duration from {} to {}",
        shown(min),
        format_duration(max)
    );
    if duration < min {
        let how = if duration.is_zero() {
            "zero"
        } else {
            "too short"
        };
        return Err(format!("is {how}: {range}"));
    }
    if duration > max {
        return Err(format!("is too large: {range}"));
    }
    Ok(())
}

/// Zero as a user writes it (`0s`), anything else in three figures.
fn shown(duration: Duration) -> String {
    if duration.is_zero() {
        "0s".into()
    } else {
        format_duration(duration)
    }
}

/// Whether `count` lies in `min..=max`; the error says how it misses and the accepted range
/// of `noun` (`is too small: give 1 to 100000 connections`).
pub fn count_within<T: Into<u128> + Copy>(
    count: T,
    min: T,
    max: T,
    noun: &str,
) -> Result<(), String> {
    let (value, low, high) = (count.into(), min.into(), max.into());
    let how = if value < low {
        "too small"
    } else if value > high {
        "too large"
    } else {
        return Ok(());
    };
    if high >= u128::from(u64::MAX) {
        return Err(format!("is {how}: give at least {low} {noun}"));
    }
    Err(format!("is {how}: give {low} to {high} {noun}"))
}
