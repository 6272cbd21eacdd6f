//! rigor's run store: where every run is kept so it can be listed, compared, gated and
//! reported on later.
//!
//! This crate owns the persistence of runs: the run row (what ran, when, with which plan and
//! environment, how it ended), the per-second windows written while a run is going, the
//! histograms and the summary written at its end. Runs are written progressively, so a run that
//! is interrupted or whose process dies still leaves its row (status `running`) and every
//! window flushed so far.
//!
//! [`Store`] is the seam; [`SqliteStore`] is the embedded default (a file, by default
//! `.rigor/rigor.db`, that several rigor processes may write at once). A PostgreSQL store for
//! teams will implement the same trait with the same schema.
//!
//! What this crate must not do:
//! - print anything: it returns values and [`StoreError`]s, the binary decides what to show;
//! - know any histogram or summary format: histograms are opaque serialised bytes and
//!   summaries, plans and environments are text the caller produced and will parse again.

mod error;
mod schema;
mod sqlite;

pub use error::{Cause, StoreError};
pub use rigor_model::output::{RunHeadline, RunListEntry};
pub use rigor_model::{RunKind, RunStatus};
pub use schema::SCHEMA_VERSION;
pub use sqlite::SqliteStore;

/// How a run ended, as [`Store::finish_run`] records it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunEnd<'a> {
    pub status: RunStatus,
    /// Why it is invalid, interrupted, aborted or crashed.
    pub reason: Option<&'a str>,
    /// Nanoseconds since the Unix epoch.
    pub ended_at_ns: i64,
    /// The run summary, JSON text (`"null"` for a run with none).
    pub summary: &'a str,
    /// What `rigor runs` shows of it.
    pub headline: RunHeadline,
}

/// A run's identity in its store. Ids only grow: a deleted run's id is never reused.
pub type RunId = i64;

/// What is known about a run when it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRun {
    pub kind: RunKind,
    /// The scenario or bench name the run measured.
    pub scenario: String,
    /// A snapshot of the plan the run executed (TOML or JSON text), so the run can be
    /// understood after `rigor.toml` has changed.
    pub plan: String,
    /// Start time, nanoseconds since the Unix epoch.
    pub started_at_ns: i64,
    /// The environment fingerprint, as JSON text.
    pub environment: String,
    /// The commit of the project under test, if it is a git checkout.
    pub git_commit: Option<String>,
    /// The process recording the run (`boot-id:pid:start-time`), so that a run whose process
    /// died can be told from one still going; `None` for imported runs.
    pub owner: Option<String>,
}

/// One second of a run in one phase, written while the run is going.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredWindow {
    /// Seconds since the run started (0 is the first second).
    pub second: u32,
    /// The phase the second belongs to.
    pub phase: String,
    /// Requests completed in this second.
    pub requests: u64,
    pub errors: u64,
    /// Requests sent in this second.
    pub sent: u64,
    /// Serialised histogram of latency from intended start (coordinated-omission corrected).
    pub corrected: Vec<u8>,
    /// Serialised histogram of latency from actual send.
    pub raw: Vec<u8>,
    /// The second's slowest requests, as JSON text written by the recorder; empty when there
    /// are none (or the run was recorded before they were kept).
    pub slowest: String,
    /// The second's journeys (walks started, completed, failed by step), as JSON text written
    /// by the recorder; empty unless the scenario is a journey.
    pub journeys: String,
    /// Serialised histogram of the durations of the walks completed in the second.
    pub journey_duration: Vec<u8>,
}

/// A profile kept with its run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileRecord {
    /// `target`, or the benchmarked command's name.
    pub name: String,
    /// How it was taken, or why it could not be: JSON text (`ProfileCapture` of the model).
    pub capture: String,
    /// The folded stacks; `None` when there is no profile.
    pub folded: Option<String>,
}

/// One serialised histogram kept for a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistogramRecord {
    /// `"run"`, `"request"`, `"phase"` or `"generator"`.
    pub scope: String,
    /// The request or phase name; `"all"` for the whole run.
    pub name: String,
    /// `"corrected"`, `"raw"`, `"lag"`, or a stage: `"connect"`, `"tls"`, `"ttfb"`, `"transfer"`.
    pub kind: String,
    /// The histogram, serialised by whoever recorded it.
    pub data: Vec<u8>,
}

