//! `rigor capacity [SCENARIO]`: up to what load does the service keep its SLOs? An open-model
//! search that steps the arrival rate up (each step a ramp, a discarded warm-up and a hold,
//! stored as a run of `SCENARIO@capacity`), judges each step's hold on the SLOs, on the
//! throughput keeping up with the offered rate and on the generator's own validity, stops at
//! the first failing step and narrows between the last pass and the first fail. Bounded by
//! `--max-rate` and `--max-time`; Ctrl-C keeps every step measured so far.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use rigor_analysis::capacity::growth::GrowthQuestion;
use rigor_analysis::capacity::{judge_step, step_record, Search, StepVerdict, Stepping};
use rigor_model::expr::Expr;
use rigor_model::metric::Scope;
use rigor_model::output::capacity::{
    CapacityOutcome, CapacityReport, CapacitySettings, SearchEnd, SearchModel,
    CAPACITY_SCHEMA_VERSION,
};
use rigor_model::plan::{Model, Phase, PhaseKind, PhaseLoad, Scenario};
use rigor_model::{Plan, Rate, RunStatus};
use rigor_probe::Target;
use rigor_recorder::LoadOptions;
use rigor_report::Writer;
use rigor_store::Store;

use crate::{exit, record, store};

mod args;
mod outcome;

pub use args::CapacityArgs;
use args::Users;
use outcome::{outcome, present, show_stored, Outcome};

/// The steps to make: rates searched, or users swept.
pub(super) enum Steps {
    Rates(Search),
    Users(Vec<u32>),
}

