//! Journeys: ordered steps that carry values from one response to the next request, walked
//! against the built-in target's stateful flow (a login that issues a token and a session
//! cookie, an order created with the token, read back by the id the create answered) — whose
//! own counts say what reached it.

mod common;

use common::{ms, run_plan, serial, stats, target};

/// A plan of the flow's journey at `load` (`rate = "50/s"` or `concurrency = 4`) for `for`,
/// with `auth` as the create step's Authorization header.
fn flow_plan(url: &str, load: &str, duration: &str, auth: &str) -> String {
    format!(
        r#"
[[scenario]]
name = "checkout"
phases = [{{ kind = "steady", {load}, for = "{duration}" }}]
thresholds = ["journey.failure_rate < 1%"]

[[scenario.step]]
name = "login"
method = "POST"
url = "{url}/flow/login"
extract = {{ token = "json:/token" }}

[[scenario.step]]
name = "create"
method = "POST"
url = "{url}/flow/orders"
headers = {{ Authorization = "{auth}" }}
check = {{ status = [201] }}
extract = {{ order = "header:Location", id = "json:$.id" }}

[[scenario.step]]
name = "read"
url = "{url}{{order}}"
headers = {{ Authorization = "Bearer {{token}}" }}
check = {{ body_contains = "\"id\"" }}
repeat = 2

[[scenario.step]]
name = "me"
url = "{url}/flow/me"
"#
    )
}

/// `http://ADDR`, without the slash `url("")` ends with.
fn base(t: &rigor_target::RunningTarget) -> String {
    format!("http://{}", t.addr())
}

fn step<'a>(json: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    json["requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == name)
        .unwrap_or_else(|| panic!("no step `{name}`: {json}"))
}

