//! Reading a metric's value off what a run left: a load run's summary, a benchmark's result,
//! the target's summary.

use super::{Metric, Scope, Stat};
use crate::output::bench::{BenchResult, CountSeries, Counts};
use crate::output::{
    GroupSummary, LatencySummary, RunSummary, ScrapeSummary, SeriesFigures, TargetSummary,
};

impl Metric {
    /// The metric's value in a load run's summary, for the whole run or one request or
    /// phase; `Ok(None)` when the run has no data for it (no responses, no target samples).
    pub fn value_in_load(self, summary: &RunSummary, scope: &Scope) -> Result<Option<f64>, String> {
        let group = match scope {
            Scope::Run => &summary.total,
            Scope::Request(name) => find_group(&summary.requests, name, "request", summary.run_id)?,
            Scope::Phase(name) => find_group(&summary.phases, name, "phase", summary.run_id)?,
        };
        Ok(match self {
            Metric::Latency(s) => latency_stat(&group.latency, s),
            Metric::RawLatency(s) => latency_stat(&group.raw_latency, s),
            Metric::Stage(stage, s) => group
                .stages
                .as_ref()
                .and_then(|st| latency_stat(st.of(stage), s)),
            Metric::ScheduleLag(s) => latency_stat(&summary.generator.schedule_lag, s),
            Metric::ErrorRate => (group.requests > 0).then_some(group.error_rate),
            Metric::Throughput => Some(group.throughput_per_s),
            Metric::Requests => Some(group.requests as f64),
            Metric::Errors => Some(group.errors as f64),
            Metric::Recovery => recovery_value(&summary.recoveries, scope)?,
            Metric::JourneyDuration(_) | Metric::JourneyFailureRate | Metric::Journeys => {
                journey_value(self, summary.journey.as_ref(), scope)?
            }
            Metric::Target(signal) => match summary.target.as_ref() {
                None => None,
                Some(t) => signal_value(signal, t, scope)?,
            },
            Metric::Scraped(m) => match summary.target_metrics.as_ref() {
                None => None,
                Some(s) => scraped_value(m, s, scope)?,
            },
            Metric::Wall(_)
            | Metric::User
            | Metric::System
            | Metric::PeakRss
            | Metric::Instructions(_)
            | Metric::Cycles(_) => {
                return Err(format!(
                    "`{self}` is a bench metric; run {} is a load run",
                    summary.run_id
                ))
            }
            Metric::Column(_) => {
                return Err(format!(
                    "`{self}` is a figure of imported runs; run {} is a load run",
                    summary.run_id
                ))
            }
        })
    }

    /// The metric's value for one command of a benchmark (the first when `command` is
    /// `None`); `Ok(None)` when the command has no finished runs.
    pub fn value_in_bench(
        self,
        result: &BenchResult,
        command: Option<&str>,
        run_id: i64,
    ) -> Result<Option<f64>, String> {
        let Some(chosen) = chosen_command(result, command, run_id)? else {
            return Ok(None);
        };
        let Some(s) = &chosen.stats else {
            return Ok(None);
        };
        let ns = |d: std::time::Duration| d.as_nanos() as f64;
        Ok(match self {
            Metric::Wall(Stat::Mean) => Some(ns(s.mean)),
            Metric::Wall(Stat::Min) => Some(ns(s.min)),
            Metric::Wall(Stat::Max) => Some(ns(s.max)),
            Metric::Wall(Stat::Percentile(50.0)) => Some(ns(s.median)),
            Metric::Wall(Stat::Percentile(_)) => None,
            Metric::User => Some(ns(s.user_mean)),
            Metric::System => Some(ns(s.system_mean)),
            Metric::PeakRss => Some(s.peak_rss_max_bytes as f64),
            Metric::Instructions(stat) | Metric::Cycles(stat) => {
                let counts = chosen.counts.as_ref();
                let series = counts.and_then(|c| self.count_series(c));
                // Counting was asked for and could not be done: no data (the counts say why),
                // not a mistake of the caller's.
                if series.is_none() && counts.is_some() {
                    return Ok(None);
                }
                let Some(series) = series else {
                    return Err(format!(
                        "run {run_id} counted no {}: measure it with `--measure {}` (`measure = [\"{}\"]` in the plan){}",
                        if matches!(self, Metric::Instructions(_)) { "instructions" } else { "cycles" },
                        if matches!(self, Metric::Instructions(_)) { "instructions" } else { "cycles-estimate" },
                        if matches!(self, Metric::Instructions(_)) { "instructions" } else { "cycles-estimate" },
                        counts
                            .map(|c| c.unavailable.join("; "))
                            .filter(|u| !u.is_empty())
                            .map(|u| format!(" ({u})"))
                            .unwrap_or_default()
                    ));
                };
                series.stat(stat_word(stat))
            }
            load => {
                return Err(format!(
                    "`{load}` is a load metric; run {run_id} is a bench run"
                ))
            }
        })
    }

