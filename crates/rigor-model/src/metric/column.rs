//! A figure of an imported run, named as its source names it: a column of an Otava-style CSV
//! (`response_time`), a k6 summary's `http_req_duration.p95`, wrk's `requests_per_sec`. The
//! unit and the better direction are the import's (given on its command line or known for
//! the tool) and are kept with every value, so the name alone says nothing of them: a column
//! is resolved against the runs that have it, never parsed from text on its own.

use std::fmt;

use super::{scraped::intern, Direction, Unit};

/// One imported figure. Copy, as every metric is: its name is interned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    name: &'static str,
    unit: Unit,
    direction: Direction,
}

impl Column {
    pub fn new(name: &str, unit: Unit, direction: Direction) -> Column {
        Column {
            name: intern(name.to_string()),
            unit,
            direction,
        }
    }

    pub fn name(self) -> &'static str {
        self.name
    }

    pub fn unit(self) -> Unit {
        self.unit
    }

    pub fn direction(self) -> Direction {
        self.direction
    }
}

/// The prefix that names an imported figure in a plan's budgets and rules
/// (`imported.http_req_duration.p95 < +10%`): its unit and direction are the runs'.
pub const PREFIX: &str = "imported.";

impl Column {
    /// A figure named in a plan: its unit is what its limit is written in (a duration, a
    /// percentage, a rate, bytes, else a plain number) until the gate meets the runs, which
    /// say its unit and direction.
    pub fn named(name: &str) -> Result<Column, String> {
        if name.is_empty() {
            return Err(format!(
                "`{PREFIX}` names an imported figure: write `{PREFIX}NAME` (`{PREFIX}p95`)"
            ));
        }
        Ok(Column::new(name, Unit::Number, Direction::LowerIsBetter))
    }

    /// The same figure with the unit a limit was written in.
    pub fn in_unit_of(self, limit: &str) -> Column {
        let t = limit.trim();
        let unit = if t.parse::<f64>().is_ok() {
            Unit::Number
        } else if t.ends_with('%') {
            Unit::Fraction
        } else if t.ends_with("/s") && Unit::PerSecond.parse(t).is_ok() {
            Unit::PerSecond
        } else if Unit::Nanos.parse(t).is_ok() {
            Unit::Nanos
        } else if Unit::Bytes.parse(t).is_ok() {
            Unit::Bytes
        } else if Unit::BytesPerSecond.parse(t).is_ok() {
            Unit::BytesPerSecond
        } else {
            Unit::Number
        };
        Column { unit, ..self }
    }

    /// The same figure with a run's unit and direction.
    pub fn as_in(self, unit: Unit, direction: Direction) -> Column {
        Column {
            unit,
            direction,
            ..self
        }
    }
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}
