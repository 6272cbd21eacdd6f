//! A run's profile in HTML: what was sampled, the hottest frames, and inferno's flame graph.

use std::fmt::Write as _;

use rigor_model::output::report::ProfileSection;
use rigor_model::units::{format_nanos, three_figures};

use super::{esc, table};

/// A profile: what was sampled, the hottest frames, and the flame graph in a frame of its own
/// (its search and zoom are the SVG's own script, which expects to be the page's only SVG).
pub(super) fn section(out: &mut String, p: &ProfileSection) {
    let c = &p.report.capture;
    let _ = write!(
        out,
        "<section id=\"profile\"><h2>Profile of the {}</h2>",
        esc(&c.name)
    );
    if let Some(why) = &c.unavailable {
        let _ = write!(
            out,
            "<p class=\"warning\">No profile was taken: {}</p></section>",
            esc(why)
        );
        return;
    }
    let _ = write!(
        out,
        "<p>{} stack samples of pid {} over {} ({}), {} at {} Hz, {} call graphs.</p>",
        c.samples,
        esc(&c
            .pids
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(", ")),
        format_nanos(c.window_ns as f64),
        esc(&c.window),
        esc(&c.event),
        c.frequency_hz,
        esc(&c.call_graph)
    );
    let rows: Vec<Vec<String>> = p
        .report
        .hottest
        .iter()
        .enumerate()
        .map(|(i, f)| {
            vec![
                (i + 1).to_string(),
                format!("{}%", three_figures(f.self_share * 100.0)),
                format!("{}%", three_figures(f.total_share * 100.0)),
                format!("<code>{}</code>", esc(&f.frame)),
                esc(f.module.as_deref().unwrap_or("–")),
            ]
        })
        .collect();
    out.push_str("<h3>Hottest frames</h3>");
    table(
        out,
        "hottest",
        &["#", "self", "total", "frame", "module"],
        &[0, 1, 2],
        &rows,
    );
    for h in &c.hints {
        let _ = write!(out, "<p class=\"warning\">Hint: {}</p>", esc(h));
    }
    let title = format!("rigor run {}: the {}", p.report.run_id, c.name);
    if let Ok(svg) = crate::flamegraph::flamegraph(&p.folded, &title) {
        if !svg.is_empty() {
            let _ = write!(
                out,
                "<figure class=\"flamegraph\"><iframe title=\"{}\" style=\"height:{}px\" srcdoc=\"{}\"></iframe><p class=\"caption\">Click a frame to zoom, Ctrl-F (or Search) to highlight; width is the share of samples.</p></figure>",
                esc(&title),
                crate::flamegraph::height(&svg).unwrap_or(560) + 24,
                esc(&svg)
            );
        }
    }
    out.push_str("</section>");
}
