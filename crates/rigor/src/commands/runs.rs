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
    let (records, location) = match crate::store::open_existing_store(args.store.as_deref(), &cwd)?
    {
        Ok(store) => {
            let runs = store.runs(&RunFilter {
                scenario: args.scenario.clone(),
                kind: None,
                limit: Some(args.limit),
                status: None,
            })?;
            if runs.is_empty() {
                if let Some(name) = &args.scenario {
                    let names = crate::store::run_names(&*store);
                    if !names.is_empty() {
                        return Err(crate::exit::bad_input(anyhow::anyhow!(
                            "no runs of scenario `{name}` in {}{}; it has runs of {}",
                            store.location(),
                            crate::store::near_name(name, &names),
                            names.join(", ")
                        )));
                    }
                }
            }
            (runs, store.location())
        }
        Err(path) => (Vec::new(), path.display().to_string()),
    };
    let runs: Vec<RunListEntry> = records.into_iter().map(list_entry).collect();
    let report = Report::RunList {
        runs: &runs,
        location: &location,
    };
    w.report(&report, data_format(args.json))?;
    Ok(ExitCode::SUCCESS)
}

/// A stored run as the list shows it; a summary this build cannot read is listed without one.
pub fn list_entry(r: rigor_store::StoredRun) -> RunListEntry {
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
        summary,
    }
}
