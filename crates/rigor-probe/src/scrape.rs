//! Scraping the target's own metrics (a Prometheus or OpenMetrics `/metrics`) once a sampling
//! interval while a run goes, so its internal figures — a GC pause histogram, a queue's
//! length, a cache's hit ratio, a consumer's lag — are stored beside the load's. Gauges are
//! kept as read; counters become rates per second; histograms become their p50, p95 and p99
//! over each interval (from the buckets' growth, as Prometheus's `histogram_quantile` reads
//! them) and their rate of observations. A scrape that fails or times out is counted and
//! its reason kept, never fatal.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::exposition::{self, Exposition, Kind};

/// Series kept at most from one scrape: an exporter of ten thousand series selected whole
/// would fill the store with what nobody asked about.
pub const MAX_SERIES: usize = 1000;
/// The largest body read.
const MAX_BODY: u64 = 16 << 20;

/// What to scrape.
#[derive(Debug, Clone, PartialEq)]
pub struct ScrapeSpec {
    /// `http://host:port/metrics`.
    pub url: String,
    /// The series to keep; none keeps every series (up to [`MAX_SERIES`]).
    pub select: Vec<Selector>,
    pub every: Duration,
    pub timeout: Duration,
}

impl ScrapeSpec {
    /// The plan's `[target.metrics]` (already checked by the plan), its selectors parsed.
    pub fn from_plan(spec: &rigor_model::plan::MetricsSpec) -> Result<ScrapeSpec, String> {
        let select = spec
            .select
            .iter()
            .map(|s| s.parse::<Selector>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("[target.metrics] select: {e}"))?;
        Ok(ScrapeSpec {
            url: spec.url.trim().to_string(),
            select,
            every: spec.interval(),
            timeout: spec.scrape_timeout(),
        })
    }
}

/// A series selector: `name` or `name{label="value"}`, each part a glob where `*` matches
/// anything.
#[derive(Debug, Clone, PartialEq)]
pub struct Selector {
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub text: String,
}

impl std::str::FromStr for Selector {
    type Err = String;
    fn from_str(text: &str) -> Result<Selector, String> {
        let text = text.trim();
        // A selector reads like a sample without its value.
        let parsed = exposition::parse(&format!("{} 0", text.replace('*', "__glob__")))
            .map_err(|e| format!("`{text}` is not a series selector: {}", e.message))?;
        let sample = parsed
            .samples
            .into_iter()
            .next()
            .ok_or_else(|| format!("`{text}` is not a series selector"))?;
        let unglob = |s: &str| s.replace("__glob__", "*");
        Ok(Selector {
            name: unglob(&sample.name),
            labels: sample
                .labels
                .iter()
                .map(|(k, v)| (k.clone(), unglob(v)))
                .collect(),
            text: text.to_string(),
        })
    }
}

impl Selector {
    /// Whether a family named `name` with `labels` is selected.
    fn matches(&self, name: &str, labels: &[(String, String)]) -> bool {
        glob(&self.name, name)
            && self
                .labels
                .iter()
                .all(|(k, pattern)| labels.iter().any(|(lk, lv)| lk == k && glob(pattern, lv)))
    }
}

/// `*` matches any run of characters; everything else itself.
fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || !text[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// One interval's value of one series.
#[derive(Debug, Clone, PartialEq)]
pub struct ScrapedValue {
    /// Whole seconds from the start of the scraping to the scrape.
    pub second: u32,
    /// `name` or `name{labels}`; histograms as `name.p95{labels}`, `name.max{labels}`,
    /// `name.rate{labels}`.
    pub series: String,
    pub value: f64,
}

/// What a scraper kept over a run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scraped {
    pub values: Vec<ScrapedValue>,
    pub scrapes: u32,
    pub failed: u32,
    /// The last failure's reason.
    pub last_error: Option<String>,
    pub notes: Vec<String>,
}

/// The previous scrape's cumulative figures, to turn the next into rates and quantiles.
#[derive(Default)]
struct Previous {
    at: Option<Instant>,
    counters: BTreeMap<String, f64>,
    /// Each histogram series' cumulative counts by upper bound, and its count.
    histograms: BTreeMap<String, Vec<(f64, f64)>>,
}

