//! Error rates: the Wilson score interval for one proportion, the pooled two-proportion
//! z-test, and Newcombe's interval for the difference of two proportions.
//!
//! Why these: the textbook (Wald) interval p̂ ± z·√(p̂(1 − p̂)/n) collapses to [0, 0] for a
//! run with no errors and undercovers badly for the small rates rigor sees (0.1 %); Wilson's
//! interval keeps close to nominal coverage there (Brown, Cai & DasGupta 2001, Statist. Sci.
//! 16(2)). Newcombe's "method 10", built from the two Wilson intervals, inherits that
//! behaviour for the difference (Newcombe 1998, Statist. Med. 17(8)).
//!
//! For a verdict on an error rate, feed the **difference** interval (in absolute points) to
//! [`crate::verdict`] with an absolute noise band: a relative change is undefined when the
//! baseline had no errors.

use crate::bootstrap::Interval;
use crate::distribution::{normal_cdf, normal_quantile, normal_sf};
use crate::StatsError;

/// A proportion (say, failed requests over requests) with its Wilson interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Proportion {
    /// Events counted (errors).
    pub successes: u64,
    /// Trials (requests).
    pub trials: u64,
    /// successes / trials.
    pub estimate: f64,
    /// Lower Wilson limit.
    pub lower: f64,
    /// Upper Wilson limit.
    pub upper: f64,
}

/// The Wilson score interval (Wilson 1927, JASA 22(158)) at the given confidence:
/// (p̂ + z²/2n ± z·√(p̂(1 − p̂)/n + z²/4n²)) / (1 + z²/n), z = Φ⁻¹(1 − α/2); as
/// statsmodels' `proportion_confint(method='wilson')`.
pub fn wilson_interval(
    successes: u64,
    trials: u64,
    confidence: f64,
) -> Result<Proportion, StatsError> {
    StatsError::check_probability_open("confidence", confidence)?;
    if trials == 0 {
        return Err(StatsError::EmptySample {
            which: "proportion",
        });
    }
    if successes > trials {
        return Err(StatsError::OutOfRange {
            name: "successes",
            expected: "at most the number of trials",
            value: successes as f64,
        });
    }
    let n = trials as f64;
    let p = successes as f64 / n;
    let z = normal_quantile(1.0 - (1.0 - confidence) / 2.0);
    let z2 = z * z;
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denominator;
    Ok(Proportion {
        successes,
        trials,
        estimate: p,
        lower: (centre - half).max(0.0),
        upper: (centre + half).min(1.0),
    })
}

/// The comparison of two proportions, baseline A and candidate B.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProportionComparison {
    /// A with its Wilson interval.
    pub baseline: Proportion,
    /// B with its Wilson interval.
    pub candidate: Proportion,
    /// p_B − p_A with Newcombe's hybrid score interval.
    pub difference: Interval,
    /// The pooled z statistic of p_B − p_A (0 when neither sample has any event).
    pub z: f64,
    /// Two-sided p-value of p_A = p_B.
    pub p_value: f64,
    /// One-sided p-value of p_B > p_A (the candidate has more errors).
    pub p_greater: f64,
    /// One-sided p-value of p_B < p_A.
    pub p_less: f64,
    /// The confidence level of the intervals.
    pub confidence: f64,
}

