//! wrk's text output (and wrk2's, which prints the same lines and a recorded-latency spectrum):
//! the thread statistics, the latency distribution of `--latency`, the totals, the socket
//! errors and non-2xx/3xx responses, requests and transfer per second.
//!
//! Figures: `latency.avg`, `latency.stdev`, `latency.max` and `latency.pNN` (durations),
//! `req_per_sec_per_thread.avg|stdev|max`, `requests`, `bytes_read`, `requests_per_sec`,
//! `transfer_per_sec`, `errors.connect|read|write|timeout`, `non_2xx_3xx`, and `error_rate`
//! (socket errors and non-2xx/3xx responses over requests; zero when wrk printed neither line).
//! The URL, threads, connections and duration are attributes.
//!
//! wrk times each request from its send, so a stalled server hides its queue (coordinated
//! omission); wrk2 records from each request's intended start. The notes say which this was,
//! and the figures keep wrk's names, apart from rigor's own latency.

use std::collections::BTreeMap;

use rigor_model::metric::{Direction, Unit};
use rigor_model::output::imported::ImportedValue;

use crate::{Import, ImportError, RunOrigin};

/// wrk's time with its unit (`148.97us`, `2.40ms`, `1.02s`, `1.50m`) in nanoseconds.
fn duration(text: &str) -> Option<f64> {
    let (number, unit) = split_unit(text);
    let factor = match unit {
        "ns" => 1.0,
        "us" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "m" => 60e9,
        "h" => 3600e9,
        _ => return None,
    };
    Some(number? * factor)
}

/// wrk's count with an SI suffix (`32.49k`, `1.20M`, `39.81`).
fn metric(text: &str) -> Option<f64> {
    let (number, unit) = split_unit(text);
    let factor = match unit {
        "" => 1.0,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        _ => return None,
    };
    Some(number? * factor)
}

/// wrk's size with a binary suffix (`94.65MB`, `500.28KB`, `12.00B`).
fn bytes(text: &str) -> Option<f64> {
    let (number, unit) = split_unit(text);
    let factor = match unit {
        "B" | "" => 1.0,
        "KB" => 1024.0,
        "MB" => 1024.0 * 1024.0,
        "GB" => 1024.0 * 1024.0 * 1024.0,
        "TB" => 1024.0f64.powi(4),
        _ => return None,
    };
    Some(number? * factor)
}

fn split_unit(text: &str) -> (Option<f64>, &str) {
    let t = text.trim();
    let end = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
        .unwrap_or(t.len());
    let (n, u) = t.split_at(end);
    (n.parse().ok().filter(|v: &f64| v.is_finite()), u)
}

struct Figures {
    values: Vec<ImportedValue>,
}

impl Figures {
    fn push(&mut self, metric: &str, value: f64, unit: Unit, better: Direction) {
        self.values.push(ImportedValue {
            metric: metric.to_string(),
            value,
            unit,
            better,
            interval: None,
            samples: Vec::new(),
        });
    }
}

