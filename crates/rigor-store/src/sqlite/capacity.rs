//! Capacity searches: each one's report kept whole as JSON beside its scenario, saved after
//! every step.

use rusqlite::params;

use super::SqliteStore;
use crate::StoreError;
use rigor_model::output::capacity::CapacityReport;

pub(super) fn create(
    store: &mut SqliteStore,
    report: &CapacityReport,
    now_ns: i64,
) -> Result<i64, StoreError> {
    let action = "start the capacity search";
    store.write(action, |tx, path| {
        let fail = |e| StoreError::sqlite(path, action, e);
        tx.execute(
            "INSERT INTO capacity_searches (scenario, started_at_ns, report, updated_at_ns) VALUES (?1, ?2, '{}', ?3)",
            params![report.scenario, report.started_at_ns, now_ns],
        )
        .map_err(fail)?;
        let id = tx.last_insert_rowid();
        let stored = CapacityReport {
            search_id: Some(id),
            ..report.clone()
        };
        let text = serde_json::to_string(&stored).unwrap_or_default();
        tx.execute(
            "UPDATE capacity_searches SET report = ?1 WHERE id = ?2",
            params![text, id],
        )
        .map_err(fail)?;
        Ok(id)
    })
}

pub(super) fn save(
    store: &mut SqliteStore,
    report: &CapacityReport,
    now_ns: i64,
) -> Result<(), StoreError> {
    let action = "save the capacity search";
    let id = report.search_id.unwrap_or(-1);
    store.write(action, |tx, path| {
        let text = serde_json::to_string(report).unwrap_or_default();
        let changed = tx
            .execute(
                "UPDATE capacity_searches SET report = ?1, updated_at_ns = ?2 WHERE id = ?3",
                params![text, now_ns, id],
            )
            .map_err(|e| StoreError::sqlite(path, action, e))?;
        if changed == 0 {
            return Err(StoreError::NoSearch {
                path: path.to_path_buf(),
                what: id.to_string(),
            });
        }
        Ok(())
    })
}

/// The searches of `scenario` (every one with `None`), oldest first.
pub(super) fn list(
    store: &SqliteStore,
    scenario: Option<&str>,
) -> Result<Vec<CapacityReport>, StoreError> {
    let fail = store.fail("read the capacity searches");
    let mut select = store
        .conn
        .prepare_cached(
            "SELECT id, report FROM capacity_searches WHERE ?1 IS NULL OR scenario = ?1 ORDER BY id",
        )
        .map_err(&fail)?;
    let rows = select
        .query_map([scenario], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
        })
        .map_err(&fail)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(&fail)?;
    rows.into_iter()
        .map(|(id, text)| {
            serde_json::from_str(&text).map_err(|e| StoreError::Unknown {
                path: store.path.clone(),
                id,
                what: "capacity search",
                text: format!("(unreadable: {e})"),
            })
        })
        .collect()
}
