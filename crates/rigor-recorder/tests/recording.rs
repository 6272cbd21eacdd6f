//! The recorder against a real (in-memory) SQLite store and one that fails on purpose: every
//! run it begins is closed, whatever happens, and what could not be stored is said.

use rigor_recorder::Recording;
use rigor_store::{
    BenchRun, NewRun, RunEnd, RunHeadline, RunKind, RunStatus, SqliteStore, Store, StoreError,
    StoredWindow,
};

fn new_run() -> NewRun {
    NewRun {
        kind: RunKind::Load,
        scenario: "s".into(),
        plan: "{}".into(),
        started_at_ns: 1,
        environment: "{}".into(),
        git_commit: None,
        owner: None,
    }
}

fn window(second: u32) -> StoredWindow {
    StoredWindow {
        second,
        phase: "steady".into(),
        requests: 10,
        ..StoredWindow::default()
    }
}

#[test]
fn a_recording_dropped_unfinished_closes_its_run_as_aborted() {
    let mut store = SqliteStore::in_memory().expect("store");
    let id = {
        let mut recording = Recording::begin(&mut store, &new_run()).expect("begin");
        recording.windows(&[window(0), window(1)]);
        recording.id()
        // An early return: dropped here.
    };
    let run = store.run(id).expect("run");
    assert_eq!(run.status, RunStatus::Aborted);
    assert!(run
        .status_reason
        .unwrap_or_default()
        .contains("without being finished"));
    assert_eq!(
        store.windows(id).expect("windows").len(),
        2,
        "what was written stays"
    );
}

#[test]
fn a_panic_while_recording_still_closes_the_run() {
    let mut store = SqliteStore::in_memory().expect("store");
    let mut id = None;
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut recording = Recording::begin(&mut store, &new_run()).expect("begin");
        id = Some(recording.id());
        recording.bench_runs(&[BenchRun::default()]);
        panic!("a bug in an executor");
    }));
    assert!(outcome.is_err());
    let run = store.run(id.expect("began")).expect("run");
    assert_eq!(run.status, RunStatus::Aborted);
    assert!(run.status_reason.unwrap_or_default().contains("panic"));
    assert_eq!(store.bench_runs(run.id).expect("bench runs").len(), 1);
}

/// A store whose window writes fail, as on a full disk.
struct FullDisk(SqliteStore);

