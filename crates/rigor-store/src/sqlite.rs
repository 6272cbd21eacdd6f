//! The embedded store: one SQLite file that several rigor processes may write at once.
//!
//! Every write runs in a `BEGIN IMMEDIATE` transaction: it takes the write lock before reading
//! anything, so two writers queue on the busy timeout instead of one failing on a stale
//! snapshot, as a deferred transaction can in WAL mode.

mod baselines;
mod bench_runs;
mod capacity;
mod gates;
mod open;
mod profiles;
mod samples;
mod sessions;

use std::path::{Path, PathBuf};

use rusqlite::types::ToSql;
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction, TransactionBehavior};

use crate::{
    Baseline, BenchRun, GateRecord, HistogramRecord, NewRun, ProfileRecord, RunEnd, RunFilter,
    RunHeadline, RunId, RunKind, RunListEntry, RunStatus, Sample, Store, StoreError, StoredRun,
    StoredWindow,
};

/// A run store in a SQLite file.
#[derive(Debug)]
pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
    /// Opened read-only by [`SqliteStore::open_for_reading`]: every write is refused.
    read_only: bool,
}

impl SqliteStore {
    /// Whether the store was opened read-only (see [`SqliteStore::open_for_reading`]).
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// The database file (`:memory:` for [`SqliteStore::in_memory`]).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `work` in one write transaction, committed only if it succeeds.
    fn write<T>(
        &mut self,
        action: &'static str,
        work: impl FnOnce(&Transaction<'_>, &Path) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let SqliteStore {
            conn,
            path,
            read_only,
        } = self;
        if *read_only {
            return Err(StoreError::ReadOnly { path: path.clone() });
        }
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| StoreError::sqlite(path, action, e))?;
        let value = work(&tx, path)?;
        tx.commit()
            .map_err(|e| StoreError::sqlite(path, action, e))?;
        Ok(value)
    }

    /// `columns` of the runs matching `filter`, newest first, each read by `read`.
    fn select_runs<T>(
        &self,
        columns: &str,
        filter: &RunFilter,
        read: fn(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, StoreError> {
        let fail = self.fail("list the runs");
        let mut sql = format!("SELECT {columns} FROM runs");
        let mut conditions = Vec::new();
        let mut values: Vec<&dyn ToSql> = Vec::new();
        if let Some(scenario) = &filter.scenario {
            conditions.push("scenario = ?");
            values.push(scenario);
        }
        let kind = filter.kind.map(RunKind::as_str);
        if let Some(kind) = &kind {
            conditions.push("kind = ?");
            values.push(kind);
        }
        let status = filter.status.map(RunStatus::as_str);
        if let Some(status) = &status {
            conditions.push("status = ?");
            values.push(status);
        }
        if !conditions.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&conditions.join(" AND "));
        }
        // A negative LIMIT is SQLite's "no limit".
        let limit = filter
            .limit
            .map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX));
        sql.push_str(" ORDER BY started_at_ns DESC, id DESC LIMIT ?");
        values.push(&limit);

        let mut select = self.conn.prepare_cached(&sql).map_err(&fail)?;
        let rows = select
            .query_map(values.as_slice(), read)
            .map_err(&fail)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(&fail)?;
        Ok(rows)
    }

    fn fail(&self, action: &'static str) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        move |e| StoreError::sqlite(&self.path, action, e)
    }
}

/// The columns of a listed run, in the order [`read_listed`] expects them.
const LISTED_COLUMNS: &str = "id, kind, scenario, status, status_reason, started_at_ns, \
                              ended_at_ns, git_commit, requests, throughput_per_s, p99_ns, \
                              bench_runs, bench_mean_ns";

/// The run columns, in the order [`read_run`] expects them: the listed ones, then the rest.
const RUN_COLUMNS: &str = "id, kind, scenario, status, status_reason, started_at_ns, \
                           ended_at_ns, git_commit, requests, throughput_per_s, p99_ns, \
                           bench_runs, bench_mean_ns, plan, environment, summary, owner";

