//! `rigor import csv`: a history from another tool, in Apache Otava's CSV layout, stored as
//! runs of kind `imported` and judged as rigor's own — the Nile's annual flow (a real series
//! with a published change point, 1899) steps where it is published; importing again adds only
//! new rows; `compare` says how it judges values without an interval; and bad input is
//! refused with nothing stored.

mod common;

use std::path::Path;

use common::{ran, rigor, Ran};

const NILE: [u32; 100] = [
    1120, 1160, 963, 1210, 1160, 1160, 813, 1230, 1370, 1140, 995, 935, 1110, 994, 1020, 960, 1180,
    799, 958, 1140, 1100, 1210, 1150, 1250, 1260, 1220, 1030, 1100, 774, 840, 874, 694, 940, 833,
    701, 916, 692, 1020, 1050, 969, 831, 726, 456, 824, 702, 1120, 1100, 832, 764, 821, 768, 845,
    864, 862, 698, 845, 744, 796, 1040, 759, 781, 865, 845, 944, 984, 897, 822, 1010, 771, 676,
    649, 846, 812, 742, 801, 1040, 860, 874, 848, 890, 744, 749, 838, 1050, 918, 986, 797, 923,
    975, 815, 1020, 906, 901, 1170, 912, 746, 919, 718, 714, 740,
];

/// The Nile's first `years` years as an Otava CSV: time, commit, branch, flow.
fn nile_csv(years: usize) -> String {
    let mut text = String::from("time,commit,branch,flow\n");
    for (i, flow) in NILE.iter().take(years).enumerate() {
        let year = 1871 + i;
        text.push_str(&format!(
            "{year}-01-01 00:00:00 +0000,y{year},main,{flow}\n"
        ));
    }
    text
}

fn import(dir: &Path, file: &str, extra: &[&str]) -> Ran {
    ran(rigor(dir)
        .args(["import", "csv", file, "--scenario", "nile"])
        .args(extra)
        .output()
        .unwrap())
}

fn json(r: &Ran) -> serde_json::Value {
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout))
}

fn stored_runs(dir: &Path) -> usize {
    let r = ran(rigor(dir)
        .args(["runs", "--json", "--limit", "100000"])
        .output()
        .unwrap());
    assert_eq!(r.code, 0, "{}", r.stderr);
    json(&r).as_array().map_or(0, Vec::len)
}

