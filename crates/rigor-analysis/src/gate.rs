//! `rigor gate`: the plan's budgets (absolute goals) and rules (the escalation table) judged
//! on the latest runs, with "N runs in a row" read from the gate history.
//!
//! The store is reached only through [`GateContext`], so the evaluation is a pure function of
//! the runs, the baselines and the history it is given.

use std::collections::BTreeMap;

use rigor_model::plan::{Action, BudgetSpec, RuleSpec};
use rigor_stats::Direction;

use crate::compare::{compare, CompareSettings};
use crate::data::RunData;
use crate::metrics::{info, names, value, Unit};
use crate::output::{
    CheckOutcome, CheckResult, Comparison, GateReport, VerdictName, ANALYSIS_SCHEMA_VERSION,
};
use crate::series::{longest_streak, window_series};

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
    let mut checks = Vec::new();
    let mut warnings = Vec::new();
    let mut comparisons: BTreeMap<(i64, String), Comparison> = BTreeMap::new();
    // The plan is checked whole before anything is judged: a typo in the last rule is a bad
    // plan (exit 2), not hidden behind a missing baseline for the first.
    for budget in input.budgets {
        for run in applicable(
            input.runs,
            budget.scenario.as_deref(),
            &budget.metric,
            "budget",
        )? {
            limit(
                budget.max.as_deref(),
                budget.min.as_deref(),
                unit_of(run, &budget.metric),
                &budget.metric,
                "budget",
            )?;
        }
    }
    for rule in input.rules {
        for run in applicable(input.runs, rule.scenario.as_deref(), &rule.metric, "rule")? {
            if rule.max_increase.is_none() {
                limit(
                    rule.max.as_deref(),
                    rule.min.as_deref(),
                    unit_of(run, &rule.metric),
                    &rule.metric,
                    "rule",
                )?;
            } else if rule.max.is_some() || rule.min.is_some() || rule.sustained.is_some() {
                return Err(GateError::Plan(format!(
                    "rule on `{}`: `max_increase` compares with the baseline; `max`, `min` and `sustained` are absolute: give one kind per rule",
                    rule.metric
                )));
            }
        }
    }
    for budget in input.budgets {
        let applied = applicable(
            input.runs,
            budget.scenario.as_deref(),
            &budget.metric,
            "budget",
        )?;
        for run in applied {
            checks.push(judge_budget(budget, run)?);
        }
    }
    for rule in input.rules {
        let applied = applicable(input.runs, rule.scenario.as_deref(), &rule.metric, "rule")?;
        for run in applied {
            let result = judge_rule(rule, run, input, context, &mut comparisons, &mut warnings)?;
            checks.push(result);
        }
    }
    let outcome = if checks.iter().any(|c| c.outcome == CheckOutcome::Fail) {
        "fail"
    } else {
        "pass"
    };
    Ok(GateReport {
        schema_version: ANALYSIS_SCHEMA_VERSION,
        outcome: outcome.into(),
        checks,
        warnings,
    })
}

/// The runs a check applies to; an error when it applies to none (never a silent pass).
fn applicable<'r>(
    runs: &'r [RunData],
    scenario: Option<&str>,
    metric: &str,
    what: &str,
) -> Result<Vec<&'r RunData>, GateError> {
    let in_scope: Vec<&RunData> = runs
        .iter()
        .filter(|r| scenario.is_none_or(|s| r.record.scenario == s))
        .collect();
    if in_scope.is_empty() {
        let known: Vec<&str> = runs.iter().map(|r| r.record.scenario.as_str()).collect();
        return Err(GateError::Missing(format!(
            "{what} on `{metric}`{}: no run to judge{}",
            scenario.map(|s| format!(" for `{s}`")).unwrap_or_default(),
            if known.is_empty() {
                "; run the plan first (`rigor run`)".to_string()
            } else {
                format!("; the latest runs are of {}", known.join(", "))
            }
        )));
    }
    let with_metric: Vec<&RunData> = in_scope
        .iter()
        .copied()
        .filter(|r| info(r.kind, metric).is_some())
        .collect();
    if with_metric.is_empty() {
        let kinds: Vec<String> = in_scope
            .iter()
            .map(|r| r.kind)
            .fold(Vec::new(), |mut v, k| {
                if !v.contains(&k) {
                    v.push(k)
                }
                v
            })
            .into_iter()
            .map(|k| names(k).join(", "))
            .collect();
        let hint = rigor_model::plan::did_you_mean(
            metric,
            &in_scope
                .iter()
                .flat_map(|r| names(r.kind))
                .collect::<Vec<_>>(),
        )
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default();
        return Err(GateError::Plan(format!(
            "{what} on `{metric}`{hint}: no run{} has this metric; the metrics that exist are {}",
            scenario.map(|s| format!(" of `{s}`")).unwrap_or_default(),
            kinds.join("; ")
        )));
    }
    Ok(with_metric)
}

