//! The ratio of two means with its uncertainty by first-order error propagation (the delta
//! method): for `r = a / b`, `σᵣ = r · √((σa/μa)² + (σb/μb)²)`, treating the two means as
//! independent. This is how hyperfine reports relative speed (`mean ± σ` of "x times
//! faster"); it is a descriptive figure, not a confidence interval.

/// The ratio `mean_a / mean_b` and, when both standard deviations are known and `mean_a` is
/// positive, its standard deviation by error propagation. `None` when `mean_b` is not
/// positive (no meaningful ratio).
#[must_use]
pub fn ratio_with_uncertainty(
    mean_a: f64,
    stddev_a: Option<f64>,
    mean_b: f64,
    stddev_b: Option<f64>,
) -> Option<(f64, Option<f64>)> {
    if mean_b <= 0.0 {
        return None;
    }
    let ratio = mean_a / mean_b;
    let stddev = match (stddev_a, stddev_b) {
        (Some(sa), Some(sb)) if mean_a > 0.0 => {
            Some(ratio * ((sa / mean_a).powi(2) + (sb / mean_b).powi(2)).sqrt())
        }
        _ => None,
    };
    Some((ratio, stddev))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * b.abs().max(1.0)
    }

    #[test]
    fn matches_the_propagation_formula_computed_independently() {
        // Python: r = 22/11; r * math.sqrt((2/22)**2 + (1/11)**2) -> 0.25712973861329
        let (r, sd) = ratio_with_uncertainty(22.0, Some(2.0), 11.0, Some(1.0)).unwrap();
        assert!(close(r, 2.0));
        assert!(close(sd.unwrap(), 0.25712973861329));
        // Python: r = 5/4; r * math.sqrt((0.5/5)**2 + (0.2/4)**2) -> 0.13975424859373686
        let (r, sd) = ratio_with_uncertainty(5.0, Some(0.5), 4.0, Some(0.2)).unwrap();
        assert!(close(r, 1.25));
        assert!(close(sd.unwrap(), 0.13975424859373686));
    }

    #[test]
    fn undefined_without_a_positive_reference_or_both_spreads() {
        assert_eq!(ratio_with_uncertainty(1.0, Some(0.1), 0.0, Some(0.1)), None);
        assert_eq!(ratio_with_uncertainty(1.0, None, -2.0, None), None);
        assert_eq!(
            ratio_with_uncertainty(3.0, Some(0.3), 1.0, None),
            Some((3.0, None))
        );
        assert_eq!(
            ratio_with_uncertainty(0.0, Some(0.1), 1.0, Some(0.1)),
            Some((0.0, None))
        );
    }
}