/// Compares `events_b / trials_b` (candidate) with `events_a / trials_a` (baseline).
///
/// Test: the pooled two-proportion z-test, z = (p̂_B − p̂_A)/√(p̂(1 − p̂)(1/n_A + 1/n_B)) with
/// p̂ the pooled proportion (Agresti 2013, *Categorical Data Analysis*, §3.1.3), as
/// statsmodels' `proportions_ztest` (which gives NaN where this gives z = 0, p = 1: no event
/// in either sample). It is an approximation: with fewer than about five expected events per
/// side, read the p-value as rough.
///
/// Interval of the difference: Newcombe's method 10, [d − √((p̂_B − l_B)² + (u_A − p̂_A)²),
/// d + √((u_B − p̂_B)² + (p̂_A − l_A)²)] from the Wilson limits (l, u); as statsmodels'
/// `confint_proportions_2indep(method='newcomb')`.
pub fn two_proportions(
    events_a: u64,
    trials_a: u64,
    events_b: u64,
    trials_b: u64,
    confidence: f64,
) -> Result<ProportionComparison, StatsError> {
    let a = wilson_interval(events_a, trials_a, confidence)?;
    let b = wilson_interval(events_b, trials_b, confidence)?;
    let d = b.estimate - a.estimate;
    let difference = Interval {
        estimate: d,
        lower: d - ((b.estimate - b.lower).powi(2) + (a.upper - a.estimate).powi(2)).sqrt(),
        upper: d + ((b.upper - b.estimate).powi(2) + (a.estimate - a.lower).powi(2)).sqrt(),
    };
    let (na, nb) = (trials_a as f64, trials_b as f64);
    let pooled = (events_a + events_b) as f64 / (na + nb);
    let se = (pooled * (1.0 - pooled) * (1.0 / na + 1.0 / nb)).sqrt();
    let z = if se > 0.0 { d / se } else { 0.0 };
    let (p_value, p_greater, p_less) = if se > 0.0 {
        (
            (2.0 * normal_sf(z.abs())).min(1.0),
            normal_sf(z),
            normal_cdf(z),
        )
    } else {
        (1.0, 1.0, 1.0)
    };
    Ok(ProportionComparison {
        baseline: a,
        candidate: b,
        difference,
        z,
        p_value,
        p_greater,
        p_less,
        confidence,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(actual: f64, expected: f64, tol: f64) {
        assert!(
            (actual - expected).abs() <= tol,
            "actual {actual:e}, expected {expected:e}"
        );
    }

    // statsmodels.stats.proportion.proportion_confint(count, nobs, alpha, method='wilson')
    // (statsmodels 0.15.0): (count, nobs, alpha, lower, upper).
    const WILSON: [(u64, u64, f64, f64, f64); 12] = [
        (0, 1000, 0.05, 0.0, 0.003_826_758_485_555_125),
        (0, 1000, 0.01, 0.0, 0.006_591_164_903_406_83),
        (
            3,
            1000,
            0.05,
            0.001_020_783_881_138_619_5,
            0.008_783_014_053_503_176,
        ),
        (
            3,
            1000,
            0.01,
            0.000_758_101_231_061_467_4,
            0.011_793_516_682_924_922,
        ),
        (
            12,
            1000,
            0.05,
            0.006_877_647_806_403_521,
            0.020_857_268_475_498_28,
        ),
        (
            12,
            1000,
            0.01,
            0.005_809_541_614_776_804,
            0.024_623_435_330_948_26,
        ),
        (
            50,
            200,
            0.05,
            0.195_081_680_068_174_95,
            0.314_340_983_120_458_33,
        ),
        (
            50,
            200,
            0.01,
            0.180_021_377_813_906_6,
            0.336_033_259_399_264_87,
        ),
        (7, 7, 0.05, 0.645_669_564_933_312_5, 1.0),
        (7, 7, 0.01, 0.513_388_565_005_745_7, 1.0),
        (
            1,
            10,
            0.05,
            0.017_876_213_095_072_924,
            0.404_150_026_795_238_54,
        ),
        (
            1,
            10,
            0.01,
            0.011_851_503_411_032_971,
            0.507_231_771_232_893_5,
        ),
    ];

    #[test]
    fn wilson_matches_statsmodels() {
        for (count, nobs, alpha, lower, upper) in WILSON {
            let w = wilson_interval(count, nobs, 1.0 - alpha).unwrap();
            close(w.lower, lower, 1e-14);
            close(w.upper, upper, 1e-14);
            assert_eq!(w.estimate, count as f64 / nobs as f64);
        }
    }

    // (errors_a, n_a, errors_b, n_b, z, two-sided p, p larger, p smaller, newcomb lower, upper)
    // from statsmodels: proportions_ztest([errors_b, errors_a], [n_b, n_a], alternative=...)
    // and confint_proportions_2indep(errors_b, n_b, errors_a, n_a, method='newcomb',
    // compare='diff', alpha=0.05).
    #[allow(clippy::type_complexity)]
    const TWO: [(u64, u64, u64, u64, f64, f64, f64, f64, f64, f64); 4] = [
        (
            12,
            1000,
            25,
            1000,
            2.157_234_406_085_568_6,
            0.030_987_404_928_045,
            0.015_493_702_464_022_5,
            0.984_506_297_535_977_5,
            0.001_058_090_540_308_059_8,
            0.025_722_077_429_688_486,
        ),
        (
            3,
            5000,
            9,
            4000,
            2.131_562_355_981_307_3,
            0.033_042_841_161_194_49,
            0.016_521_420_580_597_246,
            0.983_478_579_419_402_8,
            7.272_184_803_327_618e-5,
            0.003_709_340_086_166_606,
        ),
        (
            40,
            200,
            30,
            210,
            -1.537_057_259_183_015_6,
            0.124_279_288_204_365_1,
            0.937_860_355_897_817_5,
            0.062_139_644_102_182_55,
            -0.130_477_343_367_474_24,
            0.015_962_656_381_134_435,
        ),
        (
            0,
            1000,
            5,
            1000,
            2.238_868_314_198_225,
            0.025_164_485_700_318_536,
            0.012_582_242_850_159_268,
            0.987_417_757_149_840_7,
            0.000_221_110_655_801_098_38,
            0.011_650_955_373_375_117,
        ),
    ];

    #[test]
    fn two_proportions_match_statsmodels() {
        for (ea, na, eb, nb, z, p, p_larger, p_smaller, lower, upper) in TWO {
            let c = two_proportions(ea, na, eb, nb, 0.95).unwrap();
            close(c.z, z, 1e-12);
            close(c.p_value, p, 1e-13);
            close(c.p_greater, p_larger, 1e-13);
            close(c.p_less, p_smaller, 1e-13);
            close(c.difference.lower, lower, 1e-14);
            close(c.difference.upper, upper, 1e-14);
            // Swapping A and B negates the difference and its interval.
            let s = two_proportions(eb, nb, ea, na, 0.95).unwrap();
            close(s.difference.lower, -upper, 1e-14);
            close(s.difference.upper, -lower, 1e-14);
            close(s.z, -z, 1e-12);
        }
    }

    #[test]
    fn no_errors_anywhere_is_no_evidence() {
        let c = two_proportions(0, 1000, 0, 500, 0.95).unwrap();
        assert_eq!((c.z, c.p_value), (0.0, 1.0));
        assert!(c.difference.lower < 0.0 && c.difference.upper > 0.0);
        assert!(wilson_interval(1, 0, 0.95).is_err());
        assert!(wilson_interval(5, 4, 0.95).is_err());
        assert!(wilson_interval(1, 4, 1.0).is_err());
    }
}
