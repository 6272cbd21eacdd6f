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
use rigor_analysis::capacity::{judge_step, step_record, Ended, Search, StepVerdict, Stepping};
use rigor_model::expr::Expr;
use rigor_model::metric::Scope;
use rigor_model::output::capacity::{
    CapacityOutcome, CapacityReport, CapacitySettings, SearchEnd, SearchModel,
    CAPACITY_SCHEMA_VERSION,
};
use rigor_model::plan::{Model, Phase, PhaseKind, PhaseLoad, Scenario};
use rigor_model::units::HumanDuration;
use rigor_model::{Plan, Rate, Ratio, RunStatus};
use rigor_probe::Target;
use rigor_recorder::LoadOptions;
use rigor_report::{Format, Report, Writer};
use rigor_store::Store;

use super::report::{write_file, Existing};
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
    /// `error_rate < 1%`); repeatable. Besides them an open-model step fails when its
    /// throughput falls under 95 % of the offered rate (arrivals queue).
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

    /// A closed-model sweep instead of the rate search: one step at each number of users
    /// (`1,2,4,8,16` or a range `1..32`, doubling), every one measured, for the scalability
    /// model.
    #[arg(long, value_name = "USERS", value_parser = parse_users, conflicts_with_all = ["start", "step", "max_rate"])]
    pub concurrency: Option<Users>,

    /// The longest the search may take; a step that would end past it is not started.
    #[arg(long, value_name = "DURATION", default_value = "10m")]
    pub max_time: HumanDuration,

    /// Narrowing rounds between the last pass and the first fail.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(0..=20))]
    pub rounds: u32,

    /// Each step's ramp from zero to its load.
    #[arg(long, value_name = "DURATION", default_value = "2s")]
    pub ramp: HumanDuration,

    /// Each step's warm-up at its load, not judged.
    #[arg(long, value_name = "DURATION", default_value = "2s")]
    pub warmup: HumanDuration,

    /// Each step's hold at its load, judged.
    #[arg(long, value_name = "DURATION", default_value = "10s")]
    pub hold: HumanDuration,

    /// Project growth: what this many times today's load needs (`3x`, `3`, `200%` more is
    /// `3x`).
    #[arg(long, value_name = "FACTOR", value_parser = parse_growth)]
    pub growth: Option<f64>,

    /// Today's peak load, for `--growth` (default: the scenario's highest rate).
    #[arg(long = "load", value_name = "RATE", requires = "growth")]
    pub current: Option<Rate>,

    /// The utilisation instances are planned at, for `--growth`.
    #[arg(
        long,
        value_name = "PERCENT",
        default_value = "70%",
        requires = "growth"
    )]
    pub utilisation: Ratio,

    /// What one instance costs an hour (any currency), for `--growth`: the cost of a million
    /// requests at the SLO and a month of the projected load.
    #[arg(long, value_name = "COST", requires = "growth")]
    pub cost_per_instance_hour: Option<f64>,

    /// Show a stored search instead of running one: its id, or `latest`. With `--report DIR`
    /// it writes capacity-analysis.md, .json and .html.
    #[arg(long, value_name = "ID|latest", conflicts_with_all = ["concurrency", "start"])]
    pub show: Option<String>,

    #[command(flatten)]
    pub record: RecordArgs,
}

/// The users of a closed-model sweep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Users(pub Vec<u32>);

/// `1,2,4,8` or `1..32` (doubling from the first to the last, the last always included).
fn parse_users(text: &str) -> Result<Users, String> {
    let bad = || {
        format!(
            "`{text}`: give users as a list (`1,2,4,8`) or a range (`1..32`, doubling), each from 1 to 100000"
        )
    };
    let number = |t: &str| -> Result<u32, String> {
        t.trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=100_000).contains(n))
            .ok_or_else(bad)
    };
    let mut users = match text.split_once("..") {
        Some((a, b)) => {
            let (first, last) = (number(a)?, number(b)?);
            if last < first {
                return Err(bad());
            }
            let mut v = Vec::new();
            let mut n = first;
            while n < last {
                v.push(n);
                n = n.saturating_mul(2);
            }
            v.push(last);
            v
        }
        None => text.split(',').map(number).collect::<Result<Vec<_>, _>>()?,
    };
    users.sort_unstable();
    users.dedup();
    if users.len() > 64 {
        return Err(format!("`{text}`: at most 64 steps"));
    }
    Ok(Users(users))
}

