//! Named baselines: a run set as the reference for its kind, scenario and environment.

use std::path::Path;

use rusqlite::types::ToSql;
use rusqlite::{params, OptionalExtension, Row};

use super::kind_column;
use super::SqliteStore;
use crate::{Baseline, RunId, RunKind, RunStatus, StoreError};

/// The baseline columns, in the order [`read_baseline`] expects them.
const BASELINE_COLUMNS: &str = "name, kind, scenario, environment_key, run_id, set_at_ns, reason";

/// One baseline by name, kind, scenario and environment key; `?4 IS NULL` matches every
/// environment, and the most recently set one comes first.
const LOOKUP: &str = "SELECT name, kind, scenario, environment_key, run_id, set_at_ns, reason \
                      FROM baselines WHERE name = ?1 AND kind = ?2 AND scenario = ?3 \
                      AND (?4 IS NULL OR environment_key = ?4) \
                      ORDER BY set_at_ns DESC, id DESC LIMIT 1";

fn read_baseline(row: &Row<'_>) -> rusqlite::Result<Baseline> {
    Ok(Baseline {
        name: row.get(0)?,
        kind: kind_column(row, 1)?,
        scenario: row.get(2)?,
        environment_key: row.get(3)?,
        run_id: row.get(4)?,
        set_at_ns: row.get(5)?,
        reason: row.get(6)?,
    })
}

pub(super) fn set(
    store: &mut SqliteStore,
    name: &str,
    run: RunId,
    (environment_key, set_at_ns): (&str, i64),
    reason: Option<&str>,
) -> Result<Baseline, StoreError> {
    let action = "set the baseline";
    store.write(action, |tx, path| {
        let fail = |e| StoreError::sqlite(path, action, e);
        let (kind, scenario, status_text): (RunKind, String, String) = tx
            .query_row(
                "SELECT kind, scenario, status FROM runs WHERE id = ?1",
                [run],
                |row| Ok((kind_column(row, 0)?, row.get(1)?, row.get(2)?)),
            )
            .optional()
            .map_err(fail)?
            .ok_or_else(|| StoreError::NotFound {
                path: path.to_path_buf(),
                id: run,
            })?;
        let status = usable_status(path, run, status_text)?;
        if matches!(
            status,
            RunStatus::Running | RunStatus::Aborted | RunStatus::Crashed
        ) {
            return Err(StoreError::NotABaseline {
                path: path.to_path_buf(),
                id: run,
                status,
            });
        }
        // Delete, then insert: the new row gets the largest id, which orders baselines set at
        // the same instant by the order they were set.
        tx.execute(
            "DELETE FROM baselines WHERE name = ?1 AND kind = ?2 AND scenario = ?3 \
             AND environment_key = ?4",
            params![name, kind.as_str(), scenario, environment_key],
        )
        .map_err(fail)?;
        tx.execute(
            "INSERT INTO baselines (name, kind, scenario, environment_key, run_id, set_at_ns, reason) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                name,
                kind.as_str(),
                scenario,
                environment_key,
                run,
                set_at_ns,
                reason
            ],
        )
        .map_err(fail)?;
        Ok(Baseline {
            name: name.to_string(),
            kind,
            scenario,
            environment_key: environment_key.to_string(),
            run_id: run,
            set_at_ns,
            reason: reason.map(str::to_string),
        })
    })
}

fn usable_status(path: &Path, id: RunId, text: String) -> Result<RunStatus, StoreError> {
    RunStatus::parse(&text).ok_or_else(|| StoreError::Unknown {
        path: path.to_path_buf(),
        id,
        what: "status",
        text,
    })
}

pub(super) fn get(
    store: &SqliteStore,
    name: &str,
    kind: RunKind,
    scenario: &str,
    environment_key: Option<&str>,
) -> Result<Option<Baseline>, StoreError> {
    let fail = store.fail("read the baseline");
    let mut select = store.conn.prepare_cached(LOOKUP).map_err(&fail)?;
    select
        .query_row(
            params![name, kind.as_str(), scenario, environment_key],
            read_baseline,
        )
        .optional()
        .map_err(&fail)
}

pub(super) fn list(
    store: &SqliteStore,
    kind: Option<RunKind>,
    scenario: Option<&str>,
) -> Result<Vec<Baseline>, StoreError> {
    let kind = kind.map(RunKind::as_str);
    let fail = store.fail("list the baselines");
    let mut sql = format!("SELECT {BASELINE_COLUMNS} FROM baselines");
    let mut conditions = Vec::new();
    let mut values: Vec<&dyn ToSql> = Vec::new();
    if let Some(kind) = &kind {
        conditions.push("kind = ?");
        values.push(kind);
    }
    if let Some(scenario) = &scenario {
        conditions.push("scenario = ?");
        values.push(scenario);
    }
    if !conditions.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&conditions.join(" AND "));
    }
    sql.push_str(" ORDER BY scenario, name, set_at_ns DESC, id DESC");
    let mut select = store.conn.prepare_cached(&sql).map_err(&fail)?;
    let baselines = select
        .query_map(values.as_slice(), read_baseline)
        .map_err(&fail)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(&fail)?;
    Ok(baselines)
}

pub(super) fn names(store: &SqliteStore) -> Result<Vec<String>, StoreError> {
    let fail = store.fail("list the baseline names");
    let mut select = store
        .conn
        .prepare_cached("SELECT DISTINCT name FROM baselines ORDER BY name")
        .map_err(&fail)?;
    let names = select
        .query_map([], |row| row.get(0))
        .map_err(&fail)?
        .collect::<rusqlite::Result<Vec<String>>>()
        .map_err(&fail)?;
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sqlite::query_plan;

    #[test]
    fn lookups_search_an_index() {
        let store = SqliteStore::in_memory().expect("in-memory store");
        let by_scenario = format!(
            "SELECT {BASELINE_COLUMNS} FROM baselines WHERE scenario = ?1 \
             ORDER BY scenario, name, set_at_ns DESC, id DESC"
        );
        for sql in [LOOKUP, &by_scenario] {
            let plan = query_plan(&store, sql);
            assert!(
                plan.iter()
                    .any(|step| step.starts_with("SEARCH baselines USING INDEX")),
                "{sql}: {plan:?}"
            );
            assert!(
                !plan.iter().any(|step| step.starts_with("SCAN")),
                "{sql}: {plan:?}"
            );
        }
    }
}
