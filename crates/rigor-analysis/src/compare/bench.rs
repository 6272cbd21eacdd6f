//! Comparing two benchmarks: each command's metrics over its runs, by rank test and bootstrap.

use rigor_model::metric::Scope;
use rigor_model::output::bench::{BenchResult, CommandResult};
use rigor_stats::{
    compare as bootstrap, mann_whitney_u, Alternative, MannWhitneyMethod, Sample, Statistic,
};

use super::{noise_for, CompareSettings, Pending};
use crate::data::{RunData, RunKind};
use crate::metrics::{info, MetricInfo, Unit, BENCH_METRICS};
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
                "the timings of `{}` need at least two runs on each side to compare",
                ca.command
            ));
            // Counts stand on counted runs of their own: they still compare.
            compare_counts(a, b, (ca, cb), single, s, out, warnings);
            continue;
        }
        for metric in BENCH_METRICS {
            let Some(info) = info(RunKind::Bench, metric) else {
                continue;
            };
            if *metric == "peak_rss" {
                if let Some(why) = rss_floor(a, ra, ca).or_else(|| rss_floor(b, rb, cb)) {
                    warnings.push(why);
                    continue;
                }
            }
            out.extend(compare_command_metric(metric, &info, (ca, cb), single, s));
        }
        compare_counts(a, b, (ca, cb), single, s, out, warnings);
    }
}

/// The noise band of a count unless `--noise-for` says otherwise: instruction counts vary
/// by hundredths of a percent between runs, so half a percent is far outside their noise.
pub const COUNT_NOISE: f64 = 0.005;

/// A command's counts (instructions, the cycle estimate): the change of the median, with
/// the range every counted run of one side makes against every run of the other as its
/// interval; a change whose range clears the band in one direction is real (the counts do
/// not overlap), else it is within what the runs show. Counts from different tools, or a
/// simulation with other caches, are never set against each other.
fn compare_counts(
    a: &RunData,
    b: &RunData,
    (ca, cb): (&CommandResult, &CommandResult),
    single: bool,
    s: &CompareSettings,
    out: &mut Vec<Pending>,
    warnings: &mut Vec<String>,
) {
    use rigor_model::output::bench::CountSeries;
    let pick = |c: &CommandResult, cycles: bool| -> Option<CountSeries> {
        let counts = c.counts.as_ref()?;
        if cycles {
            counts.cycles_estimate.clone()
        } else {
            counts.instructions.clone()
        }
    };
    for (metric, cycles) in [("instructions.median", false), ("cycles.median", true)] {
        let what = metric.trim_end_matches(".median");
        let (sa, sb) = match (pick(ca, cycles), pick(cb, cycles)) {
            (None, None) => continue,
            (Some(_), None) | (None, Some(_)) => {
                warnings.push(format!(
                    "{what} of `{}` are counted in only one of runs {} and {}: not compared",
                    ca.command,
                    a.id(),
                    b.id()
                ));
                continue;
            }
            (Some(x), Some(y)) => (x, y),
        };
        if sa.source != sb.source || sa.settings != sb.settings {
            warnings.push(format!(
                "{what} of `{}` are not compared: run {} counted them with {} ({}), run {} with {} ({}); counts of different tools are different measures",
                ca.command,
                a.id(),
                sa.source.as_str(),
                sa.settings,
                b.id(),
                sb.source.as_str(),
                sb.settings
            ));
            continue;
        }
        let (Some(ma), Some(mb)) = (sa.median(), sb.median()) else {
            continue;
        };
        let (Some(lo_a), Some(hi_a), Some(lo_b), Some(hi_b)) = (
            sa.stat("min"),
            sa.stat("max"),
            sb.stat("min"),
            sb.stat("max"),
        ) else {
            continue;
        };
        if ma <= 0.0 || lo_a <= 0.0 {
            continue;
        }
        let Some(info) = info(RunKind::Bench, metric) else {
            continue;
        };
        let name = if single {
            metric.to_string()
        } else {
            format!("{metric}{{command=\"{}\"}}", ca.command)
        };
        let change = rigor_stats::Interval {
            estimate: mb / ma - 1.0,
            lower: lo_b / hi_a - 1.0,
            upper: hi_b / lo_a - 1.0,
        };
        let apart = change.lower > 0.0 || change.upper < 0.0;
        out.push(Pending {
            history_only: false,
            untested: false,
            by_overlap: true,
            noise: s.noise_by_metric.get(metric).copied().unwrap_or(COUNT_NOISE),
            metric: name,
            measure: info.metric,
            scope: if single {
                Scope::Run
            } else {
                Scope::Request(ca.command.clone())
            },
            unit: info.unit,
            direction: info.direction,
            baseline: ma,
            candidate: mb,
            change_kind: ChangeKind::Relative,
            change,
            // Deterministic counts: the ranges overlap or they do not.
            p_value: if apart { 0.0 } else { 1.0 },
            method: format!(
                "{} counts ({} and {} counted runs): the median's change, every run of one against every run of the other as its range",
                sa.source.as_str(),
                sa.values.len(),
                sb.values.len()
            ),
        });
    }
}

/// Why a command's peak memory in a run cannot be judged: it is at the measurement floor.
fn rss_floor(run: &RunData, result: &BenchResult, command: &CommandResult) -> Option<String> {
    let stats = command.stats.as_ref()?;
    result.peak_rss_at_floor(stats).then(|| {
        format!(
            "peak_rss of `{}` is not judged: in run {} it is at the floor of what can be measured (≤ {}; every spawned run starts at the spawner's size)",
            command.command,
            run.id(),
            Unit::Bytes.format(result.peak_rss_bound(stats) as f64),
        )
    })
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
    let scope = if single {
        Scope::Run
    } else {
        Scope::Request(ca.command.clone())
    };
    let name = if single {
        metric.to_string()
    } else {
        format!("{metric}{{command=\"{}\"}}", ca.command)
    };
    if metric == "wall.min" {
        return fastest_runs(name, info, scope, (&xa, &xb), s);
    }
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
    Some(Pending {
        history_only: false,
        untested: false,
        by_overlap: false,
        noise: noise_for(s, metric),
        metric: name,
        measure: info.metric,
        scope,
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

/// The fastest run of each side: the figure least moved by what else the machine does (noise
/// only ever adds time), judged only against the spread between runs.
fn fastest_runs(
    metric: String,
    info: &MetricInfo,
    scope: Scope,
    (xa, xb): (&[f64], &[f64]),
    s: &CompareSettings,
) -> Option<Pending> {
    let min = |x: &[f64]| x.iter().copied().fold(f64::INFINITY, f64::min);
    let (ma, mb) = (min(xa), min(xb));
    (ma.is_finite() && mb.is_finite() && ma > 0.0).then(|| Pending {
        noise: noise_for(s, &metric),
        metric,
        measure: info.metric,
        scope,
        unit: info.unit,
        direction: info.direction,
        baseline: ma,
        candidate: mb,
        change_kind: ChangeKind::Relative,
        change: rigor_stats::Interval {
            estimate: mb / ma - 1.0,
            lower: f64::NEG_INFINITY,
            upper: f64::INFINITY,
        },
        p_value: 1.0,
        method: String::new(),
        history_only: true,
        untested: false,
        by_overlap: false,
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
