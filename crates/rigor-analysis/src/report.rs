//! A load run as a report shows it ([`LoadReport`]): its summary, each second's figures from
//! the stored windows and target samples, and the method read back from the stored plan.

use std::collections::BTreeMap;

use rigor_model::hist::Hist;
use rigor_model::output::report::{
    LoadReport, Method, PlannedPhase, SecondFigures, SecondLatency, SpectrumPoint,
};
use rigor_model::plan::{Model, PhaseLoad, Scenario};

use crate::data::RunData;
use crate::series::{each_second, merge};

/// The report of a load run; `None` for a bench run or one with no summary.
pub fn load_report(run: &RunData) -> Option<LoadReport> {
    let (summary, _) = run.load.as_ref()?;
    // One pass over the seconds: each second's figures, and the whole run's histograms for
    // the spectrum.
    let mut by_second: BTreeMap<u32, Figures> = BTreeMap::new();
    let (mut corrected, mut raw) = (None, None);
    each_second(run, |second, s| {
        by_second.insert(
            second,
            Figures {
                phase: s.phase.clone(),
                requests: s.requests,
                errors: s.errors,
                latency: percentiles(s.corrected.as_ref()),
                raw_latency: percentiles(s.raw.as_ref()),
            },
        );
        merge(&mut corrected, s.corrected);
        merge(&mut raw, s.raw);
    });
    // A second far beyond the run's end can only come from a damaged store; it is not made
    // into hours of empty seconds.
    let last_second = (summary.duration_ns / 1_000_000_000) as u32 + 60;
    Some(LoadReport {
        summary: summary.clone(),
        seconds: seconds(run, &by_second, last_second),
        method: method(&run.record.plan, &summary.model),
        spectrum: spectrum(&corrected, &raw),
        profiles: Vec::new(),
        session: None,
    })
}

/// What a report keeps of one second's windows.
struct Figures {
    phase: String,
    requests: u64,
    errors: u64,
    latency: Option<SecondLatency>,
    raw_latency: Option<SecondLatency>,
}

/// The percentiles the spectrum shows: 0, then `1 - 10^(-k/10)` from k = 3 (49.9 %) on, each a
/// tenth of a decade closer to 100 % (60.2 %, 68.4 % … 99.999 %), then the maximum.
fn spectrum(corrected: &Option<Hist>, raw: &Option<Hist>) -> Vec<SpectrumPoint> {
    let at = |h: &Option<Hist>, q: f64| {
        h.as_ref()
            .filter(|h| !h.is_empty())
            .map(|h| h.value_at_quantile(q))
    };
    let count = corrected.as_ref().map_or(0, |h| h.len());
    if count == 0 && raw.as_ref().is_none_or(|h| h.is_empty()) {
        return Vec::new();
    }
    let mut quantiles = vec![0.0];
    // Only while at least one response lies beyond the percentile: past that, every
    // percentile is the maximum.
    let mut k = 3;
    loop {
        let q = 1.0 - 10f64.powf(-f64::from(k) / 10.0);
        if q > 0.99999 || (count > 0 && (1.0 - q) * (count as f64) < 1.0) {
            break;
        }
        quantiles.push(q);
        k += 1;
    }
    quantiles.push(1.0);
    quantiles
        .into_iter()
        .map(|q| SpectrumPoint {
            percentile: q * 100.0,
            latency_ns: at(corrected, q),
            raw_latency_ns: at(raw, q),
        })
        .collect()
}

