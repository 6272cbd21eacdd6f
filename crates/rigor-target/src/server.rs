//! The server: accepts connections, speaks HTTP/1.1 or h2c on each (hyper-util's auto builder
//! tells them apart by the HTTP/2 preface), and answers every request as its route says.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE, SERVER};
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinSet;

use crate::behaviour::{burn_cpu, touched_block};
use crate::metrics::{valid_gauge_name, Metrics};
use crate::spec::stall_remaining;
use crate::{Behaviour, Route, Stall, TargetConfig};

/// How long requests still in flight at shutdown get to finish before they are dropped.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);
/// Pause after a failed accept (out of file descriptors, say) instead of spinning on it.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(10);
/// The listen backlog; the kernel's usual 128 overflows when a load test opens many connections.
const LISTEN_BACKLOG: u32 = 1024;
const OK_BODY: &[u8] = b"ok\n";
const ERROR_BODY: &[u8] = b"injected error\n";

/// Serves `listener` until `shutdown` completes, then lets requests in flight finish (for up to
/// two seconds) and returns. Runs on the caller's runtime; `config.threads` is not used here.
pub async fn serve(
    listener: TcpListener,
    config: TargetConfig,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let state = Arc::new(State::new(config));
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new());
    builder.http2().timer(TokioTimer::new());
    let (stop_connections, stop_signal) = watch::channel(());
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(_) => {
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
        };
        while connections.try_join_next().is_some() {}
        // Latency is what this server is about; Nagle's delay would add to every response.
        let _ = stream.set_nodelay(true);
        connections.spawn(serve_connection(
            builder.clone(),
            stream,
            Arc::clone(&state),
            stop_signal.clone(),
        ));
    }
    drop(listener);
    let _ = stop_connections.send(());
    let drained = async { while connections.join_next().await.is_some() {} };
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, drained).await;
    Ok(())
}

async fn serve_connection(
    builder: auto::Builder<TokioExecutor>,
    stream: TcpStream,
    state: Arc<State>,
    mut stop: watch::Receiver<()>,
) {
    let service = service_fn(move |request| handle(Arc::clone(&state), request));
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => {}
        _ = stop.changed() => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}

/// Starts the server on its own thread with its own multi-thread tokio runtime; for tests and
/// for `rigor demo`. Binding happens before this returns, so `addr` (port 0 or not) is final.
pub fn spawn(addr: SocketAddr, config: TargetConfig) -> io::Result<RunningTarget> {
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    runtime.enable_all().thread_name("rigor-target-worker");
    if config.threads > 0 {
        runtime.worker_threads(config.threads);
    }
    let runtime = runtime.build()?;
    let listener = {
        let _context = runtime.enter();
        bind(addr, false)?
    };
    let addr = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("rigor-target".to_string())
        .spawn(move || {
            let shutdown = async {
                // A dropped sender means the same as a sent stop.
                let _ = stopped.await;
            };
            runtime.block_on(serve(listener, config, shutdown))
        })?;
    Ok(RunningTarget {
        addr,
        stop: Some(stop),
        thread: Some(thread),
    })
}

/// Binds like `TcpListener::bind` but with a backlog sized for load tests, and with
/// SO_REUSEPORT when worker processes share the port. Call it within a tokio runtime.
pub fn bind(addr: SocketAddr, reuse_port: bool) -> io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    #[cfg(unix)]
    if reuse_port {
        socket.set_reuseport(true)?;
    }
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// A server started by [`spawn`]; dropping it stops the server and waits for its thread.
#[derive(Debug)]
pub struct RunningTarget {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<io::Result<()>>>,
}

impl RunningTarget {
    /// The address the server listens on, with the port the kernel chose for port 0.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR/path` for this server.
    pub fn url(&self, path: &str) -> String {
        let slash = if path.starts_with('/') { "" } else { "/" };
        format!("http://{}{slash}{path}", self.addr)
    }

    /// Stops the server like dropping it does, but reports how its thread ended.
    pub fn stop(mut self) -> io::Result<()> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take() {
            Some(thread) => thread
                .join()
                .map_err(|_| io::Error::other("the rigor-target server thread panicked"))?,
            None => Ok(()),
        }
    }
}

