//! `rigor load URL`: an ad-hoc load test, built from flags into the same scenario a plan
//! would give (so the same validation applies), then run, stored and judged.

use std::process::ExitCode;

use rigor_model::plan::{
    CheckSpec, HttpVersion, LoadLevel, PhaseKind, PhaseSpec, RequestSpec, ScenarioSpec,
};
use rigor_model::units::HumanDuration;
use rigor_model::Rate;
use rigor_recorder::LoadOptions;
use rigor_report::{Report, Writer};

use super::RecordArgs;
use crate::{data_format, exit, flags, record, store};

/// Flags of `rigor load`. Open model with --rate, closed model with --concurrency.
#[derive(clap::Args, Debug)]
pub struct LoadArgs {
    /// The URL to load, e.g. http://127.0.0.1:8080/products/{seq}
    pub url: String,

    /// Open model: requests arrive at this rate whatever the server does (500/s, 30000/m).
    #[arg(long, short = 'r', value_name = "RATE", conflicts_with = "concurrency", value_parser = flags::rate)]
    pub rate: Option<Rate>,

    /// Closed model: this many virtual users, each sending its next request when its last
    /// ends. Over HTTP/1.1 each user has a connection of its own; over HTTP/2 the users are
    /// streams sharing connections, up to 100 per connection [default: 10 when --rate is not
    /// given].
    #[arg(long, short = 'c', value_name = "N", value_parser = flags::connections)]
    pub concurrency: Option<u32>,

    /// How long to hold the load (after --ramp).
    #[arg(long, short = 'd', value_name = "DURATION", value_parser = flags::run_length)]
    pub duration: Option<HumanDuration>,

    /// Stop after this many requests.
    #[arg(long, short = 'n', value_name = "N", value_parser = flags::request_count)]
    pub requests: Option<u64>,

    /// Ramp up from zero over this long before holding the load.
    #[arg(long, value_name = "DURATION", value_parser = flags::run_length)]
    pub ramp: Option<HumanDuration>,

    /// HTTP method.
    #[arg(long, short = 'm', default_value = "GET")]
    pub method: String,

    /// A request header, `Name: value`; repeat for more.
    #[arg(long = "header", short = 'H', value_name = "NAME: VALUE")]
    pub headers: Vec<String>,

    /// Request body.
    #[arg(long, short = 'b')]
    pub body: Option<String>,

    /// Per-request timeout.
    #[arg(long, default_value = "10s", value_name = "DURATION", value_parser = flags::wait_limit)]
    pub timeout: HumanDuration,

    /// A pass/fail condition such as 'latency.p95 < 120ms' or 'error_rate < 1%'; repeatable.
    #[arg(long = "threshold", short = 't', value_name = "EXPR")]
    pub thresholds: Vec<String>,

    /// HTTP version: 1.1, 2 (h2 via ALPN on https, prior knowledge on http) or auto.
    #[arg(long, default_value = "1.1", value_name = "VERSION")]
    pub http: HttpVersion,

    /// Accept self-signed and otherwise unverifiable TLS certificates.
    #[arg(long, short = 'k')]
    pub insecure: bool,

    /// Send a W3C `traceparent` header (a new sampled trace) on every request; the slowest
    /// requests of each second are kept with their trace ids, to look up in the service's
    /// tracing backend.
    #[arg(long)]
    pub traceparent: bool,

    /// Most connections the open model may open.
    #[arg(long, value_name = "N", value_parser = flags::connections)]
    pub max_connections: Option<u32>,

    /// Closed model: pause between a connection's requests.
    #[arg(long, value_name = "DURATION", value_parser = flags::pause)]
    pub think_time: Option<HumanDuration>,

    /// Statuses that count as success (default: any 2xx or 3xx); repeatable.
    #[arg(long, value_name = "CODE")]
    pub expect_status: Vec<u16>,

    /// Text every response body must contain.
    #[arg(long, value_name = "TEXT")]
    pub expect_body: Option<String>,

    /// CSV file whose columns become {variables} in the URL, headers and body.
    #[arg(long, value_name = "CSV")]
    pub data: Option<String>,

