//! Noticing, while a run goes, that the system under test has failed: its process exited, or
//! it stopped accepting connections after it had answered. Either stops the run within about a
//! second (what was measured is kept) and makes its status `target_failed` — a run that went
//! on measuring refused connections would only measure the failure.

use rigor_load::recorder::ErrorKind;
use rigor_load::Window;

/// Watches one run's target.
pub(crate) struct TargetWatch {
    pid: Option<u32>,
    answered: bool,
}

impl TargetWatch {
    pub(crate) fn new(pid: Option<u32>) -> TargetWatch {
        TargetWatch {
            pid,
            answered: false,
        }
    }

    /// Looks at one finished second; `Some(reason)` when the target has failed.
    pub(crate) fn failed(&mut self, window: &Window) -> Option<String> {
        if let Some(pid) = self.pid {
            if !rigor_probe::sampler::is_running(pid) {
                return Some(format!(
                    "the target (process {pid}) exited during the run, at second {}; what was measured until then is kept",
                    window.second
                ));
            }
        }
        let (mut requests, mut responses, mut refused) = (0u64, 0u64, 0u64);
        for part in window.parts.values() {
            let group = &part.group;
            requests += group.requests;
            responses += group.statuses.values().sum::<u64>();
            refused += group
                .by_kind
                .iter()
                .filter(|(k, _)| matches!(k, ErrorKind::ConnectRefused | ErrorKind::ConnectError))
                .map(|(_, n)| n)
                .sum::<u64>();
        }
        if responses > 0 {
            self.answered = true;
            return None;
        }
        if self.answered && requests > 0 && refused == requests {
            return Some(format!(
                "the target stopped accepting connections at second {}: all {requests} requests of that second were refused after it had answered; what was measured until then is kept",
                window.second
            ));
        }
        None
    }
}
