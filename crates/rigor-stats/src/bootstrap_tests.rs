//! Bootstrap tests: against the exact bootstrap distribution and scipy, then properties
//! (reproducibility, swap symmetry, A/A calibration, a known shift).

use super::*;
use crate::resample::standard_normal;
use crate::verdict::{Direction, NoiseBand, Verdict};

/// Nineteen values; their median's exact bootstrap distribution is below.
const X19: [f64; 19] = [
    12.1, 9.8, 15.3, 11.0, 10.4, 13.7, 22.9, 9.1, 10.9, 12.6, 18.4, 11.7, 10.1, 14.2, 30.5, 16.0,
    8.7, 11.3, 19.9,
];

/// P(median* ≤ x₍ⱼ₎) for j = 1..19: the exact bootstrap distribution of the median of
/// `X19` (Maritz & Jarrett 1978): 1 − scipy.stats.binom.cdf(9, 19, j/19).
const EXACT_MEDIAN_CDF: [f64; 19] = [
    9.699_023_584_275_324e-9,
    6.261_540_893_337_525e-6,
    0.000_222_569_017_874_429_95,
    0.002_377_694_078_915_970_6,
    0.012_977_360_247_227_177,
    0.045_790_056_291_866_055,
    0.118_351_217_729_681_27,
    0.241_407_026_556_566_65,
    0.408_030_262_976_873_84,
    0.591_969_737_023_126_2,
    0.758_592_973_443_433_3,
    0.881_648_782_270_318_5,
    0.954_209_943_708_134,
    0.987_022_639_752_772_8,
    0.997_622_305_921_084,
    0.999_777_430_982_125_6,
    0.999_993_738_459_106_7,
    0.999_999_990_300_976_4,
    1.0,
];

#[test]
fn median_replicates_follow_the_exact_bootstrap_distribution() {
    let resampler = Resampler::new(&Sample::Values(&X19), Statistic::MEDIAN, "sample").unwrap();
    let mut rng = Rng::with_seed(3);
    let reps = replicates(&resampler, &mut rng, 20_000);
    let mut sorted = X19;
    sorted.sort_unstable_by(f64::total_cmp);
    for (x, exact) in sorted.iter().zip(EXACT_MEDIAN_CDF) {
        let share = reps.iter().filter(|&&r| r <= *x).count() as f64 / reps.len() as f64;
        // Four standard errors of a proportion from 20,000 draws.
        let tolerance = 4.0 * (exact * (1.0 - exact) / 20_000.0).sqrt() + 1e-9;
        assert!(
            (share - exact).abs() <= tolerance,
            "P(median* <= {x}) = {share}, exact {exact}"
        );
    }
}

#[test]
fn percentile_interval_of_a_median_matches_exact_bootstrap_and_scipy() {
    // The exact distribution above crosses 2.5 % at x₍₆₎ = 10.9 and 97.5 % at x₍₁₄₎ = 15.3;
    // scipy.stats.bootstrap((X19,), numpy.median, method='percentile') gives (10.9, 15.3).
    let config = BootstrapConfig {
        resamples: 4_000,
        ..BootstrapConfig::default()
    };
    let ci = confidence_interval(&Sample::Values(&X19), Statistic::MEDIAN, &config).unwrap();
    assert_eq!((ci.estimate, ci.lower, ci.upper), (12.1, 10.9, 15.3));
}

#[test]
fn mean_intervals_match_scipy() {
    let y = [
        0.8, 1.1, 0.9, 3.5, 1.3, 0.7, 1.0, 2.2, 0.95, 1.6, 5.1, 1.05, 0.85, 1.2, 0.75, 2.8, 1.15,
        0.9, 1.4, 7.3,
    ];
    // scipy.stats.bootstrap((y,), numpy.mean, n_resamples=200000, method=...) with
    // random_state 1 and 2: percentile (1.2, 2.63) and (1.1975, 2.635); BCa (1.3, 2.9) and
    // (1.2975, 2.8925). The tolerance covers Monte Carlo error; BCa's upper limit differs
    // from the percentile one by ten times it.
    for (method, lower, upper, tolerance) in [
        (IntervalMethod::Percentile, 1.199, 2.633, 0.03),
        (IntervalMethod::Bca, 1.299, 2.896, 0.05),
    ] {
        let config = BootstrapConfig {
            resamples: 50_000,
            method,
            ..BootstrapConfig::default()
        };
        let ci = confidence_interval(&Sample::Values(&y), Statistic::Mean, &config).unwrap();
        assert!(
            (ci.lower - lower).abs() < tolerance,
            "{method:?} lower {}",
            ci.lower
        );
        assert!(
            (ci.upper - upper).abs() < tolerance,
            "{method:?} upper {}",
            ci.upper
        );
    }
}

