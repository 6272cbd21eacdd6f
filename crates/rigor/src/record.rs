//! The binary's side of recording: calls the recorder with a progress line, and turns its
//! errors and lost writes into exit codes and messages.

use std::path::Path;

use rigor_bench::{BenchResult, Executor, ProcessExecutor, SpawnServerExecutor};
use rigor_model::output::RunSummary;
use rigor_model::plan::{BenchEntry, Scenario};
use rigor_recorder::{LoadOptions, Lost, RecordError, Recorded};
use rigor_store::{RunId, Store};

use crate::progress::ProgressLine;
use crate::{exit, signals};

/// Runs and records a load scenario.
pub fn load(
    store: &mut dyn Store,
    scenario: &Scenario,
    options: &LoadOptions,
    quiet: bool,
) -> anyhow::Result<Recorded<RunSummary>> {
    let mut progress = ProgressLine::new(quiet);
    rigor_recorder::record_load(
        store,
        scenario,
        options,
        &signals::stop_handle(),
        &mut |w| progress.load(w),
    )
    .map_err(failure)
}

/// Runs and records a benchmark.
pub fn bench(
    store: &mut dyn Store,
    entry: &BenchEntry,
    project_dir: &Path,
    quiet: bool,
) -> anyhow::Result<Recorded<(BenchResult, RunId)>> {
    let mut progress = ProgressLine::new(quiet);
    rigor_recorder::record_bench(
        store,
        entry,
        project_dir,
        executor,
        &signals::stop_handle(),
        &mut |p| progress.bench(p),
    )
    .map_err(failure)
}

/// A recorder error with its exit code: bad input 2, could not run 3.
pub fn failure(error: RecordError) -> anyhow::Error {
    if error.is_bad_input() {
        exit::bad_input(error)
    } else {
        exit::not_completed(error)
    }
}

/// After the measurement was shown: what could not be stored is an error (exit 3).
pub fn check_saved(lost: Option<Box<Lost>>) -> anyhow::Result<()> {
    match lost {
        None => Ok(()),
        Some(lost) => Err(exit::not_completed(*lost)),
    }
}

/// The hidden subcommand that starts the benchmarked commands.
pub const SPAWN_SERVER: &str = "__spawn-server";

/// Commands are started by a small helper process, a second rigor running
/// `rigor __spawn-server`: Linux counts the spawner's resident size into a child's peak
/// memory, and the helper's is a fraction of this process's. Without the helper they are
/// started directly, with that floor.
fn executor() -> Box<dyn Executor + Send> {
    match std::env::current_exe().and_then(|exe| SpawnServerExecutor::start(exe, [SPAWN_SERVER])) {
        Ok(server) => Box::new(server),
        Err(_) => Box::new(ProcessExecutor::new()),
    }
}
