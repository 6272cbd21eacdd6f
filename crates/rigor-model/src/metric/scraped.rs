//! The target's own metrics, scraped from its Prometheus or OpenMetrics endpoint while a run
//! goes: `target.metric.NAME`, narrowed by the series' labels and read by a statistic over
//! the run's scrapes — `target.metric.cache_hit_ratio{cache="users"}`,
//! `target.metric.jvm_gc_pause_seconds.p99.max`, `target.metric.queue_length.last`.
//!
//! The series are those the scraper stores: a gauge as read (`queue_length`), a counter as its
//! rate per second (`http_requests_total`), a histogram as its quantiles and rate within each
//! scrape interval (`jvm_gc_pause_seconds.p99`, `.rate`, `.max`). A statistic over the
//! scrapes may follow (`.mean`, the default, `.min`, `.max`, `.p95`, `.last`). Prometheus
//! names hold no dots, so a name and its suffixes never run together; whether `.max` is a
//! histogram's or a statistic is settled against the series the run has.
//!
//! The unit comes from the name, as Prometheus's naming conventions have it: `_seconds` is a
//! duration (thresholds are written `500ms`), `_bytes` bytes, `_ratio` a share (`85%`), a
//! counter's `_total` and a histogram's `.rate` a rate (`100/s`); anything else is a plain
//! number (`5k`).

use std::collections::BTreeSet;
use std::fmt;
use std::sync::{Mutex, OnceLock};

use super::{Direction, Unit};

/// The prefix of every scraped metric's name.
pub const PREFIX: &str = "target.metric.";

/// A scraped series as a metric names it. Copy, as every metric is: its text is interned
/// (each distinct name is kept once for the life of the process).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scraped {
    /// `name[.suffix…]` then `{labels}` when it has any, labels sorted.
    key: &'static str,
}

/// A statistic over a run's scrapes of one series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesStat {
    Mean,
    Min,
    Max,
    P95,
    Last,
}

impl SeriesStat {
    fn named(text: &str) -> Option<SeriesStat> {
        Some(match text {
            "mean" | "avg" => SeriesStat::Mean,
            "min" => SeriesStat::Min,
            "max" | "peak" => SeriesStat::Max,
            "p95" => SeriesStat::P95,
            "last" => SeriesStat::Last,
            _ => return None,
        })
    }
}

/// The suffixes the scraper gives a histogram's series.
const HISTOGRAM_PARTS: &[&str] = &["rate", "p50", "p95", "p99", "max"];

impl Scraped {
    /// Parses what follows `target.metric.`: a Prometheus name, then dotted suffixes, and the
    /// series' labels as the store names them (`{route="/a",status="200"}`) when given.
    pub fn parse(text: &str) -> Result<Scraped, String> {
        let Some(open) = text.find('{') else {
            return Scraped::parse_path(text);
        };
        let (path, labels) = text.split_at(open);
        let wrong = || format!("`{PREFIX}{text}`: labels are written {{name=\"value\", …}}");
        if !labels.ends_with('}') {
            return Err(wrong());
        }
        let mut pairs = Vec::new();
        for pair in label_pairs(labels) {
            let (k, v) = pair.split_once('=').ok_or_else(wrong)?;
            let v = v
                .trim()
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .ok_or_else(wrong)?;
            pairs.push((k.trim().to_string(), unescape(v)));
        }
        Ok(Scraped::parse_path(path)?.with_labels(&pairs))
    }

