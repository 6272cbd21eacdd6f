//! The gates of a session: what each needs before it can pass with a Yes.

use std::io::{BufRead, IsTerminal, Write};

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
        Gate::Diagnosis if session.diagnosis.is_none() => {
            refuse("no diagnosis ran (`rigor tune diagnose [--profile]` runs the scenario and names the bottleneck)".into())
        }
        Gate::Optimisation => optimisation_ready(session, note).or_else(refuse),
        Gate::Governance if session.answer(Gate::Optimisation).is_none_or(|a| a.answer != Answer::Yes) => {
            refuse("the optimisation gate has not passed".into())
        }
        Gate::Governance if session.capacity.is_none() => refuse(
            "phase 4 is not done: `rigor tune capacity --search latest` takes a capacity search of the tuned system, or `--skip --reason …` records why it is skipped".into(),
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

/// Whether a person is at the terminal to answer a gate (stdin and stderr both a terminal).
pub(super) fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Asks a person at the terminal: the gate's question, what stands in the way of a Yes (when
/// something does), then Yes / No / Clarify, and the note a sign-off or a question needs.
pub(super) fn ask(session: &Session, gate: Gate) -> anyhow::Result<(Answer, Option<String>)> {
    let mut err = std::io::stderr();
    writeln!(err, "gate `{}`: {}", gate.as_str(), gate.question())?;
    let needs_note = match check_gate(session, gate, None) {
        Ok(()) => false,
        Err(e) => {
            writeln!(err, "  {e}")?;
            check_gate(session, gate, Some("signed off")).is_ok()
        }
    };
    let stdin = std::io::stdin();
    let mut line = String::new();
    let mut read = |prompt: &str| -> anyhow::Result<String> {
        write!(err, "{prompt}")?;
        err.flush()?;
        line.clear();
        if stdin.lock().read_line(&mut line)? == 0 {
            return Err(exit::bad_input(anyhow::anyhow!(
                "no answer (end of input): the gate is left unanswered"
            )));
        }
        Ok(line.trim().to_string())
    };
    loop {
        let choice = read("Yes, No or Clarify? [y/n/c] ")?.to_lowercase();
        let answer = match choice.as_str() {
            "y" | "yes" => Answer::Yes,
            "n" | "no" => Answer::No,
            "c" | "clarify" => Answer::Clarify,
            _ => continue,
        };
        let note = match answer {
            Answer::Clarify => Some(read("What must be answered first? ")?),
            Answer::Yes if needs_note => Some(read("Why is it acceptable? (the sign-off) ")?),
            _ => Some(read("A note for the record (Enter for none): ")?),
        }
        .filter(|n| !n.is_empty());
        if answer == Answer::Clarify && note.is_none() {
            continue;
        }
        return Ok((answer, note));
    }
}
