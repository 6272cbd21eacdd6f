//! A metric's history: its values over stored runs, oldest first, and the change points in
//! them ([`rigor_stats::changepoint`]), each with the medians either side, the relative change
//! with its bootstrap interval, its significance, and whether it is a regression by the
//! metric's better direction. `rigor history` picks the runs and shows what this finds.

use rigor_model::metric::{Direction, Metric};
use rigor_model::output::history::{HistoryChange, HistoryPoint, MetricHistory};
use rigor_stats::bootstrap::{compare, BootstrapConfig, Sample, Statistic};
use rigor_stats::changepoint::change_points;
pub use rigor_stats::changepoint::Options;

/// Fewer runs than this leave no room for a step with three runs either side.
pub const MIN_RUNS: usize = 6;

/// The fewest runs a level must hold to be one: fewer, between two change points (or at
/// either end), are an outlier — one slow run is not a regression and its return an
/// improvement — or a step not yet confirmed by the runs after it.
pub const MIN_SEGMENT: usize = 3;

/// Drops the change points that bound levels of fewer than [`MIN_SEGMENT`] runs, and says
/// what was dropped and why.
fn confirmed(
    found: &mut Vec<rigor_stats::changepoint::ChangePoint>,
    points: &[HistoryPoint],
    notes: &mut Vec<String>,
) {
    let n = points.len();
    loop {
        let bounds: Vec<usize> = std::iter::once(0)
            .chain(found.iter().map(|c| c.index))
            .chain(std::iter::once(n))
            .collect();
        let Some(short) = (0..bounds.len() - 1).find(|&i| bounds[i + 1] - bounds[i] < MIN_SEGMENT)
        else {
            return;
        };
        let (from, to) = (bounds[short], bounds[short + 1]);
        let runs = if to - from == 1 {
            format!("run {}", points[from].run_id)
        } else {
            format!("runs {}–{}", points[from].run_id, points[to - 1].run_id)
        };
        if short + 1 == bounds.len() - 1 {
            // The newest runs: a step, perhaps, that the runs to come will confirm.
            notes.push(format!(
                "{runs}: the newest {} differ from the runs before; a step needs {MIN_SEGMENT} runs after it to be told from an outlier",
                if to - from == 1 { "run".to_string() } else { format!("{} runs", to - from) }
            ));
            found.pop();
        } else if short == 0 {
            notes.push(format!(
                "{runs}: the oldest {} differ from the runs after; an outlier, not a level",
                if to - from == 1 {
                    "run".to_string()
                } else {
                    format!("{} runs", to - from)
                }
            ));
            found.remove(0);
        } else {
            notes.push(format!(
                "{runs}: far from the runs either side — an outlier, not a step (a level needs {MIN_SEGMENT} runs)"
            ));
            // Both edges of the short level go: the series returns to where it was.
            found.drain(short - 1..=short);
        }
    }
}