fn unit_of(run: &RunData, metric: &str) -> Unit {
    info(run.kind, metric).map_or(Unit::Count, |i| i.unit)
}

fn judge_budget(budget: &BudgetSpec, run: &RunData) -> Result<CheckResult, GateError> {
    let unit = unit_of(run, &budget.metric);
    let (limit, is_max) = limit(
        budget.max.as_deref(),
        budget.min.as_deref(),
        unit,
        &budget.metric,
        "budget",
    )?;
    let scope = scope_text(budget.request.as_deref(), budget.phase.as_deref());
    let description = format!(
        "{}{scope} {} {}",
        budget.metric,
        if is_max { "<=" } else { ">=" },
        unit.format(limit)
    );
    let id = format!(
        "budget:{}{scope}:{}{}",
        budget.metric,
        if is_max { "max" } else { "min" },
        unit.format(limit)
    );
    let measured = value(
        run,
        &budget.metric,
        budget.request.as_deref(),
        budget.phase.as_deref(),
    )
    .map_err(GateError::Plan)?;
    let (outcome, message) = match measured {
        None => (
            CheckOutcome::Fail,
            format!("run {} has no data for {}", run.id(), budget.metric),
        ),
        Some(v) if holds(v, limit, is_max) => (
            CheckOutcome::Pass,
            format!("{} is within {}", unit.format(v), unit.format(limit)),
        ),
        Some(v) => (
            CheckOutcome::Fail,
            format!("{} is over budget ({})", unit.format(v), description),
        ),
    };
    Ok(CheckResult {
        id,
        kind: "budget".into(),
        scenario: run.record.scenario.clone(),
        run_id: run.id(),
        metric: budget.metric.clone(),
        description,
        outcome,
        value: measured,
        value_text: measured.map_or_else(|| "no data".into(), |v| unit.format(v)),
        message,
    })
}

fn holds(value: f64, limit: f64, is_max: bool) -> bool {
    if is_max {
        value <= limit
    } else {
        value >= limit
    }
}

fn limit(
    max: Option<&str>,
    min: Option<&str>,
    unit: Unit,
    metric: &str,
    what: &str,
) -> Result<(f64, bool), GateError> {
    let parse = |text: &str| {
        unit.parse(text)
            .map_err(|e| GateError::Plan(format!("{what} on `{metric}`: {e}")))
    };
    match (max, min) {
        (Some(m), None) => Ok((parse(m)?, true)),
        (None, Some(m)) => Ok((parse(m)?, false)),
        (Some(_), Some(_)) => Err(GateError::Plan(format!(
            "{what} on `{metric}`: give `max` or `min`, not both"
        ))),
        (None, None) => Err(GateError::Plan(format!(
            "{what} on `{metric}`: needs `max` or `min` (e.g. max = \"120ms\")"
        ))),
    }
}

fn scope_text(request: Option<&str>, phase: Option<&str>) -> String {
    match (request, phase) {
        (Some(r), _) => format!("{{request=\"{r}\"}}"),
        (None, Some(p)) => format!("{{phase=\"{p}\"}}"),
        _ => String::new(),
    }
}

