//! The one metric-expression grammar. Thresholds, budgets, rules, tuning goals, capacity
//! SLOs and history rules are all written in it, so there is one parser and one meaning:
//!
//! ```text
//! expr       = metric [labels] (comparison target | change) {qualifier}
//! labels     = "{" label {"," label} "}"      label = (scenario | phase | request) ("=" | ":") value
//! comparison = "<" | "<=" | ">" | ">="
//! target     = value in the metric's unit (120ms, 1%, 900/s, 64MiB, 12)
//!            | change
//! change     = ("+" | "-") percentage        relative to the baseline: +30% is 30 % above it
//! qualifier  = "at" rate                      the load level the goal must hold at (100/s)
//!            | "sustained" duration           within a run: only a breach lasting this long counts
//!            | N "occurrences"                within a run: only N breaching seconds count
//!            | N "consecutive"                across runs: only N breaching runs in a row count
//!            | "step" ["within"] N            across history: a change point among the last N runs
//!            | "vs" baseline-name             the baseline a change is measured against
//! ```
//!
//! Examples: `latency.p95{scenario=product-get} < 120ms at 100/s`, `error_rate < 1%`,
//! `latency.p95 < +30% consecutive 2`, `target.cpu.max < 85% sustained 10m`,
//! `latency.p95 < +10% step within 20` (no step up of 10 % or more among the last 20 runs, by
//! the change points of the metric's history), and, as a goal,
//! `target.cpu -20%` (a change without a comparison means "better by at least this much").

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::metric::{Direction, Metric, Scope};
use crate::units::{parse_duration, Rate};

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparator {
    Less,
    LessEqual,
    Greater,
    GreaterEqual,
}

impl Comparator {
    pub fn holds(self, value: f64, limit: f64) -> bool {
        match self {
            Comparator::Less => value < limit,
            Comparator::LessEqual => value <= limit,
            Comparator::Greater => value > limit,
            Comparator::GreaterEqual => value >= limit,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Comparator::Less => "<",
            Comparator::LessEqual => "<=",
            Comparator::Greater => ">",
            Comparator::GreaterEqual => ">=",
        }
    }

    /// Whether the limit is an upper one.
    pub fn is_upper(self) -> bool {
        matches!(self, Comparator::Less | Comparator::LessEqual)
    }
}

/// What the metric is compared with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    /// A value in the metric's unit (ns, fraction, per second, bytes, count).
    Absolute(f64),
    /// A change relative to the baseline, as a signed fraction: `+0.3` is 30 % above it.
    Relative(f64),
}

/// The labels that narrow a metric to part of the plan or of a run.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Labels {
    pub scenario: Option<String>,
    pub phase: Option<String>,
    pub request: Option<String>,
}

impl Labels {
    /// The slice of a run the metric is read from.
    pub fn scope(&self) -> Scope {
        match (&self.request, &self.phase) {
            (Some(r), _) => Scope::Request(r.clone()),
            (None, Some(p)) => Scope::Phase(p.clone()),
            (None, None) => Scope::Run,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.scenario.is_none() && self.phase.is_none() && self.request.is_none()
    }
}

impl fmt::Display for Labels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return Ok(());
        }
        let parts: Vec<String> = [
            ("scenario", &self.scenario),
            ("phase", &self.phase),
            ("request", &self.request),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}=\"{v}\"")))
        .collect();
        write!(f, "{{{}}}", parts.join(", "))
    }
}

/// A parsed expression. `text` is exactly what the user wrote: it is the expression's
/// identity (the gate history is keyed by it), never its formatting.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub text: String,
    pub metric: Metric,
    pub labels: Labels,
    pub comparator: Comparator,
    pub target: Target,
    pub at: Option<Rate>,
    pub sustained: Option<Duration>,
    pub occurrences: Option<u32>,
    pub consecutive: Option<u32>,
    /// A rule over the metric's history: a step (a change point) among the last N runs,
    /// its change judged against the relative target.
    pub step_within: Option<u32>,
    pub baseline: Option<String>,
}

