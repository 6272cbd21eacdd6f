//! `rigor run [SCENARIO]`: runs the plan's scenarios in order, each stored and judged. With a
//! `[target] command`, starts the system under test first, waits until it is ready, and stops
//! it afterwards.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use rigor_model::output::RunStatus;
use rigor_model::plan::{Plan, TargetSpec};

use super::RecordArgs;
use crate::{exit, printer, session};

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// Run only this scenario.
    pub scenario: Option<String>,

    /// The plan file.
    #[arg(long, short = 'p', default_value = "rigor.toml", value_name = "FILE")]
    pub plan: PathBuf,

    #[command(flatten)]
    pub record: RecordArgs,
}

pub fn run(args: &RunArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    if !args.plan.exists() {
        return Err(exit::bad_input(anyhow::anyhow!(
            "no plan at {}: `rigor init` writes a starter plan, or pass --plan FILE",
            args.plan.display()
        )));
    }
    let plan = Plan::load(&args.plan).map_err(exit::bad_input)?;
    let scenarios = plan
        .scenarios(&args.plan, args.scenario.as_deref())
        .map_err(exit::bad_input)?;
    let benches: Vec<_> = plan
        .bench
        .iter()
        .filter(|b| args.scenario.as_deref().is_none_or(|n| b.name == n))
        .collect();
    if scenarios.is_empty() && benches.is_empty() {
        return Err(exit::bad_input(anyhow::anyhow!(
            "{} has no [[scenario]] or [[bench]] to run",
            args.plan.display()
        )));
    }
    for bench in &benches {
        // Checked before anything runs, so a typo in the last entry does not waste the first.
        super::bench::spec_from(bench)?
            .resolve()
            .map_err(|e| exit::bad_input(anyhow::anyhow!("bench `{}`: {e}", bench.name)))?;
    }
    let project_dir = args
        .plan
        .canonicalize()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("."));
    let mut store = session::open_store(
        args.record.store.as_deref(),
        plan.store.as_deref(),
        &project_dir,
    )?;
    let target = match &plan.target {
        Some(spec) if spec.command.is_some() => Some(Target::start(spec, &project_dir)?),
        Some(spec) => {
            if let Some(ready) = &spec.ready {
                wait_ready(ready, Duration::from_secs(1), None)?;
            }
            None
        }
        None => None,
    };
    let plan_text = std::fs::read_to_string(&args.plan).ok();
    let stop = session::stop_handle();
    let mut worst = exit::PASSED;
    let mut summaries = Vec::new();
    for scenario in &scenarios {
        let options = session::RunOptions {
            threads: args.record.threads,
            max_lag: args.record.max_lag.0,
            quiet: args.record.quiet,
            project_dir: project_dir.clone(),
            plan_text: plan_text.clone(),
            target_pid: target.as_ref().map(|t| t.child.id()),
        };
        let summary = session::execute(&mut store, scenario, &options, &stop)
            .with_context(|| format!("scenario `{}`", scenario.name))?;
        worst = worse(worst, session::exit_code(summary.status));
        if !args.record.json {
            printer::ignore_broken_pipe(
                printer::summary(out, &summary).and_then(|()| writeln!(out)),
            )?;
        }
        let interrupted = summary.status == RunStatus::Interrupted;
        summaries.push(summary);
        if interrupted {
            break;
        }
    }
    let mut bench_results = Vec::new();
    if !stop_requested(&summaries) {
        for bench in &benches {
            let (result, run_id) =
                super::bench::execute(&mut store, bench, args.record.quiet, &project_dir)
                    .with_context(|| format!("bench `{}`", bench.name))?;
            if !args.record.json {
                printer::ignore_broken_pipe(
                    printer::bench(out, run_id, &bench.name, &result).and_then(|()| writeln!(out)),
                )?;
            }
            let interrupted = result.interrupted;
            bench_results.push(result);
            if interrupted {
                worst = worse(worst, exit::INTERRUPTED);
                break;
            }
        }
    }
    if args.record.json && !bench_results.is_empty() {
        let value = serde_json::json!({ "scenarios": summaries, "benches": bench_results });
        printer::ignore_broken_pipe(printer::json(out, &value))?;
    } else if args.record.json {
        let written = match summaries.as_slice() {
            [one] => printer::json(out, one),
            many => printer::json(out, &many),
        };
        printer::ignore_broken_pipe(written)?;
    }
    Ok(ExitCode::from(worst))
}

