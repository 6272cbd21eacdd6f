//! Custom probes of the system under test (`[[target.probe]]`): a command run every interval
//! while a run goes, whose number becomes a series (a queue's depth, a database's
//! connections) or whose text is tracked by its hash so that a change mid-run is flagged (the
//! runbook's query-plan monitor: `EXPLAIN` of the top query, without rigor knowing any
//! database). A probe that fails, times out or prints what it should not is counted with its
//! reason, never fatal.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The most output read from one run of a probe.
const MAX_OUTPUT: u64 = 64 << 10;

/// What a probe's output is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeKind {
    /// A number (`42`, `0.93`): a series.
    Number,
    /// Any text: its hash is tracked, each change counted.
    Text,
}

/// One probe to run.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeSpec {
    /// Its name, also its series' (`target.metric.NAME`).
    pub name: String,
    /// Run with `sh -c`.
    pub command: String,
    pub every: Duration,
    pub timeout: Duration,
    pub kind: ProbeKind,
}

impl ProbeSpec {
    /// The plan's `[[target.probe]]` (already checked by the plan).
    pub fn from_plan(table: &rigor_model::plan::ProbeTable) -> ProbeSpec {
        ProbeSpec {
            name: table.name.clone(),
            command: table.command.clone(),
            every: table.interval(),
            timeout: table.run_timeout(),
            kind: if table.is_text() {
                ProbeKind::Text
            } else {
                ProbeKind::Number
            },
        }
    }
}

/// One change of a text probe's output.
#[derive(Debug, Clone, PartialEq)]
pub struct TextChange {
    /// Whole seconds from the start of probing.
    pub second: u32,
    /// FNV-1a of the output, in hex.
    pub hash: String,
    /// Its first line (at most 200 characters), for the reader.
    pub first_line: String,
}

/// One value of a probe: its number, or for a text probe the changes counted so far.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeValue {
    pub second: u32,
    pub value: f64,
}

/// What one probe gave over a run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Probed {
    pub runs: u32,
    pub failed: u32,
    pub last_error: Option<String>,
    pub values: Vec<ProbeValue>,
    /// A text probe's first output and each change after it.
    pub texts: Vec<TextChange>,
}

/// Runs one probe on a thread of its own until finished.
pub struct Prober {
    pub spec: ProbeSpec,
    stop: Arc<AtomicBool>,
    kept: Arc<Mutex<Probed>>,
    handle: Option<JoinHandle<()>>,
}

impl Prober {
    pub fn start(spec: ProbeSpec, dir: std::path::PathBuf) -> Prober {
        let stop = Arc::new(AtomicBool::new(false));
        let kept = Arc::new(Mutex::new(Probed::default()));
        let (flag, sink, run) = (Arc::clone(&stop), Arc::clone(&kept), spec.clone());
        let handle = std::thread::Builder::new()
            .name(format!("rigor-probe-{}", spec.name))
            .spawn(move || probe_loop(&run, &dir, &flag, &sink))
            .ok();
        Prober {
            spec,
            stop,
            kept,
            handle,
        }
    }

    /// The values taken after the first `from`.
    pub fn values_since(&self, from: usize) -> Vec<ProbeValue> {
        self.kept
            .lock()
            .map(|k| k.values.get(from..).unwrap_or_default().to_vec())
            .unwrap_or_default()
    }

    /// Stops probing (a run under way is waited for, up to its timeout) and returns all kept.
    pub fn finish(mut self) -> (ProbeSpec, Probed) {
        self.stop.store(true, Ordering::Release);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
        let probed = self
            .kept
            .lock()
            .map(|mut k| std::mem::take(&mut *k))
            .unwrap_or_default();
        (self.spec.clone(), probed)
    }
}

impl Drop for Prober {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
    }
}

fn probe_loop(spec: &ProbeSpec, dir: &std::path::Path, stop: &AtomicBool, sink: &Mutex<Probed>) {
    let start = Instant::now();
    let mut tick = 0u32;
    loop {
        let second = start.elapsed().as_secs() as u32;
        let outcome = run_once(spec, dir);
        if let Ok(mut k) = sink.lock() {
            k.runs += 1;
            match outcome.and_then(|text| record(spec, &mut k, second, &text)) {
                Ok(()) => {}
                Err(why) => {
                    k.failed += 1;
                    k.last_error = Some(why);
                }
            }
        }
        tick += 1;
        if !crate::wait_until(start + spec.every * tick, stop) {
            return;
        }
    }
}

