//! Builders shared by the store's integration tests.
#![allow(dead_code)]

use rigor_store::{HistogramRecord, NewRun, RunId, RunKind, RunStatus, Store, StoredWindow};

pub fn new_run(scenario: &str, kind: RunKind, started_at_ns: i64) -> NewRun {
    NewRun {
        kind,
        scenario: scenario.to_string(),
        plan: format!("[[scenario]]\nname = \"{scenario}\"\n"),
        started_at_ns,
        environment: r#"{"cores":2,"kernel":"6.1"}"#.to_string(),
        git_commit: Some("1232b26".to_string()),
        owner: None,
    }
}

pub fn window(second: u32, phase: &str) -> StoredWindow {
    StoredWindow {
        second,
        phase: phase.to_string(),
        requests: 100 + u64::from(second),
        errors: u64::from(second % 3),
        sent: 101 + u64::from(second),
        // Arbitrary bytes, including a NUL and non-UTF-8: the store must keep them as they are.
        corrected: vec![0x1c, 0x84, 0x93, 0x00, 0xff, second as u8],
        raw: vec![0x1c, 0x84, 0x93, 0x01, second as u8],
        // Every other second has its slowest requests; the rest have none (stored as NULL).
        slowest: if second.is_multiple_of(2) {
            format!(r#"[{{"request":"r","latency_ns":{second}}}]"#)
        } else {
            String::new()
        },
        // Every third second has journeys; the rest have none (stored as NULL).
        journeys: if second.is_multiple_of(3) {
            format!(r#"{{"started":{second},"completed":1,"failed_at":[0,2]}}"#)
        } else {
            String::new()
        },
        journey_duration: if second.is_multiple_of(3) {
            vec![0x1c, 0x00, second as u8]
        } else {
            Vec::new()
        },
    }
}

pub fn histogram(scope: &str, name: &str, kind: &str, data: &[u8]) -> HistogramRecord {
    HistogramRecord {
        scope: scope.to_string(),
        name: name.to_string(),
        kind: kind.to_string(),
        data: data.to_vec(),
    }
}

/// Begins a run and finishes it as passed; returns its id.
pub fn finished_run(
    store: &mut impl Store,
    scenario: &str,
    kind: RunKind,
    started_at_ns: i64,
) -> RunId {
    let id = store
        .begin_run(&new_run(scenario, kind, started_at_ns))
        .expect("begin");
    store
        .finish_run(id, &end(RunStatus::Passed, None, started_at_ns + 1, "{}"))
        .expect("finish");
    id
}

/// A run's end with no headline figures, as most tests record it.
pub fn end<'a>(
    status: rigor_store::RunStatus,
    reason: Option<&'a str>,
    ended_at_ns: i64,
    summary: &'a str,
) -> rigor_store::RunEnd<'a> {
    rigor_store::RunEnd {
        status,
        reason,
        ended_at_ns,
        summary,
        headline: rigor_store::RunHeadline::default(),
    }
}