/// Log-normal latencies in nanoseconds: median `median_ns`, log-sd 0.5.
fn lognormal(seed: u64, n: usize, median_ns: f64) -> Vec<f64> {
    let mut rng = Rng::with_seed(seed);
    (0..n)
        .map(|_| (median_ns * (0.5 * standard_normal(&mut rng)).exp()).round())
        .collect()
}

fn histogram(values: &[f64]) -> Histogram<u64> {
    let mut h = Histogram::<u64>::new_with_bounds(1, 100_000_000_000, 3).unwrap();
    for &v in values {
        h.record(v as u64).unwrap();
    }
    h
}

/// Consecutive windows of `per_window` observations.
fn windows(values: &[f64], per_window: usize) -> Vec<Histogram<u64>> {
    values.chunks(per_window).map(histogram).collect()
}

/// Each window as its recorded `(value, count)` pairs.
fn window_counts(windows: &[Histogram<u64>]) -> Vec<Vec<(u64, u64)>> {
    windows
        .iter()
        .map(|h| {
            h.iter_recorded()
                .map(|b| (b.value_iterated_to(), b.count_at_value()))
                .collect()
        })
        .collect()
}

/// Runs `check` on the same data given as values, one histogram, and windows.
fn for_each_input(a: &[f64], b: &[f64], mut check: impl FnMut(&str, Sample<'_>, Sample<'_>)) {
    let (ha, hb) = (histogram(a), histogram(b));
    let (wa, wb) = (windows(a, 100), windows(b, 100));
    check("values", Sample::Values(a), Sample::Values(b));
    check("histogram", Sample::Histogram(&ha), Sample::Histogram(&hb));
    check("windows", Sample::Windows(&wa), Sample::Windows(&wb));
    let (ca, cb) = (window_counts(&wa), window_counts(&wb));
    check(
        "window counts",
        Sample::WindowCounts(&ca),
        Sample::WindowCounts(&cb),
    );
}

#[test]
fn windows_as_counts_resample_exactly_as_the_histograms() {
    let a = lognormal(11, 3_000, 2e6);
    let b = lognormal(12, 3_000, 2.2e6);
    let (wa, wb) = (windows(&a, 100), windows(&b, 100));
    let (ca, cb) = (window_counts(&wa), window_counts(&wb));
    let settings = BootstrapConfig::default();
    let from_histograms = compare(
        &Sample::Windows(&wa),
        &Sample::Windows(&wb),
        Statistic::P95,
        &settings,
    )
    .unwrap();
    let from_counts = compare(
        &Sample::WindowCounts(&ca),
        &Sample::WindowCounts(&cb),
        Statistic::P95,
        &settings,
    )
    .unwrap();
    assert_eq!(from_histograms, from_counts);
}

#[test]
fn a_ten_percent_shift_is_regressed_and_covered() {
    let a = lognormal(1, 2_000, 1e6);
    let b: Vec<f64> = lognormal(2, 2_000, 1e6).iter().map(|v| v * 1.1).collect();
    for statistic in [Statistic::MEDIAN, Statistic::Quantile(0.9)] {
        for_each_input(&a, &b, |input, sa, sb| {
            for method in [IntervalMethod::Percentile, IntervalMethod::Bca] {
                let config = BootstrapConfig {
                    method,
                    ..BootstrapConfig::default()
                };
                let c = compare(&sa, &sb, statistic, &config).unwrap();
                let change = c.relative_change.unwrap();
                assert!(
                    change.contains(0.10),
                    "{input} {statistic:?} {method:?}: {change:?}"
                );
                let verdict = c.verdict(&NoiseBand::default(), Direction::LowerIsBetter);
                assert_eq!(
                    verdict,
                    Verdict::Regressed,
                    "{input} {statistic:?} {method:?}: {change:?}"
                );
                assert!(c.difference.lower > 0.0 && c.ratio.unwrap().lower > 1.0);
            }
        });
    }
}

