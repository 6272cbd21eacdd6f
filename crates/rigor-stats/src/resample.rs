//! The resampling engines behind [`crate::bootstrap`]: one per kind of input, each able to
//! give the statistic on the original data, one bootstrap replicate, and its jackknife
//! (leave-one-out) values for BCa.
//!
//! Quantiles of i.i.d. samples are resampled through order statistics rather than by
//! drawing n values: if U₍ᵣ₎ is the r-th smallest of n uniforms then F̂⁻¹(U₍ᵣ₎) is exactly
//! the r-th smallest of n draws with replacement from the sample, U₍ᵣ₎ ~ Beta(r, n − r + 1),
//! and given U₍ᵣ₎ the next one is U₍ᵣ₎ + (1 − U₍ᵣ₎)·Beta(1, n − r). So one replicate of a
//! type-7 quantile costs two Beta draws and two binary searches whatever n is, and is
//! identical in distribution to the naive resample (this is the classical representation
//! behind the exact bootstrap of quantiles: Maritz & Jarrett 1978, JASA 73(361); Hutson &
//! Ernst 2000, JRSS B 62(1)). A histogram of millions of requests therefore resamples as
//! fast as thirty bench runs.

use fastrand::Rng;
use hdrhistogram::Histogram;

use crate::bootstrap::{Sample, Statistic};
use crate::quantile::{type7_position, EmpiricalDistribution};
use crate::StatsError;

/// A jackknife value θ₍₋ᵢ₎ with the number of deletions that give it.
pub(crate) type Jackknife = Vec<(f64, f64)>;

/// One prepared input: the statistic, its replicates and its jackknife.
pub(crate) enum Resampler {
    /// Values or a histogram, resampled observation by observation.
    Iid {
        table: EmpiricalDistribution,
        statistic: Statistic,
    },
    /// Per-window histograms, resampled window by window.
    Windows(WindowTable, Statistic),
}

impl Resampler {
    pub(crate) fn new(
        sample: &Sample<'_>,
        statistic: Statistic,
        which: &'static str,
    ) -> Result<Self, StatsError> {
        Ok(match sample {
            Sample::Values(values) => Resampler::Iid {
                table: EmpiricalDistribution::from_values(values, which)?,
                statistic,
            },
            Sample::Histogram(histogram) => Resampler::Iid {
                table: EmpiricalDistribution::from_histogram(histogram, which)?,
                statistic,
            },
            Sample::Windows(windows) => {
                let counts: Vec<Vec<(u64, u64)>> = windows.iter().map(recorded).collect();
                Resampler::Windows(WindowTable::new(counts, which)?, statistic)
            }
            Sample::WindowCounts(windows) => {
                Resampler::Windows(WindowTable::new(windows.to_vec(), which)?, statistic)
            }
        })
    }

    /// The statistic on the original data.
    pub(crate) fn estimate(&self) -> f64 {
        match self {
            Resampler::Iid {
                table,
                statistic: Statistic::Quantile(p),
            } => table.quantile(*p),
            Resampler::Iid {
                table,
                statistic: Statistic::Mean,
            } => table.mean(),
            Resampler::Windows(windows, statistic) => {
                windows.statistic_of(&windows.all_counts(), *statistic)
            }
        }
    }

    /// One bootstrap replicate of the statistic.
    pub(crate) fn replicate(&self, rng: &mut Rng, scratch: &mut Vec<u64>) -> f64 {
        match self {
            Resampler::Iid {
                table,
                statistic: Statistic::Quantile(p),
            } => quantile_replicate(table, *p, rng),
            Resampler::Iid {
                table,
                statistic: Statistic::Mean,
            } => {
                let n = table.len();
                let sum: f64 = (0..n).map(|_| table.inverse_cdf(rng.f64())).sum();
                sum / n as f64
            }
            Resampler::Windows(windows, statistic) => windows.replicate(*statistic, rng, scratch),
        }
    }

