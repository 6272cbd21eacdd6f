//! Statistics of one command's runs and of several commands against each other. Pure
//! functions, no I/O. The generic pieces (mean, standard deviation, median, MAD, the median
//! interval's ranks, the ratio's uncertainty) are `rigor-stats`'; this module applies them to
//! runs and fills in the result types of [`rigor_model::output::bench`].
//!
//! The median's confidence interval is distribution-free (no normality assumed, which
//! timings rarely satisfy): for a sorted sample `x(1) ≤ … ≤ x(n)`, the interval
//! `[x(j), x(n+1-j)]` contains the population median with probability
//! `1 − 2·P(B ≤ j−1)` where `B ~ Binomial(n, ½)` (each run falls below the median with
//! probability ½). We take the largest `j` whose coverage is still at least 95 %, and report
//! the coverage actually achieved; below 6 runs no pair of order statistics reaches 95 %, and
//! there is no interval.

use std::time::Duration;

pub use rigor_model::output::bench::{MedianCi, Relative, Summary};

use crate::executor::Measurement;

/// The confidence level of [`MedianCi`].
pub const MEDIAN_CI_LEVEL: f64 = 0.95;

// The generic statistics are rigor-stats'; kept under the names this crate has always used.
// `median_abs_deviation` is unscaled (the median of |x − median|); `std_dev` divides by n − 1.
pub use rigor_stats::median_abs_deviation as mad;
pub use rigor_stats::std_dev as sample_stddev;
pub use rigor_stats::{mean, median, median_ci_ranks, ratio_with_uncertainty};

/// The median of an already sorted slice (mean of the two middle values for an even count).
pub fn median_sorted(sorted: &[f64]) -> Option<f64> {
    rigor_stats::quantile_sorted(sorted, 0.5)
}

/// A sorted copy (NaN-free input assumed; NaNs sort last).
pub fn sorted(values: &[f64]) -> Vec<f64> {
    let mut copy = values.to_vec();
    copy.sort_by(f64::total_cmp);
    copy
}

fn duration(nanos: f64) -> Duration {
    Duration::from_nanos(nanos.max(0.0).round() as u64)
}

/// Statistics of these runs; `None` when there are none.
pub fn summarize(runs: &[Measurement]) -> Option<Summary> {
    let nanos = |f: fn(&Measurement) -> Duration| -> Vec<f64> {
        runs.iter().map(|m| f(m).as_nanos() as f64).collect()
    };
    let wall = sorted(&nanos(|m| m.wall));
    let n = wall.len();
    let median_ci = median_ci_ranks(n, MEDIAN_CI_LEVEL).map(|(j, k, confidence)| MedianCi {
        lower: duration(wall[j - 1]),
        upper: duration(wall[k - 1]),
        lower_rank: j,
        upper_rank: k,
        confidence,
    });
    let rss: Vec<f64> = runs.iter().map(|m| m.peak_rss as f64).collect();
    Some(Summary {
        count: n as u64,
        mean: duration(mean(&wall)?),
        stddev: sample_stddev(&wall).map(duration),
        median: duration(median_sorted(&wall)?),
        median_ci,
        min: duration(wall[0]),
        max: duration(wall[n - 1]),
        user_mean: duration(mean(&nanos(|m| m.user))?),
        system_mean: duration(mean(&nanos(|m| m.system))?),
        peak_rss_max_bytes: runs.iter().map(|m| m.peak_rss).max().unwrap_or(0),
        peak_rss_median_bytes: median(&rss)?.round() as u64,
    })
}

/// The mean and standard deviation in nanoseconds, for ratios.
fn mean_and_stddev(summary: &Summary) -> (f64, Option<f64>) {
    (
        summary.mean.as_nanos() as f64,
        summary.stddev.map(|s| s.as_nanos() as f64),
    )
}

