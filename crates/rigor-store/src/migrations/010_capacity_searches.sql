-- Schema 10: capacity searches (rigor capacity). Each keeps its report whole as JSON (the
-- model's `output::capacity::CapacityReport`, versioned inside), saved after every step, so
-- that the runs of one search stay one group even when it is interrupted or killed.
CREATE TABLE capacity_searches (
    id INTEGER PRIMARY KEY,
    scenario TEXT NOT NULL,
    started_at_ns INTEGER NOT NULL,
    report TEXT NOT NULL,
    updated_at_ns INTEGER NOT NULL
);
CREATE INDEX capacity_searches_by_scenario ON capacity_searches (scenario, id);
