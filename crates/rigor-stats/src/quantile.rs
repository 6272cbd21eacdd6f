//! Descriptive helpers (mean, variance, quantiles, the median absolute deviation, the
//! distribution-free median interval's ranks) and [`EmpiricalDistribution`], the
//! sorted (value, count) table that raw samples and HDR histograms both become before they
//! are summarised or resampled.
//!
//! Quantile definition, everywhere in this crate: **Hyndman & Fan (1996) type 7**, the
//! default of numpy's `quantile`/`percentile` and of R's `quantile`. With the n sorted
//! values x₀ ≤ … ≤ xₙ₋₁ (0-based) and h = (n − 1)·p, j = ⌊h⌋, the p-quantile is
//! xⱼ + (h − j)·(xⱼ₊₁ − xⱼ). It interpolates, so the median of an even-sized sample is the
//! midpoint of its two middle values.

use hdrhistogram::Histogram;

use crate::StatsError;

/// The arithmetic mean, or `None` for an empty slice.
#[must_use]
pub fn mean(data: &[f64]) -> Option<f64> {
    if data.is_empty() {
        return None;
    }
    Some(data.iter().sum::<f64>() / data.len() as f64)
}

/// The unbiased sample variance (divisor n − 1, numpy's `var(ddof=1)`); `None` below two
/// values. Two passes, as numpy does it: the mean first, then the sum of squared deviations
/// from it, which for data held in memory is as accurate as a one-pass update and keeps
/// `rigor-bench`'s summaries the same to the bit as before they used this crate.
#[must_use]
pub fn variance(data: &[f64]) -> Option<f64> {
    if data.len() < 2 {
        return None;
    }
    let m = mean(data)?;
    let squares: f64 = data.iter().map(|x| (x - m) * (x - m)).sum();
    Some(squares / (data.len() - 1) as f64)
}

/// The sample standard deviation, √[`variance`]; `None` below two values.
#[must_use]
pub fn std_dev(data: &[f64]) -> Option<f64> {
    variance(data).map(f64::sqrt)
}

/// The type-7 p-quantile (see the module doc) of values already sorted ascending;
/// `None` when the slice is empty or p is outside [0, 1].
#[must_use]
pub fn quantile_sorted(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() || !(0.0..=1.0).contains(&p) {
        return None;
    }
    let h = (sorted.len() - 1) as f64 * p;
    let j = h.floor() as usize;
    let g = h - j as f64;
    let low = sorted[j];
    Some(match sorted.get(j + 1) {
        Some(&high) if g > 0.0 => low + g * (high - low),
        _ => low,
    })
}

/// The type-7 p-quantile of unsorted values (copies and sorts them; NaN sorts last).
#[must_use]
pub fn quantile(data: &[f64], p: f64) -> Option<f64> {
    let mut sorted = data.to_vec();
    sorted.sort_unstable_by(f64::total_cmp);
    quantile_sorted(&sorted, p)
}

/// The median: the type-7 0.5-quantile.
#[must_use]
pub fn median(data: &[f64]) -> Option<f64> {
    quantile(data, 0.5)
}

/// The median absolute deviation, unscaled: the median of `|x − median(x)|` (scipy's
/// `median_abs_deviation` with its default `scale=1.0`); `None` for an empty slice. Multiply
/// by 1.4826 for a robust estimate of σ under normality.
#[must_use]
pub fn median_abs_deviation(data: &[f64]) -> Option<f64> {
    let m = median(data)?;
    let deviations: Vec<f64> = data.iter().map(|x| (x - m).abs()).collect();
    median(&deviations)
}

