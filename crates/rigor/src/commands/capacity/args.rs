//! `rigor capacity`'s command line: the search's bounds and step shape, the closed-model
//! sweep's users and the growth question.

use std::path::PathBuf;

use rigor_model::units::HumanDuration;
use rigor_model::{Rate, Ratio};

use super::super::RecordArgs;

#[derive(clap::Args, Debug)]
pub struct CapacityArgs {
    /// The plan's scenario to search with (default: the plan's only scenario).
    pub scenario: Option<String>,

    /// The plan file.
    #[arg(long, short = 'p', default_value = "rigor.toml", value_name = "FILE")]
    pub plan: PathBuf,

    /// An SLO every step's hold must keep, in the metric grammar (`latency.p99 < 200ms`,
    /// `error_rate < 1%`); repeatable. Besides them an open-model step fails when its
    /// throughput falls under 95 % of the offered rate (arrivals queue).
    #[arg(long, value_name = "EXPR")]
    pub slo: Vec<String>,

    /// The first step's rate (default: the scenario's highest).
    #[arg(long, value_name = "RATE")]
    pub start: Option<Rate>,

    /// Each step this many times the last, while they pass.
    #[arg(long, default_value_t = 1.5, conflicts_with = "step")]
    pub factor: f64,

    /// Each step this much above the last instead (`50/s`).
    #[arg(long, value_name = "RATE")]
    pub step: Option<Rate>,

    /// The most the search offers (default: 64 times the start).
    #[arg(long, value_name = "RATE")]
    pub max_rate: Option<Rate>,

    /// A closed-model sweep instead of the rate search: one step at each number of users
    /// (`1,2,4,8,16` or a range `1..32`, doubling), every one measured, for the scalability
    /// model.
    #[arg(long, value_name = "USERS", value_parser = parse_users, conflicts_with_all = ["start", "step", "max_rate"])]
    pub concurrency: Option<Users>,

    /// The longest the search may take; a step that would end past it is not started.
    #[arg(long, value_name = "DURATION", default_value = "10m")]
    pub max_time: HumanDuration,

    /// Narrowing rounds between the last pass and the first fail.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(0..=20))]
    pub rounds: u32,

    /// Each step's ramp from zero to its load.
    #[arg(long, value_name = "DURATION", default_value = "2s")]
    pub ramp: HumanDuration,

    /// Each step's warm-up at its load, not judged.
    #[arg(long, value_name = "DURATION", default_value = "2s")]
    pub warmup: HumanDuration,

    /// Each step's hold at its load, judged.
    #[arg(long, value_name = "DURATION", default_value = "10s")]
    pub hold: HumanDuration,

    /// Project growth: what this many times today's load needs (`3x`, `3`, `200%` more is
    /// `3x`).
    #[arg(long, value_name = "FACTOR", value_parser = parse_growth)]
    pub growth: Option<f64>,

    /// Today's peak load, for `--growth` (default: the scenario's highest rate).
    #[arg(long = "load", value_name = "RATE", requires = "growth")]
    pub current: Option<Rate>,

    /// The utilisation instances are planned at, for `--growth`.
    #[arg(
        long,
        value_name = "PERCENT",
        default_value = "70%",
        requires = "growth"
    )]
    pub utilisation: Ratio,

    /// What one instance costs an hour (any currency), for `--growth`: the cost of a million
    /// requests at the SLO and a month of the projected load.
    #[arg(long, value_name = "COST", requires = "growth")]
    pub cost_per_instance_hour: Option<f64>,

    /// Show a stored search instead of running one: its id, or `latest`. With `--report DIR`
    /// it writes capacity-analysis.md, .json and .html.
    #[arg(long, value_name = "ID|latest", conflicts_with_all = ["concurrency", "start"])]
    pub show: Option<String>,

    #[command(flatten)]
    pub live: crate::commands::LiveArgs,

    #[command(flatten)]
    pub record: RecordArgs,
}

/// The users of a closed-model sweep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Users(pub Vec<u32>);

/// `1,2,4,8` or `1..32` (doubling from the first to the last, the last always included).
pub(super) fn parse_users(text: &str) -> Result<Users, String> {
    let bad = || {
        format!(
            "`{text}`: give users as a list (`1,2,4,8`) or a range (`1..32`, doubling), each from 1 to 100000"
        )
    };
    let number = |t: &str| -> Result<u32, String> {
        t.trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=100_000).contains(n))
            .ok_or_else(bad)
    };
    let mut users = match text.split_once("..") {
        Some((a, b)) => {
            let (first, last) = (number(a)?, number(b)?);
            if last < first {
                return Err(bad());
            }
            let mut v = Vec::new();
            let mut n = first;
            while n < last {
                v.push(n);
                n = n.saturating_mul(2);
            }
            v.push(last);
            v
        }
        None => text.split(',').map(number).collect::<Result<Vec<_>, _>>()?,
    };
    users.sort_unstable();
    users.dedup();
    if users.len() > 64 {
        return Err(format!("`{text}`: at most 64 steps"));
    }
    Ok(Users(users))
}

/// `3x`, `3` or `300%` (the load three times today's).
pub(super) fn parse_growth(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let value = if let Some(x) = t.strip_suffix(['x', '×']) {
        x.trim().parse::<f64>().ok()
    } else if let Some(p) = t.strip_suffix('%') {
        p.trim().parse::<f64>().ok().map(|p| p / 100.0)
    } else {
        t.parse::<f64>().ok()
    };
    value
        .filter(|v| v.is_finite() && *v > 0.0 && *v <= 1e6)
        .ok_or_else(|| {
            format!("`{text}`: give growth as a factor of today's load (`3x`, `1.5`, `300%`)")
        })
}
