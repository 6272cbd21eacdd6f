//! The target's signals as a run keeps them: each second's figures as stored samples, and the
//! summary over the run and over each phase's seconds.

use std::collections::BTreeMap;

use rigor_model::output::{
    PhaseFigures, PhaseSeries, PressureFigures, ProbeSummary, ProbeText, ProcessSummary,
    ScrapeSummary, SeriesFigures, TargetFigures, TargetSummary,
};
use rigor_probe::{Sampled, SecondSample};

/// Processes listed in a summary, busiest first: a pre-fork server's hundred workers would
/// drown the table.
const PROCESSES_KEPT: usize = 20;

/// The store's rows for the target's samples: one per second and figure. The names are the
/// series the signals are read from ([`rigor_model::metric::Signal::series`]).
pub(crate) fn sample_rows(samples: &[SecondSample]) -> Vec<rigor_store::Sample> {
    let mut rows = Vec::with_capacity(samples.len() * 16);
    for s in samples {
        let mut push = |name: &str, value: Option<f64>| {
            if let Some(value) = value.filter(|v| v.is_finite()) {
                rows.push(rigor_store::Sample {
                    second: s.second,
                    name: name.into(),
                    value,
                });
            }
        };
        push("target.cpu", Some(s.cpu_share));
        push("target.cpu_cores", Some(s.cpu_cores));
        push("target.cpu.user", Some(s.user_cores / cores_of(s)));
        push("target.cpu.system", Some(s.system_cores / cores_of(s)));
        push("target.rss", Some(s.rss_bytes as f64));
        push("target.threads", Some(f64::from(s.threads)));
        push("target.fds", Some(f64::from(s.fds)));
        push("target.processes", Some(f64::from(s.processes)));
        push(
            "target.ctx_switches",
            s.voluntary_switches
                .zip(s.involuntary_switches)
                .map(|(v, i)| v + i),
        );
        push("target.ctx_switches.involuntary", s.involuntary_switches);
        push("target.io.read", s.read_bytes);
        push("target.io.write", s.write_bytes);
        push("target.faults.minor", Some(s.minor_faults));
        push("target.faults.major", Some(s.major_faults));
        if let Some(p) = &s.pressure {
            push("host.pressure.cpu", p.cpu);
            push("host.pressure.memory", p.memory);
            push("host.pressure.io", p.io);
        }
    }
    rows
}

/// The machine's cores as a sample counts them (its share is cores over the machine's).
fn cores_of(s: &SecondSample) -> f64 {
    if s.cpu_share > 0.0 {
        s.cpu_cores / s.cpu_share
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get()) as f64
    }
}

/// The target's summary: its figures over the whole run and within each phase (the phase of
/// each second is the one that completed most requests in it, as the run's windows say).
pub(crate) fn summarize(
    pid: u32,
    sampled: &Sampled,
    phase_of_second: &BTreeMap<u32, String>,
) -> Option<TargetSummary> {
    let samples = &sampled.samples;
    let whole = figures(samples.iter())?;
    let mut phase_names: Vec<&String> = Vec::new();
    for name in phase_of_second.values() {
        if !phase_names.contains(&name) {
            phase_names.push(name);
        }
    }
    let phases = phase_names
        .into_iter()
        .filter_map(|name| {
            let within = samples
                .iter()
                .filter(|s| phase_of_second.get(&s.second) == Some(name));
            let count = within.clone().count() as u32;
            figures(within).map(|figures| PhaseFigures {
                phase: name.clone(),
                samples: count,
                figures,
            })
        })
        .collect();
    let mut processes: Vec<ProcessSummary> = sampled
        .processes
        .iter()
        .map(|p| ProcessSummary {
            pid: p.pid,
            ppid: p.ppid,
            command: p.command.clone(),
            seconds: p.seconds,
            cpu_cores_mean: p.cpu_ns as f64 / 1e9 / f64::from(p.seconds.max(1)),
            rss_max_bytes: p.rss_max_bytes,
            threads_max: p.threads_max,
        })
        .collect();
    processes.sort_by(|a, b| b.cpu_cores_mean.total_cmp(&a.cpu_cores_mean));
    processes.truncate(PROCESSES_KEPT);
    Some(TargetSummary {
        pid,
        samples: samples.len() as u32,
        figures: whole,
        phases,
        processes,
        notes: sampled.notes.clone(),
        exit: None,
        output_tail: None,
        trends: Vec::new(),
    })
}

