//! Analysis of stored runs: the statistical comparison of two runs (every metric they share,
//! each with a verdict, its interval and p-value, false-discovery control across metrics,
//! trade-offs and environment differences) and the CI gate (budgets, and rules against the
//! baseline and the gate history).
//!
//! It takes runs already read from the store ([`RunData`]) and returns values; it neither
//! reads the store nor prints. The statistics themselves live in `rigor-stats`.
//!
//! It depends on `rigor-model` (the stored summaries, bench results and histograms),
//! `rigor-stats` and `rigor-store` only: comparing two stored runs must not link the load
//! engine (an HTTP client, tokio, TLS) or the bench engine. `.ci/run` holds that line.

pub mod capacity;
pub mod compare;
pub mod data;
pub mod gate;
pub mod history;
pub mod metrics;
pub mod profile;
pub mod report;
pub mod triage;
/// The comparison and gate output types, which live in the model with every other output.
pub use rigor_model::output::analysis as output;
mod series;

pub use compare::{compare, compare_with_history, CompareError, CompareSettings, MIN_HISTORY};
pub use data::{DataError, RunData, RunKind};
pub use gate::{evaluate, GateContext, GateError, GateInput};
pub use output::{
    CheckOutcome, CheckResult, Comparison, GateReport, MetricComparison, VerdictName,
};
pub use report::load_report;
