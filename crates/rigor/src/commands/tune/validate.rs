//! `rigor tune validate`: a change measured against the session's baseline, every metric
//! with its interval, the functional tests run, and the iteration judged.

use std::path::Path;

use rigor_model::output::analysis::{ChangeKind, MetricComparison, VerdictName};
use rigor_model::tune::{
    parse_goal, Answer, Gate, HypothesisStatus, Iteration, IterationOutcome, MetricChange, Session,
    Signed, TestsOutcome,
};
use rigor_report::Writer;
use rigor_store::Store;

use super::measure::{goal_check, run_reproducer};
use super::{log, plan_dir, TuneArgs};
use crate::exit;

/// Validates a change: the reproducer again, the comparison with the baseline, the functional
/// tests, the goal; the iteration is recorded whatever it came to.
pub(super) fn validate(
    session: &mut Session,
    (note, hypothesis): (&Option<String>, Option<u32>),
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
    if let Some(id) = hypothesis {
        if !session.hypotheses.iter().any(|h| h.id == id) {
            return Err(exit::bad_input(anyhow::anyhow!(
                "no hypothesis {id}: `rigor tune hypothesis list` lists them"
            )));
        }
    }
    let run = run_reproducer(session, &args.plan, args.store.as_deref(), (3, &[]), w)?;
    let comparison = {
        let a = crate::commands::compare::load(store, store.run(baseline)?)?;
        let b = crate::commands::compare::load(store, store.run(run)?)?;
        let settings = rigor_analysis::CompareSettings::default();
        let history = crate::commands::compare::history(store, &a, &b, settings.history_runs)?;
        rigor_analysis::compare_with_history(&a, &history, &b, &settings).ok()
    };
    let metrics = comparison.as_ref().map_or(&[][..], |c| &c.metrics[..]);
    let goal_metric = session
        .goal
        .as_deref()
        .and_then(|g| parse_goal(g).ok())
        .map(|g| g.metric.to_string());
    let goal_change = metrics
        .iter()
        .find(|m| Some(&m.metric) == goal_metric.as_ref())
        .map(change_of);
    let others = |verdict: VerdictName| -> Vec<MetricChange> {
        metrics
            .iter()
            .filter(|m| m.verdict == verdict && Some(&m.metric) != goal_metric.as_ref())
            .map(change_of)
            .collect()
    };
    let tests = session
        .tests
        .as_deref()
        .map(|cmd| run_tests(cmd, &plan_dir(&args.plan), w));
    let goal = goal_check(session, store, Some(run));
    let (regressed, signals_regressed): (Vec<MetricChange>, Vec<MetricChange>) =
        others(VerdictName::Regressed)
            .into_iter()
            .partition(|m| rigor_model::tune::is_outcome(&m.metric));
    let outcome = match (&tests, &goal_change) {
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
    let number = session.iterations.len() as u32 + 1;
    if let Some(id) = hypothesis {
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
                "iteration {number}, run {run} against {baseline}: {}",
                goal_change.as_ref().map_or_else(
                    || outcome.as_str().to_string(),
                    |c| format!("{} {}", c.metric, c.text)
                )
            ));
        }
    }
    session.iterations.push(Iteration {
        number,
        run_id: run,
        against: baseline,
        note: note.clone(),
        hypothesis,
        goal,
        goal_change,
        improved: others(VerdictName::Improved),
        regressed,
        signals_regressed,
        tests,
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
        w.warn(format_args!(
            "RegressionDetected: iteration {number} made {} worse; roll back {}",
            goal_metric.unwrap_or_default(),
            note.as_deref()
                .map_or("the change".into(), |n| format!("`{n}`"))
        ));
    }
    Ok(())
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
