//! Walking a journey: one virtual user's steps in order, each sent when the step before it
//! has answered and its think time has passed, each step's latency from that intended start.
//!
//! In the open model each arrival starts a walk that borrows a connection from the worker's
//! pool for each step and gives it back after, so a user thinking holds no connection; in the
//! closed model a user walks on its own connections, journey after journey. A step that
//! fails (no connection, an error status, a failed check, a value it could not take) ends
//! the walk and is counted with that step, so no later step is ever sent with a value
//! missing.

use std::rc::Rc;
use std::time::Instant;

use super::exchange::{exchange, StepSend};
use super::{open, Arrival, Conn, Worker, BACKLOG_LIMIT};
use crate::journey::Walk;
use crate::recorder::ErrorKind;
use crate::StopState;

/// Where a walk's connections come from.
pub(super) enum Conns<'a> {
    /// The worker's pools (open model): borrowed for a step, given back after it.
    Pool,
    /// A closed-model user's own, one per origin.
    Own(&'a mut Vec<Option<Conn>>),
}

/// One open-model arrival's walk, as a task of its own.
pub(super) async fn walk_open(worker: Rc<Worker>, arrival: Arrival) {
    walk(&worker, arrival, Conns::Pool).await;
    worker.in_flight.set(worker.in_flight.get() - 1);
    if worker.in_flight.get() == 0 {
        worker.idle_notify.notify_waiters();
    }
}

/// How a walk ended, for a closed-model user deciding what to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Walked {
    Completed,
    /// A step failed with a response, or a timeout or reset: the target is there.
    Failed,
    /// A step could not get a connection: the target may be down, so a user pauses before
    /// walking again rather than hammering it.
    NoConnection,
    /// The run was stopped mid-walk.
    Stopped,
}

/// Walks the journey once from `arrival` (its intended start is the first step's).
pub(super) async fn walk(worker: &Worker, arrival: Arrival, mut conns: Conns<'_>) -> Walked {
    let shared = &worker.shared;
    let Some(journey) = shared.compiled.journey.as_ref() else {
        return Walked::Stopped;
    };
    let phase = arrival.phase;
    worker.recorder.borrow_mut().journey_started(phase);
    let mut walk = Walk::new(journey.slots);
    let mut intended = arrival.intended;
    let mut last_answer = intended;
    let sends = journey.sends();
    let mut sent: u64 = 0;
    let open_model = matches!(conns, Conns::Pool);
    for (index, step) in journey.steps.iter().enumerate() {
        for _ in 0..step.repeat {
            if shared.stop.state() != StopState::Running {
                // Stopped mid-walk: neither completed nor failed (counted as unfinished).
                return Walked::Stopped;
            }
            let now = Instant::now();
            if intended > now {
                worker.wakes.sleep_until(intended).await;
                // The wake's own lag is the generator's, and judged with its other delays.
                crate::recorder::record(
                    &mut worker.timer_lag.borrow_mut(),
                    Instant::now()
                        .saturating_duration_since(intended)
                        .as_nanos() as u64,
                );
                if shared.stop.state() != StopState::Running {
                    return Walked::Stopped;
                }
            }
            if !open_model {
                // A closed-model user is its own schedule: its step starts when it wakes.
                intended = intended.max(Instant::now());
            }
            let origin = shared.compiled.requests[index].origin;
            let conn = match &mut conns {
                Conns::Pool => acquire(worker, origin, phase, index).await,
                Conns::Own(own) => match own[origin].take() {
                    Some(c) => Ok(c),
                    None => open(worker, origin, phase, index).await,
                },
            };
            let mut conn = match conn {
                // Stopped while it waited for a connection: the step is not sent.
                Ok(c) if shared.stop.state() != StopState::Running => {
                    match &mut conns {
                        Conns::Pool => release(worker, origin, Some(c)),
                        Conns::Own(own) => own[origin] = Some(c),
                    }
                    return Walked::Stopped;
                }
                Ok(c) => c,
                Err(kind) => {
                    worker.complete(phase, index, None, None, None, Some(kind));
                    worker
                        .recorder
                        .borrow_mut()
                        .journey_ended(phase, Err(index));
                    return Walked::NoConnection;
                }
            };
            let step_arrival = Arrival {
                seq: arrival.seq,
                phase,
                intended,
                request: index,
            };
            let send = StepSend {
                step,
                walk: &mut walk,
                trace: arrival.seq.saturating_mul(sends).saturating_add(sent),
            };
            let outcome = exchange(worker, &mut conn, step_arrival, Some(send)).await;
            sent += 1;
            let kept = outcome.reusable.then_some(conn);
            match &mut conns {
                Conns::Pool => release(worker, origin, kept),
                Conns::Own(own) => own[origin] = kept,
            }
            if !outcome.ok {
                worker
                    .recorder
                    .borrow_mut()
                    .journey_ended(phase, Err(index));
                return Walked::Failed;
            }
            last_answer = outcome.done;
            intended = last_answer + step.think;
        }
    }
    let duration = last_answer.saturating_duration_since(arrival.intended);
    worker
        .recorder
        .borrow_mut()
        .journey_ended(phase, Ok(duration.as_nanos() as u64));
    Walked::Completed
}

