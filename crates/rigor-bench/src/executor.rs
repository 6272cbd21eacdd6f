//! The seam between the benchmark loop and the operating system: an [`Executor`] runs one
//! command and reports what it cost. [`ProcessExecutor`] spawns real processes;
//! [`FakeExecutor`](crate::FakeExecutor) replays scripted measurements for tests.
//!
//! The real executor reaps each child with `wait4`, which hands back that child's own
//! resource usage (user and system CPU, peak resident set) exactly, instead of sampling
//! `/proc` while it runs.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

pub(crate) use rigor_model::output::bench::describe_exit;
pub use rigor_model::output::bench::Measurement;

use crate::batch::{run_batch, Batch, BatchOutcome};
use crate::spec::{CommandSpec, Invocation, OutputMode};
use crate::words::{looks_like_shell_syntax, split};

/// How much of a hook's standard output and error is kept for an error message.
pub const HOOK_OUTPUT_TAIL: usize = 4096;

/// How a hook (setup, prepare, conclude, cleanup) ended, with the end of its output.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HookOutput {
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    /// The last [`HOOK_OUTPUT_TAIL`] bytes of standard output (lossy UTF-8).
    pub stdout_tail: String,
    /// The last [`HOOK_OUTPUT_TAIL`] bytes of standard error (lossy UTF-8).
    pub stderr_tail: String,
}

impl HookOutput {
    /// A hook that exited 0 and printed nothing.
    pub fn success() -> HookOutput {
        HookOutput {
            exit_code: Some(0),
            ..HookOutput::default()
        }
    }

    pub fn succeeded(&self) -> bool {
        self.exit_code == Some(0)
    }
}

/// A command that could not be run at all (as opposed to one that ran and failed).
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error("cannot start `{command}`: {source}{hint}")]
    Spawn {
        command: String,
        source: io::Error,
        /// Extra advice, starting with `; ` when present.
        hint: String,
    },
    #[error("lost track of `{command}` while waiting for it: {source}")]
    Wait { command: String, source: io::Error },
    #[error("cannot open output file {}: {source}", path.display())]
    OutputFile { path: PathBuf, source: io::Error },
    /// The helper process of a [`SpawnServerExecutor`](crate::SpawnServerExecutor) died or
    /// stopped making sense; `problem` says how.
    #[error("cannot run `{command}`: rigor's spawn server (the helper process that starts the benchmarked commands) {problem}")]
    SpawnServer { command: String, problem: String },
    /// A [`Batch`] that names a command it was not given: a bug in the benchmark loop.
    #[error("invalid batch of runs: {0}")]
    InvalidBatch(String),
    /// A scripted failure of the [`FakeExecutor`](crate::FakeExecutor).
    #[error("{0}")]
    Fake(String),
}

/// Runs one command, or a hook, to completion.
pub trait Executor {
    /// Runs a benchmarked command and measures it. A non-zero exit is a measurement, not an
    /// error: the caller decides whether it fails the benchmark.
    fn run(&mut self, command: &CommandSpec) -> Result<Measurement, ExecError>;

    /// Runs a hook, capturing the end of its output for error messages.
    fn run_hook(&mut self, hook: &CommandSpec) -> Result<HookOutput, ExecError>;

    /// Carries out a [`Batch`] of runs of `commands` back to back (see [`crate::batch`]);
    /// `stop` is checked between runs. Executors that can avoid a round trip per run (the
    /// spawn server) override it; the result must be the same as [`run_batch`]'s.
    fn run_batch(
        &mut self,
        commands: &[CommandSpec],
        batch: &Batch,
        stop: &dyn Fn() -> bool,
    ) -> Result<BatchOutcome, ExecError> {
        run_batch(self, commands, batch, stop)
    }

    /// The peak resident size a child's own peak cannot be told below (its spawner's).
    fn rss_floor(&self) -> Option<u64> {
        None
    }
}

/// Runs real processes: no shell unless the command asks for one, standard input from
/// `/dev/null`, reaped with `wait4` for exact resource usage.
#[derive(Debug, Default)]
pub struct ProcessExecutor {
    /// Output files already truncated by this executor; later runs append to them.
    truncated: HashSet<PathBuf>,
}

impl ProcessExecutor {
    pub fn new() -> ProcessExecutor {
        ProcessExecutor::default()
    }

