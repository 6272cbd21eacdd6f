//! `rigor show`: prints a stored run again.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use rigor_store::RunFilter;

use crate::{exit, printer};

#[derive(clap::Args, Debug)]
pub struct ShowArgs {
    /// The run id, or `latest`.
    #[arg(default_value = "latest")]
    pub run: String,

    /// The run store (default .rigor/rigor.db).
    #[arg(long, env = "RIGOR_STORE", value_name = "PATH")]
    pub store: Option<std::path::PathBuf>,

    /// Print the stored JSON summary.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &ShowArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let cwd = std::env::current_dir()?;
    let store = crate::store::open_existing_store(args.store.as_deref(), &cwd)?
        .map_err(|path| crate::store::no_runs_yet(&path.display().to_string()))?;
    let record = if args.run == "latest" {
        store
            .latest_run(&RunFilter::default())?
            .ok_or_else(|| crate::store::no_runs_yet(&store.location()))?
    } else {
        let id: i64 = args.run.parse().map_err(|_| {
            exit::bad_input(anyhow::anyhow!(
                "`{}` is not a run id: give a number from `rigor runs`, or `latest`",
                args.run
            ))
        })?;
        store.run(id).map_err(exit::bad_input)?
    };
    if args.json {
        let text = record.summary.as_deref().unwrap_or("null");
        let value: serde_json::Value =
            serde_json::from_str(text).context("the stored summary is not valid JSON")?;
        printer::ignore_broken_pipe(printer::json(out, &value))?;
        return Ok(ExitCode::SUCCESS);
    }
    printer::ignore_broken_pipe(printer::record(out, &record))?;
    Ok(ExitCode::SUCCESS)
}
