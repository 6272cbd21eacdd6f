//! The timed runs of command benchmarks, appended while the benchmark goes.

use rusqlite::params;

use super::{ensure_run, SqliteStore};
use crate::{BenchRun, StoreError};

pub(super) fn append(
    store: &mut SqliteStore,
    run: i64,
    runs: &[BenchRun],
) -> Result<(), StoreError> {
    let action = "store the benchmark's runs";
    store.write(action, |tx, path| {
        let fail = |e| StoreError::sqlite(path, action, e);
        ensure_run(tx, path, run)?;
        let mut insert = tx
            .prepare_cached(
                "INSERT INTO bench_runs (run_id, seq, command, round, wall_ns, user_ns, \
                 system_ns, peak_rss_bytes, exit_code, signal) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) \
                 ON CONFLICT (run_id, seq) DO UPDATE SET command = excluded.command, \
                 round = excluded.round, wall_ns = excluded.wall_ns, \
                 user_ns = excluded.user_ns, system_ns = excluded.system_ns, \
                 peak_rss_bytes = excluded.peak_rss_bytes, exit_code = excluded.exit_code, \
                 signal = excluded.signal",
            )
            .map_err(fail)?;
        for r in runs {
            // SQLite integers are signed 64-bit; nanosecond and byte figures fit far beyond
            // any real run, and a figure that does not is clamped rather than wrapped.
            let int = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
            insert
                .execute(params![
                    run,
                    int(r.seq),
                    r.command,
                    int(r.round),
                    int(r.wall_ns),
                    int(r.user_ns),
                    int(r.system_ns),
                    int(r.peak_rss_bytes),
                    r.exit_code,
                    r.signal,
                ])
                .map_err(fail)?;
        }
        Ok(())
    })
}

pub(super) fn read(store: &SqliteStore, run: i64) -> Result<Vec<BenchRun>, StoreError> {
    ensure_run(&store.conn, &store.path, run)?;
    let fail = store.fail("read the benchmark's runs");
    let mut select = store
        .conn
        .prepare_cached(
            "SELECT seq, command, round, wall_ns, user_ns, system_ns, peak_rss_bytes, \
             exit_code, signal FROM bench_runs WHERE run_id = ?1 ORDER BY seq",
        )
        .map_err(&fail)?;
    let uint = |v: i64| u64::try_from(v).unwrap_or(0);
    let rows = select
        .query_map(params![run], |row| {
            Ok(BenchRun {
                seq: uint(row.get(0)?),
                command: row.get(1)?,
                round: uint(row.get(2)?),
                wall_ns: uint(row.get(3)?),
                user_ns: uint(row.get(4)?),
                system_ns: uint(row.get(5)?),
                peak_rss_bytes: uint(row.get(6)?),
                exit_code: row.get(7)?,
                signal: row.get(8)?,
            })
        })
        .map_err(&fail)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(&fail)?;
    Ok(rows)
}
