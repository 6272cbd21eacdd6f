//! The run store under faults: read-only, damaged, from a newer rigor, full. Reading commands
//! read what they can without writing; every command that meets a store it cannot use says so
//! the same way, naming the file and what to do, with exit 3 (could not run); a recording
//! command finds out before it measures anything, and never adds to a damaged store.

mod common;

use std::path::{Path, PathBuf};

use common::{ran, rigor, Ran};

/// A store at `dir/store/rigor.db` holding two small benchmarks (runs 1 and 2).
fn store_with_two_benches(dir: &Path) -> PathBuf {
    let db = dir.join("store").join("rigor.db");
    for _ in 0..2 {
        let r = ran(rigor(dir)
            .args(["bench", "--runs", "3", "--store"])
            .arg(&db)
            .args(["--", "true"])
            .output()
            .unwrap());
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    db
}

/// A plan whose gate judges scenario `svc` (never run: the gate stops at the store first).
const GATE_PLAN: &str = r#"
[[scenario]]
name = "svc"
phases = [{ kind = "steady", rate = "10/s", for = "1s" }]
[[scenario.request]]
url = "http://127.0.0.1:1/unused"

[[budget]]
scenario = "svc"
metric = "latency.p95"
max = "1s"
"#;

/// Every command that opens the store, reading and recording, with `db` as its store.
fn every_command(dir: &Path, db: &Path, url: &str) -> Vec<(&'static str, Ran)> {
    std::fs::write(dir.join("rigor.toml"), GATE_PLAN).unwrap();
    let db = db.to_str().unwrap();
    let commands: [(&str, Vec<&str>); 7] = [
        ("runs", vec!["runs", "--store", db]),
        ("show", vec!["show", "1", "--store", db]),
        ("compare", vec!["compare", "1", "2", "--store", db]),
        ("baseline list", vec!["baseline", "list", "--store", db]),
        ("gate", vec!["gate", "--store", db]),
        (
            "load",
            vec!["load", url, "--requests", "5", "--quiet", "--store", db],
        ),
        (
            "bench",
            vec![
                "bench", "--runs", "2", "--quiet", "--store", db, "--", "true",
            ],
        ),
    ];
    commands
        .into_iter()
        .map(|(name, args)| (name, ran(rigor(dir).args(&args).output().unwrap())))
        .collect()
}

/// Damages a copy of a sound store in one of the ways a disk or a user can.
fn damage(sound: &Path, how: &str, into: &Path) {
    std::fs::copy(sound, into).unwrap();
    match how {
        "garbage" => {
            std::fs::write(into, b"this is not a database, it is a shopping list").unwrap()
        }
        "truncated" => {
            let len = std::fs::metadata(into).unwrap().len();
            let file = std::fs::OpenOptions::new().write(true).open(into).unwrap();
            file.set_len(len / 2).unwrap();
        }
        "damaged inside" => {
            // Pages past the header overwritten: the file opens, reading its runs does not.
            use std::io::{Seek, SeekFrom, Write};
            let mut file = std::fs::OpenOptions::new().write(true).open(into).unwrap();
            file.seek(SeekFrom::Start(4096)).unwrap();
            file.write_all(&[0xff; 4096 * 4]).unwrap();
        }
        "newer schema" => {
            let conn = rusqlite::Connection::open(into).unwrap();
            conn.pragma_update(None, "user_version", 99).unwrap();
        }
        other => unreachable!("{other}"),
    }
}

#[test]
fn every_command_reports_a_damaged_store_alike_and_none_writes_to_it() {
    let _lock = common::serial();
    let dir = tempfile::tempdir().unwrap();
    let sound = store_with_two_benches(dir.path());
    // A sound store (WAL checkpointed into the file) to copy.
    drop(rigor_store::SqliteStore::open(&sound).unwrap());
    let t = common::target(&["/: latency=1ms"], None);
    for (how, says) in [
        (
            "garbage",
            "move it aside to start a new store, or use another --store",
        ),
        (
            "truncated",
            "move it aside to start a new store, or use another --store",
        ),
        (
            "damaged inside",
            "move it aside to start a new store, or use another --store",
        ),
        ("newer schema", "upgrade rigor or use another --store"),
    ] {
        let db = dir.path().join(format!("{}.db", how.replace(' ', "-")));
        damage(&sound, how, &db);
        let before = std::fs::read(&db).unwrap();
        for (command, r) in every_command(dir.path(), &db, &t.url("/")) {
            if how == "damaged inside" && command == "baseline list" {
                // A reading command meets damage where it reads (checking every page on each
                // read would cost `rigor runs` seconds on a big store); the baselines are intact.
                assert_eq!((r.code, r.stderr.as_str()), (0, ""), "{how}, {command}");
                continue;
            }
            assert_eq!(r.code, 3, "{how}, {command}: {}", r.stderr);
            assert!(
                r.stderr.contains(&format!("error: {}", db.display())),
                "{how}, {command}: the message names the file first: {}",
                r.stderr
            );
            assert!(r.stderr.contains(says), "{how}, {command}: {}", r.stderr);
            assert_eq!(r.stdout, "", "{how}, {command}: nothing measured or shown");
        }
        assert!(
            std::fs::read(&db).unwrap() == before,
            "{how}: a command wrote to the damaged store"
        );
    }
}

/// How many requests the built-in target has answered on its routes (its `/stats`).
fn served(t: &rigor_target::RunningTarget) -> u64 {
    common::stats(t)["requests"].as_u64().unwrap()
}

/// Runs `cmd` as a user who may read the store but not write it: as root (which may write any
/// file) the command runs as `nobody`; otherwise the file and its directory are made read-only.
fn as_reader(db: &Path, cmd: &mut std::process::Command) {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let dir = db.parent().unwrap();
    let root = rustix_is_root();
    let (file_mode, dir_mode) = if root { (0o644, 0o755) } else { (0o444, 0o555) };
    std::fs::set_permissions(db, std::fs::Permissions::from_mode(file_mode)).unwrap();
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(dir_mode)).unwrap();
    let top = dir.parent().unwrap();
    std::fs::set_permissions(top, std::fs::Permissions::from_mode(0o755)).unwrap();
    if root {
        cmd.uid(65534).gid(65534);
    }
}

