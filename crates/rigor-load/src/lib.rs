//! rigor's HTTP load engine.
//!
//! It takes a resolved [`Scenario`] and drives it: the open model sends arrivals on a fixed
//! schedule and measures each latency from the arrival's *intended* start (no coordinated
//! omission) as well as from the actual send; the closed model runs a fixed set of users.
//! Results are HDR histograms per phase × request, counts by error kind, one-second windows
//! streamed to the caller as they finish, and the generator's own health.
//!
//! The engine never prints and never touches the store: windows go to the caller's callback
//! (the recorder), and [`LoadResult`] is returned for analysis.

mod conn;
mod describe;
pub mod extract;
pub mod journey;
pub mod recorder;
mod recovery;
pub mod replay;
mod result;
pub mod schedule;
pub mod template;
mod timer;
mod tls;
pub mod trace;
mod worker;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use rigor_model::plan::{HttpVersion, Model, Scenario};

use crate::conn::{Endpoint, Stream};
use crate::recorder::new_hist;
use crate::schedule::{OpenSchedule, PhaseClock};
use crate::template::{Compiled, Origin, Scheme};
use crate::tls::{alpn_for, tls_config};
use crate::worker::{Shared, WorkerMsg};
pub use recorder::{ErrorKind, Group, Hist, WindowPart};
pub use result::{Describe, LoadResult, Outcome, PhaseResult};

/// How to run a scenario.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    pub scenario: Scenario,
    /// Worker threads; 0 means one per available core.
    pub threads: usize,
    /// The p99 scheduler lag above which the run is invalid: the generator fell behind.
    pub max_lag: Duration,
    pub connect_timeout: Duration,
}

