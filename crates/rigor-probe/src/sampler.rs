//! The sampler: reads `/proc` for the target and every process under it once a second while a
//! run goes, so a run records the target's saturation (CPU user and system, memory, threads,
//! open files, context switches, storage I/O, faults) and the host's pressure beside its
//! latencies, and rules such as "CPU above 85 % for 10 minutes" can be judged. It reads
//! `/proc` and nothing else.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::pressure::{Pressure, PressureReading};
use crate::process::{self, ProcessReading, Unreadable};

#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("cannot read {path}: {source} (is process {pid} running, and is this Linux?)")]
    Read {
        pid: u32,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("process {pid} has exited")]
    Exited { pid: u32 },
    #[error("{path} is not in the format this rigor reads")]
    Format { path: PathBuf },
}

/// Whether process `pid` is running: it exists and is neither a zombie nor dead (a child that
/// exited stays a zombie until it is reaped, and it no longer serves anything).
pub fn is_running(pid: u32) -> bool {
    process::state(pid).is_some_and(|state| !process::is_exited(state))
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

/// The target, its child processes summed, over one second of the run. Rates are per second;
/// `None` marks a figure `/proc` would not give (see [`Sampler::notes`]).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SecondSample {
    /// Seconds from the start of the sampling.
    pub second: u32,
    /// CPU used over the second, in cores (1.0 = one core fully busy).
    pub cpu_cores: f64,
    /// The same as a share of the machine's cores (0 to 1).
    pub cpu_share: f64,
    /// User and system CPU apart, in cores.
    pub user_cores: f64,
    pub system_cores: f64,
    pub rss_bytes: u64,
    pub threads: u32,
    pub fds: u32,
    /// The target and its descendants alive at the reading.
    pub processes: u32,
    pub voluntary_switches: Option<f64>,
    pub involuntary_switches: Option<f64>,
    pub read_bytes: Option<f64>,
    pub write_bytes: Option<f64>,
    pub minor_faults: f64,
    pub major_faults: f64,
    /// The host's stall shares over the second (PSI), when the kernel reports them.
    pub pressure: Option<Pressure>,
}

/// One process of the tree over the sampling.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessSample {
    pub pid: u32,
    pub ppid: u32,
    pub command: String,
    /// Seconds it was seen in.
    pub seconds: u32,
    /// CPU it used itself while sampled, in nanoseconds.
    pub cpu_ns: u64,
    pub rss_max_bytes: u64,
    pub threads_max: u32,
}

/// The whole tree at one moment.
struct TreeReading {
    at: Instant,
    /// The pids read, the root first, parents before children.
    order: Vec<u32>,
    processes: BTreeMap<u32, ProcessReading>,
    pressure: Option<PressureReading>,
}

impl TreeReading {
    /// Reads `root` and everything under it; `Err` when the root itself is gone.
    fn now(
        root: u32,
        refused: &mut Vec<(u32, Unreadable, std::io::Error)>,
    ) -> Result<TreeReading, ProbeError> {
        let mut processes = BTreeMap::new();
        let mut order = Vec::new();
        for pid in process::tree(root) {
            let mut why = Vec::new();
            match process::read_process(pid, &mut why) {
                // A target that has exited is gone, though its entry waits to be reaped;
                // exited children stay in the sum until their parent moves their figures
                // into its own.
                Ok(r) if r.zombie && pid == root => {
                    return Err(ProbeError::Exited { pid });
                }
                Ok(r) => {
                    processes.insert(pid, r);
                    order.push(pid);
                }
                // A child that ended between listing and reading is simply gone.
                Err(e) if pid == root => return Err(e),
                Err(_) => {}
            }
            refused.extend(why.into_iter().map(|(what, e)| (pid, what, e)));
        }
        Ok(TreeReading {
            at: Instant::now(),
            order,
            processes,
            pressure: PressureReading::now(),
        })
    }

