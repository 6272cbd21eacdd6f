//! The one writer of rigor's output streams. stdout carries the data the user asked for and
//! only that (a table, JSON that parses whatever the CI environment sets); notes, warnings,
//! annotations and progress go to stderr. `--quiet` silences notes, never warnings or data.
//! A reader that closes the pipe (`rigor runs | head`) is done, not failed: nothing more is
//! written to stdout and the command still exits as it would have.

use std::fmt;
use std::io::{self, IsTerminal, Write};

use crate::{export, Format, Report, ReportError};

/// stdout and stderr, or any two writers in tests.
pub struct Writer {
    out: Box<dyn Write>,
    err: Box<dyn Write>,
    quiet: bool,
    colour: bool,
    progress: bool,
    out_closed: bool,
}

impl Writer {
    /// The process's own streams. Colour only on a terminal and without `NO_COLOR`; progress
    /// only when stderr is a terminal and not `quiet`.
    pub fn stdio(quiet: bool) -> Writer {
        let colour =
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && io::stdout().is_terminal();
        let progress = !quiet && io::stderr().is_terminal();
        Writer {
            out: Box::new(io::stdout()),
            err: Box::new(io::stderr()),
            quiet,
            colour,
            progress,
            out_closed: false,
        }
    }

    /// A writer over two buffers or files, for tests and embedding.
    pub fn new(out: Box<dyn Write>, err: Box<dyn Write>, quiet: bool) -> Writer {
        Writer {
            out,
            err,
            quiet,
            colour: false,
            progress: false,
            out_closed: false,
        }
    }

    /// Sets `--quiet` once the command's flags are known.
    pub fn set_quiet(&mut self, quiet: bool) {
        self.quiet = quiet;
        self.progress &= !quiet;
    }

    pub fn quiet(&self) -> bool {
        self.quiet
    }

    /// Whether colour may be used on stdout.
    pub fn colour(&self) -> bool {
        self.colour
    }

    /// Whether a live progress line may be drawn on stderr.
    pub fn progress(&self) -> bool {
        self.progress
    }

    /// Writes a report on stdout.
    pub fn report(&mut self, report: &Report<'_>, format: Format) -> Result<(), ReportError> {
        if self.out_closed {
            return Ok(());
        }
        let written = export(report, format, &mut *self.out).and_then(|()| Ok(self.out.flush()?));
        self.closed_is_done(written)
    }

    /// Writes a report on stderr (GitHub annotations, which must not mix with the data).
    pub fn report_to_stderr(
        &mut self,
        report: &Report<'_>,
        format: Format,
    ) -> Result<(), ReportError> {
        let written = export(report, format, &mut *self.err);
        match written {
            Err(e) if e.is_broken_pipe() => Ok(()),
            other => other,
        }
    }

    /// A line of data on stdout (for commands whose data is a sentence, such as `init`).
    pub fn line(&mut self, args: fmt::Arguments<'_>) -> Result<(), ReportError> {
        if self.out_closed {
            return Ok(());
        }
        let written = writeln!(self.out, "{args}")
            .and_then(|()| self.out.flush())
            .map_err(ReportError::from);
        self.closed_is_done(written)
    }

    /// A note on stderr (what was stored where, what to do next), unless quiet.
    pub fn note(&mut self, args: fmt::Arguments<'_>) {
        if !self.quiet {
            let _ = writeln!(self.err, "{args}");
        }
    }

    /// A warning on stderr, quiet or not.
    pub fn warn(&mut self, args: fmt::Arguments<'_>) {
        let _ = writeln!(self.err, "warning: {args}");
    }

    /// stderr as it is, for a progress line drawn in place.
    pub fn stderr(&mut self) -> &mut dyn Write {
        &mut *self.err
    }

    fn closed_is_done(&mut self, written: Result<(), ReportError>) -> Result<(), ReportError> {
        match written {
            Err(e) if e.is_broken_pipe() => {
                self.out_closed = true;
                Ok(())
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct ClosedPipe;

    impl Write for ClosedPipe {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::from(io::ErrorKind::BrokenPipe))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_pipe_is_the_reader_being_done() {
        let mut w = Writer::new(Box::new(ClosedPipe), Box::new(Vec::new()), false);
        assert!(w.line(format_args!("one")).is_ok());
        assert!(w.line(format_args!("two")).is_ok());
    }

    #[test]
    fn quiet_silences_notes_not_warnings() {
        let err = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
        struct Shared(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);
        impl Write for Shared {
            fn write(&mut self, b: &[u8]) -> io::Result<usize> {
                self.0.borrow_mut().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut w = Writer::new(Box::new(Vec::new()), Box::new(Shared(err.clone())), true);
        w.note(format_args!("stored as run 1"));
        w.warn(format_args!("environment differs"));
        let text = String::from_utf8(err.borrow().clone()).unwrap();
        assert_eq!(text, "warning: environment differs\n");
        assert!(!w.progress());
    }
}
