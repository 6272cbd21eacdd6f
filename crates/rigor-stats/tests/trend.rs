//! The Theil–Sen fit and Sen's interval against SciPy's `theilslopes` on committed series
//! (`reference/theil_sen.py` computed them; the JSON holds data and expected values).

use rigor_stats::{block_means, theil_sen};

#[test]
fn fits_agree_with_scipy() {
    let reference: serde_json::Value =
        serde_json::from_str(include_str!("reference/theil_sen.json")).unwrap();
    let numbers = |v: &serde_json::Value| -> Vec<f64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_f64().unwrap())
            .collect()
    };
    let cases = reference["cases"].as_array().unwrap();
    assert!(cases.len() >= 8);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let (x, y) = (numbers(&case["x"]), numbers(&case["y"]));
        let fit = theil_sen(&x, &y, case["confidence"].as_f64().unwrap())
            .unwrap_or_else(|| panic!("{name}: a fit"));
        for (what, got, want) in [
            ("slope", fit.slope, &case["slope"]),
            ("intercept", fit.intercept, &case["intercept"]),
            ("lower", fit.lower, &case["lower"]),
            ("upper", fit.upper, &case["upper"]),
        ] {
            let want = want.as_f64().unwrap();
            assert!(
                (got - want).abs() <= 1e-9 * want.abs().max(1.0),
                "{name} {what}: {got} against SciPy's {want}"
            );
        }
    }
}

#[test]
fn too_little_or_bad_data_has_no_fit() {
    assert!(theil_sen(&[1.0, 2.0], &[1.0, 2.0], 0.95).is_none());
    assert!(theil_sen(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0], 0.95).is_none());
    assert!(theil_sen(&[1.0, 2.0, 3.0], &[1.0, f64::NAN, 3.0], 0.95).is_none());
    assert!(theil_sen(&[1.0, 2.0, 3.0], &[1.0, 2.0], 0.95).is_none());
}

#[test]
fn blocks_average_contiguous_points() {
    let x: Vec<f64> = (0..10).map(f64::from).collect();
    let (bx, by) = block_means(&x, &x, 3);
    assert_eq!(bx, vec![1.0, 4.0, 7.5]);
    assert_eq!(by, bx);
    let (bx, _) = block_means(&x, &x, 60);
    assert_eq!(bx.len(), 10, "never more blocks than points");
    assert_eq!(block_means(&[], &[], 60).0.len(), 0);
}

/// A deterministic noise source for the synthetic series (xorshift, normal-ish by summing).
fn noise(seed: u64, n: usize, scale: f64) -> Vec<f64> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            let mut sum = 0.0;
            for _ in 0..4 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                sum += (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
            }
            sum * scale
        })
        .collect()
}

/// An hour of per-second RSS samples shaped by `f`, with ±2 MiB noise.
fn hour(seed: u64, f: impl Fn(f64) -> f64) -> (Vec<f64>, Vec<f64>) {
    let x: Vec<f64> = (0..3600).map(f64::from).collect();
    let e = noise(seed, x.len(), 4.0 * MIB);
    let y = x
        .iter()
        .zip(&e)
        .map(|(t, e)| 200.0 * MIB + f(*t) + e)
        .collect();
    (x, y)
}

const MIB: f64 = 1024.0 * 1024.0;
/// The threshold: 1 MiB per hour, per second.
const THRESHOLD: f64 = MIB / 3600.0;

#[test]
fn a_steady_leak_is_found_with_its_slope() {
    use rigor_stats::trend::{growth, Why};
    for (seed, per_hour) in [(1, 20.0), (2, 5.0), (3, 100.0)] {
        let rate = per_hour * MIB / 3600.0;
        let (x, y) = hour(seed, |t| rate * t);
        let g = growth(&x, &y, THRESHOLD).unwrap();
        assert_eq!(g.why, Why::Grows, "{per_hour} MiB/h: {g:?}");
        assert!(
            (g.trend.slope / rate - 1.0).abs() < 0.2,
            "{per_hour} MiB/h found as {} MiB/h",
            g.trend.slope * 3600.0 / MIB
        );
        assert!(g.trend.lower <= rate && rate <= g.trend.upper, "{g:?}");
    }
}

#[test]
fn flat_sawtooth_and_step_series_are_not_leaks() {
    use rigor_stats::trend::{growth, Why};
    for seed in 1..=20 {
        let (x, y) = hour(seed, |_| 0.0);
        let g = growth(&x, &y, THRESHOLD).unwrap();
        assert!(!g.growing, "flat, seed {seed}: {g:?}");
        // A garbage-collected heap: up 40 MiB over each 5 minutes, then back down.
        let (x, y) = hour(seed, |t| 40.0 * MIB * ((t % 300.0) / 300.0));
        let g = growth(&x, &y, THRESHOLD).unwrap();
        assert!(!g.growing, "sawtooth, seed {seed}: {g:?}");
        // Slower collections: four teeth in the hour.
        let (x, y) = hour(seed, |t| 40.0 * MIB * ((t % 900.0) / 900.0));
        let g = growth(&x, &y, THRESHOLD).unwrap();
        assert!(!g.growing, "slow sawtooth, seed {seed}: {g:?}");
        // A cache filled once, a third of the way in.
        let (x, y) = hour(seed, |t| if t > 1200.0 { 64.0 * MIB } else { 0.0 });
        let g = growth(&x, &y, THRESHOLD).unwrap();
        assert!(!g.growing, "step, seed {seed}: {g:?}");
        assert_ne!(g.why, Why::Grows);
    }
    // Growth slower than the threshold is said as such.
    let (x, y) = hour(7, |t| 0.5 * MIB / 3600.0 * t);
    let g = growth(&x, &y, THRESHOLD).unwrap();
    assert!(
        matches!(g.why, Why::BelowThreshold | Why::NotBeyondNoise),
        "{g:?}"
    );
    assert!(
        growth(&x[..5], &y[..5], THRESHOLD).is_none(),
        "too short to judge"
    );
}

/// Sawtooth periods up to a third of the window are told from a leak in 50 of 50 noisy
/// series; a 3 MiB/h leak under the same noise is found in 50 of 50. (Two teeth in the window
/// are not: each half is then one climb, as a leak's is — a soak must outlast its
/// collections.)
#[test]
fn sawtooth_periods_up_to_a_third_of_the_window_are_not_leaks() {
    use rigor_stats::trend::growth;
    for period in [120.0, 360.0, 600.0, 900.0, 1200.0] {
        for seed in 1..=50 {
            let (x, y) = hour(seed, |t| 40.0 * MIB * ((t % period) / period));
            let g = growth(&x, &y, THRESHOLD).unwrap();
            assert!(!g.growing, "period {period} s, seed {seed}: {g:?}");
            let (x, y) = hour(seed, |t| 3.0 * MIB / 3600.0 * t);
            assert!(
                growth(&x, &y, THRESHOLD).unwrap().growing,
                "leak, seed {seed}"
            );
        }
    }
}
