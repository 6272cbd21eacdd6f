//! Writing into a plan the user keeps: a budget set by a tuning session's monitoring phase,
//! edited in place (toml_edit keeps the user's comments, order and formatting) so that the
//! plan stays theirs to read.

use toml_edit::{value, ArrayOfTables, DocumentMut, Item, Table};

use crate::expr::Expr;

/// What [`set_budget`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetEdit {
    /// The plan's new text.
    pub text: String,
    /// The budget it replaced, as its expression, when the plan had one for the same metric
    /// (and request and phase) of the same scenario.
    pub replaced: Option<String>,
}

/// Sets the budget `check` (an expression of the metric grammar) for `scenario` in the plan
/// `text`: a `[[budget]]` of the same scenario and metric is changed in place, otherwise one
/// is appended after `comment`. Budgets for every scenario (no `scenario` key) are left alone.
pub fn set_budget(
    text: &str,
    scenario: &str,
    check: &str,
    comment: &str,
) -> Result<BudgetEdit, String> {
    let wanted: Expr = check.parse().map_err(|e| format!("{e}"))?;
    let mut doc: DocumentMut = text.parse().map_err(|e| format!("{e}"))?;
    let budgets = doc
        .entry("budget")
        .or_insert(Item::ArrayOfTables(ArrayOfTables::new()));
    let Some(budgets) = budgets.as_array_of_tables_mut() else {
        return Err("the plan's `budget` is not an array of tables (`[[budget]]`)".into());
    };
    let same = |t: &Table| -> Option<String> {
        if t.get("scenario").and_then(|s| s.as_str()) != Some(scenario) {
            return None;
        }
        let text = |key: &str| t.get(key).and_then(|v| v.as_str()).map(str::to_string);
        let (metric, request, phase, old) = match text("check") {
            Some(c) => {
                let e: Expr = c.parse().ok()?;
                (
                    e.metric.to_string(),
                    e.labels.request.or(text("request")),
                    e.labels.phase.or(text("phase")),
                    c,
                )
            }
            None => {
                let metric = text("metric")?;
                let old = match (text("max"), text("min")) {
                    (Some(max), _) => format!("{metric} <= {max}"),
                    (None, Some(min)) => format!("{metric} >= {min}"),
                    (None, None) => metric.clone(),
                };
                (metric, text("request"), text("phase"), old)
            }
        };
        (metric == wanted.metric.to_string()
            && request == wanted.labels.request
            && phase == wanted.labels.phase)
            .then_some(old)
    };
    let found = budgets.iter_mut().find_map(|t| same(t).map(|old| (old, t)));
    let replaced = match found {
        Some((old, table)) => {
            for key in ["metric", "max", "min", "request", "phase"] {
                table.remove(key);
            }
            table["check"] = value(check);
            Some(old)
        }
        None => {
            let mut table = Table::new();
            table["scenario"] = value(scenario);
            table["check"] = value(check);
            let prefix: String = comment.lines().map(|l| format!("\n# {l}")).collect();
            table.decor_mut().set_prefix(format!("{prefix}\n"));
            budgets.push(table);
            None
        }
    };
    Ok(BudgetEdit {
        text: doc.to_string(),
        replaced,
    })
}

/// What [`set_slo`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SloEdit {
    /// The plan's new text.
    pub text: String,
    /// Each key changed: its name, its old value (`None` when the SLO had none) and its new.
    pub changed: Vec<(String, Option<String>, String)>,
}

/// The keys of an `[[slo]]` a tuning session may change.
pub const SLO_KEYS: [&str; 3] = ["objective", "threshold", "window"];

