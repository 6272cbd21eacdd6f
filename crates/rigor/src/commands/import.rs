//! `rigor import FORMAT FILE`: another tool's results into the store as runs, so a team's
//! history can start before rigor did and be judged the same way from day one. hyperfine's
//! export becomes a bench run (its timed runs kept); a CSV history, k6's summary, wrk's output
//! and criterion's estimates become runs of kind `imported`, their figures under the source's
//! names.
//!
//! An import stores all its runs or none, skips the runs the store already holds (importing
//! a growing history again adds only its new rows), and refuses to mix into a name whose runs
//! are of another kind, or whose figures were imported in another unit or direction.

mod csv;
mod hyperfine;
mod prometheus;
mod tools;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use rigor_import::{Import, ImportedRow};
use rigor_model::metric::Direction;
use rigor_model::output::{RunHeadline, RunStatus, StoredSummary};
use rigor_report::Writer;
use rigor_store::{NewRun, RunEnd, RunFilter, RunKind};

use crate::{exit, store};

#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    #[command(subcommand)]
    pub format: ImportFormat,
}

#[derive(clap::Subcommand, Debug)]
pub enum ImportFormat {
    /// hyperfine's --export-json, as a bench run with its timed runs.
    Hyperfine(hyperfine::HyperfineArgs),
    /// A CSV history in Apache Otava's layout: a time column, attributes (commit, branch …),
    /// a column per metric; each row a run of kind `imported`.
    Csv(csv::CsvArgs),
    /// k6's JSON summary (handleSummary's data or --summary-export), as one imported run.
    K6(tools::K6Args),
    /// wrk's (or wrk2's) text output, as one imported run.
    Wrk(tools::WrkArgs),
    /// criterion's results (target/criterion), every benchmark a figure with its samples.
    Criterion(tools::CriterionArgs),
    /// A range of a Prometheus server's series, one figure per PromQL query, as a run of kind
    /// `telemetry`: production's figures as a baseline.
    Prometheus(prometheus::PrometheusArgs),
}

pub fn run(args: &ImportArgs, w: &mut Writer) -> anyhow::Result<ExitCode> {
    match &args.format {
        ImportFormat::Hyperfine(a) => hyperfine::run(a, w),
        ImportFormat::Csv(a) => csv::run(a, w),
        ImportFormat::K6(a) => tools::k6(a, w),
        ImportFormat::Wrk(a) => tools::wrk(a, w),
        ImportFormat::Criterion(a) => tools::criterion(a, w),
        ImportFormat::Prometheus(a) => prometheus::run(a, w),
    }
}

/// Opens `path` for an importer, or says why it cannot be read (exit 2).
fn open_file(path: &Path) -> anyhow::Result<std::fs::File> {
    std::fs::File::open(path)
        .map_err(|e| exit::bad_input(anyhow::anyhow!("cannot read {}: {e}", path.display())))
}

/// What storing an import came to.
struct Stored {
    ids: Vec<i64>,
    /// Rows the store already had.
    already: usize,
}

