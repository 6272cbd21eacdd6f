//! Connections: TCP or TLS streams, opened per origin, speaking HTTP/1.1 (a small client on
//! `httparse`, so the hot path is a write of pre-rendered bytes and one parse) or HTTP/2
//! (hyper's client, which multiplexes streams on one connection).

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;

use crate::recorder::ErrorKind;
use crate::template::Origin;

/// A TCP stream, plain or wrapped in TLS.
pub enum Stream {
    Tcp(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// What a connection needs to reach one origin.
pub struct Endpoint {
    pub origin: Origin,
    pub addr: SocketAddr,
    pub tls: Option<(
        Arc<rustls::ClientConfig>,
        rustls::pki_types::ServerName<'static>,
    )>,
    pub connect_timeout: Duration,
}

impl Endpoint {
    /// Opens a connection: TCP, then TLS for `https`, each within the connect timeout, and
    /// says how long each took.
    pub async fn connect(&self) -> Result<(Stream, Opened), ErrorKind> {
        let began = std::time::Instant::now();
        let tcp =
            match tokio::time::timeout(self.connect_timeout, TcpStream::connect(self.addr)).await {
                Err(_) => return Err(ErrorKind::ConnectTimeout),
                Ok(Err(e)) => return Err(ErrorKind::from_connect(&e)),
                Ok(Ok(tcp)) => tcp,
            };
        let connected = std::time::Instant::now();
        let connect_ns = nanos(connected - began);
        let _ = tcp.set_nodelay(true);
        match &self.tls {
            None => Ok((
                Stream::Tcp(tcp),
                Opened {
                    connect_ns,
                    tls_ns: None,
                },
            )),
            Some((config, name)) => {
                let connector = tokio_rustls::TlsConnector::from(config.clone());
                match tokio::time::timeout(
                    self.connect_timeout,
                    connector.connect(name.clone(), tcp),
                )
                .await
                {
                    Err(_) => Err(ErrorKind::ConnectTimeout),
                    Ok(Err(_)) => Err(ErrorKind::Tls),
                    Ok(Ok(tls)) => Ok((
                        Stream::Tls(Box::new(tls)),
                        Opened {
                            connect_ns,
                            tls_ns: Some(nanos(connected.elapsed())),
                        },
                    )),
                }
            }
        }
    }

    /// Whether TLS negotiated h2 (ALPN) on this stream.
    pub fn negotiated_h2(stream: &Stream) -> bool {
        match stream {
            Stream::Tcp(_) => false,
            Stream::Tls(s) => s.get_ref().1.alpn_protocol() == Some(b"h2"),
        }
    }
}

/// How long opening a connection took: the TCP connect, and the TLS handshake after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opened {
    pub connect_ns: u64,
    pub tls_ns: Option<u64>,
}

fn nanos(d: Duration) -> u64 {
    d.as_nanos().min(u128::from(u64::MAX)) as u64
}

/// The parts of a response the engine judges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    /// Whether the body contained the checked text (true when nothing was checked).
    pub body_ok: bool,
    /// When the first byte of its final response arrived (HTTP/1.1: an interim 1xx is not
    /// it), or its head (HTTP/2).
    pub first_byte: std::time::Instant,
    /// When it went out, where that is later than the exchange began: over HTTP/2, once a
    /// stream was free (the wait for one is the client's, not the server's).
    pub sent: Option<std::time::Instant>,
}

/// What of a response a journey's step keeps, to take values and cookies from; nothing for
/// independent requests, whose responses are judged and dropped as they stream in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Keep {
    pub headers: KeepHeaders,
    pub body: bool,
}

impl Keep {
    pub const NOTHING: Keep = Keep {
        headers: KeepHeaders::None,
        body: false,
    };
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum KeepHeaders {
    #[default]
    None,
    /// Only `Set-Cookie`, for the journey's cookie jar.
    SetCookie,
    All,
}

/// The most body a step keeps for extraction; a longer body fails the extraction with why.
pub const MAX_KEPT_BODY: usize = 8 << 20;

/// What a step kept of its response.
#[derive(Debug, Clone, Default)]
pub struct Captured {
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Whether the body was longer than [`MAX_KEPT_BODY`] (what is kept is its start).
    pub body_cut: bool,
}

impl Captured {
    fn clear(&mut self) {
        self.headers.clear();
        self.body.clear();
        self.body_cut = false;
    }

