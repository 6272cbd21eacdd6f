//! Recording: HDR histograms ([`Hist`]: 1 µs to 1 h at three significant digits, so memory is
//! bounded however long the run) and counts by error kind, per phase × request and per
//! one-second window. Each worker thread records into its own [`Recorder`]; the parts merge
//! exactly.

use std::collections::BTreeMap;
use std::io;

use rigor_model::output::LatencySummary;

/// The histogram type, its bounds and its stored byte format live in the model
/// ([`rigor_model::hist`]), so the analysis of stored runs can read them without this engine;
/// they are re-exported here for the engine's callers.
pub use rigor_model::hist::{
    decode, encode, new_hist, record, summarize, Hist, HIGHEST_NS, LOWEST_NS,
};

/// Why a request failed. Every failure is counted under its kind; none is dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorKind {
    ConnectRefused,
    ConnectTimeout,
    ConnectError,
    Tls,
    /// No complete response within the request's timeout.
    Timeout,
    /// The connection was reset mid-exchange.
    Reset,
    /// The server closed the connection before a complete response.
    Closed,
    /// The reply was not valid HTTP.
    Protocol,
    /// A response whose status is not a success (or not one the check allows).
    Status(u16),
    /// The body lacked the text the check asked for.
    CheckBody,
    /// The arrival was never sent: no connection became free in time.
    Dropped,
}

impl ErrorKind {
    pub fn name(self) -> String {
        match self {
            ErrorKind::ConnectRefused => "connect_refused".into(),
            ErrorKind::ConnectTimeout => "connect_timeout".into(),
            ErrorKind::ConnectError => "connect_error".into(),
            ErrorKind::Tls => "tls".into(),
            ErrorKind::Timeout => "timeout".into(),
            ErrorKind::Reset => "reset".into(),
            ErrorKind::Closed => "closed".into(),
            ErrorKind::Protocol => "protocol".into(),
            ErrorKind::Status(code) => format!("http_{code}"),
            ErrorKind::CheckBody => "check_body".into(),
            ErrorKind::Dropped => "dropped".into(),
        }
    }

    pub fn from_connect(e: &io::Error) -> ErrorKind {
        match e.kind() {
            io::ErrorKind::ConnectionRefused => ErrorKind::ConnectRefused,
            io::ErrorKind::TimedOut => ErrorKind::ConnectTimeout,
            _ => ErrorKind::ConnectError,
        }
    }

    pub fn from_io(e: &io::Error) -> ErrorKind {
        match e.kind() {
            io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe => ErrorKind::Reset,
            io::ErrorKind::TimedOut => ErrorKind::Timeout,
            io::ErrorKind::UnexpectedEof => ErrorKind::Closed,
            _ => ErrorKind::Reset,
        }
    }

    /// Failures before any request reached the server: the request has no latency.
    pub fn before_send(self) -> bool {
        matches!(
            self,
            ErrorKind::ConnectRefused
                | ErrorKind::ConnectTimeout
                | ErrorKind::ConnectError
                | ErrorKind::Tls
                | ErrorKind::Dropped
        )
    }
}

/// Figures for one phase × request (or any merge of them).
#[derive(Debug, Clone, Default)]
pub struct Group {
    /// Latency from intended start of the requests that succeeded.
    pub corrected: Option<Box<Hist>>,
    /// Latency from actual send of the requests that succeeded.
    pub raw: Option<Box<Hist>>,
    /// Latency from intended start of the requests that failed after they were sent
    /// (timeouts, resets, error statuses, failed checks): kept apart, so a fast failure never
    /// flatters the latency of the responses.
    pub failed: Option<Box<Hist>>,
    pub requests: u64,
    pub errors: u64,
    pub by_kind: BTreeMap<ErrorKind, u64>,
    pub statuses: BTreeMap<u16, u64>,
    /// Requests sent whose answer has not been recorded: in flight while the run goes, and
    /// abandoned once it has stopped (Ctrl-C, or the drain after the schedule ran out).
    pub unanswered: u64,
    /// Requests sent a second time, on a new connection, after the keep-alive race lost them.
    pub retried: u64,
}