/// Stores the rows of `import` as runs of `scenario`, all or none, skipping those already
/// stored; refuses a name used by runs of another kind, and figures whose unit or direction
/// differ from those already imported under the same name.
fn store_rows(
    store_flag: Option<&Path>,
    scenario: &str,
    import: &Import,
    kind: RunKind,
) -> anyhow::Result<Stored> {
    let cwd = std::env::current_dir()?;
    let mut store = store::open_store(store_flag, None, &cwd)?;
    let existing = store
        .runs(&RunFilter {
            scenario: Some(scenario.to_string()),
            ..RunFilter::default()
        })
        .map_err(store::store_failure)?;
    if let Some(other) = existing.iter().find(|r| r.kind != kind) {
        return Err(exit::bad_input(anyhow::anyhow!(
            "`{scenario}` already names {} runs (run {} among them): {kind} runs go under a name of their own (--scenario)",
            other.kind,
            other.id
        )));
    }
    let mut kept: BTreeMap<String, (rigor_model::metric::Unit, Direction, i64)> = BTreeMap::new();
    let mut stored: Vec<ImportedRow> = Vec::new();
    for r in &existing {
        if let Ok(Some(StoredSummary::Imported(run))) =
            StoredSummary::parse(r.kind, r.summary.as_deref())
        {
            for v in &run.values {
                kept.entry(v.metric.clone())
                    .or_insert((v.unit, v.better, r.id));
            }
            stored.push(ImportedRow {
                started_at_ns: r.started_at_ns,
                git_commit: r.git_commit.clone(),
                run: *run,
            });
        }
    }
    for row in &import.rows {
        for v in &row.run.values {
            if let Some(&(unit, better, id)) = kept.get(&v.metric) {
                if (unit, better) != (v.unit, v.better) {
                    return Err(exit::bad_input(anyhow::anyhow!(
                        "`{}` of `{scenario}` was imported in {} ({} is better, run {id}); this file has it in {} ({} is better): give the same --unit and direction, or import it under another name",
                        v.metric,
                        unit.as_str(),
                        word(better),
                        v.unit.as_str(),
                        word(v.better)
                    )));
                }
            }
        }
    }
    // A history row can only be a stored run of its own time: look among those, not all
    // (a re-import of a long history would otherwise compare every row with every run).
    let mut by_time: std::collections::HashMap<Option<i64>, Vec<&ImportedRow>> =
        std::collections::HashMap::new();
    for kept in &stored {
        let key = kept.run.row.map(|_| kept.started_at_ns);
        by_time.entry(key).or_default().push(kept);
    }
    let fresh: Vec<&ImportedRow> = import
        .rows
        .iter()
        .filter(|row| {
            let key = row.run.row.map(|_| row.started_at_ns);
            !by_time
                .get(&key)
                .is_some_and(|kept| kept.iter().any(|k| same_run(k, row)))
        })
        .collect();
    let already = import.rows.len() - fresh.len();
    let texts: Vec<(String, String, String)> = fresh
        .iter()
        .map(|row| {
            let plan = serde_json::json!({ "imported_from": row.run.source }).to_string();
            let summary = serde_json::to_string(&row.run)?;
            let reason = format!(
                "imported from {} ({}{})",
                row.run.source,
                row.run.file,
                row.run
                    .row
                    .map(|r| format!(", row {r}"))
                    .unwrap_or_default()
            );
            Ok((plan, summary, reason))
        })
        .collect::<anyhow::Result<_>>()?;
    let runs: Vec<(NewRun, RunEnd<'_>)> = fresh
        .iter()
        .zip(&texts)
        .map(|(row, (plan, summary, reason))| {
            (
                NewRun {
                    kind,
                    scenario: scenario.to_string(),
                    plan: plan.clone(),
                    started_at_ns: row.started_at_ns,
                    environment: "{}".into(),
                    git_commit: row.git_commit.clone(),
                    owner: None,
                },
                RunEnd {
                    status: RunStatus::Completed,
                    reason: Some(reason.as_str()),
                    ended_at_ns: row.started_at_ns,
                    summary: summary.as_str(),
                    headline: RunHeadline::default(),
                },
            )
        })
        .collect();
    let ids = store.record_runs(&runs).map_err(store::store_failure)?;
    Ok(Stored { ids, already })
}

/// Whether `new` is a run the store already has as `kept`. A row of a history is the same run
/// when it has the same time and commit and every figure both have is equal (a history that
/// gained a column, or imported with fewer metrics, is no new run); a single run of a tool
/// (k6, wrk, criterion) when its figures are all equal, whenever its file was written.
fn same_run(kept: &ImportedRow, new: &ImportedRow) -> bool {
    if kept.run.source != new.run.source {
        return false;
    }
    let bits = |r: &ImportedRow| -> Vec<(String, u64)> {
        r.run
            .values
            .iter()
            .map(|v| (v.metric.clone(), v.value.to_bits()))
            .collect()
    };
    if new.run.row.is_none() {
        return kept.run.row.is_none() && bits(kept) == bits(new);
    }
    if (kept.started_at_ns, &kept.git_commit) != (new.started_at_ns, &new.git_commit) {
        return false;
    }
    let mut shared = 0;
    for v in &new.run.values {
        if let Some(k) = kept.run.get(&v.metric) {
            if k.value.to_bits() != v.value.to_bits() {
                return false;
            }
            shared += 1;
        }
    }
    shared > 0
}

fn word(d: Direction) -> &'static str {
    match d {
        Direction::LowerIsBetter => "lower",
        Direction::HigherIsBetter => "higher",
    }
}

/// Says what was stored: the runs, the rows skipped, the figures with their unit and
/// direction, and the import's own notes.
fn tell(
    w: &mut Writer,
    file: &Path,
    scenario: &str,
    import: &Import,
    stored: &Stored,
) -> anyhow::Result<()> {
    let runs = match (stored.ids.first(), stored.ids.last()) {
        (Some(a), Some(b)) if a == b => format!("run {a}"),
        (Some(a), Some(b)) => format!("runs {a}–{b}"),
        _ => {
            w.line(format_args!(
                "nothing new in {}: its {} already in the store as `{scenario}`",
                file.display(),
                plural(stored.already, "run"),
            ))?;
            return Ok(());
        }
    };
    w.line(format_args!(
        "imported {} of {} as {runs} of `{scenario}`{}",
        plural(stored.ids.len(), "run"),
        file.display(),
        if stored.already > 0 {
            format!(
                "; {} already in the store, skipped",
                plural(stored.already, "run")
            )
        } else {
            String::new()
        }
    ))?;
    let mut figures: Vec<String> = Vec::new();
    for v in import.rows.iter().flat_map(|r| &r.run.values) {
        let text = format!(
            "{} ({}, {} is better)",
            v.metric,
            v.unit.as_str(),
            word(v.better)
        );
        if !figures.contains(&text) {
            figures.push(text);
        }
    }
    w.line(format_args!("figures: {}", figures.join(", ")))?;
    for note in &import.notes {
        w.note(format_args!("{note}"));
    }
    if !stored.ids.is_empty() {
        let pointwise = import
            .rows
            .iter()
            .flat_map(|r| &r.run.values)
            .any(|v| v.samples.len() < 2);
        w.note(format_args!(
            "next: `rigor history --scenario {scenario}` follows them{}",
            if pointwise {
                "; `rigor compare` judges values without an interval against the noise band only, and says so"
            } else {
                "; `rigor compare` resamples their samples"
            }
        ));
    }
    Ok(())
}

fn plural(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// The file's name as runs record it.
fn file_name(path: &Path) -> String {
    path.display().to_string()
}

/// The `--store` flag every import takes.
#[derive(clap::Args, Debug)]
pub struct StoreFlag {
    /// The run store (default .rigor/rigor.db).
    #[arg(long, env = "RIGOR_STORE", value_name = "PATH")]
    pub store: Option<PathBuf>,
}
