//! Naming what the engine keeps by index — a kept request's name, phase and trace id — for
//! the summary and the store.

use rigor_model::output::SlowRequest;
use rigor_model::plan::Scenario;

use crate::recorder::{Slow, Slowest};
use crate::trace::Tracer;

/// Names what the engine keeps by index — a slow request's name, phase and trace id — for
/// the summary and the store.
#[derive(Debug, Clone)]
pub struct Describe {
    requests: Vec<String>,
    phases: Vec<String>,
    tracer: Option<Tracer>,
}

impl Describe {
    pub(crate) fn new(scenario: &Scenario, tracer: Option<Tracer>) -> Describe {
        Describe {
            requests: scenario.requests.iter().map(|r| r.name.clone()).collect(),
            phases: scenario.phases.iter().map(|p| p.name.clone()).collect(),
            tracer,
        }
    }

    /// A kept request as the output tells it.
    pub fn slow(&self, s: &Slow) -> SlowRequest {
        let name = |names: &[String], i: u32| names.get(i as usize).cloned().unwrap_or_default();
        SlowRequest {
            request: name(&self.requests, s.request),
            phase: name(&self.phases, s.phase),
            due_ns: s.due_ns,
            latency_ns: s.latency_ns,
            outcome: match (s.error, s.status) {
                (Some(kind), _) => kind.name(),
                (None, Some(status)) => status.to_string(),
                (None, None) => "unknown".to_string(),
            },
            trace_id: self.tracer.map(|t| t.trace_id(s.seq)),
        }
    }

    /// Kept requests, slowest first, as the output tells them.
    pub fn slowest(&self, kept: &Slowest) -> Vec<SlowRequest> {
        kept.sorted().iter().map(|s| self.slow(s)).collect()
    }
}
