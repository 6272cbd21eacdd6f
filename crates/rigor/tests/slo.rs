//! `rigor slo rules`: the plan's `[[slo]]` tables as Prometheus rules that the real promtool
//! checks, with promtool unit tests that a fast burn pages and a slow one does not — and that
//! fail when a rule is made to page on the slow burn; a dashboard whose queries read only the
//! recorded series; and the objectives, windows and tools that cannot be, refused.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{ran, rigor, Ran};

const PLAN: &str = r#"
[[scenario]]
name = "checkout"
[[scenario.request]]
url = "http://127.0.0.1:9/"
[[scenario.phases]]
kind = "steady"
rate = "10/s"
for = "5s"

[[slo]]
name = "checkout-availability"
scenario = "checkout"
sli = "availability"
objective = "99.9%"
window = "30d"
runbook = "https://runbooks.example/checkout"
labels = { team = "payments" }

[[slo]]
name = "checkout-latency"
scenario = "checkout"
sli = "latency"
threshold = "300ms"
objective = "99%"
window = "28d"

[[slo]]
name = "api-5xx"
sli = "availability"
objective = "99.5%"
window = "7d"
total = 'http_requests_total{job="api"}'
errors = 'http_requests_total{job="api",code=~"5.."}'
"#;

fn slo_rules(dir: &Path, extra: &[&str]) -> Ran {
    ran(rigor(dir)
        .args(["slo", "rules", "-o", "out"])
        .args(extra)
        .output()
        .unwrap())
}

#[test]
fn the_rules_pass_promtool_and_their_tests_tell_a_fast_burn_from_a_slow_one() {
    let Some(promtool) = common::tool("promtool", "apt-get install prometheus") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("rigor.toml"), PLAN).unwrap();
    let r = slo_rules(d, &["--check"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("promtool check rules: SUCCESS"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("promtool test rules: SUCCESS"),
        "{}",
        r.stdout
    );
    // A regular-expression matcher cannot be fed synthetic series: said, not skipped silently.
    assert!(
        r.stderr.contains("no promtool test for SLO api-5xx"),
        "{}",
        r.stderr
    );

    let out = d.join("out");
    let rules = std::fs::read_to_string(out.join("slo-rules.yml")).unwrap();
    // The workbook's factors over 30 days, and over 28 the same factors over windows scaled
    // to it.
    assert!(rules.contains("ratio_rate1h{slo=\\\"checkout-availability\\\"} > 14.4 * 0.001"));
    assert!(rules.contains("ratio_rate6h{slo=\\\"checkout-availability\\\"} > 6 * 0.001"));
    assert!(rules.contains("ratio_rate3d{slo=\\\"checkout-availability\\\"} > 1 * 0.001"));
    assert!(rules.contains("ratio_rate56m{slo=\\\"checkout-latency\\\"} > 14.4 * 0.01"));
    assert!(rules.contains(
        "rigor_request_duration_seconds_bucket{scenario=\\\"checkout\\\",le=\\\"0.3\\\"}"
    ));

    // The tests have teeth: a page rule that fires at the slow burn's rate fails them.
    let loose = rules.replace(
        "ratio_rate6h{slo=\\\"checkout-availability\\\"} > 6 * 0.001 and slo:sli_error:ratio_rate30m{slo=\\\"checkout-availability\\\"} > 6 * 0.001",
        "ratio_rate6h{slo=\\\"checkout-availability\\\"} > 1 * 0.001 and slo:sli_error:ratio_rate30m{slo=\\\"checkout-availability\\\"} > 1 * 0.001",
    );
    assert_ne!(loose, rules);
    std::fs::write(out.join("slo-rules.yml"), &loose).unwrap();
    let test = std::process::Command::new(&promtool)
        .args(["test", "rules", "slo-rules.test.yml"])
        .current_dir(&out)
        .output()
        .unwrap();
    assert!(
        !test.status.success(),
        "a slow burn that pages must fail the tests"
    );

    // The dashboard reads only series the rules record.
    let recorded: BTreeSet<String> = rules
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- record: "))
        .map(|r| r.trim_matches('"').to_string())
        .collect();
    let dashboard: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("slo-dashboard.json")).unwrap())
            .unwrap();
    let mut queries = 0;
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().into_iter().flatten() {
            let expr = target["expr"].as_str().unwrap();
            queries += 1;
            for name in series_names(expr) {
                assert!(
                    recorded.contains(&name),
                    "`{expr}` reads `{name}`, which no rule records"
                );
            }
        }
    }
    assert!(queries >= 3 * 8, "{queries} queries");
}

