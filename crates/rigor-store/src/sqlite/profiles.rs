//! Profiles kept with the run they explain.

use rusqlite::params;

use super::{ensure_run, SqliteStore};
use crate::{ProfileRecord, StoreError};

pub(super) fn save(store: &mut SqliteStore, run: i64, p: &ProfileRecord) -> Result<(), StoreError> {
    let action = "store the run's profile";
    store.write(action, |tx, path| {
        let fail = |e| StoreError::sqlite(path, action, e);
        ensure_run(tx, path, run)?;
        tx.execute(
            "INSERT INTO profiles (run_id, name, capture, folded) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (run_id, name) DO UPDATE SET capture = excluded.capture, folded = excluded.folded",
            params![run, p.name, p.capture, p.folded],
        )
        .map_err(fail)?;
        Ok(())
    })
}

pub(super) fn read(store: &SqliteStore, run: i64) -> Result<Vec<ProfileRecord>, StoreError> {
    let fail = store.fail("read the run's profiles");
    let mut select = store
        .conn
        .prepare_cached(
            "SELECT name, capture, folded FROM profiles WHERE run_id = ?1 ORDER BY name",
        )
        .map_err(&fail)?;
    let rows = select
        .query_map(params![run], |row| {
            Ok(ProfileRecord {
                name: row.get(0)?,
                capture: row.get(1)?,
                folded: row.get(2)?,
            })
        })
        .map_err(&fail)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(&fail)?;
    Ok(rows)
}