    fn keep_header(&mut self, keep: Keep, name: &str, value: &[u8]) {
        let wanted = match keep.headers {
            KeepHeaders::None => false,
            KeepHeaders::SetCookie => name.eq_ignore_ascii_case("set-cookie"),
            KeepHeaders::All => true,
        };
        if wanted {
            self.headers.push((
                name.to_string(),
                String::from_utf8_lossy(value).into_owned(),
            ));
        }
    }

    fn keep_body(&mut self, keep: Keep, chunk: &[u8]) {
        if !keep.body {
            return;
        }
        let room = MAX_KEPT_BODY.saturating_sub(self.body.len());
        if chunk.len() > room {
            self.body_cut = true;
        }
        self.body.extend_from_slice(&chunk[..chunk.len().min(room)]);
    }
}

/// An HTTP/1.1 keep-alive connection.
pub struct Http1 {
    stream: Stream,
    /// The request being sent, when it has to be rendered (templates with variables).
    out: Vec<u8>,
    buf: Vec<u8>,
    /// Bytes of `buf` holding data not yet consumed: `buf[start..end]`.
    start: usize,
    end: usize,
    /// False once the server said `Connection: close` or the framing ran to EOF.
    pub reusable: bool,
    /// Responses read whole on this connection.
    served: u64,
    /// When the first byte of the current exchange's response arrived, if one has.
    first_byte: Option<std::time::Instant>,
    /// When the connection last finished an exchange (or opened).
    pub idle_since: std::time::Instant,
    /// What the current exchange keeps of its response, and what it kept.
    keep: Keep,
    pub captured: Captured,
}

const READ_CHUNK: usize = 16 * 1024;
const MAX_HEADER_BYTES: usize = 64 * 1024;

impl Http1 {
    pub fn new(stream: Stream) -> Http1 {
        Http1 {
            stream,
            out: Vec::new(),
            buf: vec![0; READ_CHUNK],
            start: 0,
            end: 0,
            reusable: true,
            served: 0,
            first_byte: None,
            idle_since: std::time::Instant::now(),
            keep: Keep::NOTHING,
            captured: Captured::default(),
        }
    }

    /// Whether the server closed this idle connection (or sent something unasked, which
    /// leaves it as unusable): its socket reads as ready while no request is outstanding.
    /// No system call when the event loop has seen no event on the socket since it was
    /// last drained.
    pub fn closed_while_idle(&self) -> bool {
        let tcp = match &self.stream {
            Stream::Tcp(s) => s,
            Stream::Tls(s) => s.get_ref().0,
        };
        let mut byte = [0u8; 1];
        let mut buf = ReadBuf::new(&mut byte);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        tcp.poll_peek(&mut cx, &mut buf).is_ready()
    }

    /// Whether `error` is the keep-alive race: the server closed a connection it had served
    /// on while this request was on its way, so not one byte of a response came back. The
    /// request may not have reached the server's application at all.
    pub fn lost_to_close_race(&self, error: ErrorKind) -> bool {
        self.served > 0
            && self.first_byte.is_none()
            && matches!(error, ErrorKind::Closed | ErrorKind::Reset)
    }

    /// Reads more bytes into the buffer; `Ok(0)` is EOF.
    async fn fill(&mut self) -> Result<usize, ErrorKind> {
        if self.start > 0 && self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
        if self.end == self.buf.len() {
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            } else {
                self.buf.resize(self.buf.len() * 2, 0);
            }
        }
        let n = self
            .stream
            .read(&mut self.buf[self.end..])
            .await
            .map_err(|e| ErrorKind::from_io(&e))?;
        self.end += n;
        if n > 0 && self.first_byte.is_none() {
            self.first_byte = Some(std::time::Instant::now());
        }
        Ok(n)
    }

    /// What the next exchanges keep of their responses, in [`captured`](Http1::captured).
    pub fn keep(&mut self, keep: Keep) {
        self.keep = keep;
    }

