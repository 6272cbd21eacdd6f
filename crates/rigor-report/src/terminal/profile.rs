//! A profile in the terminal: what was sampled, then the hottest frames, the bottleneck
//! priority list; or why there is no profile. And a diff: where the time moved.

use std::io::{self, Write};

use rigor_model::output::profile::{FrameChange, ProfileDiff, ProfileReport};
use rigor_model::units::{format_nanos, three_figures};

pub fn profile(out: &mut dyn Write, r: &ProfileReport) -> io::Result<()> {
    let c = &r.capture;
    if let Some(why) = &c.unavailable {
        writeln!(out, "profile of the {}: none — {why}", c.name)?;
        return Ok(());
    }
    let pids = if c.pids.is_empty() {
        String::new()
    } else {
        format!(
            " (pid {})",
            c.pids
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    writeln!(
        out,
        "profile of the {}{pids}: {} samples over {} ({}; {} {} Hz, {} call graphs)",
        c.name,
        c.samples,
        format_nanos(c.window_ns as f64),
        c.window,
        c.event,
        c.frequency_hz,
        c.call_graph
    )?;
    writeln!(out, "  hottest frames      self   total  frame [module]")?;
    for (i, f) in r.hottest.iter().enumerate() {
        writeln!(
            out,
            "  {:>3}. {:>12}  {:>6}  {}{}",
            i + 1,
            format!("{}%", three_figures(f.self_share * 100.0)),
            format!("{}%", three_figures(f.total_share * 100.0)),
            f.frame,
            f.module
                .as_deref()
                .map(|m| format!(" [{m}]"))
                .unwrap_or_default()
        )?;
    }
    for h in &c.hints {
        writeln!(out, "  hint: {h}")?;
    }
    Ok(())
}

pub fn diff(out: &mut dyn Write, d: &ProfileDiff) -> io::Result<()> {
    writeln!(
        out,
        "profile diff: run {} ({} samples) → run {} ({} samples), shares of each run's own samples",
        d.before_run, d.before_samples, d.after_run, d.after_samples
    )?;
    let rows = |out: &mut dyn Write, title: &str, changes: &[FrameChange]| -> io::Result<()> {
        writeln!(out, "  {title}")?;
        if changes.is_empty() {
            writeln!(out, "    (none)")?;
        }
        for c in changes {
            writeln!(
                out,
                "    {:>8} pt  total {:>6}% → {:>6}%  self {:>6}% → {:>6}%  {}{}",
                format!("{:+.1}", c.total_change() * 100.0),
                three_figures(c.before_total_share * 100.0),
                three_figures(c.after_total_share * 100.0),
                three_figures(c.before_self_share * 100.0),
                three_figures(c.after_self_share * 100.0),
                c.frame,
                c.module
                    .as_deref()
                    .map(|m| format!(" [{m}]"))
                    .unwrap_or_default()
            )?;
        }
        Ok(())
    };
    rows(
        out,
        "grew (share of samples with the frame on the stack; its own code's beside)",
        &d.grew,
    )?;
    rows(out, "shrank", &d.shrank)
}
