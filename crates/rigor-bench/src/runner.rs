//! The benchmark loop: one driver for calibration, warm-up and timed runs.
//!
//! Order of events: measure the shell (if any) → every command's setup hook → warm-up rounds
//! → timed rounds → every command's cleanup hook. In each round every command that still
//! needs runs gets exactly one, in command order or a seeded random order, and each run is
//! wrapped in the prepare and conclude hooks. A command leaves the rounds once its stop rule
//! holds, so commands of very different speeds each get their own number of runs.
//!
//! The loop hands the executor its runs in [`Batch`]es of about [`BATCH_BUDGET`] of work (one
//! run at a time while it does not know the pace yet, or when there are prepare or conclude
//! hooks to run around each run). The executor applies the stop rule itself, so a batch
//! never gives a command a run it would not have had alone: the runs, their rounds and their
//! order are the same whatever the batch size. The order of every round is drawn over all
//! commands and then filtered, so the random numbers drawn do not depend on the batches
//! either.

mod calibration;
mod counted;
mod error;
mod rounds;
mod stop_rule;

use rigor_model::stop::StopHandle;
use std::collections::VecDeque;
use std::time::Duration;

use crate::analysis::analyze;
use crate::batch::{Batch, BatchOutcome, BatchRun, PlannedRun};
use crate::clock::{Clock, MonotonicClock};
use crate::count;
use crate::executor::{describe_exit, ExecError, Executor, Measurement};
use crate::result::{
    BenchResult, CommandResult, ParameterValue, TimedRun, Warning, WarningKind,
    BENCH_SCHEMA_VERSION,
};
use crate::spec::{BenchPlan, CommandSpec, Order, OutputMode, PlannedCommand};
use error::format_hook_output;
use rigor_model::output::bench::Counts;
use stop_rule::{Done, StopRule};

pub use calibration::CALIBRATION_WARMUP;
pub use error::{BenchError, HookKind};

/// About how much work one batch of runs holds: long enough that the round trip to the
/// executor is a small part of it, short enough for a lively progress line.
pub const BATCH_BUDGET: Duration = Duration::from_millis(100);

/// The most runs planned in one batch, whatever the pace.
pub const MAX_BATCH_RUNS: usize = 4096;

/// Which part of the benchmark a [`BenchProgress`] report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Measuring the shell's start-up cost.
    Calibration,
    Warmup,
    Timed,
    /// Runs under a counting tool (perf or cachegrind), after the timed ones.
    Counted,
}

/// Reported for every finished run, for a progress line (after the batch it was part of).
#[derive(Debug, Clone, PartialEq)]
pub struct BenchProgress {
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

type ProgressFn<'a> = Box<dyn FnMut(&BenchProgress) + 'a>;
type RunFn<'a> = Box<dyn FnMut(usize, &TimedRun) + 'a>;

/// Runs a [`BenchPlan`] on an [`Executor`].
pub struct Runner<'a> {
    plan: &'a BenchPlan,
    /// The plan's commands, in the form the executor takes them.
    commands: Vec<CommandSpec>,
    executor: &'a mut dyn Executor,
    clock: Box<dyn Clock + 'a>,
    progress: Option<ProgressFn<'a>>,
    on_run: Option<RunFn<'a>>,
    stop: Option<StopHandle>,
    start: Duration,
    rng: fastrand::Rng,
    /// Runs measured so far (warm-up and timed) and their total wall time, for batch sizes.
    pace: (u64, Duration),
    /// The counting tools, when the caller found them already (found at the count if not).
    tools: Option<count::Tools>,
}

/// Per-command state while running.
struct Tally {
    runs: Vec<TimedRun>,
    /// Wall time of the timed runs before any shell correction: what the stop rule counts.
    raw_wall: Duration,
    warmups: u64,
    started: bool,
}

