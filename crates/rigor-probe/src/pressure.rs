//! The host's pressure stall information (PSI, `/proc/pressure/{cpu,memory,io}`, Linux 4.20+):
//! the share of time some task waited for a CPU, for memory or for I/O. It says what the
//! target's own figures cannot: that the machine, not the process, was short of something.

use std::time::Instant;

/// The `some` stall totals of the three resources, in microseconds since boot; `None` for a
/// resource the kernel does not report (PSI off, an old kernel, a container hiding it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PressureReading {
    pub at: Instant,
    pub cpu_us: Option<u64>,
    pub memory_us: Option<u64>,
    pub io_us: Option<u64>,
}

/// The share of a span (0 to 1) in which some task stalled, per resource.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Pressure {
    pub cpu: Option<f64>,
    pub memory: Option<f64>,
    pub io: Option<f64>,
}

impl PressureReading {
    /// Reads the three files; `None` when none of them is there.
    pub fn now() -> Option<PressureReading> {
        let read = |name: &str| {
            std::fs::read_to_string(format!("/proc/pressure/{name}"))
                .ok()
                .and_then(|text| some_total(&text))
        };
        let reading = PressureReading {
            at: Instant::now(),
            cpu_us: read("cpu"),
            memory_us: read("memory"),
            io_us: read("io"),
        };
        (reading.cpu_us.is_some() || reading.memory_us.is_some() || reading.io_us.is_some())
            .then_some(reading)
    }

    /// The stall shares between `earlier` and this reading.
    pub fn since(&self, earlier: &PressureReading) -> Pressure {
        let span_us = self.at.duration_since(earlier.at).as_micros().max(1) as f64;
        let share = |now: Option<u64>, then: Option<u64>| {
            let stalled = now?.checked_sub(then?)? as f64;
            Some((stalled / span_us).clamp(0.0, 1.0))
        };
        Pressure {
            cpu: share(self.cpu_us, earlier.cpu_us),
            memory: share(self.memory_us, earlier.memory_us),
            io: share(self.io_us, earlier.io_us),
        }
    }
}

/// The `total=` of the `some` line: `some avg10=0.00 avg60=0.00 avg300=0.00 total=12345`.
fn some_total(text: &str) -> Option<u64> {
    text.lines()
        .find(|l| l.starts_with("some "))?
        .split_whitespace()
        .find_map(|f| f.strip_prefix("total="))?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_some_line_gives_the_total() {
        let text = "some avg10=6.97 avg60=5.87 avg300=2.32 total=881582394\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n";
        assert_eq!(some_total(text), Some(881_582_394));
        assert_eq!(some_total("full avg10=0 total=3\n"), None);
    }

    #[test]
    fn shares_are_stall_over_span() {
        let t0 = Instant::now();
        let a = PressureReading {
            at: t0,
            cpu_us: Some(1_000),
            memory_us: Some(5),
            io_us: None,
        };
        let b = PressureReading {
            at: t0 + Duration::from_secs(1),
            cpu_us: Some(251_000),
            memory_us: Some(5),
            io_us: Some(9),
        };
        let p = b.since(&a);
        assert_eq!(p.cpu, Some(0.25));
        assert_eq!(p.memory, Some(0.0));
        assert_eq!(p.io, None, "no earlier reading");
    }
}
