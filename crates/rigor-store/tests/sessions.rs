//! Tuning sessions kept in a real SQLite file: one open per directory, names unique, the whole
//! state read back as it was saved, and kept when the store is opened again.

use rigor_model::tune::{Hypothesis, Session, SessionState};
use rigor_store::{SqliteStore, Store, StoreError};

fn session(name: &str, dir: &str) -> Session {
    Session {
        name: name.into(),
        plan_dir: dir.into(),
        goal: Some("latency.p95 < 120ms".into()),
        ..Session::default()
    }
}

#[test]
fn one_session_is_open_per_directory_and_its_state_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rigor.db");
    let mut store = SqliteStore::open(&path).unwrap();
    let id = store.create_session(&session("speed-up", "/p"), 1).unwrap();
    let mut s = store.find_session("speed-up").unwrap();
    assert_eq!((s.id, s.state), (id, SessionState::Open));
    // Another in the same directory is refused while it is open; elsewhere it is fine.
    let e = store
        .create_session(&session("again", "/p"), 2)
        .unwrap_err();
    assert!(matches!(e, StoreError::SessionOpen { .. }), "{e}");
    assert!(e.to_string().contains("`speed-up`"), "{e}");
    let other = store
        .create_session(&session("elsewhere", "/q"), 3)
        .unwrap();
    let e = store
        .create_session(&session("elsewhere", "/r"), 4)
        .unwrap_err();
    assert!(matches!(e, StoreError::SessionName { .. }), "{e}");
    // The whole state is kept.
    s.hypotheses.push(Hypothesis {
        id: 1,
        text: "cache the product list".into(),
        gain: 4,
        effort: 2,
        ..Hypothesis::default()
    });
    s.state = SessionState::Blocked;
    store.save_session(&s, 5).unwrap();
    drop(store);
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.current_session("/p").unwrap().as_ref(), Some(&s));
    assert_eq!(
        store.find_session(&other.to_string()).unwrap().name,
        "elsewhere"
    );
    let all: Vec<String> = store
        .sessions(None)
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(all, ["speed-up", "elsewhere"]);
    let e = store.find_session("nope").unwrap_err();
    assert!(e.to_string().contains("no tuning session `nope`"), "{e}");
    // Once it is closed, the directory may start another; the closed one stays listed.
    let mut store = store;
    s.state = SessionState::Aborted;
    store.save_session(&s, 6).unwrap();
    store.create_session(&session("second", "/p"), 7).unwrap();
    assert_eq!(store.current_session("/p").unwrap().unwrap().name, "second");
    assert_eq!(store.sessions(Some("/p")).unwrap().len(), 2);
}
