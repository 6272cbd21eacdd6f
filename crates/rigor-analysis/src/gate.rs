//! `rigor gate`: the plan's budgets (absolute goals) and rules (the escalation table), read
//! into the one metric grammar ([`rigor_model::plan::Check`]) and judged on the latest runs,
//! with "N runs in a row" read from the gate history.
//!
//! The store is reached only through [`GateContext`], so the evaluation is a pure function of
//! the runs, the baselines and the history it is given.

mod judge;

use std::collections::BTreeMap;

use rigor_model::plan::{Action, BudgetSpec, Check, CheckKind, RuleSpec};

use crate::compare::CompareSettings;
use crate::data::RunData;
use crate::metrics::names;
use crate::output::{CheckOutcome, CheckResult, Comparison, GateReport, ANALYSIS_SCHEMA_VERSION};
use judge::Judgement;

/// What the gate needs from the outside world.
pub trait GateContext {
    /// The baseline run named `name` for `run`'s kind, scenario and environment.
    fn baseline(&mut self, name: &str, run: &RunData) -> Result<Option<RunData>, String>;
    /// Earlier outcomes of a check for a scenario, newest first, excluding `run_id`.
    fn history(
        &mut self,
        check: &str,
        scenario: &str,
        before_run: i64,
        limit: usize,
    ) -> Vec<CheckOutcome>;
    /// Runs of `baseline`'s scenario before it (newest first, at most `limit`, never
    /// `candidate`), for verdicts over the spread between runs
    /// ([`compare_with_history`](crate::compare_with_history)). None by default.
    fn runs_before(
        &mut self,
        _baseline: &RunData,
        _candidate: &RunData,
        _limit: usize,
    ) -> Vec<RunData> {
        Vec::new()
    }
    /// The runs before `run` measured as it was (same scenario, kind, plan and machine),
    /// newest first, at most `limit`: the history a `step within N` rule reads. None by
    /// default.
    fn runs_earlier(&mut self, _run: &RunData, _limit: usize) -> Vec<RunData> {
        Vec::new()
    }
    /// Moves the history stored under an earlier rigor's key of a check to its key now, so a
    /// new formatting of values never resets what `consecutive` counts. Nothing by default.
    fn adopt_history(&mut self, _legacy: &str, _key: &str, _scenario: &str) {}
}

/// The plan's checks and the runs to judge.
pub struct GateInput<'a> {
    pub budgets: &'a [BudgetSpec],
    pub rules: &'a [RuleSpec],
    pub runs: &'a [RunData],
    pub settings: CompareSettings,
}

#[derive(Debug, thiserror::Error)]
pub enum GateError {
    /// Bad plan: exit 2.
    #[error("{0}")]
    Plan(String),
    /// Nothing to judge against (no baseline, no run): exit 3.
    #[error("{0}")]
    Missing(String),
}

/// Evaluates every budget and rule that applies to each run.
pub fn evaluate(
    input: &GateInput<'_>,
    context: &mut dyn GateContext,
) -> Result<GateReport, GateError> {
    // The plan is checked whole before anything is judged: a typo in the last rule is a bad
    // plan (exit 2), not hidden behind a missing baseline for the first.
    let checks = checks(input)?;
    let mut applied = Vec::new();
    for check in &checks {
        applied.push(applicable(input.runs, check)?);
    }
    let mut results = Vec::new();
    let mut warnings = Vec::new();
    let mut comparisons: BTreeMap<(i64, String), Comparison> = BTreeMap::new();
    for (check, runs) in checks.iter().zip(applied) {
        for run in runs {
            let mut judging = judge::Judging {
                settings: &input.settings,
                context: &mut *context,
                comparisons: &mut comparisons,
                warnings: &mut warnings,
            };
            let judgement = judging.judge(check, run)?;
            results.push(result(check, run, judgement, context));
        }
    }
    let outcome = if results.iter().any(|c| c.outcome == CheckOutcome::Fail) {
        "fail"
    } else {
        "pass"
    };
    Ok(GateReport {
        schema_version: ANALYSIS_SCHEMA_VERSION,
        outcome: outcome.into(),
        checks: results,
        warnings,
    })
}

/// The budgets, then the rules, as checks of the one grammar; a metric no run has is named
/// with the metrics that exist.
fn checks(input: &GateInput<'_>) -> Result<Vec<Check>, GateError> {
    let mut checks = Vec::new();
    let budgets = input.budgets.iter().enumerate().map(|(i, b)| {
        (
            CheckKind::Budget,
            b.metric.as_str(),
            b.scenario.as_deref(),
            b.to_check(i + 1),
        )
    });
    let rules = input.rules.iter().enumerate().map(|(i, r)| {
        (
            CheckKind::Rule,
            r.metric.as_str(),
            r.scenario.as_deref(),
            r.to_check(i + 1),
        )
    });
    for (kind, metric, scenario, built) in budgets.chain(rules) {
        if !metric.is_empty() && metric.parse::<rigor_model::metric::Metric>().is_err() {
            return Err(unknown_metric(input.runs, kind, metric, scenario));
        }
        checks.push(built.map_err(|e| GateError::Plan(format!("{} {e}", kind.as_str())))?);
    }
    Ok(checks)
}

