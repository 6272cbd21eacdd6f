//! What a run measured, merged from all workers, and how to read metrics off it.

use std::time::{Duration, Instant, SystemTime};

use rigor_model::metric::Stage;
use rigor_model::output::{
    Environment, GeneratorHealth, GroupSummary, RunStatus, RunSummary, ScrapeSummary,
    TargetSummary, ThresholdOutcome, SCHEMA_VERSION,
};
use rigor_model::plan::{Model, Scenario};
use rigor_model::threshold::{Metric, Scope, Stat};
use rigor_model::units::{format_duration, rfc3339};

pub use crate::describe::Describe;
use crate::recorder::{summarize, Group, Hist, JourneyGroup, Slowest, SLOWEST_PER_RUN};
use crate::worker::{Shared, WorkerResult};
use crate::{LoadError, StopState};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Completed,
    Interrupted,
}

/// A phase's place on the run's timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct PhaseResult {
    pub name: String,
    pub start: Duration,
    /// When its last request completed (or it was cut short), from the start of the run.
    pub end: Duration,
}

/// Everything a load run measured.
#[derive(Debug, Clone)]
pub struct LoadResult {
    pub scenario: Scenario,
    pub started_at: SystemTime,
    /// From the start to the last completion (or the interrupt).
    pub duration: Duration,
    pub outcome: Outcome,
    pub request_names: Vec<String>,
    pub phases: Vec<PhaseResult>,
    /// Indexed by `phase * requests + request`.
    pub groups: Vec<Group>,
    /// Actual send minus intended send, for every request sent.
    pub lag: Hist,
    /// The scheduler's wake-up lag alone: the generator's own delay.
    pub timer_lag: Hist,
    pub late: u64,
    pub dropped: u64,
    pub connections_opened: u64,
    pub connections_closed_idle: u64,
    pub threads: usize,
    pub cpu_ns: u64,
    pub peak_rss_bytes: u64,
    /// Why the measurement cannot be trusted, when it cannot.
    pub invalid: Option<String>,
    /// The run's slowest requests, merged from the workers.
    pub slowest: Slowest,
    /// Each second's level, all phases together.
    pub seconds: Vec<crate::SecondLevel>,
    /// Names the requests the engine kept by index.
    pub describe: Describe,
    /// Per phase, the journeys that started in it; empty unless the scenario is a journey.
    pub journeys: Vec<JourneyGroup>,
    /// Why a step could not take its value, the first time, by request.
    pub step_failures: std::collections::BTreeMap<usize, String>,
    /// What was replayed, when the scenario replays a log.
    pub replay: Option<rigor_model::output::ReplaySummary>,
}

pub(crate) struct Assembly<'a> {
    pub shared: &'a Shared,
    pub workers: Vec<WorkerResult>,
    pub started_at: SystemTime,
    pub start: Instant,
    pub ended: Instant,
    pub phase_starts: Vec<Duration>,
    pub cpu_ns: u64,
    pub peak_rss_bytes: u64,
    pub max_lag: Duration,
    pub seconds: Vec<crate::SecondLevel>,
}

