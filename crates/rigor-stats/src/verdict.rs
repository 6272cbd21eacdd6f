//! The noise-band rule: from a p-value and the confidence interval of a change, decide
//! whether a metric improved, regressed, stayed the same, or cannot be told.
//!
//! A change is called only when it is both statistically significant (p < α) **and**
//! practically relevant: the whole interval lies beyond the noise band ±ν (criterion.rs's
//! rule, "Change within noise threshold"; criterion's defaults are α = 0.05, ν = 2 %).
//! Unlike criterion, which reports "no change" whenever p ≥ α, a non-significant result with
//! a wide interval is **inconclusive** here: absence of evidence is not evidence of absence.
//! "Unchanged" is claimed only when the interval itself rules out any change beyond the
//! band, which is an equivalence test in the spirit of TOST (Schuirmann 1987,
//! J. Pharmacokinet. Biopharm. 15(6)).
//!
//! # Decision table
//! With the interval [lo, hi] of the change (B − A, or (B − A)/A) and the noise ν ≥ 0, the
//! first matching row decides:
//!
//! | # | condition                       | `LowerIsBetter` | `HigherIsBetter` |
//! |---|---------------------------------|-----------------|------------------|
//! | 1 | lo, hi or p is NaN              | Inconclusive    | Inconclusive     |
//! | 2 | p < α and lo > +ν (clear rise)  | Regressed       | Improved         |
//! | 3 | p < α and hi < −ν (clear fall)  | Improved        | Regressed        |
//! | 4 | −ν ≤ lo and hi ≤ +ν (in band)   | Unchanged       | Unchanged        |
//! | 5 | anything else                   | Inconclusive    | Inconclusive     |
//!
//! Row 4 holds whatever p is: a significant change smaller than the noise is not worth a
//! verdict. Row 5 covers an interval straddling an edge of the band (the data are compatible
//! with both "within noise" and "beyond it"), and an interval beyond the band whose p-value
//! disagrees (p ≥ α, possible when p comes from a rank test and the interval from a
//! bootstrap).
//!
//! Units: ν is in the units of the interval. For a relative change ν = 0.02 means 2 %; for a
//! difference of error rates (see [`crate::proportion`]) give an absolute band such as
//! 0.001 (0.1 point).
//!
//! Swapping A and B negates a difference interval, so its verdict flips exactly (improved ↔
//! regressed). A relative change r maps to 1/(1 + r) − 1 under the swap, so the verdict flips
//! too except when an end of the interval lies in the sliver between ν/(1 + ν) and ν/(1 − ν)
//! (1.96 %–2.04 % for ν = 2 %).

use crate::bootstrap::Interval;

/// Which way a metric is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Latency, error rate, memory, CPU time: an increase is a regression.
    LowerIsBetter,
    /// Throughput: an increase is an improvement.
    HigherIsBetter,
}

/// The outcome for one metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Significantly and relevantly better.
    Improved,
    /// Significantly and relevantly worse.
    Regressed,
    /// Any change is within the noise band.
    Unchanged,
    /// The data cannot tell.
    Inconclusive,
}

impl Verdict {
    /// The verdict of the same comparison read the other way round (B against A).
    #[must_use]
    pub fn swapped(self) -> Verdict {
        match self {
            Verdict::Improved => Verdict::Regressed,
            Verdict::Regressed => Verdict::Improved,
            other => other,
        }
    }

    /// Improved or regressed.
    #[must_use]
    pub fn is_change(self) -> bool {
        matches!(self, Verdict::Improved | Verdict::Regressed)
    }
}

/// The significance level and noise band of the rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NoiseBand {
    /// Significance level α; default 0.05.
    pub alpha: f64,
    /// Half-width ν of the band, in the interval's units; default 0.02 (2 % of a relative
    /// change).
    pub noise: f64,
}

impl Default for NoiseBand {
    fn default() -> Self {
        Self {
            alpha: 0.05,
            noise: 0.02,
        }
    }
}

impl NoiseBand {
    /// Applies the decision table (see the module doc) to the interval of a change and its
    /// p-value.
    #[must_use]
    pub fn judge(&self, change: &Interval, p_value: f64, direction: Direction) -> Verdict {
        let (lo, hi, noise) = (change.lower, change.upper, self.noise.abs());
        if lo.is_nan() || hi.is_nan() || p_value.is_nan() {
            return Verdict::Inconclusive;
        }
        let significant = p_value < self.alpha;
        let rise = match direction {
            Direction::LowerIsBetter => Verdict::Regressed,
            Direction::HigherIsBetter => Verdict::Improved,
        };
        if significant && lo > noise {
            rise
        } else if significant && hi < -noise {
            rise.swapped()
        } else if -noise <= lo && hi <= noise {
            Verdict::Unchanged
        } else {
            Verdict::Inconclusive
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn interval(lower: f64, upper: f64) -> Interval {
        Interval {
            estimate: (lower + upper) / 2.0,
            lower,
            upper,
        }
    }

    #[test]
    fn decision_table() {
        let band = NoiseBand::default();
        use Direction::{HigherIsBetter as Higher, LowerIsBetter as Lower};
        use Verdict::*;
        #[rustfmt::skip]
        let rows = [
            // lower, upper, p, direction, verdict
            (0.05, 0.15, 0.001, Lower, Regressed),  // row 2
            (0.05, 0.15, 0.001, Higher, Improved),  // row 2
            (-0.15, -0.05, 0.001, Lower, Improved), // row 3
            (-0.15, -0.05, 0.001, Higher, Regressed), // row 3
            (-0.01, 0.015, 0.001, Lower, Unchanged), // row 4: significant but within noise
            (-0.01, 0.015, 0.6, Higher, Unchanged),  // row 4
            (0.0, 0.0, 1.0, Lower, Unchanged),       // row 4: identical samples
            (0.01, 0.06, 0.001, Lower, Inconclusive), // row 5: straddles +ν
            (-0.3, 0.3, 0.7, Lower, Inconclusive),    // row 5: too wide to tell
            (0.05, 0.15, 0.2, Lower, Inconclusive),   // row 5: interval and test disagree
            (0.02, 0.15, 0.001, Lower, Inconclusive), // row 5: touching the band is not outside it
            (f64::NAN, 0.1, 0.001, Lower, Inconclusive), // row 1
        ];
        for (lower, upper, p, direction, expected) in rows {
            assert_eq!(
                band.judge(&interval(lower, upper), p, direction),
                expected,
                "[{lower}, {upper}] p={p}"
            );
        }
        // An absolute band for error rates.
        let points = NoiseBand {
            alpha: 0.05,
            noise: 0.001,
        };
        assert_eq!(points.judge(&interval(0.002, 0.01), 0.01, Lower), Regressed);
    }

    #[test]
    fn swapping_a_difference_flips_the_verdict() {
        let band = NoiseBand::default();
        for (lower, upper, p) in [
            (0.05, 0.15, 0.001),
            (-0.01, 0.01, 0.5),
            (0.01, 0.3, 0.01),
            (-0.2, -0.03, 0.04),
        ] {
            for direction in [Direction::LowerIsBetter, Direction::HigherIsBetter] {
                let forward = band.judge(&interval(lower, upper), p, direction);
                let backward = band.judge(&interval(-upper, -lower), p, direction);
                assert_eq!(backward, forward.swapped());
            }
        }
        assert!(Verdict::Regressed.is_change() && !Verdict::Unchanged.is_change());
    }
}
