//! Where a journey's step takes a value from in its response (issue 20), as the plan writes
//! it: `json:/token`, `json:$.items[0].id`, `header:Location`, `cookie:session`,
//! `regex:order=(\d+)`, `status`. Parsed when the plan is read, so a malformed one is named
//! with its line and column before anything runs; the engine does the taking.

use std::fmt;
use std::str::FromStr;

/// Where a value comes from.
#[derive(Debug, Clone)]
pub enum Extraction {
    /// A JSON pointer (RFC 6901) into the body: `/items/0/id`.
    Json(String),
    /// A response header, by name (case does not matter).
    Header(String),
    /// The value of a cookie the response sets (`Set-Cookie: NAME=VALUE; …`).
    Cookie(String),
    /// The first capture group of a regular expression on the body (the whole match without
    /// one).
    Regex(regex::Regex),
    /// The response's status code.
    Status,
}

impl FromStr for Extraction {
    type Err = String;

    fn from_str(text: &str) -> Result<Extraction, String> {
        let forms =
            "write json:/POINTER, json:$.PATH, header:NAME, cookie:NAME, regex:PATTERN or status";
        if text.trim() == "status" {
            return Ok(Extraction::Status);
        }
        let (kind, what) = text
            .split_once(':')
            .ok_or_else(|| format!("`{text}` does not say where the value is: {forms}"))?;
        let empty = || format!("`{text}` names nothing after `{kind}:`: {forms}");
        match kind.trim() {
            "json" => {
                let what = what.trim();
                if what.starts_with('/') || what.is_empty() {
                    Ok(Extraction::Json(what.to_string()))
                } else if let Some(path) = what.strip_prefix('$') {
                    json_path_to_pointer(path)
                        .map(Extraction::Json)
                        .map_err(|why| format!("`{text}`: {why}"))
                } else {
                    Err(format!(
                        "`{text}`: a JSON location is a pointer (`json:/items/0/id`) or a path (`json:$.items[0].id`)"
                    ))
                }
            }
            "header" => {
                let name = what.trim();
                if name.is_empty() {
                    return Err(empty());
                }
                if !name.bytes().all(|b| b.is_ascii_graphic() && b != b':') {
                    return Err(format!("`{text}`: `{name}` is not a header name"));
                }
                Ok(Extraction::Header(name.to_ascii_lowercase()))
            }
            "cookie" => {
                let name = what.trim();
                if name.is_empty() {
                    return Err(empty());
                }
                Ok(Extraction::Cookie(name.to_string()))
            }
            "regex" => {
                if what.is_empty() {
                    return Err(empty());
                }
                let re = regex::Regex::new(what)
                    .map_err(|e| format!("`{text}` is not a regular expression: {e}"))?;
                if re.captures_len() > 2 {
                    return Err(format!(
                        "`{text}` has {} groups: give one, around the value (use (?:…) for the others)",
                        re.captures_len() - 1
                    ));
                }
                Ok(Extraction::Regex(re))
            }
            other => Err(format!(
                "`{other}:` is not a place to take a value from: {forms}"
            )),
        }
    }
}

impl fmt::Display for Extraction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Extraction::Json(p) => write!(f, "json:{p}"),
            Extraction::Header(h) => write!(f, "header:{h}"),
            Extraction::Cookie(c) => write!(f, "cookie:{c}"),
            Extraction::Regex(r) => write!(f, "regex:{}", r.as_str()),
            Extraction::Status => f.write_str("status"),
        }
    }
}

/// `.items[0].id` (after the `$`) as the pointer `/items/0/id`; `['a.b']` for keys with dots.
fn json_path_to_pointer(path: &str) -> Result<String, String> {
    let mut pointer = String::new();
    let mut rest = path;
    let escape = |key: &str| key.replace('~', "~0").replace('/', "~1");
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            let key = &after[..end];
            if key.is_empty() {
                return Err("an empty key after `.`".into());
            }
            pointer.push('/');
            pointer.push_str(&escape(key));
            rest = &after[end..];
        } else if let Some(after) = rest.strip_prefix('[') {
            let end = after.find(']').ok_or("a `[` is not closed")?;
            let inside = after[..end].trim();
            let key = if let Some(quoted) = inside
                .strip_prefix('\'')
                .and_then(|q| q.strip_suffix('\''))
                .or_else(|| inside.strip_prefix('"').and_then(|q| q.strip_suffix('"')))
            {
                quoted.to_string()
            } else if inside.parse::<usize>().is_ok() {
                inside.to_string()
            } else {
                return Err(format!(
                    "`[{inside}]` is neither an index nor a quoted key (filters and wildcards pick no single value)"
                ));
            };
            pointer.push('/');
            pointer.push_str(&escape(&key));
            rest = &after[end + 1..];
        } else {
            return Err(format!("`{rest}`: expected `.key` or `[index]`"));
        }
    }
    Ok(pointer)
}

impl Extraction {
    /// Whether the body must be kept to extract from it (a header or the status needs none).
    pub fn needs_body(&self) -> bool {
        matches!(self, Extraction::Json(_) | Extraction::Regex(_))
    }

    /// Whether the response's headers must be kept.
    pub fn needs_headers(&self) -> bool {
        matches!(self, Extraction::Header(_) | Extraction::Cookie(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_extractions_are_refused_with_the_forms_to_write() {
        for (text, says) in [
            ("token", "does not say where"),
            ("xml:/a", "not a place"),
            ("json:token", "pointer"),
            ("json:$.items[*].id", "neither an index nor a quoted key"),
            ("json:$.items[0", "not closed"),
            ("header:", "names nothing"),
            ("header:bad name", "not a header name"),
            ("regex:(unclosed", "not a regular expression"),
            (r"regex:(\d+)-(\d+)", "give one"),
        ] {
            let e = text.parse::<Extraction>().unwrap_err();
            assert!(e.contains(says), "{text}: {e}");
        }
        assert_eq!(
            "json:$.a[1]".parse::<Extraction>().unwrap().to_string(),
            "json:/a/1"
        );
    }
}
