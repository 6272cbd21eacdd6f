//! The profiler executor: Linux `perf` samples the target's stacks during a window of a run
//! (the steady phase by default), and the samples are folded in-process with inferno into
//! `frame;frame;frame count` lines, the form flame graphs and the hottest-frames table are made
//! from.
//!
//! perf is run as `perf record -e cpu-clock -F HZ -g -p PIDS` (`cpu-clock` is a timer, so it
//! works on virtual machines without hardware counters), stopped with SIGINT at the window's
//! end, then read back with `perf script`. `$PERF` names another perf. When perf is missing or
//! not permitted, [`check`] says exactly why and what would enable it, and the run goes on
//! without a profile: the profile is evidence beside the measurement, never a reason to lose it.
//!
//! What this crate must not do: judge (hottest frames and diffs are analysis), or write to the
//! store (the recorder does).

mod fold;

use std::io::Read as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub use fold::{fold_perf_script, Folded};

/// How to profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileSpec {
    /// Samples a second.
    pub frequency_hz: u32,
    pub call_graph: CallGraph,
    /// The perf program (`$PERF`, else `perf` on the PATH).
    pub perf: PathBuf,
    /// The phase to sample (default: the one named `steady`, else the first of kind steady,
    /// else the whole run).
    pub phase: Option<String>,
}

impl Default for ProfileSpec {
    fn default() -> Self {
        ProfileSpec {
            frequency_hz: DEFAULT_FREQUENCY_HZ,
            call_graph: CallGraph::FramePointers,
            perf: std::env::var_os("PERF").map_or_else(|| PathBuf::from("perf"), PathBuf::from),
            phase: None,
        }
    }
}

/// 99 a second: often enough for a profile of a steady phase of seconds, rarely enough to cost
/// the target little, and not in step with timers that fire 100 times a second.
pub const DEFAULT_FREQUENCY_HZ: u32 = 99;

/// How stacks are unwound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallGraph {
    /// Frame pointers: cheap; needs code built with them (`-C force-frame-pointers=yes`,
    /// `-fno-omit-frame-pointer`).
    FramePointers,
    /// DWARF unwinding from copies of the stack: works without frame pointers, costs more.
    Dwarf,
}

impl CallGraph {
    pub fn as_str(self) -> &'static str {
        match self {
            CallGraph::FramePointers => "fp",
            CallGraph::Dwarf => "dwarf",
        }
    }

    fn perf_args(self) -> &'static [&'static str] {
        match self {
            CallGraph::FramePointers => &["--call-graph", "fp"],
            CallGraph::Dwarf => &["--call-graph", "dwarf,16384"],
        }
    }
}

/// Why there is no profile, in words that say what would give one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unavailable(pub String);

/// What a finished profile holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Profiled {
    pub folded: Folded,
    /// When sampling began and how long it ran, from the run's start.
    pub started: Duration,
    pub length: Duration,
    /// `perf version 6.1…`.
    pub tool: String,
    /// The processes sampled.
    pub pids: Vec<u32>,
}

/// `perf record` at `spec`'s rate and call graph, writing to `data`; what it samples is
/// added by the caller.
fn record_command(spec: &ProfileSpec, data: &std::path::Path) -> Command {
    let mut cmd = Command::new(&spec.perf);
    cmd.args([
        "record",
        "-e",
        "cpu-clock",
        "-F",
        &spec.frequency_hz.to_string(),
    ])
    .args(spec.call_graph.perf_args())
    .arg("-o")
    .arg(data);
    cmd
}

/// `perf --version`'s line: whether perf is there and runs.
fn version(spec: &ProfileSpec) -> Result<String, Unavailable> {
    let perf = spec.perf.display().to_string();
    let version = Command::new(&spec.perf)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| {
            Unavailable(match e.kind() {
                std::io::ErrorKind::NotFound => format!(
                    "`{perf}` is not installed: install Linux perf (Debian: apt-get install linux-perf), or point $PERF at it"
                ),
                _ => format!("`{perf}` cannot be started: {e}"),
            })
        })?;
    if !version.status.success() {
        return Err(Unavailable(format!(
            "`{perf} --version` failed ({}): {}; on Debian perf comes with linux-perf, matched to the running kernel",
            version.status,
            last_line(&version.stderr)
        )));
    }
    Ok(String::from_utf8_lossy(&version.stdout).trim().to_string())
}