/// The figures over some seconds; `None` for no seconds.
fn figures<'s>(seconds: impl Iterator<Item = &'s SecondSample> + Clone) -> Option<TargetFigures> {
    let all: Vec<&SecondSample> = seconds.collect();
    let (first, last) = (all.first()?, all.last()?);
    let n = all.len() as f64;
    let mean = |f: &dyn Fn(&SecondSample) -> f64| all.iter().map(|s| f(s)).sum::<f64>() / n;
    // A figure one second could not read leaves that second out of its mean.
    let mean_of = |f: &dyn Fn(&SecondSample) -> Option<f64>| {
        let known: Vec<f64> = all.iter().filter_map(|s| f(s)).collect();
        (!known.is_empty()).then(|| known.iter().sum::<f64>() / known.len() as f64)
    };
    let mut cpu: Vec<f64> = all.iter().map(|s| s.cpu_share).collect();
    cpu.sort_by(f64::total_cmp);
    let percentile = |p: f64| Some(nearest_rank(&cpu, p));
    let cores = |s: &SecondSample| cores_of(s);
    let pressure = PressureFigures {
        cpu: mean_of(&|s| s.pressure.and_then(|p| p.cpu)),
        memory: mean_of(&|s| s.pressure.and_then(|p| p.memory)),
        io: mean_of(&|s| s.pressure.and_then(|p| p.io)),
    };
    Some(TargetFigures {
        cpu_mean: mean(&|s| s.cpu_share),
        cpu_max: cpu.last().copied().unwrap_or(0.0),
        cpu_cores_mean: mean(&|s| s.cpu_cores),
        cpu_p50: percentile(50.0),
        cpu_p90: percentile(90.0),
        cpu_p95: percentile(95.0),
        cpu_p99: percentile(99.0),
        cpu_user_mean: Some(mean(&|s| s.user_cores / cores(s))),
        cpu_system_mean: Some(mean(&|s| s.system_cores / cores(s))),
        rss_start_bytes: first.rss_bytes,
        rss_end_bytes: last.rss_bytes,
        rss_max_bytes: all.iter().map(|s| s.rss_bytes).max().unwrap_or(0),
        threads_max: all.iter().map(|s| s.threads).max().unwrap_or(0),
        fds_max: all.iter().map(|s| s.fds).max().unwrap_or(0),
        processes_max: all.iter().map(|s| s.processes).max(),
        ctx_switches_per_s: mean_of(&|s| {
            s.voluntary_switches
                .zip(s.involuntary_switches)
                .map(|(v, i)| v + i)
        }),
        involuntary_switches_per_s: mean_of(&|s| s.involuntary_switches),
        read_bytes_per_s: mean_of(&|s| s.read_bytes),
        write_bytes_per_s: mean_of(&|s| s.write_bytes),
        minor_faults_per_s: Some(mean(&|s| s.minor_faults)),
        major_faults_per_s: Some(mean(&|s| s.major_faults)),
        host_pressure: (pressure.cpu.is_some()
            || pressure.memory.is_some()
            || pressure.io.is_some())
        .then_some(pressure),
    })
}

/// The nearest-rank percentile of sorted values: a value that was measured, never one
/// between two seconds.
fn nearest_rank(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The store's rows for the target's own metrics: `target.metric.<series>` at the second of
/// the scrape.
pub(crate) fn scrape_rows(
    values: &[rigor_probe::scrape::ScrapedValue],
) -> Vec<rigor_store::Sample> {
    metric_rows(
        values
            .iter()
            .map(|v| (v.series.as_str(), v.second, v.value)),
    )
}

/// `target.metric.<series>` rows from (series, second, value), leaving out what is not finite.
fn metric_rows<'a>(values: impl Iterator<Item = (&'a str, u32, f64)>) -> Vec<rigor_store::Sample> {
    values
        .filter(|(_, _, value)| value.is_finite())
        .map(|(series, second, value)| rigor_store::Sample {
            second,
            name: rigor_model::metric::Scraped::sample_name(series),
            value,
        })
        .collect()
}

