//! Judging one check on one run: against an absolute limit, against a limit sustained over
//! the run's seconds, or as a change against the baseline (with the comparison's interval).

use std::collections::BTreeMap;

use rigor_model::expr::Target;
use rigor_model::metric::{column, Metric, Unit};
use rigor_model::plan::{Check, CheckKind};

use super::{GateContext, GateError};
use crate::compare::{compare_with_history, CompareSettings};
use crate::data::RunData;
use crate::history::{metric_history, Options, MIN_RUNS};
use crate::metrics::value;
use crate::output::{Comparison, VerdictName};
use crate::series::{longest_streak, occurrences, window_series};
use rigor_model::output::history::{HistoryChange, HistoryPoint};

/// The most earlier runs a `step within N` rule reads its history from.
pub const STEP_HISTORY: usize = 500;

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

/// A check on an imported figure (`imported.NAME`) with the unit and direction the run has
/// it in; `None` for any other check. A figure the run lacks, or a limit written in another
/// unit than the run's, is a bad plan.
fn imported_figure(check: &Check, run: &RunData) -> Result<Option<Check>, GateError> {
    let Metric::Column(named) = check.expr.metric else {
        return Ok(None);
    };
    let Some(imported) = &run.imported else {
        return Ok(None);
    };
    let Some(v) = imported.get(named.name()) else {
        let names: Vec<&str> = imported.values.iter().map(|v| v.metric.as_str()).collect();
        let hint = rigor_model::plan::did_you_mean(named.name(), &names)
            .map(|s| format!(" (did you mean `{}{s}`?)", column::PREFIX))
            .unwrap_or_default();
        return Err(GateError::Plan(format!(
            "{} `{}`: run {} (`{}`, imported from {}) has no figure `{}`{hint}; it has {}",
            check.kind.as_str(),
            check.expr.text,
            run.id(),
            run.record.scenario,
            imported.source,
            named.name(),
            names.join(", ")
        )));
    };
    // A count and a plain number are both written as bare numbers.
    let family = |u: Unit| if u == Unit::Count { Unit::Number } else { u };
    if let Target::Absolute(_) = check.expr.target {
        if family(named.unit()) != family(v.unit) {
            return Err(GateError::Plan(format!(
                "{} `{}`: its limit `{}` is {}, but run {} has `{}` as {}: write the limit as {}",
                check.kind.as_str(),
                check.expr.text,
                check.expr.target_text(),
                unit_words(named.unit()),
                run.id(),
                v.metric,
                unit_words(v.unit),
                unit_words(v.unit)
            )));
        }
    }
    let mut resolved = check.clone();
    resolved.expr.metric = Metric::Column(named.as_in(v.unit, v.better));
    Ok(Some(resolved))
}

fn unit_words(unit: Unit) -> &'static str {
    match unit {
        Unit::Nanos => "a duration (`120ms`)",
        Unit::PerSecond => "a rate (`100/s`)",
        Unit::Fraction => "a percentage (`1%`)",
        Unit::Bytes => "a size (`64MiB`)",
        Unit::BytesPerSecond => "a byte rate (`10MiB/s`)",
        Unit::Count | Unit::Number => "a plain number (`5000`)",
    }
}

