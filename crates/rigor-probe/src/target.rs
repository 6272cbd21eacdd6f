//! The system under test's lifecycle when the plan starts it: start, ready, death, stop.
//!
//! The command runs through `sh -c 'exec …'` in a process group of its own, so stopping it
//! reaches whatever it started (a wrapper script's server, a pre-fork server's workers), and
//! with a parent-death signal, so a rigor that is killed (SIGKILL, a crash) does not leave it
//! running. Its output goes to a log file, so that a target that fails can be shown with what
//! it said.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How to start the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetCommand {
    /// A shell command line, run as `sh -c 'exec COMMAND'`.
    pub command: String,
    /// Its working directory.
    pub dir: PathBuf,
    /// An `http://` URL that answers 2xx once the target is ready.
    pub ready: Option<String>,
    /// How long to wait for `ready`.
    pub ready_timeout: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("[target] command `{command}` could not start: {source}")]
    Start {
        command: String,
        source: std::io::Error,
    },
    #[error("[target] command `{command}` exited ({status}) before {ready} was ready{}", output_note(.output, .log))]
    ExitedEarly {
        command: String,
        status: ExitStatus,
        ready: String,
        output: String,
        log: PathBuf,
    },
    #[error("[target] ready: {url} was not ready within {timeout:?} ({last}){}", output_note(.output, .log))]
    NotReady {
        url: String,
        timeout: Duration,
        last: String,
        output: String,
        log: PathBuf,
    },
    #[error("[target] ready: something already answers at {authority} before the target started: another process holds the port, so rigor would measure it instead; stop it or give the target another port")]
    PortTaken { authority: String },
    #[error("[target] ready: `{url}`: {why}")]
    BadReadyUrl { url: String, why: String },
    #[error("[target] cannot create its log file {path}: {source}")]
    Log {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl TargetError {
    /// Whether the error is in the plan (a malformed ready URL) rather than in the world.
    pub fn is_bad_input(&self) -> bool {
        matches!(self, TargetError::BadReadyUrl { .. })
    }
}

fn output_note(output: &str, log: &Path) -> String {
    if output.trim().is_empty() {
        format!("; it printed nothing (log: {})", log.display())
    } else {
        format!(
            "; its last output (all of it in {}):\n{}",
            log.display(),
            indent(output)
        )
    }
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    | {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The target, started by rigor; stopped (SIGTERM to its group, then SIGKILL) when dropped.
#[derive(Debug)]
pub struct Target {
    handle: TargetHandle,
    command: String,
}

/// What a run needs of a target rigor started: its pid, whether and how it has ended, and
/// what it printed. Cloned into the recorder while the [`Target`] itself stays with the
/// command that stops it.
#[derive(Debug, Clone)]
pub struct TargetHandle {
    pid: u32,
    child: Arc<Mutex<Child>>,
    log: PathBuf,
}

impl TargetHandle {
    /// The target's process id (the leader of its process group).
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// How the target ended, if it has.
    pub fn exited(&self) -> Option<ExitStatus> {
        self.child().try_wait().ok().flatten()
    }

    /// The last of what the target printed: at most `max` bytes, whole lines.
    pub fn output_tail(&self, max: u64) -> String {
        tail(&self.log, max)
    }

    /// The file holding all the target printed.
    pub fn log(&self) -> &Path {
        &self.log
    }

    fn child(&self) -> MutexGuard<'_, Child> {
        self.child.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// An exit status as a person reads it: `exit status 3`, `killed by signal 9 (SIGKILL)`.
pub fn describe_exit(status: ExitStatus) -> (Option<i32>, Option<i32>, String) {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => (Some(code), None, format!("exit status {code}")),
        (None, Some(signal)) => (
            None,
            Some(signal),
            format!("killed by signal {signal} ({})", signal_name(signal)),
        ),
        (None, None) => (None, None, status.to_string()),
    }
}

fn signal_name(signal: i32) -> &'static str {
    match signal {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL, perhaps the kernel's out-of-memory killer",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGTERM => "SIGTERM",
        _ => "a signal",
    }
}

impl Target {
    /// Starts the target and waits until its `ready` URL answers 2xx. A port that already
    /// answers before the start, a target that exits before it is ready, or one that is not
    /// ready in time is an error carrying the target's last output.
    pub fn start(spec: &TargetCommand) -> Result<Target, TargetError> {
        if let Some(ready) = &spec.ready {
            let authority = authority_of(ready)?;
            if TcpStream::connect_timeout(
                &resolve(&authority).map_err(|why| bad_url(ready, why))?,
                Duration::from_millis(300),
            )
            .is_ok()
            {
                return Err(TargetError::PortTaken { authority });
            }
        }
        let log = log_path();
        let file = std::fs::File::create(&log).map_err(|source| TargetError::Log {
            path: log.clone(),
            source,
        })?;
        let err = file.try_clone().map_err(|source| TargetError::Log {
            path: log.clone(),
            source,
        })?;
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(format!("exec {}", spec.command))
            .current_dir(&spec.dir)
            .stdin(Stdio::null())
            .stdout(file)
            .stderr(err)
            .process_group(0);
        die_with_parent(&mut command, libc::SIGKILL);
        let child = command.spawn().map_err(|source| TargetError::Start {
            command: spec.command.clone(),
            source,
        })?;
        let mut target = Target {
            handle: TargetHandle {
                pid: child.id(),
                child: Arc::new(Mutex::new(child)),
                log,
            },
            command: spec.command.clone(),
        };
        if let Some(ready) = &spec.ready {
            target.wait_ready(ready, spec.ready_timeout)?;
        }
        Ok(target)
    }

    /// The target's process id (the leader of its process group).
    pub fn pid(&self) -> u32 {
        self.handle.pid
    }

    /// The file holding what the target printed.
    pub fn log(&self) -> &Path {
        &self.handle.log
    }

    /// What a run needs to watch the target.
    pub fn handle(&self) -> TargetHandle {
        self.handle.clone()
    }

    /// How the target ended, if it has: a target that exits while a run goes has failed it.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.handle.exited()
    }

    /// The last lines the target printed (at most 4 KiB of them).
    pub fn output_tail(&self) -> String {
        self.handle.output_tail(4096)
    }

    fn wait_ready(&mut self, url: &str, timeout: Duration) -> Result<(), TargetError> {
        let deadline = Instant::now() + timeout;
        let mut last;
        loop {
            if let Some(status) = self.exited() {
                return Err(TargetError::ExitedEarly {
                    command: self.command.clone(),
                    status,
                    ready: url.to_string(),
                    output: self.output_tail(),
                    log: self.handle.log.clone(),
                });
            }
            match http_status(url) {
                Ok(status) if (200..300).contains(&status) => return Ok(()),
                Ok(status) => last = format!("it answered {status}"),
                Err(e) => last = e,
            }
            if Instant::now() >= deadline {
                return Err(TargetError::NotReady {
                    url: url.to_string(),
                    timeout,
                    last,
                    output: self.output_tail(),
                    log: self.handle.log.clone(),
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        let pid = self.handle.pid;
        signal_group(pid, libc::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.handle.child().try_wait() {
                // The leader is gone; whatever it left in its group goes too.
                signal_group(pid, libc::SIGKILL);
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        signal_group(pid, libc::SIGKILL);
        let _ = self.handle.child().wait();
    }
}

/// Waits until `url` answers 2xx, for a target rigor did not start.
pub fn wait_ready(url: &str, timeout: Duration) -> Result<(), TargetError> {
    let deadline = Instant::now() + timeout;
    loop {
        let last = match http_status(url) {
            Ok(status) if (200..300).contains(&status) => return Ok(()),
            Ok(status) => format!("it answered {status}"),
            Err(e) => e,
        };
        if Instant::now() >= deadline {
            return Err(TargetError::NotReady {
                url: url.to_string(),
                timeout,
                last,
                output: String::new(),
                log: PathBuf::from("(not started by rigor)"),
            });
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn log_path() -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    std::env::temp_dir().join(format!("rigor-target-{}-{nanos}.log", std::process::id()))
}

fn tail(path: &Path, max: u64) -> String {
    let Ok(mut file) = std::fs::File::open(path) else {
        return String::new();
    };
    let len = file.metadata().map_or(0, |m| m.len());
    let mut text = Vec::new();
    use std::io::Seek;
    let _ = file.seek(std::io::SeekFrom::Start(len.saturating_sub(max)));
    let _ = file.read_to_end(&mut text);
    let text = String::from_utf8_lossy(&text);
    // Drop a partial first line when the file was cut.
    match (len > max, text.find('\n')) {
        (true, Some(i)) => text[i + 1..].trim_end().to_string(),
        _ => text.trim_end().to_string(),
    }
}

/// Asks the kernel to send `signal` to the child when this process dies, so a killed rigor
/// leaves no target (or worker) behind. The signal follows the thread that spawned the child:
/// spawn from the thread that runs the whole command.
#[allow(unsafe_code)]
pub fn die_with_parent(command: &mut Command, signal: libc::c_int) {
    let parent = std::process::id();
    // SAFETY: the closure runs in the child between fork and exec and calls only
    // async-signal-safe functions (prctl, getppid, _exit).
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, signal) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent may have died before prctl: then no signal would ever come.
            if libc::getppid() as u32 != parent {
                libc::_exit(1);
            }
            Ok(())
        });
    }
}

/// Sends `signal` to the process group led by `pid`.
#[allow(unsafe_code)]
pub(crate) fn signal_group(pid: u32, signal: libc::c_int) {
    // SAFETY: kill(2) on our own child's group with a valid signal; at worst ESRCH.
    unsafe {
        libc::kill(-(pid as libc::pid_t), signal);
    }
}

fn bad_url(url: &str, why: String) -> TargetError {
    TargetError::BadReadyUrl {
        url: url.to_string(),
        why,
    }
}

fn authority_of(url: &str) -> Result<String, TargetError> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| bad_url(url, "a ready URL must be http://".into()))?;
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.is_empty() {
        return Err(bad_url(url, "it names no host".into()));
    }
    Ok(authority.to_string())
}

fn resolve(authority: &str) -> Result<std::net::SocketAddr, String> {
    authority
        .to_socket_addrs()
        .or_else(|_| format!("{authority}:80").to_socket_addrs())
        .map_err(|e| format!("cannot resolve {authority}: {e}"))?
        .next()
        .ok_or_else(|| format!("{authority} has no address"))
}

/// One plain HTTP/1.1 GET; returns the status code.
fn http_status(url: &str) -> Result<u16, String> {
    let authority = authority_of(url).map_err(|e| e.to_string())?;
    let path = url
        .strip_prefix("http://")
        .and_then(|r| r.find('/').map(|i| &r[i..]))
        .unwrap_or("/");
    let addr = resolve(&authority)?;
    let mut stream =
        TcpStream::connect_timeout(&addr, Duration::from_secs(1)).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(2)))
        .map_err(|e| e.to_string())?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut head = [0u8; 32];
    let n = stream.read(&mut head).map_err(|e| e.to_string())?;
    let line = String::from_utf8_lossy(&head[..n]);
    line.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| "not an HTTP answer".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(command: &str, ready: Option<String>) -> TargetCommand {
        TargetCommand {
            command: command.to_string(),
            dir: std::env::temp_dir(),
            ready,
            ready_timeout: Duration::from_secs(5),
        }
    }

    #[test]
    fn a_target_that_exits_before_ready_is_reported_with_its_output() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        drop(listener);
        let ready = format!("http://127.0.0.1:{port}/health");
        let err = Target::start(&spec(
            "sh -c 'echo address in use >&2; exit 7'",
            Some(ready),
        ))
        .expect_err("it exits");
        let text = err.to_string();
        assert!(matches!(err, TargetError::ExitedEarly { .. }), "{text}");
        assert!(text.contains("exit status: 7"), "{text}");
        assert!(text.contains("address in use"), "{text}");
    }

    #[test]
    fn a_port_already_held_is_refused_before_starting() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let ready = format!("http://127.0.0.1:{port}/");
        let marker = std::env::temp_dir().join(format!("rigor-never-started-{port}"));
        let command = format!("touch {}", marker.display());
        let err = Target::start(&spec(&command, Some(ready))).expect_err("port taken");
        assert!(matches!(err, TargetError::PortTaken { .. }), "{err}");
        assert!(!marker.exists(), "the command must not have run");
    }

    #[test]
    fn stopping_reaches_the_whole_process_group() {
        let pidfile = std::env::temp_dir().join(format!("rigor-group-{}", std::process::id()));
        let command = format!("sh -c 'sleep 30 & echo $! > {}; wait'", pidfile.display());
        let target = Target::start(&spec(&command, None)).expect("starts");
        let mut grandchild = None;
        for _ in 0..200 {
            if let Ok(text) = std::fs::read_to_string(&pidfile) {
                if let Ok(pid) = text.trim().parse::<u32>() {
                    grandchild = Some(pid);
                    break;
                }
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let grandchild = grandchild.expect("the grandchild wrote its pid");
        assert!(Path::new(&format!("/proc/{grandchild}")).exists());
        drop(target);
        let mut gone = false;
        for _ in 0..300 {
            // A zombie waiting for its reaper counts as gone: it no longer runs.
            let state = std::fs::read_to_string(format!("/proc/{grandchild}/stat"))
                .ok()
                .and_then(|s| s.rsplit(')').next().map(|r| r.trim().to_string()));
            if state.is_none_or(|s| s.starts_with('Z')) {
                gone = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = std::fs::remove_file(&pidfile);
        assert!(gone, "process {grandchild} outlived the target");
    }

    #[test]
    fn exit_statuses_read_as_codes_and_signals() {
        let status = |script: &str| {
            std::process::Command::new("sh")
                .args(["-c", script])
                .status()
                .expect("runs")
        };
        let (code, signal, text) = describe_exit(status("exit 3"));
        assert_eq!(
            (code, signal, text.as_str()),
            (Some(3), None, "exit status 3")
        );
        let (code, signal, text) = describe_exit(status("kill -9 $$"));
        assert_eq!((code, signal), (None, Some(9)));
        assert!(text.starts_with("killed by signal 9 (SIGKILL"), "{text}");
    }

    #[test]
    fn a_bad_ready_url_is_bad_input() {
        let err = Target::start(&spec("true", Some("https://x/".into()))).expect_err("bad url");
        assert!(err.is_bad_input(), "{err}");
    }
}
