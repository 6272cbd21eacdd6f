//! The live endpoint (`--metrics-addr`): while a run goes, its figures in the Prometheus
//! exposition formats, so a dashboard or a real Prometheus follows the load as it happens —
//! requests by outcome, errors by kind, responses by status, the latency of responses as a
//! classic histogram (buckets that include every SLO threshold of the plan, so the rules
//! `rigor slo rules` writes can be evaluated on them), the generator's send lag and the
//! target's samples.
//!
//! The recorder feeds it one [`Second`] per finished window through a [`Feed`]; a small
//! server thread answers scrapes from what has been fed. Counters are cumulative over the
//! command (a scenario run twice keeps counting), so `rate()` over them is right. Latency is
//! of the responses that succeeded, from their intended start, as the run itself measures it;
//! failures are counted apart. Where the format allows (OpenMetrics, which Prometheus asks
//! for), the slowest requests' trace ids ride on the buckets as exemplars.
//!
//! What this crate must not do: run load, read the store, or print. It serves what it is fed.

mod exposition;
mod server;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rigor_model::hist::{new_hist, Hist};

pub use exposition::{render, Format};
pub use server::Exporter;

/// The histogram's buckets, in seconds, before the plan's SLO thresholds are added: the
/// classic client-library set.
pub const DEFAULT_BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// One finished second of a run, as the recorder hands it over.
#[derive(Debug, Clone, Default)]
pub struct Second {
    /// From the start of the run.
    pub elapsed: Duration,
    pub phases: Vec<PhaseSecond>,
    /// Samples taken in the second, by rigor's names (`target.cpu`, `generator.lag_p99`);
    /// those without a live metric are left out.
    pub samples: Vec<(String, f64)>,
}

/// One phase's share of a second.
#[derive(Debug, Clone, Default)]
pub struct PhaseSecond {
    pub phase: String,
    /// Requests completed (answered or failed).
    pub requests: u64,
    /// Of those, the failed ones.
    pub errors: u64,
    /// Requests sent.
    pub sent: u64,
    pub errors_by_kind: Vec<(String, u64)>,
    pub statuses: Vec<(u16, u64)>,
    /// The latency of the responses that succeeded, from their intended start (ns).
    pub latency: Option<Hist>,
    /// The slowest responses that succeeded, with their trace ids: the exemplars.
    pub slowest: Vec<Exemplar>,
}

/// A request that can stand for its bucket: its latency and trace id.
#[derive(Debug, Clone, PartialEq)]
pub struct Exemplar {
    pub latency_ns: u64,
    pub trace_id: String,
    /// When it was answered, in seconds since the Unix epoch.
    pub at_unix_s: f64,
}

/// What a run is, when it begins.
#[derive(Debug, Clone, Default)]
pub struct RunStart {
    pub run_id: i64,
    pub scenario: String,
    /// The phases in order, so the series appear in the plan's order.
    pub phases: Vec<String>,
}

/// The recorder's handle: cheap to clone, safe to share with the server thread.
#[derive(Clone)]
pub struct Feed(Arc<Shared>);

impl std::fmt::Debug for Feed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Feed")
    }
}