/// What a waiting step is given: a connection, or the room in the pool to open one. Moved
/// once per step that waited; boxing the connection would cost an allocation each time.
#[allow(clippy::large_enum_variant)]
pub(super) enum Grant {
    Conn(Conn),
    Room,
}

/// A connection to `origin` from the pool: an idle one, a new one while the pool has room, or
/// else the first one given back to the steps waiting, in the order they came. A step that
/// waits is counted late; one that would wait behind [`BACKLOG_LIMIT`] others is dropped.
async fn acquire(
    worker: &Worker,
    origin: usize,
    phase: usize,
    request: usize,
) -> Result<Conn, ErrorKind> {
    let pool = &worker.pools[origin];
    // Steps already waiting come first: a newcomer takes nothing from under them (and while
    // they wait no connection is idle, as one given back goes to them).
    let mut room = false;
    if pool.waiters.borrow().is_empty() {
        if let Some(conn) = pool.idle.borrow_mut().pop() {
            return Ok(conn);
        }
        if pool.open.get() < pool.max {
            pool.open.set(pool.open.get() + 1);
            room = true;
        }
    }
    if !room {
        if pool.waiters.borrow().len() >= BACKLOG_LIMIT {
            worker.recorder.borrow_mut().dropped += 1;
            return Err(ErrorKind::Dropped);
        }
        worker.recorder.borrow_mut().late += 1;
        let (tx, rx) = tokio::sync::oneshot::channel();
        pool.waiters.borrow_mut().push_back(tx);
        match rx.await {
            Ok(Grant::Conn(conn)) => return Ok(conn),
            // The room is counted in `open` for this step already.
            Ok(Grant::Room) => {}
            Err(_) => return Err(ErrorKind::Dropped),
        }
    }
    match open(worker, origin, phase, request).await {
        Ok(conn) => Ok(conn),
        Err(kind) => {
            hand(pool, Grant::Room);
            Err(kind)
        }
    }
}

/// Gives a step's connection back (or, when it cannot be reused, its room in the pool).
fn release(worker: &Worker, origin: usize, conn: Option<Conn>) {
    let pool = &worker.pools[origin];
    hand(
        pool,
        match conn {
            Some(conn) => Grant::Conn(conn),
            None => Grant::Room,
        },
    );
}

/// Hands `grant` to the first step still waiting (one whose walk ended meanwhile is passed
/// over), or back to the pool when none is.
fn hand(pool: &super::Pool, mut grant: Grant) {
    loop {
        let Some(waiter) = pool.waiters.borrow_mut().pop_front() else {
            break;
        };
        match waiter.send(grant) {
            Ok(()) => return,
            Err(back) => grant = back,
        }
    }
    match grant {
        Grant::Conn(conn) => pool.idle.borrow_mut().push(conn),
        Grant::Room => pool.open.set(pool.open.get().saturating_sub(1)),
    }
}
