//! Where a request's time goes — the network analysis and waterfall of the protocol — in the
//! one form the terminal, Markdown and HTML reports all print: per request name (or the run
//! as a whole), the mean response's time split into waiting for a connection, connecting,
//! the TLS handshake, time to first byte and transfer, with each stage's own percentiles.

use rigor_model::output::{GroupSummary, LatencySummary, RunSummary, StageSummary};
use rigor_model::units::format_nanos;

/// One request name's (or the run's) stages.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StageRow {
    pub name: String,
    /// Responses the means are per: the successful ones.
    pub responses: u64,
    /// Connections its requests opened (the `n` of the connect column).
    pub connections: u64,
    /// The mean response's time, in nanoseconds, in the order of [`PARTS`]. They add up to
    /// its mean latency from intended start.
    pub parts: [f64; 5],
    /// The stages' own distributions: connect, TLS, TTFB, transfer.
    pub connect: LatencySummary,
    pub tls: LatencySummary,
    pub ttfb: LatencySummary,
    pub transfer: LatencySummary,
}

/// The parts of the mean response's time, as [`StageRow::parts`] orders them.
pub(crate) const PARTS: [&str; 5] = ["wait", "connect", "TLS", "TTFB", "transfer"];

/// What the waiting part is, for a caption.
pub(crate) const CAPTION: &str = "Means per successful response: wait is from the request's intended start to its send less the connect and TLS time its connection took (a free connection, or the schedule); connect and TLS are of the connections requests opened, shared over the responses; TTFB runs from the send to the first byte of the response, transfer from there to the last. The parts add up to the mean latency from intended start, but for connections opened by requests that then failed, which are in connect and TLS too; each stage's p50 and p95 are of its own distribution.";

/// The run's rows: the whole run, then each request name when there are several. Empty for a
/// run recorded before rigor measured the stages, or one with no successful response.
pub(crate) fn rows(s: &RunSummary) -> Vec<StageRow> {
    let mut rows: Vec<StageRow> = row(&s.total).into_iter().collect();
    if s.requests.len() > 1 {
        rows.extend(s.requests.iter().filter_map(row));
    }
    rows
}

fn row(g: &GroupSummary) -> Option<StageRow> {
    let StageSummary {
        connect,
        tls,
        ttfb,
        transfer,
    } = g.stages.clone()?;
    let responses = g.latency.count;
    if responses == 0 {
        return None;
    }
    let share = |l: &LatencySummary| l.mean_ns as f64 * l.count as f64 / responses as f64;
    let (connect_share, tls_share) = (share(&connect), share(&tls));
    let sent_after = g.latency.mean_ns as f64 - g.raw_latency.mean_ns as f64;
    let wait = (sent_after - connect_share - tls_share).max(0.0);
    Some(StageRow {
        name: g.name.clone(),
        responses,
        connections: connect.count,
        parts: [
            wait,
            connect_share,
            tls_share,
            ttfb.mean_ns as f64,
            transfer.mean_ns as f64,
        ],
        connect,
        tls,
        ttfb,
        transfer,
    })
}

impl StageRow {
    /// Part `i` of [`PARTS`] as text: `–` for a stage none of the requests went through (TLS
    /// over plain HTTP, connect when every connection was already open).
    pub fn part(&self, i: usize) -> String {
        let went = match i {
            1 => self.connect.count > 0,
            2 => self.tls.count > 0,
            _ => true,
        };
        if went {
            format_nanos(self.parts[i])
        } else {
            "–".to_string()
        }
    }

    /// The row as text cells, under [`HEADERS`].
    pub fn cells(&self) -> Vec<String> {
        let dist = |l: &LatencySummary| {
            if l.count == 0 {
                "–".to_string()
            } else {
                format!(
                    "{} / {}",
                    format_nanos(l.p50_ns as f64),
                    format_nanos(l.p95_ns as f64)
                )
            }
        };
        vec![
            self.name.clone(),
            self.part(0),
            self.part(1),
            self.part(2),
            self.part(3),
            self.part(4),
            match self.connections {
                0 => "–".to_string(),
                n => format!("{} ({n})", dist(&self.connect)),
            },
            dist(&self.tls),
            dist(&self.ttfb),
            dist(&self.transfer),
        ]
    }

    /// The largest part of the mean response's time, and its share of it.
    pub fn dominant(&self) -> (&'static str, f64) {
        let total: f64 = self.parts.iter().sum();
        let (at, most) =
            self.parts.iter().enumerate().fold(
                (0, 0.0),
                |best, (i, &v)| if v > best.1 { (i, v) } else { best },
            );
        (PARTS[at], if total > 0.0 { most / total } else { 0.0 })
    }
}

/// The headers of [`StageRow::cells`].
pub(crate) const HEADERS: [&str; 10] = [
    "",
    "wait",
    "connect",
    "TLS",
    "TTFB",
    "transfer",
    "connect p50 / p95 (n)",
    "TLS p50 / p95",
    "TTFB p50 / p95",
    "transfer p50 / p95",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn latency(count: u64, mean_ns: u64) -> LatencySummary {
        LatencySummary {
            count,
            mean_ns,
            p50_ns: mean_ns,
            p95_ns: mean_ns * 2,
            ..Default::default()
        }
    }

    #[test]
    fn the_parts_add_up_to_the_mean_latency() {
        // 100 responses, mean 10 ms from intended start and 9 ms from send; 4 connections
        // opened at 500 µs each and TLS at 2 ms each; TTFB 8 ms and transfer 1 ms.
        let g = GroupSummary {
            name: "all".into(),
            latency: latency(100, 10_000_000),
            raw_latency: latency(100, 9_000_000),
            stages: Some(StageSummary {
                connect: latency(4, 500_000),
                tls: latency(4, 2_000_000),
                ttfb: latency(100, 8_000_000),
                transfer: latency(100, 1_000_000),
            }),
            ..Default::default()
        };
        let r = row(&g).unwrap();
        assert_eq!(r.parts, [900_000.0, 20_000.0, 80_000.0, 8e6, 1e6]);
        assert_eq!(r.parts.iter().sum::<f64>(), 10e6);
        assert_eq!(r.dominant(), ("TTFB", 0.8));
        assert_eq!(r.cells()[8], "8ms / 16ms");
        assert_eq!(r.cells()[7], "2ms / 4ms");
        assert_eq!(r.cells()[6], "500µs / 1ms (4)");
        let plain = GroupSummary {
            stages: Some(StageSummary {
                tls: LatencySummary::default(),
                ..g.stages.clone().unwrap()
            }),
            ..g
        };
        assert_eq!(row(&plain).unwrap().part(2), "–");
    }

    #[test]
    fn older_runs_and_runs_without_responses_have_no_rows() {
        let old = GroupSummary {
            latency: latency(10, 1_000),
            ..Default::default()
        };
        assert!(row(&old).is_none());
        let failed = GroupSummary {
            stages: Some(StageSummary::default()),
            ..Default::default()
        };
        assert!(row(&failed).is_none());
    }
}
