//! `rigor run [SCENARIO]`: runs the plan's scenarios in order, each stored and judged. With a
//! `[target] command`, starts the system under test first, waits until it is ready, and stops
//! it afterwards.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use rigor_load::LoadError;
use rigor_model::plan::{BenchEntry, Place, Plan, Scenario, TargetSpec};
use rigor_model::RunStatus;
use rigor_probe::{Target, TargetCommand, TargetError};
use rigor_recorder::{LoadOptions, PreparedBench, RecordError};

use super::RecordArgs;
use crate::{exit, record, store};
use rigor_model::output::{BenchRunOutput, PlanRunOutput};
use rigor_report::{Format, Report, Writer};

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// Run only this scenario.
    pub scenario: Option<String>,

    /// The plan file.
    #[arg(long, short = 'p', default_value = "rigor.toml", value_name = "FILE")]
    pub plan: PathBuf,

    #[command(flatten)]
    pub record: RecordArgs,

    #[command(flatten)]
    pub profiling: super::profile::ProfileArgs,

    #[command(flatten)]
    pub metrics: super::MetricsArgs,

    #[command(flatten)]
    pub live: super::LiveArgs,

    /// Run each open-model scenario at this arrival rate: every phase's rate scaled so that
    /// its highest is RATE (the shape of ramps and spikes kept), e.g. at the expected peak.
    #[arg(long, value_name = "RATE")]
    pub rate: Option<rigor_model::Rate>,

    /// Start the target with this command instead of the plan's `[target] command` (another
    /// build or configuration of the same service; the plan's `ready` URL still says when it
    /// is up).
    #[arg(long, value_name = "CMD")]
    pub target_command: Option<String>,

    /// Benchmark this command instead of the bench's own (a bench of one command).
    #[arg(long, value_name = "CMD")]
    pub bench_command: Option<String>,
}

