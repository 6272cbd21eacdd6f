//! A tuning session in the terminal: the protocol's phase tracker (phase, title, status,
//! notes), the goal against the baseline, the gates, the plan's hypotheses in order of return
//! on effort, what the session still lacks and the next command.

use std::fmt::Write;

use rigor_model::tune::{Answer, Gate, TuneStatus};

mod evidence;

pub use evidence::{
    hypothesis_log, improvement_notes, instrumentation_log, performance_report, phase_report,
    profiling_report, Signals,
};

/// The status of a session as text.
pub fn status(t: &TuneStatus) -> String {
    let s = &t.session;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "tune session {} · {} · {}",
        s.id,
        s.name,
        s.state.as_str().to_uppercase()
    );
    if let Some(c) = &s.closed {
        let _ = writeln!(
            out,
            "  closed {} by {} at {}{}",
            c.state,
            c.signed.by,
            c.signed.at,
            c.reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        );
    }
    let field = |v: &Option<String>| v.clone().unwrap_or_else(|| "–".into());
    let _ = writeln!(out, "  goal: {}", field(&s.goal));
    if let Some(peak) = &s.expected_peak {
        let _ = writeln!(out, "  expected peak: {peak}");
    }
    let _ = writeln!(out, "  scope: {}", field(&s.scope));
    let _ = writeln!(
        out,
        "  reproduced by: {}",
        s.reproducer
            .as_ref()
            .map_or("–".into(), ToString::to_string)
    );
    let _ = writeln!(out, "  functional tests: {}", field(&s.tests));
    let _ = writeln!(
        out,
        "  approved: {}",
        s.approved
            .as_ref()
            .map_or("no".into(), |a| format!("by {} at {}", a.by, a.at))
    );
    let _ = writeln!(
        out,
        "  baseline: {}",
        s.baseline_run
            .map_or("none yet".into(), |r| format!("run {r}"))
    );
    if let Some(g) = &t.goal {
        let _ = writeln!(out, "  {}", g.verdict);
    }
    let _ = writeln!(
        out,
        "\n  phase  title                                     status           notes"
    );
    for p in &t.phases {
        let _ = writeln!(
            out,
            "  {:<6} {:<41} {:<16} {}",
            p.number,
            p.title,
            p.status.mark(),
            p.notes
        );
    }
    let _ = writeln!(out, "\n  gate           answer");
    for gate in Gate::ALL {
        let answer = s.answer(gate).map_or("–".to_string(), |a| {
            format!(
                "{} by {} at {}{}",
                match a.answer {
                    Answer::Yes => "yes",
                    Answer::No => "no",
                    Answer::Clarify => "clarify",
                },
                a.signed.by,
                a.signed.at,
                a.note
                    .as_deref()
                    .map(|n| format!(": {n}"))
                    .unwrap_or_default()
            )
        });
        let _ = writeln!(out, "  {:<14} {answer}", gate.as_str());
    }
    if let Some(d) = &s.diagnosis {
        let _ = writeln!(out, "\n  diagnosis (run {})", d.run_id);
        if d.findings.is_empty() {
            let _ = writeln!(out, "    nothing stands out: the target is neither busy nor waiting, failing, growing or queueing at this load");
        }
        for (i, f) in d.findings.iter().enumerate() {
            let lead = if i == 0 { "bottleneck" } else { "also" };
            let _ = writeln!(
                out,
                "    {lead}: {} — {}",
                f.bottleneck.as_str(),
                f.headline
            );
            for e in &f.evidence {
                let _ = writeln!(out, "      · {e}");
            }
            let _ = writeln!(out, "      next: {}", f.next);
        }
    }
    let ordered = s.ordered_hypotheses();
    if !ordered.is_empty() {
        let _ = writeln!(out, "\n  hypotheses (by gain over effort)");
        for h in ordered {
            let _ = writeln!(
                out,
                "  {:>3}. [{}] {} · {} · gain {} / effort {}{}{}",
                h.id,
                h.status.as_str(),
                h.text,
                h.area.as_str(),
                h.gain,
                h.effort,
                h.expected
                    .as_deref()
                    .map(|e| format!(" · expects {e}"))
                    .unwrap_or_default(),
                h.evidence
                    .as_deref()
                    .map(|e| format!(" · {e}"))
                    .unwrap_or_default()
            );
        }
    }
    if !s.iterations.is_empty() {
        let _ = writeln!(out, "\n  iterations (against the baseline)");
        for i in &s.iterations {
            let mut parts = facts(i, "FAILED", true);
            parts.extend(i.note.clone());
            let _ = writeln!(
                out,
                "  {:>3}. run {} vs {} · {}",
                i.number,
                i.run_id,
                i.against,
                parts.join(" · ")
            );
            for r in &i.regressed {
                let _ = writeln!(out, "       trade-off: {} {}", r.metric, r.text);
            }
            for r in &i.signals_regressed {
                let _ = writeln!(out, "       also moved: {} {}", r.metric, r.text);
            }
        }
    }
    if !t.risks.is_empty() {
        let _ = writeln!(out, "\n  risks");
        for r in &t.risks {
            let _ = writeln!(out, "    · {r}");
        }
    }
    if !t.missing.is_empty() && !s.state.is_closed() {
        let _ = writeln!(out, "\n  required inputs missing");
        for m in &t.missing {
            let who = if m.remedied_by_rigor {
                " (rigor takes it)"
            } else {
                ""
            };
            let _ = writeln!(out, "    {}{who}: {}", m.input, m.remedy);
        }
    }
    let _ = write!(out, "\n  next: {}", t.next);
    out
}