/// The 1-based ranks `(j, k)` of the order statistics `[x₍ⱼ₎, x₍ₖ₎]` that form the
/// distribution-free confidence interval for the median of `n` values at `level`, with the
/// coverage actually achieved; `None` when no pair of order statistics reaches `level`
/// (below 6 values at 95 %).
///
/// Each value falls below the population median with probability ½, so
/// `P(x₍ⱼ₎ ≤ median ≤ x₍ₙ₊₁₋ⱼ₎) = 1 − 2·P(B ≤ j − 1)` with `B ~ Binomial(n, ½)`, whatever the
/// distribution (the sign-test interval; Conover, *Practical Nonparametric Statistics*,
/// chapter 3). The largest `j` whose coverage is still at least `level` gives the narrowest
/// such interval.
#[must_use]
pub fn median_ci_ranks(n: usize, level: f64) -> Option<(usize, usize, f64)> {
    let mut log_pmf = -(n as f64) * std::f64::consts::LN_2; // P(B = 0)
    let mut cdf = 0.0;
    let mut best = None;
    for i in 0..n / 2 {
        cdf += log_pmf.exp(); // P(B ≤ i)
        let coverage = 1.0 - 2.0 * cdf;
        if coverage < level {
            break;
        }
        best = Some((i + 1, n - i, coverage));
        log_pmf += ((n - i) as f64).ln() - ((i + 1) as f64).ln();
    }
    best
}

/// A sample as a sorted table of distinct values with their counts: what a raw sample and an
/// HDR histogram have in common. Order statistics, type-7 quantiles and the inverse
/// empirical CDF are read from it by binary search over the cumulative counts, so a
/// histogram of a billion requests costs no more than its number of buckets.
#[derive(Debug, Clone, PartialEq)]
pub struct EmpiricalDistribution {
    /// Distinct values, ascending.
    values: Vec<f64>,
    /// `cumulative[i]` = number of observations ≤ `values[i]`.
    cumulative: Vec<u64>,
}

impl EmpiricalDistribution {
    /// Builds the table from raw values. Errors on an empty slice or a non-finite value;
    /// `which` names the sample in the error ("baseline", "candidate" …).
    pub fn from_values(values: &[f64], which: &'static str) -> Result<Self, StatsError> {
        if let Some(&value) = values.iter().find(|v| !v.is_finite()) {
            return Err(StatsError::NonFinite { which, value });
        }
        let mut sorted = values.to_vec();
        sorted.sort_unstable_by(f64::total_cmp);
        let mut table: Vec<(f64, u64)> = Vec::new();
        for x in sorted {
            match table.last_mut() {
                Some((v, c)) if *v == x => *c += 1,
                _ => table.push((x, 1)),
            }
        }
        Self::from_sorted_counts(table, which)
    }

    /// Builds the table from an HDR histogram. Each recorded bucket contributes its count at
    /// the bucket's highest equivalent value, the value `Histogram::value_at_quantile`
    /// reports, so quantiles read here agree with the histogram's own to within its
    /// precision. Errors on an empty histogram.
    pub fn from_histogram(
        histogram: &Histogram<u64>,
        which: &'static str,
    ) -> Result<Self, StatsError> {
        let table = histogram
            .iter_recorded()
            .map(|bucket| (bucket.value_iterated_to() as f64, bucket.count_at_value()))
            .collect();
        Self::from_sorted_counts(table, which)
    }

    /// Builds the table from (value, count) pairs sorted by ascending, distinct value;
    /// zero counts are dropped.
    pub(crate) fn from_sorted_counts(
        table: Vec<(f64, u64)>,
        which: &'static str,
    ) -> Result<Self, StatsError> {
        let mut values = Vec::with_capacity(table.len());
        let mut cumulative = Vec::with_capacity(table.len());
        let mut total = 0u64;
        for (value, count) in table.into_iter().filter(|&(_, c)| c > 0) {
            total += count;
            values.push(value);
            cumulative.push(total);
        }
        if values.is_empty() {
            return Err(StatsError::EmptySample { which });
        }
        Ok(Self { values, cumulative })
    }

    /// The number of observations.
    #[must_use]
    pub fn len(&self) -> u64 {
        self.cumulative.last().copied().unwrap_or(0)
    }

