//! Helpers for the CLI tests: the real binary, a real built-in target on a loopback port, and
//! a lock so load tests do not run at the same time (they would skew each other's timing on a
//! two-core machine).

#![allow(dead_code)]

use std::path::Path;
use std::process::Output;
use std::sync::{Mutex, MutexGuard};

use assert_cmd::Command;

static SERIAL: Mutex<()> = Mutex::new(());

/// Holds the load-test lock for the life of the guard.
pub fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Starts the built-in target on a free loopback port.
pub fn target(routes: &[&str], stall: Option<&str>) -> rigor_target::RunningTarget {
    let config = rigor_target::TargetConfig {
        routes: routes
            .iter()
            .map(|r| r.parse().expect("test route"))
            .collect(),
        stall: stall.map(|s| s.parse().expect("test stall")),
        threads: 1,
        gauges: Vec::new(),
    };
    rigor_target::spawn("127.0.0.1:0".parse().unwrap(), config).expect("target starts")
}

/// The built-in target's `/stats`: what it answered, by route and by step of its flow.
pub fn stats(t: &rigor_target::RunningTarget) -> serde_json::Value {
    use std::io::{Read, Write};
    let mut conn = std::net::TcpStream::connect(t.addr()).unwrap();
    conn.write_all(b"GET /stats HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut text = String::new();
    conn.read_to_string(&mut text).unwrap();
    let body = &text[text.find("\r\n\r\n").unwrap() + 4..];
    serde_json::from_str(body.trim()).unwrap()
}

/// The rigor binary, run in `dir` with no inherited store setting.
pub fn rigor(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("rigor").expect("binary built");
    cmd.current_dir(dir)
        .env_remove("RIGOR_STORE")
        .env("NO_COLOR", "1");
    cmd.timeout(std::time::Duration::from_secs(120));
    cmd
}

pub struct Ran {
    pub code: i32,
    pub json: serde_json::Value,
    pub stdout: String,
    pub stderr: String,
}

pub fn ran(output: Output) -> Ran {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let json = serde_json::from_str(&stdout).unwrap_or(serde_json::Value::Null);
    Ran {
        code: output.status.code().unwrap_or(-1),
        json,
        stdout,
        stderr,
    }
}

/// The one scenario of a `rigor run --json` whose plan has a single scenario: the output
/// lists `scenarios` and `benches` whatever ran, so tests of one scenario look at its summary.
pub fn only_scenario(mut r: Ran) -> Ran {
    if let Some(scenarios) = r.json["scenarios"].as_array() {
        assert_eq!(scenarios.len(), 1, "one scenario ran: {}", r.stdout);
        assert_eq!(
            r.json["schema_version"], r.json["scenarios"][0]["schema_version"],
            "the list and its summaries share the schema version"
        );
        r.json = scenarios[0].clone();
    }
    r
}

/// `rigor load ARGS --json --quiet` in `dir`.
///
/// Unless a test sets `--max-lag` itself, the generator may lag up to 250 ms before the run is
/// called invalid: these tests check what the server's numbers show, on a small machine that
/// may be busy compiling; the validity rule has its own test.
pub fn load(dir: &Path, args: &[&str]) -> Ran {
    let mut cmd = rigor(dir);
    cmd.arg("load").args(args).args(["--json", "--quiet"]);
    if !args.contains(&"--max-lag") {
        cmd.args(["--max-lag", LOOSE_MAX_LAG]);
    }
    ran(cmd.output().expect("rigor runs"))
}

/// The `--max-lag` for tests that are not about the generator's validity.
pub const LOOSE_MAX_LAG: &str = "250ms";

/// Milliseconds from a `*_ns` JSON field.
pub fn ms(value: &serde_json::Value) -> f64 {
    value.as_f64().expect("a number") / 1e6
}

/// Starts `rigor ARGS` in `dir` as a child with piped output, for tests that signal it.
pub fn spawn(dir: &Path, args: &[&str]) -> std::process::Child {
    std::process::Command::new(assert_cmd::cargo::cargo_bin("rigor"))
        .current_dir(dir)
        .env_remove("RIGOR_STORE")
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("rigor starts")
}

/// Sends `signal` (libc::SIGINT, SIGTERM …) to a child.
#[allow(unsafe_code)]
pub fn signal(child: &std::process::Child, signal: i32) {
    // SAFETY: kill(2) on our own child's pid.
    unsafe {
        libc::kill(child.id() as i32, signal);
    }
}

/// Checks `json` against a committed schema under `schema/`.
pub fn assert_schema(file: &str, json: &serde_json::Value) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../schema")
        .join(file);
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("schema file"))
            .expect("schema JSON");
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    let errors: Vec<String> = validator.iter_errors(json).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{file}: {errors:?}");
}