struct Shared {
    state: Mutex<State>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves figures that are still counts: serve them.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Everything the endpoint serves.
#[derive(Debug)]
pub struct State {
    /// The bucket bounds in seconds, ascending, and their `le` label text.
    buckets: Vec<(f64, String)>,
    /// By scenario, in the order they began.
    runs: Vec<RunFigures>,
    /// The latest value of each live gauge, by its exposition name.
    gauges: BTreeMap<&'static str, f64>,
    /// Runs begun and not yet finished.
    running: u32,
    /// Scrapes answered since the last run finished (none while one runs), of what was
    /// rendered after it finished.
    scrapes_since_finish: u64,
    /// Runs finished so far: a scrape rendered before the latest finish does not hold the
    /// final counts, however late its answer is done.
    finishes: u64,
}

#[derive(Debug)]
struct RunFigures {
    scenario: String,
    run_id: i64,
    elapsed_s: f64,
    phases: Vec<PhaseFigures>,
}

#[derive(Debug)]
struct PhaseFigures {
    name: String,
    requests: u64,
    errors: u64,
    sent: u64,
    kinds: BTreeMap<String, u64>,
    statuses: BTreeMap<u16, u64>,
    latency: Hist,
    /// The slowest request seen in each bucket (the last one is `+Inf`).
    exemplars: Vec<Option<Exemplar>>,
}

impl PhaseFigures {
    fn new(name: &str, buckets: usize) -> PhaseFigures {
        PhaseFigures {
            name: name.to_string(),
            requests: 0,
            errors: 0,
            sent: 0,
            kinds: BTreeMap::new(),
            statuses: BTreeMap::new(),
            latency: new_hist(),
            exemplars: vec![None; buckets + 1],
        }
    }
}

/// A gauge the endpoint serves from one of rigor's samples: (sample, metric, scale, help).
pub(crate) const GAUGES: [(&str, &str, f64, &str); 8] = [
    (
        "target.cpu",
        "rigor_target_cpu_ratio",
        1.0,
        "The target's CPU use over the last second, as a share of the machine's cores.",
    ),
    (
        "target.cpu_cores",
        "rigor_target_cpu_cores",
        1.0,
        "The target's CPU use over the last second, in cores.",
    ),
    (
        "target.rss",
        "rigor_target_resident_memory_bytes",
        1.0,
        "The target's resident memory, its processes together.",
    ),
    (
        "target.threads",
        "rigor_target_threads",
        1.0,
        "The target's threads, its processes together.",
    ),
    (
        "target.fds",
        "rigor_target_open_fds",
        1.0,
        "The target's open file descriptors, its processes together.",
    ),
    (
        "target.processes",
        "rigor_target_processes",
        1.0,
        "The target's processes (itself and those under it).",
    ),
    (
        "generator.lag_p99",
        "rigor_generator_send_lag_p99_seconds",
        1e-9,
        "How late the generator sent its requests in the last second (99th percentile): \
         above the run's --max-lag the run is not a valid measurement.",
    ),
    (
        "generator.lag_max",
        "rigor_generator_send_lag_max_seconds",
        1e-9,
        "How late the generator sent its latest request at worst in the last second.",
    ),
];

impl State {
    fn new(thresholds: &[Duration]) -> State {
        let mut bounds: Vec<f64> = DEFAULT_BUCKETS.to_vec();
        bounds.extend(thresholds.iter().map(Duration::as_secs_f64));
        bounds.retain(|b| b.is_finite() && *b > 0.0);
        bounds.sort_by(f64::total_cmp);
        let mut buckets: Vec<(f64, String)> = Vec::with_capacity(bounds.len());
        for b in bounds {
            let label = rigor_model::plan::le_label(Duration::from_secs_f64(b));
            if buckets.last().is_none_or(|(_, l)| *l != label) {
                buckets.push((b, label));
            }
        }
        State {
            buckets,
            runs: Vec::new(),
            gauges: BTreeMap::new(),
            running: 0,
            scrapes_since_finish: 0,
            finishes: 0,
        }
    }

    fn run_mut(&mut self, scenario: &str) -> Option<&mut RunFigures> {
        self.runs.iter_mut().find(|r| r.scenario == scenario)
    }
}

impl Feed {
    /// A feed whose histograms have the default buckets and one at each of `thresholds`.
    pub fn new(thresholds: &[Duration]) -> Feed {
        Feed(Arc::new(Shared {
            state: Mutex::new(State::new(thresholds)),
        }))
    }

