//! Runs as the analysis needs them: the stored record with its summary parsed and its
//! one-second windows checked. A window keeps its histograms encoded (a few hundred bytes
//! each) and decodes them when asked: a decoded histogram spans rigor's whole range, about
//! 190 KB, so an hour of windows held decoded would take gigabytes.

use rigor_model::hist::Hist;
use rigor_model::output::bench::BenchResult;
use rigor_model::output::imported::ImportedRun;
use rigor_model::output::{Environment, RunStatus, RunSummary, StoredSummary};
use rigor_store::{StoredRun, StoredWindow};

pub use rigor_model::RunKind;

/// One one-second window of a load run, its histograms checked but kept encoded.
#[derive(Debug, Clone)]
pub struct WindowData {
    pub second: u32,
    pub phase: String,
    pub requests: u64,
    pub errors: u64,
    corrected: Vec<u8>,
    raw: Vec<u8>,
    /// The second's journeys, when the scenario is a journey.
    pub journeys: Option<rigor_model::output::WindowJourneys>,
    journey_duration: Vec<u8>,
}

impl WindowData {
    /// The durations of the walks completed in the window; `None` when it had none (or the
    /// scenario is not a journey).
    pub fn journey_duration(&self) -> Option<Hist> {
        decoded(&self.journey_duration)
    }

    /// Latency from intended start of the window's successful responses; `None` when it had
    /// none.
    pub fn corrected(&self) -> Option<Hist> {
        decoded(&self.corrected)
    }

    /// The same responses' latency from actual send.
    pub fn raw(&self) -> Option<Hist> {
        decoded(&self.raw)
    }
}

/// A histogram that [`RunData::new`] has decoded once already, so it decodes.
fn decoded(bytes: &[u8]) -> Option<Hist> {
    if bytes.is_empty() {
        return None;
    }
    rigor_model::hist::decode(bytes).ok()
}

/// A stored run ready for comparison and gating.
#[derive(Debug, Clone)]
pub struct RunData {
    pub record: StoredRun,
    pub kind: RunKind,
    pub environment: Option<Environment>,
    pub load: Option<(RunSummary, Vec<WindowData>)>,
    pub bench: Option<BenchResult>,
    /// The figures of an imported run.
    pub imported: Option<ImportedRun>,
    /// Per-second samples of the target (`target.cpu`, `target.rss` …), when it was probed.
    pub samples: Vec<rigor_store::Sample>,
}

#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("run {id} ({scenario}) is {status} and has no results to analyse: only finished runs can be compared or gated")]
    Unfinished {
        id: i64,
        scenario: String,
        status: &'static str,
    },
    #[error("run {id} has a summary this rigor cannot read: {message}")]
    Summary { id: i64, message: String },
    #[error("run {id}: a stored histogram of second {second} cannot be decoded: {message}")]
    Histogram {
        id: i64,
        second: u32,
        message: String,
    },
}

impl RunData {
    /// Builds the run from its store record and windows (load runs; empty for benches).
    pub fn new(record: StoredRun, windows: Vec<StoredWindow>) -> Result<RunData, DataError> {
        let id = record.id;
        let Some(summary) = record.summary.as_deref().filter(|s| *s != "null") else {
            return Err(DataError::Unfinished {
                id,
                scenario: record.scenario.clone(),
                status: record.status.as_str(),
            });
        };
        if record.status == RunStatus::Running || record.status == RunStatus::Aborted {
            return Err(DataError::Unfinished {
                id,
                scenario: record.scenario.clone(),
                status: record.status.as_str(),
            });
        }
        let environment = serde_json::from_str::<Environment>(&record.environment).ok();
        let bad = |e: serde_json::Error| DataError::Summary {
            id,
            message: e.to_string(),
        };
        let parsed = StoredSummary::parse(record.kind, Some(summary)).map_err(bad)?;
        match parsed {
            None => Err(DataError::Unfinished {
                id,
                scenario: record.scenario.clone(),
                status: record.status.as_str(),
            }),
            Some(StoredSummary::Load(summary)) => {
                let mut checked = Vec::with_capacity(windows.len());
                for w in windows {
                    for bytes in [&w.corrected, &w.raw, &w.journey_duration] {
                        if !bytes.is_empty() {
                            rigor_model::hist::decode(bytes).map_err(|e| DataError::Histogram {
                                id,
                                second: w.second,
                                message: e.to_string(),
                            })?;
                        }
                    }
                    checked.push(WindowData {
                        second: w.second,
                        phase: w.phase,
                        requests: w.requests,
                        errors: w.errors,
                        corrected: w.corrected,
                        raw: w.raw,
                        journeys: (!w.journeys.is_empty())
                            .then(|| serde_json::from_str(&w.journeys))
                            .transpose()
                            .map_err(|e| DataError::Histogram {
                                id,
                                second: w.second,
                                message: format!("its journeys are not readable: {e}"),
                            })?,
                        journey_duration: w.journey_duration,
                    });
                }
                Ok(RunData {
                    record,
                    kind: RunKind::Load,
                    environment,
                    load: Some((*summary, checked)),
                    bench: None,
                    imported: None,
                    samples: Vec::new(),
                })
            }
            Some(StoredSummary::Bench(result)) => {
                let result = *result;
                Ok(RunData {
                    record,
                    kind: RunKind::Bench,
                    environment,
                    load: None,
                    bench: Some(result),
                    imported: None,
                    samples: Vec::new(),
                })
            }
            Some(StoredSummary::Imported(imported)) => Ok(RunData {
                record,
                kind: RunKind::Imported,
                environment,
                load: None,
                bench: None,
                imported: Some(*imported),
                samples: Vec::new(),
            }),
        }
    }

