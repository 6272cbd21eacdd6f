//! Recording a load scenario: drive the HTTP engine, write each one-second window and the
//! target's samples as they come, judge the thresholds, close the run with its summary.

use std::path::PathBuf;
use std::time::Duration;

use rigor_load::{LoadConfig, LoadError, Window};
use rigor_model::output::profile::ProfileCapture;
use rigor_model::output::{RunSummary, TargetSummary};
use rigor_model::plan::{redact_value, Scenario, REDACTED};
use rigor_model::{RunKind, RunStatus, StopHandle};
use rigor_probe::{Sampler, TargetHandle};
use rigor_store::{HistogramRecord, NewRun, RunEnd, RunHeadline, Store};

use crate::signals::{probe_rows, sample_rows, scrape_rows, summarize, summarize_scrape};
use crate::watch::TargetWatch;
use crate::{unix_ns_now, OnLost, RecordError, Recorded, Recording};

/// How to run a scenario, beyond the scenario itself.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// The generator's own scheduling lag past which a run is invalid.
    pub max_lag: Duration,
    /// The project the run measures: its git state goes into the environment fingerprint.
    pub project_dir: PathBuf,
    /// The plan text as written, kept with the run.
    pub plan_text: Option<String>,
    /// The target's process, sampled once a second with every process under it.
    pub target_pid: Option<u32>,
    /// The target when rigor started it: how it ended and what it printed, should it die.
    pub target: Option<TargetHandle>,
    /// Profile the target's stacks during the steady phase (the whole run without one).
    pub profile: Option<rigor_profile::ProfileSpec>,
    /// Scrape the target's own metrics (a Prometheus or OpenMetrics endpoint) while it runs.
    pub target_metrics: Option<rigor_probe::scrape::ScrapeSpec>,
    /// Commands run every interval whose output is a series (`[[target.probe]]`).
    pub probes: Vec<rigor_probe::probes::ProbeSpec>,
    /// The memory the target may use (`[target] memory_limit`), which a leak is projected to;
    /// without it, its control group's limit when it has one.
    pub memory_limit: Option<u64>,
    /// The live endpoint's feed (`--metrics-addr`): every window and sample as it comes.
    pub live: Option<rigor_live::Feed>,
}

/// A scenario checked and ready to record: requests compiled, data checked, every origin
/// answering, the target's process readable. Nothing is stored until [`PreparedLoad::record`].
pub struct PreparedLoad {
    scenario: Scenario,
    options: LoadOptions,
    prepared: rigor_load::Prepared,
    on_lost: Option<OnLost>,
}

/// Checks everything about a scenario that can be checked before a run exists (requests,
/// data, reachability, `--target-pid`), so a mistake leaves nothing behind in the store — the
/// caller opens the store only after this succeeds.
pub fn prepare_load(
    scenario: &Scenario,
    options: &LoadOptions,
) -> Result<PreparedLoad, RecordError> {
    let mut config = LoadConfig::new(scenario.clone());
    config.threads = options.threads;
    config.max_lag = options.max_lag;
    let prepared = rigor_load::prepare(&config).map_err(RecordError::Prepare)?;
    if let Some(pid) = options.target_pid {
        let reading = rigor_probe::process::read_process(pid, &mut Vec::new())
            .map_err(|source| RecordError::Sampler { pid, source })?;
        if reading.zombie {
            return Err(RecordError::Sampler {
                pid,
                source: rigor_probe::ProbeError::Exited { pid },
            });
        }
    }
    Ok(PreparedLoad {
        // As it will run: a replayed log's requests filled in.
        scenario: prepared.scenario().clone(),
        options: options.clone(),
        prepared,
        on_lost: None,
    })
}