/// Fills `capture` with how a profile went and returns its folded stacks; `None` (and the
/// reason in `capture.unavailable`) when there is none. `nothing` says why a profile with
/// no samples is empty.
pub fn into_capture(
    outcome: Result<Profiled, Unavailable>,
    capture: &mut rigor_model::output::profile::ProfileCapture,
    nothing: &str,
) -> Option<String> {
    match outcome {
        Ok(p) => {
            capture.window_start_ns = p.started.as_nanos() as u64;
            capture.window_ns = p.length.as_nanos() as u64;
            capture.samples = p.folded.samples;
            capture.tool = p.tool;
            capture.hints = p.folded.hints;
            capture.modules = p.folded.modules;
            if !p.pids.is_empty() {
                capture.pids = p.pids;
            }
            if p.folded.samples == 0 {
                capture.unavailable = Some(nothing.to_string());
            }
            Some(p.folded.text)
        }
        Err(why) => {
            capture.unavailable = Some(why.0);
            None
        }
    }
}

/// Whether `spec`'s perf can sample `pids` here: a short `perf record` of them, as the run
/// will do. The error says why not and what to change.
pub fn check(spec: &ProfileSpec, pids: &[u32]) -> Result<String, Unavailable> {
    let perf = spec.perf.display().to_string();
    let tool = version(spec)?;
    let dir = tempfile::tempdir()
        .map_err(|e| Unavailable(format!("no temporary directory for perf's data: {e}")))?;
    let data = dir.path().join("check.data");
    let out = Command::new(&spec.perf)
        .args(["record", "-e", "cpu-clock", "-F", "99", "-o"])
        .arg(&data)
        .args(pid_args(pids))
        .args(["--", "sleep", "0.05"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .output()
        .map_err(|e| Unavailable(format!("`{perf} record` cannot be started: {e}")))?;
    if !out.status.success() {
        return Err(Unavailable(refusal(
            &perf,
            &String::from_utf8_lossy(&out.stderr),
        )));
    }
    Ok(tool)
}

/// perf's refusal in words that say what would allow it.
fn refusal(perf: &str, stderr: &str) -> String {
    let paranoid = std::fs::read_to_string("/proc/sys/kernel/perf_event_paranoid")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".into());
    if stderr.contains("perf_event_paranoid")
        || stderr.contains("Permission denied")
        || stderr.contains("Access to performance monitoring")
    {
        format!(
            "`{perf} record` was not permitted (kernel.perf_event_paranoid is {paranoid}): run as root or give rigor CAP_PERFMON, or allow it with `sysctl kernel.perf_event_paranoid=1` (for processes you own) or -1; in a container, profile from the host or grant the capability"
        )
    } else if stderr.contains("No such process") || stderr.contains("doesn't exist") {
        format!("`{perf} record` found no such process to sample: the target exited")
    } else {
        format!("`{perf} record` failed: {}", last_line(stderr.as_bytes()))
    }
}

fn last_line(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("no message")
        .trim()
        .to_string()
}

fn pid_args(pids: &[u32]) -> Vec<String> {
    let list: Vec<String> = pids.iter().map(u32::to_string).collect();
    vec!["-p".into(), list.join(",")]
}

/// Runs `argv` once under perf (a run of its own, after a benchmark's timed runs: profiling
/// never touches the runs that are timed) and folds what it sampled.
pub fn profile_command(spec: &ProfileSpec, argv: &[String]) -> Result<Profiled, Unavailable> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| Unavailable("no command to profile".into()))?;
    let perf = spec.perf.display().to_string();
    let tool = version(spec)?;
    let dir = tempfile::tempdir()
        .map_err(|e| Unavailable(format!("no temporary directory for perf's data: {e}")))?;
    let data = dir.path().join("perf.data");
    let started = Instant::now();
    let out = record_command(spec, &data)
        .arg("--")
        .arg(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| Unavailable(format!("`{perf} record` cannot be started: {e}")))?;
    let length = started.elapsed();
    if !data.exists() {
        return Err(Unavailable(refusal(
            &perf,
            &String::from_utf8_lossy(&out.stderr),
        )));
    }
    let folded = script_and_fold(spec, &data)?;
    Ok(Profiled {
        folded,
        started: Duration::ZERO,
        length,
        tool,
        pids: Vec::new(),
    })
}

