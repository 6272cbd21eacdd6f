//! The plan's checks read into the one grammar, and what must hold across its tables: a
//! budget or rule names a scenario or bench the plan has (or, on an imported figure, the
//! name its runs were imported under), and no two share a name.

use std::path::Path;

use super::locate::{Locator, Step};
use super::{did_you_mean, Check, CheckKind, Plan, PlanError};
use crate::expr::Expr;

impl Plan {
    /// The plan's budgets, then its rules, read into the one grammar.
    pub fn checks(&self, path: &Path) -> Result<Vec<Check>, PlanError> {
        self.checks_in(&self.text, path)
    }

    pub(super) fn checks_in(&self, text: &str, path: &Path) -> Result<Vec<Check>, PlanError> {
        let names = self.run_names();
        let locator = Locator::new(text);
        let mut checks = Vec::new();
        let budgets = self
            .budget
            .iter()
            .enumerate()
            .map(|(i, b)| (CheckKind::Budget, i + 1, b.to_check(i + 1)));
        let rules = self
            .rule
            .iter()
            .enumerate()
            .map(|(i, r)| (CheckKind::Rule, i + 1, r.to_check(i + 1)));
        for (kind, number, built) in budgets.chain(rules) {
            let table = format!("[[{}]] {number}", kind.as_str());
            let expression = match kind {
                CheckKind::Budget => self.budget[number - 1].check.as_deref(),
                CheckKind::Rule => self.rule[number - 1].check.as_deref(),
            };
            let (line, column) = check_position(&locator, kind, number, expression);
            let fail = |message: String| PlanError::Check {
                path: path.to_path_buf(),
                line,
                column,
                table: table.clone(),
                message,
            };
            let check = built.map_err(fail)?;
            // Imported runs are named at import (`--scenario`), not by the plan.
            let imported = matches!(check.expr.metric, crate::metric::Metric::Column(_));
            if let Some(scenario) = check.scenario.as_ref().filter(|_| !imported) {
                if !names.contains(&scenario.as_str()) {
                    let hint = did_you_mean(scenario, &names)
                        .map(|s| format!(" (did you mean `{s}`?)"))
                        .unwrap_or_else(|| {
                            format!(
                                "; the plan has {}",
                                if names.is_empty() {
                                    "no scenario or bench".to_string()
                                } else {
                                    names.join(", ")
                                }
                            )
                        });
                    return Err(fail(format!(
                        "no scenario or bench named `{scenario}`{hint}"
                    )));
                }
            }
            if let Some(why) = self.uncounted(&check) {
                return Err(fail(why));
            }
            checks.push(check);
        }
        Ok(checks)
    }

    /// Why a check on a count (`instructions.*`, `cycles.*`) can never be judged: the bench
    /// it names, or every bench of the plan when it names none, does not count it.
    fn uncounted(&self, check: &Check) -> Option<String> {
        use crate::metric::Metric;
        let measure = match check.expr.metric {
            Metric::Instructions(_) => "instructions",
            Metric::Cycles(_) => "cycles-estimate",
            _ => return None,
        };
        let counts = |b: &&super::bench::BenchEntry| b.measure.iter().any(|m| m == measure);
        let named = check.scenario.as_deref();
        let benches: Vec<_> = self
            .bench
            .iter()
            .filter(|b| named.is_none_or(|n| b.name == n))
            .collect();
        if benches.is_empty() || benches.iter().any(counts) {
            return None;
        }
        Some(format!(
            "`{}` is a count that {} does not take: add `measure = [\"wall\", \"{measure}\"]` to {}",
            check.expr.metric,
            named.map_or("no [[bench]] of the plan".to_string(), |n| format!("[[bench]] `{n}`")),
            named.map_or("the [[bench]] it is for".to_string(), |n| format!("`{n}`")),
        ))
    }

    /// The names runs of this plan are stored under: scenarios and benches.
    pub fn run_names(&self) -> Vec<&str> {
        self.scenario
            .iter()
            .map(|s| s.name.as_str())
            .chain(self.bench.iter().map(|b| b.name.as_str()))
            .collect()
    }

    /// The names of imported runs the plan's checks judge (`imported.NAME` checks with a
    /// `scenario`): the gate judges their latest runs beside the plan's own.
    pub fn imported_run_names(&self) -> Vec<String> {
        let budgets = self
            .budget
            .iter()
            .enumerate()
            .map(|(i, b)| b.to_check(i + 1));
        let rules = self.rule.iter().enumerate().map(|(i, r)| r.to_check(i + 1));
        let mut names: Vec<String> = budgets
            .chain(rules)
            .filter_map(Result::ok)
            .filter(|c| matches!(c.expr.metric, crate::metric::Metric::Column(_)))
            .filter_map(|c| c.scenario)
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// Two scenarios or benches with one name would share one history and one baseline.
    pub(super) fn check_names(&self, text: &str, path: &Path) -> Result<(), PlanError> {
        let names = self.run_names();
        for (i, name) in names.iter().enumerate() {
            if names[..i].contains(name) {
                return Err(PlanError::Conflict {
                    path: path.to_path_buf(),
                    line: name_line(text, name, 2),
                    message: format!("two scenarios or benches are named `{name}`: their runs, baselines and gate history would mix; give each its own name"),
                });
            }
        }
        Ok(())
    }
}

/// Where a budget or rule is at fault: inside its `check` expression at the column the
/// grammar names, else its table header (1:1 when the text is not at hand).
fn check_position(
    locator: &Locator,
    kind: CheckKind,
    number: usize,
    expression: Option<&str>,
) -> (usize, usize) {
    let table = [Step::Key(kind.as_str()), Step::Index(number - 1)];
    let found = match expression {
        Some(text) => {
            let column = text.parse::<Expr>().err().map_or(1, |e| e.column);
            let check = [table[0], table[1], Step::Key("check")];
            locator.find_in_string(&check, column)
        }
        None => locator.find(&table),
    };
    found.unwrap_or((1, 1))
}

/// The line of the `occurrence`-th `name = "NAME"` (1 when it cannot be found).
fn name_line(text: &str, name: &str, occurrence: usize) -> usize {
    text.lines()
        .enumerate()
        .filter(|(_, l)| {
            let l = l.trim();
            l.starts_with("name") && l.contains(&format!("\"{name}\""))
        })
        .nth(occurrence.saturating_sub(1))
        .map_or(1, |(i, _)| i + 1)
}