    /// Always false: construction refuses empty samples.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The distinct values, ascending.
    #[must_use]
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// The count of each distinct value, in the order of [`values`](Self::values).
    pub fn counts(&self) -> impl Iterator<Item = u64> + '_ {
        let mut previous = 0;
        self.cumulative.iter().map(move |&c| {
            let count = c - previous;
            previous = c;
            count
        })
    }

    /// The order statistic x₍ᵣ₎ for a 1-based rank r, clamped to [1, n].
    #[must_use]
    pub fn order_statistic(&self, rank: u64) -> f64 {
        let rank = rank.clamp(1, self.len());
        let index = self.cumulative.partition_point(|&c| c < rank);
        self.values[index]
    }

    /// The type-7 p-quantile (see the module doc); p is clamped to [0, 1].
    #[must_use]
    pub fn quantile(&self, p: f64) -> f64 {
        let p = p.clamp(0.0, 1.0);
        let (rank, g) = type7_position(self.len(), p);
        let low = self.order_statistic(rank);
        if g > 0.0 {
            low + g * (self.order_statistic(rank + 1) - low)
        } else {
            low
        }
    }

    /// The inverse empirical CDF, F̂⁻¹(u) = x₍⌈n·u⌉₎: a uniform u in (0, 1) mapped through it
    /// is one draw from the sample with replacement.
    #[must_use]
    pub fn inverse_cdf(&self, u: f64) -> f64 {
        let n = self.len();
        self.order_statistic((u * n as f64).ceil() as u64)
    }

    /// The mean of the observations.
    #[must_use]
    pub fn mean(&self) -> f64 {
        self.weighted_sum() / self.len() as f64
    }

    /// Σ value·count.
    pub(crate) fn weighted_sum(&self) -> f64 {
        self.values
            .iter()
            .zip(self.counts())
            .map(|(v, c)| v * c as f64)
            .sum()
    }
}