/// How the scraping went and each series' figures, over the run and within each phase.
pub(crate) fn summarize_scrape(
    scrape: Option<(
        &rigor_probe::scrape::ScrapeSpec,
        &rigor_probe::scrape::Scraped,
    )>,
    probes: &[(rigor_probe::probes::ProbeSpec, rigor_probe::probes::Probed)],
    phase_of_second: &BTreeMap<u32, String>,
) -> ScrapeSummary {
    let mut by_series: BTreeMap<&str, Vec<(u32, f64)>> = BTreeMap::new();
    let scraped_values = scrape.iter().flat_map(|(_, s)| &s.values);
    for v in scraped_values.filter(|v| v.value.is_finite()) {
        by_series
            .entry(v.series.as_str())
            .or_default()
            .push((v.second, v.value));
    }
    for (spec, probed) in probes {
        for v in probed.values.iter().filter(|v| v.value.is_finite()) {
            by_series
                .entry(spec.name.as_str())
                .or_default()
                .push((v.second, v.value));
        }
    }
    let figures_of = |filter: &dyn Fn(u32) -> bool| -> Vec<SeriesFigures> {
        by_series
            .iter()
            .filter_map(|(series, points)| {
                let values: Vec<f64> = points
                    .iter()
                    .filter(|(s, _)| filter(*s))
                    .map(|(_, v)| *v)
                    .collect();
                series_figures(series, &values)
            })
            .collect()
    };
    let mut phases: Vec<PhaseSeries> = Vec::new();
    for name in phase_of_second.values() {
        if phases.iter().any(|p| &p.phase == name) {
            continue;
        }
        let series = figures_of(&|second| phase_of_second.get(&second) == Some(name));
        if !series.is_empty() {
            phases.push(PhaseSeries {
                phase: name.clone(),
                series,
            });
        }
    }
    let probes = probes
        .iter()
        .map(|(spec, probed)| ProbeSummary {
            name: spec.name.clone(),
            command: spec.command.clone(),
            kind: match spec.kind {
                rigor_probe::probes::ProbeKind::Number => "number".into(),
                rigor_probe::probes::ProbeKind::Text => "text".into(),
            },
            every_ns: spec.every.as_nanos() as u64,
            runs: probed.runs,
            failed: probed.failed,
            last_error: probed.last_error.clone(),
            texts: probed
                .texts
                .iter()
                .map(|t| ProbeText {
                    second: t.second,
                    hash: t.hash.clone(),
                    first_line: t.first_line.clone(),
                })
                .collect(),
        })
        .collect();
    ScrapeSummary {
        url: scrape.map(|(spec, _)| spec.url.clone()),
        every_ns: scrape.map_or(0, |(spec, _)| spec.every.as_nanos() as u64),
        scrapes: scrape.map_or(0, |(_, s)| s.scrapes),
        failed: scrape.map_or(0, |(_, s)| s.failed),
        last_error: scrape.and_then(|(_, s)| s.last_error.clone()),
        notes: scrape.map(|(_, s)| s.notes.clone()).unwrap_or_default(),
        series: figures_of(&|_| true),
        phases,
        probes,
    }
}

/// The store's rows for the probes' values: `target.metric.<name>`.
pub(crate) fn probe_rows(
    name: &str,
    values: &[rigor_probe::probes::ProbeValue],
) -> Vec<rigor_store::Sample> {
    metric_rows(values.iter().map(|v| (name, v.second, v.value)))
}

