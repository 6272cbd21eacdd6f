//! A journey compiled for the engine: what each step keeps of its response, the values it
//! takes out of it, and the state one walk carries from step to step (its variables and its
//! cookie jar). The walking itself is the worker's (`worker/journey.rs`).

use std::time::Duration;

use rigor_model::plan::{Extraction, Journey};

use crate::conn::{Captured, Keep, KeepHeaders, MAX_KEPT_BODY};
use crate::extract::{extract, Answer};

/// A journey ready for the hot path.
#[derive(Debug, Clone)]
pub struct CompiledJourney {
    pub steps: Vec<CompiledStep>,
    /// How many variables a walk carries.
    pub slots: usize,
    pub cookies: bool,
}

/// One step's work around its request (the request itself is the scenario's request of the
/// same index).
#[derive(Debug, Clone)]
pub struct CompiledStep {
    /// Each value to take, into its slot.
    pub extract: Vec<(usize, String, Extraction)>,
    pub think: Duration,
    pub repeat: u32,
    /// What of the response the step keeps: nothing more than it needs.
    pub keep: Keep,
}

impl CompiledJourney {
    /// Compiles the plan's journey; its extractions were checked when the plan was read.
    pub fn new(journey: &Journey) -> Result<CompiledJourney, String> {
        let mut steps = Vec::with_capacity(journey.steps.len());
        for step in &journey.steps {
            let extract = step
                .extract
                .iter()
                .map(|e| {
                    e.from
                        .parse::<Extraction>()
                        .map(|how| (e.slot, e.variable.clone(), how))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let headers = if extract.iter().any(|(_, _, how)| how.needs_headers()) {
                KeepHeaders::All
            } else if journey.cookies {
                KeepHeaders::SetCookie
            } else {
                KeepHeaders::None
            };
            let keep = Keep {
                headers,
                body: extract.iter().any(|(_, _, how)| how.needs_body()),
            };
            steps.push(CompiledStep {
                extract,
                think: step.think,
                repeat: step.repeat,
                keep,
            });
        }
        Ok(CompiledJourney {
            steps,
            slots: journey.variables.len(),
            cookies: journey.cookies,
        })
    }

    /// How many requests one whole walk sends.
    pub fn sends(&self) -> u64 {
        self.steps.iter().map(|s| u64::from(s.repeat)).sum()
    }
}

/// What one walk of a journey carries from step to step.
#[derive(Debug, Clone, Default)]
pub struct Walk {
    /// Extracted values by slot; a slot is filled before any step that uses it is sent.
    pub vars: Vec<String>,
    pub jar: Jar,
}

impl Walk {
    pub fn new(slots: usize) -> Walk {
        Walk {
            vars: vec![String::new(); slots],
            jar: Jar::default(),
        }
    }

    /// Takes what `step` asks of the response `captured` (status `status`, from origin
    /// `origin`) into the walk: its cookies, then its values. The error says which value
    /// could not be taken and why.
    pub fn take(
        &mut self,
        step: &CompiledStep,
        cookies: bool,
        origin: usize,
        status: u16,
        captured: &Captured,
    ) -> Result<(), String> {
        if cookies {
            self.jar.take_from(origin, &captured.headers);
        }
        let answer = Answer {
            status,
            headers: &captured.headers,
            body: &captured.body,
        };
        for (slot, variable, how) in &step.extract {
            if captured.body_cut && how.needs_body() {
                return Err(format!(
                    "{variable}: the body is longer than the {} MiB a step keeps to extract from",
                    MAX_KEPT_BODY >> 20
                ));
            }
            let value = extract(how, &answer).map_err(|why| format!("{variable}: {why}"))?;
            self.vars[*slot] = value;
        }
        Ok(())
    }
}

/// The cookies a journey's responses set, per origin, sent back as one `Cookie` header to the
/// origin that set them. Path, domain and expiry attributes are not followed, but for
/// `Max-Age=0` (or a negative one), which removes the cookie: a journey is one short visit.
#[derive(Debug, Clone, Default)]
pub struct Jar {
    cookies: Vec<(usize, String, String)>,
}

impl Jar {
    /// Takes the `Set-Cookie` headers among `headers`. A cookie whose name is not a token or
    /// whose value holds a control character, a space, `;` or `,` is not kept (it could not be
    /// sent back as written).
    pub fn take_from(&mut self, origin: usize, headers: &[(String, String)]) {
        for (name, value) in headers {
            if !name.eq_ignore_ascii_case("set-cookie") {
                continue;
            }
            let mut parts = value.split(';');
            let Some((cookie, cookie_value)) = parts.next().and_then(|p| p.split_once('=')) else {
                continue;
            };
            let (cookie, cookie_value) = (cookie.trim(), cookie_value.trim());
            let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
            let value_ok = |c: char| c.is_ascii_graphic() && !matches!(c, ';' | ',' | '\\');
            if cookie.is_empty()
                || !cookie.chars().all(token)
                || !cookie_value.chars().all(value_ok)
            {
                continue;
            }
            let removed = parts.any(|attribute| {
                attribute
                    .split_once('=')
                    .filter(|(k, _)| k.trim().eq_ignore_ascii_case("max-age"))
                    .and_then(|(_, v)| v.trim().parse::<i64>().ok())
                    .is_some_and(|age| age <= 0)
            });
            self.cookies
                .retain(|(o, n, _)| !(*o == origin && n == cookie));
            if !removed {
                self.cookies
                    .push((origin, cookie.to_string(), cookie_value.to_string()));
            }
        }
    }

    /// The `Cookie` header's value for `origin`, when the jar holds any of its cookies.
    pub fn header(&self, origin: usize) -> Option<String> {
        let mut out = String::new();
        for (_, name, value) in self.cookies.iter().filter(|(o, _, _)| *o == origin) {
            if !out.is_empty() {
                out.push_str("; ");
            }
            out.push_str(name);
            out.push('=');
            out.push_str(value);
        }
        (!out.is_empty()).then_some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(values: &[&str]) -> Vec<(String, String)> {
        values
            .iter()
            .map(|v| ("Set-Cookie".to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_jar_sends_back_what_each_origin_set() {
        let mut jar = Jar::default();
        jar.take_from(0, &set(&["session=s1; Path=/; HttpOnly", "theme=dark"]));
        jar.take_from(1, &set(&["other=x"]));
        assert_eq!(jar.header(0).as_deref(), Some("session=s1; theme=dark"));
        assert_eq!(jar.header(1).as_deref(), Some("other=x"));
        // A new value replaces the old; Max-Age=0 removes it.
        jar.take_from(0, &set(&["session=s2", "theme=; Max-Age=0"]));
        assert_eq!(jar.header(0).as_deref(), Some("session=s2"));
        jar.take_from(0, &set(&["session=gone; max-age=-1"]));
        assert_eq!(jar.header(0), None);
    }

    #[test]
    fn the_jar_never_keeps_what_it_could_not_send_as_written() {
        let mut jar = Jar::default();
        jar.take_from(
            0,
            &set(&[
                "a=1\r\nX-Evil: 1",
                "b=two words",
                "bad name=1",
                "c=ok;",
                "noequals",
            ]),
        );
        assert_eq!(jar.header(0).as_deref(), Some("c=ok"));
        jar.take_from(0, &[("X-Other".into(), "d=1".into())]);
        assert_eq!(jar.header(0).as_deref(), Some("c=ok"));
    }
}
