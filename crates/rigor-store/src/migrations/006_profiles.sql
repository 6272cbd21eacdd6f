-- Schema 6: profiles taken during a run (the target's stacks, or a benchmarked command's), one
-- per run and name: how it was taken (or why it could not be), as JSON, and the folded stacks
-- (`frame;frame;frame count` lines), NULL when there is no profile.
CREATE TABLE profiles (
    run_id  INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    name    TEXT    NOT NULL,
    capture TEXT    NOT NULL,
    folded  TEXT,
    PRIMARY KEY (run_id, name)
) WITHOUT ROWID;