impl LoadConfig {
    pub fn new(scenario: Scenario) -> LoadConfig {
        LoadConfig {
            scenario,
            threads: 0,
            max_lag: Duration::from_millis(10),
            connect_timeout: Duration::from_secs(1),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot reach {origin}: {reason}")]
    Unreachable { origin: String, reason: String },
    #[error("request `{name}`: {message}")]
    Request { name: String, message: String },
    #[error("data file {path}: {message}")]
    Data { path: PathBuf, message: String },
    #[error("cannot start the load engine: {0}")]
    Engine(String),
}

pub use rigor_model::stop::{StopHandle, StopState};

/// A finished one-second window, merged across workers.
#[derive(Debug, Clone)]
pub struct Window {
    pub second: u32,
    /// By phase index.
    pub parts: BTreeMap<usize, WindowPart>,
    /// Running totals for a progress line.
    pub progress: LoadProgress,
}

#[derive(Debug, Clone, Default)]
pub struct LoadProgress {
    pub elapsed: Duration,
    pub planned: Option<Duration>,
    pub phase: String,
    pub requests: u64,
    pub errors: u64,
    /// Completed in the last window.
    pub last_second: u64,
    pub p50_ns: u64,
    pub p99_ns: u64,
}

/// A scenario checked and ready to run: its requests compiled, its data read and checked, and
/// every origin resolved and answering. Everything that can fail before the load starts fails
/// here, so a caller can check before it records anything.
pub struct Prepared {
    config: LoadConfig,
    compiled: Compiled,
    endpoints: Vec<Endpoint>,
    h2: Vec<bool>,
    threads: usize,
}

/// Checks `config` completely and connects to each origin once (about a second at most for a
/// dead target, with one clear message).
pub fn prepare(config: &LoadConfig) -> Result<Prepared, LoadError> {
    let mut config = config.clone();
    let replay = replay::expand(&mut config.scenario)?;
    let scenario = &config.scenario;
    let compiled = Compiled::with_replay(scenario, replay)?;
    let threads = match config.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    // A worker needs at least one connection (open model) or one user (closed model).
    let ceiling = match scenario.model {
        Model::Open => scenario.max_connections,
        Model::Closed => schedule::peak_concurrency(&scenario.phases),
    };
    let threads = threads.min(ceiling.max(1) as usize);
    let (endpoints, h2) = prepare_endpoints(&compiled, scenario, config.connect_timeout)?;
    Ok(Prepared {
        config,
        compiled,
        endpoints,
        h2,
        threads,
    })
}

/// Runs the scenario to completion (or until stopped), calling `on_window` as each second
/// finishes. Blocks the calling thread; the load runs on worker threads.
pub fn run(
    config: &LoadConfig,
    stop: &StopHandle,
    on_window: &mut dyn FnMut(&Window),
) -> Result<LoadResult, LoadError> {
    prepare(config)?.run(stop, on_window)
}

impl Prepared {
    /// The scenario as it will run: a replayed log's requests filled in.
    pub fn scenario(&self) -> &Scenario {
        &self.config.scenario
    }

    /// Names the requests the run will keep by index (its slowest), with their trace ids.
    pub fn describe(&self) -> Describe {
        Describe::new(&self.config.scenario, self.compiled.tracer)
    }

    /// Runs the prepared scenario; see [`run`].
    pub fn run(
        self,
        stop: &StopHandle,
        on_window: &mut dyn FnMut(&Window),
    ) -> Result<LoadResult, LoadError> {
        let Prepared {
            config,
            compiled,
            endpoints,
            h2,
            threads,
        } = self;
        run_prepared(&config, compiled, endpoints, h2, threads, stop, on_window)
    }
}

fn run_prepared(
    config: &LoadConfig,
    compiled: Compiled,
    endpoints: Vec<Endpoint>,
    h2: Vec<bool>,
    threads: usize,
    stop: &StopHandle,
    on_window: &mut dyn FnMut(&Window),
) -> Result<LoadResult, LoadError> {
    let scenario = config.scenario.clone();
    let mut schedule = OpenSchedule::new(&scenario.phases, scenario.request_limit);
    if let (Some(due), Some(phase)) = (
        compiled.replay.as_ref().and_then(|r| r.due.clone()),
        schedule.phases.first_mut(),
    ) {
        // A log replayed at its own timing: each arrival when the log has it.
        phase.times = Some(Arc::new(due));
    }
    // After the schedule, in-flight requests get their timeout (plus a margin for the
    // connect that may precede the send) to finish on their own.
    let longest = scenario
        .requests
        .iter()
        .map(|r| r.timeout)
        .max()
        .unwrap_or(Duration::from_secs(10));
    // A journey's walks still under way get the time the rest of a walk may take: each
    // step's timeout and think time (at most a quarter of an hour).
    let walk = scenario.journey.as_ref().map_or(Duration::ZERO, |j| {
        j.steps
            .iter()
            .zip(&scenario.requests)
            .map(|(step, request)| (request.timeout + step.think) * step.repeat)
            .sum::<Duration>()
            .min(Duration::from_secs(900))
    });
    let drain = longest.max(walk) + config.connect_timeout;
    let planned = match scenario.model {
        Model::Open => Some(schedule.end()),
        Model::Closed => scenario
            .phases
            .iter()
            .map(|p| p.duration)
            .sum::<Option<Duration>>(),
    };
    let usage_before = resource_usage();
    let started_at = SystemTime::now();
    let start = Instant::now() + Duration::from_millis(20);
    let shared = Arc::new(Shared {
        scenario: scenario.clone(),
        compiled,
        endpoints,
        h2,
        schedule,
        clock: PhaseClock::new(start),
        start,
        threads,
        stop: stop.clone(),
        closed_seq: Default::default(),
        drain,
    });
    let (tx, rx) = std::sync::mpsc::channel();
    let mut handles = Vec::with_capacity(threads);
    for index in 0..threads {
        let shared = shared.clone();
        let tx = tx.clone();
        let handle = std::thread::Builder::new()
            .name(format!("rigor-load-{index}"))
            .spawn(move || worker::run(shared, index, tx))
            .map_err(|e| LoadError::Engine(format!("cannot start worker thread: {e}")))?;
        handles.push(handle);
    }
    drop(tx);
    let (collected, seconds) = collect(&shared, threads, rx, planned, on_window);
    for handle in handles {
        let _ = handle.join();
    }
    let ended = Instant::now();
    let usage_after = resource_usage();
    let phase_starts = phase_starts(&shared);
    result::assemble(result::Assembly {
        shared: &shared,
        workers: collected,
        started_at,
        start,
        ended,
        phase_starts,
        cpu_ns: usage_after.0.saturating_sub(usage_before.0),
        peak_rss_bytes: usage_after.1,
        max_lag: config.max_lag,
        seconds,
    })
}

/// When each phase started and ended, from the start of the run.
fn phase_starts(shared: &Shared) -> Vec<Duration> {
    match shared.scenario.model {
        Model::Open => {
            let mut v: Vec<Duration> = shared.schedule.phases.iter().map(|p| p.offset).collect();
            v.push(shared.schedule.end());
            v
        }
        Model::Closed => shared.clock.phase_starts(),
    }
}

/// Merges worker windows second by second and emits each once every worker has reported it.
fn collect(
    shared: &Shared,
    threads: usize,
    rx: std::sync::mpsc::Receiver<WorkerMsg>,
    planned: Option<Duration>,
    on_window: &mut dyn FnMut(&Window),
) -> (Vec<worker::WorkerResult>, Vec<SecondLevel>) {
    let mut pending: BTreeMap<u32, BTreeMap<usize, WindowPart>> = BTreeMap::new();
    let mut reported: Vec<Option<u32>> = vec![None; threads];
    let mut done = vec![false; threads];
    let mut results = Vec::with_capacity(threads);
    let mut next: u32 = 0;
    let mut so_far = SoFar::default();
    let phase_names: Vec<String> = shared
        .scenario
        .phases
        .iter()
        .map(|p| p.name.clone())
        .collect();
    for msg in rx {
        match msg {
            WorkerMsg::Tick {
                worker,
                second,
                parts,
            } => {
                merge_tick(&mut pending, second, parts);
                reported[worker] = Some(reported[worker].map_or(second, |s| s.max(second)));
            }
            WorkerMsg::Done { worker, result } => {
                done[worker] = true;
                results.push(*result);
            }
        }
        // Emit each second once every live worker has reported it; after the last worker is
        // done, the rest goes out below.
        while !done.iter().all(|&d| d) && live_workers_reported(&done, &reported, next) {
            let parts = pending.remove(&next).unwrap_or_default();
            emit_window(next, parts, &mut so_far, &phase_names, planned, on_window);
            next += 1;
        }
    }
    // Anything left (a worker's final partial window) goes out in order.
    for (second, parts) in std::mem::take(&mut pending) {
        emit_window(second, parts, &mut so_far, &phase_names, planned, on_window);
    }
    (results, so_far.seconds)
}

/// What the windows emitted so far add up to: the run's running totals, and each second's
/// level (for the recovery after a spike).
#[derive(Default)]
struct SoFar {
    total: recorder::Group,
    seconds: Vec<SecondLevel>,
}

/// One second of the run, all phases together: what the recovery after a spike is read from.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SecondLevel {
    pub second: u32,
    pub requests: u64,
    pub errors: u64,
    /// The 95th percentile of the second's latency from intended start (0 with no response).
    pub p95_ns: u64,
}

/// Adds one worker's parts of `second` to what the other workers sent for it.
#[inline]
fn merge_tick(
    pending: &mut BTreeMap<u32, BTreeMap<usize, WindowPart>>,
    second: u32,
    parts: Vec<(usize, WindowPart)>,
) {
    let slot = pending.entry(second).or_default();
    for (phase, part) in parts {
        slot.entry(phase).or_default().merge(&part);
    }
}

/// Whether every worker still running has reported `second` (a finished one has nothing more
/// to send).
#[inline]
fn live_workers_reported(done: &[bool], reported: &[Option<u32>], second: u32) -> bool {
    done.iter()
        .zip(reported)
        .all(|(&done, reported)| done || reported.is_some_and(|s| s >= second))
}

/// Hands the merged window of `second` to the caller, with the run's progress to its end
/// folded into `so_far`.
#[inline]
fn emit_window(
    second: u32,
    parts: BTreeMap<usize, WindowPart>,
    so_far: &mut SoFar,
    phase_names: &[String],
    planned: Option<Duration>,
    on_window: &mut dyn FnMut(&Window),
) {
    let mut last_second = 0;
    let mut errors = 0;
    // The second's own latency, all phases together: only the corrected histograms are
    // needed, and a second of one phase (the common case) needs no merge at all.
    let mut latency: Option<std::borrow::Cow<'_, Hist>> = None;
    for part in parts.values() {
        so_far.total.merge(&part.group);
        last_second += part.group.requests;
        errors += part.group.errors;
        if let Some(h) = part.group.corrected.as_deref() {
            match &mut latency {
                None => latency = Some(std::borrow::Cow::Borrowed(h)),
                // Same bounds on both sides, so adding cannot fail.
                Some(merged) => {
                    let _ = merged.to_mut().add(h);
                }
            }
        }
    }
    so_far.seconds.push(SecondLevel {
        second,
        requests: last_second,
        errors,
        p95_ns: latency.map_or(0, |h| h.value_at_quantile(0.95)),
    });
    let total = &so_far.total;
    let phase = parts
        .keys()
        .last()
        .and_then(|&p| phase_names.get(p).cloned())
        .unwrap_or_default();
    let (p50_ns, p99_ns) = total.corrected.as_deref().map_or((0, 0), |h| {
        (h.value_at_quantile(0.5), h.value_at_quantile(0.99))
    });
    let window = Window {
        second,
        parts,
        progress: LoadProgress {
            elapsed: Duration::from_secs(u64::from(second) + 1),
            planned,
            phase,
            requests: total.requests,
            errors: total.errors,
            last_second,
            p50_ns,
            p99_ns,
        },
    };
    on_window(&window);
}

/// Resolves each origin and checks it answers, so a dead target fails in about a second with
/// one clear message instead of a wall of per-request errors.
fn prepare_endpoints(
    compiled: &Compiled,
    scenario: &Scenario,
    connect_timeout: Duration,
) -> Result<(Vec<Endpoint>, Vec<bool>), LoadError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| LoadError::Engine(e.to_string()))?;
    let mut endpoints = Vec::new();
    let mut h2 = Vec::new();
    for origin in &compiled.origins {
        let (endpoint, speaks_h2) = prepare_endpoint(&runtime, origin, scenario, connect_timeout)?;
        endpoints.push(endpoint);
        h2.push(speaks_h2);
    }
    Ok((endpoints, h2))
}

