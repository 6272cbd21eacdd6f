//! Running one load scenario end to end: open the run in the store, drive the engine, write
//! each one-second window as it finishes (so an interrupted or crashed run keeps its data),
//! judge the thresholds, and close the run with its summary.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use rigor_load::{LoadConfig, StopHandle, StopState, Window};
use rigor_model::output::{RunStatus, RunSummary};
use rigor_model::plan::Scenario;
use rigor_model::units::{format_duration, format_nanos};
use rigor_store::{HistogramRecord, NewRun, SqliteStore, Store};

use crate::exit;

/// Where the store lives: `--store`, else `RIGOR_STORE` (clap reads it), else the plan's
/// `store`, else `.rigor/rigor.db` in the project directory.
fn store_path(flag: Option<&Path>, plan_store: Option<&str>, project_dir: &Path) -> PathBuf {
    match (flag, plan_store) {
        (Some(p), _) => p.to_path_buf(),
        (None, Some(p)) => project_dir.join(p),
        (None, None) => project_dir.join(".rigor").join("rigor.db"),
    }
}

/// Opens the store for a command that records runs, creating it if missing.
pub fn open_store(
    flag: Option<&Path>,
    plan_store: Option<&str>,
    project_dir: &Path,
) -> anyhow::Result<SqliteStore> {
    open_at(&store_path(flag, plan_store, project_dir))
}

/// Opens the store for a command that only reads it. A store that does not exist yet is
/// `Err(path)` rather than a new empty file: looking must not leave a `.rigor/` behind.
pub fn open_existing_store(
    flag: Option<&Path>,
    project_dir: &Path,
) -> anyhow::Result<Result<SqliteStore, PathBuf>> {
    let path = store_path(flag, None, project_dir);
    if !path.exists() && !is_postgres_url(&path) {
        return Ok(Err(path));
    }
    open_at(&path).map(Ok)
}

fn open_at(path: &Path) -> anyhow::Result<SqliteStore> {
    if is_postgres_url(path) {
        return Err(exit::bad_input(anyhow::anyhow!(
            "--store {}: PostgreSQL stores are not supported by this build yet; use a SQLite file path",
            path.display()
        )));
    }
    SqliteStore::open(path).map_err(exit::not_completed)
}

fn is_postgres_url(path: &Path) -> bool {
    let text = path.to_string_lossy();
    text.starts_with("postgres://") || text.starts_with("postgresql://")
}

/// What a reading command says when a store holds no runs (or does not exist yet).
pub fn no_runs_text(path: &Path) -> String {
    format!(
        "no runs in {} yet: `rigor demo`, `rigor load URL` or `rigor bench -- CMD` makes one",
        path.display()
    )
}

/// The error of a reading command that needs a run and found none.
pub fn no_runs_yet(path: &Path) -> anyhow::Error {
    exit::bad_input(anyhow::anyhow!(no_runs_text(path)))
}

/// Installs the Ctrl-C / SIGTERM handler once: the first signal stops gracefully, the second
/// at once. Both keep what was measured.
pub fn stop_handle() -> StopHandle {
    static HANDLE: OnceLock<StopHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let handle = StopHandle::new();
            let signals = handle.clone();
            let _ = std::thread::Builder::new()
                .name("rigor-signals".into())
                .spawn(move || listen_for_signals(signals));
            handle
        })
        .clone()
}

fn listen_for_signals(stop: StopHandle) {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return;
    };
    runtime.block_on(async move {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut interrupt), Ok(mut terminate)) = (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) else {
            return;
        };
        loop {
            tokio::select! {
                _ = interrupt.recv() => {},
                _ = terminate.recv() => {},
            }
            let state = stop.escalate();
            let mut stderr = std::io::stderr().lock();
            let _ = match state {
                StopState::Graceful => writeln!(stderr, "\nstopping: nothing new starts; waiting for what is in flight (Ctrl-C again to stop now)"),
                _ => writeln!(stderr, "\nstopping now; saving what was measured"),
            };
        }
    });
}

