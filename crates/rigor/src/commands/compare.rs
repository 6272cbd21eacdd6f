//! `rigor compare [A] [B]`: a statistical before/after of two runs, every metric with its
//! verdict, interval and p-value. Without arguments: the latest run against its baseline.

use std::collections::BTreeMap;

use std::path::PathBuf;
use std::process::ExitCode;

use rigor_analysis::{CompareSettings, Comparison, RunData};
use rigor_model::Ratio;
use rigor_store::Store;

use super::baseline::{find, resolve_run};
use crate::{data_format, exit, store};
use rigor_report::{Report, Writer};

/// Statistical settings shared by `compare` and `gate`.
#[derive(clap::Args, Debug, Clone)]
pub struct StatsArgs {
    /// Changes within ±this are "unchanged" (criterion's noise band).
    #[arg(long, default_value = "2%", value_name = "PERCENT", value_parser = crate::flags::percent)]
    pub noise: Ratio,

    /// A metric's own noise band, METRIC=PERCENT (e.g. latency.p99=5%); repeatable.
    #[arg(long = "noise-for", value_name = "METRIC=PERCENT")]
    pub noise_for: Vec<String>,

    /// Significance level, after false-discovery control across the metrics.
    #[arg(long, default_value_t = 0.05, value_parser = crate::flags::significance)]
    pub alpha: f64,

    /// Bootstrap resamples.
    #[arg(long, default_value_t = 2000, value_parser = crate::flags::resamples)]
    pub resamples: usize,

    /// Bootstrap seed: the same seed and runs give the same intervals.
    #[arg(long, default_value_t = 0x5EED_F00D)]
    pub seed: u64,

    /// Compare only this phase's windows (load runs).
    #[arg(long, value_name = "NAME")]
    pub phase: Option<String>,

    /// Refuse to compare runs whose environments differ (CPU, cores, kernel, rigor version).
    #[arg(long)]
    pub strict_env: bool,

    /// Judge changes against the spread between up to N runs of the baseline's scenario (the
    /// baseline and the runs before it, same hardware); with fewer than 5, or 0, against the
    /// spread within the two runs compared.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub history: usize,
}

impl StatsArgs {
    pub fn settings(&self) -> anyhow::Result<CompareSettings> {
        let mut noise_by_metric = BTreeMap::new();
        for item in &self.noise_for {
            let (metric, pct) = item.split_once('=').ok_or_else(|| {
                exit::bad_input(anyhow::anyhow!(
                    "--noise-for '{item}': expected METRIC=PERCENT"
                ))
            })?;
            let pct = crate::flags::percent(pct)
                .map_err(|e| exit::bad_input(anyhow::anyhow!("--noise-for '{item}': {e}")))?;
            noise_by_metric.insert(metric.trim().to_string(), pct.fraction());
        }
        let mut settings = CompareSettings {
            alpha: self.alpha,
            noise: self.noise.fraction(),
            noise_by_metric,
            phase: self.phase.clone(),
            strict_env: self.strict_env,
            history_runs: self.history,
            ..CompareSettings::default()
        };
        settings.bootstrap.resamples = self.resamples;
        settings.bootstrap.seed = self.seed;
        Ok(settings)
    }
}

#[derive(clap::Args, Debug)]
pub struct CompareArgs {
    /// The baseline run (with B), or the candidate run (alone) [default: the latest run].
    pub a: Option<String>,

    /// The candidate run.
    pub b: Option<String>,

    /// The baseline to compare with when one run (or none) is given.
    #[arg(long, default_value = "main")]
    pub baseline: String,

    #[command(flatten)]
    pub stats: StatsArgs,

    /// Print the comparison as versioned JSON.
    #[arg(long)]
    pub json: bool,

    /// The run store (default .rigor/rigor.db).
    #[arg(long, env = "RIGOR_STORE", value_name = "PATH")]
    pub store: Option<PathBuf>,
}

pub fn run(args: &CompareArgs, w: &mut Writer) -> anyhow::Result<ExitCode> {
    let settings = args.stats.settings()?;
    let cwd = std::env::current_dir()?;
    let store = store::open_existing_store(args.store.as_deref(), &cwd)?
        .map_err(|path| store::no_runs_yet(&path.display().to_string()))?;
    let compared = comparison(
        &*store,
        args.a.as_deref(),
        args.b.as_deref(),
        &args.baseline,
        &settings,
    )?;
    let report = Report::Comparison {
        comparison: &compared.comparison,
        baseline_name: compared.baseline_name.as_deref(),
        runs: None,
    };
    w.report(&report, data_format(args.json))?;
    Ok(ExitCode::SUCCESS)
}