impl Group {
    /// Records a completed exchange; latencies are `None` for failures before sending.
    pub fn record(
        &mut self,
        corrected_ns: Option<u64>,
        raw_ns: Option<u64>,
        status: Option<u16>,
        error: Option<ErrorKind>,
    ) {
        self.requests += 1;
        if error.is_some() {
            if let Some(v) = corrected_ns {
                record(self.failed.get_or_insert_with(|| Box::new(new_hist())), v);
            }
        } else {
            if let Some(v) = corrected_ns {
                record(
                    self.corrected.get_or_insert_with(|| Box::new(new_hist())),
                    v,
                );
            }
            if let Some(v) = raw_ns {
                record(self.raw.get_or_insert_with(|| Box::new(new_hist())), v);
            }
        }
        if let Some(code) = status {
            *self.statuses.entry(code).or_default() += 1;
        }
        if let Some(kind) = error {
            self.errors += 1;
            *self.by_kind.entry(kind).or_default() += 1;
        }
    }

    pub fn merge(&mut self, other: &Group) {
        merge_hist(&mut self.corrected, &other.corrected);
        merge_hist(&mut self.raw, &other.raw);
        merge_hist(&mut self.failed, &other.failed);
        self.requests += other.requests;
        self.unanswered += other.unanswered;
        self.retried += other.retried;
        self.errors += other.errors;
        for (k, n) in &other.by_kind {
            *self.by_kind.entry(*k).or_default() += n;
        }
        for (k, n) in &other.statuses {
            *self.statuses.entry(*k).or_default() += n;
        }
    }

    pub fn corrected_summary(&self) -> LatencySummary {
        self.corrected.as_deref().map(summarize).unwrap_or_default()
    }

    pub fn raw_summary(&self) -> LatencySummary {
        self.raw.as_deref().map(summarize).unwrap_or_default()
    }

    pub fn failed_summary(&self) -> LatencySummary {
        self.failed.as_deref().map(summarize).unwrap_or_default()
    }
}

fn merge_hist(into: &mut Option<Box<Hist>>, from: &Option<Box<Hist>>) {
    if let Some(from) = from {
        match into {
            Some(into) => {
                // Same bounds on both sides, so adding cannot fail.
                let _ = into.add(from.as_ref());
            }
            None => *into = Some(from.clone()),
        }
    }
}

/// One phase's share of a one-second window.
#[derive(Debug, Clone, Default)]
pub struct WindowPart {
    pub group: Group,
    /// Requests sent (not completed) in the window.
    pub sent: u64,
    /// How late those requests went out (actual send minus intended send): the generator's
    /// send lag second by second.
    pub lag: Option<Box<Hist>>,
}

impl WindowPart {
    pub fn merge(&mut self, other: &WindowPart) {
        self.group.merge(&other.group);
        self.sent += other.sent;
        merge_hist(&mut self.lag, &other.lag);
    }
}

/// What one worker thread records.
pub struct Recorder {
    requests: usize,
    /// Indexed by `phase * requests + request`.
    pub groups: Vec<Group>,
    /// Actual send minus intended send.
    pub lag: Hist,
    /// The current window, by phase.
    pub window: BTreeMap<usize, WindowPart>,
    pub late: u64,
    pub dropped: u64,
    pub connections_opened: u64,
    /// Idle connections let go: closed by the server, or unused for [`IDLE_LIMIT`].
    pub connections_closed_idle: u64,
}

/// How long an idle connection is kept before the generator closes it: after a stall made it
/// open many connections, the pool shrinks back to what the load needs.
pub const IDLE_LIMIT: std::time::Duration = std::time::Duration::from_secs(30);

impl Recorder {
    pub fn new(phases: usize, requests: usize) -> Recorder {
        Recorder {
            requests,
            groups: vec![Group::default(); phases * requests],
            lag: new_hist(),
            window: BTreeMap::new(),
            late: 0,
            dropped: 0,
            connections_opened: 0,
            connections_closed_idle: 0,
        }
    }

    /// A request of `phase` × `request` went out `lag_ns` after its intended start.
    pub fn sent(&mut self, phase: usize, request: usize, lag_ns: u64) {
        record(&mut self.lag, lag_ns);
        let part = self.window.entry(phase).or_default();
        part.sent += 1;
        record(part.lag.get_or_insert_with(|| Box::new(new_hist())), lag_ns);
        if let Some(group) = self.groups.get_mut(phase * self.requests + request) {
            group.unanswered += 1;
        }
    }