/// `3x`, `3` or `300%` (the load three times today's).
fn parse_growth(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let value = if let Some(x) = t.strip_suffix(['x', '×']) {
        x.trim().parse::<f64>().ok()
    } else if let Some(p) = t.strip_suffix('%') {
        p.trim().parse::<f64>().ok().map(|p| p / 100.0)
    } else {
        t.parse::<f64>().ok()
    };
    value
        .filter(|v| v.is_finite() && *v > 0.0 && *v <= 1e6)
        .ok_or_else(|| {
            format!("`{text}`: give growth as a factor of today's load (`3x`, `1.5`, `300%`)")
        })
}

/// The steps to make: rates searched, or users swept.
enum Steps {
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
    let mut report = CapacityReport {
        schema_version: CAPACITY_SCHEMA_VERSION,
        search_id: None,
        scenario: scenario.name.clone(),
        model,
        slos: args.slo.clone(),
        settings,
        started_at_ns: now_ns(),
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
        None => store.create_capacity_search(report, now_ns()).map(|id| {
            report.search_id = Some(id);
        }),
        Some(_) => store.save_capacity_search(report, now_ns()),
    };
    if let Err(e) = saved {
        w.warn(format_args!(
            "the capacity search is not kept as a group in the store ({e}); its steps are stored as runs of {}@capacity",
            report.scenario
        ));
    }
}

/// How the search ended.
enum Outcome {
    Ended(Ended),
    Swept,
    OutOfTime,
    Interrupted,
    Unjudged(String),
    TargetDown,
}

/// The outcome as the report records it: what ended the search, the capacity found and the
/// sentence that says it.
fn outcome(
    report: &CapacityReport,
    plan: &Steps,
    ended: &Outcome,
    slos: &[Expr],
) -> CapacityOutcome {
    let judged = if slos.is_empty() {
        match report.model {
            SearchModel::Open => {
                "throughput keeping up with the offered rate (no --slo given)".to_string()
            }
            SearchModel::Closed => "every step that completed (no --slo given)".to_string(),
        }
    } else {
        format!(
            "{}{}",
            slos.iter()
                .map(|s| format!("`{}`", s.text))
                .collect::<Vec<_>>()
                .join(", "),
            if report.model == SearchModel::Open {
                " and throughput keeping up with the offered rate"
            } else {
                ""
            }
        )
    };
    let passed = |s: &&rigor_model::output::capacity::CapacityStep| {
        s.verdict == rigor_model::output::capacity::StepVerdictKind::Pass
    };
    // The capacity is the throughput the highest passing step achieved.
    let best = match report.model {
        SearchModel::Open => report.steps.iter().filter(passed).max_by(|a, b| {
            a.offered_per_s
                .unwrap_or(0.0)
                .total_cmp(&b.offered_per_s.unwrap_or(0.0))
        }),
        SearchModel::Closed => report
            .steps
            .iter()
            .filter(passed)
            .max_by(|a, b| a.achieved_per_s.total_cmp(&b.achieved_per_s)),
    };
    let (last_pass, first_fail) = match plan {
        Steps::Rates(search) => (search.last_pass, search.first_fail),
        Steps::Users(_) => (best.and_then(|s| s.users.map(f64::from)), None),
    };
    let capacity = best.map(|s| s.achieved_per_s);
    let sustained = |p: Option<f64>| {
        p.zip(capacity)
            .map(|(p, c)| {
                format!("; the highest step sustained: {p:.1}/s offered, {c:.1}/s achieved")
            })
            .unwrap_or_default()
    };
    let (end, summary) = match (ended, last_pass, first_fail) {
        (Outcome::Ended(Ended::Bracketed), Some(p), Some(f)) => (
            SearchEnd::Bracketed,
            format!(
                "maximum sustainable throughput: {:.1}/s (offered {p:.1}/s passed, {f:.1}/s failed), judged on {judged}",
                capacity.unwrap_or(p)
            ),
        ),
        (Outcome::Ended(Ended::MaxRate), Some(p), _) => (
            SearchEnd::MaxRate,
            format!(
                "every step passed up to --max-rate {p:.1}/s ({:.1}/s achieved): the capacity is above it; raise --max-rate to find it",
                capacity.unwrap_or(p)
            ),
        ),
        (Outcome::Ended(Ended::FirstStepFailed), _, _) => (
            SearchEnd::FirstStepFailed,
            format!(
                "the first step failed at {:.1}/s: the capacity is below it; give a lower --start",
                report.settings.start_per_s.unwrap_or(0.0)
            ),
        ),
        (Outcome::Ended(_), _, _) => (
            SearchEnd::Bracketed,
            "the search ended without a step that passed".to_string(),
        ),
        (Outcome::Swept, _, _) => (
            SearchEnd::Swept,
            match (best, capacity) {
                (Some(s), Some(c)) => format!(
                    "highest throughput that kept the SLOs: {c:.1}/s at {} users, judged on {judged}",
                    s.users.unwrap_or(0)
                ),
                _ => format!("no step kept the SLOs (judged on {judged})"),
            },
        ),
        (Outcome::TargetDown, _, _) => (
            SearchEnd::TargetDown,
            "the target failed at the first step (down, or answering only errors): nothing was learned of its capacity".to_string(),
        ),
        (Outcome::Unjudged(why), p, _) => (
            SearchEnd::NotJudged,
            format!("the search stopped: {why}{}", sustained(p)),
        ),
        (Outcome::Interrupted, p, _) => (
            SearchEnd::Interrupted,
            format!("interrupted: every step so far is stored{}", sustained(p)),
        ),
        (Outcome::OutOfTime, p, Some(f)) if p.is_some() => (
            SearchEnd::OutOfTime,
            format!(
                "--max-time reached while narrowing: the capacity lies between the last pass and {f:.1}/s{}",
                sustained(p)
            ),
        ),
        (Outcome::OutOfTime, p, _) => (
            SearchEnd::OutOfTime,
            format!("--max-time reached before the search ended{}", sustained(p)),
        ),
    };
    // Only a search that found its bracket (or swept) claims a capacity; the others say
    // what was sustained, not what the system can take.
    let claims = matches!(
        end,
        SearchEnd::Bracketed | SearchEnd::Swept | SearchEnd::OutOfTime
    ) && last_pass.is_some();
    CapacityOutcome {
        ended: end,
        max_sustainable_per_s: if claims { capacity } else { None },
        last_pass_per_s: last_pass,
        first_fail_per_s: first_fail,
        summary,
        notes: Vec::new(),
    }
}

