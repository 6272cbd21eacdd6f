//! One process, and the tree of processes under it, read from `/proc`.
//!
//! The counters are read so that a tree's sum stays continuous while its members come and go:
//! CPU time, faults and I/O each include the process's reaped children (the kernel adds a
//! child's figures to its parent when the parent waits for it), so a worker that exits and is
//! reaped moves its figures into its parent rather than out of the sum. Context switches are
//! kept per live thread only, so they are summed over threads and counted per task.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::sampler::ProbeError;

/// One reading of one process. Counters are totals since the process started (with its
/// reaped children where the kernel keeps them); `None` marks a figure `/proc` refused.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessReading {
    pub pid: u32,
    pub ppid: u32,
    /// The command name (`comm`), at most 15 bytes.
    pub command: String,
    /// It has exited and waits for its parent to reap it: its counters are final and it holds
    /// no memory.
    pub zombie: bool,
    /// User CPU time, own and of reaped children, in nanoseconds.
    pub user_ns: u64,
    /// System CPU time, own and of reaped children, in nanoseconds.
    pub system_ns: u64,
    /// User and system CPU of the process itself, without its reaped children.
    pub own_cpu_ns: u64,
    pub minor_faults: u64,
    pub major_faults: u64,
    pub rss_bytes: u64,
    pub threads: u32,
    /// Open file descriptors; `None` when `/proc/PID/fd` may not be listed.
    pub fds: Option<u32>,
    /// Bytes read from and written to storage (`/proc/PID/io`); `None` when refused.
    pub io: Option<Io>,
    /// Context switches of each live thread, by thread id; empty when refused.
    pub switches: BTreeMap<u32, Switches>,
}

/// Storage traffic of a process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Io {
    pub read_bytes: u64,
    pub write_bytes: u64,
}

/// Context switches of one thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Switches {
    /// The thread gave up the CPU itself (it waited for I/O, a lock, a timer).
    pub voluntary: u64,
    /// The scheduler took the CPU from it (its slice ran out; more runnable threads than cores).
    pub involuntary: u64,
}

/// What could not be read about a process, so the run can say so once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Unreadable {
    Fds,
    Io,
    Switches,
}

impl Unreadable {
    /// What is lost, and what would give it back.
    pub fn explain(self, pid: u32, error: &std::io::Error) -> String {
        let (path, lost) = match self {
            Unreadable::Fds => (format!("/proc/{pid}/fd"), "open files are not counted"),
            Unreadable::Io => (
                format!("/proc/{pid}/io"),
                "bytes read and written are not measured",
            ),
            Unreadable::Switches => (
                format!("/proc/{pid}/task/*/status"),
                "context switches are not counted",
            ),
        };
        let fix = if error.kind() == std::io::ErrorKind::PermissionDenied {
            ": the process belongs to another user; run rigor as that user or as root"
        } else {
            ""
        };
        format!("cannot read {path} ({error}){fix}; {lost} for process {pid}")
    }
}

impl ProcessReading {
    /// User and system CPU, with reaped children.
    pub fn cpu_ns(&self) -> u64 {
        self.user_ns.saturating_add(self.system_ns)
    }
}

/// Reads process `pid`; the figures `/proc` refuses are `None`, with why in `refused`.
pub fn read_process(
    pid: u32,
    refused: &mut Vec<(Unreadable, std::io::Error)>,
) -> Result<ProcessReading, ProbeError> {
    let path = PathBuf::from(format!("/proc/{pid}/stat"));
    let stat = std::fs::read_to_string(&path).map_err(|source| ProbeError::Read {
        pid,
        path: path.clone(),
        source,
    })?;
    let stat = Stat::parse(&stat).ok_or(ProbeError::Format { path })?;
    let ticks = clock_ticks();
    let ns = |t: u64| t.saturating_mul(1_000_000_000) / ticks.max(1);
    let fds = match std::fs::read_dir(format!("/proc/{pid}/fd")) {
        Ok(dir) => Some(dir.count() as u32),
        Err(e) => {
            refused.push((Unreadable::Fds, e));
            None
        }
    };
    let io = match std::fs::read_to_string(format!("/proc/{pid}/io")) {
        Ok(text) => Some(parse_io(&text)),
        Err(e) => {
            refused.push((Unreadable::Io, e));
            None
        }
    };
    let switches = match read_switches(pid) {
        Ok(s) => s,
        Err(e) => {
            refused.push((Unreadable::Switches, e));
            BTreeMap::new()
        }
    };
    Ok(ProcessReading {
        pid,
        ppid: stat.field(4) as u32,
        command: stat.command.clone(),
        zombie: is_exited(stat.state),
        user_ns: ns(stat.field(14) + stat.field(16)),
        system_ns: ns(stat.field(15) + stat.field(17)),
        own_cpu_ns: ns(stat.field(14) + stat.field(15)),
        minor_faults: stat.field(10) + stat.field(11),
        major_faults: stat.field(12) + stat.field(13),
        threads: stat.field(20) as u32,
        rss_bytes: stat.field(24).saturating_mul(page_size()),
        fds,
        io,
        switches,
    })
}

