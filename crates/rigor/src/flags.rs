//! Parsers for flags whose values have a range: clap names the flag and the value, these say
//! what is wrong with it and the accepted range (the bounds are the plan's, in
//! [`rigor_model::plan::limits`], so a flag and a plan key refuse the same values).
//!
//! `--duration 99999999h` reads `error: invalid value '99999999h' for '--duration
//! <DURATION>': 99999999h is too large: give a duration from 1ms to 720h`.

use std::time::Duration;

use rigor_model::plan::limits::{self, MAX_RATE_PER_SECOND};
use rigor_model::units::{parse_duration, HumanDuration, UnitError};
use rigor_model::{Rate, Ratio};

/// A duration in `min..=max`; one too large to hold at all is out of range too.
fn duration_in(text: &str, min: Duration, max: Duration) -> Result<HumanDuration, String> {
    let duration = match parse_duration(text) {
        Ok(d) => d,
        Err(UnitError::TooLarge { .. }) => Duration::MAX,
        Err(e) => return Err(e.to_string()),
    };
    limits::duration_within(duration, min, max).map_err(|e| format!("{} {e}", text.trim()))?;
    Ok(HumanDuration(duration))
}

/// How long a run or a ramp lasts: `--duration`, `--ramp`.
pub fn run_length(text: &str) -> Result<HumanDuration, String> {
    duration_in(text, limits::MIN_TIME, limits::MAX_RUN_LENGTH)
}

/// A request timeout: `--timeout`.
pub fn wait_limit(text: &str) -> Result<HumanDuration, String> {
    duration_in(text, limits::MIN_TIME, limits::MAX_WAIT)
}

/// The scheduling lag past which a run is invalid: `--max-lag` (down to a nanosecond, which
/// makes any run invalid: a test's way to see that verdict).
pub fn lag_limit(text: &str) -> Result<HumanDuration, String> {
    duration_in(text, Duration::from_nanos(1), limits::MAX_WAIT)
}

/// A pause that may be zero: `--think-time`, `--grace`.
pub fn pause(text: &str) -> Result<HumanDuration, String> {
    duration_in(text, Duration::ZERO, limits::MAX_WAIT)
}

/// The resolution of a range read from Prometheus: `--step`, whole seconds from a second to a
/// day.
pub fn step(text: &str) -> Result<HumanDuration, String> {
    let step = duration_in(text, Duration::from_secs(1), Duration::from_secs(86_400))?;
    if step.0.subsec_nanos() != 0 {
        return Err(format!(
            "{} is not whole seconds: give a step of whole seconds (`15s`, `1m`)",
            text.trim()
        ));
    }
    Ok(step)
}

/// How long a benchmark keeps running: `--min-time`.
pub fn bench_time(text: &str) -> Result<HumanDuration, String> {
    duration_in(text, Duration::ZERO, limits::MAX_RUN_LENGTH)
}

/// An arrival rate above zero that one generator can send: `--rate`.
pub fn rate(text: &str) -> Result<Rate, String> {
    let rate: Rate = text.parse().map_err(|e: UnitError| e.to_string())?;
    let per_second = rate.as_per_second();
    let range = format!("give a rate above 0/s and at most {MAX_RATE_PER_SECOND}/s");
    if per_second <= 0.0 {
        return Err(format!("{} sends nothing: {range}", text.trim()));
    }
    if !per_second.is_finite() || per_second > MAX_RATE_PER_SECOND {
        return Err(format!(
            "{} is more than one generator can send: {range} (split a larger load across several rigor processes)",
            text.trim()
        ));
    }
    Ok(rate)
}

/// A whole number in `min..=max` of `noun`.
fn count_in<T>(text: &str, min: T, max: T, noun: &str) -> Result<T, String>
where
    T: std::str::FromStr + Into<u128> + Copy,
{
    let text = text.trim();
    let value: T = text.parse().map_err(|_| {
        format!(
            "`{text}` is not a whole number: give {} to {} {noun}",
            min.into(),
            max.into()
        )
    })?;
    limits::count_within(value, min, max, noun).map_err(|e| format!("{text} {e}"))?;
    Ok(value)
}

