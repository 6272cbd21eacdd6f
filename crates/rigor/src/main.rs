//! The `rigor` binary: parses flags, runs one command, maps the outcome to an exit code.
//!
//! Exit codes, defined once: 0 passed; 1 a threshold or gate failed; 2 bad input or usage;
//! 3 the run could not be completed or is invalid; 130 interrupted (partial results saved).

mod commands;
mod exit;
mod flags;
mod progress;
mod record;
mod signals;
mod store;

use std::process::ExitCode;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "rigor",
    version,
    about = "Performance tuning with honest measurements: load, record, judge, report."
)]
#[command(propagate_version = true, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Name a run as the baseline for its scenario and environment; show and list baselines.
    Baseline(commands::baseline::BaselineArgs),
    /// Benchmark whole commands (hyperfine-class): `rigor bench -- CMD`, `--vs 'OTHER'` for A/B.
    Bench(Box<commands::bench::BenchArgs>),
    /// Search for the highest load the service sustains within its SLOs: `rigor capacity --slo
    /// 'latency.p99 < 200ms'`.
    Capacity(Box<commands::capacity::CapacityArgs>),
    /// Statistical before/after of two runs (default: the latest run against its baseline).
    Compare(Box<commands::compare::CompareArgs>),
    /// Start the built-in demo target, load it briefly, store and print the run.
    Demo(commands::demo::DemoArgs),
    /// Judge budgets and regression rules on the latest runs: the CI exit code.
    Gate(Box<commands::gate::GateArgs>),
    /// A metric over stored runs and where it stepped: `rigor history latency.p95 --scenario api`.
    History(commands::history::HistoryArgs),
    /// Bring another tool's results into the store: `rigor import hyperfine results.json`,
    /// `rigor import csv history.csv --scenario S`.
    Import(commands::import::ImportArgs),
    /// Write a commented starter plan, rigor.toml.
    Init(commands::init::InitArgs),
    /// Load an HTTP endpoint ad hoc: `rigor load http://127.0.0.1:8080/ --rate 500/s --duration 30s`.
    Load(Box<commands::load::LoadArgs>),
    /// Write a stored run or a comparison as Markdown, CSV or JSON: `rigor report -f md,csv -o DIR`.
    Report(Box<commands::report::ReportArgs>),
    /// Run the scenarios of the plan (rigor.toml), store the runs and judge their thresholds.
    Run(commands::run::RunArgs),
    /// The plan's SLOs as Prometheus burn-rate alerts: `rigor slo rules -o monitoring/`.
    Slo(commands::slo::SloArgs),
    /// List stored runs, newest first.
    Runs(commands::runs::RunsArgs),
    /// Print a stored run again.
    Show(commands::show::ShowArgs),
    /// Profile a scenario's target under load, or show a profiled run's hottest frames and flame graph, or `--diff A B`: where the time moved.
    Profile(Box<commands::profile::ProfileCommandArgs>),
    /// Serve the built-in demo HTTP target (configurable latency, errors, CPU work, leaks, stalls).
    Target(commands::target::TargetArgs),
    /// The performance-tuning procedure as a tracked session: `rigor tune start NAME --goal '…'`,
    /// then `baseline`, `hypothesis add`, `gate`, `status`, `close`.
    Tune(Box<commands::tune::TuneArgs>),
    /// Internal: the helper that starts `rigor bench`'s commands (see rigor_bench::spawn_server).
    #[command(name = record::SPAWN_SERVER, hide = true)]
    SpawnServer,
}

/// The format of a command's data on stdout: `--json` or the terminal table.
pub fn data_format(json: bool) -> rigor_report::Format {
    if json {
        rigor_report::Format::Json
    } else {
        rigor_report::Format::Terminal
    }
}

fn main() -> ExitCode {
    // The helper that starts `rigor bench`'s commands goes straight to its work: a child
    // starts with its spawner's peak resident memory, so the helper touches as little as it
    // can (building the whole command line's parser would add megabytes to every command's
    // measured peak).
    if std::env::args_os()
        .nth(1)
        .is_some_and(|arg| arg == record::SPAWN_SERVER)
    {
        let mut w = rigor_report::Writer::stdio(false);
        return match commands::bench::spawn_server() {
            Ok(code) => code,
            Err(error) => exit::report(&error, &mut w),
        };
    }
    let cli = Cli::try_parse().unwrap_or_else(|error| with_bench_tip(error).exit());
    let mut w = rigor_report::Writer::stdio(false);
    let result = match &cli.command {
        Command::Baseline(args) => commands::baseline::run(args, &mut w),
        Command::Capacity(args) => commands::capacity::run(args, &mut w),
        Command::Compare(args) => commands::compare::run(args, &mut w),
        Command::Gate(args) => commands::gate::run(args, &mut w),
        Command::Bench(args) => commands::bench::run(args, &mut w),
        Command::History(args) => commands::history::run(args, &mut w),
        Command::Import(args) => commands::import::run(args, &mut w),
        Command::Slo(args) => commands::slo::run(args, &mut w),
        Command::Demo(args) => commands::demo::run(args, &mut w),
        Command::Init(args) => commands::init::run(args, &mut w),
        Command::Load(args) => commands::load::run(args, &mut w),
        Command::Report(args) => commands::report::run(args, &mut w),
        Command::Run(args) => commands::run::run(args, &mut w),
        Command::Runs(args) => commands::runs::run(args, &mut w),
        Command::Show(args) => commands::show::run(args, &mut w),
        Command::Profile(args) => commands::profile::run(args, &mut w),
        Command::Target(args) => commands::target::run(args, &mut w),
        Command::Tune(args) => commands::tune::run(args, &mut w),
        Command::SpawnServer => commands::bench::spawn_server(),
    };
    match result {
        Ok(code) => code,
        Err(error) => exit::report(&error, &mut w),
    }
}

/// hyperfine takes its commands as plain arguments (`hyperfine 'sleep 0.1' 'sleep 0.2'`);
/// `rigor bench` cannot, because one command's words and several commands would look alike.
/// A user who types it the hyperfine way is shown both forms that work.
fn with_bench_tip(mut error: clap::Error) -> clap::Error {
    let is_bench = std::env::args_os().nth(1).is_some_and(|arg| arg == "bench");
    let stray_word = matches!(
        error.get(ContextKind::InvalidArg),
        Some(ContextValue::String(arg)) if !arg.starts_with('-')
    );
    if is_bench && error.kind() == ErrorKind::UnknownArgument && stray_word {
        error.insert(
            ContextKind::Suggested,
            ContextValue::StyledStrs(vec![
                "put the command after `--` (`rigor bench -- sleep 0.1`), or give each command \
                 its own -c (`rigor bench -c 'sleep 0.1' -c 'sleep 0.2'`)"
                    .into(),
            ]),
        );
    }
    error
}
