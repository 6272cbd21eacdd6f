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
