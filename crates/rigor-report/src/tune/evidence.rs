//! A tuning session's evidence as Markdown: the hypothesis log, the profiling report, one
//! report per phase of the protocol, the instrumentation log, the continuous-improvement
//! notes and the whole report.

use std::fmt::Write;

use rigor_model::tune::{Answer, Gate, HypothesisStatus, TuneStatus};

use super::{cell, facts};

/// `hypothesis-log.md`: the plan's hypotheses by return on effort, with what became of them.
pub fn hypothesis_log(t: &TuneStatus) -> String {
    let s = &t.session;
    let mut out = format!("# Hypothesis log — {}\n\n", s.name);
    if s.hypotheses.is_empty() {
        out.push_str("No hypothesis was recorded.\n");
        return out;
    }
    out.push_str("| # | hypothesis | area | expects | gain | effort | status | evidence | added by |\n|---:|---|---|---|---:|---:|---|---|---|\n");
    for h in s.ordered_hypotheses() {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} at {} |",
            h.id,
            cell(&h.text),
            h.area.as_str(),
            cell(h.expected.as_deref().unwrap_or("–")),
            h.gain,
            h.effort,
            h.status.as_str(),
            cell(h.evidence.as_deref().unwrap_or("–")),
            cell(&h.added.by),
            h.added.at
        );
    }
    out
}

/// `profiling-report.md`: the diagnosis and its evidence, or why there is none.
pub fn profiling_report(t: &TuneStatus) -> String {
    let s = &t.session;
    let mut out = format!("# Profiling and bottleneck discovery — {}\n\n", s.name);
    let Some(d) = &s.diagnosis else {
        out.push_str("Phase not reached: no diagnostic run was made (`rigor tune diagnose`).\n");
        return out;
    };
    let _ = writeln!(out, "Diagnostic run: {}.\n", d.run_id);
    if d.findings.is_empty() {
        out.push_str("Nothing stood out at this load: the target was neither CPU-bound nor waiting, failing, growing or queueing.\n");
    }
    for (i, f) in d.findings.iter().enumerate() {
        let _ = writeln!(
            out,
            "## {} {}\n\n{}.\n",
            if i == 0 { "Bottleneck:" } else { "Also:" },
            f.bottleneck.as_str(),
            f.headline
        );
        for e in &f.evidence {
            let _ = writeln!(out, "- {e}");
        }
        let _ = writeln!(out, "\nNext: {}\n", f.next);
    }
    out
}

