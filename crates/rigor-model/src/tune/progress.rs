//! Where a session stands: the protocol's phase tracker, the runs it made, and the command to
//! run next.

use super::{
    CapacityPhase, Gate, HypothesisStatus, IterationOutcome, PhaseRow, PhaseStatus, Session,
    SessionState, PHASES,
};

impl Session {
    /// The phase tracker: the protocol's table of phase, title, status and notes.
    pub fn phases(&self) -> Vec<PhaseRow> {
        let blocked = self.state == SessionState::Blocked;
        let row = |number: u8, status: PhaseStatus, notes: String| PhaseRow {
            number,
            title: PHASES[usize::from(number) - 1].to_string(),
            status,
            notes,
        };
        let baseline = match (self.baseline_run, self.passed(Gate::Baseline)) {
            (_, true) => row(
                1,
                PhaseStatus::Done,
                format!("baseline run {}", self.baseline_run.unwrap_or_default()),
            ),
            (Some(run), false) => row(
                1,
                PhaseStatus::InProgress,
                format!("baseline run {run}; the baseline gate is unanswered"),
            ),
            (None, _) if blocked => row(
                1,
                PhaseStatus::Blocked,
                self.blocked_by()
                    .iter()
                    .map(|m| m.input.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
                    + " missing",
            ),
            (None, _) => row(
                1,
                PhaseStatus::InProgress,
                "no baseline yet: `rigor tune baseline` takes one".into(),
            ),
        };
        let later = |number: u8, gate: Gate, started: bool| {
            if self.passed(gate) {
                row(
                    number,
                    PhaseStatus::Done,
                    format!("{} gate passed", gate.as_str()),
                )
            } else if started {
                row(number, PhaseStatus::InProgress, String::new())
            } else {
                row(number, PhaseStatus::NotStarted, String::new())
            }
        };
        let mut diagnosis = later(
            2,
            Gate::Diagnosis,
            self.passed(Gate::Baseline) || self.diagnosis.is_some(),
        );
        if let Some(first) = self.diagnosis.as_ref().and_then(|d| d.findings.first()) {
            diagnosis.notes = format!("bottleneck: {}", first.bottleneck.as_str());
        }
        vec![
            baseline,
            diagnosis,
            later(
                3,
                Gate::Optimisation,
                self.hypotheses
                    .iter()
                    .any(|h| h.status != HypothesisStatus::Proposed),
            ),
            match &self.capacity {
                Some(CapacityPhase {
                    skipped: Some(why), ..
                }) => row(4, PhaseStatus::Done, format!("skipped: {why}")),
                Some(CapacityPhase {
                    search: Some(f), ..
                }) => row(4, PhaseStatus::Done, f.phase_note()),
                Some(_) => row(4, PhaseStatus::Done, "capacity recorded".into()),
                None => row(
                    4,
                    PhaseStatus::NotStarted,
                    "no capacity search: `rigor capacity SCENARIO` then `rigor tune capacity --search latest`, or `--skip --reason …`"
                        .into(),
                ),
            },
            {
                let mut monitoring = later(
                    5,
                    Gate::Governance,
                    self.passed(Gate::Optimisation) || self.monitoring.is_some(),
                );
                if let (Some(m), false) = (&self.monitoring, self.passed(Gate::Governance)) {
                    monitoring.notes = format!(
                        "{} budget{} written; the governance gate is unanswered",
                        m.budgets.len(),
                        if m.budgets.len() == 1 { "" } else { "s" }
                    );
                }
                monitoring
            },
        ]
    }

    /// Each run the session made, with what it was for, in the order it made them.
    pub fn runs(&self) -> Vec<(i64, String)> {
        let mut runs: Vec<(i64, String)> = Vec::new();
        let mut add = |id: i64, role: String| {
            if !runs.iter().any(|(r, _)| *r == id) {
                runs.push((id, role));
            }
        };
        for (i, id) in self
            .baseline_run
            .iter()
            .chain(&self.baseline_runs)
            .enumerate()
        {
            add(
                *id,
                if i == 0 {
                    "baseline".into()
                } else {
                    format!("baseline, repeat {i}")
                },
            );
        }
        if let Some(id) = self.baseline_peak_run {
            add(id, "baseline at the expected peak".into());
        }
        if let Some(d) = &self.diagnosis {
            add(d.run_id, "diagnosis".into());
        }
        for i in &self.iterations {
            if let Some(x) = &i.interleaved {
                for (round, (b, a)) in x.before_runs.iter().zip(&x.after_runs).enumerate() {
                    let round = round + 1;
                    add(*b, format!("iteration {}, round {round}, before", i.number));
                    add(*a, format!("iteration {}, round {round}, after", i.number));
                }
            }
            add(i.run_id, format!("iteration {}", i.number));
            if let Some(p) = &i.peak {
                add(
                    p.run_id,
                    format!("iteration {} at the expected peak", i.number),
                );
            }
        }
        runs
    }

    /// The command to run next, for `rigor tune status`.
    pub fn next_command(&self) -> String {
        if self.state.is_closed() {
            return "rigor tune report".into();
        }
        if let Some(first) = self.blocked_by().first() {
            return first.remedy.clone();
        }
        if self.baseline_run.is_none() {
            return "rigor tune baseline".into();
        }
        if self.hypotheses.is_empty() {
            return "rigor tune hypothesis add 'what will change and why' --expect 'latency.p95 -20%'".into();
        }
        if !self.passed(Gate::Plan) {
            return "rigor tune gate plan --yes".into();
        }
        if !self.passed(Gate::Baseline) {
            return "rigor tune gate baseline --yes".into();
        }
        if self.diagnosis.is_none() {
            return "rigor tune diagnose".into();
        }
        match self.iterations.last().map(|i| i.outcome) {
            _ if self.passed(Gate::Optimisation) => {
                if self.capacity.is_none() {
                    match &self.reproducer {
                        Some(crate::tune::Reproducer::Scenario(name)) => format!(
                            "rigor capacity {name} --slo '…', then rigor tune capacity --search latest"
                        ),
                        _ => "rigor tune capacity --skip --reason 'why the capacity search is not needed'"
                            .into(),
                    }
                } else if self.monitoring.is_none() {
                    "rigor tune monitor".into()
                } else if self.passed(Gate::Governance) {
                    "rigor tune close --promote".into()
                } else {
                    "rigor tune gate governance --yes".into()
                }
            }
            Some(IterationOutcome::Improved | IterationOutcome::TradeOff) => {
                "rigor tune gate optimisation --yes".into()
            }
            _ => {
                "change the system, then `rigor tune validate --note 'what changed' --hypothesis N`"
                    .into()
            }
        }
    }
}
