//! Deterministic costs of a command, beside its wall time: the instructions it executed and
//! an estimated cycle count, from a real tool. Wall time on a shared machine wanders by a few
//! percent between invocations; an instruction count by a fraction of a percent, so a gate on
//! it can be tight without false alarms.
//!
//! Two tools count: `perf stat` reads the CPU's own counters (user-mode instructions, the
//! command and every process it starts), where the machine exposes them — many virtual
//! machines do not; Valgrind's cachegrind simulates the CPU (instructions as executed, every
//! child followed) and its caches, from which the cycle estimate comes: L1 hits + 5 ×
//! last-level hits + 35 × memory accesses, the weights iai and Callgrind use. The simulated
//! caches are fixed (32 KiB 8-way L1s, an 8 MiB 16-way last level, 64-byte lines) rather than
//! read from the host, so two machines estimate the same program alike. A simulated run is
//! tens of times slower than a native one, which is why counted runs are a few runs of their
//! own, not the timed ones.
//!
//! Counts from different tools are different measures (perf counts what the CPU retired,
//! cachegrind what it simulated, loader and all): each count keeps its source, and a
//! comparison never sets one against the other.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rigor_model::output::bench::CountSource;

use crate::spec::{CommandSpec, OutputMode};

/// Cachegrind's simulated caches, fixed so that every machine estimates alike.
pub const CACHES: [&str; 3] = ["--I1=32768,8,64", "--D1=32768,8,64", "--LL=8388608,16,64"];

/// What can count on this machine.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tools {
    /// `perf`, when it reads real instruction counts here.
    pub perf: Option<PathBuf>,
    /// Why perf cannot count, when it cannot.
    pub perf_missing: Option<String>,
    /// `valgrind`, when installed.
    pub valgrind: Option<PathBuf>,
}

impl Tools {
    /// Looks for perf (and tries it once on `true`) and for valgrind.
    pub fn find() -> Tools {
        let mut tools = Tools {
            valgrind: crate::executor::search_path("valgrind"),
            ..Tools::default()
        };
        match crate::executor::search_path("perf") {
            None => tools.perf_missing = Some("perf is not installed (Debian: linux-perf)".into()),
            Some(perf) => match perf_works(&perf) {
                Ok(()) => tools.perf = Some(perf),
                Err(why) => tools.perf_missing = Some(why),
            },
        }
        tools
    }
}