/// What an iteration came to, in the words every form of the report uses: its outcome, the
/// goal's metric against the baseline, the goal's verdict (with `goal`) and the functional
/// tests (`failed` is how a failure is written).
pub(crate) fn facts(i: &rigor_model::tune::Iteration, failed: &str, goal: bool) -> Vec<String> {
    let mut parts = vec![i.outcome.as_str().replace('_', " ")];
    parts.extend(
        i.goal_change
            .as_ref()
            .map(|c| format!("{} {}", c.metric, c.text)),
    );
    if let Some(x) = &i.interleaved {
        parts.push(format!(
            "interleaved with the version before over {} rounds",
            x.rounds
        ));
    }
    if goal {
        parts.extend(i.goal.as_ref().map(|g| g.verdict.clone()));
    }
    if let Some(p) = &i.previous {
        parts.push(format!("against the previous iteration: {}", p.text));
    }
    if let Some(p) = &i.peak {
        parts.push(match (&p.goal_change, &p.note) {
            (Some(c), _) => format!(
                "at the peak {} (run {}): {} {}",
                p.rate, p.run_id, c.metric, c.text
            ),
            (None, Some(note)) => format!("at the peak {} (run {}): {note}", p.rate, p.run_id),
            (None, None) => format!("at the peak {} (run {}): measured", p.rate, p.run_id),
        });
    }
    parts.extend(
        i.tests
            .as_ref()
            .map(|t| format!("tests {}", if t.passed { "passed" } else { failed })),
    );
    parts
}

pub(crate) fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// What a run's report says of its tuning session: one sentence on what the run was for and
/// what it showed, then the facts (the goal, the change, the outcome).
pub fn section_lines(x: &rigor_model::output::report::SessionSection) -> Vec<String> {
    let role = if x.role.starts_with("iteration") {
        x.role.clone()
    } else {
        format!("the {}", x.role)
    };
    let mut out = vec![format!(
        "Tuning session `{}` ({}{}): this run is {role}.",
        x.session,
        x.state,
        x.scope
            .as_deref()
            .map(|s| format!("; scope: {s}"))
            .unwrap_or_default()
    )];
    if let Some(goal) = &x.goal {
        out.push(format!("Goal: `{goal}`."));
    }
    if let Some(g) = &x.goal_check {
        out.push(format!("{}.", capitalise(&g.verdict)));
    }
    if let Some(c) = &x.goal_change {
        out.push(format!(
            "Against run {}: {} {}.",
            x.against
                .map_or("the baseline".to_string(), |a| a.to_string()),
            c.metric,
            c.text
        ));
    }
    if let Some(o) = &x.outcome {
        out.push(format!(
            "The change{} came to: {}.",
            x.note
                .as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default(),
            o.replace('_', " ")
        ));
    }
    out
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `rigor tune plan`: the plan as a reviewer reads it before approving it.
pub fn plan(p: &rigor_model::tune::artifacts::OptimizationPlan) -> String {
    let mut out = format!(
        "optimisation plan · {}\n  goal: {}\n  baseline: {}\n\n  steps\n",
        p.session,
        p.goal.as_deref().unwrap_or("none yet"),
        p.baseline_run.map_or(
            "none yet (`rigor tune baseline` takes it)".into(),
            |r| format!("run {r}")
        )
    );
    for step in &p.steps {
        let _ = writeln!(out, "    {step}");
    }
    out.push_str("\n  approach (by gain over effort)\n");
    if p.hypotheses.is_empty() {
        out.push_str("    no hypothesis yet: `rigor tune hypothesis add 'what will change and why' --expect 'latency.p95 -20%'`\n");
    }
    for h in &p.hypotheses {
        let _ = writeln!(
            out,
            "    {}. {} · {} · expects {} · gain {} / effort {} · {}",
            h.id,
            h.text,
            h.area.as_str(),
            h.expected.as_deref().unwrap_or("–"),
            h.gain,
            h.effort,
            h.status.as_str()
        );
    }
    let _ = writeln!(out, "\n  measurement\n    {}", p.measurement);
    out.push_str("\n  risks\n");
    if p.risks.is_empty() {
        out.push_str("    none seen yet\n");
    }
    for r in &p.risks {
        let _ = writeln!(out, "    · {r}");
    }
    let _ = write!(
        out,
        "\n  approved: {}\n  reviewed: {}",
        p.approved
            .as_ref()
            .map_or("no (`rigor tune approve`)".into(), |a| format!(
                "by {} at {}",
                a.by, a.at
            )),
        p.reviewed.as_ref().map_or(
            "not yet: `rigor tune gate plan --yes` approves it before validation runs".into(),
            |a| format!("{:?} by {} at {}", a.answer, a.signed.by, a.signed.at)
        )
    );
    out
}
