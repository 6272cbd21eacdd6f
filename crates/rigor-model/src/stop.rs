//! The one stop signal every executor obeys: Ctrl-C or SIGTERM once asks for a graceful stop
//! (nothing new starts; what is in flight finishes), twice for an immediate one. Both keep
//! what was measured. The signal handler lives in the binary; executors only read the state.
//!
//! A run can also be stopped for a reason of its own (the target died): a [`StopHandle::child`]
//! of the process's handle stops when its parent does, and can be stopped alone with
//! [`StopHandle::stop_because`], which the caller reads back to tell "interrupted" from
//! "the target failed".

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

/// Whether and how a run should stop early.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum StopState {
    Running,
    /// Stop starting work; let what is in flight finish within its grace period.
    Graceful,
    /// Stop now.
    Immediate,
}

#[derive(Debug, Default)]
struct Shared {
    state: AtomicU8,
    reason: Mutex<Option<String>>,
    parent: Option<StopHandle>,
}

/// A shared stop switch: the first request is graceful, the second immediate. Cloning shares
/// the switch.
#[derive(Debug, Clone, Default)]
pub struct StopHandle(Arc<Shared>);

impl StopHandle {
    pub fn new() -> StopHandle {
        StopHandle::default()
    }

    /// A handle that stops when this one does, and can also be stopped on its own.
    pub fn child(&self) -> StopHandle {
        StopHandle(Arc::new(Shared {
            parent: Some(self.clone()),
            ..Shared::default()
        }))
    }

    /// Escalates: running → graceful → immediate. Returns the new state.
    pub fn escalate(&self) -> StopState {
        let previous = self
            .0
            .state
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |s| {
                Some((s + 1).min(2))
            })
            .unwrap_or(2);
        decode_state((previous + 1).min(2))
    }

    /// Stops now, for `reason` (the first reason given is kept).
    pub fn stop_because(&self, reason: impl Into<String>) {
        if let Ok(mut slot) = self.0.reason.lock() {
            slot.get_or_insert_with(|| reason.into());
        }
        self.0.state.store(2, Ordering::Release);
    }

    /// Why this handle itself was stopped with [`StopHandle::stop_because`], if it was.
    pub fn reason(&self) -> Option<String> {
        self.0.reason.lock().ok().and_then(|r| r.clone())
    }

    pub fn state(&self) -> StopState {
        let own = decode_state(self.0.state.load(Ordering::Acquire));
        match &self.0.parent {
            Some(parent) => own.max(parent.state()),
            None => own,
        }
    }

    /// Whether any stop (graceful or immediate) was asked for.
    pub fn is_stopping(&self) -> bool {
        self.state() != StopState::Running
    }
}

fn decode_state(v: u8) -> StopState {
    match v {
        0 => StopState::Running,
        1 => StopState::Graceful,
        _ => StopState::Immediate,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escalates_once_per_request_and_stays_immediate() {
        let stop = StopHandle::new();
        let shared = stop.clone();
        assert!(!stop.is_stopping());
        assert_eq!(shared.escalate(), StopState::Graceful);
        assert!(stop.is_stopping());
        assert_eq!(stop.escalate(), StopState::Immediate);
        assert_eq!(stop.escalate(), StopState::Immediate);
        assert_eq!(shared.state(), StopState::Immediate);
    }

    #[test]
    fn a_child_follows_its_parent_and_keeps_its_own_reason() {
        let process = StopHandle::new();
        let run = process.child();
        run.stop_because("the target exited");
        run.stop_because("later reasons are not kept");
        assert_eq!(run.state(), StopState::Immediate);
        assert_eq!(run.reason().as_deref(), Some("the target exited"));
        assert!(!process.is_stopping(), "the next run is not stopped");
        let next = process.child();
        process.escalate();
        assert_eq!(next.state(), StopState::Graceful);
        assert_eq!(next.reason(), None, "a signal is not the run's own reason");
    }
}
