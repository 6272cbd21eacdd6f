//! The recorder: the one place that turns an executor's progress into a stored run.
//!
//! ```text
//! plan ─► executors (rigor-load, rigor-bench) ─► recorder ─► store (dyn Store) ─► analysis ─► outputs
//!                       probes (rigor-probe) ──┘
//! ```
//!
//! [`Recording`] begins a run with its environment and owner, appends windows, samples and
//! bench runs as they happen, and finishes it, or closes it as aborted if it is dropped
//! unfinished (an early return, a panic). [`record_load`] and [`record_bench`] drive the two
//! engines through it, over `&mut dyn Store`, never a concrete backend.
//!
//! What this crate must not do: print (progress goes to the caller's observer), parse flags,
//! or judge anything beyond a run's own thresholds (that is analysis).

mod bench;
mod leaks;
mod live;
mod load;
mod recording;
mod recover;
mod signals;
mod watch;

use rigor_store::{RunId, StoreError};

pub use bench::{prepare_bench, profile_commands, record_bench, PreparedBench};
pub use load::{is_bad_input, prepare_load, record_load, LoadOptions, PreparedLoad};
pub use recording::{Lost, OnLost, Recording};
pub use recover::{crashed_runs, recover_crashed, Recovered};

/// A measurement, and what of it could not be stored (the measurement is whole either way,
/// so the caller can still show it, then say what was lost).
#[derive(Debug)]
pub struct Recorded<T> {
    pub value: T,
    pub lost: Option<Box<Lost>>,
    /// How the run's profile was taken, or why it could not be, when one was asked for.
    pub profile: Option<rigor_model::output::profile::ProfileCapture>,
}

/// Why a run could not be recorded.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The store refused the run's start: nothing was measured.
    #[error(transparent)]
    Begin(StoreError),
    /// `--target-pid` names a process that cannot be sampled (checked before the run exists).
    #[error("--target-pid {pid}: {source}")]
    Sampler {
        pid: u32,
        source: rigor_probe::ProbeError,
    },
    /// The benchmark's settings are invalid (checked before the run exists).
    #[error("bench `{bench}`: {source}")]
    Spec {
        bench: String,
        source: rigor_bench::SpecError,
    },
    /// The scenario cannot run (a bad request or data file, an unreachable target): checked
    /// before the run exists, so nothing was stored.
    #[error(transparent)]
    Prepare(rigor_load::LoadError),
    /// The load engine could not run; the run is stored as aborted.
    #[error("run {run} aborted")]
    Load {
        run: RunId,
        source: rigor_load::LoadError,
    },
    /// The benchmark could not run; the run is stored as aborted.
    #[error("run {run} aborted")]
    Bench {
        run: RunId,
        source: rigor_bench::BenchError,
    },
}

impl RecordError {
    /// Whether the user's input is at fault (exit 2) rather than the world (exit 3).
    pub fn is_bad_input(&self) -> bool {
        match self {
            RecordError::Begin(_) => false,
            RecordError::Sampler { .. } | RecordError::Spec { .. } => true,
            RecordError::Load { source, .. } | RecordError::Prepare(source) => is_bad_input(source),
            RecordError::Bench { source, .. } => {
                matches!(source, rigor_bench::BenchError::Exec(_))
            }
        }
    }
}

/// Nanoseconds since the Unix epoch, as the store keeps times.
pub fn unix_ns_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64)
}
