//! The sampler: reads `/proc/PID` once a second while a run goes, so a run records the
//! target's saturation (CPU, memory, threads, open files) beside its latencies, and rules
//! such as "CPU above 85 % for 10 minutes" can be judged. It reads `/proc` and nothing else.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// One reading of a process.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    /// CPU time the process has used (user + system, all threads), in nanoseconds.
    pub cpu_ns: u64,
    pub rss_bytes: u64,
    pub threads: u32,
    pub fds: u32,
}

/// The target over one second of the run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SecondSample {
    /// Seconds from the start of the sampling.
    pub second: u32,
    /// CPU used over the second, in cores (1.0 = one core fully busy).
    pub cpu_cores: f64,
    /// The same as a share of the machine's cores (0 to 1).
    pub cpu_share: f64,
    pub rss_bytes: u64,
    pub threads: u32,
    pub fds: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("cannot read {path}: {source} (is process {pid} running, and is this Linux?)")]
    Read {
        pid: u32,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not in the format this rigor reads")]
    Format { path: PathBuf },
}

/// Whether process `pid` is running: it exists and is neither a zombie nor dead (a child that
/// exited stays a zombie until it is reaped, and it no longer serves anything).
pub fn is_running(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    let state = stat
        .rfind(')')
        .and_then(|i| stat[i + 1..].split_whitespace().next());
    !matches!(state, None | Some("Z") | Some("X") | Some("x"))
}

/// Reads process `pid` once.
pub fn read(pid: u32) -> Result<Reading, ProbeError> {
    let path = PathBuf::from(format!("/proc/{pid}/stat"));
    let stat = std::fs::read_to_string(&path).map_err(|source| ProbeError::Read {
        pid,
        path: path.clone(),
        source,
    })?;
    // The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'.
    let rest = stat
        .rsplit_once(')')
        .map(|(_, r)| r)
        .ok_or(ProbeError::Format { path: path.clone() })?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state): field n is fields[n - 3].
    let field = |n: usize| -> Result<u64, ProbeError> {
        fields
            .get(n - 3)
            .and_then(|f| f.parse().ok())
            .ok_or(ProbeError::Format { path: path.clone() })
    };
    let ticks = clock_ticks();
    let cpu_ticks = field(14)? + field(15)?;
    let threads = field(20)? as u32;
    let rss_pages = field(24)?;
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count() as u32);
    Ok(Reading {
        cpu_ns: cpu_ticks.saturating_mul(1_000_000_000) / ticks.max(1),
        rss_bytes: rss_pages.saturating_mul(page_size()),
        threads,
        fds,
    })
}

/// A process's peak resident size (`VmHWM` in `/proc/PID/status`, `pid` may be `self`), in
/// bytes. Unlike `ru_maxrss`, it belongs to the process's own address space: it neither keeps
/// the high-water mark of the image the process was exec'd from nor starts at its parent's.
pub fn peak_rss(pid: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

#[allow(unsafe_code)]
fn clock_ticks() -> u64 {
    // SAFETY: sysconf takes a constant and returns a number.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 {
        t as u64
    } else {
        100
    }
}

#[allow(unsafe_code)]
fn page_size() -> u64 {
    // SAFETY: sysconf takes a constant and returns a number.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if p > 0 {
        p as u64
    } else {
        4096
    }
}

/// Samples a process once a second on a thread of its own until finished.
pub struct Sampler {
    stop: Arc<AtomicBool>,
    samples: Arc<Mutex<Vec<SecondSample>>>,
    handle: Option<JoinHandle<()>>,
    pub pid: u32,
}

impl Sampler {
    /// Starts sampling `pid`; fails at once if the process cannot be read.
    pub fn start(pid: u32) -> Result<Sampler, ProbeError> {
        Sampler::with_period(pid, Duration::from_secs(1))
    }

    pub fn with_period(pid: u32, period: Duration) -> Result<Sampler, ProbeError> {
        let first = read(pid)?;
        let stop = Arc::new(AtomicBool::new(false));
        let samples = Arc::new(Mutex::new(Vec::new()));
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        let (stop_flag, sink) = (stop.clone(), samples.clone());
        let handle = std::thread::Builder::new()
            .name("rigor-probe".into())
            .spawn(move || {
                let start = Instant::now();
                let (mut previous, mut previous_at) = (first, start);
                let mut second = 0u32;
                while !stop_flag.load(Ordering::Acquire) {
                    let next = start + period * (second + 1);
                    // Sleep in slices so finishing does not wait a whole period.
                    while Instant::now() < next && !stop_flag.load(Ordering::Acquire) {
                        std::thread::sleep((next - Instant::now()).min(Duration::from_millis(20)));
                    }
                    let Ok(reading) = read(pid) else { return };
                    let now = Instant::now();
                    let wall = now.duration_since(previous_at).as_nanos().max(1) as f64;
                    let cores_busy = reading.cpu_ns.saturating_sub(previous.cpu_ns) as f64 / wall;
                    if let Ok(mut v) = sink.lock() {
                        v.push(SecondSample {
                            second,
                            cpu_cores: cores_busy,
                            cpu_share: cores_busy / cores,
                            rss_bytes: reading.rss_bytes,
                            threads: reading.threads,
                            fds: reading.fds,
                        });
                    }
                    previous = reading;
                    previous_at = now;
                    second += 1;
                }
            })
            .ok();
        Ok(Sampler {
            stop,
            samples,
            handle,
            pid,
        })
    }

    /// The samples so far.
    pub fn samples(&self) -> Vec<SecondSample> {
        self.samples_since(0)
    }

    /// The samples taken after the first `from`: what a recorder has not stored yet.
    pub fn samples_since(&self, from: usize) -> Vec<SecondSample> {
        self.samples
            .lock()
            .map(|v| v.get(from..).unwrap_or_default().to_vec())
            .unwrap_or_default()
    }

    /// Stops sampling and returns every sample.
    pub fn finish(mut self) -> Vec<SecondSample> {
        self.stop.store(true, Ordering::Release);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
        self.samples()
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let r = read(std::process::id()).unwrap();
        assert!(r.rss_bytes > 1024 * 1024, "{r:?}");
        assert!(r.threads >= 1 && r.fds >= 3, "{r:?}");
    }

    #[test]
    fn a_busy_child_shows_its_cpu_and_a_missing_pid_is_named() {
        // A shell counting in its own arithmetic keeps one core busy (no child processes,
        // whose CPU would not be the shell's); it is killed after a second.
        let mut child = std::process::Command::new("sh")
            .args([
                "-c",
                "i=0; while [ $i -lt 1000000000 ]; do i=$((i+1)); done",
            ])
            .spawn()
            .unwrap();
        let sampler = Sampler::with_period(child.id(), Duration::from_millis(300)).unwrap();
        std::thread::sleep(Duration::from_millis(1000));
        let samples = sampler.finish();
        let _ = child.kill();
        let _ = child.wait();
        assert!(samples.len() >= 2, "{samples:?}");
        let busiest = samples.iter().map(|s| s.cpu_cores).fold(0.0, f64::max);
        assert!(
            busiest > 0.3,
            "a spinning shell uses a good part of a core: {samples:?}"
        );
        let err = read(u32::MAX - 1).unwrap_err().to_string();
        assert!(err.contains("cannot read /proc/"), "{err}");
    }
}