/// Turns one scrape into values, given the previous one; updates `previous`.
fn values_of(
    e: &Exposition,
    spec: &ScrapeSpec,
    previous: &mut Previous,
    at: Instant,
    second: u32,
    notes: &mut BTreeSet<String>,
) -> Vec<ScrapedValue> {
    let elapsed = previous
        .at
        .map(|then| at.duration_since(then).as_secs_f64())
        .filter(|s| *s > 0.0);
    let mut out = Vec::new();
    let mut counters = BTreeMap::new();
    let mut buckets: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    let mut kept = BTreeSet::new();
    for s in &e.samples {
        let (family, kind) = e.family_of(&s.name);
        let selected =
            spec.select.is_empty() || spec.select.iter().any(|sel| sel.matches(family, &s.labels));
        if !selected {
            continue;
        }
        match kind {
            Kind::Histogram if s.name.ends_with("_bucket") => {
                let le = s.label("le").and_then(|v| match v {
                    "+Inf" => Some(f64::INFINITY),
                    v => v.parse().ok(),
                });
                let Some(le) = le else { continue };
                let key = series_name(family, &s.labels, &["le"]);
                buckets.entry(key).or_default().push((le, s.value));
            }
            // A sum says nothing its quantiles do not; a histogram's count is its `.rate`; a
            // counter's creation time is not a figure.
            Kind::Histogram | Kind::Summary if s.name.ends_with("_sum") => {}
            Kind::Histogram => {}
            _ if s.name.ends_with("_created") => {}
            Kind::Counter | Kind::Summary
                if kind == Kind::Counter || s.name.ends_with("_count") =>
            {
                let key = series_name(&s.name, &s.labels, &[]);
                counters.insert(key, s.value);
            }
            _ => {
                let key = series_name(&s.name, &s.labels, &[]);
                if keep(&mut kept, &key, notes) {
                    out.push(ScrapedValue {
                        second,
                        series: key,
                        value: s.value,
                    });
                }
            }
        }
    }
    if let Some(dt) = elapsed {
        for (key, value) in &counters {
            let Some(before) = previous.counters.get(key) else {
                continue;
            };
            // A counter that went down was reset (the target restarted): it counted from 0.
            let grew = if value >= before {
                value - before
            } else {
                *value
            };
            if keep(&mut kept, key, notes) {
                out.push(ScrapedValue {
                    second,
                    series: key.clone(),
                    value: grew / dt,
                });
            }
        }
    }
    let mut histograms = BTreeMap::new();
    for (key, mut counts) in buckets {
        counts.sort_by(|a, b| a.0.total_cmp(&b.0));
        if let (Some(dt), Some(before)) = (elapsed, previous.histograms.get(&key)) {
            let window: Vec<(f64, f64)> = counts
                .iter()
                .map(|(le, n)| {
                    let was = before
                        .iter()
                        .find(|(b, _)| b == le)
                        .map_or(0.0, |(_, n)| *n);
                    (*le, if *n >= was { n - was } else { *n })
                })
                .collect();
            let total = window.last().map_or(0.0, |(_, n)| *n);
            let (name, labels) = key.split_at(key.find('{').unwrap_or(key.len()));
            let mut push = |suffix: &str, value: f64| {
                let series = format!("{name}.{suffix}{labels}");
                if keep(&mut kept, &series, notes) {
                    out.push(ScrapedValue {
                        second,
                        series,
                        value,
                    });
                }
            };
            push("rate", total / dt);
            for (suffix, q) in [("p50", 0.5), ("p95", 0.95), ("p99", 0.99)] {
                if let Some(v) = bucket_quantile(&window, q) {
                    push(suffix, v);
                }
            }
            // An interval without observations had no pause above any bound: its largest is 0,
            // so "pause > 500ms" rules see the quiet intervals too.
            push("max", bucket_max(&window).unwrap_or(0.0));
        }
        histograms.insert(key, counts);
    }
    previous.at = Some(at);
    previous.counters = counters;
    previous.histograms = histograms;
    out
}

/// Whether one more series may be kept this scrape; says once when the cap is reached.
fn keep(kept: &mut BTreeSet<String>, series: &str, notes: &mut BTreeSet<String>) -> bool {
    if kept.contains(series) {
        return true;
    }
    if kept.len() >= MAX_SERIES {
        notes.insert(format!(
            "the target's metrics have more than {MAX_SERIES} series selected; the rest are not kept: name the ones wanted in [target.metrics] select"
        ));
        return false;
    }
    kept.insert(series.to_string());
    true
}

/// The `q` quantile of one interval's observations from cumulative bucket counts, by linear
/// interpolation within the bucket it falls in (the lower bound of the first is 0); `None`
/// for an interval with no observations. Beyond the last finite bound, that bound.
pub fn bucket_quantile(cumulative: &[(f64, f64)], q: f64) -> Option<f64> {
    let total = cumulative.last()?.1;
    if total <= 0.0 {
        return None;
    }
    let rank = q * total;
    let mut lower = (0.0, 0.0);
    for &(le, n) in cumulative {
        if n >= rank {
            if le.is_infinite() {
                return Some(lower.0);
            }
            let within = n - lower.1;
            let share = if within > 0.0 {
                (rank - lower.1) / within
            } else {
                1.0
            };
            return Some(lower.0 + (le - lower.0) * share);
        }
        lower = (le, n);
    }
    Some(lower.0)
}