    /// A run of `start.scenario` begins; a scenario seen before keeps counting where it was.
    pub fn begin(&self, start: &RunStart) {
        let mut state = self.0.lock();
        let buckets = state.buckets.len();
        state.running += 1;
        state.scrapes_since_finish = 0;
        match state.run_mut(&start.scenario) {
            Some(run) => {
                run.run_id = start.run_id;
                run.elapsed_s = 0.0;
            }
            None => state.runs.push(RunFigures {
                scenario: start.scenario.clone(),
                run_id: start.run_id,
                elapsed_s: 0.0,
                phases: Vec::new(),
            }),
        }
        if let Some(run) = state.run_mut(&start.scenario) {
            for phase in &start.phases {
                if !run.phases.iter().any(|p| p.name == *phase) {
                    run.phases.push(PhaseFigures::new(phase, buckets));
                }
            }
        }
    }

    /// Adds a finished second of `scenario`'s run.
    pub fn second(&self, scenario: &str, second: &Second) {
        let mut state = self.0.lock();
        let bounds: Vec<f64> = state.buckets.iter().map(|(b, _)| *b).collect();
        for (name, value) in &second.samples {
            if let Some((_, metric, scale, _)) = GAUGES.iter().find(|g| g.0 == name) {
                state.gauges.insert(metric, value * scale);
            }
        }
        let Some(run) = state.run_mut(scenario) else {
            return;
        };
        run.elapsed_s = second.elapsed.as_secs_f64();
        for part in &second.phases {
            let index = match run.phases.iter().position(|p| p.name == part.phase) {
                Some(i) => i,
                None => {
                    run.phases
                        .push(PhaseFigures::new(&part.phase, bounds.len()));
                    run.phases.len() - 1
                }
            };
            let figures = &mut run.phases[index];
            figures.requests += part.requests;
            figures.errors += part.errors;
            figures.sent += part.sent;
            for (kind, n) in &part.errors_by_kind {
                *figures.kinds.entry(kind.clone()).or_default() += n;
            }
            for (code, n) in &part.statuses {
                *figures.statuses.entry(*code).or_default() += n;
            }
            if let Some(h) = &part.latency {
                // Both have rigor's bounds, so adding cannot fail.
                let _ = figures.latency.add(h);
            }
            for e in &part.slowest {
                let seconds = e.latency_ns as f64 / 1e9;
                let bucket = bounds
                    .iter()
                    .position(|b| seconds <= *b)
                    .unwrap_or(bounds.len());
                // The slowest request of the bucket stands for it, as the README says; a
                // later, faster one of the same bucket does not replace it.
                let slot = &mut figures.exemplars[bucket];
                if slot
                    .as_ref()
                    .is_none_or(|kept| e.latency_ns > kept.latency_ns)
                {
                    *slot = Some(e.clone());
                }
            }
        }
    }

    /// The run begun last has ended; its figures stay served.
    pub fn finish(&self) {
        let mut state = self.0.lock();
        state.running = state.running.saturating_sub(1);
        state.scrapes_since_finish = 0;
        state.finishes += 1;
    }

    /// The exposition of what has been fed, as a scrape would get it.
    pub fn render(&self, format: Format) -> String {
        render(&self.0.lock(), format)
    }

    /// The exposition for a scrape, and whether it holds the final counts: the number of
    /// finishes it was rendered after, when no run was going.
    fn render_scrape(&self, format: Format) -> (String, Option<u64>) {
        let state = self.0.lock();
        let after = (state.running == 0).then_some(state.finishes);
        (render(&state, format), after)
    }

    /// A scrape answered in full; it counts as the final one only if it was rendered after
    /// the latest finish and no run has begun since.
    fn scraped(&self, rendered_after: Option<u64>) {
        let mut state = self.0.lock();
        if state.running == 0 && rendered_after == Some(state.finishes) {
            state.scrapes_since_finish += 1;
        }
    }

    fn scrapes_since_finish(&self) -> u64 {
        let state = self.0.lock();
        if state.running == 0 {
            state.scrapes_since_finish
        } else {
            0
        }
    }
}
