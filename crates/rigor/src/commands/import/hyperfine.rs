//! `rigor import hyperfine FILE.json`: a hyperfine export as a bench run, its timed runs kept,
//! so its history and baselines live in rigor beside `rigor bench`'s.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::SystemTime;

use anyhow::Context;
use rigor_model::output::RunStatus;
use rigor_store::{NewRun, RunEnd, RunHeadline, RunKind};

use crate::{exit, store};
use rigor_report::{Format, Report, Writer};

#[derive(clap::Args, Debug)]
pub struct HyperfineArgs {
    /// hyperfine's --export-json file.
    pub file: PathBuf,

    /// The name to store it under [default: the first command].
    #[arg(long)]
    pub name: Option<String>,

    /// The run store (default .rigor/rigor.db).
    #[arg(long, env = "RIGOR_STORE", value_name = "PATH")]
    pub store: Option<PathBuf>,
}

pub fn run(args: &HyperfineArgs, w: &mut Writer) -> anyhow::Result<ExitCode> {
    let file = std::fs::File::open(&args.file).map_err(|e| {
        exit::bad_input(anyhow::anyhow!("cannot read {}: {e}", args.file.display()))
    })?;
    // Read as a stream: memory stays bounded however large the export is.
    let result = rigor_bench::import_hyperfine_from(file)
        .map_err(|e| exit::bad_input(anyhow::anyhow!("{}: {e}", args.file.display())))?;
    let name = args
        .name
        .clone()
        .or_else(|| result.commands.first().map(|c| c.command.clone()))
        .unwrap_or_else(|| "imported".into());
    let cwd = std::env::current_dir()?;
    let mut store = store::open_store(args.store.as_deref(), None, &cwd)?;
    // The file does not say when it was taken; its modification time is the best guess.
    let taken = std::fs::metadata(&args.file)
        .and_then(|m| m.modified())
        .unwrap_or_else(|_| SystemTime::now());
    let at = taken
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64);
    let plan = serde_json::json!({ "imported_from": "hyperfine", "file": args.file });
    let run_id = store
        .begin_run(&NewRun {
            kind: RunKind::Bench,
            scenario: name.clone(),
            plan: plan.to_string(),
            started_at_ns: at,
            environment: "{}".into(),
            git_commit: None,
            owner: None,
        })
        .map_err(exit::not_completed)?;
    store
        .finish_run(
            run_id,
            &RunEnd {
                status: RunStatus::Completed,
                reason: Some("imported from hyperfine"),
                ended_at_ns: at,
                summary: &serde_json::to_string(&result)?,
                headline: RunHeadline::of_bench(&result),
            },
        )
        .map_err(exit::not_completed)
        .context("storing the imported run")?;
    w.line(format_args!(
        "imported {} as run {run_id} (`{name}`)",
        args.file.display()
    ))?;
    let report = Report::Bench {
        run_id,
        name: &name,
        result: &result,
    };
    w.report(&report, Format::Terminal)?;
    Ok(ExitCode::SUCCESS)
}
