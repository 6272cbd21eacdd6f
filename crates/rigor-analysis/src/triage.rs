//! The bottleneck triage of `rigor tune diagnose`: what limits a service, named from a load
//! run's measured evidence, strongest first — the generator falling behind (then nothing else
//! can be trusted), errors under load, memory that grows, arrivals that queue, and, for the
//! time a request takes, whether it is the target's CPU or waiting.
//!
//! The CPU/waiting split compares the target's CPU time per request (its CPU cores over the
//! run's throughput) with a request's time from its send: a request that takes 40 ms and
//! costs 0.2 ms of CPU waits for something (a slow dependency, a lock, I/O, a sleep); one that
//! costs most of its time in CPU is CPU-bound, and a profile of it says where.

use rigor_model::output::{RunStatus, RunSummary};
use rigor_model::tune::{Bottleneck, Finding};
use rigor_model::units::{format_nanos, three_figures};

/// A request whose CPU is at least this share of its time is CPU-bound.
const CPU_BOUND_SHARE: f64 = 0.5;
/// One whose CPU is at most this share of its time is waiting.
const WAITING_SHARE: f64 = 0.2;
/// Failures above this share of requests are a finding.
const ERROR_RATE: f64 = 0.01;
/// Arrivals that waited for a connection, above this share of requests, are queueing.
const LATE_SHARE: f64 = 0.01;

/// The findings of one run, strongest first (empty when nothing stands out).
pub fn triage(s: &RunSummary) -> Vec<Finding> {
    let mut out = Vec::new();
    let t = &s.total;
    if s.status == RunStatus::Invalid {
        out.push(Finding {
            bottleneck: Bottleneck::GeneratorLimited,
            headline: "the generator could not hold its schedule, so the figures are partly its own".into(),
            evidence: vec![
                s.status_reason.clone().unwrap_or_default(),
                format!(
                    "generator scheduling lag p99 {}",
                    format_nanos(s.generator.scheduler_lag.p99_ns as f64)
                ),
            ],
            next: "lower the rate, give the generator more threads or a quieter machine, then diagnose again".into(),
        });
    }
    if t.requests > 0 && t.error_rate >= ERROR_RATE {
        let mut kinds: Vec<(&String, &u64)> = t.errors_by_kind.iter().collect();
        kinds.sort_by(|a, b| b.1.cmp(a.1));
        let kinds: Vec<String> = kinds
            .iter()
            .take(3)
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        let mut evidence = vec![
            format!(
                "{} of {} requests failed ({}%)",
                t.errors,
                t.requests,
                three_figures(t.error_rate * 100.0)
            ),
            format!("by kind: {}", kinds.join(", ")),
        ];
        let rising: Vec<String> = s
            .phases
            .iter()
            .filter(|p| p.requests > 0)
            .map(|p| format!("{} {}%", p.name, three_figures(p.error_rate * 100.0)))
            .collect();
        if rising.len() > 1 {
            evidence.push(format!("by phase: {}", rising.join(", ")));
        }
        out.push(Finding {
            bottleneck: Bottleneck::ErrorsUnderLoad,
            headline: format!("{}% of requests fail under this load", three_figures(t.error_rate * 100.0)),
            evidence,
            next: "read the target's logs for the failing kind; a failure that grows with load is a limit (a pool, a queue, a timeout) to find".into(),
        });
    }
    if let Some(target) = &s.target {
        for trend in target.trends.iter().filter(|tr| tr.leaking) {
            let mut evidence = vec![format!(
                "{} grew {} per hour after the warm-up (95% interval {} to {}), over {} s",
                trend.series,
                rate_text(&trend.series, trend.slope_per_s * 3600.0),
                rate_text(&trend.series, trend.lower_per_s * 3600.0),
                rate_text(&trend.series, trend.upper_per_s * 3600.0),
                trend.seconds
            )];
            if let Some(limit) = trend.time_to_limit_s {
                evidence.push(format!(
                    "it reaches its limit in {}",
                    format_nanos(limit * 1e9)
                ));
            }
            out.push(Finding {
                bottleneck: Bottleneck::MemoryGrowth,
                headline: format!("the target's {} grows while it serves", trend.series),
                evidence,
                next: "a heap profile of a longer run (or the allocations per request) says what is kept".into(),
            });
        }
    }
    let late = s.generator.late_arrivals + s.generator.dropped_arrivals;
    if s.model == "open" && t.requests > 0 && late as f64 / t.requests as f64 >= LATE_SHARE {
        out.push(Finding {
            bottleneck: Bottleneck::ThroughputPlateau,
            headline: "arrivals queue: the service does not keep up with the rate offered".into(),
            evidence: vec![
                format!(
                    "{late} of {} arrivals waited for a connection or were dropped ({} dropped)",
                    t.requests, s.generator.dropped_arrivals
                ),
                format!(
                    "latency from intended start p99 {} against {} from the send",
                    format_nanos(t.latency.p99_ns as f64),
                    format_nanos(t.raw_latency.p99_ns as f64)
                ),
            ],
            next: "`rigor capacity` finds the rate it sustains; below it, the time per request is the limit".into(),
        });
    }
    out.extend(cpu_or_waiting(s));
    out
}

/// CPU-bound or waiting, from the target's CPU time per request against a request's time.
fn cpu_or_waiting(s: &RunSummary) -> Option<Finding> {
    let t = &s.total;
    let target = s.target.as_ref()?;
    if t.throughput_per_s <= 0.0 || t.raw_latency.count == 0 {
        return None;
    }
    let cpu_ns = target.figures.cpu_cores_mean / t.throughput_per_s * 1e9;
    let time_ns = t.raw_latency.mean_ns as f64;
    if time_ns <= 0.0 {
        return None;
    }
    let share = cpu_ns / time_ns;
    let evidence = vec![
        format!(
            "the target used {} CPU cores on average at {}/s: {} of CPU per request",
            three_figures(target.figures.cpu_cores_mean),
            three_figures(t.throughput_per_s),
            format_nanos(cpu_ns)
        ),
        format!(
            "a request took {} on average from its send (p95 {}): CPU is {}% of it",
            format_nanos(time_ns),
            format_nanos(t.raw_latency.p95_ns as f64),
            three_figures(share * 100.0)
        ),
    ];
    if share >= CPU_BOUND_SHARE {
        Some(Finding {
            bottleneck: Bottleneck::CpuBound,
            headline: format!(
                "a request's time is mostly the target's CPU ({}% of it)",
                three_figures(share.min(1.0) * 100.0)
            ),
            evidence,
            next: "profile it under this load (`rigor tune diagnose --profile`, or `rigor profile`): the hottest frames are where to cut".into(),
        })
    } else if share <= WAITING_SHARE {
        Some(Finding {
            bottleneck: Bottleneck::Waiting,
            headline: format!(
                "a request's time is mostly waiting: only {}% of it is the target's CPU",
                three_figures(share * 100.0)
            ),
            evidence,
            next: "find what it waits for: a slow dependency, a lock, I/O or a sleep (its traces, with `traceparent = true`, or an off-CPU profile)".into(),
        })
    } else {
        None
    }
}

fn rate_text(series: &str, per_hour: f64) -> String {
    if series.contains("rss") {
        rigor_model::units::Bytes(per_hour.max(0.0) as u64).to_string()
    } else {
        three_figures(per_hour)
    }
}
