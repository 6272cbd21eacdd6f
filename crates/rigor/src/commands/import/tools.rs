//! `rigor import k6|wrk|criterion`: one run of another tool as one run of kind `imported`,
//! named by `--scenario`, dated by `--time` (default: when the file was written) and tied to
//! `--commit` and `--branch` when given, since none of these tools records them.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::SystemTime;

use rigor_import::{parse_time, Import, RunOrigin, TimeUnit};
use rigor_report::Writer;

use super::{file_name, store_rows, tell, StoreFlag};
use crate::exit;

/// What every single-run import takes.
#[derive(clap::Args, Debug)]
pub struct RunFlags {
    /// The name the run is stored under (what `rigor history --scenario` follows).
    #[arg(long, short = 's')]
    pub scenario: String,

    /// The commit the run measured.
    #[arg(long, value_name = "SHA")]
    pub commit: Option<String>,

    /// The branch the run measured.
    #[arg(long, value_name = "BRANCH")]
    pub branch: Option<String>,

    /// When the run was taken (RFC 3339, `2024-03-01 12:00:00 +0000`, a day or a Unix time)
    /// [default: when the file was last written].
    #[arg(long, value_name = "TIME")]
    pub time: Option<String>,

    #[command(flatten)]
    pub store: StoreFlag,
}

#[derive(clap::Args, Debug)]
pub struct K6Args {
    /// k6's JSON summary: handleSummary's `JSON.stringify(data)` or --summary-export.
    pub file: PathBuf,
    #[command(flatten)]
    pub run: RunFlags,
}

#[derive(clap::Args, Debug)]
pub struct WrkArgs {
    /// The text wrk (or wrk2) printed: `wrk --latency … > wrk.txt`.
    pub file: PathBuf,
    #[command(flatten)]
    pub run: RunFlags,
}

#[derive(clap::Args, Debug)]
pub struct CriterionArgs {
    /// criterion's output directory (target/criterion) or a part of it.
    pub dir: PathBuf,
    /// The saved baseline to import (criterion's --save-baseline NAME) [default: the latest
    /// run, `new`].
    #[arg(long, default_value = "new", value_name = "NAME")]
    pub baseline: String,
    #[command(flatten)]
    pub run: RunFlags,
}

/// When `path` (a file, or the newest `estimates.json` under a directory) was last written, in
/// Unix nanoseconds.
fn newest_write(path: &Path) -> i64 {
    fn walk(p: &Path, depth: usize, newest: &mut Option<SystemTime>) {
        if p.is_file() {
            if let Ok(t) = std::fs::metadata(p).and_then(|m| m.modified()) {
                *newest = Some(newest.map_or(t, |n| n.max(t)));
            }
        } else if depth > 0 {
            for e in std::fs::read_dir(p).into_iter().flatten().flatten() {
                let child = e.path();
                if child.is_dir() || child.file_name().is_some_and(|n| n == "estimates.json") {
                    walk(&child, depth - 1, newest);
                }
            }
        }
    }
    let mut newest = None;
    walk(path, 8, &mut newest);
    newest
        .unwrap_or_else(SystemTime::now)
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64)
}

/// The run's time, commit and branch, as given or from the file.
fn origin(path: &Path, flags: &RunFlags, w: &mut Writer) -> anyhow::Result<RunOrigin> {
    if flags.scenario.trim().is_empty() {
        return Err(exit::bad_input(anyhow::anyhow!(
            "--scenario names the imported run; it cannot be empty"
        )));
    }
    let started_at_ns = match &flags.time {
        Some(t) => {
            let at = parse_time(t, TimeUnit::Seconds)
                .map_err(|e| exit::bad_input(anyhow::anyhow!("--time: {e}")))?;
            if at.zoneless {
                w.note(format_args!("--time `{t}` has no zone: read as UTC"));
            }
            at.unix_ns
        }
        None => {
            w.note(format_args!(
                "dated by when {} was last written: give --time to say when the run was taken",
                path.display()
            ));
            newest_write(path)
        }
    };
    Ok(RunOrigin {
        started_at_ns,
        git_commit: flags.commit.clone(),
        git_branch: flags.branch.clone(),
        file: file_name(path),
    })
}

fn finish(
    w: &mut Writer,
    path: &Path,
    flags: &RunFlags,
    import: &Import,
) -> anyhow::Result<ExitCode> {
    let stored = store_rows(
        flags.store.store.as_deref(),
        &flags.scenario,
        import,
        rigor_store::RunKind::Imported,
    )?;
    tell(w, path, &flags.scenario, import, &stored)?;
    for row in &import.rows {
        for note in &row.run.notes {
            w.note(format_args!("{note}"));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn read_text(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path)
        .map_err(|e| exit::bad_input(anyhow::anyhow!("cannot read {}: {e}", path.display())))
}

pub fn k6(args: &K6Args, w: &mut Writer) -> anyhow::Result<ExitCode> {
    let text = read_text(&args.file)?;
    let origin = origin(&args.file, &args.run, w)?;
    let import = rigor_import::k6::import_k6(&text, &origin)
        .map_err(|e| exit::bad_input(anyhow::anyhow!("{}: {e}", args.file.display())))?;
    finish(w, &args.file, &args.run, &import)
}

pub fn wrk(args: &WrkArgs, w: &mut Writer) -> anyhow::Result<ExitCode> {
    let text = read_text(&args.file)?;
    let origin = origin(&args.file, &args.run, w)?;
    let import = rigor_import::wrk::import_wrk(&text, &origin)
        .map_err(|e| exit::bad_input(anyhow::anyhow!("{}: {e}", args.file.display())))?;
    finish(w, &args.file, &args.run, &import)
}

pub fn criterion(args: &CriterionArgs, w: &mut Writer) -> anyhow::Result<ExitCode> {
    let origin = origin(&args.dir, &args.run, w)?;
    let import = rigor_import::criterion::import_criterion(&args.dir, &args.baseline, &origin)
        .map_err(|e| exit::bad_input(anyhow::anyhow!("{e}")))?;
    finish(w, &args.dir, &args.run, &import)
}
