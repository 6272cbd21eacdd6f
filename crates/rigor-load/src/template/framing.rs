//! What may not reach the wire: bytes that would change a request's framing (a line break in
//! a header would end it and start another; one request would become two). Checked in what
//! the user wrote and in every data value that fills in the URL or a header, before a run.

use super::{CompiledRequest, Data, Template};

/// Where a byte would change the request's framing rather than its content: in the request
/// line and headers, CR and LF end a line (a header or a whole request could be smuggled in),
/// and other control bytes are not allowed by HTTP at all. A tab is allowed in header values.
fn framing_byte(b: u8, in_target: bool) -> Option<&'static str> {
    match b {
        b'\r' | b'\n' => Some("a line break (CR or LF)"),
        b'\t' if !in_target => None,
        0..=0x1f | 0x7f => Some("a control character"),
        b' ' if in_target => Some("a space (write %20)"),
        _ => None,
    }
}

/// Refuses literal text that would break the request's framing.
pub(super) fn check_literal(
    template: &Template,
    place: &str,
    in_target: bool,
) -> Result<(), String> {
    for text in template.literals() {
        if let Some(what) = text.bytes().find_map(|b| framing_byte(b, in_target)) {
            return Err(format!("{place} contains {what}: rigor sends only what you wrote, and this would change the request's framing"));
        }
    }
    Ok(())
}

/// Refuses data values that would break the framing of the URL or a header they fill in,
/// naming the row (as the file counts them, the header being row 1) and the column.
pub(super) fn check_data_values(request: &CompiledRequest, data: &Data) -> Result<(), String> {
    let mut places: Vec<(usize, String, bool)> = request
        .target
        .columns()
        .map(|c| (c, "the URL".to_string(), true))
        .collect();
    for (name, value) in &request.headers {
        places.extend(
            value
                .columns()
                .map(|c| (c, format!("the header `{name}`"), false)),
        );
    }
    for (row_index, row) in data.rows.iter().enumerate() {
        for (column, place, in_target) in &places {
            let value = &row[*column];
            if let Some(what) = value.bytes().find_map(|b| framing_byte(b, *in_target)) {
                return Err(format!(
                    "row {}, column `{}`: the value contains {what}, and it fills in {place}, where it would change the request's framing; rigor sends only what you wrote, so fix the value",
                    row_index + 2,
                    data.columns[*column]
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::compile_request;
    use super::*;
    use rigor_model::plan::{CheckSpec, Request};

    #[test]
    fn line_breaks_and_control_bytes_never_reach_the_wire() {
        let request = |url: &str, header: &str| Request {
            name: "r".into(),
            method: "GET".into(),
            url: url.into(),
            headers: vec![("X-A".into(), header.into())],
            body: Some("a body may hold\r\nanything".into()),
            weight: 1,
            timeout: std::time::Duration::from_secs(1),
            check: CheckSpec::default(),
        };
        let compile = |r: &Request, columns: &[String]| {
            compile_request(r, (columns, &[]), &mut Vec::new(), false)
        };
        let err = compile(&request("http://h/x", "1\r\nX-Injected: 1"), &[]).unwrap_err();
        assert!(err.contains("header `X-A` contains a line break"), "{err}");
        let err = compile(&request("http://h/x\n/y", "1"), &[]).unwrap_err();
        assert!(err.contains("URL contains a line break"), "{err}");
        let err = compile(&request("http://h/x", "a\u{0}b"), &[]).unwrap_err();
        assert!(err.contains("control character"), "{err}");
        assert!(compile(&request("http://h/x", "tab\tok"), &[]).is_ok());
        let mut bad_method = request("http://h/x", "1");
        bad_method.method = "GET /evil HTTP/1.1\r\n".into();
        assert!(compile(&bad_method, &[])
            .unwrap_err()
            .contains("not an HTTP method"));

        // Data values are checked where they are used, with their row and column.
        let columns = vec!["id".to_string(), "note".to_string()];
        let data = Data {
            columns: columns.clone(),
            rows: vec![
                vec!["1".into(), "fine".into()],
                vec!["2\r\nX-Evil: 1".into(), "fine".into()],
            ],
        };
        let c = compile(&request("http://h/p/{note}", "{id}"), &columns).unwrap();
        let err = check_data_values(&c, &data).unwrap_err();
        assert!(err.starts_with("row 3, column `id`"), "{err}");
        assert!(err.contains("header `X-A`"), "{err}");
        let spaced = Data {
            columns: columns.clone(),
            rows: vec![vec!["1".into(), "two words".into()]],
        };
        let err = check_data_values(&c, &spaced).unwrap_err();
        assert!(
            err.contains("space (write %20)") && err.contains("the URL"),
            "{err}"
        );
        // A column used only in the body may hold anything.
        let mut in_body = request("http://h/x", "1");
        in_body.body = Some("{note}".into());
        let c = compile(&in_body, &columns).unwrap();
        assert!(check_data_values(&c, &spaced).is_ok());
    }
}
