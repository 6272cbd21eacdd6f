//! The work a route does per request: sampled latency, CPU burned on the worker, leaked memory.

use std::time::{Duration, Instant};

use crate::LatencyDist;

/// The standard normal's 99th percentile: how many sigmas p99 lies above the median.
const Z_99: f64 = 2.326_347_874_040_840_8;

/// Sampled delays are capped at a day so an extreme log-normal tail cannot overflow a Duration.
const MAX_DELAY_NANOS: f64 = 86_400e9;

impl LatencyDist {
    /// Draws one delay. Takes the generator so tests can seed it.
    pub fn sample(&self, rng: &mut fastrand::Rng) -> Duration {
        match *self {
            LatencyDist::None => Duration::ZERO,
            LatencyDist::Fixed(delay) => delay,
            LatencyDist::Uniform(low, high) => low + (high - low).mul_f64(rng.f64()),
            LatencyDist::LogNormal { median, p99 } => {
                let mu = (median.as_nanos() as f64).ln();
                let sigma = ((p99.as_nanos() as f64).ln() - mu) / Z_99;
                let nanos = (mu + sigma * standard_normal(rng)).exp();
                Duration::from_nanos(nanos.min(MAX_DELAY_NANOS) as u64)
            }
        }
    }
}

/// One standard normal draw by the Box–Muller transform.
fn standard_normal(rng: &mut fastrand::Rng) -> f64 {
    // 1 - [0, 1) is (0, 1], so the logarithm is finite.
    let u1 = 1.0 - rng.f64();
    let u2 = rng.f64();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Keeps this worker thread busy hashing until it has used `budget` of CPU time, so the time
/// shows up on a CPU profile under this function's name rather than as idle time. CPU time,
/// not wall time: a request that costs 20 ms of CPU takes longer on a machine whose cores are
/// shared, as a real CPU-bound service's does (a wall-clock burn would finish on time using
/// less CPU, and a CPU-bound target would never saturate the cores it is given).
#[inline(never)]
pub(crate) fn burn_cpu(budget: Duration) {
    if budget.is_zero() {
        return;
    }
    // Without a thread clock (every Linux since 2.6.12 has one) it burns by the wall.
    let clock: fn() -> Option<Duration> = if thread_cpu_time().is_some() {
        thread_cpu_time
    } else {
        wall_time
    };
    let start = clock().unwrap_or_default();
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    while clock().is_some_and(|now| now.saturating_sub(start) < budget) {
        // A microsecond or so of hashing between reads of the clock, so the clock's system
        // call is a small part of the burn.
        for _ in 0..512 {
            // SplitMix64 steps: cheap, and the optimiser cannot see through black_box.
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            state = std::hint::black_box(z ^ (z >> 31));
        }
    }
}

/// The CPU time this thread has used.
#[allow(unsafe_code)]
fn thread_cpu_time() -> Option<Duration> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the call only writes it.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    (rc == 0).then(|| Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
}

/// Time since a fixed point, for when the thread clock cannot be read.
fn wall_time() -> Option<Duration> {
    static ORIGIN: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    Some(ORIGIN.get_or_init(Instant::now).elapsed())
}

/// A block of `bytes` with every page written, so resident memory really grows (a zeroed
/// allocation would only reserve address space).
pub(crate) fn touched_block(bytes: u64) -> Vec<u8> {
    vec![0xA5; usize::try_from(bytes).unwrap_or(usize::MAX)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quantile(sorted: &[Duration], q: f64) -> f64 {
        let at = ((sorted.len() as f64) * q) as usize;
        sorted[at.min(sorted.len() - 1)].as_secs_f64()
    }

    #[test]
    fn lognormal_matches_its_median_and_p99() {
        let dist = LatencyDist::LogNormal {
            median: Duration::from_millis(20),
            p99: Duration::from_millis(200),
        };
        let mut rng = fastrand::Rng::with_seed(0x5EED);
        let mut samples: Vec<Duration> = (0..20_000).map(|_| dist.sample(&mut rng)).collect();
        samples.sort();
        let median = quantile(&samples, 0.5);
        let p99 = quantile(&samples, 0.99);
        assert!((median / 0.020 - 1.0).abs() < 0.05, "median {median}");
        assert!((p99 / 0.200 - 1.0).abs() < 0.10, "p99 {p99}");
    }

    #[test]
    fn standard_normal_has_unit_spread() {
        let mut rng = fastrand::Rng::with_seed(7);
        let draws: Vec<f64> = (0..20_000).map(|_| standard_normal(&mut rng)).collect();
        let mean = draws.iter().sum::<f64>() / draws.len() as f64;
        let variance = draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / draws.len() as f64;
        assert!(mean.abs() < 0.03, "mean {mean}");
        assert!((variance - 1.0).abs() < 0.05, "variance {variance}");
    }

    #[test]
    fn uniform_and_fixed_stay_in_bounds() {
        let (low, high) = (Duration::from_millis(10), Duration::from_millis(30));
        let mut rng = fastrand::Rng::with_seed(1);
        let uniform = LatencyDist::Uniform(low, high);
        let samples: Vec<Duration> = (0..10_000).map(|_| uniform.sample(&mut rng)).collect();
        assert!(samples.iter().all(|d| (low..=high).contains(d)));
        let mean = samples.iter().sum::<Duration>() / samples.len() as u32;
        assert!(mean > Duration::from_millis(19) && mean < Duration::from_millis(21));
        assert_eq!(LatencyDist::Fixed(low).sample(&mut rng), low);
        assert_eq!(LatencyDist::None.sample(&mut rng), Duration::ZERO);
    }

    #[test]
    fn burn_cpu_uses_its_budget_of_cpu_time() {
        let (start, cpu) = (Instant::now(), thread_cpu_time().unwrap());
        burn_cpu(Duration::from_millis(5));
        let used = thread_cpu_time().unwrap() - cpu;
        assert!(used >= Duration::from_millis(5), "{used:?}");
        assert!(start.elapsed() >= used);
    }

    #[test]
    fn touched_block_is_written() {
        let block = touched_block(4096);
        assert_eq!(block.len(), 4096);
        assert!(block.iter().all(|&b| b == 0xA5));
    }
}