/// `phaseN_performance_*.md`: one phase of the protocol, as far as the session reached it.
pub fn phase_report(t: &TuneStatus, number: u8) -> String {
    let s = &t.session;
    let Some(row) = t.phases.iter().find(|p| p.number == number) else {
        return String::new();
    };
    let mut out = format!(
        "# Phase {number}: {} — {}\n\nStatus: {}.{}\n\n",
        row.title,
        s.name,
        row.status.mark(),
        if row.notes.is_empty() {
            String::new()
        } else {
            format!(" {}.", row.notes)
        }
    );
    let gate = match number {
        1 => Some(Gate::Baseline),
        2 => Some(Gate::Diagnosis),
        3 => Some(Gate::Optimisation),
        5 => Some(Gate::Governance),
        _ => None,
    };
    match number {
        1 => {
            let _ = writeln!(
                out,
                "- Goal: {}\n- Scope: {}\n- Reproduced by: {}\n- Baseline: {}",
                s.goal.as_deref().unwrap_or("–"),
                s.scope.as_deref().unwrap_or("–"),
                s.reproducer
                    .as_ref()
                    .map_or("–".into(), ToString::to_string),
                s.baseline_run.map_or("none".into(), |r| format!("run {r}"))
            );
            if let Some(g) = &t.goal {
                let _ = writeln!(out, "- {}", g.verdict);
            }
        }
        2 => out.push_str(
            &profiling_report(t)
                .lines()
                .skip(2)
                .map(|l| match l.strip_prefix("## ") {
                    Some(rest) => format!("### {rest}"),
                    None => l.to_string(),
                })
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        3 => {
            if s.iterations.is_empty() {
                out.push_str("Phase not reached: no change was validated.\n");
            }
            for i in &s.iterations {
                let _ = writeln!(
                    out,
                    "- Iteration {} (run {} against {}): {}",
                    i.number,
                    i.run_id,
                    i.against,
                    facts(i, "failed", false).join("; ")
                );
            }
        }
        4 => match &s.capacity {
            Some(rigor_model::tune::CapacityPhase {
                search: Some(f),
                signed,
                ..
            }) => {
                let _ = writeln!(
                    out,
                    "Capacity search {} of scenario `{}`, taken by {} at {}: {}.\n\n- {}\n- knee: {}\n- scalability: {}\n- evidence: runs {}; `rigor capacity --show {} --report DIR` writes capacity-analysis.md and its chart.",
                    f.search_id,
                    f.scenario,
                    signed.by,
                    signed.at,
                    f.summary,
                    f.phase_note(),
                    f.knee_per_s
                        .map_or("none found".into(), |k| format!("{k:.1}/s")),
                    f.bound_by.as_deref().map_or("no model fitted".into(), |b| format!("{b}-bound")),
                    f.runs
                        .iter()
                        .map(i64::to_string)
                        .collect::<Vec<_>>()
                        .join(", "),
                    f.search_id,
                );
            }
            Some(c) => {
                let _ = writeln!(
                    out,
                    "Skipped by {} at {}: {}.\n\nNo capacity search (breaking point, knee, scalability model) was taken; {}",
                    c.signed.by,
                    c.signed.at,
                    c.skipped.as_deref().unwrap_or("no reason given"),
                    match &s.expected_peak {
                        Some(p) => format!("each change was validated at the expected peak, {p}."),
                        None => "the session has no expected peak to validate at.".to_string(),
                    }
                );
            }
            None => out.push_str(
                "Phase not reached: no capacity search ran and no skip was recorded (`rigor tune capacity --skip --reason …`).\n",
            ),
        },
        _ => match &s.monitoring {
            Some(m) => {
                let _ = writeln!(
                    out,
                    "Budgets written into {} by {} at {}, holding run {}'s figures; `rigor gate` enforces them in CI:\n",
                    m.plan, m.signed.by, m.signed.at, m.final_run
                );
                for u in &m.updates {
                    let _ = writeln!(
                        out,
                        "- {} `{}`: {} → {} ({}; runs {})",
                        match u.kind {
                            rigor_model::slo::SloUpdateKind::Budget => "budget",
                            rigor_model::slo::SloUpdateKind::Slo => "SLO",
                            rigor_model::slo::SloUpdateKind::Baseline => "baseline",
                        },
                        u.scenario.as_deref().unwrap_or("every scenario"),
                        u.old.as_deref().unwrap_or("none"),
                        u.new,
                        u.reason,
                        u.evidence
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                }
            }
            None => out.push_str(
                "Phase not reached: no budget or SLO update was recorded (`rigor tune monitor`).\n",
            ),
        },
    }
    if let Some(gate) = gate {
        let _ = writeln!(
            out,
            "\nGate `{}` — {}\n\nAnswer: {}",
            gate.as_str(),
            gate.question(),
            s.answer(gate).map_or("none yet".to_string(), |a| format!(
                "{:?} by {} at {}{}",
                a.answer,
                a.signed.by,
                a.signed.at,
                a.note
                    .as_deref()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default()
            ))
        );
    }
    out
}

/// `PERFORMANCE-REPORT.md`: the session in one page.
pub fn performance_report(t: &TuneStatus) -> String {
    let s = &t.session;
    let mut out = format!(
        "# Performance report — {}\n\nState: **{}**{}\n\n",
        s.name,
        s.state.as_str(),
        s.closed
            .as_ref()
            .and_then(|c| c.reason.as_deref())
            .map(|r| format!(" ({r})"))
            .unwrap_or_default()
    );
    let _ = writeln!(
        out,
        "## Phases\n\n| phase | title | status | notes |\n|---:|---|---|---|"
    );
    for p in &t.phases {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            p.number,
            p.title,
            p.status.mark(),
            cell(&p.notes)
        );
    }
    out.push('\n');
    for n in 1..=5 {
        let phase = phase_report(t, n);
        out.push_str(&phase.replacen("# ", "## ", 1));
        out.push('\n');
    }
    let _ = writeln!(out, "## Audit trail\n");
    for entry in &s.log {
        let _ = writeln!(
            out,
            "- {} · {} · {}",
            entry.signed.at,
            entry.signed.by,
            cell(&entry.what)
        );
    }
    out
}

/// What one run of the session captured beside its latency, for the instrumentation log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signals {
    pub run_id: i64,
    pub role: String,
    /// A load run (a bench has no target to sample).
    pub load: bool,
    /// The target's process sampled (CPU, memory, threads, context switches).
    pub target: bool,
    /// Series scraped from the target's own metrics endpoint.
    pub scraped: usize,
    pub probes: usize,
    /// A profile of the target's stacks kept with the run.
    pub profiled: bool,
}

