//! Plan parsing and resolution, table by table.
use super::*;

fn parse(text: &str) -> Result<Plan, PlanError> {
    Plan::parse(text, Path::new("rigor.toml"))
}

fn scenario(text: &str) -> Result<Scenario, String> {
    let plan = parse(text).map_err(|e| e.to_string())?;
    plan.scenarios(Path::new("rigor.toml"), None)
        .map(|mut v| v.remove(0))
        .map_err(|e| e.to_string())
}

#[test]
fn starter_plan_parses_and_resolves() {
    let plan = parse(STARTER_PLAN).unwrap();
    let scenarios = plan.scenarios(Path::new("rigor.toml"), None).unwrap();
    assert!(!scenarios.is_empty());
}

#[test]
fn unknown_key_names_line_column_and_suggestion() {
    let text = "[[scenario]]\nname = \"a\"\nphasse = []\n";
    let err = parse(text).unwrap_err().to_string();
    assert!(
        err.starts_with("rigor.toml:3:1: unknown field `phasse`"),
        "{err}"
    );
    assert!(err.contains("did you mean `phases`?"), "{err}");
}

#[test]
fn unknown_phase_kind_suggests_the_nearest() {
    let text = "[[scenario]]\nname = \"a\"\nphases = [{ kind = \"stedy\", rate = \"1/s\", for = \"1s\" }]\n";
    let err = parse(text).unwrap_err().to_string();
    assert!(err.contains("rigor.toml:3:"), "{err}");
    assert!(err.contains("did you mean `steady`?"), "{err}");
}

#[test]
fn bad_units_name_the_value() {
    let text = "[[scenario]]\nname = \"a\"\nphases = [{ kind = \"steady\", rate = \"100\", for = \"1s\" }]\n";
    let err = parse(text).unwrap_err().to_string();
    assert!(err.contains("`100` is not a valid rate"), "{err}");
}

const REQ: &str = "[[scenario.request]]\nurl = \"http://127.0.0.1:1/x\"\n";

#[test]
fn phases_resolve_from_previous_levels() {
    let s = scenario(&format!(
        "[[scenario]]\nname = \"a\"\nphases = [\n {{ kind = \"ramp\", to = \"100/s\", over = \"10s\" }},\n {{ kind = \"steady\", for = \"1m\" }},\n {{ kind = \"spike\", for = \"5s\" }},\n {{ kind = \"steady\", for = \"5s\" }},\n]\n{REQ}"
    ))
    .unwrap();
    assert_eq!(s.model, Model::Open);
    let loads: Vec<_> = s.phases.iter().map(|p| p.load.to_string()).collect();
    assert_eq!(loads, ["0/s → 100/s", "100/s", "500/s", "500/s"]);
    let names: Vec<_> = s.phases.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["ramp", "steady", "spike", "steady-2"]);
    assert_eq!(s.requests[0].name, "GET /x");
}

#[test]
fn closed_model_and_mixing_is_refused() {
    let s = scenario(&format!(
        "[[scenario]]\nname = \"a\"\nthink_time = \"10ms\"\nphases = [{{ kind = \"steady\", concurrency = 8, for = \"2s\" }}]\n{REQ}"
    ))
    .unwrap();
    assert_eq!(s.model, Model::Closed);
    assert_eq!(s.think_time, Duration::from_millis(10));
    let err = scenario(&format!(
        "[[scenario]]\nname = \"a\"\nphases = [{{ kind = \"steady\", concurrency = 8, for = \"2s\" }}, {{ kind = \"steady\", rate = \"8/s\", for = \"2s\" }}]\n{REQ}"
    ))
    .unwrap_err();
    assert!(
        err.contains("phase 2 (steady): mixes arrival rates and concurrency"),
        "{err}"
    );
}