    /// The answer (or failure) of a request that [`sent`](Recorder::sent) recorded.
    pub fn answered(
        &mut self,
        phase: usize,
        request: usize,
        corrected_ns: Option<u64>,
        raw_ns: Option<u64>,
        status: Option<u16>,
        error: Option<ErrorKind>,
    ) {
        if let Some(group) = self.groups.get_mut(phase * self.requests + request) {
            group.unanswered = group.unanswered.saturating_sub(1);
        }
        self.completed(phase, request, corrected_ns, raw_ns, status, error);
    }

    /// A request of `phase` × `request` lost to the keep-alive race was sent again.
    pub fn retried(&mut self, phase: usize, request: usize) {
        if let Some(group) = self.groups.get_mut(phase * self.requests + request) {
            group.retried += 1;
        }
    }

    pub fn completed(
        &mut self,
        phase: usize,
        request: usize,
        corrected_ns: Option<u64>,
        raw_ns: Option<u64>,
        status: Option<u16>,
        error: Option<ErrorKind>,
    ) {
        if let Some(group) = self.groups.get_mut(phase * self.requests + request) {
            group.record(corrected_ns, raw_ns, status, error);
        }
        self.window
            .entry(phase)
            .or_default()
            .group
            .record(corrected_ns, raw_ns, status, error);
    }

    /// Hands over the current window and starts a new one.
    pub fn take_window(&mut self) -> BTreeMap<usize, WindowPart> {
        std::mem::take(&mut self.window)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_round_trip_losslessly_and_merge_exactly() {
        let mut a = new_hist();
        let mut b = new_hist();
        for v in [1_500u64, 20_000_000, 20_100_000, 7_000_000_000] {
            record(&mut a, v);
        }
        record(&mut b, 42_000);
        let decoded = decode(&encode(&a)).unwrap();
        assert_eq!(decoded, a);
        let mut merged = a.clone();
        merged.add(&b).unwrap();
        assert_eq!(merged.len(), 5);
        assert_eq!(summarize(&merged).min_ns, b.min().min(a.min()));
        // Beyond an hour is clamped, not lost.
        record(&mut b, u64::MAX);
        assert_eq!(b.len(), 2);
    }

    #[test]
    fn summaries_hold_three_significant_digits() {
        let mut h = new_hist();
        for ms in 1..=100u64 {
            record(&mut h, ms * 1_000_000);
        }
        let s = summarize(&h);
        assert_eq!(s.count, 100);
        let within = |v: u64, want: u64| (v as f64 - want as f64).abs() / want as f64 <= 0.001;
        assert!(within(s.p50_ns, 50_000_000), "{}", s.p50_ns);
        assert!(within(s.p99_ns, 99_000_000), "{}", s.p99_ns);
        assert!(within(s.max_ns, 100_000_000), "{}", s.max_ns);
    }

    #[test]
    fn groups_count_errors_by_kind() {
        let mut r = Recorder::new(2, 1);
        r.completed(1, 0, Some(5_000), Some(4_000), Some(200), None);
        r.completed(
            1,
            0,
            Some(5_000),
            Some(4_000),
            Some(503),
            Some(ErrorKind::Status(503)),
        );
        r.completed(1, 0, None, None, None, Some(ErrorKind::ConnectRefused));
        let g = &r.groups[1];
        assert_eq!((g.requests, g.errors), (3, 2));
        assert_eq!(g.by_kind[&ErrorKind::Status(503)], 1);
        // The latency is of the success; the 503's timing is kept apart.
        assert_eq!(g.corrected.as_ref().unwrap().len(), 1);
        assert_eq!(g.raw.as_ref().unwrap().len(), 1);
        assert_eq!(g.failed.as_ref().unwrap().len(), 1);
        assert_eq!(ErrorKind::Status(503).name(), "http_503");
        let w = r.take_window();
        assert_eq!(w[&1].group.requests, 3);
        assert!(r.window.is_empty());
    }

    #[test]
    fn requests_sent_and_never_answered_stay_counted() {
        let mut r = Recorder::new(1, 2);
        r.sent(0, 1, 10);
        r.sent(0, 1, 10);
        r.answered(0, 1, Some(5_000), Some(4_000), Some(200), None);
        r.retried(0, 1);
        let g = &r.groups[1];
        assert_eq!((g.requests, g.unanswered, g.retried), (1, 1, 1));
        assert_eq!(r.groups[0].unanswered, 0);
    }
}
