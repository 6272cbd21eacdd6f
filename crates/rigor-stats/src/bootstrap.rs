//! Bootstrap confidence intervals for a quantile or mean of one sample, and for the
//! difference, ratio and relative change of that statistic between a baseline (A) and a
//! candidate (B).
//!
//! # Inputs
//! - [`Sample::Values`]: raw observations (bench runs, per-window throughputs);
//! - [`Sample::Histogram`]: one HDR histogram (latencies in nanoseconds), treated as the i.i.d.
//!   sample it summarises: each resample draws as many observations as it holds from its
//!   bucket distribution;
//! - [`Sample::Windows`]: the per-second window histograms of a run, resampled by the **block
//!   (cluster) bootstrap**: whole windows are drawn with replacement, merged, and the
//!   statistic taken on the merge. Latencies within a second are correlated (a GC pause, a
//!   queue building up slows many neighbouring requests), so requests are not independent
//!   and the i.i.d. bootstrap of a histogram understates the uncertainty, sometimes
//!   severalfold. Windows far apart are close to independent, so resampling whole windows
//!   keeps the dependence inside each block: the non-overlapping block bootstrap of
//!   Carlstein (1986, Ann. Statist. 14(3)), which is also the cluster bootstrap with a window
//!   as the cluster (Davison & Hinkley 1997, *Bootstrap Methods and their Application*, §3.8
//!   and §8.2). It needs enough windows to resample (a few dozen; a 5-minute steady phase has
//!   300), and it assumes dependence dies out within about one window. Prefer it whenever
//!   windows are available.
//!
//! # Method
//! A and B are resampled independently, `resamples` times (default 2,000: enough for the
//! 2.5 % and 97.5 % percentiles to be stable to a few per cent of the interval's width, and
//! quick; raise it for publication-grade intervals). The interval is either the
//! **percentile** interval (Efron & Tibshirani 1993, *An Introduction to the Bootstrap*,
//! ch. 13) — the default, as in criterion — or the **BCa** interval (bias-corrected and
//! accelerated, *ibid.* ch. 14; Efron 1987, JASA 82(397)), whose acceleration comes from the
//! jackknife of each sample, pooled as in Davison & Hinkley 1997, §5.3, for several samples.
//! Ties with the estimate count as half when estimating BCa's bias correction (the
//! replicates of a histogram's quantile are discrete).
//!
//! The p-value for "no difference" is the achieved significance level of the percentile
//! interval: p = 2·min(#{d* ≤ 0}, #{d* ≥ 0}) over the difference replicates d*, with the
//! usual +1 in numerator and denominator (Davison & Hinkley 1997, §4.4), so it is never below
//! 2/(resamples + 1).
//!
//! # Reproducibility
//! The RNG is `fastrand` seeded from [`BootstrapConfig::seed`] mixed with a hash of both
//! samples' contents, each sample getting its own stream. So the same inputs and seed give
//! bit-identical results, and swapping A and B swaps the streams with them: the difference
//! interval of (B, A) is exactly the negation of that of (A, B).

use fastrand::Rng;
use hdrhistogram::Histogram;

use crate::distribution::{normal_cdf, normal_quantile};
use crate::quantile::quantile_sorted;
use crate::resample::{Jackknife, Resampler};
use crate::verdict::{Direction, NoiseBand, Verdict};
use crate::StatsError;

/// What to estimate from each sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Statistic {
    /// The type-7 quantile (see [`crate::quantile`](mod@crate::quantile)) at this probability in [0, 1].
    Quantile(f64),
    /// The arithmetic mean. For a [`Sample::Histogram`] each replicate draws every
    /// observation, so it costs O(n log buckets): prefer [`Sample::Windows`] for long runs.
    Mean,
}

impl Statistic {
    /// The median, the 0.5-quantile.
    pub const MEDIAN: Statistic = Statistic::Quantile(0.5);
    /// The 95th percentile.
    pub const P95: Statistic = Statistic::Quantile(0.95);
    /// The 99th percentile.
    pub const P99: Statistic = Statistic::Quantile(0.99);
}

