//! The demo server's own metrics, in the Prometheus text exposition format at `/metrics`: what a
//! real service exports, so rigor's scraping of a target's metrics has something honest to
//! read. Per route: requests by status (a counter) and their durations (a histogram); the
//! requests in flight and the bytes leaked (gauges); the stall pauses requests met (a
//! histogram, as a garbage collector's pause log would be); and gauges a test sets itself with
//! `PUT /gauges/NAME` (a consumer lag, a cache hit ratio) to drive a rule to a known value.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Bucket bounds of the duration histograms, in seconds (Prometheus's usual spread, finer
/// below a millisecond, where the demo server lives).
const BOUNDS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// A histogram of durations: one counter per bucket (not cumulative), the count and the sum.
#[derive(Default)]
struct Histogram {
    buckets: [AtomicU64; BOUNDS.len()],
    count: AtomicU64,
    sum_ns: AtomicU64,
}

impl Histogram {
    fn observe(&self, d: Duration) {
        let seconds = d.as_secs_f64();
        if let Some(i) = BOUNDS.iter().position(|b| seconds <= *b) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_ns
            .fetch_add(d.as_nanos() as u64, Ordering::Relaxed);
    }

    /// `NAME_bucket{LABELS,le="…"}` lines (cumulative), then `_sum` and `_count`.
    fn write(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        let mut cumulative = 0;
        for (bound, n) in BOUNDS.iter().zip(&self.buckets) {
            cumulative += n.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {cumulative}"
            );
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {count}");
        let braces = |l: &str| {
            if l.is_empty() {
                String::new()
            } else {
                format!("{{{l}}}")
            }
        };
        let sum = self.sum_ns.load(Ordering::Relaxed) as f64 / 1e9;
        let _ = writeln!(out, "{name}_sum{} {sum}", braces(labels));
        let _ = writeln!(out, "{name}_count{} {count}", braces(labels));
    }
}

/// One route's figures (the last entry is the default route: paths no route matches).
struct RouteFigures {
    path: String,
    error_status: u16,
    ok: AtomicU64,
    failed: AtomicU64,
    durations: Histogram,
}

/// Everything `/metrics` shows.
pub(crate) struct Metrics {
    routes: Vec<RouteFigures>,
    in_flight: AtomicI64,
    pauses: Histogram,
    /// The stall period whose pause was last counted, plus one (0: none yet).
    last_pause: AtomicU64,
    gauges: Mutex<BTreeMap<String, f64>>,
    /// `--gauge` steps, in the order given.
    schedule: Vec<crate::GaugeStep>,
}

/// A gauge name a test may set: Prometheus's metric-name grammar, and not one of the server's
/// own.
pub(crate) fn valid_gauge_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
        && !name.starts_with("rigor_target_")
}

impl Metrics {
    /// Figures for each route (by path and error status), then the default route.
    pub(crate) fn new(
        routes: impl Iterator<Item = (String, u16)>,
        schedule: Vec<crate::GaugeStep>,
    ) -> Metrics {
        let figures = |(path, error_status): (String, u16)| RouteFigures {
            path,
            error_status,
            ok: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            durations: Histogram::default(),
        };
        let mut all: Vec<RouteFigures> = routes.map(figures).collect();
        all.push(figures(("default".into(), 500)));
        Metrics {
            routes: all,
            in_flight: AtomicI64::new(0),
            pauses: Histogram::default(),
            last_pause: AtomicU64::new(0),
            gauges: Mutex::new(BTreeMap::new()),
            schedule,
        }
    }

    /// The index of the default route's figures.
    pub(crate) fn default_route(&self) -> usize {
        self.routes.len() - 1
    }

    pub(crate) fn started(&self) {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
    }

    /// A response of route `route` after `took`; `failed` when it was an injected error.
    pub(crate) fn answered(&self, route: usize, took: Duration, failed: bool) {
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
        let Some(r) = self.routes.get(route) else {
            return;
        };
        if failed { &r.failed } else { &r.ok }.fetch_add(1, Ordering::Relaxed);
        r.durations.observe(took);
    }

    /// A request met the stall of period `period`: the pause is counted once per period.
    pub(crate) fn paused(&self, period: u64, pause: Duration) {
        let mark = period + 1;
        if self.last_pause.fetch_max(mark, Ordering::Relaxed) < mark {
            self.pauses.observe(pause);
        }
    }

