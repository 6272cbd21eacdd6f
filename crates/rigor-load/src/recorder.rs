//! Recording: HDR histograms ([`Hist`]: 1 µs to 1 h at three significant digits, so memory is
//! bounded however long the run) and counts by error kind, per phase × request and per
//! one-second window. Each worker thread records into its own [`Recorder`]; the parts merge
//! exactly.

use std::collections::BTreeMap;
use std::io;

use rigor_model::metric::Stage;
use rigor_model::output::{LatencySummary, StageSummary};

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
    /// A journey's step got its response but could not take a value out of it.
    Extract,
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
            ErrorKind::Extract => "extract".into(),
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
    /// Where the time went, stage by stage; allocated at the first stage recorded.
    pub stages: Option<Box<Stages>>,
}

/// A group's stage histograms (see [`rigor_model::metric::Stage`]), indexed by stage.
#[derive(Debug, Clone, Default)]
pub struct Stages {
    pub hists: [Option<Box<Hist>>; 4],
}

impl Stages {
    pub fn get(&self, stage: Stage) -> Option<&Hist> {
        self.hists[stage as usize].as_deref()
    }

    fn record(&mut self, stage: Stage, nanos: u64) {
        record(
            self.hists[stage as usize].get_or_insert_with(|| Box::new(new_hist())),
            nanos,
        );
    }

    fn merge(&mut self, other: &Stages) {
        for (into, from) in self.hists.iter_mut().zip(&other.hists) {
            merge_hist(into, from);
        }
    }

    pub fn summary(&self) -> StageSummary {
        let of = |stage| self.get(stage).map(summarize).unwrap_or_default();
        StageSummary {
            connect: of(Stage::Connect),
            tls: of(Stage::Tls),
            ttfb: of(Stage::Ttfb),
            transfer: of(Stage::Transfer),
        }
    }
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
        if let Some(from) = &other.stages {
            self.stages.get_or_insert_with(Default::default).merge(from);
        }
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

/// Journeys' figures: of a phase (the one each journey started in), or of one second (the
/// journeys that ended in it, and those that started).
#[derive(Debug, Clone, Default)]
pub struct JourneyGroup {
    pub started: u64,
    /// Journeys whose every step succeeded.
    pub completed: u64,
    /// Journeys ended by a failed step, counted with that step.
    pub failed_at: Vec<u64>,
    /// From each completed journey's intended start to its last step's response.
    pub duration: Option<Box<Hist>>,
}

impl JourneyGroup {
    pub fn failed(&self) -> u64 {
        self.failed_at.iter().sum()
    }

    pub fn merge(&mut self, other: &JourneyGroup) {
        self.started += other.started;
        self.completed += other.completed;
        if self.failed_at.len() < other.failed_at.len() {
            self.failed_at.resize(other.failed_at.len(), 0);
        }
        for (into, n) in self.failed_at.iter_mut().zip(&other.failed_at) {
            *into += n;
        }
        merge_hist(&mut self.duration, &other.duration);
    }

