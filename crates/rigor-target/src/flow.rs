//! A small stateful flow, for journeys whose steps carry values from one response to the next
//! request: log in for a token (and a session cookie), create an order with the token, read
//! the order back by the id the create returned.
//!
//! | request | answer |
//! |---|---|
//! | `POST /flow/login` | 200 `{"token":"t…"}` and `Set-Cookie: session=s…` |
//! | `POST /flow/orders` with `Authorization: Bearer TOKEN` | 201 `{"id":N}` and `Location: /flow/orders/N`; 401 without a token it issued |
//! | `GET /flow/orders/N` with the token that created it | 200 `{"id":N}`; 401 without a token it issued, 404 for an order that is not that token's |
//! | `GET /flow/me` with the session cookie | 200 `{"session":"s…"}`; 401 without one it issued |
//!
//! Tokens and sessions carry their own check (a keyed hash of their number), so the server
//! keeps no table of them; orders' owners are kept for the last [`ORDERS_KEPT`] orders, so a
//! long run does not grow the demo target's memory without bound. `/stats` counts each
//! outcome, so a test can see that extracted values reached the requests that needed them.

use std::collections::VecDeque;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use http::header::{AUTHORIZATION, COOKIE};
use http::{HeaderMap, Method, StatusCode};

/// How many orders' owners are remembered.
pub const ORDERS_KEPT: usize = 1_000_000;

/// One of the flow's routes, as a request names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step<'a> {
    Login,
    Create,
    Read(&'a str),
    Me,
}

impl<'a> Step<'a> {
    /// The flow's step that `method` on `path` is, if any.
    pub(crate) fn of(method: &Method, path: &'a str) -> Option<Step<'a>> {
        let rest = path.strip_prefix("/flow/")?;
        match (method, rest) {
            (&Method::POST, "login") => Some(Step::Login),
            (&Method::POST, "orders") => Some(Step::Create),
            (&Method::GET, "me") => Some(Step::Me),
            (&Method::GET, _) => rest.strip_prefix("orders/").map(Step::Read),
            _ => None,
        }
    }
}

/// What the flow answers: a status, a JSON body, and headers to set.
pub(crate) struct Reply {
    pub status: StatusCode,
    pub body: String,
    pub headers: Vec<(&'static str, String)>,
}

#[derive(Default)]
struct Counts {
    logins: AtomicU64,
    created: AtomicU64,
    read: AtomicU64,
    sessions: AtomicU64,
    unauthorized: AtomicU64,
    missing: AtomicU64,
}

pub(crate) struct Flow {
    key: u64,
    next: AtomicU64,
    /// (order, the token number that created it), oldest first.
    owners: Mutex<VecDeque<(u64, u64)>>,
    counts: Counts,
}

impl Flow {
    pub(crate) fn new() -> Flow {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(0x666c_6f77);
        Flow {
            key: h.finish(),
            next: AtomicU64::new(1),
            owners: Mutex::new(VecDeque::new()),
            counts: Counts::default(),
        }
    }

    fn check(&self, kind: u8, n: u64) -> u64 {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        h.write_u64(self.key);
        h.write_u8(kind);
        h.write_u64(n);
        h.finish() & 0xffff_ffff
    }

    fn issue(&self, kind: u8, n: u64) -> String {
        format!("{}{n}x{:08x}", kind as char, self.check(kind, n))
    }

    /// The number of a token (`t…`) or session (`s…`) this server issued.
    fn number(&self, kind: u8, text: &str) -> Option<u64> {
        let rest = text.strip_prefix(kind as char)?;
        let (n, check) = rest.split_once('x')?;
        let n: u64 = n.parse().ok()?;
        (u64::from_str_radix(check, 16).ok()? == self.check(kind, n)).then_some(n)
    }

    fn bearer(&self, headers: &HeaderMap) -> Option<u64> {
        let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
        self.number(b't', value.strip_prefix("Bearer ")?.trim())
    }

    fn session(&self, headers: &HeaderMap) -> Option<u64> {
        headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().strip_prefix("session="))
            .find_map(|s| self.number(b's', s))
    }

