//! Opening a SQLite store: for recording (created if missing, checked for damage, refused if
//! read-only), for reading (read-only where it cannot be written, never created), in memory.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use super::SqliteStore;
use crate::{schema, StoreError};

impl SqliteStore {
    /// Opens the store at `path`, creating the file and its directory if missing and
    /// upgrading an older schema. A file that is not a rigor store, is damaged, or was written
    /// by a newer rigor is refused and left untouched.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            create_private_dir(parent).map_err(|source| StoreError::CreateDir {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        let created = !path.exists();
        let mut conn = Connection::open(path).map_err(|source| StoreError::Open {
            path: path.to_path_buf(),
            source: Box::new(source),
        })?;
        if created {
            // Runs hold plans, URLs and environments: the file is the user's alone.
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
        }
        schema::prepare(&mut conn, path)?;
        // A store damaged in the middle opens as well as a sound one, and a new run's rows may
        // never touch the damaged pages: a command that records checks the whole file first,
        // so it never adds runs to a store that `rigor runs` calls damaged.
        if !created {
            schema::check_intact(&conn, path)?;
        }
        // SQLite opens a file it may not write read-only without a word; a store that records
        // runs says so before any run starts.
        if conn
            .is_readonly(rusqlite::DatabaseName::Main)
            .unwrap_or(false)
        {
            return Err(StoreError::ReadOnly {
                path: path.to_path_buf(),
            });
        }
        Ok(SqliteStore {
            conn,
            path: path.to_path_buf(),
            read_only: false,
        })
    }

    /// Opens an existing store for a command that only reads it. Where the file and its
    /// directory can be written, this is [`SqliteStore::open`] without creating anything (an
    /// older schema is upgraded, so crashed runs can be closed); where they cannot, the store
    /// is opened read-only and left exactly as found. A read-only store must already have this
    /// build's schema: upgrading needs a write.
    pub fn open_for_reading(path: &Path) -> Result<SqliteStore, StoreError> {
        let open = |flags| {
            Connection::open_with_flags(path, flags).map_err(|source| StoreError::Open {
                path: path.to_path_buf(),
                source: Box::new(source),
            })
        };
        let mut conn = open(OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        if !conn
            .is_readonly(rusqlite::DatabaseName::Main)
            .unwrap_or(true)
        {
            match schema::prepare(&mut conn, path) {
                Ok(()) => {
                    return Ok(SqliteStore {
                        conn,
                        path: path.to_path_buf(),
                        read_only: false,
                    })
                }
                // The file is writable but its directory is not (WAL needs files beside it).
                Err(StoreError::ReadOnly { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        drop(conn);
        let conn = open_read_only(path)?;
        Ok(SqliteStore {
            conn,
            path: path.to_path_buf(),
            read_only: true,
        })
    }

    /// Caps the file at about `max_bytes` for this connection (SQLite's `max_page_count`, never
    /// below what the file holds already): a write past it fails as on a full disk, with
    /// [`StoreError::Full`]. For stores kept on a quota, and for testing what a full store does.
    pub fn limit_size(&mut self, max_bytes: u64) -> Result<(), StoreError> {
        let fail = |e| StoreError::sqlite(&self.path, "limit the store's size", e);
        let page_size: u64 = self
            .conn
            .pragma_query_value(None, "page_size", |row| row.get(0))
            .map_err(fail)?;
        let pages = (max_bytes / page_size.max(1)).max(1);
        self.conn
            .pragma_update(None, "max_page_count", pages)
            .map_err(fail)
    }

    /// A store that lives in memory and vanishes when dropped: the same schema and behaviour
    /// as a file, for tests of code that records runs.
    pub fn in_memory() -> Result<SqliteStore, StoreError> {
        let path = PathBuf::from(":memory:");
        let mut conn = Connection::open_in_memory().map_err(|source| StoreError::Open {
            path: path.clone(),
            source: Box::new(source),
        })?;
        schema::prepare(&mut conn, &path)?;
        Ok(SqliteStore {
            conn,
            path,
            read_only: false,
        })
    }
}

/// Opens `path` read-only. A WAL store needs its `-shm` file to be read; in a directory that
/// cannot be written and with no `-shm` left beside the file, nobody can be writing it, so it
/// is then opened as immutable (SQLite reads the file as it is, with no locks).
fn open_read_only(path: &Path) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let mut last = None;
    for query in ["mode=ro", "mode=ro&immutable=1"] {
        let uri = format!("file:{}?{query}", uri_path(path));
        let mut conn =
            Connection::open_with_flags(&uri, flags).map_err(|source| StoreError::Open {
                path: path.to_path_buf(),
                source: Box::new(source),
            })?;
        match schema::check_read_only(&mut conn, path) {
            Ok(()) => return Ok(conn),
            Err(e @ (StoreError::ReadOnly { .. } | StoreError::Sqlite { .. })) => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or(StoreError::ReadOnly {
        path: path.to_path_buf(),
    }))
}

/// `path` as the path part of a `file:` URI: the characters a URI gives a meaning to are
/// percent-encoded.
fn uri_path(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let mut out = String::new();
    for &byte in path.as_os_str().as_bytes() {
        match byte {
            b'?' | b'#' | b'%' => out.push_str(&format!("%{byte:02X}")),
            b if b.is_ascii() && !b.is_ascii_control() => out.push(char::from(b)),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Creates the store's directory (and missing parents) readable by the user alone; a
/// directory that exists already keeps its permissions.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}