    fn ended(&mut self, outcome: Result<u64, usize>) {
        match outcome {
            Ok(duration) => {
                self.completed += 1;
                record(
                    self.duration.get_or_insert_with(|| Box::new(new_hist())),
                    duration,
                );
            }
            Err(step) => {
                if self.failed_at.len() <= step {
                    self.failed_at.resize(step + 1, 0);
                }
                self.failed_at[step] += 1;
            }
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
    /// The slowest requests completed in the window, at most [`SLOWEST_PER_WINDOW`].
    pub slowest: Slowest,
    /// The journeys that started and ended in the window, when the scenario is a journey.
    pub journey: Option<Box<JourneyGroup>>,
}

impl WindowPart {
    pub fn merge(&mut self, other: &WindowPart) {
        if let Some(from) = &other.journey {
            self.journey
                .get_or_insert_with(Default::default)
                .merge(from);
        }
        self.group.merge(&other.group);
        self.sent += other.sent;
        merge_hist(&mut self.lag, &other.lag);
        self.slowest.merge(&other.slowest, SLOWEST_PER_WINDOW);
    }
}

/// How many of the slowest requests each second keeps, per phase.
pub const SLOWEST_PER_WINDOW: usize = 5;

/// How many of the slowest requests the whole run keeps.
pub const SLOWEST_PER_RUN: usize = 10;

/// A request kept for being among the slowest.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Slow {
    /// From its intended start to its answer (or failure).
    pub latency_ns: u64,
    /// When it was due, from the start of the run.
    pub due_ns: u64,
    pub phase: u32,
    pub request: u32,
    /// Its arrival's sequence number: its trace id when the run sends `traceparent`.
    pub seq: u64,
    pub status: Option<u16>,
    pub error: Option<ErrorKind>,
}

/// The slowest requests seen, at most a given number, in no order.
#[derive(Debug, Clone, Default)]
pub struct Slowest {
    kept: Vec<Slow>,
    /// The fastest of those kept once full: anything no slower is not kept.
    floor_ns: u64,
}

impl Slowest {
    /// Keeps `slow` if it is among the `cap` slowest so far.
    #[inline]
    pub fn offer(&mut self, slow: Slow, cap: usize) {
        if self.kept.len() < cap {
            self.kept.push(slow);
            if self.kept.len() == cap {
                self.floor_ns = self.fastest().1;
            }
            return;
        }
        if slow.latency_ns <= self.floor_ns {
            return;
        }
        let (at, _) = self.fastest();
        self.kept[at] = slow;
        self.floor_ns = self.fastest().1;
    }

    fn fastest(&self) -> (usize, u64) {
        self.kept
            .iter()
            .enumerate()
            .map(|(i, s)| (i, s.latency_ns))
            .min_by_key(|&(_, ns)| ns)
            .unwrap_or((0, 0))
    }

    pub fn merge(&mut self, other: &Slowest, cap: usize) {
        for s in &other.kept {
            self.offer(*s, cap);
        }
    }

    /// Those kept, slowest first (ties by when they were due).
    pub fn sorted(&self) -> Vec<Slow> {
        let mut out = self.kept.clone();
        out.sort_by(|a, b| {
            b.latency_ns
                .cmp(&a.latency_ns)
                .then(a.due_ns.cmp(&b.due_ns))
        });
        out
    }

    pub fn is_empty(&self) -> bool {
        self.kept.is_empty()
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
    /// The run's slowest requests so far, at most [`SLOWEST_PER_RUN`].
    pub slowest: Slowest,
    /// Per phase, the journeys started in it; empty unless the scenario is a journey.
    pub journeys: Vec<JourneyGroup>,
    /// Why a step's value could not be taken, the first time it could not, by request.
    pub step_failures: BTreeMap<usize, String>,
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
            slowest: Slowest::default(),
            journeys: Vec::new(),
            step_failures: BTreeMap::new(),
        }
    }

    /// Keeps journeys' figures too, for a scenario whose requests are a journey's steps.
    pub fn with_journeys(mut self, phases: usize) -> Recorder {
        self.journeys = vec![JourneyGroup::default(); phases];
        self
    }

    /// A journey of `phase` started.
    pub fn journey_started(&mut self, phase: usize) {
        if let Some(j) = self.journeys.get_mut(phase) {
            j.started += 1;
        }
        self.window
            .entry(phase)
            .or_default()
            .journey
            .get_or_insert_with(Default::default)
            .started += 1;
    }

    /// A journey of `phase` ended: completed in `Ok(duration_ns)`, or failed at step `Err(i)`.
    pub fn journey_ended(&mut self, phase: usize, outcome: Result<u64, usize>) {
        if let Some(j) = self.journeys.get_mut(phase) {
            j.ended(outcome);
        }
        self.window
            .entry(phase)
            .or_default()
            .journey
            .get_or_insert_with(Default::default)
            .ended(outcome);
    }

