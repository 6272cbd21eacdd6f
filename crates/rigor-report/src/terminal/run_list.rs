//! The stored runs as `rigor runs` lists them: one line each, newest first.

use std::io::{self, Write};

use rigor_model::output::{RunHeadline, RunListEntry};
use rigor_model::units::{format_nanos, three_figures};

/// The stored runs, newest first, one line each.
pub fn run_list(out: &mut dyn Write, runs: &[RunListEntry], location: &str) -> io::Result<()> {
    if runs.is_empty() {
        return writeln!(out, "{}", no_runs_text(location));
    }
    writeln!(
        out,
        "{:>5}  {:<20}  {:<8}  {:<20}  {:<13}  {:>9}  {:>9}  {:>9}",
        "run", "started (UTC)", "kind", "name", "status", "requests", "rate", "p99"
    )?;
    for r in runs {
        let started = rigor_model::units::rfc3339(
            std::time::UNIX_EPOCH + std::time::Duration::from_nanos(r.started_at_ns.max(0) as u64),
        )[..19]
            .replace('T', " ");
        let (requests, rate, p99) = headline_cells(&r.headline);
        writeln!(
            out,
            "{:>5}  {:<20}  {:<8}  {:<20}  {:<13}  {:>9}  {:>9}  {:>9}",
            r.run_id,
            started,
            r.kind.as_str(),
            truncate(&r.scenario, 20),
            r.status.as_str(),
            requests,
            rate,
            p99
        )?;
    }
    Ok(())
}

/// The requests, rate and p99 cells of a run's line; a benchmark shows its first command's
/// runs and mean instead, and a figure the run does not have is `-`.
fn headline_cells(h: &RunHeadline) -> (String, String, String) {
    let dash = || "-".to_string();
    if h.bench_runs.is_some() || h.bench_mean_ns.is_some() {
        return (
            h.bench_runs.map_or_else(dash, |n| format!("{n} runs")),
            dash(),
            h.bench_mean_ns
                .map_or_else(dash, |ns| format!("{} mean", format_nanos(ns as f64))),
        );
    }
    (
        h.requests.map_or_else(dash, |n| n.to_string()),
        h.throughput_per_s
            .map_or_else(dash, |r| format!("{}/s", three_figures(r))),
        h.p99_ns.map_or_else(dash, |ns| format_nanos(ns as f64)),
    )
}

/// What is said of a store that holds no runs (or does not exist yet).
pub fn no_runs_text(location: &str) -> String {
    format!(
        "no runs in {location} yet: `rigor demo`, `rigor load URL` or `rigor bench -- CMD` makes one"
    )
}

/// Shortens a name to `width` characters with an ellipsis.
fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        text.chars()
            .take(width - 1)
            .chain(std::iter::once('…'))
            .collect()
    }
}
