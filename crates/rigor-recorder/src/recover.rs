//! Runs whose process died (SIGKILL, a crash, power loss) stay `running` in the store with
//! the windows or bench runs they had written. On the next open they are found — their
//! owner process is gone — marked `crashed`, and summarised from what they stored, so they
//! can be shown and compared (with a warning) instead of reading as "still going" forever.

use std::collections::BTreeMap;
use std::time::Duration;

use rigor_model::hist::{self, Hist};
use rigor_model::output::bench::{
    BenchResult, CommandResult, Measurement, ParameterValue, TimedRun,
};
use rigor_model::output::{GroupSummary, RunSummary, SCHEMA_VERSION};
use rigor_model::plan::BenchEntry;
use rigor_model::{RunKind, RunStatus};
use rigor_store::{RunEnd, RunFilter, RunHeadline, Store, StoreError, StoredRun};

/// A run found crashed and closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovered {
    pub run: i64,
    pub scenario: String,
    /// Why it is crashed, and what its summary was made from.
    pub reason: String,
}

/// Finds the runs left `running` by a process that is gone, and closes each as `crashed`
/// with a summary of what it stored. A run whose owner is alive, or unknown (imported), is
/// left alone.
pub fn recover_crashed(store: &mut dyn Store) -> Result<Vec<Recovered>, StoreError> {
    let mut recovered = Vec::new();
    for run in crashed_runs(store)? {
        let owner = run.owner.as_deref().unwrap_or_default();
        let pid = owner.split(':').nth(1).unwrap_or("?");
        let (summary, headline, seconds, what) = match run.kind {
            RunKind::Load => load_summary(store, &run)?,
            RunKind::Bench => bench_summary(store, &run)?,
            // An import stores its runs whole: one left running holds nothing.
            RunKind::Imported | RunKind::Telemetry => (
                "null".to_string(),
                RunHeadline::default(),
                0.0,
                "nothing (an import stores each run whole)".to_string(),
            ),
        };
        let reason = format!(
            "the process recording it (pid {pid}) died before the run ended; summarised from the {what} it had stored"
        );
        let ended = run.started_at_ns + (seconds * 1e9) as i64;
        let end = RunEnd {
            status: RunStatus::Crashed,
            reason: Some(&reason),
            ended_at_ns: ended,
            summary: &summary,
            headline,
        };
        store.finish_run(run.id, &end)?;
        recovered.push(Recovered {
            run: run.id,
            scenario: run.scenario.clone(),
            reason,
        });
    }
    Ok(recovered)
}

/// The runs left `running` by a process that is gone (what [`recover_crashed`] closes),
/// found without writing anything.
pub fn crashed_runs(store: &dyn Store) -> Result<Vec<StoredRun>, StoreError> {
    let running = store.runs(&RunFilter {
        status: Some(RunStatus::Running),
        ..RunFilter::default()
    })?;
    Ok(running
        .into_iter()
        .filter(|run| {
            run.owner
                .as_deref()
                .is_some_and(|owner| !rigor_probe::owner::is_alive(owner))
        })
        .collect())
}

/// A crashed run's summary (JSON), its headline, how many seconds it ran, and what it was
/// made from.
type Summarised = (String, RunHeadline, f64, String);

