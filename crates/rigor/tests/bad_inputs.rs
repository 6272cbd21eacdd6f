//! The catalogue of bad inputs: every malformed plan, and every absurd flag, we could think
//! of, each with the exit code it must give (2, bad input) and words its message must
//! contain: what is wrong and where (`rigor.toml:LINE:COLUMN`, the scenario, the request or
//! phase, the flag). A bad input is refused before anything runs, so no case may leave a
//! store behind either.
//!
//! A case is a row of `cases()`: `plan(name, text, expected)` runs `rigor run` on `text` as
//! `rigor.toml` (`@STEADY` stands for a one-second steady phase, `@REQ` for a request to a
//! closed loopback port: a plan that is wrongly accepted fails with exit 3 "cannot reach",
//! never loads anything); `flags(name, args, expected)` runs rigor with `args`; `.file(path,
//! text)` adds a file beside the plan. When a message is poor, fix rigor, not the row.

mod common;

use common::rigor;

/// A one-second steady phase at 1/s.
const STEADY: &str = r#"phases = [{ kind = "steady", rate = "1/s", for = "1s" }]"#;
/// A request to a loopback port nothing listens on.
const REQ: &str = "[[scenario.request]]\nurl = \"http://127.0.0.1:1/\"";

struct Case {
    name: &'static str,
    plan: Option<String>,
    args: Vec<&'static str>,
    files: Vec<(&'static str, &'static str)>,
    expect: &'static [&'static str],
}

impl Case {
    fn file(mut self, path: &'static str, text: &'static str) -> Case {
        self.files.push((path, text));
        self
    }

    fn args(mut self, args: &[&'static str]) -> Case {
        self.args = args.to_vec();
        self
    }
}

fn plan(name: &'static str, text: &str, expect: &'static [&'static str]) -> Case {
    Case {
        name,
        plan: Some(text.replace("@STEADY", STEADY).replace("@REQ", REQ)),
        args: vec!["run", "--quiet"],
        files: Vec::new(),
        expect,
    }
}

fn flags(name: &'static str, args: &[&'static str], expect: &'static [&'static str]) -> Case {
    Case {
        name,
        plan: None,
        args: args.to_vec(),
        files: Vec::new(),
        expect,
    }
}

/// A scenario `a` with the steady phase, then `rest`.
fn scenario(rest: &str) -> String {
    format!("[[scenario]]\nname = \"a\"\n@STEADY\n{rest}")
}

/// A scenario `a` with the steady phase and its request, then `rest` in the request's table.
fn request(rest: &str) -> String {
    scenario(&format!("@REQ\n{rest}"))
}

/// A scenario `a` whose phases are `phases`, and its request.
fn phases(phases: &str) -> String {
    format!("[[scenario]]\nname = \"a\"\nphases = [{phases}]\n@REQ\n")
}

/// A bench `b` with these keys.
fn bench(keys: &str) -> String {
    format!("[[bench]]\nname = \"b\"\n{keys}\n")
}

