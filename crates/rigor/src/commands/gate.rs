//! `rigor gate`: the plan's budgets and regression rules judged on the latest runs; the exit
//! code CI acts on (0 pass, 1 fail, 2 bad plan, 3 no baseline or no run). One evaluation feeds
//! every output: the terminal table or `--json` on stdout, `--junit`, GitHub annotations (on
//! stderr, so `--json` output parses in CI too) and the step summary.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use rigor_analysis::data::environment_key;
use rigor_analysis::{CheckOutcome, GateContext, GateError, GateInput, GateReport, RunData};
use rigor_model::output::RunStatus;
use rigor_model::plan::Plan;
use rigor_store::{GateRecord, RunFilter, Store};

use super::compare::{load, StatsArgs};
use crate::{data_format, exit, store};
use rigor_report::{Format, Report, Writer};

#[derive(clap::Args, Debug)]
pub struct GateArgs {
    /// The plan with the `[[budget]]` and `[[rule]]` tables.
    #[arg(long, short = 'p', default_value = "rigor.toml", value_name = "FILE")]
    pub plan: PathBuf,

    /// Judge these runs instead of the latest run of each scenario and bench; repeatable.
    #[arg(long = "run", value_name = "RUN")]
    pub runs: Vec<i64>,

    /// Judge the latest finished run stored under this name instead, whether or not the plan
    /// has it (a `rigor load --name NAME` or `rigor bench --name NAME` run); repeatable.
    #[arg(long = "scenario", value_name = "NAME", conflicts_with = "runs")]
    pub scenarios: Vec<String>,

    /// Write one JUnit test case per budget and rule to FILE.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,

    /// Print the verdict as versioned JSON.
    #[arg(long)]
    pub json: bool,

    /// Also write the verdict's reports (Markdown, HTML, CSV, JSON) to this directory, as
    /// `gate.md`, `gate.html`, `gate.csv` and `gate.json`: for CI to keep as artifacts. They are written
    /// whatever the verdict; the exit code still says it.
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,

    #[command(flatten)]
    pub stats: StatsArgs,

    /// The run store (default .rigor/rigor.db next to the plan).
    #[arg(long, env = "RIGOR_STORE", value_name = "PATH")]
    pub store: Option<PathBuf>,
}

pub fn run(args: &GateArgs, w: &mut Writer) -> anyhow::Result<ExitCode> {
    let report = judge(args, History::Record)?;
    let shown = Report::Gate {
        report: &report,
        plan: &args.plan,
    };
    if let Some(path) = &args.junit {
        let junit = rigor_report::to_string(&shown, Format::Junit)?;
        super::report::write_whole(path, &junit).context("--junit")?;
    }
    if let Some(dir) = &args.report {
        super::report::write_gate_reports(&shown, dir, w)?;
    }
    if std::env::var_os("GITHUB_ACTIONS").is_some() {
        // Annotations go to stderr whatever the mode: GitHub Actions reads workflow commands
        // from both streams, and stdout carries only the table or the JSON asked for.
        w.report_to_stderr(&shown, Format::GithubAnnotations)?;
        if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY") {
            let summary = rigor_report::to_string(&shown, Format::Markdown)?;
            append(Path::new(&path), &summary).context("GITHUB_STEP_SUMMARY")?;
        }
    }
    w.report(&shown, data_format(args.json))?;
    Ok(ExitCode::from(if report.outcome == "fail" {
        exit::FAILED
    } else {
        exit::PASSED
    }))
}

/// Whether judging keeps each check's outcome in the gate history.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum History {
    /// `rigor gate`: later gates count runs in a row from it.
    Record,
    /// `rigor report --gate`: a look at the verdict changes nothing.
    Leave,
}