#[test]
fn unbounded_runs_are_refused() {
    let err = scenario(&format!(
        "[[scenario]]\nname = \"a\"\nphases = [{{ kind = \"steady\", rate = \"8/s\" }}]\n{REQ}"
    ))
    .unwrap_err();
    assert!(err.contains("never end"), "{err}");
    // An iteration count bounds it.
    scenario(&format!(
        "[[scenario]]\nname = \"a\"\nphases = [{{ kind = \"steady\", rate = \"8/s\", iterations = 10 }}]\n{REQ}"
    ))
    .unwrap();
}

#[test]
fn unknown_scenario_lists_or_suggests() {
    let plan = parse(&format!(
        "[[scenario]]\nname = \"product-get\"\nphases = [{{ kind = \"smoke\" }}]\n{REQ}"
    ))
    .unwrap();
    let err = plan
        .scenarios(Path::new("rigor.toml"), Some("product-gte"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("did you mean `product-get`?"), "{err}");
}

#[test]
fn ramp_without_to_says_so() {
    let err = scenario(&format!(
        "[[scenario]]\nname = \"a\"\nphases = [{{ kind = \"ramp\", over = \"2s\" }}]\n{REQ}"
    ))
    .unwrap_err();
    assert!(err.contains("phase 1 (ramp): needs `to`"), "{err}");
}

const SCENARIO: &str = r#"
[[scenario]]
name = "product-get"
phases = [{ kind = "steady", rate = "10/s", for = "1s" }]
[[scenario.request]]
url = "http://127.0.0.1:1/"
"#;

#[test]
fn budgets_and_rules_become_checks_of_the_one_grammar() {
    let text = format!(
        "{SCENARIO}
[[budget]]
scenario = \"product-get\"
metric = \"latency.p95\"
max = \"120ms\"

[[budget]]
check = \"error_rate{{scenario=product-get}} < 1%\"

[[rule]]
metric = \"throughput\"
max_increase = \"10%\"
consecutive = 2

[[rule]]
check = \"target.cpu.max < 85% sustained 10m\"
action = \"warn\"
"
    );
    let plan = parse(&text).unwrap();
    let checks = plan.checks(Path::new("rigor.toml")).unwrap();
    let keys: Vec<&str> = checks.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "budget:latency.p95 <= 120ms",
            "budget:error_rate{scenario=product-get} < 1%",
            "rule:throughput >= -10% 2 consecutive",
            "rule:target.cpu.max < 85% sustained 10m",
        ]
    );
    assert_eq!(
        checks[0].legacy_key.as_deref(),
        Some("budget:latency.p95:max120ms")
    );
    assert_eq!(checks[1].scenario.as_deref(), Some("product-get"));
    assert_eq!(
        checks[1].legacy_key, None,
        "a check expression never had another key"
    );
    assert_eq!(
        checks[2].legacy_key.as_deref(),
        Some("rule:throughput:worse>+10.0%:vs:main")
    );
    assert_eq!(checks[3].action, Action::Warn);
}

#[test]
fn bad_budgets_and_rules_are_refused_when_the_plan_is_read() {
    let err = |tail: &str| parse(&format!("{SCENARIO}{tail}")).unwrap_err().to_string();
    let e = err("[[budget]]\nscenario = \"product-gte\"\nmetric = \"latency.p95\"\nmax = \"1s\"\n");
    assert!(e.starts_with("rigor.toml:7:1: [[budget]] 1:"), "{e}");
    assert!(e.contains("did you mean `product-get`"), "{e}");
    let e = err("[[rule]]\nmetric = \"latency.p95\"\nmax_increase = \"30\"\n");
    assert!(e.contains("bare number") && e.contains("\"30%\""), "{e}");
    let e = err("[[rule]]\nmetric = \"error_rate\"\nmax = \"1\"\n");
    assert!(e.contains("`1%`"), "{e}");
    let e = err("[[rule]]\ncheck = \"latency.p95 << 10ms\"\n");
    assert!(e.contains("`<<` is not a comparison"), "{e}");
    let e = err("[[rule]]\ncheck = \"latency.p95 < +10%\"\nmetric = \"latency.p95\"\n");
    assert!(e.contains("remove `metric`"), "{e}");
    let e = err("[[budget]]\ncheck = \"latency.p95 < +10%\"\n");
    assert!(e.contains("belong to a [[rule]]"), "{e}");
    let e = err("[[rule]]\ncheck = \"latency.p95 < +10% sustained 1m\"\n");
    assert!(e.contains("give one kind per rule"), "{e}");
    let e = err("[[rule]]\nmetric = \"latency.p95\"\nmax_increase = 30\n");
    assert!(e.contains("as a string"), "{e}");
}

