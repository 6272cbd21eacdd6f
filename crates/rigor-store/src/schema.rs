//! Connection settings and schema migrations for the SQLite store.
//!
//! The schema version is kept in `PRAGMA user_version`; `PRAGMA application_id` marks the file
//! as a rigor store. Opening checks both before writing anything, so a store written by a newer
//! rigor, a damaged file or another program's database is refused and left exactly as found.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior};

use crate::StoreError;

/// The migration scripts, in order: script `i` takes the schema from version `i` to `i + 1`.
/// Scripts are only ever appended; a released script is never edited.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/001_runs.sql"),
    include_str!("migrations/002_baselines_gates.sql"),
    include_str!("migrations/003_samples.sql"),
    include_str!("migrations/004_bench_runs_owner.sql"),
    include_str!("migrations/005_run_headline.sql"),
    include_str!("migrations/006_profiles.sql"),
    include_str!("migrations/007_slowest.sql"),
    include_str!("migrations/008_journeys.sql"),
    include_str!("migrations/009_tune_sessions.sql"),
    include_str!("migrations/010_capacity_searches.sql"),
    include_str!("migrations/011_baseline_reason.sql"),
];

/// The schema version this build writes, and the newest it can read.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// "rigr": tells a rigor store from any other SQLite database.
const APPLICATION_ID: i32 = 0x7269_6772;

/// How long a write waits for another process's write to finish before giving up. Writes are
/// small (a second's windows, a run row), so waiting this long means something is stuck.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// What the file says about itself, read in one snapshot before anything is written.
struct Header {
    version: i64,
    application_id: i32,
    objects: i64,
}

/// Sets up a freshly opened connection and brings its schema up to [`SCHEMA_VERSION`].
pub(crate) fn prepare(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| StoreError::sqlite(path, "set the busy timeout", e))?;

    let header = read_header(conn, path)?;
    check_header(&header, path)?;

    // WAL lets readers carry on while another process writes, and a writer waits for the
    // other (busy timeout) rather than failing. Some filesystems refuse WAL; the rollback
    // journal that remains is slower under contention but still correct, so that is not an
    // error.
    switch_to_wal(conn, path)?;
    // In WAL mode NORMAL survives a crash of rigor; a power cut may lose the last
    // transactions but never corrupts the store.
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(|e| StoreError::sqlite(path, "set synchronous mode", e))?;
    conn.pragma_update(None, "foreign_keys", true)
        .map_err(|e| StoreError::sqlite(path, "enable foreign keys", e))?;

    if header.version < SCHEMA_VERSION {
        migrate(conn, path)?;
    }
    Ok(())
}

/// Checks a connection opened read-only: the file must be a rigor store at this build's
/// schema, since an older one cannot be upgraded without writing.
pub(crate) fn check_read_only(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| StoreError::sqlite(path, "set the busy timeout", e))?;
    let header = read_header(conn, path)?;
    check_header(&header, path)?;
    if header.version < SCHEMA_VERSION {
        return Err(StoreError::NeedsUpgrade {
            path: path.to_path_buf(),
            found: header.version,
            known: SCHEMA_VERSION,
        });
    }
    Ok(())
}

/// SQLite's quick check of every page (structure, not index contents): damage anywhere in
/// the file is [`StoreError::NotADatabase`], the same error any other command meets when it
/// reads a damaged page.
pub(crate) fn check_intact(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let verdict: String = conn
        .query_row("PRAGMA quick_check(1)", [], |row| row.get(0))
        .map_err(|e| StoreError::sqlite(path, "check the store for damage", e))?;
    if verdict == "ok" {
        Ok(())
    } else {
        Err(StoreError::NotADatabase {
            path: path.to_path_buf(),
        })
    }
}

/// Switches the store to WAL. Two processes creating the same store at once race here: the
/// one that read the new file before the other made it WAL still sees a rollback journal,
/// and its own switch needs an exclusive lock that it cannot get while the other's WAL
/// connection is open. So the switch is tried with a short wait, and a file that some other
/// process has meanwhile made WAL counts as switched.
fn switch_to_wal(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let action = "switch to WAL journaling";
    let started = std::time::Instant::now();
    conn.busy_timeout(Duration::from_millis(100))
        .map_err(|e| StoreError::sqlite(path, action, e))?;
    let outcome = loop {
        match conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0))
        {
            Ok(_) => break Ok(()),
            Err(error) if is_busy(&error) => {
                // A read makes the connection look at the file again; then ask its mode.
                let _ = conn.query_row("SELECT count(*) FROM sqlite_schema", [], |row| {
                    row.get::<_, i64>(0)
                });
                let mode =
                    conn.pragma_query_value(None, "journal_mode", |row| row.get::<_, String>(0));
                if mode.is_ok_and(|m| m.eq_ignore_ascii_case("wal")) {
                    break Ok(());
                }
                if started.elapsed() >= BUSY_TIMEOUT {
                    break Err(StoreError::sqlite(path, action, error));
                }
            }
            Err(error) => break Err(StoreError::sqlite(path, action, error)),
        }
    };
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| StoreError::sqlite(path, "set the busy timeout", e))?;
    outcome
}