    /// Leave-one-out values of the statistic, grouped with their multiplicities: one
    /// observation deleted at a time for i.i.d. inputs, one window for windowed inputs.
    pub(crate) fn jackknife(&self) -> Jackknife {
        match self {
            Resampler::Iid {
                table,
                statistic: Statistic::Quantile(p),
            } => quantile_jackknife(table, *p),
            Resampler::Iid {
                table,
                statistic: Statistic::Mean,
            } => {
                let n = table.len();
                if n < 2 {
                    return Vec::new();
                }
                let sum = table.weighted_sum();
                table
                    .values()
                    .iter()
                    .zip(table.counts())
                    .map(|(v, c)| ((sum - v) / (n - 1) as f64, c as f64))
                    .collect()
            }
            Resampler::Windows(windows, statistic) => windows.jackknife(*statistic),
        }
    }

    /// A hash of the data, so that each sample's random stream follows its contents (see
    /// `bootstrap::streams`).
    pub(crate) fn fingerprint(&self) -> u64 {
        let mut hash = Fnv::default();
        match self {
            Resampler::Iid { table, .. } => {
                for (value, count) in table.values().iter().zip(table.counts()) {
                    hash.write(value.to_bits());
                    hash.write(count);
                }
            }
            Resampler::Windows(windows, _) => {
                for window in &windows.windows {
                    for &(index, count) in window {
                        hash.write(windows.values[index].to_bits());
                        hash.write(count);
                    }
                    hash.write(u64::MAX);
                }
            }
        }
        hash.0
    }
}

/// One replicate of the type-7 p-quantile of an i.i.d. resample, by order statistics.
fn quantile_replicate(table: &EmpiricalDistribution, p: f64, rng: &mut Rng) -> f64 {
    let n = table.len();
    let (rank, g) = type7_position(n, p);
    let u_low = beta(rng, rank as f64, (n - rank + 1) as f64);
    let low = table.inverse_cdf(u_low);
    if g == 0.0 || rank >= n {
        return low;
    }
    // Given U₍ᵣ₎, U₍ᵣ₊₁₎ is U₍ᵣ₎ plus the minimum of n − r uniforms on (U₍ᵣ₎, 1).
    let spacing = -((1.0 - rng.f64()).ln() / (n - rank) as f64).exp_m1();
    let u_high = u_low + (1.0 - u_low) * spacing;
    low + g * (table.inverse_cdf(u_high) - low)
}

/// Leave-one-out type-7 quantiles, in closed form: deleting the observation of rank d from
/// the sorted sample leaves one of only three quantile values, depending on whether d lies
/// below, at or above the reduced sample's interpolation point.
fn quantile_jackknife(table: &EmpiricalDistribution, p: f64) -> Jackknife {
    let n = table.len();
    if n < 2 {
        return Vec::new();
    }
    let (j, g) = type7_position(n - 1, p);
    let x = |rank: u64| table.order_statistic(rank);
    let interpolate = |low: f64, high: f64| if g > 0.0 { low + g * (high - low) } else { low };
    vec![
        // d ≤ j: every reduced order statistic from j on shifts up by one.
        (interpolate(x(j + 1), x(j + 2)), j as f64),
        // d = j + 1: the lower point stays, the upper one shifts.
        (interpolate(x(j), x(j + 2)), 1.0),
        // d > j + 1: neither point moves.
        (interpolate(x(j), x(j + 1)), (n - j - 1) as f64),
    ]
}

/// Per-window histograms as counts over one shared, sorted set of bucket values.
pub(crate) struct WindowTable {
    /// Every distinct bucket value of every window, ascending.
    values: Vec<f64>,
    /// Each window's (index into `values`, count), only non-zero counts.
    windows: Vec<Vec<(usize, u64)>>,
}

/// A histogram's recorded `(value, count)` pairs, ascending.
pub(crate) fn recorded(h: &Histogram<u64>) -> Vec<(u64, u64)> {
    h.iter_recorded()
        .map(|b| (b.value_iterated_to(), b.count_at_value()))
        .collect()
}