    fn parse_path(path: &str) -> Result<Scraped, String> {
        let mut parts = path.split('.');
        let name = parts.next().unwrap_or_default();
        let name_ok = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':');
        if !name_ok {
            return Err(format!(
                "`{PREFIX}{path}`: `{name}` is not a Prometheus metric name (letters, digits, `_` and `:`, not starting with a digit), e.g. `{PREFIX}queue_length`"
            ));
        }
        let suffixes: Vec<&str> = parts.collect();
        if suffixes.len() > 2
            || suffixes
                .iter()
                .any(|s| !HISTOGRAM_PARTS.contains(s) && SeriesStat::named(s).is_none())
        {
            return Err(format!(
                "`{PREFIX}{path}`: after the name come a histogram's part ({}) and a statistic over the run's scrapes (mean, min, max, p95, last)",
                HISTOGRAM_PARTS.join(", ")
            ));
        }
        Ok(Scraped {
            key: intern(path.to_string()),
        })
    }

    /// The same series narrowed by the exporter's labels (`{cache="users"}`).
    pub fn with_labels(self, labels: &[(String, String)]) -> Scraped {
        if labels.is_empty() {
            return self;
        }
        let mut sorted: Vec<&(String, String)> = labels.iter().collect();
        sorted.sort();
        let inner: Vec<String> = sorted
            .iter()
            .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
            .collect();
        Scraped {
            key: intern(format!("{}{{{}}}", self.path(), inner.join(","))),
        }
    }

    /// The name and suffixes, without labels.
    pub fn path(self) -> &'static str {
        &self.key[..self.key.find('{').unwrap_or(self.key.len())]
    }

    /// `{labels}`, or nothing.
    pub fn labels(self) -> &'static str {
        &self.key[self.path().len()..]
    }

    /// The Prometheus metric family: the name before any suffix.
    pub fn family(self) -> &'static str {
        self.path().split('.').next().unwrap_or_default()
    }

    /// The stored series this metric reads, and the statistic over its scrapes, among the
    /// series a run has: the whole path when there is such a series (read by its mean), else
    /// the path without its last part, read by that part as a statistic. The labels given
    /// need not be all the series has: they pick the one series that has them, and an error
    /// names the series when several do.
    pub fn resolve<'s>(
        self,
        series: impl Iterator<Item = &'s str> + Clone,
    ) -> Result<Option<(String, SeriesStat)>, String> {
        let wanted = label_pairs(self.labels());
        let mut candidates = vec![(self.path(), SeriesStat::Mean)];
        if let Some((path, stat)) = self.path().rsplit_once('.') {
            if let Some(stat) = SeriesStat::named(stat) {
                candidates.push((path, stat));
            }
        }
        for (path, stat) in candidates {
            let matching: Vec<&str> = series
                .clone()
                .filter(|key| {
                    let (name, labels) = key.split_at(key.find('{').unwrap_or(key.len()));
                    let have = label_pairs(labels);
                    name == path && wanted.iter().all(|w| have.contains(w))
                })
                .collect();
            match matching.as_slice() {
                [] => continue,
                [one] => return Ok(Some((one.to_string(), stat))),
                several => {
                    return Err(format!(
                        "`{self}` matches {} series ({}): give the labels that pick one",
                        several.len(),
                        several.join(", ")
                    ))
                }
            }
        }
        Ok(None)
    }

    /// Whether the series is a histogram's rate of observations.
    fn is_rate(self) -> bool {
        self.path().split('.').skip(1).any(|p| p == "rate")
    }

    pub fn unit(self) -> Unit {
        let family = self.family();
        if self.is_rate() || family.ends_with("_count") || family.ends_with("_total") {
            return if family.ends_with("_bytes_total") {
                Unit::BytesPerSecond
            } else {
                Unit::PerSecond
            };
        }
        if family.ends_with("_seconds") {
            Unit::Nanos
        } else if family.ends_with("_bytes") {
            Unit::Bytes
        } else if family.ends_with("_ratio") {
            Unit::Fraction
        } else {
            Unit::Number
        }
    }

    /// What a stored value (as the exporter gave it) is multiplied by to be in [`Self::unit`]:
    /// seconds become nanoseconds.
    pub fn scale(self) -> f64 {
        if self.unit() == Unit::Nanos {
            1e9
        } else {
            1.0
        }
    }

    /// Lower is better, except for what names hits or successes.
    pub fn direction(self) -> Direction {
        let family = self.family();
        if family.contains("hit") || family.contains("success") {
            Direction::HigherIsBetter
        } else {
            Direction::LowerIsBetter
        }
    }

    /// The name of the stored samples of a series of the target's metrics.
    pub fn sample_name(series: &str) -> String {
        format!("{PREFIX}{series}")
    }
}

impl fmt::Display for Scraped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PREFIX}{}", self.key)
    }
}

/// A label value as the exposition format escapes it.
pub fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// A label value with the exposition format's escapes undone.
fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match (c, c == '\\') {
            (_, true) => match chars.next() {
                Some('n') => out.push('\n'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            },
            (c, false) => out.push(c),
        }
    }
    out
}