pub fn run(args: &CapacityArgs, w: &mut Writer) -> anyhow::Result<ExitCode> {
    w.set_quiet(args.record.quiet);
    if let Some(which) = &args.show {
        return show_stored(args, which, w);
    }
    let plan = Plan::load(&args.plan).map_err(exit::bad_input)?;
    let scenario = pick(&plan, args)?;
    let slos = slos(&args.slo)?;
    let highest = highest_rate(&scenario);
    let (model, mut steps_plan, settings) = search_plan(args, &scenario, highest)?;
    if let Some(c) = args.cost_per_instance_hour {
        if !(c.is_finite() && c >= 0.0) {
            return Err(exit::bad_input(anyhow::anyhow!(
                "--cost-per-instance-hour must be a cost of zero or more, not {c}"
            )));
        }
    }
    if !(args.utilisation.fraction() > 0.0 && args.utilisation.fraction() <= 1.0) {
        return Err(exit::bad_input(anyhow::anyhow!(
            "--utilisation must be above 0 % and at most 100 %, not {}",
            args.utilisation
        )));
    }
    let question = match args.growth {
        Some(factor) => {
            let current = args.current.map_or(highest, Rate::as_per_second);
            if !(current > 0.0 && current.is_finite()) {
                return Err(exit::bad_input(anyhow::anyhow!(
                    "--growth needs today's load: give --load RATE (the scenario has no rate to take it from)"
                )));
            }
            Some(GrowthQuestion {
                current_per_s: current,
                factor,
                target_utilisation: args.utilisation.fraction(),
                cost_per_instance_hour: args.cost_per_instance_hour,
            })
        }
        None => None,
    };
    let dir = project_dir(&args.plan);
    // Each step is a run of the same scenario: the live counters add up over the search, so
    // a dashboard's rate() follows the steps.
    let exporter = args.live.start(&scenario.slo_thresholds(), w)?;
    let target = super::run::start_target(plan.target.as_ref(), &dir)?;
    let options = LoadOptions {
        threads: args.record.threads,
        max_lag: args.record.max_lag.0,
        project_dir: dir.clone(),
        plan_text: Some(plan.text_without_secrets(&args.record.secret_headers)),
        target_pid: target.as_ref().map(Target::pid),
        target: target.as_ref().map(Target::handle),
        profile: None,
        target_metrics: None,
        memory_limit: None,
        live: exporter.as_ref().map(rigor_live::Exporter::feed),
        probes: Vec::new(),
    };
    let mut lazy = store::LazyStore::new(args.record.store.as_deref(), plan.store.as_deref(), &dir);
    let mut report = CapacityReport {
        schema_version: CAPACITY_SCHEMA_VERSION,
        search_id: None,
        scenario: scenario.name.clone(),
        model,
        slos: args.slo.clone(),
        settings,
        started_at_ns: rigor_recorder::unix_ns_now(),
        steps: Vec::new(),
        // What a search killed before it ended is kept as: its steps, no capacity claimed.
        outcome: CapacityOutcome {
            ended: SearchEnd::Interrupted,
            max_sustainable_per_s: None,
            last_pass_per_s: None,
            first_fail_per_s: None,
            summary: "the search did not finish (interrupted or killed): its steps are what it measured, and no capacity is claimed".into(),
            notes: Vec::new(),
        },
        knee: None,
        scalability: None,
        growth: None,
    };
    let hold = Scope::Phase("hold".into());
    let step_time = args.ramp.0 + args.warmup.0 + args.hold.0;
    let began = Instant::now();
    let mut users_left = match &steps_plan {
        Steps::Users(u) => u.clone(),
        Steps::Rates(_) => Vec::new(),
    };
    users_left.reverse();
    let ended = loop {
        let load = match &mut steps_plan {
            Steps::Rates(search) => match search.next() {
                Ok(rate) => StepLoad::Rate(rate),
                Err(ended) => break Outcome::Ended(ended),
            },
            Steps::Users(_) => match users_left.pop() {
                Some(n) => StepLoad::Users(n),
                None => break Outcome::Swept,
            },
        };
        if began.elapsed() + step_time > args.max_time.0 {
            break Outcome::OutOfTime;
        }
        let step = step_scenario(&scenario, load, args);
        w.note(format_args!(
            "step {}: {} ({} ramp, {} warm-up, {} hold)",
            report.steps.len() + 1,
            load,
            args.ramp,
            args.warmup,
            args.hold
        ));
        let prepared = rigor_recorder::prepare_load(&step, &options).map_err(record::failure)?;
        let recorded = record::load(lazy.get()?, prepared, w.progress())?;
        record::check_saved(recorded.lost)?;
        let summary = recorded.value;
        let store = lazy.get()?;
        let data = super::compare::load(store, store.run(summary.run_id)?)?;
        // The hold's whole seconds: from the end of the ramp and warm-up to the hold's end.
        let from = (args.ramp.0 + args.warmup.0).as_secs_f64().ceil() as u32;
        let to = step_time.as_secs_f64().floor() as u32;
        let achieved =
            rigor_analysis::capacity::achieved_rate(&data, from..to.max(from)).unwrap_or(0.0);
        let offered = match load {
            StepLoad::Rate(r) => Some(r),
            StepLoad::Users(_) => None,
        };
        let verdict = judge_step(&summary, (offered, achieved), &slos, &hold);
        if let (Steps::Rates(search), StepLoad::Rate(rate)) = (&mut steps_plan, load) {
            match &verdict {
                StepVerdict::Pass => search.record(rate, true),
                StepVerdict::Fail(_) => search.record(rate, false),
                StepVerdict::Unjudged(_) => {}
            }
        }
        let interrupted = summary.status == RunStatus::Interrupted;
        let stop = match &verdict {
            StepVerdict::Unjudged(why) => Some(Outcome::Unjudged(why.clone())),
            _ if report.steps.is_empty() && summary.status == RunStatus::TargetFailed => {
                Some(Outcome::TargetDown)
            }
            _ => None,
        };
        let users = match load {
            StepLoad::Users(n) => Some(n),
            StepLoad::Rate(_) => None,
        };
        let number = report.steps.len() as u32 + 1;
        report.steps.push(step_record(
            number,
            &summary,
            (offered, users),
            achieved,
            &verdict,
            &hold,
        ));
        keep(store, &mut report, w);
        if interrupted {
            break Outcome::Interrupted;
        }
        if let Some(stop) = stop {
            break stop;
        }
    };
    report.outcome = outcome(&report, &steps_plan, &ended, &slos);
    rigor_analysis::capacity::analyse(&mut report, question);
    if let Ok(store) = lazy.get() {
        keep(store, &mut report, w);
    }
    present(&report, args, w)?;
    args.live.linger(exporter, w);
    Ok(match ended {
        Outcome::Ended(_) | Outcome::OutOfTime | Outcome::Swept => ExitCode::SUCCESS,
        Outcome::Interrupted => ExitCode::from(exit::INTERRUPTED),
        Outcome::Unjudged(_) | Outcome::TargetDown => ExitCode::from(exit::NOT_COMPLETED),
    })
}

