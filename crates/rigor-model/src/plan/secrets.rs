//! Headers whose values are credentials: which they are (a fixed list and the ones the user
//! marks), and the plan's text with their values masked, for what the store keeps.

use super::{Plan, Scenario};

/// Headers whose values are credentials in every run: never stored or printed as written.
pub const DEFAULT_SECRET_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
    "x-auth-token",
];

impl Scenario {
    /// Whether the header `name` carries a credential: one of [`DEFAULT_SECRET_HEADERS`] or
    /// one the user marked (`secret_headers`, `--secret-header`), in any letter case.
    pub fn is_secret_header(&self, name: &str) -> bool {
        is_secret(name, &self.secret_headers)
    }
}

/// Whether `name` is one of [`DEFAULT_SECRET_HEADERS`] or of `marked`, in any letter case.
fn is_secret<'a>(name: &str, marked: impl IntoIterator<Item = &'a String>) -> bool {
    DEFAULT_SECRET_HEADERS
        .iter()
        .any(|s| s.eq_ignore_ascii_case(name))
        || marked.into_iter().any(|s| s.eq_ignore_ascii_case(name))
}

/// What stands for a credential in what rigor stores and prints.
pub const REDACTED: &str = "<redacted>";

/// A credential's value as shown (the scheme of `Bearer abc` kept: it says what was sent,
/// not the secret) and the part that is secret.
pub fn redact_value(value: &str) -> (String, &str) {
    match value.split_once(' ') {
        Some((scheme, rest)) if !rest.is_empty() && !scheme.contains('=') => {
            (format!("{scheme} {REDACTED}"), rest)
        }
        _ => (REDACTED.to_string(), value),
    }
}

impl Plan {
    /// The plan's text with the value of every credential header of every scenario masked
    /// (`extra` names more, as `--secret-header` does): a run of one scenario stores the whole
    /// plan, so the other scenarios' secrets must not ride along.
    pub fn text_without_secrets(&self, extra: &[String]) -> String {
        let mut text = self.text.clone();
        for spec in &self.scenario {
            let marked = || {
                self.secret_headers
                    .iter()
                    .chain(&spec.secret_headers)
                    .chain(extra)
            };
            for request in &spec.request {
                for (name, value) in &request.headers {
                    let (_, secret) = redact_value(value);
                    // Very short values would mask unrelated text; they are masked where stored
                    // as the request's header all the same.
                    if is_secret(name, marked()) && secret.len() >= 3 {
                        text = text.replace(secret, REDACTED);
                    }
                }
            }
        }
        text
    }
}