#[test]
fn a_and_a_is_rarely_called_regressed() {
    // A deterministic calibration: 100 A/A pairs (two independent draws from one
    // distribution); a 5 % error rate would allow 5 false "regressed" per statistic, and the
    // noise band should keep it well below.
    let band = NoiseBand::default();
    for statistic in [Statistic::MEDIAN, Statistic::P95] {
        let regressed = (0..100u64)
            .filter(|trial| {
                let a = lognormal(1_000 + 2 * trial, 2_000, 1e6);
                let b = lognormal(1_001 + 2 * trial, 2_000, 1e6);
                let config = BootstrapConfig {
                    seed: *trial,
                    ..BootstrapConfig::default()
                };
                let c =
                    compare(&Sample::Values(&a), &Sample::Values(&b), statistic, &config).unwrap();
                band.judge(
                    &c.relative_change.unwrap(),
                    c.p_value,
                    Direction::LowerIsBetter,
                ) == Verdict::Regressed
            })
            .count();
        assert!(
            regressed <= 5,
            "{statistic:?}: {regressed} of 100 A/A trials called regressed"
        );
    }
}

#[test]
fn swapping_a_and_b_flips_the_interval_and_the_verdict() {
    let a = lognormal(5, 1_000, 2e6);
    let b: Vec<f64> = lognormal(6, 1_000, 2e6).iter().map(|v| v * 0.8).collect();
    for_each_input(&a, &b, |input, sa, sb| {
        for method in [IntervalMethod::Percentile, IntervalMethod::Bca] {
            let config = BootstrapConfig {
                method,
                ..BootstrapConfig::default()
            };
            let forward = compare(&sa, &sb, Statistic::MEDIAN, &config).unwrap();
            let backward = compare(&sb, &sa, Statistic::MEDIAN, &config).unwrap();
            let tolerance = 1e-9 * forward.difference.estimate.abs();
            assert_eq!(forward.difference.estimate, -backward.difference.estimate);
            assert!(
                (forward.difference.lower + backward.difference.upper).abs() <= tolerance,
                "{input} {method:?}"
            );
            assert!(
                (forward.difference.upper + backward.difference.lower).abs() <= tolerance,
                "{input} {method:?}"
            );
            assert_eq!(forward.p_value, backward.p_value);
            assert_eq!(forward.baseline, backward.candidate);
            let (fr, br) = (forward.ratio.unwrap(), backward.ratio.unwrap());
            assert!(
                (fr.lower * br.upper - 1.0).abs() < 1e-3,
                "{input} {method:?}: {fr:?} vs {br:?}"
            );
            for direction in [Direction::LowerIsBetter, Direction::HigherIsBetter] {
                let band = NoiseBand::default();
                let f = band.judge(
                    &forward.relative_change.unwrap(),
                    forward.p_value,
                    direction,
                );
                let b = band.judge(
                    &backward.relative_change.unwrap(),
                    backward.p_value,
                    direction,
                );
                assert!(f.is_change(), "{input}: a 20 % drop is a change");
                assert_eq!(b, f.swapped(), "{input} {method:?}");
            }
        }
    });
}

#[test]
fn identical_samples_are_unchanged() {
    let a = lognormal(9, 2_000, 5e5);
    for_each_input(&a, &a, |input, sa, sb| {
        for statistic in [Statistic::MEDIAN, Statistic::P99, Statistic::Mean] {
            let c = compare(&sa, &sb, statistic, &BootstrapConfig::default()).unwrap();
            assert_eq!(c.difference.estimate, 0.0);
            assert!(
                c.difference.lower < 0.0 && c.difference.upper > 0.0,
                "{input}: the interval is not degenerate"
            );
            let change = c.relative_change.unwrap();
            let verdict = NoiseBand {
                alpha: 0.05,
                noise: 0.05,
            }
            .judge(&change, c.p_value, Direction::LowerIsBetter);
            if statistic == Statistic::P99 {
                // The p99 of 2,000 requests is known to about ±17 %: no change is called,
                // and none can be ruled out either.
                assert_eq!(verdict, Verdict::Inconclusive, "{input}: {change:?}");
            } else {
                assert_eq!(
                    verdict,
                    Verdict::Unchanged,
                    "{input} {statistic:?}: {change:?}"
                );
            }
        }
    });
    // Constant samples: nothing can vary.
    let c = compare(
        &Sample::Values(&[3.0; 10]),
        &Sample::Values(&[3.0; 10]),
        Statistic::MEDIAN,
        &BootstrapConfig::default(),
    )
    .unwrap();
    assert_eq!(
        (c.difference.lower, c.difference.upper, c.p_value),
        (0.0, 0.0, 1.0)
    );
    assert_eq!(
        NoiseBand::default().judge(
            &c.relative_change.unwrap(),
            c.p_value,
            Direction::LowerIsBetter
        ),
        Verdict::Unchanged
    );
}

