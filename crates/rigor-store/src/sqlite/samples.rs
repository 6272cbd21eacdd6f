//! Per-second samples of the system under test, kept beside the run's windows.

use rusqlite::params;

use super::{ensure_run, SqliteStore};
use crate::{Sample, StoreError};

pub(super) fn append(
    store: &mut SqliteStore,
    run: i64,
    samples: &[Sample],
) -> Result<(), StoreError> {
    let action = "store the target's samples";
    store.write(action, |tx, path| {
        let fail = |e| StoreError::sqlite(path, action, e);
        ensure_run(tx, path, run)?;
        let mut insert = tx
            .prepare_cached(
                "INSERT INTO samples (run_id, second, name, value) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (run_id, name, second) DO UPDATE SET value = excluded.value",
            )
            .map_err(fail)?;
        for s in samples {
            insert
                .execute(params![run, s.second, s.name, s.value])
                .map_err(fail)?;
        }
        Ok(())
    })
}

pub(super) fn read(store: &SqliteStore, run: i64) -> Result<Vec<Sample>, StoreError> {
    let fail = store.fail("read the target's samples");
    let mut select = store
        .conn
        .prepare_cached(
            "SELECT second, name, value FROM samples WHERE run_id = ?1 ORDER BY name, second",
        )
        .map_err(&fail)?;
    let rows = select
        .query_map(params![run], |row| {
            Ok(Sample {
                second: row.get(0)?,
                name: row.get(1)?,
                value: row.get(2)?,
            })
        })
        .map_err(&fail)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(&fail)?;
    Ok(rows)
}
