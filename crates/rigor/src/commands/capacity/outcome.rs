//! What a capacity search came to, as the report records it and the terminal says it, and
//! the report shown again from the store (`--show`).

use std::process::ExitCode;

use rigor_analysis::capacity::Ended;
use rigor_model::expr::Expr;
use rigor_model::output::capacity::{CapacityOutcome, CapacityReport, SearchEnd, SearchModel};
use rigor_model::Plan;
use rigor_report::{Format, Report, Writer};

use super::super::report::{write_file, Existing};
use super::{project_dir, CapacityArgs, Steps};
use crate::{exit, store};

/// How the search ended.
pub(super) enum Outcome {
    Ended(Ended),
    Swept,
    OutOfTime,
    Interrupted,
    Unjudged(String),
    TargetDown,
}

/// The outcome as the report records it: what ended the search, the capacity found and the
/// sentence that says it.
pub(super) fn outcome(
    report: &CapacityReport,
    plan: &Steps,
    ended: &Outcome,
    slos: &[Expr],
) -> CapacityOutcome {
    let judged = if slos.is_empty() {
        match report.model {
            SearchModel::Open => {
                "throughput keeping up with the offered rate (no --slo given)".to_string()
            }
            SearchModel::Closed => "every step that completed (no --slo given)".to_string(),
        }
    } else {
        format!(
            "{}{}",
            slos.iter()
                .map(|s| format!("`{}`", s.text))
                .collect::<Vec<_>>()
                .join(", "),
            if report.model == SearchModel::Open {
                " and throughput keeping up with the offered rate"
            } else {
                ""
            }
        )
    };
    let passed = |s: &&rigor_model::output::capacity::CapacityStep| {
        s.verdict == rigor_model::output::capacity::StepVerdictKind::Pass
    };
    // The capacity is the throughput the highest passing step achieved.
    let best = match report.model {
        SearchModel::Open => report.steps.iter().filter(passed).max_by(|a, b| {
            a.offered_per_s
                .unwrap_or(0.0)
                .total_cmp(&b.offered_per_s.unwrap_or(0.0))
        }),
        SearchModel::Closed => report
            .steps
            .iter()
            .filter(passed)
            .max_by(|a, b| a.achieved_per_s.total_cmp(&b.achieved_per_s)),
    };
    let (last_pass, first_fail) = match plan {
        Steps::Rates(search) => (search.last_pass, search.first_fail),
        Steps::Users(_) => (best.and_then(|s| s.users.map(f64::from)), None),
    };
    let capacity = best.map(|s| s.achieved_per_s);
    let sustained = |p: Option<f64>| {
        p.zip(capacity)
            .map(|(p, c)| {
                format!("; the highest step sustained: {p:.1}/s offered, {c:.1}/s achieved")
            })
            .unwrap_or_default()
    };
    let (end, summary) = match (ended, last_pass, first_fail) {
        (Outcome::Ended(Ended::Bracketed), Some(p), Some(f)) => (
            SearchEnd::Bracketed,
            format!(
                "maximum sustainable throughput: {:.1}/s (offered {p:.1}/s passed, {f:.1}/s failed), judged on {judged}",
                capacity.unwrap_or(p)
            ),
        ),
        (Outcome::Ended(Ended::MaxRate), Some(p), _) => (
            SearchEnd::MaxRate,
            format!(
                "every step passed up to --max-rate {p:.1}/s ({:.1}/s achieved): the capacity is above it; raise --max-rate to find it",
                capacity.unwrap_or(p)
            ),
        ),
        (Outcome::Ended(Ended::FirstStepFailed), _, _) => (
            SearchEnd::FirstStepFailed,
            format!(
                "the first step failed at {:.1}/s: the capacity is below it; give a lower --start",
                report.settings.start_per_s.unwrap_or(0.0)
            ),
        ),
        (Outcome::Ended(_), _, _) => (
            SearchEnd::Bracketed,
            "the search ended without a step that passed".to_string(),
        ),
        (Outcome::Swept, _, _) => (
            SearchEnd::Swept,
            match (best, capacity) {
                (Some(s), Some(c)) => format!(
                    "highest throughput that kept the SLOs: {c:.1}/s at {} users, judged on {judged}",
                    s.users.unwrap_or(0)
                ),
                _ => format!("no step kept the SLOs (judged on {judged})"),
            },
        ),
        (Outcome::TargetDown, _, _) => (
            SearchEnd::TargetDown,
            "the target failed at the first step (down, or answering only errors): nothing was learned of its capacity".to_string(),
        ),
        (Outcome::Unjudged(why), p, _) => (
            SearchEnd::NotJudged,
            format!("the search stopped: {why}{}", sustained(p)),
        ),
        (Outcome::Interrupted, p, _) => (
            SearchEnd::Interrupted,
            format!("interrupted: every step so far is stored{}", sustained(p)),
        ),
        (Outcome::OutOfTime, p, Some(f)) if p.is_some() => (
            SearchEnd::OutOfTime,
            format!(
                "--max-time reached while narrowing: the capacity lies between the last pass and {f:.1}/s{}",
                sustained(p)
            ),
        ),
        (Outcome::OutOfTime, p, _) => (
            SearchEnd::OutOfTime,
            format!("--max-time reached before the search ended{}", sustained(p)),
        ),
    };
    // Only a search that found its bracket (or swept) claims a capacity; the others say
    // what was sustained, not what the system can take.
    let claims = matches!(
        end,
        SearchEnd::Bracketed | SearchEnd::Swept | SearchEnd::OutOfTime
    ) && last_pass.is_some();
    CapacityOutcome {
        ended: end,
        max_sustainable_per_s: if claims { capacity } else { None },
        last_pass_per_s: last_pass,
        first_fail_per_s: first_fail,
        summary,
        notes: Vec::new(),
    }
}

