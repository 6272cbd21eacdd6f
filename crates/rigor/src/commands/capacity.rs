//! `rigor capacity [SCENARIO]`: up to what load does the service keep its SLOs? An open-model
//! search that steps the arrival rate up (each step a ramp, a discarded warm-up and a hold,
//! stored as a run of `SCENARIO@capacity`), judges each step's hold on the SLOs, on the
//! throughput keeping up with the offered rate and on the generator's own validity, stops at
//! the first failing step and narrows between the last pass and the first fail. Bounded by
//! `--max-rate` and `--max-time`; Ctrl-C keeps every step measured so far.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use rigor_analysis::capacity::{judge_step, Ended, Search, StepVerdict, Stepping};
use rigor_model::expr::Expr;
use rigor_model::metric::Scope;
use rigor_model::plan::{Model, Phase, PhaseKind, PhaseLoad, Scenario};
use rigor_model::units::HumanDuration;
use rigor_model::{Plan, Rate, RunStatus};
use rigor_probe::Target;
use rigor_recorder::LoadOptions;
use rigor_report::Writer;

use super::RecordArgs;
use crate::{exit, record, store};

#[derive(clap::Args, Debug)]
pub struct CapacityArgs {
    /// The plan's scenario to search with (default: the plan's only scenario).
    pub scenario: Option<String>,

    /// The plan file.
    #[arg(long, short = 'p', default_value = "rigor.toml", value_name = "FILE")]
    pub plan: PathBuf,

    /// An SLO every step's hold must keep, in the metric grammar (`latency.p99 < 200ms`,
    /// `error_rate < 1%`); repeatable. Besides them a step fails when its throughput falls
    /// under 95 % of the offered rate (arrivals queue).
    #[arg(long, value_name = "EXPR")]
    pub slo: Vec<String>,

    /// The first step's rate (default: the scenario's highest).
    #[arg(long, value_name = "RATE")]
    pub start: Option<Rate>,

    /// Each step this many times the last, while they pass.
    #[arg(long, default_value_t = 1.5, conflicts_with = "step")]
    pub factor: f64,

    /// Each step this much above the last instead (`50/s`).
    #[arg(long, value_name = "RATE")]
    pub step: Option<Rate>,

    /// The most the search offers (default: 64 times the start).
    #[arg(long, value_name = "RATE")]
    pub max_rate: Option<Rate>,

    /// The longest the search may take; a step that would end past it is not started.
    #[arg(long, value_name = "DURATION", default_value = "10m")]
    pub max_time: HumanDuration,

    /// Narrowing rounds between the last pass and the first fail.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(0..=20))]
    pub rounds: u32,

    /// Each step's ramp from zero to its rate.
    #[arg(long, value_name = "DURATION", default_value = "2s")]
    pub ramp: HumanDuration,

    /// Each step's warm-up at its rate, not judged.
    #[arg(long, value_name = "DURATION", default_value = "2s")]
    pub warmup: HumanDuration,

    /// Each step's hold at its rate, judged.
    #[arg(long, value_name = "DURATION", default_value = "10s")]
    pub hold: HumanDuration,

    #[command(flatten)]
    pub record: RecordArgs,
}

/// One step as the search saw it.
struct Step {
    offered: f64,
    /// Responses a second over the hold (completions, not arrivals).
    achieved: f64,
    run_id: i64,
    summary: rigor_model::output::RunSummary,
    verdict: StepVerdict,
}