/// Checks, then runs and records `scenario`: [`prepare_load`], then [`PreparedLoad::record`].
pub fn record_load(
    store: &mut dyn Store,
    scenario: &Scenario,
    options: &LoadOptions,
    stop: &StopHandle,
    observe: &mut dyn FnMut(&Window),
) -> Result<Recorded<RunSummary>, RecordError> {
    prepare_load(scenario, options)?.record(store, stop, observe)
}

impl PreparedLoad {
    /// Calls `on_lost` as soon as a write to the store fails while the run goes.
    pub fn on_lost(mut self, on_lost: OnLost) -> PreparedLoad {
        self.on_lost = Some(on_lost);
        self
    }

    /// Runs the scenario, storing it as it goes; `observe` sees every window (for a progress
    /// line). The summary comes back even when part of the record could not be stored.
    pub fn record(
        self,
        store: &mut dyn Store,
        stop: &StopHandle,
        observe: &mut dyn FnMut(&Window),
    ) -> Result<Recorded<RunSummary>, RecordError> {
        let PreparedLoad {
            scenario,
            options,
            prepared,
            on_lost,
        } = self;
        record_prepared(store, &scenario, &options, prepared, on_lost, stop, observe)
    }
}

fn record_prepared(
    store: &mut dyn Store,
    scenario: &Scenario,
    options: &LoadOptions,
    prepared: rigor_load::Prepared,
    on_lost: Option<OnLost>,
    stop: &StopHandle,
    observe: &mut dyn FnMut(&Window),
) -> Result<Recorded<RunSummary>, RecordError> {
    let environment = rigor_probe::fingerprint(&options.project_dir);
    let started_at_ns = unix_ns_now();
    let mut recording =
        begin(store, scenario, options, &environment, started_at_ns)?.on_lost(on_lost);
    let phase_names: Vec<String> = scenario.phases.iter().map(|p| p.name.clone()).collect();
    let describe = prepared.describe();
    let mut samples_written = 0;
    // The run's own stop: the process's signals reach it, and so does a failed target.
    let run_stop = stop.child();
    let mut watch = TargetWatch::new(options.target_pid, options.target.clone());
    let host_before = rigor_probe::host::HostCpu::now();
    // Sampling starts with the run, so its seconds are the run's.
    // Gone between the check and the start: the watch says so at the first second.
    let sampler = options.target_pid.and_then(|pid| Sampler::start(pid).ok());
    let profiler = start_profiler(scenario, options, &sampler);
    let scraper = options
        .target_metrics
        .clone()
        .map(rigor_probe::scrape::Scraper::start);
    let mut scraped_written = 0;
    let probers: Vec<rigor_probe::probes::Prober> = options
        .probes
        .iter()
        .map(|p| rigor_probe::probes::Prober::start(p.clone(), options.project_dir.clone()))
        .collect();
    let mut probed_written = vec![0; probers.len()];
    let mut phase_of_second = std::collections::BTreeMap::new();
    let live = options.live.as_ref();
    if let Some(live) = live {
        live.begin(&rigor_live::RunStart {
            run_id: recording.id(),
            scenario: scenario.name.clone(),
            phases: phase_names.clone(),
        });
    }
    let outcome = {
        let mut on_window = |window: &Window| {
            recording.windows(&window_rows(window, &phase_names, &describe));
            let mut live_samples = lag_rows(window);
            recording.samples(&live_samples);
            if let Some(phase) = busiest_phase(window, &phase_names) {
                phase_of_second.insert(window.second, phase);
            }
            if let Some(reason) = watch.failed(window) {
                run_stop.stop_because(reason);
            }
            if let Some(sampler) = &sampler {
                let new = sampler.samples_since(samples_written);
                samples_written += new.len();
                let rows = sample_rows(&new);
                recording.samples(&rows);
                if live.is_some() {
                    live_samples.extend(rows);
                }
            }
            if let Some(scraper) = &scraper {
                let new = scraper.values_since(scraped_written);
                scraped_written += new.len();
                recording.samples(&scrape_rows(&new));
            }
            for (prober, written) in probers.iter().zip(probed_written.iter_mut()) {
                let new = prober.values_since(*written);
                *written += new.len();
                recording.samples(&probe_rows(&prober.spec.name, &new));
            }
            if let Some(live) = live {
                let second = crate::live::second(
                    window,
                    &phase_names,
                    &describe,
                    started_at_ns,
                    &live_samples,
                );
                live.second(&scenario.name, &second);
            }
            observe(window);
        };
        prepared.run(&run_stop, &mut on_window)
    };
    let host_after = rigor_probe::host::HostCpu::now();
    let profile = profiler.map(|(spec, window_name, p)| {
        let capture = capture_of(options, &spec, window_name, p.and_then(|p| p.finish()));
        recording.profile(&capture.0);
        capture.1
    });
    let result = match outcome {
        Ok(result) => result,
        Err(source) => {
            if let Some(live) = live {
                live.finish();
            }
            let run = recording.id();
            recording.abort(&source.to_string(), unix_ns_now());
            return Err(RecordError::Load { run, source });
        }
    };
    // The samples of the last second, taken after the last window.
    let target = sampler.map(|sampler| {
        let pid = sampler.pid;
        let sampled = sampler.finish();
        let rows = sample_rows(sampled.samples.get(samples_written..).unwrap_or_default());
        recording.samples(&rows);
        if let Some(live) = live {
            live.second(
                &scenario.name,
                &rigor_live::Second {
                    elapsed: result.duration,
                    phases: Vec::new(),
                    samples: rows.iter().map(|s| (s.name.clone(), s.value)).collect(),
                },
            );
        }
        (pid, sampled)
    });
    if let Some(live) = live {
        live.finish();
    }
    let scraped = scraper.map(|scraper| {
        let scraped = scraper.finish();
        recording.samples(&scrape_rows(
            scraped.values.get(scraped_written..).unwrap_or_default(),
        ));
        scraped
    });
    let probed: Vec<_> = probers
        .into_iter()
        .zip(probed_written)
        .map(|(prober, written)| {
            let (spec, probed) = prober.finish();
            let rest = probed.values.get(written..).unwrap_or_default();
            recording.samples(&probe_rows(&spec.name, rest));
            (spec, probed)
        })
        .collect();
    let scrape = options.target_metrics.as_ref().zip(scraped.as_ref());
    let target_metrics = (scrape.is_some() || !probed.is_empty())
        .then(|| summarize_scrape(scrape, &probed, &phase_of_second));
    let mut target_summary = target.as_ref().and_then(|(pid, sampled)| {
        let mut summary = summarize(*pid, sampled, &phase_of_second)?;
        let limits = crate::leaks::Limits {
            memory: options
                .memory_limit
                .map(|b| (b, "[target] memory_limit".to_string()))
                .or_else(|| rigor_probe::process::cgroup_memory_limit(*pid)),
        };
        summary.trends =
            crate::leaks::trends(&sampled.samples, &phase_of_second, &phase_names, &limits);
        Some(summary)
    });
    if let Some(ended) = watch.ended() {
        let summary = target_summary.get_or_insert_with(|| TargetSummary {
            pid: options.target_pid.unwrap_or_default(),
            ..TargetSummary::default()
        });
        summary.exit = ended.exit;
        summary.output_tail = ended.output;
    }
    let mut thresholds = rigor_model::judge::thresholds(
        &scenario.thresholds,
        &result.measured(target_summary.as_ref(), target_metrics.as_ref()),
    );
    thresholds.extend(slo_verdicts(&scenario.slos, &result));
    let mut summary = result.summary(
        recording.id(),
        environment,
        thresholds,
        None,
        target_summary,
    );
    summary.target_metrics = target_metrics;
    summary.generator.host_other_cpu_cores = host_before
        .zip(host_after)
        .and_then(|(before, after)| after.busy_cores_since(&before))
        .map(|(busy, seconds)| {
            let target = summary
                .target
                .as_ref()
                .map_or(0.0, |t| t.figures.cpu_cores_mean * seconds);
            rigor_probe::host::other_cores(busy, seconds, result.cpu_ns as f64 / 1e9 + target)
        });
    if let Some(reason) = run_stop.reason() {
        // Stopped because the target failed, not by the user: not `interrupted`.
        summary.status = RunStatus::TargetFailed;
        summary.status_reason = Some(reason);
    }
    recording.histograms(&histogram_rows(&result));
    let ended_at_ns = started_at_ns + summary.duration_ns as i64;
    let lost = recording
        .finish(&RunEnd {
            status: summary.status,
            reason: summary.status_reason.as_deref(),
            ended_at_ns,
            summary: &serde_json::to_string(&summary).unwrap_or_default(),
            headline: RunHeadline::of_load(&summary),
        })
        .err();
    Ok(Recorded {
        value: summary,
        lost,
        profile,
    })
}

