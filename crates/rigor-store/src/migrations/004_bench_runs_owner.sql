-- Every timed run of a command benchmark, written while the benchmark goes (a benchmark whose
-- process dies keeps the runs it finished), and the process that records each run, so that a
-- run left `running` by a process that died can be found and marked crashed.
CREATE TABLE bench_runs (
    run_id          INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq             INTEGER NOT NULL,
    command         INTEGER NOT NULL,
    round           INTEGER NOT NULL,
    wall_ns         INTEGER NOT NULL,
    user_ns         INTEGER NOT NULL,
    system_ns       INTEGER NOT NULL,
    peak_rss_bytes  INTEGER NOT NULL,
    exit_code       INTEGER,
    signal          INTEGER,
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;

ALTER TABLE runs ADD COLUMN owner TEXT;