/// Shows the report: the terminal's table and findings (or the JSON with `--json`), and with
/// `--report DIR` capacity-analysis.md, .json and .html.
pub(super) fn present(
    report: &CapacityReport,
    args: &CapacityArgs,
    w: &mut Writer,
) -> anyhow::Result<()> {
    let shown = Report::Capacity(report);
    if args.record.json {
        w.report(&shown, Format::Json)?;
    } else {
        w.report(&shown, Format::Terminal)?;
    }
    if let Some(dir) = &args.record.report {
        std::fs::create_dir_all(dir).map_err(|e| {
            exit::not_completed(anyhow::anyhow!(
                "cannot make the report directory {}: {e}: give a place you can write to (the steps are stored)",
                dir.display()
            ))
        })?;
        for (format, name) in [
            (Format::Markdown, "capacity-analysis.md"),
            (Format::Json, "capacity-analysis.json"),
            (Format::Html, "capacity-analysis.html"),
        ] {
            let text = rigor_report::to_string(&shown, format)?;
            let path = dir.join(name);
            write_file(&path, &text, Existing::Replace, "capacity analysis")?;
            w.note(format_args!("wrote {}", path.display()));
        }
    }
    Ok(())
}

/// `--show ID|latest`: a stored search, as it was kept.
pub(super) fn show_stored(
    args: &CapacityArgs,
    which: &str,
    w: &mut Writer,
) -> anyhow::Result<ExitCode> {
    let dir = project_dir(&args.plan);
    let plan_store = Plan::load(&args.plan).ok().and_then(|p| p.store);
    let flag = args.record.store.as_deref();
    let store = match (flag, plan_store) {
        (None, Some(s)) => store::open_existing_store(Some(&dir.join(s)), &dir)?,
        _ => store::open_existing_store(flag, &dir)?,
    };
    let store = store.map_err(|path| {
        exit::bad_input(anyhow::anyhow!(
            "no run store at {}: `rigor capacity` makes a search first",
            path.display()
        ))
    })?;
    let searches = store
        .capacity_searches(None)
        .map_err(store::store_failure)?;
    let found = match which {
        "latest" => searches.last(),
        id => {
            let id: i64 = id.parse().map_err(|_| {
                exit::bad_input(anyhow::anyhow!(
                    "--show `{id}`: give a capacity search's id or `latest`"
                ))
            })?;
            searches.iter().find(|s| s.search_id == Some(id))
        }
    };
    let Some(report) = found else {
        let ids: Vec<String> = searches
            .iter()
            .filter_map(|s| s.search_id.map(|id| format!("{id} ({})", s.scenario)))
            .collect();
        return Err(exit::bad_input(anyhow::anyhow!(
            "no capacity search `{which}` in {}{}",
            store.location(),
            if ids.is_empty() {
                ": `rigor capacity` makes one".to_string()
            } else {
                format!("; it has {}", ids.join(", "))
            }
        )));
    };
    present(report, args, w)?;
    Ok(ExitCode::SUCCESS)
}
