//! `rigor tune validate`: a change measured against the session's baseline, every metric
//! with its interval, the functional tests run, and the iteration judged.

use std::path::Path;

use rigor_model::output::analysis::{ChangeKind, Comparison, MetricComparison, VerdictName};
use rigor_model::tune::{
    parse_goal, Answer, Gate, HypothesisStatus, Interleaved, Iteration, IterationOutcome,
    MetricChange, PeakCheck, Reproducer, Session, Signed, TestsOutcome,
};
use rigor_report::Writer;
use rigor_store::Store;

use super::measure::{goal_check, goal_check_against, run_reproducer, Step};
use super::{log, plan_dir, TuneArgs};
use crate::exit;

/// What `rigor tune validate` was asked: what changed, the hypothesis it tests, and, for an
/// interleaved validation, the commands that start the version before and after the change.
pub(super) struct Request<'a> {
    pub note: Option<&'a str>,
    pub hypothesis: Option<u32>,
    pub interleave: Option<(&'a str, &'a str)>,
    pub rounds: u32,
}

/// The least change in the target's CPU, as a share of the machine, that counts as a
/// trade-off: 2 points (a 25th of a core on a 2-core machine is not a cost anyone signs for).
const CPU_FLOOR: f64 = 0.02;

/// A comparison read for the session: the goal's metric, the other outcomes that improved or
/// regressed, and the diagnostic signals that moved the wrong way.
#[derive(Default)]
struct Judged {
    goal_change: Option<MetricChange>,
    improved: Vec<MetricChange>,
    regressed: Vec<MetricChange>,
    signals_regressed: Vec<MetricChange>,
}

impl Judged {
    fn of(comparison: Option<&Comparison>, goal_metric: Option<&str>) -> Judged {
        let metrics = comparison.map_or(&[][..], |c| &c.metrics[..]);
        let others = |verdict: VerdictName| -> Vec<MetricChange> {
            metrics
                .iter()
                .filter(|m| m.verdict == verdict && Some(m.metric.as_str()) != goal_metric)
                .map(change_of)
                .collect()
        };
        // A trade-off is an outcome that got worse by a margin that matters: the target's CPU
        // of a near-idle target moves by a fifth on the machine's noise alone over a short
        // run, which is no cost to sign off; it is shown among the signals instead.
        let small_cpu: Vec<&str> = metrics
            .iter()
            .filter(|m| {
                m.metric.starts_with("target.cpu") && (m.candidate - m.baseline).abs() < CPU_FLOOR
            })
            .map(|m| m.metric.as_str())
            .collect();
        let (regressed, signals_regressed) =
            others(VerdictName::Regressed).into_iter().partition(|m| {
                rigor_model::tune::is_outcome(&m.metric) && !small_cpu.contains(&m.metric.as_str())
            });
        Judged {
            goal_change: metrics
                .iter()
                .find(|m| Some(m.metric.as_str()) == goal_metric)
                .map(change_of),
            improved: others(VerdictName::Improved),
            regressed,
            signals_regressed,
        }
    }
}

/// The `rigor run` option that starts another version of what the reproducer measures.
fn override_flag(session: &Session) -> &'static str {
    match session.reproducer {
        Some(Reproducer::Bench(_)) => "--bench-command",
        _ => "--target-command",
    }
}

