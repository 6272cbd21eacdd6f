//! [`Recording`]: one run being written to a store, from its start to its end.
//!
//! Every executor records through it: the run is begun with its environment and owner, its
//! windows, samples and bench runs are appended as they happen, and it is finished with its
//! status and summary. A recording that is dropped without being finished (an early return,
//! a panic) closes its run as aborted with what it has, so no run is left `running` by a
//! process that is still alive.
//!
//! A write that fails while the run goes does not stop the measurement: the first failure is
//! kept and passed to the caller's warning at once (so a full store is said within a second,
//! not after the run), later writes are still tried (a full disk may free up) unless the store
//! is damaged, and [`Recording::finish`] reports it, so the caller can still show what was
//! measured and say what was not saved and where it went instead: every write the store did
//! not take is kept in memory, and at the end it goes, with the run and its end, to a run
//! store of its own in the temporary directory (a fallback file the reading commands open
//! with `--store`). Together the two stores hold the whole run.

use std::path::PathBuf;

use rigor_store::{
    BenchRun, HistogramRecord, NewRun, ProfileRecord, RunEnd, RunHeadline, RunId, RunStatus,
    Sample, SqliteStore, Store, StoreError, StoredWindow,
};

/// Told of the first write that failed while a run goes.
pub type OnLost = Box<dyn FnMut(&StoreError) + Send>;

/// A run being recorded. See the module documentation.
pub struct Recording<'s> {
    store: &'s mut dyn Store,
    id: RunId,
    closed: bool,
    /// The first write that failed while the run went, and how many failed.
    lost: Option<(StoreError, u64)>,
    /// The store was found damaged: nothing more is written to it.
    damaged: bool,
    on_lost: Option<OnLost>,
    /// The run as begun, and what the store did not take of it: the fallback's content.
    run: NewRun,
    unsaved: Unsaved,
}

/// The writes a store did not take.
#[derive(Default)]
struct Unsaved {
    windows: Vec<StoredWindow>,
    samples: Vec<Sample>,
    bench_runs: Vec<BenchRun>,
    histograms: Vec<HistogramRecord>,
    profiles: Vec<ProfileRecord>,
}

/// What could not be stored of a run that was measured.
#[derive(Debug, thiserror::Error)]
#[error("run {run} was measured but not all of it was stored in {location} ({failed} write{} failed; the first: {first}){}", if *.failed == 1 { "" } else { "s" }, fallback_note(.fallback))]
pub struct Lost {
    pub run: RunId,
    pub location: String,
    pub failed: u64,
    pub first: StoreError,
    /// The run store in the temporary directory that holds the run, its end and everything
    /// the store did not take, if it could be written.
    pub fallback: Option<PathBuf>,
}

fn fallback_note(fallback: &Option<PathBuf>) -> String {
    match fallback {
        Some(path) => format!(
            "; its summary and what the store did not take were saved to {}, a run store of \
             its own: `rigor show latest --store {}` prints it",
            path.display(),
            path.display()
        ),
        None => "; its summary could not be saved anywhere else either".to_string(),
    }
}

/// Writes the run, what its store did not take and its end to a run store of its own in the
/// temporary directory (often another filesystem than a full project disk). `None`, leaving
/// nothing behind, if that fails too.
fn save_fallback(id: RunId, run: &NewRun, unsaved: &Unsaved, end: &RunEnd<'_>) -> Option<PathBuf> {
    let path = std::env::temp_dir().join(format!(
        "rigor-run-{id}-{}-{}.db",
        std::process::id(),
        crate::unix_ns_now()
    ));
    let written = (|| -> Result<(), StoreError> {
        let mut store = SqliteStore::open(&path)?;
        let id = store.begin_run(run)?;
        store.append_windows(id, &unsaved.windows)?;
        store.append_samples(id, &unsaved.samples)?;
        store.append_bench_runs(id, &unsaved.bench_runs)?;
        store.save_histograms(id, &unsaved.histograms)?;
        for p in &unsaved.profiles {
            store.save_profile(id, p)?;
        }
        store.finish_run(id, end)
    })();
    match written {
        Ok(()) => Some(path),
        Err(_) => {
            for leftover in ["", "-wal", "-shm"] {
                let mut name = path.clone().into_os_string();
                name.push(leftover);
                let _ = std::fs::remove_file(name);
            }
            None
        }
    }
}

impl<'s> Recording<'s> {
    /// Begins a run in `store` with status `running`.
    pub fn begin(store: &'s mut dyn Store, run: &NewRun) -> Result<Recording<'s>, StoreError> {
        let id = store.begin_run(run)?;
        Ok(Recording {
            store,
            id,
            closed: false,
            lost: None,
            damaged: false,
            on_lost: None,
            run: run.clone(),
            unsaved: Unsaved::default(),
        })
    }

    /// Calls `on_lost` with the first write that fails, when it fails.
    pub fn on_lost(mut self, on_lost: Option<OnLost>) -> Recording<'s> {
        self.on_lost = on_lost;
        self
    }

    /// The run's id in the store.
    pub fn id(&self) -> RunId {
        self.id
    }

    /// Where the run is being written, for messages.
    pub fn location(&self) -> String {
        self.store.location()
    }

