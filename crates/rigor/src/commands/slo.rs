//! `rigor slo`: the plan's `[[slo]]` tables as what monitoring runs on — `rigor slo rules`
//! writes the Prometheus recording and alerting rules (the SRE workbook's multi-window,
//! multi-burn-rate alerts), promtool unit tests of those alerts, and a Grafana dashboard;
//! `--check` runs promtool on them. `rigor slo show` lists each SLO with its error budget and
//! the burn rates that page and open a ticket.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use rigor_model::plan::{prometheus_duration, Plan, Slo};
use rigor_model::units::at_most_decimals;
use rigor_report::Writer;

use crate::exit;

#[derive(clap::Args, Debug)]
pub struct SloArgs {
    #[command(subcommand)]
    pub command: SloCommand,
}

#[derive(clap::Subcommand, Debug)]
pub enum SloCommand {
    /// Write slo-rules.yml (recording and alerting rules), slo-rules.test.yml (promtool tests
    /// of the alerts) and slo-dashboard.json (Grafana) from the plan's `[[slo]]` tables.
    Rules(RulesArgs),
    /// List the plan's SLOs: objective, error budget, and the burn rates that alert.
    Show(ShowArgs),
}

#[derive(clap::Args, Debug)]
pub struct RulesArgs {
    /// The plan with the `[[slo]]` tables.
    #[arg(long, short = 'p', default_value = "rigor.toml", value_name = "FILE")]
    pub plan: PathBuf,
    /// The directory the files are written to.
    #[arg(long, short = 'o', default_value = ".", value_name = "DIR")]
    pub out: PathBuf,
    /// Run `promtool check rules` and `promtool test rules` on what was written (exit 3 when
    /// promtool is not installed, 1 when it finds fault).
    #[arg(long)]
    pub check: bool,
}

#[derive(clap::Args, Debug)]
pub struct ShowArgs {
    /// The plan with the `[[slo]]` tables.
    #[arg(long, short = 'p', default_value = "rigor.toml", value_name = "FILE")]
    pub plan: PathBuf,
}

pub fn run(args: &SloArgs, w: &mut Writer) -> anyhow::Result<ExitCode> {
    match &args.command {
        SloCommand::Rules(a) => rules(a, w),
        SloCommand::Show(a) => show(a, w),
    }
}

/// Writes the rules, their promtool tests and the dashboard of the plan's SLOs into `out`:
/// the paths of the three, in that order. Only warnings are printed (on stderr).
pub fn write_rules(
    plan: &Path,
    out: &Path,
    w: &mut Writer,
) -> anyhow::Result<[std::path::PathBuf; 3]> {
    let slos = slos(plan)?;
    std::fs::create_dir_all(out).map_err(|e| {
        exit::not_completed(anyhow::anyhow!(
            "cannot make {}: {e}: give a directory you can write to (-o)",
            out.display()
        ))
    })?;
    let rules_path = out.join("slo-rules.yml");
    let tests_path = out.join("slo-rules.test.yml");
    let dashboard_path = out.join("slo-dashboard.json");
    let rules = rigor_report::slo::rules_yaml(&slos, &plan.display().to_string());
    let (tests, untested) = rigor_report::slo::rules_tests_yaml(&slos, "slo-rules.yml");
    let dashboard = serde_json::to_string_pretty(&rigor_report::slo::dashboard_json(&slos))?;
    for (path, text) in [
        (&rules_path, &rules),
        (&tests_path, &tests),
        (&dashboard_path, &dashboard),
    ] {
        super::report::write_file(path, text, super::report::Existing::Replace, "SLO rules")?;
    }
    for why in &untested {
        w.warn(format_args!(
            "no promtool test for SLO {why}: its alerts are checked by `promtool check rules` only"
        ));
    }
    for slo in &slos {
        warn_unreachable(slo, w);
    }
    Ok([rules_path, tests_path, dashboard_path])
}

/// Says which of an SLO's alerts can never fire, and what would make them.
fn warn_unreachable(slo: &Slo, w: &mut Writer) {
    for a in slo.unreachable_alerts() {
        w.warn(format_args!(
            "SLO {}: the {} alert at {}× the budget's rate over {} needs an error ratio of {}%, so it can never fire: an objective of {}% leaves a budget too large for it (it can fire from an objective above {}%); the other alerts still do",
            slo.name,
            a.severity,
            at_most_decimals(a.factor, 3),
            prometheus_duration(a.long),
            at_most_decimals(a.factor * slo.error_budget() * 100.0, 1),
            at_most_decimals(slo.objective * 100.0, 10),
            at_most_decimals((1.0 - 1.0 / a.factor) * 100.0, 2)
        ));
    }
}

