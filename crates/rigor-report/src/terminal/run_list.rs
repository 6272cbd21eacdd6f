//! The stored runs as `rigor runs` lists them: one line each, newest first.

use std::io::{self, Write};

use rigor_model::output::{RunListEntry, StoredSummary};
use rigor_model::units::{format_nanos, three_figures};

/// The stored runs, newest first, one line each.
pub fn run_list(out: &mut dyn Write, runs: &[RunListEntry], location: &str) -> io::Result<()> {
    if runs.is_empty() {
        return writeln!(out, "{}", no_runs_text(location));
    }
    writeln!(
        out,
        "{:>5}  {:<20}  {:<5}  {:<20}  {:<13}  {:>9}  {:>9}  {:>9}",
        "run", "started (UTC)", "kind", "name", "status", "requests", "rate", "p99"
    )?;
    for r in runs {
        let started = rigor_model::units::rfc3339(
            std::time::UNIX_EPOCH + std::time::Duration::from_nanos(r.started_at_ns.max(0) as u64),
        )[..19]
            .replace('T', " ");
        let (requests, rate, p99) = match &r.summary {
            Some(StoredSummary::Bench(b)) => {
                let first = b.commands.first().and_then(|c| c.stats.as_ref());
                (
                    first.map_or("-".into(), |st| format!("{} runs", st.count)),
                    "-".into(),
                    first.map_or("-".into(), |st| {
                        format!("{} mean", format_nanos(st.mean.as_nanos() as f64))
                    }),
                )
            }
            Some(StoredSummary::Load(s)) => (
                s.total.requests.to_string(),
                format!("{}/s", three_figures(s.total.throughput_per_s)),
                if s.total.latency.count > 0 {
                    format_nanos(s.total.latency.p99_ns as f64)
                } else {
                    "-".into()
                },
            ),
            None => ("-".into(), "-".into(), "-".into()),
        };
        writeln!(
            out,
            "{:>5}  {:<20}  {:<5}  {:<20}  {:<13}  {:>9}  {:>9}  {:>9}",
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