/// A run whose status or kind text this build does not know: its id, which of the two, and
/// that text.
type UnknownStatus = (RunId, &'static str, String);

fn read_listed(row: &Row<'_>) -> rusqlite::Result<Result<RunListEntry, UnknownStatus>> {
    let id: RunId = row.get(0)?;
    let status_text: String = row.get(3)?;
    let Some(status) = RunStatus::parse(&status_text) else {
        return Ok(Err((id, "status", status_text)));
    };
    let kind_text: String = row.get(1)?;
    let Some(kind) = RunKind::parse(&kind_text) else {
        return Ok(Err((id, "kind", kind_text)));
    };
    let uint = |index| -> rusqlite::Result<Option<u64>> {
        Ok(row
            .get::<_, Option<i64>>(index)?
            .map(|v| u64::try_from(v).unwrap_or(0)))
    };
    Ok(Ok(RunListEntry {
        run_id: id,
        kind,
        scenario: row.get(2)?,
        status,
        status_reason: row.get(4)?,
        started_at_ns: row.get(5)?,
        ended_at_ns: row.get(6)?,
        git_commit: row.get(7)?,
        headline: RunHeadline {
            requests: uint(8)?,
            throughput_per_s: row.get(9)?,
            p99_ns: uint(10)?,
            bench_runs: uint(11)?,
            bench_mean_ns: uint(12)?,
        },
        summary: None,
    }))
}

fn read_run(row: &Row<'_>) -> rusqlite::Result<Result<StoredRun, UnknownStatus>> {
    let listed = match read_listed(row)? {
        Ok(listed) => listed,
        Err(unknown) => return Ok(Err(unknown)),
    };
    Ok(Ok(StoredRun {
        id: listed.run_id,
        kind: listed.kind,
        scenario: listed.scenario,
        status: listed.status,
        status_reason: listed.status_reason,
        started_at_ns: listed.started_at_ns,
        ended_at_ns: listed.ended_at_ns,
        git_commit: listed.git_commit,
        headline: listed.headline,
        plan: row.get(13)?,
        environment: row.get(14)?,
        summary: row.get(15)?,
        owner: row.get(16)?,
    }))
}

fn known_status<T>(path: &Path, read: Result<T, UnknownStatus>) -> Result<T, StoreError> {
    read.map_err(|(id, what, text)| StoreError::Unknown {
        path: path.to_path_buf(),
        id,
        what,
        text,
    })
}

/// A run kind read from column `index`; a word this build does not know is a conversion
/// error that names it.
pub(crate) fn kind_column(row: &Row<'_>, index: usize) -> rusqlite::Result<RunKind> {
    let text: String = row.get(index)?;
    RunKind::parse(&text).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            index,
            rusqlite::types::Type::Text,
            format!("unknown run kind `{text}`: upgrade rigor").into(),
        )
    })
}

fn read_window(row: &Row<'_>) -> rusqlite::Result<StoredWindow> {
    Ok(StoredWindow {
        second: row.get(0)?,
        phase: row.get(1)?,
        requests: row.get(2)?,
        errors: row.get(3)?,
        sent: row.get(4)?,
        corrected: row.get(5)?,
        raw: row.get(6)?,
        slowest: row.get::<_, Option<String>>(7)?.unwrap_or_default(),
        journeys: row.get::<_, Option<String>>(8)?.unwrap_or_default(),
        journey_duration: row.get::<_, Option<Vec<u8>>>(9)?.unwrap_or_default(),
    })
}

fn read_histogram(row: &Row<'_>) -> rusqlite::Result<HistogramRecord> {
    Ok(HistogramRecord {
        scope: row.get(0)?,
        name: row.get(1)?,
        kind: row.get(2)?,
        data: row.get(3)?,
    })
}

/// Fails with [`StoreError::NotFound`] unless the store holds run `id`.
fn ensure_run(conn: &Connection, path: &Path, id: RunId) -> Result<(), StoreError> {
    let found = conn
        .query_row("SELECT 1 FROM runs WHERE id = ?1", [id], |_| Ok(()))
        .optional()
        .map_err(|e| StoreError::sqlite(path, "look the run up", e))?;
    found.ok_or_else(|| StoreError::NotFound {
        path: path.to_path_buf(),
        id,
    })
}