#[test]
fn two_scenarios_with_one_name_are_refused() {
    let e = parse(&format!("{SCENARIO}{SCENARIO}"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("two scenarios or benches are named `product-get`"),
        "{e}"
    );
    assert!(e.starts_with("rigor.toml:9:"), "{e}");
}

#[test]
fn zero_and_absurd_rates_are_refused_with_what_to_do() {
    let with_rate = |rate: &str| {
        scenario(&format!(
            "[[scenario]]\nname = \"a\"\nphases = [{{ kind = \"steady\", rate = \"{rate}\", for = \"2s\" }}]\n[[scenario.request]]\nurl = \"http://127.0.0.1:1/\"\n"
        ))
    };
    let e = with_rate("0/s").unwrap_err();
    assert!(e.contains("zero load sends nothing"), "{e}");
    let e = with_rate("18446744073709551616/s").unwrap_err();
    assert!(e.contains("more than one generator can send"), "{e}");
    assert!(with_rate("1000000/s").is_ok());
    // A pause is a stage.
    let pause = scenario(
        "[[scenario]]\nname = \"a\"\nphases = [{ kind = \"steady\", rate = \"5/s\", for = \"1s\" }, { kind = \"stage\", from = \"0/s\", to = \"0/s\", for = \"1s\" }]\n[[scenario.request]]\nurl = \"http://127.0.0.1:1/\"\n",
    );
    assert!(pause.is_ok(), "{pause:?}");
}

const JOURNEY_HEAD: &str =
    "[[scenario]]\nname = \"j\"\nthink_time = \"5ms\"\nphases = [{ kind = \"steady\", rate = \"10/s\", for = \"1s\" }]\n";

#[test]
fn a_journey_resolves_into_steps_with_slots_think_and_repeats() {
    let s = scenario(&format!(
        "{JOURNEY_HEAD}[[scenario.step]]\nname = \"login\"\nmethod = \"POST\"\nurl = \"http://127.0.0.1:1/login\"\nextract = {{ token = \"json:/token\", sid = \"cookie:session\" }}\n[[scenario.step]]\nurl = \"http://127.0.0.1:1/orders/{{seq}}\"\nheaders = {{ Authorization = \"Bearer {{token}}\" }}\nextract = {{ order = \"header:Location\" }}\nthink = \"0s\"\nrepeat = 3\n[[scenario.step]]\nname = \"read\"\nurl = \"http://127.0.0.1:1{{order}}\"\n"
    ))
    .unwrap();
    let names: Vec<&str> = s.requests.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["login", "GET /orders/{seq}", "read"]);
    let j = s.journey.expect("a journey");
    assert_eq!(j.variables, ["sid", "token", "order"]);
    assert!(j.cookies);
    assert_eq!(
        j.steps[0].think,
        Duration::from_millis(5),
        "the scenario's think_time"
    );
    assert_eq!((j.steps[1].think, j.steps[1].repeat), (Duration::ZERO, 3));
    assert_eq!(j.steps[1].extract[0].slot, 2);
    assert_eq!(j.sends(), 5);
}

