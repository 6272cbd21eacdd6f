//! Human units as types: `120ms`, `500/s`, `2GiB`, `20%`.
//!
//! Every parser returns a [`UnitError`] that quotes the text and says what form was expected,
//! so the caller can prefix it with the flag or key at fault.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A value that did not parse, with the forms that would have, or one too large to hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnitError {
    #[error("`{text}` is not a valid {what}: expected {expected}")]
    Malformed {
        text: String,
        what: &'static str,
        expected: &'static str,
    },
    /// Well formed, but past what the type can hold: a typo or an absurd number.
    #[error("`{text}` is too large for a {what}: the most rigor can hold is {max}")]
    TooLarge {
        text: String,
        what: &'static str,
        max: String,
    },
}

fn unit_error(text: &str, what: &'static str, expected: &'static str) -> UnitError {
    UnitError::Malformed {
        text: text.to_string(),
        what,
        expected,
    }
}

/// The longest duration a [`Duration`] of whole nanoseconds in a `u64` can hold (584 years).
pub const MAX_DURATION: Duration = Duration::from_nanos(u64::MAX);

/// Splits `"12.5ms"` into `(12.5, "ms")`, tolerating spaces between number and unit.
fn split_number(text: &str) -> Option<(f64, &str)> {
    let text = text.trim();
    let end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_' || c == '-' || c == '+'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(end);
    let number: String = number.chars().filter(|&c| c != '_').collect();
    let value: f64 = number.parse().ok()?;
    value.is_finite().then_some((value, unit.trim()))
}

const DURATION_FORMS: &str = "a number with a unit such as 250us, 120ms, 1.5s, 5m or 2h";

/// Parses a duration such as `120ms`, `1.5s`, `5m`, `2h`, `250us`, `100ns`.
pub fn parse_duration(text: &str) -> Result<Duration, UnitError> {
    let err = || unit_error(text, "duration", DURATION_FORMS);
    let (value, unit) = split_number(text).ok_or_else(err)?;
    let nanos_per_unit: f64 = match unit {
        "ns" => 1.0,
        "us" | "µs" => 1e3,
        "ms" => 1e6,
        "s" | "sec" | "secs" => 1e9,
        "m" | "min" | "mins" => 60e9,
        "h" | "hr" | "hrs" => 3600e9,
        _ => return Err(err()),
    };
    if value < 0.0 {
        return Err(err());
    }
    let nanos = (value * nanos_per_unit).round();
    if nanos > u64::MAX as f64 {
        return Err(UnitError::TooLarge {
            text: text.trim().to_string(),
            what: "duration",
            max: format!("{}h", MAX_DURATION.as_secs() / 3600),
        });
    }
    Ok(Duration::from_nanos(nanos as u64))
}

/// Formats a duration with three significant figures in the largest fitting unit: `20.3ms`.
pub fn format_duration(duration: Duration) -> String {
    format_nanos(duration.as_nanos() as f64)
}

/// Formats nanoseconds like [`format_duration`]; used for statistics that are not whole nanos.
pub fn format_nanos(nanos: f64) -> String {
    let (value, unit) = if nanos >= 3600e9 {
        (nanos / 3600e9, "h")
    } else if nanos >= 60e9 {
        (nanos / 60e9, "m")
    } else if nanos >= 1e9 {
        (nanos / 1e9, "s")
    } else if nanos >= 1e6 {
        (nanos / 1e6, "ms")
    } else if nanos >= 1e3 {
        (nanos / 1e3, "µs")
    } else {
        (nanos, "ns")
    };
    format!("{}{unit}", three_figures(value))
}

/// Three significant figures without trailing zeros: 20.31 → "20.3", 120.0 → "120".
pub fn three_figures(value: f64) -> String {
    let decimals = if value.abs() >= 100.0 {
        0
    } else if value.abs() >= 10.0 {
        1
    } else {
        2
    };
    at_most_decimals(value, decimals)
}

/// A number to at most `decimals` decimals, trailing zeros cut: (14.4, 3) → "14.4",
/// (99.9999999, 10) → "99.9999999", (120.0, 2) → "120".
pub fn at_most_decimals(value: f64, decimals: usize) -> String {
    let text = format!("{value:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// A wrapper that (de)serialises a [`Duration`] in human form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct HumanDuration(pub Duration);

impl FromStr for HumanDuration {
    type Err = UnitError;
    fn from_str(text: &str) -> Result<Self, UnitError> {
        parse_duration(text).map(HumanDuration)
    }
}

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_duration(self.0))
    }
}

impl Serialize for HumanDuration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// An arrival rate in requests per second: `500/s`, `30000/m`, `2/ms`.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default)]
pub struct Rate {
    per_second: f64,
}

impl Rate {
    pub const ZERO: Rate = Rate { per_second: 0.0 };

    pub fn per_second(per_second: f64) -> Rate {
        Rate {
            per_second: per_second.max(0.0),
        }
    }

