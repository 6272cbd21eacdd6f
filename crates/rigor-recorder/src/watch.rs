//! Noticing, while a run goes, that the system under test has failed: its process exited, or
//! it stopped accepting connections after it had answered. Either stops the run within about a
//! second (what was measured is kept) and makes its status `target_failed` — a run that went
//! on measuring refused connections would only measure the failure. A target rigor started
//! also says how it ended (exit code or signal) and what it printed last.

use rigor_load::recorder::ErrorKind;
use rigor_load::Window;
use rigor_model::output::TargetExit;
use rigor_probe::TargetHandle;

/// How much of a failed target's output a run keeps.
const OUTPUT_KEPT: u64 = 16 * 1024;

/// Watches one run's target.
pub(crate) struct TargetWatch {
    pid: Option<u32>,
    handle: Option<TargetHandle>,
    answered: bool,
    ended: Option<Ended>,
}

/// What a failed target left.
#[derive(Debug, Clone, Default)]
pub(crate) struct Ended {
    pub exit: Option<TargetExit>,
    pub output: Option<String>,
}

impl TargetWatch {
    pub(crate) fn new(pid: Option<u32>, handle: Option<TargetHandle>) -> TargetWatch {
        TargetWatch {
            pid: handle.as_ref().map(TargetHandle::pid).or(pid),
            handle,
            answered: false,
            ended: None,
        }
    }

    /// How the target failed, once [`TargetWatch::failed`] has said it did.
    pub(crate) fn ended(&self) -> Option<Ended> {
        self.ended.clone()
    }

    /// Looks at one finished second; `Some(reason)` when the target has failed.
    pub(crate) fn failed(&mut self, window: &Window) -> Option<String> {
        if self.ended.is_some() {
            return None;
        }
        let second = window.second;
        if let Some(reason) = self.exited(second) {
            return Some(reason);
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
            self.ended = Some(Ended {
                exit: None,
                output: self.output(),
            });
            return Some(format!(
                "the target stopped accepting connections at second {second}: all {requests} requests of that second were refused after it had answered; what was measured until then is kept"
            ));
        }
        None
    }

    /// Whether the target's process has ended, with how.
    fn exited(&mut self, second: u32) -> Option<String> {
        let pid = self.pid?;
        let status = self.handle.as_ref().and_then(TargetHandle::exited);
        if status.is_none() && rigor_probe::sampler::is_running(pid) {
            return None;
        }
        let exit = status.map(|status| {
            let (code, signal, text) = rigor_probe::describe_exit(status);
            TargetExit {
                second,
                code,
                signal,
                status: text,
            }
        });
        let how = exit
            .as_ref()
            .map_or_else(String::new, |e| format!(" ({})", e.status));
        let output = self.output();
        let said = match output.as_deref().and_then(|o| o.lines().last()) {
            Some(line) => format!("; its last line: {line}"),
            None => String::new(),
        };
        self.ended = Some(Ended { exit, output });
        Some(format!(
            "the target (process {pid}) exited during the run{how}, at second {second}; what was measured until then is kept{said}"
        ))
    }

    fn output(&self) -> Option<String> {
        self.handle
            .as_ref()
            .map(|h| h.output_tail(OUTPUT_KEPT))
            .filter(|o| !o.trim().is_empty())
    }
}