/// The plan's budgets and rules judged on the runs `args` names (the latest of each scenario
/// and bench by default).
pub fn judge(args: &GateArgs, history: History) -> anyhow::Result<GateReport> {
    let plan = read_plan(args)?;
    let settings = args.stats.settings()?;
    let project_dir = args
        .plan
        .canonicalize()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("."));
    let mut store = store::open_store(args.store.as_deref(), plan.store.as_deref(), &project_dir)?;
    let runs = runs_to_judge(&*store, &plan, args)?;
    let input = GateInput {
        budgets: &plan.budget,
        rules: &plan.rule,
        runs: &runs,
        settings,
    };
    let mut context = StoreContext { store: &mut *store };
    let report = rigor_analysis::evaluate(&input, &mut context).map_err(|e| match e {
        GateError::Plan(m) => exit::bad_input(anyhow::anyhow!("{}: {m}", args.plan.display())),
        GateError::Missing(m) => exit::not_completed(anyhow::anyhow!("{m}")),
    })?;
    if history == History::Record {
        save_history(&mut *store, &report)?;
    }
    Ok(report)
}

/// The latest finished run of each scenario and bench in the plan, or the runs asked for.
/// Keeps each check's outcome on each run, so later gates can count runs in a row. A run the
/// check could not judge is kept as such, so that `consecutive` does not count it as a breach.
fn save_history(store: &mut dyn Store, report: &GateReport) -> anyhow::Result<()> {
    let now = rigor_recorder::unix_ns_now();
    let records: Vec<GateRecord> = report
        .checks
        .iter()
        .map(|c| GateRecord {
            run_id: c.run_id,
            check: c.id.clone(),
            scenario: c.scenario.clone(),
            outcome: if c.judged {
                c.outcome.as_str().into()
            } else {
                CheckOutcome::NotJudged.as_str().into()
            },
            value: c.value,
            at_ns: now,
        })
        .collect();
    store
        .record_gate(&records)
        .map_err(exit::not_completed)
        .context("saving the gate history")
}

/// The plan with its budgets and rules, checked whole before any run is looked for: a bad
/// plan is exit 2 whatever the store holds.
fn read_plan(args: &GateArgs) -> anyhow::Result<Plan> {
    if !args.plan.exists() {
        return Err(exit::bad_input(anyhow::anyhow!(
            "no plan at {}: the gate reads its [[budget]] and [[rule]] tables from it (--plan FILE)",
            args.plan.display()
        )));
    }
    let plan = Plan::load(&args.plan).map_err(exit::bad_input)?;
    if plan.budget.is_empty() && plan.rule.is_empty() {
        return Err(exit::bad_input(anyhow::anyhow!(
            "{} has no [[budget]] or [[rule]]: nothing to gate",
            args.plan.display()
        )));
    }
    plan.scenarios(&args.plan, None).map_err(exit::bad_input)?;
    for bench in &plan.bench {
        rigor_bench::BenchSpec::from_entry(bench)
            .and_then(|spec| spec.resolve().map(drop))
            .map_err(|e| {
                exit::bad_input(anyhow::anyhow!(
                    "{}: bench `{}`: {e}",
                    plan.bench_at(&args.plan, &bench.name),
                    bench.name
                ))
            })?;
    }
    Ok(plan)
}

fn runs_to_judge(store: &dyn Store, plan: &Plan, args: &GateArgs) -> anyhow::Result<Vec<RunData>> {
    if !args.runs.is_empty() {
        return args
            .runs
            .iter()
            .map(|&id| load(store, store.run(id).map_err(store::lookup_failure)?))
            .collect();
    }
    let asked = !args.scenarios.is_empty();
    let imported = plan.imported_run_names();
    let names: Vec<&str> = if asked {
        args.scenarios.iter().map(String::as_str).collect()
    } else {
        plan.run_names()
            .into_iter()
            .chain(imported.iter().map(String::as_str))
            .collect()
    };
    let mut runs = Vec::new();
    for name in &names {
        let latest = store
            .runs(&RunFilter {
                scenario: Some(name.to_string()),
                kind: None,
                limit: Some(20),
                status: None,
            })?
            .into_iter()
            .find(|r| !matches!(r.status, RunStatus::Running | RunStatus::Aborted));
        match latest {
            Some(record) => runs.push(load(store, record)?),
            None if asked => return Err(no_finished_run(store, &[name])),
            None => {}
        }
    }
    if runs.is_empty() {
        return Err(no_finished_run(store, &names));
    }
    Ok(runs)
}

