//! `rigor baseline set/show/list`: name a run as the reference for its scenario (or bench)
//! and environment; comparisons and gate rules read it.

use std::path::PathBuf;
use std::process::ExitCode;

use rigor_analysis::data::environment_key;
use rigor_model::output::{Environment, RunStatus};
use rigor_store::{RunFilter, RunKind, Store};

use crate::{exit, store};
use rigor_report::{Format, Writer};

#[derive(clap::Args, Debug)]
pub struct BaselineArgs {
    #[command(subcommand)]
    pub action: BaselineAction,

    /// The run store (default .rigor/rigor.db).
    #[arg(long, env = "RIGOR_STORE", value_name = "PATH", global = true)]
    pub store: Option<PathBuf>,
}

#[derive(clap::Subcommand, Debug)]
pub enum BaselineAction {
    /// Mark a run (default: the latest) as the baseline for its scenario and environment.
    Set {
        /// The run id, or `latest`.
        #[arg(default_value = "latest")]
        run: String,
        /// The baseline's name.
        #[arg(long, default_value = "main")]
        name: String,
        /// Accept an invalid or interrupted run.
        #[arg(long)]
        force: bool,
        /// Also write the run's Markdown as a baseline snapshot, `DIR/<date>-<scenario>.md`
        /// (default docs/perf/baselines); an existing snapshot is never replaced.
        #[arg(long, value_name = "DIR", num_args = 0..=1, default_missing_value = super::report::DEFAULT_SNAPSHOT_DIR)]
        snapshot: Option<PathBuf>,
    },
    /// Print the baseline run of a scenario.
    Show {
        /// The scenario or bench [default: the latest run's].
        scenario: Option<String>,
        #[arg(long, default_value = "main")]
        name: String,
    },
    /// List every baseline.
    List,
}

pub fn run(args: &BaselineArgs, w: &mut Writer) -> anyhow::Result<ExitCode> {
    let cwd = std::env::current_dir()?;
    // Only `set` writes: showing and listing work on a read-only store, and create none.
    let mut store = match &args.action {
        BaselineAction::Set { .. } => store::open_store(args.store.as_deref(), None, &cwd)?,
        BaselineAction::Show { .. } | BaselineAction::List => {
            store::open_existing_store(args.store.as_deref(), &cwd)?
                .map_err(|path| store::no_runs_yet(&path.display().to_string()))?
        }
    };
    match &args.action {
        BaselineAction::Set {
            run,
            name,
            force,
            snapshot,
        } => {
            let record = resolve_run(&*store, run)?;
            if !force && matches!(record.status, RunStatus::Invalid | RunStatus::Interrupted) {
                return Err(exit::bad_input(anyhow::anyhow!(
                    "run {} is {}{}: a baseline should be a trustworthy run; pass --force to use it anyway",
                    record.id,
                    record.status.as_str(),
                    record.status_reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default()
                )));
            }
            let environment: Option<Environment> = serde_json::from_str(&record.environment).ok();
            let key = environment_key(environment.as_ref());
            let now = rigor_recorder::unix_ns_now();
            let baseline = store
                .set_baseline(name, record.id, &key, now)
                .map_err(store::lookup_failure)?;
            w.line(format_args!(
                "baseline `{}` for {} `{}` on {} is now run {}",
                baseline.name,
                baseline.kind,
                baseline.scenario,
                baseline.environment_key,
                baseline.run_id
            ))?;
            if let Some(dir) = snapshot {
                super::report::write_snapshot(&*store, record, dir, w)?;
            }
        }
        BaselineAction::Show { scenario, name } => {
            let (kind, scenario) = match scenario {
                Some(s) => {
                    let latest = store.latest_run(&RunFilter {
                        scenario: Some(s.clone()),
                        kind: None,
                        limit: None,
                        status: None,
                    })?;
                    (latest.map_or(RunKind::Load, |r| r.kind), s.clone())
                }
                None => {
                    let latest = store.latest_run(&RunFilter::default())?.ok_or_else(|| {
                        exit::not_completed(anyhow::anyhow!("no runs yet in {}", store.location()))
                    })?;
                    (latest.kind, latest.scenario)
                }
            };
            let baseline = find(&*store, name, kind, &scenario)?;
            w.line(format_args!(
                "baseline `{}` of {kind} `{scenario}`: run {} ({})\n",
                baseline.name, baseline.run_id, baseline.environment_key
            ))?;
            let record = store.run(baseline.run_id)?;
            super::show::show_record(w, &record, Format::Terminal)?;
        }
        BaselineAction::List => {
            let all = store.baselines(None, None)?;
            if all.is_empty() {
                w.line(format_args!(
                    "no baselines yet: `rigor baseline set RUN --name main` names one"
                ))?;
            }
            for b in all {
                w.line(format_args!(
                    "{:<12} {:<6} {:<28} run {:<6} {}",
                    b.name, b.kind, b.scenario, b.run_id, b.environment_key
                ))?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `latest` or a run id, as a stored record.
pub fn resolve_run(store: &dyn Store, run: &str) -> anyhow::Result<rigor_store::StoredRun> {
    if run == "latest" {
        return store
            .runs(&RunFilter {
                scenario: None,
                kind: None,
                limit: Some(50),
                status: None,
            })?
            .into_iter()
            .find(|r| !matches!(r.status, RunStatus::Running | RunStatus::Aborted))
            .ok_or_else(|| {
                exit::not_completed(anyhow::anyhow!(
                    "no finished runs in {} yet",
                    store.location()
                ))
            });
    }
    let id: i64 = run.parse().map_err(|_| {
        exit::bad_input(anyhow::anyhow!(
            "`{run}` is not a run id: give a number from `rigor runs`, or `latest`"
        ))
    })?;
    store.run(id).map_err(store::lookup_failure)
}

/// The baseline `name` of a scenario on this machine's environment class, else on any.
pub fn find(
    store: &dyn Store,
    name: &str,
    kind: RunKind,
    scenario: &str,
) -> anyhow::Result<rigor_store::Baseline> {
    let here = environment_key(Some(&rigor_probe::fingerprint(std::path::Path::new("."))));
    if let Some(b) = store.baseline(name, kind, scenario, Some(&here))? {
        return Ok(b);
    }
    if let Some(b) = store.baseline(name, kind, scenario, None)? {
        return Ok(b);
    }
    let names = store.baseline_names()?;
    let hint = if names.is_empty() {
        "there are no baselines yet".to_string()
    } else {
        format!("the baselines are named {}", names.join(", "))
    };
    Err(exit::not_completed(anyhow::anyhow!(
        "no baseline `{name}` for {kind} `{scenario}` ({hint}): `rigor baseline set RUN --name {name}` names one"
    )))
}
