//! Recording a command benchmark: drive the bench runner, write every timed run as it is
//! accepted (a benchmark whose process is killed keeps the runs it finished), close the run
//! with the result.

use std::path::Path;
use std::time::{Duration, Instant};

use rigor_bench::{BenchProgress, BenchResult, BenchSpec, Executor, Runner, TimedRun};
use rigor_model::output::profile::ProfileCapture;
use rigor_model::plan::BenchEntry;
use rigor_model::{RunKind, RunStatus, StopHandle};
use rigor_store::{BenchRun, NewRun, RunEnd, RunHeadline, RunId, Store};

use crate::{unix_ns_now, OnLost, RecordError, Recorded, Recording};

/// How long finished runs may wait in memory before they are written: a killed benchmark
/// loses at most this much of its runs.
const FLUSH_EVERY: Duration = Duration::from_millis(200);

/// A benchmark checked and ready to record.
pub struct PreparedBench {
    entry: BenchEntry,
    plan: rigor_bench::BenchPlan,
    on_lost: Option<OnLost>,
}

impl PreparedBench {
    /// Each benchmarked command's name and the words that start it (its shell and script,
    /// or its program and arguments), for running it once more under a profiler.
    pub fn invocations(&self) -> Vec<(String, Vec<String>)> {
        self.plan
            .commands
            .iter()
            .map(|c| {
                let argv = match &c.command.invocation {
                    rigor_bench::Invocation::Direct { program, args } => {
                        std::iter::once(program.clone())
                            .chain(args.iter().cloned())
                            .collect()
                    }
                    rigor_bench::Invocation::Shell { shell, script } => shell
                        .split_whitespace()
                        .map(str::to_string)
                        .chain(["-c".to_string(), script.clone()])
                        .collect(),
                };
                (c.command.name.clone(), argv)
            })
            .collect()
    }
}

/// Profiles each command once more under perf (after the timed runs, so none of them is
/// disturbed) and keeps the profiles with run `run`; how each was taken, or why not.
pub fn profile_commands(
    store: &mut dyn Store,
    run: RunId,
    commands: &[(String, Vec<String>)],
    spec: &rigor_profile::ProfileSpec,
) -> Result<Vec<ProfileCapture>, rigor_store::StoreError> {
    let mut captures = Vec::new();
    for (name, argv) in commands {
        let mut capture = ProfileCapture {
            name: name.clone(),
            event: "cpu-clock".into(),
            frequency_hz: spec.frequency_hz,
            call_graph: spec.call_graph.as_str().into(),
            window: "a run of its own after the timed runs".into(),
            ..ProfileCapture::default()
        };
        let folded = rigor_profile::into_capture(
            rigor_profile::profile_command(spec, argv),
            &mut capture,
            "perf sampled nothing: the command ran too briefly for 99 samples a second (raise --profile-frequency) or used no CPU",
        );
        store.save_profile(
            run,
            &rigor_store::ProfileRecord {
                name: name.clone(),
                capture: serde_json::to_string(&capture).unwrap_or_default(),
                folded,
            },
        )?;
        captures.push(capture);
    }
    Ok(captures)
}

/// Checks a `[[bench]]` entry completely, without running anything or storing anything: what
/// `rigor run` does for every entry before the first one starts.
pub fn prepare_bench(entry: &BenchEntry) -> Result<PreparedBench, RecordError> {
    let spec_error = |source| RecordError::Spec {
        bench: entry.name.clone(),
        source,
    };
    let plan = BenchSpec::from_entry(entry)
        .map_err(spec_error)?
        .resolve()
        .map_err(spec_error)?;
    plan.check_programs().map_err(spec_error)?;
    Ok(PreparedBench {
        entry: entry.clone(),
        plan,
        on_lost: None,
    })
}

/// Checks, then runs and records a benchmark: [`prepare_bench`], then [`PreparedBench::record`].
pub fn record_bench(
    store: &mut dyn Store,
    entry: &BenchEntry,
    project_dir: &Path,
    start_executor: impl FnOnce() -> Box<dyn Executor + Send> + Send + 'static,
    stop: &StopHandle,
    observe: &mut dyn FnMut(&BenchProgress),
) -> Result<Recorded<(BenchResult, RunId)>, RecordError> {
    prepare_bench(entry)?.record(store, project_dir, start_executor, stop, observe)
}

impl PreparedBench {
    /// Calls `on_lost` as soon as a write to the store fails while the benchmark goes.
    pub fn on_lost(mut self, on_lost: OnLost) -> PreparedBench {
        self.on_lost = Some(on_lost);
        self
    }