#[test]
fn a_step_using_what_no_earlier_step_extracts_is_named_with_its_line() {
    let step = |extra: &str| {
        format!("{JOURNEY_HEAD}[[scenario.step]]\nurl = \"http://127.0.0.1:1/a\"\nextract = {{ token = \"json:/t\" }}\n[[scenario.step]]\nname = \"b\"\n{extra}\n[[scenario.step]]\nname = \"c\"\nurl = \"http://127.0.0.1:1/c\"\nextract = {{ later = \"status\" }}\n")
    };
    let err = scenario(&step("url = \"http://127.0.0.1:1/b/{tokn}\"")).unwrap_err();
    assert!(err.starts_with("rigor.toml:10:7: scenario `j`"), "{err}");
    assert!(err.contains("step 2: `{tokn}` is not a variable"), "{err}");
    assert!(err.contains("earlier steps extract token"), "{err}");
    assert!(err.contains("did you mean `{token}`"), "{err}");
    let err = scenario(&step(
        "url = \"http://127.0.0.1:1/b\"\nheaders = { X = \"{later}\" }",
    ))
    .unwrap_err();
    assert!(err.starts_with("rigor.toml:11:"), "{err}");
    assert!(err.contains("step 3 extracts it, after this step"), "{err}");
    let err = scenario(&format!(
        "{JOURNEY_HEAD}[[scenario.step]]\nurl = \"http://127.0.0.1:1/a?t={{t}}\"\nrepeat = 2\nextract = {{ t = \"status\" }}\n"
    ))
    .unwrap_err();
    assert!(err.contains("its own response"), "{err}");
}

#[test]
fn malformed_extractions_repeats_and_mixed_scenarios_are_refused() {
    let one = |keys: &str| {
        scenario(&format!(
            "{JOURNEY_HEAD}[[scenario.step]]\nurl = \"http://127.0.0.1:1/a\"\n{keys}\n"
        ))
        .unwrap_err()
    };
    let err = one("extract = { id = \"json:$.items[*].id\" }");
    assert!(err.starts_with("rigor.toml:7:11:"), "{err}");
    assert!(err.contains("step 1: id: "), "{err}");
    assert!(err.contains("neither an index nor a quoted key"), "{err}");
    assert!(one("extract = { id = \"xml:/a\" }").contains("not a place"));
    assert!(one("extract = { seq = \"status\" }").contains("cannot be a variable's name"));
    assert!(one("extract = { \"a-b\" = \"status\" }").contains("cannot be a variable's name"));
    assert!(one("repeat = 0").contains("from 1 to 1000 times"));
    assert!(one("repeat = 5000").contains("from 1 to 1000 times"));
    let steps: String = (0..11)
        .map(|i| format!("[[scenario.step]]\nurl = \"http://127.0.0.1:1/{i}\"\nrepeat = 1000\n"))
        .collect();
    let err = scenario(&format!("{JOURNEY_HEAD}{steps}")).unwrap_err();
    assert!(err.contains("more than 10000"), "{err}");
    assert!(err.contains("must end"), "{err}");
    let err = scenario(&format!(
        "{JOURNEY_HEAD}{REQ}[[scenario.step]]\nurl = \"http://127.0.0.1:1/a\"\n"
    ))
    .unwrap_err();
    assert!(
        err.contains("both [[scenario.request]] and [[scenario.step]]"),
        "{err}"
    );
    let err = scenario(&format!(
        "{}thresholds = [\"journey.duration.p95 < 1s\"]\n{REQ}",
        JOURNEY_HEAD
    ))
    .unwrap_err();
    assert!(err.contains("has no [[scenario.step]]"), "{err}");
    let err = scenario(&format!(
        "{JOURNEY_HEAD}thresholds = [\"journey.failure_rate{{request=a}} < 1%\"]\n[[scenario.step]]\nname = \"a\"\nurl = \"http://127.0.0.1:1/a\"\n"
    ))
    .unwrap_err();
    assert!(err.contains("not of the step `a`"), "{err}");
    let err = scenario(&format!("{JOURNEY_HEAD}cookies = false\n{REQ}")).unwrap_err();
    assert!(err.contains("no [[scenario.step]]"), "{err}");
    let err = scenario(&format!(
        "{JOURNEY_HEAD}[[scenario.step]]\nurl = \"http://127.0.0.1:1/a\"\nweight = 2\n"
    ))
    .unwrap_err();
    assert!(err.contains("unknown field `weight`"), "{err}");
}
