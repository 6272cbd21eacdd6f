//! Reading real traffic for replay (issue 20): an access log in the Common or Combined Log
//! Format, or a file of `METHOD URL` lines, into the requests it can reproduce, each at its
//! offset from the first — and the lines it cannot, counted by why and named by line, never
//! guessed at: a request with a body the log does not hold, a line that is not the format.
//!
//! Common: `host ident user [10/Oct/2000:13:55:36 -0700] "GET /a.gif HTTP/1.0" 200 2326`;
//! Combined adds `"referer" "user-agent"`. Times are read to the second, as the format has
//! them; requests of one second keep the log's order.

use std::collections::BTreeMap;
use std::time::Duration;

/// One request the log holds, as it can be sent again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    /// The log's line, from 1.
    pub line: usize,
    /// From the first request's time.
    pub offset: Duration,
    pub method: String,
    /// The path and query, as logged.
    pub target: String,
}

/// What a log held.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Replay {
    pub requests: Vec<Logged>,
    /// Lines left out, by why, each with up to [`LINES_NAMED`] of its line numbers.
    pub skipped: BTreeMap<String, (u64, Vec<usize>)>,
    /// Whether its requests have times (an access log's do; a URL list's do not).
    pub timed: bool,
}

/// How many line numbers a reason for skipping names.
pub const LINES_NAMED: usize = 5;

impl Replay {
    fn skip(&mut self, why: &str, line: usize) {
        let entry = self.skipped.entry(why.to_string()).or_default();
        entry.0 += 1;
        if entry.1.len() < LINES_NAMED {
            entry.1.push(line);
        }
    }

    /// Lines skipped in all.
    pub fn skipped_count(&self) -> u64 {
        self.skipped.values().map(|(n, _)| n).sum()
    }
}

/// Reads an access log (Common or Combined) or a list of `METHOD URL` / `URL` lines.
/// Blank lines and `#` comments are passed over. A listed URL of another origin than
/// `base` (`http://host:port`, when given) is left out: it is not this target's traffic. A
/// line that is not UTF-8 text is left out too: rigor sends only bytes it can read back.
pub fn read(bytes: &[u8], base: Option<&str>) -> Replay {
    let mut replay = Replay::default();
    let mut first: Option<i64> = None;
    for (i, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = i + 1;
        let Ok(raw) = std::str::from_utf8(raw) else {
            replay.skip("a line that is not UTF-8 text", line);
            continue;
        };
        let raw = raw.trim();
        if raw.is_empty() || raw.starts_with('#') {
            continue;
        }
        let parsed = if raw.contains('[') && raw.contains('"') {
            access_line(raw)
        } else {
            plain_line(raw, base).map(|(m, t)| (None, m, t))
        };
        let (at, method, target) = match parsed {
            Ok(p) => p,
            Err(why) => {
                replay.skip(why, line);
                continue;
            }
        };
        if matches!(method.as_str(), "POST" | "PUT" | "PATCH") {
            replay.skip("a body the log does not hold (POST, PUT, PATCH)", line);
            continue;
        }
        if !matches!(method.as_str(), "GET" | "HEAD" | "DELETE" | "OPTIONS") {
            replay.skip(
                "a method that cannot be replayed safely (CONNECT, TRACE, other)",
                line,
            );
            continue;
        }
        if !target.starts_with('/') {
            replay.skip(
                "a target that is not a path (a proxy's absolute URL, or `*`)",
                line,
            );
            continue;
        }
        // Logs are written as requests end, so a slow one can come after a later one: it
        // goes at the time of the one before it rather than back in time.
        let before = replay.requests.last().map_or(Duration::ZERO, |r| r.offset);
        let offset = match (at, first) {
            (Some(at), None) => {
                first = Some(at);
                Duration::ZERO
            }
            (Some(at), Some(first)) => {
                Duration::from_secs(at.saturating_sub(first).max(0) as u64).max(before)
            }
            (None, _) => Duration::ZERO,
        };
        replay.timed |= at.is_some();
        replay.requests.push(Logged {
            line,
            offset,
            method,
            target,
        });
    }
    replay
}

/// The most request names a replay reports its requests under: each `METHOD path` (without
/// the query) up to this many, then one `METHOD (other paths)` per method.
pub const MAX_REPLAY_NAMES: usize = 50;

/// A log ready to be sent: the target of each arrival in order (a data column the requests'
/// URL fills in), which named request each arrival is, and, at the log's own timing, when
/// each is due.
#[derive(Debug, Clone)]
pub struct ReplayPlan {
    pub targets: Vec<String>,
    pub cycle: Vec<usize>,
    /// From the start of the run, when the log's own timing is kept.
    pub due: Option<Vec<Duration>>,
    pub summary: rigor_model::output::ReplaySummary,
}

