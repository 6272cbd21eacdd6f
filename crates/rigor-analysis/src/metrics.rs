//! The metrics analysis reports, read from the model's one catalogue
//! ([`rigor_model::metric`]): which metrics `rigor compare` shows for each kind of run, and
//! how a metric named in a budget or rule is read off a stored run.

use rigor_model::judge::{BenchMeasured, Measured};
pub use rigor_model::metric::Unit;
use rigor_model::metric::{Direction, Metric, Scope, SUGGESTIONS};
use rigor_model::RunKind;

use crate::data::RunData;

/// What a metric is, as analysis uses it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricInfo {
    pub metric: Metric,
    pub unit: Unit,
    pub direction: rigor_stats::Direction,
}

/// The metrics `rigor compare` reports for a load run.
pub const LOAD_METRICS: &[&str] = &[
    "latency.p50",
    "latency.p90",
    "latency.p95",
    "latency.p99",
    "latency.mean",
    "latency.raw.p50",
    "latency.raw.p95",
    "latency.raw.p99",
    "throughput",
    "error_rate",
    "journey.duration.p50",
    "journey.duration.p95",
    "journey.duration.p99",
    "journey.duration.mean",
    "journey.failure_rate",
];

/// The metrics `rigor compare` reports for each command of a bench run.
pub const BENCH_METRICS: &[&str] = &[
    "wall.median",
    "wall.mean",
    "wall.min",
    "user.mean",
    "system.mean",
    "peak_rss",
];

/// The statistics crate's name for a direction.
pub fn stats_direction(direction: Direction) -> rigor_stats::Direction {
    match direction {
        Direction::LowerIsBetter => rigor_stats::Direction::LowerIsBetter,
        Direction::HigherIsBetter => rigor_stats::Direction::HigherIsBetter,
    }
}

/// Describes a metric of a run of `kind`; `None` when the kind has no such metric.
pub fn info(kind: RunKind, metric: &str) -> Option<MetricInfo> {
    let parsed: Metric = metric.parse().ok()?;
    parsed.belongs_to(kind).then(|| MetricInfo {
        metric: parsed,
        unit: parsed.unit(),
        direction: stats_direction(parsed.direction()),
    })
}

/// The metric names a run of this kind offers, for error messages.
pub fn names(kind: RunKind) -> Vec<&'static str> {
    SUGGESTIONS
        .iter()
        .copied()
        .filter(|name| name.parse::<Metric>().is_ok_and(|m| m.belongs_to(kind)))
        .collect()
}

/// A metric's point value in a run: from the whole run, one request (or bench command) or one
/// phase. `Err` names what is unknown; `Ok(None)` means the run has no data for it.
pub fn value(run: &RunData, parsed: Metric, scope: &Scope) -> Result<Option<f64>, String> {
    if let Some(imported) = &run.imported {
        return match parsed {
            Metric::Column(_) if *scope == Scope::Run => Ok(imported.value(parsed)),
            Metric::Column(_) => Err(format!(
                "run {} is imported: its figures are of the whole run, with no requests or phases",
                run.id()
            )),
            _ => Err(format!(
                "`{parsed}` is not a figure of imported run {}; it has {}",
                run.id(),
                imported
                    .values
                    .iter()
                    .map(|v| v.metric.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        };
    }
    if !parsed.belongs_to(run.kind) {
        return Err(format!(
            "`{parsed}` is not a metric of {} runs; they have {}",
            run.kind,
            names(run.kind).join(", ")
        ));
    }
    match (&run.load, &run.bench) {
        (Some((summary, _)), _) => summary.value(parsed, scope),
        (None, Some(result)) => BenchMeasured {
            run_id: run.id(),
            result,
        }
        .value(parsed, scope),
        (None, None) => Ok(None),
    }
}

/// The command of a bench a scope names (`None`: the first).
fn bench_command(scope: &Scope) -> Option<&str> {
    match scope {
        Scope::Request(name) => Some(name.as_str()),
        _ => None,
    }
}

/// How a count metric of a bench run was counted (tool and settings); `None` for any other
/// metric or run. Counts by different tools are not comparable, so a series of them keeps
/// only the runs counted as its reference was.
pub fn count_method(run: &RunData, parsed: Metric, scope: &Scope) -> Option<String> {
    parsed.count_method_in_bench(run.bench.as_ref()?, bench_command(scope))
}

/// Why a count metric of a bench run has no value though counting was asked for.
pub fn count_missing(run: &RunData, parsed: Metric, scope: &Scope) -> Option<String> {
    parsed.count_missing_in_bench(run.bench.as_ref()?, bench_command(scope))
}

/// Whether a run was counted on `parsed` as `reference` was (always, for a metric that is
/// not a count).
pub fn counted_like<'s>(
    reference: &RunData,
    parsed: Metric,
    scope: &'s Scope,
) -> impl Fn(&RunData) -> bool + 's {
    let method = count_method(reference, parsed, scope);
    move |run| count_method(run, parsed, scope) == method
}

/// The figures imported runs have, each once, in the order they first appear: the metrics of
/// an imported scenario.
pub fn columns<'r>(runs: impl IntoIterator<Item = &'r RunData>) -> Vec<Metric> {
    let mut seen: Vec<Metric> = Vec::new();
    for run in runs {
        for v in run.imported.iter().flat_map(|i| &i.values) {
            let m = Metric::Column(v.column());
            if !seen.contains(&m) {
                seen.push(m);
            }
        }
    }
    seen
}

/// The imported figure `name` of `runs` (the newest run's unit and direction when they
/// differ), or why there is none, with a did-you-mean among the figures they have.
pub fn column<'r>(
    runs: impl IntoIterator<Item = &'r RunData>,
    name: &str,
) -> Result<Metric, String> {
    let all = columns(runs);
    if let Some(m) = all.iter().rev().find(|m| m.to_string() == name) {
        return Ok(*m);
    }
    let names: Vec<String> = all.iter().map(|m| m.to_string()).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let hint = rigor_model::plan::did_you_mean(name, &refs)
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default();
    Err(format!(
        "imported runs have no figure `{name}`{hint}; they have {}",
        if names.is_empty() {
            "none".to_string()
        } else {
            names.join(", ")
        }
    ))
}
