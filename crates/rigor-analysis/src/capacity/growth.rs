//! What growth needs: instances at a target utilisation, the headroom left, the cost of a
//! million requests at the SLO, and a scaling policy's target from the knee.

use rigor_model::output::capacity::{CapacityStep, Growth, Knee};

/// Hours in an average month (365 × 24 / 12), as cloud prices count them.
pub const HOURS_PER_MONTH: f64 = 730.0;

/// The question `--growth` asks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GrowthQuestion {
    /// Today's peak load, per second.
    pub current_per_s: f64,
    /// How many times today's load to plan for.
    pub factor: f64,
    /// The utilisation instances are planned at, 0–1.
    pub target_utilisation: f64,
    pub cost_per_instance_hour: Option<f64>,
}

/// Answers `question` for an instance measured to sustain `capacity_per_s` at the SLO, with
/// the search's `knee` and `steps` for the scaling policy's targets.
pub fn growth(
    question: GrowthQuestion,
    capacity_per_s: f64,
    knee: Option<&Knee>,
    steps: &[CapacityStep],
) -> Growth {
    let GrowthQuestion {
        current_per_s: current,
        factor,
        target_utilisation: u,
        cost_per_instance_hour: cost,
    } = question;
    let projected = current * factor;
    let usable = capacity_per_s * u;
    let instances = |load: f64| ((load / usable).ceil() as u32).max(1);
    let knee_point = knee.and_then(|k| k.kneedle.as_ref().or(k.slope.as_ref()));
    let scale_out_utilisation = knee_point
        .map(|k| k.throughput_per_s / capacity_per_s)
        .filter(|&share| share < 1.0);
    let scale_out_cpu = knee_point
        .filter(|_| scale_out_utilisation.is_some())
        .and_then(|k| steps.iter().find(|s| s.step == k.step))
        .and_then(|s| s.target_cpu);
    let mut assumptions = vec![
        format!(
            "one instance is what was tested: it sustained {capacity_per_s:.1}/s at the SLO on this machine"
        ),
        "instances add capacity linearly (a stateless service behind a balancer); a shared database or cache does not scale with them, and the scalability model says how one instance scales with concurrency".to_string(),
        format!(
            "instances are planned at {:.0} % of that capacity, leaving the rest for bursts and a lost instance",
            u * 100.0
        ),
    ];
    if let Some(share) = scale_out_utilisation.filter(|&share| share < u) {
        assumptions.push(format!(
            "latency turns at {:.0} % of capacity (the knee), below the planned {:.0} %: plan at the knee's utilisation, or accept the latency above it",
            share * 100.0,
            u * 100.0
        ));
    }
    Growth {
        current_per_s: current,
        factor,
        projected_per_s: projected,
        capacity_per_instance_per_s: capacity_per_s,
        target_utilisation: u,
        instances_now: instances(current),
        instances_needed: instances(projected),
        headroom_now: capacity_per_s / current - 1.0,
        headroom_projected: capacity_per_s / projected - 1.0,
        cost_per_instance_hour: cost,
        cost_per_million_requests: cost.map(|c| c / (usable * 3600.0) * 1e6),
        monthly_cost_projected: cost.map(|c| c * f64::from(instances(projected)) * HOURS_PER_MONTH),
        scale_out_utilisation,
        scale_out_cpu,
        assumptions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rigor_model::output::capacity::KneePoint;

    #[test]
    fn three_times_the_load_on_a_200_per_second_instance_at_70_percent() {
        let knee = Knee {
            latency: "latency.p95".into(),
            kneedle: Some(KneePoint {
                step: 4,
                throughput_per_s: 170.0,
                latency_ns: 31e6,
            }),
            slope: None,
            slope_factor: 3.0,
        };
        let g = growth(
            GrowthQuestion {
                current_per_s: 120.0,
                factor: 3.0,
                target_utilisation: 0.7,
                cost_per_instance_hour: Some(0.34),
            },
            200.0,
            Some(&knee),
            &[],
        );
        assert_eq!(g.projected_per_s, 360.0);
        // 120/s needs 120 / 140 → 1 instance; 360/s needs 360 / 140 → 3.
        assert_eq!((g.instances_now, g.instances_needed), (1, 3));
        assert!((g.headroom_now - 2.0 / 3.0).abs() < 1e-12);
        assert!((g.headroom_projected - (200.0 / 360.0 - 1.0)).abs() < 1e-12);
        // $0.34 an hour buys 140/s × 3600 s = 504,000 requests: $0.6746 a million.
        assert!((g.cost_per_million_requests.unwrap() - 0.34 / 0.504).abs() < 1e-9);
        assert!((g.monthly_cost_projected.unwrap() - 3.0 * 0.34 * 730.0).abs() < 1e-9);
        assert_eq!(g.scale_out_utilisation, Some(0.85));
        assert!(
            g.assumptions.len() == 3,
            "the knee is above 70 %: {:?}",
            g.assumptions
        );
    }

    #[test]
    fn a_knee_below_the_planned_utilisation_is_said() {
        let knee = Knee {
            latency: "latency.p95".into(),
            kneedle: Some(KneePoint {
                step: 2,
                throughput_per_s: 100.0,
                latency_ns: 31e6,
            }),
            slope: None,
            slope_factor: 3.0,
        };
        let q = GrowthQuestion {
            current_per_s: 10.0,
            factor: 2.0,
            target_utilisation: 0.8,
            cost_per_instance_hour: None,
        };
        let g = growth(q, 200.0, Some(&knee), &[]);
        assert_eq!(g.scale_out_utilisation, Some(0.5));
        assert!(
            g.assumptions[3].contains("latency turns at 50 %"),
            "{:?}",
            g.assumptions
        );
        assert_eq!(g.cost_per_million_requests, None);
        assert_eq!((g.instances_now, g.instances_needed), (1, 1));
    }
}
