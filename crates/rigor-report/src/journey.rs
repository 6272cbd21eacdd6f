//! A journey in the one form the terminal, Markdown and HTML reports all print: how many walks
//! started, completed and failed, how long a whole walk took, and a row per step with its
//! latency, its errors, the walks that ended there and what it takes from its response.

use rigor_model::output::{JourneySummary, ReplaySummary, RunSummary, SkippedLines};
use rigor_model::units::{format_nanos, three_figures};

/// The column headers of [`StepRow::cells`].
pub(crate) const HEADERS: [&str; 9] = [
    "step",
    "sends",
    "p50",
    "p95",
    "p99",
    "errors",
    "walks ended here",
    "think",
    "takes",
];

/// One step's row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StepRow {
    pub cells: [String; 9],
    /// Why the step could not take a value, the first time.
    pub failure: Option<String>,
}

/// The journey's headline: walks and their outcome.
pub(crate) fn headline(j: &JourneySummary) -> String {
    let mut text = format!(
        "{} walks started ({}/s) · {} completed · {} failed ({}%)",
        j.started,
        three_figures(j.started_per_s),
        j.completed,
        j.failed,
        three_figures(j.failure_rate * 100.0)
    );
    if j.unfinished > 0 {
        text.push_str(&format!(
            " · {} unfinished (stopped mid-walk or still walking at the end)",
            j.unfinished
        ));
    }
    text
}

/// The whole walk's duration, of the walks that completed.
pub(crate) fn duration(j: &JourneySummary) -> String {
    let d = &j.duration;
    if d.count == 0 {
        return "no walk completed, so a walk has no duration".into();
    }
    format!(
        "walk duration ({} completed, think times included): p50 {} · p95 {} · p99 {} · max {}",
        d.count,
        format_nanos(d.p50_ns as f64),
        format_nanos(d.p95_ns as f64),
        format_nanos(d.p99_ns as f64),
        format_nanos(d.max_ns as f64)
    )
}

/// A row per step, in the order they are walked; the latencies are the step's own requests'.
pub(crate) fn rows(s: &RunSummary) -> Vec<StepRow> {
    let Some(j) = &s.journey else {
        return Vec::new();
    };
    j.steps
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let group = s.requests.iter().find(|g| g.name == step.step);
            let latency = |pick: fn(&rigor_model::output::LatencySummary) -> u64| {
                group
                    .filter(|g| g.latency.count > 0)
                    .map_or("-".into(), |g| format_nanos(pick(&g.latency) as f64))
            };
            let name = if step.repeat > 1 {
                format!("{} {} ×{}", i + 1, step.step, step.repeat)
            } else {
                format!("{} {}", i + 1, step.step)
            };
            StepRow {
                cells: [
                    name,
                    group.map_or(0, |g| g.requests).to_string(),
                    latency(|l| l.p50_ns),
                    latency(|l| l.p95_ns),
                    latency(|l| l.p99_ns),
                    group.map_or(0, |g| g.errors).to_string(),
                    step.failed_walks.to_string(),
                    if step.think_ns == 0 {
                        "-".into()
                    } else {
                        format_nanos(step.think_ns as f64)
                    },
                    step.extracts.join(", "),
                ],
                failure: step
                    .extract_failure
                    .as_ref()
                    .map(|why| format!("step `{}` could not take a value: {why}", step.step)),
            }
        })
        .collect()
}

/// What a replay sent: the file, how many of its requests, in which order and at what pace,
/// and how many lines it left out.
pub(crate) fn replay_line(r: &ReplaySummary) -> String {
    let order = match r.seed {
        Some(seed) => format!("shuffled (seed {seed})"),
        None => "in the log's order".into(),
    };
    let pace = match r.speed {
        Some(speed) => format!(
            "at the log's own timing ×{} ({} logged)",
            three_figures(speed),
            format_nanos(r.span_ns as f64)
        ),
        None => "at the phases' rate".into(),
    };
    let skipped: u64 = r.skipped.iter().map(|s| s.count).sum();
    let left_out = if skipped == 0 {
        "no line left out".to_string()
    } else {
        format!(
            "{skipped} line{} left out, never sent",
            if skipped == 1 { "" } else { "s" }
        )
    };
    format!(
        "{} · {} requests {order}, {pace} · {left_out}",
        r.file, r.replayable
    )
}

/// One reason lines of a replayed log were left out, with the first of them.
pub(crate) fn skipped_line(s: &SkippedLines) -> String {
    let lines: Vec<String> = s.lines.iter().map(usize::to_string).collect();
    let more = if (s.lines.len() as u64) < s.count {
        ", …"
    } else {
        ""
    };
    format!(
        "{} × {} (line{} {}{more})",
        s.count,
        s.reason,
        if s.count == 1 { "" } else { "s" },
        lines.join(", ")
    )
}