pub(crate) fn assemble(a: Assembly<'_>) -> Result<LoadResult, LoadError> {
    let scenario = a.shared.scenario.clone();
    let phases_n = scenario.phases.len();
    let requests_n = scenario.requests.len();
    let mut groups = vec![Group::default(); phases_n * requests_n];
    let mut lag = crate::empty_hist();
    let mut timer_lag = crate::empty_hist();
    let mut last_completion: Vec<Option<Duration>> = vec![None; phases_n];
    let (mut late, mut dropped, mut opened, mut closed_idle) = (0, 0, 0, 0);
    let mut slowest = Slowest::default();
    let mut journeys = if scenario.journey.is_some() {
        vec![JourneyGroup::default(); phases_n]
    } else {
        Vec::new()
    };
    let mut step_failures = std::collections::BTreeMap::new();
    for w in &a.workers {
        if let Some(e) = &w.error {
            return Err(LoadError::Engine(e.clone()));
        }
        for (into, from) in journeys.iter_mut().zip(&w.recorder.journeys) {
            into.merge(from);
        }
        for (step, why) in &w.recorder.step_failures {
            step_failures.entry(*step).or_insert_with(|| why.clone());
        }
        for (into, from) in groups.iter_mut().zip(&w.recorder.groups) {
            into.merge(from);
        }
        let _ = lag.add(&w.recorder.lag);
        let _ = timer_lag.add(&w.timer_lag);
        late += w.recorder.late;
        dropped += w.recorder.dropped;
        opened += w.recorder.connections_opened;
        closed_idle += w.recorder.connections_closed_idle;
        slowest.merge(&w.recorder.slowest, SLOWEST_PER_RUN);
        for (into, from) in last_completion.iter_mut().zip(&w.last_completion) {
            *into = (*into).max(*from);
        }
    }
    let outcome = match a.shared.stop.state() {
        StopState::Running => Outcome::Completed,
        _ => Outcome::Interrupted,
    };
    let wall = a.ended.saturating_duration_since(a.start);
    let mut phases = Vec::with_capacity(phases_n);
    for (p, phase) in scenario.phases.iter().enumerate() {
        let Some(&start) = a.phase_starts.get(p) else {
            phases.push(PhaseResult {
                name: phase.name.clone(),
                start: wall,
                end: wall,
            });
            continue;
        };
        // A phase lasts its planned span (until the next one starts, or for its duration),
        // not until its slowest response came back: its rate is over the time it offered
        // load. A phase bounded by iterations lasts until its last completion; one cut short
        // by a stop, until the stop.
        let end = match (a.phase_starts.get(p + 1), phase.duration) {
            (Some(&next), _) => next,
            (None, Some(planned)) => start + planned,
            (None, None) => last_completion[p].unwrap_or(wall),
        }
        .min(wall);
        phases.push(PhaseResult {
            name: phase.name.clone(),
            start,
            end: end.max(start),
        });
    }
    let duration = phases.iter().map(|p| p.end).max().unwrap_or(wall);
    let threads = a.shared.threads;
    let mut result = LoadResult {
        request_names: scenario.requests.iter().map(|r| r.name.clone()).collect(),
        scenario,
        started_at: a.started_at,
        duration,
        outcome,
        phases,
        groups,
        lag,
        timer_lag,
        late,
        dropped,
        connections_opened: opened,
        connections_closed_idle: closed_idle,
        threads,
        cpu_ns: a.cpu_ns,
        peak_rss_bytes: a.peak_rss_bytes,
        invalid: None,
        slowest,
        describe: Describe::new(&a.shared.scenario, a.shared.compiled.tracer),
        seconds: a.seconds,
        journeys,
        step_failures,
        replay: a.shared.compiled.replay.as_ref().map(|r| r.summary.clone()),
    };
    result.invalid = result.validity(a.max_lag);
    Ok(result)
}

impl LoadResult {
    /// Reasons not to trust the numbers: the generator fell behind its own schedule, or
    /// arrivals were dropped for want of a connection.
    fn validity(&self, max_lag: Duration) -> Option<String> {
        let mut reasons = Vec::new();
        if self.scenario.model == Model::Open && !self.timer_lag.is_empty() {
            let p99 = self.timer_lag.value_at_quantile(0.99);
            if p99 > max_lag.as_nanos() as u64 {
                let cpu = self.cpu_utilisation();
                let advice = if cpu < 0.5 {
                    "the generator itself was mostly idle, so other work on this machine delayed it: run on a quieter machine, or raise --max-lag if this much lag is acceptable"
                } else {
                    "lower the rate, add --threads, or run the generator on a machine with more free cores"
                };
                reasons.push(format!(
                    "the generator could not keep up with its schedule: p99 scheduler lag {} exceeds the {} limit (generator CPU {:.0}% of {} thread{}); {advice}",
                    format_duration(Duration::from_nanos(p99)),
                    format_duration(max_lag),
                    cpu * 100.0,
                    self.threads,
                    if self.threads == 1 { "" } else { "s" },
                ));
            }
        }
        if self.outcome == Outcome::Completed && self.dropped > 0 {
            reasons.push(format!(
                "{} arrivals were never sent: all {} connections stayed busy; raise max_connections (--max-connections) or lower the rate",
                self.dropped, self.scenario.max_connections
            ));
        }
        (!reasons.is_empty()).then(|| reasons.join("; "))
    }