/// Virtual users or connections: `--concurrency`, `--max-connections`.
pub fn connections(text: &str) -> Result<u32, String> {
    count_in(text, 1, limits::MAX_CONNECTIONS, "connections")
}

/// A request cap: `--requests`.
pub fn request_count(text: &str) -> Result<u64, String> {
    count_in(text, 1, u64::MAX, "requests")
}

/// Generator threads, 0 for one per core: `--threads`.
pub fn threads(text: &str) -> Result<usize, String> {
    count_in(
        text,
        0u64,
        limits::MAX_THREADS as u64,
        "threads (0: one per core)",
    )
    .map(|n| n as usize)
}

/// Timed runs of a benchmarked command: `--runs`, `--min-runs`, `--max-runs`.
pub fn bench_runs(text: &str) -> Result<u64, String> {
    count_in(text, 1, limits::MAX_BENCH_RUNS, "runs")
}

/// Untimed runs: `--warmup`.
pub fn warmup_runs(text: &str) -> Result<u64, String> {
    count_in(text, 0, limits::MAX_BENCH_RUNS, "warm-up runs")
}

/// A header name: `--secret-header`.
pub fn header_name(text: &str) -> Result<String, String> {
    rigor_model::plan::check_header_name(text)?;
    Ok(text.to_string())
}

/// A percentage written with its `%`, from 0% to 100%: `--noise`, `--noise-for`. A bare `2`
/// would be read as a fraction, 200 %: refused with the form to write.
pub fn percent(text: &str) -> Result<Ratio, String> {
    let text = text.trim();
    if text.parse::<f64>().is_ok() {
        return Err(format!(
            "`{text}` is a bare number: write a percentage such as `{text}%`"
        ));
    }
    let ratio: Ratio = text.parse().map_err(|e: UnitError| e.to_string())?;
    if !(0.0..=1.0).contains(&ratio.fraction()) {
        return Err(format!("{text} is out of range: give 0% to 100%"));
    }
    Ok(ratio)
}

/// A significance level strictly between 0 and 1: `--alpha`.
pub fn significance(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(alpha) if alpha > 0.0 && alpha < 1.0 => Ok(alpha),
        _ => Err(format!(
            "`{text}` is not a significance level: give a number above 0 and below 1, such as 0.05"
        )),
    }
}

/// Bootstrap resamples: `--resamples`.
pub fn resamples(text: &str) -> Result<usize, String> {
    count_in(text, 100u64, 1_000_000, "resamples").map(|n| n as usize)
}

/// Runs listed: `rigor runs --limit`.
pub fn list_limit(text: &str) -> Result<usize, String> {
    count_in(text, 1u64, 1_000_000, "runs").map(|n| n as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_refusal_names_the_value_and_the_range() {
        let e = run_length("99999999h").unwrap_err();
        assert_eq!(
            e,
            "99999999h is too large: give a duration from 1ms to 720h"
        );
        let e = run_length("800h").unwrap_err();
        assert_eq!(e, "800h is too large: give a duration from 1ms to 720h");
        let e = wait_limit("0s").unwrap_err();
        assert_eq!(e, "0s is zero: give a duration from 1ms to 1h");
        assert!(pause("0s").is_ok());
        let e = connections("0").unwrap_err();
        assert_eq!(e, "0 is too small: give 1 to 100000 connections");
        let e = connections("10000000").unwrap_err();
        assert_eq!(e, "10000000 is too large: give 1 to 100000 connections");
        let e = connections("-3").unwrap_err();
        assert!(e.contains("not a whole number: give 1 to 100000"), "{e}");
        let e = bench_runs("0").unwrap_err();
        assert_eq!(e, "0 is too small: give 1 to 1000000 runs");
        let e = rate("0/s").unwrap_err();
        assert!(
            e.starts_with("0/s sends nothing: give a rate above 0/s"),
            "{e}"
        );
        let e = rate("18446744073709551616/s").unwrap_err();
        assert!(e.contains("at most 1000000/s"), "{e}");
        let e = rate("100").unwrap_err();
        assert!(e.contains("not a valid rate"), "{e}");
    }
}