/// The profiler of a run asked to profile its target: sampling the steady phase (the first of
/// kind steady; the whole run without one). `Err` when the check before the run said perf
/// cannot sample here (the run goes on; the stored profile says why).
type Started = (
    rigor_profile::ProfileSpec,
    String,
    Result<rigor_profile::Profiler, rigor_profile::Unavailable>,
);

fn start_profiler(
    scenario: &Scenario,
    options: &LoadOptions,
    sampler: &Option<Sampler>,
) -> Option<Started> {
    let spec = options.profile.clone()?;
    let pid = options.target_pid?;
    // The phase named, else one named `steady`, else the first of kind steady, else the
    // whole run.
    let mut starts = Vec::new();
    let mut at = Duration::ZERO;
    for phase in &scenario.phases {
        starts.push(at);
        at += phase.duration.unwrap_or_default();
    }
    let chosen = match &spec.phase {
        Some(name) => scenario.phases.iter().position(|p| &p.name == name),
        None => scenario
            .phases
            .iter()
            .position(|p| p.name == "steady")
            .or_else(|| {
                scenario
                    .phases
                    .iter()
                    .position(|p| p.kind.as_str() == "steady")
            }),
    };
    let window = match chosen {
        Some(i) => (
            starts[i],
            scenario.phases[i].duration,
            format!("phase {}", scenario.phases[i].name),
        ),
        None => (Duration::ZERO, None, "whole run".to_string()),
    };
    let (window_start, length, name) = window;
    // The target's whole tree when the window begins, as the sampler last read it.
    let pids: rigor_profile::Pids = match sampler {
        Some(s) => Box::new(s.pids_reader()),
        None => Box::new(move || rigor_probe::process::tree(pid)),
    };
    let profiler = rigor_profile::check(&spec, &[pid]).map(|tool| {
        rigor_profile::Profiler::start(
            spec.clone(),
            pids,
            rigor_profile::Window {
                start: window_start,
                length,
            },
            std::time::Instant::now(),
            tool,
        )
    });
    Some((spec, name, profiler))
}

