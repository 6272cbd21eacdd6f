//! `rigor runs`: the stored runs, newest first.

use std::io::Write;
use std::process::ExitCode;

use rigor_model::output::RunSummary;
use rigor_model::units::{format_nanos, three_figures};
use rigor_store::RunFilter;

use crate::printer;

#[derive(clap::Args, Debug)]
pub struct RunsArgs {
    /// Only runs of this scenario (or bench).
    #[arg(long)]
    pub scenario: Option<String>,

    /// At most this many runs.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,

    /// The run store (default .rigor/rigor.db).
    #[arg(long, env = "RIGOR_STORE", value_name = "PATH")]
    pub store: Option<std::path::PathBuf>,

    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &RunsArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let cwd = std::env::current_dir()?;
    let (runs, path) = match crate::store::open_existing_store(args.store.as_deref(), &cwd)? {
        Ok(store) => {
            let runs = store.runs(&RunFilter {
                scenario: args.scenario.clone(),
                kind: None,
                limit: Some(args.limit),
            })?;
            (runs, store.location())
        }
        Err(path) => (Vec::new(), path.display().to_string()),
    };
    let summaries: Vec<(rigor_store::RunRecord, Option<RunSummary>)> = runs
        .into_iter()
        .map(|r| {
            let s = r
                .summary
                .as_deref()
                .and_then(|s| serde_json::from_str(s).ok());
            (r, s)
        })
        .collect();
    if args.json {
        let rows: Vec<serde_json::Value> = summaries
            .iter()
            .map(|(r, _)| {
                serde_json::json!({
                    "run_id": r.id, "kind": r.kind, "scenario": r.scenario,
                    "status": r.status.as_str(), "status_reason": r.status_reason,
                    "started_at_ns": r.started_at_ns, "ended_at_ns": r.ended_at_ns,
                    "git_commit": r.git_commit,
                    "summary": r.summary.as_deref().and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok()),
                })
            })
            .collect();
        printer::ignore_broken_pipe(printer::json(out, &rows))?;
        return Ok(ExitCode::SUCCESS);
    }
    if summaries.is_empty() {
        writeln!(out, "{}", crate::store::no_runs_text(&path))?;
        return Ok(ExitCode::SUCCESS);
    }
    let write = |out: &mut dyn Write| -> std::io::Result<()> {
        writeln!(
            out,
            "{:>5}  {:<20}  {:<5}  {:<20}  {:<11}  {:>9}  {:>9}  {:>9}",
            "run", "started (UTC)", "kind", "name", "status", "requests", "rate", "p99"
        )?;
        for (r, s) in &summaries {
            let started = rigor_model::units::rfc3339(
                std::time::UNIX_EPOCH
                    + std::time::Duration::from_nanos(r.started_at_ns.max(0) as u64),
            )[..19]
                .replace('T', " ");
            let bench = (r.kind == rigor_store::RunKind::Bench)
                .then(|| {
                    r.summary
                        .as_deref()
                        .and_then(|t| serde_json::from_str::<rigor_bench::BenchResult>(t).ok())
                })
                .flatten();
            let (requests, rate, p99) = match (s, bench) {
                (_, Some(b)) => {
                    let first = b.commands.first().and_then(|c| c.stats.as_ref());
                    (
                        first.map_or("-".into(), |st| format!("{} runs", st.count)),
                        "-".into(),
                        first.map_or("-".into(), |st| {
                            format!("{} mean", format_nanos(st.mean.as_nanos() as f64))
                        }),
                    )
                }
                (s, None) => match s {
                    Some(s) => (
                        s.total.requests.to_string(),
                        format!("{}/s", three_figures(s.total.throughput_per_s)),
                        if s.total.latency.count > 0 {
                            format_nanos(s.total.latency.p99_ns as f64)
                        } else {
                            "-".into()
                        },
                    ),
                    None => ("-".into(), "-".into(), "-".into()),
                },
            };
            writeln!(
                out,
                "{:>5}  {:<20}  {:<5}  {:<20}  {:<11}  {:>9}  {:>9}  {:>9}",
                r.id,
                started,
                r.kind,
                truncate(&r.scenario, 20),
                r.status.as_str(),
                requests,
                rate,
                p99
            )?;
        }
        Ok(())
    };
    printer::ignore_broken_pipe(write(out))?;
    Ok(ExitCode::SUCCESS)
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
