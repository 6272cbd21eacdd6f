//! Phases 4 and 5 of a session, and its close: the capacity phase (a search of the tuned
//! system against the expected peak, or a recorded skip), the monitoring phase — the goal written into the plan
//! as a budget `rigor gate` enforces, with the objective changes it makes — and the promotion
//! of the final run to the named baseline, with its snapshot under `docs/perf/baselines/`.

use std::path::Path;

use rigor_model::expr::Target;
use rigor_model::slo::{SloUpdate, SloUpdateKind};
use rigor_model::tune::{
    parse_goal, Answer, CapacityFinding, CapacityPhase, Gate, IterationOutcome, Monitoring,
    Promotion, Reproducer, Session, Signed,
};
use rigor_model::Plan;
use rigor_report::Writer;
use rigor_store::Store;

use super::measure::{goal_scope, goal_value};
use crate::exit;

/// Where promoted baselines' snapshots go, from the plan's directory.
pub const SNAPSHOT_DIR: &str = "docs/perf/baselines";

/// Phase 4: the capacity search `--search ID|latest` (made by `rigor capacity` on the
/// session's reproducer after its last change), recorded with its headroom over the expected
/// peak; or a recorded skip with its reason.
pub(super) fn capacity(
    session: &mut Session,
    (skip, reason, search): (bool, Option<&str>, Option<&str>),
    store: &dyn Store,
    by: &Signed,
) -> anyhow::Result<String> {
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    match (skip, reason, search) {
        (true, Some(reason), None) => {
            session.capacity = Some(CapacityPhase {
                skipped: Some(reason.to_string()),
                search: None,
                signed: by.clone(),
            });
            Ok(format!("recorded phase 4 as skipped: {reason}"))
        }
        (true, None, None) => Err(exit::bad_input(anyhow::anyhow!(
            "a skipped phase says why: `rigor tune capacity --skip --reason 'the change does not alter how load is served'`"
        ))),
        (_, _, Some(which)) => {
            let finding = finding(session, which, store)?;
            let said = format!(
                "recorded capacity search {} for phase 4: {}",
                finding.search_id, finding.summary
            );
            session.capacity = Some(CapacityPhase {
                skipped: None,
                search: Some(finding),
                signed: by.clone(),
            });
            Ok(said)
        }
        (false, _, None) => Err(exit::bad_input(anyhow::anyhow!(
            "phase 4 takes a capacity search of the reproducer made after the last change: run `rigor capacity {} --slo '…'`, then `rigor tune capacity --search latest`; or record the phase as skipped, with why, by `rigor tune capacity --skip --reason '…'`{}",
            match &session.reproducer {
                Some(Reproducer::Scenario(s)) => s.as_str(),
                _ => "SCENARIO",
            },
            session
                .expected_peak
                .as_deref()
                .map(|p| format!(" (the change was validated at the expected peak, {p})"))
                .unwrap_or_default()
        ))),
    }
}

/// The capacity search `which` (an id or `latest`) of the session's reproducer scenario, made
/// after the session's last iteration, as the phase keeps it.
fn finding(session: &Session, which: &str, store: &dyn Store) -> anyhow::Result<CapacityFinding> {
    let Some(Reproducer::Scenario(scenario)) = &session.reproducer else {
        return Err(exit::bad_input(anyhow::anyhow!(
            "the capacity search offers load to a scenario, and the session's reproducer is {}: record phase 4 as skipped with `rigor tune capacity --skip --reason '…'`",
            session
                .reproducer
                .as_ref()
                .map_or("not set".to_string(), ToString::to_string)
        )));
    };
    let searches = store
        .capacity_searches(Some(scenario))
        .map_err(crate::store::store_failure)?;
    let found = match which {
        "latest" => searches.last(),
        id => {
            let id: i64 = id.parse().map_err(|_| {
                exit::bad_input(anyhow::anyhow!(
                    "--search `{id}`: give a capacity search's id or `latest`"
                ))
            })?;
            searches.iter().find(|s| s.search_id == Some(id))
        }
    };
    let Some(report) = found else {
        return Err(exit::bad_input(anyhow::anyhow!(
            "no capacity search `{which}` of scenario `{scenario}`: run `rigor capacity {scenario} --slo '…'` first"
        )));
    };
    let last_change = session.iterations.last().map_or(0, |i| i.run_id);
    if let Some(early) = report.steps.iter().find(|s| s.run_id <= last_change) {
        return Err(exit::bad_input(anyhow::anyhow!(
            "capacity search {} measured run {} before the session's last change (run {last_change}): it is not of the system as tuned; run `rigor capacity {scenario}` again",
            report.search_id.unwrap_or_default(),
            early.run_id
        )));
    }
    if report.steps.is_empty() {
        return Err(exit::bad_input(anyhow::anyhow!(
            "capacity search {} has no steps: run `rigor capacity {scenario}` again",
            report.search_id.unwrap_or_default()
        )));
    }
    let peak = session
        .expected_peak
        .as_deref()
        .and_then(|p| p.parse::<rigor_model::Rate>().ok())
        .map(rigor_model::Rate::as_per_second);
    let capacity = report.outcome.max_sustainable_per_s;
    let knee = report
        .knee
        .as_ref()
        .and_then(|k| k.kneedle.as_ref().or(k.slope.as_ref()))
        .map(|p| p.throughput_per_s);
    Ok(CapacityFinding {
        search_id: report.search_id.unwrap_or_default(),
        scenario: scenario.clone(),
        summary: report.outcome.summary.clone(),
        max_sustainable_per_s: capacity,
        first_fail_per_s: report.outcome.first_fail_per_s,
        knee_per_s: knee,
        bound_by: report.scalability.as_ref().map(|s| s.bound_by.clone()),
        expected_peak_per_s: peak,
        headroom: capacity.zip(peak).map(|(c, p)| c / p - 1.0),
        runs: report.steps.iter().map(|s| s.run_id).collect(),
    })
}