/// Reads wrk's (or wrk2's) output.
pub fn import_wrk(text: &str, origin: &RunOrigin) -> Result<Import, ImportError> {
    let bad = |line: &str, what: &str| {
        ImportError::format(format!(
            "wrk output: cannot read {what} in `{}`",
            line.trim()
        ))
    };
    let mut f = Figures { values: Vec::new() };
    let mut attributes = BTreeMap::new();
    let mut wrk2 = false;
    let mut in_distribution = false;
    // wrk2 -U prints the uncorrected distribution after the recorded one.
    let mut prefix = "latency";
    let (mut requests, mut errors, mut seen_summary) = (None, 0.0, false);
    let mut socket_errors = 0.0;
    use Direction::{HigherIsBetter as Higher, LowerIsBetter as Lower};
    for line in text.lines() {
        let t = line.trim();
        let words: Vec<&str> = t.split_whitespace().collect();
        if t.starts_with("Thread calibration:") {
            // Only wrk2 calibrates its threads to the rate it was given.
            wrk2 = true;
        }
        if let Some(rest) = t.strip_prefix("Running ") {
            if attributes.contains_key("url") {
                return Err(ImportError::format(
                    "the file holds more than one wrk run (a second `Running …` line): import each run's output on its own",
                ));
            }
            // `Running 10s test @ http://…`
            let (length, url) = rest
                .split_once(" test @ ")
                .ok_or_else(|| bad(line, "the test line"))?;
            attributes.insert("duration".into(), length.to_string());
            attributes.insert("url".into(), url.trim().to_string());
        } else if t.ends_with("connections") && words.len() == 5 && words[1] == "threads" {
            attributes.insert("threads".into(), words[0].to_string());
            attributes.insert("connections".into(), words[3].to_string());
        } else if words.first() == Some(&"Latency") && words.len() == 5 && !in_distribution {
            let d = |i: usize| duration(words[i]).ok_or_else(|| bad(line, "a latency"));
            f.push("latency.avg", d(1)?, Unit::Nanos, Lower);
            f.push("latency.stdev", d(2)?, Unit::Nanos, Lower);
            f.push("latency.max", d(3)?, Unit::Nanos, Lower);
        } else if words.first() == Some(&"Req/Sec") && words.len() == 5 {
            let m = |i: usize| metric(words[i]).ok_or_else(|| bad(line, "a rate"));
            f.push("req_per_sec_per_thread.avg", m(1)?, Unit::PerSecond, Higher);
            f.push(
                "req_per_sec_per_thread.stdev",
                m(2)?,
                Unit::PerSecond,
                Lower,
            );
            f.push("req_per_sec_per_thread.max", m(3)?, Unit::PerSecond, Higher);
        } else if t.starts_with("Latency Distribution") {
            in_distribution = true;
            wrk2 |= t.contains("HdrHistogram");
            prefix = if t.contains("Uncorrected") {
                "latency.uncorrected"
            } else {
                "latency"
            };
        } else if in_distribution && words.len() == 2 && words[0].ends_with('%') {
            let p = words[0].trim_end_matches('%');
            let p: f64 = p.parse().map_err(|_| bad(line, "a percentile"))?;
            let name = format!("{prefix}.p{}", trim_number(p));
            f.push(
                &name,
                duration(words[1]).ok_or_else(|| bad(line, "a latency"))?,
                Unit::Nanos,
                Lower,
            );
        } else if words.len() >= 6 && words[1] == "requests" && words[2] == "in" {
            // `653030 requests in 10.10s, 94.65MB read`
            in_distribution = false;
            seen_summary = true;
            let n: f64 = words[0]
                .parse()
                .map_err(|_| bad(line, "the request count"))?;
            requests = Some(n);
            f.push("requests", n, Unit::Count, Higher);
            f.push(
                "bytes_read",
                bytes(words[4]).ok_or_else(|| bad(line, "the bytes read"))?,
                Unit::Bytes,
                Higher,
            );
        } else if let Some(rest) = t.strip_prefix("Socket errors:") {
            // `Socket errors: connect 0, read 0, write 0, timeout 12`
            for part in rest.split(',') {
                let mut kv = part.split_whitespace();
                let (Some(kind), Some(n)) = (kv.next(), kv.next()) else {
                    return Err(bad(line, "the socket errors"));
                };
                let n: f64 = n.parse().map_err(|_| bad(line, "the socket errors"))?;
                errors += n;
                socket_errors += n;
                f.push(&format!("errors.{kind}"), n, Unit::Count, Lower);
            }
        } else if let Some(n) = t.strip_prefix("Non-2xx or 3xx responses:") {
            let n: f64 = n
                .trim()
                .parse()
                .map_err(|_| bad(line, "the non-2xx/3xx count"))?;
            errors += n;
            f.push("non_2xx_3xx", n, Unit::Count, Lower);
        } else if let Some(n) = t.strip_prefix("Requests/sec:") {
            let n: f64 = n
                .trim()
                .parse()
                .map_err(|_| bad(line, "requests per second"))?;
            f.push("requests_per_sec", n, Unit::PerSecond, Higher);
        } else if let Some(n) = t.strip_prefix("Transfer/sec:") {
            let n = bytes(n).ok_or_else(|| bad(line, "transfer per second"))?;
            f.push("transfer_per_sec", n, Unit::BytesPerSecond, Higher);
        } else if t.starts_with("unable to connect") {
            return Err(ImportError::format(format!(
                "the wrk output says it measured nothing: `{t}`"
            )));
        }
    }
    let Some(requests) = requests.filter(|_| seen_summary) else {
        return Err(ImportError::format(
            "not wrk's output: it has no `N requests in T, S read` line (give the text wrk printed, `wrk … > wrk.txt`)",
        ));
    };
    // Socket errors are attempts that never became a counted response: they join the
    // denominator, so the share stays within 0–100 %.
    if requests + socket_errors > 0.0 {
        f.push(
            "error_rate",
            errors / (requests + socket_errors),
            Unit::Fraction,
            Lower,
        );
    }
    let tool = if wrk2 { "wrk2" } else { "wrk" };
    attributes.insert("tool".into(), tool.into());
    let note = if wrk2 {
        "wrk2 records each request's latency from its intended start, as rigor does; its figures keep wrk's names (latency.p99 …), not rigor's metrics"
    } else {
        "wrk times each request from its send, so a stalled server hides its queue (coordinated omission): its latency.* figures are not rigor's latency from the intended start"
    };
    Ok(origin.one_run(tool, attributes, f.values, vec![note.into()]))
}

