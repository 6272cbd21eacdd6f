//! The Mann–Whitney U test (Wilcoxon rank-sum test) with its effect sizes, and the
//! Hodges–Lehmann estimate of the shift between two samples with its distribution-free
//! interval. Meant for small-to-moderate samples such as bench runs, where it makes no
//! assumption about the distribution's shape.
//!
//! Conventions follow `scipy.stats.mannwhitneyu`: U is the statistic of the **first**
//! sample x, U₁ = R₁ − n₁(n₁ + 1)/2 with R₁ the sum of x's mid-ranks in the pooled sample,
//! and [`Alternative::Greater`] means x tends to be larger than y.

use crate::distribution::{normal_quantile, normal_sf};
use crate::StatsError;

/// The largest sample size (each side) for which the exact null distribution is computed:
/// its counts (at most C(100, 50) ≈ 1.0e29) fit in `i128`.
pub const EXACT_LIMIT: usize = 50;

/// The alternative hypothesis, about the first sample x relative to the second y.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Alternative {
    /// The distributions differ in location (either way).
    #[default]
    TwoSided,
    /// x tends to be larger than y: P(X > Y) > ½.
    Greater,
    /// x tends to be smaller than y.
    Less,
}

/// How the p-value is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MannWhitneyMethod {
    /// Exact when there are no ties and both samples have at most [`EXACT_LIMIT`] values,
    /// the normal approximation otherwise.
    #[default]
    Auto,
    /// The exact null distribution of U, counted by the recursion of Mann & Whitney (1947):
    /// the number of arrangements of m x's and n y's with U = u is the coefficient of qᵘ in
    /// the Gaussian binomial [m + n choose m]_q, built one factor (1 − q^(n+i))/(1 − q^i) at
    /// a time. With ties it still uses this distribution, like scipy (a conservative
    /// floor of U); it is only exact without ties.
    Exact,
    /// The normal approximation with the tie correction of the variance,
    /// σ² = n₁n₂/12·((n + 1) − Σ(t³ − t)/(n(n − 1))), and a continuity correction of ½
    /// (Lehmann 1975, *Nonparametrics*, §1.4; as scipy with `use_continuity=True`).
    Asymptotic,
}

/// The result of [`mann_whitney_u`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MannWhitney {
    /// U₁, the statistic of the first sample (scipy's `statistic`).
    pub u: f64,
    /// The continuity-corrected z of U₁, signed (positive: x tends larger), when the normal
    /// approximation was used.
    pub z: Option<f64>,
    /// The p-value for the chosen alternative.
    pub p_value: f64,
    /// The method actually used (never `Auto`).
    pub method: MannWhitneyMethod,
    /// The rank-biserial correlation r = 2U₁/(n₁n₂) − 1 in [−1, 1] (Kerby 2014, Compr.
    /// Psychol. 3); positive when x tends to be larger.
    pub rank_biserial: f64,
    /// The common-language effect size U₁/(n₁n₂) = P(X > Y) + ½·P(X = Y) (McGraw & Wong
    /// 1992, Psychol. Bull. 111(2)).
    pub common_language: f64,
}

