//! `rigor report`: a stored run, a comparison or the gate's verdict written as Markdown, HTML,
//! CSV (figures, or the run second by second) or JSON, to stdout or to files. Every file is written whole or not at
//! all: the text is made first, then written to a temporary file beside its destination and
//! renamed over it, so a reader never sees half a report and a failure leaves nothing behind.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use rigor_report::{Format, Report, Writer};
use rigor_store::{RunKind, Store, StoredRun};

use super::baseline::resolve_run;
use super::compare::{comparison, load, StatsArgs};
use super::gate::{judge, GateArgs, History};
use crate::{exit, store};

#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    /// The run to report: a run id or `latest`.
    #[arg(default_value = "latest", conflicts_with = "compare")]
    pub run: String,

    /// Report the gate's verdict instead: the plan's budgets and rules judged on the latest
    /// run of each scenario and bench (or on RUN), as `rigor gate` judges them, without
    /// adding to the gate history. The exit code is the report's, not the verdict's: CI
    /// gates with `rigor gate --report DIR`.
    #[arg(long, conflicts_with_all = ["compare", "snapshot"])]
    pub gate: bool,

    /// The plan `--gate` reads its budgets and rules from.
    #[arg(
        long,
        short = 'p',
        default_value = "rigor.toml",
        value_name = "FILE",
        requires = "gate"
    )]
    pub plan: PathBuf,

    /// Report a comparison instead: `--compare A B`, or `--compare B` (B against its
    /// baseline), or `--compare` alone (the latest run against its baseline).
    #[arg(long, num_args = 0..=2, value_name = "RUN")]
    pub compare: Option<Vec<String>>,

    /// The baseline `--compare` uses when it is given fewer than two runs.
    #[arg(long, default_value = "main")]
    pub baseline: String,

    /// What to write, one or more (comma-separated or repeated): md (Markdown), html (one
    /// self-contained page with charts), csv (one row per metric, the shape of a
    /// baseline-metrics.csv), series (a load run second by second, CSV), json.
    #[arg(long, short = 'f', value_delimiter = ',', default_value = "md", value_parser = parse_format)]
    pub format: Vec<ReportFormat>,

    /// Where to write: a directory (one file per format, named after the run), or a file
    /// (one format). Default: stdout, for one format.
    #[arg(long, short = 'o', value_name = "DIR|FILE")]
    pub output: Option<PathBuf>,

    /// Write the run's Markdown as a baseline snapshot, `DIR/<date>-<scenario>.md` (the
    /// runbook's convention; DIR defaults to docs/perf/baselines). An existing snapshot is
    /// never replaced: a second one of the same day gets `-2`, `-3` …
    #[arg(long, value_name = "DIR", num_args = 0..=1, default_missing_value = DEFAULT_SNAPSHOT_DIR, conflicts_with_all = ["compare", "output"])]
    pub snapshot: Option<PathBuf>,

    #[command(flatten)]
    pub stats: StatsArgs,

    /// The run store (default .rigor/rigor.db).
    #[arg(long, env = "RIGOR_STORE", value_name = "PATH")]
    pub store: Option<PathBuf>,
}

/// A format `rigor report` writes, with the file name suffix it gets in a directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Markdown,
    Csv,
    Series,
    Json,
    Html,
}

impl ReportFormat {
    fn format(self) -> Format {
        match self {
            ReportFormat::Markdown => Format::Markdown,
            ReportFormat::Csv => Format::Csv,
            ReportFormat::Series => Format::SeriesCsv,
            ReportFormat::Json => Format::Json,
            ReportFormat::Html => Format::Html,
        }
    }

    /// The name `--format` takes.
    fn name(self) -> &'static str {
        match self {
            ReportFormat::Markdown => "md",
            ReportFormat::Csv => "csv",
            ReportFormat::Series => "series",
            ReportFormat::Json => "json",
            ReportFormat::Html => "html",
        }
    }

    fn suffix(self) -> &'static str {
        match self {
            ReportFormat::Markdown => "md",
            ReportFormat::Csv => "csv",
            ReportFormat::Series => "series.csv",
            ReportFormat::Json => "json",
            ReportFormat::Html => "html",
        }
    }
}

fn parse_format(text: &str) -> Result<ReportFormat, String> {
    match text.trim() {
        "md" | "markdown" => Ok(ReportFormat::Markdown),
        "csv" => Ok(ReportFormat::Csv),
        "series" => Ok(ReportFormat::Series),
        "json" => Ok(ReportFormat::Json),
        "html" => Ok(ReportFormat::Html),
        other => Err(format!(
            "`{other}` is not a report format: give md, html, csv, series or json"
        )),
    }
}

