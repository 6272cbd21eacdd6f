-- Schema 2: named baselines and the gate history.
-- Both belong to runs: deleting a run deletes its baselines and its gate records.

-- A run named as the reference for its kind, scenario (or bench name) and environment. Setting
-- a baseline again for the same (name, kind, scenario, environment_key) deletes the old row and
-- inserts a new one, so among equal set_at_ns the larger id is the one set last.
CREATE TABLE baselines (
    id              INTEGER PRIMARY KEY,
    name            TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    scenario        TEXT    NOT NULL,
    environment_key TEXT    NOT NULL,
    run_id          INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    set_at_ns       INTEGER NOT NULL,
    UNIQUE (name, kind, scenario, environment_key)
);

-- The unique index above serves lookups by name (and the distinct names); these serve listing
-- by scenario and the cascade from runs.
CREATE INDEX baselines_by_scenario ON baselines (scenario, name, set_at_ns);
CREATE INDEX baselines_by_run ON baselines (run_id);

-- One evaluation of one gate check (a budget or a rule) on one run. `check_id` is the caller's
-- stable id of the check; `outcome` is caller-defined text ("pass", "warn", "fail", ...).
CREATE TABLE gate_records (
    run_id   INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    check_id TEXT    NOT NULL,
    scenario TEXT    NOT NULL,
    outcome  TEXT    NOT NULL,
    value    REAL,
    at_ns    INTEGER NOT NULL,
    PRIMARY KEY (run_id, check_id)
);

-- The history of one check for one scenario; the primary key serves the cascade from runs.
CREATE INDEX gate_records_by_check ON gate_records (check_id, scenario, run_id);
