//! rigor under hostile input and a failing world: it refuses what it cannot send honestly,
//! says so once, and leaves nothing behind that it did not measure.

mod common;

use std::io::Read;
use std::net::TcpListener;
use std::time::Duration;

use common::{load, rigor};

/// A loopback listener that reports whether anything connected to it, and what it was sent.
fn quiet_listener() -> (TcpListener, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

fn nothing_arrived(listener: &TcpListener) -> bool {
    std::thread::sleep(Duration::from_millis(100));
    match listener.accept() {
        Ok((mut stream, _)) => {
            let mut bytes = Vec::new();
            let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
            let _ = stream.read_to_end(&mut bytes);
            bytes.is_empty()
        }
        Err(_) => true,
    }
}

#[test]
fn a_line_break_in_a_header_is_refused_before_anything_is_sent_or_stored() {
    let dir = tempfile::tempdir().unwrap();
    let (listener, port) = quiet_listener();
    let r = load(
        dir.path(),
        &[
            &format!("http://127.0.0.1:{port}/"),
            "-H",
            "X-Id: 1\r\nX-Injected: yes",
            "--requests",
            "3",
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("header `X-Id` contains a line break"),
        "{}",
        r.stderr
    );
    assert!(nothing_arrived(&listener), "bytes reached the server");
    assert!(!dir.path().join(".rigor").exists(), "a store was created");
}

#[test]
fn a_line_break_in_a_data_value_is_refused_with_its_row_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let (listener, port) = quiet_listener();
    std::fs::write(
        dir.path().join("ids.csv"),
        "id,token\n1,abc\n2,\"evil\r\nX-Injected: yes\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("rigor.toml"),
        format!(
            r#"
[[scenario]]
name = "s"
data = "ids.csv"
phases = [{{ kind = "steady", rate = "10/s", for = "1s" }}]
[[scenario.request]]
url = "http://127.0.0.1:{port}/items/{{id}}"
headers = {{ Authorization = "Bearer {{token}}" }}
"#
        ),
    )
    .unwrap();
    let r = common::ran(rigor(dir.path()).args(["run", "--quiet"]).output().unwrap());
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("ids.csv"), "{}", r.stderr);
    assert!(
        r.stderr.contains("row 3, column `token`") && r.stderr.contains("line break"),
        "{}",
        r.stderr
    );
    assert!(nothing_arrived(&listener), "bytes reached the server");
    assert!(!dir.path().join(".rigor").exists(), "a store was created");
}

#[test]
fn a_bench_that_cannot_be_planned_leaves_no_store() {
    let dir = tempfile::tempdir().unwrap();
    let r = common::ran(
        rigor(dir.path())
            .args(["bench", "--order", "sideways", "--", "true"])
            .output()
            .unwrap(),
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("order `sideways`"), "{}", r.stderr);
    assert!(!dir.path().join(".rigor").exists(), "a store was created");
}

/// `rigor target` in a process of its own, so a test can kill it; returns it and its URL.
fn target_process(routes: &[&str]) -> (std::process::Child, String) {
    use std::io::BufRead;
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("rigor"));
    cmd.args(["target", "--port", "0"]);
    for r in routes {
        cmd.args(["--route", r]);
    }
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().rsplit(' ').next().unwrap().to_string();
    (child, url)
}