/// The largest observation of an interval as its buckets bound it: the upper bound of the
/// highest bucket that gained any (every observation in it is above the bucket below, so
/// `max > 0.5` holds exactly when some observation exceeded a 0.5 bound); beyond the last
/// finite bound, that bound. `None` for an interval with no observations.
pub fn bucket_max(cumulative: &[(f64, f64)]) -> Option<f64> {
    let total = cumulative.last()?.1;
    if total <= 0.0 {
        return None;
    }
    let mut below = (0.0f64, 0.0f64);
    for &(le, n) in cumulative {
        if n >= total {
            return Some(if le.is_infinite() {
                // Above the last finite bound: just past it, so `> bound` holds.
                f64::from_bits(below.0.to_bits() + 1)
            } else {
                le
            });
        }
        below = (le, n);
    }
    Some(below.0)
}

/// `name{a="x",b="y"}` with the labels sorted and `skip` left out; `name` alone with none.
fn series_name(name: &str, labels: &[(String, String)], skip: &[&str]) -> String {
    let mut kept: Vec<&(String, String)> = labels
        .iter()
        .filter(|(k, _)| !skip.contains(&k.as_str()))
        .collect();
    if kept.is_empty() {
        return name.to_string();
    }
    kept.sort();
    let inner: Vec<String> = kept
        .iter()
        .map(|(k, v)| {
            format!(
                "{k}=\"{}\"",
                v.replace('\\', "\\\\")
                    .replace('"', "\\\"")
                    .replace('\n', "\\n")
            )
        })
        .collect();
    format!("{name}{{{}}}", inner.join(","))
}

/// Scrapes on a thread of its own until finished.
pub struct Scraper {
    stop: Arc<AtomicBool>,
    kept: Arc<Mutex<Scraped>>,
    handle: Option<JoinHandle<()>>,
}

impl Scraper {
    pub fn start(spec: ScrapeSpec) -> Scraper {
        let stop = Arc::new(AtomicBool::new(false));
        let kept = Arc::new(Mutex::new(Scraped::default()));
        let (flag, sink) = (Arc::clone(&stop), Arc::clone(&kept));
        let handle = std::thread::Builder::new()
            .name("rigor-scrape".into())
            .spawn(move || scrape_loop(&spec, &flag, &sink))
            .ok();
        Scraper { stop, kept, handle }
    }

    /// The values taken after the first `from`: what a recorder has not stored yet.
    pub fn values_since(&self, from: usize) -> Vec<ScrapedValue> {
        self.kept
            .lock()
            .map(|k| k.values.get(from..).unwrap_or_default().to_vec())
            .unwrap_or_default()
    }

    /// Stops scraping and returns all it kept.
    pub fn finish(mut self) -> Scraped {
        self.stop.store(true, Ordering::Release);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
        self.kept
            .lock()
            .map(|mut k| std::mem::take(&mut *k))
            .unwrap_or_default()
    }
}

impl Drop for Scraper {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
    }
}

fn scrape_loop(spec: &ScrapeSpec, stop: &AtomicBool, sink: &Mutex<Scraped>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(spec.timeout))
        .http_status_as_error(false)
        // The URL is the user's: no proxy from the environment in between.
        .proxy(None)
        .build()
        .into();
    let start = Instant::now();
    let mut previous = Previous::default();
    let mut notes = BTreeSet::new();
    let mut tick = 0u32;
    loop {
        let at = Instant::now();
        let outcome = fetch(&agent, &spec.url).and_then(|text| {
            exposition::parse(&text)
                .map_err(|e| format!("{} is not in the exposition format: {e}", spec.url))
        });
        let second = at.duration_since(start).as_secs() as u32;
        if let Ok(mut k) = sink.lock() {
            k.scrapes += 1;
            match outcome {
                Ok(e) => {
                    let values = values_of(&e, spec, &mut previous, at, second, &mut notes);
                    k.values.extend(values);
                }
                Err(why) => {
                    k.failed += 1;
                    k.last_error = Some(why);
                }
            }
            k.notes = notes.iter().cloned().collect();
        }
        tick += 1;
        if !crate::wait_until(start + spec.every * tick, stop) {
            return;
        }
    }
}

