//! Runs an executor carries out back to back, without a round trip to the benchmark loop
//! between them.
//!
//! The loop decides which runs come next (commands in their round order) and hands a
//! [`Batch`] of them to the executor. The executor runs them in order and stops on its own
//! when a command has had enough (the loop's stop rule, passed as [`Enough`]), when a run
//! fails and failures stop the benchmark, when the batch has spent its time budget, or when
//! it is interrupted. The loop then takes every finished run as if it had asked for it alone.
//!
//! For the spawn server this is the difference between one request per run and one per
//! tenth of a second: a request costs two process wake-ups, about as much as spawning `true`
//! costs hyperfine per run. [`run_batch`] is the one implementation of a batch: executors
//! that run in-process use it directly and the spawn server runs it in the helper.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::executor::{ExecError, Executor, Measurement};
use crate::result::nanos;
use crate::spec::CommandSpec;

/// Runs to carry out in order, and when to stop early.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Batch {
    pub runs: Vec<PlannedRun>,
    /// Per command (by index), when it has had enough runs in this batch; `None` runs every
    /// planned run of it.
    pub enough: Vec<Option<Enough>>,
    /// Whether a failed run (non-zero exit) ends the batch.
    pub stop_at_failure: bool,
    /// No new run starts once the batch's runs add up to this much wall time.
    #[serde(with = "nanos", rename = "budget_ns")]
    pub budget: Duration,
}

/// One run of command `command` (an index into the batch's commands) in round `round`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedRun {
    pub round: u64,
    pub command: usize,
}

/// A command's stop rule, counted from the start of the batch: it has had enough once it
/// has `max_runs` runs, or at least `runs` runs that add up to at least `wall`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enough {
    pub runs: u64,
    #[serde(with = "nanos", rename = "wall_ns")]
    pub wall: Duration,
    pub max_runs: Option<u64>,
}

impl Enough {
    pub fn reached(&self, runs: u64, wall: Duration) -> bool {
        self.max_runs.is_some_and(|max| runs >= max) || (runs >= self.runs && wall >= self.wall)
    }
}

/// One finished run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchRun {
    pub round: u64,
    pub command: usize,
    pub measurement: Measurement,
}

/// The runs a batch finished, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchOutcome {
    pub runs: Vec<BatchRun>,
    /// Whether it stopped because it was interrupted (the last run may have failed because
    /// the command got the same signal).
    pub interrupted: bool,
}

