//! `rigor tune`: the performance-tuning procedure as a tracked session (issue 16, first slice).
//!
//! A session holds the procedure's required inputs — the goal, the scope, what reproduces the
//! load (a scenario or bench of the plan), the functional tests, the approval — and its plan of
//! hypotheses, its gates and its audit trail, in the run store, so it resumes from any shell.
//! A missing input the user must give blocks the session with the command that supplies it;
//! a missing baseline is the procedure's remediation path: `rigor tune baseline` runs the
//! reproducer now and records the run as the session's baseline, with the goal's gap.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use rigor_model::tune::{
    parse_goal, Answer, Closure, Gate, GateAnswer, Hypothesis, HypothesisStatus, LogEntry, Session,
    SessionState, Signed, TuneStatus,
};
use rigor_model::Plan;
use rigor_report::Writer;
use rigor_store::Store;

use crate::{exit, store};

mod args;
mod artifacts;
mod gates;
mod inputs;
mod measure;
mod monitor;
mod risks;
mod validate;

pub use args::{HypothesisAction, Inputs, TuneAction, TuneArgs};
use inputs::apply;
use measure::{goal_check, run_reproducer};

pub fn run(args: &TuneArgs, w: &mut Writer) -> anyhow::Result<ExitCode> {
    let dir = plan_dir(&args.plan);
    let plan = Plan::load(&args.plan).ok();
    let mut store = store::open_store(
        args.store.as_deref(),
        plan.as_ref().and_then(|p| p.store.as_deref()),
        &dir,
    )?;
    let by = signer(args.by.as_deref(), &dir);
    let dir_text = dir.display().to_string();
    let session = match &args.action {
        TuneAction::Start {
            name,
            inputs,
            approve,
        } => {
            let mut session = Session {
                name: name.clone(),
                plan_dir: dir_text.clone(),
                ..Session::default()
            };
            if name.trim().is_empty() {
                return Err(exit::bad_input(anyhow::anyhow!("a session needs a name")));
            }
            // Refused before anything is written (a minimal benchmark into the plan).
            if let Some(open) = store
                .current_session(&dir_text)?
                .filter(|s| !s.state.is_closed())
            {
                return Err(exit::bad_input(rigor_store::StoreError::SessionOpen {
                    path: store.location().into(),
                    id: open.id,
                    name: open.name,
                }));
            }
            if store.sessions(None)?.iter().any(|s| s.name == *name) {
                return Err(exit::bad_input(anyhow::anyhow!(
                    "a tuning session named `{name}` already exists in {}: give the new one another name",
                    store.location()
                )));
            }
            for note in apply(&mut session, inputs, plan.as_ref(), &args.plan)? {
                w.note(format_args!("{note}"));
            }
            if *approve {
                session.approved = Some(by.clone());
            }
            log(&mut session, &by, format!("started session `{name}`"));
            settle(&mut session);
            let id = store
                .create_session(&session, now_ns())
                .map_err(|e| match e {
                    rigor_store::StoreError::SessionOpen { .. }
                    | rigor_store::StoreError::SessionName { .. } => exit::bad_input(e),
                    e => e.into(),
                })?;
            session.id = id;
            session
        }
        TuneAction::List => {
            let sessions = store.sessions(None)?;
            if args.json {
                w.line(format_args!("{}", serde_json::to_string_pretty(&sessions)?))?;
            } else if sessions.is_empty() {
                w.line(format_args!(
                    "no tuning sessions in {}: `rigor tune start NAME` starts one",
                    store.location()
                ))?;
            } else {
                for s in &sessions {
                    w.line(format_args!(
                        "{:>4}  {:<24} {:<10} {}  {}",
                        s.id,
                        s.name,
                        s.state.as_str(),
                        s.plan_dir,
                        s.goal.as_deref().unwrap_or("(no goal)")
                    ))?;
                }
            }
            return Ok(ExitCode::SUCCESS);
        }
        action => {
            let mut session = store
                .current_session(&dir_text)?
                .ok_or_else(|| exit::bad_input(anyhow::anyhow!("no tuning session in {dir_text}: `rigor tune start NAME --goal '…'` starts one")))?;
            let changes = !matches!(
                action,
                TuneAction::Status | TuneAction::Report { .. } | TuneAction::Plan
            );
            if changes && session.state.is_closed() {
                return Err(exit::bad_input(anyhow::anyhow!(
                    "session `{}` is {}: its results are kept as they are; `rigor tune start NAME` starts another",
                    session.name,
                    session.state
                )));
            }
            let events = session.events.len();
            let acted = act(
                action,
                &mut session,
                plan.as_ref(),
                args,
                &by,
                store.as_mut(),
                w,
            );
            if let Err(e) = acted {
                // A step that failed (the load test did not run) changes nothing else, but the
                // failure is kept in the session log, in the protocol's terms.
                if session.events.len() > events {
                    store.save_session(&session, now_ns())?;
                }
                return Err(e);
            }
            if changes {
                settle(&mut session);
                store.save_session(&session, now_ns())?;
            }
            session
        }
    };
    let written = match &args.action {
        TuneAction::Report { out } => Some(out.as_deref()),
        TuneAction::Plan => Some(None),
        TuneAction::Close { .. } => Some(None),
        // The governance gate's "report published": written as it passes.
        TuneAction::Gate {
            gate: Gate::Governance,
            yes: true,
            ..
        } => Some(None),
        _ => None,
    };
    if let Some(out) = written {
        let status = status_of(&session, store.as_ref());
        let dir = artifacts::dir(out, &plan_dir(&args.plan));
        let manifest = artifacts::write(&status, store.as_ref(), &dir)?;
        w.note(format_args!(
            "wrote {} artifacts and their manifest to {}",
            manifest.artifacts.len(),
            dir.display()
        ));
    }
    if let TuneAction::Plan = args.action {
        let plan = artifacts::plan(&status_of(&session, store.as_ref()));
        if args.json {
            w.line(format_args!("{}", serde_json::to_string_pretty(&plan)?))?;
        } else {
            w.line(format_args!("{}", rigor_report::tune::plan(&plan)))?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    show(&session, store.as_ref(), args.json, w)?;
    Ok(if session.state == SessionState::Blocked {
        ExitCode::from(exit::NOT_COMPLETED)
    } else {
        ExitCode::SUCCESS
    })
}

/// Carries out one subcommand on the current session.
fn act(
    action: &TuneAction,
    session: &mut Session,
    plan: Option<&Plan>,
    args: &TuneArgs,
    by: &Signed,
    store: &mut dyn Store,
    w: &mut Writer,
) -> anyhow::Result<()> {
    match action {
        TuneAction::Set { inputs } => {
            for note in apply(session, inputs, plan, &args.plan)? {
                w.note(format_args!("{note}"));
            }
            log(session, by, "changed its inputs".into());
        }
        TuneAction::Approve => {
            if session.approved.is_some() {
                return Err(exit::bad_input(anyhow::anyhow!(
                    "the tuning of `{}` is already approved",
                    session.name
                )));
            }
            session.approved = Some(by.clone());
            log(session, by, "approved the tuning".into());
        }
        TuneAction::Baseline { run, repeat } => {
            let runs = match run {
                Some(id) => {
                    let record = store.run(*id).map_err(exit::bad_input)?;
                    if !record.status.is_finished() {
                        return Err(exit::bad_input(anyhow::anyhow!(
                            "run {id} is {}: a baseline is a finished run",
                            record.status.as_str()
                        )));
                    }
                    vec![*id]
                }
                None => (1..=*repeat)
                    .map(|i| {
                        let what = if *repeat == 1 {
                            "taking the baseline".to_string()
                        } else {
                            format!("taking the baseline, run {i} of {repeat}")
                        };
                        let step = measure::Step::new(1, what);
                        run_reproducer(session, &args.plan, args.store.as_deref(), step, w)
                    })
                    .collect::<anyhow::Result<Vec<i64>>>()?,
            };
            let peak = match (
                &session.expected_peak.clone(),
                &session.reproducer.clone(),
                run,
            ) {
                (Some(rate), Some(rigor_model::tune::Reproducer::Scenario(_)), None) => {
                    let step = measure::Step::new(1, "taking the baseline at the expected peak")
                        .with(&["--rate", rate]);
                    Some(run_reproducer(
                        session,
                        &args.plan,
                        args.store.as_deref(),
                        step,
                        w,
                    )?)
                }
                _ => None,
            };
            let id = runs[0];
            session.baseline_run = Some(id);
            session.baseline_runs = runs.clone();
            session.baseline_peak_run = peak;
            let also = match (runs.len(), peak) {
                (1, None) => String::new(),
                (_, None) => format!(" (of runs {})", join(&runs)),
                (1, Some(p)) => format!(", and run {p} at the expected peak"),
                (_, Some(p)) => format!(
                    " (of runs {}), and run {p} at the expected peak",
                    join(&runs)
                ),
            };
            log(
                session,
                by,
                format!("recorded run {id} as the baseline{also}"),
            );
        }
        TuneAction::Diagnose { profile } => {
            if session.baseline_run.is_none() {
                return Err(exit::bad_input(anyhow::anyhow!(
                    "diagnose after the baseline: `rigor tune baseline` first"
                )));
            }
            let extra: &[&str] = if *profile { &["--profile"] } else { &[] };
            let step = measure::Step::new(2, "diagnosing under load").with(extra);
            let run = run_reproducer(session, &args.plan, args.store.as_deref(), step, w)?;
            let record = store.run(run)?;
            let summary = match rigor_model::output::StoredSummary::parse(
                record.kind,
                record.summary.as_deref(),
            ) {
                Ok(Some(rigor_model::output::StoredSummary::Load(s))) => Some(*s),
                _ => None,
            };
            let findings = match &summary {
                Some(s) => rigor_analysis::triage::triage(s),
                None => {
                    let gap = format!("TelemetryGap: run {run} is not a load run: the triage reads a load run's signals");
                    w.warn(format_args!("{gap}"));
                    measure::record(session, &gap);
                    Vec::new()
                }
            };
            if summary.as_ref().is_some_and(|s| s.target.is_none()) {
                let gap = format!("TelemetryGap: run {run} sampled no target process: start the target with the plan's [target] command so its CPU and memory are read");
                w.warn(format_args!("{gap}"));
                measure::record(session, &gap);
            }
            let named = findings
                .first()
                .map_or("nothing stands out".to_string(), |f| {
                    f.bottleneck.as_str().to_string()
                });
            session.diagnosis = Some(rigor_model::tune::Diagnosis {
                run_id: run,
                findings,
            });
            log(session, by, format!("diagnosed run {run}: {named}"));
        }
        TuneAction::Validate {
            note,
            hypothesis,
            before,
            after,
            rounds,
        } => {
            let request = validate::Request {
                note: note.as_deref(),
                hypothesis: *hypothesis,
                interleave: before.as_deref().zip(after.as_deref()),
                rounds: *rounds,
            };
            validate::validate(session, &request, args, by, store, w)?;
        }
        TuneAction::Hypothesis { action } => match action {
            HypothesisAction::Add {
                text,
                area,
                expect,
                gain,
                effort,
            } => {
                if text.trim().is_empty() {
                    return Err(exit::bad_input(anyhow::anyhow!(
                        "a hypothesis says what will change and why"
                    )));
                }
                if let Some(e) = expect {
                    parse_goal(e).map_err(|e| exit::bad_input(anyhow::anyhow!("--expect {e}")))?;
                }
                let id = session.hypotheses.iter().map(|h| h.id).max().unwrap_or(0) + 1;
                session.hypotheses.push(Hypothesis {
                    id,
                    text: text.clone(),
                    area: *area,
                    expected: expect.clone(),
                    gain: *gain,
                    effort: *effort,
                    status: HypothesisStatus::Proposed,
                    evidence: None,
                    added: by.clone(),
                });
                log(session, by, format!("added hypothesis {id}: {text}"));
            }
            HypothesisAction::List => {}
            HypothesisAction::Update {
                id,
                status,
                evidence,
            } => {
                let h = session
                    .hypotheses
                    .iter_mut()
                    .find(|h| h.id == *id)
                    .ok_or_else(|| {
                        exit::bad_input(anyhow::anyhow!(
                            "no hypothesis {id}: `rigor tune hypothesis list` lists them"
                        ))
                    })?;
                h.status = match status.as_str() {
                    "confirmed" => HypothesisStatus::Confirmed,
                    "refuted" => HypothesisStatus::Refuted,
                    "dropped" => HypothesisStatus::Dropped,
                    _ => HypothesisStatus::Proposed,
                };
                if evidence.is_some() {
                    h.evidence = evidence.clone();
                }
                let what = format!("marked hypothesis {id} {status}");
                log(session, by, what);
            }
        },
        TuneAction::Gate {
            gate,
            yes,
            no,
            clarify,
            note,
        } => {
            if let Some(done) = session.answer(*gate).filter(|a| a.answer == Answer::Yes) {
                return Err(exit::bad_input(anyhow::anyhow!(
                    "the {} gate was answered yes by {} at {}; an answered gate stays answered (the audit trail keeps it)",
                    gate.as_str(),
                    done.signed.by,
                    done.signed.at
                )));
            }
            let (answer, note) = match (yes, no, clarify) {
                (true, _, _) => (Answer::Yes, note.clone()),
                (_, true, _) => (Answer::No, note.clone()),
                (_, _, Some(why)) => (Answer::Clarify, Some(why.clone())),
                _ if gates::interactive() => gates::ask(session, *gate)?,
                _ => {
                    return Err(exit::bad_input(anyhow::anyhow!(
                        "answer the {} gate with --yes, --no or --clarify 'what must be answered first' (at a terminal, `rigor tune gate {}` asks)",
                        gate.as_str(),
                        gate.as_str()
                    )))
                }
            };
            if answer == Answer::Yes {
                gates::check_gate(session, *gate, note.as_deref())?;
            }
            if (*gate, answer) == (Gate::Governance, Answer::Yes) {
                for u in session.monitoring.iter_mut().flat_map(|m| &mut m.updates) {
                    u.approved = Some(by.clone());
                }
            }
            session.gates.push(GateAnswer {
                gate: *gate,
                answer,
                note,
                signed: by.clone(),
            });
            log(
                session,
                by,
                format!("answered the {} gate {answer:?}", gate.as_str()),
            );
        }
        TuneAction::Capacity {
            skip,
            reason,
            search,
        } => {
            let said = monitor::capacity(
                session,
                (*skip, reason.as_deref(), search.as_deref()),
                store,
                by,
            )?;
            w.note(format_args!("{said}"));
            log(session, by, said);
        }
        TuneAction::Monitor {
            budget,
            slo,
            rules_out,
        } => {
            let changes = monitor::Changes {
                budgets: budget,
                slos: slo,
                rules_out: rules_out.as_deref(),
            };
            monitor::monitor(session, &changes, &args.plan, store, by, w)?;
            let n = session.monitoring.as_ref().map_or(0, |m| m.budgets.len());
            let slos = session.monitoring.as_ref().map_or(0, |m| {
                m.updates
                    .iter()
                    .filter(|u| u.kind == rigor_model::slo::SloUpdateKind::Slo)
                    .count()
            });
            log(
                session,
                by,
                format!(
                    "wrote {n} budget{} into the plan{}",
                    if n == 1 { "" } else { "s" },
                    if slos > 0 {
                        format!(
                            ", changed {slos} SLO setting{} and wrote the rules again",
                            if slos == 1 { "" } else { "s" }
                        )
                    } else {
                        String::new()
                    }
                ),
            );
        }
        TuneAction::Close {
            abort,
            reason,
            promote,
            baseline,
        } => {
            let state = if *abort {
                SessionState::Aborted
            } else {
                let open: Vec<&str> = Gate::ALL
                    .iter()
                    .filter(|g| session.answer(**g).is_none_or(|a| a.answer != Answer::Yes))
                    .map(|g| g.as_str())
                    .collect();
                if !open.is_empty() {
                    return Err(exit::bad_input(anyhow::anyhow!(
                        "session `{}` cannot close as completed: the {} gate{} not passed; answer {} or close with --abort --reason '…' (every result is kept)",
                        session.name,
                        open.join(", "),
                        if open.len() == 1 { " has" } else { "s have" },
                        if open.len() == 1 { "it" } else { "them" },
                    )));
                }
                SessionState::Completed
            };
            if *promote {
                monitor::promote(session, baseline, &plan_dir(&args.plan), store, by, w)?;
                let run = session.promoted.as_ref().map_or(0, |p| p.run_id);
                log(
                    session,
                    by,
                    format!("made run {run} the baseline `{baseline}`"),
                );
            }
            session.closed = Some(Closure {
                state,
                reason: reason.clone(),
                signed: by.clone(),
            });
            log(session, by, format!("closed the session: {state}"));
        }
        TuneAction::Start { .. }
        | TuneAction::List
        | TuneAction::Status
        | TuneAction::Plan
        | TuneAction::Report { .. } => {}
    }
    Ok(())
}

/// Blocked while an input only the user can give is missing; open otherwise.
fn settle(session: &mut Session) {
    session.state = match &session.closed {
        Some(c) => c.state,
        None if session.blocked_by().is_empty() => SessionState::Open,
        None => SessionState::Blocked,
    };
}

/// Prints the session: its tracker, gates, goal, hypotheses, what it lacks, and what next.
fn show(session: &Session, store: &dyn Store, json: bool, w: &mut Writer) -> anyhow::Result<()> {
    let status = status_of(session, store);
    if json {
        w.line(format_args!("{}", serde_json::to_string_pretty(&status)?))?;
        return Ok(());
    }
    w.line(format_args!("{}", rigor_report::tune::status(&status)))?;
    Ok(())
}

fn status_of(session: &Session, store: &dyn Store) -> TuneStatus {
    TuneStatus {
        session: session.clone(),
        phases: session.phases(),
        missing: session.missing(),
        goal: goal_check(session, store, None),
        risks: risks::risks(session, store),
        next: session.next_command(),
    }
}

/// The tuning session run `run` belongs to, as its report shows it: what the run was for,
/// and what it showed against the goal; `None` when it belongs to none (or the store keeps no
/// sessions).
pub fn section(store: &dyn Store, run: i64) -> Option<rigor_model::output::report::SessionSection> {
    let sessions = store.sessions(None).ok()?;
    let (session, role) = sessions.into_iter().rev().find_map(|s| {
        let role = s.runs().into_iter().find(|(id, _)| *id == run)?.1;
        Some((s, role))
    })?;
    let iteration = session.iterations.iter().find(|i| i.run_id == run);
    let peak = session
        .iterations
        .iter()
        .find_map(|i| i.peak.as_ref().filter(|p| p.run_id == run));
    let goal_check = match (iteration, peak) {
        (Some(i), _) => i.goal.clone(),
        (_, Some(p)) => p.goal.clone(),
        _ => goal_check(&session, store, Some(run)),
    };
    Some(rigor_model::output::report::SessionSection {
        session: session.name.clone(),
        state: session.state.as_str().to_string(),
        goal: session.goal.clone(),
        scope: session.scope.clone(),
        role,
        against: iteration
            .map(|i| i.against)
            .or(peak.and_then(|p| p.against)),
        goal_check,
        goal_change: iteration
            .and_then(|i| i.goal_change.clone())
            .or(peak.and_then(|p| p.goal_change.clone())),
        outcome: iteration.map(|i| i.outcome.as_str().to_string()),
        note: iteration.and_then(|i| i.note.clone()),
        phases: session.phases(),
    })
}

fn join(ids: &[i64]) -> String {
    ids.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn log(session: &mut Session, by: &Signed, what: String) {
    session.log.push(LogEntry {
        signed: by.clone(),
        what,
    });
}

/// Who acts, and now.
fn signer(by: Option<&str>, dir: &Path) -> Signed {
    let name = by
        .map(str::to_string)
        .or_else(|| {
            std::process::Command::new("git")
                .args(["config", "user.name"])
                .current_dir(dir)
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
                .filter(|n| !n.is_empty())
        })
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "unknown".into());
    Signed {
        by: name,
        at: rigor_model::units::rfc3339(std::time::SystemTime::now()),
    }
}

fn plan_dir(plan: &Path) -> PathBuf {
    let dir = plan
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    dir.canonicalize().unwrap_or(dir)
}

fn now_ns() -> i64 {
    rigor_recorder::unix_ns_now()
}
