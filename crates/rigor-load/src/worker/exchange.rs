//! One request on one connection: the keep-alive checks around it (an idle connection the
//! server closed is replaced, a request lost to the close race is sent once more), the attempt
//! within the request's timeout, and the verdict on its response. The worker's hot path.

use std::time::Instant;

use super::{open, Arrival, Conn, Shared, Worker};
use crate::conn::{http2_exchange, Captured, Keep, Response};
use crate::journey::{CompiledStep, Walk};
use crate::recorder::ErrorKind;
use crate::template::Fill;
use rigor_model::plan::CheckSpec;

/// A journey's step on its way: what fills in its templates and what takes values from its
/// response.
pub(super) struct StepSend<'a> {
    pub step: &'a CompiledStep,
    pub walk: &'a mut Walk,
    /// The send's number within the run, for its own `traceparent`.
    pub trace: u64,
}

/// How an exchange went.
#[derive(Debug, Clone, Copy)]
pub(super) struct Sent {
    /// Whether the connection can carry the next request.
    pub reusable: bool,
    /// Whether the request succeeded (and, for a step, its values were taken).
    pub ok: bool,
    /// When its answer (or failure) came: the next step's think time runs from here.
    pub done: Instant,
}

/// Performs one request and records it; returns whether the connection can be reused.
///
/// An HTTP/1.1 connection that the server closed while it sat idle is replaced before the
/// request goes out, and a request lost to the keep-alive race (the server closed the
/// connection as the request was on its way: not one byte came back) is sent once more on a
/// new connection when its method is idempotent, and counted as retried. Its latency from
/// intended start includes both attempts.
pub(super) async fn exchange(
    worker: &Worker,
    conn: &mut Conn,
    arrival: Arrival,
    mut step: Option<StepSend<'_>>,
) -> Sent {
    let shared = &worker.shared;
    let index = arrival.request;
    let request = &shared.compiled.requests[index];
    if let Err(kind) = replace_if_closed(worker, conn, request.origin, arrival.phase, index).await {
        worker.complete(arrival.phase, index, None, None, None, Some(kind));
        return Sent {
            reusable: false,
            ok: false,
            done: Instant::now(),
        };
    }
    // Only a journey's step carries cookies (and only when its journey keeps them).
    let cookie = step
        .as_ref()
        .filter(|_| shared.compiled.journey.as_ref().is_some_and(|j| j.cookies))
        .and_then(|s| s.walk.jar.header(request.origin));
    let keep = step.as_ref().map_or(Keep::NOTHING, |s| s.step.keep);
    let mut h2_captured = Captured::default();
    let sent_at = Instant::now();
    worker.recorder.borrow_mut().sent(
        arrival.phase,
        index,
        nanos_between(arrival.intended, sent_at),
    );
    let vars = step.as_ref().map_or(&[][..], |s| &s.walk.vars[..]);
    let fill = Fill {
        seq: arrival.seq,
        trace: step.as_ref().map_or(arrival.seq, |s| s.trace),
        data: &shared.compiled.data,
        vars,
        cookie: cookie.as_deref(),
    };
    let trace = fill.trace;
    let mut outcome = attempt(shared, conn, request, &fill, (keep, &mut h2_captured)).await;
    // The send its TTFB is measured from: the retry's own, after the lost attempt and the
    // new connection (whose connect and TLS are stages of their own).
    let mut attempt_sent = sent_at;
    if request.idempotent && lost_to_close_race(conn, &outcome) {
        outcome = match open(worker, request.origin, arrival.phase, index).await {
            Ok(fresh) => {
                *conn = fresh;
                worker.recorder.borrow_mut().retried(arrival.phase, index);
                attempt_sent = Instant::now();
                attempt(shared, conn, request, &fill, (keep, &mut h2_captured)).await
            }
            Err(kind) => Ok(Err(kind)),
        };
    }
    let done = Instant::now();
    if let Conn::H1(h1) = conn {
        h1.idle_since = done;
    }
    let corrected = nanos_between(arrival.intended, done);
    let raw = nanos_between(sent_at, done);
    let first_byte = match &outcome {
        Ok(Ok(response)) => Some((response.sent.unwrap_or(attempt_sent), response.first_byte)),
        _ => None,
    };
    let (status, mut error) = judge_response(&request.check, outcome);
    let mut failure = None;
    if let (Some(step), Some(code), None, Some(journey)) = (
        step.as_mut(),
        status,
        error,
        shared.compiled.journey.as_ref(),
    ) {
        let captured = match conn {
            Conn::H1(h1) => &h1.captured,
            Conn::H2(_) => &h2_captured,
        };
        if let Err(why) = step
            .walk
            .take((journey, step.step), request.origin, code, captured)
        {
            error = Some(ErrorKind::Extract);
            failure = Some(why);
        }
    }
    let mut recorder = worker.recorder.borrow_mut();
    if let Some(why) = failure {
        recorder.step_failed(index, why);
    }
    recorder.answered(
        arrival.phase,
        index,
        (trace, nanos_between(shared.start, arrival.intended)),
        corrected,
        raw,
        status,
        error,
    );
    // The stages are of the responses that succeeded, as the latency is.
    if let (Some((sent, first_byte)), None) = (first_byte, error) {
        let ttfb = nanos_between(sent, first_byte);
        let transfer = nanos_between(first_byte, done);
        recorder.response_stages(arrival.phase, index, ttfb, transfer);
    }
    drop(recorder);
    worker.mark_completion(arrival.phase);
    // Only a connection that got a response is worth reusing: one that timed out or failed
    // mid-exchange is in an unknown state.
    Sent {
        reusable: status.is_some() && conn.reusable(),
        ok: error.is_none(),
        done,
    }
}

