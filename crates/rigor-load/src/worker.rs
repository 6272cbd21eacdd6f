//! One worker thread: a current-thread tokio runtime running its share of the schedule.
//!
//! Thread `w` of `W` owns arrivals `w, w+W, w+2W, …` of each open-model phase, or virtual
//! users `w, w+W, …` of the closed model, with its own connections and its own [`Recorder`],
//! so the hot path takes no locks. Every second a ticker hands the finished window to the
//! collector; at the end the whole recorder goes back.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;
use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::conn::{http2_handshake, Endpoint, Http1, Http2};

mod exchange;
mod journey;
mod wakes;
use crate::recorder::{ErrorKind, Recorder, WindowPart};
use crate::schedule::{peak_concurrency, OpenSchedule, PhaseClock, Turn};
use crate::template::Compiled;
use crate::{StopHandle, StopState};
use exchange::exchange;
use rigor_model::metric::Stage;
use rigor_model::plan::{Model, Scenario};

/// Arrivals a worker may hold waiting for a connection before it drops them.
const BACKLOG_LIMIT: usize = 100_000;
/// Streams per HTTP/2 connection before another connection is opened.
const H2_STREAMS_PER_CONNECTION: u64 = 100;
/// How long a closed-model user pauses after failing to connect, so a dead target is not
/// hammered in a tight loop.
const CONNECT_RETRY_PAUSE: Duration = Duration::from_millis(10);

/// Read-only state shared by all workers.
pub struct Shared {
    pub scenario: Scenario,
    pub compiled: Compiled,
    pub endpoints: Vec<Endpoint>,
    /// Whether each origin speaks HTTP/2.
    pub h2: Vec<bool>,
    pub schedule: OpenSchedule,
    pub clock: PhaseClock,
    pub start: Instant,
    pub threads: usize,
    pub stop: StopHandle,
    pub closed_seq: std::sync::atomic::AtomicU64,
    /// How long to wait for in-flight requests after the schedule ends.
    pub drain: Duration,
}

pub enum WorkerMsg {
    /// The window for `second` (0-based from the start) of worker `worker`.
    Tick {
        worker: usize,
        second: u32,
        parts: Vec<(usize, WindowPart)>,
    },
    Done {
        worker: usize,
        result: Box<WorkerResult>,
    },
}

pub struct WorkerResult {
    pub recorder: Recorder,
    /// Per phase, when its last request completed, from the start.
    pub last_completion: Vec<Option<Duration>>,
    /// Scheduler wake-up lag (when the arrival was handed to a connection, minus when it was
    /// due): the generator's own delay, excluding waits for a free connection.
    pub timer_lag: crate::recorder::Hist,
    pub error: Option<String>,
}

enum Conn {
    H1(Http1),
    H2(Http2),
}

#[derive(Clone, Copy)]
struct Arrival {
    seq: u64,
    phase: usize,
    intended: Instant,
    /// Which request it sends (a journey's step, or the weight cycle's pick).
    request: usize,
}

/// Connections to one origin, owned by one worker.
struct Pool {
    idle: RefCell<Vec<Conn>>,
    /// Connections open or opening, idle or busy.
    open: Cell<u32>,
    max: u32,
    backlog: RefCell<VecDeque<Arrival>>,
    h2_conns: RefCell<Vec<Http2>>,
    h2_slots: Cell<u64>,
    /// Held while an HTTP/2 connection is being set up, so streams that arrive meanwhile
    /// share it instead of each opening their own.
    h2_opening: tokio::sync::Mutex<()>,
    /// Journeys' steps waiting for a connection, first come first served: a connection given
    /// back (or the room to open one) goes to the first of them.
    waiters: RefCell<VecDeque<tokio::sync::oneshot::Sender<journey::Grant>>>,
}

struct Worker {
    shared: Arc<Shared>,
    index: usize,
    recorder: RefCell<Recorder>,
    pools: Vec<Pool>,
    in_flight: Cell<usize>,
    idle_notify: tokio::sync::Notify,
    last_completion: RefCell<Vec<Option<Duration>>>,
    timer_lag: RefCell<crate::recorder::Hist>,
    /// Precise wake-ups for the think times of journeys' walks.
    wakes: wakes::Wakes,
}

