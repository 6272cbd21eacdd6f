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
    /// latency=uniform(10ms,30ms), latency=lognormal(MEDIAN,P99), errors=5%@503, cpu=1ms,
    /// leak=1KiB, body=1KiB. Unmatched paths answer 200 `ok`; /health and /stats are built in.
    /// Example: --route '/slow: latency=lognormal(20ms,200ms), errors=1%@503, cpu=200us'
    #[arg(long, value_name = "SPEC")]
    pub route: Vec<String>,

    /// Pause every response (but /health and /stats) for PAUSE at the start of each EVERY period,
    /// such as 200ms/5s.
    #[arg(long, value_name = "PAUSE/EVERY")]
    pub stall: Option<String>,

    /// Worker threads; 0 uses one per core.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
}

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
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("--host/--port: cannot listen on {addr}"))?;
        let bound = listener
            .local_addr()
            .context("cannot read the bound address")?;
        announce(w, bound)?;
        rigor_target::serve(listener, config, shutdown)
            .await
            .with_context(|| format!("the demo server on {bound} failed"))?;
        Ok(ExitCode::SUCCESS)
    })
}

/// Validates every flag before anything is bound; each error names its flag.
fn config_from(args: &TargetArgs) -> anyhow::Result<TargetConfig> {
    let routes = args
        .route
        .iter()
        .map(|spec| spec.parse::<Route>())
        .collect::<Result<Vec<_>, _>>()?;
    let stall = args.stall.as_deref().map(str::parse::<Stall>).transpose()?;
    if args.threads > MAX_THREADS {
        bail!(
            "--threads {}: expected at most {MAX_THREADS}, or 0 for one per core",
            args.threads
        );
    }
    Ok(TargetConfig {
        routes,
        stall,
        threads: args.threads,
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