/// Validates a change: the reproducer again (or the versions before and after it in
/// alternation), the comparison with the baseline, the same at the expected peak, the
/// functional tests, the goal; the iteration is recorded whatever it came to.
pub(super) fn validate(
    session: &mut Session,
    request: &Request<'_>,
    args: &TuneArgs,
    by: &Signed,
    store: &mut dyn Store,
    w: &mut Writer,
) -> anyhow::Result<()> {
    let refuse = |why: &str| {
        Err(exit::bad_input(anyhow::anyhow!(
            "cannot validate yet: {why}"
        )))
    };
    if request.interleave.is_some() && override_flag(session) == "--target-command" {
        let ready = rigor_model::Plan::load(&args.plan)
            .ok()
            .and_then(|p| p.target)
            .and_then(|t| t.ready);
        if ready.is_none() {
            return Err(exit::bad_input(anyhow::anyhow!(
                "--before and --after start the target for each run: {} needs a [target] with `ready`, the URL that answers once the target is up, so no run loads a target still starting",
                args.plan.display()
            )));
        }
    }
    if session.approved.is_none() {
        return refuse("the tuning is not approved (`rigor tune approve`)");
    }
    if session
        .answer(Gate::Plan)
        .is_none_or(|a| a.answer != Answer::Yes)
    {
        return refuse("the plan is not approved (`rigor tune gate plan --yes`): it is reviewed before it is executed");
    }
    let Some(baseline) = session.baseline_run else {
        return refuse("no baseline is recorded (`rigor tune baseline`)");
    };
    if let Some(id) = request.hypothesis {
        if !session.hypotheses.iter().any(|h| h.id == id) {
            return Err(exit::bad_input(anyhow::anyhow!(
                "no hypothesis {id}: `rigor tune hypothesis list` lists them"
            )));
        }
    }
    let number = session.iterations.len() as u32 + 1;
    let flag = override_flag(session);
    let (run, against, interleaved, compared) = match request.interleave {
        Some((before, after)) => {
            let (before_runs, after_runs) =
                interleave(session, args, (flag, before, after), request.rounds, w)?;
            let load = |ids: &[i64]| -> anyhow::Result<Vec<rigor_analysis::RunData>> {
                ids.iter()
                    .map(|id| crate::commands::compare::load(store, store.run(*id)?))
                    .collect()
            };
            let comparison = rigor_analysis::compare::compare_interleaved(
                &load(&before_runs)?,
                &load(&after_runs)?,
                &rigor_analysis::CompareSettings::default(),
            )
            .ok();
            let interleaved = Interleaved {
                before: before.to_string(),
                after: after.to_string(),
                rounds: request.rounds,
                before_runs: before_runs.clone(),
                after_runs: after_runs.clone(),
            };
            (
                *after_runs.last().unwrap_or(&baseline),
                *before_runs.last().unwrap_or(&baseline),
                Some(interleaved),
                comparison,
            )
        }
        None => {
            let step = Step::new(3, format!("validating change {number}"));
            let run = run_reproducer(session, &args.plan, args.store.as_deref(), step, w)?;
            (run, baseline, None, comparison(store, baseline, run)?)
        }
    };
    let goal_metric = session
        .goal
        .as_deref()
        .and_then(|g| parse_goal(g).ok())
        .map(|g| g.metric.to_string());
    let judged = Judged::of(compared.as_ref(), goal_metric.as_deref());
    let previous = match session.iterations.last() {
        Some(last) => {
            let c = comparison(store, last.run_id, run)?;
            Judged::of(c.as_ref(), goal_metric.as_deref()).goal_change
        }
        None => None,
    };
    let after = request.interleave.map(|(_, after)| (flag, after));
    let peak = at_peak(session, args, after, number, store, w)?;
    let tests = session
        .tests
        .as_deref()
        .map(|cmd| run_tests(cmd, &plan_dir(&args.plan), w));
    let goal = goal_check(session, store, Some(run));
    let mut regressed = judged.regressed;
    if let Some(p) = &peak {
        regressed.extend(p.regressed.iter().cloned());
    }
    let outcome = match (&tests, &judged.goal_change) {
        (Some(t), _) if !t.passed => IterationOutcome::TestsFailed,
        (_, Some(c)) if c.verdict == "regressed" => IterationOutcome::Regressed,
        (_, Some(c)) if c.verdict == "improved" && regressed.is_empty() => {
            IterationOutcome::Improved
        }
        (_, Some(c)) if c.verdict == "improved" => IterationOutcome::TradeOff,
        // A goal the comparison does not judge (a request's or a target's figure): met or not.
        (_, None) if goal.as_ref().and_then(|g| g.met) == Some(true) && regressed.is_empty() => {
            IterationOutcome::Improved
        }
        _ => IterationOutcome::NoImprovement,
    };
    if let Some(id) = request.hypothesis {
        if let Some(h) = session.hypotheses.iter_mut().find(|h| h.id == id) {
            let confirmed = matches!(
                outcome,
                IterationOutcome::Improved | IterationOutcome::TradeOff
            );
            h.status = if confirmed {
                HypothesisStatus::Confirmed
            } else {
                HypothesisStatus::Refuted
            };
            h.evidence = Some(format!(
                "iteration {number}, run {run} against {against}: {}",
                judged.goal_change.as_ref().map_or_else(
                    || outcome.as_str().to_string(),
                    |c| format!("{} {}", c.metric, c.text)
                )
            ));
        }
    }
    session.iterations.push(Iteration {
        number,
        run_id: run,
        against,
        note: request.note.map(str::to_string),
        hypothesis: request.hypothesis,
        goal,
        goal_change: judged.goal_change,
        improved: judged.improved,
        regressed,
        signals_regressed: judged.signals_regressed,
        tests,
        previous,
        interleaved,
        peak,
        outcome,
        signed: by.clone(),
    });
    log(
        session,
        by,
        format!(
            "validated iteration {number} (run {run}): {}",
            outcome.as_str()
        ),
    );
    if outcome == IterationOutcome::Regressed {
        let why = format!(
            "RegressionDetected: iteration {number} made {} worse; roll back {}",
            goal_metric.unwrap_or_default(),
            request
                .note
                .map_or("the change".into(), |n| format!("`{n}`"))
        );
        w.warn(format_args!("{why}"));
        super::measure::record(session, &why);
    }
    Ok(())
}

