//! What to benchmark and how, as validated settings.
//!
//! [`BenchSpec`] is what a user asks for (command templates, parameters, run counts, hooks,
//! shell and output settings); [`BenchSpec::resolve`] checks it and expands it into a
//! [`BenchPlan`] of concrete [`CommandSpec`]s, each one ready to hand to an
//! [`Executor`](crate::Executor). All bad input is refused here, before any work starts.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use rigor_model::output::bench::{Order, RunCount};

use crate::params::{combinations, expand, ParamError, Parameter};
use crate::result::{Warning, WarningKind};
use crate::words::{looks_like_shell_syntax, split, SplitError};

/// A command to benchmark as written by the user, possibly with `{name}` templates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandTemplate {
    /// The display name; the expanded command line when absent.
    pub name: Option<String>,
    pub line: String,
}

impl CommandTemplate {
    pub fn new(line: impl Into<String>) -> CommandTemplate {
        CommandTemplate {
            name: None,
            line: line.into(),
        }
    }

    pub fn named(name: impl Into<String>, line: impl Into<String>) -> CommandTemplate {
        CommandTemplate {
            name: Some(name.into()),
            line: line.into(),
        }
    }
}

/// Commands run around the benchmarked ones. Hooks always run through the shell (the
/// configured one, else `sh`), since they are usually shell snippets and their time is not
/// measured; `{name}` parameters are filled in from the command they belong to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hooks {
    /// Once per command, before its first (warm-up) run.
    pub setup: Option<String>,
    /// Before every warm-up and timed run.
    pub prepare: Option<String>,
    /// After every warm-up and timed run.
    pub conclude: Option<String>,
    /// Once per command, after its last run (also after an interruption).
    pub cleanup: Option<String>,
}

/// Run commands through a shell, whose start-up cost is measured and subtracted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shell {
    /// The shell, run as `PROGRAM -c LINE`; it may carry options (`bash --norc`), split
    /// into words like a command line.
    pub program: String,
    /// Measure `PROGRAM -c ''` and subtract its mean wall, user and system time from every
    /// run (clamped at zero).
    pub subtract_overhead: bool,
    /// How many times to run the empty shell for that measurement.
    pub calibration_runs: u64,
}

impl Default for Shell {
    fn default() -> Shell {
        Shell {
            program: "sh".to_string(),
            subtract_overhead: true,
            calibration_runs: 50,
        }
    }
}

/// Where a benchmarked command's standard output and error go. Standard input is always
/// empty (`/dev/null`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "path")]
pub enum OutputMode {
    /// To `/dev/null`: the command pays nothing for its output.
    #[default]
    Discard,
    /// Standard output through a pipe that is read and dropped, for commands that behave
    /// differently when writing to a pipe; standard error to `/dev/null`.
    Pipe,
    /// To rigor's own standard output and error.
    Inherit,
    /// Standard output and error to this file: truncated before the first run that writes
    /// to it, then appended to, so it holds the output of every run.
    File(PathBuf),
}

/// Everything a benchmark needs, as the user gave it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BenchSpec {
    pub commands: Vec<CommandTemplate>,
    /// Expanded into every combination (the first varying slowest) for every command.
    pub parameters: Vec<Parameter>,
    /// Untimed runs of each command before the timed ones.
    pub warmup: u64,
    pub runs: RunCount,
    pub hooks: Hooks,
    /// `None`: split the command line into words and run it directly (the default).
    pub shell: Option<Shell>,
    pub output: OutputMode,
    /// Keep benchmarking when a command exits non-zero (or is killed by a signal).
    pub ignore_failure: bool,
    pub order: Order,
    /// Deterministic counts to take on runs of their own, when asked for.
    pub counting: Option<Counting>,
}

/// The deterministic costs to count (see [`crate::count`]) and on how many runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counting {
    pub instructions: bool,
    pub cycles_estimate: bool,
    /// Counted runs per command.
    pub runs: u64,
}

/// Counted runs per command unless told: counts barely vary, and a simulated run is slow.
pub const DEFAULT_COUNT_RUNS: u64 = 3;

/// How a command is started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Invocation {
    /// `program args…`, found on `PATH`, no shell involved.
    Direct { program: String, args: Vec<String> },
    /// `shell -c script`.
    Shell { shell: String, script: String },
}

