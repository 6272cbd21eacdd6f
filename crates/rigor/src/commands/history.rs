//! `rigor history [METRIC] --scenario S`: a metric over a scenario's (or bench's) stored runs,
//! oldest first, with the change points found in it — where it stepped, by how much, how
//! surely, and the first run and commit after the step. Without a metric, every metric of the
//! scenario's kind. Runs that are no measurement (invalid, crashed, interrupted, a failed
//! target), or that were measured on another machine or another way (another rate, target or
//! plan), are left out and counted, never mixed silently into the series.

use std::process::ExitCode;

use rigor_analysis::data::{environment_key, measurement_key, RunData};
use rigor_analysis::history::{metric_history, Options, MIN_RUNS};
use rigor_model::metric::{Metric, Scope};
use rigor_model::output::history::{
    HistoryOptions, HistoryPoint, HistoryReport, LeftOut, HISTORY_SCHEMA_VERSION,
};
use rigor_model::output::StoredSummary;
use rigor_model::{Ratio, RunKind, RunStatus};
use rigor_report::{Format, Report, Writer};
use rigor_store::{RunFilter, StoredRun};

use crate::{data_format, exit, store};

#[derive(clap::Args, Debug)]
pub struct HistoryArgs {
    /// The metric (`latency.p95`, `wall.median`); default: every metric of the scenario's kind.
    pub metric: Option<String>,

    /// The scenario or bench (default: that of the latest run).
    #[arg(long, short = 's')]
    pub scenario: Option<String>,

    /// Only the newest N runs.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub last: Option<u64>,

    /// Only runs started on or after this day (`2026-11-01`).
    #[arg(long, value_name = "DATE", value_parser = parse_day)]
    pub since: Option<i64>,

    /// Only runs recorded on this git branch (runs of a detached checkout have none).
    #[arg(long, value_name = "BRANCH")]
    pub branch: Option<String>,

    /// Points in each window the detector searches (Otava's default).
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(4..=10_000))]
    pub window: u64,

    /// The largest p-value a change point may have.
    #[arg(long, default_value_t = 0.001)]
    pub max_pvalue: f64,

    /// The smallest relative change reported as a step (`5%`): noise-sized steps, however
    /// significant, are not reported.
    #[arg(long, default_value = "0%", value_name = "PERCENT")]
    pub min_magnitude: Ratio,

    /// Mix runs from every machine and every way of measuring (flagged); by default only those
    /// measured as the latest run was.
    #[arg(long)]
    pub mixed: bool,

    /// List every run's value, not only the change points.
    #[arg(long)]
    pub points: bool,

    /// Also write the history to DIR: history-SCENARIO.html (each metric run by run with its
    /// steps marked) and history-SCENARIO.json.
    #[arg(long, value_name = "DIR")]
    pub report: Option<std::path::PathBuf>,

    /// The run store (default .rigor/rigor.db).
    #[arg(long, env = "RIGOR_STORE", value_name = "PATH")]
    pub store: Option<std::path::PathBuf>,

    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `2026-11-01` as Unix nanoseconds at midnight UTC.
fn parse_day(text: &str) -> Result<i64, String> {
    rigor_model::units::parse_day(text)
        .ok_or_else(|| format!("`{text}`: give a day as YYYY-MM-DD (`2026-11-01`)"))
}