/// What the gate looked for, what the store has instead, and the ways to name a run.
fn no_finished_run(store: &dyn Store, looked_for: &[&str]) -> anyhow::Error {
    let stored = store::run_names(store);
    let has = if stored.is_empty() {
        "it has no runs".to_string()
    } else {
        format!("it has runs of {}", stored.join(", "))
    };
    let hint = match looked_for {
        [one] => store::near_name(one, &stored),
        _ => String::new(),
    };
    let wanted = if looked_for.is_empty() {
        "the plan has no scenario or bench".to_string()
    } else {
        format!("`{}`", looked_for.join("`, `"))
    };
    exit::not_completed(anyhow::anyhow!(
        "no finished run of {wanted} in {}{hint}; {has}: `rigor run` first, or judge a stored run with `--run ID` (`rigor runs` lists them) or the latest of another name with `--scenario NAME`",
        store.location()
    ))
}

struct StoreContext<'a> {
    store: &'a mut dyn Store,
}

impl GateContext for StoreContext<'_> {
    fn baseline(&mut self, name: &str, run: &RunData) -> Result<Option<RunData>, String> {
        let key = environment_key(run.environment.as_ref());
        let found = self
            .store
            .baseline(name, run.record.kind, &run.record.scenario, Some(&key))
            .and_then(|b| match b {
                Some(b) => Ok(Some(b)),
                None => self
                    .store
                    .baseline(name, run.record.kind, &run.record.scenario, None),
            })
            .map_err(|e| e.to_string())?;
        let Some(baseline) = found else {
            let names = self.store.baseline_names().unwrap_or_default();
            if !names.is_empty() && !names.iter().any(|n| n == name) {
                return Err(format!(
                    "there is no baseline named `{name}`; the baselines are named {}",
                    names.join(", ")
                ));
            }
            return Ok(None);
        };
        let record = self.store.run(baseline.run_id).map_err(|e| e.to_string())?;
        let run = super::compare::load(&*self.store, record).map_err(|e| e.to_string())?;
        Ok(Some(run))
    }

    fn history(
        &mut self,
        check: &str,
        scenario: &str,
        before_run: i64,
        limit: usize,
    ) -> Vec<CheckOutcome> {
        if limit == 0 {
            return Vec::new();
        }
        self.store
            .gate_history(check, scenario, limit + 1)
            .unwrap_or_default()
            .into_iter()
            .filter(|r| r.run_id != before_run)
            .take(limit)
            .map(|r| CheckOutcome::parse(&r.outcome).unwrap_or(CheckOutcome::Pending))
            .collect()
    }

    fn runs_before(
        &mut self,
        baseline: &RunData,
        candidate: &RunData,
        limit: usize,
    ) -> Vec<RunData> {
        // Best effort: without them the comparison uses the spread within the two runs,
        // and says so.
        super::compare::history(&*self.store, baseline, candidate, limit).unwrap_or_default()
    }

    fn runs_earlier(&mut self, run: &RunData, limit: usize) -> Vec<RunData> {
        // Best effort: a history that cannot be read is judged as too short, and said so.
        super::compare::comparable_before(&*self.store, run, limit).unwrap_or_default()
    }

    fn adopt_history(&mut self, legacy: &str, key: &str, scenario: &str) {
        // Best effort: a store that cannot move the history still judges this run, and the
        // next gate tries again.
        let _ = self.store.rename_gate_check(scenario, legacy, key);
    }
}

fn append(path: &Path, text: &str) -> std::io::Result<()> {
    use std::fs::OpenOptions;
    let mut file = OpenOptions::new().create(true).append(true).open(path)?;
    file.write_all(text.as_bytes())
}