/// Where the type-7 p-quantile of n observations falls: the 1-based rank r of its lower
/// order statistic and the interpolation weight g of x₍ᵣ₊₁₎.
pub(crate) fn type7_position(n: u64, p: f64) -> (u64, f64) {
    let h = (n.saturating_sub(1)) as f64 * p;
    let j = h.floor();
    (j as u64 + 1, h - j)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers_match_numpy() {
        let data = [2.0, 8.0, 1.0, 9.0, 4.0, 7.0, 3.0, 3.0];
        // numpy.mean(data), numpy.var(data, ddof=1), numpy.std(data, ddof=1)
        assert_eq!(mean(&data), Some(4.625));
        assert!((variance(&data).unwrap() - 8.839_285_714_285_714).abs() < 1e-12);
        assert!((std_dev(&data).unwrap() - 2.973_093_626_895_344_5).abs() < 1e-12);
        // numpy.quantile(data, p) (default method 'linear', i.e. type 7)
        for (p, expected) in [
            (0.0, 1.0),
            (0.1, 1.7),
            (0.25, 2.75),
            (0.5, 3.5),
            (0.95, 8.65),
            (0.99, 8.93),
            (1.0, 9.0),
        ] {
            let q = quantile(&data, p).unwrap();
            assert!((q - expected).abs() < 1e-12, "p={p}: {q} vs {expected}");
            let table = EmpiricalDistribution::from_values(&data, "sample").unwrap();
            assert!((table.quantile(p) - expected).abs() < 1e-12, "table p={p}");
        }
        assert_eq!(median(&[5.0]), Some(5.0));
        assert_eq!(median(&[]), None);
        assert_eq!(variance(&[1.0]), None);
        assert_eq!(quantile(&data, 1.5), None);
    }

    #[test]
    fn median_abs_deviation_matches_python_statistics() {
        // statistics.median([abs(x - statistics.median(d)) for x in d]) with Python 3.11
        // (scipy.stats.median_abs_deviation(d) gives the same).
        let data = [2.0, 8.0, 1.0, 9.0, 4.0, 7.0, 3.0, 3.0];
        assert_eq!(median_abs_deviation(&data), Some(2.0));
        // Wikipedia's worked example: MAD of [1, 1, 2, 2, 4, 6, 9] is 1.
        assert_eq!(
            median_abs_deviation(&[1.0, 1.0, 2.0, 2.0, 4.0, 6.0, 9.0]),
            Some(1.0)
        );
        assert_eq!(median_abs_deviation(&[4.0]), Some(0.0));
        assert_eq!(median_abs_deviation(&[]), None);
    }

    #[test]
    fn median_ci_ranks_match_the_exact_binomial_coverage() {
        // The largest j with 1 - 2·P(B ≤ j-1) ≥ level, B ~ Binomial(n, 1/2), from Python's
        // math.comb; n = 10 → (2, 9) at 97.85 % and n = 25 → (8, 18) at 95.67 % are also the
        // values printed in the usual tables of the sign-test interval.
        type Ranks = Option<(usize, usize, f64)>;
        let table: &[(usize, f64, Ranks)] = &[
            (5, 0.95, None),
            (6, 0.95, Some((1, 6, 0.96875))),
            (7, 0.95, Some((1, 7, 0.984375))),
            (10, 0.95, Some((2, 9, 0.978515625))),
            (11, 0.95, Some((2, 10, 0.98828125))),
            (15, 0.95, Some((4, 12, 0.96484375))),
            (25, 0.95, Some((8, 18, 0.9567147493362427))),
            (7, 0.99, None),
            (8, 0.99, Some((1, 8, 0.9921875))),
            (15, 0.99, Some((3, 13, 0.99261474609375))),
            (25, 0.99, Some((6, 20, 0.9959226846694946))),
        ];
        for &(n, level, want) in table {
            let got = median_ci_ranks(n, level);
            match (got, want) {
                (None, None) => {}
                (Some((j, k, c)), Some((wj, wk, wc))) => {
                    assert_eq!((j, k), (wj, wk), "ranks for n = {n} at {level}");
                    assert!((c - wc).abs() < 1e-12, "coverage for n = {n}: {c} vs {wc}");
                }
                _ => panic!("n = {n} at {level}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn table_order_statistics_and_inverse_cdf() {
        let table = EmpiricalDistribution::from_values(&[3.0, 1.0, 3.0, 2.0], "sample").unwrap();
        assert_eq!(table.len(), 4);
        assert_eq!(table.values(), &[1.0, 2.0, 3.0]);
        assert_eq!(table.counts().collect::<Vec<_>>(), vec![1, 1, 2]);
        assert_eq!(
            (1..=4)
                .map(|r| table.order_statistic(r))
                .collect::<Vec<_>>(),
            vec![1.0, 2.0, 3.0, 3.0]
        );
        assert_eq!(table.inverse_cdf(0.1), 1.0);
        assert_eq!(table.inverse_cdf(0.26), 2.0);
        assert_eq!(table.inverse_cdf(0.99), 3.0);
        assert_eq!(table.mean(), 2.25);
    }

    #[test]
    fn table_from_histogram_agrees_with_hdr_percentiles() {
        let mut histogram = Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3).unwrap();
        for v in 1..=1000u64 {
            histogram.record(v * 1_000).unwrap();
        }
        let table = EmpiricalDistribution::from_histogram(&histogram, "baseline").unwrap();
        assert_eq!(table.len(), 1000);
        // With 1000 observations the type-7 p99 sits at rank 990.01: within HDR precision of
        // value_at_quantile(0.99).
        let hdr = histogram.value_at_quantile(0.99) as f64;
        assert!((table.quantile(0.99) - hdr).abs() / hdr < 2e-3);
        let empty = Histogram::<u64>::new(3).unwrap();
        assert!(matches!(
            EmpiricalDistribution::from_histogram(&empty, "candidate"),
            Err(StatsError::EmptySample { which: "candidate" })
        ));
        assert!(EmpiricalDistribution::from_values(&[1.0, f64::NAN], "baseline").is_err());
    }
}