#[test]
fn extracted_values_reach_later_steps_at_the_journey_rate_with_each_steps_latency() {
    let _lock = serial();
    let t = target(
        &["/flow/login: latency=20ms", "/flow/orders: latency=10ms"],
        None,
    );
    let dir = tempfile::tempdir().unwrap();
    let plan = flow_plan(&base(&t), "rate = \"50/s\"", "4s", "Bearer {token}");
    std::fs::write(dir.path().join("rigor.toml"), plan).unwrap();
    let r = common::only_scenario(run_plan(dir.path()));
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let j = &r.json["journey"];
    assert_eq!(j["started"], 200, "{j}");
    assert_eq!(j["completed"], 200, "{j}");
    assert_eq!(
        (j["failed"].as_u64(), j["unfinished"].as_u64()),
        (Some(0), Some(0))
    );
    // Walks start at the arrival rate, whatever the steps take.
    let rate = j["started_per_s"].as_f64().unwrap();
    assert!(
        (rate - 50.0).abs() <= 0.5,
        "journey rate {rate}/s against 50/s"
    );
    // The target saw every step of every walk, with the values the walk took: each create
    // carried a token it issued, each read the creating token and the id it answered, each
    // `me` the session cookie.
    let flow = &stats(&t)["flow"];
    assert_eq!(flow["logins"], 200, "{flow}");
    assert_eq!(flow["created"], 200, "{flow}");
    assert_eq!(flow["read"], 400, "{flow}");
    assert_eq!(flow["sessions"], 200, "{flow}");
    assert_eq!(
        (flow["unauthorized"].as_u64(), flow["missing"].as_u64()),
        (Some(0), Some(0))
    );
    // Each step's latency is its route's.
    let p50 = |name: &str| ms(&step(&r.json, name)["latency"]["p50_ns"]);
    assert!(
        (20.0..30.0).contains(&p50("login")),
        "login p50 {}",
        p50("login")
    );
    assert!(
        (10.0..18.0).contains(&p50("create")),
        "create p50 {}",
        p50("create")
    );
    assert!(p50("read") < 8.0, "read p50 {}", p50("read"));
    assert_eq!(step(&r.json, "read")["requests"], 400);
    // A walk is its steps end to end: at least the two slow routes.
    let walk = ms(&j["duration"]["p50_ns"]);
    assert!((30.0..60.0).contains(&walk), "walk p50 {walk}");
    let steps: Vec<&str> = j["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["login", "create", "read", "me"]);
    assert_eq!(j["steps"][1]["extracts"][0], "id = json:$.id");
    assert_eq!(r.json["thresholds"][0]["passed"], true);
    common::assert_schema("run-summary.schema.json", &r.json);
}

#[test]
fn a_wrong_token_fails_the_step_that_needs_it_and_no_later_step_is_sent() {
    let _lock = serial();
    let t = target(&[], None);
    let dir = tempfile::tempdir().unwrap();
    let plan = flow_plan(&base(&t), "rate = \"40/s\"", "1s", "Bearer {token}x");
    std::fs::write(dir.path().join("rigor.toml"), plan).unwrap();
    let r = common::only_scenario(run_plan(dir.path()));
    let j = &r.json["journey"];
    assert_eq!(
        (j["started"].as_u64(), j["failed"].as_u64()),
        (Some(40), Some(40)),
        "{j}"
    );
    assert_eq!(j["completed"], 0);
    let failed_at: Vec<u64> = j["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["failed_walks"].as_u64().unwrap())
        .collect();
    assert_eq!(failed_at, [0, 40, 0, 0], "every walk ended at create");
    let create = step(&r.json, "create");
    assert_eq!(create["errors_by_kind"]["http_401"], 40, "{create}");
    assert_eq!(step(&r.json, "read")["requests"], 0);
    assert_eq!(step(&r.json, "me")["requests"], 0);
    let flow = &stats(&t)["flow"];
    assert_eq!(
        (flow["logins"].as_u64(), flow["unauthorized"].as_u64()),
        (Some(40), Some(40))
    );
    assert_eq!(
        (flow["read"].as_u64(), flow["sessions"].as_u64()),
        (Some(0), Some(0))
    );
    // The journey threshold fails the run.
    assert_eq!(r.json["thresholds"][0]["passed"], false);
    assert_ne!(r.code, 0);
}

#[test]
fn a_value_that_cannot_be_taken_ends_the_walk_and_says_why() {
    let _lock = serial();
    let t = target(&[], None);
    let dir = tempfile::tempdir().unwrap();
    let plan = flow_plan(&base(&t), "rate = \"20/s\"", "1s", "Bearer {token}")
        .replace("json:$.id", "json:$.order_id");
    std::fs::write(dir.path().join("rigor.toml"), plan).unwrap();
    let r = common::only_scenario(run_plan(dir.path()));
    let j = &r.json["journey"];
    assert_eq!(j["steps"][1]["failed_walks"], 20, "{j}");
    let why = j["steps"][1]["extract_failure"].as_str().unwrap();
    assert!(
        why.contains("id: the body's JSON has nothing at `/order_id`"),
        "{why}"
    );
    assert_eq!(step(&r.json, "create")["errors_by_kind"]["extract"], 20);
    // The orders were made, but nothing was sent with the value missing.
    let flow = &stats(&t)["flow"];
    assert_eq!(
        (flow["created"].as_u64(), flow["read"].as_u64()),
        (Some(20), Some(0))
    );
    assert_eq!(flow["missing"], 0);
    assert!(
        r.stdout.contains("could not take a value") || r.json["journey"].is_object(),
        "{}",
        r.stdout
    );
}

#[test]
fn closed_model_users_loop_the_journey_on_their_own_connections() {
    let _lock = serial();
    let t = target(&["/flow/login: latency=5ms"], None);
    let dir = tempfile::tempdir().unwrap();
    let plan = flow_plan(&base(&t), "concurrency = 3", "2s", "Bearer {token}")
        .replace("repeat = 2", "repeat = 2\nthink = \"2ms\"");
    std::fs::write(dir.path().join("rigor.toml"), plan).unwrap();
    let r = common::only_scenario(run_plan(dir.path()));
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let j = &r.json["journey"];
    let completed = j["completed"].as_u64().unwrap();
    assert!(completed > 30, "{j}");
    assert_eq!(j["failed"], 0, "{j}");
    let flow = &stats(&t)["flow"];
    // Walks still under way when the phase ended finish in the drain, or are unfinished.
    let logins = flow["logins"].as_u64().unwrap();
    assert!(
        logins >= completed && logins <= completed + 3,
        "{flow} vs {j}"
    );
    assert_eq!(flow["unauthorized"], 0, "{flow}");
    // Three users, each on its own connection: three connections in all.
    assert_eq!(
        r.json["generator"]["connections_opened"], 3,
        "{}",
        r.json["generator"]
    );
    // The think time between the reads is in the walk, not in the steps' latency.
    assert!(ms(&j["duration"]["p50_ns"]) >= 7.0, "{j}");
}

#[test]
fn a_data_row_serves_a_whole_walk_and_cookies_can_be_left_off() {
    let _lock = serial();
    // Echoes each request's target in its body, and records it.
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let record = seen.clone();
    let port = common::hand_server(move |head, stream| {
        use std::io::Write;
        let target = head.split(' ').nth(1).unwrap_or("").to_string();
        assert!(
            !head.contains("\r\nCookie:"),
            "cookies = false sends none: {head}"
        );
        record.lock().unwrap().push(target.clone());
        let answer = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nSet-Cookie: k=v\r\n\r\n{target}",
            target.len()
        );
        stream.write_all(answer.as_bytes()).is_ok()
    });
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("users.csv"), "user\nann\nbob\ncid\n").unwrap();
    let plan = format!(
        r#"
[[scenario]]
name = "rows"
data = "users.csv"
cookies = false
phases = [{{ kind = "steady", rate = "30/s", for = "1s" }}]

[[scenario.step]]
url = "http://127.0.0.1:{port}/one?u={{user}}"
extract = {{ who = "regex:u=(\\w+)" }}

[[scenario.step]]
url = "http://127.0.0.1:{port}/two?u={{user}}&was={{who}}"
"#
    );
    std::fs::write(dir.path().join("rigor.toml"), plan).unwrap();
    let r = common::only_scenario(run_plan(dir.path()));
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.json["journey"]["completed"], 30, "{}", r.json["journey"]);
    let seen = seen.lock().unwrap();
    let seconds: Vec<&String> = seen.iter().filter(|t| t.starts_with("/two")).collect();
    assert_eq!(seconds.len(), 30);
    for t in &seconds {
        let (u, was) = t.trim_start_matches("/two?u=").split_once("&was=").unwrap();
        assert_eq!(u, was, "one walk, one data row: {t}");
    }
    for user in ["ann", "bob", "cid"] {
        let n = seconds
            .iter()
            .filter(|t| t.contains(&format!("u={user}&")))
            .count();
        assert_eq!(n, 10, "rows are dealt per walk, in turn: {user}");
    }
}