    pub(crate) fn set_gauge(&self, name: &str, value: f64) {
        self.gauges
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name.to_string(), value);
    }

    /// The exposition text, `since_start` after the server started.
    pub(crate) fn render(&self, leaked_bytes: u64, since_start: Duration) -> String {
        let mut out = String::new();
        out.push_str("# HELP rigor_target_requests_total Requests answered, by route and status.\n# TYPE rigor_target_requests_total counter\n");
        for r in &self.routes {
            let path = escape(&r.path);
            let _ = writeln!(
                out,
                "rigor_target_requests_total{{route=\"{path}\",status=\"200\"}} {}",
                r.ok.load(Ordering::Relaxed)
            );
            let failed = r.failed.load(Ordering::Relaxed);
            if failed > 0 {
                let _ = writeln!(
                    out,
                    "rigor_target_requests_total{{route=\"{path}\",status=\"{}\"}} {failed}",
                    r.error_status
                );
            }
        }
        out.push_str("# HELP rigor_target_request_duration_seconds Time to answer a request, by route.\n# TYPE rigor_target_request_duration_seconds histogram\n");
        for r in &self.routes {
            let labels = format!("route=\"{}\"", escape(&r.path));
            r.durations
                .write(&mut out, "rigor_target_request_duration_seconds", &labels);
        }
        let _ = writeln!(
            out,
            "# HELP rigor_target_in_flight_requests Requests being answered.\n# TYPE rigor_target_in_flight_requests gauge\nrigor_target_in_flight_requests {}",
            self.in_flight.load(Ordering::Relaxed).max(0)
        );
        let _ = writeln!(
            out,
            "# HELP rigor_target_leaked_bytes Bytes the leak= routes have kept.\n# TYPE rigor_target_leaked_bytes gauge\nrigor_target_leaked_bytes {leaked_bytes}"
        );
        out.push_str("# HELP rigor_target_pause_seconds Stall pauses that held requests, one per --stall period.\n# TYPE rigor_target_pause_seconds histogram\n");
        self.pauses
            .write(&mut out, "rigor_target_pause_seconds", "");
        // A PUT wins over the schedule; of the schedule, the latest step that has begun.
        let mut gauges = BTreeMap::new();
        for step in self.schedule.iter().filter(|s| s.after <= since_start) {
            let latest = gauges
                .get(&step.name)
                .is_none_or(|(after, _)| *after <= step.after);
            if latest {
                gauges.insert(step.name.clone(), (step.after, step.value));
            }
        }
        let set = self.gauges.lock().unwrap_or_else(|p| p.into_inner());
        for (name, value) in set.iter() {
            gauges.insert(name.clone(), (Duration::MAX, *value));
        }
        drop(set);
        for (name, (_, value)) in gauges.iter() {
            let _ = writeln!(
                out,
                "# HELP {name} Set with PUT /gauges/{name}.\n# TYPE {name} gauge\n{name} {value}"
            );
        }
        out
    }
}

/// A label value as the exposition format escapes it.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheduled_gauges_take_the_latest_step_begun_and_a_put_wins() {
        let steps: Vec<crate::GaugeStep> = ["lag=6000", "lag=100@2s", "ratio=0.9@1s"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        let m = Metrics::new(std::iter::empty(), steps);
        let at = |s: u64| m.render(0, Duration::from_millis(s));
        assert!(at(0).lines().any(|l| l == "lag 6000"));
        assert!(
            !at(0).lines().any(|l| l.starts_with("ratio ")),
            "not begun yet"
        );
        assert!(at(2500).lines().any(|l| l == "lag 100"));
        assert!(at(2500).lines().any(|l| l == "ratio 0.9"));
        m.set_gauge("lag", 7.0);
        assert!(at(2500).lines().any(|l| l == "lag 7"));
        assert!("lag".parse::<crate::GaugeStep>().is_err());
        assert!("rigor_target_x=1".parse::<crate::GaugeStep>().is_err());
        assert!("lag=NaN".parse::<crate::GaugeStep>().is_err());
        assert!("lag=1@soon".parse::<crate::GaugeStep>().is_err());
    }

    #[test]
    fn the_exposition_counts_buckets_cumulatively() {
        let m = Metrics::new([("/slow".to_string(), 503)].into_iter(), Vec::new());
        m.started();
        m.answered(0, Duration::from_micros(700), false);
        m.started();
        m.answered(0, Duration::from_millis(30), true);
        m.paused(3, Duration::from_millis(200));
        m.paused(3, Duration::from_millis(200));
        m.set_gauge("consumer_lag", 6000.0);
        let text = m.render(42, Duration::ZERO);
        for line in [
            "rigor_target_requests_total{route=\"/slow\",status=\"200\"} 1",
            "rigor_target_requests_total{route=\"/slow\",status=\"503\"} 1",
            "rigor_target_request_duration_seconds_bucket{route=\"/slow\",le=\"0.001\"} 1",
            "rigor_target_request_duration_seconds_bucket{route=\"/slow\",le=\"0.05\"} 2",
            "rigor_target_request_duration_seconds_count{route=\"/slow\"} 2",
            "rigor_target_pause_seconds_count 1",
            "rigor_target_leaked_bytes 42",
            "rigor_target_in_flight_requests 0",
            "consumer_lag 6000",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
        }
    }

    #[test]
    fn gauge_names_follow_the_grammar() {
        assert!(valid_gauge_name("kafka_consumer_lag"));
        assert!(valid_gauge_name("cache:hit_ratio"));
        assert!(!valid_gauge_name("9lives"));
        assert!(!valid_gauge_name("a-b"));
        assert!(!valid_gauge_name(""));
        assert!(!valid_gauge_name("rigor_target_requests_total"));
    }
}