    /// Whether a write has failed so far: a caller may say so while the run goes.
    pub fn has_lost_writes(&self) -> bool {
        self.lost.is_some()
    }

    /// Appends one-second windows (all or none of them).
    pub fn windows(&mut self, windows: &[StoredWindow]) {
        if self.write(windows, |store, id| store.append_windows(id, windows)) {
            self.unsaved.windows.extend_from_slice(windows);
        }
    }

    /// Appends per-second samples of the target.
    pub fn samples(&mut self, samples: &[Sample]) {
        if self.write(samples, |store, id| store.append_samples(id, samples)) {
            self.unsaved.samples.extend_from_slice(samples);
        }
    }

    /// Appends finished benchmark runs.
    pub fn bench_runs(&mut self, runs: &[BenchRun]) {
        if self.write(runs, |store, id| store.append_bench_runs(id, runs)) {
            self.unsaved.bench_runs.extend_from_slice(runs);
        }
    }

    /// Saves the run's whole-run histograms.
    pub fn histograms(&mut self, histograms: &[HistogramRecord]) {
        if self.write(histograms, |store, id| {
            store.save_histograms(id, histograms)
        }) {
            self.unsaved.histograms.extend_from_slice(histograms);
        }
    }

    /// Keeps a profile with the run.
    pub fn profile(&mut self, profile: &ProfileRecord) {
        if self.write(std::slice::from_ref(profile), |store, id| {
            store.save_profile(id, profile)
        }) {
            self.unsaved.profiles.push(profile.clone());
        }
    }

    /// Writes `items` with `write` unless there are none or the store is damaged; `true` when
    /// they were not stored (the caller keeps them for the fallback).
    fn write<T>(
        &mut self,
        items: &[T],
        write: impl FnOnce(&mut dyn Store, RunId) -> Result<(), StoreError>,
    ) -> bool {
        if items.is_empty() {
            return false;
        }
        if self.damaged {
            return true;
        }
        let outcome = write(&mut *self.store, self.id);
        let failed = outcome.is_err();
        self.keep(outcome);
        failed
    }

    /// Closes the run with its status and summary. `Err` when the run's end could not be
    /// written or when an earlier write failed: the measurement is whole, its record is not.
    pub fn finish(mut self, end: &RunEnd<'_>) -> Result<RunId, Box<Lost>> {
        if !self.damaged {
            let outcome = self.store.finish_run(self.id, end);
            self.closed = outcome.is_ok();
            self.keep(outcome);
        }
        match self.lost.take() {
            None => Ok(self.id),
            Some((first, failed)) => {
                let fallback = save_fallback(self.id, &self.run, &self.unsaved, end);
                if !self.closed && !self.damaged {
                    self.close_pointing_to(end, fallback.as_deref());
                }
                Err(Box::new(Lost {
                    run: self.id,
                    location: self.store.location(),
                    failed,
                    first,
                    fallback,
                }))
            }
        }
    }

    /// Closes a run whose end did not fit (a full store) with the status it measured and a
    /// reason that says where its summary went, so it does not read as aborted: a few bytes
    /// where the summary took too many.
    fn close_pointing_to(&mut self, end: &RunEnd<'_>, fallback: Option<&std::path::Path>) {
        let reason = match fallback {
            Some(path) => format!(
                "the run store ran out of room: the summary and what else it could not take are in {} (rigor show latest --store {})",
                path.display(),
                path.display()
            ),
            None => "the run store ran out of room: its summary could not be kept".to_string(),
        };
        let short = RunEnd {
            status: end.status,
            reason: Some(&reason),
            ended_at_ns: end.ended_at_ns,
            summary: "null",
            headline: RunHeadline::default(),
        };
        self.closed = self.store.finish_run(self.id, &short).is_ok();
    }

    /// Closes the run as aborted: it could not run. What was stored stays.
    pub fn abort(mut self, reason: &str, ended_at_ns: i64) {
        self.close_aborted(reason, ended_at_ns);
    }

    fn close_aborted(&mut self, reason: &str, ended_at_ns: i64) {
        if !self.closed && !self.damaged {
            let end = RunEnd {
                status: RunStatus::Aborted,
                reason: Some(reason),
                ended_at_ns,
                summary: "null",
                headline: RunHeadline::default(),
            };
            let outcome = self.store.finish_run(self.id, &end);
            self.closed = outcome.is_ok();
        }
    }

    fn keep(&mut self, outcome: Result<(), StoreError>) {
        let Err(error) = outcome else {
            return;
        };
        self.damaged |= error.is_damage();
        match &mut self.lost {
            Some((_, failed)) => *failed += 1,
            None => {
                if let Some(on_lost) = &mut self.on_lost {
                    on_lost(&error);
                }
                self.lost = Some((error, 1));
            }
        }
    }
}

impl Drop for Recording<'_> {
    fn drop(&mut self) {
        let reason = if std::thread::panicking() {
            "rigor failed while recording the run (a panic); what was stored is kept"
        } else {
            "the run ended without being finished (an error stopped it); what was stored is kept"
        };
        self.close_aborted(reason, crate::unix_ns_now());
    }
}