    /// Why request `request` (a step) could not take its value, kept the first time.
    pub fn step_failed(&mut self, request: usize, why: String) {
        self.step_failures.entry(request).or_insert(why);
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

    /// The answer (or failure) of a request that [`sent`](Recorder::sent) recorded, due
    /// `due_ns` after the start as arrival `seq`.
    #[allow(clippy::too_many_arguments)]
    pub fn answered(
        &mut self,
        phase: usize,
        request: usize,
        (seq, due_ns): (u64, u64),
        corrected_ns: u64,
        raw_ns: u64,
        status: Option<u16>,
        error: Option<ErrorKind>,
    ) {
        if let Some(group) = self.groups.get_mut(phase * self.requests + request) {
            group.unanswered = group.unanswered.saturating_sub(1);
        }
        self.completed(
            phase,
            request,
            Some(corrected_ns),
            Some(raw_ns),
            status,
            error,
        );
        let slow = Slow {
            latency_ns: corrected_ns,
            due_ns,
            phase: phase as u32,
            request: request as u32,
            seq,
            status,
            error,
        };
        self.slowest.offer(slow, SLOWEST_PER_RUN);
        if let Some(part) = self.window.get_mut(&phase) {
            part.slowest.offer(slow, SLOWEST_PER_WINDOW);
        }
    }

    /// One stage of a request of `phase` × `request` took `nanos`. Kept per group only, not
    /// per second: the stages explain the latency, the windows judge it.
    #[inline]
    pub fn stage(&mut self, phase: usize, request: usize, stage: Stage, nanos: u64) {
        if let Some(group) = self.groups.get_mut(phase * self.requests + request) {
            group
                .stages
                .get_or_insert_with(Default::default)
                .record(stage, nanos);
        }
    }

    /// A successful response's TTFB and transfer, in one look-up of its group.
    #[inline]
    pub fn response_stages(&mut self, phase: usize, request: usize, ttfb: u64, transfer: u64) {
        if let Some(group) = self.groups.get_mut(phase * self.requests + request) {
            let stages = group.stages.get_or_insert_with(Default::default);
            stages.record(Stage::Ttfb, ttfb);
            stages.record(Stage::Transfer, transfer);
        }
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
    fn the_slowest_are_kept_whatever_the_order_they_come_in() {
        let slow = |latency_ns: u64, seq: u64| Slow {
            latency_ns,
            due_ns: seq,
            phase: 0,
            request: 0,
            seq,
            status: Some(200),
            error: None,
        };
        let mut a = Slowest::default();
        let mut b = Slowest::default();
        // 1..=1000 in a scrambled order, split between two workers.
        for i in 0..1000u64 {
            let v = (i * 7919) % 1000 + 1;
            let into = if i % 3 == 0 { &mut a } else { &mut b };
            into.offer(slow(v, i), 5);
        }
        a.merge(&b, 5);
        let kept: Vec<u64> = a.sorted().iter().map(|s| s.latency_ns).collect();
        assert_eq!(kept, vec![1000, 999, 998, 997, 996]);
        // Fewer than the cap are all kept.
        let mut few = Slowest::default();
        few.offer(slow(3, 0), 5);
        few.offer(slow(9, 1), 5);
        assert_eq!(few.sorted()[0].latency_ns, 9);
        assert_eq!(few.sorted().len(), 2);
    }

    #[test]
    fn requests_sent_and_never_answered_stay_counted() {
        let mut r = Recorder::new(1, 2);
        r.sent(0, 1, 10);
        r.sent(0, 1, 10);
        r.answered(0, 1, (1, 0), 5_000, 4_000, Some(200), None);
        r.retried(0, 1);
        let g = &r.groups[1];
        assert_eq!((g.requests, g.unanswered, g.retried), (1, 1, 1));
        assert_eq!(r.groups[0].unanswered, 0);
    }
}
