//! A spawn server: a small helper process that starts the benchmarked commands for rigor.
//!
//! On Linux a child's peak resident set (`ru_maxrss`) starts at the resident size of the
//! process that spawned it: the high-water mark survives `fork` and `vfork` and is kept across
//! `exec`. Spawned by rigor itself, even `true` would report rigor's own resident size.
//! [`SpawnServerExecutor`] starts one helper per benchmark, whose resident size is a fraction
//! of rigor's, and has it run every command and hook with a [`ProcessExecutor`]: output modes,
//! files and pipes behave exactly as without it, and the wall time is still taken around the
//! spawn and the reap inside the helper, so the round trip to it is not measured. The helper
//! starts commands with `posix_spawn`, so their peak counts from the helper's resident size
//! (about 4.7 MiB in a release build), which rigor reports as the floor below which it cannot
//! measure.
//!
//! The helper's standard input is one end of a Unix socket pair that carries one JSON line per
//! request and one per reply. Its standard output and error stay the caller's, so commands
//! whose output is inherited still write where they would have.
//!
//! The benchmark loop sends its runs a [`Batch`] at a time (about 0.1 s of work), not one
//! request per run: a round trip wakes two processes, which costs about as much as spawning
//! `true` does. The helper applies the batch's stop rules, and a Ctrl-C or SIGTERM to the
//! process group stops the batch after the run in progress, as it stops rigor's loop.

mod wire;

use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::net::Shutdown;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::batch::{Batch, BatchOutcome};
use crate::executor::{describe_exit, ExecError, Executor, HookOutput, Measurement};
use crate::spec::CommandSpec;
use crate::ProcessExecutor;
use wire::{Outgoing, Reply, Request, WireError, PROTOCOL_VERSION};

/// How long a starting helper has to answer the greeting. It only has to start, so this is
/// generous; it exists so that a wrong program cannot hang the benchmark.
const GREETING_TIMEOUT: Duration = Duration::from_secs(10);

/// Requests are one JSON line each, most of them short; a small buffer keeps the helper
/// small.
const REQUEST_BUFFER: usize = 1024;

/// Set in the helper when the process group gets Ctrl-C or SIGTERM: the batch in progress
/// stops after its current run.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Answers spawn requests from `input` on `output` until `input` ends: the helper's side of
/// [`SpawnServerExecutor`]. Every command runs through one [`ProcessExecutor`], so output
/// files are truncated once per helper, as they are once per executor.
///
/// It reads nothing ahead and keeps one request and one reply in memory at a time: its
/// resident size is the floor of every peak it reports. A batch stops early once the helper
/// is interrupted (see [`run_spawn_server`]).
pub fn serve_spawn_requests(mut input: impl BufRead, mut output: impl Write) -> io::Result<()> {
    // `posix_spawn` (the standard library's default), not `fork`: a forked copy would lower
    // the peak-memory floor to the helper's heap, but it adds ~0.13 ms to every measured
    // run, and timing comes first. The floor is then the helper's resident size (4.7 MiB in
    // a release build), not rigor's.
    let mut executor = ProcessExecutor::new();
    let mut request = String::new();
    let mut reply = Vec::new();
    loop {
        request.clear();
        if input.read_line(&mut request)? == 0 {
            return Ok(());
        }
        let answer = match serde_json::from_str::<Request<CommandSpec>>(&request) {
            Ok(Request::Hello) => Reply::Hello {
                version: PROTOCOL_VERSION,
            },
            Ok(Request::Run(command)) => match executor.run(&command) {
                Ok(measurement) => Reply::Measured(measurement),
                Err(error) => Reply::Failed((&error).into()),
            },
            Ok(Request::Hook(hook)) => match executor.run_hook(&hook) {
                Ok(output) => Reply::Hooked(output),
                Err(error) => Reply::Failed((&error).into()),
            },
            Ok(Request::Batch { commands, batch }) => {
                match executor.run_batch(&commands, &batch, &|| INTERRUPTED.load(Ordering::SeqCst))
                {
                    Ok(outcome) => Reply::Batch(outcome),
                    Err(error) => Reply::Failed((&error).into()),
                }
            }
            Err(error) => Reply::Failed(WireError::Other {
                message: format!("cannot read the request: {error}"),
            }),
        };
        reply.clear();
        serde_json::to_writer(&mut reply, &answer)?;
        reply.push(b'\n');
        output.write_all(&reply)?;
        output.flush()?;
    }
}