    fn sum(&self, f: impl Fn(&ProcessReading) -> u64) -> u64 {
        self.processes.values().map(f).sum()
    }

    /// The second from `earlier` to this reading.
    fn since(&self, earlier: &TreeReading, second: u32, cores: f64) -> SecondSample {
        let wall_s = self.at.duration_since(earlier.at).as_secs_f64().max(1e-9);
        // Tree sums stay continuous as processes are reaped into their parents; one that
        // leaves the tree otherwise (reparented away) would make them drop: never negative.
        let rate = |f: &dyn Fn(&ProcessReading) -> u64| {
            self.sum(f).saturating_sub(earlier.sum(f)) as f64 / wall_s
        };
        let user_cores = rate(&|p| p.user_ns) / 1e9;
        let system_cores = rate(&|p| p.system_ns) / 1e9;
        let io_known = self.processes.values().any(|p| p.io.is_some());
        let io = |f: fn(&process::Io) -> u64| {
            io_known.then(|| rate(&|p: &ProcessReading| p.io.as_ref().map_or(0, f)))
        };
        let switches = |f: fn(&process::Switches) -> u64| {
            let mut total = 0u64;
            let mut known = false;
            for (pid, now) in &self.processes {
                known |= !now.switches.is_empty();
                let before = earlier.processes.get(pid).map(|p| &p.switches);
                for (tid, s) in &now.switches {
                    let prior = before.and_then(|b| b.get(tid)).map_or(0, f);
                    total += f(s).saturating_sub(prior);
                }
            }
            known.then_some(total as f64 / wall_s)
        };
        SecondSample {
            second,
            cpu_cores: user_cores + system_cores,
            cpu_share: (user_cores + system_cores) / cores,
            user_cores,
            system_cores,
            rss_bytes: self.sum(|p| p.rss_bytes),
            threads: self.sum(|p| u64::from(p.threads)) as u32,
            fds: self.sum(|p| u64::from(p.fds.unwrap_or(0))) as u32,
            processes: self.processes.len() as u32,
            voluntary_switches: switches(|s| s.voluntary),
            involuntary_switches: switches(|s| s.involuntary),
            read_bytes: io(|io| io.read_bytes),
            write_bytes: io(|io| io.write_bytes),
            minor_faults: rate(&|p| p.minor_faults),
            major_faults: rate(&|p| p.major_faults),
            pressure: self
                .pressure
                .as_ref()
                .zip(earlier.pressure.as_ref())
                .map(|(now, then)| now.since(then)),
        }
    }
}

/// What the sampling thread keeps.
#[derive(Default)]
struct Kept {
    samples: Vec<SecondSample>,
    processes: BTreeMap<u32, ProcessSample>,
    notes: Vec<String>,
    noted: BTreeSet<Unreadable>,
    /// The pids of the latest reading, root first.
    pids: Vec<u32>,
}

impl Kept {
    fn note(&mut self, refused: Vec<(u32, Unreadable, std::io::Error)>) {
        for (pid, what, error) in refused {
            // Once per figure: the same refusal every second says nothing new.
            if self.noted.insert(what) {
                self.notes.push(what.explain(pid, &error));
            }
        }
    }

    fn seen(&mut self, now: &TreeReading, earlier: &TreeReading) {
        for (pid, p) in &now.processes {
            let before = earlier
                .processes
                .get(pid)
                .filter(|b| b.own_cpu_ns <= p.own_cpu_ns)
                .map_or(0, |b| b.own_cpu_ns);
            let entry = self.processes.entry(*pid).or_insert_with(|| ProcessSample {
                pid: *pid,
                ppid: p.ppid,
                command: p.command.clone(),
                seconds: 0,
                cpu_ns: 0,
                rss_max_bytes: 0,
                threads_max: 0,
            });
            entry.seconds += 1;
            entry.cpu_ns += p.own_cpu_ns - before;
            entry.rss_max_bytes = entry.rss_max_bytes.max(p.rss_bytes);
            entry.threads_max = entry.threads_max.max(p.threads);
        }
        self.pids.clone_from(&now.order);
    }
}

