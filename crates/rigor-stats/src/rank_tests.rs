//! Mann–Whitney U and Hodges–Lehmann against scipy 1.17.1 and an independent enumeration.

use super::*;

fn close(actual: f64, expected: f64, tol: f64) {
    assert!(
        (actual - expected).abs() <= tol * expected.abs().max(1e-300),
        "actual {actual:e}, expected {expected:e}"
    );
}

const XA: [f64; 7] = [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55];
#[allow(clippy::approx_constant)] // 3.14 is an observation, not π
const YA: [f64; 9] = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.11, 3.14, 1.27];

// Rounded draws of numpy.random.default_rng(42): normal(10, 2, 25) and normal(11.5, 2, 30),
// no ties.
const XB: [f64; 25] = [
    10.6094, 7.92, 11.5009, 11.8811, 6.0979, 7.3956, 10.2557, 9.3675, 9.9664, 8.2939, 11.7588,
    11.5556, 10.1321, 12.2545, 10.935, 8.2814, 10.7375, 8.0822, 11.7569, 9.9001, 9.6303, 8.6381,
    12.4451, 9.6909, 9.1433,
];
const YB: [f64; 30] = [
    10.7957, 12.5646, 12.2309, 12.3255, 12.3616, 15.7833, 10.6872, 10.4755, 9.8725, 12.732,
    13.7579, 11.2721, 9.8197, 9.851, 12.8012, 12.9865, 12.5863, 10.169, 11.9643, 11.7334, 11.9374,
    13.2429, 11.9472, 12.8578, 11.6352, 12.0782, 12.7626, 8.5857, 10.8607, 10.5593,
];

// Small integer samples with many ties.
const XC: [f64; 12] = [3.0, 4.0, 2.0, 6.0, 2.0, 5.0, 4.0, 4.0, 3.0, 7.0, 5.0, 3.0];
const YC: [f64; 15] = [
    5.0, 6.0, 7.0, 4.0, 8.0, 5.0, 6.0, 9.0, 6.0, 7.0, 5.0, 4.0, 8.0, 6.0, 3.0,
];

fn sample_d() -> (Vec<f64>, Vec<f64>) {
    // Python: [float((i*7) % 50) for i in range(200)], [float((i*11) % 53 + 2) for i in range(180)]
    let x = (0..200u32).map(|i| f64::from((i * 7) % 50)).collect();
    let y = (0..180u32).map(|i| f64::from((i * 11) % 53 + 2)).collect();
    (x, y)
}

#[test]
fn exact_small_without_ties_matches_scipy() {
    // scipy.stats.mannwhitneyu(XA, YA, method='exact', alternative=...)
    for (alternative, p) in [
        (Alternative::TwoSided, 0.252_272_727_272_727_3),
        (Alternative::Greater, 0.126_136_363_636_363_66),
        (Alternative::Less, 0.894_755_244_755_244_7),
    ] {
        let r = mann_whitney_u(&XA, &YA, alternative, MannWhitneyMethod::Exact).unwrap();
        assert_eq!(r.u, 43.0);
        assert_eq!(r.z, None);
        close(r.p_value, p, 1e-12);
        // Auto picks exact here too.
        let auto = mann_whitney_u(&XA, &YA, alternative, MannWhitneyMethod::Auto).unwrap();
        assert_eq!(auto.method, MannWhitneyMethod::Exact);
        close(auto.p_value, p, 1e-12);
    }
}

#[test]
fn exact_moderate_without_ties_matches_scipy() {
    // scipy.stats.mannwhitneyu(XB, YB, method='exact', alternative=...)
    for (alternative, p) in [
        (Alternative::TwoSided, 5.933_857_159_749_911e-5),
        (Alternative::Greater, 0.999_972_696_141_023_6),
        (Alternative::Less, 2.966_928_579_874_955_5e-5),
    ] {
        let r = mann_whitney_u(&XB, &YB, alternative, MannWhitneyMethod::Auto).unwrap();
        assert_eq!(r.method, MannWhitneyMethod::Exact);
        assert_eq!(r.u, 146.0);
        close(r.p_value, p, 1e-10);
    }
    // scipy.stats.mannwhitneyu(XB, YB, method='asymptotic', use_continuity=True)
    let r = mann_whitney_u(
        &XB,
        &YB,
        Alternative::TwoSided,
        MannWhitneyMethod::Asymptotic,
    )
    .unwrap();
    close(r.p_value, 1.122_992_456_371_811_7e-4, 1e-10);
}

#[test]
fn asymptotic_with_ties_matches_scipy() {
    // scipy.stats.mannwhitneyu(XC, YC, method='asymptotic', use_continuity=True, alternative=...)
    for (alternative, p) in [
        (Alternative::TwoSided, 0.007_675_138_601_727_631),
        (Alternative::Greater, 0.996_690_286_026_221_8),
        (Alternative::Less, 0.003_837_569_300_863_815_5),
    ] {
        let r = mann_whitney_u(&XC, &YC, alternative, MannWhitneyMethod::Auto).unwrap();
        assert_eq!(
            r.method,
            MannWhitneyMethod::Asymptotic,
            "ties force the approximation"
        );
        assert_eq!(r.u, 35.5);
        close(r.p_value, p, 1e-10);
    }
    // scipy.stats.norm.isf(p_two_sided / 2): the magnitude of the corrected z.
    let r = mann_whitney_u(&XC, &YC, Alternative::TwoSided, MannWhitneyMethod::Auto).unwrap();
    close(r.z.unwrap(), -2.666_036_383_847_752_3, 1e-10);
    // scipy.stats.mannwhitneyu(XC, YC, method='exact'): scipy's (inexact) exact with ties.
    let r = mann_whitney_u(&XC, &YC, Alternative::TwoSided, MannWhitneyMethod::Exact).unwrap();
    close(r.p_value, 0.007_404_224_378_245_108, 1e-10);
}