fn cases() -> Vec<Case> {
    vec![
        // The text is not TOML.
        plan("unclosed table header", "# plan\n\n[scenario\nname = \"a\"\n", &["rigor.toml:3:1: table header `[scenario` is not closed: write `[scenario]`"]),
        plan("half-closed array of tables", "[[scenario]]\nname = \"a\"\n@STEADY\n[[scenario.request]\nurl = \"http://127.0.0.1:1/\"\n", &["rigor.toml:4:1: table header `[[scenario.request]` is not closed right: write `[[scenario.request]]`"]),
        plan("unclosed array", "[[scenario]]\nname = \"a\"\nphases = [\n  { kind = \"steady\", rate = \"1/s\", for = \"1s\" },\n\n@REQ\n", &["rigor.toml:3:10: this `[` is never closed: end the array with `]`"]),
        plan("unclosed string", "[[scenario]]\nname = \"a\n@STEADY\n@REQ\n", &["rigor.toml:2:", "string", "is not closed"]),
        plan("unclosed inline table", &scenario("[[scenario.request]]\nurl = \"http://127.0.0.1:1/\"\nheaders = { X-A = \"1\"\n"), &["rigor.toml:6:", "inline table", "on the line it opens"]),
        plan("duplicate key", &request("url = \"http://127.0.0.1:1/b\""), &["rigor.toml:6:1: duplicate key `url`"]),
        // Keys and tables that do not exist.
        plan("unknown top-level table", "[[scenarios]]\nname = \"a\"\n", &["rigor.toml:1:3: unknown field `scenarios`", "did you mean `scenario`?"]),
        plan("unknown scenario key", &request("").replace("name = \"a\"", "name = \"a\"\nphasse = []"), &["rigor.toml:3:1: unknown field `phasse`", "did you mean `phases`?"]),
        plan("unknown request key", &request("hedaers = { A = \"1\" }"), &["rigor.toml:6:1: unknown field `hedaers`", "did you mean `headers`?"]),
        plan("unknown phase key", &phases("{ kind = \"steady\", rat = \"1/s\", for = \"1s\" }"), &["rigor.toml:3:30: unknown field `rat`", "did you mean `rate`?"]),
        plan("unknown phase kind", &phases("{ kind = \"stedy\", rate = \"1/s\", for = \"1s\" }"), &["rigor.toml:3:", "unknown variant `stedy`", "did you mean `steady`?"]),
        plan("unknown check key", &request("check = { staus = [200] }"), &["rigor.toml:6:", "unknown field `staus`", "did you mean `status`?"]),
        plan("unknown target key", "[target]\ncomand = \"true\"\n", &["rigor.toml:2:1: unknown field `comand`", "did you mean `command`?"]),
        plan("unknown bench key", &bench("comand = \"true\""), &["rigor.toml:3:1: unknown field `comand`", "did you mean `command`?"]),
        plan("unknown budget key", &format!("{}[[budget]]\nmetric = \"latency.p95\"\nmaximum = \"1s\"\n", request("")), &["rigor.toml:8:1: unknown field `maximum`", "did you mean `max`?"]),
        // Values of the wrong type.
        plan("name is a number", "[[scenario]]\nname = 5\n@STEADY\n@REQ\n", &["rigor.toml:2:8: invalid type: integer `5`, expected a string", "name = \"5\""]),
        plan("rate is a bare number", &phases("{ kind = \"steady\", rate = 100, for = \"1s\" }"), &["rigor.toml:3:", "\"100/s\""]),
        plan("duration is a bare number", &phases("{ kind = \"steady\", rate = \"1/s\", for = 30 }"), &["rigor.toml:3:", "\"30s\""]),
        plan("phases is a string", "[[scenario]]\nname = \"a\"\nphases = \"steady\"\n@REQ\n", &["rigor.toml:3:10: invalid type: string \"steady\", expected a sequence"]),
        plan("headers is a list", &request("headers = [\"X-A: 1\"]"), &["rigor.toml:6:11: invalid type: sequence, expected a map"]),
        plan("insecure is a string", &scenario("insecure = \"yes\"\n@REQ\n"), &["rigor.toml:4:12: invalid type: string \"yes\", expected a boolean"]),
        plan("ramp target without a unit", &phases("{ kind = \"ramp\", to = \"100\", over = \"1s\" }"), &["rigor.toml:3:", "`100` is not a valid rate", "or a number of users"]),
        plan("negative concurrency", &phases("{ kind = \"steady\", concurrency = -5, for = \"1s\" }"), &["rigor.toml:3:", "-5"]),
        plan("status is not a number", &request("check = { status = [\"ok\"] }"), &["rigor.toml:6:", "invalid type: string \"ok\""]),
        plan("unknown http version", &scenario("http = \"3\"\n@REQ\n"), &["rigor.toml:4:8: unknown variant `3`, expected one of `1.1`, `2`, `auto`"]),
        // Scenarios and requests.
        plan("scenario without a name", "[[scenario]]\n@STEADY\n@REQ\n", &["rigor.toml:1:1: missing field `name`"]),
        plan("empty scenario name", "[[scenario]]\nname = \" \"\n@STEADY\n@REQ\n", &["rigor.toml:2:8: scenario ` `: `name` must not be empty"]),
        plan("scenario without requests", &scenario(""), &["rigor.toml:1:1: scenario `a`: no [[scenario.request]]"]),
        plan("two scenarios with one name", &format!("{}\n{}", request(""), request("")), &["rigor.toml:", "two scenarios or benches are named `a`"]),
        plan("plan with nothing to run", "store = \"x.db\"\n", &["has no [[scenario]] or [[bench]] to run"]),
        plan("request without url", &scenario("[[scenario.request]]\nmethod = \"GET\"\n"), &["rigor.toml:4:1: missing field `url`"]),
        plan("ftp url", &scenario("[[scenario.request]]\nurl = \"ftp://127.0.0.1:1/\"\n"), &["rigor.toml:5:7: scenario `a`: request 1: `ftp://127.0.0.1:1/` is not an http:// or https:// URL"]),
        plan("url without host", &scenario("[[scenario.request]]\nurl = \"http:///x\"\n"), &["rigor.toml:5:7: scenario `a`: request 1: `http:///x` has no host"]),
        plan("url with a space", &scenario("[[scenario.request]]\nurl = \"http://127.0.0.1:1/a b\"\n"), &["rigor.toml:5:7: scenario `a`: request 1:", "space", "%20"]),
        plan("method with a space", &request("method = \"GE T\""), &["rigor.toml:6:10: scenario `a`: request 1: `method = \"GE T\"` is not an HTTP method"]),
        plan("empty method", &request("method = \"\""), &["rigor.toml:6:10: scenario `a`: request 1: `method = \"\"` is not an HTTP method"]),
        plan("header name with a colon", &request("headers = { \"X-A:\" = \"1\" }"), &["rigor.toml:4:1: scenario `a`", "`X-A:` is not a valid header name"]),
        plan("empty header name", &request("headers = { \"\" = \"1\" }"), &["rigor.toml:4:1: scenario `a`", "`` is not a valid header name"]),
        plan("header value with CR/LF", &request("headers = { X-A = \"1\\r\\nX-Evil: 2\" }"), &["rigor.toml:4:1: scenario `a`", "the header `X-A` contains a line break (CR or LF)"]),
        plan("zero weight", &request("weight = 0"), &["rigor.toml:6:10: scenario `a`: request 1: `weight` must be at least 1"]),
        plan("two requests with one name", &format!("{}\n{REQ}\n", request("")), &["rigor.toml:7:1: scenario `a`: two requests are named `GET /`"]),
        plan("zero request timeout", &request("timeout = \"0s\""), &["rigor.toml:6:11: scenario `a`: request 1: `timeout` is zero: give a duration from 1ms to 1h"]),
        plan("request timeout past the histograms", &request("timeout = \"2h\""), &["rigor.toml:6:11: scenario `a`: request 1: `timeout` is too large: give a duration from 1ms to 1h"]),
        plan("zero max_connections", &scenario("max_connections = 0\n@REQ\n"), &["rigor.toml:4:19: scenario `a`: `max_connections = 0` is too small: give 1 to 100000 connections"]),
        plan("requests = 0", &scenario("requests = 0\n@REQ\n"), &["rigor.toml:4:12: scenario `a`: `requests = 0` would send nothing"]),
        plan("think time too long", &scenario("think_time = \"2h\"\n@REQ\n"), &["rigor.toml:4:14: scenario `a`: `think_time` is too large"]),
        // Phases.
        plan("no phases", "[[scenario]]\nname = \"a\"\n@REQ\n", &["rigor.toml:1:1: scenario `a`: no `phases`"]),
        plan("empty phases", &phases(""), &["rigor.toml:3:10: scenario `a`: no `phases`"]),
        plan("invalid duration", &phases("{ kind = \"steady\", rate = \"1/s\", for = \"30 parsecs\" }"), &["rigor.toml:3:", "`30 parsecs` is not a valid duration"]),
        plan("zero duration", &phases("{ kind = \"steady\", rate = \"1/s\", for = \"0s\" }"), &["rigor.toml:3:11: scenario `a`: phase 1 (steady): `for` is zero: give a duration from 1ms to 720h"]),
        plan("duration too large to hold", &phases("{ kind = \"steady\", rate = \"1/s\", for = \"99999999h\" }"), &["rigor.toml:3:", "`99999999h` is too large for a duration"]),
        plan("duration past a month", &phases("{ kind = \"steady\", rate = \"1/s\", for = \"800h\" }"), &["rigor.toml:3:11: scenario `a`: phase 1 (steady): `for` is too large: give a duration from 1ms to 720h"]),
        plan("rate without a unit", &phases("{ kind = \"steady\", rate = \"100\", for = \"1s\" }"), &["rigor.toml:3:", "`100` is not a valid rate"]),
        plan("negative rate", &phases("{ kind = \"steady\", rate = \"-5/s\", for = \"1s\" }"), &["rigor.toml:3:", "`-5/s` is not a valid rate"]),
        plan("zero rate", &phases("{ kind = \"steady\", rate = \"0/s\", for = \"1s\" }"), &["rigor.toml:3:11: scenario `a`: phase 1 (steady): a phase with zero load sends nothing"]),
        plan("absurd rate", &phases("{ kind = \"steady\", rate = \"18446744073709551616/s\", for = \"1s\" }"), &["rigor.toml:3:11: scenario `a`: phase 1 (steady):", "more than one generator can send"]),
        plan("absurd concurrency", &phases("{ kind = \"steady\", concurrency = 10000000, for = \"1s\" }"), &["rigor.toml:3:11: scenario `a`: phase 1 (steady): a concurrency of 10000000 is too large: give 0 to 100000 virtual users"]),
        plan("rate and concurrency in one phase", &phases("{ kind = \"steady\", rate = \"1/s\", concurrency = 2, for = \"1s\" }"), &["rigor.toml:3:11: scenario `a`: phase 1 (steady): give `rate` (open model) or `concurrency` (closed model), not both"]),
        plan("open and closed phases mixed", &phases("{ kind = \"steady\", rate = \"1/s\", for = \"1s\" }, { kind = \"steady\", concurrency = 2, for = \"1s\" }"), &["rigor.toml:3:58: scenario `a`: phase 2 (steady): mixes arrival rates and concurrency"]),
        plan("ramp without to", &phases("{ kind = \"ramp\", over = \"1s\" }"), &["rigor.toml:3:11: scenario `a`: phase 1 (ramp): needs `to`"]),
        plan("ramp without over", &phases("{ kind = \"ramp\", to = \"10/s\" }"), &["rigor.toml:3:11: scenario `a`: phase 1 (ramp): needs `over`"]),
        plan("ramp from a rate to users", &phases("{ kind = \"ramp\", from = \"1/s\", to = 5, over = \"1s\" }"), &["rigor.toml:3:11: scenario `a`: phase 1 (ramp): `from` and `to` must both be rates"]),
        plan("spike first", &phases("{ kind = \"spike\", for = \"1s\" }"), &["rigor.toml:3:11: scenario `a`: phase 1 (spike): a spike multiplies the previous phase's load"]),
        plan("negative spike multiple", &phases("{ kind = \"steady\", rate = \"1/s\", for = \"1s\" }, { kind = \"spike\", multiple = -1.0, for = \"1s\" }"), &["rigor.toml:3:58: scenario `a`: phase 2 (spike): `multiple` must be a positive number"]),
        plan("for and over", &phases("{ kind = \"steady\", rate = \"1/s\", for = \"1s\", over = \"1s\" }"), &["rigor.toml:3:11: scenario `a`: phase 1 (steady): give `for` or `over`, not both"]),
        plan("phase that never ends", &phases("{ kind = \"steady\", rate = \"1/s\" }"), &["rigor.toml:3:11: scenario `a`: phase 1 has neither `for` nor `iterations`: the run would never end"]),
        plan("phases that sum to zero load", &phases("{ kind = \"stage\", from = \"0/s\", to = \"0/s\", for = \"1s\" }"), &["rigor.toml:3:10: scenario `a`: every phase has zero load"]),
        plan("zero-load phase with iterations", &phases("{ kind = \"stage\", from = \"0/s\", to = \"0/s\", over = \"1s\", iterations = 5 }"), &["rigor.toml:3:11: scenario `a`: phase 1 (stage): a phase with zero load cannot reach its `iterations`"]),
        plan("check status that is not HTTP", &request("check = { status = [999] }"), &["rigor.toml:6:9: scenario `a`: request 1: check status 999 is not an HTTP status"]),
        plan("empty data path", &scenario("data = \"\"\n@REQ\n"), &["rigor.toml:4:8: scenario `a`: `data` is empty"]),
        plan("request table before its scenario", "[[scenario.request]]\nurl = \"http://127.0.0.1:1/\"\n", &["rigor.toml:1:", "belongs to the `[[scenario]]` above it"]),
        plan("scenario as a single table", "[scenario]\nname = \"a\"\n@STEADY\n", &["rigor.toml:1:", "write `[[scenario]]`"]),
        plan("zero ready timeout", "[target]\nready = \"http://127.0.0.1:1/\"\nready_timeout = \"0s\"\n[[scenario]]\nname = \"a\"\n@STEADY\n@REQ\n", &["rigor.toml:3:17: [target] ready_timeout is zero: give a duration from 1ms to 1h"]),
        // Thresholds.
        plan("threshold on an unknown metric", &scenario("thresholds = [\"latency.p9x < 10ms\"]\n@REQ\n"), &["rigor.toml:4:16: scenario `a`: thresholds: `latency.p9x < 10ms`: unknown metric `latency.p9x` (did you mean `latency.p99`?)"]),
        plan("threshold with <<", &scenario("thresholds = [\"latency.p95 << 10ms\"]\n@REQ\n"), &["rigor.toml:4:28: scenario `a`: thresholds: `latency.p95 << 10ms`: `<<` is not a comparison"]),
        plan("threshold with a bare percentage", &scenario("thresholds = [\"error_rate < 1\"]\n@REQ\n"), &["rigor.toml:4:29: scenario `a`: thresholds: `error_rate < 1`", "`1%`"]),
        plan("threshold with a bare duration", &scenario("thresholds = [\"latency.p95 < 10\"]\n@REQ\n"), &["rigor.toml:4:30: scenario `a`: thresholds: `latency.p95 < 10`: `10` has no unit"]),
        plan("threshold in the wrong unit", &scenario("thresholds = [\"latency.p95 < 1%\"]\n@REQ\n"), &["rigor.toml:4:30: scenario `a`: thresholds: `latency.p95 < 1%`"]),
        plan("empty threshold", &scenario("thresholds = [\"\"]\n@REQ\n"), &["rigor.toml:4:16: scenario `a`: thresholds:", "empty"]),
        plan("relative threshold", &scenario("thresholds = [\"latency.p95 < +10%\"]\n@REQ\n"), &["rigor.toml:4:16: scenario `a`: thresholds:", "is a [[rule]]"]),
        plan("threshold of another scenario", &scenario("thresholds = [\"latency.p95{scenario=b} < 1s\"]\n@REQ\n"), &["rigor.toml:4:16: scenario `a`: thresholds:", "names scenario `b`"]),
        plan("threshold on an unknown phase", &scenario("thresholds = [\"latency.p95{phase=stedy} < 1s\"]\n@REQ\n"), &["rigor.toml:4:16: scenario `a`: thresholds:", "no phase named `stedy`", "did you mean `steady`?"]),
        plan("threshold on an unknown request", &scenario("thresholds = [\"latency.p95{request=\\\"GET /x\\\"} < 1s\"]\n@REQ\n"), &["rigor.toml:4:15: scenario `a`: thresholds:", "no request named `GET /x`", "did you mean `GET /`?"]),
        // Data files and templates.
        plan("missing data file", &scenario("data = \"nosuch.csv\"\n@REQ\n"), &["rigor.toml:4:8: scenario `a`", "data file", "nosuch.csv", "No such file"]),
        plan("data file is a directory", &scenario("data = \".\"\n@REQ\n"), &["rigor.toml:4:8: scenario `a`", "data file"]),
        plan("variable without data", &scenario("[[scenario.request]]\nurl = \"http://127.0.0.1:1/{id}\"\n"), &["rigor.toml:4:1: scenario `a`", "unknown variable `{id}`: no `data` CSV is set"]),
        plan("variable not in the CSV", &scenario("data = \"d.csv\"\n[[scenario.request]]\nurl = \"http://127.0.0.1:1/{nmae}\"\n"), &["rigor.toml:5:1: scenario `a`", "unknown variable `{nmae}`", "did you mean `{name}`?"]).file("d.csv", "id,name\n1,x\n"),
        plan("CSV row missing a column", &scenario("data = \"d.csv\"\n[[scenario.request]]\nurl = \"http://127.0.0.1:1/{name}\"\n"), &["rigor.toml:4:8: scenario `a`", "d.csv", "row 3", "found record with 1 fields"]).file("d.csv", "id,name\n1,x\n2\n"),
        plan("CSV with no rows", &scenario("data = \"d.csv\"\n[[scenario.request]]\nurl = \"http://127.0.0.1:1/{id}\"\n"), &["rigor.toml:4:8: scenario `a`", "d.csv", "no rows"]).file("d.csv", "id\n"),
        plan("CSV value with a line break in a header", &scenario("data = \"d.csv\"\n@REQ\nheaders = { X-Id = \"{id}\" }\n"), &["rigor.toml:4:8: scenario `a`", "d.csv", "row 2, column `id`", "line break"]).file("d.csv", "id\n\"1\r\nX-Evil: 2\"\n"),
        plan("unclosed variable", &scenario("[[scenario.request]]\nurl = \"http://127.0.0.1:1/{id\"\n"), &["rigor.toml:4:1: scenario `a`", "`{` is not closed"]),
        plan("JSON body without escaped braces", &request("method = \"POST\"\nbody = '{\"a\": 1}'"), &["rigor.toml:4:1: scenario `a`", "`{{` and `}}`"]),
        // Budgets and rules.
        plan("budget on an unknown metric", &format!("{}[[budget]]\nmetric = \"latency.p9x\"\nmax = \"1s\"\n", request("")), &["rigor.toml:6:1: [[budget]] 1:", "unknown metric `latency.p9x`", "did you mean `latency.p99`?"]),
        plan("budget on an unknown scenario", &format!("{}[[budget]]\nscenario = \"b\"\nmetric = \"latency.p95\"\nmax = \"1s\"\n", request("")), &["rigor.toml:6:1: [[budget]] 1:", "no scenario or bench named `b`"]),
        plan("budget with max and min", &format!("{}[[budget]]\nmetric = \"latency.p95\"\nmax = \"1s\"\nmin = \"1ms\"\n", request("")), &["rigor.toml:6:1: [[budget]] 1:", "give `max` or `min`, not both"]),
        plan("budget without a limit", &format!("{}[[budget]]\nmetric = \"latency.p95\"\n", request("")), &["rigor.toml:6:1: [[budget]] 1:", "needs `max` or `min`"]),
        plan("budget without a metric", &format!("{}[[budget]]\nmax = \"1s\"\n", request("")), &["rigor.toml:6:1: [[budget]] 1:", "needs `metric`"]),
        plan("relative budget", &format!("{}[[budget]]\ncheck = \"latency.p95 < +10%\"\n", request("")), &["rigor.toml:7:10: [[budget]] 1:", "belong to a [[rule]]"]),
        plan("rule with a bare increase", &format!("{}[[rule]]\nmetric = \"latency.p95\"\nmax_increase = \"30\"\n", request("")), &["rigor.toml:6:1: [[rule]] 1:", "bare number", "\"30%\""]),
        plan("rule with a negative increase", &format!("{}[[rule]]\nmetric = \"latency.p95\"\nmax_increase = \"-30%\"\n", request("")), &["rigor.toml:6:1: [[rule]] 1:", "must not be negative"]),
        plan("rule with an unknown action", &format!("{}[[rule]]\nmetric = \"error_rate\"\nmax = \"1%\"\naction = \"warning\"\n", request("")), &["rigor.toml:9:10: unknown variant `warning`", "did you mean `warn`?"]),
        plan("rule check beside its keys", &format!("{}[[rule]]\ncheck = \"latency.p95 < +10%\"\nmetric = \"latency.p95\"\n", request("")), &["rigor.toml:7:10: [[rule]] 1:", "remove `metric`"]),
        plan("rule with <<", &format!("{}[[rule]]\ncheck = \"latency.p95 << 10ms\"\n", request("")), &["rigor.toml:7:22: [[rule]] 1:", "`<<` is not a comparison"]),
        plan("rule with a bad sustained", &format!("{}[[rule]]\nmetric = \"target.cpu\"\nmax = \"85%\"\nsustained = \"10 parsecs\"\n", request("")), &["rigor.toml:6:1: [[rule]] 1:", "10 parsecs"]),
        // Benches.
        plan("bench with an empty command", &bench("command = \"\""), &["rigor.toml:1:1: bench `b`: ", "empty"]),
        plan("bench without a command", &bench(""), &["rigor.toml:1:1: bench `b`: ", "no command"]),
        plan("two benches with one name", &format!("{}{}", bench("command = \"true\""), bench("command = \"true\"")), &["rigor.toml:", "two scenarios or benches are named `b`"]),
        plan("bench named as a scenario", &format!("{}{}", request("").replace("name = \"a\"", "name = \"b\""), bench("command = \"true\"")), &["rigor.toml:", "two scenarios or benches are named `b`"]),
        plan("bench with zero runs", &bench("command = \"true\"\nruns = 0"), &["rigor.toml:1:1: bench `b`: ", "runs", "at least 1"]),
        plan("bench with min_runs above max_runs", &bench("command = \"true\"\nmin_runs = 5\nmax_runs = 2"), &["rigor.toml:1:1: bench `b`: ", "(5) is above the maximum (2)"]),
        plan("bench with an unknown order", &bench("command = \"true\"\norder = \"sideways\""), &["rigor.toml:1:1: bench `b`: ", "order `sideways`: expected interleaved or random"]),
        plan("bench with an unterminated quote", &bench("command = \"echo 'a\""), &["rigor.toml:1:1: bench `b`: ", "unterminated single quote"]),
        plan("bench with an empty shell", &bench("command = \"true\"\nshell = \"\""), &["rigor.toml:1:1: bench `b`: ", "shell"]),
        plan("bench with a bad scan", &bench("command = \"echo {n}\"\nscan = { name = \"n\", from = \"a\", to = \"3\" }"), &["rigor.toml:1:1: bench `b`: ", "`a`"]),
        plan("bench command that cannot start", &bench("command = \"/nonexistent/program\""), &["rigor.toml:1:1: bench `b`: ", "/nonexistent/program"]),
        // The target.
        plan("target ready is not a URL", "[target]\nready = \"localhost:8080\"\n[[scenario]]\nname = \"a\"\n@STEADY\n@REQ\n", &["localhost:8080", "http://"]),
        // Flags.
        flags("duration too large to hold", &["load", "http://127.0.0.1:1/", "--duration", "99999999h"], &["invalid value '99999999h' for '--duration <DURATION>': 99999999h is too large: give a duration from 1ms to 720h"]),
        flags("zero duration", &["load", "http://127.0.0.1:1/", "--duration", "0s"], &["'--duration <DURATION>': 0s is zero: give a duration from 1ms to 720h"]),
        flags("zero rate", &["load", "http://127.0.0.1:1/", "--rate", "0/s", "--duration", "1s"], &["'--rate <RATE>': 0/s sends nothing: give a rate above 0/s and at most 1000000/s"]),
        flags("absurd rate", &["load", "http://127.0.0.1:1/", "--rate", "18446744073709551616/s", "--duration", "1s"], &["'--rate <RATE>': 18446744073709551616/s is more than one generator can send"]),
        flags("rate without a unit", &["load", "http://127.0.0.1:1/", "--rate", "100", "--duration", "1s"], &["'--rate <RATE>': `100` is not a valid rate"]),
        flags("zero concurrency", &["load", "http://127.0.0.1:1/", "--concurrency", "0", "--duration", "1s"], &["'--concurrency <N>': 0 is too small: give 1 to 100000 connections"]),
        flags("absurd concurrency", &["load", "http://127.0.0.1:1/", "--concurrency", "10000000", "--duration", "1s"], &["'--concurrency <N>': 10000000 is too large: give 1 to 100000 connections"]),
        flags("zero timeout", &["load", "http://127.0.0.1:1/", "--timeout", "0s", "--duration", "1s"], &["'--timeout <DURATION>': 0s is zero: give a duration from 1ms to 1h"]),
        flags("zero requests", &["load", "http://127.0.0.1:1/", "--requests", "0"], &["'--requests <N>': 0 is too small: give at least 1 requests"]),
        flags("absurd threads", &["load", "http://127.0.0.1:1/", "--threads", "100000", "--duration", "1s"], &["'--threads <THREADS>': 100000 is too large: give 0 to 1024 threads"]),
        flags("zero max lag", &["load", "http://127.0.0.1:1/", "--max-lag", "0s", "--duration", "1s"], &["'--max-lag <DURATION>': 0s is zero: give a duration from 1ns to 1h"]),
        flags("run that never ends", &["load", "http://127.0.0.1:1/"], &["the run would never end: give --duration"]),
        flags("header without a colon", &["load", "http://127.0.0.1:1/", "-H", "X-A 1", "--duration", "1s"], &["--header 'X-A 1': expected `Name: value`"]),
        flags("header with CR/LF", &["load", "http://127.0.0.1:1/", "-H", "X-A: 1\r\nX-Evil: 2", "--duration", "1s"], &["the header `X-A` contains a line break"]),
        flags("ftp url", &["load", "ftp://127.0.0.1:1/", "--duration", "1s"], &["URL `ftp://127.0.0.1:1/` is not an http:// or https:// URL"]),
        flags("bad threshold flag", &["load", "http://127.0.0.1:1/", "--duration", "1s", "-t", "latency.p95 << 1s"], &["thresholds: `latency.p95 << 1s`: `<<` is not a comparison"]),
        flags("zero bench runs", &["bench", "--runs", "0", "--", "true"], &["'--runs <N>': 0 is too small: give 1 to 1000000 runs"]),
        flags("bench min above max", &["bench", "--min-runs", "5", "--max-runs", "2", "--", "true"], &["(5) is above the maximum (2)"]),
        flags("bench command as one quoted word", &["bench", "--", "sleep 0.01"], &["`sleep 0.01`", "-c 'sleep 0.01'", "rigor bench -- sleep 0.01"]),
        flags("bench without a command", &["bench"], &["no command to benchmark"]),
        flags("bare noise band", &["compare", "--noise", "2"], &["'--noise <PERCENT>': `2` is a bare number: write a percentage such as `2%`"]),
        flags("bare noise band of a metric", &["compare", "--noise-for", "latency.p99=5"], &["--noise-for 'latency.p99=5': `5` is a bare number"]),
        flags("significance past 1", &["compare", "--alpha", "2"], &["'--alpha <ALPHA>': `2` is not a significance level: give a number above 0 and below 1"]),
        flags("too few resamples", &["compare", "--resamples", "5"], &["'--resamples <RESAMPLES>': 5 is too small: give 100 to 1000000 resamples"]),
        flags("unknown http version flag", &["load", "http://127.0.0.1:1/", "--duration", "1s", "--http", "3"], &["'--http <VERSION>': `3` is not an HTTP version: expected 1.1, 2 or auto"]),
        flags("port past 65535", &["target", "--port", "99999"], &["'--port <PORT>'", "99999"]),
        flags("bench order flag", &["bench", "--order", "sideways", "--", "true"], &["order `sideways`: expected interleaved or random"]),
        flags("missing data file flag", &["load", "http://127.0.0.1:1/{id}", "--duration", "1s", "--data", "nosuch.csv"], &["nosuch.csv: No such file"]),
        flags("bench program that does not exist", &["bench", "--", "/nonexistent/program"], &["there is no program `/nonexistent/program`"]),
        flags("zero list limit", &["runs", "--limit", "0"], &["'--limit <LIMIT>': 0 is too small"]),
        flags("missing plan", &["run", "--plan", "nosuch.toml"], &["no plan at nosuch.toml"]),
        plan("unknown scenario to run", &request(""), &["rigor.toml: no scenario named `b`", "the plan has: a"]).args(&["run", "b"]),
        flags("secret header name with a space", &["load", "http://127.0.0.1:1/", "--duration", "1s", "--secret-header", "X Session"], &["--secret-header", "`X Session` is not a valid header name"]),
        plan("secret header name with a colon", &format!("secret_headers = [\"X-Session:\"]\n{}", request("")), &["rigor.toml:1:19:", "`X-Session:` is not a valid header name"]),
    ]
}

#[test]
fn every_bad_input_is_refused_with_what_and_where() {
    let mut failures = Vec::new();
    let cases = cases();
    for case in &cases {
        let dir = tempfile::tempdir().unwrap();
        if let Some(text) = &case.plan {
            std::fs::write(dir.path().join("rigor.toml"), text).unwrap();
        }
        for (path, text) in &case.files {
            std::fs::write(dir.path().join(path), text).unwrap();
        }
        let store = dir.path().join("store").join("rigor.db");
        let output = rigor(dir.path())
            .args(&case.args)
            .env("RIGOR_STORE", &store)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        let code = output.status.code();
        let missing: Vec<&&str> = case
            .expect
            .iter()
            .filter(|e| !stderr.contains(**e))
            .collect();
        if code != Some(2) || !missing.is_empty() || store.exists() {
            failures.push(format!(
                "{}: exit {code:?}{}, missing {missing:?} in:\n{stderr}",
                case.name,
                if store.exists() {
                    ", store created"
                } else {
                    ""
                }
            ));
        }
    }
    assert!(cases.len() >= 50, "{} cases", cases.len());
    assert!(
        failures.is_empty(),
        "{} of {} bad inputs are not refused as they should be:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
