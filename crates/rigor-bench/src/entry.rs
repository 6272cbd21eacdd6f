//! A plan's `[[bench]]` entry (or `rigor bench`'s flags, which become one) as a [`BenchSpec`]:
//! the one place where the plan's words for a benchmark turn into its settings.

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rigor_model::plan::{BenchEntry, ShellChoice};

use crate::params::Parameter;
use crate::spec::{
    BenchSpec, Counting, Hooks, Order, OutputMode, RunCount, Shell, SpecError, DEFAULT_COUNT_RUNS,
};

impl BenchSpec {
    /// The settings a `[[bench]]` entry asks for. Defaults: at least 10 runs and 3 s, no
    /// warm-up, no shell, output discarded, interleaved order.
    pub fn from_entry(entry: &BenchEntry) -> Result<BenchSpec, SpecError> {
        let mut lines: Vec<String> = entry.command.iter().cloned().collect();
        lines.extend(entry.commands.iter().cloned());
        if lines.is_empty() {
            return Err(SpecError::NoCommands);
        }
        let mut spec = BenchSpec::new(lines);
        spec.warmup = entry.warmup.unwrap_or(0);
        spec.runs = match (entry.runs, entry.min_runs, entry.min_time, entry.max_runs) {
            (Some(runs), None, None, _) => RunCount::Fixed { runs },
            (Some(_), _, _, _) => return Err(SpecError::FixedAndAutoRuns),
            (None, min_runs, min_time, max_runs) => RunCount::Auto {
                min_runs: min_runs.unwrap_or(10),
                min_time: min_time.map_or(Duration::from_secs(3), |d| d.0),
                max_runs,
            },
        };
        spec.hooks = Hooks {
            setup: entry.setup.clone(),
            prepare: entry.prepare.clone(),
            conclude: entry.conclude.clone(),
            cleanup: entry.cleanup.clone(),
        };
        spec.shell = match &entry.shell {
            None | Some(ShellChoice::Enabled(false)) => None,
            Some(ShellChoice::Enabled(true)) => Some(Shell::default()),
            Some(ShellChoice::Program(program)) => Some(Shell {
                program: program.clone(),
                ..Shell::default()
            }),
        };
        spec.output = match entry.output.as_deref() {
            None | Some("discard") => OutputMode::Discard,
            Some("pipe") => OutputMode::Pipe,
            Some("inherit") => OutputMode::Inherit,
            Some(path) => OutputMode::File(PathBuf::from(path)),
        };
        spec.ignore_failure = entry.ignore_failure;
        spec.order = match entry.order.as_deref() {
            None | Some("interleaved") => Order::Interleaved,
            Some("random") => Order::Random {
                seed: entry.seed.unwrap_or_else(|| {
                    SystemTime::now()
                        .duration_since(UNIX_EPOCH)
                        .map_or(0, |d| d.as_nanos() as u64)
                }),
            },
            Some(other) => {
                return Err(SpecError::UnknownOrder {
                    order: other.to_string(),
                })
            }
        };
        spec.counting = counting(entry)?;
        if let Some(scan) = &entry.scan {
            let step = scan.step.as_deref();
            spec.parameters
                .push(Parameter::scan(&scan.name, &scan.from, &scan.to, step)?);
        }
        if let Some(list) = &entry.list {
            spec.parameters
                .push(Parameter::list(&list.name, list.values.clone())?);
        }
        Ok(spec)
    }
}

/// The counts `measure` asks for, checked.
fn counting(entry: &BenchEntry) -> Result<Option<Counting>, SpecError> {
    for m in &entry.measure {
        if !rigor_model::plan::MEASURES.contains(&m.as_str()) {
            return Err(SpecError::UnknownMeasure { measure: m.clone() });
        }
    }
    let has = |m: &str| entry.measure.iter().any(|x| x == m);
    let (instructions, cycles_estimate) = (has("instructions"), has("cycles-estimate"));
    if !instructions && !cycles_estimate {
        if entry.count_runs.is_some() {
            return Err(SpecError::CountRunsWithoutCounts);
        }
        return Ok(None);
    }
    let runs = entry.count_runs.unwrap_or(DEFAULT_COUNT_RUNS);
    if runs == 0 || runs > 1000 {
        return Err(SpecError::CountRuns { runs });
    }
    Ok(Some(Counting {
        instructions,
        cycles_estimate,
        runs,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_becomes_its_settings_and_contradictions_are_named() {
        let entry = BenchEntry {
            name: "parse".into(),
            command: Some("./parse big.json".into()),
            runs: Some(5),
            order: Some("random".into()),
            seed: Some(7),
            ..BenchEntry::default()
        };
        let spec = BenchSpec::from_entry(&entry).expect("valid");
        assert_eq!(spec.runs, RunCount::Fixed { runs: 5 });
        assert_eq!(spec.order, Order::Random { seed: 7 });
        assert_eq!(spec.commands.len(), 1);

        let both = BenchEntry {
            min_runs: Some(3),
            ..entry.clone()
        };
        assert_eq!(
            BenchSpec::from_entry(&both),
            Err(SpecError::FixedAndAutoRuns)
        );
        let sideways = BenchEntry {
            order: Some("sideways".into()),
            ..entry.clone()
        };
        assert!(BenchSpec::from_entry(&sideways)
            .unwrap_err()
            .to_string()
            .contains("`sideways`"));
        let empty = BenchEntry {
            command: None,
            ..entry
        };
        assert_eq!(BenchSpec::from_entry(&empty), Err(SpecError::NoCommands));
    }
}