/// How to run, beyond the scenario itself.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub threads: usize,
    pub max_lag: Duration,
    pub quiet: bool,
    pub project_dir: PathBuf,
    /// The plan text as written, kept with the run.
    pub plan_text: Option<String>,
    /// The target's process, sampled once a second for its CPU, memory, threads and files.
    pub target_pid: Option<u32>,
}

/// Runs a scenario, storing it as it goes; returns the summary (already in the store).
pub fn execute(
    store: &mut SqliteStore,
    scenario: &Scenario,
    options: &RunOptions,
    stop: &StopHandle,
) -> anyhow::Result<RunSummary> {
    let environment = crate::environment::fingerprint(&options.project_dir);
    let plan = serde_json::json!({ "plan_text": options.plan_text, "scenario": scenario });
    let started_at_ns = unix_ns(SystemTime::now());
    let run_id = store
        .begin_run(&NewRun {
            kind: "load".into(),
            scenario: scenario.name.clone(),
            plan: plan.to_string(),
            started_at_ns,
            environment: serde_json::to_string(&environment)?,
            git_commit: environment.git_commit.clone(),
        })
        .map_err(exit::not_completed)?;
    let sampler = match options.target_pid {
        Some(pid) => Some(rigor_probe::Sampler::start(pid).map_err(|e| {
            let _ = store.finish_run(
                run_id,
                RunStatus::Aborted,
                Some(&e.to_string()),
                unix_ns(SystemTime::now()),
                "null",
            );
            exit::bad_input(anyhow::anyhow!("--target-pid {pid}: {e}"))
        })?),
        None => None,
    };
    let mut config = LoadConfig::new(scenario.clone());
    config.threads = options.threads;
    config.max_lag = options.max_lag;
    let mut progress = Progress::new(options.quiet);
    let mut store_error: Option<rigor_store::StoreError> = None;
    let phase_names: Vec<String> = scenario.phases.iter().map(|p| p.name.clone()).collect();
    let result = {
        let mut on_window = |window: &Window| {
            let rows: Vec<rigor_store::Window> = window
                .parts
                .iter()
                .map(|(phase, part)| rigor_store::Window {
                    second: window.second,
                    phase: phase_names.get(*phase).cloned().unwrap_or_default(),
                    requests: part.group.requests,
                    errors: part.group.errors,
                    sent: part.sent,
                    corrected: part
                        .group
                        .corrected
                        .as_deref()
                        .map(rigor_load::recorder::encode)
                        .unwrap_or_default(),
                    raw: part
                        .group
                        .raw
                        .as_deref()
                        .map(rigor_load::recorder::encode)
                        .unwrap_or_default(),
                })
                .collect();
            if store_error.is_none() && !rows.is_empty() {
                if let Err(e) = store.append_windows(run_id, &rows) {
                    store_error = Some(e);
                }
            }
            progress.update(window);
        };
        rigor_load::run(&config, stop, &mut on_window)
    };
    progress.clear();
    let result = match result {
        Ok(r) => r,
        Err(e) => {
            let reason = e.to_string();
            let _ = store.finish_run(
                run_id,
                RunStatus::Aborted,
                Some(&reason),
                unix_ns(SystemTime::now()),
                "null",
            );
            return Err(anyhow::Error::new(e).context(format!("run {run_id} aborted")));
        }
    };
    let target = sampler.map(|sampler| {
        let pid = sampler.pid;
        (pid, sampler.finish())
    });
    let target_summary = target
        .as_ref()
        .and_then(|(pid, samples)| summarize_target(*pid, samples));
    if let Some((_, samples)) = &target {
        let rows: Vec<rigor_store::Sample> = samples
            .iter()
            .flat_map(|s| {
                [
                    ("target.cpu", s.cpu_share),
                    ("target.cpu_cores", s.cpu_cores),
                    ("target.rss", s.rss_bytes as f64),
                    ("target.threads", f64::from(s.threads)),
                    ("target.fds", f64::from(s.fds)),
                ]
                .map(|(name, value)| rigor_store::Sample {
                    second: s.second,
                    name: name.into(),
                    value,
                })
            })
            .collect();
        if let Err(e) = store.append_samples(run_id, &rows) {
            store_error.get_or_insert(e);
        }
    }
    let thresholds = result.evaluate(&scenario.thresholds, target_summary.as_ref());
    let summary = result.summary(run_id, environment, thresholds, None, target_summary);
    let histograms: Vec<HistogramRecord> = result
        .histograms()
        .into_iter()
        .map(|(scope, name, kind, hist)| HistogramRecord {
            scope: scope.into(),
            name,
            kind: kind.into(),
            data: rigor_load::recorder::encode(&hist),
        })
        .collect();
    let ended_at_ns = started_at_ns + summary.duration_ns as i64;
    store
        .save_histograms(run_id, &histograms)
        .and_then(|()| {
            store.finish_run(
                run_id,
                summary.status,
                summary.status_reason.as_deref(),
                ended_at_ns,
                &serde_json::to_string(&summary).unwrap_or_default(),
            )
        })
        .map_err(exit::not_completed)
        .with_context(|| {
            format!(
                "the run finished but could not be saved completely in {}",
                store.path().display()
            )
        })?;
    if let Some(e) = store_error {
        return Err(exit::not_completed(e)).context("some one-second windows could not be stored");
    }
    Ok(summary)
}