/// The helper process's main: serves the requests arriving on standard input (the socket
/// [`SpawnServerExecutor`] passes) and exits when the executor closes its end.
pub fn run_spawn_server() -> io::Result<()> {
    outlive_group_signals()?;
    let channel = File::from(io::stdin().as_fd().try_clone_to_owned()?);
    serve_spawn_requests(BufReader::with_capacity(REQUEST_BUFFER, &channel), &channel)
}

/// Lets the helper live through Ctrl-C and SIGTERM sent to the whole process group, so the
/// command it is waiting for still gets its measurement back to rigor, which decides how to
/// stop; the helper exits when rigor closes the socket. A handler, not `SIG_IGN`, because an
/// ignored signal would stay ignored in the commands it starts, while a handled one is reset
/// to the default by `exec`. The handler notes the signal, so that a batch stops.
#[allow(unsafe_code)]
fn outlive_group_signals() -> io::Result<()> {
    extern "C" fn carry_on(_signal: libc::c_int) {
        INTERRUPTED.store(true, Ordering::SeqCst);
    }
    for signal in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: `sigaction` is a plain C struct for which all-zero bytes are a valid value
        // (no flags, an empty mask).
        let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
        action.sa_sigaction = carry_on as extern "C" fn(libc::c_int) as libc::sighandler_t;
        action.sa_flags = libc::SA_RESTART;
        // SAFETY: `action` is a live, initialised local and the old action is not asked for;
        // the handler only stores to an atomic, which is async-signal-safe.
        if unsafe { libc::sigaction(signal, &action, std::ptr::null_mut()) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Runs commands through a helper process (see the [module docs](self)), so that their peak
/// memory is counted from the helper's small resident size instead of rigor's.
#[derive(Debug)]
pub struct SpawnServerExecutor {
    server: Child,
    requests: UnixStream,
    replies: BufReader<UnixStream>,
    /// The request being sent, reused.
    outgoing: Vec<u8>,
    /// The reply being read, reused.
    incoming: String,
    /// Why the helper can no longer be used, once that happened.
    lost: Option<String>,
}

impl SpawnServerExecutor {
    /// Starts `program args…` as the helper (it must call [`run_spawn_server`]) and checks
    /// that it answers. Its environment, working directory, standard output and error are
    /// the caller's, so the commands it starts get them too.
    pub fn start<S: AsRef<OsStr>>(
        program: impl AsRef<OsStr>,
        args: impl IntoIterator<Item = S>,
    ) -> io::Result<SpawnServerExecutor> {
        let mut command = Command::new(program);
        command.args(args);
        SpawnServerExecutor::start_command(command)
    }

    /// Like [`start`](SpawnServerExecutor::start), from a command the caller has set up;
    /// its standard input is replaced by the socket the requests travel on.
    pub fn start_command(mut command: Command) -> io::Result<SpawnServerExecutor> {
        let (ours, theirs) = UnixStream::pair()?;
        let replies = BufReader::new(ours.try_clone()?);
        command.stdin(Stdio::from(OwnedFd::from(theirs)));
        let server = command.spawn()?;
        // Our copy of the helper's end must go, or a helper that dies would never read as
        // the end of the stream.
        drop(command);
        let mut executor = SpawnServerExecutor {
            server,
            requests: ours,
            replies,
            outgoing: Vec::new(),
            incoming: String::new(),
            lost: None,
        };
        executor.greet().map_err(|problem| {
            io::Error::other(format!(
                "the spawn server did not start properly: it {problem}"
            ))
        })?;
        Ok(executor)
    }

    fn greet(&mut self) -> Result<(), String> {
        let socket = self.replies.get_ref();
        socket
            .set_read_timeout(Some(GREETING_TIMEOUT))
            .map_err(|e| e.to_string())?;
        match self.exchange(&Outgoing::Hello)? {
            Reply::Hello { version } if version == PROTOCOL_VERSION => {}
            Reply::Hello { version } => {
                return Err(self.lose(format!(
                    "speaks protocol version {version}, not {PROTOCOL_VERSION}"
                )))
            }
            other => return Err(self.lose(format!("answered the greeting with {other:?}"))),
        }
        self.replies
            .get_ref()
            .set_read_timeout(None)
            .map_err(|e| e.to_string())
    }

    /// Sends one request and reads its reply; on any failure the helper is stopped and
    /// every later request fails with the same problem.
    fn exchange(&mut self, request: &Outgoing) -> Result<Reply, String> {
        if let Some(problem) = &self.lost {
            return Err(problem.clone());
        }
        self.outgoing.clear();
        if let Err(error) = serde_json::to_writer(&mut self.outgoing, request) {
            return Err(format!("cannot be sent the command: {error}"));
        }
        self.outgoing.push(b'\n');
        self.incoming.clear();
        let received = self
            .requests
            .write_all(&self.outgoing)
            .and_then(|()| self.replies.read_line(&mut self.incoming));
        let problem = match received {
            Ok(0) => self.ended(),
            Ok(_) => match serde_json::from_str(&self.incoming) {
                Ok(reply) => return Ok(reply),
                Err(error) => format!(
                    "sent a reply that cannot be read ({error}): {}",
                    self.incoming.trim_end()
                ),
            },
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
                ) =>
            {
                self.ended()
            }
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                format!("did not answer within {} s", GREETING_TIMEOUT.as_secs())
            }
            Err(error) => format!("cannot be reached: {error}"),
        };
        Err(self.lose(problem))
    }

    /// How the helper ended, once it closed its end of the socket.
    fn ended(&mut self) -> String {
        match self.server.wait() {
            Ok(status) => format!(
                "ended unexpectedly with {}",
                describe_exit(status.code(), status.signal())
            ),
            Err(error) => format!("ended unexpectedly: {error}"),
        }
    }

    /// Stops and reaps the helper and remembers why; returns the reason.
    fn lose(&mut self, problem: String) -> String {
        let _ = self.requests.shutdown(Shutdown::Both);
        // Killing an already reaped child does nothing.
        let _ = self.server.kill();
        let _ = self.server.wait();
        self.lost = Some(problem.clone());
        problem
    }

    /// One command or hook; `line` names it in errors.
    fn request(&mut self, request: &Outgoing, line: &str) -> Result<Reply, ExecError> {
        match self.exchange(request) {
            Ok(Reply::Failed(error)) => Err(error.into_exec_error(line)),
            Ok(reply) => Ok(reply),
            Err(problem) => Err(ExecError::SpawnServer {
                command: line.to_string(),
                problem,
            }),
        }
    }

    fn unexpected(&mut self, line: &str, reply: &Reply) -> ExecError {
        ExecError::SpawnServer {
            command: line.to_string(),
            problem: self.lose(format!("sent the wrong kind of reply: {reply:?}")),
        }
    }
}

