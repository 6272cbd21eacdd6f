//! Which run store a command uses, and how it is opened: `--store`, else `RIGOR_STORE` (clap
//! reads it), else the plan's `store`, else `.rigor/rigor.db` in the project directory.
//! Commands get the `Store` trait, never a concrete backend.

use std::io::Write;
use std::path::{Path, PathBuf};

use rigor_store::{Store, StoreError};

use crate::exit;

fn store_path(flag: Option<&Path>, plan_store: Option<&str>, project_dir: &Path) -> PathBuf {
    match (flag, plan_store) {
        (Some(p), _) => p.to_path_buf(),
        (None, Some(p)) => project_dir.join(p),
        (None, None) => project_dir.join(".rigor").join("rigor.db"),
    }
}

/// Opens the store for a command that records runs, creating it if missing.
pub fn open_store(
    flag: Option<&Path>,
    plan_store: Option<&str>,
    project_dir: &Path,
) -> anyhow::Result<Box<dyn Store>> {
    open_at(&store_path(flag, plan_store, project_dir))
}

/// Opens the store for a command that only reads it: read-only when it cannot be written.
/// The project's default store that does not exist yet is `Err(path)` rather than a new empty
/// file: looking must not leave a `.rigor/` behind. A store named by `--store` or
/// `RIGOR_STORE` must be there and readable: a typo or a directory is said as such, never
/// shown as an empty store.
pub fn open_existing_store(
    flag: Option<&Path>,
    project_dir: &Path,
) -> anyhow::Result<Result<Box<dyn Store>, PathBuf>> {
    let path = store_path(flag, None, project_dir);
    if rigor_store::is_server_url(&path) {
        return open_at(&path).map(Ok);
    }
    match flag {
        Some(_) => readable(&path)?,
        None if !path.exists() => return Ok(Err(path)),
        None => {}
    }
    let store = rigor_store::open_for_reading(&path).map_err(store_failure)?;
    Ok(Ok(recover(store)))
}

/// Why the store file at `path` cannot be read, if it cannot: missing (bad input, 2), a
/// directory (2), or unreadable (could not run, 3).
fn readable(path: &Path) -> anyhow::Result<()> {
    use std::io::ErrorKind;
    // `--store` here stands for the flag and RIGOR_STORE alike.
    let shown = path.display();
    let metadata = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {
            return Err(exit::bad_input(anyhow::anyhow!(
                "--store {shown}: there is no run store there ({e}): check the path; a store is created by the first `rigor run`, `rigor load` or `rigor bench` that records into it"
            )))
        }
        Err(e) => {
            return Err(exit::not_completed(anyhow::anyhow!(
                "--store {shown}: cannot read it: {e}"
            )))
        }
    };
    if metadata.is_dir() {
        return Err(exit::bad_input(anyhow::anyhow!(
            "--store {shown} is a directory: give the store's file, such as {}",
            path.join("rigor.db").display()
        )));
    }
    std::fs::File::open(path).map_err(|e| {
        exit::not_completed(anyhow::anyhow!(
            "--store {shown}: cannot read it: {e}: check its permissions, or use another --store"
        ))
    })?;
    Ok(())
}

/// The names runs in `store` are stored under (scenarios, benches, `--name`s), among its
/// latest thousand runs: what a message offers when a name matches none.
pub fn run_names(store: &dyn Store) -> Vec<String> {
    // Columns only: the summaries are not needed for the names.
    let runs = store
        .list_runs(&rigor_store::RunFilter {
            scenario: None,
            kind: None,
            limit: Some(1000),
            status: None,
        })
        .unwrap_or_default();
    let mut names: Vec<String> = Vec::new();
    for run in runs {
        if !names.contains(&run.scenario) {
            names.push(run.scenario);
        }
    }
    names
}

/// " (did you mean `a`?)" when a stored name is close to `name`, else empty.
pub fn near_name(name: &str, names: &[String]) -> String {
    let candidates: Vec<&str> = names.iter().map(String::as_str).collect();
    rigor_model::plan::did_you_mean(name, &candidates)
        .map(|near| format!(" (did you mean `{near}`?)"))
        .unwrap_or_default()
}

fn open_at(path: &Path) -> anyhow::Result<Box<dyn Store>> {
    let store = rigor_store::open(path).map_err(store_failure)?;
    Ok(recover(store))
}

/// A store that cannot be opened, with its exit code: a `--store` this build cannot use at
/// all is bad input (2); a store that is damaged, read-only, full or from a newer rigor could
/// not be used (3), whichever command met it.
pub fn store_failure(error: StoreError) -> anyhow::Error {
    match error {
        StoreError::Unsupported { .. } => exit::bad_input(error),
        e => exit::not_completed(e),
    }
}

/// A store error met while looking up a run the user named: a run id that is not there, or a
/// run that cannot be a baseline, is bad input (2); anything else is the store's trouble and
/// gets the exit code every command gives it ([`store_failure`]).
pub fn lookup_failure(error: StoreError) -> anyhow::Error {
    match error {
        StoreError::NotFound { .. } | StoreError::NotABaseline { .. } => exit::bad_input(error),
        e => store_failure(e),
    }
}

/// Runs left `running` by a process that died are closed as crashed, whoever opens the store
/// next. A read-only store cannot take that write: it is said once, and the runs are listed
/// as they are.
fn recover(mut store: Box<dyn Store>) -> Box<dyn Store> {
    let mut stderr = std::io::stderr().lock();
    if store.is_read_only() {
        let crashed = rigor_recorder::crashed_runs(&*store).map_or(0, |runs| runs.len());
        if crashed > 0 {
            let _ = writeln!(
                stderr,
                "warning: {crashed} run(s) in {} were left running by a process that died; \
                 they cannot be marked crashed while the store is read-only",
                store.location()
            );
        }
        return store;
    }
    // A store that cannot take the write keeps them as they are.
    if let Ok(recovered) = rigor_recorder::recover_crashed(store.as_mut()) {
        for r in recovered {
            let _ = writeln!(
                stderr,
                "warning: run {} ({}) is crashed: {}",
                r.run, r.scenario, r.reason
            );
        }
    }
    store
}

/// The error of a reading command that needs a run and found none.
pub fn no_runs_yet(location: &str) -> anyhow::Error {
    exit::bad_input(anyhow::anyhow!(rigor_report::terminal::no_runs_text(
        location
    )))
}

/// A store opened on first use, for commands that check everything before the first run.
pub struct LazyStore {
    path: PathBuf,
    opened: Option<Box<dyn Store>>,
}

impl LazyStore {
    pub fn new(flag: Option<&Path>, plan_store: Option<&str>, project_dir: &Path) -> LazyStore {
        LazyStore {
            path: store_path(flag, plan_store, project_dir),
            opened: None,
        }
    }

    /// The store, opened (and created if missing) the first time.
    pub fn get(&mut self) -> anyhow::Result<&mut dyn Store> {
        let store = match self.opened.take() {
            Some(store) => store,
            None => open_at(&self.path)?,
        };
        Ok(self.opened.insert(store).as_mut())
    }
}
