//! The gate history: each evaluation of a budget or rule on a run, kept so that rules such as
//! "2 consecutive runs" can look back.

use rusqlite::{params, Row};

use super::{ensure_run, SqliteStore};
use crate::{GateRecord, StoreError};

/// One check's history for one scenario, newest run first.
const HISTORY: &str = "SELECT g.run_id, g.check_id, g.scenario, g.outcome, g.value, g.at_ns \
                       FROM gate_records g JOIN runs r ON r.id = g.run_id \
                       WHERE g.check_id = ?1 AND g.scenario = ?2 \
                       ORDER BY r.started_at_ns DESC, r.id DESC LIMIT ?3";

fn read_record(row: &Row<'_>) -> rusqlite::Result<GateRecord> {
    Ok(GateRecord {
        run_id: row.get(0)?,
        check: row.get(1)?,
        scenario: row.get(2)?,
        outcome: row.get(3)?,
        value: row.get(4)?,
        at_ns: row.get(5)?,
    })
}

pub(super) fn record(store: &mut SqliteStore, records: &[GateRecord]) -> Result<(), StoreError> {
    let action = "record the gate results";
    store.write(action, |tx, path| {
        let fail = |e| StoreError::sqlite(path, action, e);
        let mut insert = tx
            .prepare_cached(
                "INSERT INTO gate_records (run_id, check_id, scenario, outcome, value, at_ns) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
                 ON CONFLICT (run_id, check_id) DO UPDATE SET scenario = excluded.scenario, \
                 outcome = excluded.outcome, value = excluded.value, at_ns = excluded.at_ns",
            )
            .map_err(fail)?;
        let mut checked = None;
        for r in records {
            // Name a missing run rather than report a foreign-key failure.
            if checked != Some(r.run_id) {
                ensure_run(tx, path, r.run_id)?;
                checked = Some(r.run_id);
            }
            insert
                .execute(params![
                    r.run_id, r.check, r.scenario, r.outcome, r.value, r.at_ns
                ])
                .map_err(fail)?;
        }
        Ok(())
    })
}

pub(super) fn history(
    store: &SqliteStore,
    check: &str,
    scenario: &str,
    limit: usize,
) -> Result<Vec<GateRecord>, StoreError> {
    let fail = store.fail("read the gate history");
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut select = store.conn.prepare_cached(HISTORY).map_err(&fail)?;
    let records = select
        .query_map(params![check, scenario, limit], read_record)
        .map_err(&fail)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(&fail)?;
    Ok(records)
}

/// Moves one check's history from an old key to a new one, for one scenario. A run already
/// recorded under the new key keeps that record (it is the newer evaluation).
pub(super) fn rename(
    store: &mut SqliteStore,
    scenario: &str,
    from: &str,
    to: &str,
) -> Result<u64, StoreError> {
    let action = "move the gate history to the check's new key";
    store.write(action, |tx, path| {
        let fail = |e| StoreError::sqlite(path, action, e);
        let moved = tx
            .execute(
                "UPDATE OR IGNORE gate_records SET check_id = ?3                  WHERE check_id = ?2 AND scenario = ?1",
                params![scenario, from, to],
            )
            .map_err(fail)?;
        tx.execute(
            "DELETE FROM gate_records WHERE check_id = ?2 AND scenario = ?1",
            params![scenario, from],
        )
        .map_err(fail)?;
        Ok(moved as u64)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sqlite::query_plan;

    #[test]
    fn the_history_searches_the_check_index_and_the_runs_by_id() {
        let store = SqliteStore::in_memory().expect("in-memory store");
        let plan = query_plan(&store, HISTORY);
        assert!(
            plan.iter()
                .any(|step| step.starts_with("SEARCH g USING")
                    && step.contains("gate_records_by_check")),
            "{plan:?}"
        );
        assert!(
            plan.iter()
                .any(|step| step.starts_with("SEARCH r USING INTEGER PRIMARY KEY")),
            "{plan:?}"
        );
        assert!(
            !plan.iter().any(|step| step.starts_with("SCAN")),
            "{plan:?}"
        );
    }
}