impl Executor for SpawnServerExecutor {
    fn rss_floor(&self) -> Option<u64> {
        rigor_probe::peak_rss(&self.server.id().to_string())
    }

    fn run(&mut self, command: &CommandSpec) -> Result<Measurement, ExecError> {
        match self.request(&Request::Run(command), &command.line)? {
            Reply::Measured(measurement) => Ok(measurement),
            other => Err(self.unexpected(&command.line, &other)),
        }
    }

    fn run_hook(&mut self, hook: &CommandSpec) -> Result<HookOutput, ExecError> {
        match self.request(&Request::Hook(hook), &hook.line)? {
            Reply::Hooked(output) => Ok(output),
            other => Err(self.unexpected(&hook.line, &other)),
        }
    }

    /// One request for the whole batch. The helper stops it early on its own Ctrl-C or
    /// SIGTERM, not on `stop`: the loop checks that before every batch.
    fn run_batch(
        &mut self,
        commands: &[CommandSpec],
        batch: &Batch,
        _stop: &dyn Fn() -> bool,
    ) -> Result<BatchOutcome, ExecError> {
        let line = batch
            .runs
            .first()
            .and_then(|r| commands.get(r.command))
            .map_or("", |c| c.line.as_str())
            .to_string();
        let request = Request::Batch {
            commands: commands.iter().collect(),
            batch,
        };
        match self.request(&request, &line)? {
            Reply::Batch(outcome) if outcome.runs.len() <= batch.runs.len() => Ok(outcome),
            other => Err(self.unexpected(&line, &other)),
        }
    }
}

