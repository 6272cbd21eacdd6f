//! The shell's start-up cost: measured before the benchmark when commands run through a
//! shell, and subtracted from every timed run.

use std::time::Duration;

use super::{BenchError, Phase, Runner, Step};
use crate::executor::Measurement;
use crate::result::ShellOverhead;
use crate::spec::Invocation;
use crate::stats::{mean, sample_stddev};

/// Untimed runs of the empty shell before the calibration runs, so that the shell binary is
/// in the page cache when it is measured.
pub const CALIBRATION_WARMUP: u64 = 3;

impl Runner<'_> {
    /// Measures the shell's start-up cost, when there is one to subtract.
    pub(super) fn calibrate(&mut self) -> Result<(Option<ShellOverhead>, Step), BenchError> {
        let Some(calibration) = &self.plan.calibration else {
            return Ok((None, Step::Ran));
        };
        let shell = match &calibration.command.invocation {
            Invocation::Shell { shell, .. } => shell.clone(),
            Invocation::Direct { program, .. } => program.clone(),
        };
        let phase_start = self.clock.now();
        let mut measured = Vec::new();
        for i in 0..CALIBRATION_WARMUP + calibration.runs {
            if self.stopped() {
                return Ok((None, Step::Interrupted));
            }
            let m = self.executor.run(&calibration.command)?;
            if !m.succeeded() {
                return Err(BenchError::ShellFailed {
                    shell,
                    exit: m.describe_exit(),
                });
            }
            if i >= CALIBRATION_WARMUP {
                measured.push(m);
                let done = measured.len() as u64;
                self.report(
                    Phase::Calibration,
                    0,
                    (done, calibration.runs),
                    false,
                    (done, calibration.runs),
                    phase_start,
                );
            }
        }
        let nanos = |f: fn(&Measurement) -> Duration| -> Vec<f64> {
            measured.iter().map(|m| f(m).as_nanos() as f64).collect()
        };
        let to_duration = |v: Option<f64>| Duration::from_nanos(v.unwrap_or(0.0).round() as u64);
        let walls = nanos(|m| m.wall);
        Ok((
            Some(ShellOverhead {
                shell,
                runs: calibration.runs,
                wall_mean: to_duration(mean(&walls)),
                wall_stddev: to_duration(sample_stddev(&walls)),
                user_mean: to_duration(mean(&nanos(|m| m.user))),
                system_mean: to_duration(mean(&nanos(|m| m.system))),
                subtracted: true,
                clamped_runs: 0,
            }),
            Step::Ran,
        ))
    }

    /// Subtracts the shell's mean start-up cost, clamping at zero.
    pub(super) fn correct(
        &self,
        raw: Measurement,
        shell: Option<&mut ShellOverhead>,
    ) -> Measurement {
        let Some(shell) = shell.filter(|s| s.subtracted) else {
            return raw;
        };
        if raw.wall < shell.wall_mean {
            shell.clamped_runs += 1;
        }
        Measurement {
            wall: raw.wall.saturating_sub(shell.wall_mean),
            user: raw.user.saturating_sub(shell.user_mean),
            system: raw.system.saturating_sub(shell.system_mean),
            ..raw
        }
    }
}
