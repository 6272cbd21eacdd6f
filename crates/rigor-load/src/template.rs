//! Requests compiled once before the run: URL split into origin and target, `{variable}`
//! templates resolved against the CSV columns, and, when nothing varies, the whole HTTP/1.1
//! request rendered to bytes up front so the hot path only copies.

use std::path::Path;

use rigor_model::plan::{CheckSpec, Request, Scenario};

use crate::trace::{self, Tracer};
use crate::LoadError;

mod framing;
use framing::{check_data_values, check_literal};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    Http,
    Https,
}

/// Where requests go: one connection pool per origin.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    pub scheme: Scheme,
    /// Host name or IP address, without brackets.
    pub host: String,
    pub port: u16,
    /// `host:port` as written in the URL, for the Host header.
    pub authority: String,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scheme = match self.scheme {
            Scheme::Http => "http",
            Scheme::Https => "https",
        };
        write!(f, "{scheme}://{}", self.authority)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Literal(String),
    Column(usize),
    Seq,
    /// A value a journey's earlier step extracted, by its slot.
    Var(usize),
}

/// Text with `{variable}` holes; `{{` and `}}` stand for literal braces.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    segments: Vec<Segment>,
}

impl Template {
    /// Parses `text` against the data `columns`; a journey's steps also see the `variables`
    /// its steps extract (their slots are indices into that list).
    fn parse(text: &str, columns: &[String], variables: &[String]) -> Result<Template, String> {
        use rigor_model::plan::template::{pieces, Piece};
        let mut segments = Vec::new();
        for piece in pieces(text)? {
            segments.push(match piece {
                Piece::Literal(text) => Segment::Literal(text),
                Piece::Variable(name) if name == "seq" => Segment::Seq,
                Piece::Variable(name) => {
                    if let Some(i) = variables.iter().position(|v| *v == name) {
                        Segment::Var(i)
                    } else if let Some(i) = columns.iter().position(|c| *c == name) {
                        Segment::Column(i)
                    } else {
                        let mut known = if columns.is_empty() {
                            "no `data` CSV is set, so only {seq} is defined".to_string()
                        } else {
                            format!("the data columns are {}, and {{seq}}", columns.join(", "))
                        };
                        if !variables.is_empty() {
                            known.push_str(&format!(
                                "; the journey's steps extract {}",
                                variables.join(", ")
                            ));
                        }
                        return Err(unknown_variable(&name, columns, &known));
                    }
                }
            });
        }
        Ok(Template { segments })
    }

    /// The data columns the template substitutes.
    fn columns(&self) -> impl Iterator<Item = usize> + '_ {
        self.segments.iter().filter_map(|s| match s {
            Segment::Column(i) => Some(*i),
            _ => None,
        })
    }

    /// The literal text, for checks on what the user wrote.
    fn literals(&self) -> impl Iterator<Item = &str> + '_ {
        self.segments.iter().filter_map(|s| match s {
            Segment::Literal(text) => Some(text.as_str()),
            _ => None,
        })
    }

    pub fn is_constant(&self) -> bool {
        self.segments
            .iter()
            .all(|s| matches!(s, Segment::Literal(_)))
    }

    pub fn render(&self, seq: u64, data: &Data, out: &mut Vec<u8>) {
        self.render_with(seq, data, &[], out);
    }

    /// The slots of the journey's values the template uses.
    pub fn var_slots(&self) -> impl Iterator<Item = usize> + '_ {
        self.segments.iter().filter_map(|s| match s {
            Segment::Var(i) => Some(*i),
            _ => None,
        })
    }

    /// The slot of the journey's value the template starts with, if it starts with one.
    pub fn starts_with_var(&self) -> Option<usize> {
        match self.segments.first() {
            Some(Segment::Var(i)) => Some(*i),
            _ => None,
        }
    }

    /// Renders with a journey's extracted values, by slot. The engine never renders a step
    /// whose variables are not all set: the plan checks that earlier steps extract them, and
    /// a failed extraction ends the journey.
    pub fn render_with(&self, seq: u64, data: &Data, vars: &[String], out: &mut Vec<u8>) {
        for segment in &self.segments {
            match segment {
                Segment::Literal(text) => out.extend_from_slice(text.as_bytes()),
                Segment::Seq => {
                    use std::io::Write;
                    let _ = write!(out, "{seq}");
                }
                Segment::Column(i) => {
                    if let Some(row) = data.row(seq) {
                        out.extend_from_slice(row[*i].as_bytes());
                    }
                }
                Segment::Var(i) => {
                    if let Some(value) = vars.get(*i) {
                        out.extend_from_slice(value.as_bytes());
                    }
                }
            }
        }
    }

    pub fn render_string(&self, seq: u64, data: &Data, vars: &[String]) -> String {
        let mut out = Vec::new();
        self.render_with(seq, data, vars, &mut out);
        String::from_utf8_lossy(&out).into_owned()
    }
}

