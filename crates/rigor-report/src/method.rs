//! The words of a run's method and environment that every written report shares (Markdown,
//! HTML): a phase's planned load, and the commit measured.

use rigor_model::output::report::PlannedPhase;
use rigor_model::output::Environment;
use rigor_model::units::three_figures;

/// A phase's planned load: `200/s`, `20/s → 200/s`, `50 users`.
pub(crate) fn planned_load(p: &PlannedPhase) -> String {
    match (p.rate_start, p.rate_end, p.users) {
        (Some(a), Some(b), _) if (a - b).abs() < 1e-9 => format!("{}/s", three_figures(a)),
        (Some(a), Some(b), _) => format!("{}/s → {}/s", three_figures(a), three_figures(b)),
        (_, _, Some(u)) => format!("{u} users"),
        _ => "–".to_string(),
    }
}

/// The commit measured, and whether the checkout had uncommitted changes.
pub(crate) fn commit(e: &Environment) -> String {
    match (&e.git_commit, e.git_dirty) {
        (Some(c), Some(true)) => format!("{c} (with uncommitted changes)"),
        (Some(c), _) => c.clone(),
        (None, _) => "not in a git checkout".to_string(),
    }
}