/// Every second from the first to the last window or sample, in order; a second in which
/// nothing completed is there with zeros, so a stall shows as a gap in throughput rather
/// than vanishing from the chart.
fn seconds(
    run: &RunData,
    by_second: &BTreeMap<u32, Figures>,
    last_second: u32,
) -> Vec<SecondFigures> {
    let sample = |name: &str| -> BTreeMap<u32, f64> {
        run.samples
            .iter()
            .filter(|s| s.name == name)
            .map(|s| (s.second, s.value))
            .collect()
    };
    let (cpu, rss, threads, fds) = (
        sample("target.cpu_cores"),
        sample("target.rss"),
        sample("target.threads"),
        sample("target.fds"),
    );
    let (lag_p99, lag_max) = (sample("generator.lag_p99"), sample("generator.lag_max"));
    let last = [
        by_second.keys().next_back(),
        cpu.keys().next_back(),
        rss.keys().next_back(),
    ]
    .into_iter()
    .flatten()
    .max()
    .map(|last| (*last).min(last_second));
    let Some(last) = last else {
        return Vec::new();
    };
    let mut phase = by_second
        .values()
        .next()
        .map(|s| s.phase.clone())
        .unwrap_or_default();
    (0..=last)
        .map(|second| {
            let slot = by_second.get(&second);
            if let Some(s) = slot {
                phase.clone_from(&s.phase);
            }
            SecondFigures {
                second,
                phase: phase.clone(),
                requests: slot.map_or(0, |s| s.requests),
                errors: slot.map_or(0, |s| s.errors),
                latency: slot.and_then(|s| s.latency),
                raw_latency: slot.and_then(|s| s.raw_latency),
                target_cpu_cores: cpu.get(&second).copied(),
                target_rss_bytes: rss.get(&second).map(|v| *v as u64),
                target_threads: threads.get(&second).map(|v| *v as u32),
                target_fds: fds.get(&second).map(|v| *v as u32),
                send_lag_p99_ns: lag_p99.get(&second).map(|v| *v as u64),
                send_lag_max_ns: lag_max.get(&second).map(|v| *v as u64),
            }
        })
        .collect()
}

fn percentiles(hist: Option<&Hist>) -> Option<SecondLatency> {
    let h = hist.filter(|h| !h.is_empty())?;
    Some(SecondLatency {
        p50_ns: h.value_at_quantile(0.50),
        p90_ns: h.value_at_quantile(0.90),
        p99_ns: h.value_at_quantile(0.99),
        max_ns: h.max(),
    })
}

/// The method from the stored plan (`{"scenario": …, "plan_text": …}`); a plan that cannot be
/// read back (an older rigor's) leaves only the model.
fn method(plan: &str, model: &str) -> Method {
    let scenario: Option<Scenario> = serde_json::from_str::<serde_json::Value>(plan)
        .ok()
        .and_then(|v| serde_json::from_value(v.get("scenario")?.clone()).ok());
    let latency_from = match model {
        "closed" => "the moment each user's request was due (after its think time), and apart from that from the moment it was sent",
        _ => "each request's intended start on the arrival schedule (coordinated omission corrected), and apart from that from the moment it was sent",
    }
    .to_string();
    let budgets = budgets(plan, scenario.as_ref().map(|s| s.name.as_str()));
    let Some(s) = scenario else {
        return Method {
            budgets,
            model: model.to_string(),
            latency_from,
            ..Method::default()
        };
    };
    Method {
        model: match s.model {
            Model::Open => "open".to_string(),
            Model::Closed => "closed".to_string(),
        },
        phases: s
            .phases
            .iter()
            .map(|p| {
                let (rate_start, rate_end, users) = match p.load {
                    PhaseLoad::Open { start, end } => {
                        (Some(start.as_per_second()), Some(end.as_per_second()), None)
                    }
                    PhaseLoad::Closed { start, end } => {
                        (None, None, Some(u64::from(start.max(end))))
                    }
                };
                PlannedPhase {
                    name: p.name.clone(),
                    kind: p.kind.as_str().to_string(),
                    duration_ns: p.duration.map_or(0, |d| d.as_nanos() as u64),
                    rate_start,
                    rate_end,
                    users,
                }
            })
            .collect(),
        connections: Some(u64::from(s.max_connections)),
        http: serde_json::to_value(s.http)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string)),
        requests: s
            .requests
            .iter()
            .map(|r| format!("{} {}", r.method, r.url))
            .collect(),
        latency_from,
        budgets,
    }
}

/// The budgets with a fixed limit that the stored plan text sets on `scenario`.
fn budgets(plan: &str, scenario: Option<&str>) -> Vec<String> {
    let Some(text) = serde_json::from_str::<serde_json::Value>(plan)
        .ok()
        .and_then(|v| v.get("plan_text")?.as_str().map(str::to_string))
    else {
        return Vec::new();
    };
    let Ok(plan) = rigor_model::plan::Plan::parse(&text, std::path::Path::new("the stored plan"))
    else {
        return Vec::new();
    };
    plan.budget
        .iter()
        .enumerate()
        .filter_map(|(i, b)| b.to_check(i + 1).ok())
        .filter(|c| !c.expr.is_relative())
        .filter(|c| c.scenario.is_none() || c.scenario.as_deref() == scenario)
        .map(|c| c.expr.text)
        .collect()
}
