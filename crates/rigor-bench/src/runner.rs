//! The benchmark loop: one driver for calibration, warm-up and timed runs.
//!
//! Order of events: measure the shell (if any) → every command's setup hook → warm-up rounds
//! → timed rounds → every command's cleanup hook. In each round every command that still
//! needs runs gets exactly one, in command order or a seeded random order, and each run is
//! wrapped in the prepare and conclude hooks. A command leaves the rounds once its stop rule
//! holds, so commands of very different speeds each get their own number of runs.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::analysis::analyze;
use crate::clock::{Clock, MonotonicClock};
use crate::executor::{describe_exit, ExecError, Executor, HookOutput, Measurement};
use crate::result::{
    BenchResult, CommandResult, ParameterValue, RunRecord, ShellOverhead, Warning, WarningKind,
    BENCH_SCHEMA_VERSION,
};
use crate::spec::{BenchPlan, CommandSpec, Invocation, Order, PlannedCommand, RunCount};
use crate::stats::{mean, sample_stddev};

/// Untimed runs of the empty shell before the calibration runs, so that the shell binary is
/// in the page cache when it is measured.
pub const CALIBRATION_WARMUP: u64 = 3;

/// Which part of the benchmark a [`Progress`] report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Measuring the shell's start-up cost.
    Calibration,
    Warmup,
    Timed,
}

/// Reported after every finished run, for a progress line.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub phase: Phase,
    /// Index into the plan's commands (0 during calibration).
    pub command: usize,
    /// Runs of this command finished in this phase, this one included.
    pub run: u64,
    /// Runs this command will get in this phase (an estimate when `estimated`).
    pub of: u64,
    /// Whether `of` and `total` are estimates (minimum runs plus minimum time).
    pub estimated: bool,
    /// Runs of all commands finished in this phase.
    pub done: u64,
    /// Runs of all commands in this phase.
    pub total: u64,
    /// Since the benchmark started.
    pub elapsed: Duration,
    /// Estimated time left in this phase, from the pace so far.
    pub remaining: Option<Duration>,
}

/// Which hook failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookKind {
    Setup,
    Prepare,
    Conclude,
    Cleanup,
}

impl HookKind {
    pub fn as_str(self) -> &'static str {
        match self {
            HookKind::Setup => "setup",
            HookKind::Prepare => "prepare",
            HookKind::Conclude => "conclude",
            HookKind::Cleanup => "cleanup",
        }
    }
}

/// Why a benchmark stopped without a result.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error(transparent)]
    Exec(#[from] ExecError),
    #[error("the {} command `{hook}` (for `{command}`) failed with {exit}{output}", kind.as_str())]
    HookFailed {
        kind: HookKind,
        hook: String,
        command: String,
        exit: String,
        /// The end of the hook's output, ready to append to the message.
        output: String,
    },
    #[error(
        "`{command}` failed with {exit} on {} run {run}; pass --ignore-failure to benchmark \
         it anyway", if *warmup { "warm-up" } else { "timed" }
    )]
    CommandFailed {
        command: String,
        exit: String,
        /// Counting from 1 within its phase.
        run: u64,
        warmup: bool,
    },
    #[error("the shell `{shell}` cannot run an empty command (it ended with {exit}); check the shell program")]
    ShellFailed { shell: String, exit: String },
}

type ProgressFn<'a> = Box<dyn FnMut(&Progress) + 'a>;

/// Runs a [`BenchPlan`] on an [`Executor`].
pub struct Runner<'a> {
    plan: &'a BenchPlan,
    executor: &'a mut dyn Executor,
    clock: Box<dyn Clock + 'a>,
    progress: Option<ProgressFn<'a>>,
    stop: Option<Arc<AtomicBool>>,
    start: Duration,
    rng: fastrand::Rng,
}

/// Per-command state while running.
struct Tally {
    runs: Vec<RunRecord>,
    /// Wall time of the timed runs before any shell correction: what the stop rule counts.
    raw_wall: Duration,
    warmups: u64,
    started: bool,
}

