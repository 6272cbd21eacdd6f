//! W3C Trace Context (<https://www.w3.org/TR/trace-context/>): an opt-in `traceparent` header
//! on every request, so that a slow request the run kept can be found in the service's
//! tracing backend by its trace id.
//!
//! Ids are not stored per request: each one is a function of the run's random seed and the
//! request's sequence number, so the engine keeps the sequence number of the requests it
//! keeps (the slowest of each window) and the id is derived again when they are reported.

use std::hash::{BuildHasher, Hasher};

/// The length of a `traceparent` value: `00-` 32 hex digits `-` 16 hex digits `-01`.
pub const VALUE_LEN: usize = 55;

/// The header line the engine sends, with a value of [`VALUE_LEN`] bytes after its name.
pub const HEADER_NAME: &[u8] = b"traceparent: ";

/// Makes the trace ids of one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tracer {
    seed: u64,
}

impl Tracer {
    /// A tracer with a seed of its own: two runs never share trace ids.
    pub fn random() -> Tracer {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        h.write_u32(std::process::id());
        Tracer { seed: h.finish() }
    }

    /// A tracer with a given seed, for tests.
    pub fn with_seed(seed: u64) -> Tracer {
        Tracer { seed }
    }

    /// The trace id (16 bytes) and parent span id (8 bytes) of request `seq`, neither of
    /// them all zeros (which the specification forbids).
    pub fn ids(&self, seq: u64) -> ([u8; 16], [u8; 8]) {
        let high = mix(self.seed ^ mix(seq));
        let mut low = mix(high ^ self.seed.rotate_left(29) ^ seq);
        if high == 0 && low == 0 {
            low = 1;
        }
        let span = mix(low ^ 0x5bd1_e995_9e37_79b9) | 1;
        let mut trace = [0u8; 16];
        trace[..8].copy_from_slice(&high.to_be_bytes());
        trace[8..].copy_from_slice(&low.to_be_bytes());
        (trace, span.to_be_bytes())
    }

    /// The trace id of request `seq` as 32 lowercase hex digits, as tracing backends show it.
    pub fn trace_id(&self, seq: u64) -> String {
        let mut out = [0u8; 32];
        hex(&self.ids(seq).0, &mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    /// Writes the `traceparent` value of request `seq` (version 00, sampled) into `out`.
    pub fn write_value(&self, seq: u64, out: &mut [u8]) {
        let (trace, span) = self.ids(seq);
        out[..3].copy_from_slice(b"00-");
        hex(&trace, &mut out[3..35]);
        out[35] = b'-';
        hex(&span, &mut out[36..52]);
        out[52..55].copy_from_slice(b"-01");
    }

    /// The `traceparent` value of request `seq` as text.
    pub fn value(&self, seq: u64) -> String {
        let mut out = [0u8; VALUE_LEN];
        self.write_value(seq, &mut out);
        String::from_utf8_lossy(&out).into_owned()
    }
}

/// SplitMix64's finaliser: every bit of the input moves every bit of the output.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn hex(bytes: &[u8], out: &mut [u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for (i, b) in bytes.iter().enumerate() {
        out[2 * i] = DIGITS[usize::from(b >> 4)];
        out[2 * i + 1] = DIGITS[usize::from(b & 0xf)];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The specification's grammar: `00-` 32 lowercase hex `-` 16 lowercase hex `-` 2 hex,
    /// with neither id all zeros.
    fn valid(value: &str) -> bool {
        let parts: Vec<&str> = value.split('-').collect();
        let hex = |s: &str, n: usize| {
            s.len() == n
                && s.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        };
        parts.len() == 4
            && parts[0] == "00"
            && hex(parts[1], 32)
            && parts[1].bytes().any(|b| b != b'0')
            && hex(parts[2], 16)
            && parts[2].bytes().any(|b| b != b'0')
            && hex(parts[3], 2)
    }

    #[test]
    fn values_follow_the_specification_and_differ_by_request_and_run() {
        let a = Tracer::with_seed(7);
        let b = Tracer::with_seed(8);
        let mut seen = std::collections::HashSet::new();
        for seq in 0..10_000 {
            let v = a.value(seq);
            assert_eq!(v.len(), VALUE_LEN);
            assert!(valid(&v), "{v}");
            assert!(seen.insert(a.trace_id(seq)), "trace id repeated at {seq}");
            assert_ne!(a.trace_id(seq), b.trace_id(seq));
            assert!(v.contains(&a.trace_id(seq)));
            assert!(v.ends_with("-01"), "sampled: {v}");
        }
        // The same request of the same run has the same id, when sent and when reported.
        assert_eq!(a.value(42), Tracer::with_seed(7).value(42));
        assert_ne!(Tracer::random(), Tracer::random());
    }
}
