//! The system under test's signals: figures of the target (its process tree) and of the host,
//! sampled once a second beside the load — `target.cpu.p95`, `target.rss.peak`,
//! `target.ctx_switches.rate`, `host.pressure.cpu`. Each names the per-second series it is
//! read from (for `sustained` rules and comparisons) and its figure in a run's summary.

use std::fmt;

use super::{Judged, Stat, Unit};
use crate::output::TargetFigures;

/// A sampled figure of the target or the host.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Signal {
    /// CPU as a share of the machine's cores: mean, max, or p50/p90/p95/p99 over seconds.
    Cpu(Stat),
    CpuUser,
    CpuSystem,
    /// Resident memory: peak (`max`), or the lower of the first and last second (`min`).
    Rss(Stat),
    Threads,
    Fds,
    Processes,
    /// Context switches per second (voluntary and involuntary).
    Switches,
    InvoluntarySwitches,
    ReadBytes,
    WriteBytes,
    MinorFaults,
    MajorFaults,
    Pressure(Resource),
    /// Growth per second after the warm-up (the leak detector's Theil–Sen slope).
    Slope(Grows),
}

/// A figure whose growth is judged for leaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grows {
    Rss,
    Fds,
    Threads,
}

impl Grows {
    /// The sampled series it is the growth of.
    pub fn series(self) -> &'static str {
        match self {
            Grows::Rss => "target.rss",
            Grows::Fds => "target.fds",
            Grows::Threads => "target.threads",
        }
    }
}

/// A resource the kernel reports stall pressure for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Cpu,
    Memory,
    Io,
}

impl Resource {
    pub fn as_str(self) -> &'static str {
        match self {
            Resource::Cpu => "cpu",
            Resource::Memory => "memory",
            Resource::Io => "io",
        }
    }
}

/// Every signal by its name, for parsing, help and did-you-mean.
pub const NAMES: &[(&str, Signal)] = &[
    ("target.cpu", Signal::Cpu(Stat::Mean)),
    ("target.cpu.max", Signal::Cpu(Stat::Max)),
    ("target.cpu.p50", Signal::Cpu(Stat::Percentile(50.0))),
    ("target.cpu.p90", Signal::Cpu(Stat::Percentile(90.0))),
    ("target.cpu.p95", Signal::Cpu(Stat::Percentile(95.0))),
    ("target.cpu.p99", Signal::Cpu(Stat::Percentile(99.0))),
    ("target.cpu.user", Signal::CpuUser),
    ("target.cpu.system", Signal::CpuSystem),
    ("target.rss", Signal::Rss(Stat::Max)),
    ("target.rss.min", Signal::Rss(Stat::Min)),
    ("target.threads", Signal::Threads),
    ("target.fds", Signal::Fds),
    ("target.processes", Signal::Processes),
    ("target.ctx_switches.rate", Signal::Switches),
    (
        "target.ctx_switches.involuntary.rate",
        Signal::InvoluntarySwitches,
    ),
    ("target.io.read.rate", Signal::ReadBytes),
    ("target.io.write.rate", Signal::WriteBytes),
    ("target.faults.minor.rate", Signal::MinorFaults),
    ("target.faults.major.rate", Signal::MajorFaults),
    ("host.pressure.cpu", Signal::Pressure(Resource::Cpu)),
    ("host.pressure.memory", Signal::Pressure(Resource::Memory)),
    ("host.pressure.io", Signal::Pressure(Resource::Io)),
    ("target.rss.slope", Signal::Slope(Grows::Rss)),
    ("target.fds.slope", Signal::Slope(Grows::Fds)),
    ("target.threads.slope", Signal::Slope(Grows::Threads)),
];

/// Names that mean the same as a canonical one.
const ALIASES: &[(&str, Signal)] = &[
    ("target.cpu.mean", Signal::Cpu(Stat::Mean)),
    ("target.cpu.median", Signal::Cpu(Stat::Percentile(50.0))),
    ("target.rss.max", Signal::Rss(Stat::Max)),
    ("target.rss.peak", Signal::Rss(Stat::Max)),
    ("target.threads.max", Signal::Threads),
    ("target.fds.max", Signal::Fds),
    ("target.processes.max", Signal::Processes),
];

impl Signal {
    /// The signal a name denotes, if any.
    pub fn named(text: &str) -> Option<Signal> {
        NAMES
            .iter()
            .chain(ALIASES)
            .find(|(name, _)| *name == text)
            .map(|(_, s)| *s)
    }