/// Mean, least, most, 95th percentile (nearest rank) and last of a series' values.
fn series_figures(series: &str, values: &[f64]) -> Option<SeriesFigures> {
    let last = *values.last()?;
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((0.95 * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(SeriesFigures {
        series: series.to_string(),
        samples: values.len() as u32,
        mean: values.iter().sum::<f64>() / values.len() as f64,
        min: sorted[0],
        max: sorted[sorted.len() - 1],
        p95: sorted[rank - 1],
        last,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn second(second: u32, cpu: f64, rss: u64) -> SecondSample {
        SecondSample {
            second,
            cpu_cores: cpu * 2.0,
            cpu_share: cpu,
            user_cores: cpu * 1.5,
            system_cores: cpu * 0.5,
            rss_bytes: rss,
            threads: 4,
            fds: 10,
            processes: 1 + second % 3,
            voluntary_switches: Some(100.0),
            involuntary_switches: Some(10.0),
            read_bytes: None,
            write_bytes: Some(4096.0),
            minor_faults: 5.0,
            major_faults: 0.0,
            pressure: None,
        }
    }

    #[test]
    fn figures_per_run_and_per_phase() {
        let samples: Vec<SecondSample> = (0..10)
            .map(|i| second(i, if i < 5 { 0.1 } else { 0.6 }, 1000 + u64::from(i)))
            .collect();
        let phases: BTreeMap<u32, String> = (0..10)
            .map(|i| (i, if i < 5 { "warmup" } else { "steady" }.to_string()))
            .collect();
        let sampled = Sampled {
            samples,
            ..Sampled::default()
        };
        let t = summarize(7, &sampled, &phases).expect("summary");
        let f = &t.figures;
        assert!((f.cpu_mean - 0.35).abs() < 1e-9, "{f:?}");
        assert_eq!(
            (f.cpu_max, f.cpu_p50, f.cpu_p95),
            (0.6, Some(0.1), Some(0.6))
        );
        assert!(
            (f.cpu_user_mean.unwrap() - 0.75 * 0.35).abs() < 1e-9,
            "{f:?}"
        );
        assert_eq!(f.ctx_switches_per_s, Some(110.0));
        assert_eq!(
            (f.read_bytes_per_s, f.write_bytes_per_s),
            (None, Some(4096.0))
        );
        assert_eq!(f.processes_max, Some(3));
        assert_eq!(
            (f.rss_start_bytes, f.rss_end_bytes, f.rss_max_bytes),
            (1000, 1009, 1009)
        );
        let names: Vec<&str> = t.phases.iter().map(|p| p.phase.as_str()).collect();
        assert_eq!(names, ["warmup", "steady"]);
        assert_eq!(t.phases[1].figures.cpu_mean, 0.6);
        assert_eq!(t.phases[0].samples, 5);
        let rows = sample_rows(&sampled.samples);
        assert!(rows
            .iter()
            .any(|r| r.name == "target.ctx_switches" && r.value == 110.0));
        assert!(
            !rows.iter().any(|r| r.name == "target.io.read"),
            "unread is not zero"
        );
    }

    #[test]
    fn nearest_rank_is_a_measured_value() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(nearest_rank(&v, 50.0), 2.0);
        assert_eq!(nearest_rank(&v, 95.0), 4.0);
        assert_eq!(nearest_rank(&v, 1.0), 1.0);
    }

    #[test]
    fn scraped_series_are_summarized_over_the_run_and_each_phase() {
        use rigor_probe::scrape::{ScrapeSpec, Scraped, ScrapedValue};
        let value = |second, series: &str, value| ScrapedValue {
            second,
            series: series.into(),
            value,
        };
        let scraped = Scraped {
            values: vec![
                value(0, "lag", 100.0),
                value(1, "lag", 200.0),
                value(2, "lag", 6000.0),
                value(3, "lag", 7000.0),
                value(3, "gc.max", f64::NAN),
            ],
            scrapes: 5,
            failed: 1,
            last_error: Some("timed out".into()),
            notes: Vec::new(),
        };
        let spec = ScrapeSpec {
            url: "http://127.0.0.1:1/metrics".into(),
            select: Vec::new(),
            every: std::time::Duration::from_secs(1),
            timeout: std::time::Duration::from_secs(1),
        };
        let phases: BTreeMap<u32, String> =
            [(0, "warm"), (1, "warm"), (2, "steady"), (3, "steady")]
                .into_iter()
                .map(|(s, p)| (s, p.to_string()))
                .collect();
        let s = summarize_scrape(Some((&spec, &scraped)), &[], &phases);
        assert_eq!((s.scrapes, s.failed), (5, 1));
        assert_eq!(s.series.len(), 1, "a NaN is not a figure: {:?}", s.series);
        let lag = &s.series[0];
        assert_eq!(
            (lag.mean, lag.min, lag.max, lag.last),
            (3325.0, 100.0, 7000.0, 7000.0)
        );
        assert_eq!(lag.p95, 7000.0);
        let steady = s.phases.iter().find(|p| p.phase == "steady").unwrap();
        assert_eq!(steady.series[0].mean, 6500.0);
        assert_eq!(steady.series[0].samples, 2);
        let rows = scrape_rows(&scraped.values);
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0].name, "target.metric.lag");
    }
}
