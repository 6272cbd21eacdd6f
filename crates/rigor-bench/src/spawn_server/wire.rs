//! The helper's protocol: one JSON line per request and one per reply, with errors carried
//! as their parts so they read the same on both sides.

use std::io;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::batch::{Batch, BatchOutcome};
use crate::executor::{ExecError, HookOutput, Measurement};
use crate::spec::CommandSpec;

/// Changes whenever requests or replies change shape; a helper that answers the greeting with
/// another version is refused at start.
pub(super) const PROTOCOL_VERSION: u32 = 2;

/// A request; `C` is a command and `B` a batch (references when sending).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum Request<C, B = Batch> {
    /// Sent once at start, to learn that the helper runs and speaks this protocol.
    Hello,
    Run(C),
    Hook(C),
    Batch {
        commands: Vec<C>,
        batch: B,
    },
}

pub(super) type Outgoing<'a> = Request<&'a CommandSpec, &'a Batch>;

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum Reply {
    Hello { version: u32 },
    Measured(Measurement),
    Hooked(HookOutput),
    Batch(BatchOutcome),
    Failed(WireError),
}

/// An [`ExecError`] as its kind and parts, rebuilt on the other side so that its message reads
/// exactly as if rigor had spawned the command itself.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub(super) enum WireError {
    Spawn {
        command: String,
        error: WireIoError,
        hint: String,
    },
    Wait {
        command: String,
        error: WireIoError,
    },
    OutputFile {
        path: PathBuf,
        error: WireIoError,
    },
    /// Anything else, by its message.
    Other {
        message: String,
    },
}

/// An operating-system error by its number, so it comes back with the same kind and text;
/// other I/O errors by their text.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct WireIoError {
    os_code: Option<i32>,
    message: String,
}

impl From<&io::Error> for WireIoError {
    fn from(error: &io::Error) -> WireIoError {
        WireIoError {
            os_code: error.raw_os_error(),
            message: error.to_string(),
        }
    }
}

impl From<WireIoError> for io::Error {
    fn from(error: WireIoError) -> io::Error {
        match error.os_code {
            Some(code) => io::Error::from_raw_os_error(code),
            None => io::Error::other(error.message),
        }
    }
}

impl From<&ExecError> for WireError {
    fn from(error: &ExecError) -> WireError {
        match error {
            ExecError::Spawn {
                command,
                source,
                hint,
            } => WireError::Spawn {
                command: command.clone(),
                error: source.into(),
                hint: hint.clone(),
            },
            ExecError::Wait { command, source } => WireError::Wait {
                command: command.clone(),
                error: source.into(),
            },
            ExecError::OutputFile { path, source } => WireError::OutputFile {
                path: path.clone(),
                error: source.into(),
            },
            other => WireError::Other {
                message: other.to_string(),
            },
        }
    }
}

impl WireError {
    pub(super) fn into_exec_error(self, line: &str) -> ExecError {
        match self {
            WireError::Spawn {
                command,
                error,
                hint,
            } => ExecError::Spawn {
                command,
                source: error.into(),
                hint,
            },
            WireError::Wait { command, error } => ExecError::Wait {
                command,
                source: error.into(),
            },
            WireError::OutputFile { path, error } => ExecError::OutputFile {
                path,
                source: error.into(),
            },
            WireError::Other { message } => ExecError::SpawnServer {
                command: line.to_string(),
                problem: format!("failed: {message}"),
            },
        }
    }
}