    /// Sends `request` and reads the whole response. `needle` is text the body must contain.
    pub async fn exchange(
        &mut self,
        request: &[u8],
        is_head: bool,
        needle: Option<&[u8]>,
    ) -> Result<Response, ErrorKind> {
        self.first_byte = None;
        self.stream
            .write_all(request)
            .await
            .map_err(|e| ErrorKind::from_io(&e))?;
        self.read_response(is_head, needle).await
    }

    /// Like [`exchange`](Http1::exchange), for a request that `render` writes into this
    /// connection's own buffer (reused from request to request, never shared).
    pub async fn exchange_rendered(
        &mut self,
        render: impl FnOnce(&mut Vec<u8>),
        is_head: bool,
        needle: Option<&[u8]>,
    ) -> Result<Response, ErrorKind> {
        render(&mut self.out);
        self.first_byte = None;
        self.stream
            .write_all(&self.out)
            .await
            .map_err(|e| ErrorKind::from_io(&e))?;
        self.read_response(is_head, needle).await
    }

    async fn read_response(
        &mut self,
        is_head: bool,
        needle: Option<&[u8]>,
    ) -> Result<Response, ErrorKind> {
        loop {
            if self.keep != Keep::NOTHING {
                // An interim response's headers are not the final one's.
                self.captured.clear();
            }
            let (status, framing, close) = self.read_head(is_head).await?;
            if (100..200).contains(&status) && status != 101 {
                // 100 Continue and friends precede the real response, whose first byte is
                // the one that counts: already here if it came with the interim one.
                self.first_byte = (self.start < self.end).then(std::time::Instant::now);
                continue;
            }
            if close {
                self.reusable = false;
            }
            let body_ok = self.read_body(framing, needle).await?;
            self.served += 1;
            // A response read from bytes that came with the previous one's (pipelined, or
            // sent unasked) arrived no later than now.
            let first_byte = self.first_byte.unwrap_or_else(std::time::Instant::now);
            return Ok(Response {
                status,
                body_ok,
                first_byte,
                sent: None,
            });
        }
    }

    async fn read_head(&mut self, is_head: bool) -> Result<(u16, Framing, bool), ErrorKind> {
        loop {
            let mut headers = [httparse::EMPTY_HEADER; 64];
            let mut response = httparse::Response::new(&mut headers);
            match response.parse(&self.buf[self.start..self.end]) {
                Ok(httparse::Status::Complete(len)) => {
                    let status = response.code.unwrap_or(0);
                    let http10 = response.version == Some(0);
                    let mut length = None;
                    let mut chunked = false;
                    let mut close = http10;
                    for h in response.headers.iter() {
                        if self.keep.headers != KeepHeaders::None {
                            self.captured.keep_header(self.keep, h.name, h.value);
                        }
                        if h.name.eq_ignore_ascii_case("content-length") {
                            length = std::str::from_utf8(h.value)
                                .ok()
                                .and_then(|v| v.trim().parse::<u64>().ok());
                            if length.is_none() {
                                return Err(ErrorKind::Protocol);
                            }
                        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
                            chunked = h
                                .value
                                .windows(7)
                                .any(|w| w.eq_ignore_ascii_case(b"chunked"));
                        } else if h.name.eq_ignore_ascii_case("connection") {
                            if h.value.windows(5).any(|w| w.eq_ignore_ascii_case(b"close")) {
                                close = true;
                            } else if h
                                .value
                                .windows(10)
                                .any(|w| w.eq_ignore_ascii_case(b"keep-alive"))
                            {
                                close = false;
                            }
                        }
                    }
                    self.start += len;
                    let framing = if is_head
                        || status == 204
                        || status == 304
                        || (100..200).contains(&status)
                    {
                        Framing::Length(0)
                    } else if chunked {
                        Framing::Chunked
                    } else if let Some(n) = length {
                        Framing::Length(n)
                    } else {
                        Framing::UntilClose
                    };
                    return Ok((status, framing, close || framing == Framing::UntilClose));
                }
                Ok(httparse::Status::Partial) => {
                    if self.end - self.start > MAX_HEADER_BYTES {
                        return Err(ErrorKind::Protocol);
                    }
                    if self.fill().await? == 0 {
                        return Err(if self.end == self.start {
                            ErrorKind::Closed
                        } else {
                            ErrorKind::Protocol
                        });
                    }
                }
                Err(_) => return Err(ErrorKind::Protocol),
            }
        }
    }

