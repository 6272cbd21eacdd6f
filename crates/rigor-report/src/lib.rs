//! The output layer: what rigor shows a person or a program, and the one writer that owns
//! stdout and stderr.
//!
//! A [`Report`] names what is shown (a run, a benchmark, a comparison, a gate, the run list,
//! a plan's runs); a [`Format`] names how, and each format is one [`Exporter`] in a file of its
//! own: the terminal table, JSON, CSV, Markdown, HTML, JUnit, GitHub annotations. Later sections
//! (profile, history, capacity, tuning session) join [`Report`] and the exporters that can
//! show them. [`Writer`] puts reports on stdout (data) and notes, warnings and progress on
//! stderr, honours `--quiet` and `NO_COLOR`, and treats a closed pipe as the reader being done.
//!
//! What this crate must not do: compute (figures come in as values), read the store, or run
//! anything.

mod annotations;
pub mod capacity;
mod counts;
mod csv_export;
mod csv_run;
pub mod flamegraph;
pub mod history;
mod html;
mod imported;
mod journey;
mod json;
mod junit;
mod markdown;
mod method;
mod recovery;
mod signals;
pub mod slo;
mod stages;
pub mod terminal;
pub mod tune;
mod writer;

use std::io;
use std::path::Path;

use rigor_model::output::analysis::{Comparison, GateReport};
use rigor_model::output::bench::BenchResult;
use rigor_model::output::capacity::CapacityReport;
use rigor_model::output::history::HistoryReport;
use rigor_model::output::imported::ImportedRun;
use rigor_model::output::profile::{ProfileDiff, ProfileReport};
use rigor_model::output::report::LoadReport;
use rigor_model::output::{PlanRunOutput, RunListEntry, RunSummary};

pub use writer::Writer;

/// What is shown.
#[derive(Debug, Clone, Copy)]
pub enum Report<'a> {
    /// One load run.
    Run(&'a RunSummary),
    /// One load run with its seconds and method: what `rigor report` writes.
    LoadReport(&'a LoadReport),
    /// One benchmark, stored as run `run_id` under `name`.
    Bench {
        run_id: i64,
        name: &'a str,
        result: &'a BenchResult,
    },
    /// One imported run, stored as run `run_id` under `name`.
    Imported {
        run_id: i64,
        name: &'a str,
        run: &'a ImportedRun,
    },
    /// A before/after comparison; `baseline_name` when B was compared with a named baseline.
    /// `runs`: the two load runs' reports (baseline, candidate), for the exporters that draw
    /// them side by side (HTML).
    Comparison {
        comparison: &'a Comparison,
        baseline_name: Option<&'a str>,
        runs: Option<(&'a LoadReport, &'a LoadReport)>,
    },
    /// The gate's verdict; `plan` is the file annotations point at.
    Gate {
        report: &'a GateReport,
        plan: &'a Path,
    },
    /// Stored runs, newest first; `location` is the store, for "no runs yet".
    RunList {
        runs: &'a [RunListEntry],
        location: &'a str,
    },
    /// What `rigor run` ran: its scenarios and benches.
    PlanRun(&'a PlanRunOutput),
    /// A run's profile: its hottest frames, or why there is none.
    Profile(&'a ProfileReport),
    /// Where the time moved between two profiles.
    ProfileDiff(&'a ProfileDiff),
    /// A capacity search: its steps, knee, scalability model and growth.
    Capacity(&'a CapacityReport),
    /// A metric's history and its change points; `points` lists every run's value.
    History {
        report: &'a HistoryReport,
        points: bool,
    },
}

impl Report<'_> {
    /// What the report is, for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Report::Run(_) | Report::LoadReport(_) => "a run",
            Report::Bench { .. } => "a benchmark",
            Report::Imported { .. } => "an imported run",
            Report::Comparison { .. } => "a comparison",
            Report::Gate { .. } => "a gate verdict",
            Report::RunList { .. } => "the run list",
            Report::PlanRun(_) => "a plan's runs",
            Report::Profile(_) => "a profile",
            Report::ProfileDiff(_) => "a profile diff",
            Report::Capacity(_) => "a capacity search",
            Report::History { .. } => "a history",
        }
    }
}

/// How a report is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The table a person reads in a terminal.
    Terminal,
    /// The versioned JSON contract (a committed schema for each report).
    Json,
    /// Rows of figures: one per command (benchmarks), one per metric (a run, in the shape of
    /// a `baseline-metrics.csv`; a comparison).
    Csv,
    /// A load run second by second: throughput, errors, both latency rows, the target.
    SeriesCsv,
    /// GitHub-flavoured Markdown: pull-request comments, step summaries, baseline snapshots.
    Markdown,
    /// One self-contained HTML page with charts.
    Html,
    /// One test case per check (the gate), for CI test reports.
    Junit,
    /// GitHub workflow commands: an annotation per breached check.
    GithubAnnotations,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Terminal => "terminal",
            Format::Json => "json",
            Format::Csv => "csv",
            Format::SeriesCsv => "series-csv",
            Format::Markdown => "markdown",
            Format::Html => "html",
            Format::Junit => "junit",
            Format::GithubAnnotations => "github-annotations",
        }
    }

    /// The exporter that writes this format.
    pub fn exporter(self) -> &'static dyn Exporter {
        match self {
            Format::Terminal => &terminal::Terminal,
            Format::Json => &json::Json,
            Format::Csv => &csv_export::Csv,
            Format::SeriesCsv => &csv_export::Series,
            Format::Markdown => &markdown::Markdown,
            Format::Html => &html::Html,
            Format::Junit => &junit::Junit,
            Format::GithubAnnotations => &annotations::Annotations,
        }
    }
}

/// Writes reports in one format.
pub trait Exporter {
    /// Writes `report` to `out`; [`ReportError::Unsupported`] for a report this format does
    /// not show.
    fn export(&self, report: &Report<'_>, out: &mut dyn io::Write) -> Result<(), ReportError>;
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{what} cannot be written as {format} (yet)")]
    Unsupported {
        format: &'static str,
        what: &'static str,
    },
    #[error(transparent)]
    Io(#[from] io::Error),
    #[error("cannot write the CSV: {0}")]
    Csv(#[from] csv::Error),
}

impl ReportError {
    fn unsupported(format: Format, report: &Report<'_>) -> ReportError {
        ReportError::Unsupported {
            format: format.as_str(),
            what: report.name(),
        }
    }

    /// Whether the reader went away (`rigor runs | head`): not an error.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, ReportError::Io(e) if e.kind() == io::ErrorKind::BrokenPipe)
    }
}

/// Writes `report` in `format` to `out`.
pub fn export(
    report: &Report<'_>,
    format: Format,
    out: &mut dyn io::Write,
) -> Result<(), ReportError> {
    format.exporter().export(report, out)
}

/// `report` in `format` as a string (for files).
pub fn to_string(report: &Report<'_>, format: Format) -> Result<String, ReportError> {
    let mut bytes = Vec::new();
    export(report, format, &mut bytes)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
