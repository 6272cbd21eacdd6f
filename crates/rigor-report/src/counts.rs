//! A command's deterministic costs as every format shows them: the median count, half the
//! range of the counted runs, how many there were and which tool counted; what counting
//! cost; what could not be counted.

use rigor_model::metric::Unit;
use rigor_model::output::bench::{BenchResult, CommandResult, CountSeries};

use rigor_model::units::{format_nanos, three_figures};

/// One count of one command, ready to print.
pub(crate) struct CountLine {
    /// `instructions` or `cycles (estimate)`.
    pub what: &'static str,
    /// `14.205M`, as compare, history and a budget spell it.
    pub median: String,
    /// `0.01 %`, half the range of the counted runs over their median.
    pub spread: String,
    pub runs: usize,
    /// `perf` or `cachegrind`.
    pub source: &'static str,
}

/// The commands that were counted (or that counting was asked for and could not be done).
pub(crate) fn counted(result: &BenchResult) -> Vec<&CommandResult> {
    result
        .commands
        .iter()
        .filter(|c| c.counts.is_some())
        .collect()
}

/// The counts of a command, instructions first; empty when none were taken.
pub(crate) fn lines(c: &CommandResult) -> Vec<CountLine> {
    let Some(counts) = &c.counts else {
        return Vec::new();
    };
    [
        ("instructions", &counts.instructions),
        ("cycles (estimate)", &counts.cycles_estimate),
    ]
    .into_iter()
    .filter_map(|(what, series)| line(what, series.as_ref()?))
    .collect()
}

fn line(what: &'static str, series: &CountSeries) -> Option<CountLine> {
    let median = series.median()?;
    Some(CountLine {
        what,
        median: Unit::Count.format(median),
        spread: series.spread().map_or("-".to_string(), |p| {
            format!("{} %", spread_percent(p / 2.0))
        }),
        runs: series.values.len(),
        source: series.source.as_str(),
    })
}

/// What a counted run cost: `272ms a counted run, 102× a timed one`; `None` without counted
/// runs or timed ones.
pub(crate) fn cost(c: &CommandResult) -> Option<String> {
    let counts = c.counts.as_ref()?;
    let timed = c.stats.as_ref()?.mean.as_nanos() as f64;
    if counts.wall_ns.is_empty() || timed == 0.0 {
        return None;
    }
    let mean = counts.wall_ns.iter().sum::<u64>() as f64 / counts.wall_ns.len() as f64;
    Some(format!(
        "{} a counted run, {}× a timed one",
        format_nanos(mean),
        three_figures(mean / timed)
    ))
}

/// Why a cost that was asked for is missing, and what would enable it.
pub(crate) fn unavailable(c: &CommandResult) -> &[String] {
    c.counts.as_ref().map_or(&[], |counts| &counts.unavailable)
}

/// A half-range as a percentage with the digits a tiny spread needs (`0.25`, `3.0e-4`).
pub(crate) fn spread_percent(half_range: f64) -> String {
    let p = half_range * 100.0;
    if p == 0.0 {
        "0".into()
    } else if p >= 0.1 {
        format!("{p:.2}")
    } else {
        format!("{p:.1e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_print_short_with_the_digits_their_spread_needs() {
        assert_eq!(spread_percent(0.0), "0");
        assert_eq!(spread_percent(0.0025), "0.25");
        assert_eq!(spread_percent(0.000003), "3.0e-4");
    }
}
