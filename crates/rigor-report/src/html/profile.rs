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
        embed(
            out,
            &title,
            &svg,
            "Click a frame to zoom, Ctrl-F (or Search) to highlight; width is the share of samples.",
        );
    }
    out.push_str("</section>");
}

/// Where the time moved between two runs' profiles: the frames that grew and shrank most,
/// and the differential flame graph when both runs' stacks are at hand (red grew, blue shrank,
/// normalised to each run's own samples).
pub(super) fn diff_section(
    out: &mut String,
    d: &rigor_model::output::profile::ProfileDiff,
    stacks: Option<(&str, &str)>,
) {
    let _ = write!(
        out,
        "<section id=\"profile-diff\"><h2>Where the time moved: the {}</h2><p>Run {} ({} samples) → run {} ({} samples); shares of each run's own samples, so runs of different lengths compare.</p>",
        esc(&d.name),
        d.before_run,
        d.before_samples,
        d.after_run,
        d.after_samples
    );
    for (title, changes) in [("Grew", &d.grew), ("Shrank", &d.shrank)] {
        let _ = write!(out, "<h3>{title}</h3>");
        let rows: Vec<Vec<String>> = changes
            .iter()
            .map(|c| {
                vec![
                    format!("{:+.1} pt", c.total_change() * 100.0),
                    format!(
                        "{}% → {}%",
                        three_figures(c.before_total_share * 100.0),
                        three_figures(c.after_total_share * 100.0)
                    ),
                    format!(
                        "{}% → {}%",
                        three_figures(c.before_self_share * 100.0),
                        three_figures(c.after_self_share * 100.0)
                    ),
                    format!("<code>{}</code>", esc(&c.frame)),
                    esc(c.module.as_deref().unwrap_or("–")),
                ]
            })
            .collect();
        if rows.is_empty() {
            out.push_str("<p>None.</p>");
        } else {
            table(
                out,
                "frame-changes",
                &["change", "total", "self", "frame", "module"],
                &[0, 1, 2],
                &rows,
            );
        }
    }
    if let Some((before, after)) = stacks {
        let title = format!(
            "rigor profile diff: run {} → run {}",
            d.before_run, d.after_run
        );
        if let Ok(svg) = crate::flamegraph::differential(before, after, &title) {
            embed(
                out,
                &title,
                &svg,
                "The candidate's stacks, coloured by change: red grew, blue shrank. Click to zoom, Ctrl-F to search.",
            );
        }
    }
    out.push_str("</section>");
}

/// A flame graph in a frame of its own (its script expects to be the page's only SVG).
fn embed(out: &mut String, title: &str, svg: &str, caption: &str) {
    if svg.is_empty() {
        return;
    }
    let _ = write!(
        out,
        "<figure class=\"flamegraph\"><iframe title=\"{}\" style=\"height:{}px\" srcdoc=\"{}\"></iframe><p class=\"caption\">{}</p></figure>",
        esc(title),
        crate::flamegraph::height(svg).unwrap_or(560) + 24,
        esc(svg),
        esc(caption)
    );
}
