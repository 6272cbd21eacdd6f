//! Feeding the live endpoint (`--metrics-addr`): each finished window of the engine, with the
//! samples taken in it, as the endpoint's [`rigor_live::Second`].

use rigor_load::{Describe, Window};

/// The endpoint's view of one window: each phase's counts, the latency of its responses and
/// its slowest responses' trace ids (exemplars), and the second's samples.
pub(crate) fn second(
    window: &Window,
    phase_names: &[String],
    describe: &Describe,
    started_at_ns: i64,
    samples: &[rigor_store::Sample],
) -> rigor_live::Second {
    let phases = window
        .parts
        .iter()
        .map(|(phase, part)| {
            let group = &part.group;
            let slowest = if part.slowest.is_empty() {
                Vec::new()
            } else {
                describe
                    .slowest(&part.slowest)
                    .into_iter()
                    // Only a response that succeeded is in the histogram it would stand for.
                    .filter(|s| s.outcome.parse::<u16>().is_ok())
                    .filter_map(|s| {
                        let trace_id = s.trace_id?;
                        let answered_ns = started_at_ns as f64 + (s.due_ns + s.latency_ns) as f64;
                        Some(rigor_live::Exemplar {
                            latency_ns: s.latency_ns,
                            trace_id,
                            at_unix_s: answered_ns / 1e9,
                        })
                    })
                    .collect()
            };
            rigor_live::PhaseSecond {
                phase: phase_names.get(*phase).cloned().unwrap_or_default(),
                requests: group.requests,
                errors: group.errors,
                sent: part.sent,
                errors_by_kind: group.by_kind.iter().map(|(k, n)| (k.name(), *n)).collect(),
                statuses: group.statuses.iter().map(|(c, n)| (*c, *n)).collect(),
                latency: group.corrected.as_deref().cloned(),
                slowest,
            }
        })
        .collect();
    rigor_live::Second {
        elapsed: window.progress.elapsed,
        phases,
        samples: samples.iter().map(|s| (s.name.clone(), s.value)).collect(),
    }
}