    pub fn as_per_second(self) -> f64 {
        self.per_second
    }

    /// The time between two arrivals at this rate; `None` for a zero rate.
    pub fn interval(self) -> Option<Duration> {
        (self.per_second > 0.0).then(|| Duration::from_secs_f64(1.0 / self.per_second))
    }
}

const RATE_FORMS: &str = "a count per time unit such as 500/s, 30000/m or 2/ms";

impl FromStr for Rate {
    type Err = UnitError;
    fn from_str(text: &str) -> Result<Rate, UnitError> {
        let err = || unit_error(text, "rate", RATE_FORMS);
        let (count, per) = text.split_once('/').ok_or_else(err)?;
        let (count, rest) = split_number(count).ok_or_else(err)?;
        if !rest.is_empty() || count < 0.0 {
            return Err(err());
        }
        let per = per.trim();
        // Accept "/s", "/1s", "/10s".
        let period = if per.starts_with(|c: char| c.is_ascii_digit()) {
            parse_duration(per).map_err(|_| err())?
        } else {
            parse_duration(&format!("1{per}")).map_err(|_| err())?
        };
        if period.is_zero() {
            return Err(err());
        }
        Ok(Rate::per_second(count / period.as_secs_f64()))
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/s", three_figures(self.per_second))
    }
}

impl Serialize for Rate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A size in bytes: `512`, `64KiB`, `2GiB`, `1.5MB`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Bytes(pub u64);

const BYTES_FORMS: &str = "a size such as 512B, 64KiB, 10MB or 2GiB";

impl FromStr for Bytes {
    type Err = UnitError;
    fn from_str(text: &str) -> Result<Bytes, UnitError> {
        let err = || unit_error(text, "size", BYTES_FORMS);
        let (value, unit) = split_number(text).ok_or_else(err)?;
        let multiplier: f64 = match unit {
            "" | "B" => 1.0,
            "KB" | "kB" => 1e3,
            "MB" => 1e6,
            "GB" => 1e9,
            "KiB" => 1024.0,
            "MiB" => 1024.0 * 1024.0,
            "GiB" => 1024.0 * 1024.0 * 1024.0,
            _ => return Err(err()),
        };
        if value < 0.0 {
            return Err(err());
        }
        Ok(Bytes((value * multiplier).round() as u64))
    }
}

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0 as f64;
        let (value, unit) = if b >= 1024.0 * 1024.0 * 1024.0 {
            (b / (1024.0 * 1024.0 * 1024.0), "GiB")
        } else if b >= 1024.0 * 1024.0 {
            (b / (1024.0 * 1024.0), "MiB")
        } else if b >= 1024.0 {
            (b / 1024.0, "KiB")
        } else {
            return write!(f, "{}B", self.0);
        };
        write!(f, "{}{unit}", three_figures(value))
    }
}

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(u64),
            Text(String),
        }
        match Raw::deserialize(deserializer)? {
            Raw::Number(n) => Ok(Bytes(n)),
            Raw::Text(text) => text.parse().map_err(serde::de::Error::custom),
        }
    }
}

/// A proportion written as a percentage (`1%`, `0.5%`) or a fraction (`0.01`).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default)]
pub struct Ratio(f64);

impl Ratio {
    pub fn from_fraction(fraction: f64) -> Ratio {
        Ratio(fraction)
    }
    pub fn fraction(self) -> f64 {
        self.0
    }
}

const RATIO_FORMS: &str = "a percentage such as 1% or 0.5%, or a fraction such as 0.01";

impl FromStr for Ratio {
    type Err = UnitError;
    fn from_str(text: &str) -> Result<Ratio, UnitError> {
        let err = || unit_error(text, "percentage", RATIO_FORMS);
        let (value, unit) = split_number(text).ok_or_else(err)?;
        match unit {
            "%" => Ok(Ratio(value / 100.0)),
            "" => Ok(Ratio(value)),
            _ => Err(err()),
        }
    }
}

impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}%", three_figures(self.0 * 100.0))
    }
}

impl Serialize for Ratio {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Ratio {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(f64),
            Text(String),
        }
        match Raw::deserialize(deserializer)? {
            Raw::Number(n) => Ok(Ratio(n)),
            Raw::Text(text) => text.parse().map_err(serde::de::Error::custom),
        }
    }
}

use std::time::SystemTime;

/// Days since 1970-01-01 of a date in the proleptic Gregorian calendar (Howard Hinnant's
/// algorithm).
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `2026-11-01` as Unix nanoseconds at its midnight, UTC; `None` for anything else (a month
/// or day out of range included).
pub fn parse_day(text: &str) -> Option<i64> {
    let mut parts = text.trim().splitn(3, '-');
    let mut next = |len: usize| -> Option<i64> {
        let p = parts.next()?;
        (p.len() == len && p.bytes().all(|b| b.is_ascii_digit()))
            .then(|| p.parse().ok())
            .flatten()
    };
    let (year, month, day) = (next(4)?, next(2)?, next(2)?);
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&month) || day < 1 || day > days_in[(month - 1) as usize] {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 * 1_000_000_000)
}

