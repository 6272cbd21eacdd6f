//! A scenario run at another arrival rate: the shape of its phases kept (ramp, steady, spike),
//! every rate scaled so that the highest is the one asked for. `rigor run --rate` uses it, and
//! a tuning session validates at the expected peak with it.

use super::{Model, PhaseLoad, Scenario};
use crate::units::Rate;

impl Scenario {
    /// This scenario with each open-model phase's rate scaled by `rate / highest`, where
    /// `highest` is its highest rate. `Err` says why it cannot be: a closed model (users, not
    /// a rate), a replay at its log's timing, no rate above zero, or a rate of zero asked.
    pub fn at_rate(&self, rate: Rate) -> Result<Scenario, String> {
        if self.model == Model::Closed {
            return Err(format!(
                "scenario `{}` is a closed model (a number of users, not a rate): give it an open model's phases to run it at a rate",
                self.name
            ));
        }
        if self.replay.as_ref().is_some_and(|r| r.speed.is_some()) {
            return Err(format!(
                "scenario `{}` replays its log at the log's own timing: its rate is the log's (change `speed`)",
                self.name
            ));
        }
        let wanted = rate.as_per_second();
        if !(wanted > 0.0 && wanted.is_finite()) {
            return Err(format!("a rate above zero is needed, not {rate}"));
        }
        let highest = self
            .phases
            .iter()
            .filter_map(|p| match p.load {
                PhaseLoad::Open { start, end } => {
                    Some(start.as_per_second().max(end.as_per_second()))
                }
                PhaseLoad::Closed { .. } => None,
            })
            .fold(0.0_f64, f64::max);
        if highest <= 0.0 {
            return Err(format!(
                "scenario `{}` has no phase with a rate above zero to scale",
                self.name
            ));
        }
        let factor = wanted / highest;
        let scale = |r: Rate| Rate::per_second(r.as_per_second() * factor);
        let mut out = self.clone();
        for phase in &mut out.phases {
            if let PhaseLoad::Open { start, end } = phase.load {
                phase.load = PhaseLoad::Open {
                    start: scale(start),
                    end: scale(end),
                };
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Plan;

    fn scenario(text: &str) -> Scenario {
        let plan = Plan::parse(text, std::path::Path::new("rigor.toml")).unwrap();
        plan.scenarios(std::path::Path::new("rigor.toml"), None)
            .unwrap()
            .remove(0)
    }

    #[test]
    fn every_phase_keeps_its_share_of_the_highest_rate() {
        let s = scenario(
            r#"
[[scenario]]
name = "api"
phases = [
  { kind = "ramp", from = "0/s", to = "50/s", for = "2s" },
  { kind = "steady", rate = "50/s", for = "5s" },
  { kind = "spike", rate = "100/s", for = "1s" },
]
[[scenario.request]]
url = "http://127.0.0.1:1/"
"#,
        );
        let at = s.at_rate(Rate::per_second(300.0)).unwrap();
        let rates: Vec<(f64, f64)> = at
            .phases
            .iter()
            .map(|p| match p.load {
                PhaseLoad::Open { start, end } => (start.as_per_second(), end.as_per_second()),
                PhaseLoad::Closed { .. } => unreachable!(),
            })
            .collect();
        assert_eq!(rates, [(0.0, 150.0), (150.0, 150.0), (300.0, 300.0)]);
        assert_eq!(at.phases[1].duration, s.phases[1].duration);
        assert!(s
            .at_rate(Rate::per_second(0.0))
            .unwrap_err()
            .contains("above zero"));
    }

    #[test]
    fn a_closed_model_has_no_rate_to_scale() {
        let s = scenario(
            r#"
[[scenario]]
name = "users"
phases = [{ kind = "steady", concurrency = 4, for = "2s" }]
[[scenario.request]]
url = "http://127.0.0.1:1/"
"#,
        );
        let e = s.at_rate(Rate::per_second(10.0)).unwrap_err();
        assert!(e.contains("closed model"), "{e}");
    }
}
