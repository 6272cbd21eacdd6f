//! Another tool's results as runs of rigor's model, so a team's history is judged the same way
//! from the day it starts using rigor: an Otava-style CSV history (a row per run: a time,
//! attributes such as the commit, one column per metric), k6's JSON summary, wrk's text
//! output and criterion's estimates and samples.
//!
//! Each importer reads a file into [`ImportedRow`]s: the run's time, its commit when the source
//! names one, and an [`ImportedRun`] with the source's figures under the source's own names,
//! each in rigor's unit (durations in nanoseconds, shares as fractions) and with the way that
//! is better. Nothing is guessed where the file is silent: a figure the file does not hold is
//! absent, a value that does not read is an error naming its row and column, and what the
//! import decided on its own (a direction taken from a column's name, a time without a zone
//! read as UTC) is returned as a note for the user to see.
//!
//! What this crate must not do: open the store, or print. The command stores the rows, all or
//! none.

pub mod criterion;
pub mod csv;
pub mod k6;
pub mod prometheus;
mod timestamp;
pub mod units;
pub mod wrk;

use rigor_model::output::imported::ImportedRun;

pub use timestamp::{parse_time, TimeUnit};

/// One imported run: when it ran, its commit, and its figures.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedRow {
    pub started_at_ns: i64,
    pub git_commit: Option<String>,
    pub run: ImportedRun,
}

/// Where a single run came from, for a source that does not say (k6, wrk, criterion): when
/// it ran, its commit and branch as the user gives them, and the file.
#[derive(Debug, Clone, Default)]
pub struct RunOrigin {
    pub started_at_ns: i64,
    pub git_commit: Option<String>,
    pub git_branch: Option<String>,
    pub file: String,
}

impl RunOrigin {
    /// The one run a single-run source (k6, wrk, criterion) makes.
    pub fn one_run(
        &self,
        source: &str,
        attributes: std::collections::BTreeMap<String, String>,
        values: Vec<rigor_model::output::imported::ImportedValue>,
        notes: Vec<String>,
    ) -> Import {
        Import {
            rows: vec![ImportedRow {
                started_at_ns: self.started_at_ns,
                git_commit: self.git_commit.clone(),
                run: ImportedRun {
                    schema_version: rigor_model::output::imported::IMPORTED_SCHEMA_VERSION,
                    source: source.into(),
                    file: self.file.clone(),
                    row: None,
                    git_branch: self.git_branch.clone(),
                    attributes,
                    values,
                    notes,
                },
            }],
            notes: Vec::new(),
        }
    }
}

/// What an import read: its runs, oldest first, and what the import decided that the user
/// should know.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Import {
    pub rows: Vec<ImportedRow>,
    pub notes: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The file is not what the importer reads, with where and why.
    #[error("{0}")]
    Format(String),
}

impl ImportError {
    fn format(message: impl Into<String>) -> ImportError {
        ImportError::Format(message.into())
    }
}