/// Keeps one run's output: a number as a value; a text's hash, a new one as a change.
fn record(spec: &ProbeSpec, k: &mut Probed, second: u32, text: &str) -> Result<(), String> {
    match spec.kind {
        ProbeKind::Number => {
            let value: f64 = text.trim().parse().ok().filter(|v: &f64| v.is_finite()).ok_or_else(|| {
                let shown: String = text.trim().chars().take(80).collect();
                format!("probe `{}` printed `{shown}`, not a number (give it kind = \"text\" to track text)", spec.name)
            })?;
            k.values.push(ProbeValue { second, value });
        }
        ProbeKind::Text => {
            let hash = format!("{:016x}", fnv1a(text.as_bytes()));
            if k.texts.last().is_none_or(|t| t.hash != hash) {
                k.texts.push(TextChange {
                    second,
                    hash,
                    first_line: text
                        .lines()
                        .next()
                        .unwrap_or("")
                        .chars()
                        .take(200)
                        .collect(),
                });
            }
            let changes = k.texts.len().saturating_sub(1);
            k.values.push(ProbeValue {
                second,
                value: changes as f64,
            });
        }
    }
    Ok(())
}

/// 64-bit FNV-1a: a stable hash to tell one output from another (not for security).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Runs the command once, within its timeout; its stdout, or why not.
fn run_once(spec: &ProbeSpec, dir: &std::path::Path) -> Result<String, String> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(&spec.command)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        // Its own group, so a timeout stops what it started too (a `sleep` under `sh`).
        .process_group(0)
        .spawn()
        .map_err(|e| format!("probe `{}` could not start: {e}", spec.name))?;
    let mut stdout = child.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = (&mut stdout).take(MAX_OUTPUT).read_to_string(&mut text);
        text
    });
    let deadline = Instant::now() + spec.timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                crate::target::signal_group(child.id(), libc::SIGKILL);
                let _ = child.wait();
                return Err(format!(
                    "probe `{}` took longer than its timeout of {} and was killed",
                    spec.name,
                    rigor_model::units::format_duration(spec.timeout)
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(format!("probe `{}`: {e}", spec.name)),
        }
    };
    let text = reader.join().unwrap_or_default();
    if !status.success() {
        return Err(format!(
            "probe `{}` failed: {}",
            spec.name,
            crate::describe_exit(status).2
        ));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str, command: &str, kind: ProbeKind) -> ProbeSpec {
        ProbeSpec {
            name: name.into(),
            command: command.into(),
            every: Duration::from_millis(50),
            timeout: Duration::from_millis(500),
            kind,
        }
    }

    #[test]
    fn numbers_become_values_and_text_changes_are_counted() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("plan");
        std::fs::write(&file, "Seq Scan on orders\n").unwrap();
        let text = Prober::start(
            spec("plan", "cat plan", ProbeKind::Text),
            dir.path().to_path_buf(),
        );
        let number = Prober::start(
            spec("depth", "echo 42", ProbeKind::Number),
            dir.path().to_path_buf(),
        );
        std::thread::sleep(Duration::from_millis(300));
        std::fs::write(&file, "Index Scan using orders_pkey\n").unwrap();
        std::thread::sleep(Duration::from_millis(300));
        let (_, t) = text.finish();
        let (_, n) = number.finish();
        assert!(
            n.values.len() >= 3 && n.values.iter().all(|v| v.value == 42.0),
            "{n:?}"
        );
        assert_eq!(n.failed, 0);
        assert_eq!(t.texts.len(), 2, "{t:?}");
        assert_eq!(t.texts[1].first_line, "Index Scan using orders_pkey");
        assert_eq!(t.values.first().map(|v| v.value), Some(0.0));
        assert_eq!(t.values.last().map(|v| v.value), Some(1.0));
    }

    #[test]
    fn failures_timeouts_and_non_numbers_are_counted_with_why() {
        let dir = tempfile::tempdir().unwrap();
        for (command, why) in [
            ("exit 4", "exit status 4"),
            ("sleep 5", "longer than its timeout"),
            ("echo lots", "not a number"),
        ] {
            let p = Prober::start(
                spec("p", command, ProbeKind::Number),
                dir.path().to_path_buf(),
            );
            std::thread::sleep(Duration::from_millis(100));
            let (_, probed) = p.finish();
            assert!(
                probed.failed >= 1 && probed.values.is_empty(),
                "{command}: {probed:?}"
            );
            let last = probed.last_error.unwrap();
            assert!(last.contains(why), "{command}: {last}");
        }
    }
}