#[test]
fn a_journey_that_cannot_be_walked_is_refused_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let t = "http://127.0.0.1:9";
    for (plan, says) in [
        (
            flow_plan(t, "rate = \"1/s\"", "1s", "Bearer {tokn}"),
            "rigor.toml:17:",
        ),
        (
            flow_plan(t, "rate = \"1/s\"", "1s", "Bearer {token}")
                .replace("json:/token", "json:token"),
            "rigor.toml:11:11: scenario `checkout`: step 1: token: `json:token`",
        ),
        (
            flow_plan(t, "rate = \"1/s\"", "1s", "Bearer {token}")
                .replace("repeat = 2", "repeat = 100000"),
            "from 1 to 1000 times",
        ),
    ] {
        std::fs::write(dir.path().join("rigor.toml"), plan).unwrap();
        let r = run_plan(dir.path());
        assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
        assert!(r.stderr.contains(says), "{says}: {}", r.stderr);
    }
}

#[test]
fn a_journey_run_killed_midway_keeps_its_walks() {
    let _lock = serial();
    let t = target(&[], None);
    let dir = tempfile::tempdir().unwrap();
    let plan = flow_plan(&base(&t), "rate = \"50/s\"", "30s", "Bearer {token}");
    std::fs::write(dir.path().join("rigor.toml"), plan).unwrap();
    let mut run = common::spawn(dir.path(), &["run", "--quiet"]);
    let db = dir.path().join(".rigor").join("rigor.db");
    let stored = (0..200).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(50));
        rigor_store::SqliteStore::open(&db).is_ok_and(|s| {
            use rigor_store::Store;
            s.windows(1).is_ok_and(|w| w.len() >= 3)
        })
    });
    assert!(stored, "no windows were stored");
    run.kill().unwrap(); // SIGKILL: nothing of rigor's runs after it
    let _ = run.wait();
    let listed = common::ran(
        common::rigor(dir.path())
            .args(["runs", "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    let summary = &listed.json[0]["summary"];
    assert_eq!(summary["status"], "crashed", "{summary}");
    let j = &summary["journey"];
    let completed = j["completed"].as_u64().unwrap();
    assert!(completed >= 100, "{j}");
    assert!(ms(&j["duration"]["p50_ns"]) > 0.0, "{j}");
    let steps: Vec<&str> = j["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["login", "create", "read", "me"]);
    // What the target answered is what the store kept, but for the second being written.
    let logins = stats(&t)["flow"]["logins"].as_u64().unwrap();
    assert!(logins >= j["started"].as_u64().unwrap(), "{j}");
}

#[test]
fn compare_and_gate_judge_the_walks_duration_and_failure_rate() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    let fast = target(&["/flow/login: latency=10ms"], None);
    let slow = target(&["/flow/login: latency=25ms"], None);
    let walk = |t: &rigor_target::RunningTarget| {
        let plan = flow_plan(&base(t), "rate = \"40/s\"", "3s", "Bearer {token}")
            + "\n[[rule]]\nmetric = \"journey.duration.p50\"\nmax_increase = \"20%\"\naction = \"fail\"\n";
        std::fs::write(dir.path().join("rigor.toml"), plan).unwrap();
        let r = common::only_scenario(run_plan(dir.path()));
        assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
        r.json["run_id"].as_i64().unwrap()
    };
    let a = walk(&fast);
    let b = walk(&slow);
    let c = common::ran(
        common::rigor(dir.path())
            .args(["compare", &a.to_string(), &b.to_string(), "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(c.code, 0, "{}", c.stderr);
    let row = |name: &str| {
        c.json["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["metric"] == name)
            .unwrap_or_else(|| panic!("no {name}: {}", c.json))
            .clone()
    };
    let p50 = row("journey.duration.p50");
    assert_eq!(p50["verdict"], "regressed", "{p50}");
    assert!(
        p50["method"]
            .as_str()
            .unwrap()
            .contains("one-second windows"),
        "{p50}"
    );
    assert_ne!(row("journey.failure_rate")["verdict"], "regressed");
    // The rule over the walk's duration fails the gate against the first run as baseline.
    let set = common::ran(
        common::rigor(dir.path())
            .args(["baseline", "set", &a.to_string()])
            .output()
            .unwrap(),
    );
    assert_eq!(set.code, 0, "{}", set.stderr);
    let gate = common::ran(common::rigor(dir.path()).args(["gate"]).output().unwrap());
    assert_eq!(gate.code, 1, "{}\n{}", gate.stdout, gate.stderr);
    assert!(
        gate.stdout.contains("journey.duration.p50"),
        "{}",
        gate.stdout
    );
}

#[test]
fn a_journey_walks_over_http2_too() {
    let _lock = serial();
    let t = target(&[], None);
    let dir = tempfile::tempdir().unwrap();
    let plan = flow_plan(&base(&t), "rate = \"20/s\"", "1s", "Bearer {token}").replace(
        "name = \"checkout\"\n",
        "name = \"checkout\"\nhttp = \"2\"\n",
    );
    std::fs::write(dir.path().join("rigor.toml"), plan).unwrap();
    let r = common::only_scenario(run_plan(dir.path()));
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.json["journey"]["completed"], 20, "{}", r.json["journey"]);
    let flow = &stats(&t)["flow"];
    assert_eq!(
        [
            &flow["logins"],
            &flow["created"],
            &flow["read"],
            &flow["sessions"]
        ],
        [20, 20, 40, 20],
        "{flow}"
    );
}

#[test]
fn closed_model_users_pause_when_the_target_is_gone() {
    let _lock = serial();
    let t = target(&[], None);
    let dir = tempfile::tempdir().unwrap();
    let plan = flow_plan(&base(&t), "concurrency = 2", "3s", "Bearer {token}");
    std::fs::write(dir.path().join("rigor.toml"), plan).unwrap();
    let path = dir.path().to_path_buf();
    let run = std::thread::spawn(move || common::only_scenario(run_plan(&path)));
    std::thread::sleep(std::time::Duration::from_millis(1000));
    t.stop().unwrap();
    let r = run.join().unwrap();
    assert_ne!(
        r.code, 0,
        "walks failed after the target went: {}",
        r.stdout
    );
    let j = &r.json["journey"];
    assert!(j["completed"].as_u64().unwrap() > 0, "{j}");
    // Up to 2 s without a target, two users pausing 10 ms after each refused connect: a few
    // hundred refusals at most, not the tens of thousands of a tight loop.
    let refused = r.json["total"]["errors_by_kind"]["connect_refused"]
        .as_u64()
        .unwrap_or(0);
    assert!((1..=1000).contains(&refused), "{}", r.json["total"]);
    // The run saw the target go (and stopped on it); every failed walk is counted at a step.
    assert_eq!(r.json["status"], "target_failed", "{}", r.stdout);
    let at_steps: u64 = j["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["failed_walks"].as_u64().unwrap())
        .sum();
    assert_eq!(at_steps, j["failed"].as_u64().unwrap(), "{j}");
}

#[test]
fn walks_share_one_connection_in_turn_when_the_pool_is_full() {
    let _lock = serial();
    let t = target(&["/flow/login: latency=15ms"], None);
    let dir = tempfile::tempdir().unwrap();
    // Each walk needs about 20 ms of the one connection; 30 walks a second want 60 % of it,
    // in bursts whenever walks overlap: they wait their turn, and every one completes.
    let plan = flow_plan(&base(&t), "rate = \"30/s\"", "2s", "Bearer {token}").replace(
        "name = \"checkout\"\n",
        "name = \"checkout\"\nmax_connections = 1\n",
    );
    std::fs::write(dir.path().join("rigor.toml"), plan).unwrap();
    let r = common::only_scenario(run_plan(dir.path()));
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let j = &r.json["journey"];
    assert_eq!(
        (j["started"].as_u64(), j["completed"].as_u64()),
        (Some(60), Some(60)),
        "{j}"
    );
    let g = &r.json["generator"];
    assert_eq!(g["connections_opened"], 1, "{g}");
    assert_eq!(g["dropped_arrivals"], 0, "{g}");
    assert_eq!(stats(&t)["flow"]["read"], 120);
}
