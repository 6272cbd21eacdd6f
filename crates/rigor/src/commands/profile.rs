//! `rigor profile`: the target's stacks sampled with Linux perf during a run's steady phase,
//! kept with the run; its hottest frames, its flame graph, and where the time moved between
//! two profiled runs. `--profile` on `rigor load` and `rigor run` takes the same profile.

use std::path::PathBuf;
use std::process::ExitCode;

use rigor_model::output::profile::{ProfileCapture, ProfileDiff, ProfileReport};
use rigor_report::{Format, Report, Writer};
use rigor_store::Store;

use crate::{data_format, exit, store};

/// How many frames the hottest-frames table lists.
pub const TOP_FRAMES: usize = 15;

/// The profiling flags of `rigor load` and `rigor run`.
#[derive(clap::Args, Debug, Clone)]
pub struct ProfileArgs {
    /// Sample the target's stacks with Linux perf during the steady phase (the whole run
    /// without one): its hottest frames and flame graph are kept with the run. Needs the
    /// target's process (--target-pid, or a plan's `[target]`); `$PERF` names another perf.
    #[arg(long)]
    pub profile: bool,

    /// Stack samples a second when profiling.
    #[arg(long, default_value_t = rigor_profile::DEFAULT_FREQUENCY_HZ, value_name = "HZ", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub profile_frequency: u32,

    /// How profiled stacks are unwound: fp (frame pointers; cheap) or dwarf (works without
    /// frame pointers, costs more).
    #[arg(long, default_value = "fp", value_parser = ["fp", "dwarf"])]
    pub call_graph: String,

    /// The phase to profile (default: the one named `steady`, else the first steady phase,
    /// else the whole run).
    #[arg(long, value_name = "PHASE")]
    pub profile_phase: Option<String>,
}

impl ProfileArgs {
    pub fn spec(&self) -> Option<rigor_profile::ProfileSpec> {
        self.profile.then(|| rigor_profile::ProfileSpec {
            frequency_hz: self.profile_frequency,
            call_graph: if self.call_graph == "dwarf" {
                rigor_profile::CallGraph::Dwarf
            } else {
                rigor_profile::CallGraph::FramePointers
            },
            phase: self.profile_phase.clone(),
            ..rigor_profile::ProfileSpec::default()
        })
    }
}

#[derive(clap::Args, Debug)]
pub struct ProfileCommandArgs {
    /// The profiled run to show (a run id or `latest`), or a scenario of the plan to run now
    /// with its target profiled (`rigor run SCENARIO --profile`).
    #[arg(default_value = "latest", conflicts_with = "diff")]
    pub run: String,

    /// The plan, when RUN names a scenario.
    #[arg(long, short = 'p', default_value = "rigor.toml", value_name = "FILE")]
    pub plan: PathBuf,

    /// How stacks are unwound when a scenario is run: fp or dwarf.
    #[arg(long, default_value = "fp", value_parser = ["fp", "dwarf"])]
    pub call_graph: String,

    /// When a scenario is run: mark it invalid when the generator's p99 scheduling lag
    /// exceeds this.
    #[arg(long, default_value = "10ms", value_name = "DURATION", value_parser = crate::flags::lag_limit)]
    pub max_lag: rigor_model::units::HumanDuration,

    /// Stack samples a second when a scenario is run.
    #[arg(long, default_value_t = rigor_profile::DEFAULT_FREQUENCY_HZ, value_name = "HZ", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub profile_frequency: u32,

    /// Where the time moved between two profiled runs: `--diff BEFORE AFTER`.
    #[arg(long, num_args = 2, value_names = ["BEFORE", "AFTER"])]
    pub diff: Option<Vec<String>>,

    /// Keep a profile taken elsewhere with stored run RUN: a `perf script` text, or folded
    /// stacks (`frame;frame;frame count` lines, such as async-profiler's collapsed output).
    #[arg(long, value_name = "FILE", conflicts_with = "diff")]
    pub import: Option<PathBuf>,