/// Each command's speed relative to the fastest (smallest mean); `None` entries for commands
/// without statistics, and all `None` unless at least two commands have statistics.
pub fn relative_speeds(summaries: &[Option<&Summary>]) -> Vec<Option<Relative>> {
    let with_stats = summaries.iter().filter(|s| s.is_some()).count();
    let fastest = summaries
        .iter()
        .enumerate()
        .filter_map(|(i, s)| s.map(|s| (i, s.mean)))
        .min_by_key(|&(_, mean)| mean)
        .map(|(i, _)| i);
    let (Some(fastest), true) = (fastest, with_stats >= 2) else {
        return vec![None; summaries.len()];
    };
    let (ref_mean, ref_sd) = summaries[fastest].map(mean_and_stddev).unwrap_or_default();
    summaries
        .iter()
        .enumerate()
        .map(|(i, summary)| {
            let summary = (*summary)?;
            if i == fastest {
                return Some(Relative {
                    ratio: 1.0,
                    stddev: None,
                    fastest: true,
                });
            }
            let (m, sd) = mean_and_stddev(summary);
            let (ratio, stddev) = ratio_with_uncertainty(m, sd, ref_mean, ref_sd)?;
            Some(Relative {
                ratio,
                stddev,
                fastest: false,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reference values from Python 3.11's `statistics` module:
    //   data = [12.1, 11.8, 12.4, 12.0, 30.2, 11.9, 12.2, 12.3]
    //   statistics.mean(data)   -> 14.3625
    //   statistics.stdev(data)  -> 6.4024409407662635
    //   statistics.median(data) -> 12.149999999999999
    const DATA: [f64; 8] = [12.1, 11.8, 12.4, 12.0, 30.2, 11.9, 12.2, 12.3];

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1.0)
    }

    #[test]
    fn mean_stddev_median_match_python_statistics() {
        assert!(close(mean(&DATA).unwrap(), 14.3625));
        assert!(close(sample_stddev(&DATA).unwrap(), 6.4024409407662635));
        assert!(close(median(&DATA).unwrap(), 12.15));
        assert!(close(median(&DATA[..7]).unwrap(), 12.1));
        // statistics.median([abs(x - 12.15) for x in DATA]) -> 0.20000000000000018
        assert!(close(mad(&DATA).unwrap(), 0.2));
        assert_eq!(mean(&[]), None);
        assert_eq!(sample_stddev(&[1.0]), None);
    }

    #[test]
    fn median_ci_ranks_match_the_binomial_table() {
        // From math.comb in Python: the largest j with 1 - 2*P(B <= j-1) >= 0.95.
        type Ranks = Option<(usize, usize, f64)>;
        let table: &[(usize, Ranks)] = &[
            (5, None),
            (6, Some((1, 6, 0.96875))),
            (9, Some((2, 8, 0.9609375))),
            (10, Some((2, 9, 0.978515625))),
            (20, Some((6, 15, 0.9586105346679688))),
            (30, Some((10, 21, 0.9572260547429323))),
            (50, Some((18, 33, 0.9671608624357315))),
            (100, Some((40, 61, 0.9647997997822952))),
            (1000, Some((469, 532, 0.9537088026395019))),
        ];
        for &(n, want) in table {
            let got = median_ci_ranks(n, MEDIAN_CI_LEVEL);
            match (got, want) {
                (None, None) => {}
                (Some((j, k, c)), Some((wj, wk, wc))) => {
                    assert_eq!((j, k), (wj, wk), "ranks for n = {n}");
                    assert!((c - wc).abs() < 1e-9, "coverage for n = {n}: {c} vs {wc}");
                }
                _ => panic!("n = {n}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn ratio_uncertainty_by_error_propagation() {
        // 30 ± 3 against 10 ± 1: ratio 3, σ = 3 · sqrt(0.1² + 0.1²) = 0.42426406871192857
        let (ratio, sd) = ratio_with_uncertainty(30.0, Some(3.0), 10.0, Some(1.0)).unwrap();
        assert!(close(ratio, 3.0));
        assert!(close(sd.unwrap(), 0.42426406871192857));
        assert_eq!(ratio_with_uncertainty(1.0, None, 0.0, None), None);
        assert_eq!(
            ratio_with_uncertainty(2.0, None, 1.0, Some(0.1)),
            Some((2.0, None))
        );
    }

    fn run(wall_ms: f64, rss: u64) -> Measurement {
        Measurement {
            peak_rss: rss,
            user: Duration::from_millis(2),
            system: Duration::from_millis(1),
            ..Measurement::from_wall(Duration::from_micros((wall_ms * 1e3).round() as u64))
        }
    }

    #[test]
    fn summary_of_runs() {
        let runs: Vec<Measurement> = DATA
            .iter()
            .zip([10, 30, 20, 40, 50, 60, 70, 80])
            .map(|(&ms, rss)| run(ms, rss))
            .collect();
        let s = summarize(&runs).unwrap();
        assert_eq!(s.count, 8);
        assert_eq!(s.mean, Duration::from_nanos(14_362_500));
        assert_eq!(s.stddev, Some(Duration::from_nanos(6_402_441)));
        assert_eq!(s.median, Duration::from_nanos(12_150_000));
        assert_eq!(s.min, Duration::from_micros(11_800));
        assert_eq!(s.max, Duration::from_micros(30_200));
        assert_eq!(s.user_mean, Duration::from_millis(2));
        assert_eq!(s.system_mean, Duration::from_millis(1));
        assert_eq!(s.peak_rss_max_bytes, 80);
        assert_eq!(s.peak_rss_median_bytes, 45);
        let ci = s.median_ci.unwrap();
        assert_eq!((ci.lower_rank, ci.upper_rank), (1, 8));
        assert_eq!(ci.lower, Duration::from_micros(11_800));
        assert_eq!(summarize(&[]), None);
    }

    #[test]
    fn relative_speeds_against_the_fastest() {
        let a = summarize(&[run(20.0, 0), run(22.0, 0), run(24.0, 0)]).unwrap();
        let b = summarize(&[run(10.0, 0), run(11.0, 0), run(12.0, 0)]).unwrap();
        let rel = relative_speeds(&[Some(&a), Some(&b), None]);
        let ra = rel[0].as_ref().unwrap();
        // Python: r = 22/11; r * math.sqrt((2/22)**2 + (1/11)**2)
        // -> 0.25712973861329 (stdev of [20,22,24] is 2, of [10,11,12] is 1)
        assert!(close(ra.ratio, 2.0));
        assert!(close(ra.stddev.unwrap(), 0.25712973861329));
        assert!(!ra.fastest);
        assert_eq!(
            rel[1],
            Some(Relative {
                ratio: 1.0,
                stddev: None,
                fastest: true
            })
        );
        assert_eq!(rel[2], None);
        assert_eq!(relative_speeds(&[Some(&a)]), vec![None]);
    }
}