/// Why `{name}` is not a variable: a near column, or braces meant literally (a JSON body).
fn unknown_variable(name: &str, columns: &[String], known: &str) -> String {
    let mut candidates: Vec<&str> = columns.iter().map(String::as_str).collect();
    candidates.push("seq");
    let hint = if !name
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        "; braces meant as text are written `{{` and `}}` (a JSON body: `{{\"a\": 1}}`)".to_string()
    } else {
        rigor_model::plan::did_you_mean(name, &candidates)
            .map(|c| format!(" (did you mean `{{{c}}}`?)"))
            .unwrap_or_default()
    };
    format!("unknown variable `{{{name}}}`: {known}{hint}")
}

/// Variables from a CSV file: a header row names the columns, each arrival takes the next row.
#[derive(Debug, Clone, Default)]
pub struct Data {
    pub columns: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Data {
    pub fn load(path: &Path) -> Result<Data, LoadError> {
        let bad = |message: String| LoadError::Data {
            path: path.to_path_buf(),
            message,
        };
        let mut reader = csv::Reader::from_path(path).map_err(|e| bad(e.to_string()))?;
        let columns: Vec<String> = reader
            .headers()
            .map_err(|e| bad(e.to_string()))?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        let mut rows = Vec::new();
        for (i, record) in reader.records().enumerate() {
            let record = record.map_err(|e| bad(format!("row {}: {e}", i + 2)))?;
            rows.push(record.iter().map(str::to_string).collect());
        }
        if rows.is_empty() {
            return Err(bad("has a header but no rows".into()));
        }
        Ok(Data { columns, rows })
    }

    fn row(&self, seq: u64) -> Option<&Vec<String>> {
        if self.rows.is_empty() {
            return None;
        }
        self.rows.get((seq % self.rows.len() as u64) as usize)
    }
}

/// What fills in a request's templates for one send: its arrival's number and data row, and
/// in a journey the values its earlier steps extracted and the user's cookies.
#[derive(Debug, Clone, Copy)]
pub struct Fill<'a> {
    pub seq: u64,
    /// The number its `traceparent` is made from: the arrival's for an independent request,
    /// the send's within the journey for a step (each request its own span).
    pub trace: u64,
    pub data: &'a Data,
    /// A journey's extracted values, by slot; empty outside journeys.
    pub vars: &'a [String],
    /// The `Cookie` header's value from the journey's cookie jar, when it holds any.
    pub cookie: Option<&'a str>,
}

