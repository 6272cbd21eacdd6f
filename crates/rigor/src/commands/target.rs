//! `rigor target`: the built-in demo HTTP server, so rigor can be tried (and tested) without a
//! service of one's own. The server itself lives in `rigor-target`; this file turns flags into
//! its config, binds, announces the address and serves until Ctrl-C or SIGTERM.

use std::future::Future;

use std::net::{SocketAddr, ToSocketAddrs};
use std::process::ExitCode;

use anyhow::{bail, Context};
use rigor_target::{Route, Stall, TargetConfig};

/// More worker threads than this is a typo, not a tuning choice.
const MAX_THREADS: usize = 1024;

/// Serve a demo HTTP server with configurable latency, errors, CPU work, leaks and stalls.
#[derive(clap::Args, Debug)]
pub struct TargetArgs {
    /// Port to listen on; 0 picks a free one (the line printed at start names it).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,

    /// Address to listen on (0.0.0.0 for every interface).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,

    /// A route, `PATH: key=value, ...`; repeat for more, the first match wins.
    ///
    /// PATH ending in `*` matches a prefix (`/products/*`). Keys: latency=20ms (or fixed(20ms)),
    /// latency=uniform(10ms,30ms), latency=lognormal(MEDIAN,P99), errors=5%@503, cpu=1ms
    /// (CPU time each request burns: longer on shared cores, as a CPU-bound service's), leak=1KiB, body=1KiB, concurrency=4 (at most 4 served at once, the rest queue: the
    /// route's throughput is capped at 4 over its latency, whatever the machine). Unmatched paths answer 200 `ok`; /health, /stats and /metrics (Prometheus) are built in, and
    /// `PUT /gauges/NAME` with a number sets a gauge /metrics shows. A stateful flow for
    /// journeys is built in too: `POST /flow/login` gives a token (and a session cookie),
    /// `POST /flow/orders` with `Authorization: Bearer TOKEN` creates an order and gives its id,
    /// `GET /flow/orders/ID` reads it back with the same token, `GET /flow/me` needs the cookie;
    /// a route on a /flow path sets its latency, CPU and errors.
    /// Example: --route '/slow: latency=lognormal(20ms,200ms), errors=1%@503, cpu=200us'
    #[arg(long, value_name = "SPEC")]
    pub route: Vec<String>,

    /// Pause every response (but /health and /stats) for PAUSE at the start of each EVERY period,
    /// such as 200ms/5s.
    #[arg(long, value_name = "PAUSE/EVERY")]
    pub stall: Option<String>,

    /// A gauge /metrics shows, NAME=VALUE from the start or NAME=VALUE@AFTER from AFTER past
    /// it (`kafka_consumer_lag=6000@2s`); repeatable, the latest step that has begun wins.
    #[arg(long, value_name = "NAME=VALUE[@AFTER]")]
    pub gauge: Vec<String>,

    /// Worker threads; 0 uses one per core.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,

    /// Start N worker processes beside this one, all serving the same port (SO_REUSEPORT), as a
    /// pre-fork server does; they stop with it. Each has --threads threads.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub workers: usize,

    /// Exit with status 3 after this long (a service that dies mid-run, for trying how a run
    /// reports it), saying so on stderr first.
    #[arg(long, value_name = "DURATION", value_parser = crate::flags::run_length)]
    pub exit_after: Option<rigor_model::units::HumanDuration>,

    /// Bind with SO_REUSEPORT (set on the workers that --workers starts).
    #[arg(long, hide = true)]
    pub reuse_port: bool,
}

/// More worker processes than this is a typo.
const MAX_WORKERS: usize = 256;

