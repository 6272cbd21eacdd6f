-- Schema 9: tuning sessions (rigor tune). Each keeps its whole state as JSON (the model's
-- `tune::Session`, versioned inside); its name, directory and state are columns, so that the
-- one open session of a directory is found without reading every state. One session per
-- directory may be open or blocked at a time.
CREATE TABLE tune_sessions (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    plan_dir TEXT NOT NULL,
    state TEXT NOT NULL,
    session TEXT NOT NULL,
    updated_at_ns INTEGER NOT NULL
);
CREATE UNIQUE INDEX tune_sessions_one_open ON tune_sessions (plan_dir)
    WHERE state IN ('open', 'blocked');