    /// Replay real traffic: an access log (Common or Combined Log Format) or a list of
    /// `METHOD URL` lines, sent to the URL's origin in the log's order, once, at --rate or
    /// --concurrency (or at the log's own timing with --speed). Requests it cannot reproduce
    /// (bodies it does not hold, other hosts) are counted and named, never sent.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["data", "body", "method"])]
    pub replay: Option<String>,

    /// With --replay: shuffle the log's requests, with this seed (the same seed, the same
    /// order).
    #[arg(long, value_name = "SEED", requires = "replay")]
    pub shuffle: Option<u64>,

    /// With --replay: keep the log's own timing, this many times faster (1 is as logged).
    #[arg(long, value_name = "X", requires = "replay", conflicts_with_all = ["rate", "concurrency", "duration", "ramp"])]
    pub speed: Option<f64>,

    /// How long in-flight requests may finish after Ctrl-C.
    #[arg(long, default_value = "5s", value_name = "DURATION", value_parser = flags::pause)]
    pub grace: HumanDuration,

    /// Sample this process (the system under test) once a second: CPU, memory, threads, open
    /// files, stored with the run and usable in thresholds (`target.cpu < 85%`) and rules.
    #[arg(long, value_name = "PID")]
    pub target_pid: Option<u32>,

    /// Name the run is stored under.
    #[arg(long, default_value = "adhoc")]
    pub name: String,

    #[command(flatten)]
    pub profiling: super::profile::ProfileArgs,

    #[command(flatten)]
    pub metrics: super::MetricsArgs,

    #[command(flatten)]
    pub live: super::LiveArgs,

    #[command(flatten)]
    pub record: RecordArgs,
}

pub fn run(args: &LoadArgs, w: &mut Writer) -> anyhow::Result<ExitCode> {
    w.set_quiet(args.record.quiet);
    let cwd = std::env::current_dir()?;
    let spec = scenario_spec(args)?;
    let scenario = spec
        .resolve(&cwd)
        .map_err(|m| exit::bad_input(anyhow::anyhow!("{m}")))?;
    let exporter = args.live.start(&[], w)?;
    let options = LoadOptions {
        threads: args.record.threads,
        max_lag: args.record.max_lag.0,
        project_dir: cwd,
        plan_text: None,
        target_pid: args.target_pid,
        target: None,
        profile: args.profiling.spec(),
        target_metrics: args.metrics.spec(None)?,
        memory_limit: None,
        probes: Vec::new(),
        live: exporter.as_ref().map(rigor_live::Exporter::feed),
    };
    if let Some(phase) = options.profile.as_ref().and_then(|p| p.phase.as_deref()) {
        super::profile::check_phase(&scenario, phase)?;
    }
    if options.profile.is_some() && options.target_pid.is_none() {
        return Err(exit::bad_input(anyhow::anyhow!(
            "--profile samples the target's process: give it with --target-pid PID (or profile a plan's [target] with `rigor run --profile`)"
        )));
    }
    let prepared = record::prepare_load(&scenario, &options)?;
    let mut store = store::open_store(args.record.store.as_deref(), None, &options.project_dir)?;
    let recorded = record::load(store.as_mut(), prepared, w.progress())?;
    let summary = &recorded.value;
    w.report(&Report::Run(summary), data_format(args.record.json))?;
    record::check_saved(recorded.lost)?;
    if options.profile.is_some() && !args.record.json {
        super::profile::show_profiles(&*store, summary.run_id, w)?;
    }
    if let Some(dir) = &args.record.report {
        super::report::write_run_reports(&*store, summary.run_id, dir, w)?;
    }
    args.live.linger(exporter, w);
    Ok(ExitCode::from(summary.status.exit_code()))
}

