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