/// The history of `metric` over `points` (oldest first), its change points found with
/// `options`.
pub fn metric_history(
    metric: Metric,
    points: Vec<HistoryPoint>,
    options: &Options,
) -> MetricHistory {
    let mut notes = Vec::new();
    let values: Vec<f64> = points.iter().map(|p| p.value).collect();
    let found = if values.len() < MIN_RUNS {
        notes.push(format!(
            "{} runs: change points need at least {MIN_RUNS} (three either side of a step)",
            values.len()
        ));
        Vec::new()
    } else {
        let mut found = change_points(&values, options);
        confirmed(&mut found, &points, &mut notes);
        found
    };
    let bounds: Vec<usize> = found.iter().map(|c| c.index).collect();
    let change_points = found
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let from = if i == 0 { 0 } else { bounds[i - 1] };
            let to = bounds.get(i + 1).copied().unwrap_or(values.len());
            let (before, after) = (&values[from..c.index], &values[c.index..to]);
            let median = |v: &[f64]| {
                let mut v = v.to_vec();
                v.sort_by(f64::total_cmp);
                rigor_stats::median(&v).unwrap_or(f64::NAN)
            };
            let (median_before, median_after) = (median(before), median(after));
            let interval = compare(
                &Sample::Values(before),
                &Sample::Values(after),
                Statistic::MEDIAN,
                &BootstrapConfig::default(),
            )
            .ok()
            .and_then(|c| c.relative_change);
            let change = if median_before == 0.0 {
                0.0
            } else {
                median_after / median_before - 1.0
            };
            let worse = match metric.direction() {
                Direction::LowerIsBetter => change > 0.0,
                Direction::HigherIsBetter => change < 0.0,
            };
            let at = &points[c.index];
            HistoryChange {
                index: c.index,
                run_id: at.run_id,
                git_commit: at.git_commit.clone(),
                started_at_ns: at.started_at_ns,
                median_before,
                median_after,
                change,
                change_lower: interval.map(|i| i.lower),
                change_upper: interval.map(|i| i.upper),
                pvalue: c.pvalue,
                runs_before: before.len(),
                runs_after: after.len(),
                kind: if change == 0.0 {
                    "change"
                } else if worse {
                    "regression"
                } else {
                    "improvement"
                }
                .into(),
            }
        })
        .collect();
    MetricHistory {
        metric: metric.to_string(),
        unit: metric.unit().as_str().into(),
        better: match metric.direction() {
            Direction::LowerIsBetter => "lower",
            Direction::HigherIsBetter => "higher",
        }
        .into(),
        points,
        change_points,
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(values: &[f64]) -> Vec<HistoryPoint> {
        values
            .iter()
            .enumerate()
            .map(|(i, &value)| HistoryPoint {
                run_id: i as i64 + 1,
                started_at_ns: i as i64 * 1_000,
                git_commit: Some(format!("c{i:02}")),
                value,
            })
            .collect()
    }

    #[test]
    fn a_slowdown_is_a_regression_at_its_first_run_and_commit_with_an_interval() {
        let values: Vec<f64> = (0..30)
            .map(|i| if i < 20 { 10.0 } else { 11.5 } + [0.1, -0.2, 0.15, -0.05, 0.0][i % 5])
            .collect();
        let h = metric_history(
            "latency.p95".parse().unwrap(),
            points(&values),
            &Options::default(),
        );
        assert_eq!(h.change_points.len(), 1, "{h:?}");
        let c = &h.change_points[0];
        assert_eq!(
            (c.index, c.run_id, c.git_commit.as_deref()),
            (20, 21, Some("c20"))
        );
        assert_eq!(c.kind, "regression");
        assert!((c.change - 0.15).abs() < 0.01, "{c:?}");
        assert!(
            c.change_lower.unwrap() > 0.1 && c.change_upper.unwrap() < 0.2,
            "{c:?}"
        );
        assert_eq!((c.runs_before, c.runs_after), (20, 10));
        // The same rise in throughput is an improvement: higher is better there.
        let h = metric_history(
            "throughput".parse().unwrap(),
            points(&values),
            &Options::default(),
        );
        assert_eq!(h.change_points[0].kind, "improvement");
    }

    fn at(index: usize) -> rigor_stats::changepoint::ChangePoint {
        rigor_stats::changepoint::ChangePoint {
            index,
            qhat: 1.0,
            mean_before: 0.0,
            mean_after: 0.0,
            std_before: 0.0,
            std_after: 0.0,
            n_before: 0,
            n_after: 0,
            pvalue: 1e-4,
        }
    }

    /// What the detector found in 10,000 noisy runs (benchmarks/import-history.sh): one far
    /// run made two change points, a "step" of one run and its return.
    #[test]
    fn one_far_run_is_an_outlier_and_a_step_needs_runs_after_it() {
        let p = points(&vec![10.0; 60]);
        let index = |f: &[rigor_stats::changepoint::ChangePoint]| -> Vec<usize> {
            f.iter().map(|c| c.index).collect()
        };
        let mut notes = Vec::new();
        let mut found = vec![at(20), at(40), at(41)];
        confirmed(&mut found, &p, &mut notes);
        assert_eq!(index(&found), [20], "{notes:?}");
        assert!(
            notes[0].contains("run 41: far from the runs either side"),
            "{notes:?}"
        );
        // The newest two runs and the oldest two are no levels yet.
        let (mut notes, mut found) = (Vec::new(), vec![at(2), at(30), at(58)]);
        confirmed(&mut found, &p, &mut notes);
        assert_eq!(index(&found), [30], "{notes:?}");
        assert!(
            notes
                .iter()
                .any(|n| n.contains("runs 59–60: the newest 2 runs")),
            "{notes:?}"
        );
        assert!(
            notes
                .iter()
                .any(|n| n.contains("runs 1–2: the oldest 2 runs")),
            "{notes:?}"
        );
        // Three runs after a step confirm it.
        let (mut notes, mut found) = (Vec::new(), vec![at(57)]);
        confirmed(&mut found, &p, &mut notes);
        assert_eq!(index(&found), [57]);
        assert!(notes.is_empty());
    }

    #[test]
    fn too_few_runs_are_said_and_make_no_step() {
        let h = metric_history(
            "latency.p95".parse().unwrap(),
            points(&[1.0, 1.0, 5.0, 5.0]),
            &Options::default(),
        );
        assert!(h.change_points.is_empty());
        assert!(h.notes[0].contains("at least 6"), "{:?}", h.notes);
    }
}
