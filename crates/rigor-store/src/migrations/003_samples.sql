-- Per-second samples of the system under test (CPU, memory, threads, open files), taken by
-- rigor's probes while a run goes: one row per run, second and named figure.
CREATE TABLE samples (
    run_id  INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    second  INTEGER NOT NULL,
    name    TEXT    NOT NULL,
    value   REAL    NOT NULL,
    PRIMARY KEY (run_id, name, second)
) WITHOUT ROWID;