pub fn run(args: &CapacityArgs, w: &mut Writer) -> anyhow::Result<ExitCode> {
    w.set_quiet(args.record.quiet);
    let plan = Plan::load(&args.plan).map_err(exit::bad_input)?;
    let scenario = pick(&plan, args)?;
    let slos = slos(&args.slo)?;
    let start = args
        .start
        .map(Rate::as_per_second)
        .unwrap_or_else(|| highest_rate(&scenario));
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
    let dir = project_dir(&args.plan);
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
        probes: Vec::new(),
    };
    let mut lazy = store::LazyStore::new(args.record.store.as_deref(), plan.store.as_deref(), &dir);
    let mut search = Search::new(start, stepping, max_rate, args.rounds);
    let step_time = args.ramp.0 + args.warmup.0 + args.hold.0;
    let began = Instant::now();
    let mut steps: Vec<Step> = Vec::new();
    let ended = loop {
        let rate = match search.next() {
            Ok(rate) => rate,
            Err(ended) => break Outcome::Ended(ended),
        };
        if began.elapsed() + step_time > args.max_time.0 {
            break Outcome::OutOfTime;
        }
        let step = step_scenario(&scenario, rate, args);
        w.note(format_args!(
            "step {}: {rate:.1}/s ({} ramp, {} warm-up, {} hold)",
            steps.len() + 1,
            args.ramp,
            args.warmup,
            args.hold
        ));
        let prepared = rigor_recorder::prepare_load(&step, &options).map_err(record::failure)?;
        let recorded = record::load(lazy.get()?, prepared, w.progress())?;
        record::check_saved(recorded.lost)?;
        let summary = recorded.value;
        let run_id = summary.run_id;
        let store = lazy.get()?;
        let data = super::compare::load(store, store.run(run_id)?)?;
        // The hold's whole seconds: from the end of the ramp and warm-up to the hold's end.
        let from = (args.ramp.0 + args.warmup.0).as_secs_f64().ceil() as u32;
        let to = (args.ramp.0 + args.warmup.0 + args.hold.0)
            .as_secs_f64()
            .floor() as u32;
        let achieved =
            rigor_analysis::capacity::achieved_rate(&data, from..to.max(from)).unwrap_or(0.0);
        let verdict = judge_step(
            &summary,
            (rate, achieved),
            &slos,
            &Scope::Phase("hold".into()),
        );
        let interrupted = summary.status == RunStatus::Interrupted;
        match &verdict {
            StepVerdict::Pass => search.record(rate, true),
            StepVerdict::Fail(_) => search.record(rate, false),
            StepVerdict::Unjudged(_) => {}
        }
        let stop = match &verdict {
            StepVerdict::Unjudged(why) => Some(Outcome::Unjudged(why.clone())),
            _ if steps.is_empty() && summary.status == RunStatus::TargetFailed => {
                Some(Outcome::TargetDown)
            }
            _ => None,
        };
        steps.push(Step {
            offered: rate,
            achieved,
            run_id,
            summary,
            verdict,
        });
        if interrupted {
            break Outcome::Interrupted;
        }
        if let Some(stop) = stop {
            break stop;
        }
    };
    show(&steps, &search, &ended, &slos, w)?;
    Ok(match ended {
        Outcome::Ended(_) | Outcome::OutOfTime => ExitCode::SUCCESS,
        Outcome::Interrupted => ExitCode::from(exit::INTERRUPTED),
        Outcome::Unjudged(_) | Outcome::TargetDown => ExitCode::from(exit::NOT_COMPLETED),
    })
}

/// How the search ended.
enum Outcome {
    Ended(Ended),
    OutOfTime,
    Interrupted,
    Unjudged(String),
    TargetDown,
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
    if scenario.model == Model::Closed {
        return Err(exit::bad_input(anyhow::anyhow!(
            "scenario `{}` is a closed model (users, not a rate): the capacity search offers arrival rates; give it open-model phases",
            scenario.name
        )));
    }
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

/// The scenario at one step's rate: a ramp, a warm-up and the hold that is judged, stored as
/// `NAME@capacity` so that the scenario's own history and gate are not mixed with the search.
fn step_scenario(scenario: &Scenario, rate: f64, args: &CapacityArgs) -> Scenario {
    let r = Rate::per_second(rate);
    let phase = |name: &str, kind, duration: Duration, start: Rate| Phase {
        name: name.to_string(),
        kind,
        duration: Some(duration),
        iterations: None,
        load: PhaseLoad::Open { start, end: r },
        tolerance: None,
    };
    let mut step = scenario.clone();
    step.name = format!("{}@capacity", scenario.name);
    step.phases = vec![
        phase("ramp", PhaseKind::Ramp, args.ramp.0, Rate::ZERO),
        phase("warmup", PhaseKind::Steady, args.warmup.0, r),
        phase("hold", PhaseKind::Steady, args.hold.0, r),
    ];
    step.phases
        .retain(|p| p.duration.is_some_and(|d| !d.is_zero()));
    step.thresholds.clear();
    step.request_limit = None;
    step
}

fn project_dir(plan: &Path) -> PathBuf {
    plan.canonicalize()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("."))
}

