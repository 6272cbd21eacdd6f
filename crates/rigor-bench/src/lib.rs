//! rigor's command benchmarks: hyperfine-class runs of whole commands, with honest
//! statistics.
//!
//! It owns the benchmark loop and everything it measures and concludes: settings
//! ([`BenchSpec`] → validated [`BenchPlan`]), the [`Executor`] seam (real processes reaped
//! with `wait4` for exact CPU time and peak memory, spawned directly or by a small helper
//! process so that peak memory is not counted from rigor's own, or a deterministic
//! [`FakeExecutor`]),
//! interleaved or seeded-random run order, hooks, shell start-up correction, stop rules,
//! interruption, statistics (mean ± σ, median with a distribution-free confidence interval,
//! robust outliers, relative speed with its uncertainty) and the hyperfine importer.
//!
//! It must not print, parse command-line flags or touch the store: progress goes to the
//! caller's callback and results are returned as data (rigor-report shows them).
//!
//! ```no_run
//! use rigor_bench::{BenchSpec, ProcessExecutor, Runner};
//!
//! let plan = BenchSpec::new(["sleep 0.01", "sleep 0.02"]).resolve()?;
//! let mut executor = ProcessExecutor::new();
//! let result = Runner::new(&plan, &mut executor).run()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod analysis;
pub mod batch;
pub mod clock;
pub mod count;
mod entry;
pub mod executor;
mod fake;
pub mod import;
pub mod outliers;
pub mod params;
pub mod result;
pub mod runner;
pub mod spawn_server;
pub mod spec;
pub mod stats;
pub mod words;

pub use batch::{Batch, BatchOutcome, BatchRun, Enough, PlannedRun};
pub use clock::{Clock, MonotonicClock};
pub use executor::{ExecError, Executor, HookOutput, Measurement, ProcessExecutor};
pub use fake::{FakeClock, FakeExecutor};
pub use import::{import_hyperfine, import_hyperfine_from, ImportError, MAX_KEPT_RUNS};
pub use params::{ParamError, Parameter};
pub use result::{
    BenchResult, CommandResult, ParameterValue, ShellOverhead, TimedRun, Warning, WarningKind,
    BENCH_SCHEMA_VERSION,
};
pub use runner::{BenchError, BenchProgress, HookKind, Phase, Runner};
pub use spawn_server::{run_spawn_server, serve_spawn_requests, SpawnServerExecutor};
pub use spec::{
    BenchPlan, BenchSpec, CommandSpec, CommandTemplate, Hooks, Invocation, Order, OutputMode,
    RunCount, Shell, SpecError,
};
pub use stats::{MedianCi, Relative, Summary};
