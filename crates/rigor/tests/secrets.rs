//! Headers the user marks as credentials (`secret_headers` in a plan, at the top level or in a
//! scenario, and `--secret-header NAME`) are kept out of everything rigor writes: the store's
//! bytes, the summary, `show`, `--json` and the run list. The values are sent as written.

mod common;

use std::path::Path;

use common::{rigor, serial, target};

/// Every byte of every file in `dir` (the store and its journal), as text.
fn bytes_under(dir: &Path) -> String {
    let mut all = String::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            all.push_str(&bytes_under(&path));
        } else {
            all.push_str(&String::from_utf8_lossy(&std::fs::read(&path).unwrap()));
        }
    }
    all
}

/// What every reading command prints about the store at `store`, stdout and stderr.
fn everything_printed(dir: &Path, store: &Path) -> String {
    let mut printed = String::new();
    for args in [
        &["show", "latest"][..],
        &["show", "latest", "--json"],
        &["runs"],
        &["runs", "--json"],
    ] {
        let out = rigor(dir)
            .args(args)
            .env("RIGOR_STORE", store)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        printed.push_str(&String::from_utf8_lossy(&out.stdout));
        printed.push_str(&String::from_utf8_lossy(&out.stderr));
    }
    printed
}

/// Runs rigor with `args` on a store of its own in `dir`, checks that it passed and that no
/// secret is in the store's bytes, in what it printed, or in what the reading commands print;
/// returns the store's bytes.
fn run_keeping_out(dir: &Path, args: &[&str], secrets: &[&str]) -> String {
    let store = dir.join("store").join("rigor.db");
    let out = rigor(dir)
        .args(args)
        .args(["--quiet", "--max-lag", common::LOOSE_MAX_LAG])
        .env("RIGOR_STORE", &store)
        .output()
        .unwrap();
    let printed =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{printed}");
    let stored = bytes_under(store.parent().unwrap());
    for (what, text) in [
        ("the store", stored.as_str()),
        ("the run's output", &printed),
        ("reading commands", &everything_printed(dir, &store)),
    ] {
        for secret in secrets {
            assert!(!text.contains(secret), "{what} holds {secret}:\n{text}");
        }
    }
    stored
}

#[test]
fn a_header_marked_on_the_command_line_is_never_written() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    let t = target(&["/: latency=1ms"], None);
    let url = t.url("/");
    let args = ["load", &url, "--requests", "5", "--concurrency", "1"];
    let marked = [
        "-H",
        "X-Session: s3ss10n-f1ag-value",
        "--secret-header",
        "x-session",
    ];
    let stored = run_keeping_out(
        dir.path(),
        &[&args[..], &marked].concat(),
        &["s3ss10n-f1ag-value"],
    );
    assert!(
        stored.contains("<redacted>"),
        "the header is stored, redacted"
    );
}

/// A scenario marking `secret_headers` (a TOML list) whose request sends `headers` to `url`.
fn scenario(name: &str, secret_headers: &str, url: &str, headers: &str) -> String {
    format!(
        "[[scenario]]\nname = \"{name}\"\nsecret_headers = {secret_headers}\nrequests = 3\nphases = [{{ kind = \"steady\", concurrency = 1, for = \"10s\" }}]\n[[scenario.request]]\nurl = \"{url}\"\nheaders = {{ {headers} }}\n\n"
    )
}

#[test]
fn headers_marked_in_a_plan_are_never_written_nor_other_scenarios_secrets() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    let t = target(&["/: latency=1ms"], None);
    let url = t.url("/");
    // The top-level mark holds in every scenario, the scenario's own in that one; the run of
    // `s` stores the whole plan, which must not carry `other`'s credentials either.
    let plan = format!(
        "secret_headers = [\"X-Session\"]\n\n{}{}",
        scenario(
            "s",
            r#"["X-Tenant-Key"]"#,
            &url,
            r#"X-Session = "pl4n-s3ss10n-value", X-Tenant-Key = "t3n4nt-k3y-value", X-Trace = "kept-as-written""#
        ),
        scenario(
            "other",
            "[]",
            &url,
            r#"Authorization = "Bearer 0ther-t0ken", X-Session = "0ther-s3ss10n", X-Other = "0ther-fl4g""#
        ),
    );
    std::fs::write(dir.path().join("rigor.toml"), plan).unwrap();
    let secrets = [
        "pl4n-s3ss10n-value",
        "t3n4nt-k3y-value",
        "0ther-t0ken",
        "0ther-s3ss10n",
        "0ther-fl4g",
    ];
    let args = ["run", "s", "--secret-header", "X-Other"];
    let stored = run_keeping_out(dir.path(), &args, &secrets);
    assert!(
        stored.contains("kept-as-written"),
        "an unmarked header is stored as written"
    );
    assert!(
        stored.contains("Bearer <redacted>"),
        "the plan's text is stored, masked"
    );
}
