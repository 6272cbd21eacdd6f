//! Interleaved before/after runs, judged pair by pair.
//!
//! When the version before a change and the version after it can both be started, running
//! them in alternation — A B A B … — puts each pair side by side in time: whatever the
//! machine does over minutes (another job on the other core, the CPU's clock, thermal
//! throttling) moves both runs of a pair alike, and the pair's difference cancels it. The
//! rounds' differences `d₁ … dₙ` are then independent draws of the change itself, and the
//! paired Student-t interval `d̄ ± t₍n−1, 1−α/2₎ · s_d / √n` (the paired t-test: Student
//! 1908; NIST/SEMATECH e-Handbook §7.3.1; `scipy.stats.ttest_rel`) judges it. A relative
//! change is judged on the log of each pair's ratio, `dᵢ = ln(bᵢ / aᵢ)`, so that a halving and
//! a doubling are symmetric, and reported back as `exp(·) − 1`.
//!
//! The reference values in the tests are the paired t-test's (`scipy.stats.ttest_rel`),
//! computed independently by numerical integration of Student's density.

use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::bootstrap::Interval;
use crate::quantile::{mean, std_dev};

/// The change from `a` to `b` over interleaved rounds.
#[derive(Debug, Clone, PartialEq)]
pub struct Paired {
    /// How many rounds (pairs), `n`.
    pub rounds: usize,
    /// The change: `b − a` in the values' unit ([`paired_difference`]), or `b / a − 1`
    /// ([`paired_ratio`]), with its interval.
    pub change: Interval,
    /// Standard deviation of the rounds' differences (of their log ratios for a ratio): how
    /// much the change itself varied from round to round.
    pub spread: f64,
    /// Two-sided p-value of "no change".
    pub p_value: f64,
}

/// The paired Student-t over the rounds' differences `dᵢ`; `None` when it cannot be read.
fn paired_t(d: &[f64], confidence: f64) -> Option<(Interval, f64, f64)> {
    let n = d.len();
    if n < 3 || d.iter().any(|x| !x.is_finite()) || !(confidence > 0.0 && confidence < 1.0) {
        return None;
    }
    let m = mean(d)?;
    let s = std_dev(d)?;
    if !(s > 0.0 && s.is_finite()) {
        return None;
    }
    let t = StudentsT::new(0.0, 1.0, (n - 1) as f64).ok()?;
    let se = s / (n as f64).sqrt();
    let half = t.inverse_cdf(0.5 + confidence / 2.0) * se;
    let p_value = (2.0 * t.sf((m / se).abs())).min(1.0);
    Some((
        Interval {
            estimate: m,
            lower: m - half,
            upper: m + half,
        },
        s,
        p_value,
    ))
}

/// The absolute change `b − a` over rounds `(aᵢ, bᵢ)` at `confidence` (0.95). `None` with
/// fewer than three rounds, unequal lengths, a non-finite value, or rounds whose differences
/// do not vary at all (the change's spread is unknown, not zero).
pub fn paired_difference(a: &[f64], b: &[f64], confidence: f64) -> Option<Paired> {
    if a.len() != b.len() {
        return None;
    }
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| y - x).collect();
    let (change, spread, p_value) = paired_t(&d, confidence)?;
    Some(Paired {
        rounds: d.len(),
        change,
        spread,
        p_value,
    })
}

/// The relative change `b / a − 1` over rounds `(aᵢ, bᵢ)`, judged on `ln(bᵢ / aᵢ)`. `None` as
/// for [`paired_difference`], and when a value is not above zero.
pub fn paired_ratio(a: &[f64], b: &[f64], confidence: f64) -> Option<Paired> {
    if a.len() != b.len() || a.iter().chain(b).any(|v| *v <= 0.0) {
        return None;
    }
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| (y / x).ln()).collect();
    let (log, spread, p_value) = paired_t(&d, confidence)?;
    Some(Paired {
        rounds: d.len(),
        change: Interval {
            estimate: log.estimate.exp() - 1.0,
            lower: log.lower.exp() - 1.0,
            upper: log.upper.exp() - 1.0,
        },
        spread,
        p_value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1.0)
    }

    #[test]
    fn matches_the_paired_t_test() {
        // d = [0.5, 0.1, 0.9, 0.2, 0.6]: mean 0.46, s = 0.3209361307176243, t = 3.2049718657;
        // the two-sided p-value (what scipy.stats.ttest_rel(b, a) gives) 0.0327453059 and
        // t(0.975, 4) = 2.7764451052 (scipy's t.ppf, as in `runs`), so the interval is
        // [0.0615051608, 0.8584948392]: computed by Simpson integration of Student's density
        // (N = 200000, Python's math module), not by this crate.
        let a = [1.0, 2.0, 3.0, 4.0, 5.0];
        let b = [1.5, 2.1, 3.9, 4.2, 5.6];
        let r = paired_difference(&a, &b, 0.95).unwrap();
        assert_eq!(r.rounds, 5);
        assert!(close(r.change.estimate, 0.46));
        assert!(close(r.spread, 0.320_936_130_717_624_3));
        assert!((r.change.lower - 0.061_505_160_765_107_37).abs() < 1e-9);
        assert!((r.change.upper - 0.858_494_839_234_892_6).abs() < 1e-9);
        assert!(
            (r.p_value - 0.032_745_305_930_646_51).abs() < 1e-8,
            "{}",
            r.p_value
        );
    }

    #[test]
    fn a_ratio_is_judged_on_its_logarithm() {
        // Each round 10 % faster, give or take: the log ratios' t-interval mapped back.
        let a = [100.0, 104.0, 98.0, 101.0, 103.0];
        let b = [90.0, 94.5, 88.0, 91.5, 92.0];
        let r = paired_ratio(&a, &b, 0.95).unwrap();
        let logs: Vec<f64> = a
            .iter()
            .zip(&b)
            .map(|(x, y): (&f64, &f64)| (y / x).ln())
            .collect();
        let m = logs.iter().sum::<f64>() / 5.0;
        assert!(close(r.change.estimate, m.exp() - 1.0));
        assert!(
            r.change.upper < 0.0 && r.change.lower > -0.2,
            "{:?}",
            r.change
        );
        assert!(r.p_value < 0.001);
        // Drift that moves both arms alike is cancelled: the same change on a slower machine.
        let slow: Vec<f64> = a.iter().map(|v| v * 1.3).collect();
        let slow_b: Vec<f64> = b.iter().map(|v| v * 1.3).collect();
        let drifted = paired_ratio(&slow, &slow_b, 0.95).unwrap();
        assert!((drifted.change.estimate - r.change.estimate).abs() < 1e-12);
    }

    #[test]
    fn no_change_is_not_significant_and_what_cannot_be_judged_is_refused() {
        let r = paired_ratio(&[10.0, 11.0, 9.0, 10.5], &[10.1, 10.9, 9.05, 10.45], 0.95).unwrap();
        assert!(r.p_value > 0.5 && r.change.contains(0.0), "{r:?}");
        assert!(
            paired_ratio(&[1.0, 2.0], &[1.0, 2.0], 0.95).is_none(),
            "two rounds"
        );
        assert!(paired_ratio(&[1.0, 2.0, 0.0], &[1.0, 2.0, 3.0], 0.95).is_none());
        assert!(
            paired_difference(&[1.0, 2.0, 3.0], &[2.0, 3.0, 4.0], 0.95).is_none(),
            "no spread"
        );
        assert!(paired_difference(&[1.0, 2.0, 3.0], &[1.0, 2.0], 0.95).is_none());
    }
}
