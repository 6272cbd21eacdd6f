//! A robust trend: the Theil–Sen slope (the median of the slopes between every pair of
//! points) with Sen's distribution-free confidence interval, as leak detection needs it — an
//! outlier or a garbage collector's drop moves a least-squares line, not a median of slopes.
//!
//! The interval is Sen's (1968): the ranks `(N ∓ z·σ)/2` among the N sorted pairwise slopes,
//! with σ² the variance of Kendall's S, `n(n−1)(2n+5)/18` less the ties' share in x and in y.
//! Ranks are rounded half to even and taken as SciPy's `theilslopes` takes them, so the two
//! agree to the last digit (`tests/reference/theil_sen.py` made the expected values).

use crate::normal_quantile;

/// A fitted trend: `y ≈ intercept + slope·x`, the slope's interval at `confidence`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trend {
    pub slope: f64,
    pub intercept: f64,
    pub lower: f64,
    pub upper: f64,
    pub points: usize,
}

/// The Theil–Sen fit of `y` on `x` (same length, at least 3 points with two distinct x);
/// `None` otherwise, or when a value is not finite.
pub fn theil_sen(x: &[f64], y: &[f64], confidence: f64) -> Option<Trend> {
    let n = x.len();
    if n != y.len() || n < 3 || !x.iter().chain(y).all(|v| v.is_finite()) {
        return None;
    }
    let mut slopes = Vec::with_capacity(n * (n - 1) / 2);
    for i in 0..n {
        for j in 0..n {
            if x[j] > x[i] {
                slopes.push((y[j] - y[i]) / (x[j] - x[i]));
            }
        }
    }
    if slopes.is_empty() {
        return None;
    }
    slopes.sort_by(f64::total_cmp);
    let slope = median_sorted(&slopes);
    let intercept = median(y) - slope * median(x);
    let ties = |v: &[f64]| -> f64 {
        let mut sorted = v.to_vec();
        sorted.sort_by(f64::total_cmp);
        let mut total = 0.0;
        let mut run = 1.0;
        for w in sorted.windows(2) {
            if w[0] == w[1] {
                run += 1.0;
            } else {
                total += tie_term(run);
                run = 1.0;
            }
        }
        total + tie_term(run)
    };
    let nf = n as f64;
    let variance = (nf * (nf - 1.0) * (2.0 * nf + 5.0) - ties(x) - ties(y)) / 18.0;
    let z = normal_quantile((1.0 + confidence) / 2.0);
    let spread = z * variance.max(0.0).sqrt();
    let count = slopes.len() as f64;
    let last = slopes.len() - 1;
    let upper_rank = (((count + spread) / 2.0).round_ties_even() as usize).min(last);
    let lower_rank = (((count - spread) / 2.0).round_ties_even() as i64 - 1).max(0) as usize;
    Some(Trend {
        slope,
        intercept,
        lower: slopes[lower_rank.min(last)],
        upper: slopes[upper_rank],
        points: n,
    })
}

/// A run of `t` tied values' share of the variance of Kendall's S.
fn tie_term(t: f64) -> f64 {
    t * (t - 1.0) * (2.0 * t + 5.0)
}

fn median(v: &[f64]) -> f64 {
    let mut sorted = v.to_vec();
    sorted.sort_by(f64::total_cmp);
    median_sorted(&sorted)
}

fn median_sorted(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// The points as at most `blocks` contiguous blocks of (nearly) equal size, each its mean x
/// and mean y: an hour of seconds becomes sixty minutes, so the fit costs 1,770 slopes, not
/// 6.5 million, and neighbouring seconds' correlation is averaged within a block.
pub fn block_means(x: &[f64], y: &[f64], blocks: usize) -> (Vec<f64>, Vec<f64>) {
    let n = x.len().min(y.len());
    let blocks = blocks.clamp(1, n.max(1));
    let (mut bx, mut by) = (Vec::with_capacity(blocks), Vec::with_capacity(blocks));
    for b in 0..blocks {
        let (from, to) = (b * n / blocks, (b + 1) * n / blocks);
        if to > from {
            let len = (to - from) as f64;
            bx.push(x[from..to].iter().sum::<f64>() / len);
            by.push(y[from..to].iter().sum::<f64>() / len);
        }
    }
    (bx, by)
}

/// Blocks a growth is judged on at most.
pub const MAX_BLOCKS: usize = 60;
/// Seconds a growth needs at least to be judged.
pub const MIN_POINTS: usize = 10;

/// Whether a series keeps growing: the verdict leak detection gives.
#[derive(Debug, Clone, PartialEq)]
pub struct Growth {
    /// The trend per unit of x over the whole span, on block means.
    pub trend: Trend,
    /// The slopes over the first and the second half of the blocks.
    pub first_half: f64,
    pub second_half: f64,
    /// Growth beyond doubt (the interval's lower bound above 0), beyond the threshold, and
    /// at the same pace in both halves (a step or a slow sawtooth is not a leak).
    pub growing: bool,
    /// Why, in words.
    pub why: Why,
}

/// The reason for a growth verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// It grows: every condition holds.
    Grows,
    /// The interval reaches 0 or below: flat, or too noisy to tell.
    NotBeyondNoise,
    /// It grows, but slower than the threshold.
    BelowThreshold,
    /// It grew in one half only: a step or a warm-up, not a steady growth.
    OneHalfOnly,
    /// Each half climbs far faster than the whole: a slow sawtooth, rising and falling.
    NotSteady,
}

/// How far a half's slope may be from the whole's, either way, for the growth to be steady.
pub const HALVES_RATIO: f64 = 2.5;

/// Judges whether `y` keeps growing along `x` faster than `threshold` per unit of x: the
/// Theil–Sen slope over at most [`MAX_BLOCKS`] block means, its 95 % interval's lower bound
/// above zero, the slope above `threshold`, and each half of the span growing at the whole's
/// pace within a factor of [`HALVES_RATIO`] (a step grows in one half; a slow sawtooth's
/// halves climb far faster than the whole). A sawtooth whose period is more than a third of
/// the span cannot be told from growth: each half is then one climb. `None` with fewer than [`MIN_POINTS`] points.
pub fn growth(x: &[f64], y: &[f64], threshold: f64) -> Option<Growth> {
    if x.len() < MIN_POINTS || x.len() != y.len() {
        return None;
    }
    let (bx, by) = block_means(x, y, MAX_BLOCKS);
    let trend = theil_sen(&bx, &by, 0.95)?;
    let half = bx.len() / 2;
    let slope_of = |from: usize, to: usize| {
        theil_sen(&bx[from..to], &by[from..to], 0.95).map_or(0.0, |t| t.slope)
    };
    let (first_half, second_half) = (slope_of(0, half), slope_of(half, bx.len()));
    let why = if trend.lower <= 0.0 {
        Why::NotBeyondNoise
    } else if trend.slope <= threshold {
        Why::BelowThreshold
    } else if first_half <= trend.slope / HALVES_RATIO || second_half <= trend.slope / HALVES_RATIO
    {
        Why::OneHalfOnly
    } else if first_half >= trend.slope * HALVES_RATIO || second_half >= trend.slope * HALVES_RATIO
    {
        // Each half climbing far faster than the whole: teeth (a slow sawtooth), not a line.
        Why::NotSteady
    } else {
        Why::Grows
    };
    Some(Growth {
        trend,
        first_half,
        second_half,
        growing: why == Why::Grows,
        why,
    })
}