/// `instrumentation-update-log.md`: what each run of the session measured beside latency,
/// the gaps the goal's evidence had, and what the session changed in what is watched.
pub fn instrumentation_log(t: &TuneStatus, runs: &[Signals]) -> String {
    let s = &t.session;
    let mut out = format!("# Instrumentation update log — {}\n\n", s.name);
    if runs.is_empty() {
        out.push_str("No run was made yet: nothing was measured.\n");
        return out;
    }
    out.push_str("## What each run captured\n\n| run | role | target process | target metrics | probes | profile |\n|---:|---|---|---:|---:|---|\n");
    let yes = |b: bool| if b { "yes" } else { "no" };
    for r in runs {
        if r.load {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                r.run_id,
                cell(&r.role),
                yes(r.target),
                r.scraped,
                r.probes,
                yes(r.profiled)
            );
        } else {
            let _ = writeln!(
                out,
                "| {} | {} | – (a bench: its own CPU and memory) | – | – | – |",
                r.run_id,
                cell(&r.role)
            );
        }
    }
    out.push_str("\n## Gaps\n\n");
    let mut gaps: Vec<String> = s
        .events
        .iter()
        .filter(|e| e.contains("TelemetryGap"))
        .cloned()
        .collect();
    let loads: Vec<&Signals> = runs.iter().filter(|r| r.load).collect();
    if !loads.is_empty() && loads.iter().all(|r| !r.target) {
        gaps.push("no run sampled the target's process: give the plan a `[target]` with its command so CPU and memory are measured".into());
    }
    if !loads.is_empty() && loads.iter().all(|r| !r.profiled) {
        gaps.push("no profile was taken: `rigor tune diagnose --profile` samples the target's stacks with perf".into());
    }
    if !loads.is_empty() && loads.iter().all(|r| r.scraped == 0) {
        gaps.push("the target's own metrics were not scraped: `[target.metrics] url` (or `--target-metrics URL`) adds its GC, pools and queues".into());
    }
    if gaps.is_empty() {
        out.push_str("None: every signal the session needed was captured.\n");
    }
    for g in gaps {
        let _ = writeln!(out, "- {g}");
    }
    out.push_str("\n## What changed\n\n");
    let mut changed = false;
    if let Some(m) = &s.monitoring {
        for u in &m.updates {
            changed = true;
            let _ = writeln!(
                out,
                "- {}: {} → {} (in {})",
                u.metric,
                u.old.as_deref().unwrap_or("none"),
                u.new,
                m.plan
            );
        }
    }
    for i in &s.iterations {
        if let Some(note) = &i.note {
            changed = true;
            let _ = writeln!(out, "- iteration {}: {}", i.number, cell(note));
        }
    }
    if !changed {
        out.push_str("Nothing yet: no change was validated and no budget written.\n");
    }
    out
}

/// `continuous-improvement-notes.md`: what the session learned and leaves for the next one —
/// the hypotheses not yet tried (by return on effort), those refuted, the trade-offs signed
/// off, the risks, and how the result is kept.
pub fn improvement_notes(t: &TuneStatus) -> String {
    let s = &t.session;
    let mut out = format!("# Continuous improvement notes — {}\n\n", s.name);
    let _ = writeln!(
        out,
        "State: {}. Goal: {}.{}\n",
        s.state.as_str(),
        s.goal.as_deref().unwrap_or("none"),
        s.iterations
            .iter()
            .rev()
            .find_map(|i| i.goal.as_ref())
            .map(|g| format!(" Latest: {}.", g.verdict))
            .unwrap_or_default()
    );
    let ordered = s.ordered_hypotheses();
    let list = |status: HypothesisStatus| -> Vec<String> {
        ordered
            .iter()
            .filter(|h| h.status == status)
            .map(|h| {
                format!(
                    "- {} ({}, gain {} / effort {}){}",
                    cell(&h.text),
                    h.area.as_str(),
                    h.gain,
                    h.effort,
                    h.evidence
                        .as_deref()
                        .map(|e| format!(": {}", cell(e)))
                        .unwrap_or_default()
                )
            })
            .collect()
    };
    let section = |out: &mut String, title: &str, lines: Vec<String>, none: &str| {
        let _ = writeln!(out, "## {title}\n");
        if lines.is_empty() {
            let _ = writeln!(out, "{none}\n");
        } else {
            let _ = writeln!(out, "{}\n", lines.join("\n"));
        }
    };
    section(
        &mut out,
        "Next candidates (by gain over effort)",
        list(HypothesisStatus::Proposed),
        "None left untried.",
    );
    section(
        &mut out,
        "Refuted (what did not help)",
        list(HypothesisStatus::Refuted),
        "None.",
    );
    let signed: Vec<String> = s
        .gates
        .iter()
        .filter(|g| g.answer == Answer::Yes && g.note.is_some())
        .map(|g| {
            format!(
                "- {} gate, signed off by {}: {}",
                g.gate.as_str(),
                g.signed.by,
                cell(g.note.as_deref().unwrap_or_default())
            )
        })
        .collect();
    section(&mut out, "Signed off", signed, "Nothing needed a sign-off.");
    section(
        &mut out,
        "Risks",
        t.risks.iter().map(|r| format!("- {}", cell(r))).collect(),
        "None seen.",
    );
    let mut kept = vec![
        "- `rigor gate` in CI enforces the plan's budgets and rules on every change.".to_string(),
    ];
    if let Some(p) = &s.promoted {
        kept.push(format!(
            "- Baseline `{}` is run {}{}: compare later runs with it (`rigor compare`).",
            p.baseline,
            p.run_id,
            p.snapshot
                .as_deref()
                .map(|x| format!(", its snapshot {x}"))
                .unwrap_or_default()
        ));
    } else {
        kept.push(
            "- The final run is not yet the baseline: `rigor tune close --promote` makes it so."
                .into(),
        );
    }
    kept.push("- Re-take the baseline after each major release (`rigor baseline set`), and start a new session when the gate fails or monitoring flags degradation.".into());
    section(&mut out, "How the result is kept", kept, "");
    out
}
