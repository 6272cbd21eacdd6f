//! `[[budget]]` and `[[rule]]`: the performance budget table and the escalation table that
//! `rigor gate` judges.

use serde::{Deserialize, Serialize};

use crate::expr::{Expr, ExprError, Target};

/// A `[[budget]]`: an absolute limit on a metric of a scenario or bench, written as a table
/// (`metric`, `max` or `min`, …) or as one expression (`check = "latency.p95 < 120ms"`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetSpec {
    /// The whole budget as an expression of the metric grammar, instead of the other keys.
    pub check: Option<String>,
    /// The scenario or bench it applies to; every one when omitted.
    pub scenario: Option<String>,
    /// `latency.p95`, `error_rate`, `throughput`, `wall.mean`, `peak_rss` …
    #[serde(default)]
    pub metric: String,
    /// Upper limit in the metric's unit (`120ms`, `1%`, `64MiB`).
    pub max: Option<String>,
    /// Lower limit (`900/s`).
    pub min: Option<String>,
    /// Only this request's figures (load runs).
    pub request: Option<String>,
    /// Only this phase's figures (load runs).
    pub phase: Option<String>,
}

/// What a breached rule does to the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    #[default]
    Fail,
    Warn,
}

/// A `[[rule]]`: a regression rule, relative to the baseline (`max_increase`) or absolute
/// (`max`/`min`), once or over `consecutive` runs, or `sustained` within a run; as a table or
/// as one expression (`check = "latency.p95 < +30% 2 consecutive"`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// The whole rule as an expression of the metric grammar, instead of `metric`, `max`,
    /// `min`, `max_increase`, `sustained`, `consecutive` and `baseline`.
    pub check: Option<String>,
    /// The scenario or bench it applies to; every one when omitted.
    pub scenario: Option<String>,
    #[serde(default)]
    pub metric: String,
    /// Breached when the metric got worse than the baseline by more than this (`30%`): up for
    /// lower-is-better metrics, down for throughput. Kept as written: it is part of the rule's
    /// identity in the gate history.
    pub max_increase: Option<String>,
    /// Absolute upper limit (`1%` for an error rate).
    pub max: Option<String>,
    /// Absolute lower limit.
    pub min: Option<String>,
    /// Act only when this many runs in a row breach it (default 1).
    pub consecutive: Option<u32>,
    /// Within one run: breached when the per-second metric stays past `max`/`min` this long.
    pub sustained: Option<String>,
    /// Within one run: breached when this many seconds (scrapes) are past `max`/`min`,
    /// whether in a row or not.
    pub occurrences: Option<u32>,
    #[serde(default)]
    pub action: Action,
    /// What to do when it acts, as the runbook says (`Scale horizontally`): shown with the
    /// breach.
    pub respond: Option<String>,
    /// The baseline to compare with (default `main`).
    pub baseline: Option<String>,
}

/// Whether a check is a budget (an absolute goal) or a rule (the escalation table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckKind {
    Budget,
    Rule,
}

impl CheckKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckKind::Budget => "budget",
            CheckKind::Rule => "rule",
        }
    }
}

/// A budget or rule read into the one grammar, with its identity in the gate history.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub kind: CheckKind,
    /// Its position among the plan's tables of its kind, counting from 1 (for messages).
    pub number: usize,
    pub expr: Expr,
    /// The scenario or bench it applies to (`scenario = …` or the `scenario` label).
    pub scenario: Option<String>,
    pub action: Action,
    /// What to do when it acts (a rule's `respond`).
    pub respond: Option<String>,
    /// The key of its gate history: the kind and the plan's own text of the check.
    pub key: String,
    /// The key earlier rigor versions stored its history under (built from formatted
    /// values); the gate moves that history to `key` the first time it meets it.
    pub legacy_key: Option<String>,
}

impl Check {
    /// The baseline a relative check compares with (`vs NAME`, `baseline = NAME`, else `main`).
    pub fn baseline(&self) -> &str {
        self.expr.baseline.as_deref().unwrap_or("main")
    }

    /// Runs in a row that must breach before the check acts (1 when not given).
    pub fn consecutive(&self) -> u32 {
        self.expr.consecutive.unwrap_or(1)
    }
}

