//! Benjamini–Hochberg control of the false-discovery rate across the many metrics of one
//! comparison: with twenty metrics each tested at α = 0.05, one "significant" change is
//! expected from noise alone; BH keeps the expected share of false calls among the calls at
//! the chosen level instead (Benjamini & Hochberg 1995, JRSS B 57(1)). It is valid for
//! independent or positively dependent p-values, which is what the metrics of one run are
//! (latency percentiles move together).

use crate::StatsError;

/// The result of [`benjamini_hochberg`], in the order of the input p-values.
#[derive(Debug, Clone, PartialEq)]
pub struct FdrResult {
    /// BH-adjusted p-values (q-values): qᵢ = min over ranks k ≥ rank(i) of m·p₍ₖ₎/k, at most 1.
    pub adjusted: Vec<f64>,
    /// Whether each hypothesis is rejected with the FDR controlled at `level`: qᵢ ≤ level.
    pub significant: Vec<bool>,
    /// The FDR level asked for.
    pub level: f64,
}

/// Adjusts `p_values` by the BH step-up procedure and marks those significant at FDR
/// `level`; as statsmodels' `multipletests(method='fdr_bh')`.
pub fn benjamini_hochberg(p_values: &[f64], level: f64) -> Result<FdrResult, StatsError> {
    StatsError::check_probability_open("FDR level", level)?;
    if let Some(&value) = p_values.iter().find(|p| !(0.0..=1.0).contains(*p)) {
        return Err(StatsError::OutOfRange {
            name: "p-value",
            expected: "between 0 and 1",
            value,
        });
    }
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&i, &j| p_values[i].total_cmp(&p_values[j]));
    let mut adjusted = vec![0.0; m];
    let mut running_min = 1.0_f64;
    // Step up from the largest p-value, keeping the adjusted values monotone.
    for (rank, &index) in order.iter().enumerate().rev() {
        let candidate = p_values[index] * m as f64 / (rank + 1) as f64;
        running_min = running_min.min(candidate);
        adjusted[index] = running_min;
    }
    let significant = adjusted.iter().map(|&q| q <= level).collect();
    Ok(FdrResult {
        adjusted,
        significant,
        level,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: [f64; 10] = [0.01, 0.04, 0.03, 0.005, 0.2, 0.5, 0.049, 0.0001, 0.8, 0.04];

    #[test]
    fn matches_statsmodels() {
        // statsmodels.stats.multitest.multipletests(P, alpha=0.05, method='fdr_bh')
        let expected_q = [
            0.033_333_333_333_333_33,
            0.066_666_666_666_666_67,
            0.066_666_666_666_666_67,
            0.024_999_999_999_999_998,
            0.25,
            0.555_555_555_555_555_6,
            0.07,
            0.001,
            0.8,
            0.066_666_666_666_666_67,
        ];
        let r = benjamini_hochberg(&P, 0.05).unwrap();
        for (q, e) in r.adjusted.iter().zip(expected_q) {
            assert!((q - e).abs() < 1e-15, "{q} vs {e}");
        }
        assert_eq!(
            r.significant,
            [true, false, false, true, false, false, false, true, false, false]
        );
        // ... with alpha=0.10
        let r = benjamini_hochberg(&P, 0.10).unwrap();
        assert_eq!(
            r.significant,
            [true, true, true, true, false, false, true, true, false, true]
        );
    }

    #[test]
    fn edge_cases() {
        let r = benjamini_hochberg(&[], 0.05).unwrap();
        assert!(r.adjusted.is_empty());
        let r = benjamini_hochberg(&[0.03], 0.05).unwrap();
        assert_eq!(r.adjusted, vec![0.03]);
        assert!(benjamini_hochberg(&[f64::NAN], 0.05).is_err());
        assert!(benjamini_hochberg(&[1.2], 0.05).is_err());
        assert!(benjamini_hochberg(&[0.2], 0.0).is_err());
    }
}
