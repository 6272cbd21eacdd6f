-- Schema 5: the figures `rigor runs` shows of each finished run, as columns beside its summary,
-- so that listing reads only columns and never parses a summary (an imported benchmark's
-- summary once held hundreds of megabytes). The writer of a run's end fills them; NULL where
-- the run's kind or data has no such figure.
ALTER TABLE runs ADD COLUMN requests INTEGER;
ALTER TABLE runs ADD COLUMN throughput_per_s REAL;
ALTER TABLE runs ADD COLUMN p99_ns INTEGER;
ALTER TABLE runs ADD COLUMN bench_runs INTEGER;
ALTER TABLE runs ADD COLUMN bench_mean_ns INTEGER;

-- Runs finished before this schema: their figures are read out of their summaries once, here.
-- This is the one place the store reads a summary's shape (rigor_model's RunSummary and
-- BenchResult as of schema 4); from now on the caller hands the figures over.
UPDATE runs SET
    requests = json_extract(summary, '$.total.requests'),
    throughput_per_s = json_extract(summary, '$.total.throughput_per_s'),
    p99_ns = CASE WHEN json_extract(summary, '$.total.latency.count') > 0
                  THEN json_extract(summary, '$.total.latency.p99_ns') END
WHERE kind = 'load' AND summary IS NOT NULL AND json_valid(summary);

UPDATE runs SET
    bench_runs = json_extract(summary, '$.commands[0].stats.count'),
    bench_mean_ns = json_extract(summary, '$.commands[0].stats.mean_ns')
WHERE kind = 'bench' AND summary IS NOT NULL AND json_valid(summary);
