//! Phases as written (`smoke`, `ramp`, `steady`, `spike`, `soak`, `stage`) resolved into
//! complete, bounded load levels, each from where the previous phase ended.

use std::collections::BTreeMap;
use std::fmt;

use super::{
    LoadLevel, Model, Phase, PhaseKind, PhaseLoad, PhaseSpec, SMOKE_DEFAULT_DURATION,
    SPIKE_DEFAULT_MULTIPLE,
};
use crate::units::Rate;

/// The highest arrival rate a plan may ask of one generator. Far above what one machine can
/// send; a rate past it is a typo or an absurd number, and walking its schedule would take
/// longer than the run.
pub const MAX_RATE_PER_SECOND: f64 = 1_000_000.0;

pub(super) fn resolve_phases(specs: &[PhaseSpec]) -> Result<Vec<Phase>, String> {
    if specs.is_empty() {
        return Err("no `phases`: add e.g. phases = [{ kind = \"steady\", rate = \"10/s\", for = \"30s\" }]".into());
    }
    let mut phases: Vec<Phase> = Vec::with_capacity(specs.len());
    let mut model: Option<Model> = None;
    let mut used_names = BTreeMap::<String, usize>::new();
    for (i, spec) in specs.iter().enumerate() {
        let at = |msg: String| format!("phase {} ({}): {msg}", i + 1, spec.kind.as_str());
        let previous = phases.last().map(|p| p.load);
        let phase = spec.resolve(previous).map_err(at)?;
        let this_model = match phase.load {
            PhaseLoad::Open { .. } => Model::Open,
            PhaseLoad::Closed { .. } => Model::Closed,
        };
        match model {
            None => model = Some(this_model),
            Some(m) if m != this_model => {
                return Err(at(
                    "mixes arrival rates and concurrency: a scenario is either open (rates such as \"100/s\") or closed (concurrency such as 50)".into(),
                ))
            }
            _ => {}
        }
        let mut phase = phase;
        let count = used_names.entry(phase.name.clone()).or_insert(0);
        *count += 1;
        if *count > 1 {
            phase.name = format!("{}-{}", phase.name, count);
        }
        phases.push(phase);
    }
    Ok(phases)
}

impl PhaseSpec {
    fn resolve(&self, previous: Option<PhaseLoad>) -> Result<Phase, String> {
        let duration = match (self.duration, self.over) {
            (Some(_), Some(_)) => return Err("give `for` or `over`, not both".into()),
            (d, o) => d.or(o).map(|d| d.0),
        };
        if self.rate.is_some() && self.concurrency.is_some() {
            return Err(
                "give `rate` (open model) or `concurrency` (closed model), not both".into(),
            );
        }
        let level = self
            .rate
            .map(LoadLevel::Rate)
            .or(self.concurrency.map(LoadLevel::Concurrency));
        let previous_end = previous.map(|p| match p {
            PhaseLoad::Open { end, .. } => LoadLevel::Rate(end),
            PhaseLoad::Closed { end, .. } => LoadLevel::Concurrency(end),
        });
        let zero_like = |l: LoadLevel| match l {
            LoadLevel::Rate(_) => LoadLevel::Rate(Rate::ZERO),
            LoadLevel::Concurrency(_) => LoadLevel::Concurrency(0),
        };
        let (start, end, duration) = match self.kind {
            PhaseKind::Smoke => {
                let l = level.unwrap_or(LoadLevel::Concurrency(1));
                let d = if self.iterations.is_some() {
                    duration
                } else {
                    Some(duration.unwrap_or(SMOKE_DEFAULT_DURATION))
                };
                (l, l, d)
            }
            PhaseKind::Steady | PhaseKind::Soak => {
                let l = level.or(previous_end).ok_or(
                    "needs a `rate` (e.g. \"100/s\") or a `concurrency` (e.g. 50)".to_string(),
                )?;
                (l, l, duration)
            }
            PhaseKind::Ramp | PhaseKind::Stage => {
                if level.is_some() {
                    return Err(
                        "a ramp goes `from` one level `to` another; `rate`/`concurrency` do not apply"
                            .into(),
                    );
                }
                let to = self
                    .to
                    .ok_or("needs `to`, the level it ends at (e.g. to = \"100/s\" or to = 50)")?;
                let from = self.from.or(previous_end).unwrap_or(zero_like(to));
                if duration.is_none() {
                    return Err("needs `over` (or `for`), how long the ramp lasts".into());
                }
                (from, to, duration)
            }
            PhaseKind::Spike => {
                let base = previous_end.ok_or("a spike multiplies the previous phase's load: put a steady phase before it, or use `kind = \"steady\"` with a higher rate")?;
                let multiple = self.multiple.unwrap_or(SPIKE_DEFAULT_MULTIPLE);
                if !(multiple > 0.0 && multiple.is_finite()) {
                    return Err("`multiple` must be a positive number".into());
                }
                let l = match level {
                    Some(l) => l,
                    None => match base {
                        LoadLevel::Rate(r) => {
                            LoadLevel::Rate(Rate::per_second(r.as_per_second() * multiple))
                        }
                        LoadLevel::Concurrency(c) => {
                            LoadLevel::Concurrency((c as f64 * multiple).round() as u32)
                        }
                    },
                };
                (l, l, duration)
            }
        };
        if duration.is_some_and(|d| d.is_zero()) {
            return Err("duration must be greater than zero".into());
        }
        let load = match (start, end) {
            (LoadLevel::Rate(s), LoadLevel::Rate(e)) => PhaseLoad::Open { start: s, end: e },
            (LoadLevel::Concurrency(s), LoadLevel::Concurrency(e)) => {
                PhaseLoad::Closed { start: s, end: e }
            }
            _ => {
                return Err(
                    "`from` and `to` must both be rates (\"10/s\") or both concurrencies (10)"
                        .into(),
                )
            }
        };
        let peak_is_zero = match load {
            PhaseLoad::Open { start, end } => {
                start.as_per_second() <= 0.0 && end.as_per_second() <= 0.0
            }
            PhaseLoad::Closed { start, end } => start == 0 && end == 0,
        };
        if peak_is_zero && self.iterations.is_some() {
            return Err("a phase with zero load cannot reach its `iterations`".into());
        }
        if peak_is_zero && self.kind != PhaseKind::Stage {
            return Err("a phase with zero load sends nothing: give a rate above 0/s or a concurrency above 0 (a pause is a `stage` with rate \"0/s\")".into());
        }
        if let PhaseLoad::Open { start, end } = load {
            let peak = start.as_per_second().max(end.as_per_second());
            if !peak.is_finite() || peak > MAX_RATE_PER_SECOND {
                return Err(format!(
                    "{} is more than one generator can send (at most {}/s here; rigor sends tens of thousands a second per core): lower it, or split the load across several rigor processes",
                    Rate::per_second(peak),
                    MAX_RATE_PER_SECOND
                ));
            }
        }
        Ok(Phase {
            name: self
                .name
                .clone()
                .unwrap_or_else(|| self.kind.as_str().into()),
            kind: self.kind,
            duration,
            iterations: self.iterations,
            load,
        })
    }
}

impl fmt::Display for PhaseLoad {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PhaseLoad::Open { start, end } if start == end => write!(f, "{start}"),
            PhaseLoad::Open { start, end } => write!(f, "{start} → {end}"),
            PhaseLoad::Closed { start, end } if start == end => write!(f, "{start} users"),
            PhaseLoad::Closed { start, end } => write!(f, "{start} → {end} users"),
        }
    }
}
