//! rigor's vocabulary: the plan file (`rigor.toml`) and its validation, units as types
//! (durations, rates, byte sizes, ratios), threshold expressions, and the versioned JSON
//! output types that other tools may depend on.
//!
//! This crate does no I/O beyond reading the plan text it is handed, and never prints.

pub mod output;
pub mod plan;
pub mod status;
pub mod stop;
pub mod threshold;
pub mod units;

pub use plan::{Plan, PlanError};
pub use status::{exit_code, RunKind, RunStatus};
pub use stop::{StopHandle, StopState};
pub use units::{Bytes, Rate, Ratio};