/// A stored run, as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRun {
    pub id: RunId,
    pub kind: RunKind,
    pub scenario: String,
    pub status: RunStatus,
    /// Why the run is invalid, interrupted or aborted.
    pub status_reason: Option<String>,
    /// Nanoseconds since the Unix epoch.
    pub started_at_ns: i64,
    /// `None` while the run is going, or if its process died before it could finish.
    pub ended_at_ns: Option<i64>,
    pub plan: String,
    /// JSON text.
    pub environment: String,
    /// The run summary as JSON text, once the run has finished.
    pub summary: Option<String>,
    pub git_commit: Option<String>,
    /// The process that recorded it, as [`NewRun::owner`].
    pub owner: Option<String>,
    /// The figures the run list shows, kept when the run finished.
    pub headline: RunHeadline,
}

/// Which runs to list. The default lists every run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunFilter {
    /// Only runs of this scenario (or bench) name.
    pub scenario: Option<String>,
    /// Only runs of this kind.
    pub kind: Option<RunKind>,
    /// At most this many runs (the newest ones).
    pub limit: Option<usize>,
    /// Only runs with this status.
    pub status: Option<RunStatus>,
}

/// A run named as the reference for its kind, scenario (or bench name)
/// and environment. A store holds at most one baseline per (name, kind, scenario,
/// environment key); baselines stay put when new runs are recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Baseline {
    /// The name the user gave, e.g. `"main"`.
    pub name: String,
    /// The run's kind.
    pub kind: RunKind,
    /// The run's scenario (or bench name).
    pub scenario: String,
    /// The caller's key for the environment the run was measured in (e.g. a fingerprint hash).
    pub environment_key: String,
    pub run_id: RunId,
    /// When the baseline was set, nanoseconds since the Unix epoch.
    pub set_at_ns: i64,
    /// Why, when something other than a person's command set it (`rigor baseline auto`).
    pub reason: Option<String>,
}

/// One evaluation of one gate check (a budget or a rule) on one run.
#[derive(Debug, Clone, PartialEq)]
pub struct GateRecord {
    pub run_id: RunId,
    /// The stable id of the rule or budget, e.g. `"rule:latency.p95:+30%"`.
    pub check: String,
    /// The scenario (or bench name) the check was evaluated for.
    pub scenario: String,
    /// Caller-defined: `"pass"`, `"warn"`, `"fail"`, `"breach"`, ...
    pub outcome: String,
    /// The measured value the check judged, if any. A NaN is stored as no value.
    pub value: Option<f64>,
    /// When the check was evaluated, nanoseconds since the Unix epoch.
    pub at_ns: i64,
}

/// One named figure of the system under test over one second of a run: `target.cpu`
/// (share of the machine's cores), `target.rss` (bytes), `target.threads`, `target.fds`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub second: u32,
    pub name: String,
    pub value: f64,
}

/// One timed run of a benchmarked command, written while the benchmark goes, so that a
/// benchmark whose process dies keeps every run it finished.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BenchRun {
    /// Its place in the order runs finished, counting from 0 across all commands.
    pub seq: u64,
    /// Index of the command in the benchmark's plan.
    pub command: u32,
    /// The round it ran in.
    pub round: u64,
    pub wall_ns: u64,
    pub user_ns: u64,
    pub system_ns: u64,
    pub peak_rss_bytes: u64,
    /// `None` when a signal ended the process.
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
}

/// Where runs are kept. Writes are made as the run goes, so a crash loses at most the window
/// being written; each write method is atomic.
pub trait Store {
    /// Where the store is, for messages: a file path or a server's address (without any
    /// password).
    fn location(&self) -> String;

    /// Whether every write will be refused (a store opened read-only for a reading command).
    /// A store that does not say is taken as writable.
    fn is_read_only(&self) -> bool {
        false
    }

    /// Records a run that is starting, with status [`RunStatus::Running`], and returns its id.
    fn begin_run(&mut self, run: &NewRun) -> Result<RunId, StoreError>;

    /// Appends windows to a run, all or none. A window already stored for the same second and
    /// phase is replaced, so a writer may safely flush the same window again.
    fn append_windows(&mut self, run: RunId, windows: &[StoredWindow]) -> Result<(), StoreError>;

    /// Saves a run's histograms, all or none, replacing any stored under the same
    /// (scope, name, kind).
    fn save_histograms(
        &mut self,
        run: RunId,
        histograms: &[HistogramRecord],
    ) -> Result<(), StoreError>;