/// Samples a process and its descendants once a second on a thread of its own until
/// finished.
pub struct Sampler {
    stop: Arc<AtomicBool>,
    kept: Arc<Mutex<Kept>>,
    handle: Option<JoinHandle<()>>,
    pub pid: u32,
}

impl Sampler {
    /// Starts sampling `pid`; fails at once if the process cannot be read.
    pub fn start(pid: u32) -> Result<Sampler, ProbeError> {
        Sampler::with_period(pid, Duration::from_secs(1))
    }

    pub fn with_period(pid: u32, period: Duration) -> Result<Sampler, ProbeError> {
        let mut refused = Vec::new();
        let first = TreeReading::now(pid, &mut refused)?;
        let stop = Arc::new(AtomicBool::new(false));
        let kept = Arc::new(Mutex::new(Kept {
            pids: first.order.clone(),
            ..Kept::default()
        }));
        if let Ok(mut k) = kept.lock() {
            k.note(std::mem::take(&mut refused));
        }
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        let (stop_flag, sink) = (stop.clone(), kept.clone());
        let handle = std::thread::Builder::new()
            .name("rigor-probe".into())
            .spawn(move || {
                let start = Instant::now();
                let mut previous = first;
                let mut second = 0u32;
                while !stop_flag.load(Ordering::Acquire) {
                    let next = start + period * (second + 1);
                    // Sleep in slices so finishing does not wait a whole period.
                    while Instant::now() < next && !stop_flag.load(Ordering::Acquire) {
                        std::thread::sleep((next - Instant::now()).min(Duration::from_millis(20)));
                    }
                    let mut refused = Vec::new();
                    let Ok(reading) = TreeReading::now(pid, &mut refused) else {
                        return;
                    };
                    // Told to stop well before the period was up: the rates of so short a span
                    // (CPU counted in clock ticks) would read as noise, often a zero, beside
                    // the whole seconds, so it is left out — unless it is all there is. The
                    // processes seen still count.
                    let partial = next
                        .checked_sub(period / 2)
                        .is_some_and(|half| reading.at < half);
                    let sample = reading.since(&previous, second, cores);
                    if let Ok(mut k) = sink.lock() {
                        k.note(refused);
                        k.seen(&reading, &previous);
                        if !partial || k.samples.is_empty() {
                            k.samples.push(sample);
                        }
                    }
                    previous = reading;
                    second += 1;
                }
            })
            .ok();
        Ok(Sampler {
            stop,
            kept,
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
        self.kept
            .lock()
            .map(|k| k.samples.get(from..).unwrap_or_default().to_vec())
            .unwrap_or_default()
    }

    /// The processes of the latest reading, the target first: what a profiler should sample.
    pub fn pids(&self) -> Vec<u32> {
        (self.pids_reader())()
    }

    /// [`Sampler::pids`] as a function another thread can keep and call later.
    pub fn pids_reader(&self) -> impl Fn() -> Vec<u32> + Send + 'static {
        let (kept, root) = (Arc::clone(&self.kept), self.pid);
        move || {
            kept.lock()
                .map(|k| k.pids.clone())
                .unwrap_or_else(|_| vec![root])
        }
    }

    /// What could not be read, each said once.
    pub fn notes(&self) -> Vec<String> {
        self.kept
            .lock()
            .map(|k| k.notes.clone())
            .unwrap_or_default()
    }

    /// Stops sampling and returns everything it kept.
    pub fn finish(mut self) -> Sampled {
        self.stop.store(true, Ordering::Release);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
        let kept = self
            .kept
            .lock()
            .map(|mut k| std::mem::take(&mut *k))
            .unwrap_or_default();
        Sampled {
            samples: kept.samples,
            processes: kept.processes.into_values().collect(),
            notes: kept.notes,
        }
    }
}

/// What a sampler kept over a run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sampled {
    pub samples: Vec<SecondSample>,
    /// Every process seen, by pid.
    pub processes: Vec<ProcessSample>,
    pub notes: Vec<String>,
}

