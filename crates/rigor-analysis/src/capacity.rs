//! The capacity search's reasoning, apart from the runs it makes: how one step at an offered
//! rate is judged (the SLOs over the step's hold, the queueing signal — achieved throughput at
//! least 95 % of offered — and the generator's own validity), and which rate to try next
//! (stepping up until a step fails, then narrowing between the last pass and the first fail).
//! `rigor capacity` makes the runs; this says what they mean.

pub mod curve;
pub mod growth;

use rigor_model::expr::{Expr, Target};
use rigor_model::metric::{Metric, Scope};
use rigor_model::output::capacity::{CapacityReport, CapacityStep, StepVerdictKind};
use rigor_model::output::RunSummary;
use rigor_model::RunStatus;

use crate::data::RunData;

/// Achieved throughput below this share of the offered rate means arrivals queue: the step
/// is past what the system sustains, whatever its latency says so far.
pub const QUEUEING_SHARE: f64 = 0.95;

/// What one step came to.
#[derive(Debug, Clone, PartialEq)]
pub enum StepVerdict {
    /// Every SLO held and the throughput kept up with the offered rate.
    Pass,
    /// The system did not sustain the rate: each reason named.
    Fail(Vec<String>),
    /// The step says nothing of the system (the generator fell behind): the search stops,
    /// and no capacity beyond the last pass is claimed.
    Unjudged(String),
}

/// The rate responses came back at over the whole seconds `from..to` of the run (the hold's):
/// the median of their completions per second. Not the summary's phase throughput, which
/// counts requests by when they were due: an overloaded step completes what it can and queues
/// the rest, and only the completions per second show it. The median, because a second's
/// boundary is each generator thread's own tick: on a busy machine a tick a little late moves
/// completions from one second to the next, and the mean of a short hold would call that a
/// shortfall.
pub fn achieved_rate(run: &RunData, seconds: std::ops::Range<u32>) -> Option<f64> {
    let windows = run.windows(None);
    // Seconds past the run's last (a run stopped early) are not seconds without responses.
    let end = windows
        .iter()
        .map(|w| w.second + 1)
        .max()
        .unwrap_or(0)
        .min(seconds.end);
    let mut per_second: Vec<f64> = (seconds.start..end)
        .map(|second| {
            windows
                .iter()
                .filter(|w| w.second == second)
                .map(|w| w.requests as f64)
                .fold(0.0, |a, b| a + b)
        })
        .collect();
    per_second.sort_by(f64::total_cmp);
    rigor_stats::median(&per_second)
}

/// Judges a step's run at `offered` requests (or walks) a second, whose responses came back
/// at `achieved` a second, against `slos` (absolute expressions) over `scope` (the hold). A
/// closed-model step (`offered` is `None`) offers no rate, so only its SLOs and its run's
/// status judge it.
pub fn judge_step(
    summary: &RunSummary,
    (offered, achieved): (Option<f64>, f64),
    slos: &[Expr],
    scope: &Scope,
) -> StepVerdict {
    match summary.status {
        RunStatus::Invalid => {
            return StepVerdict::Unjudged(format!(
            "the generator could not hold {}{}: the step measured the generator, not the target",
            offered.map_or("the load".into(), |o| format!("{o:.1}/s")),
            summary
                .status_reason
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        ))
        }
        RunStatus::Interrupted | RunStatus::Aborted | RunStatus::Running | RunStatus::Crashed => {
            return StepVerdict::Unjudged(format!("the step's run is {}", summary.status.as_str()))
        }
        _ => {}
    }
    let mut reasons = Vec::new();
    if summary.status == RunStatus::TargetFailed {
        reasons.push(format!(
            "the target failed{}{}",
            offered.map_or(String::new(), |o| format!(" at {o:.1}/s")),
            summary
                .status_reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        ));
    }
    if let Some(offered) = offered.filter(|&o| achieved < QUEUEING_SHARE * o) {
        reasons.push(format!(
            "achieved {achieved:.1}/s of {offered:.1}/s offered ({:.0}%, under {:.0}%): arrivals queue",
            achieved / offered * 100.0,
            QUEUEING_SHARE * 100.0
        ));
    }
    for slo in slos {
        let limit = match slo.target {
            Target::Absolute(v) => v,
            Target::Relative(_) => continue,
        };
        let scope = if slo.labels.request.is_some() || slo.labels.phase.is_some() {
            slo.labels.scope()
        } else {
            scope.clone()
        };
        match slo.metric.value_in_load(summary, &scope) {
            Ok(Some(v)) if slo.comparator.holds(v, limit) => {}
            Ok(Some(v)) => reasons.push(format!(
                "{} is {}, beyond {}",
                slo.text,
                slo.metric.format_value(v),
                slo.metric.format_value(limit)
            )),
            Ok(None) => reasons.push(format!("no data for {}", slo.text)),
            Err(e) => reasons.push(e),
        }
    }
    if reasons.is_empty() {
        StepVerdict::Pass
    } else {
        StepVerdict::Fail(reasons)
    }
}

