//! The Prometheus text exposition format (version 0.0.4), and the OpenMetrics text that
//! exporters send when asked for it (`# EOF`, `_total` counters, exemplars): what a target's
//! `/metrics` says, parsed whole or refused with the line at fault, as Prometheus itself
//! refuses a scrape.
//!
//! Written here rather than taken from `prometheus-parse`, the crate made for it: that one
//! splits label pairs on every `,` and `=` (so a value holding either is cut), does not undo
//! escapes, and skips metric names with `:` (recording rules' names) without a word; it has
//! not changed since 2023. The grammar is small; the tests read real exporters' output.

use std::collections::BTreeMap;

/// What a family of samples measures, from its `# TYPE` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
    Summary,
    Untyped,
}

/// One sample line: `name{labels} value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    /// In the order written, escapes undone.
    pub labels: Vec<(String, String)>,
    pub value: f64,
}

impl Sample {
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A whole scrape.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Exposition {
    /// Each family's type, by family name.
    pub types: BTreeMap<String, Kind>,
    pub samples: Vec<Sample>,
}

impl Exposition {
    /// The family a sample belongs to and its kind: `x_bucket`, `x_sum` and `x_count` are
    /// histogram `x`'s, `x_total` counter `x`'s (OpenMetrics); a sample with no `# TYPE` is
    /// untyped.
    pub fn family_of<'s>(&self, sample: &'s str) -> (&'s str, Kind) {
        if let Some(kind) = self.types.get(sample) {
            return (sample, *kind);
        }
        for suffix in ["_bucket", "_sum", "_count", "_total", "_created"] {
            if let Some(family) = sample.strip_suffix(suffix) {
                if let Some(kind) = self.types.get(family) {
                    return (family, *kind);
                }
            }
        }
        (sample, Kind::Untyped)
    }
}

/// A line that is not in the format, by its number (from 1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}: `{text}`")]
pub struct ParseError {
    pub line: usize,
    pub message: String,
    pub text: String,
}

/// Parses a scrape's text.
pub fn parse(text: &str) -> Result<Exposition, ParseError> {
    let mut out = Exposition::default();
    for (at, raw) in text.lines().enumerate() {
        let line = raw.trim_matches(|c| c == ' ' || c == '\t' || c == '\r');
        let fail = |message: &str| ParseError {
            line: at + 1,
            message: message.to_string(),
            text: line.chars().take(120).collect(),
        };
        if line.is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            let mut words = comment.split_whitespace();
            match words.next() {
                Some("EOF") => break,
                Some("TYPE") => {
                    let (Some(name), Some(kind)) = (words.next(), words.next()) else {
                        return Err(fail("a TYPE line names a metric and its type"));
                    };
                    let kind = match kind {
                        "counter" => Kind::Counter,
                        "gauge" => Kind::Gauge,
                        "histogram" | "gaugehistogram" => Kind::Histogram,
                        "summary" => Kind::Summary,
                        "untyped" | "unknown" | "info" | "stateset" => Kind::Untyped,
                        _ => return Err(fail("unknown metric type")),
                    };
                    out.types.insert(name.to_string(), kind);
                }
                // HELP, UNIT and other comments say nothing a number needs.
                _ => {}
            }
            continue;
        }
        out.samples.push(sample(line).map_err(|m| fail(&m))?);
    }
    Ok(out)
}

fn sample(line: &str) -> Result<Sample, String> {
    let name_end = line
        .find(['{', ' ', '\t'])
        .ok_or("a sample has a name and a value")?;
    let name = &line[..name_end];
    if !valid_name(name) {
        return Err(format!("`{name}` is not a metric name"));
    }
    let mut rest = &line[name_end..];
    let mut labels = Vec::new();
    if let Some(after) = rest.strip_prefix('{') {
        let (parsed, remainder) = label_set(after)?;
        labels = parsed;
        rest = remainder;
    }
    // OpenMetrics exemplars follow ` # `; a timestamp may follow the value.
    let rest = rest.split(" # ").next().unwrap_or_default();
    let mut fields = rest.split_whitespace();
    let value = fields.next().ok_or("the sample has no value")?;
    let value = parse_value(value).ok_or_else(|| format!("`{value}` is not a number"))?;
    if let Some(ts) = fields.next() {
        if ts.parse::<f64>().is_err() {
            return Err(format!("`{ts}` is not a timestamp"));
        }
    }
    if fields.next().is_some() {
        return Err("more after the timestamp".into());
    }
    Ok(Sample {
        name: name.to_string(),
        labels,
        value,
    })
}

