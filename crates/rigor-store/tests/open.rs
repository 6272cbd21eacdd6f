//! Opening a store: creating it, and refusing files it must not touch.

mod common;

use std::path::Path;

use common::new_run;
use rigor_store::RunKind;
use rigor_store::{RunFilter, SqliteStore, Store, StoreError, SCHEMA_VERSION};

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).expect("read the database file")
}

#[test]
fn open_creates_missing_directories_and_the_database() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("project").join(".rigor").join("rigor.db");
    let store = SqliteStore::open(&path).expect("open");
    assert_eq!(store.path(), path);
    assert!(path.is_file());
    assert!(store.runs(&RunFilter::default()).expect("runs").is_empty());
}

#[test]
fn runs_survive_closing_and_reopening() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("rigor.db");
    let id = SqliteStore::open(&path)
        .expect("open")
        .begin_run(&new_run("s", RunKind::Load, 1))
        .expect("begin");
    let store = SqliteStore::open(&path).expect("reopen");
    assert_eq!(store.run(id).expect("run").scenario, "s");
}

#[test]
fn the_store_is_versioned_and_uses_wal() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("rigor.db");
    drop(SqliteStore::open(&path).expect("open"));
    let conn = rusqlite::Connection::open(&path).expect("raw connection");
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .expect("user_version");
    let journal: String = conn
        .pragma_query_value(None, "journal_mode", |row| row.get(0))
        .expect("journal_mode");
    assert_eq!((version, journal.as_str()), (SCHEMA_VERSION, "wal"));
}

#[test]
fn a_store_from_a_newer_rigor_is_refused_and_left_unchanged() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("rigor.db");
    SqliteStore::open(&path)
        .expect("open")
        .begin_run(&new_run("s", RunKind::Load, 1))
        .expect("begin");
    {
        let conn = rusqlite::Connection::open(&path).expect("raw connection");
        conn.pragma_update(None, "user_version", 99)
            .expect("pretend a newer schema");
    }
    let before = read(&path);

    let err = SqliteStore::open(&path).expect_err("newer schema");
    assert!(
        matches!(err, StoreError::NewerSchema { found: 99, known, .. } if known == SCHEMA_VERSION),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "{} was written by a newer rigor (schema 99, this build knows {SCHEMA_VERSION}): \
             upgrade rigor or use another --store",
            path.display()
        )
    );
    assert!(read(&path) == before, "the newer store was modified");
}

#[test]
fn a_file_that_is_not_a_database_is_refused_and_left_unchanged() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("rigor.db");
    // Deterministic noise, long enough to span several database pages.
    let noise: Vec<u8> = (0..10_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&path, &noise).expect("write noise");

    let err = SqliteStore::open(&path).expect_err("not a database");
    assert!(matches!(err, StoreError::NotADatabase { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("move it aside"), "{message}");
    assert!(read(&path) == noise, "the file was modified");
}

#[test]
fn a_damaged_database_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("rigor.db");
    SqliteStore::open(&path)
        .expect("open")
        .begin_run(&new_run("s", RunKind::Load, 1))
        .expect("begin");
    // Keep the SQLite header but wreck every page after the first one.
    let mut bytes = read(&path);
    assert!(
        bytes.len() > 4096,
        "expected several pages, got {}",
        bytes.len()
    );
    for byte in &mut bytes[4096..] {
        *byte = 0xa5;
    }
    std::fs::write(&path, &bytes).expect("write damaged copy");

    let err = SqliteStore::open(&path)
        .and_then(|store| store.runs(&RunFilter::default()).map(|_| ()))
        .expect_err("damaged database");
    assert!(matches!(err, StoreError::NotADatabase { .. }), "{err:?}");
}

#[test]
fn another_programs_database_is_refused_and_left_unchanged() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("app.db");
    {
        let conn = rusqlite::Connection::open(&path).expect("raw connection");
        conn.execute_batch("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);")
            .expect("create a foreign table");
    }
    let before = read(&path);

    let err = SqliteStore::open(&path).expect_err("foreign database");
    assert!(matches!(err, StoreError::ForeignDatabase { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "{} is a SQLite database but not a rigor run store (it already holds 1 tables or \
             indexes): use another --store",
            path.display()
        )
    );
    assert!(read(&path) == before, "the foreign database was modified");
}

#[test]
fn an_empty_file_becomes_a_new_store() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("rigor.db");
    std::fs::write(&path, b"").expect("touch");
    let mut store = SqliteStore::open(&path).expect("open an empty file");
    store
        .begin_run(&new_run("s", RunKind::Load, 1))
        .expect("begin");
}

#[test]
fn a_directory_in_place_of_the_file_is_an_error_naming_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("rigor.db");
    std::fs::create_dir(&path).expect("mkdir");
    let err = SqliteStore::open(&path).expect_err("a directory");
    let message = err.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("--store"), "{message}");
}

#[test]
fn a_new_store_is_private_to_its_user() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(".rigor").join("rigor.db");
    rigor_store::SqliteStore::open(&path).expect("open");
    let mode =
        |p: &std::path::Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
    assert_eq!(mode(&dir.path().join(".rigor")), 0o700);
    assert_eq!(mode(&path), 0o600);
}