impl WindowTable {
    fn new(raw: Vec<Vec<(u64, u64)>>, which: &'static str) -> Result<Self, StatsError> {
        let mut distinct: Vec<u64> = raw.iter().flatten().map(|&(v, _)| v).collect();
        if distinct.is_empty() {
            return Err(StatsError::EmptySample { which });
        }
        distinct.sort_unstable();
        distinct.dedup();
        let windows = raw
            .into_iter()
            .map(|window| {
                window
                    .into_iter()
                    .filter_map(|(v, c)| distinct.binary_search(&v).ok().map(|index| (index, c)))
                    .collect()
            })
            .collect();
        Ok(Self {
            values: distinct.into_iter().map(|v| v as f64).collect(),
            windows,
        })
    }

    fn all_counts(&self) -> Vec<u64> {
        let mut counts = vec![0; self.values.len()];
        for window in &self.windows {
            add_window(&mut counts, window);
        }
        counts
    }

    /// The statistic of the observations whose per-value counts are `counts`.
    fn statistic_of(&self, counts: &[u64], statistic: Statistic) -> f64 {
        let total: u64 = counts.iter().sum();
        match statistic {
            Statistic::Mean => {
                self.values
                    .iter()
                    .zip(counts)
                    .map(|(v, &c)| v * c as f64)
                    .sum::<f64>()
                    / total as f64
            }
            Statistic::Quantile(p) => {
                let (rank, g) = type7_position(total, p);
                let low = self.order_statistic(counts, rank);
                if g > 0.0 && rank < total {
                    low + g * (self.order_statistic(counts, rank + 1) - low)
                } else {
                    low
                }
            }
        }
    }

    fn order_statistic(&self, counts: &[u64], rank: u64) -> f64 {
        let mut seen = 0;
        for (value, &count) in self.values.iter().zip(counts) {
            seen += count;
            if seen >= rank {
                return *value;
            }
        }
        self.values[self.values.len() - 1]
    }

    /// Draw as many windows as there are, with replacement, merge them and take the
    /// statistic. A draw of only empty windows (possible when a run stalled) is redrawn.
    fn replicate(&self, statistic: Statistic, rng: &mut Rng, counts: &mut Vec<u64>) -> f64 {
        let w = self.windows.len();
        loop {
            counts.clear();
            counts.resize(self.values.len(), 0);
            for _ in 0..w {
                add_window(counts, &self.windows[rng.usize(..w)]);
            }
            if counts.iter().any(|&c| c > 0) {
                return self.statistic_of(counts, statistic);
            }
        }
    }

    /// The statistic with each window left out in turn (windows whose removal leaves nothing
    /// are skipped).
    fn jackknife(&self, statistic: Statistic) -> Jackknife {
        let all = self.all_counts();
        let total: u64 = all.iter().sum();
        let mut counts = all.clone();
        let mut out = Vec::with_capacity(self.windows.len());
        for window in &self.windows {
            let removed: u64 = window.iter().map(|&(_, c)| c).sum();
            if removed == total {
                continue;
            }
            for &(index, count) in window {
                counts[index] -= count;
            }
            out.push((self.statistic_of(&counts, statistic), 1.0));
            for &(index, count) in window {
                counts[index] += count;
            }
        }
        out
    }
}

fn add_window(counts: &mut [u64], window: &[(usize, u64)]) {
    for &(index, count) in window {
        counts[index] += count;
    }
}

/// A Beta(a, b) draw as X/(X + Y) with X ~ Gamma(a), Y ~ Gamma(b).
fn beta(rng: &mut Rng, a: f64, b: f64) -> f64 {
    let x = gamma(rng, a);
    let y = gamma(rng, b);
    x / (x + y)
}

/// A Gamma(shape, 1) draw by Marsaglia & Tsang, "A simple method for generating gamma
/// variables", ACM TOMS 26(3), 2000; shapes below 1 use Gamma(a) = Gamma(a + 1)·U^(1/a).
fn gamma(rng: &mut Rng, shape: f64) -> f64 {
    if shape < 1.0 {
        let u = 1.0 - rng.f64();
        return gamma(rng, shape + 1.0) * u.powf(1.0 / shape);
    }
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x = standard_normal(rng);
        let v = 1.0 + c * x;
        if v <= 0.0 {
            continue;
        }
        let v = v * v * v;
        let u = 1.0 - rng.f64();
        let x2 = x * x;
        if u < 1.0 - 0.0331 * x2 * x2 || u.ln() < 0.5 * x2 + d * (1.0 - v + v.ln()) {
            return d * v;
        }
    }
}

