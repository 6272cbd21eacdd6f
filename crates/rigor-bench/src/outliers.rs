//! Robust outlier detection (Iglewicz and Hoaglin's modified z-score) and the warnings it
//! gives. Outliers are reported, never dropped: a slow run is data about the system too.
//!
//! The modified z-score of `x` is `0.6745 · (x − median) / MAD`, that is, its distance from
//! the median in robust standard deviations (`1.4826 · MAD` estimates σ for normal data);
//! above 3.5 it is an outlier. Unlike the mean and standard deviation, the median and MAD
//! are not dragged along by the outliers they are meant to find. When more than half the
//! runs are identical the MAD is zero, and the mean absolute deviation scaled by 1.253314
//! takes its place (the same authors' fallback).

use rigor_model::units::format_nanos;

use crate::result::{Warning, WarningKind};
use crate::stats::{mean, median, median_sorted, sorted};

/// Modified z-scores above this mark an outlier (Iglewicz and Hoaglin's recommendation).
pub const OUTLIER_THRESHOLD: f64 = 3.5;

/// The modified z-score of every value, in input order (all zero when the values do not
/// spread at all).
pub fn modified_z_scores(values: &[f64]) -> Vec<f64> {
    let Some(m) = median(values) else {
        return Vec::new();
    };
    let deviations: Vec<f64> = values.iter().map(|v| (v - m).abs()).collect();
    let mad = median(&deviations).unwrap_or(0.0);
    let scale = if mad > 0.0 {
        mad / 0.6745
    } else {
        1.253314 * mean(&deviations).unwrap_or(0.0)
    };
    values
        .iter()
        .map(|v| if scale > 0.0 { (v - m) / scale } else { 0.0 })
        .collect()
}

/// Indices of the values whose modified z-score exceeds [`OUTLIER_THRESHOLD`] in either
/// direction.
pub fn outlier_indices(values: &[f64]) -> Vec<usize> {
    modified_z_scores(values)
        .iter()
        .enumerate()
        .filter(|(_, z)| z.abs() > OUTLIER_THRESHOLD)
        .map(|(i, _)| i)
        .collect()
}

/// The warning for `outliers` outliers among `runs` runs of `name` (`None` when there are
/// none).
pub fn outlier_warning(
    command: usize,
    name: &str,
    outliers: usize,
    runs: usize,
) -> Option<Warning> {
    let verb = match outliers {
        0 => return None,
        1 => "is an outlier",
        _ => "are outliers",
    };
    Some(Warning {
        kind: WarningKind::Outliers,
        command: Some(command),
        message: format!(
            "{outliers} of {runs} runs of `{name}` {verb} (more than 3.5 robust standard \
             deviations, 1.4826 MADs each, from the median); they are kept in every statistic. \
             This can be interference from other processes or caching: consider --warmup or a \
             quieter machine"
        ),
    })
}

/// The "slow first run" hint: the first timed run is an outlier and the slowest of all,
/// which is what cold caches look like.
pub fn slow_first_run(command: usize, name: &str, wall_nanos: &[f64]) -> Option<Warning> {
    let (&first, rest) = wall_nanos.split_first()?;
    let first_is_outlier = modified_z_scores(wall_nanos)
        .first()
        .is_some_and(|&z| z > OUTLIER_THRESHOLD);
    let slowest = rest.iter().all(|&v| first > v);
    if !first_is_outlier || !slowest {
        return None;
    }
    let rest_median = median_sorted(&sorted(rest))?;
    Some(Warning {
        kind: WarningKind::SlowFirstRun,
        command: Some(command),
        message: format!(
            "the first run of `{name}` took {}, against a median of {} for the others: \
             caches (page cache, disk, JIT) were probably cold for it. Consider --warmup to \
             fill them before timing, or a --prepare command that clears them before every \
             run so that all runs are alike",
            format_nanos(first),
            format_nanos(rest_median),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modified_z_scores_match_a_hand_computation() {
        // median 12.15, MAD 0.2 (see stats tests): z(30.2) = 0.6745 · 18.05 / 0.2
        let data = [12.1, 11.8, 12.4, 12.0, 30.2, 11.9, 12.2, 12.3];
        let z = modified_z_scores(&data);
        assert!((z[4] - 60.873625).abs() < 1e-6, "{}", z[4]);
        assert!((z[1] + 1.180375).abs() < 1e-6, "{}", z[1]);
        assert_eq!(outlier_indices(&data), vec![4]);
    }

    #[test]
    fn falls_back_to_the_mean_absolute_deviation_when_mad_is_zero() {
        // Six identical runs and two slow ones: MAD = 0, mean |dev| = (10 + 1) / 8 = 1.375,
        // scale = 1.253314 · 1.375; z(20) = 10 / 1.72330675 = 5.8027…, z(11) = 0.58027…
        let data = [10.0, 10.0, 10.0, 20.0, 10.0, 11.0, 10.0, 10.0];
        let z = modified_z_scores(&data);
        assert!((z[3] - 5.802797).abs() < 1e-6, "{}", z[3]);
        assert_eq!(outlier_indices(&data), vec![3]);
        assert_eq!(outlier_indices(&[5.0; 10]), Vec::<usize>::new());
        assert_eq!(modified_z_scores(&[]), Vec::<f64>::new());
    }

    #[test]
    fn warning_text_counts_and_explains() {
        let warning = outlier_warning(0, "x", 3, 50).unwrap();
        assert_eq!(
            warning.message,
            "3 of 50 runs of `x` are outliers (more than 3.5 robust standard deviations, \
             1.4826 MADs each, from the median); they are kept in every statistic. This can be \
             interference from other processes or caching: consider --warmup or a quieter \
             machine"
        );
        assert!(outlier_warning(0, "x", 1, 10)
            .unwrap()
            .message
            .starts_with("1 of 10 runs of `x` is an outlier"));
        assert_eq!(outlier_warning(0, "x", 0, 10), None);
    }

    #[test]
    fn slow_first_run_needs_an_outlier_that_is_the_slowest() {
        let ms = |v: &[f64]| v.iter().map(|x| x * 1e6).collect::<Vec<_>>();
        let cold = ms(&[45.0, 12.1, 11.8, 12.4, 12.0, 11.9, 12.2, 12.3]);
        let hint = slow_first_run(2, "parse", &cold).unwrap();
        assert_eq!(hint.command, Some(2));
        assert!(
            hint.message
                .starts_with("the first run of `parse` took 45ms, against a median of 12.1ms"),
            "{}",
            hint.message
        );
        // An outlier later on is not a cold start.
        assert_eq!(
            slow_first_run(0, "x", &ms(&[12.1, 45.0, 11.8, 12.4, 12.0])),
            None
        );
        // Slowest but not an outlier.
        assert_eq!(
            slow_first_run(0, "x", &ms(&[12.6, 12.1, 11.8, 12.4, 12.0])),
            None
        );
        assert_eq!(slow_first_run(0, "x", &[]), None);
    }
}