/// A step as the capacity report keeps it: its load, what came back over `scope` (the hold)
/// and its verdict. `offered` for the open model, `users` for the closed.
pub fn step_record(
    step: u32,
    summary: &RunSummary,
    (offered, users): (Option<f64>, Option<u32>),
    achieved: f64,
    verdict: &StepVerdict,
    scope: &Scope,
) -> CapacityStep {
    let read = |name: &str| -> Option<f64> {
        name.parse::<Metric>()
            .ok()?
            .value_in_load(summary, scope)
            .ok()
            .flatten()
    };
    let mean = read("latency.mean");
    let (verdict, reasons) = match verdict {
        StepVerdict::Pass => (StepVerdictKind::Pass, Vec::new()),
        StepVerdict::Fail(why) => (StepVerdictKind::Fail, why.clone()),
        StepVerdict::Unjudged(why) => (StepVerdictKind::NotJudged, vec![why.clone()]),
    };
    CapacityStep {
        step,
        run_id: summary.run_id,
        offered_per_s: offered,
        users,
        achieved_per_s: achieved,
        latency_mean_ns: mean,
        latency_p50_ns: read("latency.p50"),
        latency_p95_ns: read("latency.p95"),
        latency_p99_ns: read("latency.p99"),
        error_rate: read("error_rate").unwrap_or(0.0),
        target_cpu: read("target.cpu"),
        in_flight: mean.map(|m| achieved * m / 1e9),
        verdict,
        reasons,
    }
}

/// Fills in what the steps of `report` say together: the knee, the scalability model (or
/// why there is none, in the notes), and with `question` what growth needs from the maximum
/// sustainable throughput.
pub fn analyse(report: &mut CapacityReport, question: Option<growth::GrowthQuestion>) {
    report.knee = curve::knee(&report.steps);
    match curve::scalability(&report.steps, report.model) {
        Ok(s) => {
            if s.peak_extrapolated {
                report.outcome.notes.push(format!(
                    "the scalability model's peak ({:.1} in flight) lies beyond twice the most measured ({:.1}): an extrapolation, not a finding",
                    s.peak_concurrency.unwrap_or(0.0),
                    s.largest_measured
                ));
            }
            report.scalability = Some(s);
        }
        Err(why) => {
            report.scalability = None;
            report.outcome.notes.push(why);
        }
    }
    report.growth = None;
    if let Some(q) = question {
        match report.outcome.max_sustainable_per_s {
            Some(capacity) if capacity > 0.0 => {
                report.growth = Some(growth::growth(
                    q,
                    capacity,
                    report.knee.as_ref(),
                    &report.steps,
                ));
            }
            _ => report.outcome.notes.push(
                "no growth projection: the search found no sustainable throughput to project from"
                    .into(),
            ),
        }
    }
}

/// How the offered rate grows while every step passes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stepping {
    /// Each step this many times the last (1.5).
    Geometric(f64),
    /// Each step this much above the last, per second.
    Additive(f64),
}

/// Why the search ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// A pass and a fail, narrowed as far as asked.
    Bracketed,
    /// Every step passed up to the most it may offer: the capacity is above it.
    MaxRate,
    /// The first step failed: the capacity is below the starting rate.
    FirstStepFailed,
}

/// The search's state: the rates tried, the highest that passed and the lowest that failed.
#[derive(Debug, Clone, PartialEq)]
pub struct Search {
    pub start: f64,
    pub stepping: Stepping,
    pub max_rate: f64,
    /// Narrowing rounds after the first fail.
    pub rounds: u32,
    pub last_pass: Option<f64>,
    pub first_fail: Option<f64>,
    narrowed: u32,
    tried: Vec<f64>,
}

impl Search {
    pub fn new(start: f64, stepping: Stepping, max_rate: f64, rounds: u32) -> Search {
        Search {
            start,
            stepping,
            max_rate,
            rounds,
            last_pass: None,
            first_fail: None,
            narrowed: 0,
            tried: Vec::new(),
        }
    }