pub fn run(args: &HistoryArgs, w: &mut Writer) -> anyhow::Result<ExitCode> {
    if !(args.max_pvalue > 0.0 && args.max_pvalue < 1.0) {
        return Err(exit::bad_input(anyhow::anyhow!(
            "--max-pvalue must be between 0 and 1, not {}",
            args.max_pvalue
        )));
    }
    let cwd = std::env::current_dir()?;
    let store = store::open_existing_store(args.store.as_deref(), &cwd)?.map_err(|path| {
        exit::bad_input(anyhow::anyhow!(
            "no run store at {}: record runs first (`rigor run`, `rigor bench`)",
            path.display()
        ))
    })?;
    let (scenario, mut runs) = scenario_runs(&*store, args.scenario.as_deref())?;
    if let Some(since) = args.since {
        runs.retain(|r| r.started_at_ns >= since);
    }
    if let Some(last) = args.last {
        let keep = runs.len().saturating_sub(last as usize);
        runs.drain(..keep);
    }
    let mut elsewhere = Vec::new();
    if let Some(branch) = &args.branch {
        runs.retain(|r| {
            let on = branch_of(r).is_some_and(|b| b == *branch);
            if !on {
                elsewhere.push(r.id);
            }
            on
        });
    }
    let (runs, mut left_out, warnings) = select(runs, args.mixed);
    if let Some(branch) = args.branch.as_ref().filter(|_| !elsewhere.is_empty()) {
        left_out.insert(
            0,
            LeftOut {
                runs: elsewhere,
                why: format!("not on branch `{branch}` (another branch, a detached checkout, or recorded before rigor kept branches)"),
            },
        );
    }
    let Some(latest) = runs.last() else {
        return Err(exit::bad_input(anyhow::anyhow!(
            "no run of `{scenario}` is a measurement to follow ({}): record runs that complete",
            left_out
                .iter()
                .map(|l| format!("{} {}", l.runs.len(), l.why))
                .collect::<Vec<_>>()
                .join("; ")
        )));
    };
    let kind = latest.kind;
    let metrics: Vec<Metric> = match &args.metric {
        Some(name) => vec![metric_of(&runs, &scenario, name)?],
        None if kind.holds_columns() => rigor_analysis::metrics::columns(&runs),
        None => rigor_analysis::metrics::names(kind)
            .iter()
            .filter_map(|n| n.parse().ok())
            .collect(),
    };
    if args.metric.is_some() && runs.len() < MIN_RUNS {
        return Err(exit::bad_input(anyhow::anyhow!(
            "`{scenario}` has {} run{} to follow{}: change points need at least {MIN_RUNS} (three either side of a step); record more runs",
            runs.len(),
            if runs.len() == 1 { "" } else { "s" },
            if left_out.is_empty() {
                String::new()
            } else {
                format!(
                    " ({} more left out: {})",
                    left_out.iter().map(|l| l.runs.len()).sum::<usize>(),
                    left_out
                        .iter()
                        .map(|l| l.why.as_str())
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            }
        )));
    }
    let options = Options {
        window: args.window as usize,
        max_pvalue: args.max_pvalue,
        min_magnitude: args.min_magnitude.fraction(),
    };
    let series = metrics
        .iter()
        .filter_map(|&m| {
            let points = points(&runs, m);
            (!points.is_empty()).then(|| {
                let mut h = metric_history(m, points, &options);
                h.notes.extend(counted_otherwise_note(&runs, m));
                if kind.holds_columns() {
                    h.notes.push(imported_note(&runs));
                }
                h
            })
        })
        .collect();
    let report = HistoryReport {
        schema_version: HISTORY_SCHEMA_VERSION,
        scenario,
        kind: kind.as_str().into(),
        options: HistoryOptions {
            method: "E-divisive means in sliding windows, merged on Student's t-test (Hunter, as Apache Otava)".into(),
            window: options.window,
            max_pvalue: options.max_pvalue,
            min_magnitude: options.min_magnitude,
        },
        series,
        left_out,
        warnings,
    };
    let shown = Report::History {
        report: &report,
        points: args.points,
    };
    w.report(&shown, data_format(args.json))?;
    if let Some(dir) = &args.report {
        std::fs::create_dir_all(dir).map_err(|e| {
            exit::not_completed(anyhow::anyhow!(
                "cannot make the report directory {}: {e}: give a place you can write to",
                dir.display()
            ))
        })?;
        let stem: String = report
            .scenario
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        for (format, suffix) in [(Format::Html, "html"), (Format::Json, "json")] {
            let path = dir.join(format!("history-{stem}.{suffix}"));
            let text = rigor_report::to_string(&shown, format)?;
            super::report::write_file(&path, &text, super::report::Existing::Replace, "history")?;
            w.note(format_args!("wrote {}", path.display()));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The stored runs of `scenario` (default: the latest run's), oldest first; a scenario with
/// none is refused with the names that have runs.
pub(crate) fn scenario_runs(
    store: &dyn rigor_store::Store,
    scenario: Option<&str>,
) -> anyhow::Result<(String, Vec<StoredRun>)> {
    let scenario = match scenario {
        Some(s) => s.to_string(),
        None => store
            .latest_run(&RunFilter::default())?
            .map(|r| r.scenario)
            .ok_or_else(|| store::no_runs_yet(&store.location()))?,
    };
    let mut runs = store.runs(&RunFilter {
        scenario: Some(scenario.clone()),
        ..RunFilter::default()
    })?;
    if runs.is_empty() {
        let names = store::run_names(store);
        return Err(exit::bad_input(anyhow::anyhow!(
            "no runs of `{scenario}` in {}{}{}",
            store.location(),
            store::near_name(&scenario, &names),
            if names.is_empty() {
                String::new()
            } else {
                format!("; it has runs of {}", names.join(", "))
            }
        )));
    }
    runs.reverse();
    Ok((scenario, runs))
}

/// The metric `name` of `scenario`'s runs (the latest's kind): one of rigor's for its own
/// runs, a figure the runs have (with or without `imported.`) for imported ones; a name they
/// do not have is bad input with what they have.
pub(crate) fn metric_of(runs: &[RunData], scenario: &str, name: &str) -> anyhow::Result<Metric> {
    let kind = runs.last().map_or(RunKind::Load, |r| r.kind);
    if kind.holds_columns() {
        let bare = name
            .strip_prefix(rigor_model::metric::column::PREFIX)
            .unwrap_or(name);
        return rigor_analysis::metrics::column(runs, bare)
            .map_err(|e| exit::bad_input(anyhow::anyhow!("`{scenario}`: {e}")));
    }
    let m: Metric = name
        .parse()
        .map_err(|e| exit::bad_input(anyhow::anyhow!("{e}")))?;
    if !m.belongs_to(kind) {
        return Err(exit::bad_input(anyhow::anyhow!(
            "`{m}` is not a metric of {kind} runs; `{scenario}`'s runs have {}",
            rigor_analysis::metrics::names(kind).join(", ")
        )));
    }
    Ok(m)
}

/// What an imported series is made of: one value per run, from its source.
fn imported_note(runs: &[RunData]) -> String {
    let mut sources: Vec<&str> = runs
        .iter()
        .filter_map(|r| r.imported.as_ref().map(|i| i.source.as_str()))
        .collect();
    sources.sort_unstable();
    sources.dedup();
    format!(
        "imported from {}: one value per run, without an interval; a step is found among the runs' values, as Otava finds it",
        sources.join(", ")
    )
}

/// The git branch a run was recorded on: rigor's own runs keep it in their environment, an
/// imported run has it from its source (a `branch` column).
fn branch_of(run: &StoredRun) -> Option<String> {
    if run.kind.holds_columns() {
        return match StoredSummary::parse(run.kind, run.summary.as_deref()) {
            Ok(Some(StoredSummary::Imported(i))) => i.git_branch,
            _ => None,
        };
    }
    serde_json::from_str::<rigor_model::output::Environment>(&run.environment)
        .ok()
        .and_then(|e| e.git_branch)
}

/// `metric` of each run that has it, in the runs' order; of a count, only the runs counted
/// by the latest run's tool.
pub(crate) fn points(runs: &[RunData], metric: Metric) -> Vec<HistoryPoint> {
    runs.iter()
        .filter(counted_like_latest(runs, metric))
        .filter_map(|r| {
            let value = rigor_analysis::metrics::value(r, metric, &Scope::Run)
                .ok()
                .flatten()
                .filter(|v| v.is_finite())?;
            Some(HistoryPoint {
                run_id: r.record.id,
                started_at_ns: r.record.started_at_ns,
                git_commit: r.record.git_commit.clone(),
                value,
            })
        })
        .collect()
}

/// Whether a run was counted on `metric` as the latest counted run was (every run, for a
/// metric that is not a count).
fn counted_like_latest(runs: &[RunData], metric: Metric) -> impl Fn(&&RunData) -> bool {
    let method = move |r: &RunData| rigor_analysis::metrics::count_method(r, metric, &Scope::Run);
    let latest = runs.iter().rev().find_map(method);
    move |r| method(r) == latest
}

/// What a count's series leaves out: the runs counted by another tool than the latest.
fn counted_otherwise_note(runs: &[RunData], metric: Metric) -> Option<String> {
    let alike = counted_like_latest(runs, metric);
    let other: Vec<String> = runs
        .iter()
        .filter(|r| {
            !alike(r) && rigor_analysis::metrics::count_method(r, metric, &Scope::Run).is_some()
        })
        .map(|r| r.record.id.to_string())
        .collect();
    (!other.is_empty()).then(|| {
        format!(
            "runs {} are left out: another tool counted them than the latest run's, and counts of different tools are not comparable",
            other.join(", ")
        )
    })
}

/// The runs that are measurements of the same thing on the same machine as the latest one
/// (all measurements with `mixed`), the rest by why they were left out, and what mixing
/// machines or ways of measuring means for the series.
pub(crate) fn select(
    runs: Vec<StoredRun>,
    mixed: bool,
) -> (Vec<RunData>, Vec<LeftOut>, Vec<String>) {
    let mut not_measurements: Vec<i64> = Vec::new();
    let mut measured: Vec<RunData> = Vec::new();
    for record in runs {
        let usable = matches!(
            record.status,
            RunStatus::Passed | RunStatus::Completed | RunStatus::Failed
        );
        let id = record.id;
        match RunData::new(record, Vec::new()) {
            Ok(data) if usable => measured.push(data),
            _ => not_measurements.push(id),
        }
    }
    let mut left_out = Vec::new();
    if !not_measurements.is_empty() {
        left_out.push(LeftOut {
            runs: not_measurements,
            why: "not a measurement (invalid, interrupted, crashed, aborted or its target failed)"
                .into(),
        });
    }
    if mixed {
        let distinct = |key: &dyn Fn(&RunData) -> String| {
            let mut keys: Vec<String> = measured.iter().map(key).collect();
            keys.sort();
            keys.dedup();
            keys.len()
        };
        let machines = distinct(&|m| environment_key(m.environment.as_ref()));
        let ways = distinct(&|m| measurement_key(&m.record.plan));
        let mut warnings = Vec::new();
        if machines > 1 || ways > 1 {
            warnings.push(format!(
                "--mixed puts runs of {machines} machine{} and {ways} way{} of measuring in one series: a step may be a change of machine or plan, not of the system",
                if machines == 1 { "" } else { "s" },
                if ways == 1 { "" } else { "s" }
            ));
        }
        return (measured, left_out, warnings);
    }
    let Some(latest) = measured.last() else {
        return (measured, left_out, Vec::new());
    };
    let environment = environment_key(latest.environment.as_ref());
    let measurement = measurement_key(&latest.record.plan);
    let (mut elsewhere, mut otherwise) = (Vec::new(), Vec::new());
    measured.retain(|m| {
        if environment_key(m.environment.as_ref()) != environment {
            elsewhere.push(m.record.id);
            false
        } else if measurement_key(&m.record.plan) != measurement {
            otherwise.push(m.record.id);
            false
        } else {
            true
        }
    });
    if !elsewhere.is_empty() {
        left_out.push(LeftOut {
            runs: elsewhere,
            why: format!("measured on another machine than the latest run ({environment}); --mixed includes them"),
        });
    }
    if !otherwise.is_empty() {
        left_out.push(LeftOut {
            runs: otherwise,
            why: "measured another way (another plan, rate or target than the latest run); --mixed includes them".into(),
        });
    }
    (measured, left_out, Vec::new())
}