/// Changes keys of the `[[slo]]` named `name` in the plan `text` (its comments and order
/// kept), with `comment` above the table. The values are checked when the plan is read
/// again, as any plan's are.
pub fn set_slo(
    text: &str,
    name: &str,
    changes: &[(String, String)],
    comment: &str,
) -> Result<SloEdit, String> {
    let mut doc: DocumentMut = text.parse().map_err(|e| format!("{e}"))?;
    let Some(slos) = doc.get_mut("slo").and_then(Item::as_array_of_tables_mut) else {
        return Err(format!(
            "the plan has no [[slo]] named `{name}` (it has none)"
        ));
    };
    let names: Vec<String> = slos
        .iter()
        .filter_map(|t| t.get("name").and_then(|v| v.as_str()).map(str::to_string))
        .collect();
    let Some(table) = slos
        .iter_mut()
        .find(|t| t.get("name").and_then(|v| v.as_str()) == Some(name))
    else {
        return Err(format!(
            "the plan has no [[slo]] named `{name}`; it has {}",
            names.join(", ")
        ));
    };
    let mut changed = Vec::new();
    for (key, new) in changes {
        if !SLO_KEYS.contains(&key.as_str()) {
            return Err(format!(
                "`{key}` of an SLO is not changed by a session: {} are",
                SLO_KEYS.join(", ")
            ));
        }
        let old = table.get(key).and_then(|v| v.as_str()).map(str::to_string);
        table[key.as_str()] = value(new.as_str());
        changed.push((key.clone(), old, new.clone()));
    }
    let prefix: String = comment.lines().map(|l| format!("\n# {l}")).collect();
    let kept = table
        .decor()
        .prefix()
        .and_then(|p| p.as_str())
        .unwrap_or_default()
        .to_string();
    if !kept.contains(comment.lines().next().unwrap_or_default()) {
        table.decor_mut().set_prefix(format!("{kept}{prefix}\n"));
    }
    Ok(SloEdit {
        text: doc.to_string(),
        changed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAN: &str = "# the team's plan\n[[scenario]]\nname = \"api\" # the public API\nphases = [{ kind = \"steady\", rate = \"10/s\", for = \"2s\" }]\n[[scenario.request]]\nurl = \"http://127.0.0.1:1/\"\n";

    #[test]
    fn an_slo_is_changed_in_place_and_a_missing_one_named() {
        let text = format!(
            "{PLAN}\n# ours\n[[slo]]\nname = \"api-latency\"\nsli = \"latency\"\nthreshold = \"300ms\" # agreed in March\nobjective = \"99%\"\nwindow = \"30d\"\n"
        );
        let edit = set_slo(
            &text,
            "api-latency",
            &[("threshold".into(), "250ms".into())],
            "changed by session s1",
        )
        .unwrap();
        assert_eq!(
            edit.changed,
            vec![("threshold".into(), Some("300ms".into()), "250ms".into())]
        );
        assert!(edit.text.contains("# ours\n"), "{}", edit.text);
        assert!(
            edit.text.contains("# changed by session s1\n[[slo]]"),
            "{}",
            edit.text
        );
        let plan = crate::Plan::parse(&edit.text, std::path::Path::new("rigor.toml")).unwrap();
        assert_eq!(plan.slo[0].threshold.as_deref(), Some("250ms"));
        let e = set_slo(&text, "api", &[("objective".into(), "99.9%".into())], "x").unwrap_err();
        assert!(e.contains("it has api-latency"), "{e}");
        let e = set_slo(
            &text,
            "api-latency",
            &[("sli".into(), "availability".into())],
            "x",
        )
        .unwrap_err();
        assert!(e.contains("objective, threshold, window"), "{e}");
    }

    #[test]
    fn a_new_budget_is_appended_and_the_users_text_is_kept() {
        let edit = set_budget(PLAN, "api", "latency.p95 < 20ms", "set by tuning").unwrap();
        assert!(edit.replaced.is_none());
        assert!(edit.text.starts_with(PLAN), "{}", edit.text);
        assert!(
            edit.text.contains(
                "# set by tuning\n[[budget]]\nscenario = \"api\"\ncheck = \"latency.p95 < 20ms\""
            ),
            "{}",
            edit.text
        );
        let plan = crate::Plan::parse(&edit.text, std::path::Path::new("rigor.toml")).unwrap();
        assert_eq!(plan.budget.len(), 1);
    }

    #[test]
    fn the_same_metric_of_the_same_scenario_is_changed_in_place() {
        let text = format!(
            "{PLAN}\n[[budget]]\nscenario = \"api\"\nmetric = \"latency.p95\"\nmax = \"50ms\"\n\n[[budget]]\nmetric = \"latency.p95\"\nmax = \"80ms\"\n"
        );
        let edit = set_budget(&text, "api", "latency.p95 < 20ms", "x").unwrap();
        assert_eq!(edit.replaced.as_deref(), Some("latency.p95 <= 50ms"));
        let plan = crate::Plan::parse(&edit.text, std::path::Path::new("rigor.toml")).unwrap();
        assert_eq!(plan.budget.len(), 2, "{}", edit.text);
        assert_eq!(plan.budget[0].check.as_deref(), Some("latency.p95 < 20ms"));
        assert_eq!(
            plan.budget[1].max.as_deref(),
            Some("80ms"),
            "every scenario's is left"
        );
        // Again: the check it set is what it replaces.
        let again = set_budget(&edit.text, "api", "latency.p95 < 18ms", "x").unwrap();
        assert_eq!(again.replaced.as_deref(), Some("latency.p95 < 20ms"));
        // Another request's figure is another budget.
        let other = set_budget(
            &again.text,
            "api",
            "latency.p95{request=\"home\"} < 9ms",
            "x",
        )
        .unwrap();
        assert!(other.replaced.is_none());
    }

    #[test]
    fn what_is_not_a_budget_is_refused() {
        assert!(set_budget(PLAN, "api", "latncy.p95 < 1s", "x").is_err());
        assert!(set_budget("budget = 3\n", "api", "latency.p95 < 1s", "x")
            .unwrap_err()
            .contains("array of tables"));
    }
}
