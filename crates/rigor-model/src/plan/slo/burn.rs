//! An SLO's multi-window, multi-burn-rate alerts (the SRE workbook's, chapter 5): the budget
//! shares that page and open a ticket, over windows scaled to the SLO's, and the windows its
//! rules record the error ratio over.

use std::time::Duration;

use super::Slo;

/// One multi-window burn-rate alert: it fires when the error rate over both windows exceeds
/// `factor` times the error budget.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BurnAlert {
    /// `page` or `ticket`.
    pub severity: &'static str,
    pub long: Duration,
    pub short: Duration,
    /// The share of the window's budget that burns over `long` at this rate.
    pub budget_share: f64,
    pub factor: f64,
}

const HOUR: u64 = 3600;

/// The window the workbook's alerts are written for.
pub(super) const WORKBOOK_WINDOW: u64 = 30 * 24 * HOUR;

/// The workbook's four alerts over 30 days: (severity, long window, short window, budget
/// share).
const ALERTS: [(&str, u64, u64, f64); 4] = [
    ("page", HOUR, 5 * 60, 0.02),
    ("page", 6 * HOUR, 30 * 60, 0.05),
    ("ticket", 24 * HOUR, 2 * HOUR, 0.10),
    ("ticket", 72 * HOUR, 6 * HOUR, 0.10),
];

/// The shortest window a rule reads: a rate needs two samples or more in its window, and
/// Prometheus scrapes once a minute by default.
pub(super) const MIN_WINDOW: u64 = 5 * 60;

/// A workbook window scaled to an SLO's window, in whole minutes (rounded down, so that a
/// factor computed over it is never below the workbook's) and at least [`MIN_WINDOW`].
fn scaled(seconds: u64, scale: f64) -> Duration {
    let minutes = (seconds as f64 * scale / 60.0).floor() as u64;
    Duration::from_secs((minutes * 60).max(MIN_WINDOW))
}

impl Slo {
    /// The four burn-rate alerts for this SLO's window: the workbook's budget shares over its
    /// windows scaled to this one (over 30 days exactly 1h & 5m, 6h & 30m, 1d & 2h, 3d & 6h;
    /// over 28 days 56m & 5m, …), so the factors stay the workbook's 14.4, 6, 3 and 1 (a
    /// little above where a window rounds down to whole minutes). No window is under five
    /// minutes: over a window of a few days the fastest page looks back five minutes and
    /// fires at a lower factor, for the same share of the budget. Fixed windows over another
    /// SLO window would make a budget share a slower burn than the budget allows: 10 % of a
    /// week's budget in 3 days is 0.23 times its rate, an alert that fires while the SLO is
    /// being met.
    pub fn burn_alerts(&self) -> Vec<BurnAlert> {
        let scale = self.window.as_secs_f64() / WORKBOOK_WINDOW as f64;
        ALERTS
            .iter()
            .map(|&(severity, long, short, share)| {
                let long = scaled(long, scale);
                BurnAlert {
                    severity,
                    long,
                    short: scaled(short, scale),
                    budget_share: share,
                    factor: share * self.window.as_secs_f64() / long.as_secs_f64(),
                }
            })
            .collect()
    }

    /// The alerts that can never fire: their burn rate needs an error ratio of 100 % or more
    /// (a 14.4× page against an objective of 90 % needs 144 %).
    pub fn unreachable_alerts(&self) -> Vec<BurnAlert> {
        self.burn_alerts()
            .into_iter()
            .filter(|a| a.factor * self.error_budget() >= 1.0)
            .collect()
    }

    /// Every window its rules record the error ratio over, shortest first (the SLO's own
    /// window is recorded apart, as an average of the shortest).
    pub fn rule_windows(&self) -> Vec<Duration> {
        let mut w: Vec<Duration> = self
            .burn_alerts()
            .iter()
            .flat_map(|a| [a.long, a.short])
            .collect();
        w.sort();
        w.dedup();
        w
    }
}

/// A window as Prometheus writes one: `5m`, `6h`, `3d`, `30d`, and compound where it must be
/// (`1h24m`, `2d19h12m`).
pub fn prometheus_duration(d: Duration) -> String {
    let s = d.as_secs();
    if s == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    let mut rest = s;
    for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] {
        if rest >= size {
            out.push_str(&format!("{}{unit}", rest / size));
            rest %= size;
        }
    }
    out
}
