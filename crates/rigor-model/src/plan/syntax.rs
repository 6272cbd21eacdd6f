//! A plan that is not TOML, or not a plan: toml's error turned into file:line:column, with a
//! did-you-mean for unknown keys, the unit hint for bare numbers, and an unclosed bracket
//! reported where it opens (the parser notices it lines later, where something else begins).

use std::path::Path;

use super::locate::line_column;
use super::{did_you_mean, PlanError};

/// Turns a toml/serde error into file:line:column with a did-you-mean for unknown keys.
pub(super) fn syntax_error(text: &str, path: &Path, err: &toml::de::Error) -> PlanError {
    let at = err.span().map_or(0, |span| span.start);
    let mut message = err.message().trim().to_string();
    let mut offset = at;
    if let Some((open, better)) = unclosed_bracket(text, &message, at) {
        (offset, message) = (open, better);
    }
    let (line, column) = line_column(text, offset);
    let mut hint = unknown_name_hint(&message);
    if message.starts_with("invalid type: integer")
        || message.starts_with("invalid type: floating point")
    {
        hint = number_hint(text, at);
    } else if message.starts_with("invalid basic string")
        || message.starts_with("invalid literal string")
    {
        hint = ": the string is not closed on its line (end it with its quote; a string of several lines is written between triple quotes)".into();
    } else if message.starts_with("invalid type: map, expected a sequence") {
        hint = list_table_hint(text, at);
    } else if message.starts_with("invalid inline table") {
        hint = " (an inline table `{ … }` must end with `}` on the line it opens; a [table] of its own can span lines)".into();
    }
    PlanError::Syntax {
        path: path.to_path_buf(),
        line,
        column,
        message,
        hint,
    }
}

/// A table written where a list of tables is meant: `[scenario]` for `[[scenario]]`, or a
/// `[[scenario.request]]` with no `[[scenario]]` above it to belong to.
fn list_table_hint(text: &str, at: usize) -> String {
    let at = at.min(text.len());
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or("").trim();
    let header = line.split('#').next().unwrap_or("").trim();
    if let Some(inner) = header.strip_prefix("[[").and_then(|h| h.strip_suffix("]]")) {
        if let Some((parent, _)) = inner.rsplit_once('.') {
            return format!(
                " (a `{header}` belongs to the `[[{parent}]]` above it: put one, with its name, first)"
            );
        }
    }
    if let Some(inner) = header.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return format!(" (a plan holds a list of these: write `[[{inner}]]`)");
    }
    String::new()
}

/// What to write instead of the number at `at`: its key's unit, or quotes for a name.
fn number_hint(text: &str, at: usize) -> String {
    let at = at.min(text.len());
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let number: String = text[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | '_'))
        .collect();
    let before = &text[line_start..at];
    let key = before
        .trim_end()
        .strip_suffix('=')
        .map(|b| {
            b.trim_end()
                .rsplit([' ', '{', ',', '.'])
                .next()
                .unwrap_or("")
                .trim_matches('"')
        })
        .unwrap_or("");
    let unit = match key {
        "rate" | "to" | "from" => "/s",
        "for" | "over" | "timeout" | "think_time" | "grace" | "ready_timeout" | "min_time"
        | "sustained" => "s",
        "max_increase" => "%",
        // An SLO's objective is a percentage: 0.999 and 99.9 both mean 99.9 %.
        "objective" => {
            let share = number.parse::<f64>().unwrap_or(0.0);
            if share == 1.0 || share >= 100.0 {
                return " (write it as a percentage below 100 %, as a string: objective = \"99.9%\"; all of the requests leaves no error budget)".into();
            }
            let percent = if share > 0.0 && share < 1.0 {
                share * 100.0
            } else {
                share
            };
            let percent = crate::units::at_most_decimals(percent, 6);
            return format!(" (write it as a percentage, as a string: objective = \"{percent}%\")");
        }
        "max" | "min" => {
            return " (write the value with its unit, as a string: \"120ms\", \"1%\", \"900/s\")"
                .into()
        }
        "" => {
            return " (write the value with its unit, as a string: \"100/s\", \"120ms\", \"30%\")"
                .into()
        }
        key => return format!(" (write it as a string: {key} = \"{number}\")"),
    };
    format!(" (write the value with its unit, as a string: {key} = \"{number}{unit}\")")
}

/// serde says "unknown field `x`, expected one of `a`, `b`": suggest the nearest.
fn unknown_name_hint(message: &str) -> String {
    let Some(rest) = message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix("unknown variant `"))
    else {
        return String::new();
    };
    let Some((name, expected)) = rest.split_once('`') else {
        return String::new();
    };
    let candidates: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    did_you_mean(name, &candidates)
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default()
}