/// Whether `perf stat` counts instructions here (it says `<not supported>` on machines whose
/// counters are hidden, and refuses when `perf_event_paranoid` forbids it).
fn perf_works(perf: &Path) -> Result<(), String> {
    let out = Command::new(perf)
        .args(["stat", "-x", ",", "-e", "instructions:u", "--", "true"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .output()
        .map_err(|e| format!("perf cannot be started: {e}"))?;
    let text = String::from_utf8_lossy(&out.stderr);
    match parse_perf(&text) {
        Ok(n) if n > 0 => Ok(()),
        _ if text.contains("not supported") || text.contains("not counted") => Err(
            "this machine's CPU counters are not available to perf (a virtual machine that hides them)".into(),
        ),
        _ if text.contains("perf_event_paranoid") || text.contains("ermission") => {
            let level = std::fs::read_to_string("/proc/sys/kernel/perf_event_paranoid")
                .map(|l| format!(" (kernel.perf_event_paranoid is {})", l.trim()))
                .unwrap_or_default();
            Err(format!(
                "perf may not read the counters here{level}: lower it with `sysctl kernel.perf_event_paranoid=2` or give rigor CAP_PERFMON"
            ))
        }
        _ => Err(format!(
            "perf stat cannot count instructions here ({})",
            text.lines().last().unwrap_or("no reason given").trim()
        )),
    }
}

/// One counted run.
#[derive(Debug, Clone, PartialEq)]
pub struct Counted {
    pub instructions: u64,
    /// The cycle estimate, from a cache simulation (cachegrind only).
    pub cycles_estimate: Option<u64>,
    /// The counted run's own wall time, the tool's slowdown included.
    pub wall: Duration,
}

/// A counted run that did not count.
#[derive(Debug, thiserror::Error)]
pub enum CountError {
    #[error("cannot start {tool}: {source}")]
    Spawn {
        tool: &'static str,
        source: std::io::Error,
    },
    #[error("`{command}` failed under {tool} ({status}){tail}")]
    Failed {
        command: String,
        tool: &'static str,
        status: String,
        tail: String,
    },
    #[error("{tool} ran `{command}` but its counts cannot be read: {why}")]
    Unreadable {
        command: String,
        tool: &'static str,
        why: String,
    },
}

/// The command's program and arguments, as the executor runs it.
fn argv(command: &CommandSpec) -> Vec<OsString> {
    let process = crate::executor::build(&command.invocation);
    std::iter::once(process.get_program().to_os_string())
        .chain(process.get_args().map(OsString::from))
        .collect()
}

/// Runs `command` once under `source` in the scratch directory `dir`.
pub fn count(
    source: CountSource,
    tool: &Path,
    command: &CommandSpec,
    dir: &Path,
) -> Result<Counted, CountError> {
    let name = source.as_str();
    let mut process = Command::new(tool);
    let out = dir.join(format!("{name}.out"));
    match source {
        CountSource::Perf => {
            process.args(["stat", "-x", ",", "-e", "instructions:u", "-o"]);
            process.arg(&out).arg("--");
        }
        CountSource::Cachegrind => {
            process.args([
                "--tool=cachegrind",
                "--cache-sim=yes",
                "--trace-children=yes",
                "-q",
            ]);
            process.args(CACHES);
            process.arg(format!(
                "--cachegrind-out-file={}",
                dir.join("cachegrind.out.%p").display()
            ));
            process.arg("--");
        }
    }
    process.args(argv(command)).stdin(Stdio::null());
    match &command.output {
        OutputMode::Inherit => {}
        _ => {
            process.stdout(Stdio::null());
        }
    }
    process.stderr(Stdio::piped());
    let started = Instant::now();
    let output = process
        .output()
        .map_err(|source| CountError::Spawn { tool: name, source })?;
    let wall = started.elapsed();
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: String = stderr.lines().rev().take(3).collect::<Vec<_>>().join(" / ");
        return Err(CountError::Failed {
            command: command.line.clone(),
            tool: name,
            status: crate::executor::describe_exit(
                output.status.code(),
                std::os::unix::process::ExitStatusExt::signal(&output.status),
            ),
            tail: if tail.is_empty() {
                String::new()
            } else {
                format!(": {tail}")
            },
        });
    }
    let unreadable = |why: String| CountError::Unreadable {
        command: command.line.clone(),
        tool: name,
        why,
    };
    match source {
        CountSource::Perf => {
            let text = std::fs::read_to_string(&out).map_err(|e| unreadable(e.to_string()))?;
            let _ = std::fs::remove_file(&out);
            Ok(Counted {
                instructions: parse_perf(&text).map_err(unreadable)?,
                cycles_estimate: None,
                wall,
            })
        }
        CountSource::Cachegrind => {
            let mut total = CacheEvents::default();
            let mut files = 0;
            for entry in std::fs::read_dir(dir).map_err(|e| unreadable(e.to_string()))? {
                let path = entry.map_err(|e| unreadable(e.to_string()))?.path();
                if !path
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("cachegrind.out."))
                {
                    continue;
                }
                let text = std::fs::read_to_string(&path).map_err(|e| unreadable(e.to_string()))?;
                let _ = std::fs::remove_file(&path);
                total.add(&CacheEvents::parse(&text).map_err(unreadable)?);
                files += 1;
            }
            if files == 0 {
                return Err(unreadable("it wrote no cachegrind.out file".into()));
            }
            Ok(Counted {
                instructions: total.ir,
                cycles_estimate: Some(total.cycles_estimate()),
                wall,
            })
        }
    }
}

/// The instruction count in `perf stat -x ,` output (`12345,,instructions:u,…`).
pub fn parse_perf(text: &str) -> Result<u64, String> {
    for line in text.lines() {
        let fields: Vec<&str> = line.split(',').collect();
        if fields.len() >= 3 && fields[2].starts_with("instructions") {
            return fields[0]
                .trim()
                .parse::<u64>()
                .map_err(|_| format!("perf counted no instructions (`{}`)", fields[0].trim()));
        }
    }
    Err("perf printed no instructions line".into())
}

