//! Exit codes and how errors reach the user: the whole `anyhow` chain on the writer's stderr, and a code
//! chosen by what went wrong (bad input 2, could not complete 3).

use std::process::ExitCode;

pub use rigor_model::exit_code::{BAD_INPUT, FAILED, INTERRUPTED, NOT_COMPLETED, PASSED};

/// An error that carries its exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub error: anyhow::Error,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.error)
    }
}

impl std::error::Error for Failure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error.source()
    }
}

/// Bad input: a malformed plan, flag or argument.
pub fn bad_input(error: impl Into<anyhow::Error>) -> anyhow::Error {
    Failure {
        code: BAD_INPUT,
        error: error.into(),
    }
    .into()
}

/// The run could not be completed: target down, store unusable.
pub fn not_completed(error: impl Into<anyhow::Error>) -> anyhow::Error {
    Failure {
        code: NOT_COMPLETED,
        error: error.into(),
    }
    .into()
}

/// Prints the error chain to stderr and picks the exit code.
pub fn report(error: &anyhow::Error, w: &mut rigor_report::Writer) -> ExitCode {
    let code = error
        .chain()
        .find_map(|e| e.downcast_ref::<Failure>().map(|f| f.code))
        .unwrap_or_else(|| classify(error));
    let mut message = String::new();
    let mut previous = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        // A wrapper that displays its inner error repeats it: say each thing once.
        if text.is_empty() || text == previous || message.contains(&text) {
            continue;
        }
        if !message.is_empty() {
            message.push_str("\n  caused by: ");
        }
        message.push_str(&text);
        previous = text;
    }
    let _ = writeln!(w.stderr(), "error: {message}");
    ExitCode::from(code)
}

/// Exit codes for errors from the library crates that were not wrapped explicitly.
fn classify(error: &anyhow::Error) -> u8 {
    for cause in error.chain() {
        if cause.downcast_ref::<rigor_model::PlanError>().is_some() {
            return BAD_INPUT;
        }
        if let Some(e) = cause.downcast_ref::<rigor_load::LoadError>() {
            return match e {
                rigor_load::LoadError::Request { .. } | rigor_load::LoadError::Data { .. } => {
                    BAD_INPUT
                }
                _ => NOT_COMPLETED,
            };
        }
        if cause.downcast_ref::<rigor_store::StoreError>().is_some() {
            return NOT_COMPLETED;
        }
    }
    NOT_COMPLETED
}