/// One concrete command, parameters filled in, ready to run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandSpec {
    /// The display name.
    pub name: String,
    /// The command line after parameter expansion, as a user would type it.
    pub line: String,
    pub invocation: Invocation,
    pub output: OutputMode,
    /// The parameter values this command was expanded with.
    pub parameters: Vec<(String, String)>,
}

/// A benchmarked command with its hooks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedCommand {
    pub command: CommandSpec,
    pub setup: Option<CommandSpec>,
    pub prepare: Option<CommandSpec>,
    pub conclude: Option<CommandSpec>,
    pub cleanup: Option<CommandSpec>,
}

/// Measuring the shell's own start-up cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calibration {
    /// `shell -c ''`.
    pub command: CommandSpec,
    pub runs: u64,
}

/// A validated, expanded benchmark: what [`Runner`](crate::Runner) executes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenchPlan {
    pub commands: Vec<PlannedCommand>,
    pub warmup: u64,
    pub runs: RunCount,
    pub order: Order,
    pub ignore_failure: bool,
    /// Present when commands run through a shell whose overhead is to be subtracted.
    pub calibration: Option<Calibration>,
    /// Found while resolving (e.g. shell syntax in a command run without a shell).
    pub warnings: Vec<Warning>,
    pub counting: Option<Counting>,
}

/// Settings that cannot be benchmarked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    #[error("no command to benchmark: give at least one")]
    NoCommands,
    #[error("command {number} is empty")]
    EmptyCommand { number: usize },
    #[error("command `{line}` cannot be split into words: {source}; quote it differently or run it with a shell")]
    Split { line: String, source: SplitError },
    #[error(transparent)]
    Parameter(#[from] ParamError),
    #[error("parameter `{name}` is defined twice")]
    DuplicateParameter { name: String },
    #[error("the number of runs must be at least 1")]
    ZeroRuns,
    #[error("measure `{measure}`: rigor measures wall, instructions and cycles-estimate")]
    UnknownMeasure { measure: String },
    #[error(
        "count_runs is for counted measures: add `instructions` or `cycles-estimate` to measure"
    )]
    CountRunsWithoutCounts,
    #[error("count_runs {runs}: give 1 to 1000 counted runs per command")]
    CountRuns { runs: u64 },
    #[error("the minimum number of runs ({min}) is above the maximum ({max})")]
    MinAboveMax { min: u64, max: u64 },
    #[error("the shell program is empty")]
    EmptyShell,
    #[error("the shell calibration needs at least one run")]
    ZeroCalibrationRuns,
    #[error("give `runs` or `min_runs`/`min_time`, not both")]
    FixedAndAutoRuns,
    #[error("order `{order}`: expected interleaved or random")]
    UnknownOrder { order: String },
    #[error("cannot start `{line}`: there is no program `{program}` (no executable file by that path or on PATH){hint}")]
    NoProgram {
        line: String,
        program: String,
        /// Advice, starting with `; ` when present.
        hint: String,
    },
}

impl BenchPlan {
    /// Every program the plan starts exists: a command that cannot start is bad input,
    /// found before a run is stored (the executor would only find it on the first run).
    pub fn check_programs(&self) -> Result<(), SpecError> {
        let specs = self
            .commands
            .iter()
            .map(|c| &c.command)
            .chain(self.calibration.iter().map(|c| &c.command));
        for spec in specs {
            let (program, hint) = match &spec.invocation {
                Invocation::Direct { program, .. } => (
                    program.as_str(),
                    if looks_like_shell_syntax(&spec.line) || program.contains(' ') {
                        "; it runs without a shell: give it as words, or run it with a shell"
                    } else {
                        ""
                    },
                ),
                Invocation::Shell { shell, .. } => {
                    (shell.split_whitespace().next().unwrap_or(shell), "")
                }
            };
            if crate::executor::search_path(program).is_none() {
                return Err(SpecError::NoProgram {
                    line: spec.line.clone(),
                    program: program.to_string(),
                    hint: hint.to_string(),
                });
            }
        }
        Ok(())
    }
}