impl<'a> Fill<'a> {
    /// An independent request's fill: its number and data only.
    pub fn plain(seq: u64, data: &'a Data) -> Fill<'a> {
        Fill {
            seq,
            trace: seq,
            data,
            vars: &[],
            cookie: None,
        }
    }
}

/// A request ready for the hot path.
#[derive(Debug, Clone)]
pub struct CompiledRequest {
    pub name: String,
    pub origin: usize,
    pub method: String,
    pub target: Template,
    pub headers: Vec<(String, Template)>,
    pub body: Option<Template>,
    pub timeout: std::time::Duration,
    pub check: CheckSpec,
    pub is_head: bool,
    /// Whether sending it twice does what sending it once does (RFC 9110 §9.2.2), so a
    /// request lost to the keep-alive race may be sent again.
    pub idempotent: bool,
    /// The whole HTTP/1.1 request when nothing in it varies (but its `traceparent`).
    pub fixed: Option<Vec<u8>>,
    /// Where in `fixed` the `traceparent` value goes, when the scenario sends one.
    trace_at: Option<usize>,
    /// Whether the scenario sends a `traceparent` header on every request.
    traced: bool,
    /// Whether the request writes its own `Cookie` header (then a journey's jar is not sent).
    sets_cookie: bool,
    host_header: String,
}

impl CompiledRequest {
    /// Writes the HTTP/1.1 request for arrival `seq` into `out` (cleared first), with the
    /// `traceparent` of `tracer` when the scenario sends one.
    pub fn render_http1(&self, fill: &Fill<'_>, tracer: Option<&Tracer>, out: &mut Vec<u8>) {
        out.clear();
        if let Some(fixed) = self.fixed.as_ref().filter(|_| fill.cookie.is_none()) {
            out.extend_from_slice(fixed);
            if let (Some(at), Some(tracer)) = (self.trace_at, tracer) {
                tracer.write_value(fill.trace, &mut out[at..at + trace::VALUE_LEN]);
            }
            return;
        }
        self.render_http1_uncached(fill, tracer, out);
    }

    /// Whether the request's bytes are the same for every arrival: sent as they are.
    pub fn sends_fixed(&self) -> bool {
        self.fixed.is_some() && !self.traced
    }

