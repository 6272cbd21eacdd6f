//! What the steps of a capacity search say together: the knee of latency against load, and
//! the Universal Scalability Law fitted to concurrency against throughput.

use rigor_model::output::capacity::{
    CapacityStep, Knee, KneePoint, Scalability, SearchModel, StepVerdictKind,
};
use rigor_stats::knee::{kneedle, Bend};

/// The latency the knee is found on: the tail a service's SLO is usually of, less noisy over
/// a short hold than the p99.
pub const KNEE_LATENCY: &str = "latency.p95";

/// A knee by slope: latency rising this many times faster than at low load.
pub const SLOPE_FACTOR: f64 = 3.0;

/// The low-load slope is floored at the slope that would add this share of the lowest step's
/// latency across the whole measured range: a flat start (or one that noise makes fall) must
/// not make every later wobble a knee.
const SLOPE_FLOOR_SHARE: f64 = 0.1;

/// How far past the largest measured concurrency the model may be read: beyond it a
/// projection is an extrapolation.
pub const EXTRAPOLATION_LIMIT: f64 = 2.0;

/// The load a step offered: its rate (open model) or its users (closed).
fn load(step: &CapacityStep) -> Option<f64> {
    step.offered_per_s.or(step.users.map(f64::from))
}

/// The judged steps with a latency, by load (a rate tried twice keeps its first step).
fn curve(steps: &[CapacityStep]) -> Vec<(f64, &CapacityStep)> {
    let mut points: Vec<(f64, &CapacityStep)> = steps
        .iter()
        .filter(|s| s.verdict != StepVerdictKind::NotJudged && s.latency_p95_ns.is_some())
        .filter_map(|s| Some((load(s)?, s)))
        .collect();
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    points.dedup_by(|a, b| a.0 == b.0);
    points
}

/// The knee of the p95 against load: Kneedle's, and the last step before latency's slope
/// first exceeds [`SLOPE_FACTOR`] times its low-load slope. `None` with fewer than three
/// judged steps.
pub fn knee(steps: &[CapacityStep]) -> Option<Knee> {
    let points = curve(steps);
    if points.len() < 3 {
        return None;
    }
    let x: Vec<f64> = points.iter().map(|p| p.0).collect();
    let y: Vec<f64> = points
        .iter()
        .map(|p| p.1.latency_p95_ns.unwrap_or(0.0))
        .collect();
    let at = |i: usize| KneePoint {
        step: points[i].1.step,
        throughput_per_s: points[i].1.achieved_per_s,
        latency_ns: y[i],
    };
    let kneedle = kneedle(&x, &y, Bend::Convex, 1.0).map(at);
    let slope = |i: usize| (y[i] - y[i - 1]) / (x[i] - x[i - 1]);
    let floor = SLOPE_FLOOR_SHARE * y[0] / (x[x.len() - 1] - x[0]);
    let low = slope(1).max(floor);
    let slope = (2..x.len())
        .find(|&i| slope(i) > SLOPE_FACTOR * low)
        .map(|i| at(i - 1));
    Some(Knee {
        latency: KNEE_LATENCY.to_string(),
        kneedle,
        slope,
        slope_factor: SLOPE_FACTOR,
    })
}

