//! The live progress lines on stderr, drawn only on a terminal and never with `--quiet`.

use std::io::Write;
use std::time::Duration;

use rigor_model::units::{format_duration, format_nanos};

/// One line redrawn in place.
pub struct ProgressLine {
    enabled: bool,
    drawn: bool,
}

impl ProgressLine {
    /// `enabled` comes from the writer: stderr is a terminal and the command is not quiet.
    pub fn new(enabled: bool) -> ProgressLine {
        ProgressLine {
            enabled,
            drawn: false,
        }
    }

    /// A load run's second: elapsed, phase, rate, percentiles, counts.
    pub fn load(&mut self, window: &rigor_load::Window) {
        if !self.enabled {
            return;
        }
        let p = &window.progress;
        let planned = p
            .planned
            .map(|d| format!("/{}", format_duration(d)))
            .unwrap_or_default();
        self.draw(&format!(
            "  {}{planned}  {}  {}/s  p50 {}  p99 {}  requests {}  errors {}",
            format_duration(p.elapsed),
            p.phase,
            p.last_second,
            format_nanos(p.p50_ns as f64),
            format_nanos(p.p99_ns as f64),
            p.requests,
            p.errors
        ));
    }

    /// A benchmark's finished run, once it has gone on for more than a second.
    pub fn bench(&mut self, p: &rigor_bench::BenchProgress) {
        if !self.enabled || p.elapsed <= Duration::from_secs(1) {
            return;
        }
        let left = p
            .remaining
            .map(|r| {
                let r = Duration::from_secs(r.as_secs_f64().round() as u64);
                format!(", ~{} left", format_duration(r))
            })
            .unwrap_or_default();
        self.draw(&format!(
            "  {:?} command {} run {}/{}{}",
            p.phase,
            p.command + 1,
            p.run,
            p.of,
            left
        ));
    }

    fn draw(&mut self, line: &str) {
        let mut stderr = std::io::stderr().lock();
        let _ = write!(stderr, "\r\x1b[2K{line}");
        let _ = stderr.flush();
        self.drawn = true;
    }
}

impl Drop for ProgressLine {
    fn drop(&mut self) {
        if self.drawn {
            let mut stderr = std::io::stderr().lock();
            let _ = write!(stderr, "\r\x1b[2K");
            let _ = stderr.flush();
        }
    }
}