impl BudgetSpec {
    /// The budget as a check: its `check` expression, or the expression its keys spell.
    pub fn to_check(&self, number: usize) -> Result<Check, String> {
        let text = match &self.check {
            Some(text) => {
                alone(&[
                    ("metric", !self.metric.is_empty()),
                    ("max", self.max.is_some()),
                    ("min", self.min.is_some()),
                    ("request", self.request.is_some()),
                    ("phase", self.phase.is_some()),
                ])?;
                text.clone()
            }
            None => {
                let (op, value) = limit_of(
                    "budget",
                    &self.metric,
                    self.max.as_deref(),
                    self.min.as_deref(),
                )?;
                format!(
                    "{}{} {op} {value}",
                    self.metric,
                    labels_text(self.request.as_deref(), self.phase.as_deref())
                )
            }
        };
        let expr: Expr = text.parse().map_err(|e: ExprError| e.to_string())?;
        if expr.is_relative()
            || expr.consecutive.is_some()
            || expr.sustained.is_some()
            || expr.occurrences.is_some()
            || expr.baseline.is_some()
        {
            return Err(format!("`{text}`: a budget is an absolute goal on each run; changes against a baseline, `consecutive`, `sustained` and `occurrences` belong to a [[rule]]"));
        }
        let scenario = scenario_of(self.scenario.as_deref(), &expr)?;
        let legacy_key = self.check.is_none().then(|| {
            let limit = match expr.target {
                Target::Absolute(v) | Target::Relative(v) => v,
            };
            format!(
                "budget:{}{}:{}{}",
                self.metric,
                legacy_scope(self.request.as_deref(), self.phase.as_deref()),
                if self.max.is_some() { "max" } else { "min" },
                expr.metric.unit().format(limit)
            )
        });
        Ok(Check {
            kind: CheckKind::Budget,
            number,
            key: format!("budget:{text}"),
            expr,
            scenario,
            action: Action::Fail,
            respond: None,
            legacy_key,
        })
    }
}

impl RuleSpec {
    /// The rule as a check: its `check` expression, or the expression its keys spell.
    pub fn to_check(&self, number: usize) -> Result<Check, String> {
        let text = match &self.check {
            Some(text) => {
                alone(&[
                    ("metric", !self.metric.is_empty()),
                    ("max", self.max.is_some()),
                    ("min", self.min.is_some()),
                    ("max_increase", self.max_increase.is_some()),
                    ("sustained", self.sustained.is_some()),
                    ("occurrences", self.occurrences.is_some()),
                    ("consecutive", self.consecutive.is_some()),
                    ("baseline", self.baseline.is_some()),
                ])?;
                text.clone()
            }
            None => self.table_text()?,
        };
        let expr: Expr = text.parse().map_err(|e: ExprError| e.to_string())?;
        if expr.is_relative() && (expr.sustained.is_some() || expr.occurrences.is_some()) {
            return Err(format!("`{text}`: a change against the baseline compares whole runs; `sustained` and `occurrences` judge seconds within one run against a fixed limit: give one kind per rule"));
        }
        if expr.occurrences.is_some() && expr.sustained.is_some() {
            return Err(format!("`{text}`: `sustained` counts breaching seconds in a row and `occurrences` counts them anywhere in the run: give one of them"));
        }
        let scenario = scenario_of(self.scenario.as_deref(), &expr)?;
        let legacy_key = self.check.is_none().then(|| self.legacy_key(&expr));
        Ok(Check {
            kind: CheckKind::Rule,
            number,
            key: format!("rule:{text}"),
            expr,
            scenario,
            action: self.action,
            respond: self.respond.clone(),
            legacy_key,
        })
    }

