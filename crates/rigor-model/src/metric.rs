//! The metric catalogue: every metric rigor measures, with its unit, which way is better, the
//! kind of run that has it and how a comparison judges it. Thresholds, budgets, rules,
//! `rigor compare`, tuning goals and history all name metrics in this one vocabulary, and read
//! their values through [`crate::judge::Measured`].

use std::fmt;
use std::str::FromStr;

pub mod column;
pub mod scraped;
pub mod signal;
pub mod value;

pub use column::Column;
pub use scraped::{Scraped, SeriesStat};
pub use signal::{Grows, Resource, Signal};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::units::{format_nanos, parse_duration, three_figures, Bytes, Rate, Ratio};
use crate::RunKind;

/// The unit a metric's values are kept in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum Unit {
    /// Nanoseconds.
    #[serde(rename = "ns")]
    Nanos,
    /// Events per second.
    #[serde(rename = "per_s")]
    PerSecond,
    /// A share between 0 and 1, written as a percentage.
    #[serde(rename = "fraction")]
    Fraction,
    #[serde(rename = "bytes")]
    Bytes,
    /// Bytes per second.
    #[serde(rename = "bytes_per_s")]
    BytesPerSecond,
    #[serde(rename = "count")]
    Count,
    /// A plain number with no unit (a queue's length, a consumer's lag).
    #[serde(rename = "number")]
    Number,
}

impl Unit {
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Nanos => "ns",
            Unit::PerSecond => "per_s",
            Unit::Fraction => "fraction",
            Unit::Bytes => "bytes",
            Unit::BytesPerSecond => "bytes_per_s",
            Unit::Count => "count",
            Unit::Number => "number",
        }
    }

    /// The unit [`Unit::as_str`] names.
    pub fn from_name(name: &str) -> Option<Unit> {
        [
            Unit::Nanos,
            Unit::PerSecond,
            Unit::Fraction,
            Unit::Bytes,
            Unit::BytesPerSecond,
            Unit::Count,
            Unit::Number,
        ]
        .into_iter()
        .find(|u| u.as_str() == name)
    }

    /// A value in this unit as a person reads it: `1.23ms`, `900/s`, `1.5%`, `64MiB`, `12`.
    pub fn format(self, value: f64) -> String {
        match self {
            Unit::Nanos => format_nanos(value),
            Unit::PerSecond => format!("{}/s", three_figures(value)),
            Unit::Fraction => format!("{}%", three_figures(value * 100.0)),
            Unit::Bytes => Bytes(value.max(0.0) as u64).to_string(),
            Unit::BytesPerSecond => format!("{}/s", Bytes(value.max(0.0) as u64)),
            Unit::Count => format_count(value),
            Unit::Number => format_number(value),
        }
    }

    /// Parses a value written in this unit (`120ms`, `900/s`, `1%`, `64MiB`, `10`). A bare
    /// number is refused where a unit is needed, with the form to write instead: `30` could
    /// mean 30 % or 3000 %, `100` could be ms or seconds.
    pub fn parse(self, text: &str) -> Result<f64, String> {
        let text = text.trim();
        let bare = !text.is_empty() && text.parse::<f64>().is_ok();
        match self {
            Unit::Nanos if bare => Err(format!(
                "`{text}` has no unit: write a duration such as `{text}ms` or `{text}s`"
            )),
            Unit::Nanos => parse_duration(text)
                .map(|d| d.as_nanos() as f64)
                .map_err(|e| e.to_string()),
            Unit::PerSecond if bare => Err(format!(
                "`{text}` has no unit: write a rate such as `{text}/s`"
            )),
            Unit::PerSecond => text
                .parse::<Rate>()
                .map(|r| r.as_per_second())
                .map_err(|e| e.to_string()),
            Unit::Fraction if bare => Err(format!(
                "`{text}` is a bare number: write a percentage such as `{text}%`"
            )),
            Unit::Fraction => text
                .parse::<Ratio>()
                .map(|r| r.fraction())
                .map_err(|e| e.to_string()),
            Unit::Bytes => text
                .parse::<Bytes>()
                .map(|b| b.0 as f64)
                .map_err(|e| e.to_string()),
            Unit::BytesPerSecond => {
                let wrong = || {
                    format!("`{text}` is not a byte rate: write one such as `10MiB/s` or `1MiB/h`")
                };
                let (bytes, per) = text.split_once('/').ok_or_else(wrong)?;
                let period = parse_duration(&format!("1{}", per.trim())).map_err(|_| wrong())?;
                if period.is_zero() {
                    return Err(wrong());
                }
                bytes
                    .trim()
                    .parse::<Bytes>()
                    .map(|b| b.0 as f64 / period.as_secs_f64())
                    .map_err(|e| e.to_string())
            }
            Unit::Count => match parse_number(text) {
                // `90.124M` is a whole number that a float multiplies to a hair off one.
                Ok(n) if n >= 0.0 && (n - n.round()).abs() <= 1e-9 * n.max(1.0) => Ok(n.round()),
                _ => Err(format!(
                    "`{text}` is not a whole number: write one such as `5000`, `90M` or `1.2G`"
                )),
            },
            Unit::Number => parse_number(text),
        }
    }
}