/// One origin's endpoint, and whether requests to it go over HTTP/2.
fn prepare_endpoint(
    runtime: &tokio::runtime::Runtime,
    origin: &Origin,
    scenario: &Scenario,
    connect_timeout: Duration,
) -> Result<(Endpoint, bool), LoadError> {
    let unreachable = |reason: String| LoadError::Unreachable {
        origin: origin.to_string(),
        reason,
    };
    let addrs = resolve_origin(runtime, origin, connect_timeout).map_err(unreachable)?;
    let tls = match origin.scheme {
        Scheme::Http => None,
        Scheme::Https => Some(
            tls_config(
                origin,
                scenario.insecure,
                &alpn_for(scenario.http, origin.scheme),
            )
            .map_err(unreachable)?,
        ),
    };
    let probe = |addr: SocketAddr| Endpoint {
        connect_timeout,
        origin: origin.clone(),
        addr,
        tls: tls.clone(),
    };
    let (addr, stream) = connect_first(runtime, &addrs, probe)
        .map_err(|(addr, kind)| unreachable(refusal(addr, kind, connect_timeout)))?;
    let speaks_h2 = match (scenario.http, origin.scheme) {
        (HttpVersion::Http2, _) => true,
        (HttpVersion::Auto, Scheme::Https) => Endpoint::negotiated_h2(&stream),
        _ => false,
    };
    if scenario.http == HttpVersion::Http2
        && origin.scheme == Scheme::Https
        && !Endpoint::negotiated_h2(&stream)
    {
        return Err(unreachable(
            "the server did not negotiate HTTP/2 (ALPN h2); use http = \"auto\" or \"1.1\"".into(),
        ));
    }
    drop(stream);
    let endpoint = Endpoint {
        origin: origin.clone(),
        addr,
        tls,
        connect_timeout: requests_connect_timeout(scenario, connect_timeout),
    };
    Ok((endpoint, speaks_h2))
}