    fn output_file(&mut self, path: &PathBuf) -> Result<File, ExecError> {
        let first = self.truncated.insert(path.clone());
        OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(first)
            .append(!first)
            .open(path)
            .map_err(|source| ExecError::OutputFile {
                path: path.clone(),
                source,
            })
    }
}

impl Executor for ProcessExecutor {
    fn rss_floor(&self) -> Option<u64> {
        rigor_probe::peak_rss("self")
    }

    fn run(&mut self, command: &CommandSpec) -> Result<Measurement, ExecError> {
        let mut process = build(&command.invocation);
        process.stdin(Stdio::null());
        match &command.output {
            OutputMode::Discard => process.stdout(Stdio::null()).stderr(Stdio::null()),
            OutputMode::Pipe => process.stdout(Stdio::piped()).stderr(Stdio::null()),
            OutputMode::Inherit => process.stdout(Stdio::inherit()).stderr(Stdio::inherit()),
            OutputMode::File(path) => {
                let file = self.output_file(path)?;
                let copy = file.try_clone().map_err(|source| ExecError::OutputFile {
                    path: path.clone(),
                    source,
                })?;
                process.stdout(file).stderr(copy)
            }
        };

        let start = Instant::now();
        let mut child = spawn(&mut process, command)?;
        if let Some(mut stdout) = child.stdout.take() {
            // Read and drop; a read error only means the pipe is gone, which the exit
            // status will tell.
            let _ = io::copy(&mut stdout, &mut io::sink());
        }
        let (status, usage) = wait4(child.id()).map_err(|source| ExecError::Wait {
            command: command.line.clone(),
            source,
        })?;
        let wall = start.elapsed();
        // `child` was reaped by wait4 above; dropping it neither waits nor kills.
        drop(child);

        let exit = ExitStatus::from_raw(status);
        Ok(Measurement {
            wall,
            user: timeval(usage.ru_utime),
            system: timeval(usage.ru_stime),
            peak_rss: max_rss_bytes(usage.ru_maxrss),
            exit_code: exit.code(),
            signal: exit.signal(),
        })
    }

    fn run_hook(&mut self, hook: &CommandSpec) -> Result<HookOutput, ExecError> {
        let mut process = build(&hook.invocation);
        process
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = spawn(&mut process, hook)?;
        let stderr = child.stderr.take();
        let stderr_reader = std::thread::spawn(move || stderr.map(read_tail).unwrap_or_default());
        let stdout_tail = child.stdout.take().map(read_tail).unwrap_or_default();
        let stderr_tail = stderr_reader.join().unwrap_or_default();
        let status = child.wait().map_err(|source| ExecError::Wait {
            command: hook.line.clone(),
            source,
        })?;
        Ok(HookOutput {
            exit_code: status.code(),
            signal: status.signal(),
            stdout_tail: String::from_utf8_lossy(&stdout_tail).into_owned(),
            stderr_tail: String::from_utf8_lossy(&stderr_tail).into_owned(),
        })
    }
}

pub(crate) fn build(invocation: &Invocation) -> Command {
    match invocation {
        Invocation::Direct { program, args } => {
            let mut command = Command::new(resolve(program));
            command.args(args);
            command
        }
        Invocation::Shell { shell, script } => {
            // Validated when the plan was resolved; a shell that does not split is run as
            // one word and fails to start with its name in the error.
            let words = split(shell).unwrap_or_else(|_| vec![shell.clone()]);
            let (program, options) = words
                .split_first()
                .map_or((shell.as_str(), &[][..]), |(p, o)| (p.as_str(), o));
            let mut command = Command::new(program);
            command.args(options).arg("-c").arg(script);
            command
        }
    }
}

fn spawn(process: &mut Command, spec: &CommandSpec) -> Result<Child, ExecError> {
    process.spawn().map_err(|source| {
        let hint = match &spec.invocation {
            Invocation::Direct { .. }
                if source.kind() == io::ErrorKind::NotFound
                    && looks_like_shell_syntax(&spec.line) =>
            {
                "; it runs without a shell, so pipes, redirections and variables do not work: \
                 run it with a shell"
                    .to_string()
            }
            _ => String::new(),
        };
        ExecError::Spawn {
            command: spec.line.clone(),
            source,
            hint,
        }
    })
}