impl Store for SqliteStore {
    fn location(&self) -> String {
        self.path.display().to_string()
    }

    fn is_read_only(&self) -> bool {
        self.read_only
    }

    fn begin_run(&mut self, run: &NewRun) -> Result<RunId, StoreError> {
        self.write("record the start of a run", |tx, path| {
            insert_run(tx, path, run)
        })
    }

    fn record_runs(&mut self, runs: &[(NewRun, RunEnd<'_>)]) -> Result<Vec<RunId>, StoreError> {
        self.write("record the imported runs", |tx, path| {
            let mut ids = Vec::with_capacity(runs.len());
            for (run, end) in runs {
                let id = insert_run(tx, path, run)?;
                update_end(tx, path, id, end)?;
                ids.push(id);
            }
            Ok(ids)
        })
    }

    fn append_windows(&mut self, run: RunId, windows: &[StoredWindow]) -> Result<(), StoreError> {
        let action = "append the run's windows";
        self.write(action, |tx, path| {
            ensure_run(tx, path, run)?;
            let fail = |e| StoreError::sqlite(path, action, e);
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO windows (run_id, second, phase, requests, errors, sent, \
                     corrected, raw, slowest, journeys, journey_duration) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) \
                     ON CONFLICT (run_id, second, phase) DO UPDATE SET \
                     requests = excluded.requests, errors = excluded.errors, \
                     sent = excluded.sent, corrected = excluded.corrected, raw = excluded.raw, \
                     slowest = excluded.slowest, journeys = excluded.journeys, \
                     journey_duration = excluded.journey_duration",
                )
                .map_err(fail)?;
            for w in windows {
                insert
                    .execute(params![
                        run,
                        w.second,
                        w.phase,
                        w.requests,
                        w.errors,
                        w.sent,
                        w.corrected,
                        w.raw,
                        (!w.slowest.is_empty()).then_some(w.slowest.as_str()),
                        (!w.journeys.is_empty()).then_some(w.journeys.as_str()),
                        (!w.journey_duration.is_empty()).then_some(w.journey_duration.as_slice()),
                    ])
                    .map_err(fail)?;
            }
            Ok(())
        })
    }