#[test]
fn a_csv_history_is_followed_compared_and_imported_again_without_doubles() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("nile.csv"), nile_csv(90)).unwrap();
    let r = import(d, "nile.csv", &[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("imported 90 runs of nile.csv as runs 1–90 of `nile`"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("flow (number, lower is better)"),
        "{}",
        r.stdout
    );

    // The published change: the level falls from 1899 on.
    let r = ran(rigor(d)
        .args(["history", "flow", "--scenario", "nile", "--json"])
        .output()
        .unwrap());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let h = json(&r);
    common::assert_schema("history.schema.json", &h);
    assert_eq!(h["kind"], "imported");
    let steps = h["series"][0]["change_points"].as_array().unwrap();
    assert_eq!(steps.len(), 1, "{h:#}");
    assert_eq!(steps[0]["git_commit"], "y1899");
    // Less water is "better" only by the default direction: the import said so.
    assert_eq!(steps[0]["kind"], "improvement");
    assert!(h["series"][0]["notes"][0]
        .as_str()
        .unwrap()
        .contains("without an interval"));

    // The history grows by ten years: importing the whole file again adds those only.
    std::fs::write(d.join("nile.csv"), nile_csv(100)).unwrap();
    let r = import(d, "nile.csv", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("imported 10 runs")
            && r.stdout.contains("90 runs already in the store, skipped"),
        "{}",
        r.stdout
    );
    assert_eq!(stored_runs(d), 100);
    // The same rows read with fewer metrics are the same runs.
    let r = import(
        d,
        "nile.csv",
        &["--metric", "flow", "--attribute", "branch"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("nothing new in nile.csv"), "{}", r.stdout);
    assert_eq!(stored_runs(d), 100);

    // Two imported values: no interval, the noise band only, and said so.
    let r = ran(rigor(d)
        .args(["compare", "1", "2", "--json"])
        .output()
        .unwrap());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let c = json(&r);
    common::assert_schema("comparison.schema.json", &c);
    let flow = &c["metrics"][0];
    assert_eq!(flow["metric"], "flow");
    assert_eq!(flow["untested"], true, "{c:#}");
    assert!(
        flow["method"].as_str().unwrap().contains("noise band"),
        "{c:#}"
    );
    assert!(
        c["warnings"]
            .to_string()
            .contains("values without an interval"),
        "{c:#}"
    );
    let r = ran(rigor(d).args(["compare", "1", "2"]).output().unwrap());
    assert!(r.stdout.contains("no interval"), "{}", r.stdout);
    // With twenty earlier years, the spread between them judges the change instead.
    let r = ran(rigor(d)
        .args(["compare", "20", "21", "--json"])
        .output()
        .unwrap());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let c = json(&r);
    let flow = &c["metrics"][0];
    assert!(flow.get("untested").is_none(), "{c:#}");
    assert!(
        flow["method"].as_str().unwrap().starts_with("between runs"),
        "{c:#}"
    );

    // An imported run shows its origin and figures.
    let r = ran(rigor(d).args(["show", "29"]).output().unwrap());
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("imported from csv (nile.csv, row 29)"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("commit: y1899"), "{}", r.stdout);

    // Following one branch reads the imported branch column.
    let r = ran(rigor(d)
        .args(["history", "flow", "--scenario", "nile", "--branch", "other"])
        .output()
        .unwrap());
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("not on branch `other`"), "{}", r.stderr);
    let r = ran(rigor(d)
        .args([
            "history",
            "--scenario",
            "nile",
            "--branch",
            "main",
            "--json",
        ])
        .output()
        .unwrap());
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        json(&r)["series"][0]["points"].as_array().unwrap().len(),
        100
    );

    // Less water is better by the import's default: the baseline follows the step of 1899.
    let r = ran(rigor(d)
        .args(["baseline", "set", "1", "--name", "main"])
        .output()
        .unwrap());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = ran(rigor(d)
        .args(["baseline", "auto", "nile", "--metric", "flow"])
        .output()
        .unwrap());
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("moved from run 1 to run"), "{}", r.stdout);
    let r = ran(rigor(d)
        .args(["baseline", "auto", "nile"])
        .output()
        .unwrap());
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("give --metric one of flow"),
        "{}",
        r.stderr
    );

    // A figure the runs do not have: did-you-mean, exit 2.
    let r = ran(rigor(d)
        .args(["history", "flw", "--scenario", "nile"])
        .output()
        .unwrap());
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("did you mean `flow`?"), "{}", r.stderr);
}

/// The gate judges imported figures named `imported.NAME`: an absolute budget in the figure's
/// unit, a step rule over the imported history (with the direction the import gave), and a
/// figure the runs lack or a limit in another unit as a bad plan.
#[test]
fn the_gate_judges_imported_figures() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("nile.csv"), nile_csv(100)).unwrap();
    // Taken as a supply, more water is better: the drop of 1899 is a regression.
    let r = import(d, "nile.csv", &["--higher-is-better", "flow"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let plan = |budget: &str| {
        format!(
            "[[budget]]\ncheck = \"{budget}\"\nscenario = \"nile\"\n\n[[rule]]\ncheck = \"imported.flow > -10% step within 80\"\nscenario = \"nile\"\naction = \"fail\"\n"
        )
    };
    std::fs::write(d.join("rigor.toml"), plan("imported.flow > 500")).unwrap();
    let r = ran(rigor(d).args(["gate", "--json"]).output().unwrap());
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let g = json(&r);
    common::assert_schema("gate.schema.json", &g);
    let checks = g["checks"].as_array().unwrap();
    assert_eq!(checks[0]["outcome"], "pass", "{g:#}");
    assert_eq!(checks[0]["value"], 740.0);
    assert_eq!(checks[1]["outcome"], "fail", "{g:#}");
    let message = checks[1]["message"].as_str().unwrap();
    assert!(message.contains("at run 29 (commit y1899)"), "{message}");
    // Before 1899 there is no step: the rule holds on run 28 ("within 80" reaches it).
    let r = ran(rigor(d).args(["gate", "--run", "28"]).output().unwrap());
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);

    std::fs::write(d.join("rigor.toml"), plan("imported.flow > 500ms")).unwrap();
    let r = ran(rigor(d).args(["gate"]).output().unwrap());
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("its limit `500ms` is a duration"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("write the limit as a plain number"),
        "{}",
        r.stderr
    );
    std::fs::write(d.join("rigor.toml"), plan("imported.flw > 500")).unwrap();
    let r = ran(rigor(d).args(["gate"]).output().unwrap());
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("has no figure `flw` (did you mean `imported.flow`?)"),
        "{}",
        r.stderr
    );
}

