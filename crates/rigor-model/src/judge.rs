//! The one judge of an absolute expression on a run: whatever holds the run's figures (the
//! engine's exact histograms while a run finishes, a stored summary, a benchmark's result)
//! answers [`Measured::value`], and the verdict is made here. A check with no data to judge
//! fails, never passes silently.

use crate::metric::{Metric, Scope};
use crate::output::bench::BenchResult;
use crate::output::{RunSummary, ThresholdOutcome};
use crate::threshold::Threshold;

/// Something that can say what a metric measured.
pub trait Measured {
    /// The metric's value in its unit, for the whole run or one request (bench command) or
    /// phase. `Ok(None)`: the run has no data for it. `Err`: the metric or scope does not
    /// exist for this run, with the names that do.
    fn value(&self, metric: Metric, scope: &Scope) -> Result<Option<f64>, String>;
}

impl Measured for RunSummary {
    fn value(&self, metric: Metric, scope: &Scope) -> Result<Option<f64>, String> {
        metric.value_in_load(self, scope)
    }
}

/// A benchmark's result with its run id (for messages).
pub struct BenchMeasured<'r> {
    pub run_id: i64,
    pub result: &'r BenchResult,
}

impl Measured for BenchMeasured<'_> {
    fn value(&self, metric: Metric, scope: &Scope) -> Result<Option<f64>, String> {
        let command = match scope {
            Scope::Run => None,
            Scope::Request(name) => Some(name.as_str()),
            Scope::Phase(p) => {
                return Err(format!(
                    "run {} is a benchmark: it has commands, not phases (`{p}`)",
                    self.run_id
                ))
            }
        };
        metric.value_in_bench(self.result, command, self.run_id)
    }
}

/// Judges a run's thresholds. A threshold with no data, or whose scope the run lacks, fails
/// with the reason as its measured text.
pub fn thresholds(thresholds: &[Threshold], run: &dyn Measured) -> Vec<ThresholdOutcome> {
    thresholds
        .iter()
        .map(|t| {
            let (value, value_text) = match run.value(t.metric, &t.scope) {
                Ok(Some(v)) => (Some(v), t.metric.format_value(v)),
                Ok(None) => (None, "no data".to_string()),
                Err(why) => (None, why),
            };
            ThresholdOutcome {
                threshold: t.text.clone(),
                value,
                value_text,
                passed: value.is_some_and(|v| t.comparator.holds(v, t.limit)),
            }
        })
        .collect()
}
