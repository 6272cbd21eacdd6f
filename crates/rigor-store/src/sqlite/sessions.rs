//! Tuning sessions: each one's state kept whole as JSON beside its name, directory and state.

use rusqlite::{params, OptionalExtension};

use super::SqliteStore;
use crate::StoreError;
use rigor_model::tune::Session;

fn parse(path: &std::path::Path, id: i64, text: &str) -> Result<Session, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Unknown {
        path: path.to_path_buf(),
        id,
        what: "tuning session",
        text: format!("(unreadable: {e})"),
    })
}

pub(super) fn create(
    store: &mut SqliteStore,
    session: &Session,
    now_ns: i64,
) -> Result<i64, StoreError> {
    let action = "start the tuning session";
    store.write(action, |tx, path| {
        let fail = |e| StoreError::sqlite(path, action, e);
        let open: Option<(i64, String)> = tx
            .query_row(
                "SELECT id, name FROM tune_sessions WHERE plan_dir = ?1 AND state IN ('open', 'blocked')",
                [&session.plan_dir],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()
            .map_err(fail)?;
        if let Some((id, name)) = open {
            return Err(StoreError::SessionOpen {
                path: path.to_path_buf(),
                id,
                name,
            });
        }
        let taken: Option<i64> = tx
            .query_row(
                "SELECT id FROM tune_sessions WHERE name = ?1",
                [&session.name],
                |row| row.get(0),
            )
            .optional()
            .map_err(fail)?;
        if let Some(id) = taken {
            return Err(StoreError::SessionName {
                path: path.to_path_buf(),
                id,
                name: session.name.clone(),
            });
        }
        tx.execute(
            "INSERT INTO tune_sessions (name, plan_dir, state, session, updated_at_ns) VALUES (?1, ?2, ?3, '{}', ?4)",
            params![session.name, session.plan_dir, session.state.as_str(), now_ns],
        )
        .map_err(fail)?;
        let id = tx.last_insert_rowid();
        let stored = Session {
            id,
            ..session.clone()
        };
        let text = serde_json::to_string(&stored).unwrap_or_default();
        tx.execute(
            "UPDATE tune_sessions SET session = ?1 WHERE id = ?2",
            params![text, id],
        )
        .map_err(fail)?;
        Ok(id)
    })
}

pub(super) fn save(
    store: &mut SqliteStore,
    session: &Session,
    now_ns: i64,
) -> Result<(), StoreError> {
    let action = "save the tuning session";
    store.write(action, |tx, path| {
        let text = serde_json::to_string(session).unwrap_or_default();
        let changed = tx
            .execute(
                "UPDATE tune_sessions SET state = ?1, session = ?2, updated_at_ns = ?3 WHERE id = ?4",
                params![session.state.as_str(), text, now_ns, session.id],
            )
            .map_err(|e| StoreError::sqlite(path, action, e))?;
        if changed == 0 {
            return Err(StoreError::NoSession {
                path: path.to_path_buf(),
                what: format!("session {}", session.id),
            });
        }
        Ok(())
    })
}

pub(super) fn list(
    store: &SqliteStore,
    plan_dir: Option<&str>,
) -> Result<Vec<Session>, StoreError> {
    let fail = store.fail("read the tuning sessions");
    let mut select = store
        .conn
        .prepare_cached(
            "SELECT id, session FROM tune_sessions WHERE ?1 IS NULL OR plan_dir = ?1 ORDER BY id",
        )
        .map_err(&fail)?;
    let rows = select
        .query_map([plan_dir], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
        })
        .map_err(&fail)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(&fail)?;
    rows.into_iter()
        .map(|(id, text)| parse(&store.path, id, &text))
        .collect()
}

/// The directory's current session: the open or blocked one, else the latest.
pub(super) fn current(store: &SqliteStore, plan_dir: &str) -> Result<Option<Session>, StoreError> {
    let sessions = list(store, Some(plan_dir))?;
    let open = sessions
        .iter()
        .rev()
        .find(|s| !s.state.is_closed())
        .cloned();
    Ok(open.or_else(|| sessions.last().cloned()))
}

/// A session by name, or by id when `which` is a number.
pub(super) fn find(store: &SqliteStore, which: &str) -> Result<Session, StoreError> {
    let all = list(store, None)?;
    all.into_iter()
        .find(|s| s.name == which || which.parse::<i64>() == Ok(s.id))
        .ok_or_else(|| StoreError::NoSession {
            path: store.path.clone(),
            what: format!("session `{which}`"),
        })
}
