//! Servers that misbehave, on loopback: they close, reset, never answer, send garbage, or
//! close keep-alive connections under the client's feet. Each test asserts the exit code, the
//! message and what the store holds afterwards. A failure is never a latency, a run in which
//! nothing answered never passes, and a connection the server closed while idle is never
//! counted against it.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use common::{load, rigor};

/// How a [`server`] treats each connection.
#[derive(Clone, Copy)]
enum Misbehaviour {
    /// Reads the request, then closes without a byte.
    Close,
    /// Reads the request, then resets the connection (RST, not FIN).
    Reset,
    /// Reads requests and never answers.
    Silent,
    /// Answers every request with bytes that are not HTTP.
    Garbage,
    /// Answers one request with a valid keep-alive response, then closes at once without
    /// saying so: the next request on that connection meets the keep-alive race.
    OneAndClose,
    /// Answers the first request on each connection; reads the second and closes without a
    /// byte: the keep-alive race, every time, whatever the timing.
    SecondUnanswered,
    /// Answers requests, keeping the connection open for at most this long while idle.
    IdleTimeout(Duration),
}

/// A loopback server that treats every connection as `how` says; its threads end with the
/// test process. Returns the URL of its root.
fn server(how: Misbehaviour) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || serve(stream, how));
        }
    });
    url
}

const OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

fn serve(mut stream: TcpStream, how: Misbehaviour) {
    let idle = match how {
        Misbehaviour::IdleTimeout(d) => d,
        _ => Duration::from_secs(30),
    };
    let _ = stream.set_read_timeout(Some(idle));
    let mut answered = 0;
    loop {
        if !read_request(&mut stream) {
            return; // closed by the client, or idle too long: drop closes it
        }
        match how {
            Misbehaviour::Close => return,
            Misbehaviour::Reset => {
                reset_on_close(&stream);
                return;
            }
            Misbehaviour::Silent => {}
            Misbehaviour::Garbage => {
                let _ = stream.write_all(b"\x00\x01garbage, not HTTP at all\r\n\r\n");
                return;
            }
            Misbehaviour::OneAndClose => {
                let _ = stream.write_all(OK);
                return;
            }
            Misbehaviour::SecondUnanswered if answered == 1 => return,
            Misbehaviour::SecondUnanswered => {
                let _ = stream.write_all(OK);
                answered += 1;
            }
            Misbehaviour::IdleTimeout(_) => {
                if stream.write_all(OK).is_err() {
                    return;
                }
            }
        }
    }
}

/// Makes closing `stream` send RST rather than FIN (SO_LINGER with a zero timeout).
#[allow(unsafe_code)]
fn reset_on_close(stream: &TcpStream) {
    use std::os::fd::AsRawFd;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: setsockopt on a socket this function borrows, with a value of the type and
    // size SO_LINGER takes.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
}

/// Reads one request head (these tests send no bodies); false at EOF or on a read error.
fn read_request(stream: &mut TcpStream) -> bool {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return false,
        }
    }
    true
}

/// The store's one run, as `rigor show latest --json` prints it.
fn stored(dir: &std::path::Path) -> common::Ran {
    common::ran(
        rigor(dir)
            .args(["show", "latest", "--json"])
            .output()
            .unwrap(),
    )
}

/// A load of 20 requests at 20/s against a server that answers none of them properly.
fn against(how: Misbehaviour, extra: &[&str]) -> (tempfile::TempDir, common::Ran) {
    let dir = tempfile::tempdir().unwrap();
    let url = server(how);
    let mut args = vec![url.as_str(), "--rate", "20/s", "--requests", "20"];
    args.extend_from_slice(extra);
    let r = load(dir.path(), &args);
    (dir, r)
}

/// What every server that never sent a response must produce: exit 3, `target_failed`, the
/// kinds of failure named, no latency, the failures' timings apart, and the same in the store.
fn assert_measured_nothing(dir: &std::path::Path, r: &common::Ran, kind: &str) {
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.json["status"], "target_failed", "{}", r.stdout);
    let reason = r.json["status_reason"].as_str().unwrap();
    assert!(reason.contains("the target never answered"), "{reason}");
    assert!(reason.contains(kind), "{reason}");
    let total = &r.json["total"];
    assert_eq!(total["requests"], 20, "{total}");
    assert_eq!(total["errors"], 20, "{total}");
    assert_eq!(total["errors_by_kind"][kind], 20, "{total}");
    assert_eq!(
        total["latency"]["count"], 0,
        "no latency from failures: {total}"
    );
    assert_eq!(total["raw_latency"]["count"], 0, "{total}");
    assert_eq!(total["failed_latency"]["count"], 20, "{total}");
    let shown = stored(dir);
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    assert_eq!(shown.json["status"], "target_failed");
    assert_eq!(shown.json["total"]["latency"]["count"], 0);
    assert_eq!(shown.json["total"]["errors_by_kind"][kind], 20);
}

