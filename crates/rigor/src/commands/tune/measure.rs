//! Measuring for a session: the reproducer run as a child `rigor run`, and a run's figure
//! against the session's goal.

use std::path::Path;

use rigor_model::expr::Target;
use rigor_model::metric::Scope;
use rigor_model::tune::{parse_goal, GoalCheck, Reproducer, Session};
use rigor_report::Writer;
use rigor_store::Store;

use crate::exit;

/// One run of the reproducer: the protocol's phase it belongs to, what it is for, and the
/// `rigor run` options that change it (`--rate`, `--target-command`, `--profile` …).
pub(super) struct Step<'a> {
    pub phase: u8,
    pub what: String,
    pub extra: Vec<&'a str>,
}

impl<'a> Step<'a> {
    pub fn new(phase: u8, what: impl Into<String>) -> Step<'a> {
        Step {
            phase,
            what: what.into(),
            extra: Vec::new(),
        }
    }

    pub fn with(mut self, extra: &[&'a str]) -> Step<'a> {
        self.extra.extend_from_slice(extra);
        self
    }
}

/// Runs the reproducer as `rigor run NAME --json` (this binary), announced as part of the
/// protocol's phase, and returns its run id.
pub(super) fn run_reproducer(
    session: &mut Session,
    plan: &Path,
    store: Option<&Path>,
    step: Step<'_>,
    w: &mut Writer,
) -> anyhow::Result<i64> {
    let Step { phase, what, extra } = step;
    let name = match &session.reproducer {
        Some(Reproducer::Scenario(n) | Reproducer::Bench(n)) => n.clone(),
        None => {
            return Err(exit::bad_input(anyhow::anyhow!(
                "the session has no test or benchmark to take a baseline with: `rigor tune set --scenario NAME` (or --bench NAME)"
            )))
        }
    };
    let start = format!(
        "[PHASE {phase} START] - {what}: rigor run {name} --plan {}{}",
        plan.display(),
        extra
            .iter()
            .map(|a| format!(" {}", shell_quote(a)))
            .collect::<String>()
    );
    announce(session, w, &start);
    let mut attempt = 1;
    let (run, status) = loop {
        let (run, status) = run_once(session, plan, store, (&name, &extra))?;
        // An invalid run measured the generator, not the system (it fell behind its schedule:
        // a busy machine); it says nothing either way, so the step measures again, the
        // invalid run kept and named. The target's failure is the system's and is not retried.
        if status == "invalid" && attempt < INVALID_ATTEMPTS {
            let why = format!(
                "LoadTestFailure: run {run} is invalid (the generator fell behind its schedule: `rigor show {run}` says how far); measuring again, attempt {} of {INVALID_ATTEMPTS}",
                attempt + 1
            );
            announce(session, w, &why);
            attempt += 1;
            continue;
        }
        break (run, status);
    };
    if matches!(
        status.as_str(),
        "invalid" | "target_failed" | "aborted" | "interrupted"
    ) {
        let why = format!(
            "LoadTestFailure: run {run} is {status}{}: a measurement to judge by must be trustworthy; `rigor show {run}` says why, then run this step again",
            if attempt > 1 {
                format!(" (after {attempt} attempts)")
            } else {
                String::new()
            }
        );
        return Err(failure(session, why));
    }
    announce(
        session,
        w,
        &format!("[PHASE {phase} COMPLETE] - {what}: run {run} ({status})"),
    );
    Ok(run)
}

/// How many times a step runs the reproducer while its runs come out invalid.
const INVALID_ATTEMPTS: u32 = 3;

/// One `rigor run NAME --json`: its run id and status.
fn run_once(
    session: &mut Session,
    plan: &Path,
    store: Option<&Path>,
    (name, extra): (&str, &[&str]),
) -> anyhow::Result<(i64, String)> {
    let mut cmd = std::process::Command::new(std::env::current_exe()?);
    cmd.args(["run", name, "--json", "--quiet", "--plan"])
        .arg(plan)
        .args(extra);
    if let Some(store) = store {
        cmd.arg("--store").arg(store);
    }
    let output = match cmd.stderr(std::process::Stdio::inherit()).output() {
        Ok(o) => o,
        Err(e) => {
            let why = format!("LoadTestFailure: cannot run the reproducer: {e}");
            return Err(failure(session, why));
        }
    };
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_default();
    let run = json["scenarios"][0]["run_id"]
        .as_i64()
        .or_else(|| json["benches"][0]["run_id"].as_i64());
    let Some(run) = run else {
        let why = format!(
            "LoadTestFailure: `rigor run {name}` stored no run (exit {}); fix what it said and run it again",
            output.status.code().unwrap_or(-1)
        );
        return Err(failure(session, why));
    };
    let status = json["scenarios"][0]["status"]
        .as_str()
        .or_else(|| json["benches"][0]["status"].as_str())
        .unwrap_or("completed");
    Ok((run, status.to_string()))
}

/// Says `line` (a phase's start or end) and keeps it, timestamped, in the session log.
pub(super) fn announce(session: &mut Session, w: &mut Writer, line: &str) {
    w.note(format_args!("{line}"));
    record(session, line);
}

/// A failure in the protocol's terms, kept in the session log, as the error to return (the
/// session is saved with it: see `tune::run`).
pub(super) fn failure(session: &mut Session, why: String) -> anyhow::Error {
    record(session, &why);
    exit::not_completed(anyhow::anyhow!(why))
}

/// Keeps `line` in the session log with the time.
pub(super) fn record(session: &mut Session, line: &str) {
    let at = rigor_model::units::rfc3339(std::time::SystemTime::now());
    session.events.push(format!("{at} {line}"));
}

/// `text` as `sh` reads it back, for the commands rigor announces.
fn shell_quote(text: &str) -> String {
    if !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=%+,".contains(c))
    {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

/// The goal's metric in `run` (the baseline's when `None`), against its target; a relative
/// goal is judged against the baseline's value.
pub(super) fn goal_check(
    session: &Session,
    store: &dyn Store,
    run: Option<i64>,
) -> Option<GoalCheck> {
    let baseline = session.baseline_run?;
    goal_check_against(session, store, run.unwrap_or(baseline), baseline)
}

/// The goal's metric in `run` against its target, a relative goal judged against `baseline`'s
/// value (the baseline at the peak, for a run at the peak).
pub(super) fn goal_check_against(
    session: &Session,
    store: &dyn Store,
    run: i64,
    baseline: i64,
) -> Option<GoalCheck> {
    let goal = parse_goal(session.goal.as_deref()?).ok()?;
    let scope = goal_scope(&goal);
    let value_of = |id: i64| goal_value(&goal, &scope, store, id);
    let value = value_of(run);
    let value_text = value.map_or("no data".into(), |v| goal.metric.format_value(v));
    let target_text = goal.target_text();
    let (met, verdict) = match (goal.target, value) {
        (_, None) => (None, format!("run {run} has no data for {}", goal.metric)),
        (Target::Absolute(limit), Some(v)) => {
            let met = goal.comparator.holds(v, limit);
            let gap = if limit != 0.0 {
                (v - limit) / limit
            } else {
                0.0
            };
            let verdict = if met && run != baseline {
                format!(
                    "the goal is met: {value_text} {} {target_text} ({:.0}% of margin)",
                    goal.comparator.as_str(),
                    gap.abs() * 100.0
                )
            } else if met {
                format!(
                    "the baseline already meets the goal ({value_text} {} {target_text}, {:.0}% of margin): tuning is not justified by this goal; close with `rigor tune close --abort --reason 'goal already met'`, or set a harder one",
                    goal.comparator.as_str(),
                    gap.abs() * 100.0
                )
            } else {
                format!(
                    "the gap: {value_text} against {} {target_text} ({:+.0}%)",
                    goal.comparator.as_str(),
                    gap * 100.0
                )
            };
            (Some(met), verdict)
        }
        (Target::Relative(change), Some(v)) if run == baseline => (
            None,
            format!(
                "the baseline's {} is {value_text}; the goal asks {:+.0}% of it: {}",
                goal.metric,
                change * 100.0,
                goal.metric.format_value(v * (1.0 + change))
            ),
        ),
        (Target::Relative(change), Some(v)) => match value_of(baseline) {
            None => (
                None,
                format!("baseline run {baseline} has no data for {}", goal.metric),
            ),
            Some(base) => {
                let limit = base * (1.0 + change);
                let met = goal.comparator.holds(v, limit);
                (
                    Some(met),
                    format!(
                        "{value_text} against the goal's {} ({:+.0}% of the baseline's {}): {}",
                        goal.metric.format_value(limit),
                        change * 100.0,
                        goal.metric.format_value(base),
                        if met { "met" } else { "not met" }
                    ),
                )
            }
        },
    };
    Some(GoalCheck {
        run_id: run,
        metric: goal.metric.to_string(),
        value,
        value_text,
        target_text,
        met,
        verdict,
    })
}

/// Where the goal's metric is read: one request's figures, one phase's, or the whole run's.
pub(super) fn goal_scope(goal: &rigor_model::expr::Expr) -> Scope {
    match (&goal.labels.request, &goal.labels.phase) {
        (Some(r), _) => Scope::Request(r.clone()),
        (_, Some(p)) => Scope::Phase(p.clone()),
        _ => Scope::Run,
    }
}

/// The goal's metric in stored run `id`; `None` when the run or its figure is missing.
pub(super) fn goal_value(
    goal: &rigor_model::expr::Expr,
    scope: &Scope,
    store: &dyn Store,
    id: i64,
) -> Option<f64> {
    let data = crate::commands::compare::load(store, store.run(id).ok()?).ok()?;
    rigor_analysis::metrics::value(&data, goal.metric, scope)
        .ok()
        .flatten()
}
