//! An imported run in the terminal and in Markdown: where it came from, its attributes, and
//! each figure in its unit with which way is better, and whether it has an interval.

use std::fmt::Write as _;

use rigor_model::metric::Direction;
use rigor_model::output::imported::{ImportedRun, ImportedValue};

fn better(v: &ImportedValue) -> &'static str {
    match v.better {
        Direction::LowerIsBetter => "lower",
        Direction::HigherIsBetter => "higher",
    }
}

fn spread(v: &ImportedValue) -> String {
    match (v.interval, v.samples.len()) {
        (Some([lo, hi]), n) => format!(
            "[{}, {}]{}",
            v.unit.format(lo),
            v.unit.format(hi),
            if n > 0 {
                format!(" from {n} samples")
            } else {
                String::new()
            }
        ),
        (None, 0) => "no interval".into(),
        (None, n) => format!("{n} samples"),
    }
}

fn origin(run_id: i64, name: &str, r: &ImportedRun) -> String {
    format!(
        "run {run_id} `{name}`: imported from {} ({}{})",
        r.source,
        r.file,
        r.row.map(|row| format!(", row {row}")).unwrap_or_default()
    )
}

pub(crate) fn terminal(run_id: i64, name: &str, r: &ImportedRun) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", origin(run_id, name, r));
    for (k, v) in &r.attributes {
        let _ = writeln!(out, "  {k}: {v}");
    }
    let width = r.values.iter().map(|v| v.metric.len()).max().unwrap_or(0);
    for v in &r.values {
        let _ = writeln!(
            out,
            "  {:width$}  {:>12}  {} is better, {}",
            v.metric,
            v.unit.format(v.value),
            better(v),
            spread(v)
        );
    }
    for note in &r.notes {
        let _ = writeln!(out, "note: {note}");
    }
    out
}

pub(crate) fn markdown(run_id: i64, name: &str, r: &ImportedRun) -> String {
    let mut out = format!("### {}\n\n", origin(run_id, name, r));
    if !r.attributes.is_empty() {
        let attributes: Vec<String> = r
            .attributes
            .iter()
            .map(|(k, v)| format!("{k} `{v}`"))
            .collect();
        let _ = writeln!(out, "{}\n", attributes.join(", "));
    }
    out.push_str("| Figure | Value | Better | Interval |\n|---|---:|---|---|\n");
    for v in &r.values {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            v.metric.replace('|', "\\|"),
            v.unit.format(v.value),
            better(v),
            spread(v)
        );
    }
    for note in &r.notes {
        let _ = writeln!(out, "\n> {note}");
    }
    out
}

pub(crate) fn html(run_id: i64, name: &str, r: &ImportedRun) -> String {
    use crate::html::esc;
    let mut out = format!("<h1>{}</h1>\n", esc(&origin(run_id, name, r)));
    if !r.attributes.is_empty() {
        out.push_str("<p>");
        let attributes: Vec<String> = r
            .attributes
            .iter()
            .map(|(k, v)| format!("{} <code>{}</code>", esc(k), esc(v)))
            .collect();
        out.push_str(&attributes.join(", "));
        out.push_str("</p>\n");
    }
    out.push_str("<table><thead><tr><th>Figure</th><th>Value</th><th>Better</th><th>Interval</th></tr></thead><tbody>\n");
    for v in &r.values {
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
            esc(&v.metric),
            esc(&v.unit.format(v.value)),
            better(v),
            esc(&spread(v))
        );
    }
    out.push_str("</tbody></table>\n");
    for note in &r.notes {
        let _ = writeln!(out, "<p class=\"note\">{}</p>", esc(note));
    }
    out
}