fn stop_requested(summaries: &[rigor_model::output::RunSummary]) -> bool {
    summaries.iter().any(|s| s.status == RunStatus::Interrupted)
}

/// The more serious of two exit codes: interrupted > could not complete > failed > passed.
fn worse(a: u8, b: u8) -> u8 {
    let rank = |c: u8| match c {
        exit::INTERRUPTED => 4,
        exit::NOT_COMPLETED => 3,
        exit::BAD_INPUT => 2,
        exit::FAILED => 1,
        _ => 0,
    };
    if rank(b) > rank(a) {
        b
    } else {
        a
    }
}

/// The system under test, started by rigor; stopped (SIGTERM, then SIGKILL) when dropped.
struct Target {
    child: Child,
}

impl Target {
    fn start(spec: &TargetSpec, dir: &Path) -> anyhow::Result<Target> {
        let command = spec.command.as_deref().unwrap_or_default();
        // `rigor ...` means this very binary, so plans work before rigor is on PATH.
        let command = match command.strip_prefix("rigor ") {
            Some(rest) => match std::env::current_exe() {
                Ok(exe) => format!("'{}' {rest}", exe.display()),
                Err(_) => command.to_string(),
            },
            None => command.to_string(),
        };
        let child = Command::new("sh")
            .arg("-c")
            .arg(format!("exec {command}"))
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| {
                exit::not_completed(anyhow::anyhow!(
                    "[target] command `{command}` could not start: {e}"
                ))
            })?;
        let mut target = Target { child };
        let timeout = spec.ready_timeout.map_or(Duration::from_secs(30), |t| t.0);
        if let Some(ready) = &spec.ready {
            wait_ready(ready, timeout, Some(&mut target.child))?;
        }
        Ok(target)
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        terminate(self.child.id());
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Asks a child to stop (SIGTERM), so it can shut down cleanly.
#[allow(unsafe_code)]
fn terminate(pid: u32) {
    // SAFETY: kill(2) with our own child's pid and a valid signal; at worst it fails (ESRCH).
    unsafe {
        libc::kill(pid as libc::pid_t, libc::SIGTERM);
    }
}

/// Polls `url` until it answers 2xx, the child exits, or `timeout` passes.
fn wait_ready(url: &str, timeout: Duration, mut child: Option<&mut Child>) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    let mut last;
    loop {
        if let Some(child) = child.as_deref_mut() {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(exit::not_completed(anyhow::anyhow!(
                    "[target] command exited ({status}) before {url} was ready"
                )));
            }
        }
        match probe(url) {
            Ok(status) if (200..300).contains(&status) => return Ok(()),
            Ok(status) => last = format!("it answered {status}"),
            Err(e) => last = e,
        }
        if Instant::now() >= deadline {
            return Err(exit::not_completed(anyhow::anyhow!(
                "[target] ready: {url} was not ready within {:?} ({last})",
                timeout
            )));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// One plain HTTP/1.1 GET; returns the status code.
fn probe(url: &str) -> Result<u16, String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("`{url}`: a ready URL must be http://"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let addr = authority
        .to_socket_addrs()
        .or_else(|_| format!("{authority}:80").to_socket_addrs())
        .map_err(|e| format!("cannot resolve {authority}: {e}"))?
        .next()
        .ok_or_else(|| format!("{authority} has no address"))?;
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
