//! `rigor baseline set/show/list/auto`: name a run as the reference for its scenario (or
//! bench) and environment, by hand or by following the history's improvement steps;
//! comparisons and gate rules read it.

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
    /// Follow the history: move the baseline to the run that best stands for the level
    /// after the latest change point, when that step is an improvement (a release) the
    /// baseline is still before; recorded with the reason. A regression step never moves it.
    Auto {
        /// The scenario or bench [default: the latest run's].
        scenario: Option<String>,
        #[arg(long, default_value = "main")]
        name: String,
        /// The metric whose steps decide [default: latency.p95 for a scenario, wall.median
        /// for a bench].
        #[arg(long)]
        metric: Option<String>,
        /// The smallest step that moves the baseline.
        #[arg(long, default_value = "5%", value_name = "PERCENT")]
        min_magnitude: rigor_model::Ratio,
        /// Say what would be done, and do nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

pub fn run(args: &BaselineArgs, w: &mut Writer) -> anyhow::Result<ExitCode> {
    let cwd = std::env::current_dir()?;
    // Only `set` writes: showing and listing work on a read-only store, and create none.
    let mut store = match &args.action {
        BaselineAction::Set { .. } | BaselineAction::Auto { .. } => {
            store::open_store(args.store.as_deref(), None, &cwd)?
        }
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
        BaselineAction::Auto {
            scenario,
            name,
            metric,
            min_magnitude,
            dry_run,
        } => {
            let said = auto(
                &mut *store,
                (scenario.as_deref(), name, metric.as_deref()),
                min_magnitude.fraction(),
                *dry_run,
            )?;
            w.line(format_args!("{said}"))?;
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
                "baseline `{}` of {kind} `{scenario}`: run {} ({}){}\n",
                baseline.name,
                baseline.run_id,
                baseline.environment_key,
                baseline
                    .reason
                    .as_deref()
                    .map(|r| format!("\nset by `rigor baseline auto`: {r}"))
                    .unwrap_or_default()
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
                    "{:<12} {:<6} {:<28} run {:<6} {}{}",
                    b.name,
                    b.kind,
                    b.scenario,
                    b.run_id,
                    b.environment_key,
                    if b.reason.is_some() { " (auto)" } else { "" }
                ))?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `baseline auto`: moves the baseline `name` past the latest improvement step of `metric`
/// in the scenario's history, to the run after the step whose value is nearest the level
/// after it; says what it did (or would do) and why.
fn auto(
    store: &mut dyn Store,
    (scenario, name, metric): (Option<&str>, &str, Option<&str>),
    min_magnitude: f64,
    dry_run: bool,
) -> anyhow::Result<String> {
    let (scenario, runs) = super::history::scenario_runs(&*store, scenario)?;
    let (runs, _, _) = super::history::select(runs, false);
    let Some(latest) = runs.last() else {
        return Err(exit::bad_input(anyhow::anyhow!(
            "no finished runs of `{scenario}` to follow: record runs first"
        )));
    };
    let kind = latest.kind;
    let default = match kind {
        RunKind::Bench => "wall.median",
        RunKind::Load => "latency.p95",
        RunKind::Imported | RunKind::Telemetry => {
            let names: Vec<String> = rigor_analysis::metrics::columns(&runs)
                .iter()
                .map(ToString::to_string)
                .collect();
            metric.ok_or_else(|| {
                exit::bad_input(anyhow::anyhow!(
                    "`{scenario}` holds imported runs, whose figures are their source's: give --metric one of {}",
                    names.join(", ")
                ))
            })?
        }
    };
    let metric = super::history::metric_of(&runs, &scenario, metric.unwrap_or(default))?;
    let key = environment_key(latest.environment.as_ref());
    let points = super::history::points(&runs, metric);
    if points.len() < rigor_analysis::history::MIN_RUNS {
        return Err(exit::bad_input(anyhow::anyhow!(
            "`{scenario}` has {} runs to follow: a step needs at least {} (three either side); the baseline stays",
            points.len(),
            rigor_analysis::history::MIN_RUNS
        )));
    }
    let options = rigor_analysis::history::Options {
        min_magnitude,
        ..rigor_analysis::history::Options::default()
    };
    let history = rigor_analysis::history::metric_history(metric, points, &options);
    let current = store.baseline(name, kind, &scenario, Some(&key))?;
    let Some(step) = history.change_points.last() else {
        return Ok(format!(
            "baseline `{name}` of `{scenario}` stays{}: {metric} has no step of {:.0} % or more in its {} runs",
            current.as_ref().map(|b| format!(" at run {}", b.run_id)).unwrap_or_default(),
            min_magnitude * 100.0,
            history.points.len()
        ));
    };
    let pct = |v: f64| format!("{:+.1}%", v * 100.0);
    let at = format!(
        "{metric} {} at run {}{}",
        pct(step.change),
        step.run_id,
        step.git_commit
            .as_deref()
            .map(|c| format!(" (commit {})", &c[..c.len().min(10)]))
            .unwrap_or_default()
    );
    if step.kind != "improvement" {
        return Ok(format!(
            "baseline `{name}` of `{scenario}` stays{}: the latest step is a {} ({at}); a baseline follows improvements only — fix it, or set the baseline by hand with `rigor baseline set`",
            current.as_ref().map(|b| format!(" at run {}", b.run_id)).unwrap_or_default(),
            step.kind
        ));
    }
    let after = &history.points[step.index..];
    if let Some(b) = current
        .as_ref()
        .filter(|b| after.iter().any(|p| p.run_id == b.run_id))
    {
        return Ok(format!(
            "baseline `{name}` of `{scenario}` stays at run {}: it is already after the latest step ({at})",
            b.run_id
        ));
    }
    // The run after the step nearest its level: one run's noise does not become the baseline.
    let chosen = after
        .iter()
        .min_by(|a, b| {
            (a.value - step.median_after)
                .abs()
                .total_cmp(&(b.value - step.median_after).abs())
        })
        .map_or(step.run_id, |p| p.run_id);
    let reason = format!(
        "an improvement step of {at} ({} runs before, {} after, p {:.1e}): run {chosen} stands for the level after it",
        step.runs_before, step.runs_after, step.pvalue
    );
    if dry_run {
        return Ok(format!(
            "would move baseline `{name}` of `{scenario}` from {} to run {chosen}: {reason}",
            current
                .as_ref()
                .map_or("none".into(), |b| format!("run {}", b.run_id))
        ));
    }
    let set = store
        .set_baseline_because(name, chosen, &key, rigor_recorder::unix_ns_now(), &reason)
        .map_err(store::lookup_failure)?;
    Ok(format!(
        "baseline `{name}` of `{scenario}` moved from {} to run {}: {reason}",
        current
            .as_ref()
            .map_or("none".into(), |b| format!("run {}", b.run_id)),
        set.run_id
    ))
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