    /// The next rate to offer, or why the search is over.
    pub fn next(&self) -> Result<f64, Ended> {
        match (self.last_pass, self.first_fail) {
            (None, None) => Ok(self.start.min(self.max_rate)),
            (None, Some(_)) => Err(Ended::FirstStepFailed),
            (Some(pass), None) => {
                let next = match self.stepping {
                    Stepping::Geometric(f) => pass * f,
                    Stepping::Additive(d) => pass + d,
                };
                if pass >= self.max_rate {
                    Err(Ended::MaxRate)
                } else {
                    Ok(next.min(self.max_rate))
                }
            }
            (Some(pass), Some(fail)) => {
                if self.narrowed >= self.rounds {
                    Err(Ended::Bracketed)
                } else {
                    Ok((pass + fail) / 2.0)
                }
            }
        }
    }

    /// Records that `rate` passed or failed.
    pub fn record(&mut self, rate: f64, passed: bool) {
        if self.last_pass.is_some() && self.first_fail.is_some() {
            self.narrowed += 1;
        }
        self.tried.push(rate);
        if passed {
            self.last_pass = Some(self.last_pass.map_or(rate, |p| p.max(rate)));
        } else {
            self.first_fail = Some(self.first_fail.map_or(rate, |f| f.min(rate)));
        }
    }

    /// Every rate offered, in order.
    pub fn tried(&self) -> &[f64] {
        &self.tried
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a search against a system that sustains `capacity`.
    fn search(capacity: f64, mut s: Search) -> (Search, Ended) {
        loop {
            match s.next() {
                Ok(rate) => s.record(rate, rate <= capacity),
                Err(ended) => return (s, ended),
            }
        }
    }

    /// A real run's summary (50/s for 3 s against the built-in target, p50 6.5 ms), from the
    /// model's fixtures.
    fn step() -> RunSummary {
        let text = include_str!("../../rigor-model/tests/fixtures/load-report-v4-session.json");
        let report: rigor_model::output::report::LoadReport = serde_json::from_str(text).unwrap();
        report.summary
    }

    #[test]
    fn a_step_passes_on_its_slos_and_its_throughput_and_fails_naming_each_reason() {
        let slo = |t: &str| t.parse::<Expr>().unwrap();
        let s = step();
        let all = Scope::Run;
        assert_eq!(
            judge_step(
                &s,
                (Some(50.0), 50.0),
                &[slo("latency.p50 < 15ms"), slo("error_rate < 1%")],
                &all
            ),
            StepVerdict::Pass
        );
        let StepVerdict::Fail(why) =
            judge_step(&s, (Some(100.0), 50.0), &[slo("latency.p50 < 1ms")], &all)
        else {
            panic!("twice the rate achieved, and p50 over 1 ms");
        };
        assert_eq!(why.len(), 2, "{why:?}");
        assert!(
            why[0].contains("achieved 50.0/s of 100.0/s offered"),
            "{why:?}"
        );
        assert!(why[1].starts_with("latency.p50 < 1ms is 6.5ms"), "{why:?}");
        let mut invalid = s.clone();
        invalid.status = RunStatus::Invalid;
        assert!(matches!(
            judge_step(&invalid, (Some(50.0), 50.0), &[], &all),
            StepVerdict::Unjudged(w) if w.contains("measured the generator")
        ));
    }

    #[test]
    fn steps_up_then_narrows_to_a_bracket_around_the_capacity() {
        let (s, ended) = search(
            200.0,
            Search::new(50.0, Stepping::Geometric(1.5), 10_000.0, 3),
        );
        assert_eq!(ended, Ended::Bracketed);
        let tried: Vec<u32> = s.tried().iter().map(|r| r.round() as u32).collect();
        assert_eq!(tried, [50, 75, 113, 169, 253, 211, 190, 200]);
        let (pass, fail) = (s.last_pass.unwrap(), s.first_fail.unwrap());
        assert!(pass <= 200.0 && 200.0 < fail, "{pass} {fail}");
        assert!(
            fail - pass < 12.0,
            "three rounds narrow 84/s to a tenth: {pass} {fail}"
        );
    }

    #[test]
    fn the_bounds_and_a_first_failure_end_it_plainly() {
        let (s, ended) = search(1e9, Search::new(50.0, Stepping::Additive(100.0), 320.0, 3));
        assert_eq!(ended, Ended::MaxRate);
        assert_eq!(s.tried(), [50.0, 150.0, 250.0, 320.0]);
        let (s, ended) = search(10.0, Search::new(50.0, Stepping::Geometric(2.0), 1000.0, 3));
        assert_eq!(ended, Ended::FirstStepFailed);
        assert_eq!(s.tried(), [50.0]);
        assert!(s.last_pass.is_none());
    }
}