/// Runs the version before the change and the version after it in alternation, `rounds`
/// times each (A B A B …), each started by its command through `flag`; returns their runs.
fn interleave(
    session: &mut Session,
    args: &TuneArgs,
    (flag, before, after): (&str, &str, &str),
    rounds: u32,
    w: &mut Writer,
) -> anyhow::Result<(Vec<i64>, Vec<i64>)> {
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for round in 1..=rounds {
        for (which, command, runs) in [("before", before, &mut a), ("after", after, &mut b)] {
            let step = Step::new(
                3,
                format!("interleaved validation, round {round} of {rounds}, {which} the change"),
            )
            .with(&[flag, command]);
            runs.push(run_reproducer(
                session,
                &args.plan,
                args.store.as_deref(),
                step,
                w,
            )?);
        }
    }
    Ok((a, b))
}

/// The change at the expected peak load: one run there (of the version after the change, for
/// an interleaved validation) against the baseline's run at the peak.
fn at_peak(
    session: &mut Session,
    args: &TuneArgs,
    after: Option<(&str, &str)>,
    number: u32,
    store: &dyn Store,
    w: &mut Writer,
) -> anyhow::Result<Option<PeakCheck>> {
    let Some(rate) = session.expected_peak.clone() else {
        return Ok(None);
    };
    let rate = rate.as_str();
    if matches!(session.reproducer, Some(Reproducer::Bench(_))) {
        return Ok(None);
    }
    let mut step = Step::new(
        3,
        format!("validating change {number} at the expected peak"),
    )
    .with(&["--rate", rate]);
    if let Some((flag, command)) = after {
        step = step.with(&[flag, command]);
    }
    let run = run_reproducer(session, &args.plan, args.store.as_deref(), step, w)?;
    let goal_metric = session
        .goal
        .as_deref()
        .and_then(|g| parse_goal(g).ok())
        .map(|g| g.metric.to_string());
    let Some(against) = session.baseline_peak_run else {
        return Ok(Some(PeakCheck {
            rate: rate.to_string(),
            run_id: run,
            against: None,
            goal: None,
            goal_change: None,
            regressed: Vec::new(),
            note: Some(format!(
                "the baseline has no run at the peak ({rate} was set after it was taken): `rigor tune baseline` takes both, and later changes are judged there too"
            )),
        }));
    };
    let judged = Judged::of(
        comparison(store, against, run)?.as_ref(),
        goal_metric.as_deref(),
    );
    let at = |mut m: MetricChange| {
        m.metric = format!("{} at the peak {rate}", m.metric);
        m
    };
    let mut regressed: Vec<MetricChange> = judged.regressed.into_iter().map(at).collect();
    if let Some(c) = judged
        .goal_change
        .as_ref()
        .filter(|c| c.verdict == "regressed")
    {
        regressed.insert(0, at(c.clone()));
    }
    Ok(Some(PeakCheck {
        rate: rate.to_string(),
        run_id: run,
        against: Some(against),
        goal: goal_check_against(session, store, run, against),
        goal_change: judged.goal_change,
        regressed,
        note: None,
    }))
}

/// Run `b` against run `a`, with the spread between earlier runs of `a`'s scenario when the
/// store has enough of them; `None` when they share nothing to compare.
fn comparison(store: &dyn Store, a: i64, b: i64) -> anyhow::Result<Option<Comparison>> {
    let a = crate::commands::compare::load(store, store.run(a)?)?;
    let b = crate::commands::compare::load(store, store.run(b)?)?;
    let settings = rigor_analysis::CompareSettings::default();
    let history = crate::commands::compare::history(store, &a, &b, settings.history_runs)?;
    Ok(rigor_analysis::compare_with_history(&a, &history, &b, &settings).ok())
}

fn change_of(m: &MetricComparison) -> MetricChange {
    let pct = |v: f64| match m.change_kind {
        ChangeKind::Relative => format!("{:+.1}%", v * 100.0),
        ChangeKind::Absolute => format!("{:+.2}pt", v * 100.0),
    };
    MetricChange {
        metric: m.metric.clone(),
        verdict: m.verdict.as_str().to_string(),
        change: m.change,
        lower: m.change_lower,
        upper: m.change_upper,
        text: format!(
            "{} [{}, {}] ({})",
            pct(m.change),
            pct(m.change_lower),
            pct(m.change_upper),
            m.verdict.as_str()
        ),
        method: m.method.clone(),
    }
}

/// Runs the functional tests (`sh -c`, in the plan's directory).
fn run_tests(command: &str, dir: &Path, w: &mut Writer) -> TestsOutcome {
    w.note(format_args!("functional tests: sh -c '{command}'"));
    let output = std::process::Command::new("sh")
        .args(["-c", command])
        .current_dir(dir)
        .output();
    match output {
        Err(e) => TestsOutcome {
            command: command.to_string(),
            passed: false,
            exit_code: None,
            output_tail: format!("could not start: {e}"),
        },
        Ok(o) => {
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            );
            let lines: Vec<&str> = text.lines().collect();
            let tail = lines[lines.len().saturating_sub(20)..].join("\n");
            TestsOutcome {
                command: command.to_string(),
                passed: o.status.success(),
                exit_code: o.status.code(),
                output_tail: tail,
            }
        }
    }
}