impl Drop for Sampler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `script` under `sh -c`, samples it every 300 ms for about `ms`, then kills the
    /// whole group.
    fn sample_script(script: &str, ms: u64) -> Sampled {
        use std::os::unix::process::CommandExt;
        let mut child = std::process::Command::new("sh")
            .args(["-c", script])
            .process_group(0)
            .spawn()
            .expect("spawns");
        let sampler = Sampler::with_period(child.id(), Duration::from_millis(300)).expect("reads");
        std::thread::sleep(Duration::from_millis(ms));
        let sampled = sampler.finish();
        #[allow(unsafe_code)]
        // SAFETY: kill(2) on our own child's process group.
        unsafe {
            libc::kill(-(child.id() as libc::pid_t), libc::SIGKILL);
        }
        let _ = child.wait();
        sampled
    }

    #[test]
    fn a_busy_process_shows_its_cpu_as_user_time_and_a_missing_pid_is_named() {
        // A shell counting in its own arithmetic keeps one core busy.
        let sampled = sample_script(
            "i=0; while [ $i -lt 1000000000 ]; do i=$((i+1)); done",
            1000,
        );
        let samples = &sampled.samples;
        assert!(samples.len() >= 2, "{samples:?}");
        let busiest = samples.iter().map(|s| s.cpu_cores).fold(0.0, f64::max);
        assert!(
            busiest > 0.3,
            "a spinning shell uses a good part of a core: {samples:?}"
        );
        let user: f64 = samples.iter().map(|s| s.user_cores).sum();
        let system: f64 = samples.iter().map(|s| s.system_cores).sum();
        assert!(user > system, "arithmetic is user time: {samples:?}");
        assert!(samples
            .iter()
            .all(|s| s.processes == 1 && s.voluntary_switches.is_some()));
        let err = Sampler::start(u32::MAX - 1)
            .err()
            .expect("no such process")
            .to_string();
        assert!(err.contains("cannot read /proc/"), "{err}");
    }

    #[test]
    fn children_are_counted_and_their_cpu_is_the_targets() {
        // The shell itself only waits; the CPU is its two workers'.
        let spin = "i=0; while [ $i -lt 1000000000 ]; do i=$((i+1)); done";
        let sampled = sample_script(&format!("sh -c '{spin}' & sh -c '{spin}' & wait"), 1300);
        let samples = &sampled.samples;
        let last = samples.last().expect("sampled");
        assert_eq!(last.processes, 3, "{samples:?}");
        let busiest = samples.iter().map(|s| s.cpu_cores).fold(0.0, f64::max);
        assert!(busiest > 0.3, "{samples:?}");
        assert!(sampled.processes.len() >= 3, "{:?}", sampled.processes);
        let workers: u64 = sampled.processes.iter().skip(1).map(|p| p.cpu_ns).sum();
        assert!(
            workers > sampled.processes[0].cpu_ns,
            "{:?}",
            sampled.processes
        );
    }

    #[test]
    fn workers_that_come_and_go_between_readings_still_count() {
        // Each worker lives about a tenth of a second and is reaped by the shell: its CPU
        // moves into the shell's children's time, so the tree's sum does not lose it.
        let work = "i=0; while [ $i -lt 60000 ]; do i=$((i+1)); done";
        let sampled = sample_script(&format!("while true; do sh -c '{work}'; done"), 1300);
        let samples = &sampled.samples;
        assert!(samples.iter().all(|s| s.processes <= 2), "{samples:?}");
        let mean = samples.iter().map(|s| s.cpu_cores).sum::<f64>() / samples.len() as f64;
        assert!(mean > 0.3, "short-lived workers' CPU is kept: {samples:?}");
    }
}