impl BenchSpec {
    /// A spec for these command lines with every other setting at its default.
    pub fn new<I, S>(lines: I) -> BenchSpec
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        BenchSpec {
            commands: lines.into_iter().map(CommandTemplate::new).collect(),
            ..BenchSpec::default()
        }
    }

    /// Checks every setting and expands parameters into concrete commands: for each
    /// combination of parameter values (the first parameter varying slowest), every command
    /// in the order given.
    pub fn resolve(&self) -> Result<BenchPlan, SpecError> {
        self.check_counts()?;
        if self.commands.is_empty() {
            return Err(SpecError::NoCommands);
        }
        self.check_parameter_names()?;
        let hook_shell = self.hook_shell()?;
        let mut commands = Vec::new();
        let mut warnings = Vec::new();
        for combo in combinations(&self.parameters) {
            for (number, template) in self.commands.iter().enumerate() {
                let planned = self.plan_command(number, template, &combo, &hook_shell)?;
                warnings.extend(self.shell_syntax_warning(&planned.command.line, commands.len()));
                commands.push(planned);
            }
        }
        Ok(BenchPlan {
            commands,
            warmup: self.warmup,
            runs: self.runs,
            order: self.order,
            ignore_failure: self.ignore_failure,
            calibration: self.calibration(),
            warnings,
            counting: self.counting,
        })
    }

    fn check_parameter_names(&self) -> Result<(), SpecError> {
        for (i, parameter) in self.parameters.iter().enumerate() {
            if self.parameters[..i]
                .iter()
                .any(|p| p.name == parameter.name)
            {
                return Err(SpecError::DuplicateParameter {
                    name: parameter.name.clone(),
                });
            }
        }
        Ok(())
    }

    /// The shell hooks run in: the benchmark's shell once checked, or `sh` without one.
    fn hook_shell(&self) -> Result<String, SpecError> {
        match &self.shell {
            Some(shell) if shell.program.trim().is_empty() => Err(SpecError::EmptyShell),
            Some(shell) if shell.calibration_runs == 0 && shell.subtract_overhead => {
                Err(SpecError::ZeroCalibrationRuns)
            }
            Some(shell) => {
                split(&shell.program).map_err(|source| SpecError::Split {
                    line: shell.program.clone(),
                    source,
                })?;
                Ok(shell.program.clone())
            }
            None => Ok("sh".to_string()),
        }
    }

    /// Command `number`'s template with one combination of parameter values filled in,
    /// hooks included.
    fn plan_command(
        &self,
        number: usize,
        template: &CommandTemplate,
        combo: &[(String, String)],
        hook_shell: &str,
    ) -> Result<PlannedCommand, SpecError> {
        let line = expand(&template.line, combo);
        if line.trim().is_empty() {
            return Err(SpecError::EmptyCommand { number: number + 1 });
        }
        let invocation = self.invocation(&line)?;
        let name = match &template.name {
            Some(name) => expand(name, combo),
            None => line.clone(),
        };
        let hook = |text: &Option<String>| {
            text.as_ref()
                .map(|text| hook_spec(hook_shell, expand(text, combo), combo))
        };
        Ok(PlannedCommand {
            command: CommandSpec {
                name,
                line,
                invocation,
                output: self.output.clone(),
                parameters: combo.to_vec(),
            },
            setup: hook(&self.hooks.setup),
            prepare: hook(&self.hooks.prepare),
            conclude: hook(&self.hooks.conclude),
            cleanup: hook(&self.hooks.cleanup),
        })
    }

    /// Shell syntax in a command run without a shell is passed on as words, which is rarely
    /// what was meant.
    fn shell_syntax_warning(&self, line: &str, command: usize) -> Option<Warning> {
        (self.shell.is_none() && looks_like_shell_syntax(line)).then(|| Warning {
            kind: WarningKind::ShellSyntax,
            command: Some(command),
            message: format!(
                "`{line}` contains shell syntax but runs without a shell, so \
                 its words are passed to the program as they are; run it with a \
                 shell if you meant a pipeline, redirection or variable"
            ),
        })
    }

    /// The shell's own start-up, measured when its overhead is to be subtracted.
    fn calibration(&self) -> Option<Calibration> {
        self.shell
            .as_ref()
            .filter(|shell| shell.subtract_overhead)
            .map(|shell| Calibration {
                command: CommandSpec {
                    name: format!("{} -c ''", shell.program),
                    line: String::new(),
                    invocation: Invocation::Shell {
                        shell: shell.program.clone(),
                        script: String::new(),
                    },
                    output: OutputMode::Discard,
                    parameters: Vec::new(),
                },
                runs: shell.calibration_runs,
            })
    }

    fn check_counts(&self) -> Result<(), SpecError> {
        match self.runs {
            RunCount::Fixed { runs: 0 } => Err(SpecError::ZeroRuns),
            RunCount::Auto {
                max_runs: Some(0), ..
            } => Err(SpecError::ZeroRuns),
            RunCount::Auto {
                min_runs,
                max_runs: Some(max),
                ..
            } if min_runs > max => Err(SpecError::MinAboveMax { min: min_runs, max }),
            _ => Ok(()),
        }
    }

    fn invocation(&self, line: &str) -> Result<Invocation, SpecError> {
        if let Some(shell) = &self.shell {
            return Ok(Invocation::Shell {
                shell: shell.program.clone(),
                script: line.to_string(),
            });
        }
        let mut words = split(line)
            .map_err(|source| SpecError::Split {
                line: line.to_string(),
                source,
            })?
            .into_iter();
        let program = words.next().unwrap_or_default();
        Ok(Invocation::Direct {
            program,
            args: words.collect(),
        })
    }
}

