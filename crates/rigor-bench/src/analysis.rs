//! From raw runs to statistics, relative speeds and warnings. Shared by the runner and the
//! importers, so a result reads the same whichever tool took the measurements.

use crate::outliers::{outlier_indices, outlier_warning, slow_first_run};
use crate::result::{BenchResult, Warning, WarningKind};
use crate::stats::{relative_speeds, summarize, Summary};

/// The warning kinds [`analyze`] derives from the runs (and replaces when run again).
const DERIVED: [WarningKind; 4] = [
    WarningKind::Outliers,
    WarningKind::SlowFirstRun,
    WarningKind::FewRuns,
    WarningKind::FailuresIgnored,
];

/// Computes every command's statistics, outliers and relative speed from its runs, and the
/// warnings they call for. Idempotent: derived warnings from an earlier call are replaced.
pub fn analyze(result: &mut BenchResult) {
    result.warnings.retain(|w| !DERIVED.contains(&w.kind));
    for (index, command) in result.commands.iter_mut().enumerate() {
        let measurements: Vec<_> = command.runs.iter().map(|r| r.measurement).collect();
        command.stats = summarize(&measurements);
        let walls = command.wall_nanos();
        command.outliers = outlier_indices(&walls);
        let name = &command.name;
        result.warnings.extend(outlier_warning(
            index,
            name,
            command.outliers.len(),
            walls.len(),
        ));
        result.warnings.extend(slow_first_run(index, name, &walls));
        if walls.len() == 1 {
            result.warnings.push(Warning {
                kind: WarningKind::FewRuns,
                command: Some(index),
                message: format!(
                    "`{name}` has a single run: no standard deviation or confidence interval; \
                     use more runs"
                ),
            });
        }
        let failed = measurements.iter().filter(|m| !m.succeeded()).count();
        result.warnings.extend(failures_warning(
            index,
            name,
            failed as u64,
            measurements.len() as u64,
        ));
    }
    relate(result);
}

/// The warning that `failed` of a command's `runs` failed, if any did.
pub(crate) fn failures_warning(
    index: usize,
    name: &str,
    failed: u64,
    runs: u64,
) -> Option<Warning> {
    (failed > 0).then(|| Warning {
        kind: WarningKind::FailuresIgnored,
        command: Some(index),
        message: format!(
            "{failed} of {runs} runs of `{name}` failed (non-zero exit or signal); they are \
             kept because failures are ignored, but a failing run may not have done the work \
             being measured"
        ),
    })
}

/// Sets every command's speed relative to the fastest from the current statistics.
pub fn relate(result: &mut BenchResult) {
    let summaries: Vec<Option<&Summary>> =
        result.commands.iter().map(|c| c.stats.as_ref()).collect();
    let relative = relative_speeds(&summaries);
    for (command, relative) in result.commands.iter_mut().zip(relative) {
        command.relative = relative;
    }
}