    /// How a count metric (`instructions.*`, `cycles.*`) of one command was counted: the tool
    /// and its settings, as `cachegrind --I1=…`; `None` for every other metric and when the
    /// command was not counted. Two counts are comparable only when this is the same.
    pub fn count_method_in_bench(
        self,
        result: &BenchResult,
        command: Option<&str>,
    ) -> Option<String> {
        let counts = chosen_command(result, command, 0).ok()??.counts.as_ref()?;
        let series = self.count_series(counts)?;
        Some(format!("{} {}", series.source.as_str(), series.settings))
    }

    /// The series a count metric reads; `None` for every other metric and a count not taken.
    fn count_series(self, counts: &Counts) -> Option<&CountSeries> {
        match self {
            Metric::Instructions(_) => counts.instructions.as_ref(),
            Metric::Cycles(_) => counts.cycles_estimate.as_ref(),
            _ => None,
        }
    }

    /// Why a count metric of one command has no value though counting was asked for (no
    /// tool, a run that failed under it); `None` otherwise.
    pub fn count_missing_in_bench(
        self,
        result: &BenchResult,
        command: Option<&str>,
    ) -> Option<String> {
        if !matches!(self, Metric::Instructions(_) | Metric::Cycles(_)) {
            return None;
        }
        let counts = chosen_command(result, command, 0).ok()??.counts.as_ref()?;
        (!counts.unavailable.is_empty()).then(|| counts.unavailable.join("; "))
    }

    /// The metric's value in the target's summary (whole run), for the signals.
    pub fn value_in_target(self, s: &TargetSummary) -> Option<f64> {
        match self {
            Metric::Target(signal) => signal.value_in(&s.figures),
            _ => None,
        }
    }
}

/// The command a bench metric reads (the first when `command` is `None`); `Ok(None)` for a
/// bench without commands.
fn chosen_command<'r>(
    result: &'r BenchResult,
    command: Option<&str>,
    run_id: i64,
) -> Result<Option<&'r crate::output::bench::CommandResult>, String> {
    match command {
        Some(name) => result
            .commands
            .iter()
            .find(|c| c.command == name || c.name == name)
            .map(Some)
            .ok_or_else(|| {
                let names: Vec<&str> = result.commands.iter().map(|c| c.command.as_str()).collect();
                format!(
                    "run {run_id} has no command `{name}`; it has {}",
                    names.join(", ")
                )
            }),
        None => Ok(result.commands.first()),
    }
}

/// A signal over the run, or over one phase's seconds; a request has no signals of its own.
pub fn signal_value(
    signal: super::Signal,
    target: &TargetSummary,
    scope: &Scope,
) -> Result<Option<f64>, String> {
    if let super::Signal::Slope(grows) = signal {
        if let Scope::Phase(p) = scope {
            return Err(format!("`{signal}{{phase={p}}}`: growth is judged over the whole run after its warm-up, not one phase"));
        }
        return Ok(target
            .trends
            .iter()
            .find(|t| t.series == grows.series())
            .map(|t| t.slope_per_s));
    }
    match scope {
        Scope::Run => Ok(signal.value_in(&target.figures)),
        Scope::Phase(name) => Ok(target
            .phases
            .iter()
            .find(|p| &p.phase == name)
            .and_then(|p| signal.value_in(&p.figures))),
        Scope::Request(name) => Err(format!(
            "`{signal}` is the target's, not one request's: the target serves all requests at once, so `{{request=\"{name}\"}}` cannot apply; use `{{phase=...}}` or no filter"
        )),
    }
}

/// A scraped series' figure over the run or one phase, in the metric's unit. A series the
/// run's scrapes never had is an error naming those it has (a typo or an unselected series
/// must not read as "no data" for ever); a phase without scrapes has no data.
pub fn scraped_value(
    metric: super::Scraped,
    scraped: &ScrapeSummary,
    scope: &Scope,
) -> Result<Option<f64>, String> {
    let named = |series: &[SeriesFigures]| -> Result<Option<f64>, String> {
        Ok(metric
            .resolve(series.iter().map(|s| s.series.as_str()))?
            .and_then(|(key, stat)| {
                series
                    .iter()
                    .find(|s| s.series == key)
                    .map(|s| s.stat(stat) * metric.scale())
            }))
    };
    let whole = named(&scraped.series)?;
    match scope {
        Scope::Run if whole.is_some() => Ok(whole),
        Scope::Run if scraped.series.is_empty() => Ok(None),
        Scope::Run => {
            let names: Vec<&str> = scraped.series.iter().map(|s| s.series.as_str()).collect();
            let shown = names.len().min(12);
            Err(format!(
                "`{metric}`: the target's metrics{} have no such series; they have {}{}",
                scraped
                    .url
                    .as_ref()
                    .map(|u| format!(" at {u}"))
                    .unwrap_or_default(),
                names[..shown].join(", "),
                if names.len() > shown { ", …" } else { "" }
            ))
        }
        Scope::Phase(name) => match scraped.phases.iter().find(|p| &p.phase == name) {
            Some(p) => named(&p.series),
            None => Ok(None),
        },
        Scope::Request(name) => Err(format!(
            "`{metric}` is the target's, not one request's: `{{request=\"{name}\"}}` cannot apply; use `{{phase=...}}` or no filter"
        )),
    }
}