/// The plan's SLOs, read and checked; a plan without any is bad input that says how to write
/// one.
fn slos(plan_path: &Path) -> anyhow::Result<Vec<Slo>> {
    let plan = Plan::load(plan_path).map_err(exit::bad_input)?;
    if plan.slo.is_empty() {
        return Err(exit::bad_input(anyhow::anyhow!(
            "{} has no [[slo]] table: add one, e.g.\n\n[[slo]]\nname = \"checkout-availability\"\nscenario = \"checkout\"\nsli = \"availability\"\nobjective = \"99.9%\"\nwindow = \"30d\"",
            plan_path.display()
        )));
    }
    plan.slo
        .iter()
        .map(|s| {
            s.resolve()
                .map_err(|e| exit::bad_input(anyhow::anyhow!("{e}")))
        })
        .collect()
}

fn rules(args: &RulesArgs, w: &mut Writer) -> anyhow::Result<ExitCode> {
    let written = write_rules(&args.plan, &args.out, w)?;
    for path in &written {
        w.line(format_args!("wrote {}", path.display()))?;
    }
    let [rules_path, tests_path, _] = written;
    if !args.check {
        w.note(format_args!(
            "check them: promtool check rules {} && promtool test rules {} (or `rigor slo rules --check`)",
            rules_path.display(),
            tests_path.display()
        ));
        return Ok(ExitCode::SUCCESS);
    }
    let promtool = rigor_bench::executor::search_path("promtool").ok_or_else(|| {
        exit::not_completed(anyhow::anyhow!(
            "promtool is not installed, so the rules were written but not checked: install it (Debian: `apt-get install prometheus`, which has promtool), or leave out --check"
        ))
    })?;
    let mut ok = true;
    for (what, args) in [
        ("check rules", vec!["check", "rules"]),
        ("test rules", vec!["test", "rules"]),
    ] {
        let file = if what == "check rules" {
            &rules_path
        } else {
            &tests_path
        };
        let out = Command::new(&promtool)
            .args(&args)
            .arg(file.file_name().unwrap_or(file.as_os_str()))
            .current_dir(args_dir(file))
            .output()
            .map_err(|e| exit::not_completed(anyhow::anyhow!("cannot run promtool: {e}")))?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if out.status.success() {
            w.line(format_args!("promtool {what}: SUCCESS"))?;
        } else {
            ok = false;
            w.warn(format_args!("promtool {what} failed:\n{}", text.trim_end()));
        }
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(rigor_model::exit_code::FAILED)
    })
}

/// The directory promtool runs in: the tests name their rules file relative to it.
fn args_dir(file: &Path) -> PathBuf {
    file.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

fn show(args: &ShowArgs, w: &mut Writer) -> anyhow::Result<ExitCode> {
    for slo in slos(&args.plan)? {
        let sli = match &slo.sli {
            rigor_model::plan::Sli::Availability { total, errors } => format!(
                "availability: {} over {}",
                errors.with("", ""),
                total.with("", "")
            ),
            rigor_model::plan::Sli::Latency {
                histogram,
                threshold,
            } => format!(
                "latency: requests answered within {} ({} at le=\"{}\")",
                rigor_model::units::format_nanos(threshold.as_nanos() as f64),
                histogram.with("_bucket", ""),
                rigor_report::slo::le(*threshold)
            ),
        };
        w.line(format_args!(
            "slo {}{}: {}% over {} — error budget {}% ({sli})",
            slo.name,
            slo.scenario
                .as_deref()
                .map(|s| format!(" (scenario {s})"))
                .unwrap_or_default(),
            at_most_decimals(slo.objective * 100.0, 10),
            prometheus_duration(slo.window),
            at_most_decimals(slo.error_budget() * 100.0, 10)
        ))?;
        for a in slo.burn_alerts() {
            w.line(format_args!(
                "  {:<6} {:>5}× the budget's rate over {} and {}: {:.0}% of the budget in {}",
                a.severity,
                at_most_decimals(a.factor, 3),
                prometheus_duration(a.long),
                prometheus_duration(a.short),
                a.budget_share * 100.0,
                prometheus_duration(a.long)
            ))?;
        }
        warn_unreachable(&slo, w);
    }
    Ok(ExitCode::SUCCESS)
}