/// Shows the report: the terminal's table and findings (or the JSON with `--json`), and with
/// `--report DIR` capacity-analysis.md, .json and .html.
fn present(report: &CapacityReport, args: &CapacityArgs, w: &mut Writer) -> anyhow::Result<()> {
    let shown = Report::Capacity(report);
    if args.record.json {
        w.report(&shown, Format::Json)?;
    } else {
        w.report(&shown, Format::Terminal)?;
    }
    if let Some(dir) = &args.record.report {
        std::fs::create_dir_all(dir).map_err(|e| {
            exit::not_completed(anyhow::anyhow!(
                "cannot make the report directory {}: {e}: give a place you can write to (the steps are stored)",
                dir.display()
            ))
        })?;
        for (format, name) in [
            (Format::Markdown, "capacity-analysis.md"),
            (Format::Json, "capacity-analysis.json"),
            (Format::Html, "capacity-analysis.html"),
        ] {
            let text = rigor_report::to_string(&shown, format)?;
            let path = dir.join(name);
            write_file(&path, &text, Existing::Replace, "capacity analysis")?;
            w.note(format_args!("wrote {}", path.display()));
        }
    }
    Ok(())
}

/// `--show ID|latest`: a stored search, as it was kept.
fn show_stored(args: &CapacityArgs, which: &str, w: &mut Writer) -> anyhow::Result<ExitCode> {
    let dir = project_dir(&args.plan);
    let plan_store = Plan::load(&args.plan).ok().and_then(|p| p.store);
    let flag = args.record.store.as_deref();
    let store = match (flag, plan_store) {
        (None, Some(s)) => store::open_existing_store(Some(&dir.join(s)), &dir)?,
        _ => store::open_existing_store(flag, &dir)?,
    };
    let store = store.map_err(|path| {
        exit::bad_input(anyhow::anyhow!(
            "no run store at {}: `rigor capacity` makes a search first",
            path.display()
        ))
    })?;
    let searches = store
        .capacity_searches(None)
        .map_err(store::store_failure)?;
    let found = match which {
        "latest" => searches.last(),
        id => {
            let id: i64 = id.parse().map_err(|_| {
                exit::bad_input(anyhow::anyhow!(
                    "--show `{id}`: give a capacity search's id or `latest`"
                ))
            })?;
            searches.iter().find(|s| s.search_id == Some(id))
        }
    };
    let Some(report) = found else {
        let ids: Vec<String> = searches
            .iter()
            .filter_map(|s| s.search_id.map(|id| format!("{id} ({})", s.scenario)))
            .collect();
        return Err(exit::bad_input(anyhow::anyhow!(
            "no capacity search `{which}` in {}{}",
            store.location(),
            if ids.is_empty() {
                ": `rigor capacity` makes one".to_string()
            } else {
                format!("; it has {}", ids.join(", "))
            }
        )));
    };
    present(report, args, w)?;
    Ok(ExitCode::SUCCESS)
}

fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64)
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

fn project_dir(plan: &Path) -> PathBuf {
    plan.canonicalize()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("."))
}