/// The stored record of a run's profile, and how it was taken (or why not).
fn capture_of(
    options: &LoadOptions,
    spec: &rigor_profile::ProfileSpec,
    window: String,
    outcome: Result<rigor_profile::Profiled, rigor_profile::Unavailable>,
) -> (rigor_store::ProfileRecord, ProfileCapture) {
    let mut capture = ProfileCapture {
        name: "target".into(),
        event: "cpu-clock".into(),
        frequency_hz: spec.frequency_hz,
        call_graph: spec.call_graph.as_str().into(),
        pids: options.target_pid.into_iter().collect(),
        window,
        ..ProfileCapture::default()
    };
    let folded = rigor_profile::into_capture(
        outcome,
        &mut capture,
        "perf sampled nothing: the target used no CPU during the window",
    );
    let record = rigor_store::ProfileRecord {
        name: capture.name.clone(),
        capture: serde_json::to_string(&capture).unwrap_or_default(),
        folded,
    };
    (record, capture)
}

/// Begins the run in the store with what it will measure, where and by whom.
fn begin<'s>(
    store: &'s mut dyn Store,
    scenario: &Scenario,
    options: &LoadOptions,
    environment: &rigor_model::output::Environment,
    started_at_ns: i64,
) -> Result<Recording<'s>, RecordError> {
    let plan = redacted_plan(scenario, options.plan_text.as_deref());
    Recording::begin(
        store,
        &NewRun {
            kind: RunKind::Load,
            scenario: scenario.name.clone(),
            plan: plan.to_string(),
            started_at_ns,
            environment: serde_json::to_string(environment).unwrap_or_default(),
            git_commit: environment.git_commit.clone(),
            owner: rigor_probe::owner::this_process(),
        },
    )
    .map_err(RecordError::Begin)
}

