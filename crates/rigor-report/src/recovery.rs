//! The recovery after a spike, in the one sentence every report prints.

use rigor_model::output::Recovery;
use rigor_model::units::{format_nanos, three_figures};

/// "recovered 4s after it: p95 back within 20% of 10ms in 4s, the error rate within 1 point of
/// 0.2% in 1s; peak p95 150ms; 3 seconds in a row to count", or why it did not.
pub(crate) fn line(r: &Recovery) -> String {
    if r.before_p95_ns == 0 {
        // No level to come back to: not judged, which is not the same as not recovered.
        return format!(
            "not judged: {}",
            r.note.as_deref().unwrap_or("no level before the spike")
        );
    }
    let after = |ns: u64| {
        if ns == 0 {
            "at once".to_string()
        } else {
            format!("in {}", format_nanos(ns as f64))
        }
    };
    let when = |ns: Option<u64>| ns.map_or("not within the run".to_string(), after);
    let head = match r.recovered_ns {
        Some(0) => "recovered at once".to_string(),
        Some(ns) => format!("recovered {} after it", format_nanos(ns as f64)),
        None => format!(
            "NOT RECOVERED within the {} observed after it",
            format_nanos(r.observed_ns as f64)
        ),
    };
    let mut text = format!(
        "{head}: p95 back within {}% of {} ({}) {}, the error rate within 1 point of {}% {}; peak p95 {}; {} seconds in a row to count",
        three_figures(r.tolerance * 100.0),
        format_nanos(r.before_p95_ns as f64),
        r.before,
        when(r.p95_recovered_ns),
        three_figures(r.before_error_rate * 100.0),
        when(r.errors_recovered_ns),
        format_nanos(r.peak_p95_ns as f64),
        r.hold_s
    );
    if let Some(note) = &r.note {
        text = format!("{text} ({note})");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn says_when_and_how_it_came_back_or_that_it_did_not() {
        let r = Recovery {
            phase: "spike".into(),
            before: "steady".into(),
            before_p95_ns: 10_000_000,
            before_error_rate: 0.002,
            tolerance: 0.2,
            hold_s: 3,
            peak_p95_ns: 150_000_000,
            observed_ns: 8_000_000_000,
            p95_recovered_ns: Some(4_000_000_000),
            errors_recovered_ns: Some(1_000_000_000),
            recovered_ns: Some(4_000_000_000),
            note: None,
        };
        assert_eq!(
            line(&r),
            "recovered 4s after it: p95 back within 20% of 10ms (steady) in 4s, the error rate within 1 point of 0.2% in 1s; peak p95 150ms; 3 seconds in a row to count"
        );
        let never = Recovery {
            recovered_ns: None,
            p95_recovered_ns: None,
            ..r
        };
        let unjudged = Recovery {
            before_p95_ns: 0,
            note: Some("the phase before the spike has no whole second".into()),
            ..never.clone()
        };
        assert_eq!(
            line(&unjudged),
            "not judged: the phase before the spike has no whole second"
        );
        assert!(line(&never).starts_with("NOT RECOVERED within the 8s observed after it: p95 back within 20% of 10ms (steady) not within the run"), "{}", line(&never));
    }
}