/// The origin's addresses, within the connect timeout.
fn resolve_origin(
    runtime: &tokio::runtime::Runtime,
    origin: &Origin,
    connect_timeout: Duration,
) -> Result<Vec<SocketAddr>, String> {
    let addrs: Vec<SocketAddr> = runtime
        .block_on(async {
            tokio::time::timeout(
                connect_timeout,
                tokio::net::lookup_host((origin.host.as_str(), origin.port)),
            )
            .await
        })
        .map_err(|_| format!("resolving `{}` timed out", origin.host))?
        .map_err(|e| format!("cannot resolve `{}`: {e}", origin.host))?
        .collect();
    if addrs.is_empty() {
        return Err(format!("`{}` has no address", origin.host));
    }
    Ok(addrs)
}

/// The connect timeout of the run's own connections: the probe's, raised towards the
/// shortest request timeout but not past ten seconds.
fn requests_connect_timeout(scenario: &Scenario, connect_timeout: Duration) -> Duration {
    scenario
        .requests
        .iter()
        .map(|r| r.timeout)
        .min()
        .unwrap_or(connect_timeout)
        .min(Duration::from_secs(10))
        .max(connect_timeout)
}

/// The first of `addrs` that answers (`localhost` may resolve to ::1 and 127.0.0.1), or the
/// last failure.
fn connect_first(
    runtime: &tokio::runtime::Runtime,
    addrs: &[SocketAddr],
    probe: impl Fn(SocketAddr) -> Endpoint,
) -> Result<(SocketAddr, Stream), (SocketAddr, ErrorKind)> {
    let mut failure = None;
    for addr in addrs {
        match runtime.block_on(probe(*addr).connect()) {
            Ok((stream, _)) => return Ok((*addr, stream)),
            Err(kind) => failure = Some((*addr, kind)),
        }
    }
    Err(failure.unwrap_or((addrs[0], ErrorKind::ConnectError)))
}