    /// Also write the flame graph (SVG), the folded stacks and profiling-report.md to DIR.
    #[arg(long, short = 'o', value_name = "DIR")]
    pub output: Option<PathBuf>,

    /// Which of the run's profiles: `target` (a load run's), or a benchmarked command's
    /// name [default: the run's first].
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// Print as versioned JSON.
    #[arg(long)]
    pub json: bool,

    /// The run store (default .rigor/rigor.db).
    #[arg(long, env = "RIGOR_STORE", value_name = "PATH")]
    pub store: Option<PathBuf>,
}

/// `--profile-phase` must name a phase of the scenario.
pub fn check_phase(scenario: &rigor_model::plan::Scenario, phase: &str) -> anyhow::Result<()> {
    if scenario.phases.iter().any(|p| p.name == phase) {
        return Ok(());
    }
    let names: Vec<&str> = scenario.phases.iter().map(|p| p.name.as_str()).collect();
    Err(exit::bad_input(anyhow::anyhow!(
        "--profile-phase {phase}: scenario `{}` has no such phase; its phases are {}",
        scenario.name,
        names.join(", ")
    )))
}

/// A stored profile read back: how it was taken and its folded stacks.
pub struct StoredProfile {
    pub capture: ProfileCapture,
    pub folded: Option<String>,
}

/// The profiles stored with run `run`.
pub fn stored(store: &dyn Store, run: i64) -> anyhow::Result<Vec<StoredProfile>> {
    store
        .profiles(run)?
        .into_iter()
        .map(|p| {
            let capture: ProfileCapture = serde_json::from_str(&p.capture).map_err(|e| {
                exit::not_completed(anyhow::anyhow!(
                    "run {run}'s profile `{}` cannot be read: {e}",
                    p.name
                ))
            })?;
            Ok(StoredProfile {
                capture,
                folded: p.folded,
            })
        })
        .collect()
}

/// The hottest frames of run `run`'s stored profile.
pub fn report_of(run: i64, p: &StoredProfile) -> ProfileReport {
    rigor_analysis::profile::hottest(
        run,
        &p.capture,
        p.folded.as_deref().unwrap_or(""),
        TOP_FRAMES,
    )
}

/// Where the time moved from one stored profile to another.
fn diff_of(before: (i64, &StoredProfile), after: (i64, &StoredProfile)) -> ProfileDiff {
    let fold = |p: &StoredProfile| p.folded.clone().unwrap_or_default();
    let (grew, shrank) = rigor_analysis::profile::diff(
        (&fold(before.1), &before.1.capture.modules),
        (&fold(after.1), &after.1.capture.modules),
        TOP_FRAMES,
    );
    ProfileDiff {
        name: after.1.capture.name.clone(),
        before_run: before.0,
        after_run: after.0,
        before_samples: before.1.capture.samples,
        after_samples: after.1.capture.samples,
        grew,
        shrank,
    }
}

/// The diffs of every profile two runs both have with samples, by name: what a comparison
/// of the runs shows beside its verdicts.
pub fn diffs(store: &dyn Store, before: i64, after: i64) -> anyhow::Result<Vec<ProfileDiff>> {
    let sampled = |run| -> anyhow::Result<Vec<StoredProfile>> {
        Ok(stored(store, run)?
            .into_iter()
            .filter(|p| p.capture.unavailable.is_none() && p.capture.samples > 0)
            .collect())
    };
    let (a, b) = (sampled(before)?, sampled(after)?);
    Ok(a.iter()
        .filter_map(|pa| {
            let pb = b.iter().find(|pb| pb.capture.name == pa.capture.name)?;
            Some(diff_of((before, pa), (after, pb)))
        })
        .collect())
}

/// Shows run `run`'s profiles in the terminal (after a run's summary, and in `rigor show`).
pub fn show_profiles(store: &dyn Store, run: i64, w: &mut Writer) -> anyhow::Result<()> {
    for p in stored(store, run)? {
        if let Some(why) = &p.capture.unavailable {
            w.warn(format_args!("no profile of the {}: {why}", p.capture.name));
            continue;
        }
        w.report(&Report::Profile(&report_of(run, &p)), Format::Terminal)?;
        w.line(format_args!(""))?;
    }
    Ok(())
}