/// The bracket that toml's error is really about: an array's `[` still open where the parser
/// gave up (it notices the missing `]` at the next line that cannot be an entry), or a table
/// header's `[` closed on no line. Returns the offset of the `[` and the message to give.
fn unclosed_bracket(text: &str, message: &str, error_at: usize) -> Option<(usize, String)> {
    if message.starts_with("invalid table header") {
        let start = text[..error_at.min(text.len())]
            .rfind('\n')
            .map_or(0, |i| i + 1);
        let line = text[start..].lines().next().unwrap_or("");
        let header = line.split('#').next().unwrap_or("").trim();
        let open = line.find('[')?;
        let name = header.trim_start_matches('[').trim();
        let closed = header.ends_with(']');
        let brackets = if header.starts_with("[[") {
            ("[[", "]]")
        } else {
            ("[", "]")
        };
        let message = if closed {
            format!(
                "table header `{header}` is not closed right: write `{}{}{}`",
                brackets.0,
                name.trim_end_matches(']'),
                brackets.1
            )
        } else {
            format!(
                "table header `{header}` is not closed: write `{}{name}{}`",
                brackets.0, brackets.1
            )
        };
        return Some((start + open, message));
    }
    if !message.starts_with("invalid array") {
        return None;
    }
    // The array that failed opened on an earlier line than the one the parser stopped at.
    let error_line_start = text[..error_at.min(text.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let open = open_array_at(text, error_line_start)?;
    let (error_line, error_column) = line_column(text, error_at);
    Some((
            open,
            format!("this `[` is never closed: end the array with `]` (the parser stopped at line {error_line}, column {error_column}, where the next key or table begins)"),
    ))
}

/// The offset of the innermost array `[` still open at `end`, reading strings and comments
/// as TOML does (a `[` in a string or after `#` opens nothing; a line that starts with `[`
/// outside any value is a table header).
fn open_array_at(text: &str, end: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let end = end.min(bytes.len());
    let mut open: Vec<(usize, u8)> = Vec::new();
    let mut line_start = true;
    let mut i = 0;
    while i < end {
        let c = bytes[i];
        match c {
            b'\n' => {
                line_start = true;
                i += 1;
                continue;
            }
            b'#' => {
                i = text[i..].find('\n').map_or(end, |n| i + n);
                continue;
            }
            b'"' | b'\'' => {
                i = string_end(text, i);
                line_start = false;
                continue;
            }
            b'[' if line_start && open.is_empty() => {
                // A table header: skip to its line's end.
                i = text[i..].find('\n').map_or(end, |n| i + n);
                continue;
            }
            b'[' | b'{' => open.push((i, c)),
            b']' | b'}' => {
                open.pop();
            }
            _ => {}
        }
        if !c.is_ascii_whitespace() {
            line_start = false;
        }
        i += 1;
    }
    open.iter()
        .rev()
        .find(|(_, c)| *c == b'[')
        .map(|(at, _)| *at)
}

/// The offset just past the string that starts at `start` (basic or literal, one line or
/// several); the text's end when it never closes.
fn string_end(text: &str, start: usize) -> usize {
    // Bytes, not `str` slices: a string's text may hold characters of several bytes (`µs`),
    // and every delimiter is ASCII.
    let bytes = text.as_bytes();
    let quote = bytes[start];
    let triple = [quote; 3];
    let (delimiter, from) = if bytes[start..].starts_with(&triple) {
        (&triple[..], start + 3)
    } else {
        (&triple[..1], start + 1)
    };
    let basic = quote == b'"';
    let mut i = from;
    while i < bytes.len() {
        if basic && bytes[i] == b'\\' {
            i += 2;
            continue;
        }
        if delimiter.len() == 1 && bytes[i] == b'\n' {
            return i;
        }
        if bytes[i..].starts_with(delimiter) {
            return i + delimiter.len();
        }
        i += 1;
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> String {
        super::super::Plan::parse(text, Path::new("rigor.toml"))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn an_unclosed_array_is_reported_where_it_opens() {
        let text = "[[scenario]]\nname = \"a\" # [not this one\nphases = [\n  { kind = \"steady\", rate = \"1/s\", for = \"1s\" },\n  \"[\",\n\n[[scenario.request]]\nurl = \"http://127.0.0.1:1/\"\n";
        let e = error(text);
        assert!(e.starts_with("rigor.toml:3:10: this `[` is never closed: end the array with `]` (the parser stopped at line 7"), "{e}");
    }

    #[test]
    fn strings_of_several_byte_characters_are_read_past() {
        let text = "[[scenario]]\nname = \"µ-é\"\nphases = [\n  { kind = \"steady\", rate = \"1/s\", for = \"250µs\" },\n  '''ünïcödé''',\n\n[[scenario.request]]\nurl = \"http://127.0.0.1:1/\"\n";
        let e = error(text);
        assert!(
            e.starts_with("rigor.toml:3:10: this `[` is never closed"),
            "{e}"
        );
    }

    #[test]
    fn no_prefix_of_a_plan_makes_reading_it_panic() {
        // Every cut of a real plan is some malformed plan: each must come back as an error or
        // a plan, never a panic in the position finding (strings with `µ`, unclosed brackets).
        let text = format!(
            "{}\n[[scenario]]\nname = \"µ\"\nphases = [{{ kind = \"steady\", rate = \"1/s\", for = \"250µs\" }}]\nthresholds = [\"latency.p95 < 1µs\", 'ünï < 1']\n[[scenario.request]]\nurl = \"http://127.0.0.1:1/é\"\n",
            super::super::STARTER_PLAN
        );
        let path = Path::new("rigor.toml");
        for end in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
            if let Ok(plan) = super::super::Plan::parse(&text[..end], path) {
                let _ = plan.scenarios(path, None);
            }
        }
    }

    #[test]
    fn an_unclosed_table_header_says_what_to_write() {
        let e = error("# plan\n\n[scenario\nname = \"a\"\n");
        assert_eq!(
            e,
            "rigor.toml:3:1: table header `[scenario` is not closed: write `[scenario]`"
        );
        let e = error("[[scenario]]\nname = \"a\"\n  [[scenario.request]\nurl = \"x\"\n");
        assert!(e.starts_with("rigor.toml:3:3: table header `[[scenario.request]` is not closed right: write `[[scenario.request]]`"), "{e}");
    }
}