impl Drop for SpawnServerExecutor {
    fn drop(&mut self) {
        // The end of the requests is the helper's signal to exit; reaping it leaves no
        // zombie behind. It is idle between requests, so this returns at once.
        let _ = self.requests.shutdown(Shutdown::Write);
        let _ = self.server.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::PlannedRun;
    use crate::spec::{Invocation, OutputMode};

    fn direct(program: &str, args: &[&str]) -> CommandSpec {
        let line = std::iter::once(program)
            .chain(args.iter().copied())
            .collect::<Vec<_>>()
            .join(" ");
        CommandSpec {
            name: line.clone(),
            line,
            invocation: Invocation::Direct {
                program: program.to_string(),
                args: args.iter().map(|a| a.to_string()).collect(),
            },
            output: OutputMode::Discard,
            parameters: Vec::new(),
        }
    }

    fn line(request: &Outgoing) -> String {
        serde_json::to_string(request).unwrap() + "\n"
    }

    #[test]
    fn serves_requests_until_the_input_ends() {
        let true_ = direct("true", &[]);
        let missing = direct("rigor-no-such-command", &[]);
        let input = [
            line(&Request::Hello),
            line(&Request::Run(&true_)),
            line(&Request::Run(&missing)),
        ]
        .concat();
        let mut output = Vec::new();
        serve_spawn_requests(input.as_bytes(), &mut output).unwrap();

        let replies: Vec<Reply> = String::from_utf8(output)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(replies.len(), 3, "{replies:?}");
        assert!(matches!(
            replies[0],
            Reply::Hello {
                version: PROTOCOL_VERSION
            }
        ));
        let Reply::Measured(measurement) = &replies[1] else {
            panic!("{:?}", replies[1]);
        };
        assert!(measurement.succeeded());
        assert!(measurement.wall > Duration::ZERO && measurement.peak_rss > 0);
        let Reply::Failed(error) = replies.into_iter().nth(2).unwrap() else {
            panic!("a missing command fails to start");
        };
        assert_eq!(
            error.into_exec_error("rigor-no-such-command").to_string(),
            "cannot start `rigor-no-such-command`: No such file or directory (os error 2)"
        );
    }

    #[test]
    fn a_batch_runs_in_order_and_stops_at_a_failure() {
        let commands = [direct("true", &[]), direct("false", &[])];
        let batch = Batch {
            runs: (0..3)
                .flat_map(|round| (0..2).map(move |command| PlannedRun { round, command }))
                .collect(),
            enough: vec![None, None],
            stop_at_failure: true,
            budget: Duration::from_secs(10),
        };
        let request = Request::Batch {
            commands: commands.iter().collect(),
            batch: &batch,
        };
        let mut output = Vec::new();
        serve_spawn_requests(line(&request).as_bytes(), &mut output).unwrap();
        let reply: Reply = serde_json::from_slice(&output).unwrap();
        let Reply::Batch(outcome) = reply else {
            panic!("{reply:?}");
        };
        let ran: Vec<_> = outcome
            .runs
            .iter()
            .map(|r| (r.round, r.command, r.measurement.exit_code))
            .collect();
        assert_eq!(ran, [(0, 0, Some(0)), (0, 1, Some(1))]);
        assert!(!outcome.interrupted);
    }

    #[test]
    fn hook_output_and_bad_requests_come_back() {
        let hook = direct("sh", &["-c", "echo out; echo err >&2; exit 3"]);
        let input = [line(&Request::Hook(&hook)), "not json\n".to_string()].concat();
        let mut output = Vec::new();
        serve_spawn_requests(input.as_bytes(), &mut output).unwrap();
        let text = String::from_utf8(output).unwrap();
        let mut replies = text
            .lines()
            .map(|l| serde_json::from_str::<Reply>(l).unwrap());
        let Some(Reply::Hooked(hooked)) = replies.next() else {
            panic!("{text}");
        };
        assert_eq!(hooked.exit_code, Some(3));
        assert_eq!(
            (hooked.stdout_tail.as_str(), hooked.stderr_tail.as_str()),
            ("out\n", "err\n")
        );
        let Some(Reply::Failed(error)) = replies.next() else {
            panic!("{text}");
        };
        let message = error.into_exec_error("x").to_string();
        assert!(message.contains("cannot read the request"), "{message}");
    }

    #[test]
    fn errors_read_the_same_after_the_round_trip() {
        let errors = [
            ExecError::Spawn {
                command: "a | b".into(),
                source: io::Error::from_raw_os_error(libc::ENOENT),
                hint: "; it runs without a shell".into(),
            },
            ExecError::Spawn {
                command: "x".into(),
                source: io::Error::new(io::ErrorKind::InvalidInput, "nul byte found"),
                hint: String::new(),
            },
            ExecError::Wait {
                command: "y".into(),
                source: io::Error::from_raw_os_error(libc::ECHILD),
            },
            ExecError::OutputFile {
                path: "/nope/out.txt".into(),
                source: io::Error::from_raw_os_error(libc::EACCES),
            },
        ];
        for error in errors {
            let json = serde_json::to_string(&WireError::from(&error)).unwrap();
            let back = serde_json::from_str::<WireError>(&json)
                .unwrap()
                .into_exec_error("unused");
            assert_eq!(back.to_string(), error.to_string(), "{json}");
            assert_eq!(
                std::mem::discriminant(&back),
                std::mem::discriminant(&error)
            );
        }
    }
}
