//! The times of an imported history: RFC 3339 (`2024-03-01T12:00:00Z`, `…+01:00`), the form
//! Otava's own examples and many exports write (`2024-03-01 12:00:00 +0000`, `… UTC`), a bare
//! day (`2024-03-01`, midnight UTC), or a Unix time in a unit the user names. A date and time
//! without a zone is read as UTC, and the caller is told.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The unit of a numeric time column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimeUnit {
    #[default]
    Seconds,
    Millis,
    Micros,
    Nanos,
}

impl TimeUnit {
    pub fn parse(text: &str) -> Option<TimeUnit> {
        Some(match text {
            "s" => TimeUnit::Seconds,
            "ms" => TimeUnit::Millis,
            "us" | "µs" => TimeUnit::Micros,
            "ns" => TimeUnit::Nanos,
            _ => return None,
        })
    }

    fn nanos(self) -> f64 {
        match self {
            TimeUnit::Seconds => 1e9,
            TimeUnit::Millis => 1e6,
            TimeUnit::Micros => 1e3,
            TimeUnit::Nanos => 1.0,
        }
    }
}

/// A parsed time: Unix nanoseconds, and whether it had no zone (read as UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parsed {
    pub unix_ns: i64,
    pub zoneless: bool,
}

/// Later than this (Unix seconds, the year 2400) a number is taken for a time in a finer unit
/// than the one given, and refused rather than guessed at.
const LATEST_SECONDS: f64 = 13_569_465_600.0;

/// Before this (Unix seconds, 1990-01-01) a number is taken for something else (`20240101`, a
/// count in another unit) and refused rather than read as a time.
const EARLIEST_SECONDS: f64 = 631_152_000.0;

/// Reads one time; `Err` says what forms are accepted.
pub fn parse_time(text: &str, unit: TimeUnit) -> Result<Parsed, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("the time is empty".into());
    }
    if let Ok(n) = t.parse::<f64>() {
        let ns = n * unit.nanos();
        if !ns.is_finite() || ns < 0.0 {
            return Err(format!("`{t}` is not a time"));
        }
        if ns / 1e9 > LATEST_SECONDS {
            return Err(format!(
                "`{t}` read as a Unix time in {} is after the year 2400: give --time-unit ms, us or ns when the column counts finer than that",
                match unit {
                    TimeUnit::Seconds => "seconds",
                    TimeUnit::Millis => "milliseconds",
                    TimeUnit::Micros => "microseconds",
                    TimeUnit::Nanos => "nanoseconds",
                }
            ));
        }
        if ns / 1e9 < EARLIEST_SECONDS {
            return Err(format!(
                "`{t}` read as a Unix time is before 1990: a date written without separators is not a Unix time (write `2024-01-01`); a column counted in a coarser unit needs --time-unit"
            ));
        }
        return Ok(Parsed {
            unix_ns: ns as i64,
            zoneless: false,
        });
    }
    let wrong = || {
        format!("`{t}` is not a time rigor reads: give RFC 3339 (`2024-03-01T12:00:00Z`), `2024-03-01 12:00:00 +0000`, a day (`2024-03-01`) or a Unix time")
    };
    if let Some(day) = rigor_model::units::parse_day(t) {
        return Ok(Parsed {
            unix_ns: day,
            zoneless: false,
        });
    }
    let (normal, zoneless) = normalise(t).ok_or_else(wrong)?;
    let at = OffsetDateTime::parse(&normal, &Rfc3339).map_err(|_| wrong())?;
    let ns = at.unix_timestamp_nanos();
    Ok(Parsed {
        unix_ns: i64::try_from(ns).map_err(|_| wrong())?,
        zoneless,
    })
}

/// `2024-03-01 12:00:00 +0000` → `2024-03-01T12:00:00+00:00`; a missing zone becomes `Z`.
fn normalise(t: &str) -> Option<(String, bool)> {
    if t.len() < 19 || !t.is_char_boundary(10) {
        return None;
    }
    let (date, rest) = t.split_at(10);
    let rest = rest.strip_prefix(['T', 't', ' '])?;
    // The clock runs to the first character that is no digit, colon or decimal point.
    let clock_end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == ':' || c == '.' || c == ','))
        .unwrap_or(rest.len());
    let (clock, zone) = rest.split_at(clock_end);
    let clock = clock.replace(',', ".");
    let zone = zone.trim();
    let (zone, zoneless) = match zone {
        "" => ("Z".to_string(), true),
        "Z" | "z" | "UTC" | "GMT" => ("Z".to_string(), false),
        z => {
            let (sign, digits) = z.split_at(1);
            if sign != "+" && sign != "-" {
                return None;
            }
            let digits = digits.replace(':', "");
            if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            (format!("{sign}{}:{}", &digits[..2], &digits[2..]), false)
        }
    };
    Some((format!("{date}T{clock}{zone}"), zoneless))
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000_000;
    /// 2024-03-01T12:00:00Z.
    const NOON: i64 = 1_709_294_400 * S;

    fn ns(text: &str) -> i64 {
        parse_time(text, TimeUnit::Seconds).unwrap().unix_ns
    }

    #[test]
    fn the_forms_of_one_instant_agree() {
        for text in [
            "2024-03-01T12:00:00Z",
            "2024-03-01T13:00:00+01:00",
            "2024-03-01 12:00:00 +0000",
            "2024-03-01 07:00:00 -0500",
            "2024-03-01 12:00:00 UTC",
            "2024-03-01 12:00:00",
            "1709294400",
        ] {
            assert_eq!(ns(text), NOON, "{text}");
        }
        assert_eq!(ns("2024-03-01 12:00:00.25 +0000"), NOON + S / 4);
        assert_eq!(ns("2024-03-01"), NOON - 12 * 3600 * S);
        assert_eq!(
            parse_time("1709294400000", TimeUnit::Millis)
                .unwrap()
                .unix_ns,
            NOON
        );
        assert!(
            parse_time("2024-03-01 12:00:00", TimeUnit::Seconds)
                .unwrap()
                .zoneless
        );
        assert!(
            !parse_time("2024-03-01T12:00:00Z", TimeUnit::Seconds)
                .unwrap()
                .zoneless
        );
    }

    #[test]
    fn what_is_not_a_time_is_refused_with_the_forms_accepted() {
        for bad in [
            "",
            "yesterday",
            "2024-13-01",
            "2024-03-01 25:00:00",
            "-5",
            "12:00",
        ] {
            assert!(parse_time(bad, TimeUnit::Seconds).is_err(), "{bad}");
        }
        let e = parse_time("1709294400000", TimeUnit::Seconds).unwrap_err();
        assert!(e.contains("--time-unit"), "{e}");
    }
}
