//! Judging one check on one run: against an absolute limit, against a limit sustained over
//! the run's seconds, or as a change against the baseline (with the comparison's interval).

use std::collections::BTreeMap;

use rigor_model::expr::Target;
use rigor_model::plan::{Check, CheckKind};

use super::{GateContext, GateError};
use crate::compare::{compare_with_history, CompareSettings};
use crate::data::RunData;
use crate::metrics::value;
use crate::output::{Comparison, VerdictName};
use crate::series::{longest_streak, occurrences, window_series};

/// What a check found on a run.
pub(super) struct Judgement {
    /// `Some(true)` breached, `Some(false)` held, `None` could not be judged (too little data).
    pub breach: Option<bool>,
    pub value: Option<f64>,
    pub value_text: String,
    pub message: String,
}

/// What judging needs beyond the check and the run; comparisons with a baseline are made once
/// per run and baseline, whatever number of rules read them.
pub(super) struct Judging<'a> {
    pub settings: &'a CompareSettings,
    pub context: &'a mut dyn GateContext,
    pub comparisons: &'a mut BTreeMap<(i64, String), Comparison>,
    pub warnings: &'a mut Vec<String>,
}

impl Judging<'_> {
    pub(super) fn judge(&mut self, check: &Check, run: &RunData) -> Result<Judgement, GateError> {
        let expr = &check.expr;
        match (expr.target, expr.sustained, expr.occurrences) {
            (Target::Relative(change), _, _) => self.relative(check, run, change),
            (Target::Absolute(limit), Some(sustained), _) => {
                sustained_beyond(check, run, limit, sustained)
            }
            (Target::Absolute(limit), None, Some(n)) => occurring_beyond(check, run, limit, n),
            (Target::Absolute(limit), None, None) => absolute(check, run, limit),
        }
    }

    /// The change against the baseline, judged by the comparison's verdict: a breach needs
    /// the change past the limit and significant beyond the noise.
    fn relative(
        &mut self,
        check: &Check,
        run: &RunData,
        limit: f64,
    ) -> Result<Judgement, GateError> {
        let metric = check.expr.metric.to_string();
        let baseline_name = check.baseline().to_string();
        let comparison = self.comparison(check, run, &baseline_name)?;
        if let Some(why) = comparison
            .warnings
            .iter()
            .find(|w| w.starts_with(&format!("{metric} is not judged")))
        {
            return Ok(Judgement {
                breach: None,
                value: None,
                value_text: "not judged".into(),
                message: format!("{why}: run longer, or gate a percentile the runs can support"),
            });
        }
        let Some(m) = comparison.metrics.iter().find(|m| m.metric == metric) else {
            return Err(GateError::Plan(format!(
                "rule `{}`: the comparison with baseline `{baseline_name}` has no such metric; it compares {}",
                check.expr.text,
                comparison.metrics.iter().map(|m| m.metric.as_str()).collect::<Vec<_>>().join(", ")
            )));
        };
        let pct = |v: f64| format!("{:+.1}%", v * 100.0);
        let beyond = !check.expr.comparator.holds(m.change, limit);
        let breach = beyond && m.verdict == VerdictName::Regressed;
        let message = if breach {
            format!(
                "{metric} changed {}: beyond {} against baseline `{baseline_name}`",
                pct(m.change),
                pct(limit)
            )
        } else if beyond {
            format!(
                "{metric} moved {} but the change is not significant beyond noise ({})",
                pct(m.change),
                m.verdict.as_str()
            )
        } else {
            format!(
                "{metric} changed {} against baseline `{baseline_name}`",
                pct(m.change)
            )
        };
        Ok(Judgement {
            breach: Some(breach),
            value: Some(m.change),
            value_text: format!(
                "{} ({}…{}) vs baseline run {} ({baseline_name}), {}",
                pct(m.change),
                pct(m.change_lower),
                pct(m.change_upper),
                comparison.baseline.run_id,
                m.verdict.as_str()
            ),
            message,
        })
    }

    /// The comparison of `run` with its baseline, made on first use.
    fn comparison(
        &mut self,
        check: &Check,
        run: &RunData,
        baseline_name: &str,
    ) -> Result<&Comparison, GateError> {
        let key = (run.id(), baseline_name.to_string());
        if !self.comparisons.contains_key(&key) {
            let baseline = self
                .context
                .baseline(baseline_name, run)
                .map_err(GateError::Missing)?
                .ok_or_else(|| {
                    GateError::Missing(format!(
                        "rule `{}` compares with baseline `{baseline_name}`, but `{}` has none for this environment: run it on the reference code and `rigor baseline set RUN --name {baseline_name}`",
                        check.expr.text, run.record.scenario
                    ))
                })?;
            if baseline.id() == run.id() {
                self.warnings.push(format!(
                    "run {} is its own baseline `{baseline_name}`: the rule compares it with itself",
                    run.id()
                ));
            }
            let history = self
                .context
                .runs_before(&baseline, run, self.settings.history_runs);
            let comparison = compare_with_history(&baseline, &history, run, self.settings)
                .map_err(|e| GateError::Missing(e.to_string()))?;
            for w in &comparison.environment_warnings {
                self.warnings.push(format!(
                    "run {} vs baseline run {}: {w}",
                    run.id(),
                    baseline.id()
                ));
            }
            self.comparisons.insert(key.clone(), comparison);
        }
        Ok(&self.comparisons[&key])
    }
}