/// Where baseline snapshots go unless told otherwise.
pub const DEFAULT_SNAPSHOT_DIR: &str = "docs/perf/baselines";

pub fn run(args: &ReportArgs, w: &mut Writer) -> anyhow::Result<ExitCode> {
    if let Some(dir) = &args.snapshot {
        let cwd = std::env::current_dir()?;
        let store = store::open_existing_store(args.store.as_deref(), &cwd)?
            .map_err(|path| store::no_runs_yet(&path.display().to_string()))?;
        let record = resolve_run(&*store, &args.run)?;
        write_snapshot(&*store, record, dir, w)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut formats: Vec<ReportFormat> = Vec::new();
    for f in &args.format {
        if !formats.contains(f) {
            formats.push(*f);
        }
    }
    let target = destination(args.output.as_deref(), &formats)?;
    let settings = args.stats.settings()?;
    let cwd = std::env::current_dir()?;
    let open = || -> anyhow::Result<_> {
        store::open_existing_store(args.store.as_deref(), &cwd)?
            .map_err(|path| store::no_runs_yet(&path.display().to_string()))
    };

    // Everything is made before anything is written.
    let mut texts: Vec<(ReportFormat, String)> = Vec::new();
    let stem: String;
    if args.gate {
        // The gate finds its store as `rigor gate` does: beside the plan, or the plan's own.
        let runs = match args.run.as_str() {
            "latest" => Vec::new(),
            id => vec![id.parse().map_err(|_| {
                exit::bad_input(anyhow::anyhow!(
                    "`{id}` is not a run id: give --gate a run's number (`rigor runs` lists them), or none for the latest runs"
                ))
            })?],
        };
        let gate_args = GateArgs {
            plan: args.plan.clone(),
            runs,
            scenarios: Vec::new(),
            junit: None,
            json: false,
            report: None,
            stats: args.stats.clone(),
            store: args.store.clone(),
        };
        let report = judge(&gate_args, History::Leave)?;
        stem = "gate".to_string();
        let shown = Report::Gate {
            report: &report,
            plan: &args.plan,
        };
        for f in &formats {
            texts.push((*f, render(&shown, *f, "a gate verdict")?));
        }
    } else if let Some(runs) = &args.compare {
        let store = open()?;
        let compared = comparison(
            &*store,
            runs.first().map(String::as_str),
            runs.get(1).map(String::as_str),
            &args.baseline,
            &settings,
        )?;
        let c = &compared.comparison;
        stem = format!("compare-{}-{}", c.baseline.run_id, c.candidate.run_id);
        let (a, b) = &compared.runs;
        let with_profiles = |run: &rigor_analysis::data::RunData| -> anyhow::Result<_> {
            let Some(mut r) = rigor_analysis::load_report(run) else {
                return Ok(None);
            };
            r.profiles = profile_sections(&*store, run.id())?;
            Ok(Some(r))
        };
        let drawn = with_profiles(a)?.zip(with_profiles(b)?);
        let report = Report::Comparison {
            comparison: c,
            baseline_name: compared.baseline_name.as_deref(),
            runs: drawn.as_ref().map(|(a, b)| (a, b)),
        };
        for f in &formats {
            texts.push((*f, render(&report, *f, "a comparison")?));
        }
    } else {
        let store = open()?;
        let record = resolve_run(&*store, &args.run)?;
        let (run_stem, run_texts) = run_reports(&*store, record, &formats)?;
        stem = run_stem;
        texts = run_texts;
    }

    match target {
        Destination::Stdout => {
            for (_, text) in &texts {
                w.line(format_args!("{}", text.trim_end_matches('\n')))?;
            }
        }
        Destination::File(path) => {
            write_whole(&path, &texts[0].1)?;
            w.note(format_args!("wrote {}", path.display()));
        }
        Destination::Directory(dir) => write_all(&dir, &stem, &texts, w)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Every report of one stored run (`--report DIR` of `rigor load` and `rigor run`): Markdown,
/// HTML, the metrics CSV, the per-second CSV (load runs) and JSON, as `run-ID.*` in `dir`.
pub fn write_run_reports(
    store: &dyn Store,
    run_id: i64,
    dir: &Path,
    w: &mut Writer,
) -> anyhow::Result<()> {
    let mut formats = vec![
        ReportFormat::Markdown,
        ReportFormat::Html,
        ReportFormat::Csv,
        ReportFormat::Json,
    ];
    let record = store.run(run_id).map_err(crate::store::lookup_failure)?;
    if record.kind == RunKind::Load {
        formats.insert(3, ReportFormat::Series);
    }
    let (stem, texts) = run_reports(store, record, &formats)?;
    write_all(dir, &stem, &texts, w)
}

/// The gate's reports (`rigor gate --report DIR`): Markdown, HTML, CSV and JSON, as `gate.*`
/// in `dir`.
pub fn write_gate_reports(shown: &Report<'_>, dir: &Path, w: &mut Writer) -> anyhow::Result<()> {
    let mut texts = Vec::new();
    for f in [
        ReportFormat::Markdown,
        ReportFormat::Html,
        ReportFormat::Csv,
        ReportFormat::Json,
    ] {
        texts.push((f, render(shown, f, "a gate verdict")?));
    }
    write_all(dir, "gate", &texts, w)
}

/// Writes a stored run's Markdown as a baseline snapshot in `dir`, named after the day the
/// run started and its scenario; never over an existing file. Returns the path written.
pub fn write_snapshot(
    store: &dyn Store,
    record: StoredRun,
    dir: &Path,
    w: &mut Writer,
) -> anyhow::Result<PathBuf> {
    let (run_id, day, scenario) = (
        record.id,
        day_of(record.started_at_ns),
        record.scenario.clone(),
    );
    let (_, texts) = run_reports(store, record, &[ReportFormat::Markdown])?;
    let name: String = scenario
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    std::fs::create_dir_all(dir).map_err(|e| {
        exit::not_completed(anyhow::anyhow!(
            "cannot create the snapshot directory {}: {e}; give --snapshot a directory you can write to",
            dir.display()
        ))
    })?;
    let header = format!(
        "<!-- baseline snapshot of rigor run {run_id}, written by `rigor report --snapshot` -->\n"
    );
    let text = header + &texts[0].1;
    for n in 1..1000 {
        let file = if n == 1 {
            format!("{day}-{name}.md")
        } else {
            format!("{day}-{name}-{n}.md")
        };
        let path = dir.join(file);
        // Persisting without replacing: a file that appeared meanwhile is kept, and the next
        // number is tried.
        match write_file(&path, &text, Existing::Keep, "snapshot")? {
            true => {
                if n > 1 {
                    w.note(format_args!(
                        "{} already holds a snapshot of that day; kept it",
                        dir.join(format!("{day}-{name}.md")).display()
                    ));
                }
                w.note(format_args!("wrote the snapshot {}", path.display()));
                return Ok(path);
            }
            false => continue,
        }
    }
    Err(exit::not_completed(anyhow::anyhow!(
        "{} holds 999 snapshots of `{scenario}` on {day}: move some away",
        dir.display()
    )))
}

/// `YYYY-MM-DD` (UTC) of a time in nanoseconds since the epoch.
fn day_of(ns: i64) -> String {
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_nanos(ns.max(0) as u64);
    rigor_model::units::rfc3339(time)[..10].to_string()
}

/// A stored run's reports in `formats`, made in memory, and the file name stem `run-ID`.
/// Run `id`'s profiles as its report shows them.
fn profile_sections(
    store: &dyn Store,
    id: i64,
) -> anyhow::Result<Vec<rigor_model::output::report::ProfileSection>> {
    Ok(super::profile::stored(store, id)?
        .iter()
        .map(|p| rigor_model::output::report::ProfileSection {
            report: super::profile::report_of(id, p),
            folded: p.folded.clone().unwrap_or_default(),
        })
        .collect())
}

fn run_reports(
    store: &dyn Store,
    record: StoredRun,
    formats: &[ReportFormat],
) -> anyhow::Result<(String, Vec<(ReportFormat, String)>)> {
    let id = record.id;
    let scenario = record.scenario.clone();
    let kind = record.kind;
    let data = load(store, record)?;
    let no_results = || exit::not_completed(anyhow::anyhow!("run {id} has no results to report"));
    let mut texts = Vec::new();
    match kind {
        RunKind::Load => {
            let mut r = rigor_analysis::load_report(&data).ok_or_else(no_results)?;
            r.profiles = profile_sections(store, id)?;
            r.session = super::tune::section(store, id);
            for f in formats {
                texts.push((*f, render(&Report::LoadReport(&r), *f, "a load run")?));
            }
        }
        RunKind::Bench => {
            let result = data.bench.as_ref().ok_or_else(no_results)?;
            let report = Report::Bench {
                run_id: id,
                name: &scenario,
                result,
            };
            for f in formats {
                texts.push((*f, render(&report, *f, "a bench run")?));
            }
        }
        RunKind::Imported | RunKind::Telemetry => {
            let run = data.imported.as_ref().ok_or_else(no_results)?;
            let report = Report::Imported {
                run_id: id,
                name: &scenario,
                run,
            };
            for f in formats {
                texts.push((*f, render(&report, *f, "an imported run")?));
            }
        }
    }
    Ok((format!("run-{id}"), texts))
}

/// Writes each text to `dir/STEM.SUFFIX`, creating `dir`.
fn write_all(
    dir: &Path,
    stem: &str,
    texts: &[(ReportFormat, String)],
    w: &mut Writer,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| {
        exit::not_completed(anyhow::anyhow!(
            "cannot create the report directory {}: {e}; give a directory you can write to",
            dir.display()
        ))
    })?;
    for (f, text) in texts {
        let path = dir.join(format!("{stem}.{}", f.suffix()));
        write_whole(&path, text)?;
        w.note(format_args!("wrote {}", path.display()));
    }
    Ok(())
}

/// The report in one format; a format that does not fit what is reported is bad input.
fn render(report: &Report<'_>, f: ReportFormat, what: &str) -> anyhow::Result<String> {
    rigor_report::to_string(report, f.format()).map_err(|e| match e {
        rigor_report::ReportError::Unsupported { .. } => exit::bad_input(anyhow::anyhow!(
            "{what} has no `{}` report (`series` is the per-second CSV of a load run; an imported run has md, html and json)",
            f.name()
        )),
        other => anyhow::Error::from(other),
    })
}

enum Destination {
    Stdout,
    File(PathBuf),
    Directory(PathBuf),
}

/// Where the reports go: stdout for one format without `-o`; a directory when `-o` names one
/// (or ends in `/`) or several formats are asked for; else the one file.
fn destination(output: Option<&Path>, formats: &[ReportFormat]) -> anyhow::Result<Destination> {
    let Some(path) = output else {
        if formats.len() > 1 {
            return Err(exit::bad_input(anyhow::anyhow!(
                "{} formats cannot all go to stdout: give -o DIR to write one file each",
                formats.len()
            )));
        }
        return Ok(Destination::Stdout);
    };
    let names_dir = path.as_os_str().to_string_lossy().ends_with('/') || path.is_dir();
    if names_dir || formats.len() > 1 {
        if path.exists() && !path.is_dir() {
            return Err(exit::bad_input(anyhow::anyhow!(
                "{} is a file, and {} formats need a directory: give -o DIR",
                path.display(),
                formats.len()
            )));
        }
        return Ok(Destination::Directory(path.to_path_buf()));
    }
    Ok(Destination::File(path.to_path_buf()))
}

/// Writes `text` to `path` whole: a temporary file in the same directory, synced, then
/// renamed over `path`.
pub fn write_whole(path: &Path, text: &str) -> anyhow::Result<()> {
    write_file(path, text, Existing::Replace, "report").map(|_| ())
}

/// What [`write_file`] does with a file already at its path.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Existing {
    Replace,
    /// Leave it as it is and write nothing.
    Keep,
}

/// Writes `text` (the `what` of a message) to `path` whole; `false` when `existing` is
/// [`Existing::Keep`] and a file is there already, checked at the rename itself so a file
/// that appears meanwhile is kept too.
pub(crate) fn write_file(
    path: &Path,
    text: &str,
    existing: Existing,
    what: &str,
) -> anyhow::Result<bool> {
    if existing == Existing::Keep && path.exists() {
        return Ok(false);
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let failed = |e: std::io::Error| {
        exit::not_completed(anyhow::anyhow!(
            "cannot write the {what} {}: {e}: give a place you can write to (nothing was written there)",
            path.display()
        ))
    };
    // A report is for others to read: the usual mode of a new file (0644 less the umask),
    // not the owner-only mode of a temporary file.
    use std::os::unix::fs::PermissionsExt as _;
    let mut file = tempfile::Builder::new()
        .prefix(".rigor-report-")
        .permissions(std::fs::Permissions::from_mode(0o644))
        .tempfile_in(&dir)
        .map_err(failed)?;
    file.write_all(text.as_bytes()).map_err(failed)?;
    file.as_file().sync_all().map_err(failed)?;
    let persisted = match existing {
        Existing::Replace => file.persist(path).map(|_| ()),
        Existing::Keep => file.persist_noclobber(path).map(|_| ()),
    };
    match persisted {
        Ok(()) => Ok(true),
        Err(e)
            if existing == Existing::Keep
                && e.error.kind() == std::io::ErrorKind::AlreadyExists =>
        {
            Ok(false)
        }
        Err(e) => Err(failed(e.error)),
    }
}

#[cfg(test)]
mod tests {
    use super::day_of;

    #[test]
    fn days_match_the_calendar() {
        // Python's datetime.utcfromtimestamp for the same seconds.
        for (seconds, day) in [
            (0_i64, "1970-01-01"),
            (951_782_400, "2000-02-29"),
            (1_796_169_600, "2026-12-02"),
            (4_107_542_399, "2100-02-28"),
        ] {
            assert_eq!(day_of(seconds * 1_000_000_000), day, "{seconds}");
        }
    }
}