/// One step's load.
#[derive(Debug, Clone, Copy, PartialEq)]
enum StepLoad {
    Rate(f64),
    Users(u32),
}

impl std::fmt::Display for StepLoad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StepLoad::Rate(r) => write!(f, "{r:.1}/s"),
            StepLoad::Users(1) => write!(f, "1 user"),
            StepLoad::Users(n) => write!(f, "{n} users"),
        }
    }
}

/// The search's model, its steps and its settings as the report records them.
fn search_plan(
    args: &CapacityArgs,
    scenario: &Scenario,
    highest: f64,
) -> anyhow::Result<(SearchModel, Steps, CapacitySettings)> {
    let mut settings = CapacitySettings {
        start_per_s: None,
        factor: None,
        step_per_s: None,
        max_rate_per_s: None,
        concurrency: Vec::new(),
        max_time_s: args.max_time.0.as_secs_f64(),
        rounds: args.rounds,
        ramp_s: args.ramp.0.as_secs_f64(),
        warmup_s: args.warmup.0.as_secs_f64(),
        hold_s: args.hold.0.as_secs_f64(),
    };
    if args.hold.0 < Duration::from_secs(2) {
        return Err(exit::bad_input(anyhow::anyhow!(
            "--hold {} is too short to judge: a step is judged on the median of its hold's whole seconds; give at least 2s (10s by default)",
            args.hold
        )));
    }
    if let Some(Users(users)) = &args.concurrency {
        settings.concurrency.clone_from(users);
        return Ok((SearchModel::Closed, Steps::Users(users.clone()), settings));
    }
    if scenario.model == Model::Closed {
        return Err(exit::bad_input(anyhow::anyhow!(
            "scenario `{}` is a closed model (users, not a rate): the rate search offers arrival rates; sweep its users with --concurrency 1..32, or give it open-model phases",
            scenario.name
        )));
    }
    let start = args.start.map_or(highest, Rate::as_per_second);
    if !(start > 0.0 && start.is_finite()) {
        return Err(exit::bad_input(anyhow::anyhow!(
            "--start must be a rate above zero"
        )));
    }
    let max_rate = args.max_rate.map_or(start * 64.0, Rate::as_per_second);
    if max_rate < start {
        return Err(exit::bad_input(anyhow::anyhow!(
            "--max-rate {max_rate}/s is below the first step's {start}/s: give a larger --max-rate or a smaller --start"
        )));
    }
    let stepping = match args.step {
        Some(s) if s.as_per_second() > 0.0 => Stepping::Additive(s.as_per_second()),
        Some(_) => {
            return Err(exit::bad_input(anyhow::anyhow!(
                "--step must be above zero"
            )))
        }
        None if args.factor > 1.0 && args.factor.is_finite() => Stepping::Geometric(args.factor),
        None => {
            return Err(exit::bad_input(anyhow::anyhow!(
                "--factor must be above 1 (each step larger than the last), not {}",
                args.factor
            )))
        }
    };
    settings.start_per_s = Some(start);
    settings.max_rate_per_s = Some(max_rate);
    match stepping {
        Stepping::Geometric(f) => settings.factor = Some(f),
        Stepping::Additive(d) => settings.step_per_s = Some(d),
    }
    Ok((
        SearchModel::Open,
        Steps::Rates(Search::new(start, stepping, max_rate, args.rounds)),
        settings,
    ))
}