#[test]
fn a_server_that_closes_without_answering_measured_nothing() {
    let _lock = common::serial();
    let (dir, r) = against(Misbehaviour::Close, &[]);
    assert_measured_nothing(dir.path(), &r, "closed");
}

#[test]
fn a_server_that_resets_measured_nothing() {
    let _lock = common::serial();
    let (dir, r) = against(Misbehaviour::Reset, &[]);
    assert_measured_nothing(dir.path(), &r, "reset");
}

#[test]
fn a_server_that_sends_garbage_measured_nothing() {
    let _lock = common::serial();
    let (dir, r) = against(Misbehaviour::Garbage, &[]);
    assert_measured_nothing(dir.path(), &r, "protocol");
}

#[test]
fn a_server_that_never_answers_measured_nothing() {
    let _lock = common::serial();
    let (dir, r) = against(Misbehaviour::Silent, &["--timeout", "300ms"]);
    assert_measured_nothing(dir.path(), &r, "timeout");
    let p50 = common::ms(&r.json["total"]["failed_latency"]["p50_ns"]);
    assert!(p50 >= 300.0, "a timeout's timing is the timeout: {p50} ms");
}

#[test]
fn the_terminal_summary_says_on_its_first_line_that_requests_failed() {
    let _lock = common::serial();
    let dir = tempfile::tempdir().unwrap();
    let url = server(Misbehaviour::Close);
    let out = rigor(dir.path())
        .args(["load", &url, "--rate", "20/s", "--requests", "10"])
        .args(["--max-lag", common::LOOSE_MAX_LAG])
        .output()
        .unwrap();
    let r = common::ran(out);
    assert_eq!(r.code, 3, "{}", r.stderr);
    let first = r.stdout.lines().next().unwrap_or_default();
    assert!(
        first.contains("TARGET_FAILED") && first.contains("100% OF REQUESTS FAILED"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("latency (0 ok)"), "{}", r.stdout);
    assert!(r.stdout.contains("failed (10)"), "{}", r.stdout);
}

#[test]
fn requests_in_flight_at_ctrl_c_are_counted_as_abandoned_not_as_errors() {
    let _lock = common::serial();
    let dir = tempfile::tempdir().unwrap();
    let url = server(Misbehaviour::Silent);
    let child = common::spawn(
        dir.path(),
        &[
            "load",
            &url,
            "--rate",
            "20/s",
            "--duration",
            "30s",
            "--timeout",
            "60s",
            "--grace",
            "200ms",
            "--json",
            "--quiet",
        ],
    );
    // Wait until requests are on their way: the server has seen connections.
    std::thread::sleep(Duration::from_millis(1500));
    common::signal(&child, libc::SIGINT);
    let r = common::ran(child.wait_with_output().unwrap());
    assert_eq!(r.code, 130, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.json["status"], "interrupted", "{}", r.stdout);
    let total = &r.json["total"];
    assert_eq!(total["requests"], 0, "none completed: {total}");
    assert_eq!(
        total["errors"], 0,
        "abandoned requests are not errors: {total}"
    );
    let abandoned = total["abandoned"].as_u64().unwrap();
    assert!(abandoned >= 5, "{abandoned} abandoned: {total}");
    let shown = stored(dir.path());
    assert_eq!(shown.json["total"]["abandoned"], abandoned);
    let text = common::ran(rigor(dir.path()).args(["show", "latest"]).output().unwrap());
    assert!(
        text.stdout
            .contains(&format!("{abandoned} abandoned at stop")),
        "{}",
        text.stdout
    );
}

#[test]
fn the_keep_alive_race_is_retried_once_and_counted_not_called_an_error() {
    let _lock = common::serial();
    let dir = tempfile::tempdir().unwrap();
    let url = server(Misbehaviour::SecondUnanswered);
    let r = load(
        dir.path(),
        &[&url, "--concurrency", "1", "--requests", "30"],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let total = &r.json["total"];
    assert_eq!(total["requests"], 30, "{total}");
    assert_eq!(total["errors"], 0, "{total}");
    assert_eq!(total["latency"]["count"], 30, "{total}");
    // Every request after the first was lost on a reused connection and sent again on a new
    // one, which answered it.
    assert_eq!(total["retried"], 29, "{total}");
    assert_eq!(r.json["generator"]["connections_opened"], 30);
    assert_eq!(stored(dir.path()).json["total"]["retried"], 29);
    let text = common::ran(rigor(dir.path()).args(["show", "latest"]).output().unwrap());
    assert!(
        text.stdout
            .contains("29 retried after the server closed a keep-alive connection"),
        "{}",
        text.stdout
    );
}

#[test]
fn a_request_that_is_not_idempotent_is_not_sent_twice() {
    let _lock = common::serial();
    let dir = tempfile::tempdir().unwrap();
    let url = server(Misbehaviour::SecondUnanswered);
    let r = load(
        dir.path(),
        &[
            &url,
            "--method",
            "POST",
            "--concurrency",
            "1",
            "--requests",
            "30",
        ],
    );
    let total = &r.json["total"];
    assert_eq!(total["retried"], 0, "{total}");
    assert_eq!(total["requests"], 30, "{total}");
    // A lost POST is an error (the client cannot know whether the server acted on it): the
    // second request on every connection, so every other request.
    assert_eq!(total["errors_by_kind"]["closed"], 15, "{total}");
    assert_eq!(total["errors"], 15, "{total}");
}

#[test]
fn a_connection_closed_right_after_its_response_is_never_an_error() {
    let _lock = common::serial();
    let dir = tempfile::tempdir().unwrap();
    // Each connection serves one response and is closed at once, unannounced: the next
    // request finds it closed while idle (replaced) or meets the race (retried).
    let url = server(Misbehaviour::OneAndClose);
    let r = load(
        dir.path(),
        &[&url, "--concurrency", "1", "--requests", "30"],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let total = &r.json["total"];
    assert_eq!(
        (total["requests"].as_u64(), total["errors"].as_u64()),
        (Some(30), Some(0)),
        "{total}"
    );
    assert_eq!(r.json["generator"]["connections_opened"], 30);
}

#[test]
fn a_connection_the_server_closed_while_idle_is_replaced_without_an_error() {
    let _lock = common::serial();
    let dir = tempfile::tempdir().unwrap();
    // Keep-alive for 100 ms; requests 250 ms apart: every connection is closed while idle.
    let url = server(Misbehaviour::IdleTimeout(Duration::from_millis(100)));
    let r = load(dir.path(), &[&url, "--rate", "4/s", "--requests", "8"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let total = &r.json["total"];
    assert_eq!(total["errors"], 0, "{total}");
    assert_eq!(total["requests"], 8, "{total}");
    // Seen closed before the request went out: replaced, so nothing needed sending twice.
    assert_eq!(total["retried"], 0, "{total}");
    // Every connection but each generator thread's last was closed by the server while
    // idle, and let go.
    let g = &r.json["generator"];
    let let_go = g["connections_closed_idle"].as_u64().unwrap();
    let opened = g["connections_opened"].as_u64().unwrap();
    assert!(let_go + g["threads"].as_u64().unwrap() >= opened, "{g}");
    assert!(let_go >= 1, "{g}");
}

/// nginx on a free loopback port with `keepalive_timeout`, serving `ok` at `/`; killed when
/// the guard drops.
struct Nginx {
    child: std::process::Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn nginx(keepalive_timeout: &str) -> Option<Nginx> {
    let bin = common::tool("nginx", "apt-get install nginx-light")?;
    let dir = tempfile::tempdir().unwrap();
    let port = common::free_port();
    let d = dir.path().display();
    let conf = format!(
        "daemon off; master_process off; worker_processes 1; pid {d}/nginx.pid; \
         error_log {d}/error.log; events {{ worker_connections 64; }} \
         http {{ access_log off; client_body_temp_path {d}; proxy_temp_path {d}; \
         fastcgi_temp_path {d}; uwsgi_temp_path {d}; scgi_temp_path {d}; \
         keepalive_timeout {keepalive_timeout}; \
         server {{ listen 127.0.0.1:{port}; location / {{ return 200 \"ok\"; }} }} }}"
    );
    std::fs::write(dir.path().join("nginx.conf"), conf).unwrap();
    let child = std::process::Command::new(bin)
        .args(["-p", &d.to_string(), "-c"])
        .arg(dir.path().join("nginx.conf"))
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("nginx starts");
    let ready = (0..100).any(|_| {
        std::thread::sleep(Duration::from_millis(20));
        TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    assert!(ready, "nginx did not listen on {port}");
    Some(Nginx {
        child,
        url: format!("http://127.0.0.1:{port}/"),
        _dir: dir,
    })
}

#[test]
fn nginx_closing_idle_keep_alive_connections_is_not_counted_as_errors() {
    let _lock = common::serial();
    // Requests 250 ms apart, keep-alive 200 ms: nginx closes every connection while it is idle
    // (the case: `keepalive_timeout 1s` at 0.5/s gave 33 % "errors").
    let Some(nginx) = nginx("200ms") else { return };
    let dir = tempfile::tempdir().unwrap();
    let r = load(
        dir.path(),
        &[&nginx.url, "--rate", "4/s", "--requests", "8"],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let total = &r.json["total"];
    assert_eq!(total["errors"], 0, "{total}");
    assert_eq!(total["status_codes"]["200"], 8, "{total}");
    assert_eq!(
        total["retried"], 0,
        "replaced while idle, not retried: {total}"
    );
    assert!(r.json["generator"]["host_other_cpu_cores"]
        .as_f64()
        .is_some());
    assert!(
        r.json["generator"]["connections_opened"].as_u64().unwrap() >= 4,
        "nginx closed the idle connections: {}",
        r.json["generator"]
    );
}