pub fn run(args: &ProfileCommandArgs, w: &mut Writer) -> anyhow::Result<ExitCode> {
    let names_a_run = args.run == "latest" || args.run.parse::<i64>().is_ok();
    if !names_a_run && args.diff.is_none() && args.import.is_none() {
        return profile_scenario(args, w);
    }
    let cwd = std::env::current_dir()?;
    let mut store = store::open_existing_store(args.store.as_deref(), &cwd)?
        .map_err(|path| store::no_runs_yet(&path.display().to_string()))?;
    if let Some(file) = &args.import {
        import(&mut *store, file, &args.run, w)?;
    }
    if let Some(runs) = &args.diff {
        let before = profiled(&*store, &runs[0], args.name.as_deref())?;
        let after = profiled(&*store, &runs[1], args.name.as_deref())?;
        let fold = |p: &(i64, StoredProfile)| p.1.folded.clone().unwrap_or_default();
        let diff = diff_of((before.0, &before.1), (after.0, &after.1));
        if let Some(dir) = &args.output {
            let svg = rigor_report::flamegraph::differential(
                &fold(&before),
                &fold(&after),
                &format!("rigor profile diff: run {} → run {}", before.0, after.0),
            )?;
            write_files(
                dir,
                &[(format!("profile-diff-{}-{}.svg", before.0, after.0), svg)],
                w,
            )?;
        }
        w.report(&Report::ProfileDiff(&diff), data_format(args.json))?;
        return Ok(ExitCode::SUCCESS);
    }
    let (run, profile) = profiled(&*store, &args.run, args.name.as_deref())?;
    let report = report_of(run, &profile);
    if let Some(dir) = &args.output {
        let folded = profile.folded.clone().unwrap_or_default();
        let svg = rigor_report::flamegraph::flamegraph(
            &folded,
            &format!("rigor run {run}: the {}", profile.capture.name),
        )?;
        let md = rigor_report::to_string(&Report::Profile(&report), Format::Markdown)?;
        write_files(
            dir,
            &[
                (format!("profile-{run}.svg"), svg),
                (format!("profile-{run}.folded"), folded),
                (format!("profiling-report-{run}.md"), md),
            ],
            w,
        )?;
    }
    w.report(&Report::Profile(&report), data_format(args.json))?;
    Ok(ExitCode::SUCCESS)
}

/// `rigor profile SCENARIO`: the scenario run from the plan with its target profiled, as
/// `rigor run SCENARIO --profile` runs it.
fn profile_scenario(args: &ProfileCommandArgs, w: &mut Writer) -> anyhow::Result<ExitCode> {
    #[derive(clap::Parser)]
    struct Run {
        #[command(flatten)]
        run: super::run::RunArgs,
    }
    let mut argv: Vec<std::ffi::OsString> = vec![
        "rigor run".into(),
        args.run.clone().into(),
        "--plan".into(),
        args.plan.clone().into(),
        "--profile".into(),
        "--call-graph".into(),
        args.call_graph.clone().into(),
        "--profile-frequency".into(),
        args.profile_frequency.to_string().into(),
        "--max-lag".into(),
        format!("{}ns", args.max_lag.0.as_nanos()).into(),
    ];
    if let Some(store) = &args.store {
        argv.extend(["--store".into(), store.clone().into()]);
    }
    if args.json {
        argv.push("--json".into());
    }
    let parsed = <Run as clap::Parser>::try_parse_from(argv)
        .map_err(|e| exit::bad_input(anyhow::anyhow!("{e}")))?;
    super::run::run(&parsed.run, w)
}

