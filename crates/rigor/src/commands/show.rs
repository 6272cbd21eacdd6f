//! `rigor show`: prints a stored run again.

use std::process::ExitCode;

use rigor_model::output::StoredSummary;
use rigor_report::{Format, Report, Writer};
use rigor_store::{RunFilter, StoredRun};

use crate::{data_format, exit};

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

pub fn run(args: &ShowArgs, w: &mut Writer) -> anyhow::Result<ExitCode> {
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
        store.run(id).map_err(crate::store::lookup_failure)?
    };
    show_record(w, &record, data_format(args.json))?;
    if !args.json {
        super::profile::show_profiles(&*store, record.id, w)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Shows a stored run in `format`. A run with nothing to show (still running, aborted,
/// crashed before its end) is an error that says why, not an empty success.
pub fn show_record(w: &mut Writer, record: &StoredRun, format: Format) -> anyhow::Result<()> {
    let summary = StoredSummary::parse(record.kind, record.summary.as_deref()).map_err(|e| {
        exit::not_completed(anyhow::anyhow!(
            "run {} was stored in a format this rigor cannot read: {e}",
            record.id
        ))
    })?;
    let Some(summary) = summary else {
        return Err(exit::not_completed(anyhow::anyhow!(
            "run {} ({}, {}) has no results to show: {}",
            record.id,
            record.scenario,
            record.status.as_str(),
            record
                .status_reason
                .as_deref()
                .unwrap_or("it did not finish (still running, or the process died)")
        )));
    };
    let report = match &summary {
        StoredSummary::Load(s) => Report::Run(s),
        StoredSummary::Bench(result) => Report::Bench {
            run_id: record.id,
            name: &record.scenario,
            result,
        },
        StoredSummary::Imported(run) => Report::Imported {
            run_id: record.id,
            name: &record.scenario,
            run,
        },
    };
    w.report(&report, format)?;
    Ok(())
}