impl Store for FullDisk {
    fn location(&self) -> String {
        "full-disk.db".into()
    }
    fn begin_run(&mut self, run: &NewRun) -> Result<i64, StoreError> {
        self.0.begin_run(run)
    }
    fn append_windows(&mut self, _: i64, _: &[StoredWindow]) -> Result<(), StoreError> {
        Err(StoreError::Busy {
            path: "full-disk.db".into(),
            timeout_s: 10,
        })
    }
    fn save_histograms(
        &mut self,
        run: i64,
        h: &[rigor_store::HistogramRecord],
    ) -> Result<(), StoreError> {
        self.0.save_histograms(run, h)
    }
    fn finish_run(&mut self, run: i64, end: &RunEnd<'_>) -> Result<(), StoreError> {
        self.0.finish_run(run, end)
    }
    fn record_runs(&mut self, runs: &[(NewRun, RunEnd<'_>)]) -> Result<Vec<i64>, StoreError> {
        self.0.record_runs(runs)
    }
    fn runs(&self, f: &rigor_store::RunFilter) -> Result<Vec<rigor_store::StoredRun>, StoreError> {
        self.0.runs(f)
    }
    fn list_runs(
        &self,
        f: &rigor_store::RunFilter,
    ) -> Result<Vec<rigor_store::RunListEntry>, StoreError> {
        self.0.list_runs(f)
    }
    fn run(&self, id: i64) -> Result<rigor_store::StoredRun, StoreError> {
        self.0.run(id)
    }
    fn latest_run(
        &self,
        f: &rigor_store::RunFilter,
    ) -> Result<Option<rigor_store::StoredRun>, StoreError> {
        self.0.latest_run(f)
    }
    fn windows(&self, run: i64) -> Result<Vec<StoredWindow>, StoreError> {
        self.0.windows(run)
    }
    fn histograms(&self, run: i64) -> Result<Vec<rigor_store::HistogramRecord>, StoreError> {
        self.0.histograms(run)
    }
    fn set_baseline(
        &mut self,
        n: &str,
        run: i64,
        k: &str,
        at: i64,
    ) -> Result<rigor_store::Baseline, StoreError> {
        self.0.set_baseline(n, run, k, at)
    }
    fn baseline(
        &self,
        n: &str,
        kind: RunKind,
        s: &str,
        k: Option<&str>,
    ) -> Result<Option<rigor_store::Baseline>, StoreError> {
        self.0.baseline(n, kind, s, k)
    }
    fn baselines(
        &self,
        kind: Option<RunKind>,
        s: Option<&str>,
    ) -> Result<Vec<rigor_store::Baseline>, StoreError> {
        self.0.baselines(kind, s)
    }
    fn baseline_names(&self) -> Result<Vec<String>, StoreError> {
        self.0.baseline_names()
    }
    fn record_gate(&mut self, r: &[rigor_store::GateRecord]) -> Result<(), StoreError> {
        self.0.record_gate(r)
    }
    fn append_samples(&mut self, run: i64, s: &[rigor_store::Sample]) -> Result<(), StoreError> {
        self.0.append_samples(run, s)
    }
    fn samples(&self, run: i64) -> Result<Vec<rigor_store::Sample>, StoreError> {
        self.0.samples(run)
    }
    fn save_profile(&mut self, run: i64, p: &rigor_store::ProfileRecord) -> Result<(), StoreError> {
        self.0.save_profile(run, p)
    }
    fn profiles(&self, run: i64) -> Result<Vec<rigor_store::ProfileRecord>, StoreError> {
        self.0.profiles(run)
    }
    fn append_bench_runs(&mut self, run: i64, r: &[BenchRun]) -> Result<(), StoreError> {
        self.0.append_bench_runs(run, r)
    }
    fn bench_runs(&self, run: i64) -> Result<Vec<BenchRun>, StoreError> {
        self.0.bench_runs(run)
    }
    fn rename_gate_check(&mut self, s: &str, f: &str, t: &str) -> Result<u64, StoreError> {
        self.0.rename_gate_check(s, f, t)
    }
    fn gate_history(
        &self,
        c: &str,
        s: &str,
        l: usize,
    ) -> Result<Vec<rigor_store::GateRecord>, StoreError> {
        self.0.gate_history(c, s, l)
    }
}

#[test]
fn writes_that_fail_are_counted_said_and_the_summary_saved_elsewhere() {
    let mut store = FullDisk(SqliteStore::in_memory().expect("store"));
    let mut recording = Recording::begin(&mut store, &new_run()).expect("begin");
    let id = recording.id();
    recording.windows(&[window(0)]);
    assert!(recording.has_lost_writes(), "noticed while the run goes");
    recording.windows(&[window(1)]);
    let lost = recording
        .finish(&RunEnd {
            status: RunStatus::Completed,
            reason: None,
            ended_at_ns: 2,
            summary: r#"{"total":{"requests":20}}"#,
            headline: RunHeadline::default(),
        })
        .expect_err("two windows were lost");
    assert_eq!((lost.run, lost.failed), (id, 2));
    let text = lost.to_string();
    assert!(text.contains("2 writes failed"), "{text}");
    assert!(text.contains("full-disk.db"), "{text}");
    let fallback = lost.fallback.clone().expect("a fallback file");
    assert!(text.contains(&fallback.display().to_string()), "{text}");
    // The fallback is a run store of its own: the run, its end, and the two windows.
    let saved = SqliteStore::open_for_reading(&fallback).expect("fallback readable");
    let runs = saved
        .runs(&rigor_store::RunFilter::default())
        .expect("runs");
    assert_eq!(runs.len(), 1);
    assert_eq!(
        runs[0].summary.as_deref(),
        Some(r#"{"total":{"requests":20}}"#)
    );
    assert_eq!(
        saved.windows(runs[0].id).expect("windows"),
        [window(0), window(1)]
    );
    drop(saved);
    let _ = std::fs::remove_file(fallback);
    // The run's end was stored all the same: it is not left running.
    assert_eq!(store.run(id).expect("run").status, RunStatus::Completed);
}