    /// Records how a run ended, with its summary (JSON text) and the figures the run list
    /// shows of it.
    fn finish_run(&mut self, run: RunId, end: &RunEnd<'_>) -> Result<(), StoreError>;

    /// Records finished runs whole (an import), all or none, and returns their ids in order.
    fn record_runs(&mut self, runs: &[(NewRun, RunEnd<'_>)]) -> Result<Vec<RunId>, StoreError>;

    /// The runs matching `filter`, newest first (by start time, then by id).
    fn runs(&self, filter: &RunFilter) -> Result<Vec<StoredRun>, StoreError>;

    /// The runs matching `filter` as the list shows them (without a summary), newest first,
    /// read from columns only: listing costs the same whatever the size of the runs'
    /// summaries.
    fn list_runs(&self, filter: &RunFilter) -> Result<Vec<RunListEntry>, StoreError>;

    /// One run; [`StoreError::NotFound`] if the store has no run with this id.
    fn run(&self, id: RunId) -> Result<StoredRun, StoreError>;

    /// The newest run matching `filter` (its `limit` is ignored), if any.
    fn latest_run(&self, filter: &RunFilter) -> Result<Option<StoredRun>, StoreError>;

    /// A run's windows, by second then phase.
    fn windows(&self, run: RunId) -> Result<Vec<StoredWindow>, StoreError>;

    /// A run's histograms, by scope, name, then kind.
    fn histograms(&self, run: RunId) -> Result<Vec<HistogramRecord>, StoreError>;

    /// Names `run` as the baseline `name` for its kind and scenario (both taken from the run)
    /// in the environment `environment_key`, replacing the baseline already set for the same
    /// (name, kind, scenario, environment key). [`StoreError::NotFound`] for a missing run;
    /// [`StoreError::NotABaseline`] for a run that is still running or was aborted.
    fn set_baseline(
        &mut self,
        name: &str,
        run: RunId,
        environment_key: &str,
        set_at_ns: i64,
    ) -> Result<Baseline, StoreError>;

    /// [`Store::set_baseline`], keeping why it was set. A store that keeps no reasons sets
    /// the baseline without one.
    fn set_baseline_because(
        &mut self,
        name: &str,
        run: RunId,
        environment_key: &str,
        set_at_ns: i64,
        reason: &str,
    ) -> Result<Baseline, StoreError> {
        let _ = reason;
        self.set_baseline(name, run, environment_key, set_at_ns)
    }

    /// The baseline `name` for `kind` and `scenario` in the environment `environment_key`;
    /// with `None`, the most recently set one in any environment (by `set_at_ns`, then by
    /// the order of setting).
    fn baseline(
        &self,
        name: &str,
        kind: RunKind,
        scenario: &str,
        environment_key: Option<&str>,
    ) -> Result<Option<Baseline>, StoreError>;

    /// The baselines of `kind` and `scenario` (each `None` for any), by scenario, then name,
    /// then newest first.
    fn baselines(
        &self,
        kind: Option<RunKind>,
        scenario: Option<&str>,
    ) -> Result<Vec<Baseline>, StoreError>;

    /// Every baseline name in the store, once each, sorted: for "no baseline named X; these
    /// exist" messages.
    fn baseline_names(&self) -> Result<Vec<String>, StoreError>;

    /// Records gate evaluations, all or none. A record for a (run, check) already stored
    /// replaces it. [`StoreError::NotFound`] if a record names a missing run.
    fn record_gate(&mut self, records: &[GateRecord]) -> Result<(), StoreError>;

    /// Stores per-second samples of the system under test (one transaction; a sample for the
    /// same second and name replaces the earlier one).
    fn append_samples(&mut self, run: RunId, samples: &[Sample]) -> Result<(), StoreError>;

    /// A run's samples, by name then second.
    fn samples(&self, run: RunId) -> Result<Vec<Sample>, StoreError>;

    /// Keeps a profile with its run; one already stored under the same name is replaced.
    fn save_profile(&mut self, run: RunId, profile: &ProfileRecord) -> Result<(), StoreError>;

    /// A run's profiles, by name.
    fn profiles(&self, run: RunId) -> Result<Vec<ProfileRecord>, StoreError>;

    /// Appends finished runs of a benchmark, all or none; a run already stored under the same
    /// `seq` is replaced.
    fn append_bench_runs(&mut self, run: RunId, runs: &[BenchRun]) -> Result<(), StoreError>;

    /// A benchmark's stored runs, by `seq`.
    fn bench_runs(&self, run: RunId) -> Result<Vec<BenchRun>, StoreError>;

    /// Starts a tuning session (its id is assigned); refused while another is open or
    /// blocked in the same directory, or when its name is taken.
    fn create_session(
        &mut self,
        session: &rigor_model::tune::Session,
        now_ns: i64,
    ) -> Result<i64, StoreError> {
        let _ = (session, now_ns);
        Err(self.no_sessions())
    }

    /// Saves a session's whole state.
    fn save_session(
        &mut self,
        session: &rigor_model::tune::Session,
        now_ns: i64,
    ) -> Result<(), StoreError> {
        let _ = (session, now_ns);
        Err(self.no_sessions())
    }

    /// The sessions of a directory (every one with `None`), oldest first.
    fn sessions(
        &self,
        plan_dir: Option<&str>,
    ) -> Result<Vec<rigor_model::tune::Session>, StoreError> {
        let _ = plan_dir;
        Err(self.no_sessions())
    }

    /// The directory's current session: the open or blocked one, else the latest.
    fn current_session(
        &self,
        plan_dir: &str,
    ) -> Result<Option<rigor_model::tune::Session>, StoreError> {
        let _ = plan_dir;
        Err(self.no_sessions())
    }

    /// A session by name (or id).
    fn find_session(&self, which: &str) -> Result<rigor_model::tune::Session, StoreError> {
        let _ = which;
        Err(self.no_sessions())
    }

    /// Starts keeping a capacity search (its id is assigned and written into the report).
    fn create_capacity_search(
        &mut self,
        report: &rigor_model::output::capacity::CapacityReport,
        now_ns: i64,
    ) -> Result<i64, StoreError> {
        let _ = (report, now_ns);
        Err(self.no_capacity())
    }

    /// Saves a capacity search's report whole, under its `search_id`.
    fn save_capacity_search(
        &mut self,
        report: &rigor_model::output::capacity::CapacityReport,
        now_ns: i64,
    ) -> Result<(), StoreError> {
        let _ = (report, now_ns);
        Err(self.no_capacity())
    }

    /// The capacity searches of `scenario` (every one with `None`), oldest first.
    fn capacity_searches(
        &self,
        scenario: Option<&str>,
    ) -> Result<Vec<rigor_model::output::capacity::CapacityReport>, StoreError> {
        let _ = scenario;
        Err(self.no_capacity())
    }

    /// The error of a store that keeps no capacity searches.
    fn no_capacity(&self) -> StoreError {
        StoreError::Unsupported {
            location: self.location(),
            why: "this store keeps no capacity searches",
        }
    }

    /// The error of a store that keeps no tuning sessions.
    fn no_sessions(&self) -> StoreError {
        StoreError::Unsupported {
            location: self.location(),
            why: "this store keeps no tuning sessions",
        }
    }

    /// Moves the evaluations of check `from` for `scenario` to the key `to` (a check whose
    /// key changed keeps its history); returns how many moved.
    fn rename_gate_check(
        &mut self,
        scenario: &str,
        from: &str,
        to: &str,
    ) -> Result<u64, StoreError>;

    /// The last `limit` evaluations of `check` for `scenario`, newest run first (by the run's
    /// start time, then by run id).
    fn gate_history(
        &self,
        check: &str,
        scenario: &str,
        limit: usize,
    ) -> Result<Vec<GateRecord>, StoreError>;
}

/// Opens the store named by `location` for a command that records runs, creating it if
/// missing: a SQLite file path (the embedded default). A PostgreSQL URL is refused with a
/// message until that backend lands.
pub fn open(location: &std::path::Path) -> Result<Box<dyn Store>, StoreError> {
    refuse_unsupported(location)?;
    Ok(Box::new(SqliteStore::open(location)?))
}

/// Opens an existing store for a command that only reads it (see
/// [`SqliteStore::open_for_reading`]): read-only where it cannot be written, never created.
pub fn open_for_reading(location: &std::path::Path) -> Result<Box<dyn Store>, StoreError> {
    refuse_unsupported(location)?;
    Ok(Box::new(SqliteStore::open_for_reading(location)?))
}

/// Whether `location` names a server rather than a file.
pub fn is_server_url(location: &std::path::Path) -> bool {
    let text = location.to_string_lossy();
    text.starts_with("postgres://") || text.starts_with("postgresql://")
}

fn refuse_unsupported(location: &std::path::Path) -> Result<(), StoreError> {
    if is_server_url(location) {
        return Err(StoreError::Unsupported {
            location: location.display().to_string(),
            why: "PostgreSQL stores are not supported by this build yet; use a SQLite file path",
        });
    }
    Ok(())
}