/// The Mann–Whitney U test of x against y.
pub fn mann_whitney_u(
    x: &[f64],
    y: &[f64],
    alternative: Alternative,
    method: MannWhitneyMethod,
) -> Result<MannWhitney, StatsError> {
    check_sample(x, "first")?;
    check_sample(y, "second")?;
    let (n1, n2) = (x.len(), y.len());
    let ranked = ranks(x, y);
    let u1 = ranked.rank_sum_x - (n1 * (n1 + 1)) as f64 / 2.0;
    let u2 = (n1 * n2) as f64 - u1;
    let small = n1 <= EXACT_LIMIT && n2 <= EXACT_LIMIT;
    let method = match method {
        MannWhitneyMethod::Auto if small && ranked.tie_term == 0.0 => MannWhitneyMethod::Exact,
        MannWhitneyMethod::Auto => MannWhitneyMethod::Asymptotic,
        MannWhitneyMethod::Exact if !small => {
            return Err(StatsError::OutOfRange {
                name: "sample size for the exact Mann-Whitney test",
                expected: "at most 50 per sample (use the asymptotic method)",
                value: n1.max(n2) as f64,
            })
        }
        other => other,
    };
    // As scipy: the p-value is an upper tail, of U₁ for Greater, of U₂ for Less (the null
    // distribution is symmetric), of max(U₁, U₂) doubled for two-sided.
    let (tail_u, factor) = match alternative {
        Alternative::Greater => (u1, 1.0),
        Alternative::Less => (u2, 1.0),
        Alternative::TwoSided => (u1.max(u2), 2.0),
    };
    let mean = (n1 * n2) as f64 / 2.0;
    let n = (n1 + n2) as f64;
    let sigma = ((n1 * n2) as f64 / 12.0 * ((n + 1.0) - ranked.tie_term / (n * (n - 1.0)))).sqrt();
    let (p_tail, z) = match method {
        MannWhitneyMethod::Exact => (UDistribution::new(n1, n2).sf(tail_u.floor() as usize), None),
        _ => {
            let signed = u1 - mean;
            let z = if sigma > 0.0 {
                signed.signum() * (signed.abs() - 0.5).max(0.0) / sigma
            } else {
                0.0
            };
            let p = if sigma > 0.0 {
                normal_sf((tail_u - mean - 0.5) / sigma)
            } else {
                1.0
            };
            (p, Some(z))
        }
    };
    let pairs = (n1 * n2) as f64;
    Ok(MannWhitney {
        u: u1,
        z,
        p_value: (p_tail * factor).clamp(0.0, 1.0),
        method,
        rank_biserial: 2.0 * u1 / pairs - 1.0,
        common_language: u1 / pairs,
    })
}

/// The Hodges–Lehmann estimate of the shift of y relative to x, with its interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShiftEstimate {
    /// The median of all pairwise differences yⱼ − xᵢ.
    pub estimate: f64,
    /// Lower confidence limit.
    pub lower: f64,
    /// Upper confidence limit.
    pub upper: f64,
    /// The nominal confidence level asked for.
    pub confidence: f64,
}

/// The most pairwise differences [`hodges_lehmann`] will hold in memory (32 MiB).
pub const HODGES_LEHMANN_MAX_PAIRS: usize = 4_000_000;

/// The Hodges–Lehmann shift estimate (Hodges & Lehmann 1963, Ann. Math. Statist. 34(2)):
/// the median of the n₁n₂ differences yⱼ − xᵢ, with the distribution-free interval of Moses
/// that inverts the Mann–Whitney test (Hollander, Wolfe & Chicken 2014, *Nonparametric
/// Statistical Methods*, §4.3): [D₍ₖ₎, D₍ₙ₁ₙ₂₊₁₋ₖ₎] over the sorted differences, k the
/// smallest u with P(U ≤ u) ≥ α/2 under the exact null distribution (as R's
/// `wilcox.test(conf.int = TRUE)`; no ties, both samples ≤ [`EXACT_LIMIT`]), otherwise
/// k = ⌊n₁n₂/2 − z₁₋α/₂·σ⌋ with the tie-corrected σ of the normal approximation (at least
/// 1). Errors beyond [`HODGES_LEHMANN_MAX_PAIRS`] differences.
pub fn hodges_lehmann(x: &[f64], y: &[f64], confidence: f64) -> Result<ShiftEstimate, StatsError> {
    check_sample(x, "first")?;
    check_sample(y, "second")?;
    StatsError::check_probability_open("confidence", confidence)?;
    let (n1, n2) = (x.len(), y.len());
    let pairs = n1 * n2;
    if pairs > HODGES_LEHMANN_MAX_PAIRS {
        return Err(StatsError::OutOfRange {
            name: "number of pairwise differences",
            expected: "at most 4,000,000",
            value: pairs as f64,
        });
    }
    let mut diffs: Vec<f64> = x
        .iter()
        .flat_map(|&a| y.iter().map(move |&b| b - a))
        .collect();
    diffs.sort_unstable_by(f64::total_cmp);
    let estimate = crate::quantile::quantile_sorted(&diffs, 0.5).unwrap_or(f64::NAN);
    let alpha = 1.0 - confidence;
    let ranked = ranks(x, y);
    let k = if n1 <= EXACT_LIMIT && n2 <= EXACT_LIMIT && ranked.tie_term == 0.0 {
        UDistribution::new(n1, n2).lower_quantile(alpha / 2.0)
    } else {
        let n = (n1 + n2) as f64;
        let sigma = (pairs as f64 / 12.0 * ((n + 1.0) - ranked.tie_term / (n * (n - 1.0)))).sqrt();
        (pairs as f64 / 2.0 - normal_quantile(1.0 - alpha / 2.0) * sigma)
            .floor()
            .max(0.0) as usize
    }
    .clamp(1, pairs.div_ceil(2));
    Ok(ShiftEstimate {
        estimate,
        lower: diffs[k - 1],
        upper: diffs[pairs - k],
        confidence,
    })
}