fn judge_rule(
    rule: &RuleSpec,
    run: &RunData,
    input: &GateInput<'_>,
    context: &mut dyn GateContext,
    comparisons: &mut BTreeMap<(i64, String), Comparison>,
    warnings: &mut Vec<String>,
) -> Result<CheckResult, GateError> {
    let unit = unit_of(run, &rule.metric);
    let direction = info(run.kind, &rule.metric).map_or(Direction::LowerIsBetter, |i| i.direction);
    let consecutive = rule.consecutive.unwrap_or(1).max(1);
    let baseline_name = rule.baseline.clone().unwrap_or_else(|| "main".into());
    let (id, description, breach, measured, value_text, message) = if let Some(increase) =
        rule.max_increase
    {
        let threshold = increase.fraction();
        let key = (run.id(), baseline_name.clone());
        if !comparisons.contains_key(&key) {
            let baseline = context
                .baseline(&baseline_name, run)
                .map_err(GateError::Missing)?
                .ok_or_else(|| {
                    GateError::Missing(format!(
                        "rule on `{}` compares with baseline `{baseline_name}`, but `{}` has none for this environment: run it on the reference code and `rigor baseline set RUN --name {baseline_name}`",
                        rule.metric, run.record.scenario
                    ))
                })?;
            if baseline.id() == run.id() {
                warnings.push(format!("run {} is its own baseline `{baseline_name}`: the rule compares it with itself", run.id()));
            }
            let comparison = compare(&baseline, run, &input.settings)
                .map_err(|e| GateError::Missing(e.to_string()))?;
            for w in &comparison.environment_warnings {
                warnings.push(format!(
                    "run {} vs baseline run {}: {w}",
                    run.id(),
                    baseline.id()
                ));
            }
            comparisons.insert(key.clone(), comparison);
        }
        let comparison = &comparisons[&key];
        let judged = comparison.metrics.iter().any(|m| m.metric == rule.metric);
        let not_judged = comparison
            .warnings
            .iter()
            .find(|w| w.starts_with(&format!("{} is not judged", rule.metric)));
        if let (false, Some(why)) = (judged, not_judged) {
            // Too little data to judge is a breach, never a silent pass.
            let id = format!(
                "rule:{}:worse>{:+.1}%:vs:{baseline_name}",
                rule.metric,
                threshold * 100.0
            );
            let outcome = escalate(rule, &id, run, context, true);
            let description = format!(
                "{} worse by ≤ {:+.1}% vs {baseline_name}",
                rule.metric,
                threshold * 100.0
            );
            return Ok(CheckResult {
                id,
                kind: "rule".into(),
                scenario: run.record.scenario.clone(),
                run_id: run.id(),
                metric: rule.metric.clone(),
                description,
                outcome,
                value: None,
                value_text: "not judged".into(),
                message: format!("{why}: run longer, or gate a percentile the runs can support"),
            });
        }
        let Some(m) = comparison.metrics.iter().find(|m| m.metric == rule.metric) else {
            return Err(GateError::Plan(format!(
                "rule on `{}`: the comparison with baseline `{baseline_name}` has no such metric; it compares {}",
                rule.metric,
                comparison.metrics.iter().map(|m| m.metric.as_str()).collect::<Vec<_>>().join(", ")
            )));
        };
        // "Worse by more than X": up for lower-is-better metrics, down for throughput.
        let worse = match direction {
            Direction::LowerIsBetter => m.change,
            Direction::HigherIsBetter => -m.change,
        };
        let breach = worse > threshold && m.verdict == VerdictName::Regressed;
        let pct = |v: f64| format!("{:+.1}%", v * 100.0);
        let text = format!(
            "{} ({}…{}) vs baseline run {} ({baseline_name}), {}",
            pct(m.change),
            pct(m.change_lower),
            pct(m.change_upper),
            comparison.baseline.run_id,
            m.verdict.as_str()
        );
        let message = if breach {
            format!(
                "{} got worse by {}: more than {}",
                rule.metric,
                pct(worse),
                pct(threshold)
            )
        } else if worse > threshold {
            format!(
                "{} moved {} but the change is not significant beyond noise ({})",
                rule.metric,
                pct(m.change),
                m.verdict.as_str()
            )
        } else {
            format!(
                "{} changed {} against baseline `{baseline_name}`",
                rule.metric,
                pct(m.change)
            )
        };
        (
            format!(
                "rule:{}:worse>{}:vs:{baseline_name}",
                rule.metric,
                pct(threshold)
            ),
            format!(
                "{} worse by ≤ {} vs {baseline_name}",
                rule.metric,
                pct(threshold)
            ),
            breach,
            Some(m.change),
            text,
            message,
        )
    } else {
        let (lim, is_max) = limit(
            rule.max.as_deref(),
            rule.min.as_deref(),
            unit,
            &rule.metric,
            "rule",
        )?;
        let op = if is_max { "<=" } else { ">=" };
        if let Some(sustained) = rule.sustained {
            let series = window_series(run, &rule.metric).map_err(GateError::Plan)?;
            let seconds = sustained.0.as_secs().max(1) as usize;
            let streak = longest_streak(&series, |v| !holds(v, lim, is_max));
            let breach = streak >= seconds;
            (
                format!(
                    "rule:{}{op}{}:sustained:{}s",
                    rule.metric,
                    unit.format(lim),
                    seconds
                ),
                format!(
                    "{} {op} {} unless beyond it for {}",
                    rule.metric,
                    unit.format(lim),
                    sustained
                ),
                breach,
                Some(streak as f64),
                format!("{streak}s beyond the limit at most"),
                if breach {
                    format!(
                        "{} stayed beyond {} for {streak} s (limit {})",
                        rule.metric,
                        unit.format(lim),
                        sustained
                    )
                } else {
                    format!(
                        "{} was beyond {} for at most {streak} s in a row",
                        rule.metric,
                        unit.format(lim)
                    )
                },
            )
        } else {
            let measured = value(run, &rule.metric, None, None).map_err(GateError::Plan)?;
            let breach = measured.is_none_or(|v| !holds(v, lim, is_max));
            (
                format!("rule:{}{op}{}", rule.metric, unit.format(lim)),
                format!("{} {op} {}", rule.metric, unit.format(lim)),
                breach,
                measured,
                measured.map_or_else(|| "no data".into(), |v| unit.format(v)),
                match measured {
                    None => format!("run {} has no data for {}", run.id(), rule.metric),
                    Some(v) if breach => format!(
                        "{} is {}, beyond {}",
                        rule.metric,
                        unit.format(v),
                        unit.format(lim)
                    ),
                    Some(v) => format!("{} is {}", rule.metric, unit.format(v)),
                },
            )
        }
    };
    let outcome = escalate(rule, &id, run, context, breach);
    let description = if consecutive > 1 {
        format!("{description} ({consecutive} runs in a row)")
    } else {
        description
    };
    let message = if outcome == CheckOutcome::Pending {
        format!("{message}; breached, but not yet {consecutive} runs in a row")
    } else {
        message
    };
    Ok(CheckResult {
        id,
        kind: "rule".into(),
        scenario: run.record.scenario.clone(),
        run_id: run.id(),
        metric: rule.metric.clone(),
        description,
        outcome,
        value: measured,
        value_text,
        message,
    })
}

/// A breach acts only after `consecutive` breaches in a row (this run and the history).
fn escalate(
    rule: &RuleSpec,
    id: &str,
    run: &RunData,
    context: &mut dyn GateContext,
    breach: bool,
) -> CheckOutcome {
    if !breach {
        return CheckOutcome::Pass;
    }
    let consecutive = rule.consecutive.unwrap_or(1).max(1);
    let earlier = context.history(id, &run.record.scenario, run.id(), consecutive as usize - 1);
    let in_a_row = 1 + earlier
        .iter()
        .take_while(|o| **o != CheckOutcome::Pass)
        .count() as u32;
    if in_a_row >= consecutive {
        match rule.action {
            Action::Fail => CheckOutcome::Fail,
            Action::Warn => CheckOutcome::Warn,
        }
    } else {
        CheckOutcome::Pending
    }
}
