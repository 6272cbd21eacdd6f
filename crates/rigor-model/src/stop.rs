//! The one stop signal every executor obeys: Ctrl-C or SIGTERM once asks for a graceful stop
//! (nothing new starts; what is in flight finishes), twice for an immediate one. Both keep
//! what was measured. The signal handler lives in the binary; executors only read the state.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

/// Whether and how a run should stop early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopState {
    Running,
    /// Stop starting work; let what is in flight finish within its grace period.
    Graceful,
    /// Stop now.
    Immediate,
}

/// A shared stop switch: the first request is graceful, the second immediate. Cloning shares
/// the switch.
#[derive(Debug, Clone, Default)]
pub struct StopHandle(Arc<AtomicU8>);

impl StopHandle {
    pub fn new() -> StopHandle {
        StopHandle::default()
    }

    /// Escalates: running → graceful → immediate. Returns the new state.
    pub fn escalate(&self) -> StopState {
        let previous = self
            .0
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |s| {
                Some((s + 1).min(2))
            })
            .unwrap_or(2);
        decode_state((previous + 1).min(2))
    }

    pub fn state(&self) -> StopState {
        decode_state(self.0.load(Ordering::Acquire))
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
}