/// The run's figure against a fixed limit; no data is a breach, named.
fn absolute(check: &Check, run: &RunData, limit: f64) -> Result<Judgement, GateError> {
    let expr = &check.expr;
    let metric = expr.metric.to_string();
    let measured = value(run, expr.metric, &expr.labels.scope()).map_err(GateError::Plan)?;
    let unit = expr.metric.unit();
    let op = expr.comparator.as_str();
    let (breach, message) = match measured {
        None => (true, format!("run {} has no data for {metric}", run.id())),
        Some(v) if expr.holds(v) => (
            false,
            match check.kind {
                CheckKind::Budget => format!("{} is within {}", unit.format(v), unit.format(limit)),
                CheckKind::Rule => format!("{metric} is {}", unit.format(v)),
            },
        ),
        Some(v) => (
            true,
            match check.kind {
                CheckKind::Budget => format!(
                    "{} is over budget ({metric} {op} {})",
                    unit.format(v),
                    unit.format(limit)
                ),
                CheckKind::Rule => format!(
                    "{metric} is {}, beyond {}",
                    unit.format(v),
                    unit.format(limit)
                ),
            },
        ),
    };
    Ok(Judgement {
        breach: Some(breach),
        value: measured,
        value_text: measured.map_or_else(|| "no data".into(), |v| unit.format(v)),
        message,
    })
}

/// Breached when the per-second figure stays beyond the limit for the sustained time.
fn sustained_beyond(
    check: &Check,
    run: &RunData,
    limit: f64,
    sustained: std::time::Duration,
) -> Result<Judgement, GateError> {
    let expr = &check.expr;
    let metric = expr.metric.to_string();
    let series = window_series(run, expr.metric, &expr.labels.scope()).map_err(GateError::Plan)?;
    let seconds = sustained.as_secs().max(1) as u32;
    let limit_text = expr.metric.unit().format(limit);
    if series.iter().all(|(_, v)| v.is_nan()) {
        return Ok(no_series(run, &metric));
    }
    let streak = longest_streak(&series, |v| !expr.comparator.holds(v, limit));
    let breach = streak >= seconds;
    Ok(Judgement {
        breach: Some(breach),
        value: Some(streak as f64),
        value_text: format!("{streak}s beyond the limit at most"),
        message: if breach {
            format!(
                "{metric} stayed beyond {limit_text} for {streak} s (limit {}s)",
                seconds
            )
        } else {
            format!("{metric} was beyond {limit_text} for at most {streak} s in a row")
        },
    })
}

/// Breached when at least `n` seconds (or scrapes) of the run are beyond the limit, in a row
/// or not: "GC pause > 500ms, 5 occurrences".
fn occurring_beyond(
    check: &Check,
    run: &RunData,
    limit: f64,
    n: u32,
) -> Result<Judgement, GateError> {
    let expr = &check.expr;
    let metric = expr.metric.to_string();
    let series = window_series(run, expr.metric, &expr.labels.scope()).map_err(GateError::Plan)?;
    let limit_text = expr.metric.unit().format(limit);
    if series.iter().all(|(_, v)| v.is_nan()) {
        return Ok(no_series(run, &metric));
    }
    let seen = occurrences(&series, |v| !expr.comparator.holds(v, limit));
    let breach = seen >= n as usize;
    Ok(Judgement {
        breach: Some(breach),
        value: Some(seen as f64),
        value_text: format!("{seen} of {} beyond the limit", series.len()),
        message: if breach {
            format!("{metric} was beyond {limit_text} {seen} times (limit {n})")
        } else {
            format!("{metric} was beyond {limit_text} {seen} times, fewer than {n}")
        },
    })
}

/// A per-second rule with nothing to judge breaches: a rule that cannot see must not pass.
fn no_series(run: &RunData, metric: &str) -> Judgement {
    Judgement {
        breach: Some(true),
        value: None,
        value_text: "no data".into(),
        message: format!("run {} has no per-second data for {metric}", run.id()),
    }
}
