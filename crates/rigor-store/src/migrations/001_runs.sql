-- Schema 1: runs, their per-second windows and their histograms.
-- Times are integer nanoseconds since the Unix epoch; statuses are RunStatus::as_str() text;
-- histograms are opaque serialised bytes; plan, environment, summary and extra are text the
-- caller wrote (JSON or TOML). Later schemas (baselines, gate history) are new scripts, never
-- edits to this one.

CREATE TABLE runs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    kind          TEXT    NOT NULL,
    scenario      TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    status_reason TEXT,
    started_at_ns INTEGER NOT NULL,
    ended_at_ns   INTEGER,
    plan          TEXT    NOT NULL,
    environment   TEXT    NOT NULL,
    summary       TEXT,
    git_commit    TEXT,
    -- A JSON object kept for later use (tags, run-group id of a segmented run, ...).
    extra         TEXT    NOT NULL DEFAULT '{}'
);

CREATE INDEX runs_by_scenario ON runs (scenario, started_at_ns);
CREATE INDEX runs_by_start ON runs (started_at_ns);

CREATE TABLE windows (
    run_id    INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    second    INTEGER NOT NULL,
    phase     TEXT    NOT NULL,
    requests  INTEGER NOT NULL,
    errors    INTEGER NOT NULL,
    sent      INTEGER NOT NULL,
    corrected BLOB    NOT NULL,
    raw       BLOB    NOT NULL,
    PRIMARY KEY (run_id, second, phase)
);

CREATE TABLE histograms (
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    scope  TEXT    NOT NULL,
    name   TEXT    NOT NULL,
    kind   TEXT    NOT NULL,
    data   BLOB    NOT NULL,
    PRIMARY KEY (run_id, scope, name, kind)
);