/// The `key="value"` pairs of a rendered `{labels}`, as written (escapes kept).
fn label_pairs(labels: &str) -> Vec<&str> {
    let inner = labels
        .strip_prefix('{')
        .and_then(|l| l.strip_suffix('}'))
        .unwrap_or_default();
    let mut pairs = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in inner.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => {
                pairs.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if start < inner.len() {
        pairs.push(&inner[start..]);
    }
    pairs
}

/// Keeps each distinct name once: metrics are `Copy` and parsed once per plan or command.
pub(super) fn intern(text: String) -> &'static str {
    static NAMES: OnceLock<Mutex<BTreeSet<&'static str>>> = OnceLock::new();
    let mut names = NAMES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(kept) = names.get(text.as_str()) {
        return kept;
    }
    let kept: &'static str = Box::leak(text.into_boxed_str());
    names.insert(kept);
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_follow_the_naming_conventions() {
        let unit = |p: &str| Scraped::parse(p).unwrap().unit();
        assert_eq!(unit("jvm_gc_pause_seconds.p99"), Unit::Nanos);
        assert_eq!(unit("jvm_gc_pause_seconds.rate"), Unit::PerSecond);
        assert_eq!(unit("http_requests_total"), Unit::PerSecond);
        assert_eq!(unit("net_sent_bytes_total"), Unit::BytesPerSecond);
        assert_eq!(unit("heap_used_bytes.max"), Unit::Bytes);
        assert_eq!(unit("cache_hit_ratio"), Unit::Fraction);
        assert_eq!(unit("kafka_consumer_lag"), Unit::Number);
        assert_eq!(Scraped::parse("a_seconds").unwrap().scale(), 1e9);
        assert_eq!(
            Scraped::parse("cache_hit_ratio").unwrap().direction(),
            Direction::HigherIsBetter
        );
    }

    #[test]
    fn names_are_checked_and_labels_sorted() {
        assert!(Scraped::parse("9lives").is_err());
        assert!(Scraped::parse("a-b").is_err());
        assert!(Scraped::parse("lag.median").is_err());
        let m = Scraped::parse("lag").unwrap().with_labels(&[
            ("topic".into(), "b".into()),
            ("group".into(), "a\"x".into()),
        ]);
        assert_eq!(
            m.to_string(),
            "target.metric.lag{group=\"a\\\"x\",topic=\"b\"}"
        );
        assert_eq!(m.family(), "lag");
        // The name a comparison prints parses back to the same series.
        assert_eq!(Scraped::parse(&m.to_string()[PREFIX.len()..]), Ok(m));
        assert!(Scraped::parse("lag{topic=b}").is_err());
        assert_eq!(
            m,
            Scraped::parse("lag").unwrap().with_labels(&[
                ("group".into(), "a\"x".into()),
                ("topic".into(), "b".into())
            ])
        );
    }

    #[test]
    fn a_last_part_is_a_statistic_only_when_no_series_has_it() {
        let series = [
            "gc_seconds.max",
            "gc_seconds.p99",
            "depth{q=\"a\"}",
            "req_total{route=\"/a\",status=\"200\"}",
            "req_total{route=\"/b,c\",status=\"200\"}",
            "req_total{route=\"/b,c\",status=\"503\"}",
        ];
        let resolve = |m: Scraped| m.resolve(series.iter().copied());
        let path = |p: &str| Scraped::parse(p).unwrap();
        let labelled = |p: &str, l: &[(&str, &str)]| {
            let l: Vec<(String, String)> = l
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            path(p).with_labels(&l)
        };
        assert_eq!(
            resolve(path("gc_seconds.max")),
            Ok(Some(("gc_seconds.max".into(), SeriesStat::Mean)))
        );
        assert_eq!(
            resolve(path("gc_seconds.max.max")),
            Ok(Some(("gc_seconds.max".into(), SeriesStat::Max)))
        );
        assert_eq!(
            resolve(path("gc_seconds.p99.last")),
            Ok(Some(("gc_seconds.p99".into(), SeriesStat::Last)))
        );
        assert_eq!(
            resolve(labelled("depth.max", &[("q", "a")])),
            Ok(Some(("depth{q=\"a\"}".into(), SeriesStat::Max)))
        );
        assert_eq!(resolve(labelled("depth", &[("q", "b")])), Ok(None));
        // Labels pick the one series that has them all; several is an error naming them.
        assert_eq!(
            resolve(labelled("req_total", &[("status", "503")])),
            Ok(Some((series[5].into(), SeriesStat::Mean)))
        );
        assert_eq!(
            resolve(labelled(
                "req_total",
                &[("route", "/b,c"), ("status", "200")]
            )),
            Ok(Some((series[4].into(), SeriesStat::Mean)))
        );
        let e = resolve(labelled("req_total", &[("status", "200")])).unwrap_err();
        assert!(e.contains("matches 2 series"), "{e}");
    }
}