/// The recovery time after the spike `{phase=NAME}` names, or after the only spike; `None`
/// when it did not recover within the run or could not be judged.
/// A journey metric of the run or one phase; a step has its own request figures instead.
pub fn journey_value(
    metric: Metric,
    journey: Option<&crate::output::JourneySummary>,
    scope: &Scope,
) -> Result<Option<f64>, String> {
    let Some(journey) = journey else {
        return Err(format!(
            "`{metric}`: the scenario is not a journey (it has no [[scenario.step]])"
        ));
    };
    let (completed, failed, duration) = match scope {
        Scope::Run => (journey.completed, journey.failed, &journey.duration),
        Scope::Phase(name) => match journey.phases.iter().find(|p| &p.phase == name) {
            Some(p) => (p.completed, p.failed, &p.duration),
            None => return Ok(None),
        },
        Scope::Request(name) => {
            return Err(format!(
                "`{metric}` is of whole journeys, not of the step `{name}`: a step's own figures are its latency, error_rate and the rest, with {{request=\"{name}\"}}"
            ))
        }
    };
    Ok(match metric {
        Metric::JourneyDuration(s) => latency_stat(duration, s),
        Metric::JourneyFailureRate => {
            let ended = completed + failed;
            (ended > 0).then(|| failed as f64 / ended as f64)
        }
        Metric::Journeys => Some(completed as f64),
        _ => None,
    })
}

pub fn recovery_value(
    recoveries: &[crate::output::Recovery],
    scope: &Scope,
) -> Result<Option<f64>, String> {
    let found = match scope {
        Scope::Phase(name) => match recoveries.iter().find(|r| &r.phase == name) {
            Some(r) => Some(r),
            None => {
                return Err(format!(
                    "`recovery.time{{phase=\"{name}\"}}`: `{name}` is not a spike phase; recovery is measured after a phase of kind spike"
                ))
            }
        },
        Scope::Run if recoveries.is_empty() => {
            return Err(
                "`recovery.time`: the run has no phase of kind spike; recovery is measured after one"
                    .into(),
            )
        }
        Scope::Run if recoveries.len() == 1 => recoveries.first(),
        Scope::Run => {
            let names: Vec<&str> = recoveries.iter().map(|r| r.phase.as_str()).collect();
            return Err(format!(
                "`recovery.time`: the run has {} spikes ({}): name one with {{phase=\"…\"}}",
                names.len(),
                names.join(", ")
            ));
        }
        Scope::Request(_) => {
            return Err(
                "`recovery.time` is of the whole service after a spike, not of one request: use {phase=\"…\"}".into(),
            )
        }
    };
    Ok(found.and_then(|r| r.recovered_ns).map(|ns| ns as f64))
}

fn find_group<'s>(
    groups: &'s [GroupSummary],
    name: &str,
    what: &str,
    run_id: i64,
) -> Result<&'s GroupSummary, String> {
    groups.iter().find(|g| g.name == name).ok_or_else(|| {
        let names: Vec<&str> = groups.iter().map(|g| g.name.as_str()).collect();
        format!(
            "run {run_id} has no {what} `{name}`; it has {}",
            names.join(", ")
        )
    })
}

fn latency_stat(l: &LatencySummary, stat: Stat) -> Option<f64> {
    if l.count == 0 {
        return None;
    }
    let v = match stat {
        Stat::Min => l.min_ns,
        Stat::Mean => l.mean_ns,
        Stat::Max => l.max_ns,
        Stat::Percentile(50.0) => l.p50_ns,
        Stat::Percentile(90.0) => l.p90_ns,
        Stat::Percentile(95.0) => l.p95_ns,
        Stat::Percentile(99.0) => l.p99_ns,
        Stat::Percentile(99.9) => l.p999_ns,
        Stat::Percentile(_) => return None,
    };
    Some(v as f64)
}

/// The word [`CountSeries::stat`](crate::output::bench::CountSeries::stat) takes for `stat`.
fn stat_word(stat: Stat) -> &'static str {
    match stat {
        Stat::Mean => "mean",
        Stat::Min => "min",
        Stat::Max => "max",
        _ => "median",
    }
}
