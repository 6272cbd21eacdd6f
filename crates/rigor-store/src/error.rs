//! What can go wrong with a run store. Every message names the store and says what to do.

use std::path::{Path, PathBuf};

use crate::{RunId, RunStatus};

/// The backend's own error, kept as the cause without exposing the backend's types.
pub type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the directory {path} for the run store: {source}: check the path and its permissions, or use another --store")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("cannot open the run store {path}: {source}: check that it is a file you can read and write, or use another --store")]
    Open { path: PathBuf, source: Cause },

    #[error("{path} is not a rigor run store (not a SQLite database, or damaged): move it aside to start a new store, or use another --store")]
    NotADatabase { path: PathBuf },

    #[error("{path} is a SQLite database but not a rigor run store ({why}): use another --store")]
    ForeignDatabase { path: PathBuf, why: String },

    #[error("{path} was written by a newer rigor (schema {found}, this build knows {known}): upgrade rigor or use another --store")]
    NewerSchema {
        path: PathBuf,
        found: i64,
        known: i64,
    },

    #[error("cannot upgrade the run store {path} to schema {version}: {source}: nothing was changed; move the store aside or use another --store")]
    Migrate {
        path: PathBuf,
        version: i64,
        source: Cause,
    },

    #[error("the run store {path} is read-only: it can be listed, shown and compared, but recording needs write access to the file and its directory: make them writable, or record with another --store")]
    ReadOnly { path: PathBuf },

    #[error("the run store {path} cannot take more data (database or disk is full): free space on its disk, or record with another --store")]
    Full { path: PathBuf },

    #[error("{path} has schema {found} and this build reads schema {known}; upgrading it needs write access, and the store is read-only: make it writable once (any rigor command then upgrades it), or use another --store")]
    NeedsUpgrade {
        path: PathBuf,
        found: i64,
        known: i64,
    },

    #[error("run {id} is not in the run store {path}: `rigor runs` lists the stored runs")]
    NotFound { path: PathBuf, id: RunId },

    #[error("run {id} is {}: only a finished run can be a baseline; `rigor runs` lists the runs in {path}", status.as_str())]
    NotABaseline {
        path: PathBuf,
        id: RunId,
        status: RunStatus,
    },

    #[error(
        "run {id} in {path} has the {what} `{text}`, which this build does not know: upgrade rigor"
    )]
    Unknown {
        path: PathBuf,
        id: RunId,
        /// `status` or `kind`.
        what: &'static str,
        text: String,
    },

    #[error("a tuning session is already open here: `{name}` (session {id} in {path}); close it with `rigor tune close` (or `rigor tune close --abort --reason '…'`) before starting another")]
    SessionOpen {
        path: PathBuf,
        id: i64,
        name: String,
    },

    #[error("a tuning session named `{name}` already exists (session {id} in {path}): give the new one another name")]
    SessionName {
        path: PathBuf,
        id: i64,
        name: String,
    },

    #[error("no tuning {what} in {path}: `rigor tune list` lists them, `rigor tune start NAME` starts one")]
    NoSession { path: PathBuf, what: String },

    #[error("no capacity search {what} in {path}: `rigor capacity` makes one")]
    NoSearch { path: PathBuf, what: String },

    #[error("--store {location}: {why}")]
    Unsupported { location: String, why: &'static str },

    #[error("the run store {path} stayed locked by another process for {timeout_s} s: retry when it has finished, or use another --store")]
    Busy { path: PathBuf, timeout_s: u64 },

    #[error("run store {path}: cannot {action}: {source}")]
    Sqlite {
        path: PathBuf,
        action: &'static str,
        source: Cause,
    },
}

impl StoreError {
    /// Classifies a SQLite error met while doing `action` on the store at `path`: a locked or
    /// damaged store gets its own message, anything else is reported with what was being done.
    pub(crate) fn sqlite(path: &Path, action: &'static str, source: rusqlite::Error) -> StoreError {
        use rusqlite::ErrorCode;
        match source.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Busy {
                path: path.to_path_buf(),
                timeout_s: crate::schema::BUSY_TIMEOUT.as_secs(),
            },
            Some(ErrorCode::ReadOnly) => StoreError::ReadOnly {
                path: path.to_path_buf(),
            },
            Some(ErrorCode::DiskFull) => StoreError::Full {
                path: path.to_path_buf(),
            },
            Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => {
                StoreError::NotADatabase {
                    path: path.to_path_buf(),
                }
            }
            _ => StoreError::Sqlite {
                path: path.to_path_buf(),
                action,
                source: Box::new(source),
            },
        }
    }

    /// Whether the store itself is damaged or not one this build can use, as opposed to busy,
    /// full or refusing one write: nothing more should be written to it.
    pub fn is_damage(&self) -> bool {
        matches!(
            self,
            StoreError::NotADatabase { .. }
                | StoreError::ForeignDatabase { .. }
                | StoreError::NewerSchema { .. }
        )
    }
}