    async fn read_body(
        &mut self,
        framing: Framing,
        needle: Option<&[u8]>,
    ) -> Result<bool, ErrorKind> {
        let mut matcher = needle.map(BodyMatcher::new);
        match framing {
            Framing::Length(n) => self.consume(n, &mut matcher).await?,
            Framing::UntilClose => {
                loop {
                    self.take(usize::MAX, &mut matcher);
                    if self.fill().await? == 0 {
                        break;
                    }
                }
                self.reusable = false;
            }
            Framing::Chunked => loop {
                let line = self.read_line().await?;
                let size_text = line.split(';').next().unwrap_or("").trim().to_string();
                let size = u64::from_str_radix(&size_text, 16).map_err(|_| ErrorKind::Protocol)?;
                if size == 0 {
                    // Trailers end with an empty line.
                    while !self.read_line().await?.is_empty() {}
                    break;
                }
                self.consume(size, &mut matcher).await?;
                if !self.read_line().await?.is_empty() {
                    return Err(ErrorKind::Protocol);
                }
            },
        }
        Ok(matcher.is_none_or(|m| m.found))
    }

    /// Consumes exactly `n` body bytes, reading as needed.
    async fn consume(
        &mut self,
        mut n: u64,
        matcher: &mut Option<BodyMatcher<'_>>,
    ) -> Result<(), ErrorKind> {
        while n > 0 {
            if self.start == self.end && self.fill().await? == 0 {
                return Err(ErrorKind::Closed);
            }
            n -= self.take(n.min(usize::MAX as u64) as usize, matcher) as u64;
        }
        Ok(())
    }

    /// Takes up to `max` buffered bytes as body; returns how many.
    fn take(&mut self, max: usize, matcher: &mut Option<BodyMatcher<'_>>) -> usize {
        let n = (self.end - self.start).min(max);
        if let Some(m) = matcher {
            m.feed(&self.buf[self.start..self.start + n]);
        }
        if self.keep.body {
            self.captured
                .keep_body(self.keep, &self.buf[self.start..self.start + n]);
        }
        self.start += n;
        n
    }