/// `99.0` → `99`, `99.9` → `99.9`, `99.999` → `99.999`.
fn trim_number(p: f64) -> String {
    rigor_model::units::at_most_decimals(p, 3)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rigor_model::output::imported::ImportedRun;

    const WRK: &str = "Running 2s test @ http://127.0.0.1:18088/
  2 threads and 10 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.45ms  228.35us   6.02ms   78.89%
    Req/Sec     2.04k    39.81     2.11k    62.50%
  Latency Distribution
     50%    2.40ms
     75%    2.56ms
     90%    2.73ms
     99%    3.11ms
  8144 requests in 2.00s, 0.98MB read
  Socket errors: connect 0, read 2, write 0, timeout 6
  Non-2xx or 3xx responses: 12
Requests/sec:   4065.77
Transfer/sec:    500.28KB
";

    fn value(run: &ImportedRun, name: &str) -> f64 {
        run.get(name)
            .unwrap_or_else(|| panic!("{name} in {:?}", run.values))
            .value
    }

    #[test]
    fn every_line_of_wrks_output_is_a_figure_or_an_attribute() {
        let import = import_wrk(WRK, &RunOrigin::default()).unwrap();
        let run = &import.rows[0].run;
        assert_eq!(run.source, "wrk");
        assert_eq!(run.attributes["url"], "http://127.0.0.1:18088/");
        assert_eq!(run.attributes["connections"], "10");
        assert_eq!(value(run, "latency.avg"), 2.45e6);
        assert!((value(run, "latency.stdev") - 228.35e3).abs() < 1e-6);
        assert_eq!(value(run, "latency.p99"), 3.11e6);
        assert_eq!(value(run, "req_per_sec_per_thread.avg"), 2040.0);
        assert_eq!(value(run, "req_per_sec_per_thread.stdev"), 39.81);
        assert_eq!(value(run, "requests"), 8144.0);
        assert!((value(run, "bytes_read") - 0.98 * 1_048_576.0).abs() < 1e-6);
        assert_eq!(value(run, "requests_per_sec"), 4065.77);
        assert!((value(run, "transfer_per_sec") - 500.28 * 1024.0).abs() < 1e-6);
        assert_eq!(value(run, "errors.timeout"), 6.0);
        assert_eq!(value(run, "non_2xx_3xx"), 12.0);
        // 8 socket errors and 12 bad statuses over 8,144 responses and 8 failed attempts.
        assert!((value(run, "error_rate") - 20.0 / 8152.0).abs() < 1e-12);
        // Two runs in one file are refused, not merged.
        let twice = format!("{WRK}{WRK}");
        let e = import_wrk(&twice, &RunOrigin::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("more than one wrk run"), "{e}");
        assert!(run.notes[0].contains("coordinated omission"));
    }

    #[test]
    fn wrk2s_recorded_spectrum_is_read_as_corrected() {
        let text = "Running 10s test @ http://127.0.0.1:8080/
  1 threads and 10 connections
  Thread calibration: mean lat.: 1.234ms, rate sampling interval: 10ms
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.21ms  500.00us   9.99ms   80.00%
    Req/Sec     1.05k   100.00     1.50k    70.00%
  Latency Distribution (HdrHistogram - Recorded Latency)
 50.000%    1.15ms
 99.900%    4.50ms
100.000%    9.99ms

  Detailed Percentile spectrum:
       Value   Percentile   TotalCount 1/(1-Percentile)

       0.500     0.000000            1         1.00
#[Mean    =        1.210, StdDeviation   =        0.500]
----------------------------------------------------------
  9999 requests in 10.00s, 1.00MB read
Requests/sec:    999.90
Transfer/sec:    102.40KB
";
        let run = &import_wrk(text, &RunOrigin::default()).unwrap().rows[0].run;
        assert_eq!(run.source, "wrk2");
        assert_eq!(value(run, "latency.p99.9"), 4.5e6);
        assert_eq!(value(run, "latency.p100"), 9.99e6);
        assert_eq!(value(run, "error_rate"), 0.0);
        assert!(run.notes[0].contains("intended start"));
        // Without --latency wrk2 prints no distribution, but its calibration says it is wrk2.
        let bare: String = text
            .lines()
            .filter(|l| !l.contains('%') || l.contains("Latency ") || l.contains("Req/Sec"))
            .map(|l| format!("{l}\n"))
            .collect();
        let run = &import_wrk(&bare, &RunOrigin::default()).unwrap().rows[0].run;
        assert_eq!(run.source, "wrk2");
    }

    #[test]
    fn what_is_no_wrk_output_is_refused() {
        for (text, expected) in [
            ("", "not wrk's output"),
            ("hello\n", "not wrk's output"),
            (
                "unable to connect to 127.0.0.1:1 Connection refused\n",
                "measured nothing",
            ),
            (
                "    Latency     2.45xs  228.35us   6.02ms   78.89%\n",
                "cannot read a latency",
            ),
        ] {
            let e = import_wrk(text, &RunOrigin::default())
                .unwrap_err()
                .to_string();
            assert!(e.contains(expected), "{text}: {e}");
        }
    }
}
