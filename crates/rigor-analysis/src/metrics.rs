//! The metric catalogue: which metrics each kind of run has, which way is better, their unit,
//! and how to read a metric's value off a run.

use rigor_model::output::{GroupSummary, LatencySummary};
use rigor_model::threshold::{Metric, Stat};
use rigor_model::units::{format_nanos, three_figures, Bytes};
use rigor_stats::Direction;

use crate::data::{RunData, RunKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Nanos,
    PerSecond,
    Fraction,
    Bytes,
    Count,
}

impl Unit {
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Nanos => "ns",
            Unit::PerSecond => "per_s",
            Unit::Fraction => "fraction",
            Unit::Bytes => "bytes",
            Unit::Count => "count",
        }
    }

    pub fn format(self, value: f64) -> String {
        match self {
            Unit::Nanos => format_nanos(value),
            Unit::PerSecond => format!("{}/s", three_figures(value)),
            Unit::Fraction => format!("{}%", three_figures(value * 100.0)),
            Unit::Bytes => Bytes(value.max(0.0) as u64).to_string(),
            Unit::Count => format!("{value:.0}"),
        }
    }

    /// Parses a limit written in this unit (`120ms`, `900/s`, `1%`, `64MiB`, `10`).
    pub fn parse(self, text: &str) -> Result<f64, String> {
        match self {
            Unit::Nanos => rigor_model::units::parse_duration(text)
                .map(|d| d.as_nanos() as f64)
                .map_err(|e| e.to_string()),
            Unit::PerSecond => text
                .parse::<rigor_model::Rate>()
                .map(|r| r.as_per_second())
                .map_err(|e| e.to_string()),
            Unit::Fraction => text
                .parse::<rigor_model::Ratio>()
                .map(|r| r.fraction())
                .map_err(|e| e.to_string()),
            Unit::Bytes => text
                .parse::<Bytes>()
                .map(|b| b.0 as f64)
                .map_err(|e| e.to_string()),
            Unit::Count => text
                .trim()
                .parse::<f64>()
                .map_err(|_| format!("`{text}` is not a number")),
        }
    }
}

/// What a metric is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricInfo {
    pub unit: Unit,
    pub direction: Direction,
}

/// The metrics `rigor compare` reports for a load run.
pub const LOAD_METRICS: &[&str] = &[
    "latency.p50",
    "latency.p90",
    "latency.p95",
    "latency.p99",
    "latency.mean",
    "latency.raw.p50",
    "latency.raw.p95",
    "latency.raw.p99",
    "throughput",
    "error_rate",
];

/// The metrics `rigor compare` reports for each command of a bench run.
pub const BENCH_METRICS: &[&str] = &[
    "wall.median",
    "wall.mean",
    "user.mean",
    "system.mean",
    "peak_rss",
];

/// Describes a metric of a run of `kind`; `None` when the kind has no such metric.
pub fn info(kind: RunKind, metric: &str) -> Option<MetricInfo> {
    let lower = |unit| {
        Some(MetricInfo {
            unit,
            direction: Direction::LowerIsBetter,
        })
    };
    match kind {
        RunKind::Load => match metric.parse::<Metric>().ok()? {
            Metric::Latency(_) | Metric::RawLatency(_) | Metric::ScheduleLag(_) => {
                lower(Unit::Nanos)
            }
            Metric::ErrorRate => lower(Unit::Fraction),
            Metric::Errors => lower(Unit::Count),
            Metric::Throughput => Some(MetricInfo {
                unit: Unit::PerSecond,
                direction: Direction::HigherIsBetter,
            }),
            Metric::Requests => Some(MetricInfo {
                unit: Unit::Count,
                direction: Direction::HigherIsBetter,
            }),
            Metric::TargetCpu(_) => lower(Unit::Fraction),
            Metric::TargetRss(_) => lower(Unit::Bytes),
            Metric::TargetThreads | Metric::TargetFds => lower(Unit::Count),
        },
        RunKind::Bench => match metric {
            "wall.mean" | "wall.median" | "wall.min" | "wall.max" | "user.mean" | "system.mean" => {
                lower(Unit::Nanos)
            }
            "peak_rss" | "peak_rss.max" => lower(Unit::Bytes),
            _ => None,
        },
    }
}