/// A malformed expression: what is wrong, where (a column counted from 1 in `text`), and
/// what to write instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}`: {message}")]
pub struct ExprError {
    pub text: String,
    /// 1-based column of the offending part in `text`.
    pub column: usize,
    pub message: String,
}

const EXAMPLES: &str =
    "e.g. `latency.p95 < 120ms`, `error_rate < 1%` or `latency.p95 < +30% consecutive 2`";

impl FromStr for Expr {
    type Err = ExprError;
    fn from_str(text: &str) -> Result<Expr, ExprError> {
        Parser::new(text).expr()
    }
}

impl Expr {
    /// Whether the target is a change relative to a baseline.
    pub fn is_relative(&self) -> bool {
        matches!(self.target, Target::Relative(_))
    }

    /// The target as text in the metric's unit (`120ms`, `+30%`).
    pub fn target_text(&self) -> String {
        match self.target {
            Target::Absolute(v) => self.metric.format_value(v),
            Target::Relative(r) => format!("{:+}%", crate::units::three_figures(r * 100.0)),
        }
    }

    /// Whether `value` (in the metric's unit, or a signed relative change for a relative
    /// target) meets the expression.
    pub fn holds(&self, value: f64) -> bool {
        let limit = match self.target {
            Target::Absolute(v) | Target::Relative(v) => v,
        };
        self.comparator.holds(value, limit)
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

struct Parser<'t> {
    text: &'t str,
    pos: usize,
}

impl<'t> Parser<'t> {
    fn new(text: &'t str) -> Parser<'t> {
        Parser { text, pos: 0 }
    }

    fn error(&self, at: usize, message: impl Into<String>) -> ExprError {
        ExprError {
            text: self.text.trim().to_string(),
            column: self.text[..at.min(self.text.len())].chars().count() + 1
                - (self.text.len() - self.text.trim_start().len()),
            message: message.into(),
        }
    }

    fn rest(&self) -> &'t str {
        &self.text[self.pos..]
    }

    fn skip_space(&mut self) {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start().len();
    }

    /// Reads up to the next space, comparison or `{`.
    fn word(&mut self) -> (usize, &'t str) {
        self.skip_space();
        let start = self.pos;
        let rest = self.rest();
        let end = rest
            .find(|c: char| c.is_whitespace() || "<>={}".contains(c))
            .unwrap_or(rest.len());
        self.pos += end;
        (start, &rest[..end])
    }

    fn expr(mut self) -> Result<Expr, ExprError> {
        if self.text.trim().is_empty() {
            return Err(self.error(0, format!("an expression is empty; {EXAMPLES}")));
        }
        let (metric_at, metric_text) = self.word();
        let mut metric: Metric = metric_text
            .parse()
            .map_err(|e: String| self.error(metric_at, e))?;
        self.skip_space();
        let labels = if self.rest().starts_with('{') {
            let (labels, series) = self.labels(&metric)?;
            if let Metric::Scraped(m) = metric {
                metric = Metric::Scraped(m.with_labels(&series));
            }
            labels
        } else {
            Labels::default()
        };
        self.skip_space();
        let op_at = self.pos;
        let comparator = self.comparator()?;
        let (target_at, target_text) = self.word();
        let target = match comparator {
            Some(_) if target_text.is_empty() => {
                return Err(self.error(
                    target_at,
                    format!("a comparison needs a value after it; {EXAMPLES}"),
                ))
            }
            None if !target_text.starts_with(['+', '-']) => {
                return Err(self.error(
                    op_at,
                    format!("expected a comparison (<, <=, >, >=) after the metric; {EXAMPLES}"),
                ))
            }
            _ => {
                // An imported figure's limit says its unit; the runs say the rest.
                if let Metric::Column(c) = metric {
                    metric = Metric::Column(c.in_unit_of(target_text));
                }
                self.target(&metric, target_at, target_text)?
            }
        };
        let comparator = match (comparator, target) {
            (Some(c), _) => c,
            // A bare change is a goal: better by at least this much.
            (None, Target::Relative(change)) => match metric.direction() {
                Direction::LowerIsBetter if change < 0.0 => Comparator::LessEqual,
                Direction::HigherIsBetter if change > 0.0 => Comparator::GreaterEqual,
                _ => {
                    return Err(self.error(
                        target_at,
                        format!(
                            "`{}` would make {metric} worse: a goal without a comparison is an improvement ({} for this metric), or write the comparison (`{metric} < +10%`)",
                            target_text,
                            if metric.direction() == Direction::LowerIsBetter { "-N%" } else { "+N%" }
                        ),
                    ))
                }
            },
            (None, Target::Absolute(_)) => {
                return Err(self.error(op_at, format!("expected a comparison (<, <=, >, >=) after the metric; {EXAMPLES}")))
            }
        };
        let mut expr = Expr {
            text: self.text.trim().to_string(),
            metric,
            labels,
            comparator,
            target,
            at: None,
            sustained: None,
            occurrences: None,
            consecutive: None,
            step_within: None,
            baseline: None,
        };
        self.qualifiers(&mut expr)?;
        if expr.step_within.is_some() {
            let at = self.text.find(" step").map_or(1, |i| i + 2);
            if !expr.is_relative() {
                return Err(self.error(at - 1, "a step is a change between runs: give it as one (`latency.p95 < +10% step within 20`)"));
            }
            if expr.sustained.is_some() || expr.occurrences.is_some() || expr.consecutive.is_some()
            {
                return Err(self.error(at - 1, "`step within N` judges the history's change points; `sustained`, `occurrences` and `consecutive` judge single runs: give one kind per rule"));
            }
        }
        Ok(expr)
    }