/// A count exactly below a million (`12345` requests), and from there with the three
/// decimals an instruction count needs to show a change of 0.1 %: `90.124M`, `1.234G`.
fn format_count(value: f64) -> String {
    match value.abs() {
        v if v >= 1e9 => format!("{:.3}G", value / 1e9),
        v if v >= 1e6 => format!("{:.3}M", value / 1e6),
        _ => format!("{value:.0}"),
    }
}

/// A plain number with an SI suffix when large: `950`, `5k`, `1.2M`.
fn format_number(value: f64) -> String {
    let (scaled, suffix) = match value.abs() {
        v if v >= 1e9 => (value / 1e9, "G"),
        v if v >= 1e6 => (value / 1e6, "M"),
        v if v >= 1e3 => (value / 1e3, "k"),
        _ => (value, ""),
    };
    format!("{}{suffix}", three_figures(scaled))
}

/// `5000`, `5k`, `1.5M`, `0.25`, `-3`.
fn parse_number(text: &str) -> Result<f64, String> {
    let (digits, factor) = match text.char_indices().last() {
        Some((at, 'k')) => (&text[..at], 1e3),
        Some((at, 'M')) => (&text[..at], 1e6),
        Some((at, 'G')) => (&text[..at], 1e9),
        _ => (text, 1.0),
    };
    digits
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .map(|v| v * factor)
        .ok_or_else(|| {
            format!("`{text}` is not a number (write one such as `5000`, `5k` or `0.25`)")
        })
}

/// Which way is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    LowerIsBetter,
    HigherIsBetter,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::LowerIsBetter => "lower_is_better",
            Direction::HigherIsBetter => "higher_is_better",
        }
    }
}

/// How a comparison of two runs judges a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Judged {
    /// A statistic of the latency distribution, resampled by one-second windows (block
    /// bootstrap), so that load that drifts within a run widens the interval.
    Windows,
    /// A share of requests: a two-proportion test.
    Proportion,
    /// A per-second rate, resampled by one-second windows.
    Rate,
    /// A statistic over a benchmark's runs: a rank test and a bootstrap over runs.
    Runs,
    /// A figure of the target sampled each second, resampled by seconds.
    Samples,
    /// A single figure with no sampling distribution: judged against limits only.
    Point,
    /// A deterministic count over a few counted runs: the change between their ranges, set
    /// against a noise band of its own (a fraction of a percent).
    Counts,
    /// An imported figure: a value without an interval (or with its source's samples), judged
    /// against the noise band, or the spread between runs when there are enough.
    Value,
}

/// A statistic of a distribution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stat {
    Min,
    Mean,
    Max,
    /// A percentile in (0, 100].
    Percentile(f64),
}