/// Reads the scenario's replay file and fills in its requests (one per `METHOD path`) and,
/// at the log's own timing, its one phase's length and count. A log with nothing to replay
/// is an error that says what its lines were.
pub fn expand(
    scenario: &mut rigor_model::plan::Scenario,
) -> Result<Option<ReplayPlan>, crate::LoadError> {
    let Some(spec) = scenario.replay.clone() else {
        return Ok(None);
    };
    let bad = |message: String| crate::LoadError::Data {
        path: spec.file.clone(),
        message,
    };
    let bytes =
        std::fs::read(&spec.file).map_err(|e| bad(format!("cannot read the replay file: {e}")))?;
    let log = read(&bytes, Some(&spec.base));
    if spec.speed.is_some() && !log.timed && !log.requests.is_empty() {
        return Err(bad("its lines have no times (a list of URLs, not an access log), so there is no timing to keep: replay it at a rate or concurrency instead of `speed`".into()));
    }
    let skipped: Vec<rigor_model::output::SkippedLines> = log
        .skipped
        .iter()
        .map(
            |(reason, (count, lines))| rigor_model::output::SkippedLines {
                reason: reason.clone(),
                count: *count,
                lines: lines.clone(),
            },
        )
        .collect();
    if log.requests.is_empty() {
        let why: Vec<String> = skipped
            .iter()
            .map(|s| {
                format!(
                    "{} line{} with {} (lines {})",
                    s.count,
                    if s.count == 1 { "" } else { "s" },
                    s.reason,
                    join(&s.lines)
                )
            })
            .collect();
        return Err(bad(if why.is_empty() {
            "holds no request to replay (it is empty, or only comments)".into()
        } else {
            format!("holds no request that can be replayed: {}", why.join("; "))
        }));
    }
    let mut requests = log.requests;
    let offsets: Vec<Duration> = requests.iter().map(|r| r.offset).collect();
    if let Some(seed) = spec.shuffle {
        fastrand::Rng::with_seed(seed).shuffle(&mut requests);
    }
    let mut names: Vec<(String, String)> = Vec::new();
    let mut cycle = Vec::with_capacity(requests.len());
    for r in &requests {
        let path = r.target.split('?').next().unwrap_or("/");
        let exact = format!("{} {path}", r.method);
        let name = if names.iter().any(|(_, n)| *n == exact) || names.len() < MAX_REPLAY_NAMES {
            exact
        } else {
            format!("{} (other paths)", r.method)
        };
        let index = match names.iter().position(|(_, n)| *n == name) {
            Some(i) => i,
            None => {
                names.push((r.method.clone(), name));
                names.len() - 1
            }
        };
        cycle.push(index);
    }
    scenario.requests = names
        .into_iter()
        .map(|(method, name)| rigor_model::plan::Request {
            name,
            method,
            url: format!("{}{{target}}", spec.base),
            headers: spec.headers.clone(),
            body: None,
            weight: 1,
            timeout: spec.timeout,
            check: Default::default(),
        })
        .collect();
    let n = requests.len() as u64;
    let span = offsets.last().copied().unwrap_or_default();
    let due = match spec.speed {
        Some(speed) => {
            let due: Vec<Duration> = offsets.iter().map(|o| o.div_f64(speed)).collect();
            // One phase as long as the scaled log, plus a second for its last requests.
            let length = due.last().copied().unwrap_or_default() + Duration::from_secs(1);
            if let Some(phase) = scenario.phases.first_mut() {
                phase.duration = Some(length);
                phase.iterations = Some(n);
                let rate = rigor_model::units::Rate::per_second(n as f64 / length.as_secs_f64());
                phase.load = rigor_model::plan::PhaseLoad::Open {
                    start: rate,
                    end: rate,
                };
            }
            Some(due)
        }
        None => {
            // At the phases' rate, the log is sent once unless the scenario asks for more.
            scenario.request_limit = scenario.request_limit.or(Some(n));
            None
        }
    };
    Ok(Some(ReplayPlan {
        targets: requests.into_iter().map(|r| r.target).collect(),
        cycle,
        due,
        summary: rigor_model::output::ReplaySummary {
            file: spec.file.display().to_string(),
            replayable: n,
            order: if spec.shuffle.is_some() {
                "shuffle"
            } else {
                "log"
            }
            .into(),
            seed: spec.shuffle,
            speed: spec.speed,
            span_ns: span.as_nanos() as u64,
            skipped,
        },
    }))
}