    fn comparator(&mut self) -> Result<Option<Comparator>, ExprError> {
        let rest = self.rest();
        let start = self.pos;
        let (c, len) = if rest.starts_with("<=") {
            (Comparator::LessEqual, 2)
        } else if rest.starts_with(">=") {
            (Comparator::GreaterEqual, 2)
        } else if rest.starts_with('<') {
            (Comparator::Less, 1)
        } else if rest.starts_with('>') {
            (Comparator::Greater, 1)
        } else if rest.starts_with("==") || rest.starts_with('=') {
            return Err(self.error(start, "`=` is not a comparison here: a measured value is never exactly a limit; use <, <=, > or >="));
        } else {
            return Ok(None);
        };
        self.pos += len;
        let after = self.rest();
        if after.starts_with(['<', '>', '=']) {
            let op: String = rest.chars().take_while(|c| "<>=".contains(*c)).collect();
            return Err(self.error(
                start,
                format!("`{op}` is not a comparison: use <, <=, > or >="),
            ));
        }
        Ok(Some(c))
    }

    fn target(&self, metric: &Metric, at: usize, text: &str) -> Result<Target, ExprError> {
        if let Some(signed) = text.strip_prefix(['+', '-']) {
            let percent = signed.strip_suffix('%').ok_or_else(|| {
                self.error(at, format!("`{text}`: a change against the baseline is a signed percentage, such as `+30%` or `-20%`"))
            })?;
            let value: f64 = percent
                .trim()
                .parse()
                .map_err(|_| self.error(at, format!("`{text}` is not a percentage")))?;
            if !value.is_finite() {
                return Err(self.error(at, format!("`{text}` is not a percentage")));
            }
            let sign = if text.starts_with('-') { -1.0 } else { 1.0 };
            return Ok(Target::Relative(sign * value / 100.0));
        }
        metric
            .unit()
            .parse(text)
            .map(Target::Absolute)
            .map_err(|e| self.error(at, format!("{e} (the unit of {metric})")))
    }

