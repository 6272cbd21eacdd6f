//! Verdicts over the spread between runs: when the store holds enough runs of the baseline's
//! scenario, each metric's change is judged against how much separate runs of the same code
//! differ ([`rigor_stats::between_runs`]), not only against the noise within the two runs.
//! That is the noise a CI gate meets: its baseline and candidate are separate invocations,
//! often hours apart, on a machine doing other work.

use rigor_stats::{between_runs, Interval};

use super::{CompareSettings, Pending, MIN_HISTORY};
use crate::data::RunData;
use crate::metrics::value;
use crate::output::ChangeKind;

/// Replaces each pending verdict's interval and p-value by those from the spread between the
/// baseline's runs (`a` and `history`), where they can be read; says in a warning when there
/// are too few runs for that.
pub(super) fn judge_against_history(
    a: &RunData,
    history: &[RunData],
    b: &RunData,
    settings: &CompareSettings,
    pending: &mut Vec<Pending>,
    warnings: &mut Vec<String>,
) {
    if settings.history_runs < MIN_HISTORY || pending.is_empty() {
        pending.retain(|p| !p.history_only);
        return;
    }
    let runs: Vec<&RunData> = std::iter::once(a)
        .chain(history.iter().filter(|r| r.id() != b.id()))
        .take(settings.history_runs)
        .collect();
    if runs.len() < MIN_HISTORY {
        warnings.push(format!(
            "verdicts use the spread within the two runs: the store has {} run{} of `{}` up to baseline run {} ({MIN_HISTORY} are needed to judge against the spread between runs, which is what separate invocations differ by); drift between invocations can be called a change",
            runs.len(),
            if runs.len() == 1 { "" } else { "s" },
            a.record.scenario,
            a.id()
        ));
        pending.retain(|p| !p.history_only);
        return;
    }
    let ids: Vec<String> = runs.iter().map(|r| r.id().to_string()).collect();
    let mut unread = Vec::new();
    pending.retain_mut(|p| {
        // Counts do not drift between invocations of the same code, and a baseline's history
        // holds other builds: their centre would be a count no run had. A count stands on
        // its own counted runs.
        if p.by_overlap {
            return true;
        }
        let rejudged = rejudge(p, &runs, b, settings.bootstrap.confidence, &ids);
        if rejudged == Rejudged::Unreadable && !p.history_only {
            unread.push(p.metric.clone());
        }
        rejudged == Rejudged::Yes || !p.history_only
    });
    if !unread.is_empty() {
        warnings.push(format!(
            "{} judged by the spread within the two runs: not every baseline run has {}",
            unread.join(", "),
            if unread.len() == 1 { "it" } else { "them" },
        ));
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Rejudged {
    Yes,
    /// The runs show no spread at all (an error rate of zero in every run): the within-run
    /// verdict stands.
    NoSpread,
    /// A baseline run, or the candidate, has no value for the metric.
    Unreadable,
}

/// Judges one metric against the baseline runs' values.
fn rejudge(
    p: &mut Pending,
    runs: &[&RunData],
    b: &RunData,
    confidence: f64,
    ids: &[String],
) -> Rejudged {
    let read = |r: &RunData| value(r, p.measure, &p.scope).ok().flatten();
    let Some(values) = runs.iter().map(|r| read(r)).collect::<Option<Vec<f64>>>() else {
        return Rejudged::Unreadable;
    };
    let Some(candidate) = read(b) else {
        return Rejudged::Unreadable;
    };
    let Some(judged) = between_runs(&values, candidate, confidence) else {
        return Rejudged::NoSpread;
    };
    let change = match p.change_kind {
        ChangeKind::Absolute => judged.shift,
        ChangeKind::Relative if judged.center > 0.0 => Interval {
            estimate: judged.shift.estimate / judged.center,
            lower: judged.shift.lower / judged.center,
            upper: judged.shift.upper / judged.center,
        },
        ChangeKind::Relative => return Rejudged::NoSpread,
    };
    let untested = std::mem::replace(&mut p.untested, false);
    // From here the p-value is a test's: it joins the adjustment.
    p.by_overlap = false;
    p.baseline = judged.center;
    p.candidate = candidate;
    p.change = change;
    // A change must stand out from the drift between runs *and* from the candidate's own
    // noise: the larger of the two p-values (an intersection–union test, Berger 1982, valid
    // at the same level). One slow run among twenty can move a run's mean beyond the drift;
    // its own samples then show it for the outlier it is. The fastest run has no within-run
    // test and stands on the spread between runs alone.
    let within = (!p.history_only && !untested).then_some(p.p_value);
    p.p_value = within.map_or(judged.p_value, |w| judged.p_value.max(w));
    p.method = format!(
        "between runs: Student-t prediction from the spread of {} baseline runs (runs {}; spread {:.3} % of their mean){}",
        judged.runs,
        ids.join(", "),
        judged.spread / judged.center.abs().max(f64::MIN_POSITIVE) * 100.0,
        if within.is_some() {
            ", and the within-run test: the larger p-value"
        } else {
            ""
        }
    );
    Rejudged::Yes
}
