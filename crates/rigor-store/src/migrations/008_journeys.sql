-- Schema 8: each second's journeys, when the scenario is a journey: the walks that started and
-- ended in it (JSON counts written by the recorder) and the histogram of the completed walks'
-- durations; NULL for other seconds and for runs recorded before this schema.
ALTER TABLE windows ADD COLUMN journeys TEXT;
ALTER TABLE windows ADD COLUMN journey_duration BLOB;
