//! The route and stall languages: `/slow: latency=lognormal(20ms,200ms), errors=1%@503` and
//! `200ms/5s`, parsed into the types in the crate root.

use std::str::FromStr;
use std::time::Duration;

use rigor_model::units::{parse_duration, Bytes, Ratio};

use crate::{Behaviour, LatencyDist, Route, SpecProblem, Stall, TargetError};

/// Bodies are built once per route and kept, so an absurd size is refused up front.
const MAX_BODY_BYTES: u64 = 1 << 30;

impl Route {
    /// Whether this route answers `path` (the request path without its query).
    pub fn matches(&self, path: &str) -> bool {
        match self.path.strip_suffix('*') {
            Some(prefix) => path.starts_with(prefix),
            None => path == self.path,
        }
    }
}

impl FromStr for Route {
    type Err = TargetError;

    /// Parses `PATH: key=value, ...`; a bare `PATH` gets the default behaviour.
    fn from_str(spec: &str) -> Result<Route, TargetError> {
        parse_route(spec).map_err(|problem| TargetError::Route {
            spec: spec.to_string(),
            problem,
        })
    }
}

impl FromStr for Stall {
    type Err = TargetError;

    /// Parses `PAUSE/EVERY`, such as `200ms/5s`.
    fn from_str(spec: &str) -> Result<Stall, TargetError> {
        parse_stall(spec).map_err(|problem| TargetError::Stall {
            spec: spec.to_string(),
            problem,
        })
    }
}

fn parse_route(spec: &str) -> Result<Route, SpecProblem> {
    let spec = spec.trim();
    if spec.is_empty() {
        return Err(SpecProblem::Empty);
    }
    let (path, settings) = spec.split_once(':').unwrap_or((spec, ""));
    let path = path.trim();
    if !path.starts_with('/') {
        return Err(SpecProblem::PathNotAbsolute(path.to_string()));
    }
    if path.find('*').is_some_and(|at| at + 1 != path.len()) {
        return Err(SpecProblem::StarInsidePath(path.to_string()));
    }
    Ok(Route {
        path: path.to_string(),
        behaviour: parse_behaviour(settings)?,
    })
}

fn parse_behaviour(settings: &str) -> Result<Behaviour, SpecProblem> {
    let mut behaviour = Behaviour::default();
    let mut seen: Vec<&str> = Vec::new();
    for setting in split_outside_parens(settings) {
        let setting = setting.trim();
        if setting.is_empty() {
            continue;
        }
        let (key, value) = setting
            .split_once('=')
            .ok_or_else(|| SpecProblem::NotKeyValue(setting.to_string()))?;
        let (key, value) = (key.trim(), value.trim());
        if seen.contains(&key) {
            return Err(SpecProblem::DuplicateKey(key.to_string()));
        }
        match key {
            "latency" => behaviour.latency = parse_latency(value)?,
            "errors" => (behaviour.error_rate, behaviour.error_status) = parse_errors(value)?,
            "cpu" => behaviour.cpu = parse_duration(value)?,
            "leak" => behaviour.leak = value.parse::<Bytes>()?.0,
            "body" => behaviour.body_bytes = Some(parse_body(value)?),
            "concurrency" => {
                behaviour.concurrency = Some(
                    value
                        .parse::<u32>()
                        .ok()
                        .filter(|n| (1..=100_000).contains(n))
                        .ok_or_else(|| SpecProblem::Concurrency(value.to_string()))?,
                )
            }
            _ => return Err(SpecProblem::UnknownKey(key.to_string())),
        }
        seen.push(key);
    }
    Ok(behaviour)
}