fn join(lines: &[usize]) -> String {
    lines
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

type Parsed = (Option<i64>, String, String);

/// `host ident user [time] "METHOD target VERSION" status size ...`.
fn access_line(line: &str) -> Result<Parsed, &'static str> {
    let not_format = "not a Common or Combined Log Format line";
    let open = line.find('[').ok_or(not_format)?;
    let close = open + line[open..].find(']').ok_or(not_format)?;
    let at = clf_time(&line[open + 1..close])
        .ok_or("a time that is not `[dd/Mon/yyyy:hh:mm:ss ±zzzz]`")?;
    let rest = &line[close + 1..];
    if rest.contains("\\\"") {
        return Err(
            "an escaped quote in the request line (its target cannot be read back as sent)",
        );
    }
    let q1 = rest.find('"').ok_or(not_format)?;
    let q2 = q1 + 1 + rest[q1 + 1..].find('"').ok_or(not_format)?;
    let request = &rest[q1 + 1..q2];
    if request == "-" || request.is_empty() {
        return Err("no request line (`\"-\"`: the connection closed before one)");
    }
    let mut parts = request.split(' ');
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        return Err("a request line without a method and a target");
    };
    if !method.bytes().all(|b| b.is_ascii_uppercase()) || method.is_empty() {
        return Err("a request line without a method and a target");
    }
    if target.bytes().any(|b| b.is_ascii_control()) || request.contains("\\x") {
        return Err("a target with control characters or escaped bytes");
    }
    Ok((Some(at), method.to_string(), target.to_string()))
}

/// `METHOD URL`, or a URL alone (a GET); the URL's path is kept, and its origin must be
/// `base`'s when one is given.
fn plain_line(line: &str, base: Option<&str>) -> Result<(String, String), &'static str> {
    let mut parts = line.split_whitespace();
    let (method, url) = match (parts.next(), parts.next(), parts.next()) {
        (Some(url), None, None) => ("GET", url),
        (Some(method), Some(url), None) => (method, url),
        _ => return Err("not `METHOD URL` or a URL"),
    };
    if !method.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err("not `METHOD URL` or a URL");
    }
    if url.chars().any(char::is_control) {
        return Err("a target with control characters or escaped bytes");
    }
    let target = match url.split_once("://") {
        Some((scheme, rest)) => {
            let at = rest.find(['/', '?']).unwrap_or(rest.len());
            let same = base.is_none_or(|b| {
                b.split_once("://").is_some_and(|(s, a)| {
                    s.eq_ignore_ascii_case(scheme) && a.eq_ignore_ascii_case(&rest[..at])
                })
            });
            if !same {
                return Err("a URL of another origin than the replay's base");
            }
            match &rest[at..] {
                "" => "/",
                t => t,
            }
        }
        None => url,
    };
    Ok((method.to_string(), target.to_string()))
}

/// `10/Oct/2000:13:55:36 -0700` as seconds since the Unix epoch.
fn clf_time(text: &str) -> Option<i64> {
    let (stamp, zone) = text.trim().split_once(' ')?;
    let mut date = stamp.splitn(4, [':', '/']);
    let day: i64 = date.next()?.parse().ok()?;
    let month = match date.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: i64 = date.next()?.parse().ok()?;
    let clock: Vec<i64> = date
        .next()?
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let [h, m, s] = clock[..] else { return None };
    if !(1..=31).contains(&day)
        || !(0..24).contains(&h)
        || !(0..60).contains(&m)
        || !(0..61).contains(&s)
    {
        return None;
    }
    let sign = match zone.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let zone: i64 = zone.get(1..)?.parse().ok()?;
    let offset = sign * ((zone / 100) * 3600 + (zone % 100) * 60);
    Some(days_from_civil(year, month, day) * 86_400 + h * 3600 + m * 60 + s - offset)
}

