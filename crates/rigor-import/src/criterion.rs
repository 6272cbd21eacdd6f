//! criterion's saved results: for each benchmark under `target/criterion` (or any directory
//! holding them), its `benchmark.json` (the id), `estimates.json` (the mean with its
//! confidence interval) and `sample.json` (each sample's iteration count and total time), in
//! the `new` directory criterion writes each run, or a saved baseline's (`--save-baseline`).
//!
//! One run holds every benchmark found, each a figure named by its id (`fib/20`): criterion's
//! mean time per iteration, with criterion's interval, and the time per iteration of each
//! sample (its total over its iterations) as samples, so two imports are compared on those
//! samples, not on a point. Durations are nanoseconds, as criterion keeps them (fractions of a
//! nanosecond kept: the samples are floating point).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rigor_model::metric::{Direction, Unit};
use rigor_model::output::imported::ImportedValue;
use serde::Deserialize;

use crate::{Import, ImportError, RunOrigin};

#[derive(Deserialize)]
struct Benchmark {
    full_id: String,
}

#[derive(Deserialize)]
struct Estimates {
    mean: Estimate,
}

#[derive(Deserialize)]
struct Estimate {
    point_estimate: f64,
    confidence_interval: Interval,
}

#[derive(Deserialize)]
struct Interval {
    confidence_level: f64,
    lower_bound: f64,
    upper_bound: f64,
}

#[derive(Deserialize)]
struct SampleFile {
    iters: Vec<f64>,
    times: Vec<f64>,
}

/// The directories under `root` named `which` (`new`, or a baseline's name) that hold a
/// benchmark's files, sorted, at most `depth` levels down.
fn result_dirs(root: &Path, which: &str, depth: usize, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for dir in dirs {
        if dir.file_name().is_some_and(|n| n == which) && dir.join("estimates.json").is_file() {
            out.push(dir);
        } else if depth > 0 && dir.file_name().is_none_or(|n| n != "report") {
            result_dirs(&dir, which, depth - 1, out);
        }
    }
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, ImportError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ImportError::format(format!("cannot read {}: {e}", path.display())))?;
    serde_json::from_str(&text)
        .map_err(|e| ImportError::format(format!("{} is not criterion's: {e}", path.display())))
}

/// Reads criterion's results under `root`: the run in `which` (`new` for the latest).
pub fn import_criterion(
    root: &Path,
    which: &str,
    origin: &RunOrigin,
) -> Result<Import, ImportError> {
    if !root.is_dir() {
        return Err(ImportError::format(format!(
            "{} is not a directory: give criterion's output directory (target/criterion)",
            root.display()
        )));
    }
    let mut dirs = Vec::new();
    result_dirs(root, which, 6, &mut dirs);
    if dirs.is_empty() {
        return Err(ImportError::format(format!(
            "no criterion results under {} (no `{which}/estimates.json`): run `cargo bench` first, or give --baseline for a saved baseline",
            root.display()
        )));
    }
    let mut values = Vec::new();
    let mut confidence = None;
    for dir in &dirs {
        let benchmark: Benchmark = read_json(&dir.join("benchmark.json"))?;
        let estimates: Estimates = read_json(&dir.join("estimates.json"))?;
        let samples: SampleFile = read_json(&dir.join("sample.json"))?;
        if samples.iters.len() != samples.times.len() || samples.iters.is_empty() {
            return Err(ImportError::format(format!(
                "{}: {} iteration counts for {} times; criterion writes one of each per sample",
                dir.join("sample.json").display(),
                samples.iters.len(),
                samples.times.len()
            )));
        }
        let per_iteration: Vec<f64> = samples
            .iters
            .iter()
            .zip(&samples.times)
            .map(|(n, t)| t / n)
            .collect();
        if per_iteration.iter().any(|v| !v.is_finite() || *v < 0.0) {
            return Err(ImportError::format(format!(
                "{}: a sample with no iterations or a negative time",
                dir.join("sample.json").display()
            )));
        }
        let mean = &estimates.mean;
        confidence = Some(mean.confidence_interval.confidence_level);
        values.push(ImportedValue {
            metric: benchmark.full_id,
            value: mean.point_estimate,
            unit: Unit::Nanos,
            better: Direction::LowerIsBetter,
            interval: Some([
                mean.confidence_interval.lower_bound,
                mean.confidence_interval.upper_bound,
            ]),
            samples: per_iteration,
        });
    }
    let mut attributes = BTreeMap::new();
    attributes.insert("tool".into(), "criterion".into());
    attributes.insert("results".into(), which.to_string());
    let notes = vec![format!(
        "each figure is criterion's mean time per iteration with its {} % interval; its samples are each sample's time over its iterations",
        confidence.map_or("95".into(), |c| format!("{}", c * 100.0))
    )];
    Ok(origin.one_run("criterion", attributes, values, notes))
}