impl Judging<'_> {
    pub(super) fn judge(&mut self, check: &Check, run: &RunData) -> Result<Judgement, GateError> {
        let resolved;
        let check = match imported_figure(check, run)? {
            Some(c) => {
                resolved = c;
                &resolved
            }
            None => check,
        };
        let expr = &check.expr;
        match (expr.target, expr.sustained, expr.occurrences) {
            (Target::Relative(change), _, _) if expr.step_within.is_some() => {
                Ok(self.step(check, run, change))
            }
            (Target::Relative(change), _, _) => self.relative(check, run, change),
            (Target::Absolute(limit), Some(sustained), _) => {
                sustained_beyond(check, run, limit, sustained)
            }
            (Target::Absolute(limit), None, Some(n)) => occurring_beyond(check, run, limit, n),
            (Target::Absolute(limit), None, None) => absolute(check, run, limit),
        }
    }

    /// A step in the metric's history among the last N runs (this one included): a change
    /// point whose regression reaches the limit breaches. The history is every earlier run
    /// measured as this one was, up to [`STEP_HISTORY`].
    fn step(&mut self, check: &Check, run: &RunData, limit: f64) -> Judgement {
        let n = check.expr.step_within.unwrap_or(1) as usize;
        let metric = check.expr.metric;
        let scope = check.expr.labels.scope();
        let mut runs = self.context.runs_earlier(run, STEP_HISTORY);
        runs.reverse();
        runs.push(run.clone());
        // A count's history is the runs counted by this run's tool.
        let alike = crate::metrics::counted_like(run, metric, &scope);
        let points: Vec<HistoryPoint> = runs
            .iter()
            .filter(|r| alike(r))
            .filter_map(|r| {
                let v = value(r, metric, &scope)
                    .ok()
                    .flatten()
                    .filter(|v| v.is_finite())?;
                Some(HistoryPoint {
                    run_id: r.id(),
                    started_at_ns: r.record.started_at_ns,
                    git_commit: r.record.git_commit.clone(),
                    value: v,
                })
            })
            .collect();
        if points.len() < MIN_RUNS {
            return Judgement {
                breach: None,
                value: None,
                value_text: "not judged".into(),
                message: format!(
                    "{} runs of history measured as this one was: a step needs at least {MIN_RUNS} (three either side)",
                    points.len()
                ),
            };
        }
        let len = points.len();
        let history = metric_history(metric, points, &Options::default());
        let recent: Vec<&HistoryChange> = history
            .change_points
            .iter()
            .filter(|c| c.index + n >= len)
            .collect();
        let worst = recent
            .iter()
            .filter(|c| c.kind == "regression")
            .max_by(|a, b| a.change.abs().total_cmp(&b.change.abs()));
        let pct = |v: f64| format!("{:+.1}%", v * 100.0);
        let describe = |c: &HistoryChange| {
            format!(
                "{metric} stepped {} ({}…{}) at run {}{}, {} run{} ago",
                pct(c.change),
                c.change_lower.map_or("?".into(), pct),
                c.change_upper.map_or("?".into(), pct),
                c.run_id,
                c.git_commit
                    .as_deref()
                    .map(|g| format!(" (commit {})", &g[..g.len().min(10)]))
                    .unwrap_or_default(),
                len - 1 - c.index,
                if len - 1 - c.index == 1 { "" } else { "s" }
            )
        };
        match worst {
            Some(c) if !check.expr.comparator.holds(c.change, limit) => Judgement {
                breach: Some(true),
                value: Some(c.change),
                value_text: pct(c.change),
                message: format!("{}: beyond {}", describe(c), pct(limit)),
            },
            Some(c) => Judgement {
                breach: Some(false),
                value: Some(c.change),
                value_text: pct(c.change),
                message: format!("{}: within {}", describe(c), pct(limit)),
            },
            None => Judgement {
                breach: Some(false),
                value: Some(0.0),
                value_text: "no step".into(),
                message: format!("no regression step of {metric} among the last {n} of {len} runs"),
            },
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
            value_text: if m.untested {
                format!(
                    "{} vs baseline run {} ({baseline_name}), {}: values without an interval, against the noise band only",
                    pct(m.change),
                    comparison.baseline.run_id,
                    m.verdict.as_str()
                )
            } else {
                format!(
                    "{} ({}…{}) vs baseline run {} ({baseline_name}), {}",
                    pct(m.change),
                    pct(m.change_lower),
                    pct(m.change_upper),
                    comparison.baseline.run_id,
                    m.verdict.as_str()
                )
            },
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
        None => (
            true,
            format!(
                "run {} has no data for {metric}{}",
                run.id(),
                crate::metrics::count_missing(run, expr.metric, &expr.labels.scope())
                    .map(|why| format!(": {why}"))
                    .unwrap_or_default()
            ),
        ),
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