impl Tally {
    fn done(&self) -> Done {
        Done {
            runs: self.runs.len() as u64,
            wall: self.raw_wall,
        }
    }
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
            commands: plan.commands.iter().map(|p| p.command.clone()).collect(),
            executor,
            clock: Box::new(MonotonicClock::new()),
            progress: None,
            on_run: None,
            stop: None,
            start: Duration::ZERO,
            rng: fastrand::Rng::with_seed(seed),
            pace: (0, Duration::ZERO),
            tools: None,
        }
    }

    /// The tools to count with, instead of looking for them (tests that pretend a machine
    /// has none).
    pub fn tools(mut self, tools: count::Tools) -> Runner<'a> {
        self.tools = Some(tools);
        self
    }

    /// The clock for progress reports (the monotonic clock by default).
    pub fn clock(mut self, clock: impl Clock + 'a) -> Runner<'a> {
        self.clock = Box::new(clock);
        self
    }

    /// Called for every finished run, after the batch it was part of.
    pub fn on_progress(mut self, report: impl FnMut(&BenchProgress) + 'a) -> Runner<'a> {
        self.progress = Some(Box::new(report));
        self
    }

    /// Called for every timed run as it is accepted (after the batch it was part of), with
    /// its command's index: what a recorder stores as the benchmark goes.
    pub fn on_run(mut self, record: impl FnMut(usize, &TimedRun) + 'a) -> Runner<'a> {
        self.on_run = Some(Box::new(record));
        self
    }

    /// Checked between runs: once a stop is asked for, the benchmark stops and returns the
    /// finished runs, marked interrupted. A failed run that ends while stopping (the command
    /// got the same Ctrl-C) is discarded rather than reported as a failure.
    pub fn stop(mut self, stop: StopHandle) -> Runner<'a> {
        self.stop = Some(stop);
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
            host_other_cpu_cores: None,
        };

        let mut counts: Vec<Option<Counts>> = vec![None; self.plan.commands.len()];
        let outcome = self.calibrate().and_then(|(shell, step)| {
            result.shell = shell;
            match step {
                Step::Interrupted => Ok(Step::Interrupted),
                Step::Ran => match self.benchmark(&mut tallies, &mut result)? {
                    Step::Ran => self.count(&mut counts),
                    Step::Interrupted => Ok(Step::Interrupted),
                },
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
            .zip(counts)
            .map(|((planned, tally), counts)| CommandResult {
                counts,
                ..command_result(&planned.command, tally.runs)
            })
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

        match self.phase(Phase::Warmup, tallies, result)? {
            Step::Ran => self.phase(Phase::Timed, tallies, result),
            Step::Interrupted => Ok(Step::Interrupted),
        }
    }

    /// Carries out the warm-up or the timed rounds, a batch at a time.
    fn phase(
        &mut self,
        phase: Phase,
        tallies: &mut [Tally],
        result: &mut BenchResult,
    ) -> Result<Step, BenchError> {
        let hooks = self
            .plan
            .commands
            .iter()
            .any(|c| c.prepare.is_some() || c.conclude.is_some());
        let phase_start = self.clock.now();
        let mut queue: VecDeque<PlannedRun> = VecDeque::new();
        let mut rounds = 0;
        loop {
            let size = if hooks { 1 } else { self.batch_size() };
            match phase {
                Phase::Warmup => self.queue_warmup_rounds(&mut queue, &mut rounds, size),
                _ => self.queue_timed_rounds(&mut queue, &mut rounds, size, tallies),
            }
            if queue.is_empty() {
                return Ok(Step::Ran);
            }
            if self.stopped() {
                return Ok(Step::Interrupted);
            }
            let batch = self.next_batch(phase, &queue, size, tallies, hooks)?;
            let stop = self.stop.clone();
            let stopped = move || stop.as_ref().is_some_and(StopHandle::is_stopping);
            let outcome = self.executor.run_batch(&self.commands, &batch, &stopped)?;
            let Some(through) = finished_through(&batch, &outcome)? else {
                return Ok(Step::Interrupted);
            };
            queue.drain(..=through);

            let count = outcome.runs.len();
            for (i, run) in outcome.runs.iter().enumerate() {
                let interrupted = i + 1 == count && (outcome.interrupted || self.stopped());
                let Some(raw) = self.accept(phase, run, interrupted, tallies)? else {
                    return Ok(Step::Interrupted);
                };
                self.pace = (self.pace.0 + 1, self.pace.1 + raw.wall);
                match phase {
                    Phase::Warmup => self.record_warmup(run.command, tallies, result, phase_start),
                    _ => self.record_timed(run, raw, tallies, result, phase_start),
                }
            }
            if outcome.interrupted {
                return Ok(Step::Interrupted);
            }
        }
    }

    /// The next batch: the first `size` queued runs, with each command's stop rule in the
    /// timed phase. With per-run hooks a batch is one run, and its prepare hook runs here.
    fn next_batch(
        &mut self,
        phase: Phase,
        queue: &VecDeque<PlannedRun>,
        size: usize,
        tallies: &[Tally],
        hooks: bool,
    ) -> Result<Batch, BenchError> {
        let plan = self.plan;
        let runs: Vec<PlannedRun> = queue.iter().take(size).copied().collect();
        let enough = match phase {
            Phase::Timed => tallies
                .iter()
                .map(|t| Some(plan.runs.enough(t.done())))
                .collect(),
            _ => vec![None; tallies.len()],
        };
        if hooks {
            let planned = &plan.commands[runs[0].command];
            if let Some(prepare) = &planned.prepare {
                self.hook(HookKind::Prepare, prepare, &planned.command)?;
            }
        }
        Ok(Batch {
            runs,
            enough,
            stop_at_failure: !plan.ignore_failure,
            budget: BATCH_BUDGET,
        })
    }

    /// Counts an accepted warm-up run of command `index` and reports progress.
    fn record_warmup(
        &mut self,
        index: usize,
        tallies: &mut [Tally],
        result: &mut BenchResult,
        phase_start: Duration,
    ) {
        let plan = self.plan;
        tallies[index].warmups += 1;
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

    /// Keeps an accepted timed run, corrected for the shell, hands it to the `on_run`
    /// callback and reports progress.
    fn record_timed(
        &mut self,
        run: &BatchRun,
        raw: Measurement,
        tallies: &mut [Tally],
        result: &mut BenchResult,
        phase_start: Duration,
    ) {
        let plan = self.plan;
        let index = run.command;
        let measurement = self.correct(raw, result.shell.as_mut());
        let tally = &mut tallies[index];
        tally.raw_wall += raw.wall;
        let record = TimedRun {
            round: run.round,
            measurement,
        };
        tally.runs.push(record);
        if let Some(on_run) = self.on_run.as_mut() {
            on_run(index, &record);
        }
        result.order.push(index);
        let (of, estimated) = plan.runs.target(tallies[index].done());
        let total = tallies.iter().map(|t| plan.runs.target(t.done()).0).sum();
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

    /// Takes a finished warm-up or timed run: fails the benchmark if the run failed (unless
    /// failures are ignored) and runs the command's conclude hook. `None` when the run failed
    /// because the benchmark was `interrupted`.
    fn accept(
        &mut self,
        phase: Phase,
        run: &BatchRun,
        interrupted: bool,
        tallies: &[Tally],
    ) -> Result<Option<Measurement>, BenchError> {
        let planned: &PlannedCommand = &self.plan.commands[run.command];
        let measurement = run.measurement;
        if !measurement.succeeded() && interrupted {
            return Ok(None);
        }
        if !measurement.succeeded() && !self.plan.ignore_failure {
            let tally = &tallies[run.command];
            let before = match phase {
                Phase::Warmup => tally.warmups,
                _ => tally.runs.len() as u64,
            };
            return Err(BenchError::CommandFailed {
                command: planned.command.name.clone(),
                exit: measurement.describe_exit(),
                run: before + 1,
                warmup: phase == Phase::Warmup,
                output_hidden: matches!(
                    planned.command.output,
                    OutputMode::Discard | OutputMode::Pipe
                ),
            });
        }
        if let Some(conclude) = &planned.conclude {
            self.hook(HookKind::Conclude, conclude, &planned.command)?;
        }
        Ok(Some(measurement))
    }

    /// How many runs to plan in the next batch: enough for about twice the budget at the
    /// pace so far (the budget ends the batch sooner), one while there is no pace yet.
    fn batch_size(&self) -> usize {
        let (runs, wall) = self.pace;
        if runs == 0 {
            return 1;
        }
        let per_run = wall.as_secs_f64() / runs as f64;
        if per_run <= 0.0 {
            return MAX_BATCH_RUNS;
        }
        let size = (2.0 * BATCH_BUDGET.as_secs_f64() / per_run).ceil();
        (size.min(MAX_BATCH_RUNS as f64) as usize).max(1)
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
        progress(&BenchProgress {
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
        self.stop.as_ref().is_some_and(StopHandle::is_stopping)
    }
}

/// The queue index of the last run the executor finished: it finishes the batch's runs in
/// order, and may stop early. `None` when it was interrupted before finishing any.
fn finished_through(batch: &Batch, outcome: &BatchOutcome) -> Result<Option<usize>, BenchError> {
    let Some(last) = outcome.runs.last() else {
        if outcome.interrupted {
            return Ok(None);
        }
        return Err(ExecError::InvalidBatch(
            "the executor finished none of the runs it was given".to_string(),
        )
        .into());
    };
    let through = batch
        .runs
        .iter()
        .position(|p| (p.round, p.command) == (last.round, last.command))
        .ok_or_else(|| {
            ExecError::InvalidBatch("the executor reported a run it was not given".into())
        })?;
    Ok(Some(through))
}

fn command_result(command: &CommandSpec, runs: Vec<TimedRun>) -> CommandResult {
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
        counts: None,
    }
}