    /// The plan's labels, and for a scraped metric the exporter's labels that pick its series.
    fn labels(&mut self, metric: &Metric) -> Result<(Labels, Vec<(String, String)>), ExprError> {
        let open = self.pos;
        let Some(close) = self.rest().find('}') else {
            return Err(self.error(
                open,
                "the labels are not closed: write {scenario=NAME, phase=NAME, request=\"NAME\"}",
            ));
        };
        let inner = &self.rest()[1..close];
        let inner_at = self.pos + 1;
        self.pos += close + 1;
        let mut labels = Labels::default();
        let mut series = Vec::new();
        let mut offset = 0;
        for part in split_labels(inner) {
            let part_at = inner_at + offset;
            offset += part.len() + 1;
            if part.trim().is_empty() {
                continue;
            }
            let Some((key, value)) = part.split_once(['=', ':']) else {
                return Err(self.error(
                    part_at,
                    format!("`{}`: a label is written key=value", part.trim()),
                ));
            };
            let value = value.trim().trim_matches('"').to_string();
            let key = key.trim();
            // A scraped series' own labels pick it; its `name` label is the exporter's.
            let scraped = matches!(metric, Metric::Scraped(_));
            if scraped && !matches!(key, "scenario" | "bench" | "phase") {
                if series.iter().any(|(k, _)| k == key) {
                    return Err(self.error(part_at, format!("the label `{key}` is given twice")));
                }
                series.push((key.to_string(), value));
                continue;
            }
            let slot = match key {
                "scenario" | "bench" => &mut labels.scenario,
                "phase" => &mut labels.phase,
                "request" | "name" | "command" => &mut labels.request,
                other => {
                    return Err(self.error(
                        part_at,
                        format!("unknown label `{other}`: labels are scenario, phase and request"),
                    ))
                }
            };
            if slot.is_some() {
                return Err(self.error(
                    part_at,
                    format!("the label `{}` is given twice", key.trim()),
                ));
            }
            *slot = Some(value);
        }
        Ok((labels, series))
    }

