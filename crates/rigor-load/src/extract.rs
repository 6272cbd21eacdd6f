//! Taking a value out of a response, for a journey's later steps (issue 20): a JSON pointer or
//! a simple JSON path into the body, a header, a cookie the response sets, a regular
//! expression's group on the body, or the status.
//!
//! Written as the plan writes them: `json:/token`, `json:$.items[0].id`, `header:Location`,
//! `cookie:session`, `regex:order=(\d+)`, `status`. A value that cannot be found fails the
//! step with why; a value holding a line break or another control character is refused, so an
//! extracted value can never smuggle a header or a request into what rigor sends.

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

/// What a response offers to extract from.
pub struct Answer<'a> {
    pub status: u16,
    /// Header names and values as received.
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
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

    /// The value in `answer`, or why there is none.
    pub fn extract(&self, answer: &Answer<'_>) -> Result<String, String> {
        let value = match self {
            Extraction::Status => answer.status.to_string(),
            Extraction::Header(name) => answer
                .headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.trim().to_string())
                .ok_or_else(|| format!("the response has no `{name}` header"))?,
            Extraction::Cookie(name) => answer
                .headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case("set-cookie"))
                .find_map(|(_, v)| {
                    let pair = v.split(';').next()?;
                    let (n, value) = pair.split_once('=')?;
                    (n.trim() == name).then(|| value.trim().trim_matches('"').to_string())
                })
                .ok_or_else(|| format!("the response sets no cookie `{name}`"))?,
            Extraction::Json(pointer) => {
                let body: serde_json::Value = serde_json::from_slice(answer.body)
                    .map_err(|e| format!("the body is not JSON ({e})"))?;
                match body.pointer(pointer) {
                    None => return Err(format!("the body's JSON has nothing at `{pointer}`")),
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(serde_json::Value::Null) => {
                        return Err(format!("the body's JSON has null at `{pointer}`"))
                    }
                    Some(v @ (serde_json::Value::Array(_) | serde_json::Value::Object(_))) => {
                        return Err(format!(
                            "the body's JSON has {} at `{pointer}`, not one value",
                            if v.is_array() {
                                "an array"
                            } else {
                                "an object"
                            }
                        ))
                    }
                    Some(other) => other.to_string(),
                }
            }
            Extraction::Regex(re) => {
                let body = String::from_utf8_lossy(answer.body);
                let caps = re
                    .captures(&body)
                    .ok_or_else(|| format!("`{}` does not match the body", re.as_str()))?;
                caps.get(1)
                    .or_else(|| caps.get(0))
                    .map(|m| m.as_str().to_string())
                    .unwrap_or_default()
            }
        };
        if value.is_empty() {
            return Err(format!("{self} is empty in the response"));
        }
        if let Some(c) = value.chars().find(|c| c.is_control()) {
            return Err(format!(
                "{self} holds a control character ({:?}): a journey never sends it on",
                c
            ));
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer<'a>(headers: &'a [(String, String)], body: &'a str) -> Answer<'a> {
        Answer {
            status: 201,
            headers,
            body: body.as_bytes(),
        }
    }

    fn take(how: &str, headers: &[(String, String)], body: &str) -> Result<String, String> {
        how.parse::<Extraction>()?.extract(&answer(headers, body))
    }

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn values_come_from_the_body_headers_cookies_and_status() {
        let body = r#"{"token":"t-1","items":[{"id":42,"ok":true}],"a.b":{"c/d":"x"}}"#;
        let none = h(&[]);
        assert_eq!(take("json:/token", &none, body).unwrap(), "t-1");
        assert_eq!(take("json:/items/0/id", &none, body).unwrap(), "42");
        assert_eq!(take("json:$.items[0].id", &none, body).unwrap(), "42");
        assert_eq!(take("json:$.items[0].ok", &none, body).unwrap(), "true");
        assert_eq!(take("json:$['a.b']['c/d']", &none, body).unwrap(), "x");
        let headers = h(&[
            ("Location", "/flow/orders/7"),
            ("Set-Cookie", "theme=dark; Path=/"),
            ("set-cookie", "session=s1x00ff; Path=/; HttpOnly"),
        ]);
        assert_eq!(
            take("header:location", &headers, "").unwrap(),
            "/flow/orders/7"
        );
        assert_eq!(take("cookie:session", &headers, "").unwrap(), "s1x00ff");
        assert_eq!(
            take(r"regex:orders/(\d+)", &headers, "see orders/99 now").unwrap(),
            "99"
        );
        assert_eq!(take(r"regex:\d+", &headers, "id 5").unwrap(), "5");
        assert_eq!(take("status", &headers, "").unwrap(), "201");
    }

    #[test]
    fn a_missing_value_says_what_is_missing() {
        let none = h(&[]);
        let why = |how: &str, body: &str| take(how, &none, body).unwrap_err();
        assert!(why("json:/nope", "{}").contains("nothing at `/nope`"));
        assert!(why("json:/a", r#"{"a":null}"#).contains("null"));
        assert!(why("json:/a", r#"{"a":[1]}"#).contains("an array"));
        assert!(why("json:/a", "not json").contains("not JSON"));
        assert!(why("header:x-token", "").contains("no `x-token` header"));
        assert!(why("cookie:session", "").contains("no cookie `session`"));
        assert!(why(r"regex:id=(\d+)", "nothing").contains("does not match"));
        assert!(why("json:/a", r#"{"a":""}"#).contains("empty"));
    }

    #[test]
    fn an_extracted_line_break_is_never_sent_on() {
        let none = h(&[]);
        let e = take("json:/t", &none, r#"{"t":"abc\r\nX-Evil: 1"}"#).unwrap_err();
        assert!(e.contains("control character"), "{e}");
        let e = take(r"regex:t=(.*)", &none, "t=a\u{0}b").unwrap_err();
        assert!(e.contains("control character"), "{e}");
    }

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
