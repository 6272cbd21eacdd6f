-- Schema 7: the slowest requests of each second and phase (their request, latency, when they
-- were due, how they ended and their trace id when the run sent `traceparent`), as JSON
-- written by the recorder; NULL for seconds recorded before this schema.
ALTER TABLE windows ADD COLUMN slowest TEXT;