/// An external program a test needs (nginx, perf …): its path, or `None` when it is not
/// installed and the run does not require it. `.ci/run` installs every such program and sets
/// `RIGOR_TESTS_REQUIRE_TOOLS=1`, so in CI a missing one fails the test instead of skipping it.
pub fn tool(name: &str, install: &str) -> Option<std::path::PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .chain(["/usr/sbin".into(), "/sbin".into()])
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("RIGOR_TESTS_REQUIRE_TOOLS").is_none(),
            "`{name}` is not installed and RIGOR_TESTS_REQUIRE_TOOLS is set: {install}"
        );
        #[allow(clippy::print_stderr)] // a skipped test must say why
        {
            eprintln!("skipped: `{name}` is not installed ({install}; .ci/run installs it)");
        }
    }
    found
}

/// A free loopback port (bound, read, released: another process may take it, rarely).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A plan whose target is a pre-fork server: the built-in target with two worker processes
/// on one port, each request 1 ms of CPU, under eight connections for a 1 s warm phase and a
/// 2 s steady one. SO_REUSEPORT hashes each connection to one of the three listeners: the
/// chance that no worker gets one is (1/3)^8.
pub fn pre_fork_plan(port: u16, thresholds: &str) -> String {
    format!(
        r#"
[target]
command = "rigor target --port {port} --threads 1 --workers 2 --route '/busy: cpu=1ms'"
ready = "http://127.0.0.1:{port}/health"

[[scenario]]
name = "forked"
phases = [{{ name = "warm", kind = "steady", concurrency = 8, for = "1s" }}, {{ name = "steady", kind = "steady", concurrency = 8, for = "2s" }}]
thresholds = {thresholds}
[[scenario.request]]
url = "http://127.0.0.1:{port}/busy"
"#
    )
}

/// `rigor run --json --quiet` of the plan in `dir`, with the loose `--max-lag` of [`load`].
pub fn run_plan(dir: &Path) -> Ran {
    ran(rigor(dir)
        .args(["run", "--json", "--quiet", "--max-lag", LOOSE_MAX_LAG])
        .output()
        .expect("rigor runs"))
}

/// A keep-alive HTTP/1.1 server on a loopback port, written by hand so a test can time each
/// part of its answers: for each request head read on a connection, `answer` gets the head
/// (request line and headers, as text) and the stream to write the response to; it returns
/// false to close the connection. Request bodies are not read (the tests send none).
pub fn hand_server(
    answer: impl Fn(&str, &mut std::net::TcpStream) -> bool + Send + Sync + 'static,
) -> u16 {
    use std::io::Read;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let answer = std::sync::Arc::new(answer);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let answer = answer.clone();
            std::thread::spawn(move || {
                let _ = stream.set_nodelay(true);
                let mut buf = [0u8; 4096];
                let mut pending = Vec::new();
                loop {
                    let end = loop {
                        if let Some(at) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
                            break at + 4;
                        }
                        match stream.read(&mut buf) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => pending.extend_from_slice(&buf[..n]),
                        }
                    };
                    let head = String::from_utf8_lossy(&pending[..end]).into_owned();
                    pending.drain(..end);
                    if !answer(&head, &mut stream) {
                        return;
                    }
                }
            });
        }
    });
    port
}