#[test]
fn any_window_and_objective_the_plan_takes_gives_rules_promtool_passes() {
    let promtool = common::tool("promtool", "apt-get install prometheus");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Windows other than a month (the alerts' windows scale with them; over a day or three
    // days the window is recorded once, not twice), a whole-second threshold, objectives
    // from loose (no 14.4x page can fire) to six nines (a millionth of requests must count).
    for (window, objective, threshold) in [
        ("1d", "99.9%", "1s"),
        ("3d", "99%", "2s"),
        ("7d", "90%", "250ms"),
        ("365d", "99.9999%", "1s"),
        ("2d", "50%", "10s"),
    ] {
        std::fs::write(
            d.join("rigor.toml"),
            format!(
                "[[scenario]]\nname = \"checkout\"\n[[scenario.request]]\nurl = \"http://127.0.0.1:1/\"\n\n\
                 [[slo]]\nname = \"lat\"\nscenario = \"checkout\"\nsli = \"latency\"\nthreshold = \"{threshold}\"\nobjective = \"{objective}\"\nwindow = \"{window}\"\n\n\
                 [[slo]]\nname = \"avail\"\nscenario = \"checkout\"\nsli = \"availability\"\nobjective = \"{objective}\"\nwindow = \"{window}\"\n"
            ),
        )
        .unwrap();
        let case = format!("{window} {objective} {threshold}");
        if promtool.is_some() {
            let r = slo_rules(d, &["--check"]);
            assert_eq!(r.code, 0, "{case}: {}\n{}", r.stdout, r.stderr);
            assert!(
                r.stdout.contains("promtool test rules: SUCCESS"),
                "{case}: {}",
                r.stdout
            );
        }
        // What needs no promtool is checked without it.
        let r = slo_rules(d, &[]);
        assert_eq!(r.code, 0, "{case}: {}\n{}", r.stdout, r.stderr);
        let rules = std::fs::read_to_string(d.join("out/slo-rules.yml")).unwrap();
        // Each SLO's group records each series once.
        let mut group = "";
        let records: Vec<(&str, &str)> = rules
            .lines()
            .filter_map(|l| {
                if let Some(name) = l.trim().strip_prefix("- name: ") {
                    group = name;
                }
                Some((group, l.trim().strip_prefix("- record: ")?))
            })
            .collect();
        let unique: BTreeSet<(&str, &str)> = records.iter().copied().collect();
        assert_eq!(unique.len(), records.len(), "{case}: a rule twice");
        // No alert burns slower than the budget allows.
        for factor in rules
            .split(" > ")
            .skip(1)
            .filter_map(|t| t.split(" * ").next()?.parse::<f64>().ok())
        {
            assert!(factor >= 1.0, "{case}: an alert at {factor}x");
        }
        let loose = objective == "90%" || objective == "50%";
        assert_eq!(
            r.stderr.contains("can never fire"),
            loose,
            "{case}: {}",
            r.stderr
        );
        // A whole number of seconds is matched as clients write it and as Prometheus 3
        // stores it.
        if !threshold.ends_with("ms") {
            let n = threshold.trim_end_matches('s');
            assert!(
                rules.contains(&format!("le=~\\\"{n}|{n}\\\\\\\\.0\\\"")),
                "{case}: {rules}"
            );
        }
    }
    let show = ran(rigor(d).args(["slo", "show"]).output().unwrap());
    assert_eq!(show.code, 0, "{}", show.stderr);
    assert!(
        show.stdout.contains("lat (scenario checkout): 50% over 2d"),
        "{}",
        show.stdout
    );
}

/// The series names a PromQL expression reads: identifiers followed by `{` (every query of
/// the dashboard selects its SLO by label).
fn series_names(expr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let bytes: Vec<char> = expr.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_alphabetic() || c == '_' || c == ':' {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || "_:".contains(bytes[i])) {
                i += 1;
            }
            if bytes.get(i) == Some(&'{') {
                out.push(bytes[start..i].iter().collect());
            }
        } else {
            i += 1;
        }
    }
    out
}

#[test]
fn objectives_windows_and_missing_tools_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (from, to, expected) in [
        (
            "objective = \"99.9%\"",
            "objective = \"100%\"",
            "leaves no error budget",
        ),
        (
            "objective = \"99.9%\"",
            "objective = \"120%\"",
            "more than every request",
        ),
        (
            "window = \"30d\"",
            "window = \"a month\"",
            "is not a window",
        ),
        (
            "sli = \"latency\"",
            "sli = \"speed\"",
            "`speed` is not an SLI",
        ),
        (
            "scenario = \"checkout\"\nsli = \"availability\"",
            "scenario = \"chekout\"\nsli = \"availability\"",
            "did you mean `checkout`?",
        ),
    ] {
        let plan = PLAN.replacen(from, to, 1);
        assert_ne!(plan, PLAN, "{from}");
        std::fs::write(d.join("rigor.toml"), plan).unwrap();
        let r = slo_rules(d, &[]);
        assert_eq!(r.code, 2, "{to}: {}", r.stderr);
        assert!(r.stderr.contains(expected), "{to}: {}", r.stderr);
        assert!(
            r.stderr.contains("rigor.toml:"),
            "{to}: the plan's line: {}",
            r.stderr
        );
    }
    std::fs::write(d.join("rigor.toml"), "").unwrap();
    let r = slo_rules(d, &[]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("has no [[slo]] table"), "{}", r.stderr);

    // Without promtool the rules are written, and --check says what to install: exit 3.
    std::fs::write(d.join("rigor.toml"), PLAN).unwrap();
    let r = ran(rigor(d)
        .args(["slo", "rules", "-o", "out", "--check"])
        .env("PATH", "/nonexistent")
        .output()
        .unwrap());
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains("apt-get install prometheus"),
        "{}",
        r.stderr
    );
    assert!(d.join("out/slo-rules.yml").is_file());
    let r = ran(rigor(d).args(["slo", "show"]).output().unwrap());
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("14.4× the budget's rate over 1h and 5m"),
        "{}",
        r.stdout
    );
}
