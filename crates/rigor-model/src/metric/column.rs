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

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}