/// The whole run's histograms (by run, request, phase and the generator's lag), encoded.
fn histogram_rows(result: &rigor_load::LoadResult) -> Vec<HistogramRecord> {
    result
        .histograms()
        .into_iter()
        .map(|(scope, name, kind, hist)| HistogramRecord {
            scope: scope.into(),
            name,
            kind: kind.into(),
            data: rigor_model::hist::encode(&hist),
        })
        .collect()
}

/// The store's rows for one window of the engine, each with its slowest requests as JSON.
fn window_rows(
    window: &Window,
    phase_names: &[String],
    describe: &rigor_load::Describe,
) -> Vec<rigor_store::StoredWindow> {
    window
        .parts
        .iter()
        .map(|(phase, part)| rigor_store::StoredWindow {
            second: window.second,
            phase: phase_names.get(*phase).cloned().unwrap_or_default(),
            requests: part.group.requests,
            errors: part.group.errors,
            sent: part.sent,
            corrected: part
                .group
                .corrected
                .as_deref()
                .map(rigor_model::hist::encode)
                .unwrap_or_default(),
            raw: part
                .group
                .raw
                .as_deref()
                .map(rigor_model::hist::encode)
                .unwrap_or_default(),
            slowest: if part.slowest.is_empty() {
                String::new()
            } else {
                serde_json::to_string(&describe.slowest(&part.slowest)).unwrap_or_default()
            },
            journeys: part.journey.as_deref().map_or_else(String::new, |j| {
                serde_json::to_string(&rigor_model::output::WindowJourneys {
                    started: j.started,
                    completed: j.completed,
                    failed_at: j.failed_at.clone(),
                })
                .unwrap_or_default()
            }),
            journey_duration: part
                .journey
                .as_deref()
                .and_then(|j| j.duration.as_deref())
                .map(rigor_model::hist::encode)
                .unwrap_or_default(),
        })
        .collect()
}

/// The generator's send lag in one window (all phases), as samples: `generator.lag_p99` and
/// `generator.lag_max`, in nanoseconds. None for a second in which nothing was sent.
fn lag_rows(window: &Window) -> Vec<rigor_store::Sample> {
    let mut lag: Option<rigor_model::hist::Hist> = None;
    for part in window.parts.values() {
        if let Some(h) = part.lag.as_deref() {
            match &mut lag {
                // Same bounds on both sides, so adding cannot fail.
                Some(all) => {
                    let _ = all.add(h);
                }
                None => lag = Some(h.clone()),
            }
        }
    }
    let Some(lag) = lag.filter(|h| !h.is_empty()) else {
        return Vec::new();
    };
    [
        ("generator.lag_p99", lag.value_at_quantile(0.99)),
        ("generator.lag_max", lag.max()),
    ]
    .map(|(name, value)| rigor_store::Sample {
        second: window.second,
        name: name.into(),
        value: value as f64,
    })
    .to_vec()
}

