//! Several writers on one store at once: every run and window must survive.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Barrier};

use common::{histogram, new_run, window};
use rigor_store::RunKind;
use rigor_store::{RunFilter, RunStatus, SqliteStore, Store};

/// Writes `count` complete runs of scenario `writer` the way a load run does: begin, windows
/// in two flushes, histograms, finish.
fn write_runs(store: &mut SqliteStore, writer: &str, count: i64) {
    for i in 0..count {
        let id = store
            .begin_run(&new_run(writer, RunKind::Load, i))
            .expect("begin run");
        store
            .append_windows(id, &[window(0, "ramp"), window(1, "ramp")])
            .expect("first windows");
        store
            .append_windows(id, &[window(2, "steady"), window(3, "steady")])
            .expect("second windows");
        store
            .save_histograms(id, &[histogram("run", "all", "corrected", &[i as u8])])
            .expect("histograms");
        store
            .finish_run(id, &common::end(RunStatus::Passed, None, i + 1, "{}"))
            .expect("finish run");
    }
}

/// Checks that every writer's runs are all there, finished, with all their windows.
fn assert_all_runs_kept(path: &Path, writers: &[&str], per_writer: usize) {
    let store = SqliteStore::open(path).expect("reopen");
    let all = store.runs(&RunFilter::default()).expect("runs");
    assert_eq!(all.len(), writers.len() * per_writer);
    for writer in writers {
        let filter = RunFilter {
            scenario: Some(writer.to_string()),
            ..RunFilter::default()
        };
        let runs = store.runs(&filter).expect("runs of one writer");
        assert_eq!(runs.len(), per_writer, "runs of {writer}");
        for run in runs {
            assert_eq!(run.status, RunStatus::Passed, "run {}", run.id);
            assert_eq!(
                store.windows(run.id).expect("windows").len(),
                4,
                "run {}",
                run.id
            );
            assert_eq!(store.histograms(run.id).expect("histograms").len(), 1);
        }
    }
}

#[test]
fn two_threads_writing_one_store_keep_all_runs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(".rigor").join("rigor.db");
    // Both open a store that does not exist yet at the same moment, so creating the schema
    // races too.
    let start = Arc::new(Barrier::new(2));
    let writers: Vec<_> = ["thread-a", "thread-b"]
        .into_iter()
        .map(|writer| {
            let path = path.clone();
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                start.wait();
                let mut store = SqliteStore::open(&path).expect("open");
                write_runs(&mut store, writer, 50);
            })
        })
        .collect();
    for writer in writers {
        writer.join().expect("writer thread");
    }
    assert_all_runs_kept(&path, &["thread-a", "thread-b"], 50);
}

const CHILD_STORE: &str = "RIGOR_STORE_TEST_CHILD_STORE";
const CHILD_NAME: &str = "RIGOR_STORE_TEST_CHILD_NAME";

/// Not a test on its own: the body of the child processes of
/// `two_processes_writing_one_store_keep_all_runs`, which runs this test binary again with
/// the store's path in the environment.
#[test]
fn child_process_writer() {
    let (Some(path), Some(name)) = (
        std::env::var_os(CHILD_STORE),
        std::env::var(CHILD_NAME).ok(),
    ) else {
        return;
    };
    let mut store = SqliteStore::open(Path::new(&path)).expect("open in child");
    write_runs(&mut store, &name, 25);
}

#[test]
fn two_processes_writing_one_store_keep_all_runs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("rigor.db");
    let me = std::env::current_exe().expect("path of the test binary");
    let children: Vec<_> = ["process-a", "process-b"]
        .into_iter()
        .map(|name| {
            Command::new(&me)
                .args(["--exact", "child_process_writer", "--test-threads=1"])
                .env(CHILD_STORE, &path)
                .env(CHILD_NAME, name)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn child writer")
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().expect("wait for child writer");
        assert!(
            output.status.success(),
            "child writer failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    assert_all_runs_kept(&path, &["process-a", "process-b"], 25);
}