/// `label="value",...}` and what follows the closing brace.
#[allow(clippy::type_complexity)]
fn label_set(text: &str) -> Result<(Vec<(String, String)>, &str), String> {
    let mut labels = Vec::new();
    let mut rest = text.trim_start();
    loop {
        if let Some(after) = rest.strip_prefix('}') {
            return Ok((labels, after));
        }
        let eq = rest.find('=').ok_or("a label has no `=`")?;
        let name = rest[..eq].trim();
        if !valid_label(name) {
            return Err(format!("`{name}` is not a label name"));
        }
        let after = rest[eq + 1..].trim_start();
        let body = after
            .strip_prefix('"')
            .ok_or("a label's value is not quoted")?;
        let (value, used) = quoted(body).ok_or("a label's value is not closed")?;
        labels.push((name.to_string(), value));
        rest = body[used..].trim_start();
        if let Some(after) = rest.strip_prefix(',') {
            rest = after.trim_start();
        } else if !rest.starts_with('}') {
            return Err("labels are separated by `,`".into());
        }
    }
}

/// A quoted value's text (escapes `\\`, `\"`, `\n` undone) and the bytes it took with its
/// closing quote.
fn quoted(body: &str) -> Option<(String, usize)> {
    let mut value = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((value, i + 1)),
            '\\' => match chars.next()?.1 {
                'n' => value.push('\n'),
                other => value.push(other),
            },
            c => value.push(c),
        }
    }
    None
}

fn parse_value(text: &str) -> Option<f64> {
    match text {
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        "NaN" => Some(f64::NAN),
        t => t.parse().ok(),
    }
}

/// `[a-zA-Z_:][a-zA-Z0-9_:]*`.
fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// `[a-zA-Z_][a-zA-Z0-9_]*`.
fn valid_label(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_formats_own_examples_parse() {
        // From the exposition format's documentation.
        let text = r#"
# HELP http_requests_total The total number of HTTP requests.
# TYPE http_requests_total counter
http_requests_total{method="post",code="200"} 1027 1395066363000
http_requests_total{method="post",code="400"}    3 1395066363000

# Escaping in label values:
msdos_file_access_time_seconds{path="C:\\DIR\\FILE.TXT",error="Cannot find file:\n\"FILE.TXT\""} 1.458255915e9

# Minimalistic line:
metric_without_timestamp_and_labels 12.47

# A weird metric from before the epoch:
something_weird{problem="division by zero"} +Inf -3982045

# A histogram, which has a pretty complex representation in the text format:
# HELP http_request_duration_seconds A histogram of the request duration.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.05"} 24054
http_request_duration_seconds_bucket{le="+Inf"} 144320
http_request_duration_seconds_sum 53423
http_request_duration_seconds_count 144320
"#;
        let e = parse(text).expect("parses");
        assert_eq!(e.samples.len(), 9);
        assert_eq!(e.samples[1].value, 3.0);
        assert_eq!(e.samples[1].label("code"), Some("400"));
        let msdos = &e.samples[2];
        assert_eq!(msdos.label("path"), Some(r"C:\DIR\FILE.TXT"));
        assert_eq!(
            msdos.label("error"),
            Some("Cannot find file:\n\"FILE.TXT\"")
        );
        assert_eq!(e.samples[4].value, f64::INFINITY);
        assert_eq!(
            e.family_of("http_request_duration_seconds_bucket"),
            ("http_request_duration_seconds", Kind::Histogram)
        );
        assert_eq!(
            e.family_of("metric_without_timestamp_and_labels").1,
            Kind::Untyped
        );
    }

    #[test]
    fn values_with_commas_braces_and_equals_stay_whole() {
        let e =
            parse("ext{server=\"primary\",extensions=\"{plpgsql},x=y\",} 1\ncache:hit_ratio 0.9\n")
                .expect("parses");
        assert_eq!(e.samples[0].label("extensions"), Some("{plpgsql},x=y"));
        assert_eq!(e.samples[0].labels.len(), 2);
        assert_eq!(e.samples[1].name, "cache:hit_ratio");
    }

    #[test]
    fn open_metrics_counters_exemplars_and_eof() {
        let text = "# TYPE jobs counter\njobs_total{kind=\"a\"} 7 # {trace_id=\"abc\"} 1.0 1620000000\n# EOF\ngarbage after the end\n";
        let e = parse(text).expect("parses");
        assert_eq!(e.samples.len(), 1);
        assert_eq!(e.samples[0].value, 7.0);
        assert_eq!(e.family_of("jobs_total"), ("jobs", Kind::Counter));
    }

    #[test]
    fn a_malformed_line_is_named() {
        for (text, says) in [
            ("x{a=b} 1", "not quoted"),
            ("x{a=\"b} 1", "not closed"),
            ("x 1 2 3", "more after"),
            ("9x 1", "not a metric name"),
            ("x{a=\"1\" b=\"2\"} 1", "separated by"),
            ("x abc", "not a number"),
            ("# TYPE x wobbly", "unknown metric type"),
        ] {
            let err = parse(&format!("ok 1\n{text}\n")).expect_err(text);
            assert_eq!(err.line, 2, "{text}");
            assert!(err.to_string().contains(says), "{text}: {err}");
        }
    }
}