#[test]
fn the_same_seed_gives_the_same_result() {
    let a = lognormal(3, 500, 1e6);
    let b = lognormal(4, 500, 1.05e6);
    for_each_input(&a, &b, |input, sa, sb| {
        let config = BootstrapConfig {
            method: IntervalMethod::Bca,
            ..BootstrapConfig::default()
        };
        let first = compare(&sa, &sb, Statistic::P95, &config).unwrap();
        let second = compare(&sa, &sb, Statistic::P95, &config).unwrap();
        assert_eq!(first, second, "{input}");
        let other = compare(
            &sa,
            &sb,
            Statistic::P95,
            &BootstrapConfig { seed: 99, ..config },
        )
        .unwrap();
        assert_ne!(
            first.difference, other.difference,
            "{input}: the seed matters"
        );
    });
}

#[test]
fn window_bootstrap_sees_correlation_that_iid_resampling_misses() {
    // Each window's latencies share a random level (log-sd 0.3): a stall or a noisy
    // neighbour. Resampling requests as if independent understates the uncertainty.
    let mut rng = Rng::with_seed(17);
    let mut values = Vec::new();
    for _ in 0..30 {
        let level = (0.3 * standard_normal(&mut rng)).exp();
        values.extend(lognormal(rng.u64(..), 200, 1e6 * level));
    }
    let config = BootstrapConfig::default();
    let iid = confidence_interval(
        &Sample::Histogram(&histogram(&values)),
        Statistic::MEDIAN,
        &config,
    )
    .unwrap();
    let blocks = confidence_interval(
        &Sample::Windows(&windows(&values, 200)),
        Statistic::MEDIAN,
        &config,
    )
    .unwrap();
    assert_eq!(iid.estimate, blocks.estimate);
    let (iid_width, block_width) = (iid.upper - iid.lower, blocks.upper - blocks.lower);
    assert!(
        block_width > 2.0 * iid_width,
        "block {block_width} vs iid {iid_width}"
    );
}

#[test]
fn bad_input_is_named() {
    let config = BootstrapConfig::default();
    let values = [1.0, 2.0];
    let ok = Sample::Values(&values);
    let err = |a: Sample<'_>, b: Sample<'_>, s: Statistic, c: &BootstrapConfig| {
        compare(&a, &b, s, c).unwrap_err()
    };
    assert_eq!(
        err(Sample::Values(&[]), ok, Statistic::MEDIAN, &config),
        StatsError::EmptySample { which: "baseline" }
    );
    let empty_windows = [Histogram::<u64>::new(3).unwrap()];
    assert_eq!(
        err(
            ok,
            Sample::Windows(&empty_windows),
            Statistic::MEDIAN,
            &config
        ),
        StatsError::EmptySample { which: "candidate" }
    );
    assert!(matches!(
        err(
            ok,
            Sample::Values(&[f64::INFINITY]),
            Statistic::MEDIAN,
            &config
        ),
        StatsError::NonFinite { .. }
    ));
    assert!(matches!(
        err(ok, ok, Statistic::Quantile(1.5), &config),
        StatsError::OutOfRange {
            name: "quantile",
            ..
        }
    ));
    let zero = BootstrapConfig {
        resamples: 0,
        ..config
    };
    assert!(matches!(
        err(ok, ok, Statistic::MEDIAN, &zero),
        StatsError::OutOfRange {
            name: "resamples",
            ..
        }
    ));
    let sure = BootstrapConfig {
        confidence: 1.0,
        ..config
    };
    assert!(matches!(
        err(ok, ok, Statistic::MEDIAN, &sure),
        StatsError::OutOfRange {
            name: "confidence",
            ..
        }
    ));
    // A baseline of zeros has no ratio.
    let c = compare(
        &Sample::Values(&[0.0, 0.0]),
        &ok,
        Statistic::MEDIAN,
        &config,
    )
    .unwrap();
    assert_eq!((c.ratio, c.relative_change), (None, None));
}
