//! rigor's statistics: everything that turns two sets of measurements into a verdict.
//!
//! - [`bootstrap`]: confidence intervals for a quantile (median, p95, p99) or mean, and for
//!   its difference, ratio and relative change between a baseline and a candidate, from raw
//!   samples, HDR histograms, or per-window histograms (block bootstrap); seeded.
//! - [`rank`]: the Mann–Whitney U test (exact and normal approximation) with effect sizes and
//!   the Hodges–Lehmann shift.
//! - [`proportion`]: Wilson intervals, the pooled two-proportion z-test and Newcombe's
//!   interval for a difference of error rates.
//! - [`fdr`]: Benjamini–Hochberg control of the false-discovery rate across metrics.
//! - [`verdict`]: the noise-band rule that turns a p-value and an interval into improved,
//!   regressed, unchanged or inconclusive.
//! - [`quantile`](mod@quantile) and [`distribution`]: the descriptive helpers (incl. the
//!   median absolute deviation and the distribution-free median interval) and the normal
//!   distribution.
//! - [`ratio`]: the ratio of two means with its propagated uncertainty.
//! - [`runs`]: a candidate run's value against the spread between earlier runs (Student-t
//!   prediction interval), for verdicts that hold across separate invocations.
//! - [`knee`]: Kneedle, the knee of a latency–load or throughput–concurrency curve.
//! - [`usl`]: the Universal Scalability Law fitted to (concurrency, throughput), with its
//!   coefficients' standard errors, the peak and the Amdahl ceiling.
//! - [`paired`]: interleaved before/after runs (A B A B …) judged by the paired Student-t over
//!   each round's difference, which cancels the machine's drift.
//!
//! ```
//! use rigor_stats::{compare, BootstrapConfig, Direction, NoiseBand, Sample, Statistic, Verdict};
//!
//! let before: Vec<f64> = (0..200).map(|i| 1_000_000.0 + f64::from(i % 17) * 20_000.0).collect();
//! let after: Vec<f64> = before.iter().map(|ns| ns * 1.25).collect();
//! let median = compare(
//!     &Sample::Values(&before),
//!     &Sample::Values(&after),
//!     Statistic::MEDIAN,
//!     &BootstrapConfig::default(),
//! )?;
//! let change = median.relative_change.expect("positive baseline");
//! assert!(change.contains(0.25));
//! assert_eq!(median.verdict(&NoiseBand::default(), Direction::LowerIsBetter), Verdict::Regressed);
//! # Ok::<(), rigor_stats::StatsError>(())
//! ```
//!
//! What this crate must not do: I/O of any kind, printing, or knowing about runs, plans or
//! stores. It takes numbers (or `hdrhistogram` histograms) and returns numbers. Every method
//! names its reference in its documentation, and the tests check the results against
//! reference implementations (scipy, statsmodels, numpy), not against this crate itself.

pub mod bootstrap;
pub mod changepoint;
pub mod distribution;
pub mod fdr;
pub mod knee;
pub mod paired;
pub mod proportion;
pub mod quantile;
pub mod rank;
pub mod ratio;
mod resample;
pub mod runs;
pub mod trend;
pub mod usl;
pub mod verdict;

pub use bootstrap::{
    compare, confidence_interval, BootstrapComparison, BootstrapConfig, Interval, IntervalMethod,
    Sample, Statistic,
};
pub use distribution::{normal_cdf, normal_quantile, normal_sf};
pub use fdr::{benjamini_hochberg, FdrResult};
pub use knee::{kneedle, Bend};
pub use paired::{paired_difference, paired_ratio, Paired};
pub use proportion::{two_proportions, wilson_interval, Proportion, ProportionComparison};
pub use quantile::{
    mean, median, median_abs_deviation, median_ci_ranks, quantile, quantile_sorted, std_dev,
    variance, EmpiricalDistribution,
};
pub use rank::{
    hodges_lehmann, mann_whitney_u, Alternative, MannWhitney, MannWhitneyMethod, ShiftEstimate,
};
pub use ratio::ratio_with_uncertainty;
pub use runs::{between_runs, BetweenRuns};
pub use trend::{block_means, theil_sen, Trend};
pub use usl::{fit_usl, Usl, UslError};
pub use verdict::{Direction, NoiseBand, Verdict};

/// Why a statistic could not be computed: always a problem with the input, named.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StatsError {
    /// A sample (or every window of it) has no observations.
    #[error("the {which} sample has no observations")]
    EmptySample {
        /// Which sample: "baseline", "candidate", "sample" …
        which: &'static str,
    },
    /// A sample holds NaN or an infinity.
    #[error("the {which} sample holds a non-finite value ({value})")]
    NonFinite {
        /// Which sample.
        which: &'static str,
        /// The offending value.
        value: f64,
    },
    /// A parameter is outside its domain.
    #[error("{name} must be {expected}, got {value}")]
    OutOfRange {
        /// The parameter, as the API names it.
        name: &'static str,
        /// Its domain, in words.
        expected: &'static str,
        /// What was given.
        value: f64,
    },
}

impl StatsError {
    pub(crate) fn check_probability_open(name: &'static str, value: f64) -> Result<(), StatsError> {
        if value > 0.0 && value < 1.0 {
            Ok(())
        } else {
            Err(StatsError::OutOfRange {
                name,
                expected: "strictly between 0 and 1",
                value,
            })
        }
    }
}
