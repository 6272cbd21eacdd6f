//! The result of a benchmark: every run as measured, the statistics drawn from them, the
//! warnings, and how the runs were taken (order, shell correction, interruption).
//!
//! The types are the JSON contract of `rigor bench --export-json` and of the stored run, so
//! they live in the model ([`rigor_model::output::bench`]), where the analysis of stored runs
//! reads them without this crate; they are re-exported here at their old paths.

pub use rigor_model::output::bench::{
    nanos, BenchResult, CommandResult, ParameterValue, ShellOverhead, TimedRun, Warning,
    WarningKind, BENCH_SCHEMA_VERSION,
};