fn is_busy(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

fn read_header(conn: &mut Connection, path: &Path) -> Result<Header, StoreError> {
    let action = "read the schema version";
    // A deferred transaction only reads, so the three values come from one snapshot.
    let tx = conn
        .transaction()
        .map_err(|e| StoreError::sqlite(path, action, e))?;
    let header = header_in(&tx).map_err(|e| StoreError::sqlite(path, action, e))?;
    tx.commit()
        .map_err(|e| StoreError::sqlite(path, action, e))?;
    Ok(header)
}

fn header_in(conn: &Connection) -> rusqlite::Result<Header> {
    Ok(Header {
        version: conn.pragma_query_value(None, "user_version", |row| row.get(0))?,
        application_id: conn.pragma_query_value(None, "application_id", |row| row.get(0))?,
        objects: conn.query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get(0))?,
    })
}

fn check_header(header: &Header, path: &Path) -> Result<(), StoreError> {
    let foreign = |why: String| StoreError::ForeignDatabase {
        path: path.to_path_buf(),
        why,
    };
    if header.application_id != 0 && header.application_id != APPLICATION_ID {
        return Err(foreign(format!(
            "its application id is {:#010x}",
            header.application_id
        )));
    }
    if header.version > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            path: path.to_path_buf(),
            found: header.version,
            known: SCHEMA_VERSION,
        });
    }
    if header.version < 0 {
        return Err(foreign(format!("its schema version is {}", header.version)));
    }
    if header.version == 0 && header.objects > 0 {
        return Err(foreign(format!(
            "it already holds {} tables or indexes",
            header.objects
        )));
    }
    Ok(())
}

/// Applies the pending migrations in one write transaction. Another process may be opening
/// the same store at the same moment, so the version is read again under the write lock and
/// only what is still missing is applied.
fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let action = "upgrade the schema";
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| StoreError::sqlite(path, action, e))?;
    let header = header_in(&tx).map_err(|e| StoreError::sqlite(path, action, e))?;
    check_header(&header, path)?;
    let done = usize::try_from(header.version).unwrap_or(0);
    for (index, script) in MIGRATIONS.iter().enumerate().skip(done) {
        let version = index as i64 + 1;
        tx.execute_batch(script)
            .map_err(|source| StoreError::Migrate {
                path: path.to_path_buf(),
                version,
                source: Box::new(source),
            })?;
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)
        .map_err(|e| StoreError::sqlite(path, action, e))?;
    tx.pragma_update(None, "application_id", APPLICATION_ID)
        .map_err(|e| StoreError::sqlite(path, action, e))?;
    tx.commit().map_err(|e| StoreError::sqlite(path, action, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_migration_applies_in_order_on_an_empty_database() {
        let mut conn = Connection::open_in_memory().expect("in-memory database");
        prepare(&mut conn, Path::new(":memory:")).expect("migrations apply");
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .expect("user_version");
        assert_eq!(version, SCHEMA_VERSION);
    }

    #[test]
    fn preparing_twice_changes_nothing() {
        let mut conn = Connection::open_in_memory().expect("in-memory database");
        prepare(&mut conn, Path::new(":memory:")).expect("first prepare");
        prepare(&mut conn, Path::new(":memory:")).expect("second prepare");
        let tables: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE type = 'table' \
                 AND name IN ('runs', 'windows', 'histograms', 'baselines', 'gate_records', 'samples')",
                [],
                |row| row.get(0),
            )
            .expect("count tables");
        assert_eq!(tables, 6);
    }

    #[test]
    fn foreign_keys_are_enforced() {
        let mut conn = Connection::open_in_memory().expect("in-memory database");
        prepare(&mut conn, Path::new(":memory:")).expect("prepare");
        let orphan = conn.execute(
            "INSERT INTO windows (run_id, second, phase, requests, errors, sent, corrected, raw) \
             VALUES (42, 0, 'steady', 0, 0, 0, x'', x'')",
            [],
        );
        assert!(orphan.is_err(), "a window without its run must be refused");
    }
}
