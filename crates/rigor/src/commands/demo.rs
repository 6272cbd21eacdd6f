//! `rigor demo`: the main job on the embedded defaults. Starts the built-in target in this
//! process, loads it through a ramp and a steady phase (open model), stores the run in the
//! default SQLite store and prints the summary.

use std::process::ExitCode;

use anyhow::Context;
use rigor_model::plan::{LoadLevel, PhaseKind, PhaseSpec, RequestSpec, ScenarioSpec};
use rigor_model::units::HumanDuration;
use rigor_model::Rate;
use rigor_recorder::LoadOptions;
use rigor_report::{Report, Writer};

use super::RecordArgs;
use crate::{data_format, record, store};

#[derive(clap::Args, Debug)]
pub struct DemoArgs {
    /// Arrival rate of the steady phase.
    #[arg(long, default_value = "200/s", value_name = "RATE", value_parser = crate::flags::rate)]
    pub rate: Rate,

    /// Length of the ramp up to the rate.
    #[arg(long, default_value = "3s", value_name = "DURATION", value_parser = crate::flags::run_length)]
    pub ramp: HumanDuration,

    /// Length of the steady phase.
    #[arg(long, default_value = "5s", value_name = "DURATION", value_parser = crate::flags::run_length)]
    pub duration: HumanDuration,

    #[command(flatten)]
    pub record: RecordArgs,
}

/// The demo target's behaviour: log-normal latency and a trickle of errors.
const DEMO_ROUTE: &str = "/products/*: latency=lognormal(5ms,25ms), errors=0.5%@503";

pub fn run(args: &DemoArgs, w: &mut Writer) -> anyhow::Result<ExitCode> {
    w.set_quiet(args.record.quiet);
    let cwd = std::env::current_dir()?;
    let route: rigor_target::Route = DEMO_ROUTE.parse().context("the demo route")?;
    let target = rigor_target::spawn(
        "127.0.0.1:0".parse()?,
        rigor_target::TargetConfig {
            routes: vec![route],
            stall: None,
            threads: 1,
            gauges: Vec::new(),
        },
    )
    .context("cannot start the built-in target")?;
    let spec = ScenarioSpec {
        name: "demo".into(),
        phases: vec![
            PhaseSpec {
                kind: PhaseKind::Ramp,
                to: Some(LoadLevel::Rate(args.rate)),
                over: Some(args.ramp),
                ..Default::default()
            },
            PhaseSpec {
                kind: PhaseKind::Steady,
                rate: Some(args.rate),
                duration: Some(args.duration),
                ..Default::default()
            },
        ],
        request: vec![RequestSpec {
            name: Some("GET /products/:id".into()),
            url: target.url("/products/{seq}"),
            ..Default::default()
        }],
        thresholds: vec!["latency.p99 < 100ms".into(), "error_rate < 2%".into()],
        ..Default::default()
    };
    let scenario = spec.resolve(&cwd).map_err(|m| anyhow::anyhow!("{m}"))?;
    w.note(format_args!(
        "demo: built-in target on {} ({DEMO_ROUTE}); ramp to {} over {}, then {} steady",
        target.addr(),
        args.rate,
        args.ramp,
        args.duration
    ));
    let options = LoadOptions {
        threads: args.record.threads,
        max_lag: args.record.max_lag.0,
        project_dir: cwd,
        plan_text: None,
        // The demo target runs inside this process: sampling it would count the generator too.
        target_pid: None,
        target: None,
        profile: None,
        // Its own /metrics is scraped as a service's would be, beside the load.
        target_metrics: Some(rigor_probe::scrape::ScrapeSpec {
            url: format!("http://{}/metrics", target.addr()),
            select: vec!["rigor_target_*".parse().expect("a valid selector")],
            every: std::time::Duration::from_secs(1),
            timeout: std::time::Duration::from_secs(1),
        }),
        memory_limit: None,
        live: None,
        probes: Vec::new(),
    };
    let prepared = record::prepare_load(&scenario, &options)?;
    let mut store = store::open_store(args.record.store.as_deref(), None, &options.project_dir)?;
    let recorded = record::load(store.as_mut(), prepared, w.progress())?;
    drop(target);
    let summary = &recorded.value;
    w.report(&Report::Run(summary), data_format(args.record.json))?;
    record::check_saved(recorded.lost)?;
    w.note(format_args!(
        "\nstored as run {} in {}: `rigor show {}` prints it again, `rigor runs` lists runs",
        summary.run_id,
        store.location(),
        summary.run_id
    ));
    if let Some(dir) = &args.record.report {
        super::report::write_run_reports(&*store, summary.run_id, dir, w)?;
    }
    Ok(ExitCode::from(summary.status.exit_code()))
}