fn unknown_metric(
    runs: &[RunData],
    kind: CheckKind,
    metric: &str,
    scenario: Option<&str>,
) -> GateError {
    let in_scope: Vec<&RunData> = runs
        .iter()
        .filter(|r| scenario.is_none_or(|s| r.record.scenario == s))
        .collect();
    let mut kinds: Vec<rigor_model::RunKind> = in_scope.iter().map(|r| r.kind).collect();
    kinds.sort();
    kinds.dedup();
    let offered: Vec<&str> = kinds.iter().flat_map(|k| names(*k)).collect();
    let hint = rigor_model::plan::did_you_mean(metric, &offered)
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default();
    let listed: Vec<String> = kinds.iter().map(|k| names(*k).join(", ")).collect();
    GateError::Plan(format!(
        "{} on `{metric}`{hint}: no run{} has this metric; the metrics that exist are {}",
        kind.as_str(),
        scenario.map(|s| format!(" of `{s}`")).unwrap_or_default(),
        listed.join("; ")
    ))
}

/// The runs a check applies to; an error when it applies to none (never a silent pass).
fn applicable<'r>(runs: &'r [RunData], check: &Check) -> Result<Vec<&'r RunData>, GateError> {
    let metric = check.expr.metric.to_string();
    let what = check.kind.as_str();
    let scenario = check.scenario.as_deref();
    let in_scope: Vec<&RunData> = runs
        .iter()
        .filter(|r| scenario.is_none_or(|s| r.record.scenario == s))
        .collect();
    if in_scope.is_empty() {
        let known: Vec<&str> = runs.iter().map(|r| r.record.scenario.as_str()).collect();
        return Err(GateError::Missing(format!(
            "{what} `{}`{}: no run to judge{}",
            check.expr.text,
            scenario.map(|s| format!(" for `{s}`")).unwrap_or_default(),
            if known.is_empty() {
                "; run the plan first (`rigor run`), or import the runs an `imported.` check reads (`rigor import`)".to_string()
            } else {
                format!("; the latest runs are of {}", known.join(", "))
            }
        )));
    }
    let with_metric: Vec<&RunData> = in_scope
        .iter()
        .copied()
        .filter(|r| check.expr.metric.belongs_to(r.kind))
        .collect();
    if with_metric.is_empty() {
        return Err(unknown_metric(runs, check.kind, &metric, scenario));
    }
    Ok(with_metric)
}

/// The check's result on one run: its judgement, escalated through the history.
fn result(
    check: &Check,
    run: &RunData,
    judgement: Judgement,
    context: &mut dyn GateContext,
) -> CheckResult {
    if let Some(legacy) = &check.legacy_key {
        context.adopt_history(legacy, &check.key, &run.record.scenario);
    }
    // Too little data to judge is a breach of this run, never a silent pass; but it is not
    // counted as a breach by later runs' `consecutive` (see the gate command's history).
    let breach = judgement.breach.unwrap_or(true);
    let outcome = escalate(check, run, context, breach);
    let consecutive = check.consecutive();
    let message = match (outcome, &check.respond) {
        (CheckOutcome::Pending, _) => format!(
            "{}; breached, but not yet {consecutive} runs in a row",
            judgement.message
        ),
        (CheckOutcome::Fail | CheckOutcome::Warn, Some(respond)) => {
            format!("{}; respond: {respond}", judgement.message)
        }
        _ => judgement.message,
    };
    CheckResult {
        id: check.key.clone(),
        kind: check.kind,
        scenario: run.record.scenario.clone(),
        run_id: run.id(),
        metric: check.expr.metric.to_string(),
        description: check.expr.text.clone(),
        outcome,
        judged: judgement.breach.is_some(),
        value: judgement.value,
        value_text: judgement.value_text,
        message,
    }
}

/// A breach acts only after `consecutive` breaches in a row (this run and the history); a run
/// the check could not judge ends the streak rather than counting as a breach.
fn escalate(
    check: &Check,
    run: &RunData,
    context: &mut dyn GateContext,
    breach: bool,
) -> CheckOutcome {
    if !breach {
        return CheckOutcome::Pass;
    }
    let consecutive = check.consecutive();
    let earlier = context.history(
        &check.key,
        &run.record.scenario,
        run.id(),
        consecutive as usize - 1,
    );
    let in_a_row = 1 + earlier
        .iter()
        .take_while(|o| !matches!(o, CheckOutcome::Pass | CheckOutcome::NotJudged))
        .count() as u32;
    if in_a_row >= consecutive {
        match check.action {
            Action::Fail => CheckOutcome::Fail,
            Action::Warn => CheckOutcome::Warn,
        }
    } else {
        CheckOutcome::Pending
    }
}
