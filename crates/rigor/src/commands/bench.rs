//! `rigor bench [flags] -- CMD…`: benchmark whole commands, hyperfine-style and beyond. Flags
//! become the same `[[bench]]` entry a plan holds, so both paths validate and run alike; the
//! result is stored as a run of kind `bench`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use rigor_bench::{
    BenchError, BenchResult, Executor, ExportFormat, Order, OutputMode, Parameter, ProcessExecutor,
    RunCount, Runner, Shell, SpawnServerExecutor,
};
use rigor_model::output::RunStatus;
use rigor_model::plan::{BenchEntry, ListSpec, ScanSpec, ShellChoice};
use rigor_model::units::{format_duration, HumanDuration};
use rigor_store::{NewRun, SqliteStore, Store};

use crate::{exit, printer, session};

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// The command to benchmark, after `--`: `rigor bench -- ./parse big.json`.
    #[arg(last = true, value_name = "CMD")]
    pub command: Vec<String>,

    /// A command line to benchmark; repeat for several (run interleaved and compared).
    #[arg(long = "command", short = 'c', value_name = "CMD")]
    pub commands: Vec<String>,

    /// Another command to compare against (A/B): `rigor bench --vs './old big.json' -- ./new big.json`.
    #[arg(long, value_name = "CMD")]
    pub vs: Vec<String>,

    /// Untimed runs of each command first.
    #[arg(long, short = 'w', value_name = "N")]
    pub warmup: Option<u64>,

    /// Exactly this many timed runs per command [default: at least 10 runs and 3 s].
    #[arg(long, short = 'r', value_name = "N", conflicts_with_all = ["min_runs", "min_time"])]
    pub runs: Option<u64>,

    /// At least this many runs (with --min-time).
    #[arg(long, value_name = "N")]
    pub min_runs: Option<u64>,

    /// Keep running until the runs add up to this much time (with --min-runs).
    #[arg(long, value_name = "DURATION")]
    pub min_time: Option<HumanDuration>,

    /// Never more than this many runs.
    #[arg(long, value_name = "N")]
    pub max_runs: Option<u64>,

    /// Run once per command before its runs (through the shell).
    #[arg(long, value_name = "CMD")]
    pub setup: Option<String>,

    /// Run before every run, e.g. to clear caches (through the shell).
    #[arg(long, value_name = "CMD")]
    pub prepare: Option<String>,

    /// Run after every run (through the shell).
    #[arg(long, value_name = "CMD")]
    pub conclude: Option<String>,

    /// Run once per command after its runs (through the shell).
    #[arg(long, value_name = "CMD")]
    pub cleanup: Option<String>,

    /// Scan a parameter: NAME START END, used as {NAME} in commands.
    #[arg(long, num_args = 3, value_names = ["NAME", "START", "END"])]
    pub parameter_scan: Vec<String>,

    /// The step of --parameter-scan [default: 1].
    #[arg(long, value_name = "STEP", requires = "parameter_scan")]
    pub parameter_step: Option<String>,

    /// A parameter's values, comma-separated: NAME VALUES.
    #[arg(long, num_args = 2, value_names = ["NAME", "VALUES"])]
    pub parameter_list: Vec<String>,

    /// Run the commands through a shell (sh unless named); its start-up cost is measured and
    /// subtracted.
    #[arg(long, short = 'S', num_args = 0..=1, default_missing_value = "sh", value_name = "SHELL")]
    pub shell: Option<String>,

    /// Where the commands' output goes: discard, pipe, inherit, or a file.
    #[arg(long, value_name = "WHERE")]
    pub output: Option<String>,

    /// Keep going when a command exits non-zero.
    #[arg(long, short = 'i')]
    pub ignore_failure: bool,

    /// Order of runs in each round: interleaved (A B A B …) or random.
    #[arg(long, value_name = "ORDER")]
    pub order: Option<String>,

    /// Seed of --order random, for a reproducible order.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,

    /// The name the benchmark is stored under [default: the first command].
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// Write the result as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub export_json: Option<PathBuf>,

    /// Write one CSV row per command to FILE.
    #[arg(long, value_name = "FILE")]
    pub export_csv: Option<PathBuf>,

    /// Write a Markdown table to FILE.
    #[arg(long, value_name = "FILE")]
    pub export_markdown: Option<PathBuf>,

    /// The run store (default .rigor/rigor.db).
    #[arg(long, env = "RIGOR_STORE", value_name = "PATH")]
    pub store: Option<PathBuf>,

    /// Print the result as JSON on stdout instead of the summary.
    #[arg(long)]
    pub json: bool,

    /// No progress line.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn run(args: &BenchArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let entry = entry_from(args)?;
    let cwd = std::env::current_dir()?;
    let mut store = session::open_store(args.store.as_deref(), None, &cwd)?;
    let (result, run_id) = execute(&mut store, &entry, args.quiet, &cwd)?;
    for (path, format) in [
        (&args.export_json, ExportFormat::Json),
        (&args.export_csv, ExportFormat::Csv),
        (&args.export_markdown, ExportFormat::Markdown),
    ] {
        if let Some(path) = path {
            let text = rigor_bench::export(&result, format)?;
            std::fs::write(path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
    }
    let written = if args.json {
        printer::json(out, &result)
    } else {
        printer::bench(out, run_id, &entry.name, &result)
    };
    printer::ignore_broken_pipe(written)?;
    Ok(ExitCode::from(if result.interrupted {
        exit::INTERRUPTED
    } else {
        exit::PASSED
    }))
}

/// Turns the flags into the plan's `[[bench]]` form; errors name the flag.
fn entry_from(args: &BenchArgs) -> anyhow::Result<BenchEntry> {
    let mut commands = Vec::new();
    if !args.command.is_empty() {
        commands.push(join_words(&args.command));
    }
    commands.extend(args.commands.iter().cloned());
    commands.extend(args.vs.iter().cloned());
    if commands.is_empty() {
        return Err(exit::bad_input(anyhow::anyhow!(
            "no command to benchmark: `rigor bench -- CMD ARGS…` or `rigor bench -c 'CMD' -c 'OTHER'`"
        )));
    }
    let scan = match args.parameter_scan.as_slice() {
        [] => None,
        [name, from, to] => Some(ScanSpec {
            name: name.clone(),
            from: from.clone(),
            to: to.clone(),
            step: args.parameter_step.clone(),
        }),
        _ => {
            return Err(exit::bad_input(anyhow::anyhow!(
                "--parameter-scan takes NAME START END, once"
            )))
        }
    };
    let list = match args.parameter_list.as_slice() {
        [] => None,
        [name, values] => Some(ListSpec {
            name: name.clone(),
            values: values.split(',').map(|v| v.trim().to_string()).collect(),
        }),
        _ => {
            return Err(exit::bad_input(anyhow::anyhow!(
                "--parameter-list takes NAME VALUES, once"
            )))
        }
    };
    Ok(BenchEntry {
        name: args.name.clone().unwrap_or_else(|| commands[0].clone()),
        command: None,
        commands,
        warmup: args.warmup,
        runs: args.runs,
        min_runs: args.min_runs,
        min_time: args.min_time,
        max_runs: args.max_runs,
        setup: args.setup.clone(),
        prepare: args.prepare.clone(),
        conclude: args.conclude.clone(),
        cleanup: args.cleanup.clone(),
        shell: args.shell.clone().map(ShellChoice::Program),
        output: args.output.clone(),
        ignore_failure: args.ignore_failure,
        order: args.order.clone(),
        seed: args.seed,
        scan,
        list,
    })
}

/// Quotes words that need it so `rigor bench -- grep 'a b' file` keeps its argument whole.
fn join_words(words: &[String]) -> String {
    words
        .iter()
        .map(|w| {
            if !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%{}".contains(c))
            {
                w.clone()
            } else {
                format!("'{}'", w.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Builds the library's spec from a `[[bench]]` entry.
pub fn spec_from(entry: &BenchEntry) -> anyhow::Result<rigor_bench::BenchSpec> {
    let bad = |m: String| exit::bad_input(anyhow::anyhow!("bench `{}`: {m}", entry.name));
    let mut lines: Vec<String> = entry.command.iter().cloned().collect();
    lines.extend(entry.commands.iter().cloned());
    if lines.is_empty() {
        return Err(bad("no `command` (or `commands`) to benchmark".into()));
    }
    let mut spec = rigor_bench::BenchSpec::new(lines);
    spec.warmup = entry.warmup.unwrap_or(0);
    spec.runs = match (entry.runs, entry.min_runs, entry.min_time, entry.max_runs) {
        (Some(runs), None, None, _) => RunCount::Fixed { runs },
        (Some(_), _, _, _) => {
            return Err(bad("give `runs` or `min_runs`/`min_time`, not both".into()))
        }
        (None, min_runs, min_time, max_runs) => RunCount::Auto {
            min_runs: min_runs.unwrap_or(10),
            min_time: min_time.map_or(Duration::from_secs(3), |d| d.0),
            max_runs,
        },
    };
    spec.hooks = rigor_bench::Hooks {
        setup: entry.setup.clone(),
        prepare: entry.prepare.clone(),
        conclude: entry.conclude.clone(),
        cleanup: entry.cleanup.clone(),
    };
    spec.shell = match &entry.shell {
        None | Some(ShellChoice::Enabled(false)) => None,
        Some(ShellChoice::Enabled(true)) => Some(Shell::default()),
        Some(ShellChoice::Program(program)) => Some(Shell {
            program: program.clone(),
            ..Shell::default()
        }),
    };
    spec.output = match entry.output.as_deref() {
        None | Some("discard") => OutputMode::Discard,
        Some("pipe") => OutputMode::Pipe,
        Some("inherit") => OutputMode::Inherit,
        Some(path) => OutputMode::File(PathBuf::from(path)),
    };
    spec.ignore_failure = entry.ignore_failure;
    spec.order = match entry.order.as_deref() {
        None | Some("interleaved") => Order::Interleaved,
        Some("random") => Order::Random {
            seed: entry.seed.unwrap_or_else(|| {
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos() as u64)
            }),
        },
        Some(other) => {
            return Err(bad(format!(
                "order `{other}`: expected interleaved or random"
            )))
        }
    };
    if let Some(scan) = &entry.scan {
        let step = scan.step.as_deref();
        spec.parameters.push(
            Parameter::scan(&scan.name, &scan.from, &scan.to, step)
                .map_err(|e| bad(e.to_string()))?,
        );
    }
    if let Some(list) = &entry.list {
        spec.parameters.push(
            Parameter::list(&list.name, list.values.clone()).map_err(|e| bad(e.to_string()))?,
        );
    }
    Ok(spec)
}

/// Runs a benchmark and stores it; returns the result and its run id.
pub fn execute(
    store: &mut SqliteStore,
    entry: &BenchEntry,
    quiet: bool,
    project_dir: &std::path::Path,
) -> anyhow::Result<(BenchResult, i64)> {
    let spec = spec_from(entry)?;
    let plan = spec
        .resolve()
        .map_err(|e| exit::bad_input(anyhow::anyhow!("bench `{}`: {e}", entry.name)))?;
    // The helper starts while the environment is read and the run is opened, not after.
    let starting = std::thread::spawn(executor);
    let environment = crate::environment::fingerprint(project_dir);
    let started = SystemTime::now();
    let run_id = store
        .begin_run(&NewRun {
            kind: "bench".into(),
            scenario: entry.name.clone(),
            plan: serde_json::to_string(entry)?,
            started_at_ns: session::unix_ns(started),
            environment: serde_json::to_string(&environment)?,
            git_commit: environment.git_commit.clone(),
        })
        .map_err(exit::not_completed)?;
    let stop = Arc::new(AtomicBool::new(false));
    let bridge = bridge_stop(stop.clone());
    let mut executor = starting
        .join()
        .unwrap_or_else(|_| Box::new(ProcessExecutor::new()));
    let show_progress = !quiet && std::io::stderr().is_terminal();
    let outcome = Runner::new(&plan, executor.as_mut())
        .stop_flag(stop.clone())
        .on_progress(move |p| {
            if show_progress && p.elapsed > Duration::from_secs(1) {
                let left = p
                    .remaining
                    .map(|r| format!(", ~{} left", format_duration(round_secs(r))))
                    .unwrap_or_default();
                let mut stderr = std::io::stderr().lock();
                let _ = write!(
                    stderr,
                    "\r\x1b[2K  {:?} command {} run {}/{}{}",
                    p.phase,
                    p.command + 1,
                    p.run,
                    p.of,
                    left
                );
                let _ = stderr.flush();
            }
        })
        .run();
    bridge.store(true, Ordering::Release);
    if show_progress {
        let _ = write!(std::io::stderr().lock(), "\r\x1b[2K");
    }
    let ended = session::unix_ns(SystemTime::now());
    let result = match outcome {
        Ok(result) => result,
        Err(e) => {
            let reason = e.to_string();
            let _ = store.finish_run(run_id, RunStatus::Aborted, Some(&reason), ended, "null");
            let code = match e {
                BenchError::Exec(_) => exit::BAD_INPUT,
                _ => exit::NOT_COMPLETED,
            };
            return Err(exit::Failure {
                code,
                error: anyhow::Error::new(e),
            }
            .into());
        }
    };
    let status = if result.interrupted {
        RunStatus::Interrupted
    } else {
        RunStatus::Passed
    };
    let reason = result
        .interrupted
        .then_some("interrupted: the finished runs are kept");
    store
        .finish_run(
            run_id,
            status,
            reason,
            ended,
            &serde_json::to_string(&result)?,
        )
        .map_err(exit::not_completed)?;
    Ok((result, run_id))
}

fn round_secs(d: Duration) -> Duration {
    Duration::from_secs(d.as_secs_f64().round() as u64)
}

/// The hidden subcommand that starts the benchmarked commands.
pub const SPAWN_SERVER: &str = "__spawn-server";

/// Commands are started by a small helper process, a second rigor running [`spawn_server`]:
/// Linux counts the spawner's resident size into a child's peak memory, and the helper's is a
/// fraction of this process's. Without the helper they are started directly, with that floor.
fn executor() -> Box<dyn Executor + Send> {
    match std::env::current_exe().and_then(|exe| SpawnServerExecutor::start(exe, [SPAWN_SERVER])) {
        Ok(server) => Box::new(server),
        Err(_) => Box::new(ProcessExecutor::new()),
    }
}

/// `rigor __spawn-server`: serves [`executor`]'s requests on standard input until it closes.
pub fn spawn_server() -> anyhow::Result<ExitCode> {
    rigor_bench::run_spawn_server().context("the spawn server failed")?;
    Ok(ExitCode::SUCCESS)
}

/// Forwards Ctrl-C (the shared signal handler) to the runner's stop flag until `done` is set.
fn bridge_stop(stop: Arc<AtomicBool>) -> Arc<AtomicBool> {
    let done = Arc::new(AtomicBool::new(false));
    let handle = session::stop_handle();
    let finished = done.clone();
    std::thread::spawn(move || {
        while !finished.load(Ordering::Acquire) {
            if handle.state() != rigor_load::StopState::Running {
                stop.store(true, Ordering::Release);
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    done
}