    /// Whether a name is in the signals' namespace (so a typo in it is told as one of them).
    pub fn claims(text: &str) -> bool {
        text.starts_with("target.") || text.starts_with("host.")
    }

    pub fn unit(self) -> Unit {
        match self {
            Signal::Cpu(_) | Signal::CpuUser | Signal::CpuSystem | Signal::Pressure(_) => {
                Unit::Fraction
            }
            Signal::Rss(_) => Unit::Bytes,
            Signal::Threads | Signal::Fds | Signal::Processes => Unit::Count,
            Signal::Switches
            | Signal::InvoluntarySwitches
            | Signal::MinorFaults
            | Signal::MajorFaults => Unit::PerSecond,
            Signal::ReadBytes | Signal::WriteBytes | Signal::Slope(Grows::Rss) => {
                Unit::BytesPerSecond
            }
            Signal::Slope(_) => Unit::PerSecond,
        }
    }

    pub fn judged(self) -> Judged {
        match self {
            Signal::Threads | Signal::Fds | Signal::Processes | Signal::Slope(_) => Judged::Point,
            _ => Judged::Samples,
        }
    }

    /// The per-second series this signal is read from, as the store names it.
    pub fn series(self) -> &'static str {
        match self {
            Signal::Cpu(_) => "target.cpu",
            Signal::CpuUser => "target.cpu.user",
            Signal::CpuSystem => "target.cpu.system",
            Signal::Rss(_) => "target.rss",
            Signal::Threads => "target.threads",
            Signal::Fds => "target.fds",
            Signal::Processes => "target.processes",
            Signal::Switches => "target.ctx_switches",
            Signal::InvoluntarySwitches => "target.ctx_switches.involuntary",
            Signal::ReadBytes => "target.io.read",
            Signal::WriteBytes => "target.io.write",
            Signal::MinorFaults => "target.faults.minor",
            Signal::MajorFaults => "target.faults.major",
            Signal::Pressure(Resource::Cpu) => "host.pressure.cpu",
            Signal::Pressure(Resource::Memory) => "host.pressure.memory",
            Signal::Pressure(Resource::Io) => "host.pressure.io",
            Signal::Slope(g) => g.series(),
        }
    }

    /// The figure in a summary of the target's seconds; `None` when it was not measured.
    pub fn value_in(self, f: &TargetFigures) -> Option<f64> {
        match self {
            Signal::Cpu(Stat::Mean) => Some(f.cpu_mean),
            Signal::Cpu(Stat::Max) => Some(f.cpu_max),
            Signal::Cpu(Stat::Min) => None,
            Signal::Cpu(Stat::Percentile(p)) => match p as u32 {
                50 => f.cpu_p50,
                90 => f.cpu_p90,
                95 => f.cpu_p95,
                99 => f.cpu_p99,
                _ => None,
            },
            Signal::CpuUser => f.cpu_user_mean,
            Signal::CpuSystem => f.cpu_system_mean,
            Signal::Rss(Stat::Min) => Some(f.rss_start_bytes.min(f.rss_end_bytes) as f64),
            Signal::Rss(_) => Some(f.rss_max_bytes as f64),
            Signal::Threads => Some(f64::from(f.threads_max)),
            Signal::Fds => Some(f64::from(f.fds_max)),
            Signal::Processes => f.processes_max.map(f64::from),
            Signal::Switches => f.ctx_switches_per_s,
            Signal::InvoluntarySwitches => f.involuntary_switches_per_s,
            Signal::ReadBytes => f.read_bytes_per_s,
            Signal::WriteBytes => f.write_bytes_per_s,
            Signal::MinorFaults => f.minor_faults_per_s,
            Signal::MajorFaults => f.major_faults_per_s,
            Signal::Pressure(r) => f.host_pressure.as_ref().and_then(|p| match r {
                Resource::Cpu => p.cpu,
                Resource::Memory => p.memory,
                Resource::Io => p.io,
            }),
            // A growth is judged over the run after its warm-up: see the summary's trends.
            Signal::Slope(_) => None,
        }
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = NAMES
            .iter()
            .find(|(_, s)| s == self)
            .map_or("target.cpu", |(n, _)| n);
        f.write_str(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_its_own_signal_and_prints_back() {
        for (name, signal) in NAMES {
            assert_eq!(Signal::named(name), Some(*signal), "{name}");
            assert_eq!(&signal.to_string(), name);
        }
        for (alias, signal) in ALIASES {
            assert_eq!(Signal::named(alias), Some(*signal), "{alias}");
        }
    }
}