    fn save_histograms(
        &mut self,
        run: RunId,
        histograms: &[HistogramRecord],
    ) -> Result<(), StoreError> {
        let action = "save the run's histograms";
        self.write(action, |tx, path| {
            ensure_run(tx, path, run)?;
            let fail = |e| StoreError::sqlite(path, action, e);
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO histograms (run_id, scope, name, kind, data) \
                     VALUES (?1, ?2, ?3, ?4, ?5) \
                     ON CONFLICT (run_id, scope, name, kind) DO UPDATE SET data = excluded.data",
                )
                .map_err(fail)?;
            for h in histograms {
                insert
                    .execute(params![run, h.scope, h.name, h.kind, h.data])
                    .map_err(fail)?;
            }
            Ok(())
        })
    }

    fn finish_run(&mut self, run: RunId, end: &RunEnd<'_>) -> Result<(), StoreError> {
        self.write("record the end of the run", |tx, path| {
            update_end(tx, path, run, end)
        })
    }

    fn runs(&self, filter: &RunFilter) -> Result<Vec<StoredRun>, StoreError> {
        let rows = self.select_runs(RUN_COLUMNS, filter, read_run)?;
        rows.into_iter()
            .map(|read| known_status(&self.path, read))
            .collect()
    }

    fn list_runs(&self, filter: &RunFilter) -> Result<Vec<RunListEntry>, StoreError> {
        let rows = self.select_runs(LISTED_COLUMNS, filter, read_listed)?;
        rows.into_iter()
            .map(|read| known_status(&self.path, read))
            .collect()
    }

    fn run(&self, id: RunId) -> Result<StoredRun, StoreError> {
        let read = self
            .conn
            .query_row(
                &format!("SELECT {RUN_COLUMNS} FROM runs WHERE id = ?1"),
                [id],
                read_run,
            )
            .optional()
            .map_err(self.fail("read the run"))?
            .ok_or_else(|| StoreError::NotFound {
                path: self.path.clone(),
                id,
            })?;
        known_status(&self.path, read)
    }

    fn latest_run(&self, filter: &RunFilter) -> Result<Option<StoredRun>, StoreError> {
        let newest = RunFilter {
            limit: Some(1),
            ..filter.clone()
        };
        Ok(self.runs(&newest)?.into_iter().next())
    }

    fn windows(&self, run: RunId) -> Result<Vec<StoredWindow>, StoreError> {
        ensure_run(&self.conn, &self.path, run)?;
        let fail = self.fail("read the run's windows");
        let mut select = self
            .conn
            .prepare_cached(
                "SELECT second, phase, requests, errors, sent, corrected, raw, slowest, \
                 journeys, journey_duration \
                 FROM windows WHERE run_id = ?1 ORDER BY second, phase",
            )
            .map_err(&fail)?;
        let windows = select
            .query_map([run], read_window)
            .map_err(&fail)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(&fail)?;
        Ok(windows)
    }

    fn histograms(&self, run: RunId) -> Result<Vec<HistogramRecord>, StoreError> {
        ensure_run(&self.conn, &self.path, run)?;
        let fail = self.fail("read the run's histograms");
        let mut select = self
            .conn
            .prepare_cached(
                "SELECT scope, name, kind, data FROM histograms WHERE run_id = ?1 \
                 ORDER BY scope, name, kind",
            )
            .map_err(&fail)?;
        let histograms = select
            .query_map([run], read_histogram)
            .map_err(&fail)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(&fail)?;
        Ok(histograms)
    }

    fn create_session(
        &mut self,
        session: &rigor_model::tune::Session,
        now_ns: i64,
    ) -> Result<i64, StoreError> {
        sessions::create(self, session, now_ns)
    }

    fn save_session(
        &mut self,
        session: &rigor_model::tune::Session,
        now_ns: i64,
    ) -> Result<(), StoreError> {
        sessions::save(self, session, now_ns)
    }

    fn sessions(
        &self,
        plan_dir: Option<&str>,
    ) -> Result<Vec<rigor_model::tune::Session>, StoreError> {
        sessions::list(self, plan_dir)
    }

    fn current_session(
        &self,
        plan_dir: &str,
    ) -> Result<Option<rigor_model::tune::Session>, StoreError> {
        sessions::current(self, plan_dir)
    }

    fn find_session(&self, which: &str) -> Result<rigor_model::tune::Session, StoreError> {
        sessions::find(self, which)
    }

    fn create_capacity_search(
        &mut self,
        report: &rigor_model::output::capacity::CapacityReport,
        now_ns: i64,
    ) -> Result<i64, StoreError> {
        capacity::create(self, report, now_ns)
    }

    fn save_capacity_search(
        &mut self,
        report: &rigor_model::output::capacity::CapacityReport,
        now_ns: i64,
    ) -> Result<(), StoreError> {
        capacity::save(self, report, now_ns)
    }

    fn capacity_searches(
        &self,
        scenario: Option<&str>,
    ) -> Result<Vec<rigor_model::output::capacity::CapacityReport>, StoreError> {
        capacity::list(self, scenario)
    }

    fn set_baseline(
        &mut self,
        name: &str,
        run: RunId,
        environment_key: &str,
        set_at_ns: i64,
    ) -> Result<Baseline, StoreError> {
        baselines::set(self, name, run, (environment_key, set_at_ns), None)
    }

    fn set_baseline_because(
        &mut self,
        name: &str,
        run: RunId,
        environment_key: &str,
        set_at_ns: i64,
        reason: &str,
    ) -> Result<Baseline, StoreError> {
        baselines::set(self, name, run, (environment_key, set_at_ns), Some(reason))
    }

    fn baseline(
        &self,
        name: &str,
        kind: RunKind,
        scenario: &str,
        environment_key: Option<&str>,
    ) -> Result<Option<Baseline>, StoreError> {
        baselines::get(self, name, kind, scenario, environment_key)
    }

    fn baselines(
        &self,
        kind: Option<RunKind>,
        scenario: Option<&str>,
    ) -> Result<Vec<Baseline>, StoreError> {
        baselines::list(self, kind, scenario)
    }

    fn baseline_names(&self) -> Result<Vec<String>, StoreError> {
        baselines::names(self)
    }

    fn record_gate(&mut self, records: &[GateRecord]) -> Result<(), StoreError> {
        gates::record(self, records)
    }

    fn rename_gate_check(
        &mut self,
        scenario: &str,
        from: &str,
        to: &str,
    ) -> Result<u64, StoreError> {
        gates::rename(self, scenario, from, to)
    }

    fn append_samples(&mut self, run: RunId, samples: &[Sample]) -> Result<(), StoreError> {
        samples::append(self, run, samples)
    }

    fn samples(&self, run: RunId) -> Result<Vec<Sample>, StoreError> {
        samples::read(self, run)
    }

    fn save_profile(&mut self, run: RunId, profile: &ProfileRecord) -> Result<(), StoreError> {
        profiles::save(self, run, profile)
    }

    fn profiles(&self, run: RunId) -> Result<Vec<ProfileRecord>, StoreError> {
        profiles::read(self, run)
    }

    fn append_bench_runs(&mut self, run: RunId, runs: &[BenchRun]) -> Result<(), StoreError> {
        bench_runs::append(self, run, runs)
    }

    fn bench_runs(&self, run: RunId) -> Result<Vec<BenchRun>, StoreError> {
        bench_runs::read(self, run)
    }

    fn gate_history(
        &self,
        check: &str,
        scenario: &str,
        limit: usize,
    ) -> Result<Vec<GateRecord>, StoreError> {
        gates::history(self, check, scenario, limit)
    }
}