/// A comparison and what it was made of.
pub struct Compared {
    pub comparison: Comparison,
    /// The baseline's name, when B was compared with a named baseline.
    pub baseline_name: Option<String>,
    /// The two runs as read (baseline, candidate), for reports that draw them.
    pub runs: (RunData, RunData),
}

/// Compares `a` with `b`; with `a` alone (or neither), that run (or the latest) against the
/// baseline named `baseline` of its scenario, whose name comes back with the comparison.
pub fn comparison(
    store: &dyn Store,
    a: Option<&str>,
    b: Option<&str>,
    baseline: &str,
    settings: &CompareSettings,
) -> anyhow::Result<Compared> {
    let (baseline_run, candidate, name) = match (a, b) {
        (Some(a), Some(b)) => (resolve_run(store, a)?, resolve_run(store, b)?, None),
        (candidate, None) => {
            let candidate = resolve_run(store, candidate.unwrap_or("latest"))?;
            let named = find(store, baseline, candidate.kind, &candidate.scenario)?;
            (
                store.run(named.run_id)?,
                candidate,
                Some(baseline.to_string()),
            )
        }
        (None, Some(_)) => unreachable!("A is given before B"),
    };
    let a = load(store, baseline_run)?;
    let b = load(store, candidate)?;
    let history = history(store, &a, &b, settings.history_runs)?;
    let mut comparison =
        rigor_analysis::compare_with_history(&a, &history, &b, settings).map_err(|e| match e {
            rigor_analysis::CompareError::KindMismatch { .. }
            | rigor_analysis::CompareError::Environment(_) => exit::bad_input(e),
            other => exit::not_completed(other),
        })?;
    comparison.profiles = super::profile::diffs(store, a.id(), b.id())?;
    Ok(Compared {
        comparison,
        baseline_name: name,
        runs: (a, b),
    })
}

/// Up to `limit - 1` runs of the baseline's scenario before it, newest first, whose figures
/// can be trusted, that measured the same way (the same scenario, target and overrides: see
/// [`rigor_analysis::data::measurement_key`]) and that ran on the same hardware: the spread between them is what separate
/// invocations of the same code differ by. Runs of the baseline's own commit are preferred
/// when there are enough of them (runs of other commits may differ by real changes, which
/// widens the spread: fewer changes found, never more). Not the candidate. Their summaries
/// suffice (no windows are read).
pub fn history(
    store: &dyn Store,
    baseline: &RunData,
    candidate: &RunData,
    limit: usize,
) -> anyhow::Result<Vec<RunData>> {
    if limit < rigor_analysis::MIN_HISTORY {
        return Ok(Vec::new());
    }
    let earlier: Vec<RunData> = comparable_before(store, baseline, 200)?
        .into_iter()
        .filter(|r| r.id() != candidate.id())
        .collect();
    let commit = baseline.record.git_commit.as_deref();
    let same_commit = earlier
        .iter()
        .filter(|r| commit.is_some() && r.record.git_commit.as_deref() == commit)
        .count();
    let wanted = limit - 1;
    Ok(if same_commit + 1 >= rigor_analysis::MIN_HISTORY {
        earlier
            .into_iter()
            .filter(|r| r.record.git_commit.as_deref() == commit)
            .take(wanted)
            .collect()
    } else {
        earlier.into_iter().take(wanted).collect()
    })
}

/// The trustworthy runs of `run`'s scenario and kind started before it, measured the same way
/// on the same kind of machine, newest first, at most `limit` (their summaries only).
pub fn comparable_before(
    store: &dyn Store,
    run: &RunData,
    limit: usize,
) -> anyhow::Result<Vec<RunData>> {
    let key = rigor_analysis::data::environment_key(run.environment.as_ref());
    let measured = rigor_analysis::data::measurement_key(&run.record.plan);
    let records = store.runs(&rigor_store::RunFilter {
        scenario: Some(run.record.scenario.clone()),
        kind: Some(run.record.kind),
        limit: Some(limit),
        status: None,
    })?;
    Ok(records
        .into_iter()
        .filter(|r| {
            r.id != run.id()
                && r.started_at_ns < run.record.started_at_ns
                && r.status.is_trustworthy()
                && rigor_analysis::data::measurement_key(&r.plan) == measured
        })
        .filter_map(|r| RunData::new(r, Vec::new()).ok())
        .filter(|r| rigor_analysis::data::environment_key(r.environment.as_ref()) == key)
        .collect())
}

/// Reads a run and its windows for analysis.
pub fn load(store: &dyn Store, record: rigor_store::StoredRun) -> anyhow::Result<RunData> {
    let (windows, samples) = if record.kind == rigor_store::RunKind::Load {
        (store.windows(record.id)?, store.samples(record.id)?)
    } else {
        (Vec::new(), Vec::new())
    };
    Ok(RunData::new(record, windows)
        .map_err(exit::not_completed)?
        .with_samples(samples))
}