/// Process `pid`'s state letter (`R`, `S`, `Z`…); `None` when it is gone.
pub fn state(pid: u32) -> Option<char> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    Stat::parse(&text).map(|s| s.state)
}

/// Whether a state letter is that of a process that has exited (a zombie waiting to be
/// reaped, or dead).
pub fn is_exited(state: char) -> bool {
    matches!(state, 'Z' | 'X' | 'x')
}

/// `/proc/PID/stat`, split after the command name (which may hold spaces and parentheses).
struct Stat {
    command: String,
    state: char,
    /// Fields from 3 (state) on.
    rest: Vec<u64>,
}

impl Stat {
    fn parse(text: &str) -> Option<Stat> {
        let open = text.find('(')?;
        let close = text.rfind(')')?;
        let command = text.get(open + 1..close)?.to_string();
        let state = text[close + 1..].trim_start().chars().next()?;
        let rest: Vec<u64> = text[close + 1..]
            .split_whitespace()
            // The state letter is not a number; keep the field numbering.
            .map(|f| f.parse().unwrap_or(0))
            .collect();
        (rest.len() >= 22).then_some(Stat {
            command,
            state,
            rest,
        })
    }

    /// Field `n` as `proc(5)` numbers them (1 is the pid).
    fn field(&self, n: usize) -> u64 {
        self.rest.get(n - 3).copied().unwrap_or(0)
    }
}

/// The memory limit of the control group `pid` runs in — the lowest `memory.max` (cgroup v2)
/// or `memory.limit_in_bytes` (v1) on the way from its group up to the root — with the file it
/// was read from; `None` when no group limits it.
pub fn cgroup_memory_limit(pid: u32) -> Option<(u64, String)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?;
    let mut best: Option<(u64, String)> = None;
    for line in text.lines() {
        let mut parts = line.splitn(3, ':');
        let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
        let (root, file) = match controllers {
            "" => ("/sys/fs/cgroup".to_string(), "memory.max"),
            c if c.split(',').any(|c| c == "memory") => {
                ("/sys/fs/cgroup/memory".to_string(), "memory.limit_in_bytes")
            }
            _ => continue,
        };
        let mut dir = std::path::PathBuf::from(format!("{root}{path}"));
        loop {
            let at = dir.join(file);
            if let Some(limit) = std::fs::read_to_string(&at)
                .ok()
                .and_then(|t| t.trim().parse::<u64>().ok())
                // cgroup v1 writes "no limit" as a page-rounded i64::MAX.
                .filter(|l| *l < 1 << 62)
            {
                if best.as_ref().is_none_or(|(b, _)| limit < *b) {
                    best = Some((limit, at.display().to_string()));
                }
            }
            if dir.as_os_str().len() <= root.len() || !dir.pop() {
                break;
            }
        }
    }
    best
}

fn parse_io(text: &str) -> Io {
    let mut io = Io::default();
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim().parse().unwrap_or(0);
        match key {
            "read_bytes" => io.read_bytes = value,
            "write_bytes" => io.write_bytes = value,
            _ => {}
        }
    }
    io
}

fn read_switches(pid: u32) -> std::io::Result<BTreeMap<u32, Switches>> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(format!("/proc/{pid}/task"))? {
        let Ok(entry) = entry else { continue };
        let Some(tid) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
            continue;
        };
        // A thread that ended between listing and reading is simply gone.
        let Ok(status) = std::fs::read_to_string(entry.path().join("status")) else {
            continue;
        };
        let mut s = Switches::default();
        for line in status.lines() {
            if let Some(v) = line.strip_prefix("voluntary_ctxt_switches:") {
                s.voluntary = v.trim().parse().unwrap_or(0);
            } else if let Some(v) = line.strip_prefix("nonvoluntary_ctxt_switches:") {
                s.involuntary = v.trim().parse().unwrap_or(0);
            }
        }
        out.insert(tid, s);
    }
    Ok(out)
}