/// Cachegrind's totals: instruction reads, data reads and writes, and their misses at the
/// first level and the last.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheEvents {
    pub ir: u64,
    pub i1_misses: u64,
    pub il_misses: u64,
    pub dr: u64,
    pub d1_read_misses: u64,
    pub dl_read_misses: u64,
    pub dw: u64,
    pub d1_write_misses: u64,
    pub dl_write_misses: u64,
}

impl CacheEvents {
    /// The `events:` and `summary:` lines of a cachegrind output file.
    pub fn parse(text: &str) -> Result<CacheEvents, String> {
        let line = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(key))
                .map(|rest| rest.split_whitespace().collect::<Vec<_>>())
        };
        let events = line("events:").ok_or("no `events:` line")?;
        let summary = line("summary:").ok_or("no `summary:` line (the run did not finish)")?;
        if events.len() != summary.len() {
            return Err("its `events:` and `summary:` lines differ in length".into());
        }
        let get = |name: &str| -> Result<u64, String> {
            let i = events
                .iter()
                .position(|e| *e == name)
                .ok_or_else(|| format!("no `{name}` event (was the cache simulation on?)"))?;
            summary[i]
                .parse()
                .map_err(|_| format!("`{name}` is `{}`, not a count", summary[i]))
        };
        Ok(CacheEvents {
            ir: get("Ir")?,
            i1_misses: get("I1mr")?,
            il_misses: get("ILmr")?,
            dr: get("Dr")?,
            d1_read_misses: get("D1mr")?,
            dl_read_misses: get("DLmr")?,
            dw: get("Dw")?,
            d1_write_misses: get("D1mw")?,
            dl_write_misses: get("DLmw")?,
        })
    }

    fn add(&mut self, o: &CacheEvents) {
        self.ir += o.ir;
        self.i1_misses += o.i1_misses;
        self.il_misses += o.il_misses;
        self.dr += o.dr;
        self.d1_read_misses += o.d1_read_misses;
        self.dl_read_misses += o.dl_read_misses;
        self.dw += o.dw;
        self.d1_write_misses += o.d1_write_misses;
        self.dl_write_misses += o.dl_write_misses;
    }

    /// L1 hits + 5 × last-level hits + 35 × memory accesses.
    pub fn cycles_estimate(&self) -> u64 {
        let accesses = self.ir + self.dr + self.dw;
        let l1_misses = self.i1_misses + self.d1_read_misses + self.d1_write_misses;
        let ll_misses = self.il_misses + self.dl_read_misses + self.dl_write_misses;
        let l1_hits = accesses.saturating_sub(l1_misses);
        let ll_hits = l1_misses.saturating_sub(ll_misses);
        l1_hits + 5 * ll_hits + 35 * ll_misses
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The totals of a real cachegrind run (`sh -c 'seq 1 1000 > /dev/null'`, valgrind 3.19).
    const CACHEGRIND: &str = "desc: I1 cache:         32768 B, 64 B, 8-way associative\ncmd: sh -c seq\nevents: Ir I1mr ILmr Dr D1mr DLmr Dw D1mw DLmw \nfl=x.c\nfn=main\n1 2 0 0 0 0 0 0 0 0\nsummary: 232242 1588 1586 57735 1824 1514 21804 506 475\n";

    #[test]
    fn cachegrinds_totals_read_and_estimate_cycles() {
        let e = CacheEvents::parse(CACHEGRIND).unwrap();
        assert_eq!(e.ir, 232_242);
        assert_eq!(e.dl_write_misses, 475);
        // accesses 311,781; L1 misses 3,918; LL misses 3,575 → 307,863 + 5 × 343 + 35 × 3,575.
        assert_eq!(e.cycles_estimate(), 307_863 + 5 * 343 + 35 * 3_575);
        assert!(CacheEvents::parse("events: Ir\n")
            .unwrap_err()
            .contains("summary"));
        assert!(CacheEvents::parse("events: Ir\nsummary: 5\n")
            .unwrap_err()
            .contains("I1mr"));
    }

    #[test]
    fn perfs_csv_line_reads_and_a_hidden_counter_is_said() {
        assert_eq!(
            parse_perf("# started on\n\n1234567,,instructions:u,1000,100.00,,\n").unwrap(),
            1_234_567
        );
        assert!(parse_perf("<not supported>,,instructions:u,0,100.00,,\n")
            .unwrap_err()
            .contains("no instructions"));
        assert!(parse_perf("").is_err());
    }
}