/// Inserts a run that is starting, in `tx`.
fn insert_run(tx: &Transaction<'_>, path: &Path, run: &NewRun) -> Result<RunId, StoreError> {
    tx.execute(
        "INSERT INTO runs (kind, scenario, status, started_at_ns, plan, environment, \
         git_commit, owner) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            run.kind.as_str(),
            run.scenario,
            RunStatus::Running.as_str(),
            run.started_at_ns,
            run.plan,
            run.environment,
            run.git_commit,
            run.owner,
        ],
    )
    .map_err(|e| StoreError::sqlite(path, "record the start of a run", e))?;
    Ok(tx.last_insert_rowid())
}

/// Records how a run ended, in `tx`.
fn update_end(
    tx: &Transaction<'_>,
    path: &Path,
    run: RunId,
    end: &RunEnd<'_>,
) -> Result<(), StoreError> {
    let action = "record the end of the run";
    let h = &end.headline;
    let int = |v: Option<u64>| v.map(|v| i64::try_from(v).unwrap_or(i64::MAX));
    let changed = tx
        .execute(
            "UPDATE runs SET status = ?2, status_reason = ?3, ended_at_ns = ?4, \
             summary = ?5, requests = ?6, throughput_per_s = ?7, p99_ns = ?8, \
             bench_runs = ?9, bench_mean_ns = ?10 WHERE id = ?1",
            params![
                run,
                end.status.as_str(),
                end.reason,
                end.ended_at_ns,
                end.summary,
                int(h.requests),
                h.throughput_per_s,
                int(h.p99_ns),
                int(h.bench_runs),
                int(h.bench_mean_ns),
            ],
        )
        .map_err(|e| StoreError::sqlite(path, action, e))?;
    if changed == 0 {
        return Err(StoreError::NotFound {
            path: path.to_path_buf(),
            id: run,
        });
    }
    Ok(())
}

/// The steps of SQLite's plan for `sql` (`EXPLAIN QUERY PLAN`), for tests that check a query
/// uses its index.
#[cfg(test)]
fn query_plan(store: &SqliteStore, sql: &str) -> Vec<String> {
    let mut explain = store
        .conn
        .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
        .expect("explain");
    // Parameters left unbound are NULL, which is enough to plan with.
    let mut rows = explain.raw_query();
    let mut steps = Vec::new();
    while let Some(row) = rows.next().expect("plan row") {
        steps.push(row.get::<_, String>(3).expect("plan step"));
    }
    steps
}