impl FromStr for Stat {
    type Err = String;
    fn from_str(text: &str) -> Result<Stat, String> {
        match text {
            "min" => Ok(Stat::Min),
            "mean" | "avg" => Ok(Stat::Mean),
            "max" => Ok(Stat::Max),
            "median" => Ok(Stat::Percentile(50.0)),
            _ => {
                let digits = text.strip_prefix('p').ok_or_else(|| text.to_string())?;
                // p999 is p99.9 by convention; p9999 is p99.99.
                let value: f64 =
                    if !digits.contains('.') && digits.len() > 2 && digits.starts_with("99") {
                        format!("99.{}", &digits[2..]).parse()
                    } else {
                        digits.parse()
                    }
                    .map_err(|_| text.to_string())?;
                if value > 0.0 && value <= 100.0 {
                    Ok(Stat::Percentile(value))
                } else {
                    Err(text.to_string())
                }
            }
        }
    }
}

impl fmt::Display for Stat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stat::Min => f.write_str("min"),
            Stat::Mean => f.write_str("mean"),
            Stat::Max => f.write_str("max"),
            Stat::Percentile(p) => write!(f, "p{p}"),
        }
    }
}

/// Where a request's time goes, stage by stage (the protocol's waterfall).
///
/// `connect` and `tls` are of the connections a request had to open (a request that reused a
/// kept-alive connection paid neither, and is not in their counts); `ttfb` runs from the
/// request's send to the first byte of its response, `transfer` from that byte to the last.
/// Both are of the responses that succeeded, as `latency` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stage {
    Connect,
    Tls,
    Ttfb,
    Transfer,
}

impl Stage {
    pub const ALL: [Stage; 4] = [Stage::Connect, Stage::Tls, Stage::Ttfb, Stage::Transfer];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Connect => "connect",
            Stage::Tls => "tls",
            Stage::Ttfb => "ttfb",
            Stage::Transfer => "transfer",
        }
    }

    pub fn named(name: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// A metric, as named in thresholds, budgets, rules, comparisons, goals and history.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Metric {
    /// Latency from the intended start (coordinated-omission corrected).
    Latency(Stat),
    /// Latency from the actual send.
    RawLatency(Stat),
    /// One stage of a request's time: connect, TLS handshake, time to first byte, transfer.
    Stage(Stage, Stat),
    /// How late requests were sent relative to the schedule.
    ScheduleLag(Stat),
    /// Failed requests over all requests.
    ErrorRate,
    /// Completed requests per second.
    Throughput,
    /// Requests completed.
    Requests,
    /// Requests failed.
    Errors,
    /// How long after a spike phase the latency and error rate came back to their level
    /// before it.
    Recovery,
    /// A journey's whole walk, from its intended start to its last step's response.
    JourneyDuration(Stat),
    /// Walks ended by a failed step, over walks that ended.
    JourneyFailureRate,
    /// Walks completed.
    Journeys,
    /// A figure of the system under test or its host, sampled each second.
    Target(Signal),
    /// A series of the target's own metrics, scraped from its `/metrics`.
    Scraped(Scraped),
    /// A benchmarked command's wall time over its runs.
    Wall(Stat),
    /// Its user CPU time (mean over runs).
    User,
    /// Its system CPU time (mean over runs).
    System,
    /// Its peak resident memory (the largest run's).
    PeakRss,
    /// Instructions it executed (with its children), over its counted runs.
    Instructions(Stat),
    /// Its cycles as a cache simulation estimates them, over its counted runs.
    Cycles(Stat),
    /// A figure of an imported run, by its source's name (a CSV column, a k6 or wrk figure).
    Column(Column),
}

/// One entry of the catalogue, for help, docs and did-you-mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// The name as written (`latency.p95`; `STAT` where any statistic goes).
    pub name: &'static str,
    pub kind: RunKind,
    pub about: &'static str,
}