pub fn run(args: &RunArgs, w: &mut Writer) -> anyhow::Result<ExitCode> {
    w.set_quiet(args.record.quiet);
    let (plan, scenarios, benches) = read_plan(args)?;
    // Checked before anything runs, so a typo in the last entry does not waste the first.
    let prepared_benches = benches
        .iter()
        .map(|bench| {
            rigor_recorder::prepare_bench(bench).map_err(|e| {
                let message = anyhow::anyhow!("{}: {e}", plan.bench_at(&args.plan, &bench.name));
                if e.is_bad_input() {
                    exit::bad_input(message)
                } else {
                    exit::not_completed(message)
                }
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let project_dir = args
        .plan
        .canonicalize()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("."));
    let target_metrics = args
        .metrics
        .spec(plan.target.as_ref().and_then(|t| t.metrics.as_ref()))?;
    let exporter = if scenarios.is_empty() {
        None
    } else {
        let thresholds: Vec<Duration> = scenarios
            .iter()
            .flat_map(Scenario::slo_thresholds)
            .collect();
        args.live.start(&thresholds, w)?
    };
    let target = start_target(plan.target.as_ref(), &project_dir)?;
    let mut session = Session {
        args,
        plan: &plan,
        // Opened once the first run is ready to start: a plan that cannot run creates no store.
        store: store::LazyStore::new(
            args.record.store.as_deref(),
            plan.store.as_deref(),
            &project_dir,
        ),
        project_dir: project_dir.clone(),
        outcome: Outcome::default(),
    };
    let options = LoadOptions {
        threads: args.record.threads,
        max_lag: args.record.max_lag.0,
        project_dir,
        // The whole plan is stored with each run: no scenario's credentials in it.
        plan_text: Some(plan.text_without_secrets(&args.record.secret_headers) + &overrides(args)),
        target_pid: target.as_ref().map(Target::pid),
        target: target.as_ref().map(Target::handle),
        profile: args.profiling.spec(),
        target_metrics,
        memory_limit: plan
            .target
            .as_ref()
            .and_then(|t| t.memory_limit)
            .map(|b| b.0),
        probes: plan
            .target
            .iter()
            .flat_map(|t| &t.probe)
            .map(rigor_probe::probes::ProbeSpec::from_plan)
            .collect(),
        live: exporter.as_ref().map(rigor_live::Exporter::feed),
    };
    if let Some(phase) = options.profile.as_ref().and_then(|p| p.phase.as_deref()) {
        for scenario in &scenarios {
            super::profile::check_phase(scenario, phase)?;
        }
    }
    if options.profile.is_some() && options.target_pid.is_none() && !scenarios.is_empty() {
        return Err(exit::bad_input(anyhow::anyhow!(
            "--profile samples the target's process, and {} starts none: give the plan a [target] with its command",
            args.plan.display()
        )));
    }
    session.scenarios(w, &scenarios, &options)?;
    if session.outcome.worst != exit::INTERRUPTED {
        session.benches(w, &benches, prepared_benches)?;
    }
    let outcome = session.outcome;
    args.live.linger(exporter, w);
    if args.record.json {
        // One shape whatever ran: the plan's scenarios and benches, each a list.
        let output = PlanRunOutput {
            schema_version: rigor_model::output::SCHEMA_VERSION,
            scenarios: outcome.scenarios,
            benches: outcome.benches,
        };
        w.report(&Report::PlanRun(&output), Format::Json)?;
    }
    Ok(ExitCode::from(outcome.worst))
}

/// The plan, its scenarios resolved and its benches, narrowed to the one named.
fn read_plan(args: &RunArgs) -> anyhow::Result<(Plan, Vec<Scenario>, Vec<BenchEntry>)> {
    if !args.plan.exists() {
        return Err(exit::bad_input(anyhow::anyhow!(
            "no plan at {}: `rigor init` writes a starter plan, or pass --plan FILE",
            args.plan.display()
        )));
    }
    let plan = Plan::load(&args.plan).map_err(exit::bad_input)?;
    let mut scenarios = plan
        .scenarios(&args.plan, args.scenario.as_deref())
        .map_err(exit::bad_input)?;
    for scenario in &mut scenarios {
        let marked = args.record.secret_headers.iter().cloned();
        scenario.secret_headers.extend(marked);
        if let Some(rate) = args.rate {
            *scenario = scenario
                .at_rate(rate)
                .map_err(|e| exit::bad_input(anyhow::anyhow!("--rate {rate}: {e}")))?;
        }
    }
    let mut benches: Vec<BenchEntry> = plan
        .bench
        .iter()
        .filter(|b| args.scenario.as_deref().is_none_or(|n| b.name == n))
        .cloned()
        .collect();
    if let Some(command) = &args.bench_command {
        for bench in &mut benches {
            if !bench.commands.is_empty() || bench.scan.is_some() || bench.list.is_some() {
                return Err(exit::bad_input(anyhow::anyhow!(
                    "--bench-command replaces the command of a bench of one command; {} has several",
                    plan.bench_at(&args.plan, &bench.name)
                )));
            }
            bench.command = Some(command.clone());
        }
    }
    let mut plan = plan;
    if let Some(command) = &args.target_command {
        plan.target.get_or_insert_with(TargetSpec::default).command = Some(command.clone());
    }
    if scenarios.is_empty() && benches.is_empty() {
        return Err(exit::bad_input(anyhow::anyhow!(
            "{} has no [[scenario]] or [[bench]] to run",
            args.plan.display()
        )));
    }
    Ok((plan, scenarios, benches))
}

/// The command line's changes to the plan, as comments after the plan stored with each run:
/// the run records what it measured, not only what the file says.
fn overrides(args: &RunArgs) -> String {
    let mut out = String::new();
    let quote = |text: &str| serde_json::to_string(text).unwrap_or_default();
    if let Some(rate) = args.rate {
        out += &format!("\n# rigor run --rate {rate}: every open-model phase scaled to it");
    }
    if let Some(command) = &args.target_command {
        out += &format!("\n# rigor run --target-command {}", quote(command));
    }
    if let Some(command) = &args.bench_command {
        out += &format!("\n# rigor run --bench-command {}", quote(command));
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

/// The runs of one `rigor run`, in order, each shown as it ends.
struct Session<'a> {
    args: &'a RunArgs,
    plan: &'a Plan,
    store: store::LazyStore,
    project_dir: PathBuf,
    outcome: Outcome,
}

impl Session<'_> {
    /// Each scenario in turn; an interrupted one ends the session.
    fn scenarios(
        &mut self,
        w: &mut Writer,
        scenarios: &[Scenario],
        options: &LoadOptions,
    ) -> anyhow::Result<()> {
        let record_args = &self.args.record;
        for scenario in scenarios {
            let prepared = rigor_recorder::prepare_load(scenario, options).map_err(|e| {
                let at = self.at(scenario, place_of(scenario, &e));
                record::failure(e).context(at)
            })?;
            let recorded = record::load(self.store.get()?, prepared, w.progress())
                .with_context(|| self.at(scenario, Place::Scenario))?;
            let summary = recorded.value;
            if !record_args.json {
                w.report(&Report::Run(&summary), Format::Terminal)?;
                w.line(format_args!(""))?;
            }
            record::check_saved(recorded.lost)?;
            if options.profile.is_some() && !record_args.json {
                super::profile::show_profiles(self.store.get()?, summary.run_id, w)?;
            }
            if let Some(dir) = &record_args.report {
                super::report::write_run_reports(self.store.get()?, summary.run_id, dir, w)?;
            }
            self.outcome.worst = worse(self.outcome.worst, summary.status.exit_code());
            let interrupted = summary.status == RunStatus::Interrupted;
            self.outcome.scenarios.push(summary);
            if interrupted {
                break;
            }
        }
        Ok(())
    }

    /// `rigor.toml:LINE:COLUMN: scenario `NAME``, the line and column of `place` in it.
    fn at(&self, scenario: &Scenario, place: Place) -> String {
        let at = self
            .plan
            .scenario
            .iter()
            .position(|s| s.name == scenario.name)
            .and_then(|i| self.plan.position(i, place))
            .map(|(line, column)| format!(":{line}:{column}"))
            .unwrap_or_default();
        format!(
            "{}{at}: scenario `{}`",
            self.args.plan.display(),
            scenario.name
        )
    }

    /// Each bench in turn; an interrupted one ends the session.
    fn benches(
        &mut self,
        w: &mut Writer,
        benches: &[BenchEntry],
        prepared: Vec<PreparedBench>,
    ) -> anyhow::Result<()> {
        for (bench, prepared) in benches.iter().zip(prepared) {
            let recorded =
                record::bench(self.store.get()?, prepared, &self.project_dir, w.progress())
                    .with_context(|| format!("bench `{}`", bench.name))?;
            let (result, run_id) = recorded.value;
            if !self.args.record.json {
                let report = Report::Bench {
                    run_id,
                    name: &bench.name,
                    result: &result,
                };
                w.report(&report, Format::Terminal)?;
                w.line(format_args!(""))?;
            }
            record::check_saved(recorded.lost)?;
            if let Some(dir) = &self.args.record.report {
                super::report::write_run_reports(self.store.get()?, run_id, dir, w)?;
            }
            let interrupted = result.interrupted;
            self.outcome.benches.push(BenchRunOutput {
                run_id,
                name: bench.name.clone(),
                result,
            });
            if interrupted {
                self.outcome.worst = worse(self.outcome.worst, exit::INTERRUPTED);
                break;
            }
        }
        Ok(())
    }
}

/// Where in the scenario a check before its run failed: the request or the data file it
/// names, else the scenario.
fn place_of(scenario: &Scenario, error: &RecordError) -> Place {
    match error {
        RecordError::Prepare(LoadError::Request { name, .. }) => scenario
            .requests
            .iter()
            .position(|r| &r.name == name)
            .map_or(Place::Scenario, |i| Place::Request(i, None)),
        RecordError::Prepare(LoadError::Data { .. }) => Place::Key("data"),
        _ => Place::Scenario,
    }
}

/// What the plan's runs came to, in the order they ran.
#[derive(Default)]
struct Outcome {
    worst: u8,
    scenarios: Vec<rigor_model::output::RunSummary>,
    benches: Vec<BenchRunOutput>,
}

/// The more serious of two exit codes: interrupted > could not complete > failed > passed.
fn worse(a: u8, b: u8) -> u8 {
    let rank = |c: u8| match c {
        exit::INTERRUPTED => 4,
        exit::NOT_COMPLETED => 3,
        exit::BAD_INPUT => 2,
        exit::FAILED => 1,
        _ => 0,
    };
    if rank(b) > rank(a) {
        b
    } else {
        a
    }
}

/// Starts the plan's `[target] command` and waits until it is ready, or, for a target that
/// runs already, waits for its `ready` URL.
pub(crate) fn start_target(
    spec: Option<&TargetSpec>,
    dir: &Path,
) -> anyhow::Result<Option<Target>> {
    let Some(spec) = spec else {
        return Ok(None);
    };
    let failure = |e: TargetError| {
        if e.is_bad_input() {
            exit::bad_input(e)
        } else {
            exit::not_completed(e)
        }
    };
    let Some(command) = spec.command.as_deref() else {
        if let Some(ready) = &spec.ready {
            rigor_probe::target::wait_ready(ready, Duration::from_secs(1)).map_err(failure)?;
        }
        return Ok(None);
    };
    // `rigor ...` means this very binary, so plans work before rigor is on PATH.
    let command = match command.strip_prefix("rigor ") {
        Some(rest) => match std::env::current_exe() {
            Ok(exe) => format!("'{}' {rest}", exe.display()),
            Err(_) => command.to_string(),
        },
        None => command.to_string(),
    };
    let target = Target::start(&TargetCommand {
        command,
        dir: dir.to_path_buf(),
        ready: spec.ready.clone(),
        ready_timeout: spec.ready_timeout.map_or(Duration::from_secs(30), |t| t.0),
    })
    .map_err(failure)?;
    Ok(Some(target))
}