/// The data of one side of a comparison.
#[derive(Debug, Clone, Copy)]
pub enum Sample<'a> {
    /// Raw observations.
    Values(&'a [f64]),
    /// One histogram, resampled observation by observation.
    Histogram(&'a Histogram<u64>),
    /// Consecutive window histograms, resampled window by window (block bootstrap).
    Windows(&'a [Histogram<u64>]),
    /// The same, each window given as its recorded `(value, count)` pairs in ascending value
    /// order (what `iter_recorded` yields): a few kilobytes a window where a histogram over a
    /// wide range is a few hundred, so an hour of windows fits in memory.
    WindowCounts(&'a [Vec<(u64, u64)>]),
}

/// How the interval is read from the replicates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IntervalMethod {
    /// The α/2 and 1 − α/2 percentiles of the replicates.
    #[default]
    Percentile,
    /// Bias-corrected and accelerated percentiles.
    Bca,
}

/// Bootstrap settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BootstrapConfig {
    /// Number of resamples; default 2,000.
    pub resamples: usize,
    /// Confidence level of the intervals, in (0, 1); default 0.95.
    pub confidence: f64,
    /// The seed; the same seed and data give the same intervals.
    pub seed: u64,
    /// Percentile (default) or BCa.
    pub method: IntervalMethod,
}

impl Default for BootstrapConfig {
    fn default() -> Self {
        Self {
            resamples: 2_000,
            confidence: 0.95,
            seed: 0x5EED_F00D,
            method: IntervalMethod::Percentile,
        }
    }
}

/// A point estimate with its confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// The statistic on the original data.
    pub estimate: f64,
    /// Lower confidence limit.
    pub lower: f64,
    /// Upper confidence limit.
    pub upper: f64,
}

impl Interval {
    /// Whether `x` lies within [lower, upper].
    #[must_use]
    pub fn contains(&self, x: f64) -> bool {
        self.lower <= x && x <= self.upper
    }
}

/// The bootstrap comparison of one statistic between a baseline A and a candidate B.
#[derive(Debug, Clone, PartialEq)]
pub struct BootstrapComparison {
    /// What was compared.
    pub statistic: Statistic,
    /// The statistic of A with its own interval.
    pub baseline: Interval,
    /// The statistic of B with its own interval.
    pub candidate: Interval,
    /// B − A, in the data's unit.
    pub difference: Interval,
    /// B / A; `None` unless A's estimate and every replicate of it are positive.
    pub ratio: Option<Interval>,
    /// (B − A)/A = ratio − 1, the input to [`crate::verdict`]; `None` when `ratio` is.
    pub relative_change: Option<Interval>,
    /// Two-sided p-value of "no difference" (see the module doc).
    pub p_value: f64,
    /// The confidence level of every interval here.
    pub confidence: f64,
    /// How many resamples were drawn.
    pub resamples: usize,
    /// How the intervals were read.
    pub method: IntervalMethod,
}

impl BootstrapComparison {
    /// The verdict of the noise-band rule on the relative change and the bootstrap p-value
    /// (see [`crate::verdict`]); inconclusive when there is no relative change (a baseline
    /// of zero).
    #[must_use]
    pub fn verdict(&self, band: &NoiseBand, direction: Direction) -> Verdict {
        match &self.relative_change {
            Some(change) => band.judge(change, self.p_value, direction),
            None => Verdict::Inconclusive,
        }
    }
}

/// The bootstrap interval of one sample's statistic.
pub fn confidence_interval(
    sample: &Sample<'_>,
    statistic: Statistic,
    config: &BootstrapConfig,
) -> Result<Interval, StatsError> {
    validate(statistic, config)?;
    let resampler = Resampler::new(sample, statistic, "sample")?;
    let mut rng = Rng::with_seed(mix(config.seed, resampler.fingerprint(), 0));
    let estimate = resampler.estimate();
    let replicates = replicates(&resampler, &mut rng, config.resamples);
    let jackknife = [resampler.jackknife()];
    Ok(read_interval(estimate, replicates, &jackknife, config))
}

