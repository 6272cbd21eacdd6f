//! How a benchmark that stops without a result says why.

use crate::executor::{ExecError, HookOutput};

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
         it anyway{}", if *warmup { "warm-up" } else { "timed" },
        if *output_hidden { " (its output was discarded: --output inherit shows what it printed)" } else { "" }
    )]
    CommandFailed {
        command: String,
        exit: String,
        /// Counting from 1 within its phase.
        run: u64,
        warmup: bool,
        /// The command's error output went nowhere the user can read it.
        output_hidden: bool,
    },
    #[error("the shell `{shell}` cannot run an empty command (it ended with {exit}); check the shell program")]
    ShellFailed { shell: String, exit: String },
    /// The counted runs could not be set up (their scratch directory).
    #[error("{0}")]
    Count(String),
}

/// The end of a failed hook's output, ready to append to [`BenchError::HookFailed`]'s message.
pub(super) fn format_hook_output(output: &HookOutput) -> String {
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