fn check_sample(sample: &[f64], which: &'static str) -> Result<(), StatsError> {
    if sample.is_empty() {
        return Err(StatsError::EmptySample { which });
    }
    match sample.iter().find(|v| !v.is_finite()) {
        Some(&value) => Err(StatsError::NonFinite { which, value }),
        None => Ok(()),
    }
}

/// Mid-ranks of the pooled sample, reduced to what the test needs.
struct Ranked {
    /// The sum of x's ranks.
    rank_sum_x: f64,
    /// Σ(t³ − t) over groups of t tied values.
    tie_term: f64,
}

fn ranks(x: &[f64], y: &[f64]) -> Ranked {
    let mut pooled: Vec<(f64, bool)> = x
        .iter()
        .map(|&v| (v, true))
        .chain(y.iter().map(|&v| (v, false)))
        .collect();
    pooled.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let mut rank_sum_x = 0.0;
    let mut tie_term = 0.0;
    let mut start = 0;
    while start < pooled.len() {
        let end = start
            + pooled[start..]
                .iter()
                .take_while(|p| p.0 == pooled[start].0)
                .count();
        let t = (end - start) as f64;
        // Ranks start..end (0-based) share the mid-rank (start + 1 + end)/2 (1-based).
        let mid_rank = (start + 1 + end) as f64 / 2.0;
        rank_sum_x += mid_rank * pooled[start..end].iter().filter(|p| p.1).count() as f64;
        tie_term += t * t * t - t;
        start = end;
    }
    Ranked {
        rank_sum_x,
        tie_term,
    }
}

/// The exact null distribution of U for sample sizes m and n: `counts[u]` arrangements of
/// the C(m + n, m) have U = u.
struct UDistribution {
    counts: Vec<i128>,
    total: f64,
}

impl UDistribution {
    fn new(m: usize, n: usize) -> Self {
        let (m, n) = (m.min(n), m.max(n));
        let mut counts = vec![0i128; m * n + 1];
        counts[0] = 1;
        // After step i, counts holds [n + i choose i]_q (degree i·n).
        for i in 1..=m {
            let degree = i * n;
            // Multiply by (1 − q^(n+i)), highest power first so each term uses old values.
            for k in (n + i..=degree).rev() {
                counts[k] -= counts[k - n - i];
            }
            // Divide by (1 − q^i): c'[k] = c[k] + c'[k − i].
            for k in i..=degree {
                counts[k] += counts[k - i];
            }
        }
        let total = counts.iter().sum::<i128>() as f64;
        Self { counts, total }
    }

    /// P(U ≥ u).
    fn sf(&self, u: usize) -> f64 {
        let tail: i128 = self.counts.iter().skip(u).sum();
        tail as f64 / self.total
    }

    /// The smallest u with P(U ≤ u) ≥ level (R's `qwilcox`).
    fn lower_quantile(&self, level: f64) -> usize {
        let mut cumulative = 0i128;
        for (u, &count) in self.counts.iter().enumerate() {
            cumulative += count;
            if cumulative as f64 / self.total >= level {
                return u;
            }
        }
        self.counts.len() - 1
    }
}

#[cfg(test)]
#[path = "rank_tests.rs"]
mod tests;