    async fn read_line(&mut self) -> Result<String, ErrorKind> {
        loop {
            if let Some(i) = self.buf[self.start..self.end]
                .windows(2)
                .position(|w| w == b"\r\n")
            {
                let line =
                    String::from_utf8_lossy(&self.buf[self.start..self.start + i]).into_owned();
                self.start += i + 2;
                return Ok(line);
            }
            if self.end - self.start > MAX_HEADER_BYTES {
                return Err(ErrorKind::Protocol);
            }
            if self.fill().await? == 0 {
                return Err(ErrorKind::Closed);
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    Length(u64),
    Chunked,
    UntilClose,
}

/// Looks for a needle across body chunks, keeping only a needle-sized tail between chunks.
struct BodyMatcher<'a> {
    needle: &'a [u8],
    tail: Vec<u8>,
    found: bool,
}

impl<'a> BodyMatcher<'a> {
    fn new(needle: &'a [u8]) -> Self {
        BodyMatcher {
            needle,
            tail: Vec::new(),
            found: needle.is_empty(),
        }
    }

    fn feed(&mut self, chunk: &[u8]) {
        if self.found {
            return;
        }
        self.tail.extend_from_slice(chunk);
        if self
            .tail
            .windows(self.needle.len())
            .any(|w| w == self.needle)
        {
            self.found = true;
            self.tail.clear();
            return;
        }
        let keep = self.needle.len().saturating_sub(1);
        if self.tail.len() > keep {
            self.tail.drain(..self.tail.len() - keep);
        }
    }
}

/// An HTTP/2 connection's request handle; clones share the connection.
pub type Http2 = hyper::client::conn::http2::SendRequest<http_body_util::Full<bytes::Bytes>>;

/// Performs the HTTP/2 handshake and spawns the connection's driver on the current runtime.
pub async fn http2_handshake(stream: Stream) -> Result<Http2, ErrorKind> {
    let io = hyper_util::rt::TokioIo::new(stream);
    let (send, connection) =
        hyper::client::conn::http2::Builder::new(hyper_util::rt::TokioExecutor::new())
            .initial_stream_window_size(1 << 20)
            .initial_connection_window_size(4 << 20)
            .handshake(io)
            .await
            .map_err(|_| ErrorKind::Protocol)?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(send)
}

/// Sends one request on an HTTP/2 connection and reads the body.
pub async fn http2_exchange(
    send: &mut Http2,
    request: http::Request<bytes::Bytes>,
    needle: Option<&[u8]>,
    (keep, captured): (Keep, &mut Captured),
) -> Result<Response, ErrorKind> {
    use http_body_util::BodyExt;
    send.ready().await.map_err(|_| ErrorKind::Closed)?;
    let sent = std::time::Instant::now();
    let request = request.map(http_body_util::Full::new);
    let response = send.send_request(request).await.map_err(|e| {
        if e.is_canceled() || e.is_closed() {
            ErrorKind::Closed
        } else {
            ErrorKind::Protocol
        }
    })?;
    let first_byte = std::time::Instant::now();
    let status = response.status().as_u16();
    if keep != Keep::NOTHING {
        captured.clear();
        for (name, value) in response.headers() {
            captured.keep_header(keep, name.as_str(), value.as_bytes());
        }
    }
    let mut body = response.into_body();
    let mut matcher = needle.map(BodyMatcher::new);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| ErrorKind::Reset)?;
        if let Some(data) = frame.data_ref() {
            if let Some(m) = matcher.as_mut() {
                m.feed(data);
            }
            captured.keep_body(keep, data);
        }
    }
    Ok(Response {
        status,
        body_ok: matcher.is_none_or(|m| m.found),
        first_byte,
        sent: Some(sent),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Serves canned bytes on a loopback socket and returns what one exchange made of them.
    async fn exchange_with(
        reply: &'static [u8],
        needle: Option<&'static [u8]>,
    ) -> (Result<Response, ErrorKind>, bool) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut scratch = [0u8; 1024];
            let _ = socket.read(&mut scratch).await;
            for piece in reply.chunks(7) {
                // Dribble the reply in small pieces to exercise partial parsing.
                socket.write_all(piece).await.unwrap();
                socket.flush().await.unwrap();
                tokio::task::yield_now().await;
            }
        });
        let tcp = TcpStream::connect(addr).await.unwrap();
        let mut conn = Http1::new(Stream::Tcp(tcp));
        let result = conn
            .exchange(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", false, needle)
            .await;
        server.await.unwrap();
        (result, conn.reusable)
    }

    #[tokio::test]
    async fn parses_content_length_chunked_and_close() {
        let (r, reuse) = exchange_with(
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
            Some(b"ell"),
        )
        .await;
        let r = r.unwrap();
        assert_eq!((r.status, r.body_ok), (200, true));
        assert!(reuse);
        let (r, _) = exchange_with(
            b"HTTP/1.1 503 Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n4;x=y\r\nwiki\r\n6\r\npedia \r\n0\r\n\r\n",
            Some(b"kiped"),
        )
        .await;
        let r = r.unwrap();
        assert_eq!((r.status, r.body_ok), (503, true));
        let (r, reuse) = exchange_with(
            b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nbody until close",
            Some(b"absent"),
        )
        .await;
        let r = r.unwrap();
        assert_eq!((r.status, r.body_ok), (200, false));
        assert!(!reuse);
        let (r, _) = exchange_with(
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
            None,
        )
        .await;
        assert_eq!(r.unwrap().status, 204);
    }

    #[tokio::test]
    async fn truncated_and_garbage_replies_are_errors() {
        let (r, _) =
            exchange_with(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", None).await;
        assert_eq!(r.unwrap_err(), ErrorKind::Closed);
        let (r, _) = exchange_with(b"SSH-2.0-OpenSSH\r\n\r\n", None).await;
        assert_eq!(r.unwrap_err(), ErrorKind::Protocol);
        let (r, _) = exchange_with(b"", None).await;
        assert_eq!(r.unwrap_err(), ErrorKind::Closed);
    }
}