/// Runs the server until Ctrl-C or SIGTERM, then returns success.
pub fn run(args: &TargetArgs, w: &mut rigor_report::Writer) -> anyhow::Result<ExitCode> {
    let config = config_from(args)?;
    let addr = listen_addr(args)?;
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    runtime.enable_all();
    if config.threads > 0 {
        runtime.worker_threads(config.threads);
    }
    let runtime = runtime
        .build()
        .context("cannot start the server's runtime")?;
    runtime.block_on(async {
        // Handlers go in before the address is announced, so a signal sent the moment a
        // caller learns the port stops the server cleanly instead of killing it.
        let shutdown = shutdown_signal()?;
        let listener = rigor_target::bind(addr, args.reuse_port || args.workers > 0)
            .with_context(|| format!("--host/--port: cannot listen on {addr}"))?;
        let bound = listener
            .local_addr()
            .context("cannot read the bound address")?;
        // Started once the port is known, so every worker binds the same one.
        let _workers = Workers::start(args, bound)?;
        announce(w, bound)?;
        let exit_after = args.exit_after.map(|d| d.0);
        let (expired, shutdown) = with_deadline(shutdown, exit_after);
        rigor_target::serve(listener, config, shutdown)
            .await
            .with_context(|| format!("the demo server on {bound} failed"))?;
        if expired.load(std::sync::atomic::Ordering::Acquire) {
            w.note(format_args!(
                "rigor target: exiting with status 3 after {} as --exit-after asked",
                rigor_model::units::format_duration(exit_after.unwrap_or_default())
            ));
            return Ok(ExitCode::from(3));
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// `shutdown`, or the deadline if there is one first; the flag says which ended it.
fn with_deadline(
    shutdown: impl Future<Output = ()>,
    deadline: Option<std::time::Duration>,
) -> (
    std::sync::Arc<std::sync::atomic::AtomicBool>,
    impl Future<Output = ()>,
) {
    let expired = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = std::sync::Arc::clone(&expired);
    let future = async move {
        match deadline {
            Some(after) => tokio::select! {
                () = shutdown => {}
                () = tokio::time::sleep(after) => {
                    flag.store(true, std::sync::atomic::Ordering::Release);
                }
            },
            None => shutdown.await,
        }
    };
    (expired, future)
}

/// The worker processes of `--workers`: each this binary serving the same port; stopped
/// (SIGTERM) when dropped, and dying with this process should it be killed.
struct Workers(Vec<std::process::Child>);

impl Workers {
    fn start(args: &TargetArgs, bound: SocketAddr) -> anyhow::Result<Workers> {
        let exe = std::env::current_exe().context("cannot find this program to start workers")?;
        let mut children = Vec::new();
        for _ in 0..args.workers {
            let mut command = std::process::Command::new(&exe);
            command
                .arg("target")
                .arg("--reuse-port")
                .args(["--host", &bound.ip().to_string()])
                .args(["--port", &bound.port().to_string()])
                .args(["--threads", &args.threads.to_string()])
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null());
            for route in &args.route {
                command.args(["--route", route]);
            }
            if let Some(stall) = &args.stall {
                command.args(["--stall", stall]);
            }
            for gauge in &args.gauge {
                command.args(["--gauge", gauge]);
            }
            // A worker whose parent is gone stops as the parent would have (SIGTERM).
            rigor_probe::target::die_with_parent(&mut command, libc::SIGTERM);
            let child = command
                .spawn()
                .context("--workers: cannot start a worker process")?;
            children.push(child);
        }
        Ok(Workers(children))
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        for child in &mut self.0 {
            signal(child.id(), libc::SIGTERM);
        }
        for child in &mut self.0 {
            let _ = child.wait();
        }
    }
}

#[allow(unsafe_code)]
fn signal(pid: u32, signal: libc::c_int) {
    // SAFETY: kill(2) on our own child with a valid signal; at worst ESRCH.
    unsafe {
        libc::kill(pid as libc::pid_t, signal);
    }
}

/// Validates every flag before anything is bound; each error names its flag.
fn config_from(args: &TargetArgs) -> anyhow::Result<TargetConfig> {
    let routes = args
        .route
        .iter()
        .map(|spec| spec.parse::<Route>())
        .collect::<Result<Vec<_>, _>>()?;
    let stall = args.stall.as_deref().map(str::parse::<Stall>).transpose()?;
    if args.workers > MAX_WORKERS {
        bail!(
            "--workers {}: expected at most {MAX_WORKERS} worker processes",
            args.workers
        );
    }
    if args.threads > MAX_THREADS {
        bail!(
            "--threads {}: expected at most {MAX_THREADS}, or 0 for one per core",
            args.threads
        );
    }
    let gauges = args
        .gauge
        .iter()
        .map(|g| g.parse::<rigor_target::GaugeStep>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow::anyhow!(e))?;
    Ok(TargetConfig {
        routes,
        stall,
        threads: args.threads,
        gauges,
    })
}

fn listen_addr(args: &TargetArgs) -> anyhow::Result<SocketAddr> {
    let expected = "expected an IP address such as 127.0.0.1 or 0.0.0.0, or a host name";
    (args.host.as_str(), args.port)
        .to_socket_addrs()
        .with_context(|| format!("--host '{}': cannot resolve it: {expected}", args.host))?
        .next()
        .with_context(|| format!("--host '{}': it has no address: {expected}", args.host))
}

/// One line, flushed at once: callers that passed `--port 0` read it to learn the port.
fn announce(w: &mut rigor_report::Writer, bound: SocketAddr) -> anyhow::Result<()> {
    // A closed pipe means nobody is reading: keep serving (the writer's rule).
    w.line(format_args!("rigor target listening on http://{bound}"))
        .context("cannot write to stdout")
}

#[cfg(unix)]
fn shutdown_signal() -> anyhow::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot listen for Ctrl-C")?;
    let mut terminate = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}

#[cfg(not(unix))]
fn shutdown_signal() -> anyhow::Result<impl Future<Output = ()>> {
    Ok(async {
        if tokio::signal::ctrl_c().await.is_err() {
            // Without a handler there is nothing to wait for; serve until killed.
            std::future::pending::<()>().await;
        }
    })
}
