//! The binary's side of recording: calls the recorder with a progress line, and turns its
//! errors and lost writes into exit codes and messages.

use std::path::Path;

use rigor_bench::{BenchResult, Executor, ProcessExecutor, SpawnServerExecutor};
use rigor_model::output::RunSummary;
use rigor_model::plan::{BenchEntry, Scenario};
use rigor_recorder::{LoadOptions, Lost, PreparedBench, PreparedLoad, RecordError, Recorded};
use rigor_store::{RunId, Store};

use crate::progress::ProgressLine;
use crate::{exit, signals};

/// Checks a load scenario before anything is stored (see [`rigor_recorder::prepare_load`]).
pub fn prepare_load(scenario: &Scenario, options: &LoadOptions) -> anyhow::Result<PreparedLoad> {
    rigor_recorder::prepare_load(scenario, options).map_err(failure)
}

/// Runs and records a prepared load scenario, with a progress line when `progress` (the
/// writer says whether stderr is a terminal and the command is not quiet).
pub fn load(
    store: &mut dyn Store,
    prepared: PreparedLoad,
    progress: bool,
) -> anyhow::Result<Recorded<RunSummary>> {
    let mut progress = ProgressLine::new(progress);
    prepared
        .on_lost(warn_lost())
        .record(store, &signals::stop_handle(), &mut |w| progress.load(w))
        .map_err(failure)
}

/// Checks a benchmark before anything is stored.
pub fn prepare_bench(entry: &BenchEntry) -> anyhow::Result<PreparedBench> {
    rigor_recorder::prepare_bench(entry).map_err(failure)
}

/// Runs and records a prepared benchmark, with a progress line.
pub fn bench(
    store: &mut dyn Store,
    prepared: PreparedBench,
    project_dir: &Path,
    progress: bool,
) -> anyhow::Result<Recorded<(BenchResult, RunId)>> {
    let mut progress = ProgressLine::new(progress);
    prepared
        .on_lost(warn_lost())
        .record(
            store,
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

/// The warning printed the moment a write to the store fails while a run goes (within a
/// second of it): the run is still measured, and what the store did not take is saved to a
/// fallback store at its end.
fn warn_lost() -> rigor_recorder::OnLost {
    Box::new(|error| {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr().lock(),
            "\nwarning: {error}\n  the run goes on; at its end the summary is printed, and it \
             and what the store did not take are saved to a run store of its own, named then"
        );
    })
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