/// Every metric family, in the order help lists them.
pub const CATALOGUE: &[Entry] = &[
    Entry {
        name: "latency.STAT",
        kind: RunKind::Load,
        about:
            "latency from each request's intended start (p50, p90, p95, p99, p99.9, min, mean, max)",
    },
    Entry {
        name: "latency.raw.STAT",
        kind: RunKind::Load,
        about: "latency from the actual send",
    },
    Entry {
        name: "latency.STAGE.STAT",
        kind: RunKind::Load,
        about: "one stage of a request's time: latency.connect and latency.tls (of the connections it opened), latency.ttfb (send to first byte), latency.transfer (first byte to last)",
    },
    Entry {
        name: "schedule_lag.STAT",
        kind: RunKind::Load,
        about: "how late requests were sent against the schedule",
    },
    Entry {
        name: "error_rate",
        kind: RunKind::Load,
        about: "failed requests over all requests",
    },
    Entry {
        name: "throughput",
        kind: RunKind::Load,
        about: "completed requests per second",
    },
    Entry {
        name: "requests",
        kind: RunKind::Load,
        about: "requests completed",
    },
    Entry {
        name: "errors",
        kind: RunKind::Load,
        about: "requests failed",
    },
    Entry {
        name: "recovery.time",
        kind: RunKind::Load,
        about: "how long after a spike phase p95 and the error rate came back within the phase's tolerance of their level before it ({phase=NAME} for one of several spikes); no data when they did not",
    },
    Entry {
        name: "journey.duration.STAT",
        kind: RunKind::Load,
        about: "a journey's whole walk ([[scenario.step]]), from its intended start to its last step's response, think times included; of the walks that completed",
    },
    Entry {
        name: "journey.failure_rate",
        kind: RunKind::Load,
        about: "journeys ended by a failed step over journeys that ended",
    },
    Entry {
        name: "journeys",
        kind: RunKind::Load,
        about: "journeys completed",
    },
    Entry {
        name: "target.cpu",
        kind: RunKind::Load,
        about: "the target's CPU (its processes summed), share of the machine: mean, .max, .p50/.p90/.p95/.p99 over seconds, .user, .system",
    },
    Entry {
        name: "target.rss",
        kind: RunKind::Load,
        about: "the target's peak resident memory (target.rss.peak; target.rss.min)",
    },
    Entry {
        name: "target.threads",
        kind: RunKind::Load,
        about: "the target's most threads",
    },
    Entry {
        name: "target.fds",
        kind: RunKind::Load,
        about: "the target's most open files",
    },
    Entry {
        name: "target.processes",
        kind: RunKind::Load,
        about: "the most processes in the target's tree at once",
    },
    Entry {
        name: "target.ctx_switches.rate",
        kind: RunKind::Load,
        about: "context switches per second (target.ctx_switches.involuntary.rate: preempted)",
    },
    Entry {
        name: "target.io.read.rate",
        kind: RunKind::Load,
        about: "storage bytes read per second (target.io.write.rate: written)",
    },
    Entry {
        name: "target.faults.major.rate",
        kind: RunKind::Load,
        about: "page faults that read storage, per second (target.faults.minor.rate)",
    },
    Entry {
        name: "target.rss.slope",
        kind: RunKind::Load,
        about: "how fast resident memory grew after the warm-up (Theil–Sen; target.fds.slope, target.threads.slope): `target.rss.slope < 1MiB/h`",
    },
    Entry {
        name: "host.pressure.cpu",
        kind: RunKind::Load,
        about: "share of time some task on the host waited for a CPU (PSI; .memory, .io)",
    },
    Entry {
        name: "target.metric.NAME",
        kind: RunKind::Load,
        about: "a series of the target's own metrics ([target.metrics]): a gauge as read, a counter as its rate, a histogram's .p50/.p95/.p99/.max/.rate; {label=\"value\"} narrows it; .mean (default), .min, .max, .p95 or .last over the scrapes",
    },
    Entry {
        name: "wall.STAT",
        kind: RunKind::Bench,
        about: "a command's wall time over its runs (median, mean, min, max)",
    },
    Entry {
        name: "user.mean",
        kind: RunKind::Bench,
        about: "a command's user CPU time",
    },
    Entry {
        name: "system.mean",
        kind: RunKind::Bench,
        about: "a command's system CPU time",
    },
    Entry {
        name: "peak_rss",
        kind: RunKind::Bench,
        about: "a command's peak resident memory",
    },
    Entry {
        name: "instructions.STAT",
        kind: RunKind::Bench,
        about: "instructions a command executed, children included (median, mean, min, max over its counted runs; `--measure instructions`), from perf or cachegrind",
    },
    Entry {
        name: "cycles.STAT",
        kind: RunKind::Bench,
        about: "a command's cycles as cachegrind's cache simulation estimates them (`--measure cycles-estimate`)",
    },
    Entry {
        name: "imported.NAME",
        kind: RunKind::Imported,
        about: "a figure of imported runs by its source's name (a CSV column, k6's `http_req_duration.p95`, criterion's `fib/20`), in the unit and direction the import gave it",
    },
];

