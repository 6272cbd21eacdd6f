//! Taking a value out of a response, for a journey's later steps (issue 20): a JSON pointer
//! into the body, a header, a cookie the response sets, a regular expression's group on the
//! body, or the status ([`Extraction`], parsed with the plan).
//!
//! A value that cannot be found fails the step with why; a value holding a line break or
//! another control character is refused, so an extracted value can never smuggle a header or
//! a request into what rigor sends.

pub use rigor_model::plan::Extraction;

/// What a response offers to extract from.
pub struct Answer<'a> {
    pub status: u16,
    /// Header names and values as received.
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
}

/// The value `how` names in `answer`, or why there is none.
pub fn extract(how: &Extraction, answer: &Answer<'_>) -> Result<String, String> {
    let value = match how {
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
        return Err(format!("{how} is empty in the response"));
    }
    if let Some(c) = value.chars().find(|c| c.is_control()) {
        return Err(format!(
            "{how} holds a control character ({c:?}): a journey never sends it on"
        ));
    }
    Ok(value)
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
        extract(&how.parse::<Extraction>()?, &answer(headers, body))
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
}