use rigor_model::units::days_from_civil;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_match_published_epoch_values() {
        // The Apache documentation's example, and dates checked with `date -u -d … +%s`.
        assert_eq!(clf_time("10/Oct/2000:13:55:36 -0700"), Some(971_211_336));
        assert_eq!(clf_time("01/Jan/1970:00:00:00 +0000"), Some(0));
        assert_eq!(clf_time("29/Feb/2024:23:59:59 +0100"), Some(1_709_247_599));
        assert_eq!(clf_time("31/Dec/1999:23:59:60 +0000"), Some(946_684_800));
        assert_eq!(clf_time("32/Jan/2000:00:00:00 +0000"), None);
        assert_eq!(clf_time("10/Foo/2000:13:55:36 -0700"), None);
    }

    #[test]
    fn an_access_log_becomes_its_requests_in_order_with_the_rest_named() {
        let log = r#"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326
10.0.0.2 - - [10/Oct/2000:13:55:36 -0700] "GET /a?x=1 HTTP/1.1" 200 12 "http://ref/" "curl/8"
10.0.0.3 - - [10/Oct/2000:13:55:38 -0700] "POST /login HTTP/1.1" 200 5 "-" "curl/8"
10.0.0.4 - - [10/Oct/2000:13:55:37 -0700] "HEAD /b HTTP/1.1" 200 0
10.0.0.5 - - [10/Oct/2000:13:55:40 -0700] "-" 408 0
garbage here
10.0.0.6 - - [10/Oct/2000:13:55:41 -0700] "CONNECT example.com:443 HTTP/1.1" 200 0
10.0.0.7 - - [10/Oct/2000:13:55:42 -0700] "GET http://other.example/x HTTP/1.1" 200 0
10.0.0.8 - - [10/Oct/2000:13:55:46 -0700] "DELETE /c/1 HTTP/1.1" 204 0
"#;
        let r = read(log.as_bytes(), None);
        let got: Vec<(usize, u64, &str, &str)> = r
            .requests
            .iter()
            .map(|l| {
                (
                    l.line,
                    l.offset.as_secs(),
                    l.method.as_str(),
                    l.target.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (1, 0, "GET", "/apache_pb.gif"),
                (2, 0, "GET", "/a?x=1"),
                (4, 1, "HEAD", "/b"),
                (9, 10, "DELETE", "/c/1"),
            ]
        );
        assert_eq!(r.skipped_count(), 5);
        assert_eq!(
            r.skipped["a body the log does not hold (POST, PUT, PATCH)"],
            (1, vec![3])
        );
        assert_eq!(
            r.skipped["no request line (`\"-\"`: the connection closed before one)"],
            (1, vec![5])
        );
        assert_eq!(r.skipped["not `METHOD URL` or a URL"], (1, vec![6]));
        assert!(r
            .skipped
            .contains_key("a method that cannot be replayed safely (CONNECT, TRACE, other)"));
        assert!(r
            .skipped
            .contains_key("a target that is not a path (a proxy's absolute URL, or `*`)"));
    }

    #[test]
    fn times_never_go_back_and_unreadable_lines_are_named_not_mangled() {
        let mut log = Vec::new();
        for (second, target) in [(30, "/a"), (35, "/b"), (33, "/c"), (36, "/d")] {
            log.extend_from_slice(
                format!(
                    "h - - [10/Oct/2000:13:55:{second} +0000] \"GET {target} HTTP/1.1\" 200 1\n"
                )
                .as_bytes(),
            );
        }
        log.extend_from_slice(
            b"h - - [10/Oct/2000:13:55:37 +0000] \"GET /caf\xe9 HTTP/1.1\" 200 1\n",
        );
        log.extend_from_slice(
            b"h - - [10/Oct/2000:13:55:37 +0000] \"GET /q?a=\\\"x HTTP/1.1\" 200 1\n",
        );
        let r = read(&log, None);
        let offsets: Vec<u64> = r.requests.iter().map(|l| l.offset.as_secs()).collect();
        assert_eq!(
            offsets,
            [0, 5, 5, 6],
            "a line logged late goes with the one before it"
        );
        assert!(r.timed);
        assert_eq!(r.skipped["a line that is not UTF-8 text"], (1, vec![5]));
        assert_eq!(
            r.skipped
                ["an escaped quote in the request line (its target cannot be read back as sent)"],
            (1, vec![6])
        );
        let listed = read(b"GET /a\x01b\n/ok\n", None);
        assert!(!listed.timed);
        assert_eq!(listed.requests.len(), 1);
        assert_eq!(
            listed.skipped["a target with control characters or escaped bytes"],
            (1, vec![1])
        );
    }

    #[test]
    fn a_list_of_urls_is_read_too() {
        let r = read(
            b"# smoke\nhttp://127.0.0.1:8080/a\nGET /b?q=1\nHEAD http://127.0.0.1:8080/c/d\nhttp://other:1/x\n\n",
            Some("http://127.0.0.1:8080"),
        );
        let got: Vec<(&str, &str)> = r
            .requests
            .iter()
            .map(|l| (l.method.as_str(), l.target.as_str()))
            .collect();
        assert_eq!(got, [("GET", "/a"), ("GET", "/b?q=1"), ("HEAD", "/c/d")]);
        assert!(r.requests.iter().all(|l| l.offset.is_zero()));
        assert_eq!(
            r.skipped["a URL of another origin than the replay's base"],
            (1, vec![5])
        );
    }
}