/// `perf script` of `data`, folded.
fn script_and_fold(spec: &ProfileSpec, data: &std::path::Path) -> Result<Folded, Unavailable> {
    let perf = spec.perf.display().to_string();
    let script = Command::new(&spec.perf)
        .arg("script")
        .arg("-i")
        .arg(data)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .map_err(|e| Unavailable(format!("`{perf} script` cannot be started: {e}")))?;
    if !script.status.success() {
        return Err(Unavailable(format!(
            "`{perf} script` could not read the samples ({})",
            script.status
        )));
    }
    fold_perf_script(&String::from_utf8_lossy(&script.stdout))
        .map_err(|e| Unavailable(format!("perf's samples could not be folded: {e}")))
}

/// When to sample, from the run's start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: Duration,
    /// `None`: until the profiler is finished.
    pub length: Option<Duration>,
}

/// A profiler waiting for its window, sampling, or done.
pub struct Profiler {
    done: Arc<AtomicBool>,
    thread: JoinHandle<Result<Profiled, Unavailable>>,
}

impl Profiler {
    /// Starts a thread that samples `pids` with `spec` during `window` of a run that began at
    /// `run_start`. [`Profiler::finish`] ends it early (the run stopped) and returns what it got.
    pub fn start(
        spec: ProfileSpec,
        pids: Pids,
        window: Window,
        run_start: Instant,
        tool: String,
    ) -> Profiler {
        let done = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&done);
        let thread = std::thread::Builder::new()
            .name("rigor-profile".into())
            .spawn(move || sample(&spec, pids, window, run_start, &flag, tool))
            .expect("a thread for the profiler");
        Profiler { done, thread }
    }

    /// Stops sampling (if it still goes) and returns the profile.
    pub fn finish(self) -> Result<Profiled, Unavailable> {
        self.done.store(true, Ordering::Relaxed);
        self.thread
            .join()
            .unwrap_or_else(|_| Err(Unavailable("the profiler thread panicked".into())))
    }
}

/// Waits until `until` or until `done`; `false` when `done` came first.
fn wait_until(until: Instant, done: &AtomicBool) -> bool {
    loop {
        if done.load(Ordering::Relaxed) {
            return false;
        }
        let now = Instant::now();
        if now >= until {
            return true;
        }
        std::thread::sleep((until - now).min(Duration::from_millis(20)));
    }
}

/// The processes to sample, asked for when the window begins: a pre-fork server's workers, or
/// a wrapper script's server, may start after the run does.
pub type Pids = Box<dyn Fn() -> Vec<u32> + Send>;

fn sample(
    spec: &ProfileSpec,
    pids: Pids,
    window: Window,
    run_start: Instant,
    done: &AtomicBool,
    tool: String,
) -> Result<Profiled, Unavailable> {
    if !wait_until(run_start + window.start, done) {
        return Err(Unavailable(
            "the run ended before the profile's window began".into(),
        ));
    }
    let dir = tempfile::tempdir()
        .map_err(|e| Unavailable(format!("no temporary directory for perf's data: {e}")))?;
    let data = dir.path().join("perf.data");
    let perf = spec.perf.display().to_string();
    let started = run_start.elapsed();
    let pids = pids();
    let mut child = record_command(spec, &data)
        .args(pid_args(&pids))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Unavailable(format!("`{perf} record` cannot be started: {e}")))?;
    let until = window.length.map(|l| run_start + window.start + l);
    match until {
        Some(until) => {
            wait_until(until, done);
        }
        None => {
            while !done.load(Ordering::Relaxed) && child_running(&mut child) {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
    let length = run_start.elapsed().saturating_sub(started);
    interrupt(&child);
    let status = child
        .wait()
        .map_err(|e| Unavailable(format!("`{perf} record` could not be waited for: {e}")))?;
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut stderr);
    }
    // perf exits with the signal's status after SIGINT; what matters is that it wrote data.
    if !data.exists() {
        return Err(Unavailable(if status.success() {
            format!("`{perf} record` wrote no data")
        } else {
            refusal(&perf, &stderr)
        }));
    }
    let folded = script_and_fold(spec, &data)?;
    Ok(Profiled {
        folded,
        started,
        length,
        tool,
        pids,
    })
}

fn child_running(child: &mut Child) -> bool {
    matches!(child.try_wait(), Ok(None))
}

/// SIGINT: perf record finishes its file and exits.
fn interrupt(child: &Child) {
    let Ok(pid) = libc::pid_t::try_from(child.id()) else {
        return;
    };
    // SAFETY-free: `kill` is a plain syscall wrapper; a pid that is gone just fails.
    #[allow(unsafe_code)]
    unsafe {
        libc::kill(pid, libc::SIGINT);
    }
}
