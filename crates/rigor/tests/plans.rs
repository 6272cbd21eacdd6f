//! Plan features end to end: CSV variables, request weights, a closed-model ramp of users and
//! an open-model spike, each checked in the stored figures.

mod common;

use common::{serial, target};

fn run_plan(dir: &std::path::Path, plan: &str) -> common::Ran {
    std::fs::write(dir.join("rigor.toml"), plan).unwrap();
    common::only_scenario(common::run_plan(dir))
}

#[test]
fn csv_variables_and_weights() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    // Only ids 1 and 2 exist; any other path (such as an unsubstituted `{id}`) is a 404.
    let t = target(
        &[
            "/items/1: latency=1ms",
            "/items/2: latency=1ms",
            "/items/*: errors=100%@404",
        ],
        None,
    );
    std::fs::write(dir.path().join("ids.csv"), "id,label\n1,one\n2,two\n").unwrap();
    let plan = format!(
        r#"
[[scenario]]
name = "weighted"
data = "ids.csv"
requests = 400
phases = [{{ kind = "steady", rate = "400/s", for = "10s" }}]
[[scenario.request]]
name = "item"
url = "{base}/items/{{id}}?label={{label}}"
weight = 3
[[scenario.request]]
name = "health"
url = "{base}/health"
headers = {{ X-Row = "{{id}}" }}
"#,
        base = t.url("").trim_end_matches('/'),
    );
    let r = run_plan(dir.path(), &plan);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json["total"]["requests"], 400);
    assert_eq!(r.json["total"]["errors"], 0, "{}", r.json["total"]);
    assert_eq!(r.json["requests"][0]["requests"], 300);
    assert_eq!(r.json["requests"][1]["requests"], 100);
}

#[test]
fn closed_model_ramps_users() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    let t = target(&["/: latency=20ms"], None);
    let plan = format!(
        r#"
[[scenario]]
name = "users"
phases = [{{ kind = "ramp", to = 8, over = "2s" }}, {{ kind = "steady", for = "1s" }}]
[[scenario.request]]
url = "{}"
"#,
        t.url("/")
    );
    let r = run_plan(dir.path(), &plan);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json["model"], "closed");
    assert_eq!(r.json["generator"]["connections_opened"], 8);
    let ramp = r.json["phases"][0]["throughput_per_s"].as_f64().unwrap();
    let steady = r.json["phases"][1]["throughput_per_s"].as_f64().unwrap();
    // 8 users at ~20 ms each hold up to ~400/s (less on a busy machine); the ramp from 0 to 8
    // users averages about half of the steady rate.
    assert!(steady > 150.0, "steady {steady}/s");
    assert!(ramp < steady * 0.75, "ramp {ramp}/s vs steady {steady}/s");
}

#[test]
fn spike_multiplies_the_previous_rate() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    let t = target(&["/: latency=1ms"], None);
    let plan = format!(
        r#"
[[scenario]]
name = "spiky"
phases = [{{ kind = "steady", rate = "20/s", for = "1s" }}, {{ kind = "spike", multiple = 5, for = "1s" }}, {{ kind = "steady", rate = "20/s", for = "1s" }}]
thresholds = ["requests{{phase=spike}} >= 100", "error_rate{{phase=spike}} < 1%"]
[[scenario.request]]
url = "{}"
"#,
        t.url("/")
    );
    let r = run_plan(dir.path(), &plan);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let phases: Vec<(String, u64)> = r.json["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["requests"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        phases,
        [
            ("steady".into(), 20),
            ("spike".into(), 100),
            ("steady-2".into(), 20)
        ]
    );
    assert!(r.json["thresholds"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["passed"] == true));
}