/// Formats a time as RFC 3339 in UTC with millisecond precision.
pub fn rfc3339(time: SystemTime) -> String {
    let since = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = since.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        since.subsec_millis()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_parse_to_their_published_epoch_seconds() {
        // Python: calendar.timegm(datetime.date(2026, 11, 1).timetuple()) = 1793491200.
        assert_eq!(parse_day("2026-11-01"), Some(1_793_491_200 * 1_000_000_000));
        assert_eq!(parse_day("2000-02-29"), Some(951_782_400 * 1_000_000_000));
        for bad in [
            "2026-02-29",
            "1900-02-29",
            "2026-13-01",
            "2026-1-01",
            "26-11-01",
            "2026-11-01x",
            "",
        ] {
            assert_eq!(parse_day(bad), None, "{bad}");
        }
    }

    #[test]
    fn rfc3339_matches_known_instants() {
        let t = |s: u64| rfc3339(SystemTime::UNIX_EPOCH + Duration::from_secs(s));
        assert_eq!(t(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(t(951_782_400), "2000-02-29T00:00:00.000Z");
        assert_eq!(t(1_795_305_600), "2026-11-22T00:00:00.000Z");
    }

    #[test]
    fn durations_parse_in_every_unit() {
        let cases = [
            ("100ns", 100),
            ("250us", 250_000),
            ("250µs", 250_000),
            ("120ms", 120_000_000),
            ("1.5s", 1_500_000_000),
            ("5m", 300_000_000_000),
            ("2h", 7_200_000_000_000),
            (" 20 ms ", 20_000_000),
            ("1_000ms", 1_000_000_000),
        ];
        for (text, nanos) in cases {
            assert_eq!(
                parse_duration(text).unwrap(),
                Duration::from_nanos(nanos),
                "{text}"
            );
        }
    }

    #[test]
    fn bad_durations_say_what_is_expected() {
        for text in ["", "12", "ms", "12 parsecs", "-1s", "1e400s"] {
            let err = parse_duration(text).unwrap_err();
            assert!(
                err.to_string().contains("expected a number with a unit"),
                "{text}: {err}"
            );
        }
    }

    #[test]
    fn a_duration_past_what_fits_says_it_is_too_large() {
        let err = parse_duration("99999999h").unwrap_err().to_string();
        assert_eq!(
            err,
            "`99999999h` is too large for a duration: the most rigor can hold is 5124095h"
        );
        assert!(parse_duration("5124095h").is_ok());
    }

    #[test]
    fn durations_format_with_three_figures() {
        assert_eq!(format_duration(Duration::from_micros(20_312)), "20.3ms");
        assert_eq!(format_duration(Duration::from_millis(120)), "120ms");
        assert_eq!(format_duration(Duration::from_nanos(1_500)), "1.5µs");
        assert_eq!(format_duration(Duration::from_secs(90)), "1.5m");
        assert_eq!(format_duration(Duration::ZERO), "0ns");
    }

    #[test]
    fn rates_parse_per_unit() {
        assert_eq!("500/s".parse::<Rate>().unwrap().as_per_second(), 500.0);
        assert_eq!("30000/m".parse::<Rate>().unwrap().as_per_second(), 500.0);
        assert_eq!("2/ms".parse::<Rate>().unwrap().as_per_second(), 2000.0);
        assert_eq!("50/10s".parse::<Rate>().unwrap().as_per_second(), 5.0);
        assert_eq!("0/s".parse::<Rate>().unwrap().interval(), None);
        for bad in ["500", "/s", "500/parsec", "-1/s", "5/0s"] {
            assert!(bad.parse::<Rate>().is_err(), "{bad}");
        }
        assert_eq!(Rate::per_second(99.84).to_string(), "99.8/s");
    }

    #[test]
    fn sizes_and_ratios_parse() {
        assert_eq!("2GiB".parse::<Bytes>().unwrap(), Bytes(2 << 30));
        assert_eq!("64KiB".parse::<Bytes>().unwrap(), Bytes(65536));
        assert_eq!("1.5MB".parse::<Bytes>().unwrap(), Bytes(1_500_000));
        assert_eq!("512".parse::<Bytes>().unwrap(), Bytes(512));
        assert_eq!(Bytes(3 << 20).to_string(), "3MiB");
        assert!("5 furlongs".parse::<Bytes>().is_err());
        assert_eq!("1%".parse::<Ratio>().unwrap().fraction(), 0.01);
        assert_eq!("0.25".parse::<Ratio>().unwrap().fraction(), 0.25);
        assert!("1‰".parse::<Ratio>().is_err());
    }
}
