//! Latency histograms: the HDR histogram type every recorded distribution uses (1 µs to 1 h
//! at three significant digits, so memory is bounded however long the run), and its lossless
//! codec (HdrHistogram V2 + deflate, the format other HDR implementations read), which is how
//! the store keeps each one-second window.
//!
//! It lives in the model, not in the load engine, because the engine writes these histograms
//! and the analysis reads them back: comparing two stored runs must not link the HTTP client.
//! The byte format is part of the store's contract; a change here would make existing stores
//! unreadable.

use std::io;

use hdrhistogram::serialization::{Deserializer, Serializer, V2DeflateSerializer};
use hdrhistogram::Histogram;

use crate::output::LatencySummary;

/// A latency histogram in nanoseconds.
pub type Hist = Histogram<u64>;

/// Lowest discernible latency: 1 µs.
pub const LOWEST_NS: u64 = 1_000;
/// Highest trackable latency: one hour; longer values are clamped to it.
pub const HIGHEST_NS: u64 = 3_600_000_000_000;

/// An empty histogram with rigor's bounds ([`LOWEST_NS`] to [`HIGHEST_NS`], three digits).
pub fn new_hist() -> Hist {
    // The bounds are constants that hdrhistogram accepts, so this cannot fail.
    Histogram::new_with_bounds(LOWEST_NS, HIGHEST_NS, 3).unwrap_or_else(|_| unreachable!())
}

/// Records one latency, clamping it to [`HIGHEST_NS`] rather than losing it.
pub fn record(hist: &mut Hist, nanos: u64) {
    hist.saturating_record(nanos.min(HIGHEST_NS));
}

/// Serialises a histogram losslessly (HdrHistogram V2 + deflate, the format other HDR
/// implementations read).
pub fn encode(hist: &Hist) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing to a Vec only fails on an internal encoding error, which would be a bug.
    if V2DeflateSerializer::new()
        .serialize(hist, &mut out)
        .is_err()
    {
        out.clear();
    }
    out
}

/// Reads back what [`encode`] wrote (or any V2 histogram, compressed or not).
pub fn decode(bytes: &[u8]) -> io::Result<Hist> {
    Deserializer::new()
        .deserialize(&mut io::Cursor::new(bytes))
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("{e:?}")))
}

/// Summary statistics of a histogram.
pub fn summarize(hist: &Hist) -> LatencySummary {
    if hist.is_empty() {
        return LatencySummary::default();
    }
    let q = |p: f64| hist.value_at_quantile(p / 100.0);
    LatencySummary {
        count: hist.len(),
        min_ns: hist.min(),
        mean_ns: hist.mean().round() as u64,
        stdev_ns: hist.stdev().round() as u64,
        p50_ns: q(50.0),
        p90_ns: q(90.0),
        p95_ns: q(95.0),
        p99_ns: q(99.0),
        p999_ns: q(99.9),
        max_ns: hist.max(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn unhex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    /// Values spanning the range, below it and beyond it (clamped to an hour).
    fn sample() -> Hist {
        let mut h = new_hist();
        for v in [
            1_500u64,
            20_000_000,
            20_100_000,
            7_000_000_000,
            42_000,
            u64::MAX,
            999,
            123_456_789,
        ] {
            record(&mut h, v);
        }
        h
    }

    // Written by `rigor_load::recorder::encode` before the codec moved here: what existing
    // stores hold. Any change to these bytes makes stored windows unreadable.
    const STORED: &str = "1c84931400000048789c013d00c2ff1c84931300000015000000000000000300000000000003e80000034630b8a0003ff00000000000000002029d0102e1610209029f2a02cf5c028d90010201c10a55";
    const STORED_EMPTY: &str =
        "1c84931400000021789c9369992cccc0c0c0c80001cc50ea0510bb19ec58c060ff012a0300631d0536";

    #[test]
    fn the_stored_byte_format_is_unchanged() {
        assert_eq!(hex(&encode(&sample())), STORED);
        assert_eq!(hex(&encode(&new_hist())), STORED_EMPTY);
        assert_eq!(decode(&unhex(STORED)).unwrap(), sample());
        assert!(decode(&unhex(STORED_EMPTY)).unwrap().is_empty());
    }

    #[test]
    fn round_trips_losslessly_and_clamps_beyond_an_hour() {
        let h = sample();
        assert_eq!(decode(&encode(&h)).unwrap(), h);
        assert_eq!(h.len(), 8);
        assert_eq!(h.max(), h.highest_equivalent(HIGHEST_NS));
        assert!(decode(b"not a histogram").is_err());
    }

    #[test]
    fn summaries_hold_three_significant_digits() {
        let mut h = new_hist();
        for ms in 1..=100u64 {
            record(&mut h, ms * 1_000_000);
        }
        let s = summarize(&h);
        assert_eq!(s.count, 100);
        let within = |v: u64, want: u64| (v as f64 - want as f64).abs() / want as f64 <= 0.001;
        assert!(within(s.p50_ns, 50_000_000), "{}", s.p50_ns);
        assert!(within(s.p99_ns, 99_000_000), "{}", s.p99_ns);
        assert!(within(s.max_ns, 100_000_000), "{}", s.max_ns);
        assert_eq!(summarize(&new_hist()), LatencySummary::default());
    }
}