type Outcome = Result<Result<Response, ErrorKind>, tokio::time::error::Elapsed>;

/// One attempt at `request` on `conn`, within the request's timeout.
async fn attempt(
    shared: &Shared,
    conn: &mut Conn,
    request: &crate::template::CompiledRequest,
    fill: &Fill<'_>,
    (keep, h2_captured): (Keep, &mut Captured),
) -> Outcome {
    let needle = request.check.body_contains.as_deref().map(str::as_bytes);
    match conn {
        Conn::H1(h1) => {
            h1.keep(keep);
            // A constant request was rendered once, before the run: send those bytes as they
            // are; otherwise render into the connection's own buffer.
            let exchange = async {
                match &request.fixed {
                    Some(fixed) if request.sends_fixed() && fill.cookie.is_none() => {
                        h1.exchange(fixed, request.is_head, needle).await
                    }
                    _ => {
                        let tracer = shared.compiled.tracer.as_ref();
                        let render = |out: &mut Vec<u8>| request.render_http1(fill, tracer, out);
                        h1.exchange_rendered(render, request.is_head, needle).await
                    }
                }
            };
            tokio::time::timeout(request.timeout, exchange).await
        }
        Conn::H2(send) => {
            let origin = &shared.endpoints[request.origin].origin;
            match request.to_http(origin, fill, shared.compiled.tracer.as_ref()) {
                Ok(http_request) => {
                    tokio::time::timeout(
                        request.timeout,
                        http2_exchange(send, http_request, needle, (keep, h2_captured)),
                    )
                    .await
                }
                Err(_) => Ok(Err(ErrorKind::Protocol)),
            }
        }
    }
}

/// Replaces an idle HTTP/1.1 connection that the server has closed (keep-alive timeout) with a
/// new one, so that closing is never counted against the server.
async fn replace_if_closed(
    worker: &Worker,
    conn: &mut Conn,
    origin: usize,
    phase: usize,
    request: usize,
) -> Result<(), ErrorKind> {
    if let Conn::H1(h1) = conn {
        if h1.closed_while_idle() {
            worker.recorder.borrow_mut().connections_closed_idle += 1;
            *conn = open(worker, origin, phase, request).await?;
        }
    }
    Ok(())
}

/// Whether the attempt failed to the keep-alive race rather than to the server.
#[inline]
fn lost_to_close_race(conn: &Conn, outcome: &Outcome) -> bool {
    match (conn, outcome) {
        (Conn::H1(h1), Ok(Err(kind))) => h1.lost_to_close_race(*kind),
        _ => false,
    }
}

/// Nanoseconds from `earlier` to `later`, zero if the clock says `later` came first.
#[inline]
fn nanos_between(earlier: Instant, later: Instant) -> u64 {
    later.saturating_duration_since(earlier).as_nanos() as u64
}

/// The status a request got, if any, and its error: a timeout, a failed exchange, a status
/// outside the checked ones (2xx and 3xx by default) or a body without the checked text.
#[inline]
fn judge_response(
    check: &CheckSpec,
    outcome: Result<Result<Response, ErrorKind>, tokio::time::error::Elapsed>,
) -> (Option<u16>, Option<ErrorKind>) {
    match outcome {
        Err(_elapsed) => (None, Some(ErrorKind::Timeout)),
        Ok(Err(kind)) => (None, Some(kind)),
        Ok(Ok(Response {
            status, body_ok, ..
        })) => {
            let status_ok = if check.status.is_empty() {
                (200..400).contains(&status)
            } else {
                check.status.contains(&status)
            };
            let error = if !status_ok {
                Some(ErrorKind::Status(status))
            } else if !body_ok {
                Some(ErrorKind::CheckBody)
            } else {
                None
            };
            (Some(status), error)
        }
    }
}

impl Conn {
    /// Whether the next request may go over this connection.
    #[inline]
    fn reusable(&self) -> bool {
        match self {
            Conn::H1(h1) => h1.reusable,
            Conn::H2(send) => !send.is_closed(),
        }
    }
}