fn rustix_is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .and_then(|l| l.split_whitespace().nth(2).map(|euid| euid == "0"))
        .unwrap_or(false)
}

fn writable_again(db: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let dir = db.parent().unwrap();
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    let _ = std::fs::set_permissions(db, std::fs::Permissions::from_mode(0o600));
}

/// `rigor ARGS` as a reader of `db` (see [`as_reader`]).
fn read_only(dir: &Path, db: &Path, args: &[&str]) -> Ran {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("rigor"));
    cmd.current_dir(dir)
        .env_remove("RIGOR_STORE")
        .env("NO_COLOR", "1")
        .arg(args[0])
        .arg("--store")
        .arg(db)
        .args(&args[1..]);
    as_reader(db, &mut cmd);
    ran(cmd.output().unwrap())
}

#[test]
fn a_read_only_store_is_read_and_recording_into_it_is_refused_before_anything_is_sent() {
    let _lock = common::serial();
    let dir = tempfile::tempdir().unwrap();
    let db = store_with_two_benches(dir.path());
    drop(rigor_store::SqliteStore::open(&db).unwrap());
    let before = std::fs::read(&db).unwrap();

    let listed = read_only(dir.path(), &db, &["runs", "--json"]);
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    assert_eq!(
        listed.json.as_array().map(Vec::len),
        Some(2),
        "{}",
        listed.stdout
    );
    assert_eq!(listed.stderr, "", "nothing to warn about");
    let shown = read_only(dir.path(), &db, &["show", "2"]);
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    assert!(shown.stdout.contains("3 runs"), "{}", shown.stdout);
    let compared = read_only(dir.path(), &db, &["compare", "1", "2", "--json"]);
    assert_eq!(compared.code, 0, "{}", compared.stderr);
    assert_eq!(
        compared.json["baseline"]["run_id"], 1,
        "{}",
        compared.stdout
    );
    let baselines = read_only(dir.path(), &db, &["baseline", "list"]);
    assert_eq!(baselines.code, 0, "{}", baselines.stderr);

    // Recording: refused before the target sees a request, naming the store and what to do.
    let t = common::target(&["/: latency=1ms"], None);
    let url = t.url("/");
    for args in [
        &["load", url.as_str(), "--requests", "5", "--quiet"][..],
        &["bench", "--runs", "2", "--quiet", "--", "true"],
    ] {
        let r = read_only(dir.path(), &db, args);
        assert_eq!(r.code, 3, "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.contains(&format!(
                "error: the run store {} is read-only",
                db.display()
            )) && r
                .stderr
                .contains("make them writable, or record with another --store"),
            "{args:?}: {}",
            r.stderr
        );
        assert_eq!(r.stdout, "", "{args:?}: nothing was measured");
    }
    assert_eq!(served(&t), 0, "a request reached the target");
    writable_again(&db);
    assert!(
        std::fs::read(&db).unwrap() == before,
        "the store was written"
    );
    assert!(
        !db.with_extension("db-wal").exists()
            || std::fs::metadata(db.with_extension("db-wal"))
                .unwrap()
                .len()
                == 0,
        "a journal was left beside the read-only store"
    );
}