fn hook_spec(shell: &str, line: String, combo: &[(String, String)]) -> CommandSpec {
    CommandSpec {
        name: line.clone(),
        invocation: Invocation::Shell {
            shell: shell.to_string(),
            script: line.clone(),
        },
        line,
        output: OutputMode::Pipe,
        parameters: combo.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn splits_commands_without_a_shell() {
        let plan = BenchSpec::new(["grep -c 'a b' file.txt"])
            .resolve()
            .unwrap();
        assert_eq!(
            plan.commands[0].command.invocation,
            Invocation::Direct {
                program: "grep".into(),
                args: vec!["-c".into(), "a b".into(), "file.txt".into()],
            }
        );
        assert!(plan.calibration.is_none());
        assert!(plan.warnings.is_empty());
    }

    #[test]
    fn shell_mode_calibrates_and_hooks_use_the_shell() {
        let spec = BenchSpec {
            shell: Some(Shell::default()),
            hooks: Hooks {
                prepare: Some("rm -f out".into()),
                ..Hooks::default()
            },
            ..BenchSpec::new(["ls | wc -l"])
        };
        let plan = spec.resolve().unwrap();
        let planned = &plan.commands[0];
        assert_eq!(
            planned.command.invocation,
            Invocation::Shell {
                shell: "sh".into(),
                script: "ls | wc -l".into()
            }
        );
        assert_eq!(
            planned.prepare.as_ref().unwrap().invocation,
            Invocation::Shell {
                shell: "sh".into(),
                script: "rm -f out".into()
            }
        );
        let calibration = plan.calibration.unwrap();
        assert_eq!(calibration.runs, 50);
        assert_eq!(calibration.command.name, "sh -c ''");
        assert!(plan.warnings.is_empty());
    }

    #[test]
    fn warns_about_shell_syntax_without_a_shell() {
        let plan = BenchSpec::new(["true", "ls | wc -l"]).resolve().unwrap();
        assert_eq!(plan.warnings.len(), 1);
        assert_eq!(plan.warnings[0].command, Some(1));
        assert_eq!(plan.warnings[0].kind, WarningKind::ShellSyntax);
    }

    #[test]
    fn refuses_bad_settings() {
        let err = |spec: BenchSpec| spec.resolve().unwrap_err();
        assert_eq!(err(BenchSpec::default()), SpecError::NoCommands);
        assert_eq!(
            err(BenchSpec::new(["  "])),
            SpecError::EmptyCommand { number: 1 }
        );
        assert_eq!(
            err(BenchSpec {
                runs: RunCount::Fixed { runs: 0 },
                ..BenchSpec::new(["true"])
            }),
            SpecError::ZeroRuns
        );
        assert_eq!(
            err(BenchSpec {
                runs: RunCount::Auto {
                    min_runs: 20,
                    min_time: Duration::ZERO,
                    max_runs: Some(5)
                },
                ..BenchSpec::new(["true"])
            }),
            SpecError::MinAboveMax { min: 20, max: 5 }
        );
        let split_error = err(BenchSpec::new(["echo 'oops"])).to_string();
        assert_eq!(
            split_error,
            "command `echo 'oops` cannot be split into words: unterminated single quote in \
             `echo 'oops`; quote it differently or run it with a shell"
        );
        let n = Parameter::scan("n", "1", "2", None).unwrap();
        assert_eq!(
            err(BenchSpec {
                parameters: vec![n.clone(), n],
                ..BenchSpec::new(["true"])
            }),
            SpecError::DuplicateParameter { name: "n".into() }
        );
    }
}