    pub(crate) fn answer(&self, step: Step<'_>, headers: &HeaderMap) -> Reply {
        let reply = |status, body: String| Reply {
            status,
            body,
            headers: Vec::new(),
        };
        let unauthorized = || {
            self.counts.unauthorized.fetch_add(1, Ordering::Relaxed);
            reply(
                StatusCode::UNAUTHORIZED,
                "{\"error\":\"no token this server issued\"}\n".into(),
            )
        };
        match step {
            Step::Login => {
                let n = self.next.fetch_add(1, Ordering::Relaxed);
                self.counts.logins.fetch_add(1, Ordering::Relaxed);
                let mut r = reply(
                    StatusCode::OK,
                    format!("{{\"token\":\"{}\"}}\n", self.issue(b't', n)),
                );
                r.headers.push((
                    "set-cookie",
                    format!("session={}; Path=/; HttpOnly", self.issue(b's', n)),
                ));
                r
            }
            Step::Create => {
                let Some(owner) = self.bearer(headers) else {
                    return unauthorized();
                };
                // The id is taken under the lock, so the deque stays sorted by id whatever
                // the number of threads creating orders at once.
                let id = {
                    let mut owners = self.owners.lock().unwrap_or_else(|e| e.into_inner());
                    let id = self.next.fetch_add(1, Ordering::Relaxed);
                    if owners.len() == ORDERS_KEPT {
                        owners.pop_front();
                    }
                    owners.push_back((id, owner));
                    id
                };
                self.counts.created.fetch_add(1, Ordering::Relaxed);
                let mut r = reply(StatusCode::CREATED, format!("{{\"id\":{id}}}\n"));
                r.headers.push(("location", format!("/flow/orders/{id}")));
                r
            }
            Step::Read(id) => {
                let Some(owner) = self.bearer(headers) else {
                    return unauthorized();
                };
                let found = id.parse::<u64>().ok().filter(|id| {
                    let owners = self.owners.lock().unwrap_or_else(|e| e.into_inner());
                    // Ids only grow, so the deque is sorted by them.
                    owners
                        .binary_search_by_key(id, |&(order, _)| order)
                        .is_ok_and(|at| owners[at].1 == owner)
                });
                match found {
                    Some(id) => {
                        self.counts.read.fetch_add(1, Ordering::Relaxed);
                        reply(StatusCode::OK, format!("{{\"id\":{id}}}\n"))
                    }
                    None => {
                        self.counts.missing.fetch_add(1, Ordering::Relaxed);
                        reply(
                            StatusCode::NOT_FOUND,
                            "{\"error\":\"no such order of this token\"}\n".into(),
                        )
                    }
                }
            }
            Step::Me => match self.session(headers) {
                Some(n) => {
                    self.counts.sessions.fetch_add(1, Ordering::Relaxed);
                    reply(
                        StatusCode::OK,
                        format!("{{\"session\":\"{}\"}}\n", self.issue(b's', n)),
                    )
                }
                None => unauthorized(),
            },
        }
    }

    /// The counts, as the `flow` member of `/stats`.
    pub(crate) fn stats_json(&self) -> String {
        let c = &self.counts;
        let n = |a: &AtomicU64| a.load(Ordering::Relaxed);
        format!(
            "{{\"logins\":{},\"created\":{},\"read\":{},\"sessions\":{},\"unauthorized\":{},\"missing\":{}}}",
            n(&c.logins),
            n(&c.created),
            n(&c.read),
            n(&c.sessions),
            n(&c.unauthorized),
            n(&c.missing)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.append(*name, value.parse().unwrap());
        }
        h
    }

    fn token_of(reply: &Reply) -> String {
        reply.body.split('"').nth(3).unwrap().to_string()
    }

    #[test]
    fn a_token_creates_orders_only_it_reads_back() {
        let flow = Flow::new();
        let none = HeaderMap::new();
        let a = token_of(&flow.answer(Step::Login, &none));
        let b = token_of(&flow.answer(Step::Login, &none));
        let auth = |t: &str| headers(&[("authorization", &format!("Bearer {t}"))]);
        let created = flow.answer(Step::Create, &auth(&a));
        assert_eq!(created.status, StatusCode::CREATED);
        let id = created
            .body
            .trim()
            .trim_start_matches("{\"id\":")
            .trim_end_matches('}');
        assert_eq!(
            flow.answer(Step::Read(id), &auth(&a)).status,
            StatusCode::OK
        );
        assert_eq!(
            flow.answer(Step::Read(id), &auth(&b)).status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            flow.answer(Step::Read("999"), &auth(&a)).status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            flow.answer(Step::Create, &none).status,
            StatusCode::UNAUTHORIZED
        );
        // A token it did not issue, or one altered, is refused.
        let forged = a.replace('1', "2");
        assert_eq!(
            flow.answer(Step::Create, &auth(&forged)).status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            flow.answer(Step::Create, &auth("")).status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            flow.stats_json(),
            "{\"logins\":2,\"created\":1,\"read\":1,\"sessions\":0,\"unauthorized\":3,\"missing\":2}"
        );
    }

    #[test]
    fn the_session_cookie_of_a_login_is_known_by_me() {
        let flow = Flow::new();
        let login = flow.answer(Step::Login, &HeaderMap::new());
        let cookie = login.headers[0].1.split(';').next().unwrap().to_string();
        let me = flow.answer(
            Step::Me,
            &headers(&[("cookie", &format!("theme=dark; {cookie}"))]),
        );
        assert_eq!(me.status, StatusCode::OK);
        assert_eq!(
            flow.answer(Step::Me, &HeaderMap::new()).status,
            StatusCode::UNAUTHORIZED
        );
    }

    #[test]
    fn only_the_flows_methods_and_paths_are_its() {
        assert_eq!(Step::of(&Method::POST, "/flow/login"), Some(Step::Login));
        assert_eq!(
            Step::of(&Method::GET, "/flow/orders/7"),
            Some(Step::Read("7"))
        );
        assert_eq!(Step::of(&Method::GET, "/flow/login"), None);
        assert_eq!(Step::of(&Method::POST, "/login"), None);
    }
}