    /// Runs the benchmark, storing each timed run as it is accepted. `start_executor` makes
    /// the executor (started on a thread of its own while the run is opened); `observe` sees
    /// every finished run's progress.
    pub fn record(
        self,
        store: &mut dyn Store,
        project_dir: &Path,
        start_executor: impl FnOnce() -> Box<dyn Executor + Send> + Send + 'static,
        stop: &StopHandle,
        observe: &mut dyn FnMut(&BenchProgress),
    ) -> Result<Recorded<(BenchResult, RunId)>, RecordError> {
        let PreparedBench {
            entry,
            plan,
            on_lost,
        } = self;
        record_prepared(
            store,
            (&entry, &plan, on_lost),
            project_dir,
            start_executor,
            stop,
            observe,
        )
    }
}

/// CPU the benchmarked commands used in their timed runs, in seconds. (Warm-up, setup and
/// prepare commands are not counted: on a bench with heavy ones, the machine's other work reads
/// high.)
fn commands_cpu_seconds(result: &BenchResult) -> f64 {
    result
        .commands
        .iter()
        .flat_map(|c| &c.runs)
        .map(|r| (r.measurement.user + r.measurement.system).as_secs_f64())
        .sum()
}

fn record_prepared(
    store: &mut dyn Store,
    (entry, plan, on_lost): (&BenchEntry, &rigor_bench::BenchPlan, Option<OnLost>),
    project_dir: &Path,
    start_executor: impl FnOnce() -> Box<dyn Executor + Send> + Send + 'static,
    stop: &StopHandle,
    observe: &mut dyn FnMut(&BenchProgress),
) -> Result<Recorded<(BenchResult, RunId)>, RecordError> {
    // The executor (a helper process) starts while the environment is read and the run
    // opened, not after.
    let starting = std::thread::spawn(start_executor);
    let environment = rigor_probe::fingerprint(project_dir);
    let mut recording = Recording::begin(
        store,
        &NewRun {
            kind: RunKind::Bench,
            scenario: entry.name.clone(),
            plan: serde_json::to_string(entry).unwrap_or_default(),
            started_at_ns: unix_ns_now(),
            environment: serde_json::to_string(&environment).unwrap_or_default(),
            git_commit: environment.git_commit.clone(),
            owner: rigor_probe::owner::this_process(),
        },
    )
    .map_err(RecordError::Begin)?
    .on_lost(on_lost);
    let mut executor = match starting.join() {
        Ok(executor) => executor,
        Err(_) => Box::new(rigor_bench::ProcessExecutor::new()),
    };
    let mut pending = Pending::default();
    let host_before = rigor_probe::host::HostCpu::now();
    let outcome = Runner::new(plan, executor.as_mut())
        .stop(stop.clone())
        .on_progress(|p| observe(p))
        .on_run(|command, run| pending.push(&mut recording, command, run))
        .run();
    pending.flush(&mut recording);
    let host_after = rigor_probe::host::HostCpu::now();
    let ended = unix_ns_now();
    let result = match outcome {
        Ok(mut result) => {
            result.host_other_cpu_cores = host_before
                .zip(host_after)
                .and_then(|(before, after)| after.busy_cores_since(&before))
                .map(|(busy, seconds)| {
                    rigor_probe::host::other_cores(busy, seconds, commands_cpu_seconds(&result))
                });
            result
        }
        Err(source) => {
            let run = recording.id();
            recording.abort(&source.to_string(), ended);
            return Err(RecordError::Bench { run, source });
        }
    };
    let (status, reason) = if result.interrupted {
        (
            RunStatus::Interrupted,
            Some("interrupted: the finished runs are kept"),
        )
    } else {
        (RunStatus::Completed, None)
    };
    let run_id = recording.id();
    let lost = recording
        .finish(&RunEnd {
            status,
            reason,
            ended_at_ns: ended,
            summary: &serde_json::to_string(&result).unwrap_or_default(),
            headline: RunHeadline::of_bench(&result),
        })
        .err();
    Ok(Recorded {
        value: (result, run_id),
        lost,
        profile: None,
    })
}

/// Timed runs accepted but not yet written.
#[derive(Default)]
struct Pending {
    runs: Vec<BenchRun>,
    seq: u64,
    flushed_at: Option<Instant>,
}

impl Pending {
    fn push(&mut self, recording: &mut Recording<'_>, command: usize, run: &TimedRun) {
        let m = &run.measurement;
        self.runs.push(BenchRun {
            seq: self.seq,
            command: command as u32,
            round: run.round,
            wall_ns: m.wall.as_nanos() as u64,
            user_ns: m.user.as_nanos() as u64,
            system_ns: m.system.as_nanos() as u64,
            peak_rss_bytes: m.peak_rss,
            exit_code: m.exit_code,
            signal: m.signal,
        });
        self.seq += 1;
        let due = self.flushed_at.is_none_or(|at| at.elapsed() >= FLUSH_EVERY);
        if due {
            self.flush(recording);
        }
    }

    fn flush(&mut self, recording: &mut Recording<'_>) {
        recording.bench_runs(&self.runs);
        self.runs.clear();
        self.flushed_at = Some(Instant::now());
    }
}