/// Splits on commas that are not inside parentheses, so `uniform(10ms,30ms)` stays whole.
fn split_outside_parens(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (at, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&text[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn parse_latency(value: &str) -> Result<LatencyDist, SpecProblem> {
    let Some((name, rest)) = value.split_once('(') else {
        return match value {
            "none" => Ok(LatencyDist::None),
            _ => Ok(LatencyDist::Fixed(parse_duration(value)?)),
        };
    };
    let malformed = || SpecProblem::Latency(value.to_string());
    let arguments = rest.trim_end().strip_suffix(')').ok_or_else(malformed)?;
    if name.trim() == "fixed" {
        return Ok(LatencyDist::Fixed(parse_duration(arguments)?));
    }
    let (first, second) = arguments.split_once(',').ok_or_else(malformed)?;
    let (first, second) = (parse_duration(first)?, parse_duration(second)?);
    match name.trim() {
        "uniform" if first <= second => Ok(LatencyDist::Uniform(first, second)),
        "uniform" => Err(SpecProblem::UniformOrder(value.to_string())),
        "lognormal" if !first.is_zero() && first <= second => Ok(LatencyDist::LogNormal {
            median: first,
            p99: second,
        }),
        "lognormal" => Err(SpecProblem::LogNormalOrder(value.to_string())),
        _ => Err(malformed()),
    }
}

/// `5%@503` → (0.05, 503); `5%` → (0.05, 500).
fn parse_errors(value: &str) -> Result<(f64, u16), SpecProblem> {
    let (rate, status) = match value.split_once('@') {
        Some((rate, status)) => (rate, Some(status.trim())),
        None => (value, None),
    };
    let rate = rate.parse::<Ratio>()?.fraction();
    if !(0.0..=1.0).contains(&rate) {
        return Err(SpecProblem::ErrorRate(value.to_string()));
    }
    let status = match status {
        None => 500,
        Some(text) => text
            .parse::<u16>()
            .ok()
            .filter(|code| (200..=599).contains(code))
            .ok_or_else(|| SpecProblem::ErrorStatus(text.to_string()))?,
    };
    Ok((rate, status))
}

fn parse_body(value: &str) -> Result<u64, SpecProblem> {
    let bytes = value.parse::<Bytes>()?.0;
    if bytes > MAX_BODY_BYTES {
        return Err(SpecProblem::BodyTooLarge(value.to_string()));
    }
    Ok(bytes)
}

fn parse_stall(spec: &str) -> Result<Stall, SpecProblem> {
    let (pause, every) = spec.split_once('/').ok_or(SpecProblem::StallForm)?;
    let (pause, every) = (parse_duration(pause)?, parse_duration(every)?);
    if every.is_zero() || pause >= every {
        return Err(SpecProblem::StallOrder);
    }
    Ok(Stall { pause, every })
}

/// How long a response that is ready `since_start` after the server started must wait for the
/// stall window it falls in to end; windows are `[k*every, k*every + pause)`.
pub(crate) fn stall_remaining(stall: &Stall, since_start: Duration) -> Duration {
    let into_period = since_start.as_nanos() % stall.every.as_nanos();
    let pause = stall.pause.as_nanos();
    if into_period < pause {
        Duration::from_nanos((pause - into_period) as u64)
    } else {
        Duration::ZERO
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn good_routes_parse() {
        let cases: Vec<(&str, &str, Behaviour)> = vec![
            ("/", "/", Behaviour::default()),
            ("/plain:", "/plain", Behaviour::default()),
            (
                "/fixed: latency=20ms",
                "/fixed",
                Behaviour {
                    latency: LatencyDist::Fixed(ms(20)),
                    ..Behaviour::default()
                },
            ),
            (
                "/fixed: latency=fixed( 20ms )",
                "/fixed",
                Behaviour {
                    latency: LatencyDist::Fixed(ms(20)),
                    ..Behaviour::default()
                },
            ),
            (
                " /products/* : latency=uniform(10ms, 30ms), body=1KiB ",
                "/products/*",
                Behaviour {
                    latency: LatencyDist::Uniform(ms(10), ms(30)),
                    body_bytes: Some(1024),
                    ..Behaviour::default()
                },
            ),
            (
                "/slow: latency=lognormal(20ms,200ms), errors=1%@503, cpu=200us, leak=1KiB,",
                "/slow",
                Behaviour {
                    latency: LatencyDist::LogNormal {
                        median: ms(20),
                        p99: ms(200),
                    },
                    error_rate: 0.01,
                    error_status: 503,
                    cpu: Duration::from_micros(200),
                    leak: 1024,
                    ..Behaviour::default()
                },
            ),
            (
                "/flaky: errors=5%",
                "/flaky",
                Behaviour {
                    error_rate: 0.05,
                    ..Behaviour::default()
                },
            ),
            (
                "/down: errors=100%@404, latency=none",
                "/down",
                Behaviour {
                    error_rate: 1.0,
                    error_status: 404,
                    ..Behaviour::default()
                },
            ),
        ];
        for (spec, path, behaviour) in cases {
            let route: Route = spec.parse().unwrap_or_else(|e| panic!("{spec}: {e}"));
            assert_eq!(route.path, path, "{spec}");
            assert_eq!(route.behaviour, behaviour, "{spec}");
        }
    }

    #[test]
    fn bad_routes_quote_the_spec_and_say_what_is_expected() {
        let cases = [
            ("", "expected `PATH: key=value, ...`"),
            (
                "latency=20ms",
                "the path `latency=20ms` must start with `/`",
            ),
            ("/a*b: cpu=1ms", "`*` may only end the path `/a*b`"),
            (
                "/x: latency",
                "`latency` is not a setting: expected key=value",
            ),
            (
                "/x: speed=fast",
                "unknown key `speed`: expected one of latency",
            ),
            ("/x: cpu=1ms, cpu=2ms", "`cpu` is given twice"),
            (
                "/x: latency=abc",
                "`abc` is not a valid duration: expected a number with a unit",
            ),
            (
                "/x: latency=gauss(1ms,2ms)",
                "`gauss(1ms,2ms)` is not a latency",
            ),
            (
                "/x: latency=uniform(1ms)",
                "is not a latency: expected a duration",
            ),
            (
                "/x: latency=uniform(30ms,10ms)",
                "expected uniform(MIN,MAX) with MIN <= MAX",
            ),
            ("/x: latency=lognormal(0ms,10ms)", "0 < MEDIAN <= P99"),
            ("/x: latency=lognormal(20ms,10ms)", "0 < MEDIAN <= P99"),
            ("/x: errors=lots", "`lots` is not a valid percentage"),
            ("/x: errors=150%", "`150%` is not an error rate"),
            ("/x: errors=5%@abc", "`abc` is not an error status"),
            ("/x: errors=5%@100", "`100` is not an error status"),
            ("/x: leak=1 furlong", "`1 furlong` is not a valid size"),
            ("/x: body=2GiB", "body `2GiB` is too large"),
        ];
        for (spec, expected) in cases {
            let err = spec.parse::<Route>().unwrap_err().to_string();
            assert!(
                err.starts_with(&format!("--route '{spec}': ")),
                "{spec}: {err}"
            );
            assert!(err.contains(expected), "{spec}: {err}");
        }
    }

    #[test]
    fn stalls_parse_and_refuse_what_cannot_run() {
        assert_eq!(
            "200ms/5s".parse::<Stall>().unwrap(),
            Stall {
                pause: ms(200),
                every: ms(5000)
            }
        );
        let cases = [
            ("200ms", "expected PAUSE/EVERY"),
            ("200ms/often", "`often` is not a valid duration"),
            ("5s/5s", "the pause must be shorter than the period"),
            ("1ms/0s", "the pause must be shorter than the period"),
        ];
        for (spec, expected) in cases {
            let err = spec.parse::<Stall>().unwrap_err().to_string();
            assert!(
                err.starts_with(&format!("--stall '{spec}': ")),
                "{spec}: {err}"
            );
            assert!(err.contains(expected), "{spec}: {err}");
        }
    }

    #[test]
    fn routes_match_exactly_or_by_prefix() {
        let exact: Route = "/a".parse().unwrap();
        let prefix: Route = "/products/*".parse().unwrap();
        let everything: Route = "/*".parse().unwrap();
        assert!(exact.matches("/a"));
        assert!(!exact.matches("/a/b"));
        assert!(prefix.matches("/products/1"));
        assert!(prefix.matches("/products/"));
        assert!(!prefix.matches("/products"));
        assert!(everything.matches("/anything/at/all"));
    }

    #[test]
    fn stall_windows_open_at_each_period() {
        let stall = Stall {
            pause: ms(200),
            every: ms(1000),
        };
        let cases = [
            (0, 200),
            (50, 150),
            (199, 1),
            (200, 0),
            (999, 0),
            (1000, 200),
            (3150, 50),
        ];
        for (at, wait) in cases {
            assert_eq!(stall_remaining(&stall, ms(at)), ms(wait), "at {at}ms");
        }
    }
}
