//! `cargo bench -p rigor-stats --bench changepoint`: change points over 10,000 runs of one
//! metric (steps every 500 runs under 2 % noise), the history command's hot path. Prints the
//! median of 11 timings and the change points found; the goal is under a second.

// A benchmark's output is its result.
#![allow(clippy::print_stdout)]

use std::time::Instant;

use rigor_stats::changepoint::{change_points, Options};

fn series(n: usize) -> Vec<f64> {
    // A fixed pseudo-random walk of noise (SplitMix64 → uniform, summed in twelves ≈ normal).
    let mut s: u64 = 42;
    let mut uniform = || {
        s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = s;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..n)
        .map(|i| {
            let level = 100.0 * (1.0 + 0.1 * ((i / 500) % 3) as f64);
            let normal: f64 = (0..12).map(|_| uniform()).sum::<f64>() - 6.0;
            level * (1.0 + 0.02 * normal)
        })
        .collect()
}

fn main() {
    let data = series(10_000);
    let options = Options::default();
    let mut times = Vec::new();
    let mut found = 0;
    for _ in 0..11 {
        let t = Instant::now();
        let points = std::hint::black_box(change_points(std::hint::black_box(&data), &options));
        found = points.len();
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let sized = change_points(
        &data,
        &Options {
            min_magnitude: 0.05,
            ..options
        },
    );
    println!(
        "change points over 10,000 runs: median {:.1} ms (min {:.1} ms, max {:.1} ms) over 11; {found} found at p ≤ 0.001, {} of at least 5 % (the series has 19 steps of 9–17 %)",
        times[5] * 1e3,
        times[0] * 1e3,
        times[10] * 1e3,
        sized.len()
    );
}
