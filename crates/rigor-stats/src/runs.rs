//! A candidate run against the spread between earlier runs of the same thing.
//!
//! Within one run, the samples (bench runs, one-second windows) say how precisely that run
//! measured; they say nothing of how much the next invocation on the same machine will differ
//! (another process on the other core, the CPU's clock, a cold page cache). Across separate
//! invocations that drift is often larger than the within-run interval, and a verdict from
//! within-run intervals alone calls it a regression. With several earlier runs of the
//! baseline, their values `x₁ … x_k` (each a run's mean, median, p95 …) show the drift
//! itself: a new run's value `y` of the same code is `N(μ, σ²)` as they are, so
//! `y − x̄ ~ σ·√(1 + 1/k)·t₍k−1₎` and the shift `y − μ` has the Student-t interval
//! `y − x̄ ± t₍k−1, 1−α/2₎ · s · √(1 + 1/k)` (the prediction interval for a new observation,
//! e.g. NIST/SEMATECH e-Handbook §7.2.2; Hahn & Meeker, *Statistical Intervals*, §4.7).
//!
//! The reference values in the tests are scipy's (`scipy.stats.t`).

use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::bootstrap::Interval;
use crate::quantile::{mean, std_dev};

/// A candidate's value against the values of `k` earlier runs.
#[derive(Debug, Clone, PartialEq)]
pub struct BetweenRuns {
    /// Mean of the earlier runs' values, `x̄`.
    pub center: f64,
    /// Their sample standard deviation, `s`: the spread between runs.
    pub spread: f64,
    /// How many earlier runs, `k`.
    pub runs: usize,
    /// The shift `y − μ` (in the values' unit) with its interval.
    pub shift: Interval,
    /// Two-sided p-value of "the candidate is another run of the same code".
    pub p_value: f64,
}

/// Judges `candidate` against the values of earlier runs at `confidence` (0.95). `None` with
/// fewer than three runs, a non-finite value, or runs that do not vary at all (the spread
/// between runs is unknown, not zero).
pub fn between_runs(history: &[f64], candidate: f64, confidence: f64) -> Option<BetweenRuns> {
    let k = history.len();
    if k < 3 || !candidate.is_finite() || history.iter().any(|x| !x.is_finite()) {
        return None;
    }
    if !(confidence > 0.0 && confidence < 1.0) {
        return None;
    }
    let center = mean(history)?;
    let spread = std_dev(history)?;
    if spread <= 0.0 || !spread.is_finite() {
        return None;
    }
    let t = StudentsT::new(0.0, 1.0, (k - 1) as f64).ok()?;
    let scale = spread * (1.0 + 1.0 / k as f64).sqrt();
    let half = t.inverse_cdf(0.5 + confidence / 2.0) * scale;
    let estimate = candidate - center;
    let p_value = (2.0 * t.sf((estimate / scale).abs())).min(1.0);
    Some(BetweenRuns {
        center,
        spread,
        runs: k,
        shift: Interval {
            estimate,
            lower: estimate - half,
            upper: estimate + half,
        },
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
    fn matches_scipy() {
        // numpy/scipy: m = 10.12, s = std(ddof=1) = 0.23874672772626646,
        // t.ppf(0.975, 4) = 2.7764451051977934, half = 0.7261346181507201,
        // p = 2 * t.sf(|11.2 - m| / (s * sqrt(1.2)), 4) = 0.0145.
        let r = between_runs(&[10.0, 10.4, 9.8, 10.1, 10.3], 11.2, 0.95).unwrap();
        assert!(close(r.center, 10.12));
        assert!(close(r.spread, 0.238_746_727_726_266_46));
        assert!(close(r.shift.estimate, 1.08));
        assert!(close(
            r.shift.upper - r.shift.estimate,
            0.726_134_618_150_720_1
        ));
        assert!((r.p_value - 0.0145).abs() < 1e-6, "{}", r.p_value);
        assert_eq!(r.runs, 5);
    }

    #[test]
    fn a_run_like_the_others_is_not_significant() {
        let r = between_runs(&[10.0, 10.4, 9.8, 10.1, 10.3], 10.15, 0.95).unwrap();
        assert!(r.p_value > 0.5);
        assert!(r.shift.contains(0.0));
    }

    #[test]
    fn refuses_what_it_cannot_judge() {
        assert!(
            between_runs(&[1.0, 2.0], 3.0, 0.95).is_none(),
            "too few runs"
        );
        assert!(
            between_runs(&[5.0, 5.0, 5.0], 6.0, 0.95).is_none(),
            "no spread"
        );
        assert!(between_runs(&[1.0, f64::NAN, 2.0], 3.0, 0.95).is_none());
        assert!(between_runs(&[1.0, 2.0, 3.0], f64::INFINITY, 0.95).is_none());
        assert!(between_runs(&[1.0, 2.0, 3.0], 2.0, 1.0).is_none());
    }
}