    /// The expression the table's keys spell, from the values as written.
    fn table_text(&self) -> Result<String, String> {
        let mut text = match &self.max_increase {
            Some(increase) => {
                if self.max.is_some()
                    || self.min.is_some()
                    || self.sustained.is_some()
                    || self.occurrences.is_some()
                {
                    return Err(format!(
                        "rule on `{}`: `max_increase` compares with the baseline; `max`, `min`, `sustained` and `occurrences` are absolute: give one kind per rule",
                        self.metric
                    ));
                }
                let increase = increase.trim();
                if increase.parse::<f64>().is_ok() {
                    return Err(format!("rule on `{}`: max_increase = \"{increase}\" is a bare number: write a percentage such as \"{increase}%\"", self.metric));
                }
                let magnitude = increase.trim_start_matches('+');
                if magnitude.starts_with('-') {
                    return Err(format!("rule on `{}`: max_increase = \"{increase}\" must not be negative: it is how much worse the metric may get", self.metric));
                }
                let metric: crate::metric::Metric = self.metric.parse()?;
                // "Worse by more than X": up for lower-is-better metrics, down for throughput.
                match metric.direction() {
                    crate::metric::Direction::LowerIsBetter => {
                        format!("{} <= +{magnitude}", self.metric)
                    }
                    crate::metric::Direction::HigherIsBetter => {
                        format!("{} >= -{magnitude}", self.metric)
                    }
                }
            }
            None => {
                let (op, value) = limit_of(
                    "rule",
                    &self.metric,
                    self.max.as_deref(),
                    self.min.as_deref(),
                )?;
                format!("{} {op} {value}", self.metric)
            }
        };
        if let Some(sustained) = &self.sustained {
            text.push_str(&format!(" sustained {}", sustained.trim()));
        }
        if let Some(n) = self.occurrences {
            text.push_str(&format!(" {n} occurrences"));
        }
        if let Some(n) = self.consecutive {
            text.push_str(&format!(" {n} consecutive"));
        }
        if let Some(baseline) = &self.baseline {
            text.push_str(&format!(" vs {baseline}"));
        }
        Ok(text)
    }

    /// The history key of rigor 0.1's gate, built from formatted values (kept only to find
    /// the history stored under it).
    fn legacy_key(&self, expr: &Expr) -> String {
        let value = match expr.target {
            Target::Absolute(v) | Target::Relative(v) => v,
        };
        let unit = expr.metric.unit();
        if self.max_increase.is_some() {
            let baseline = self.baseline.as_deref().unwrap_or("main");
            return format!(
                "rule:{}:worse>{:+.1}%:vs:{baseline}",
                self.metric,
                value.abs() * 100.0
            );
        }
        let op = if self.max.is_some() { "<=" } else { ">=" };
        match expr.sustained {
            Some(d) => format!(
                "rule:{}{op}{}:sustained:{}s",
                self.metric,
                unit.format(value),
                d.as_secs().max(1)
            ),
            None => format!("rule:{}{op}{}", self.metric, unit.format(value)),
        }
    }
}

/// `check` says the whole check: none of the keys it replaces may be given beside it.
fn alone(keys: &[(&str, bool)]) -> Result<(), String> {
    let given: Vec<&str> = keys
        .iter()
        .filter_map(|(key, given)| given.then_some(*key))
        .collect();
    if given.is_empty() {
        return Ok(());
    }
    Err(format!(
        "`check` already says everything; remove `{}` (or drop `check` and use the keys)",
        given.join("`, `")
    ))
}

fn limit_of<'v>(
    what: &str,
    metric: &str,
    max: Option<&'v str>,
    min: Option<&'v str>,
) -> Result<(&'static str, &'v str), String> {
    if metric.is_empty() {
        return Err(format!(
            "a {what} needs `metric` (e.g. metric = \"latency.p95\") or a `check` expression"
        ));
    }
    match (max, min) {
        (Some(m), None) => Ok(("<=", m)),
        (None, Some(m)) => Ok((">=", m)),
        (Some(_), Some(_)) => Err(format!(
            "{what} on `{metric}`: give `max` or `min`, not both"
        )),
        (None, None) => Err(format!(
            "{what} on `{metric}`: needs `max` or `min` (e.g. max = \"120ms\")"
        )),
    }
}

fn labels_text(request: Option<&str>, phase: Option<&str>) -> String {
    match (request, phase) {
        (Some(r), Some(p)) => format!("{{request=\"{r}\", phase=\"{p}\"}}"),
        (Some(r), None) => format!("{{request=\"{r}\"}}"),
        (None, Some(p)) => format!("{{phase=\"{p}\"}}"),
        (None, None) => String::new(),
    }
}

fn legacy_scope(request: Option<&str>, phase: Option<&str>) -> String {
    match (request, phase) {
        (Some(r), _) => format!("{{request=\"{r}\"}}"),
        (None, Some(p)) => format!("{{phase=\"{p}\"}}"),
        _ => String::new(),
    }
}

fn scenario_of(key: Option<&str>, expr: &Expr) -> Result<Option<String>, String> {
    match (key, &expr.labels.scenario) {
        (Some(a), Some(b)) if a != b => Err(format!(
            "`scenario = \"{a}\"` and the label `scenario={b}` disagree: give one"
        )),
        (Some(a), _) => Ok(Some(a.to_string())),
        (None, b) => Ok(b.clone()),
    }
}