/// The step table, then the result in words.
fn show(
    steps: &[Step],
    search: &Search,
    ended: &Outcome,
    slos: &[Expr],
    w: &mut Writer,
) -> anyhow::Result<()> {
    let hold = Scope::Phase("hold".into());
    let read = |s: &rigor_model::output::RunSummary, name: &str| -> Option<f64> {
        name.parse::<rigor_model::metric::Metric>()
            .ok()?
            .value_in_load(s, &hold)
            .ok()
            .flatten()
    };
    let ms = |v: Option<f64>| v.map_or("–".into(), rigor_model::units::format_nanos);
    w.line(format_args!(
        "{:>4}  {:>9}  {:>9}  {:>8}  {:>8}  {:>8}  {:>7}  {:>7}  {:>5}  verdict",
        "step", "offered", "achieved", "p50", "p95", "p99", "errors", "cpu", "run"
    ))?;
    for (i, s) in steps.iter().enumerate() {
        let verdict = match &s.verdict {
            StepVerdict::Pass => "pass".to_string(),
            StepVerdict::Fail(why) => format!("FAIL: {}", why.join("; ")),
            StepVerdict::Unjudged(why) => format!("not judged: {why}"),
        };
        w.line(format_args!(
            "{:>4}  {:>7.1}/s  {:>7.1}/s  {:>8}  {:>8}  {:>8}  {:>6.2}%  {:>7}  {:>5}  {verdict}",
            i + 1,
            s.offered,
            s.achieved,
            ms(read(&s.summary, "latency.p50")),
            ms(read(&s.summary, "latency.p95")),
            ms(read(&s.summary, "latency.p99")),
            read(&s.summary, "error_rate").unwrap_or(0.0) * 100.0,
            read(&s.summary, "target.cpu").map_or("–".into(), |c| format!("{:.1}%", c * 100.0)),
            s.run_id,
        ))?;
    }
    let judged = if slos.is_empty() {
        "throughput keeping up with the offered rate (no --slo given)".to_string()
    } else {
        format!(
            "{} and throughput keeping up with the offered rate",
            slos.iter()
                .map(|s| format!("`{}`", s.text))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let result = match (ended, search.last_pass, search.first_fail) {
        (Outcome::Ended(Ended::Bracketed) | Outcome::OutOfTime, Some(p), Some(f)) => format!(
            "maximum sustainable throughput: {p:.1}/s (it passed; {f:.1}/s failed), judged on {judged}"
        ),
        (Outcome::Ended(Ended::MaxRate), Some(p), _) => format!(
            "every step passed up to --max-rate {p:.1}/s: the capacity is above it; raise --max-rate to find it"
        ),
        (Outcome::Ended(Ended::FirstStepFailed), _, _) => format!(
            "the first step failed at {:.1}/s: the capacity is below it; give a lower --start",
            search.start
        ),
        (Outcome::TargetDown, _, _) => {
            "the target failed at the first step (down, or answering only errors): nothing was learned of its capacity".to_string()
        }
        (Outcome::Unjudged(why), p, _) => format!(
            "the search stopped: {why}{}",
            p.map(|p| format!("; the highest rate sustained before it: {p:.1}/s")).unwrap_or_default()
        ),
        (Outcome::Interrupted, p, _) => format!(
            "interrupted: every step so far is stored{}",
            p.map(|p| format!("; the highest rate sustained: {p:.1}/s")).unwrap_or_default()
        ),
        (Outcome::OutOfTime, p, _) => format!(
            "--max-time reached before the search ended{}",
            p.map(|p| format!("; the highest rate sustained: {p:.1}/s")).unwrap_or_default()
        ),
        (Outcome::Ended(Ended::Bracketed | Ended::MaxRate), _, _) => {
            "the search ended without a step that passed".into()
        }
    };
    w.line(format_args!("\n{result}"))?;
    Ok(())
}