/// Carries out `batch` on `executor`, one run at a time; `stop` is checked before every run
/// and after a failed one.
pub fn run_batch<E: Executor + ?Sized>(
    executor: &mut E,
    commands: &[CommandSpec],
    batch: &Batch,
    stop: &dyn Fn() -> bool,
) -> Result<BatchOutcome, ExecError> {
    if let Some(bad) = batch.runs.iter().find(|r| r.command >= commands.len()) {
        return Err(ExecError::InvalidBatch(format!(
            "run of command {} planned, but there are only {} commands",
            bad.command,
            commands.len()
        )));
    }
    let mut done = vec![(0u64, Duration::ZERO); commands.len()];
    let mut spent = Duration::ZERO;
    let mut outcome = BatchOutcome::default();
    for planned in &batch.runs {
        if stop() {
            outcome.interrupted = true;
            break;
        }
        if spent >= batch.budget && !outcome.runs.is_empty() {
            break;
        }
        let (runs, wall) = done[planned.command];
        let enough = batch.enough.get(planned.command).copied().flatten();
        if enough.is_some_and(|e| e.reached(runs, wall)) {
            continue;
        }
        let measurement = executor.run(&commands[planned.command])?;
        done[planned.command] = (runs + 1, wall + measurement.wall);
        spent += measurement.wall;
        outcome.runs.push(BatchRun {
            round: planned.round,
            command: planned.command,
            measurement,
        });
        if !measurement.succeeded() {
            if stop() {
                outcome.interrupted = true;
                break;
            }
            if batch.stop_at_failure {
                break;
            }
        }
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BenchSpec, FakeExecutor};

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    fn commands(names: &[&str]) -> Vec<CommandSpec> {
        let plan = BenchSpec::new(names.iter().copied()).resolve().unwrap();
        plan.commands.into_iter().map(|p| p.command).collect()
    }

    fn planned(rounds: u64, commands: usize) -> Vec<PlannedRun> {
        (0..rounds)
            .flat_map(|round| (0..commands).map(move |command| PlannedRun { round, command }))
            .collect()
    }

    #[test]
    fn runs_in_order_until_a_command_has_enough() {
        let commands = commands(&["a", "b"]);
        let mut fake = FakeExecutor::new(|c, _| {
            Ok(Measurement::from_wall(if c.name == "a" {
                ms(1)
            } else {
                ms(5)
            }))
        });
        let enough = Enough {
            runs: 2,
            wall: ms(12),
            max_runs: None,
        };
        let batch = Batch {
            runs: planned(10, 2),
            enough: vec![Some(enough), Some(enough)],
            stop_at_failure: true,
            budget: ms(1000),
        };
        let outcome = run_batch(&mut fake, &commands, &batch, &|| false).unwrap();
        // b has enough after 3 runs (15 ms), a after 12 runs, but only 10 rounds were planned.
        let a = outcome.runs.iter().filter(|r| r.command == 0).count();
        let b = outcome.runs.iter().filter(|r| r.command == 1).count();
        assert_eq!((a, b), (10, 3));
        assert_eq!(outcome.runs[5].round, 2);
        assert!(!outcome.interrupted);
    }

    #[test]
    fn the_budget_ends_a_batch_between_runs() {
        let commands = commands(&["a"]);
        let mut fake = FakeExecutor::constant(ms(30));
        let batch = Batch {
            runs: planned(10, 1),
            enough: vec![None],
            stop_at_failure: true,
            budget: ms(100),
        };
        let outcome = run_batch(&mut fake, &commands, &batch, &|| false).unwrap();
        assert_eq!(
            outcome.runs.len(),
            4,
            "the run that crosses 100 ms still counts"
        );
        // A single run longer than the budget still runs.
        let batch = Batch {
            budget: ms(1),
            ..batch
        };
        assert_eq!(
            run_batch(&mut fake, &commands, &batch, &|| false)
                .unwrap()
                .runs
                .len(),
            1
        );
    }

    #[test]
    fn a_failure_or_a_stop_ends_the_batch() {
        let commands = commands(&["a"]);
        let mut fake = FakeExecutor::new(|_, before| {
            Ok(Measurement {
                exit_code: Some(i32::from(before == 2)),
                ..Measurement::from_wall(ms(1))
            })
        });
        let batch = Batch {
            runs: planned(10, 1),
            enough: vec![None],
            stop_at_failure: true,
            budget: ms(1000),
        };
        let outcome = run_batch(&mut fake, &commands, &batch, &|| false).unwrap();
        assert_eq!(outcome.runs.len(), 3);
        assert!(!outcome.runs[2].measurement.succeeded());

        let batch = Batch {
            stop_at_failure: false,
            ..batch
        };
        let outcome = run_batch(&mut fake, &commands, &batch, &|| false).unwrap();
        assert_eq!(outcome.runs.len(), 10);

        let outcome = run_batch(&mut fake, &commands, &batch, &|| true).unwrap();
        assert!(outcome.interrupted && outcome.runs.is_empty());
    }

    #[test]
    fn a_run_of_a_command_that_does_not_exist_is_refused() {
        let commands = commands(&["a"]);
        let batch = Batch {
            runs: planned(1, 2),
            enough: Vec::new(),
            stop_at_failure: true,
            budget: ms(1),
        };
        let error = run_batch(
            &mut FakeExecutor::constant(ms(1)),
            &commands,
            &batch,
            &|| false,
        )
        .unwrap_err();
        assert!(error.to_string().contains("only 1 commands"), "{error}");
    }
}
