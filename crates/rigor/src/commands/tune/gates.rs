//! The gates of a session: what each needs before it can pass with a Yes.

use rigor_model::tune::{Answer, Gate, IterationOutcome, Session};

use crate::exit;

/// What a gate needs before it can pass with a Yes (`note` is the answer's sign-off).
pub(super) fn check_gate(session: &Session, gate: Gate, note: Option<&str>) -> anyhow::Result<()> {
    let refuse = |why: String| {
        Err(exit::bad_input(anyhow::anyhow!(
            "the {} gate cannot pass yet: {why}",
            gate.as_str()
        )))
    };
    match gate {
        Gate::Plan if session.hypotheses.is_empty() => {
            refuse("the plan has no hypothesis (`rigor tune hypothesis add …`)".into())
        }
        Gate::Plan | Gate::Baseline if !session.blocked_by().is_empty() => refuse(format!(
            "the session lacks its {}",
            session
                .blocked_by()
                .iter()
                .map(|m| m.input.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
        Gate::Baseline if session.baseline_run.is_none() => {
            refuse("no baseline is recorded (`rigor tune baseline`)".into())
        }
        Gate::Diagnosis | Gate::Optimisation | Gate::Governance
            if session
                .answer(Gate::Baseline)
                .is_none_or(|a| a.answer != Answer::Yes) =>
        {
            refuse("the baseline gate has not passed".into())
        }
        Gate::Optimisation => optimisation_ready(session, note).or_else(refuse),
        Gate::Governance if session.answer(Gate::Optimisation).is_none_or(|a| a.answer != Answer::Yes) => {
            refuse("the optimisation gate has not passed".into())
        }
        Gate::Governance if session.capacity.is_none() => refuse(
            "phase 4 is not done: `rigor tune capacity --skip --reason …` records why it is skipped".into(),
        ),
        Gate::Governance if session.monitoring.is_none() => refuse(
            "no budget or SLO update is recorded: `rigor tune monitor` writes the goal into the plan as a budget".into(),
        ),
        _ => Ok(()),
    }
}

/// Whether the latest iteration can pass the optimisation gate: it improved the goal's
/// metric, the functional tests passed (whatever the speed-up), and a goal missed or a
/// trade-off is signed off with a note. `Err` says what stands in the way.
fn optimisation_ready(session: &Session, note: Option<&str>) -> Result<(), String> {
    let Some(last) = session.iterations.last() else {
        return Err(
            "no change has been validated (`rigor tune validate --note 'what changed'`)".into(),
        );
    };
    if last.tests.as_ref().is_some_and(|t| !t.passed) {
        return Err(format!(
            "the functional tests failed in iteration {} (fast but wrong is useless, whatever the speed-up): fix them and validate again",
            last.number
        ));
    }
    if !matches!(
        last.outcome,
        IterationOutcome::Improved | IterationOutcome::TradeOff
    ) {
        return Err(format!(
            "iteration {} came to {}: validate a change that improves the goal's metric",
            last.number,
            last.outcome.as_str()
        ));
    }
    let goal_missed = last.goal.as_ref().is_some_and(|g| g.met == Some(false));
    let traded: Vec<&str> = last.regressed.iter().map(|m| m.metric.as_str()).collect();
    if (goal_missed || !traded.is_empty()) && note.is_none() {
        let mut why = Vec::new();
        if goal_missed {
            why.push("the goal is not met".to_string());
        }
        if !traded.is_empty() {
            why.push(format!("{} regressed (a trade-off)", traded.join(", ")));
        }
        return Err(format!(
            "{}: sign it off explicitly with --yes --note 'why it is acceptable'",
            why.join(" and ")
        ));
    }
    Ok(())
}