/// The phase that completed most requests in a window (a second at a phase boundary holds
/// both); `None` for a second with no requests.
fn busiest_phase(window: &Window, phase_names: &[String]) -> Option<String> {
    window
        .parts
        .iter()
        .max_by_key(|(_, part)| part.group.requests)
        .and_then(|(phase, _)| phase_names.get(*phase).cloned())
}

/// The plan's SLOs judged over the whole run: availability as the share of requests that
/// succeeded, latency as the share of successful responses within the bound (from their
/// intended start).
fn slo_verdicts(
    slos: &[rigor_model::plan::SloCheck],
    result: &rigor_load::LoadResult,
) -> Vec<rigor_model::output::ThresholdOutcome> {
    if slos.is_empty() {
        return Vec::new();
    }
    let (mut requests, mut errors) = (0, 0);
    let mut latency = rigor_model::hist::new_hist();
    for group in &result.groups {
        requests += group.requests;
        errors += group.errors;
        if let Some(h) = group.corrected.as_deref() {
            // Same bounds on both sides, so adding cannot fail.
            let _ = latency.add(h);
        }
    }
    slos.iter()
        .map(|slo| match slo.threshold_ns {
            None => slo.judge(requests - errors, requests),
            Some(bound) => slo.judge(
                latency.count_between(0, bound).min(latency.len()),
                latency.len(),
            ),
        })
        .collect()
}

/// Whether a load error is in the plan (a bad request or data file) rather than the world.
pub fn is_bad_input(error: &LoadError) -> bool {
    matches!(error, LoadError::Request { .. } | LoadError::Data { .. })
}

/// The plan as the store keeps it: the scenario with credentials (the headers
/// [`Scenario::is_secret_header`] names) replaced, and the plan text with every credential
/// value it contains replaced too.
fn redacted_plan(scenario: &Scenario, plan_text: Option<&str>) -> serde_json::Value {
    let mut redacted = scenario.clone();
    let mut secrets: Vec<String> = Vec::new();
    for request in &mut redacted.requests {
        for (name, value) in &mut request.headers {
            if scenario.is_secret_header(name) {
                let (shown, secret) = redact_value(value);
                secrets.push(secret.to_string());
                *value = shown;
            }
        }
    }
    let plan_text = plan_text.map(|text| {
        let mut text = text.to_string();
        for secret in secrets.iter().filter(|s| s.len() >= 3) {
            text = text.replace(secret.as_str(), REDACTED);
        }
        text
    });
    serde_json::json!({ "plan_text": plan_text, "scenario": redacted })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_redacted_in_the_stored_plan() {
        let spec = rigor_model::plan::ScenarioSpec {
            name: "s".into(),
            phases: vec![rigor_model::plan::PhaseSpec {
                kind: rigor_model::plan::PhaseKind::Steady,
                duration: Some("1s".parse().unwrap()),
                concurrency: Some(1),
                ..Default::default()
            }],
            request: vec![rigor_model::plan::RequestSpec {
                url: "http://127.0.0.1:1/".into(),
                headers: [
                    (
                        "Authorization".to_string(),
                        "Bearer s3cr3t-token".to_string(),
                    ),
                    ("Cookie".to_string(), "session=abc123".to_string()),
                    ("X-Trace".to_string(), "visible".to_string()),
                ]
                .into(),
                ..Default::default()
            }],
            ..Default::default()
        };
        let scenario = spec.resolve(std::path::Path::new(".")).unwrap();
        let text =
            "headers = { Authorization = \"Bearer s3cr3t-token\", Cookie = \"session=abc123\" }";
        let stored = redacted_plan(&scenario, Some(text)).to_string();
        assert!(
            !stored.contains("s3cr3t-token") && !stored.contains("abc123"),
            "{stored}"
        );
        assert!(stored.contains("Bearer <redacted>"), "{stored}");
        assert!(stored.contains("visible"), "{stored}");
    }
}