    /// CPU time over wall time over the generator's threads (0 to 1).
    pub fn cpu_utilisation(&self) -> f64 {
        let cores = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(self.threads.max(1));
        let wall = self.duration.as_nanos() as f64;
        if wall <= 0.0 {
            return 0.0;
        }
        (self.cpu_ns as f64 / wall / cores as f64).min(1.0)
    }

    fn index(&self, phase: usize, request: usize) -> usize {
        phase * self.request_names.len() + request
    }

    /// The figures for a scope and how long it was active; `None` if the scope is unknown.
    pub fn group(&self, scope: &Scope) -> Option<(Group, Duration)> {
        let mut merged = Group::default();
        match scope {
            Scope::Run => {
                for g in &self.groups {
                    merged.merge(g);
                }
                Some((merged, self.duration))
            }
            Scope::Request(name) => {
                let r = self.request_names.iter().position(|n| n == name)?;
                for p in 0..self.phases.len() {
                    merged.merge(&self.groups[self.index(p, r)]);
                }
                Some((merged, self.duration))
            }
            Scope::Phase(name) => {
                let p = self.phases.iter().position(|ph| &ph.name == name)?;
                for r in 0..self.request_names.len() {
                    merged.merge(&self.groups[self.index(p, r)]);
                }
                let phase = &self.phases[p];
                Some((merged, phase.end.saturating_sub(phase.start)))
            }
        }
    }

    /// A metric's value in its canonical unit (ns, fraction, per second, count).
    pub fn metric(&self, metric: Metric, scope: &Scope) -> Option<f64> {
        let (group, span) = self.group(scope)?;
        let stat = |hist: Option<&Hist>, stat: Stat| -> Option<f64> {
            let h = hist.filter(|h| !h.is_empty())?;
            Some(match stat {
                Stat::Min => h.min() as f64,
                Stat::Max => h.max() as f64,
                Stat::Mean => h.mean(),
                Stat::Percentile(p) => h.value_at_quantile(p / 100.0) as f64,
            })
        };
        match metric {
            Metric::Latency(s) => stat(group.corrected.as_deref(), s),
            Metric::RawLatency(s) => stat(group.raw.as_deref(), s),
            Metric::Stage(stage, s) => {
                stat(group.stages.as_deref().and_then(|st| st.get(stage)), s)
            }
            Metric::ScheduleLag(s) => match scope {
                Scope::Run => stat(Some(&self.lag), s),
                _ => None,
            },
            Metric::ErrorRate => {
                (group.requests > 0).then(|| group.errors as f64 / group.requests as f64)
            }
            Metric::Throughput => {
                (!span.is_zero()).then(|| group.requests as f64 / span.as_secs_f64())
            }
            Metric::Requests => Some(group.requests as f64),
            Metric::Errors => Some(group.errors as f64),
            // Read off the recoveries by the judge: see `measured`.
            Metric::Recovery => None,
            Metric::JourneyDuration(s) => {
                let journeys = self.journey_group(scope)?;
                stat(journeys.duration.as_deref(), s)
            }
            Metric::JourneyFailureRate => {
                let journeys = self.journey_group(scope)?;
                let ended = journeys.completed + journeys.failed();
                (ended > 0).then(|| journeys.failed() as f64 / ended as f64)
            }
            Metric::Journeys => Some(self.journey_group(scope)?.completed as f64),
            // The target's resources come from the probe, not the engine: see `measured`.
            // Bench and imported metrics are not a load run's.
            Metric::Target(_)
            | Metric::Scraped(_)
            | Metric::Wall(_)
            | Metric::User
            | Metric::System
            | Metric::PeakRss
            | Metric::Instructions(_)
            | Metric::Cycles(_)
            | Metric::Column(_) => None,
        }
    }

