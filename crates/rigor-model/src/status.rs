//! How a run ended, and what each ending means for the exit code. Defined once here and used
//! by every command: a run is only ever `passed` when something judged it and it held.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Exit codes, defined once: what the process returns for each way a command can end.
pub mod exit_code {
    /// Every threshold, budget or rule that judged the run held (or a command that judges
    /// nothing did what it was asked).
    pub const PASSED: u8 = 0;
    /// A threshold, budget or rule failed.
    pub const FAILED: u8 = 1;
    /// Bad input or usage: a malformed plan, flag or argument.
    pub const BAD_INPUT: u8 = 2;
    /// The run could not be completed, or its figures cannot be trusted.
    pub const NOT_COMPLETED: u8 = 3;
    /// Stopped by Ctrl-C or SIGTERM; what was measured is kept.
    pub const INTERRUPTED: u8 = 130;
}

/// What kind of run a stored run is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RunKind {
    /// An HTTP load test (`rigor load`, a plan's scenario).
    Load,
    /// A command benchmark (`rigor bench`, a plan's `[[bench]]`, an import from hyperfine).
    Bench,
    /// Figures brought in from another tool or a CSV history (`rigor import csv|k6|wrk|criterion`):
    /// values by their source's names, most without samples.
    Imported,
    /// A range of a real monitoring system's series (`rigor import prometheus`): production's
    /// figures, each query a value with its points as samples.
    Telemetry,
}

impl RunKind {
    pub const ALL: [RunKind; 4] = [
        RunKind::Load,
        RunKind::Bench,
        RunKind::Imported,
        RunKind::Telemetry,
    ];

    /// Whether its figures are named columns (an imported summary), not rigor's own metrics.
    pub fn holds_columns(self) -> bool {
        matches!(self, RunKind::Imported | RunKind::Telemetry)
    }

    /// The word stored and printed for this kind.
    pub fn as_str(self) -> &'static str {
        match self {
            RunKind::Load => "load",
            RunKind::Bench => "bench",
            RunKind::Imported => "imported",
            RunKind::Telemetry => "telemetry",
        }
    }

    pub fn parse(text: &str) -> Option<RunKind> {
        RunKind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

impl std::fmt::Display for RunKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a run ended. Each status but `running`, `completed` and `passed` comes with a reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Still going (its owner process is alive).
    Running,
    /// Finished and measured; nothing (no threshold) judged it.
    Completed,
    /// Finished, and every threshold that judged it held.
    Passed,
    /// Finished, and at least one threshold, budget or rule failed.
    Failed,
    /// Finished, but the measurement cannot be trusted: the generator could not hold its
    /// schedule, so the figures are partly the generator's.
    Invalid,
    /// The system under test died, stopped answering, or answered nothing but errors: the run
    /// measured the failure, not the target.
    TargetFailed,
    /// Stopped by Ctrl-C or SIGTERM; what was measured is kept.
    Interrupted,
    /// Could not run (an unreachable target, a command that cannot start, a store error).
    Aborted,
    /// The process recording it died (SIGKILL, power loss): found later, summarised from what
    /// it had stored.
    Crashed,
}

impl RunStatus {
    pub const ALL: [RunStatus; 9] = [
        RunStatus::Running,
        RunStatus::Completed,
        RunStatus::Passed,
        RunStatus::Failed,
        RunStatus::Invalid,
        RunStatus::TargetFailed,
        RunStatus::Interrupted,
        RunStatus::Aborted,
        RunStatus::Crashed,
    ];

    /// The word stored and printed for this status.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Completed => "completed",
            RunStatus::Passed => "passed",
            RunStatus::Failed => "failed",
            RunStatus::Invalid => "invalid",
            RunStatus::TargetFailed => "target_failed",
            RunStatus::Interrupted => "interrupted",
            RunStatus::Aborted => "aborted",
            RunStatus::Crashed => "crashed",
        }
    }

    pub fn parse(text: &str) -> Option<RunStatus> {
        RunStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The exit code a command that made (or re-reads) a run with this status returns.
    pub fn exit_code(self) -> u8 {
        match self {
            RunStatus::Completed | RunStatus::Passed => exit_code::PASSED,
            RunStatus::Failed => exit_code::FAILED,
            RunStatus::Interrupted => exit_code::INTERRUPTED,
            RunStatus::Running
            | RunStatus::Invalid
            | RunStatus::TargetFailed
            | RunStatus::Aborted
            | RunStatus::Crashed => exit_code::NOT_COMPLETED,
        }
    }

    /// Whether the run reached its planned end (its figures are whole, though they may be
    /// judged failed or untrustworthy).
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            RunStatus::Completed
                | RunStatus::Passed
                | RunStatus::Failed
                | RunStatus::Invalid
                | RunStatus::TargetFailed
        )
    }

    /// Whether its figures may serve as a baseline or a side of a comparison without a
    /// warning: it ended as planned and what it measured was the target.
    pub fn is_trustworthy(self) -> bool {
        matches!(
            self,
            RunStatus::Completed | RunStatus::Passed | RunStatus::Failed
        )
    }
}

impl std::fmt::Display for RunStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_reads_back_from_its_word() {
        for status in RunStatus::ALL {
            assert_eq!(RunStatus::parse(status.as_str()), Some(status));
            let json = serde_json::to_string(&status).expect("serialises");
            assert_eq!(json, format!("\"{}\"", status.as_str()));
        }
        for kind in RunKind::ALL {
            assert_eq!(RunKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(RunStatus::parse("PASSED"), None);
    }

    #[test]
    fn only_a_judged_and_held_or_unjudged_run_exits_zero() {
        let zero: Vec<RunStatus> = RunStatus::ALL
            .into_iter()
            .filter(|s| s.exit_code() == 0)
            .collect();
        assert_eq!(zero, [RunStatus::Completed, RunStatus::Passed]);
        assert_eq!(
            RunStatus::TargetFailed.exit_code(),
            exit_code::NOT_COMPLETED
        );
        assert_eq!(RunStatus::Crashed.exit_code(), exit_code::NOT_COMPLETED);
        assert_eq!(RunStatus::Interrupted.exit_code(), exit_code::INTERRUPTED);
    }
}