/// Compares `statistic` between `baseline` (A) and `candidate` (B): the difference B − A,
/// the ratio B/A and the relative change (B − A)/A, each with its interval, and a p-value.
pub fn compare(
    baseline: &Sample<'_>,
    candidate: &Sample<'_>,
    statistic: Statistic,
    config: &BootstrapConfig,
) -> Result<BootstrapComparison, StatsError> {
    validate(statistic, config)?;
    let a = Resampler::new(baseline, statistic, "baseline")?;
    let b = Resampler::new(candidate, statistic, "candidate")?;
    let (mut rng_a, mut rng_b) = streams(config.seed, a.fingerprint(), b.fingerprint());
    let (est_a, est_b) = (a.estimate(), b.estimate());
    let reps_a = replicates(&a, &mut rng_a, config.resamples);
    let reps_b = replicates(&b, &mut rng_b, config.resamples);
    let (jack_a, jack_b) = (a.jackknife(), b.jackknife());

    let derived = |f: fn(f64, f64) -> f64| -> (f64, Vec<f64>, [Jackknife; 2]) {
        let reps = reps_a.iter().zip(&reps_b).map(|(&x, &y)| f(x, y)).collect();
        let jack = [
            jack_a.iter().map(|&(x, w)| (f(x, est_b), w)).collect(),
            jack_b.iter().map(|&(y, w)| (f(est_a, y), w)).collect(),
        ];
        (f(est_a, est_b), reps, jack)
    };

    let (diff_estimate, diffs, diff_jack) = derived(|x, y| y - x);
    let p_value = percentile_p_value(&diffs);
    let difference = read_interval(diff_estimate, diffs, &diff_jack, config);
    let ratio = (est_a > 0.0 && reps_a.iter().all(|&x| x > 0.0)).then(|| {
        let (estimate, reps, jack) = derived(|x, y| y / x);
        read_interval(estimate, reps, &jack, config)
    });
    let relative_change = ratio.map(|r| Interval {
        estimate: r.estimate - 1.0,
        lower: r.lower - 1.0,
        upper: r.upper - 1.0,
    });
    Ok(BootstrapComparison {
        statistic,
        baseline: read_interval(est_a, reps_a, &[jack_a], config),
        candidate: read_interval(est_b, reps_b, &[jack_b], config),
        difference,
        ratio,
        relative_change,
        p_value,
        confidence: config.confidence,
        resamples: config.resamples,
        method: config.method,
    })
}

fn validate(statistic: Statistic, config: &BootstrapConfig) -> Result<(), StatsError> {
    StatsError::check_probability_open("confidence", config.confidence)?;
    if config.resamples == 0 {
        return Err(StatsError::OutOfRange {
            name: "resamples",
            expected: "at least 1",
            value: 0.0,
        });
    }
    if let Statistic::Quantile(p) = statistic {
        if !(0.0..=1.0).contains(&p) {
            return Err(StatsError::OutOfRange {
                name: "quantile",
                expected: "between 0 and 1",
                value: p,
            });
        }
    }
    Ok(())
}

fn replicates(resampler: &Resampler, rng: &mut Rng, resamples: usize) -> Vec<f64> {
    let mut scratch = Vec::new();
    (0..resamples)
        .map(|_| resampler.replicate(rng, &mut scratch))
        .collect()
}

/// The two samples' random streams. Each follows the seed, its own contents and the other
/// sample's, asymmetrically, so that swapping A and B swaps the streams; identical samples
/// get distinct streams by their role instead.
fn streams(seed: u64, fingerprint_a: u64, fingerprint_b: u64) -> (Rng, Rng) {
    if fingerprint_a == fingerprint_b {
        return (
            Rng::with_seed(mix(seed, fingerprint_a, 1)),
            Rng::with_seed(mix(seed, fingerprint_b, 2)),
        );
    }
    (
        Rng::with_seed(mix(seed, fingerprint_a, splitmix(fingerprint_b))),
        Rng::with_seed(mix(seed, fingerprint_b, splitmix(fingerprint_a))),
    )
}