    /// The run's figures with the target's beside them, for the one judge
    /// ([`rigor_model::judge`]): exact percentiles from the histograms, any of them.
    pub fn measured<'r>(
        &'r self,
        target: Option<&'r TargetSummary>,
        scraped: Option<&'r ScrapeSummary>,
    ) -> EngineMeasured<'r> {
        EngineMeasured {
            result: self,
            target,
            scraped,
        }
    }

    /// The run's status given its threshold verdicts, with the reason for any status but
    /// completed and passed. Untrustworthy endings come first: an interrupted run, a run whose
    /// generator fell behind, and a run in which no request succeeded are never called passed,
    /// whatever their thresholds say: one whose target never answered measured the failure to
    /// connect or to speak HTTP, and one in which every answer was an error (or failed its
    /// check) measured the target's failure, not its service. A run that nothing judged is
    /// completed, not passed.
    pub fn status(&self, thresholds: &[ThresholdOutcome]) -> (RunStatus, Option<String>) {
        let total = self.group(&Scope::Run).map(|(g, _)| g).unwrap_or_default();
        let requests = total.requests;
        let responses = total.statuses.values().sum::<u64>();
        if self.outcome == Outcome::Interrupted {
            let reason = "interrupted: what was measured before the stop is kept";
            (RunStatus::Interrupted, Some(reason.to_string()))
        } else if let Some(reason) = &self.invalid {
            (RunStatus::Invalid, Some(reason.clone()))
        } else if requests == 0 {
            let reason = "no request completed: the run measured nothing of the target";
            (RunStatus::TargetFailed, Some(reason.to_string()))
        } else if responses == 0 {
            let reason = format!(
                "the target never answered: all {requests} requests failed without an HTTP response ({}); the run measured the failure, not the target",
                kinds_by_count(&total)
            );
            (RunStatus::TargetFailed, Some(reason))
        } else if total.errors == requests {
            let reason = format!(
                "no request succeeded: all {requests} failed ({}); the run measured the target's failure, not its service",
                kinds_by_count(&total)
            );
            (RunStatus::TargetFailed, Some(reason))
        } else if thresholds.iter().any(|t| !t.passed) {
            let failed: Vec<&str> = thresholds
                .iter()
                .filter(|t| !t.passed)
                .map(|t| t.threshold.as_str())
                .collect();
            let reason = format!("threshold failed: {}", failed.join("; "));
            (RunStatus::Failed, Some(reason))
        } else if thresholds.is_empty() {
            (RunStatus::Completed, None)
        } else {
            (RunStatus::Passed, None)
        }
    }

    fn group_summary(&self, name: &str, scope: &Scope) -> GroupSummary {
        let Some((group, span)) = self.group(scope) else {
            return GroupSummary {
                name: name.to_string(),
                ..Default::default()
            };
        };
        GroupSummary {
            name: name.to_string(),
            requests: group.requests,
            errors: group.errors,
            error_rate: if group.requests > 0 {
                group.errors as f64 / group.requests as f64
            } else {
                0.0
            },
            throughput_per_s: if span.is_zero() {
                0.0
            } else {
                group.requests as f64 / span.as_secs_f64()
            },
            duration_ns: span.as_nanos() as u64,
            latency: group.corrected_summary(),
            raw_latency: group.raw_summary(),
            failed_latency: group.failed_summary(),
            abandoned: group.unanswered,
            retried: group.retried,
            errors_by_kind: group.by_kind.iter().map(|(k, n)| (k.name(), *n)).collect(),
            status_codes: group
                .statuses
                .iter()
                .map(|(k, n)| (k.to_string(), *n))
                .collect(),
            stages: group
                .stages
                .as_deref()
                .map(crate::recorder::Stages::summary),
        }
    }

    /// The versioned summary that `--json` prints and the store keeps.
    pub fn summary(
        &self,
        run_id: i64,
        environment: Environment,
        thresholds: Vec<ThresholdOutcome>,
        status_reason: Option<String>,
        target: Option<TargetSummary>,
    ) -> RunSummary {
        let (status, reason) = self.status(&thresholds);
        let ended_at = self.started_at + self.duration;
        RunSummary {
            schema_version: SCHEMA_VERSION,
            run_id,
            kind: rigor_model::RunKind::Load,
            scenario: self.scenario.name.clone(),
            model: match self.scenario.model {
                Model::Open => "open".into(),
                Model::Closed => "closed".into(),
            },
            status,
            status_reason: status_reason.or(reason),
            started_at: rfc3339(self.started_at),
            ended_at: rfc3339(ended_at),
            duration_ns: self.duration.as_nanos() as u64,
            total: self.group_summary("all", &Scope::Run),
            requests: self
                .request_names
                .iter()
                .map(|n| self.group_summary(n, &Scope::Request(n.clone())))
                .collect(),
            phases: self
                .phases
                .iter()
                .map(|p| self.group_summary(&p.name, &Scope::Phase(p.name.clone())))
                .collect(),
            generator: GeneratorHealth {
                schedule_lag: summarize(&self.lag),
                scheduler_lag: summarize(&self.timer_lag),
                late_arrivals: self.late,
                dropped_arrivals: self.dropped,
                cpu_ns: self.cpu_ns,
                cpu_utilisation: self.cpu_utilisation(),
                threads: self.threads as u32,
                connections_opened: self.connections_opened,
                connections_closed_idle: self.connections_closed_idle,
                // The recorder reads the machine around the run.
                host_other_cpu_cores: None,
                peak_rss_bytes: self.peak_rss_bytes,
            },
            target,
            target_metrics: None,
            slowest: self.describe.slowest(&self.slowest),
            recoveries: self.recoveries(),
            journey: self.journey_summary(),
            replay: self.replay.clone(),
            thresholds,
            environment,
        }
    }

    /// The journeys of the run and of each phase, when the scenario is a journey.
    pub fn journey_summary(&self) -> Option<rigor_model::output::JourneySummary> {
        use rigor_model::output::{JourneyPhaseSummary, JourneyStepSummary, JourneySummary};
        let whole = self.journey_group(&Scope::Run)?;
        let per_s = |n: u64, span: Duration| {
            if span.is_zero() {
                0.0
            } else {
                n as f64 / span.as_secs_f64()
            }
        };
        let duration = |g: &JourneyGroup| g.duration.as_deref().map(summarize).unwrap_or_default();
        let failed = whole.failed();
        let ended = whole.completed + failed;
        Some(JourneySummary {
            started: whole.started,
            completed: whole.completed,
            failed,
            unfinished: whole.started.saturating_sub(ended),
            started_per_s: per_s(whole.started, self.duration),
            failure_rate: if ended > 0 {
                failed as f64 / ended as f64
            } else {
                0.0
            },
            duration: duration(&whole),
            steps: JourneyStepSummary::of_steps(&self.scenario, &whole.failed_at, |i| {
                self.step_failures.get(&i).cloned()
            }),
            phases: self
                .phases
                .iter()
                .zip(&self.journeys)
                .map(|(p, g)| JourneyPhaseSummary {
                    phase: p.name.clone(),
                    started: g.started,
                    completed: g.completed,
                    failed: g.failed(),
                    started_per_s: per_s(g.started, p.end.saturating_sub(p.start)),
                    duration: duration(g),
                })
                .collect(),
        })
    }

    /// The journeys of the run or of one phase; `None` when the scenario is not a journey
    /// (or the phase is unknown).
    pub fn journey_group(&self, scope: &Scope) -> Option<JourneyGroup> {
        self.scenario.journey.as_ref()?;
        match scope {
            Scope::Run => {
                let mut merged = JourneyGroup::default();
                for g in &self.journeys {
                    merged.merge(g);
                }
                Some(merged)
            }
            Scope::Phase(name) => {
                let p = self.phases.iter().position(|ph| &ph.name == name)?;
                self.journeys.get(p).cloned()
            }
            Scope::Request(_) => None,
        }
    }

    /// How the service came back after each spike phase.
    pub fn recoveries(&self) -> Vec<rigor_model::output::Recovery> {
        crate::recovery::recoveries(
            &self.scenario.phases,
            &self.phases,
            &self.seconds,
            self.duration,
        )
    }

    /// The histograms to keep: the run, each request, each phase, and the schedule lag; the
    /// run's and each request's stages.
    pub fn histograms(&self) -> Vec<(&'static str, String, &'static str, Hist)> {
        let mut out = Vec::new();
        let mut push = |scope: &'static str, name: String, group: Group| {
            if let Some(h) = group.corrected {
                out.push((scope, name.clone(), "corrected", *h));
            }
            if let Some(h) = group.raw {
                out.push((scope, name.clone(), "raw", *h));
            }
            if scope == "phase" {
                return;
            }
            for (stage, hist) in Stage::ALL
                .into_iter()
                .zip(group.stages.map(|st| st.hists).unwrap_or_default())
            {
                if let Some(h) = hist {
                    out.push((scope, name.clone(), stage.as_str(), *h));
                }
            }
        };
        if let Some((g, _)) = self.group(&Scope::Run) {
            push("run", "all".into(), g);
        }
        for n in &self.request_names {
            if let Some((g, _)) = self.group(&Scope::Request(n.clone())) {
                push("request", n.clone(), g);
            }
        }
        for p in &self.phases {
            if let Some((g, _)) = self.group(&Scope::Phase(p.name.clone())) {
                push("phase", p.name.clone(), g);
            }
        }
        out.push(("generator", "schedule_lag".into(), "lag", self.lag.clone()));
        out
    }
}