/// What `rigor tune monitor` is asked to change beyond the goal's budget.
pub(super) struct Changes<'a> {
    /// More budgets, absolute limits.
    pub budgets: &'a [String],
    /// SLO changes, `NAME KEY=VALUE …`.
    pub slos: &'a [String],
    /// Where the rules are written again (the plan's directory by default).
    pub rules_out: Option<&'a Path>,
}

/// Phase 5: writes the goal (and each extra budget) into the plan as budgets of the
/// reproducer, changed in place when the plan has one for the metric, changes the SLOs asked,
/// and records each change as an objective update with its evidence; the SLO rules are
/// written again when an SLO changed.
pub(super) fn monitor(
    session: &mut Session,
    changes: &Changes<'_>,
    plan_path: &Path,
    store: &dyn Store,
    by: &Signed,
    w: &mut Writer,
) -> anyhow::Result<()> {
    if session
        .answer(Gate::Optimisation)
        .is_none_or(|a| a.answer != Answer::Yes)
    {
        return Err(exit::bad_input(anyhow::anyhow!(
            "the optimisation gate has not passed: the budgets hold a validated change's figures (`rigor tune gate optimisation --yes`)"
        )));
    }
    let Some(last) = session.iterations.iter().rev().find(|i| {
        matches!(
            i.outcome,
            IterationOutcome::Improved | IterationOutcome::TradeOff
        )
    }) else {
        return Err(exit::bad_input(anyhow::anyhow!(
            "no iteration improved the goal's metric: there is no figure to hold as a budget"
        )));
    };
    let final_run = last.run_id;
    let scenario = match &session.reproducer {
        Some(Reproducer::Scenario(n) | Reproducer::Bench(n)) => n.clone(),
        None => {
            return Err(exit::bad_input(anyhow::anyhow!(
                "the session has no reproducer"
            )))
        }
    };
    let baseline = session.baseline_run.unwrap_or(final_run);
    let mut checks: Vec<(String, String)> = Vec::new();
    if let Some(goal) = session.goal.as_deref().and_then(|g| parse_goal(g).ok()) {
        checks.push(goal_budget(&goal, session, store, (baseline, final_run))?);
    }
    for text in changes.budgets {
        let e: rigor_model::expr::Expr = text
            .parse()
            .map_err(|e| exit::bad_input(anyhow::anyhow!("--budget {e}")))?;
        if e.is_relative() || e.at.is_some() || e.sustained.is_some() {
            return Err(exit::bad_input(anyhow::anyhow!(
                "--budget `{text}`: a budget is an absolute limit (`latency.p95 < 120ms`); changes against a baseline are the plan's rules"
            )));
        }
        checks.push((text.clone(), "given with --budget".into()));
    }
    let mut text = std::fs::read_to_string(plan_path).map_err(|e| {
        exit::bad_input(anyhow::anyhow!("cannot read {}: {e}", plan_path.display()))
    })?;
    let mut updates = Vec::new();
    for (check, reason) in &checks {
        let comment = format!(
            "Written by `rigor tune monitor` for session `{}`: {reason}; `rigor gate` enforces it.",
            session.name
        );
        let edit = rigor_model::plan::set_budget(&text, &scenario, check, &comment)
            .map_err(|e| exit::bad_input(anyhow::anyhow!("{}: {e}", plan_path.display())))?;
        text = edit.text;
        let metric = check
            .parse::<rigor_model::expr::Expr>()
            .map(|e| e.metric.to_string())
            .unwrap_or_default();
        updates.push(SloUpdate {
            kind: SloUpdateKind::Budget,
            scenario: Some(scenario.clone()),
            metric,
            old: edit.replaced,
            new: check.clone(),
            reason: reason.clone(),
            evidence: vec![baseline, final_run],
            recorded: by.clone(),
            approved: None,
        });
    }
    for spec in changes.slos {
        let (name, keys) = slo_change(spec)?;
        let comment = format!(
            "Changed by `rigor tune monitor` for session `{}` (slo-update-record.json says from what).",
            session.name
        );
        let edit = rigor_model::plan::set_slo(&text, &name, &keys, &comment)
            .map_err(|e| exit::bad_input(anyhow::anyhow!("--slo `{spec}`: {e}")))?;
        text = edit.text;
        let measured = slo_measured(store, final_run, &name);
        for (key, old, new) in edit.changed {
            updates.push(SloUpdate {
                kind: SloUpdateKind::Slo,
                scenario: slo_scenario(&text, plan_path, &name),
                metric: name.clone(),
                old: old.map(|o| format!("{key} {o}")),
                new: format!("{key} {new}"),
                reason: format!(
                    "session `{}`, phase 5{}",
                    session.name,
                    measured
                        .as_deref()
                        .map(|m| format!(": run {final_run} measured {m}"))
                        .unwrap_or_default()
                ),
                evidence: vec![baseline, final_run],
                recorded: by.clone(),
                approved: None,
            });
        }
    }
    Plan::parse(&text, plan_path).map_err(|e| {
        exit::bad_input(anyhow::anyhow!(
            "the changes would not make a valid plan, so none is written: {e}"
        ))
    })?;
    std::fs::write(plan_path, &text).map_err(|e| {
        exit::not_completed(anyhow::anyhow!("cannot write {}: {e}", plan_path.display()))
    })?;
    if !changes.slos.is_empty() {
        let dir = changes.rules_out.map_or_else(
            || plan_path.parent().unwrap_or(Path::new(".")).to_path_buf(),
            Path::to_path_buf,
        );
        let written = crate::commands::slo::write_rules(plan_path, &dir, w)?;
        w.note(format_args!(
            "the SLO rules were written again from the plan: {}",
            written
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    for u in &updates {
        let what = match u.kind {
            SloUpdateKind::Slo => format!("SLO `{}`", u.metric),
            _ => format!("budget for `{scenario}`"),
        };
        w.note(format_args!(
            "{what}: {}{} in {}",
            u.old
                .as_deref()
                .map(|o| format!("{o} → "))
                .unwrap_or_default(),
            u.new,
            plan_path.display()
        ));
    }
    session.monitoring = Some(Monitoring {
        plan: plan_path.display().to_string(),
        budgets: checks.into_iter().map(|(c, _)| c).collect(),
        updates,
        final_run,
        signed: by.clone(),
    });
    Ok(())
}

/// `NAME KEY=VALUE …` as the SLO's name and its changes.
fn slo_change(spec: &str) -> anyhow::Result<(String, Vec<(String, String)>)> {
    let mut words = spec.split_whitespace();
    let name = words.next().unwrap_or_default().to_string();
    let keys: Vec<(String, String)> = words
        .map(|w| {
            w.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .ok_or_else(|| {
                    exit::bad_input(anyhow::anyhow!(
                        "--slo `{spec}`: `{w}` is not KEY=VALUE (objective=99.95%, threshold=250ms, window=28d)"
                    ))
                })
        })
        .collect::<anyhow::Result<_>>()?;
    if name.is_empty() || keys.is_empty() {
        return Err(exit::bad_input(anyhow::anyhow!(
            "--slo `{spec}`: give the SLO's name and what changes, `NAME objective=99.95%`"
        )));
    }
    Ok((name, keys))
}

/// The SLO's verdict on run `run`, as the run judged it (`99.97% (2999 of 3000)`).
fn slo_measured(store: &dyn Store, run: i64, name: &str) -> Option<String> {
    let record = store.run(run).ok()?;
    let Ok(Some(rigor_model::output::StoredSummary::Load(summary))) =
        rigor_model::output::StoredSummary::parse(record.kind, record.summary.as_deref())
    else {
        return None;
    };
    let prefix = format!("slo {name}:");
    summary
        .thresholds
        .iter()
        .find(|t| t.threshold.starts_with(&prefix))
        .map(|t| format!("{} against `{}`", t.value_text, t.threshold))
}

/// The scenario the SLO names in the plan `text`, if it names one.
fn slo_scenario(text: &str, plan_path: &Path, name: &str) -> Option<String> {
    Plan::parse(text, plan_path)
        .ok()?
        .slo
        .into_iter()
        .find(|s| s.name == name)
        .and_then(|s| s.scenario)
}

/// The goal as a budget: as written when the final run meets it; a relative goal at the
/// level it asks of the baseline; a goal missed (and signed off) at the level reached, said.
fn goal_budget(
    goal: &rigor_model::expr::Expr,
    session: &Session,
    store: &dyn Store,
    (baseline, final_run): (i64, i64),
) -> anyhow::Result<(String, String)> {
    let scope = goal_scope(goal);
    let labels = rigor_model::expr::Labels {
        scenario: None,
        ..goal.labels.clone()
    };
    let name = format!("{}{labels}", goal.metric);
    let reached = goal_value(goal, &scope, store, final_run);
    let limit = match goal.target {
        Target::Absolute(limit) => limit,
        Target::Relative(change) => {
            let base = goal_value(goal, &scope, store, baseline).ok_or_else(|| {
                exit::not_completed(anyhow::anyhow!(
                    "baseline run {baseline} has no {} to set the budget from",
                    goal.metric
                ))
            })?;
            base * (1.0 + change)
        }
    };
    let met = reached.is_some_and(|v| goal.comparator.holds(v, limit));
    let signed_off = session
        .answer(Gate::Optimisation)
        .and_then(|a| a.note.clone())
        .unwrap_or_default();
    Ok(match (met, reached) {
        (true, _) | (false, None) => (
            format!(
                "{name} {} {}",
                goal.comparator.as_str(),
                goal.metric.format_value(limit)
            ),
            format!(
                "the session's goal `{}`, met by run {final_run}{}",
                goal.text,
                reached
                    .map(|v| format!(" ({})", goal.metric.format_value(v)))
                    .unwrap_or_default()
            ),
        ),
        (false, Some(v)) => {
            let inclusive = match goal.comparator {
                rigor_model::expr::Comparator::Less | rigor_model::expr::Comparator::LessEqual => {
                    "<="
                }
                _ => ">=",
            };
            (
                format!("{name} {inclusive} {}", goal.metric.format_value(v)),
                format!(
                    "the level run {final_run} reached: the goal `{}` was not met and was signed off ({signed_off})",
                    goal.text
                ),
            )
        }
    })
}

/// At close: the final run becomes baseline `name` for its scenario, its snapshot written
/// under `docs/perf/baselines/`, and the move recorded as an objective update.
pub(super) fn promote(
    session: &mut Session,
    name: &str,
    plan_dir: &Path,
    store: &mut dyn Store,
    by: &Signed,
    w: &mut Writer,
) -> anyhow::Result<()> {
    let Some(run) = session
        .monitoring
        .as_ref()
        .map(|m| m.final_run)
        .or_else(|| {
            session
                .iterations
                .iter()
                .rev()
                .find(|i| i.outcome == IterationOutcome::Improved)
                .map(|i| i.run_id)
        })
    else {
        return Err(exit::bad_input(anyhow::anyhow!(
            "no iteration improved: there is no final run to promote (close without --promote)"
        )));
    };
    let record = store.run(run)?;
    let environment: Option<rigor_model::output::Environment> =
        serde_json::from_str(&record.environment).ok();
    let key = rigor_analysis::data::environment_key(environment.as_ref());
    let previous = store
        .baseline(name, record.kind, &record.scenario, Some(&key))?
        .map(|b| b.run_id);
    store
        .set_baseline(name, run, &key, rigor_recorder::unix_ns_now())
        .map_err(crate::store::lookup_failure)?;
    let snapshot = crate::commands::report::write_snapshot(
        store,
        record.clone(),
        &plan_dir.join(SNAPSHOT_DIR),
        w,
    )?;
    w.note(format_args!(
        "baseline `{name}` for `{}` is now run {run}{}; its snapshot is {}",
        record.scenario,
        previous
            .map(|p| format!(" (was run {p})"))
            .unwrap_or_default(),
        snapshot.display()
    ));
    let update = SloUpdate {
        kind: SloUpdateKind::Baseline,
        scenario: Some(record.scenario.clone()),
        metric: name.to_string(),
        old: previous.map(|p| format!("run {p}")),
        new: format!("run {run}"),
        reason: format!(
            "session `{}` completed: its final run is the new baseline `{name}`",
            session.name
        ),
        evidence: previous.into_iter().chain([run]).collect(),
        recorded: by.clone(),
        approved: session.answer(Gate::Governance).map(|a| a.signed.clone()),
    };
    if let Some(m) = session.monitoring.as_mut() {
        m.updates.push(update);
    }
    session.promoted = Some(Promotion {
        baseline: name.to_string(),
        run_id: run,
        previous,
        snapshot: Some(
            snapshot
                .strip_prefix(plan_dir)
                .unwrap_or(&snapshot)
                .display()
                .to_string(),
        ),
        signed: by.clone(),
    });
    Ok(())
}