/// The target's figures over the run, from its per-second samples.
fn summarize_target(
    pid: u32,
    samples: &[rigor_probe::SecondSample],
) -> Option<rigor_model::output::TargetSummary> {
    let (first, last) = (samples.first()?, samples.last()?);
    let n = samples.len() as f64;
    Some(rigor_model::output::TargetSummary {
        pid,
        samples: samples.len() as u32,
        cpu_mean: samples.iter().map(|s| s.cpu_share).sum::<f64>() / n,
        cpu_max: samples.iter().map(|s| s.cpu_share).fold(0.0, f64::max),
        cpu_cores_mean: samples.iter().map(|s| s.cpu_cores).sum::<f64>() / n,
        rss_start_bytes: first.rss_bytes,
        rss_end_bytes: last.rss_bytes,
        rss_max_bytes: samples.iter().map(|s| s.rss_bytes).max().unwrap_or(0),
        threads_max: samples.iter().map(|s| s.threads).max().unwrap_or(0),
        fds_max: samples.iter().map(|s| s.fds).max().unwrap_or(0),
    })
}

/// The exit code a run's status calls for.
pub fn exit_code(status: RunStatus) -> u8 {
    match status {
        RunStatus::Passed => exit::PASSED,
        RunStatus::Failed => exit::FAILED,
        RunStatus::Interrupted => exit::INTERRUPTED,
        RunStatus::Invalid | RunStatus::Aborted | RunStatus::Running => exit::NOT_COMPLETED,
    }
}

/// Nanoseconds since the Unix epoch, as the store keeps times.
pub fn unix_ns(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64)
}

/// The live progress line on stderr, drawn only on a terminal.
struct Progress {
    enabled: bool,
    drawn: bool,
}

impl Progress {
    fn new(quiet: bool) -> Progress {
        Progress {
            enabled: !quiet && std::io::stderr().is_terminal(),
            drawn: false,
        }
    }

    fn update(&mut self, window: &Window) {
        if !self.enabled {
            return;
        }
        let p = &window.progress;
        let planned = p
            .planned
            .map(|d| format!("/{}", format_duration(d)))
            .unwrap_or_default();
        let line = format!(
            "  {}{planned}  {}  {}/s  p50 {}  p99 {}  requests {}  errors {}",
            format_duration(p.elapsed),
            p.phase,
            p.last_second,
            format_nanos(p.p50_ns as f64),
            format_nanos(p.p99_ns as f64),
            p.requests,
            p.errors
        );
        let mut stderr = std::io::stderr().lock();
        let _ = write!(stderr, "\r\x1b[2K{line}");
        let _ = stderr.flush();
        self.drawn = true;
    }

    fn clear(&mut self) {
        if self.drawn {
            let mut stderr = std::io::stderr().lock();
            let _ = write!(stderr, "\r\x1b[2K");
            let _ = stderr.flush();
        }
    }
}