/// "http_503 40, timeout 40": a group's errors by kind, most frequent first.
fn kinds_by_count(group: &Group) -> String {
    let mut kinds: Vec<(String, u64)> = group.by_kind.iter().map(|(k, n)| (k.name(), *n)).collect();
    kinds.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    kinds
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A finished load run's figures as the judge reads them.
pub struct EngineMeasured<'r> {
    result: &'r LoadResult,
    target: Option<&'r TargetSummary>,
    scraped: Option<&'r ScrapeSummary>,
}

impl rigor_model::judge::Measured for EngineMeasured<'_> {
    fn value(&self, metric: Metric, scope: &Scope) -> Result<Option<f64>, String> {
        if metric.run_kind() != rigor_model::RunKind::Load {
            return Err(format!("`{metric}` is a bench metric; this is a load run"));
        }
        let names = |what: &str, names: Vec<&str>| {
            format!(
                "the run has no {what} `{}`; it has {}",
                match scope {
                    Scope::Request(n) | Scope::Phase(n) => n.as_str(),
                    Scope::Run => "",
                },
                names.join(", ")
            )
        };
        match scope {
            Scope::Request(n) if !self.result.request_names.contains(n) => {
                return Err(names(
                    "request",
                    self.result
                        .request_names
                        .iter()
                        .map(String::as_str)
                        .collect(),
                ))
            }
            Scope::Phase(n) if !self.result.phases.iter().any(|p| &p.name == n) => {
                return Err(names(
                    "phase",
                    self.result.phases.iter().map(|p| p.name.as_str()).collect(),
                ))
            }
            _ => {}
        }
        match (metric, self.target) {
            (Metric::Target(signal), Some(t)) => {
                rigor_model::metric::value::signal_value(signal, t, scope)
            }
            (Metric::Target(_), None) => Ok(None),
            (Metric::Recovery, _) => {
                rigor_model::metric::value::recovery_value(&self.result.recoveries(), scope)
            }
            (Metric::JourneyDuration(_) | Metric::JourneyFailureRate | Metric::Journeys, _)
                if self.result.scenario.journey.is_none() || matches!(scope, Scope::Request(_)) =>
            {
                // Not a journey, or a step: the same errors as a stored run's.
                let empty = rigor_model::output::JourneySummary::default();
                let journey = self.result.scenario.journey.as_ref().map(|_| &empty);
                rigor_model::metric::value::journey_value(metric, journey, scope)
            }
            (Metric::Scraped(m), _) => match self.scraped {
                Some(s) => rigor_model::metric::value::scraped_value(m, s, scope),
                None => Ok(None),
            },
            _ => Ok(self.result.metric(metric, scope)),
        }
    }
}
