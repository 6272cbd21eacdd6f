//! `rigor runs`: the stored runs, newest first.

use std::process::ExitCode;

use rigor_model::output::{RunListEntry, StoredSummary};
use rigor_report::{Report, Writer};
use rigor_store::RunFilter;

use crate::data_format;

#[derive(clap::Args, Debug)]
pub struct RunsArgs {
    /// Only runs of this scenario (or bench).
    #[arg(long)]
    pub scenario: Option<String>,

    /// At most this many runs.
    #[arg(long, default_value_t = 20, value_parser = crate::flags::list_limit)]
    pub limit: usize,

    /// The run store (default .rigor/rigor.db).
    #[arg(long, env = "RIGOR_STORE", value_name = "PATH")]
    pub store: Option<std::path::PathBuf>,

    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &RunsArgs, w: &mut Writer) -> anyhow::Result<ExitCode> {
    let cwd = std::env::current_dir()?;
    let filter = RunFilter {
        scenario: args.scenario.clone(),
        kind: None,
        limit: Some(args.limit),
        status: None,
    };
    let (runs, location) = match crate::store::open_existing_store(args.store.as_deref(), &cwd)? {
        Ok(store) => {
            // The table reads columns only; the JSON carries each run's whole summary.
            let runs: Vec<RunListEntry> = if args.json {
                store.runs(&filter)?.into_iter().map(with_summary).collect()
            } else {
                store.list_runs(&filter)?
            };
            if runs.is_empty() {
                if let Some(name) = &args.scenario {
                    no_runs_of(&*store, name)?;
                }
            }
            (runs, store.location())
        }
        Err(path) => (Vec::new(), path.display().to_string()),
    };
    let report = Report::RunList {
        runs: &runs,
        location: &location,
    };
    w.report(&report, data_format(args.json))?;
    Ok(ExitCode::SUCCESS)
}

/// Refuses a `--scenario` that names no stored run, offering the names that are stored.
fn no_runs_of(store: &dyn rigor_store::Store, name: &str) -> anyhow::Result<()> {
    let names = crate::store::run_names(store);
    if names.is_empty() {
        return Ok(());
    }
    Err(crate::exit::bad_input(anyhow::anyhow!(
        "no runs of scenario `{name}` in {}{}; it has runs of {}",
        store.location(),
        crate::store::near_name(name, &names),
        names.join(", ")
    )))
}

/// A stored run with its summary; a summary this build cannot read is listed without one.
fn with_summary(r: rigor_store::StoredRun) -> RunListEntry {
    let summary = StoredSummary::parse(r.kind, r.summary.as_deref())
        .ok()
        .flatten();
    RunListEntry {
        run_id: r.id,
        kind: r.kind,
        scenario: r.scenario,
        status: r.status,
        status_reason: r.status_reason,
        started_at_ns: r.started_at_ns,
        ended_at_ns: r.ended_at_ns,
        git_commit: r.git_commit,
        headline: r.headline,
        summary,
    }
}