/// Turns the flags into a scenario spec; errors name the flag at fault.
fn scenario_spec(args: &LoadArgs) -> anyhow::Result<ScenarioSpec> {
    if let Some(file) = &args.replay {
        return replay_spec(args, file);
    }
    if args.duration.is_none() && args.requests.is_none() {
        return Err(exit::bad_input(anyhow::anyhow!(
            "the run would never end: give --duration (e.g. --duration 30s) or --requests (e.g. --requests 1000)"
        )));
    }
    let phases = phases_from(args);
    let headers = headers_from(&args.headers)?;
    rigor_model::plan::check_url(&args.url)
        .map_err(|m| exit::bad_input(anyhow::anyhow!("URL {m}")))?;
    Ok(ScenarioSpec {
        name: args.name.clone(),
        phases,
        request: vec![RequestSpec {
            name: None,
            method: Some(args.method.clone()),
            url: args.url.clone(),
            headers,
            body: args.body.clone(),
            weight: None,
            timeout: Some(args.timeout),
            check: CheckSpec {
                status: args.expect_status.clone(),
                body_contains: args.expect_body.clone(),
            },
        }],
        data: args.data.clone(),
        max_connections: args.max_connections,
        timeout: Some(args.timeout),
        think_time: args.think_time,
        http: Some(args.http),
        insecure: args.insecure,
        requests: args.duration.and(args.requests),
        thresholds: args.thresholds.clone(),
        grace: Some(args.grace),
        secret_headers: args.record.secret_headers.clone(),
        traceparent: args.traceparent,
        ..ScenarioSpec::default()
    })
}

/// A replay of `file` to the URL's origin: at the log's timing (--speed), or at the rate or
/// concurrency the flags give, the log sent once unless --requests or --duration says more.
fn replay_spec(args: &LoadArgs, file: &str) -> anyhow::Result<ScenarioSpec> {
    let base = args
        .url
        .split_once("://")
        .map(|(scheme, rest)| {
            let end = rest.find(['/', '?']).unwrap_or(rest.len());
            format!("{scheme}://{}", &rest[..end])
        })
        .unwrap_or_else(|| args.url.clone());
    rigor_model::plan::check_url(&base).map_err(|m| exit::bad_input(anyhow::anyhow!("URL {m}")))?;
    // The log is sent once (its last request ends the run) unless --requests asks for more,
    // which sends it again from the top.
    let phases = if args.speed.is_some() {
        Vec::new()
    } else {
        phases_from(args)
    };
    Ok(ScenarioSpec {
        name: args.name.clone(),
        phases,
        replay: Some(rigor_model::plan::ReplaySpec {
            file: file.to_string(),
            base,
            order: args.shuffle.map(|_| "shuffle".to_string()),
            seed: args.shuffle,
            speed: args.speed,
            headers: headers_from(&args.headers)?,
        }),
        max_connections: args.max_connections,
        timeout: Some(args.timeout),
        think_time: args.think_time,
        http: Some(args.http),
        insecure: args.insecure,
        requests: args.requests,
        thresholds: args.thresholds.clone(),
        grace: Some(args.grace),
        secret_headers: args.record.secret_headers.clone(),
        traceparent: args.traceparent,
        ..ScenarioSpec::default()
    })
}

/// A ramp (with --ramp) then the steady phase, at the rate or concurrency the flags give.
fn phases_from(args: &LoadArgs) -> Vec<PhaseSpec> {
    let level = match (args.rate, args.concurrency) {
        (Some(rate), _) => LoadLevel::Rate(rate),
        (None, Some(n)) => LoadLevel::Concurrency(n),
        (None, None) => LoadLevel::Concurrency(10),
    };
    let mut phases = Vec::new();
    if let Some(ramp) = args.ramp {
        phases.push(PhaseSpec {
            kind: PhaseKind::Ramp,
            to: Some(level),
            over: Some(ramp),
            ..Default::default()
        });
    }
    let (rate, concurrency) = match level {
        LoadLevel::Rate(r) => (Some(r), None),
        LoadLevel::Concurrency(n) => (None, Some(n)),
    };
    phases.push(PhaseSpec {
        kind: PhaseKind::Steady,
        duration: args.duration,
        rate,
        concurrency,
        iterations: if args.duration.is_none() {
            args.requests
        } else {
            None
        },
        ..Default::default()
    });
    phases
}

/// `-H 'Name: value'` flags as headers; each must have its colon.
fn headers_from(flags: &[String]) -> anyhow::Result<std::collections::BTreeMap<String, String>> {
    let mut headers = std::collections::BTreeMap::new();
    for header in flags {
        let (name, value) = header.split_once(':').ok_or_else(|| {
            exit::bad_input(anyhow::anyhow!(
                "--header '{header}': expected `Name: value`"
            ))
        })?;
        headers.insert(name.trim().to_string(), value.trim().to_string());
    }
    Ok(headers)
}
