//! The endpoint's server: one thread, one connection at a time, `GET /metrics` (or `/`)
//! answered from the feed and the connection closed. A scrape is a few kilobytes; nothing
//! here needs more, and a client that stalls is cut off after two seconds so it cannot hold
//! the next scrape.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rigor_model::StopHandle;

use crate::{Feed, Format};

/// How long a client may take to send its request or read the answer.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(2);
/// How often the accept loop looks at its stop flag.
const POLL: Duration = Duration::from_millis(20);
/// The most a request's head may be.
const MAX_HEAD: usize = 16 * 1024;

/// The live endpoint: bound when made, serving until dropped.
pub struct Exporter {
    addr: SocketAddr,
    feed: Feed,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Exporter {
    /// Binds `addr` and starts serving `feed`. Fails as binding fails (the address in use, or
    /// not this machine's).
    pub fn bind(addr: SocketAddr, feed: Feed) -> io::Result<Exporter> {
        let listener = TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (feed, stop) = (feed.clone(), stop.clone());
            std::thread::Builder::new()
                .name("rigor-metrics".into())
                .spawn(move || serve(&listener, &feed, &stop))?
        };
        Ok(Exporter {
            addr,
            feed,
            stop,
            thread: Some(thread),
        })
    }

    /// Where it listens (the port chosen when bound to port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn feed(&self) -> Feed {
        self.feed.clone()
    }

    /// After the runs ended: waits until the endpoint has been scraped once more (so the
    /// scraper has the final counts), for at most `most`, or until `stop`. Whether it was.
    pub fn linger(&self, most: Duration, stop: &StopHandle) -> bool {
        let until = Instant::now() + most;
        loop {
            if self.feed.scrapes_since_finish() > 0 {
                return true;
            }
            if stop.is_stopping() || Instant::now() >= until {
                return false;
            }
            std::thread::sleep(POLL);
        }
    }
}

impl Drop for Exporter {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(listener: &TcpListener, feed: &Feed, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        match listener.accept() {
            Ok((stream, _)) => {
                // A client that goes away mid-answer is its own business.
                if let Ok(Some(rendered_after)) = answer(stream, feed) {
                    feed.scraped(rendered_after);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => std::thread::sleep(POLL),
            Err(_) => std::thread::sleep(POLL),
        }
    }
}

/// Answers one request; for a scrape answered in full, the finishes it was rendered after
/// (`Some(None)` while a run went).
fn answer(mut stream: TcpStream, feed: &Feed) -> io::Result<Option<Option<u64>>> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(CLIENT_TIMEOUT))?;
    stream.set_write_timeout(Some(CLIENT_TIMEOUT))?;
    let head = read_head(&mut stream)?;
    let Some(request) = Request::parse(&head) else {
        respond(
            &mut stream,
            "400 Bad Request",
            "text/plain",
            b"bad request\n",
            true,
        )?;
        return Ok(None);
    };
    if request.method != "GET" && request.method != "HEAD" {
        respond(
            &mut stream,
            "405 Method Not Allowed",
            "text/plain",
            b"only GET\n",
            true,
        )?;
        return Ok(None);
    }
    let path = request.target.split('?').next().unwrap_or_default();
    if path != "/metrics" && path != "/" {
        respond(
            &mut stream,
            "404 Not Found",
            "text/plain",
            b"the metrics are at /metrics\n",
            true,
        )?;
        return Ok(None);
    }
    let format = Format::from_accept(request.accept.as_deref());
    let (body, rendered_after) = feed.render_scrape(format);
    respond(
        &mut stream,
        "200 OK",
        format.content_type(),
        body.as_bytes(),
        request.method == "GET",
    )?;
    Ok(Some(rendered_after))
}

fn read_head(stream: &mut TcpStream) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        if head.len() > MAX_HEAD {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "head too long"));
        }
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    Ok(head)
}

fn respond(
    stream: &mut TcpStream,
    status: &str,
    content_type: &str,
    body: &[u8],
    with_body: bool,
) -> io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    if with_body {
        stream.write_all(body)?;
    }
    stream.flush()
}

struct Request {
    method: String,
    target: String,
    accept: Option<String>,
}