/// Where `program` is: itself when it names a path (and is an executable file there), else
/// the first executable file of that name in a `PATH` directory.
pub fn search_path(program: &str) -> Option<std::path::PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let executable = |candidate: &std::path::Path| {
        std::fs::metadata(candidate)
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if program.contains('/') {
        let path = std::path::PathBuf::from(program);
        return executable(&path).then_some(path);
    }
    let dirs = std::env::var_os("PATH")?;
    std::env::split_paths(&dirs)
        .map(|dir| dir.join(program))
        .find(|candidate| executable(candidate))
}

/// The program's path, searched on `PATH` once per name and remembered, as a shell's hash
/// table does. Left to the child, the search happens inside every measured run: `true` costs
/// eight failed `execve` calls before the one that works. A name that is not found stays as
/// it is, so starting it fails with the usual error.
fn resolve(program: &str) -> std::ffi::OsString {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static FOUND: OnceLock<Mutex<HashMap<String, std::ffi::OsString>>> = OnceLock::new();
    if program.contains('/') {
        return program.into();
    }
    let cache = FOUND.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(path) = cache.lock().ok().and_then(|c| c.get(program).cloned()) {
        return path;
    }
    let path = search_path(program).map_or_else(|| program.into(), std::ffi::OsString::from);
    if let Ok(mut c) = cache.lock() {
        c.insert(program.to_string(), path.clone());
    }
    path
}

/// Keeps the last [`HOOK_OUTPUT_TAIL`] bytes of a stream.
fn read_tail(mut reader: impl Read) -> Vec<u8> {
    let mut tail = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                tail.extend_from_slice(&chunk[..n]);
                if tail.len() > 2 * HOOK_OUTPUT_TAIL {
                    tail.drain(..tail.len() - HOOK_OUTPUT_TAIL);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        }
    }
    if tail.len() > HOOK_OUTPUT_TAIL {
        tail.drain(..tail.len() - HOOK_OUTPUT_TAIL);
    }
    tail
}

/// Waits for the child `pid` and returns its raw wait status and its own resource usage.
#[allow(unsafe_code)]
fn wait4(pid: u32) -> io::Result<(libc::c_int, libc::rusage)> {
    let pid = libc::pid_t::try_from(pid)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "process id out of range"))?;
    let mut status: libc::c_int = 0;
    // SAFETY: `rusage` is a plain C struct of integers for which all-zero bytes are a valid
    // value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: both pointers refer to live, properly aligned locals for the whole call,
        // and wait4 writes nothing else. `pid` is our own unreaped child (std's `Child` never
        // waited on it), so this cannot reap an unrelated process.
        let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if reaped == pid {
            return Ok((status, usage));
        }
        let error = io::Error::last_os_error();
        if reaped == -1 && error.kind() == io::ErrorKind::Interrupted {
            continue;
        }
        return Err(error);
    }
}

fn timeval(tv: libc::timeval) -> Duration {
    Duration::from_secs(tv.tv_sec.max(0) as u64) + Duration::from_micros(tv.tv_usec.max(0) as u64)
}

/// `ru_maxrss` is in KiB on Linux and in bytes on macOS.
fn max_rss_bytes(max_rss: libc::c_long) -> u64 {
    let value = max_rss.max(0) as u64;
    if cfg!(target_os = "macos") {
        value
    } else {
        value * 1024
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_tail_keeps_the_end() {
        let data: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
        let tail = read_tail(&data[..]);
        assert_eq!(tail.len(), HOOK_OUTPUT_TAIL);
        assert_eq!(tail[..], data[data.len() - HOOK_OUTPUT_TAIL..]);
        assert_eq!(read_tail(&b"short"[..]), b"short");
    }

    #[test]
    fn describes_exits() {
        assert_eq!(describe_exit(Some(2), None), "exit code 2");
        assert_eq!(describe_exit(None, Some(9)), "signal 9");
    }
}

#[cfg(test)]
mod resolve_tests {
    use super::resolve;

    #[test]
    fn programs_are_found_on_path_once_and_unknown_names_kept() {
        let found = resolve("true");
        let path = std::path::Path::new(&found);
        assert!(path.is_absolute() && path.ends_with("true"), "{found:?}");
        assert_eq!(resolve("true"), found, "remembered");
        assert_eq!(resolve("./local-script"), "./local-script");
        assert_eq!(resolve("no-such-program-here"), "no-such-program-here");
    }
}