    fn qualifiers(&mut self, expr: &mut Expr) -> Result<(), ExprError> {
        loop {
            let (at, word) = self.word();
            if word.is_empty() {
                if !self.rest().trim().is_empty() {
                    let stray = self.pos;
                    return Err(self.error(stray, format!("unexpected `{}`", self.rest().trim())));
                }
                return Ok(());
            }
            match word {
                "at" => {
                    let (vat, v) = self.word();
                    let rate: Rate = v.parse().map_err(|e| self.error(vat, format!("`at {v}`: {e} (a load level such as `at 100/s`)")))?;
                    set_once(&mut expr.at, rate, || self.error(at, "`at` is given twice"))?;
                }
                "sustained" | "for" => {
                    let (vat, v) = self.word();
                    let d = parse_duration(v).map_err(|e| self.error(vat, format!("`{word} {v}`: {e}")))?;
                    if d < Duration::from_secs(1) {
                        return Err(self.error(vat, "a sustained breach is counted in whole seconds: give at least 1s"));
                    }
                    set_once(&mut expr.sustained, d, || self.error(at, "`sustained` is given twice"))?;
                }
                "vs" => {
                    let (_, v) = self.word();
                    if v.is_empty() {
                        return Err(self.error(at, "`vs` needs a baseline name, e.g. `vs main`"));
                    }
                    set_once(&mut expr.baseline, v.to_string(), || self.error(at, "`vs` is given twice"))?;
                }
                // A step among the last N runs: `step within 20` (or `step 20`).
                "step" => {
                    let (mut nat, mut number) = self.word();
                    if number == "within" {
                        (nat, number) = self.word();
                    }
                    let n: u32 = number
                        .parse()
                        .ok()
                        .filter(|n| *n > 0)
                        .ok_or_else(|| self.error(nat, "`step` needs the runs to look back over, e.g. `step within 20`"))?;
                    set_once(&mut expr.step_within, n, || self.error(at, "`step` is given twice"))?;
                }
                // The count after its word, as a runbook writes it: `consecutive 2`.
                "consecutive" | "occurrences" => {
                    let (nat, number) = self.word();
                    let n: u32 = number
                        .parse()
                        .ok()
                        .filter(|n| *n > 0)
                        .ok_or_else(|| self.error(nat, format!("`{word}` needs a count of 1 or more after it, e.g. `{word} 2`")))?;
                    let (slot, name) = if word == "consecutive" {
                        (&mut expr.consecutive, "consecutive")
                    } else {
                        (&mut expr.occurrences, "occurrences")
                    };
                    set_once(slot, n, || self.error(at, format!("`{name}` is given twice")))?;
                }
                number if number.chars().all(|c| c.is_ascii_digit()) => {
                    let n: u32 = number.parse().map_err(|_| self.error(at, format!("`{number}` is too large")))?;
                    if n == 0 {
                        return Err(self.error(at, "a count of 0 would never act: give 1 or more"));
                    }
                    let (kat, kind) = self.word();
                    match kind {
                        "consecutive" | "runs" => set_once(&mut expr.consecutive, n, || self.error(kat, "`consecutive` is given twice"))?,
                        "occurrences" | "occurrence" | "times" => set_once(&mut expr.occurrences, n, || self.error(kat, "`occurrences` is given twice"))?,
                        other => return Err(self.error(kat, format!("`{n} {other}`: a count is followed by `consecutive` (runs in a row) or `occurrences` (breaching seconds in a run)"))),
                    }
                }
                other => {
                    return Err(self.error(
                        at,
                        format!("unexpected `{other}`: after the value come `at RATE`, `sustained DURATION`, `N occurrences` (or `occurrences N`), `N consecutive` (or `consecutive N`), `step within N` or `vs BASELINE`"),
                    ))
                }
            }
        }
    }
}

fn set_once<T>(
    slot: &mut Option<T>,
    value: T,
    twice: impl FnOnce() -> ExprError,
) -> Result<(), ExprError> {
    if slot.is_some() {
        return Err(twice());
    }
    *slot = Some(value);
    Ok(())
}

/// Splits `a=1, request="x, y"` at the commas outside quotes.
fn split_labels(inner: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (i, c) in inner.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metric::Stat;

    fn parse(text: &str) -> Expr {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn error(text: &str) -> ExprError {
        text.parse::<Expr>().expect_err(text)
    }

    #[test]
    fn absolute_expressions_parse_in_their_units() {
        let e = parse("latency.p95 < 120ms");
        assert_eq!(e.metric, Metric::Latency(Stat::Percentile(95.0)));
        assert_eq!(
            (e.comparator, e.target),
            (Comparator::Less, Target::Absolute(120e6))
        );
        let e = parse("error_rate<=1%");
        assert_eq!(
            (e.comparator, e.target),
            (Comparator::LessEqual, Target::Absolute(0.01))
        );
        assert_eq!(parse("throughput > 900/s").target, Target::Absolute(900.0));
        assert!(parse("throughput > 900/s").holds(901.0));
        assert!(!parse("throughput > 900/s").holds(900.0));
    }

    #[test]
    fn a_step_over_history_is_a_change_looked_for_among_the_last_runs() {
        let e = parse("latency.p95 < +10% step within 20");
        assert_eq!((e.target, e.step_within), (Target::Relative(0.1), Some(20)));
        assert_eq!(parse("latency.p95 < +10% step 5").step_within, Some(5));
        let e = error("latency.p95 < 120ms step within 20");
        assert!(e.message.contains("a change between runs"), "{e}");
        assert_eq!(e.column, 21, "{e}");
        assert!(error("latency.p95 < +10% step within 20 consecutive 2")
            .message
            .contains("one kind per rule"));
        assert!(error("latency.p95 < +10% step within 0")
            .message
            .contains("`step` needs"));
        assert!(error("latency.p95 < +10% step 3 step 4")
            .message
            .contains("given twice"));
    }

    #[test]
    fn labels_and_qualifiers() {
        let e = parse(r#"latency.p95{scenario=product-get, request="GET /x, y"} < 120ms at 100/s"#);
        assert_eq!(e.labels.scenario.as_deref(), Some("product-get"));
        assert_eq!(e.labels.request.as_deref(), Some("GET /x, y"));
        assert_eq!(e.labels.scope(), Scope::Request("GET /x, y".into()));
        assert_eq!(e.at.map(|r| r.as_per_second()), Some(100.0));
        let e = parse("target.cpu.max < 85% sustained 10m");
        assert_eq!(e.sustained, Some(Duration::from_secs(600)));
        let e = parse("latency.p95 < +30% 2 consecutive vs release");
        assert_eq!(e.target, Target::Relative(0.3));
        assert_eq!(
            (e.consecutive, e.baseline.as_deref()),
            (Some(2), Some("release"))
        );
        assert_eq!(parse("errors < 5 3 occurrences").occurrences, Some(3));
        assert_eq!(
            parse("latency.p95 < +30% consecutive 2").consecutive,
            Some(2)
        );
        assert_eq!(parse("errors < 5 occurrences 5").occurrences, Some(5));
        assert!("errors < 5 occurrences".parse::<Expr>().is_err());
        assert!("errors < 5 occurrences 0".parse::<Expr>().is_err());
        assert!("errors < 5 consecutive 2 2 consecutive"
            .parse::<Expr>()
            .is_err());
        // A scraped series: its exporter's labels (a `name` among them) pick it; `phase` is
        // still the plan's.
        let e = parse(r#"target.metric.cache_hit_ratio{name="users", phase=steady} > 85%"#);
        assert_eq!(
            e.metric.to_string(),
            r#"target.metric.cache_hit_ratio{name="users"}"#
        );
        assert_eq!(e.labels.scope(), Scope::Phase("steady".into()));
        assert!(matches!(e.target, Target::Absolute(v) if (v - 0.85).abs() < 1e-12));
        assert!(parse("target.metric.jvm_gc_pause_seconds.max < 500ms 5 occurrences").holds(0.4e9));
        assert!(r#"latency.p95{route="/a"} < 1s"#.parse::<Expr>().is_err());
        assert_eq!(
            parse("latency.p99{phase:steady} < 1s").labels.scope(),
            Scope::Phase("steady".into())
        );
        assert_eq!(
            parse("latency.p99 {phase=steady} <1s").text,
            "latency.p99 {phase=steady} <1s",
            "the text is kept exactly as written"
        );
    }

    #[test]
    fn a_bare_change_is_an_improvement_goal() {
        let e = parse("target.cpu -20%");
        assert_eq!(
            (e.comparator, e.target),
            (Comparator::LessEqual, Target::Relative(-0.2))
        );
        assert!(e.holds(-0.25) && !e.holds(-0.1));
        let e = parse("throughput +10%");
        assert_eq!(e.comparator, Comparator::GreaterEqual);
        let err = error("latency.p95 +10%");
        assert!(err.message.contains("worse"), "{err}");
    }

    #[test]
    fn errors_name_the_part_at_fault_and_its_column() {
        let e = error("latency.p95 << 10ms");
        assert!(e.message.contains("`<<` is not a comparison"), "{e}");
        assert_eq!(e.column, 13);
        let e = error("latency.p95 < 1%");
        assert!(e.message.contains("the unit of latency.p95"), "{e}");
        assert_eq!(e.column, 15);
        assert!(error("error_rate < 1").message.contains("`1%`"));
        assert!(error("latency.p95 < 100").message.contains("`100ms`"));
        assert!(error("latncy.p95 < 1s")
            .message
            .contains("did you mean `latency.p95`"));
        assert!(error("latency.p95 = 1s")
            .message
            .contains("`=` is not a comparison"));
        assert!(error("latency.p95{phase=a < 1s")
            .message
            .contains("not closed"));
        assert!(error("latency.p95{zone=a} < 1s")
            .message
            .contains("unknown label `zone`"));
        assert!(error("latency.p95 < 1s at fast")
            .message
            .contains("at 100/s"));
        assert!(error("latency.p95 < 1s 0 consecutive")
            .message
            .contains("never act"));
        assert!(error("latency.p95 < 1s 2 weeks")
            .message
            .contains("`consecutive`"));
        assert!(error("latency.p95 < 1s sustained 10ms")
            .message
            .contains("at least 1s"));
        assert!(error("latency.p95 < 1s please")
            .message
            .contains("unexpected `please`"));
        assert!(error("latency.p95")
            .message
            .contains("expected a comparison"));
        assert!(error("latency.p95 <").message.contains("needs a value"));
        assert!(error("latency.p95 < +30")
            .message
            .contains("signed percentage"));
        assert!(error("").message.contains("empty"));
    }
}