#[test]
fn a_read_only_store_of_an_older_schema_says_it_needs_one_write() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store").join("rigor.db");
    drop(rigor_store::SqliteStore::open(&db).unwrap());
    let version = rigor_store::SCHEMA_VERSION - 1;
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.pragma_update(None, "user_version", version).unwrap();
    drop(conn);
    let r = read_only(dir.path(), &db, &["runs"]);
    writable_again(&db);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!(
            "{} has schema {version} and this build reads schema {}",
            db.display(),
            rigor_store::SCHEMA_VERSION
        )) && r.stderr.contains("make it writable once"),
        "{}",
        r.stderr
    );
}

/// A small tmpfs of its own, unmounted when dropped; `None` (with the reason on stderr) where
/// mounting is not permitted, as for a user who is not root.
struct SmallDisk(PathBuf);

impl SmallDisk {
    // A test that cannot run here says why on stderr, then passes.
    #[allow(clippy::print_stderr)]
    fn mount(at: PathBuf, size: &str) -> Option<SmallDisk> {
        std::fs::create_dir_all(&at).unwrap();
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&at)
            .output();
        match out {
            Ok(out) if out.status.success() => Some(SmallDisk(at)),
            Ok(out) => {
                eprintln!(
                    "skipped: a full disk needs a small tmpfs, and mounting one was refused \
                     (root is needed): {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                );
                None
            }
            Err(e) => {
                eprintln!("skipped: a full disk needs a small tmpfs, and `mount` cannot run: {e}");
                None
            }
        }
    }

    /// Writes a file until the disk has no room left.
    fn fill(&self) {
        use std::io::Write;
        let mut filler = std::fs::File::create(self.0.join("filler")).unwrap();
        let block = vec![0xa5u8; 4096];
        while filler
            .write_all(&block)
            .and_then(|()| filler.flush())
            .is_ok()
        {}
        let _ = filler.sync_all();
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
    }
}