fn mix(seed: u64, own: u64, other: u64) -> u64 {
    splitmix(splitmix(seed ^ own).wrapping_add(other))
}

/// The SplitMix64 finaliser (Steele, Lea & Flood 2014), a good 64-bit mixer.
fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// p = 2·(1 + min(#{d ≤ 0}, #{d ≥ 0}))/(B + 1), at most 1.
fn percentile_p_value(diffs: &[f64]) -> f64 {
    let at_most = diffs.iter().filter(|&&d| d <= 0.0).count();
    let at_least = diffs.iter().filter(|&&d| d >= 0.0).count();
    let tail = at_most.min(at_least) as f64;
    (2.0 * (tail + 1.0) / (diffs.len() as f64 + 1.0)).min(1.0)
}

/// Reads the interval from the replicates by the configured method.
fn read_interval(
    estimate: f64,
    mut replicates: Vec<f64>,
    jackknife: &[Jackknife],
    config: &BootstrapConfig,
) -> Interval {
    let alpha = 1.0 - config.confidence;
    let (low_level, high_level) = match config.method {
        IntervalMethod::Percentile => (alpha / 2.0, 1.0 - alpha / 2.0),
        IntervalMethod::Bca => bca_levels(estimate, &replicates, jackknife, alpha),
    };
    replicates.sort_unstable_by(f64::total_cmp);
    let at = |level: f64| quantile_sorted(&replicates, level.clamp(0.0, 1.0)).unwrap_or(estimate);
    Interval {
        estimate,
        lower: at(low_level),
        upper: at(high_level),
    }
}

/// BCa's adjusted percentile levels (Efron & Tibshirani 1993, §14.3):
/// α₁ = Φ(z₀ + (z₀ + z_{α/2})/(1 − a(z₀ + z_{α/2}))), α₂ likewise with z_{1−α/2}.
fn bca_levels(
    estimate: f64,
    replicates: &[f64],
    jackknife: &[Jackknife],
    alpha: f64,
) -> (f64, f64) {
    let b = replicates.len() as f64;
    let below = replicates.iter().filter(|&&r| r < estimate).count() as f64;
    let tied = replicates.iter().filter(|&&r| r == estimate).count() as f64;
    let share = ((below + tied / 2.0) / b).clamp(0.5 / b, 1.0 - 0.5 / b);
    let z0 = normal_quantile(share);
    let a = acceleration(jackknife);
    let level = |z: f64| {
        let shifted = z0 + z;
        normal_cdf(z0 + shifted / (1.0 - a * shifted))
    };
    (
        level(normal_quantile(alpha / 2.0)),
        level(normal_quantile(1.0 - alpha / 2.0)),
    )
}

/// The acceleration a = Σ d³ / (6·(Σ d²)^{3/2}), d = θ̄ₖ − θ₍₋ᵢ₎, pooling the samples k with
/// each centred on its own jackknife mean (Efron & Tibshirani 1993, §14.3; Davison &
/// Hinkley 1997, §5.3, for several samples). Zero when the jackknife cannot tell.
fn acceleration(jackknife: &[Jackknife]) -> f64 {
    let mut cubes = 0.0;
    let mut squares = 0.0;
    for group in jackknife {
        let weight: f64 = group.iter().map(|&(_, w)| w).sum();
        if weight == 0.0 {
            continue;
        }
        let centre = group.iter().map(|&(v, w)| v * w).sum::<f64>() / weight;
        for &(value, w) in group {
            let d = centre - value;
            cubes += w * d * d * d;
            squares += w * d * d;
        }
    }
    if squares > 0.0 && cubes.is_finite() {
        cubes / (6.0 * squares.powf(1.5))
    } else {
        0.0
    }
}

#[cfg(test)]
#[path = "bootstrap_tests.rs"]
mod tests;
