//! A session's inputs: checked as they are given, and the missing-benchmark remediation that
//! writes a minimal scenario or bench into the plan.

use std::path::Path;

use rigor_model::tune::{parse_goal, Reproducer, Session};
use rigor_model::Plan;

use super::Inputs;
use crate::exit;

/// Sets the inputs given, each checked: a goal that parses, a scenario or bench the plan has.
pub(super) fn apply(
    session: &mut Session,
    inputs: &Inputs,
    plan: Option<&Plan>,
    plan_path: &Path,
) -> anyhow::Result<Vec<String>> {
    if let Some(goal) = &inputs.goal {
        parse_goal(goal).map_err(|e| exit::bad_input(anyhow::anyhow!("--goal {e}")))?;
        session.goal = Some(goal.clone());
    }
    if let Some(peak) = inputs.peak {
        session.expected_peak = Some(peak.to_string());
    }
    if let Some(scope) = &inputs.scope {
        session.scope = Some(scope.clone());
    }
    if let Some(tests) = &inputs.tests {
        session.tests = Some(tests.clone());
    }
    let mut notes = Vec::new();
    let written = write_minimal(session, inputs, (plan, plan_path), &mut notes)?;
    let plan_now = if written.is_some() {
        Plan::load(plan_path).ok()
    } else {
        None
    };
    let plan = plan_now.as_ref().or(plan);
    let wanted = match (&inputs.scenario, &inputs.bench, written) {
        (_, _, Some(r)) => Some(r),
        (Some(s), _, _) => Some(Reproducer::Scenario(s.clone())),
        (_, Some(b), _) => Some(Reproducer::Bench(b.clone())),
        _ => None,
    };
    if let Some(reproducer) = wanted {
        let Some(plan) = plan else {
            return Err(exit::bad_input(anyhow::anyhow!(
                "no plan at {} to find {reproducer} in: `rigor init` writes one, or pass --plan FILE",
                plan_path.display()
            )));
        };
        let (name, names): (&str, Vec<&str>) = match &reproducer {
            Reproducer::Scenario(s) => (s, plan.scenario.iter().map(|s| s.name.as_str()).collect()),
            Reproducer::Bench(b) => (b, plan.bench.iter().map(|b| b.name.as_str()).collect()),
        };
        if !names.contains(&name) {
            let hint = rigor_model::plan::did_you_mean(name, &names)
                .map(|n| format!(" (did you mean `{n}`?)"))
                .unwrap_or_default();
            return Err(exit::bad_input(anyhow::anyhow!(
                "{} has no {reproducer}{hint}; it has {}",
                plan_path.display(),
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            )));
        }
        session.reproducer = Some(reproducer);
    }
    Ok(notes)
}

/// The missing-benchmark remediation: appends a minimal scenario for `--url` (or bench for
/// `--command`) to the plan, creating it if need be, and says where; `None` when neither is
/// given.
fn write_minimal(
    session: &Session,
    inputs: &Inputs,
    (plan, plan_path): (Option<&Plan>, &Path),
    notes: &mut Vec<String>,
) -> anyhow::Result<Option<Reproducer>> {
    // Scenarios and benches share one namespace (`rigor run NAME`): each kind has its own.
    let name = if inputs.url.is_some() {
        format!("tune-{}", session.name)
    } else {
        format!("tune-{}-bench", session.name)
    };
    let taken = plan.is_some_and(|p| {
        p.scenario.iter().any(|s| s.name == name) || p.bench.iter().any(|b| b.name == name)
    });
    let quote = |text: &str| serde_json::to_string(text).unwrap_or_default();
    let (block, reproducer) = match (&inputs.url, &inputs.command) {
        (Some(url), _) => {
            rigor_model::plan::check_url(url)
                .map_err(|e| exit::bad_input(anyhow::anyhow!("--url {e}")))?;
            let rate = session
                .goal
                .as_deref()
                .and_then(|g| parse_goal(g).ok())
                .and_then(|g| g.at)
                .map_or_else(|| "10/s".to_string(), |r| r.to_string());
            (
                format!(
                    "[[scenario]]\nname = {}\nphases = [{{ kind = \"steady\", rate = \"{rate}\", for = \"30s\" }}]\n[[scenario.request]]\nurl = {}\n",
                    quote(&name),
                    quote(url)
                ),
                Reproducer::Scenario(name.clone()),
            )
        }
        (None, Some(command)) => (
            format!(
                "[[bench]]\nname = {}\ncommand = {}\nshell = true\nwarmup = 2\nmin_runs = 10\n",
                quote(&name),
                quote(command)
            ),
            Reproducer::Bench(name.clone()),
        ),
        (None, None) => return Ok(None),
    };
    if taken {
        return Ok(Some(reproducer));
    }
    let before = std::fs::read_to_string(plan_path).unwrap_or_default();
    let line = before.lines().count() + 3;
    let text = format!(
        "{before}{}\n# Written by `rigor tune` for session `{}`: a minimal benchmark, the procedure's remedy for a missing one. Edit it to match real use.\n{block}",
        if before.is_empty() || before.ends_with('\n') { "" } else { "\n" },
        session.name
    );
    Plan::parse(&text, plan_path).map_err(|e| {
        exit::bad_input(anyhow::anyhow!(
            "the minimal benchmark would not make a valid plan: {e}"
        ))
    })?;
    std::fs::write(plan_path, text).map_err(|e| {
        exit::not_completed(anyhow::anyhow!("cannot write {}: {e}", plan_path.display()))
    })?;
    notes.push(format!(
        "wrote a minimal {reproducer} to {}:{line}: edit it to match real use",
        plan_path.display()
    ));
    Ok(Some(reproducer))
}