    /// Adds the target's per-second samples.
    pub fn with_samples(mut self, samples: Vec<rigor_store::Sample>) -> RunData {
        self.samples = samples;
        self
    }

    /// One named sample series, in second order.
    pub fn series(&self, name: &str) -> Vec<f64> {
        let mut v: Vec<(u32, f64)> = self
            .samples
            .iter()
            .filter(|s| s.name == name)
            .map(|s| (s.second, s.value))
            .collect();
        v.sort_by_key(|(second, _)| *second);
        v.into_iter().map(|(_, value)| value).collect()
    }

    pub fn id(&self) -> i64 {
        self.record.id
    }

    /// CPU cores other processes kept busy during the run, when it was measured.
    pub fn other_work_cores(&self) -> Option<f64> {
        match (&self.load, &self.bench) {
            (Some((summary, _)), _) => summary.generator.host_other_cpu_cores,
            (None, Some(result)) => result.host_other_cpu_cores,
            (None, None) => None,
        }
    }

    /// The windows of a load run, optionally of one phase only.
    pub fn windows(&self, phase: Option<&str>) -> Vec<&WindowData> {
        self.load
            .as_ref()
            .map(|(_, w)| {
                w.iter()
                    .filter(|w| phase.is_none_or(|p| w.phase == p))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The key under which baselines are kept: the hardware class (CPU model and core count), so
/// a kernel update does not orphan a baseline but a different machine does not share it.
pub fn environment_key(environment: Option<&Environment>) -> String {
    match environment {
        Some(e) if !e.cpu_model.is_empty() => format!("{} × {}", e.cpu_model, e.cores),
        _ => "unknown".to_string(),
    }
}

/// What a stored run measured, from the plan it keeps: the scenario as resolved (its requests,
/// phases and rates) or the bench as run, the plan's `[target]` (what started the system under
/// test), and the command line's changes (`rigor run --rate …`, `--target-command …`). Runs
/// with the same key measured the same thing the same way; a run of another target
/// configuration or at another rate is no sample of the baseline's spread.
pub fn measurement_key(stored_plan: &str) -> String {
    let Ok(plan) = serde_json::from_str::<serde_json::Value>(stored_plan) else {
        return stored_plan.to_string();
    };
    let Some(text) = plan.get("plan_text").and_then(|t| t.as_str()) else {
        return stored_plan.to_string();
    };
    let target = toml::from_str::<toml::Table>(text)
        .ok()
        .and_then(|t| t.get("target").map(ToString::to_string));
    let overrides: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("# rigor run --"))
        .collect();
    serde_json::json!({
        "scenario": plan.get("scenario"),
        "target": target,
        "overrides": overrides,
    })
    .to_string()
}

/// Differences between two environments worth a warning.
pub fn environment_differences(a: Option<&Environment>, b: Option<&Environment>) -> Vec<String> {
    let (Some(a), Some(b)) = (a, b) else {
        return vec!["one of the runs has no environment fingerprint (imported?): the comparison cannot check they ran alike".into()];
    };
    let mut out = Vec::new();
    let mut differ = |what: &str, x: &str, y: &str| {
        if x != y {
            out.push(format!("{what} differs: `{x}` vs `{y}`"));
        }
    };
    differ("CPU model", &a.cpu_model, &b.cpu_model);
    differ("core count", &a.cores.to_string(), &b.cores.to_string());
    differ("kernel", &a.kernel, &b.kernel);
    differ("rigor version", &a.rigor_version, &b.rigor_version);
    differ("host", &a.hostname, &b.hostname);
    out
}

#[cfg(test)]
mod tests {
    use super::measurement_key;

    fn stored(text: &str, rate: &str) -> String {
        serde_json::json!({ "plan_text": text, "scenario": { "name": "api", "rate": rate } })
            .to_string()
    }

    #[test]
    fn the_measurement_is_the_scenario_the_target_and_the_overrides() {
        let plan = "[target]\ncommand = \"serve --fast\"\n\n[[scenario]]\nname = \"api\"\n";
        let key = measurement_key(&stored(plan, "10/s"));
        // Another scenario of the plan edited, or a comment: the same measurement.
        let other = format!("{plan}\n# a note\n[[scenario]]\nname = \"other\"\n");
        assert_eq!(measurement_key(&stored(&other, "10/s")), key);
        // Another rate, another target command, an override: another measurement.
        assert_ne!(measurement_key(&stored(plan, "20/s")), key);
        let slow = plan.replace("--fast", "--slow");
        assert_ne!(measurement_key(&stored(&slow, "10/s")), key);
        let overridden = format!("{plan}\n# rigor run --target-command \"serve --slow\"\n");
        assert_ne!(measurement_key(&stored(&overridden, "10/s")), key);
        // A bench's entry is its own key.
        assert_eq!(measurement_key("{\"name\":\"b\"}"), "{\"name\":\"b\"}");
    }
}