enum Step {
    Ran,
    Interrupted,
}

impl<'a> Runner<'a> {
    pub fn new(plan: &'a BenchPlan, executor: &'a mut dyn Executor) -> Runner<'a> {
        let seed = match plan.order {
            Order::Random { seed } => seed,
            Order::Interleaved => 0,
        };
        Runner {
            plan,
            executor,
            clock: Box::new(MonotonicClock::new()),
            progress: None,
            stop: None,
            start: Duration::ZERO,
            rng: fastrand::Rng::with_seed(seed),
        }
    }

    /// The clock for progress reports (the monotonic clock by default).
    pub fn clock(mut self, clock: impl Clock + 'a) -> Runner<'a> {
        self.clock = Box::new(clock);
        self
    }

    /// Called after every finished run.
    pub fn on_progress(mut self, report: impl FnMut(&Progress) + 'a) -> Runner<'a> {
        self.progress = Some(Box::new(report));
        self
    }

    /// Checked between runs: once set, the benchmark stops and returns the finished runs,
    /// marked interrupted. A failed run that ends while the flag is set (the command got the
    /// same Ctrl-C) is discarded rather than reported as a failure.
    pub fn stop_flag(mut self, flag: Arc<AtomicBool>) -> Runner<'a> {
        self.stop = Some(flag);
        self
    }

    /// Runs the benchmark to the end, or until the stop flag is set.
    pub fn run(mut self) -> Result<BenchResult, BenchError> {
        self.start = self.clock.now();
        let mut tallies: Vec<Tally> = (0..self.plan.commands.len())
            .map(|_| Tally {
                runs: Vec::new(),
                raw_wall: Duration::ZERO,
                warmups: 0,
                started: false,
            })
            .collect();
        let mut result = BenchResult {
            schema_version: BENCH_SCHEMA_VERSION,
            source: "rigor".to_string(),
            commands: Vec::new(),
            order: Vec::new(),
            warmup_order: Vec::new(),
            ordering: Some(self.plan.order),
            warmup: self.plan.warmup,
            run_count: Some(self.plan.runs),
            ignore_failure: self.plan.ignore_failure,
            shell: None,
            warnings: self.plan.warnings.clone(),
            interrupted: false,
            peak_rss_floor_bytes: None,
        };

        let outcome = self.calibrate().and_then(|(shell, step)| {
            result.shell = shell;
            match step {
                Step::Interrupted => Ok(Step::Interrupted),
                Step::Ran => self.benchmark(&mut tallies, &mut result),
            }
        });
        let cleanup = self.cleanup(&tallies);
        result.interrupted = matches!(outcome?, Step::Interrupted);
        result.warnings.extend(cleanup);
        result.peak_rss_floor_bytes = self.executor.rss_floor();

        let clamped_runs = result.shell.as_ref().map_or(0, |s| s.clamped_runs);
        if clamped_runs > 0 {
            result.warnings.push(Warning {
                kind: WarningKind::ShellOverheadClamped,
                command: None,
                message: format!(
                    "{clamped_runs} runs finished faster than the shell starts on average, so \
                     their time after subtracting the shell's start-up cost is clamped to zero; \
                     the command is too fast to measure through a shell: run it without one"
                ),
            });
        }
        result.commands = self
            .plan
            .commands
            .iter()
            .zip(tallies)
            .map(|(planned, tally)| command_result(&planned.command, tally.runs))
            .collect();
        analyze(&mut result);
        Ok(result)
    }

    fn benchmark(
        &mut self,
        tallies: &mut [Tally],
        result: &mut BenchResult,
    ) -> Result<Step, BenchError> {
        let plan = self.plan;
        for (planned, tally) in plan.commands.iter().zip(tallies.iter_mut()) {
            if self.stopped() {
                return Ok(Step::Interrupted);
            }
            if let Some(setup) = &planned.setup {
                self.hook(HookKind::Setup, setup, &planned.command)?;
            }
            tally.started = true;
        }

        let phase_start = self.clock.now();
        for _ in 0..plan.warmup {
            for index in self.round_order((0..plan.commands.len()).collect()) {
                if self.one_run(index, Phase::Warmup, tallies)?.is_none() {
                    return Ok(Step::Interrupted);
                }
                result.warmup_order.push(index);
                let n = plan.commands.len() as u64;
                let done = result.warmup_order.len() as u64;
                self.report(
                    Phase::Warmup,
                    index,
                    (tallies[index].warmups, plan.warmup),
                    false,
                    (done, plan.warmup * n),
                    phase_start,
                );
            }
        }

        let phase_start = self.clock.now();
        let mut round = 0;
        loop {
            let active: Vec<usize> = (0..plan.commands.len())
                .filter(|&i| !self.finished(&tallies[i]))
                .collect();
            if active.is_empty() {
                return Ok(Step::Ran);
            }
            for index in self.round_order(active) {
                let Some(raw) = self.one_run(index, Phase::Timed, tallies)? else {
                    return Ok(Step::Interrupted);
                };
                let measurement = self.correct(raw, result.shell.as_mut());
                let tally = &mut tallies[index];
                tally.raw_wall += raw.wall;
                tally.runs.push(RunRecord { round, measurement });
                result.order.push(index);
                let (of, estimated) = self.target(&tallies[index]);
                let total = tallies.iter().map(|t| self.target(t).0).sum();
                let run = tallies[index].runs.len() as u64;
                self.report(
                    Phase::Timed,
                    index,
                    (run, of),
                    estimated,
                    (result.order.len() as u64, total),
                    phase_start,
                );
            }
            round += 1;
        }
    }

    /// One warm-up or timed run of command `index` between its prepare and conclude hooks;
    /// `None` when interrupted.
    fn one_run(
        &mut self,
        index: usize,
        phase: Phase,
        tallies: &mut [Tally],
    ) -> Result<Option<Measurement>, BenchError> {
        let planned: &PlannedCommand = &self.plan.commands[index];
        if self.stopped() {
            return Ok(None);
        }
        if let Some(prepare) = &planned.prepare {
            self.hook(HookKind::Prepare, prepare, &planned.command)?;
        }
        let measurement = self.executor.run(&planned.command)?;
        if !measurement.succeeded() && self.stopped() {
            return Ok(None);
        }
        let tally = &mut tallies[index];
        let run = match phase {
            Phase::Warmup => {
                tally.warmups += 1;
                tally.warmups
            }
            _ => tally.runs.len() as u64 + 1,
        };
        if !measurement.succeeded() && !self.plan.ignore_failure {
            return Err(BenchError::CommandFailed {
                command: planned.command.name.clone(),
                exit: measurement.describe_exit(),
                run,
                warmup: phase == Phase::Warmup,
            });
        }
        if let Some(conclude) = &planned.conclude {
            self.hook(HookKind::Conclude, conclude, &planned.command)?;
        }
        Ok(Some(measurement))
    }

    /// Measures the shell's start-up cost, when there is one to subtract.
    fn calibrate(&mut self) -> Result<(Option<ShellOverhead>, Step), BenchError> {
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
    fn correct(&self, raw: Measurement, shell: Option<&mut ShellOverhead>) -> Measurement {
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

    /// Runs the cleanup hook of every command that was set up; failures become warnings,
    /// since the measurements are already taken.
    fn cleanup(&mut self, tallies: &[Tally]) -> Vec<Warning> {
        let plan = self.plan;
        let mut warnings = Vec::new();
        for (index, (planned, tally)) in plan.commands.iter().zip(tallies).enumerate() {
            let (Some(cleanup), true) = (&planned.cleanup, tally.started) else {
                continue;
            };
            if let Err(error) = self.hook(HookKind::Cleanup, cleanup, &planned.command) {
                warnings.push(Warning {
                    kind: WarningKind::CleanupFailed,
                    command: Some(index),
                    message: error.to_string(),
                });
            }
        }
        warnings
    }

    fn hook(
        &mut self,
        kind: HookKind,
        hook: &CommandSpec,
        command: &CommandSpec,
    ) -> Result<(), BenchError> {
        let output = self.executor.run_hook(hook)?;
        if output.succeeded() {
            return Ok(());
        }
        Err(BenchError::HookFailed {
            kind,
            hook: hook.line.clone(),
            command: command.name.clone(),
            exit: describe_exit(output.exit_code, output.signal),
            output: format_hook_output(&output),
        })
    }

    fn round_order(&mut self, mut active: Vec<usize>) -> Vec<usize> {
        if let Order::Random { .. } = self.plan.order {
            self.rng.shuffle(&mut active);
        }
        active
    }

    fn finished(&self, tally: &Tally) -> bool {
        let count = tally.runs.len() as u64;
        match self.plan.runs {
            RunCount::Fixed { runs } => count >= runs,
            RunCount::Auto {
                min_runs,
                min_time,
                max_runs,
            } => {
                max_runs.is_some_and(|max| count >= max)
                    || (count >= min_runs && tally.raw_wall >= min_time)
            }
        }
    }

    /// The runs a command will get: exact for a fixed count; for minimum runs plus minimum
    /// time, the runs its mean pace needs to fill the time, within the bounds.
    fn target(&self, tally: &Tally) -> (u64, bool) {
        let count = tally.runs.len() as u64;
        match self.plan.runs {
            RunCount::Fixed { runs } => (runs, false),
            RunCount::Auto {
                min_runs,
                min_time,
                max_runs,
            } => {
                let by_time = if count == 0 || tally.raw_wall.is_zero() {
                    min_runs
                } else {
                    let per_run = tally.raw_wall.as_secs_f64() / count as f64;
                    (min_time.as_secs_f64() / per_run).ceil() as u64
                };
                let mut target = by_time.max(min_runs);
                if let Some(max) = max_runs {
                    target = target.min(max);
                }
                let at_least = if self.finished(tally) {
                    count
                } else {
                    count + 1
                };
                (target.max(at_least), true)
            }
        }
    }

    fn report(
        &mut self,
        phase: Phase,
        command: usize,
        (run, of): (u64, u64),
        estimated: bool,
        (done, total): (u64, u64),
        phase_start: Duration,
    ) {
        let Some(progress) = self.progress.as_mut() else {
            return;
        };
        let now = self.clock.now();
        let in_phase = now.saturating_sub(phase_start);
        let remaining =
            (done > 0).then(|| in_phase.mul_f64(total.saturating_sub(done) as f64 / done as f64));
        progress(&Progress {
            phase,
            command,
            run,
            of,
            estimated,
            done,
            total,
            elapsed: now.saturating_sub(self.start),
            remaining,
        });
    }

    fn stopped(&self) -> bool {
        self.stop
            .as_ref()
            .is_some_and(|flag| flag.load(Ordering::SeqCst))
    }
}

fn command_result(command: &CommandSpec, runs: Vec<RunRecord>) -> CommandResult {
    CommandResult {
        name: command.name.clone(),
        command: command.line.clone(),
        parameters: command
            .parameters
            .iter()
            .map(|(name, value)| ParameterValue {
                name: name.clone(),
                value: value.clone(),
            })
            .collect(),
        runs,
        stats: None,
        relative: None,
        outliers: Vec::new(),
    }
}

fn format_hook_output(output: &HookOutput) -> String {
    let mut text = String::new();
    for (label, tail) in [
        ("stderr", &output.stderr_tail),
        ("stdout", &output.stdout_tail),
    ] {
        let tail = tail.trim_end();
        if !tail.is_empty() {
            text.push_str(&format!("\n{label}:\n{tail}"));
        }
    }
    if text.is_empty() {
        text.push_str(" and printed nothing");
    }
    text
}
