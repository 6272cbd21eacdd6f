//! A deterministic [`Executor`] for tests: measurements come from a script, every call is
//! logged, and a [`FakeClock`] advances by exactly the time the script reports.

use std::cell::Cell;
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;
use std::time::Duration;

use crate::clock::Clock;
use crate::executor::{ExecError, Executor, HookOutput, Measurement};
use crate::spec::CommandSpec;

type RunScript = Box<dyn FnMut(&CommandSpec, u64) -> Result<Measurement, ExecError>>;
type HookScript = Box<dyn FnMut(&CommandSpec) -> Result<HookOutput, ExecError>>;

/// A clock that only moves when the [`FakeExecutor`] it came from runs something.
#[derive(Debug, Clone, Default)]
pub struct FakeClock {
    now: Rc<Cell<Duration>>,
}

impl FakeClock {
    pub fn advance(&self, by: Duration) {
        self.now.set(self.now.get() + by);
    }
}

impl Clock for FakeClock {
    fn now(&self) -> Duration {
        self.now.get()
    }
}

/// Replays scripted measurements.
///
/// The run script gets the command and how many times a command of that name ran before
/// (warm-ups and shell calibration included), and returns its measurement. Hooks succeed
/// instantly unless [`with_hooks`](FakeExecutor::with_hooks) says otherwise. Every run and
/// hook is logged by name (a hook's name is its command line) in the order executed.
pub struct FakeExecutor {
    runs: RunScript,
    hooks: HookScript,
    hook_time: Duration,
    calls: HashMap<String, u64>,
    log: Vec<String>,
    clock: FakeClock,
}

impl FakeExecutor {
    /// Measurements from a function of (command, earlier runs of that command).
    pub fn new(
        script: impl FnMut(&CommandSpec, u64) -> Result<Measurement, ExecError> + 'static,
    ) -> FakeExecutor {
        FakeExecutor {
            runs: Box::new(script),
            hooks: Box::new(|_| Ok(HookOutput::success())),
            hook_time: Duration::ZERO,
            calls: HashMap::new(),
            log: Vec::new(),
            clock: FakeClock::default(),
        }
    }

    /// Measurements from a queue per command name, in order; running a command whose queue
    /// is empty (or that has none) is an error that names it.
    pub fn scripted<N: Into<String>>(
        queues: impl IntoIterator<Item = (N, Vec<Measurement>)>,
    ) -> FakeExecutor {
        let mut queues: HashMap<String, VecDeque<Measurement>> = queues
            .into_iter()
            .map(|(name, runs)| (name.into(), runs.into()))
            .collect();
        FakeExecutor::new(move |command, _| {
            queues
                .get_mut(&command.name)
                .and_then(VecDeque::pop_front)
                .ok_or_else(|| {
                    ExecError::Fake(format!(
                        "no scripted measurement left for `{}`",
                        command.name
                    ))
                })
        })
    }

    /// Every run of every command takes `wall` and succeeds.
    pub fn constant(wall: Duration) -> FakeExecutor {
        FakeExecutor::new(move |_, _| Ok(Measurement::from_wall(wall)))
    }

    /// Hook outcomes from a function of the hook.
    pub fn with_hooks(
        mut self,
        script: impl FnMut(&CommandSpec) -> Result<HookOutput, ExecError> + 'static,
    ) -> FakeExecutor {
        self.hooks = Box::new(script);
        self
    }

    /// How far each hook advances the clock.
    pub fn with_hook_time(mut self, each: Duration) -> FakeExecutor {
        self.hook_time = each;
        self
    }

    /// The clock this executor advances.
    pub fn clock(&self) -> FakeClock {
        self.clock.clone()
    }

    /// Names of everything run so far, in order.
    pub fn log(&self) -> &[String] {
        &self.log
    }
}

impl Executor for FakeExecutor {
    fn run(&mut self, command: &CommandSpec) -> Result<Measurement, ExecError> {
        self.log.push(command.name.clone());
        let count = self.calls.entry(command.name.clone()).or_insert(0);
        let before = *count;
        *count += 1;
        let measurement = (self.runs)(command, before)?;
        self.clock.advance(measurement.wall);
        Ok(measurement)
    }

    fn run_hook(&mut self, hook: &CommandSpec) -> Result<HookOutput, ExecError> {
        self.log.push(hook.name.clone());
        self.clock.advance(self.hook_time);
        (self.hooks)(hook)
    }
}
