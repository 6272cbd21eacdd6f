//! Comparing two benchmarks: each command's metrics over its runs, by rank test and bootstrap.

use rigor_model::output::bench::CommandResult;
use rigor_stats::{
    compare as bootstrap, mann_whitney_u, Alternative, MannWhitneyMethod, Sample, Statistic,
};

use super::{noise_for, CompareSettings, Pending};
use crate::data::{RunData, RunKind};
use crate::metrics::{info, MetricInfo, BENCH_METRICS};
use crate::output::ChangeKind;

/// Bench metrics, command by command: bootstrap intervals with Mann–Whitney p-values.
pub(super) fn compare_bench(
    a: &RunData,
    b: &RunData,
    s: &CompareSettings,
    out: &mut Vec<Pending>,
    warnings: &mut Vec<String>,
) {
    let (Some(ra), Some(rb)) = (&a.bench, &b.bench) else {
        return;
    };
    let single = ra.commands.len() == 1 && rb.commands.len() == 1;
    for ca in &ra.commands {
        // Pair commands by their command line; a one-command bench pairs whatever it ran.
        let cb = if single {
            rb.commands.first()
        } else {
            rb.commands.iter().find(|c| c.command == ca.command)
        };
        let Some(cb) = cb else {
            warnings.push(format!("`{}` is only in run {}", ca.command, a.id()));
            continue;
        };
        if ca.runs.len() < 2 || cb.runs.len() < 2 {
            warnings.push(format!(
                "`{}` needs at least two runs on each side to compare",
                ca.command
            ));
            continue;
        }
        for metric in BENCH_METRICS {
            let Some(info) = info(RunKind::Bench, metric) else {
                continue;
            };
            out.extend(compare_command_metric(metric, &info, (ca, cb), single, s));
        }
    }
}

/// One metric of one command present in both runs. Its name carries the command unless the
/// bench had only the one.
fn compare_command_metric(
    metric: &str,
    info: &MetricInfo,
    (ca, cb): (&CommandResult, &CommandResult),
    single: bool,
    s: &CompareSettings,
) -> Option<Pending> {
    let (xa, xb) = (run_values(ca, metric), run_values(cb, metric));
    let statistic = match metric {
        "wall.median" | "peak_rss" => Statistic::MEDIAN,
        _ => Statistic::Mean,
    };
    let c = bootstrap(
        &Sample::Values(&xa),
        &Sample::Values(&xb),
        statistic,
        &s.bootstrap,
    )
    .ok()?;
    let change = c.relative_change?;
    let p_value = mann_whitney_u(&xa, &xb, Alternative::TwoSided, MannWhitneyMethod::Auto)
        .map_or(c.p_value, |m| m.p_value);
    let name = if single {
        metric.to_string()
    } else {
        format!("{metric}{{command=\"{}\"}}", ca.command)
    };
    Some(Pending {
        noise: noise_for(s, metric),
        metric: name,
        unit: info.unit,
        direction: info.direction,
        baseline: c.baseline.estimate,
        candidate: c.candidate.estimate,
        change_kind: ChangeKind::Relative,
        change,
        p_value,
        method: format!(
            "bootstrap of the {}, Mann–Whitney U p-value ({} and {} runs)",
            if statistic == Statistic::Mean {
                "mean"
            } else {
                "median"
            },
            xa.len(),
            xb.len()
        ),
    })
}

/// The measurement `metric` reads from each of a command's timed runs.
fn run_values(command: &CommandResult, metric: &str) -> Vec<f64> {
    command
        .runs
        .iter()
        .map(|r| match metric {
            "user.mean" => r.measurement.user.as_nanos() as f64,
            "system.mean" => r.measurement.system.as_nanos() as f64,
            "peak_rss" => r.measurement.peak_rss as f64,
            _ => r.measurement.wall.as_nanos() as f64,
        })
        .collect()
}