#[test]
fn bad_input_is_refused_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("good.csv"), nile_csv(10)).unwrap();
    assert_eq!(import(d, "good.csv", &[]).code, 0);
    let before = stored_runs(d);

    // A bad cell in the last row: no row of the file is stored.
    let mut bad = nile_csv(20);
    bad.push_str("1891-01-01 00:00:00 +0000,y1891,main,lots\n");
    std::fs::write(d.join("bad.csv"), &bad).unwrap();
    let r = import(d, "bad.csv", &["--metric", "flow"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("row 21, column `flow`: `lots` is not a number"),
        "{}",
        r.stderr
    );
    assert_eq!(stored_runs(d), before);

    for (text, expected) in [
        (
            "when,flow\n2024-01-01,1\n",
            "the time column `time` is not in the header",
        ),
        ("time,flow\nsoon,1\n", "row 1, column `time`"),
        ("time,flow\n2024-01-01,1,2\n", "row 1 has 3 fields"),
        ("time,flow\n", "no rows"),
        ("", "the CSV is empty"),
    ] {
        std::fs::write(d.join("x.csv"), text).unwrap();
        let r = import(d, "x.csv", &[]);
        assert_eq!(r.code, 2, "{text:?}: {}", r.stderr);
        assert!(r.stderr.contains(expected), "{text:?}: {}", r.stderr);
    }
    assert_eq!(stored_runs(d), before);

    // The same figure in another unit would mix ms into plain numbers: refused.
    let r = import(d, "good.csv", &["--unit", "flow=ms"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("was imported in number"), "{}", r.stderr);
    let r = import(d, "good.csv", &["--unit", "flow=furlongs"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not a unit rigor reads"), "{}", r.stderr);
    let r = import(
        d,
        "good.csv",
        &["--higher-is-better", "flow", "--lower-is-better", "flow"],
    );
    assert_eq!(r.code, 2);
    let r = import(d, "missing.csv", &[]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("cannot read missing.csv"), "{}", r.stderr);
    let r = import(d, "good.csv", &["--time-unit", "days"]);
    assert_eq!(r.code, 2);

    // A name that rigor's own bench runs use is not mixed with imported runs.
    std::fs::write(
        d.join("rigor.toml"),
        "[[bench]]\nname = \"nile\"\ncommand = \"true\"\nruns = 3\nwarmup = 0\n",
    )
    .unwrap();
    let dir2 = tempfile::tempdir().unwrap();
    std::fs::copy(d.join("rigor.toml"), dir2.path().join("rigor.toml")).unwrap();
    std::fs::copy(d.join("good.csv"), dir2.path().join("good.csv")).unwrap();
    let r = ran(rigor(dir2.path())
        .args(["run", "--quiet"])
        .output()
        .unwrap());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = import(dir2.path(), "good.csv", &[]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("already names bench runs"),
        "{}",
        r.stderr
    );

    // A store that cannot be written: exit 3, and what it held is untouched.
    let store = d.join(".rigor");
    let mode = |m: u32| {
        use std::os::unix::fs::PermissionsExt;
        for entry in std::fs::read_dir(&store).unwrap() {
            let p = entry.unwrap().path();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(m)).unwrap();
        }
        std::fs::set_permissions(
            &store,
            std::fs::Permissions::from_mode(if m == 0o444 { 0o555 } else { 0o755 }),
        )
        .unwrap();
    };
    std::fs::write(d.join("more.csv"), nile_csv(12)).unwrap();
    mode(0o444);
    let r = import(d, "more.csv", &[]);
    mode(0o644);
    if is_root() {
        return; // root writes through read-only permissions
    }
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(stored_runs(d), before);
}

/// Whether the tests run as root, for whom file permissions do not stop a write.
fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}