/// `root` and every process under it, root first. Reads each thread's `children` file where
/// the kernel has them, else scans `/proc` for parents.
pub fn tree(root: u32) -> Vec<u32> {
    let mut out = vec![root];
    let mut at = 0;
    let scan = !Path::new(&format!("/proc/{root}/task/{root}/children")).exists();
    let parents = if scan { parents() } else { BTreeMap::new() };
    while at < out.len() {
        let pid = out[at];
        at += 1;
        let children = if scan {
            parents.get(&pid).cloned().unwrap_or_default()
        } else {
            children(pid)
        };
        for child in children {
            // A pid seen twice would loop; a tree has none, but pids are reused.
            if !out.contains(&child) {
                out.push(child);
            }
        }
    }
    out
}

/// The children of every thread of `pid`.
fn children(pid: u32) -> Vec<u32> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for task in tasks.flatten() {
        if let Ok(text) = std::fs::read_to_string(task.path().join("children")) {
            out.extend(
                text.split_whitespace()
                    .filter_map(|p| p.parse::<u32>().ok()),
            );
        }
    }
    out
}

/// Every process's children, from each `/proc/PID/stat`.
fn parents() -> BTreeMap<u32, Vec<u32>> {
    let mut map: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return map;
    };
    for entry in dir.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Some(stat) = std::fs::read_to_string(entry.path().join("stat"))
            .ok()
            .and_then(|t| Stat::parse(&t))
        else {
            continue;
        };
        map.entry(stat.field(4) as u32).or_default().push(pid);
    }
    map
}

#[allow(unsafe_code)]
pub(crate) fn clock_ticks() -> u64 {
    // SAFETY: sysconf takes a constant and returns a number.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 {
        t as u64
    } else {
        100
    }
}

#[allow(unsafe_code)]
pub(crate) fn page_size() -> u64 {
    // SAFETY: sysconf takes a constant and returns a number.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if p > 0 {
        p as u64
    } else {
        4096
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_command_name_with_spaces_and_parentheses_is_read_whole() {
        let text = "42 (my (odd) name) S 1 42 42 0 -1 4194560 120 7 3 1 250 60 11 9 20 0 4 0 100 1000 256 18446744073709551615";
        let stat = Stat::parse(text).expect("parses");
        assert_eq!(stat.command, "my (odd) name");
        assert_eq!(stat.field(4), 1, "ppid");
        assert_eq!(
            (stat.field(10), stat.field(11)),
            (120, 7),
            "minflt, cminflt"
        );
        assert_eq!((stat.field(14), stat.field(15)), (250, 60), "utime, stime");
        assert_eq!(stat.field(20), 4, "threads");
        assert_eq!(stat.field(24), 256, "rss pages");
        assert!(Stat::parse("42 (x) S 1 2").is_none(), "too short");
    }

    #[test]
    fn this_process_reads_whole_with_its_threads() {
        let mut refused = Vec::new();
        let r = read_process(std::process::id(), &mut refused).expect("reads");
        assert!(refused.is_empty(), "{refused:?}");
        assert!(r.rss_bytes > 1024 * 1024 && r.threads >= 1, "{r:?}");
        assert!(r.fds.is_some_and(|n| n >= 3), "{r:?}");
        // Other tests' threads come and go between reading the count and listing the tasks.
        assert!(!r.switches.is_empty(), "an entry per live thread: {r:?}");
        assert!(r.io.is_some(), "own /proc/self/io is readable");
    }

    #[test]
    fn the_tree_holds_children_and_grandchildren() {
        let pidfile = std::env::temp_dir().join(format!("rigor-tree-{}", std::process::id()));
        let mut child = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!(
                "sleep 30 & echo $! > {}; sh -c 'sleep 30' & wait",
                pidfile.display()
            ))
            .spawn()
            .expect("spawns");
        let mut found = Vec::new();
        for _ in 0..300 {
            found = tree(child.id());
            if found.len() >= 4 {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let scanned = parents().get(&child.id()).map_or(0, Vec::len);
        let sleeper: Option<u32> = std::fs::read_to_string(&pidfile)
            .ok()
            .and_then(|t| t.trim().parse().ok());
        let _ = std::process::Command::new("pkill")
            .args(["-P", &child.id().to_string()])
            .status();
        let _ = child.kill();
        let _ = child.wait();
        let _ = std::fs::remove_file(&pidfile);
        assert_eq!(found.first(), Some(&child.id()), "{found:?}");
        // The shell, its two children (sleep, sh) and that sh's sleep.
        assert!(found.len() >= 4, "{found:?}");
        assert!(sleeper.is_some_and(|p| found.contains(&p)), "{found:?}");
        assert!(scanned >= 2, "the /proc scan finds the same children");
    }
}
