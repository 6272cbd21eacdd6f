//! The stop rule: how many timed runs a command gets, from the plan's [`RunCount`] and the
//! runs the command has had so far.

use std::time::Duration;

use crate::batch::Enough;
use crate::spec::RunCount;

/// A command's timed runs so far.
#[derive(Debug, Clone, Copy)]
pub(super) struct Done {
    pub runs: u64,
    /// Their wall time before any shell correction: what the rule counts.
    pub wall: Duration,
}

/// The stop rule, as a reading of the plan's [`RunCount`] (a model type, so the rule is a
/// trait here rather than methods on it).
pub(super) trait StopRule: Copy {
    fn enough(self, done: Done) -> Enough;
    fn most_runs_left(self, done: Done) -> u64;
    fn finished(self, done: Done) -> bool;
    fn target(self, done: Done) -> (u64, bool);
}

impl StopRule for RunCount {
    /// The rule for the next batch, counted from where the command stands.
    fn enough(self, done: Done) -> Enough {
        match self {
            RunCount::Fixed { runs } => {
                let left = runs.saturating_sub(done.runs);
                Enough {
                    runs: left,
                    wall: Duration::ZERO,
                    max_runs: Some(left),
                }
            }
            RunCount::Auto {
                min_runs,
                min_time,
                max_runs,
            } => Enough {
                runs: min_runs.saturating_sub(done.runs),
                wall: min_time.saturating_sub(done.wall),
                max_runs: max_runs.map(|max| max.saturating_sub(done.runs)),
            },
        }
    }

    /// The most timed runs a command can still get (`u64::MAX` when only time limits it).
    fn most_runs_left(self, done: Done) -> u64 {
        match self {
            RunCount::Fixed { runs } => runs.saturating_sub(done.runs),
            RunCount::Auto {
                max_runs: Some(max),
                ..
            } => max.saturating_sub(done.runs),
            RunCount::Auto { .. } => u64::MAX,
        }
    }

    fn finished(self, done: Done) -> bool {
        match self {
            RunCount::Fixed { runs } => done.runs >= runs,
            RunCount::Auto {
                min_runs,
                min_time,
                max_runs,
            } => {
                max_runs.is_some_and(|max| done.runs >= max)
                    || (done.runs >= min_runs && done.wall >= min_time)
            }
        }
    }

    /// The runs a command will get, and whether that is an estimate: exact for a fixed count;
    /// for minimum runs plus minimum time, the runs its mean pace needs to fill the time,
    /// within the bounds.
    fn target(self, done: Done) -> (u64, bool) {
        match self {
            RunCount::Fixed { runs } => (runs, false),
            RunCount::Auto {
                min_runs,
                min_time,
                max_runs,
            } => {
                let by_time = if done.runs == 0 || done.wall.is_zero() {
                    min_runs
                } else {
                    let per_run = done.wall.as_secs_f64() / done.runs as f64;
                    (min_time.as_secs_f64() / per_run).ceil() as u64
                };
                let mut target = by_time.max(min_runs);
                if let Some(max) = max_runs {
                    target = target.min(max);
                }
                let at_least = if self.finished(done) {
                    done.runs
                } else {
                    done.runs + 1
                };
                (target.max(at_least), true)
            }
        }
    }
}