/// A load run's summary from its one-second windows: totals, per phase, both latency rows.
fn load_summary(store: &dyn Store, run: &StoredRun) -> Result<Summarised, StoreError> {
    let windows = store.windows(run.id)?;
    let mut total = Totals::default();
    let mut phases: BTreeMap<String, Totals> = BTreeMap::new();
    let mut seconds = std::collections::BTreeSet::new();
    let mut slowest: Vec<rigor_model::output::SlowRequest> = Vec::new();
    let mut journeys = JourneyTotals::default();
    for w in &windows {
        seconds.insert(w.second);
        journeys.add(w);
        if !w.slowest.is_empty() {
            // A second whose list cannot be read loses its list, not the run.
            let kept: Vec<rigor_model::output::SlowRequest> =
                serde_json::from_str(&w.slowest).unwrap_or_default();
            slowest.extend(kept);
        }
        let corrected = hist::decode(&w.corrected).ok();
        let raw = hist::decode(&w.raw).ok();
        total.add(w.requests, w.errors, corrected.as_ref(), raw.as_ref());
        phases.entry(w.phase.clone()).or_default().add(
            w.requests,
            w.errors,
            corrected.as_ref(),
            raw.as_ref(),
        );
    }
    slowest.sort_by(|a, b| {
        b.latency_ns
            .cmp(&a.latency_ns)
            .then(a.due_ns.cmp(&b.due_ns))
    });
    slowest.truncate(rigor_load::recorder::SLOWEST_PER_RUN);
    let duration = seconds.len() as f64;
    let plan: serde_json::Value = serde_json::from_str(&run.plan).unwrap_or_default();
    let model = plan["scenario"]["model"]
        .as_str()
        .unwrap_or("open")
        .to_lowercase();
    let environment = serde_json::from_str(&run.environment).unwrap_or_default();
    let scenario: Option<rigor_model::plan::Scenario> =
        serde_json::from_value(plan["scenario"].clone()).ok();
    let summary = RunSummary {
        schema_version: SCHEMA_VERSION,
        run_id: run.id,
        kind: RunKind::Load,
        scenario: run.scenario.clone(),
        model,
        status: RunStatus::Crashed,
        status_reason: None,
        started_at: rfc3339_ns(run.started_at_ns),
        ended_at: rfc3339_ns(run.started_at_ns + (duration * 1e9) as i64),
        duration_ns: (duration * 1e9) as u64,
        total: total.group("all", duration),
        requests: Vec::new(),
        phases: phases
            .iter()
            .map(|(name, t)| t.group(name, duration))
            .collect(),
        generator: Default::default(),
        target: None,
        target_metrics: None,
        slowest,
        recoveries: Vec::new(),
        journey: scenario
            .as_ref()
            .and_then(|s| journeys.summary(s, duration)),
        replay: None,
        thresholds: Vec::new(),
        environment,
    };
    let what = format!("{} one-second windows", seconds.len());
    Ok((
        serde_json::to_string(&summary).unwrap_or_default(),
        RunHeadline::of_load(&summary),
        duration,
        what,
    ))
}

/// A crashed journey run's walks, added up from its windows.
#[derive(Default)]
struct JourneyTotals {
    any: bool,
    whole: rigor_model::output::WindowJourneys,
    duration: Option<Hist>,
    phases: BTreeMap<String, (rigor_model::output::WindowJourneys, Option<Hist>)>,
}

impl JourneyTotals {
    fn add(&mut self, w: &rigor_store::StoredWindow) {
        if w.journeys.is_empty() {
            return;
        }
        // A second whose journeys cannot be read loses them, not the run.
        let Ok(j) = serde_json::from_str::<rigor_model::output::WindowJourneys>(&w.journeys) else {
            return;
        };
        self.any = true;
        let hist = hist::decode(&w.journey_duration).ok();
        let phase = self.phases.entry(w.phase.clone()).or_default();
        for (into, h) in [
            (&mut self.whole, &mut self.duration),
            (&mut phase.0, &mut phase.1),
        ] {
            into.started += j.started;
            into.completed += j.completed;
            if into.failed_at.len() < j.failed_at.len() {
                into.failed_at.resize(j.failed_at.len(), 0);
            }
            for (a, b) in into.failed_at.iter_mut().zip(&j.failed_at) {
                *a += b;
            }
            if let Some(from) = &hist {
                match h {
                    Some(h) => {
                        let _ = h.add(from);
                    }
                    None => *h = Some(from.clone()),
                }
            }
        }
    }

    /// The journey's summary, when the run's scenario is one and its windows kept walks.
    fn summary(
        &self,
        scenario: &rigor_model::plan::Scenario,
        seconds: f64,
    ) -> Option<rigor_model::output::JourneySummary> {
        use rigor_model::output::{JourneyPhaseSummary, JourneyStepSummary, JourneySummary};
        scenario.journey.as_ref().filter(|_| self.any)?;
        let summarise = |h: &Option<Hist>| h.as_ref().map(hist::summarize).unwrap_or_default();
        let per_s = |n: u64| {
            if seconds > 0.0 {
                n as f64 / seconds
            } else {
                0.0
            }
        };
        let w = &self.whole;
        let ended = w.completed + w.failed();
        Some(JourneySummary {
            started: w.started,
            completed: w.completed,
            failed: w.failed(),
            unfinished: w.started.saturating_sub(ended),
            started_per_s: per_s(w.started),
            failure_rate: if ended > 0 {
                w.failed() as f64 / ended as f64
            } else {
                0.0
            },
            duration: summarise(&self.duration),
            steps: JourneyStepSummary::of_steps(scenario, &w.failed_at, |_| None),
            phases: self
                .phases
                .iter()
                .map(|(name, (j, h))| JourneyPhaseSummary {
                    phase: name.clone(),
                    started: j.started,
                    completed: j.completed,
                    failed: j.failed(),
                    started_per_s: 0.0,
                    duration: summarise(h),
                })
                .collect(),
        })
    }
}