impl Drop for RunningTarget {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

/// What every connection shares: the routes with their bodies built once, and the counters.
struct State {
    routes: Vec<(Route, Bytes)>,
    default: Behaviour,
    stall: Option<Stall>,
    started: Instant,
    requests: AtomicU64,
    errors: AtomicU64,
    leaked_bytes: AtomicU64,
    /// Kept per server rather than per process, so stopping a server gives its memory back.
    leaked: Mutex<Vec<Vec<u8>>>,
    /// Each route's limit on requests served at once (`concurrency=N`), by route index.
    limits: Vec<Option<Limit>>,
    metrics: Metrics,
    flow: crate::flow::Flow,
}

/// A route's `concurrency=N`: a fair semaphore (tokio's wakes waiters in order), and the most
/// requests seen in service and waiting at once, for `/stats`.
struct Limit {
    permits: tokio::sync::Semaphore,
    waiting: AtomicU64,
    most_waiting: AtomicU64,
    in_service: AtomicU64,
    most_in_service: AtomicU64,
}

impl Limit {
    fn new(n: u32) -> Limit {
        Limit {
            permits: tokio::sync::Semaphore::new(n as usize),
            waiting: AtomicU64::new(0),
            most_waiting: AtomicU64::new(0),
            in_service: AtomicU64::new(0),
            most_in_service: AtomicU64::new(0),
        }
    }
}

/// `text` as a JSON string (a route's path: printable, but `"` and `\` are possible).
fn json_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Who answers a request path.
enum Answer<'a> {
    Health,
    Stats,
    Metrics,
    /// `PUT /gauges/NAME`.
    SetGauge(&'a str),
    /// The route's index among the metrics' routes, its behaviour and body.
    Route(usize, &'a Behaviour, &'a Bytes),
    /// A step of the stateful flow, timed as the route matching its path (or the default) says.
    Flow(crate::flow::Step<'a>),
    Default,
}

impl State {
    fn new(config: TargetConfig) -> State {
        let routes = config
            .routes
            .into_iter()
            .map(|route| {
                let body = body_of(route.behaviour.body_bytes);
                (route, body)
            })
            .collect::<Vec<(Route, Bytes)>>();
        let routes_limits = routes
            .iter()
            .map(|(r, _)| r.behaviour.concurrency.map(Limit::new))
            .collect();
        let metrics = Metrics::new(
            routes
                .iter()
                .map(|(r, _)| (r.path.clone(), r.behaviour.error_status)),
            config.gauges,
        );
        State {
            routes,
            metrics,
            default: Behaviour::default(),
            stall: config.stall,
            started: Instant::now(),
            requests: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            leaked_bytes: AtomicU64::new(0),
            leaked: Mutex::new(Vec::new()),
            limits: routes_limits,
            flow: crate::flow::Flow::new(),
        }
    }

    /// The first matching route wins; `/health`, `/stats`, `/metrics` and `PUT /gauges/NAME`
    /// give way only to a route naming them exactly, so a catch-all `/*` does not take down
    /// readiness checks or scrapes.
    fn answer<'p>(&'p self, method: &http::Method, path: &'p str) -> Answer<'p> {
        let builtin = match path {
            "/health" => Some(Answer::Health),
            "/stats" => Some(Answer::Stats),
            "/metrics" => Some(Answer::Metrics),
            _ => path
                .strip_prefix("/gauges/")
                .filter(|_| method == http::Method::PUT)
                .map(Answer::SetGauge),
        };
        if let Some(builtin) = builtin {
            if !self.routes.iter().any(|(route, _)| route.path == path) {
                return builtin;
            }
        }
        if let Some(step) = crate::flow::Step::of(method, path) {
            return Answer::Flow(step);
        }
        match self
            .routes
            .iter()
            .enumerate()
            .find(|(_, (route, _))| route.matches(path))
        {
            Some((i, (route, body))) => Answer::Route(i, &route.behaviour, body),
            None => Answer::Default,
        }
    }

    async fn respond(
        &self,
        route: usize,
        behaviour: &Behaviour,
        body: &Bytes,
    ) -> Response<Full<Bytes>> {
        let began = Instant::now();
        self.metrics.started();
        // A limited route: wait for a turn (the wait is part of the response's time).
        let limit = self.limits.get(route).and_then(Option::as_ref);
        let _permit = match limit {
            Some(l) => {
                let waiting = l.waiting.fetch_add(1, Ordering::Relaxed) + 1;
                l.most_waiting.fetch_max(waiting, Ordering::Relaxed);
                let permit = l.permits.acquire().await.ok();
                l.waiting.fetch_sub(1, Ordering::Relaxed);
                let serving = l.in_service.fetch_add(1, Ordering::Relaxed) + 1;
                l.most_in_service.fetch_max(serving, Ordering::Relaxed);
                permit
            }
            None => None,
        };
        let (response, failed) = self.work(behaviour, body).await;
        if let Some(l) = limit {
            l.in_service.fetch_sub(1, Ordering::Relaxed);
        }
        self.metrics.answered(route, began.elapsed(), failed);
        response
    }

    async fn work(&self, behaviour: &Behaviour, body: &Bytes) -> (Response<Full<Bytes>>, bool) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        burn_cpu(behaviour.cpu);
        if behaviour.leak > 0 {
            let block = touched_block(behaviour.leak);
            self.leaked
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .push(block);
            self.leaked_bytes
                .fetch_add(behaviour.leak, Ordering::Relaxed);
        }
        let (delay, failed) = {
            let mut rng = fastrand::Rng::new();
            let delay = behaviour.latency.sample(&mut rng);
            (delay, rng.f64() < behaviour.error_rate)
        };
        crate::clock::sleep(delay).await;
        if let Some(stall) = &self.stall {
            let since = self.started.elapsed();
            let remaining = stall_remaining(stall, since);
            if !remaining.is_zero() {
                let period = (since.as_nanos() / stall.every.as_nanos().max(1)) as u64;
                self.metrics.paused(period, stall.pause);
            }
            crate::clock::sleep(remaining).await;
        }
        if failed {
            self.errors.fetch_add(1, Ordering::Relaxed);
            let status = StatusCode::from_u16(behaviour.error_status)
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return (
                response(status, "text/plain", Bytes::from_static(ERROR_BODY)),
                true,
            );
        }
        (response(StatusCode::OK, "text/plain", body.clone()), false)
    }

    /// A step of the flow: the latency, CPU and injected errors of the route its path matches
    /// (or none), then the flow's own answer.
    async fn flow(
        &self,
        step: crate::flow::Step<'_>,
        path: &str,
        headers: &http::HeaderMap,
    ) -> Response<Full<Bytes>> {
        let (route, behaviour) = match self
            .routes
            .iter()
            .enumerate()
            .find(|(_, (route, _))| route.matches(path))
        {
            Some((i, (route, _))) => (i, &route.behaviour),
            None => (self.metrics.default_route(), &self.default),
        };
        let began = Instant::now();
        self.metrics.started();
        let (failed_response, failed) = self.work(behaviour, &Bytes::new()).await;
        let response = if failed {
            failed_response
        } else {
            let reply = self.flow.answer(step, headers);
            let mut r = response(reply.status, "application/json", Bytes::from(reply.body));
            for (name, value) in reply.headers {
                if let Ok(value) = HeaderValue::from_str(&value) {
                    r.headers_mut().append(name, value);
                }
            }
            r
        };
        // Counted as the route's injected failures only: the flow's own 401s and 404s are
        // in /stats, not under the route's error status.
        self.metrics.answered(route, began.elapsed(), failed);
        response
    }

    /// `PUT /gauges/NAME` with a number as its body sets gauge NAME.
    fn set_gauge(&self, name: &str, body: &[u8]) -> Response<Full<Bytes>> {
        let refuse =
            |why: String| response(StatusCode::BAD_REQUEST, "text/plain", Bytes::from(why));
        if !valid_gauge_name(name) {
            return refuse(format!("`{name}` is not a gauge name: letters, digits, `_` and `:`, not starting with a digit or rigor_target_\n"));
        }
        let text = String::from_utf8_lossy(body);
        match text.trim().parse::<f64>() {
            Ok(value) if value.is_finite() => {
                self.metrics.set_gauge(name, value);
                response(StatusCode::NO_CONTENT, "text/plain", Bytes::new())
            }
            _ => refuse(format!("the body `{}` is not a number\n", text.trim())),
        }
    }

    fn stats(&self) -> Response<Full<Bytes>> {
        let limited: Vec<String> = self
            .routes
            .iter()
            .zip(&self.limits)
            .filter_map(|((route, _), limit)| {
                let l = limit.as_ref()?;
                Some(format!(
                    "{{\"path\":{},\"concurrency\":{},\"most_in_service\":{},\"most_waiting\":{}}}",
                    json_string(&route.path),
                    route.behaviour.concurrency.unwrap_or_default(),
                    l.most_in_service.load(Ordering::Relaxed),
                    l.most_waiting.load(Ordering::Relaxed),
                ))
            })
            .collect();
        let json = format!(
            "{{\"requests\":{},\"errors\":{},\"leaked_bytes\":{},\"uptime_ms\":{},\"flow\":{},\"limited\":[{}]}}\n",
            self.requests.load(Ordering::Relaxed),
            self.errors.load(Ordering::Relaxed),
            self.leaked_bytes.load(Ordering::Relaxed),
            self.started.elapsed().as_millis(),
            self.flow.stats_json(),
            limited.join(","),
        );
        response(StatusCode::OK, "application/json", Bytes::from(json))
    }
}

async fn handle(
    state: Arc<State>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = request.uri().path().to_string();
    let method = request.method().clone();
    // Only the flow reads a request's headers (its token, its cookie).
    let headers = if path.starts_with("/flow/") {
        request.headers().clone()
    } else {
        http::HeaderMap::new()
    };
    // Read the request body to its end so an HTTP/1 connection stays reusable after a POST;
    // only a gauge's (a number) is kept.
    let mut incoming = request.into_body();
    let mut kept = Vec::new();
    while let Some(frame) = incoming.frame().await {
        match frame {
            Ok(frame) => {
                if let Some(data) = frame.data_ref() {
                    if kept.len() < 64 {
                        kept.extend_from_slice(&data[..data.len().min(64 - kept.len())]);
                    }
                }
            }
            Err(_) => break,
        }
    }
    Ok(match state.answer(&method, &path) {
        Answer::Health => response(StatusCode::OK, "text/plain", Bytes::from_static(OK_BODY)),
        Answer::Stats => state.stats(),
        Answer::Metrics => response(
            StatusCode::OK,
            "text/plain; version=0.0.4; charset=utf-8",
            Bytes::from(state.metrics.render(
                state.leaked_bytes.load(Ordering::Relaxed),
                state.started.elapsed(),
            )),
        ),
        Answer::SetGauge(name) => state.set_gauge(name, &kept),
        Answer::Route(i, behaviour, body) => state.respond(i, behaviour, body).await,
        Answer::Flow(step) => state.flow(step, &path, &headers).await,
        Answer::Default => {
            let body = Bytes::from_static(OK_BODY);
            state
                .respond(state.metrics.default_route(), &state.default, &body)
                .await
        }
    })
}

fn response(status: StatusCode, content_type: &'static str, body: Bytes) -> Response<Full<Bytes>> {
    let length = body.len();
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CONTENT_LENGTH, HeaderValue::from(length));
    headers.insert(SERVER, HeaderValue::from_static("rigor-target"));
    response
}

/// A body of exactly `size` bytes: lines of `x` ending in a newline; `ok\n` when unset.
fn body_of(size: Option<u64>) -> Bytes {
    let Some(size) = size else {
        return Bytes::from_static(OK_BODY);
    };
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    let body: Vec<u8> = (0..size)
        .map(|at| if at % 64 == 63 { b'\n' } else { b'x' })
        .collect();
    Bytes::from(body)
}
