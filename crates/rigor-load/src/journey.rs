//! A journey compiled for the engine: what each step keeps of its response, the values it
//! takes out of it, and the state one walk carries from step to step (its variables and its
//! cookie jar). The walking itself is the worker's (`worker/journey.rs`).

use std::time::Duration;

use rigor_model::plan::{Extraction, Journey};

use crate::conn::{Captured, Keep, KeepHeaders, MAX_KEPT_BODY};
use crate::extract::{extract, Answer};
use crate::template::{CompiledRequest, Origin};

/// A journey ready for the hot path.
#[derive(Debug, Clone)]
pub struct CompiledJourney {
    pub steps: Vec<CompiledStep>,
    /// How many variables a walk carries.
    pub slots: usize,
    /// How the steps' URLs use each slot, so a value that would break a request line, or
    /// send a step to another origin, fails the step that took it instead.
    pub uses: Vec<SlotUse>,
    pub cookies: bool,
}

/// How a journey's URLs use one of its values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SlotUse {
    /// Some step's URL path or query holds it.
    pub in_url: bool,
    /// Some step's URL path starts with it, on this origin (`http://host:port`): the value
    /// must be a path there (a `Location` header's absolute URL of that origin is cut to it).
    pub starts_url: Option<String>,
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
    /// Compiles the plan's journey, whose steps are `requests` (to `origins`); its extractions
    /// were checked when the plan was read.
    pub fn new(
        journey: &Journey,
        requests: &[CompiledRequest],
        origins: &[Origin],
    ) -> Result<CompiledJourney, String> {
        let mut uses = vec![SlotUse::default(); journey.variables.len()];
        for request in requests {
            for slot in request.target.var_slots() {
                if let Some(u) = uses.get_mut(slot) {
                    u.in_url = true;
                }
            }
            if let Some(u) = request
                .target
                .starts_with_var()
                .and_then(|s| uses.get_mut(s))
            {
                let origin = origins.get(request.origin).map(ToString::to_string);
                if u.starts_url.is_some() && u.starts_url != origin {
                    return Err(format!(
                        "`{{{}}}` starts the URLs of steps on different origins: a value can be a path on one of them",
                        journey.variables[request.target.starts_with_var().unwrap_or(0)]
                    ));
                }
                u.starts_url = origin;
            }
        }
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
            uses,
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
        (journey, step): (&CompiledJourney, &CompiledStep),
        origin: usize,
        status: u16,
        captured: &Captured,
    ) -> Result<(), String> {
        if journey.cookies {
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
            let value = fit_for_url(value, journey.uses.get(*slot))
                .map_err(|why| format!("{variable}: {why}"))?;
            self.vars[*slot] = value;
        }
        Ok(())
    }
}

/// `value` as the URLs that use it can send it: a path on the origin of a URL that starts
/// with it (an absolute URL of that origin cut to its path), and nothing that would end or
/// break the request line (a space, a control character, a fragment).
fn fit_for_url(value: String, used: Option<&SlotUse>) -> Result<String, String> {
    let Some(used) = used else {
        return Ok(value);
    };
    let mut value = value;
    if let Some(origin) = &used.starts_url {
        let same = value.len() >= origin.len()
            && value.is_char_boundary(origin.len())
            && value[..origin.len()].eq_ignore_ascii_case(origin);
        if same {
            let path = &value[origin.len()..];
            value = if path.is_empty() {
                "/".into()
            } else {
                path.to_string()
            };
        }
        if !value.starts_with('/') {
            return Err(format!(
                "`{value}` is not a path on {origin}, where the next URL sends it: a journey sends only to the origins the plan names"
            ));
        }
    }
    if used.in_url {
        if let Some(c) = value
            .chars()
            .find(|c| c.is_whitespace() || c.is_control() || *c == '#')
        {
            return Err(format!(
                "`{}` holds {}, which a URL cannot carry as it is: the value is not sent",
                value.escape_debug(),
                match c {
                    '#' => "a fragment (`#`)".to_string(),
                    c if c.is_whitespace() => "a space".to_string(),
                    c => format!("a control character ({c:?})"),
                }
            ));
        }
    }
    Ok(value)
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
    fn a_value_a_url_uses_is_a_path_of_its_origin_and_nothing_that_breaks_the_line() {
        let starts = SlotUse {
            in_url: true,
            starts_url: Some("http://127.0.0.1:8080".into()),
        };
        let fit = |v: &str, u: &SlotUse| fit_for_url(v.to_string(), Some(u));
        assert_eq!(fit("/flow/orders/7", &starts).unwrap(), "/flow/orders/7");
        assert_eq!(
            fit("HTTP://127.0.0.1:8080/o/7?x=1", &starts).unwrap(),
            "/o/7?x=1"
        );
        assert_eq!(fit("http://127.0.0.1:8080", &starts).unwrap(), "/");
        assert!(fit("http://other.example/x", &starts)
            .unwrap_err()
            .contains("not a path on http://127.0.0.1:8080"));
        assert!(fit("orders/7", &starts).unwrap_err().contains("not a path"));
        let inside = SlotUse {
            in_url: true,
            starts_url: None,
        };
        assert!(fit("a b HTTP/1.0", &inside)
            .unwrap_err()
            .contains("a space"));
        assert!(fit("a#frag", &inside).unwrap_err().contains("fragment"));
        assert_eq!(fit("abc-1_2.%20", &inside).unwrap(), "abc-1_2.%20");
        // A value only a header uses may hold a space.
        assert_eq!(fit("a b", &SlotUse::default()).unwrap(), "a b");
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
