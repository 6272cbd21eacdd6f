//! `rigor show`: prints a stored run again.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use rigor_model::output::RunSummary;
use rigor_store::{RunFilter, Store};

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
    let store = crate::session::open_store(args.store.as_deref(), None, &cwd)?;
    let record = if args.run == "latest" {
        store.latest_run(&RunFilter::default())?.ok_or_else(|| {
            exit::bad_input(anyhow::anyhow!("no runs in {} yet", store.path().display()))
        })?
    } else {
        let id: i64 = args.run.parse().map_err(|_| {
            exit::bad_input(anyhow::anyhow!(
                "`{}` is not a run id: give a number from `rigor runs`, or `latest`",
                args.run
            ))
        })?;
        store.run(id).map_err(exit::bad_input)?
    };
    let Some(text) = record.summary.as_deref().filter(|s| *s != "null") else {
        writeln!(
            out,
            "run {} ({}, {}) has no summary: {}",
            record.id,
            record.scenario,
            record.status.as_str(),
            record
                .status_reason
                .as_deref()
                .unwrap_or("it did not finish (still running, or the process died)")
        )?;
        return Ok(ExitCode::SUCCESS);
    };
    if args.json {
        let value: serde_json::Value =
            serde_json::from_str(text).context("the stored summary is not valid JSON")?;
        printer::ignore_broken_pipe(printer::json(out, &value))?;
        return Ok(ExitCode::SUCCESS);
    }
    if record.kind == "bench" {
        let result: rigor_bench::BenchResult = serde_json::from_str(text).with_context(|| {
            format!(
                "run {} was stored in a format this rigor cannot read",
                record.id
            )
        })?;
        printer::ignore_broken_pipe(printer::bench(out, record.id, &record.scenario, &result))?;
        return Ok(ExitCode::SUCCESS);
    }
    let summary: RunSummary = serde_json::from_str(text).with_context(|| {
        format!(
            "run {} was stored in a summary format this rigor cannot read",
            record.id
        )
    })?;
    printer::ignore_broken_pipe(printer::summary(out, &summary))?;
    Ok(ExitCode::SUCCESS)
}