/// A standard normal draw by the Box–Muller transform.
pub(crate) fn standard_normal(rng: &mut Rng) -> f64 {
    let u1 = 1.0 - rng.f64();
    let u2 = rng.f64();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// 64-bit FNV-1a over 64-bit words.
#[derive(Debug)]
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn write(&mut self, word: u64) {
        for byte in word.to_le_bytes() {
            self.0 ^= u64::from(byte);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quantile::{mean, variance};

    #[test]
    fn gamma_and_beta_have_their_moments() {
        let mut rng = Rng::with_seed(7);
        for shape in [0.5, 1.0, 3.0, 1e6] {
            let draws: Vec<f64> = (0..20_000).map(|_| gamma(&mut rng, shape)).collect();
            let m = mean(&draws).unwrap();
            assert!(
                (m - shape).abs() < 0.05 * shape.max(1.0).sqrt() * 3.0,
                "shape {shape}: mean {m}"
            );
        }
        // Beta(3, 7): mean 0.3, variance ab/((a+b)²(a+b+1)) = 21/1100.
        let draws: Vec<f64> = (0..20_000).map(|_| beta(&mut rng, 3.0, 7.0)).collect();
        assert!((mean(&draws).unwrap() - 0.3).abs() < 0.005);
        assert!((variance(&draws).unwrap() - 21.0 / 1100.0).abs() < 0.001);
    }

    #[test]
    fn order_statistic_replicates_match_naive_resampling() {
        // The bootstrap distribution of the median of 1..=11 resampled naively and by order
        // statistics must agree: compare their means and the probability of each value.
        let data: Vec<f64> = (1..=11).map(f64::from).collect();
        let table = EmpiricalDistribution::from_values(&data, "sample").unwrap();
        let mut rng = Rng::with_seed(11);
        let trials = 40_000;
        let fast: Vec<f64> = (0..trials)
            .map(|_| quantile_replicate(&table, 0.5, &mut rng))
            .collect();
        let naive: Vec<f64> = (0..trials)
            .map(|_| {
                let mut draw: Vec<f64> = (0..11).map(|_| data[rng.usize(..11)]).collect();
                draw.sort_unstable_by(f64::total_cmp);
                draw[5]
            })
            .collect();
        assert!((mean(&fast).unwrap() - mean(&naive).unwrap()).abs() < 0.05);
        for value in [4.0, 6.0, 8.0] {
            let share =
                |xs: &[f64]| xs.iter().filter(|&&x| x == value).count() as f64 / trials as f64;
            assert!(
                (share(&fast) - share(&naive)).abs() < 0.01,
                "P(median = {value})"
            );
        }
    }

    #[test]
    fn quantile_jackknife_matches_brute_force() {
        let data = [5.0, 1.0, 9.0, 3.0, 7.0, 2.0, 8.0];
        let table = EmpiricalDistribution::from_values(&data, "sample").unwrap();
        for p in [0.1, 0.5, 0.75, 0.95] {
            let mut brute: Vec<f64> = (0..data.len())
                .map(|i| {
                    let rest: Vec<f64> = data
                        .iter()
                        .enumerate()
                        .filter(|&(k, _)| k != i)
                        .map(|(_, &v)| v)
                        .collect();
                    crate::quantile(&rest, p).unwrap()
                })
                .collect();
            brute.sort_unstable_by(f64::total_cmp);
            let mut grouped: Vec<f64> = Vec::new();
            for (value, weight) in quantile_jackknife(&table, p) {
                grouped.extend(std::iter::repeat_n(value, weight as usize));
            }
            grouped.sort_unstable_by(f64::total_cmp);
            assert_eq!(grouped.len(), brute.len());
            for (a, b) in grouped.iter().zip(&brute) {
                assert!((a - b).abs() < 1e-12, "p={p}: {grouped:?} vs {brute:?}");
            }
        }
    }
}
