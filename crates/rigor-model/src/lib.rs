//! rigor's vocabulary: the plan file (`rigor.toml`) and its validation, units as types
//! (durations, rates, byte sizes, ratios), threshold expressions, the versioned JSON
//! output types that other tools may depend on (load summaries and, in [`output::bench`],
//! command benchmark results), and the latency histogram with its stored byte format
//! ([`hist`]).
//!
//! Everything that both a measuring engine and the analysis of stored runs need lives here,
//! so that reading a run never links an engine.
//!
//! This crate does no I/O beyond reading the plan text it is handed, and never prints.

pub mod expr;
pub mod hist;
pub mod judge;
pub mod metric;
pub mod output;
pub mod plan;
pub mod slo;
pub mod status;
pub mod stop;
pub mod threshold;
pub mod tune;
pub mod units;

pub use plan::{Plan, PlanError};
pub use status::{exit_code, RunKind, RunStatus};
pub use stop::{StopHandle, StopState};
pub use units::{Bytes, Rate, Ratio};