/// The USL fitted to the judged steps: their users (closed model) or, for the open model, the
/// requests in the system by Little's law (achieved throughput × mean latency) against their
/// achieved throughput. `Err` says why there is no fit.
pub fn scalability(steps: &[CapacityStep], model: SearchModel) -> Result<Scalability, String> {
    let points: Vec<(f64, f64)> = steps
        .iter()
        .filter(|s| s.verdict != StepVerdictKind::NotJudged && s.achieved_per_s > 0.0)
        .filter_map(|s| {
            let n = match model {
                SearchModel::Closed => s.users.map(f64::from),
                SearchModel::Open => s.in_flight,
            }?;
            (n > 0.0).then_some((n, s.achieved_per_s))
        })
        .collect();
    let usl =
        rigor_stats::usl::fit_usl(&points).map_err(|e| format!("no scalability model: {e}"))?;
    let largest = points.iter().map(|p| p.0).fold(0.0, f64::max);
    let peak = usl.peak_concurrency();
    Ok(Scalability {
        concurrency_from: match model {
            SearchModel::Closed => "the users of each step".into(),
            SearchModel::Open => {
                "Little's law: achieved throughput × mean latency of each step".into()
            }
        },
        sigma: usl.sigma,
        kappa: usl.kappa,
        lambda: usl.lambda,
        sigma_se: usl.sigma_se,
        kappa_se: usl.kappa_se,
        lambda_se: usl.lambda_se,
        r_squared: usl.r_squared,
        residuals: usl.residuals.clone(),
        peak_concurrency: peak,
        peak_throughput_per_s: usl.peak_throughput(),
        amdahl_ceiling_per_s: usl.amdahl_ceiling(),
        bound_by: bound_by(&usl, largest).into(),
        largest_measured: largest,
        peak_extrapolated: peak.is_some_and(|n| n > EXTRAPOLATION_LIMIT * largest),
        curve: (1..=CURVE_POINTS)
            .map(|i| {
                let n = EXTRAPOLATION_LIMIT * largest * f64::from(i) / f64::from(CURVE_POINTS);
                (n, usl.throughput(n))
            })
            .collect(),
        points,
    })
}

/// What limits the system, as far as the fit can tell: `contention` when σ's share of the
/// denominator at the largest measured concurrency, σ(N−1), outweighs coherency's, κN(N−1);
/// `coherency` otherwise; and `undetermined` when the one that would decide is within twice
/// its standard error of zero (a few points along a hard limit fit either shape).
fn bound_by(usl: &rigor_stats::usl::Usl, largest: f64) -> &'static str {
    let clear = |v: f64, se: Option<f64>| se.is_some_and(|se| v > 2.0 * se);
    let contention = usl.sigma >= usl.kappa * largest;
    match (
        contention,
        clear(usl.sigma, usl.sigma_se),
        clear(usl.kappa, usl.kappa_se),
    ) {
        (true, true, _) => "contention",
        (false, _, true) => "coherency",
        _ => "undetermined",
    }
}

/// Points of the fitted curve kept for charts.
const CURVE_POINTS: u32 = 60;