#[test]
fn a_disk_that_fills_during_a_run_keeps_the_summary_and_a_full_disk_refuses_the_next() {
    let _lock = common::serial();
    let dir = tempfile::tempdir().unwrap();
    let Some(disk) = SmallDisk::mount(dir.path().join("disk"), "4m") else {
        return;
    };
    let fallback_dir = dir.path().join("tmp");
    std::fs::create_dir_all(&fallback_dir).unwrap();
    let db = disk.0.join("rigor.db");
    let t = common::target(&["/: latency=1ms"], None);
    let load = |seconds: &str| {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("rigor"));
        cmd.current_dir(dir.path())
            .env_remove("RIGOR_STORE")
            .env("NO_COLOR", "1")
            .env("TMPDIR", &fallback_dir)
            .args(["load", &t.url("/"), "--rate", "50/s", "--duration", seconds])
            .args([
                "--json",
                "--quiet",
                "--max-lag",
                common::LOOSE_MAX_LAG,
                "--store",
            ])
            .arg(&db)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        cmd
    };

    // The disk fills once the run has stored its first windows.
    let child = load("4s").spawn().unwrap();
    let stored = (0..200).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(50));
        rigor_store::SqliteStore::open_for_reading(&db).is_ok_and(|s| {
            use rigor_store::Store;
            s.windows(1).is_ok_and(|w| !w.is_empty())
        })
    });
    assert!(stored, "no window was stored before the disk filled");
    disk.fill();
    let r = ran(child.wait_with_output().unwrap());
    assert_eq!(r.code, 3, "{}", r.stderr);
    // The summary is printed whole.
    assert_eq!(r.json["run_id"], 1, "{}", r.stdout);
    assert_eq!(r.json["total"]["requests"], 200, "{}", r.stdout);
    // Said at the first failed write, once, and at the end with where the summary went.
    let full = format!("the run store {} cannot take more data", db.display());
    assert_eq!(r.stderr.matches(&full).count(), 2, "{}", r.stderr);
    let warned = r
        .stderr
        .find(&format!("warning: {full}"))
        .expect("a warning");
    let failed = r.stderr.find("error: ").expect("an error");
    assert!(warned < failed, "warned while the run went: {}", r.stderr);
    assert!(r.stderr.contains("free space on its disk"), "{}", r.stderr);
    let fallback = std::fs::read_dir(&fallback_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.to_string_lossy().contains("rigor-run-1-") && p.extension() == Some("db".as_ref())
        })
        .expect("a fallback file in TMPDIR");
    assert!(
        r.stderr.contains(&format!(
            "its summary and what the store did not take were saved to {}, a run store of its \
             own: `rigor show latest --store {}` prints it",
            fallback.display(),
            fallback.display()
        )),
        "{}",
        r.stderr
    );
    // The fallback is read like any store: the summary printed, and the windows the full
    // disk did not take; the store holds the run's start and the windows before it filled.
    let shown = ran(rigor(dir.path())
        .args(["show", "latest", "--json", "--store"])
        .arg(&fallback)
        .output()
        .unwrap());
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    assert_eq!(shown.json, r.json, "the fallback holds the summary printed");
    {
        use rigor_store::Store;
        let store = rigor_store::SqliteStore::open_for_reading(&db).unwrap();
        let kept: Vec<u32> = store.windows(1).unwrap().iter().map(|w| w.second).collect();
        assert_eq!(store.run(1).unwrap().scenario, "adhoc");
        let saved = rigor_store::SqliteStore::open_for_reading(&fallback).unwrap();
        let rest: Vec<u32> = saved.windows(1).unwrap().iter().map(|w| w.second).collect();
        assert!(!kept.is_empty() && !rest.is_empty(), "{kept:?} / {rest:?}");
        let mut every: Vec<u32> = kept.iter().chain(&rest).copied().collect();
        every.sort_unstable();
        let seconds: Vec<u32> = (0..every.len() as u32).collect();
        assert_eq!(
            every, seconds,
            "each second in one store or the other: {kept:?} / {rest:?}"
        );
    }

    // On the full disk, the next run is refused before it sends anything.
    let before = served(&t);
    let r = ran(load("2s").output().unwrap());
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains(&full), "{}", r.stderr);
    assert_eq!(r.stdout, "", "nothing was measured");
    assert_eq!(served(&t), before, "a request reached the target");
    drop(disk);
}

#[test]
fn a_read_only_store_with_a_crashed_run_lists_it_as_it_is_with_one_warning() {
    let dir = tempfile::tempdir().unwrap();
    let db = store_with_two_benches(dir.path());
    {
        // A run left running by a process of another boot: crashed, but nobody may mark it.
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute(
            "INSERT INTO runs (kind, scenario, status, started_at_ns, plan, environment, owner) \
             VALUES ('load', 'gone', 'running', 99000000000000000, '{}', '{}', 'another-boot:1:1')",
            [],
        )
        .unwrap();
    }
    drop(rigor_store::SqliteStore::open(&db).unwrap());
    let before = std::fs::read(&db).unwrap();
    let r = read_only(dir.path(), &db, &["runs"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        format!(
            "warning: 1 run(s) in {} were left running by a process that died; they cannot be \
             marked crashed while the store is read-only\n",
            db.display()
        )
    );
    let line = r.stdout.lines().find(|l| l.contains("gone"));
    assert!(line.is_some_and(|l| l.contains("running")), "{}", r.stdout);
    writable_again(&db);
    assert!(
        std::fs::read(&db).unwrap() == before,
        "the store was written"
    );
    // Writable again, the next reader closes it as crashed.
    let r = ran(rigor(dir.path())
        .arg("runs")
        .arg("--store")
        .arg(&db)
        .output()
        .unwrap());
    assert!(
        r.stderr.contains("warning: run 3 (gone) is crashed"),
        "{}",
        r.stderr
    );
}
