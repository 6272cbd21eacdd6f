//! The units an imported figure may be given in, and how each is kept: durations in
//! nanoseconds, percentages as fractions, sizes in bytes, as rigor keeps its own.

use rigor_model::metric::Unit;

/// A unit as written (`ms`, `%`, `MiB`, `/s`): rigor's unit and the factor to it.
pub fn parse_unit(text: &str) -> Option<(Unit, f64)> {
    Some(match text.trim() {
        "ns" => (Unit::Nanos, 1.0),
        "us" | "µs" => (Unit::Nanos, 1e3),
        "ms" => (Unit::Nanos, 1e6),
        "s" => (Unit::Nanos, 1e9),
        "%" | "percent" => (Unit::Fraction, 0.01),
        "fraction" | "ratio" => (Unit::Fraction, 1.0),
        "B" | "bytes" => (Unit::Bytes, 1.0),
        "KiB" => (Unit::Bytes, 1024.0),
        "MiB" => (Unit::Bytes, 1024.0 * 1024.0),
        "GiB" => (Unit::Bytes, 1024.0 * 1024.0 * 1024.0),
        "/s" | "per_s" => (Unit::PerSecond, 1.0),
        "count" => (Unit::Count, 1.0),
        "number" => (Unit::Number, 1.0),
        _ => return None,
    })
}

/// The units [`parse_unit`] reads, for messages.
pub const UNITS: &str = "ns, us, ms, s, %, fraction, bytes, KiB, MiB, GiB, /s, count, number";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_unit_converts_to_rigors() {
        assert_eq!(parse_unit("ms"), Some((Unit::Nanos, 1e6)));
        assert_eq!(parse_unit("%"), Some((Unit::Fraction, 0.01)));
        assert_eq!(parse_unit("MiB"), Some((Unit::Bytes, 1_048_576.0)));
        assert_eq!(parse_unit("furlongs"), None);
        for u in UNITS.split(", ") {
            assert!(parse_unit(u).is_some(), "{u}");
        }
    }
}
