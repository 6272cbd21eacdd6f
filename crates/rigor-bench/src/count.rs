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

/// How `strsignal` names the signals a program dies of: perf stat reports a command killed
/// by one only as `PROGRAM: NAME` on stderr, and exits 0.
const SIGNAL_NAMES: [&str; 21] = [
    "Hangup",
    "Interrupt",
    "Quit",
    "Illegal instruction",
    "Trace/breakpoint trap",
    "Aborted",
    "Bus error",
    "Floating point exception",
    "Killed",
    "User defined signal 1",
    "Segmentation fault",
    "User defined signal 2",
    "Broken pipe",
    "Alarm clock",
    "Terminated",
    "Stack fault",
    "CPU time limit exceeded",
    "File size limit exceeded",
    "Virtual timer expired",
    "Profiling timer expired",
    "Bad system call",
];

/// The signal perf stat says killed `program`, if it says one did.
fn perf_signal(stderr: &str, program: &str) -> Option<String> {
    stderr.lines().find_map(|line| {
        let name = line.strip_prefix(program)?.strip_prefix(": ")?.trim_end();
        SIGNAL_NAMES.contains(&name).then(|| name.to_string())
    })
}

/// Runs `command` once under `source`, in a directory of its own inside `dir` (removed
/// afterwards, whatever the outcome, so no run's files reach another's count). A non-zero
/// exit is a failure unless `ignore_failure`; a command killed by a signal always is.
pub fn count(
    source: CountSource,
    tool: &Path,
    command: &CommandSpec,
    dir: &Path,
    ignore_failure: bool,
) -> Result<Counted, CountError> {
    let name = source.as_str();
    let run_dir = tempfile::Builder::new()
        .prefix("run-")
        .tempdir_in(dir)
        .map_err(|e| CountError::Unreadable {
            command: command.line.clone(),
            tool: name,
            why: format!("no directory for its files in {}: {e}", dir.display()),
        })?;
    let dir = run_dir.path();
    let argv = argv(command);
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
    process.args(&argv).stdin(Stdio::null());
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
    let stderr = String::from_utf8_lossy(&output.stderr);
    let signal = std::os::unix::process::ExitStatusExt::signal(&output.status);
    let killed = match source {
        CountSource::Perf => {
            perf_signal(&stderr, &argv[0].to_string_lossy()).map(|n| format!("killed by {n}"))
        }
        CountSource::Cachegrind => None,
    };
    let failed = signal.is_some() || (!output.status.success() && !ignore_failure);
    if failed || killed.is_some() {
        let tail: String = stderr.lines().rev().take(3).collect::<Vec<_>>().join(" / ");
        return Err(CountError::Failed {
            command: command.line.clone(),
            tool: name,
            status: killed
                .unwrap_or_else(|| crate::executor::describe_exit(output.status.code(), signal)),
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
///
/// A hybrid CPU counts each kind of core apart (`cpu_core/instructions:u/`,
/// `cpu_atom/instructions:u/`): the lines add up, and a kind the command never ran on says
/// `<not counted>`.
pub fn parse_perf(text: &str) -> Result<u64, String> {
    let mut total: Option<u64> = None;
    let mut refused = None;
    for line in text.lines() {
        let fields: Vec<&str> = line.split(',').collect();
        if fields.len() < 3 || !fields[2].contains("instructions") {
            continue;
        }
        match fields[0].trim().parse::<u64>() {
            Ok(n) => total = Some(total.unwrap_or(0).saturating_add(n)),
            Err(_) => refused = Some(fields[0].trim().to_string()),
        }
    }
    match (total, refused) {
        (Some(n), _) => Ok(n),
        (None, Some(what)) => Err(format!("perf counted no instructions (`{what}`)")),
        (None, None) => Err("perf printed no instructions line".into()),
    }
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
        // A hybrid CPU counts its two kinds of core apart; a kind left idle is not counted.
        let hybrid = "1000,,cpu_core/instructions:u/,500,100.00,,\n<not counted>,,cpu_atom/instructions:u/,0,0.00,,\n234,,cpu_atom/instructions:u/,10,100.00,,\n";
        assert_eq!(parse_perf(hybrid).unwrap(), 1_234);
    }

    /// An executable shell script `name` in `dir`.
    fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    fn true_command() -> CommandSpec {
        CommandSpec {
            name: "true".into(),
            line: "true".into(),
            invocation: crate::spec::Invocation::Direct {
                program: "true".into(),
                args: Vec::new(),
            },
            output: OutputMode::Discard,
            parameters: Vec::new(),
        }
    }

    /// A stand-in for valgrind that writes a cachegrind file of `ir` instructions where it
    /// is told to, then exits with `code`.
    fn fake_valgrind(dir: &Path, name: &str, ir: u64, code: i32) -> PathBuf {
        let body = format!(
            "for a in \"$@\"; do case $a in --cachegrind-out-file=*) out=${{a#--cachegrind-out-file=}};; esac; done\n\
             out=$(echo \"$out\" | sed \"s/%p/$$/\")\n\
             printf 'events: Ir I1mr ILmr Dr D1mr DLmr Dw D1mw DLmw\\nsummary: {ir} 0 0 0 0 0 0 0 0\\n' > \"$out\"\n\
             exit {code}"
        );
        script(dir, name, &body)
    }

    #[test]
    fn a_failed_runs_files_never_reach_the_next_count() {
        let tools = tempfile::tempdir().unwrap();
        let scratch = tempfile::tempdir().unwrap();
        let failing = fake_valgrind(tools.path(), "failing", 999_999, 3);
        let good = fake_valgrind(tools.path(), "good", 1_000, 0);
        let cmd = true_command();
        let err = count(
            CountSource::Cachegrind,
            &failing,
            &cmd,
            scratch.path(),
            false,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("failed under cachegrind"), "{err}");
        let c = count(CountSource::Cachegrind, &good, &cmd, scratch.path(), false).unwrap();
        assert_eq!(c.instructions, 1_000, "only this run's own file");
        assert_eq!(
            std::fs::read_dir(scratch.path()).unwrap().count(),
            0,
            "every run's files are gone"
        );
        // A non-zero exit the user said to ignore still counts.
        let c = count(
            CountSource::Cachegrind,
            &failing,
            &cmd,
            scratch.path(),
            true,
        )
        .unwrap();
        assert_eq!(c.instructions, 999_999);
    }

    #[test]
    fn a_command_killed_under_perf_is_no_count() {
        let tools = tempfile::tempdir().unwrap();
        let scratch = tempfile::tempdir().unwrap();
        // perf stat says a signal only on stderr, and exits 0.
        let perf = script(
            tools.path(),
            "perf",
            "echo '5000,,instructions:u,100,100.00,,' > \"$7\"\necho \"$9: Segmentation fault\" >&2\nexit 0",
        );
        let err = count(
            CountSource::Perf,
            &perf,
            &true_command(),
            scratch.path(),
            true,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("killed by Segmentation fault"), "{err}");
        let quiet = script(
            tools.path(),
            "perf-ok",
            "echo '5000,,instructions:u,100,100.00,,' > \"$7\"\necho 'true: not a signal' >&2",
        );
        let c = count(
            CountSource::Perf,
            &quiet,
            &true_command(),
            scratch.path(),
            false,
        )
        .unwrap();
        assert_eq!(c.instructions, 5_000);
    }
}