/// Keeps the profile in `file` with run `which`.
fn import(
    store: &mut dyn Store,
    file: &std::path::Path,
    which: &str,
    w: &mut Writer,
) -> anyhow::Result<()> {
    let record = super::baseline::resolve_run(store, which)?;
    let text = std::fs::read_to_string(file).map_err(|e| {
        exit::bad_input(anyhow::anyhow!(
            "cannot read the profile {}: {e}",
            file.display()
        ))
    })?;
    let folded = if looks_folded(&text) {
        let samples = text
            .lines()
            .filter_map(|l| l.rsplit_once(' ')?.1.trim().parse::<u64>().ok())
            .sum();
        // rigor's folded stacks begin with the thread's name, which is not a frame; folded
        // stacks from elsewhere begin with a frame, so they get a name of their own.
        let text: String = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| format!("[imported];{}\n", l.trim()))
            .collect();
        rigor_profile::Folded {
            text,
            samples,
            ..rigor_profile::Folded::default()
        }
    } else {
        rigor_profile::fold_perf_script(&text)
            .map_err(|e| exit::bad_input(anyhow::anyhow!("{}: {e}", file.display())))?
    };
    if folded.samples == 0 {
        return Err(exit::bad_input(anyhow::anyhow!(
            "{} holds no stacks: give the text `perf script` prints, or folded stacks (`frame;frame;frame count` lines)",
            file.display()
        )));
    }
    let capture = ProfileCapture {
        name: "target".into(),
        event: "imported".into(),
        samples: folded.samples,
        window: "imported".into(),
        tool: format!("imported from {}", file.display()),
        hints: folded.hints.clone(),
        modules: folded.modules.clone(),
        ..ProfileCapture::default()
    };
    if !stored(store, record.id)?.is_empty() {
        w.note(format_args!(
            "run {} had a profile; the imported one replaces it",
            record.id
        ));
    }
    store.save_profile(
        record.id,
        &rigor_store::ProfileRecord {
            name: capture.name.clone(),
            capture: serde_json::to_string(&capture)?,
            folded: Some(folded.text),
        },
    )?;
    w.note(format_args!(
        "kept {} samples from {} with run {}",
        folded.samples,
        file.display(),
        record.id
    ));
    Ok(())
}

/// Whether every non-empty line is `stack count`, with no perf script header or frame line.
fn looks_folded(text: &str) -> bool {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty()).peekable();
    lines.peek().is_some()
        && lines.all(|l| {
            !l.starts_with(char::is_whitespace)
                && l.rsplit_once(' ')
                    .is_some_and(|(stack, n)| !stack.is_empty() && n.trim().parse::<u64>().is_ok())
        })
}

/// Run `which` (an id or `latest`) and its profile; an error that says what to do when the
/// run has none, or has one that could not be taken.
fn profiled(
    store: &dyn Store,
    which: &str,
    name: Option<&str>,
) -> anyhow::Result<(i64, StoredProfile)> {
    let record = super::baseline::resolve_run(store, which)?;
    let id = record.id;
    let mut profiles = stored(store, id)?;
    if profiles.is_empty() {
        return Err(exit::bad_input(anyhow::anyhow!(
            "run {id} has no profile: profile a run with `rigor load … --target-pid PID --profile` or `rigor run --profile` (a plan with a [target])"
        )));
    }
    let at = match name {
        None => 0,
        Some(name) => profiles
            .iter()
            .position(|p| p.capture.name == name)
            .ok_or_else(|| {
                let names: Vec<&str> = profiles.iter().map(|p| p.capture.name.as_str()).collect();
                exit::bad_input(anyhow::anyhow!(
                    "run {id} has no profile named `{name}`; its profiles are {}",
                    names.join(", ")
                ))
            })?,
    };
    let p = profiles.remove(at);
    if let Some(why) = &p.capture.unavailable {
        return Err(exit::not_completed(anyhow::anyhow!(
            "run {id} was to be profiled, but its profile could not be taken: {why}"
        )));
    }
    Ok((id, p))
}

fn write_files(
    dir: &std::path::Path,
    files: &[(String, String)],
    w: &mut Writer,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| {
        exit::not_completed(anyhow::anyhow!(
            "cannot create {}: {e}; give -o a directory you can write to",
            dir.display()
        ))
    })?;
    for (name, text) in files {
        let path = dir.join(name);
        super::report::write_whole(&path, text)?;
        w.note(format_args!("wrote {}", path.display()));
    }
    Ok(())
}