    /// Renders the request; returns where its `traceparent` value is, if it has one.
    fn render_http1_uncached(
        &self,
        fill: &Fill<'_>,
        tracer: Option<&Tracer>,
        out: &mut Vec<u8>,
    ) -> Option<usize> {
        let Fill {
            seq,
            trace,
            data,
            vars,
            cookie,
        } = *fill;
        let mut trace_at = None;
        out.extend_from_slice(self.method.as_bytes());
        out.push(b' ');
        self.target.render_with(seq, data, vars, out);
        out.extend_from_slice(b" HTTP/1.1\r\n");
        let mut has_host = false;
        let mut has_agent = false;
        for (name, value) in &self.headers {
            has_host |= name.eq_ignore_ascii_case("host");
            has_agent |= name.eq_ignore_ascii_case("user-agent");
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            value.render_with(seq, data, vars, out);
            out.extend_from_slice(b"\r\n");
        }
        if let Some(cookie) = cookie.filter(|_| !self.sets_cookie) {
            out.extend_from_slice(b"Cookie: ");
            out.extend_from_slice(cookie.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        if let Some(tracer) = tracer.filter(|_| self.traced) {
            out.extend_from_slice(trace::HEADER_NAME);
            let at = out.len();
            out.resize(at + trace::VALUE_LEN, b'0');
            tracer.write_value(trace, &mut out[at..]);
            out.extend_from_slice(b"\r\n");
            trace_at = Some(at);
        }
        if !has_host {
            out.extend_from_slice(b"Host: ");
            out.extend_from_slice(self.host_header.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        if !has_agent {
            out.extend_from_slice(USER_AGENT.as_bytes());
        }
        match &self.body {
            Some(body) => {
                let mut rendered = Vec::new();
                body.render_with(seq, data, vars, &mut rendered);
                use std::io::Write;
                let _ = write!(out, "Content-Length: {}\r\n\r\n", rendered.len());
                out.extend_from_slice(&rendered);
            }
            None if matches!(self.method.as_str(), "POST" | "PUT" | "PATCH") => {
                out.extend_from_slice(b"Content-Length: 0\r\n\r\n");
            }
            None => out.extend_from_slice(b"\r\n"),
        }
        trace_at
    }

    /// The request as an `http::Request`, for HTTP/2.
    pub fn to_http(
        &self,
        origin: &Origin,
        fill: &Fill<'_>,
        tracer: Option<&Tracer>,
    ) -> Result<http::Request<bytes::Bytes>, String> {
        let Fill {
            seq,
            trace,
            data,
            vars,
            cookie,
        } = *fill;
        let uri = format!("{origin}{}", self.target.render_string(seq, data, vars));
        let mut builder = http::Request::builder()
            .method(self.method.as_str())
            .uri(uri)
            .version(http::Version::HTTP_2);
        for (name, value) in &self.headers {
            if name.eq_ignore_ascii_case("host") || name.eq_ignore_ascii_case("connection") {
                continue;
            }
            builder = builder.header(name.as_str(), value.render_string(seq, data, vars));
        }
        if let Some(cookie) = cookie.filter(|_| !self.sets_cookie) {
            builder = builder.header("cookie", cookie);
        }
        if let Some(tracer) = tracer.filter(|_| self.traced) {
            builder = builder.header("traceparent", tracer.value(trace));
        }
        builder = builder.header("user-agent", concat!("rigor/", env!("CARGO_PKG_VERSION")));
        let body = self
            .body
            .as_ref()
            .map(|b| bytes::Bytes::from(b.render_string(seq, data, vars)))
            .unwrap_or_default();
        builder.body(body).map_err(|e| e.to_string())
    }
}

const USER_AGENT: &str = concat!("User-Agent: rigor/", env!("CARGO_PKG_VERSION"), "\r\n");

/// Everything the workers need to build requests.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub origins: Vec<Origin>,
    pub requests: Vec<CompiledRequest>,
    pub data: Data,
    /// Request index for each slot of one weight cycle: weights [3, 1] give [0, 0, 0, 1].
    pub cycle: Vec<usize>,
    /// The run's trace ids, when its requests carry a `traceparent`.
    pub tracer: Option<Tracer>,
    /// The order the requests are walked in, when the scenario is a journey.
    pub journey: Option<crate::journey::CompiledJourney>,
    /// The log being replayed, when the scenario replays one.
    pub replay: Option<crate::replay::ReplayPlan>,
}

impl Compiled {
    pub fn new(scenario: &Scenario) -> Result<Compiled, LoadError> {
        Compiled::with_replay(scenario, None)
    }

    /// Compiles `scenario`, whose requests a replayed log's `replay` filled in (their URL's
    /// `{target}` is each arrival's logged target, in the plan's order).
    pub fn with_replay(
        scenario: &Scenario,
        replay: Option<crate::replay::ReplayPlan>,
    ) -> Result<Compiled, LoadError> {
        let data = match (&scenario.data, &replay) {
            (_, Some(plan)) => Data {
                columns: vec!["target".into()],
                rows: plan.targets.iter().map(|t| vec![t.clone()]).collect(),
            },
            (Some(path), None) => Data::load(path)?,
            (None, None) => Data::default(),
        };
        let mut origins: Vec<Origin> = Vec::new();
        let mut requests = Vec::new();
        let variables = scenario
            .journey
            .as_ref()
            .map_or(&[][..], |j| &j.variables[..]);
        if let Some(both) = variables.iter().find(|v| data.columns.contains(v)) {
            return Err(LoadError::Data {
                path: scenario.data.clone().unwrap_or_default(),
                message: format!(
                    "`{both}` is a column of the data and a variable a step extracts: `{{{both}}}` would mean either; rename one"
                ),
            });
        }
        for request in &scenario.requests {
            let compiled = compile_request(
                request,
                (&data.columns, variables),
                &mut origins,
                scenario.traceparent,
            )
            .map_err(|message| LoadError::Request {
                name: request.name.clone(),
                message,
            })?;
            requests.push(compiled);
        }
        let journey = scenario
            .journey
            .as_ref()
            .map(|j| crate::journey::CompiledJourney::new(j, &requests, &origins))
            .transpose()
            .map_err(|message| LoadError::Request {
                name: scenario.name.clone(),
                message,
            })?;
        for (request, compiled) in scenario.requests.iter().zip(&requests) {
            check_data_values(compiled, &data).map_err(|message| LoadError::Data {
                path: scenario.data.clone().unwrap_or_default(),
                message: format!("{message} (request `{}`)", request.name),
            })?;
        }
        let cycle = match &replay {
            Some(plan) => plan.cycle.clone(),
            None => weight_cycle(
                &scenario
                    .requests
                    .iter()
                    .map(|r| r.weight)
                    .collect::<Vec<_>>(),
            ),
        };
        Ok(Compiled {
            origins,
            requests,
            data,
            cycle,
            tracer: scenario.traceparent.then(Tracer::random),
            journey,
            replay,
        })
    }

    /// The request for arrival `seq`: deterministic, and exactly in proportion to the weights.
    pub fn pick(&self, seq: u64) -> usize {
        self.cycle[(seq % self.cycle.len() as u64) as usize]
    }
}

/// Interleaves requests by weight (smooth weighted round robin) so that any window of the
/// cycle is close to the weights, not all of request A then all of request B.
fn weight_cycle(weights: &[u32]) -> Vec<usize> {
    let divisor = weights.iter().copied().fold(0, gcd).max(1);
    let weights: Vec<i64> = weights.iter().map(|&w| (w / divisor) as i64).collect();
    let total: i64 = weights.iter().sum();
    let mut current = vec![0i64; weights.len()];
    let mut cycle = Vec::with_capacity(total as usize);
    for _ in 0..total {
        for (c, w) in current.iter_mut().zip(&weights) {
            *c += w;
        }
        let best = (0..current.len())
            .max_by_key(|&i| (current[i], std::cmp::Reverse(i)))
            .unwrap_or(0);
        current[best] -= total;
        cycle.push(best);
    }
    if cycle.is_empty() {
        cycle.push(0);
    }
    cycle
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// Splits `scheme://authority/target` and checks that the authority is fixed.
pub fn parse_origin(url: &str) -> Result<(Origin, &str), String> {
    let (scheme, rest) = if let Some(rest) = url.strip_prefix("http://") {
        (Scheme::Http, rest)
    } else if let Some(rest) = url.strip_prefix("https://") {
        (Scheme::Https, rest)
    } else {
        return Err(format!("`{url}` is not an http:// or https:// URL"));
    };
    // A variable right after the authority starts the target: `http://host:8080{location}`
    // sends a journey's extracted `Location` path to the same origin.
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let end = match rest[..end].find('{') {
        Some(brace) if brace > 0 => brace,
        _ => end,
    };
    let (authority, target) = rest.split_at(end);
    if authority.contains('{') {
        return Err(format!(
            "`{url}`: the host and port cannot contain variables (one connection pool per origin)"
        ));
    }
    if authority.contains('@') {
        return Err(format!(
            "`{url}`: credentials in URLs are not supported; send an Authorization header"
        ));
    }
    let default_port = match scheme {
        Scheme::Http => 80,
        Scheme::Https => 443,
    };
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6
            .split_once(']')
            .ok_or_else(|| format!("`{url}`: unclosed [ in IPv6 address"))?;
        let port = match after.strip_prefix(':') {
            Some(p) => p
                .parse()
                .map_err(|_| format!("`{url}`: `{p}` is not a port"))?,
            None if after.is_empty() => default_port,
            None => return Err(format!("`{url}`: unexpected `{after}` after the address")),
        };
        (host.to_string(), port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (
                h.to_string(),
                p.parse()
                    .map_err(|_| format!("`{url}`: `{p}` is not a port"))?,
            ),
            None => (authority.to_string(), default_port),
        }
    };
    if host.is_empty() {
        return Err(format!("`{url}` has no host"));
    }
    Ok((
        Origin {
            scheme,
            host,
            port,
            authority: authority.to_string(),
        },
        target,
    ))
}

fn compile_request(
    request: &Request,
    (columns, variables): (&[String], &[String]),
    origins: &mut Vec<Origin>,
    traced: bool,
) -> Result<CompiledRequest, String> {
    let (origin, target) = parse_origin(&request.url)?;
    let target = if target.is_empty() {
        "/".to_string()
    } else if target.starts_with('?') {
        format!("/{target}")
    } else {
        target.to_string()
    };
    if target.contains(' ') {
        return Err(format!(
            "`{}`: spaces in a URL must be written %20",
            request.url
        ));
    }
    let host_header = origin.authority.clone();
    let origin_index = match origins.iter().position(|o| *o == origin) {
        Some(i) => i,
        None => {
            origins.push(origin);
            origins.len() - 1
        }
    };
    if !request
        .method
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
        || request.method.is_empty()
    {
        return Err(format!(
            "`{}` is not an HTTP method (letters, digits and !#$%&'*+-.^_`|~ only)",
            request.method.escape_debug()
        ));
    }
    let target = Template::parse(&target, columns, variables)?;
    check_literal(&target, "the URL", true)?;
    let mut headers = Vec::new();
    for (name, value) in &request.headers {
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic() && b != b':') {
            return Err(format!("`{name}` is not a valid header name"));
        }
        if name.eq_ignore_ascii_case("content-length")
            || name.eq_ignore_ascii_case("transfer-encoding")
        {
            return Err(format!("the `{name}` header is set by rigor from the body"));
        }
        if traced && name.eq_ignore_ascii_case("traceparent") {
            return Err(format!(
                "the request sets its own `{name}` header and the scenario has `traceparent = true`, which writes one on every request: keep one of the two"
            ));
        }
        let value = Template::parse(value, columns, variables)?;
        check_literal(&value, &format!("the value of the header `{name}`"), false)?;
        headers.push((name.clone(), value));
    }
    let body = request
        .body
        .as_deref()
        .map(|b| Template::parse(b, columns, variables))
        .transpose()?;
    let mut compiled = CompiledRequest {
        name: request.name.clone(),
        origin: origin_index,
        method: request.method.clone(),
        target,
        headers,
        body,
        timeout: request.timeout,
        check: request.check.clone(),
        is_head: request.method == "HEAD",
        idempotent: matches!(
            request.method.as_str(),
            "GET" | "HEAD" | "PUT" | "DELETE" | "OPTIONS" | "TRACE"
        ),
        fixed: None,
        trace_at: None,
        traced,
        sets_cookie: request
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("cookie")),
        host_header,
    };
    let constant = compiled.target.is_constant()
        && compiled.headers.iter().all(|(_, v)| v.is_constant())
        && compiled.body.as_ref().is_none_or(Template::is_constant);
    if constant {
        let mut fixed = Vec::new();
        let placeholder = Tracer::with_seed(0);
        compiled.trace_at = compiled.render_http1_uncached(
            &Fill::plain(0, &Data::default()),
            Some(&placeholder),
            &mut fixed,
        );
        compiled.fixed = Some(fixed);
    }
    Ok(compiled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_parse_with_defaults_and_ipv6() {
        let (o, t) = parse_origin("http://127.0.0.1:8080/a?b=1").unwrap();
        assert_eq!((o.host.as_str(), o.port, t), ("127.0.0.1", 8080, "/a?b=1"));
        let (o, t) = parse_origin("https://localhost").unwrap();
        assert_eq!((o.scheme, o.port, t), (Scheme::Https, 443, ""));
        let (o, _) = parse_origin("http://[::1]:9/x").unwrap();
        assert_eq!(
            (o.host.as_str(), o.port, o.authority.as_str()),
            ("::1", 9, "[::1]:9")
        );
        assert!(parse_origin("ftp://x").is_err());
        assert!(parse_origin("http://{host}/")
            .unwrap_err()
            .contains("cannot contain variables"));
        assert!(parse_origin("http://h:port/")
            .unwrap_err()
            .contains("not a port"));
    }

    #[test]
    fn templates_substitute_columns_and_seq() {
        let columns = vec!["id".to_string(), "name".to_string()];
        let data = Data {
            columns: columns.clone(),
            rows: vec![vec!["7".into(), "a".into()], vec!["8".into(), "b".into()]],
        };
        let t = Template::parse("/p/{id}/{name}?n={seq}&x={{y}}", &columns, &[]).unwrap();
        assert_eq!(t.render_string(0, &data, &[]), "/p/7/a?n=0&x={y}");
        assert_eq!(t.render_string(3, &data, &[]), "/p/8/b?n=3&x={y}");
        let err = Template::parse("/{nope}", &columns, &[]).unwrap_err();
        assert!(err.contains("unknown variable `{nope}`"), "{err}");
        assert!(err.contains("id, name"), "{err}");
    }

    #[test]
    fn constant_requests_are_rendered_once() {
        let request = Request {
            name: "r".into(),
            method: "POST".into(),
            url: "http://127.0.0.1:1/x".into(),
            headers: vec![("X-A".into(), "1".into())],
            body: Some("hello".into()),
            weight: 1,
            timeout: std::time::Duration::from_secs(1),
            check: CheckSpec::default(),
        };
        let mut origins = Vec::new();
        let c = compile_request(&request, (&[], &[]), &mut origins, false).unwrap();
        let text = String::from_utf8(c.fixed.clone().unwrap()).unwrap();
        assert!(
            text.starts_with(
                "POST /x HTTP/1.1\r\nX-A: 1\r\nHost: 127.0.0.1:1\r\nUser-Agent: rigor/"
            ),
            "{text}"
        );
        assert!(text.ends_with("Content-Length: 5\r\n\r\nhello"), "{text}");
    }

    #[test]
    fn a_traced_request_gets_each_arrivals_traceparent_fixed_or_rendered() {
        let request = |url: &str| Request {
            name: "r".into(),
            method: "GET".into(),
            url: url.into(),
            headers: vec![("X-A".into(), "traceparent: not this one".into())],
            body: None,
            weight: 1,
            timeout: std::time::Duration::from_secs(1),
            check: CheckSpec::default(),
        };
        let tracer = Tracer::with_seed(11);
        let data = Data::default();
        for url in ["http://127.0.0.1:1/x", "http://127.0.0.1:1/x/{seq}"] {
            let c = compile_request(&request(url), (&[], &[]), &mut Vec::new(), true).unwrap();
            assert!(
                !c.sends_fixed(),
                "{url}: a traced request is never sent as it was rendered"
            );
            for seq in [0, 1, 99] {
                let mut out = Vec::new();
                c.render_http1(&Fill::plain(seq, &data), Some(&tracer), &mut out);
                let text = String::from_utf8(out).unwrap();
                let line = format!("\r\ntraceparent: {}\r\n", tracer.value(seq));
                assert!(text.contains(&line), "{url} seq {seq}: {text}");
                assert!(
                    text.contains("X-A: traceparent: not this one\r\n"),
                    "{text}"
                );
                assert_eq!(text.matches("\r\ntraceparent:").count(), 1, "{text}");
            }
        }
        // Untraced, the constant request goes out as rendered, without the header.
        let c = compile_request(
            &request("http://127.0.0.1:1/x"),
            (&[], &[]),
            &mut Vec::new(),
            false,
        )
        .unwrap();
        assert!(c.sends_fixed());
        let mut out = Vec::new();
        c.render_http1(&Fill::plain(5, &data), Some(&tracer), &mut out);
        assert!(!String::from_utf8(out).unwrap().contains("\r\ntraceparent:"));
    }

    #[test]
    fn weights_interleave_exactly() {
        assert_eq!(weight_cycle(&[3, 1]), [0, 0, 1, 0]);
        assert_eq!(weight_cycle(&[2, 2]), [0, 1]);
        assert_eq!(weight_cycle(&[1]), [0]);
        let cycle = weight_cycle(&[5, 3, 2]);
        assert_eq!(cycle.len(), 10);
        assert_eq!(cycle.iter().filter(|&&i| i == 1).count(), 3);
    }
}
