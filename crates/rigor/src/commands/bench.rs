//! `rigor bench [flags] -- CMD…`: benchmark whole commands, hyperfine-style and beyond. Flags
//! become the same `[[bench]]` entry a plan holds, so both paths validate and run alike; the
//! result is stored as a run of kind `bench`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use rigor_model::plan::{BenchEntry, ListSpec, ScanSpec, ShellChoice};
use rigor_model::units::HumanDuration;
use rigor_report::{Format, Report, Writer};

use crate::{data_format, exit, flags, record, store};

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
    #[arg(long, short = 'w', value_name = "N", value_parser = flags::warmup_runs)]
    pub warmup: Option<u64>,

    /// Exactly this many timed runs per command [default: at least 10 runs and 3 s].
    #[arg(long, short = 'r', value_name = "N", conflicts_with_all = ["min_runs", "min_time"], value_parser = flags::bench_runs)]
    pub runs: Option<u64>,

    /// At least this many runs (with --min-time).
    #[arg(long, value_name = "N", value_parser = flags::bench_runs)]
    pub min_runs: Option<u64>,

    /// Keep running until the runs add up to this much time (with --min-runs).
    #[arg(long, value_name = "DURATION", value_parser = flags::bench_time)]
    pub min_time: Option<HumanDuration>,

    /// Never more than this many runs.
    #[arg(long, value_name = "N", value_parser = flags::bench_runs)]
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

    /// What to measure besides wall, user and system time and peak memory, comma-separated:
    /// `instructions` (executed, the command and its children) and `cycles-estimate` (from a
    /// cache simulation): deterministic costs that vary by a fraction of a percent where wall
    /// time varies by several, counted with perf stat (the CPU's counters, where the machine
    /// has them) or Valgrind's cachegrind, on --count-runs runs of their own.
    #[arg(long, value_name = "LIST", default_value = "wall")]
    pub measure: Vec<String>,

    /// Counted runs per command when --measure asks for counts [default: 3]; a simulated run
    /// is tens of times slower than a native one.
    #[arg(long, value_name = "N")]
    pub count_runs: Option<u64>,

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

    #[command(flatten)]
    pub profiling: super::profile::ProfileArgs,
}

pub fn run(args: &BenchArgs, w: &mut Writer) -> anyhow::Result<ExitCode> {
    w.set_quiet(args.quiet);
    let entry = entry_from(args)?;
    let cwd = std::env::current_dir()?;
    let profile = args.profiling.spec();
    if args.profiling.profile_phase.is_some() {
        return Err(exit::bad_input(anyhow::anyhow!(
            "--profile-phase names a phase of a load run; a benchmark's profile is one run of each command after the timed runs"
        )));
    }
    let prepared = record::prepare_bench(&entry)?;
    let invocations = prepared.invocations();
    let mut store = store::open_store(args.store.as_deref(), None, &cwd)?;
    let recorded = record::bench(store.as_mut(), prepared, &cwd, w.progress())?;
    let (result, run_id) = &recorded.value;
    if let (Some(spec), false) = (&profile, result.interrupted) {
        rigor_recorder::profile_commands(store.as_mut(), *run_id, &invocations, spec)
            .map_err(exit::not_completed)?;
    }
    let report = Report::Bench {
        run_id: *run_id,
        name: &entry.name,
        result,
    };
    for (path, format) in [
        (&args.export_json, Format::Json),
        (&args.export_csv, Format::Csv),
        (&args.export_markdown, Format::Markdown),
    ] {
        if let Some(path) = path {
            let text = rigor_report::to_string(&report, format)?;
            super::report::write_whole(path, &text)?;
        }
    }
    w.report(&report, data_format(args.json))?;
    record::check_saved(recorded.lost)?;
    if profile.is_some() && !args.json {
        super::profile::show_profiles(&*store, *run_id, w)?;
    }
    Ok(ExitCode::from(if result.interrupted {
        exit::INTERRUPTED
    } else {
        exit::PASSED
    }))
}

/// Turns the flags into the plan's `[[bench]]` form; errors name the flag.
fn entry_from(args: &BenchArgs) -> anyhow::Result<BenchEntry> {
    let mut commands = Vec::new();
    if let [word] = args.command.as_slice() {
        refuse_one_quoted_line(word)?;
    }
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
    let measure: Vec<String> = args
        .measure
        .iter()
        .flat_map(|m| m.split(','))
        .map(|m| m.trim().to_string())
        .collect();
    if measure.iter().any(String::is_empty) {
        return Err(exit::bad_input(anyhow::anyhow!(
            "--measure {}: a measure with no name; give wall, instructions or cycles-estimate, comma-separated",
            args.measure.join(",")
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
        measure,
        count_runs: args.count_runs,
    })
}

/// `rigor bench -- 'sleep 0.01'` passes one word: the program would be `sleep 0.01`, which
/// no exec finds. Said before anything runs, with the two forms that work.
fn refuse_one_quoted_line(word: &str) -> anyhow::Result<()> {
    if !word.trim().contains(char::is_whitespace) || std::path::Path::new(word).exists() {
        return Ok(());
    }
    Err(exit::bad_input(anyhow::anyhow!(
        "`{word}` after `--` is one argument, so it would run a program named `{word}`: pass the words separately (`rigor bench -- {}`), or give the command line with -c (`rigor bench -c '{word}'`), which splits it into words (add --shell for pipes, redirections and variables)",
        word.trim()
    )))
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

/// `rigor __spawn-server`: serves the bench executor's requests (see `record::SPAWN_SERVER`) on standard input until it closes.
pub fn spawn_server() -> anyhow::Result<ExitCode> {
    rigor_bench::run_spawn_server().context("the spawn server failed")?;
    Ok(ExitCode::SUCCESS)
}
