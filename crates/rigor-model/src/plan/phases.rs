//! Phases as written (`smoke`, `ramp`, `steady`, `spike`, `soak`, `stage`) resolved into
//! complete, bounded load levels, each from where the previous phase ended.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use super::limits::{self, MAX_RATE_PER_SECOND};
use super::resolve::{Place, ResolveError};
use super::{
    LoadLevel, Model, Phase, PhaseKind, PhaseLoad, PhaseSpec, DEFAULT_RECOVERY_TOLERANCE,
    SMOKE_DEFAULT_DURATION, SPIKE_DEFAULT_MULTIPLE,
};
use crate::units::Rate;

pub(super) fn resolve_phases(specs: &[PhaseSpec]) -> Result<Vec<Phase>, ResolveError> {
    if specs.is_empty() {
        return Err(ResolveError::new(Place::Key("phases"), "no `phases`: add e.g. phases = [{ kind = \"steady\", rate = \"10/s\", for = \"30s\" }]"));
    }
    let mut phases: Vec<Phase> = Vec::with_capacity(specs.len());
    let mut model: Option<Model> = None;
    let mut used_names = BTreeMap::<String, usize>::new();
    for (i, spec) in specs.iter().enumerate() {
        let at = |msg: String| {
            ResolveError::new(
                Place::Phase(i),
                format!("phase {} ({}): {msg}", i + 1, spec.kind.as_str()),
            )
        };
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
    if phases.iter().all(|p| p.load.peak_is_zero()) {
        return Err(ResolveError::new(
            Place::Key("phases"),
            "every phase has zero load, so the scenario would send nothing: give a phase a rate above 0/s or a concurrency above 0",
        ));
    }
    Ok(phases)
}

impl PhaseSpec {
    /// The phase as it runs: its kind's levels, filled in from the previous phase's end
    /// where the kind allows, with a bounded duration or iteration count.
    fn resolve(&self, previous: Option<PhaseLoad>) -> Result<Phase, String> {
        let duration = self.written_duration()?;
        let level = self.written_level()?;
        let previous_end = previous.map(PhaseLoad::end_level);
        let (start, end) = match self.kind {
            PhaseKind::Smoke => {
                let l = level.unwrap_or(LoadLevel::Concurrency(1));
                (l, l)
            }
            PhaseKind::Steady | PhaseKind::Soak => {
                let l = level.or(previous_end).ok_or(
                    "needs a `rate` (e.g. \"100/s\") or a `concurrency` (e.g. 50)".to_string(),
                )?;
                (l, l)
            }
            PhaseKind::Ramp | PhaseKind::Stage => {
                self.ramp_levels(level, previous_end, duration)?
            }
            PhaseKind::Spike => {
                let l = self.spike_level(level, previous_end)?;
                (l, l)
            }
        };
        // A smoke test that is not bounded by iterations is bounded by a default time.
        let duration = match self.kind {
            PhaseKind::Smoke if self.iterations.is_none() => {
                Some(duration.unwrap_or(SMOKE_DEFAULT_DURATION))
            }
            _ => duration,
        };
        if let Some(d) = duration {
            let key = if self.over.is_some() { "over" } else { "for" };
            limits::duration_within(d, limits::MIN_TIME, limits::MAX_RUN_LENGTH)
                .map_err(|e| format!("`{key}` {e}"))?;
        }
        let load = PhaseLoad::between(start, end)?;
        self.refuse_unsendable(load)?;
        let tolerance = match (self.kind, self.tolerance) {
            (PhaseKind::Spike, t) => {
                let t = t.map_or(DEFAULT_RECOVERY_TOLERANCE, |t| t.fraction());
                if !(t > 0.0 && t <= 10.0) {
                    return Err(format!(
                        "`tolerance` {}% is not a tolerance: give a share above 0% and at most 1000% (the default is 20%)",
                        t * 100.0
                    ));
                }
                Some(t)
            }
            (_, Some(_)) => {
                return Err(
                    "`tolerance` is a spike's: how close to its level before the spike the service must come back; it does not apply here"
                        .into(),
                )
            }
            (_, None) => None,
        };
        Ok(Phase {
            name: self
                .name
                .clone()
                .unwrap_or_else(|| self.kind.as_str().into()),
            kind: self.kind,
            duration,
            iterations: self.iterations,
            load,
            tolerance,
        })
    }

    /// A load no run can carry out: none at all (outside a pause), or more than one generator
    /// can send (walking such a schedule would outlast the run).
    fn refuse_unsendable(&self, load: PhaseLoad) -> Result<(), String> {
        if load.peak_is_zero() && self.iterations.is_some() {
            return Err("a phase with zero load cannot reach its `iterations`".into());
        }
        if load.peak_is_zero() && self.kind != PhaseKind::Stage {
            return Err("a phase with zero load sends nothing: give a rate above 0/s or a concurrency above 0 (a pause is a `stage` with rate \"0/s\")".into());
        }
        if let PhaseLoad::Closed { start, end } = load {
            limits::count_within(start.max(end), 0, limits::MAX_CONNECTIONS, "virtual users")
                .map_err(|e| format!("a concurrency of {} {e}", start.max(end)))?;
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
        Ok(())
    }

    /// `for` or `over`, whichever was given.
    fn written_duration(&self) -> Result<Option<Duration>, String> {
        match (self.duration, self.over) {
            (Some(_), Some(_)) => Err("give `for` or `over`, not both".into()),
            (d, o) => Ok(d.or(o).map(|d| d.0)),
        }
    }

    /// `rate` or `concurrency`, whichever was given.
    fn written_level(&self) -> Result<Option<LoadLevel>, String> {
        if self.rate.is_some() && self.concurrency.is_some() {
            return Err(
                "give `rate` (open model) or `concurrency` (closed model), not both".into(),
            );
        }
        Ok(self
            .rate
            .map(LoadLevel::Rate)
            .or(self.concurrency.map(LoadLevel::Concurrency)))
    }

    /// A ramp's `from` and `to`: it starts where the previous phase ended, or from zero.
    fn ramp_levels(
        &self,
        level: Option<LoadLevel>,
        previous_end: Option<LoadLevel>,
        duration: Option<Duration>,
    ) -> Result<(LoadLevel, LoadLevel), String> {
        if level.is_some() {
            return Err(
                "a ramp goes `from` one level `to` another; `rate`/`concurrency` do not apply"
                    .into(),
            );
        }
        let to = self
            .to
            .ok_or("needs `to`, the level it ends at (e.g. to = \"100/s\" or to = 50)")?;
        let zero = match to {
            LoadLevel::Rate(_) => LoadLevel::Rate(Rate::ZERO),
            LoadLevel::Concurrency(_) => LoadLevel::Concurrency(0),
        };
        let from = self.from.or(previous_end).unwrap_or(zero);
        if duration.is_none() {
            return Err("needs `over` (or `for`), how long the ramp lasts".into());
        }
        Ok((from, to))
    }

    /// A spike's level: the one given, or the previous phase's end times `multiple`.
    fn spike_level(
        &self,
        level: Option<LoadLevel>,
        previous_end: Option<LoadLevel>,
    ) -> Result<LoadLevel, String> {
        let base = previous_end.ok_or("a spike multiplies the previous phase's load: put a steady phase before it, or use `kind = \"steady\"` with a higher rate")?;
        let multiple = self.multiple.unwrap_or(SPIKE_DEFAULT_MULTIPLE);
        if !(multiple > 0.0 && multiple.is_finite()) {
            return Err("`multiple` must be a positive number".into());
        }
        Ok(match level {
            Some(l) => l,
            None => match base {
                LoadLevel::Rate(r) => {
                    LoadLevel::Rate(Rate::per_second(r.as_per_second() * multiple))
                }
                LoadLevel::Concurrency(c) => {
                    LoadLevel::Concurrency((c as f64 * multiple).round() as u32)
                }
            },
        })
    }
}

impl PhaseLoad {
    /// The level a phase ends at, where the next one may start.
    fn end_level(self) -> LoadLevel {
        match self {
            PhaseLoad::Open { end, .. } => LoadLevel::Rate(end),
            PhaseLoad::Closed { end, .. } => LoadLevel::Concurrency(end),
        }
    }

    /// The load from `start` to `end`, which must be of the same model.
    fn between(start: LoadLevel, end: LoadLevel) -> Result<PhaseLoad, String> {
        match (start, end) {
            (LoadLevel::Rate(s), LoadLevel::Rate(e)) => Ok(PhaseLoad::Open { start: s, end: e }),
            (LoadLevel::Concurrency(s), LoadLevel::Concurrency(e)) => {
                Ok(PhaseLoad::Closed { start: s, end: e })
            }
            _ => Err(
                "`from` and `to` must both be rates (\"10/s\") or both concurrencies (10)".into(),
            ),
        }
    }

    /// Whether the load peaks at zero, so the phase never sends anything.
    fn peak_is_zero(self) -> bool {
        match self {
            PhaseLoad::Open { start, end } => {
                start.as_per_second() <= 0.0 && end.as_per_second() <= 0.0
            }
            PhaseLoad::Closed { start, end } => start == 0 && end == 0,
        }
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
