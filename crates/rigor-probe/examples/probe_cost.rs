//! What sampling costs: the CPU time rigor's own process spends per sample of a target's
//! process tree, or per scrape of a metrics endpoint, while nothing else in it runs.
//!
//! ```text
//! cargo run --release -p rigor-probe --example probe_cost -- sample PID [SECONDS]
//! cargo run --release -p rigor-probe --example probe_cost -- scrape URL [SECONDS]
//! ```
//!
//! Samples (or scrapes) every 10 ms for SECONDS (default 5), then prints the process's CPU
//! time per sample: the main thread only sleeps meanwhile, so the time is the sampler's.
//! `benchmarks/probe-cost.sh` runs it on targets of 1 and 100 threads and a 1,000-series
//! endpoint.

// A measuring tool prints its figures and its usage.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::time::{Duration, Instant};

/// This process's CPU time so far, in nanoseconds: the on-CPU time the scheduler counts for
/// each of its threads (`/proc/self/task/*/schedstat`), those that ended included in none —
/// the sampler's thread is still alive when this is read.
fn cpu_ns() -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mode, what) = match (args.first(), args.get(1)) {
        (Some(m), Some(w)) => (m.as_str(), w.clone()),
        _ => {
            eprintln!("usage: probe_cost sample PID [SECONDS] | scrape URL [SECONDS]");
            std::process::exit(2);
        }
    };
    let seconds: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(5);
    let period = Duration::from_millis(10);
    let before = cpu_ns();
    let spent: u64;
    let started = Instant::now();
    let (count, extra) = match mode {
        "sample" => {
            let pid: u32 = what.parse().expect("a pid");
            let sampler =
                rigor_probe::Sampler::with_period(pid, period).expect("the target is readable");
            std::thread::sleep(Duration::from_secs(seconds));
            spent = cpu_ns() - before;
            let sampled = sampler.finish();
            let processes = sampled.processes.len();
            let threads = sampled.samples.last().map_or(0, |s| s.threads);
            (
                sampled.samples.len(),
                format!("{processes} processes, {threads} threads"),
            )
        }
        "scrape" => {
            let scraper = rigor_probe::scrape::Scraper::start(rigor_probe::scrape::ScrapeSpec {
                url: what,
                select: Vec::new(),
                every: period,
                timeout: Duration::from_secs(1),
            });
            std::thread::sleep(Duration::from_secs(seconds));
            spent = cpu_ns() - before;
            let scraped = scraper.finish();
            let series: std::collections::BTreeSet<&str> =
                scraped.values.iter().map(|v| v.series.as_str()).collect();
            (
                scraped.scrapes as usize,
                format!("{} series kept, {} failed", series.len(), scraped.failed),
            )
        }
        other => {
            eprintln!("unknown mode `{other}`: sample or scrape");
            std::process::exit(2);
        }
    };
    let wall = started.elapsed();
    println!(
        "{mode}: {count} in {:.1} s ({extra}); CPU {:.1} µs per {mode}, {:.3} % of a core at one a second",
        wall.as_secs_f64(),
        spent as f64 / count.max(1) as f64 / 1e3,
        spent as f64 / count.max(1) as f64 / 1e9 * 100.0
    );
}