/// Why no address of an origin answered, and what to do about it.
fn refusal(addr: SocketAddr, kind: ErrorKind, connect_timeout: Duration) -> String {
    match kind {
        ErrorKind::ConnectRefused => format!("connection to {addr} refused: is the target running?"),
        ErrorKind::ConnectTimeout => format!("no answer from {addr} within {:?}", connect_timeout),
        ErrorKind::Tls => "the TLS handshake failed: the certificate is not trusted (for a self-signed certificate, set `insecure = true` or pass --insecure)".into(),
        other => format!("cannot connect to {addr} ({})", other.name()),
    }
}

/// CPU time (user + system, ns) and peak RSS (bytes) of this process so far.
#[allow(unsafe_code)]
fn resource_usage() -> (u64, u64) {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a full rusage into the pointer we pass; RUSAGE_SELF is valid.
    let usage = unsafe {
        if libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) != 0 {
            return (0, 0);
        }
        usage.assume_init()
    };
    let tv = |t: libc::timeval| t.tv_sec as u64 * 1_000_000_000 + t.tv_usec as u64 * 1_000;
    // ru_maxrss keeps the high-water mark of the process image rigor was exec'd from (a large
    // `cargo run`, say); VmHWM belongs to rigor's own address space.
    let peak = rigor_probe::peak_rss("self").unwrap_or(usage.ru_maxrss as u64 * 1024);
    (tv(usage.ru_utime) + tv(usage.ru_stime), peak)
}

pub(crate) fn empty_hist() -> Hist {
    new_hist()
}