/// The body of a GET of `url`, or why not.
fn fetch(agent: &ureq::Agent, url: &str) -> Result<String, String> {
    let mut response = agent
        .get(url)
        .header("Accept", "text/plain;version=0.0.4")
        .call()
        .map_err(|e| format!("scraping {url} failed: {e}"))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("scraping {url} answered {status}"));
    }
    response
        .body_mut()
        .with_config()
        .limit(MAX_BODY)
        .read_to_string()
        .map_err(|e| format!("reading {url}'s answer failed: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_names_and_labels() {
        assert!(glob("jvm_gc_*", "jvm_gc_pause_seconds"));
        assert!(glob("*lag*", "kafka_consumer_lag_records"));
        assert!(!glob("jvm_gc_*", "jvm_memory"));
        assert!(glob("a*c", "abc") && !glob("a*c", "ab"));
        let sel: Selector = "rigor_target_requests_total{status=\"5*\"}"
            .parse()
            .unwrap();
        let labels = |s: &str| vec![("status".to_string(), s.to_string())];
        assert!(sel.matches("rigor_target_requests_total", &labels("503")));
        assert!(!sel.matches("rigor_target_requests_total", &labels("200")));
        assert!("not a {selector".parse::<Selector>().is_err());
    }

    #[test]
    fn quantiles_interpolate_within_buckets_as_prometheus_does() {
        // 100 observations: 50 up to 0.1, 40 more up to 0.2, 10 more up to 0.5.
        let c = [
            (0.1, 50.0),
            (0.2, 90.0),
            (0.5, 100.0),
            (f64::INFINITY, 100.0),
        ];
        assert_eq!(bucket_quantile(&c, 0.5), Some(0.1));
        assert!((bucket_quantile(&c, 0.7).unwrap() - 0.15).abs() < 1e-12);
        assert!((bucket_quantile(&c, 0.95).unwrap() - 0.35).abs() < 1e-12);
        assert_eq!(
            bucket_quantile(&[(0.1, 0.0), (f64::INFINITY, 0.0)], 0.5),
            None
        );
        // Beyond the last finite bound: that bound.
        assert_eq!(
            bucket_quantile(&[(0.1, 1.0), (f64::INFINITY, 3.0)], 0.9),
            Some(0.1)
        );
    }

    #[test]
    fn the_largest_observation_is_bounded_by_its_bucket() {
        let c = [(0.1, 5.0), (0.5, 5.0), (1.0, 6.0), (f64::INFINITY, 6.0)];
        assert_eq!(bucket_max(&c), Some(1.0));
        let beyond = [(0.1, 5.0), (0.5, 5.0), (f64::INFINITY, 6.0)];
        assert!(bucket_max(&beyond).unwrap() > 0.5);
        assert!(bucket_max(&beyond).unwrap() < 0.5000001);
        assert_eq!(bucket_max(&[(0.1, 0.0), (f64::INFINITY, 0.0)]), None);
    }

    #[test]
    fn counters_become_rates_and_histograms_quantiles_between_scrapes() {
        let spec = ScrapeSpec {
            url: String::new(),
            select: vec![
                "jobs".parse().unwrap(),
                "lat*".parse().unwrap(),
                "depth".parse().unwrap(),
            ],
            every: Duration::from_secs(1),
            timeout: Duration::from_secs(1),
        };
        let scrape = |jobs: u32, fast: u32, slow: u32| {
            exposition::parse(&format!(
                "# TYPE jobs counter\njobs_total {jobs}\n# TYPE lat histogram\nlat_bucket{{le=\"0.1\"}} {fast}\nlat_bucket{{le=\"1\"}} {}\nlat_bucket{{le=\"+Inf\"}} {}\nlat_count {}\n# TYPE depth gauge\ndepth 7\n# TYPE other gauge\nother 1\n",
                fast + slow, fast + slow, fast + slow
            ))
            .unwrap()
        };
        let t0 = Instant::now();
        let mut previous = Previous::default();
        let mut notes = BTreeSet::new();
        let first = values_of(&scrape(10, 5, 0), &spec, &mut previous, t0, 0, &mut notes);
        assert_eq!(
            first.len(),
            1,
            "only the gauge before a second scrape: {first:?}"
        );
        let second = values_of(
            &scrape(30, 5, 10),
            &spec,
            &mut previous,
            t0 + Duration::from_secs(2),
            1,
            &mut notes,
        );
        let value = |name: &str| second.iter().find(|v| v.series == name).map(|v| v.value);
        assert_eq!(value("jobs_total"), Some(10.0), "20 more over 2 s");
        assert_eq!(value("lat.rate"), Some(5.0));
        // All ten new observations fell in (0.1, 1]: the median is halfway.
        assert_eq!(value("lat.p50"), Some(0.55));
        assert_eq!(value("lat.max"), Some(1.0), "the highest bucket that grew");
        assert_eq!(value("depth"), Some(7.0));
        assert_eq!(value("other"), None, "not selected");
        // A counter that went down restarted from zero.
        let third = values_of(
            &scrape(4, 5, 10),
            &spec,
            &mut previous,
            t0 + Duration::from_secs(3),
            2,
            &mut notes,
        );
        let jobs = third.iter().find(|v| v.series == "jobs_total").unwrap();
        assert_eq!(jobs.value, 4.0);
    }
}