#[test]
fn a_target_killed_mid_run_stops_the_run_as_target_failed_and_keeps_its_data() {
    let _lock = common::serial();
    let dir = tempfile::tempdir().unwrap();
    let (mut server, url) = target_process(&["/: latency=1ms"]);
    let run = common::spawn(
        dir.path(),
        &[
            "load",
            &url,
            "--rate",
            "50/s",
            "--duration",
            "30s",
            "--json",
            "--quiet",
            "--max-lag",
            common::LOOSE_MAX_LAG,
        ],
    );
    std::thread::sleep(Duration::from_millis(2500));
    server.kill().unwrap();
    let _ = server.wait();
    let out = run.wait_with_output().unwrap();
    let r = common::ran(out);
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.json["status"], "target_failed", "{}", r.stdout);
    let reason = r.json["status_reason"].as_str().unwrap();
    assert!(reason.contains("stopped accepting connections"), "{reason}");
    // It stopped soon after the target died, not at the end of its 30 s.
    let seconds = r.json["duration_ns"].as_u64().unwrap() as f64 / 1e9;
    assert!(seconds < 20.0, "ran {seconds} s");
    assert!(
        r.json["total"]["requests"].as_u64().unwrap() >= 50,
        "what was measured is kept"
    );
    let shown = common::ran(
        rigor(dir.path())
            .args(["show", "latest", "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(shown.json["status"], "target_failed");
}

#[test]
fn a_plan_started_target_that_dies_mid_run_is_named() {
    let _lock = common::serial();
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // The target serves for about two seconds, then exits on its own.
    std::fs::write(
        dir.path().join("rigor.toml"),
        format!(
            r#"
[target]
command = "timeout 2 '{exe}' target --port {port}"
ready = "http://127.0.0.1:{port}/"

[[scenario]]
name = "s"
phases = [{{ kind = "steady", rate = "20/s", for = "30s" }}]
[[scenario.request]]
url = "http://127.0.0.1:{port}/"
"#,
            exe = assert_cmd::cargo::cargo_bin("rigor").display()
        ),
    )
    .unwrap();
    let r = common::only_scenario(common::run_plan(dir.path()));
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.json["status"], "target_failed", "{}", r.stdout);
    let reason = r.json["status_reason"].as_str().unwrap();
    assert!(reason.contains("exited during the run"), "{reason}");
}

#[test]
fn a_killed_rigor_takes_its_target_with_it() {
    let _lock = common::serial();
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    std::fs::write(
        dir.path().join("rigor.toml"),
        format!(
            r#"
[target]
command = "'{exe}' target --port {port}"
ready = "http://127.0.0.1:{port}/"

[[scenario]]
name = "s"
phases = [{{ kind = "steady", rate = "10/s", for = "30s" }}]
[[scenario.request]]
url = "http://127.0.0.1:{port}/"
"#,
            exe = assert_cmd::cargo::cargo_bin("rigor").display()
        ),
    )
    .unwrap();
    let mut run = common::spawn(dir.path(), &["run", "--quiet"]);
    let up = (0..200).any(|_| {
        std::thread::sleep(Duration::from_millis(50));
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    assert!(up, "the target never came up");
    std::thread::sleep(Duration::from_millis(500));
    run.kill().unwrap(); // SIGKILL: rigor runs no clean-up of its own
    let _ = run.wait();
    let gone = (0..100).any(|_| {
        std::thread::sleep(Duration::from_millis(50));
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err()
    });
    assert!(gone, "the target outlived rigor on port {port}");
}

#[test]
fn a_load_run_whose_process_was_killed_is_found_crashed_and_summarised() {
    let _lock = common::serial();
    let dir = tempfile::tempdir().unwrap();
    let t = common::target(&["/: latency=1ms"], None);
    let mut run = common::spawn(
        dir.path(),
        &[
            "load",
            &t.url("/"),
            "--rate",
            "100/s",
            "--duration",
            "30s",
            "--quiet",
        ],
    );
    // Let it store a few one-second windows, then kill it: no handler runs.
    let db = dir.path().join(".rigor").join("rigor.db");
    let stored = (0..200).any(|_| {
        std::thread::sleep(Duration::from_millis(50));
        rigor_store::SqliteStore::open(&db).is_ok_and(|s| {
            use rigor_store::Store;
            s.windows(1).is_ok_and(|w| w.len() >= 3)
        })
    });
    assert!(stored, "no windows were stored");
    run.kill().unwrap();
    let _ = run.wait();
    let listed = common::ran(rigor(dir.path()).args(["runs", "--json"]).output().unwrap());
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    assert!(
        listed.stderr.contains("warning: run 1 (adhoc) is crashed"),
        "{}",
        listed.stderr
    );
    let run = &listed.json[0];
    assert_eq!(run["status"], "crashed", "{run}");
    assert!(run["status_reason"]
        .as_str()
        .unwrap()
        .contains("one-second windows"));
    assert!(
        run["summary"]["total"]["requests"].as_u64().unwrap() >= 200,
        "{run}"
    );
    assert!(
        run["summary"]["total"]["latency"]["p50_ns"]
            .as_u64()
            .unwrap()
            >= 1_000_000
    );
    let shown = common::ran(rigor(dir.path()).args(["show", "1"]).output().unwrap());
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    assert!(shown.stdout.contains("CRASHED"), "{}", shown.stdout);
    // Found once: the next command does not warn again.
    let again = common::ran(rigor(dir.path()).arg("runs").output().unwrap());
    assert!(!again.stderr.contains("is crashed"), "{}", again.stderr);
}