/// The USL's throughput at concurrency `n` of a fitted model.
pub fn modelled_throughput(s: &Scalability, n: f64) -> f64 {
    s.lambda * n / (1.0 + s.sigma * (n - 1.0) + s.kappa * n * (n - 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(n: u32, load: f64, achieved: f64, p95_ms: f64, mean_ms: f64) -> CapacityStep {
        CapacityStep {
            step: n,
            run_id: i64::from(n),
            offered_per_s: Some(load),
            users: None,
            achieved_per_s: achieved,
            latency_mean_ns: Some(mean_ms * 1e6),
            latency_p50_ns: Some(mean_ms * 1e6),
            latency_p95_ns: Some(p95_ms * 1e6),
            latency_p99_ns: Some(p95_ms * 1e6),
            error_rate: 0.0,
            target_cpu: None,
            in_flight: Some(achieved * mean_ms / 1e3),
            verdict: if achieved >= 0.95 * load {
                StepVerdictKind::Pass
            } else {
                StepVerdictKind::Fail
            },
            reasons: Vec::new(),
        }
    }

    /// A pool of four 20 ms workers (200/s), searched as `rigor capacity` does: latency flat,
    /// then queueing near 200/s, then arrivals piling up.
    fn pool() -> Vec<CapacityStep> {
        vec![
            step(1, 50.0, 50.0, 21.0, 20.2),
            step(2, 75.0, 75.0, 21.5, 20.4),
            step(3, 112.5, 112.4, 23.0, 20.9),
            step(4, 168.8, 168.5, 31.0, 23.0),
            step(5, 253.1, 200.1, 2400.0, 1300.0),
            step(6, 210.9, 200.0, 700.0, 380.0),
            step(7, 189.8, 189.6, 52.0, 30.0),
            step(8, 200.4, 199.8, 95.0, 48.0),
        ]
    }

    #[test]
    fn the_knee_of_a_saturating_pool_lies_at_or_below_its_capacity() {
        let k = knee(&pool()).unwrap();
        let kneedle = k.kneedle.unwrap();
        let slope = k.slope.unwrap();
        // By load: 50, 75, 112.5, 168.8, 189.8, 200.4, 210.9, 253.1; latency turns after 200.4.
        assert!([7, 8].contains(&kneedle.step), "{kneedle:?}");
        assert!(kneedle.throughput_per_s <= 200.0, "{kneedle:?}");
        // The slope rule is the earlier warning: the p95 rises 0.14 ms per 1/s from 112.5/s
        // to 168.8/s, seven times its 0.02 at low load.
        assert_eq!(slope.step, 3, "{slope:?}");
    }

    #[test]
    fn too_few_steps_have_no_knee_and_unjudged_steps_are_left_out() {
        let mut steps = pool();
        steps.truncate(2);
        assert!(knee(&steps).is_none());
        let mut steps = pool();
        for s in &mut steps[2..] {
            s.verdict = StepVerdictKind::NotJudged;
        }
        assert!(knee(&steps).is_none());
        assert!(scalability(&steps, SearchModel::Open)
            .unwrap_err()
            .contains("at least 3"));
    }

    #[test]
    fn the_pool_fits_a_contention_bound_model_with_its_ceiling_at_the_pool_rate() {
        let s = scalability(&pool(), SearchModel::Open).unwrap();
        assert_eq!(s.bound_by, "contention");
        let ceiling = s
            .amdahl_ceiling_per_s
            .unwrap()
            .min(s.peak_throughput_per_s.unwrap_or(f64::INFINITY));
        // A pool is a hard limit (linear to 200/s, then flat) that the USL's smooth curve
        // rounds off: its ceiling lands within 15 %, the fit is loose but real.
        assert!((ceiling - 200.0).abs() < 30.0, "{s:?}");
        assert!(s.r_squared > 0.9, "{}", s.r_squared);
        assert_eq!(s.points.len(), 8);
        assert!((s.largest_measured - 260.13).abs() < 0.01, "{s:?}");
    }

    #[test]
    fn a_closed_sweep_fits_on_its_users_and_flags_a_peak_far_past_what_was_measured() {
        // σ 0.05, κ 1e-4, λ 100: the peak is at √(0.95/1e-4) ≈ 97 users, 24 times the most
        // measured.
        let truth = |n: f64| 100.0 * n / (1.0 + 0.05 * (n - 1.0) + 1e-4 * n * (n - 1.0));
        let steps: Vec<CapacityStep> = (1..=4)
            .map(|n| CapacityStep {
                users: Some(n),
                offered_per_s: None,
                in_flight: None,
                verdict: StepVerdictKind::Pass,
                ..step(n, 0.0, truth(f64::from(n)), 1.0, 1.0)
            })
            .collect();
        let s = scalability(&steps, SearchModel::Closed).unwrap();
        assert_eq!(s.points[0], (1.0, 100.0));
        assert!((s.sigma - 0.05).abs() < 1e-6, "{s:?}");
        assert!((s.kappa - 1e-4).abs() < 1e-7, "{s:?}");
        assert!((s.peak_concurrency.unwrap() - 97.47).abs() < 0.01, "{s:?}");
        assert!(s.peak_extrapolated, "{s:?}");
        assert!((modelled_throughput(&s, 2.0) - truth(2.0)).abs() < 1e-6);
    }
}