/// Concrete names for did-you-mean suggestions.
pub const SUGGESTIONS: &[&str] = &[
    "latency.p50",
    "latency.p90",
    "latency.p95",
    "latency.p99",
    "latency.p99.9",
    "latency.min",
    "latency.mean",
    "latency.max",
    "latency.raw.p95",
    "latency.raw.p99",
    "latency.connect.p95",
    "latency.tls.p95",
    "latency.ttfb.p95",
    "latency.transfer.p95",
    "schedule_lag.p99",
    "error_rate",
    "throughput",
    "requests",
    "errors",
    "recovery.time",
    "journey.duration.p95",
    "journey.duration.p99",
    "journey.duration.mean",
    "journey.failure_rate",
    "journeys",
    "target.cpu",
    "target.cpu.max",
    "target.cpu.p95",
    "target.cpu.user",
    "target.cpu.system",
    "target.rss",
    "target.threads",
    "target.fds",
    "target.processes",
    "target.ctx_switches.rate",
    "target.ctx_switches.involuntary.rate",
    "target.io.read.rate",
    "target.io.write.rate",
    "target.faults.minor.rate",
    "target.faults.major.rate",
    "target.rss.slope",
    "target.fds.slope",
    "target.threads.slope",
    "host.pressure.cpu",
    "host.pressure.memory",
    "host.pressure.io",
    "wall.median",
    "wall.mean",
    "wall.min",
    "wall.max",
    "user.mean",
    "system.mean",
    "peak_rss",
    "instructions.median",
    "instructions.mean",
    "instructions.min",
    "instructions.max",
    "cycles.median",
    "cycles.mean",
];

impl Metric {
    /// The kind of run that has this metric.
    pub fn run_kind(self) -> RunKind {
        match self {
            Metric::Wall(_)
            | Metric::User
            | Metric::System
            | Metric::PeakRss
            | Metric::Instructions(_)
            | Metric::Cycles(_) => RunKind::Bench,
            Metric::Column(_) => RunKind::Imported,
            _ => RunKind::Load,
        }
    }

    /// Whether a run of `kind` can have this metric: a column belongs to imported and
    /// telemetry runs alike.
    pub fn belongs_to(self, kind: RunKind) -> bool {
        match self {
            Metric::Column(_) => kind.holds_columns(),
            _ => self.run_kind() == kind,
        }
    }

    pub fn unit(self) -> Unit {
        match self {
            Metric::Latency(_)
            | Metric::RawLatency(_)
            | Metric::Stage(..)
            | Metric::Recovery
            | Metric::JourneyDuration(_)
            | Metric::ScheduleLag(_)
            | Metric::Wall(_)
            | Metric::User
            | Metric::System => Unit::Nanos,
            Metric::ErrorRate | Metric::JourneyFailureRate => Unit::Fraction,
            Metric::Throughput => Unit::PerSecond,
            Metric::Requests
            | Metric::Errors
            | Metric::Journeys
            | Metric::Instructions(_)
            | Metric::Cycles(_) => Unit::Count,
            Metric::PeakRss => Unit::Bytes,
            Metric::Target(s) => s.unit(),
            Metric::Scraped(s) => s.unit(),
            Metric::Column(c) => c.unit(),
        }
    }