#[test]
fn asymptotic_large_with_ties_matches_scipy() {
    let (x, y) = sample_d();
    // scipy.stats.mannwhitneyu(xd, yd, method='asymptotic', use_continuity=True, alternative=...)
    for (alternative, p) in [
        (Alternative::TwoSided, 0.039_084_461_710_972_41),
        (Alternative::Greater, 0.980_502_141_028_651_1),
        (Alternative::Less, 0.019_542_230_855_486_203),
    ] {
        let r = mann_whitney_u(&x, &y, alternative, MannWhitneyMethod::Auto).unwrap();
        assert_eq!(r.u, 15794.0);
        close(r.p_value, p, 1e-10);
    }
    let r = mann_whitney_u(&x, &y, Alternative::TwoSided, MannWhitneyMethod::Auto).unwrap();
    close(r.z.unwrap(), -2.063_296_549_436_071_5, 1e-10);
    // Effect sizes by their definitions: U/(n1 n2) and 2U/(n1 n2) − 1.
    close(r.common_language, 15794.0 / 36000.0, 1e-15);
    close(r.rank_biserial, 2.0 * 15794.0 / 36000.0 - 1.0, 1e-15);
    assert!(mann_whitney_u(&x, &y, Alternative::TwoSided, MannWhitneyMethod::Exact).is_err());
}

#[test]
fn swapping_samples_mirrors_the_test() {
    let forward = mann_whitney_u(&XB, &YB, Alternative::Less, MannWhitneyMethod::Auto).unwrap();
    let backward = mann_whitney_u(&YB, &XB, Alternative::Greater, MannWhitneyMethod::Auto).unwrap();
    close(forward.p_value, backward.p_value, 1e-12);
    close(forward.rank_biserial, -backward.rank_biserial, 1e-12);
    assert_eq!(forward.u + backward.u, (XB.len() * YB.len()) as f64);
}

#[test]
fn degenerate_inputs() {
    let same = [1.0; 5];
    let r = mann_whitney_u(&same, &same, Alternative::TwoSided, MannWhitneyMethod::Auto).unwrap();
    assert_eq!(r.p_value, 1.0);
    assert_eq!(r.z, Some(0.0));
    assert!(matches!(
        mann_whitney_u(&[], &same, Alternative::TwoSided, MannWhitneyMethod::Auto),
        Err(StatsError::EmptySample { which: "first" })
    ));
    assert!(mann_whitney_u(
        &[f64::NAN],
        &same,
        Alternative::TwoSided,
        MannWhitneyMethod::Auto
    )
    .is_err());
}

#[test]
fn exact_distribution_counts_are_the_gaussian_binomial() {
    // [5 choose 2]_q = 1 + q + 2q² + 2q³ + 2q⁴ + q⁵ + q⁶ (ten arrangements).
    let d = UDistribution::new(2, 3);
    assert_eq!(d.counts, vec![1, 1, 2, 2, 2, 1, 1]);
    // Symmetric and summing to C(100, 50) at the limit.
    let d = UDistribution::new(EXACT_LIMIT, EXACT_LIMIT);
    let n = d.counts.len();
    assert!((0..n).all(|k| d.counts[k] == d.counts[n - 1 - k]));
    assert_eq!(
        d.counts.iter().sum::<i128>(),
        100_891_344_545_564_193_334_812_497_256
    );
}

#[test]
fn hodges_lehmann_matches_reference() {
    // numpy.median(numpy.subtract.outer(YA, XA)); the interval's k from the null distribution
    // of U enumerated over all C(16, 7) rank sets (itertools.combinations), as R's
    // wilcox.test(conf.int=TRUE) picks it: k = 13 at 95 %, 16 at 90 %.
    let hl = hodges_lehmann(&XA, &YA, 0.95).unwrap();
    close(hl.estimate, -0.56, 1e-12);
    close(hl.lower, -1.033, 1e-12);
    close(hl.upper, 0.5, 1e-12);
    let hl = hodges_lehmann(&XA, &YA, 0.90).unwrap();
    close(hl.lower, -0.973, 1e-12);
    close(hl.upper, 0.37, 1e-12);
}

#[test]
fn hodges_lehmann_finds_a_known_shift() {
    let (x, _) = sample_d();
    let y: Vec<f64> = x.iter().map(|v| v + 3.0).collect();
    let hl = hodges_lehmann(&x, &y, 0.95).unwrap();
    assert_eq!(hl.estimate, 3.0);
    assert!(hl.lower <= 3.0 && 3.0 <= hl.upper && hl.lower > -3.0);
}