/// Saves the report in the store (creating the search at its first step), so an interrupted
/// or killed search keeps its steps as one group. A store that cannot keep it is said once;
/// the runs themselves are stored already.
fn keep(store: &mut dyn Store, report: &mut CapacityReport, w: &mut Writer) {
    let saved = match report.search_id {
        None => store
            .create_capacity_search(report, rigor_recorder::unix_ns_now())
            .map(|id| {
                report.search_id = Some(id);
            }),
        Some(_) => store.save_capacity_search(report, rigor_recorder::unix_ns_now()),
    };
    if let Err(e) = saved {
        w.warn(format_args!(
            "the capacity search is not kept as a group in the store ({e}); its steps are stored as runs of {}@capacity",
            report.scenario
        ));
    }
}

/// The scenario to search with: the one named, or the plan's only one.
fn pick(plan: &Plan, args: &CapacityArgs) -> anyhow::Result<Scenario> {
    let mut scenarios = plan
        .scenarios(&args.plan, args.scenario.as_deref())
        .map_err(exit::bad_input)?;
    if scenarios.len() != 1 {
        let names: Vec<&str> = plan.scenario.iter().map(|s| s.name.as_str()).collect();
        return Err(exit::bad_input(anyhow::anyhow!(
            "{} has {} scenarios: name the one to search with ({})",
            args.plan.display(),
            scenarios.len(),
            names.join(", ")
        )));
    }
    let scenario = scenarios.remove(0);
    Ok(scenario)
}

/// The SLOs, each an absolute limit on a load run's metric.
fn slos(texts: &[String]) -> anyhow::Result<Vec<Expr>> {
    texts
        .iter()
        .map(|text| {
            let e: Expr = text
                .parse()
                .map_err(|e| exit::bad_input(anyhow::anyhow!("--slo {e}")))?;
            if e.is_relative() || e.sustained.is_some() || e.occurrences.is_some() {
                return Err(exit::bad_input(anyhow::anyhow!(
                    "--slo `{text}`: an SLO is an absolute limit each step must keep (`latency.p99 < 200ms`)"
                )));
            }
            if e.metric.run_kind() != rigor_model::RunKind::Load {
                return Err(exit::bad_input(anyhow::anyhow!(
                    "--slo `{text}`: `{}` is not a metric of a load run",
                    e.metric
                )));
            }
            Ok(e)
        })
        .collect()
}

fn highest_rate(s: &Scenario) -> f64 {
    s.phases
        .iter()
        .filter_map(|p| match p.load {
            PhaseLoad::Open { start, end } => Some(start.as_per_second().max(end.as_per_second())),
            PhaseLoad::Closed { .. } => None,
        })
        .fold(0.0, f64::max)
}

/// The scenario at one step's load: a ramp, a warm-up and the hold that is judged, stored as
/// `NAME@capacity` so that the scenario's own history and gate are not mixed with the search.
fn step_scenario(scenario: &Scenario, load: StepLoad, args: &CapacityArgs) -> Scenario {
    let mut step = scenario.clone();
    let (ramp, steady) = match load {
        StepLoad::Rate(rate) => {
            let r = Rate::per_second(rate);
            step.model = Model::Open;
            (
                PhaseLoad::Open {
                    start: Rate::ZERO,
                    end: r,
                },
                PhaseLoad::Open { start: r, end: r },
            )
        }
        StepLoad::Users(n) => {
            step.model = Model::Closed;
            step.max_connections = step.max_connections.max(n);
            (
                PhaseLoad::Closed { start: 1, end: n },
                PhaseLoad::Closed { start: n, end: n },
            )
        }
    };
    let phase = |name: &str, kind, duration: Duration, load| Phase {
        name: name.to_string(),
        kind,
        duration: Some(duration),
        iterations: None,
        load,
        tolerance: None,
    };
    step.name = format!("{}@capacity", scenario.name);
    step.phases = vec![
        phase("ramp", PhaseKind::Ramp, args.ramp.0, ramp),
        phase("warmup", PhaseKind::Steady, args.warmup.0, steady),
        phase("hold", PhaseKind::Steady, args.hold.0, steady),
    ];
    step.phases
        .retain(|p| p.duration.is_some_and(|d| !d.is_zero()));
    step.thresholds.clear();
    step.request_limit = None;
    step
}

pub(super) fn project_dir(plan: &Path) -> PathBuf {
    plan.canonicalize()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("."))
}