    pub fn direction(self) -> Direction {
        match self {
            Metric::Throughput | Metric::Requests | Metric::Journeys => Direction::HigherIsBetter,
            Metric::Scraped(s) => s.direction(),
            Metric::Column(c) => c.direction(),
            _ => Direction::LowerIsBetter,
        }
    }

    pub fn judged(self) -> Judged {
        match self {
            Metric::Latency(_)
            | Metric::RawLatency(_)
            | Metric::ScheduleLag(_)
            | Metric::JourneyDuration(_) => Judged::Windows,
            Metric::ErrorRate | Metric::JourneyFailureRate => Judged::Proportion,
            Metric::Throughput => Judged::Rate,
            Metric::Wall(_) | Metric::User | Metric::System | Metric::PeakRss => Judged::Runs,
            Metric::Instructions(_) | Metric::Cycles(_) => Judged::Counts,
            Metric::Target(s) => s.judged(),
            Metric::Scraped(_) => Judged::Samples,
            Metric::Column(_) => Judged::Value,
            // The stages are kept per request and phase, not per second: limits only.
            Metric::Stage(..)
            | Metric::Recovery
            | Metric::Requests
            | Metric::Errors
            | Metric::Journeys => Judged::Point,
        }
    }

    /// Formats a value of this metric in its unit.
    pub fn format_value(self, value: f64) -> String {
        self.unit().format(value)
    }
}

/// Which slice of a run a metric is read from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Scope {
    #[default]
    Run,
    /// One request of a load run, or one command of a benchmark.
    Request(String),
    Phase(String),
}

