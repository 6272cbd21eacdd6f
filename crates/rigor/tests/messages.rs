//! What the reading commands and the gate say when they do not find what they were asked
//! for: the name or path they looked for, why it is not there, and what there is instead.

mod common;

use std::path::Path;

use common::{ran, rigor, Ran};

/// A store in `dir` holding one bench run stored under `name` (a command that costs nothing).
fn store_with_bench(dir: &Path, name: &str) -> std::path::PathBuf {
    let store = dir.join("runs.db");
    let r = ran(rigor(dir)
        .args(["bench", "--runs", "2", "--quiet", "--name", name, "--store"])
        .arg(&store)
        .args(["--", "true"])
        .output()
        .unwrap());
    assert_eq!(r.code, 0, "{}", r.stderr);
    store
}

fn run(dir: &Path, args: &[&str], store: &Path) -> Ran {
    ran(rigor(dir)
        .args(args)
        .env("RIGOR_STORE", store)
        .output()
        .unwrap())
}

#[test]
fn runs_of_an_unknown_scenario_name_the_ones_stored() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_bench(dir.path(), "parse-json");
    let r = run(dir.path(), &["runs", "--scenario", "parse-jsn"], &store);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("no runs of scenario `parse-jsn` in")
            && r.stderr
                .contains("(did you mean `parse-json`?); it has runs of parse-json"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("no runs yet"), "{}", r.stderr);
}

#[test]
fn an_unreadable_store_is_named_with_why() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nosuch.db");
    let file = dir.path().join("file");
    std::fs::write(&file, "").unwrap();
    let cases = [
        (
            dir.path().to_path_buf(),
            "is a directory: give the store's file",
        ),
        (missing, "there is no run store there (No such file"),
        (
            file.join("x.db"),
            "there is no run store there (Not a directory",
        ),
    ];
    for (store, why) in cases {
        for command in [&["runs"][..], &["show", "latest"], &["compare"]] {
            let r = run(dir.path(), command, &store);
            assert_eq!(r.code, 2, "{command:?} {}: {}", store.display(), r.stderr);
            let named = format!("--store {}", store.display());
            assert!(
                r.stderr.contains(&named) && r.stderr.contains(why),
                "{command:?}: {}",
                r.stderr
            );
            assert!(!r.stderr.contains("yet"), "{}", r.stderr);
        }
    }
}

#[test]
fn a_store_without_read_permission_is_named_with_why() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_bench(dir.path(), "b");
    std::fs::set_permissions(&store, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::File::open(&store).is_ok() {
        // Root reads any file: there is no permission to be refused.
        return;
    }
    let r = run(dir.path(), &["runs"], &store);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains("cannot read it: Permission denied"),
        "{}",
        r.stderr
    );
}

#[test]
fn the_gate_says_what_it_looked_for_and_judges_a_named_run_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_bench(dir.path(), "adhoc-true");
    std::fs::write(
        dir.path().join("rigor.toml"),
        "[[bench]]\nname = \"planned\"\ncommand = \"true\"\n\n[[budget]]\nmetric = \"wall.mean\"\nmax = \"10s\"\n",
    )
    .unwrap();
    let r = run(dir.path(), &["gate"], &store);
    assert_eq!(r.code, 3, "{}", r.stderr);
    for said in [
        "no finished run of `planned` in",
        "it has runs of adhoc-true",
        "--run ID",
        "--scenario NAME",
    ] {
        assert!(r.stderr.contains(said), "{said}: {}", r.stderr);
    }
    let r = run(dir.path(), &["gate", "--scenario", "adhoc-tru"], &store);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains("(did you mean `adhoc-true`?)"),
        "{}",
        r.stderr
    );
    let r = run(
        dir.path(),
        &["gate", "--scenario", "adhoc-true", "--json"],
        &store,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json["outcome"], "pass", "{}", r.stdout);
}

#[test]
fn the_gate_refuses_a_bad_plan_before_looking_for_runs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("rigor.toml"),
        "[[scenario]]\nname = \"a\"\nphases = [{ kind = \"steady\", rate = \"0/s\", for = \"1s\" }]\n[[scenario.request]]\nurl = \"http://127.0.0.1:1/\"\n\n[[budget]]\nmetric = \"latency.p95\"\nmax = \"1s\"\n",
    )
    .unwrap();
    let store = dir.path().join("empty.db");
    let r = run(dir.path(), &["gate"], &store);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("rigor.toml:3:11: scenario `a`: phase 1 (steady): a phase with zero load"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("no finished run"), "{}", r.stderr);
}