/// The metric names a run of this kind offers, for error messages.
pub fn names(kind: RunKind) -> Vec<&'static str> {
    match kind {
        RunKind::Load => rigor_model::threshold::METRIC_NAMES.to_vec(),
        RunKind::Bench => vec![
            "wall.median",
            "wall.mean",
            "wall.min",
            "wall.max",
            "user.mean",
            "system.mean",
            "peak_rss",
        ],
    }
}

/// A metric's point value in a run: from the whole run, one request (or bench command) or one
/// phase. `Err` names what is unknown; `Ok(None)` means the run has no data for it.
pub fn value(
    run: &RunData,
    metric: &str,
    request: Option<&str>,
    phase: Option<&str>,
) -> Result<Option<f64>, String> {
    match run.kind {
        RunKind::Load => {
            let Some((summary, _)) = &run.load else {
                return Ok(None);
            };
            let parsed: Metric = metric.parse()?;
            let group: Option<&GroupSummary> = match (request, phase) {
                (Some(r), _) => Some(summary.requests.iter().find(|g| g.name == r).ok_or_else(
                    || {
                        let names: Vec<&str> =
                            summary.requests.iter().map(|g| g.name.as_str()).collect();
                        format!(
                            "run {} has no request `{r}`; it has {}",
                            run.id(),
                            names.join(", ")
                        )
                    },
                )?),
                (None, Some(p)) => {
                    Some(summary.phases.iter().find(|g| g.name == p).ok_or_else(|| {
                        let names: Vec<&str> =
                            summary.phases.iter().map(|g| g.name.as_str()).collect();
                        format!(
                            "run {} has no phase `{p}`; it has {}",
                            run.id(),
                            names.join(", ")
                        )
                    })?)
                }
                (None, None) => Some(&summary.total),
            };
            let Some(g) = group else { return Ok(None) };
            Ok(match parsed {
                Metric::Latency(s) => latency_stat(&g.latency, s),
                Metric::RawLatency(s) => latency_stat(&g.raw_latency, s),
                Metric::ScheduleLag(s) => latency_stat(&summary.generator.schedule_lag, s),
                Metric::ErrorRate => (g.requests > 0).then_some(g.error_rate),
                Metric::Throughput => Some(g.throughput_per_s),
                Metric::Requests => Some(g.requests as f64),
                Metric::Errors => Some(g.errors as f64),
                Metric::TargetCpu(_)
                | Metric::TargetRss(_)
                | Metric::TargetThreads
                | Metric::TargetFds => summary
                    .target
                    .as_ref()
                    .and_then(|t| rigor_model::threshold::target_metric(t, parsed)),
            })
        }
        RunKind::Bench => {
            let Some(result) = &run.bench else {
                return Ok(None);
            };
            if info(RunKind::Bench, metric).is_none() {
                return Err(format!(
                    "unknown bench metric `{metric}`; bench metrics are {}",
                    names(RunKind::Bench).join(", ")
                ));
            }
            let command = match request {
                Some(name) => result
                    .commands
                    .iter()
                    .find(|c| c.command == name || c.name == name)
                    .ok_or_else(|| {
                        let names: Vec<&str> =
                            result.commands.iter().map(|c| c.command.as_str()).collect();
                        format!(
                            "run {} has no command `{name}`; it has {}",
                            run.id(),
                            names.join(", ")
                        )
                    })?,
                None => match result.commands.first() {
                    Some(c) => c,
                    None => return Ok(None),
                },
            };
            let Some(s) = &command.stats else {
                return Ok(None);
            };
            let ns = |d: std::time::Duration| d.as_nanos() as f64;
            Ok(Some(match metric {
                "wall.mean" => ns(s.mean),
                "wall.median" => ns(s.median),
                "wall.min" => ns(s.min),
                "wall.max" => ns(s.max),
                "user.mean" => ns(s.user_mean),
                "system.mean" => ns(s.system_mean),
                _ => s.peak_rss_max_bytes as f64,
            }))
        }
    }
}

fn latency_stat(l: &LatencySummary, stat: Stat) -> Option<f64> {
    if l.count == 0 {
        return None;
    }
    let v = match stat {
        Stat::Min => l.min_ns,
        Stat::Mean => l.mean_ns,
        Stat::Max => l.max_ns,
        Stat::Percentile(50.0) => l.p50_ns,
        Stat::Percentile(90.0) => l.p90_ns,
        Stat::Percentile(95.0) => l.p95_ns,
        Stat::Percentile(99.0) => l.p99_ns,
        Stat::Percentile(99.9) => l.p999_ns,
        Stat::Percentile(_) => return None,
    };
    Some(v as f64)
}