/// Runs worker `index` to completion on the current thread.
pub fn run(shared: Arc<Shared>, index: usize, tx: Sender<WorkerMsg>) {
    let phases = shared.scenario.phases.len();
    let requests = shared.compiled.requests.len();
    // The connection cap is split exactly: worker i gets its share of max_connections (the
    // caller never starts more workers than connections).
    let threads = shared.threads as u32;
    let max = shared.scenario.max_connections;
    let per_worker_max = (max / threads + u32::from((index as u32) < max % threads)).max(1);
    let worker = Rc::new(Worker {
        index,
        recorder: RefCell::new(if shared.compiled.journey.is_some() {
            Recorder::new(phases, requests).with_journeys(phases)
        } else {
            Recorder::new(phases, requests)
        }),
        pools: shared
            .endpoints
            .iter()
            .map(|_| Pool {
                idle: RefCell::new(Vec::new()),
                open: Cell::new(0),
                max: per_worker_max,
                backlog: RefCell::new(VecDeque::new()),
                h2_conns: RefCell::new(Vec::new()),
                h2_slots: Cell::new(0),
                h2_opening: tokio::sync::Mutex::new(()),
                waiters: RefCell::new(VecDeque::new()),
            })
            .collect(),
        in_flight: Cell::new(0),
        idle_notify: tokio::sync::Notify::new(),
        last_completion: RefCell::new(vec![None; phases]),
        timer_lag: RefCell::new(crate::recorder::new_hist()),
        wakes: wakes::Wakes::new(),
        shared,
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    let error = match runtime {
        Err(e) => Some(format!("cannot start worker runtime: {e}")),
        Ok(runtime) => {
            let local = tokio::task::LocalSet::new();
            local.block_on(&runtime, main(worker.clone(), tx.clone()));
            None
        }
    };
    let last_second = worker.shared.start.elapsed().as_secs() as u32;
    let parts: Vec<_> = worker
        .recorder
        .borrow_mut()
        .take_window()
        .into_iter()
        .collect();
    let _ = tx.send(WorkerMsg::Tick {
        worker: index,
        second: last_second,
        parts,
    });
    let Ok(worker) = Rc::try_unwrap(worker) else {
        // Tasks still hold the worker only if the runtime could not drop them; report empty.
        let _ = tx.send(WorkerMsg::Done {
            worker: index,
            result: Box::new(WorkerResult {
                recorder: Recorder::new(phases, requests),
                last_completion: vec![None; phases],
                timer_lag: crate::recorder::new_hist(),
                error: Some("worker tasks outlived the run".into()),
            }),
        });
        return;
    };
    let _ = tx.send(WorkerMsg::Done {
        worker: index,
        result: Box::new(WorkerResult {
            recorder: worker.recorder.into_inner(),
            last_completion: worker.last_completion.into_inner(),
            timer_lag: worker.timer_lag.into_inner(),
            error,
        }),
    });
}

async fn main(worker: Rc<Worker>, tx: Sender<WorkerMsg>) {
    let ticker = tokio::task::spawn_local(ticker(worker.clone(), tx));
    let wakes = worker.shared.compiled.journey.is_some().then(|| {
        let worker = worker.clone();
        tokio::task::spawn_local(async move { worker.wakes.drive().await })
    });
    match worker.shared.scenario.model {
        Model::Open => open_schedule(&worker).await,
        Model::Closed => closed_users(&worker).await,
    }
    // The schedule is over (or stopped): let in-flight requests finish, within limits.
    let stop = &worker.shared.stop;
    let drain_deadline = match stop.state() {
        StopState::Running => Instant::now() + worker.shared.drain,
        _ => Instant::now() + worker.shared.scenario.grace,
    };
    while worker.in_flight.get() > 0 && stop.state() != StopState::Immediate {
        let notified = worker.idle_notify.notified();
        let remaining = drain_deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            break;
        }
        let wait = remaining.min(Duration::from_millis(50));
        let _ = tokio::time::timeout(wait, notified).await;
    }
    // Arrivals still waiting for a connection were never sent.
    let mut dropped = 0;
    for pool in &worker.pools {
        dropped += pool.backlog.borrow_mut().drain(..).count() as u64;
    }
    worker.recorder.borrow_mut().dropped += dropped;
    ticker.abort();
    if let Some(wakes) = wakes {
        wakes.abort();
    }
}

/// Hands over a window at every second boundary.
async fn ticker(worker: Rc<Worker>, tx: Sender<WorkerMsg>) {
    let start = tokio::time::Instant::from_std(worker.shared.start);
    let mut second: u32 = 0;
    loop {
        tokio::time::sleep_until(start + Duration::from_secs(u64::from(second) + 1)).await;
        let let_go = sweep_idle(&worker);
        worker.recorder.borrow_mut().connections_closed_idle += let_go;
        let parts: Vec<_> = worker
            .recorder
            .borrow_mut()
            .take_window()
            .into_iter()
            .collect();
        if tx
            .send(WorkerMsg::Tick {
                worker: worker.index,
                second,
                parts,
            })
            .is_err()
        {
            return;
        }
        second += 1;
    }
}

/// Lets go of idle HTTP/1.1 connections that the server has closed (they would sit in
/// CLOSE_WAIT, holding a descriptor and a buffer, until reused) or that no request has used for
/// [`IDLE_LIMIT`](crate::recorder::IDLE_LIMIT); returns how many.
fn sweep_idle(worker: &Worker) -> u64 {
    let now = Instant::now();
    let mut let_go = 0;
    for pool in &worker.pools {
        let mut idle = pool.idle.borrow_mut();
        let before = idle.len();
        idle.retain(|c| match c {
            Conn::H1(h1) => {
                !h1.closed_while_idle()
                    && now.saturating_duration_since(h1.idle_since) < crate::recorder::IDLE_LIMIT
            }
            Conn::H2(_) => true,
        });
        let gone = (before - idle.len()) as u32;
        pool.open.set(pool.open.get().saturating_sub(gone));
        let_go += u64::from(gone);
    }
    let_go
}

/// Sends this worker's share of the arrivals, each when it is due.
///
/// The waits use a `timerfd` on the worker's own event loop: tokio's timer has millisecond
/// granularity (up to a millisecond added to every intended-start latency), and a separate
/// timing thread costs two context switches per arrival. With a timerfd the worker thread
/// sleeps in its poller until the deadline, to within tens of microseconds, and arrivals that
/// are already due go out back to back.
async fn open_schedule(worker: &Rc<Worker>) {
    let shared = worker.shared.clone();
    let timer = crate::timer::PreciseTimer::new().ok();
    let threads = shared.threads as u64;
    let mut base = 0u64;
    let mut behind = 0u32;
    for (p, phase) in shared.schedule.phases.iter().enumerate() {
        let mut k = worker.index as u64;
        while k < phase.arrivals {
            let intended = shared.start + phase.offset + phase.due(k);
            loop {
                if shared.stop.state() != StopState::Running {
                    return;
                }
                let now = Instant::now();
                if intended <= now {
                    break;
                }
                behind = 0;
                // Wake at least every 50 ms so a stop request is noticed.
                let until = intended.min(now + Duration::from_millis(50));
                match &timer {
                    Some(t) if t.sleep_until(until).await.is_ok() => {}
                    _ => tokio::time::sleep_until(tokio::time::Instant::from_std(until)).await,
                }
            }
            let now = Instant::now();
            crate::recorder::record(
                &mut worker.timer_lag.borrow_mut(),
                now.saturating_duration_since(intended).as_nanos() as u64,
            );
            let seq = base + k;
            let arrival = Arrival {
                seq,
                phase: p,
                intended,
                request: shared.compiled.pick(seq),
            };
            if shared.compiled.journey.is_some() {
                worker.in_flight.set(worker.in_flight.get() + 1);
                tokio::task::spawn_local(journey::walk_open(worker.clone(), arrival));
            } else {
                dispatch(worker, arrival);
            }
            // Behind schedule: keep dispatching, but let the connections run now and then.
            behind += 1;
            if behind.is_multiple_of(64) {
                tokio::task::yield_now().await;
            }
            k += threads;
        }
        base += phase.arrivals;
    }
}

/// Sends an arrival on an idle connection, a new one, or queues it when all are busy.
fn dispatch(worker: &Rc<Worker>, arrival: Arrival) {
    let request = arrival.request;
    let origin = worker.shared.compiled.requests[request].origin;
    let pool = &worker.pools[origin];
    let conn = pool.idle.borrow_mut().pop();
    if conn.is_none() && pool.open.get() >= pool.max {
        let mut backlog = pool.backlog.borrow_mut();
        backlog.push_back(arrival);
        let mut recorder = worker.recorder.borrow_mut();
        recorder.late += 1;
        if backlog.len() > BACKLOG_LIMIT {
            backlog.pop_front();
            recorder.dropped += 1;
            recorder.completed(
                arrival.phase,
                request,
                None,
                None,
                None,
                Some(ErrorKind::Dropped),
            );
        }
        return;
    }
    if conn.is_none() {
        pool.open.set(pool.open.get() + 1);
    }
    worker.in_flight.set(worker.in_flight.get() + 1);
    tokio::task::spawn_local(serve(worker.clone(), origin, conn, arrival));
}

/// Serves `arrival`, then whatever queued behind it, on one connection.
async fn serve(worker: Rc<Worker>, origin: usize, mut conn: Option<Conn>, mut arrival: Arrival) {
    let pool = &worker.pools[origin];
    loop {
        if conn.is_none() {
            let request = arrival.request;
            match open(&worker, origin, arrival.phase, request).await {
                Ok(c) => conn = Some(c),
                Err(kind) => {
                    worker.complete(arrival.phase, request, None, None, None, Some(kind));
                }
            }
        }
        if let Some(c) = conn.as_mut() {
            if !exchange(&worker, c, arrival, None).await.reusable {
                conn = None;
            }
        }
        let next = if worker.shared.stop.state() == StopState::Running {
            pool.backlog.borrow_mut().pop_front()
        } else {
            None
        };
        match next {
            Some(a) => arrival = a,
            None => {
                match conn {
                    Some(c) => pool.idle.borrow_mut().push(c),
                    None => pool.open.set(pool.open.get().saturating_sub(1)),
                }
                worker.in_flight.set(worker.in_flight.get() - 1);
                if worker.in_flight.get() == 0 {
                    worker.idle_notify.notify_waiters();
                }
                return;
            }
        }
    }
}

/// Opens a connection (or an HTTP/2 stream slot) to `origin` for a request of `phase` ×
/// `request`, which is charged the connect and TLS time of a connection it had to open.
async fn open(
    worker: &Worker,
    origin: usize,
    phase: usize,
    request: usize,
) -> Result<Conn, ErrorKind> {
    let shared = &worker.shared;
    let endpoint = &shared.endpoints[origin];
    if shared.h2[origin] {
        let pool = &worker.pools[origin];
        let _opening = pool.h2_opening.lock().await;
        let slot = pool.h2_slots.get();
        pool.h2_slots.set(slot + 1);
        let index = (slot / H2_STREAMS_PER_CONNECTION) as usize;
        if let Some(send) = pool.h2_conns.borrow().get(index) {
            if !send.is_closed() {
                return Ok(Conn::H2(send.clone()));
            }
        }
        let stream = worker.connect(endpoint, phase, request).await?;
        if matches!(endpoint.origin.scheme, crate::template::Scheme::Https)
            && !Endpoint::negotiated_h2(&stream)
        {
            return Err(ErrorKind::Protocol);
        }
        let send = http2_handshake(stream).await?;
        let mut conns = pool.h2_conns.borrow_mut();
        if index < conns.len() {
            conns[index] = send.clone();
        } else {
            conns.push(send.clone());
        }
        return Ok(Conn::H2(send));
    }
    let stream = worker.connect(endpoint, phase, request).await?;
    Ok(Conn::H1(Http1::new(stream)))
}

impl Worker {
    /// Opens a connection to `endpoint`, counted, with its connect and TLS time recorded
    /// against the request of `phase` × `request` that needed it.
    async fn connect(
        &self,
        endpoint: &Endpoint,
        phase: usize,
        request: usize,
    ) -> Result<crate::conn::Stream, ErrorKind> {
        let (stream, opened) = endpoint.connect().await?;
        let mut recorder = self.recorder.borrow_mut();
        recorder.connections_opened += 1;
        recorder.stage(phase, request, Stage::Connect, opened.connect_ns);
        if let Some(tls) = opened.tls_ns {
            recorder.stage(phase, request, Stage::Tls, tls);
        }
        Ok(stream)
    }

    /// Records a request that failed before it was sent (no connection).
    fn complete(
        &self,
        phase: usize,
        request: usize,
        corrected: Option<u64>,
        raw: Option<u64>,
        status: Option<u16>,
        error: Option<ErrorKind>,
    ) {
        self.recorder
            .borrow_mut()
            .completed(phase, request, corrected, raw, status, error);
        self.mark_completion(phase);
    }

    fn mark_completion(&self, phase: usize) {
        if let Some(slot) = self.last_completion.borrow_mut().get_mut(phase) {
            *slot = Some(self.shared.start.elapsed());
        }
    }
}

async fn closed_users(worker: &Rc<Worker>) {
    let shared = &worker.shared;
    let peak = peak_concurrency(&shared.scenario.phases);
    let mut users = Vec::new();
    let mut user = worker.index as u32;
    while user < peak {
        worker.in_flight.set(worker.in_flight.get() + 1);
        users.push(tokio::task::spawn_local(virtual_user(worker.clone(), user)));
        user += shared.threads as u32;
    }
    drop(users);
    // Users leave when the schedule ends (a journey's user at the end of its walk, which the
    // drain bounds past the planned end); on an interrupt the caller applies the grace period.
    let planned: Option<Duration> = shared.scenario.phases.iter().map(|p| p.duration).sum();
    let deadline = planned.map(|p| shared.start + p + shared.drain);
    while worker.in_flight.get() > 0
        && shared.stop.state() == StopState::Running
        && deadline.is_none_or(|d| Instant::now() < d)
    {
        let notified = worker.idle_notify.notified();
        let _ = tokio::time::timeout(Duration::from_millis(50), notified).await;
    }
}

/// One closed-model user: send, wait for the response, think, repeat while its phase wants it.
async fn virtual_user(worker: Rc<Worker>, user: u32) {
    let shared = worker.shared.clone();
    let mut conns: Vec<Option<Conn>> = shared.endpoints.iter().map(|_| None).collect();
    loop {
        if shared.stop.state() != StopState::Running {
            break;
        }
        let now = Instant::now();
        match shared.clock.turn(
            &shared.scenario.phases,
            shared.scenario.request_limit,
            user,
            now,
        ) {
            Turn::Done => break,
            Turn::Wait(d) => tokio::time::sleep(d).await,
            Turn::Send(phase) => {
                let seq = shared
                    .closed_seq
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if shared.compiled.journey.is_some() {
                    let arrival = Arrival {
                        seq,
                        phase,
                        intended: now,
                        request: 0,
                    };
                    let walked =
                        journey::walk(&worker, arrival, journey::Conns::Own(&mut conns)).await;
                    if walked == journey::Walked::NoConnection {
                        tokio::time::sleep(CONNECT_RETRY_PAUSE).await;
                    }
                    // The last step's think time is the user's pause before it walks again.
                    let pause = shared
                        .compiled
                        .journey
                        .as_ref()
                        .and_then(|j| j.steps.last())
                        .map_or(shared.scenario.think_time, |s| s.think);
                    if !pause.is_zero() {
                        tokio::time::sleep(pause).await;
                    }
                    continue;
                }
                let request = shared.compiled.pick(seq);
                let origin = shared.compiled.requests[request].origin;
                let arrival = Arrival {
                    seq,
                    phase,
                    intended: now,
                    request,
                };
                if conns[origin].is_none() {
                    match open(&worker, origin, phase, request).await {
                        Ok(c) => conns[origin] = Some(c),
                        Err(kind) => {
                            worker.complete(phase, request, None, None, None, Some(kind));
                            tokio::time::sleep(CONNECT_RETRY_PAUSE).await;
                            continue;
                        }
                    }
                }
                if let Some(conn) = conns[origin].as_mut() {
                    if !exchange(&worker, conn, arrival, None).await.reusable {
                        conns[origin] = None;
                    }
                }
                if !shared.scenario.think_time.is_zero() {
                    tokio::time::sleep(shared.scenario.think_time).await;
                }
            }
        }
    }
    worker.in_flight.set(worker.in_flight.get() - 1);
    if worker.in_flight.get() == 0 {
        worker.idle_notify.notify_waiters();
    }
}