impl FromStr for Metric {
    type Err = String;
    fn from_str(text: &str) -> Result<Metric, String> {
        let unknown = || {
            let hint = crate::plan::did_you_mean(text, SUGGESTIONS)
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            let families: Vec<String> = CATALOGUE
                .iter()
                .map(|e| match e.name {
                    "latency.STAT" => "latency.p95".to_string(),
                    "latency.raw.STAT" => "latency.raw.p95".to_string(),
                    "latency.STAGE.STAT" => "latency.ttfb.p95".to_string(),
                    "schedule_lag.STAT" => "schedule_lag.p99".to_string(),
                    "journey.duration.STAT" => "journey.duration.p95".to_string(),
                    "wall.STAT" => "wall.median".to_string(),
                    "target.metric.NAME" => "target.metric.NAME".to_string(),
                    name => name.to_string(),
                })
                .collect();
            format!(
                "unknown metric `{text}`{hint}; metrics are {} (latency, latency.raw, latency.connect, latency.tls, latency.ttfb, latency.transfer, schedule_lag and journey.duration take p50, p90, p95, p99, p99.9, min, mean or max; wall takes median, mean, min or max)",
                families.join(", ")
            )
        };
        let stat = |s: &str| s.parse::<Stat>().map_err(|_| unknown());
        if let Some(s) = text.strip_prefix("latency.raw.") {
            return Ok(Metric::RawLatency(stat(s)?));
        }
        if let Some((stage, s)) = text
            .strip_prefix("latency.")
            .and_then(|rest| rest.split_once('.'))
            .and_then(|(stage, s)| Some((Stage::named(stage)?, s)))
        {
            return Ok(Metric::Stage(stage, stat(s)?));
        }
        if let Some(s) = text.strip_prefix("latency.") {
            return Ok(Metric::Latency(stat(s)?));
        }
        if let Some(s) = text.strip_prefix("schedule_lag.") {
            return Ok(Metric::ScheduleLag(stat(s)?));
        }
        if let Some(s) = text.strip_prefix("journey.duration.") {
            return Ok(Metric::JourneyDuration(stat(s)?));
        }
        if let Some(path) = text.strip_prefix(scraped::PREFIX) {
            return Scraped::parse(path).map(Metric::Scraped);
        }
        if let Some(name) = text.strip_prefix(column::PREFIX) {
            return Column::named(name).map(Metric::Column);
        }
        if Signal::claims(text) {
            return Signal::named(text).map(Metric::Target).ok_or_else(|| {
                let names: Vec<&str> = signal::NAMES.iter().map(|(n, _)| *n).collect();
                let hint = crate::plan::did_you_mean(text, &names)
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                format!(
                    "unknown signal `{text}`{hint}; the target's and host's are {}",
                    names.join(", ")
                )
            });
        }
        if let Some(s) = text.strip_prefix("wall.") {
            return match stat(s)? {
                Stat::Percentile(p) if p != 50.0 => Err(format!(
                    "`{text}`: a benchmark's wall time has median, mean, min and max (a few runs cannot support p{p})"
                )),
                s => Ok(Metric::Wall(s)),
            };
        }
        for (prefix, make) in [
            ("instructions.", Metric::Instructions as fn(Stat) -> Metric),
            ("cycles.", Metric::Cycles as fn(Stat) -> Metric),
        ] {
            if let Some(s) = text.strip_prefix(prefix) {
                return match stat(s)? {
                    s @ (Stat::Mean | Stat::Min | Stat::Max) => Ok(make(s)),
                    Stat::Percentile(50.0) => Ok(make(Stat::Percentile(50.0))),
                    _ => Err(format!(
                        "`{text}`: a count has median, mean, min and max (over a few counted runs)"
                    )),
                };
            }
        }
        match text {
            "error_rate" => Ok(Metric::ErrorRate),
            "throughput" => Ok(Metric::Throughput),
            "requests" => Ok(Metric::Requests),
            "errors" => Ok(Metric::Errors),
            "recovery.time" => Ok(Metric::Recovery),
            "journey.failure_rate" => Ok(Metric::JourneyFailureRate),
            "journeys" => Ok(Metric::Journeys),
            "user.mean" => Ok(Metric::User),
            "system.mean" => Ok(Metric::System),
            "peak_rss" | "peak_rss.max" => Ok(Metric::PeakRss),
            _ => Err(unknown()),
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Metric::Latency(s) => write!(f, "latency.{s}"),
            Metric::RawLatency(s) => write!(f, "latency.raw.{s}"),
            Metric::Stage(stage, s) => write!(f, "latency.{}.{s}", stage.as_str()),
            Metric::ScheduleLag(s) => write!(f, "schedule_lag.{s}"),
            Metric::ErrorRate => f.write_str("error_rate"),
            Metric::Throughput => f.write_str("throughput"),
            Metric::Requests => f.write_str("requests"),
            Metric::Errors => f.write_str("errors"),
            Metric::Recovery => f.write_str("recovery.time"),
            Metric::JourneyDuration(s) => write!(f, "journey.duration.{s}"),
            Metric::JourneyFailureRate => f.write_str("journey.failure_rate"),
            Metric::Journeys => f.write_str("journeys"),
            Metric::Target(s) => s.fmt(f),
            Metric::Scraped(s) => s.fmt(f),
            Metric::Wall(Stat::Percentile(_)) => f.write_str("wall.median"),
            Metric::Wall(s) => write!(f, "wall.{s}"),
            Metric::User => f.write_str("user.mean"),
            Metric::System => f.write_str("system.mean"),
            Metric::PeakRss => f.write_str("peak_rss"),
            Metric::Instructions(Stat::Percentile(_)) => f.write_str("instructions.median"),
            Metric::Instructions(s) => write!(f, "instructions.{s}"),
            Metric::Cycles(Stat::Percentile(_)) => f.write_str("cycles.median"),
            Metric::Cycles(s) => write!(f, "cycles.{s}"),
            Metric::Column(c) => c.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_suggested_name_parses_and_prints_back() {
        for name in SUGGESTIONS {
            let metric: Metric = name.parse().unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(&metric.to_string(), name, "canonical name of {name}");
        }
    }

    #[test]
    fn units_directions_and_judging_follow_the_metric() {
        let m = |t: &str| t.parse::<Metric>().expect(t);
        assert_eq!(m("latency.p999"), Metric::Latency(Stat::Percentile(99.9)));
        assert_eq!(m("latency.median"), Metric::Latency(Stat::Percentile(50.0)));
        assert_eq!(m("latency.p99.9"), Metric::Latency(Stat::Percentile(99.9)));
        assert_eq!(
            m("latency.ttfb.p99.9"),
            Metric::Stage(Stage::Ttfb, Stat::Percentile(99.9))
        );
        assert_eq!(
            m("latency.connect.max"),
            Metric::Stage(Stage::Connect, Stat::Max)
        );
        assert_eq!(m("latency.tls.mean").unit(), Unit::Nanos);
        assert!("latency.ttfb.p0".parse::<Metric>().is_err());
        assert_eq!(m("throughput").direction(), Direction::HigherIsBetter);
        assert_eq!(m("wall.median").run_kind(), RunKind::Bench);
        assert_eq!(m("peak_rss").unit(), Unit::Bytes);
        assert_eq!(m("error_rate").judged(), Judged::Proportion);
        assert_eq!(m("target.cpu").unit(), Unit::Fraction);
        assert!("wall.p99"
            .parse::<Metric>()
            .unwrap_err()
            .contains("median, mean"));
        let e = "latncy.p95".parse::<Metric>().unwrap_err();
        assert!(e.contains("did you mean `latency.p95`"), "{e}");
    }

    #[test]
    fn bare_numbers_are_refused_where_a_unit_is_meant() {
        assert_eq!(Unit::Fraction.parse("1%"), Ok(0.01));
        assert!(Unit::Fraction.parse("30").unwrap_err().contains("`30%`"));
        assert!(Unit::Fraction
            .parse("0.3")
            .unwrap_err()
            .contains("percentage"));
        assert!(Unit::Nanos.parse("100").unwrap_err().contains("`100ms`"));
        assert!(Unit::PerSecond
            .parse("100")
            .unwrap_err()
            .contains("`100/s`"));
        assert_eq!(Unit::Count.parse("12"), Ok(12.0));
        assert_eq!(Unit::Count.parse("90M"), Ok(90e6));
        assert_eq!(Unit::Count.parse("1.2G"), Ok(1.2e9));
        assert_eq!(Unit::Count.parse("90.124M"), Ok(90_124_000.0));
        assert!(Unit::Count.parse("1.5").is_err());
        assert!(Unit::Count.parse("-3").is_err());
        assert_eq!(Unit::Count.format(12345.0), "12345");
        assert_eq!(Unit::from_name("count"), Some(Unit::Count));
        assert_eq!(Unit::from_name("per_s"), Some(Unit::PerSecond));
        assert_eq!(Unit::from_name("furlongs"), None);
        assert_eq!(Unit::Count.format(90_124_164.0), "90.124M");
        assert_eq!(Unit::Count.format(1_234_567_890.0), "1.235G");
        assert_eq!(Unit::Number.parse("5k"), Ok(5000.0));
        assert_eq!(Unit::Number.parse("0.25"), Ok(0.25));
        assert!(Unit::Number.parse("5x").is_err());
        assert_eq!(Unit::Number.format(5000.0), "5k");
        assert_eq!(Unit::Number.format(12.5), "12.5");
        assert_eq!(Unit::Bytes.parse("64MiB"), Ok(64.0 * 1024.0 * 1024.0));
        assert_eq!(Unit::BytesPerSecond.parse("10KiB/s"), Ok(10240.0));
        assert_eq!(Unit::BytesPerSecond.parse("36KiB/h"), Ok(10.24));
        assert!(Unit::BytesPerSecond.parse("10KiB").is_err());
    }
}
