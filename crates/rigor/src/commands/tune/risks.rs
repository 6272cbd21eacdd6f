//! The plan's risks, as a performance engineer reviews them before execution: a benchmark
//! whose own noise is larger than the goal's margin (no verdict could tell the change from
//! it), the trade-offs each hypothesis's area tends to make, those the iterations made, and
//! a capacity below (or barely above) the expected peak.

use rigor_model::expr::Target;
use rigor_model::tune::{parse_goal, Area, HypothesisStatus, Session};
use rigor_store::Store;

use super::measure::{goal_scope, goal_value};

/// Every risk of `session`, the noise first.
pub(super) fn risks(session: &Session, store: &dyn Store) -> Vec<String> {
    let mut out: Vec<String> = noise(session, store).into_iter().collect();
    let mut areas: Vec<Area> = session
        .hypotheses
        .iter()
        .filter(|h| h.status != HypothesisStatus::Dropped)
        .map(|h| h.area)
        .collect();
    areas.sort_by_key(|a| a.as_str());
    areas.dedup();
    out.extend(
        areas
            .into_iter()
            .map(|a| format!("{}: {}", a.as_str(), watch(a))),
    );
    for i in &session.iterations {
        for r in &i.regressed {
            out.push(format!(
                "iteration {}: {} {} (a trade-off)",
                i.number, r.metric, r.text
            ));
        }
        if i.tests.as_ref().is_some_and(|t| !t.passed) {
            out.push(format!(
                "iteration {}: the functional tests failed",
                i.number
            ));
        }
    }
    if let Some(f) = session.capacity.as_ref().and_then(|c| c.search.as_ref()) {
        match (f.max_sustainable_per_s, f.headroom) {
            (Some(_), Some(h)) if h < 0.0 => out.push(format!(
                "capacity: {} — the expected peak will not be served within the SLOs",
                f.phase_note()
            )),
            (Some(_), Some(h)) if h < 0.3 => out.push(format!(
                "capacity: {} — less than 30 % headroom for bursts and a lost instance",
                f.phase_note()
            )),
            (None, _) => out.push(format!(
                "capacity: search {} claimed no capacity ({})",
                f.search_id, f.summary
            )),
            _ => {}
        }
    }
    out
}

/// The trade-off an area's changes tend to make, and what to watch for it.
fn watch(area: Area) -> &'static str {
    match area {
        Area::Algorithm => "CPU traded for memory or back (watch target.cpu and target.rss), and results that must stay the same (the functional tests)",
        Area::Database => "an index speeds reads and slows writes; a rewritten query can return other rows (the functional tests) or another plan under other data",
        Area::Caching => "memory for latency (watch target.rss), stale answers, and a cold cache after a restart (the first seconds' latency)",
        Area::Frontend => "bytes and requests saved on one page can cost another; what the user sees must stay the same",
        Area::Infrastructure => "cost: more or larger instances; the bottleneck can move to what they share (a database, the network)",
        Area::Configuration => "a limit raised moves the bottleneck elsewhere (connections, memory, a dependency): watch error_rate and target.rss",
    }
}

/// "noisy benchmark" when the unchanged system's runs — the baseline's repeats and the
/// diagnosis, taken before any change — differ by more than the goal's margin; a prompt to
/// measure that noise when there is a single such run.
fn noise(session: &Session, store: &dyn Store) -> Option<String> {
    let goal = parse_goal(session.goal.as_deref()?).ok()?;
    let baseline = session.baseline_run?;
    let scope = goal_scope(&goal);
    let first_change = session.iterations.first().map(|i| i.run_id);
    let mut runs: Vec<i64> = session.baseline_runs.clone();
    if runs.is_empty() {
        runs.push(baseline);
    }
    runs.extend(
        session
            .diagnosis
            .as_ref()
            .map(|d| d.run_id)
            .filter(|id| first_change.is_none_or(|c| *id < c) && !runs.contains(id)),
    );
    let values: Vec<f64> = runs
        .iter()
        .filter_map(|id| goal_value(&goal, &scope, store, *id))
        .collect();
    let base = goal_value(&goal, &scope, store, baseline)?;
    let margin = match goal.target {
        Target::Relative(change) => change.abs(),
        Target::Absolute(limit) if limit != 0.0 => ((base - limit) / limit).abs(),
        Target::Absolute(_) => return None,
    };
    noisy(&runs, &values, margin, &goal.metric.to_string())
}

/// A goal's margin beyond which a single run's unmeasured noise is no risk worth saying.
const WIDE_MARGIN: f64 = 0.2;

/// The noise risk from `values` of the goal's `metric` in the unchanged system's `runs`,
/// against the goal's `margin` (a fraction).
fn noisy(runs: &[i64], values: &[f64], margin: f64, metric: &str) -> Option<String> {
    if values.len() < 2 {
        // A margin this wide is beyond what separate runs of one system differ by.
        if margin >= WIDE_MARGIN {
            return None;
        }
        return Some(format!(
            "the benchmark's own noise is unmeasured (one run of the unchanged system): `rigor tune baseline --repeat 3` measures it against the goal's margin of {:.1}%, or validate interleaved (`--before CMD --after CMD`)",
            margin * 100.0
        ));
    }
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    let variation = if values.len() >= 3 {
        let squares: f64 = values.iter().map(|v| (v - mean).powi(2)).sum();
        (squares / (values.len() - 1) as f64).sqrt() / mean
    } else {
        (values[0] - values[1]).abs() / mean
    };
    let ids = runs
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    (variation >= margin).then(|| {
        format!(
            "noisy benchmark: runs {ids} of the unchanged system vary by {:.1}% on {} ({}), more than the goal's margin of {:.1}%: no single run can tell the change from the noise; take more runs (`rigor tune baseline --repeat 5`), longer ones, validate interleaved (`--before CMD --after CMD`), or use a quieter machine",
            variation * 100.0,
            metric,
            if values.len() >= 3 { "their standard deviation over their mean" } else { "the two runs' difference over their mean" },
            margin * 100.0
        )
    })
}

#[cfg(test)]
mod tests {
    use super::noisy;

    #[test]
    fn a_benchmark_noisier_than_the_goals_margin_is_a_risk() {
        // Three runs of 100, 104 and 96 ms: 4 % of spread against a 2 % margin.
        let r = noisy(&[1, 2, 3], &[100.0, 104.0, 96.0], 0.02, "latency.p95").unwrap();
        assert!(r.starts_with("noisy benchmark: runs 1, 2, 3"), "{r}");
        assert!(r.contains("vary by 4.0% on latency.p95"), "{r}");
        assert!(r.contains("margin of 2.0%"), "{r}");
        // The same spread against a 10 % margin is no risk.
        assert!(noisy(&[1, 2, 3], &[100.0, 104.0, 96.0], 0.10, "latency.p95").is_none());
        // Two runs: their difference over their mean.
        let r = noisy(&[1, 2], &[100.0, 110.0], 0.05, "latency.p95").unwrap();
        assert!(r.contains("vary by 9.5%"), "{r}");
        // One run: the noise is unmeasured, and how to measure it is said.
        let r = noisy(&[1], &[100.0], 0.05, "latency.p95").unwrap();
        assert!(r.contains("unmeasured") && r.contains("--repeat 3"), "{r}");
        assert!(
            noisy(&[1], &[100.0], 0.5, "latency.p95").is_none(),
            "a wide margin"
        );
    }
}