impl Request {
    fn parse(head: &[u8]) -> Option<Request> {
        let text = std::str::from_utf8(head).ok()?;
        let mut lines = text.split("\r\n");
        let mut first = lines.next()?.split(' ');
        let (method, target, version) = (first.next()?, first.next()?, first.next()?);
        if !version.starts_with("HTTP/1.") {
            return None;
        }
        let accept = lines
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("accept"))
            .map(|(_, v)| v.trim().to_string());
        Some(Request {
            method: method.to_string(),
            target: target.to_string(),
            accept,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(addr: SocketAddr, request: &str) -> String {
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(request.as_bytes()).unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    }

    #[test]
    fn answers_scrapes_in_the_format_asked_and_counts_them_after_the_run() {
        let feed = Feed::new(&[]);
        let exporter = Exporter::bind("127.0.0.1:0".parse().unwrap(), feed.clone()).unwrap();
        feed.begin(&crate::RunStart {
            run_id: 1,
            scenario: "s".into(),
            phases: vec!["steady".into()],
        });
        let text = get(exporter.addr(), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
        assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
        assert!(text.contains("version=0.0.4"));
        assert!(text.contains("rigor_run_running 1"));
        assert_eq!(
            feed.scrapes_since_finish(),
            0,
            "a scrape while running is not the last"
        );
        let om = get(
            exporter.addr(),
            "GET /metrics HTTP/1.1\r\nAccept: application/openmetrics-text;version=1.0.0,text/plain;q=0.5\r\n\r\n",
        );
        assert!(om.contains("application/openmetrics-text"), "{om}");
        assert!(om.ends_with("# EOF\n"));
        feed.finish();
        assert!(!exporter.linger(Duration::from_millis(50), &StopHandle::new()));
        let last = get(exporter.addr(), "GET / HTTP/1.0\r\n\r\n");
        assert!(last.contains("rigor_run_running 0"), "{last}");
        assert!(exporter.linger(Duration::from_secs(60), &StopHandle::new()));
    }

    #[test]
    fn a_scrape_rendered_before_the_finish_is_not_the_final_one() {
        let feed = Feed::new(&[]);
        feed.begin(&crate::RunStart {
            run_id: 1,
            scenario: "s".into(),
            phases: vec!["steady".into()],
        });
        // Rendered while the run went, its answer completed only after the run finished:
        // what the scraper got is not the final count.
        let (_, rendered_after) = feed.render_scrape(Format::Text);
        feed.finish();
        feed.scraped(rendered_after);
        assert_eq!(feed.scrapes_since_finish(), 0);
        let (body, rendered_after) = feed.render_scrape(Format::Text);
        assert!(body.contains("rigor_run_running 0"));
        feed.scraped(rendered_after);
        assert_eq!(feed.scrapes_since_finish(), 1);
        // A second run begins and ends: the scrape of the first finish no longer counts.
        feed.begin(&crate::RunStart {
            run_id: 2,
            scenario: "s".into(),
            phases: vec!["steady".into()],
        });
        feed.finish();
        feed.scraped(rendered_after);
        assert_eq!(feed.scrapes_since_finish(), 0);
    }

    #[test]
    fn refuses_what_is_not_a_scrape() {
        let exporter = Exporter::bind("127.0.0.1:0".parse().unwrap(), Feed::new(&[])).unwrap();
        assert!(get(exporter.addr(), "GET /other HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 404"));
        assert!(get(exporter.addr(), "POST /metrics HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 405"));
        assert!(get(exporter.addr(), "garbage\r\n\r\n").starts_with("HTTP/1.1 400"));
        // A client that says nothing is cut off, and the next scrape is answered.
        let _silent = TcpStream::connect(exporter.addr()).unwrap();
        assert!(get(exporter.addr(), "GET /metrics HTTP/1.1\r\n\r\n").contains("200 OK"));
    }

    #[test]
    fn an_address_in_use_is_an_error() {
        let first = Exporter::bind("127.0.0.1:0".parse().unwrap(), Feed::new(&[])).unwrap();
        let second = Exporter::bind(first.addr(), Feed::new(&[]));
        assert!(second.is_err());
    }

    #[test]
    fn stopping_ends_the_linger() {
        let exporter = Exporter::bind("127.0.0.1:0".parse().unwrap(), Feed::new(&[])).unwrap();
        let stop = StopHandle::new();
        stop.stop_because("ctrl-c");
        assert!(!exporter.linger(Duration::from_secs(3600), &stop));
    }
}