#[derive(Default)]
struct Totals {
    requests: u64,
    errors: u64,
    corrected: Option<Hist>,
    raw: Option<Hist>,
}

impl Totals {
    fn add(&mut self, requests: u64, errors: u64, corrected: Option<&Hist>, raw: Option<&Hist>) {
        self.requests += requests;
        self.errors += errors;
        for (acc, h) in [(&mut self.corrected, corrected), (&mut self.raw, raw)] {
            if let Some(h) = h {
                match acc {
                    Some(acc) => {
                        let _ = acc.add(h);
                    }
                    None => *acc = Some(h.clone()),
                }
            }
        }
    }

    fn group(&self, name: &str, seconds: f64) -> GroupSummary {
        let summarize = |h: &Option<Hist>| h.as_ref().map(hist::summarize).unwrap_or_default();
        GroupSummary {
            name: name.to_string(),
            requests: self.requests,
            errors: self.errors,
            error_rate: if self.requests > 0 {
                self.errors as f64 / self.requests as f64
            } else {
                0.0
            },
            throughput_per_s: if seconds > 0.0 {
                self.requests as f64 / seconds
            } else {
                0.0
            },
            duration_ns: (seconds * 1e9) as u64,
            latency: summarize(&self.corrected),
            raw_latency: summarize(&self.raw),
            ..Default::default()
        }
    }
}

/// A benchmark's result from the runs it stored, with statistics recomputed.
fn bench_summary(store: &dyn Store, run: &StoredRun) -> Result<Summarised, StoreError> {
    let runs = store.bench_runs(run.id)?;
    let entry: Option<BenchEntry> = serde_json::from_str(&run.plan).ok();
    let planned = entry
        .as_ref()
        .and_then(|e| rigor_bench::BenchSpec::from_entry(e).ok())
        .and_then(|spec| spec.resolve().ok());
    let count = runs
        .iter()
        .map(|r| r.command as usize + 1)
        .max()
        .unwrap_or(0);
    let count = planned
        .as_ref()
        .map_or(count, |p| p.commands.len().max(count));
    let mut commands: Vec<CommandResult> = (0..count)
        .map(|i| {
            let spec = planned
                .as_ref()
                .and_then(|p| p.commands.get(i))
                .map(|c| &c.command);
            CommandResult {
                name: spec.map_or_else(|| format!("command {}", i + 1), |c| c.name.clone()),
                command: spec.map_or_else(|| format!("command {}", i + 1), |c| c.line.clone()),
                parameters: spec
                    .map(|c| {
                        c.parameters
                            .iter()
                            .map(|(name, value)| ParameterValue {
                                name: name.clone(),
                                value: value.clone(),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                runs: Vec::new(),
                stats: None,
                relative: None,
                outliers: Vec::new(),
                counts: None,
            }
        })
        .collect();
    let mut order = Vec::new();
    let mut wall = 0u64;
    for r in &runs {
        wall += r.wall_ns;
        order.push(r.command as usize);
        commands[r.command as usize].runs.push(TimedRun {
            round: r.round,
            measurement: Measurement {
                wall: Duration::from_nanos(r.wall_ns),
                user: Duration::from_nanos(r.user_ns),
                system: Duration::from_nanos(r.system_ns),
                peak_rss: r.peak_rss_bytes,
                exit_code: r.exit_code,
                signal: r.signal,
            },
        });
    }
    let mut result = BenchResult {
        schema_version: rigor_model::output::bench::BENCH_SCHEMA_VERSION,
        source: "rigor".into(),
        commands,
        order,
        warmup_order: Vec::new(),
        ordering: planned.as_ref().map(|p| p.order),
        warmup: planned.as_ref().map_or(0, |p| p.warmup),
        run_count: planned.as_ref().map(|p| p.runs),
        ignore_failure: planned.as_ref().is_some_and(|p| p.ignore_failure),
        shell: None,
        warnings: Vec::new(),
        interrupted: true,
        peak_rss_floor_bytes: None,
        host_other_cpu_cores: None,
    };
    rigor_bench::analysis::analyze(&mut result);
    let what = format!("{} finished runs", runs.len());
    Ok((
        serde_json::to_string(&result).unwrap_or_default(),
        RunHeadline::of_bench(&result),
        wall as f64 / 1e9,
        what,
    ))
}

fn rfc3339_ns(ns: i64) -> String {
    rigor_model::units::rfc3339(std::time::UNIX_EPOCH + Duration::from_nanos(ns.max(0) as u64))
}
