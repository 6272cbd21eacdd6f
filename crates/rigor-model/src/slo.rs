//! `slo-update-record.json`: the changes made to a service's objectives — its SLOs, the
//! performance budgets `rigor gate` enforces, its baseline — each from what to what, on what
//! evidence and with whose approval. One format, written by a tuning session's monitoring
//! phase (`rigor tune monitor`, `rigor tune close --promote`) and by the SLO commands.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::tune::Signed;

/// The version of the record's form.
pub const SLO_RECORD_VERSION: u32 = 1;

/// `slo-update-record.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SloUpdateRecord {
    pub schema_version: u32,
    /// The tuning session that made the changes, when one did.
    pub session: Option<String>,
    pub updates: Vec<SloUpdate>,
}

/// One change to an objective.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SloUpdate {
    pub kind: SloUpdateKind,
    /// The scenario or bench it applies to.
    pub scenario: Option<String>,
    /// The metric (`latency.p95`), or the SLO's or baseline's name.
    pub metric: String,
    /// What it was (`latency.p95 < 150ms`, a run id), or `None` when it is new.
    pub old: Option<String>,
    /// What it is now.
    pub new: String,
    /// Why, in words, with the figures.
    pub reason: String,
    /// The runs that are its evidence.
    pub evidence: Vec<i64>,
    /// Who recorded it, and when.
    pub recorded: Signed,
    /// Who approved it (a tuning session's governance gate), once someone has.
    pub approved: Option<Signed>,
}

/// What kind of objective changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SloUpdateKind {
    /// A `[[budget]]` of the plan: an absolute limit `rigor gate` enforces.
    Budget,
    /// A `[[slo]]` of the plan: an objective over a window, with its alert rules.
    Slo,
    /// A named baseline moved to another run.
    Baseline,
}
