//! An SLO's Prometheus artifacts: recording and alerting rules with the SRE workbook's
//! multi-window, multi-burn-rate alerts, promtool unit tests of those alerts, and a Grafana
//! dashboard of the SLIs, burn rates and error budget remaining.
//!
//! Every rule and alert of an SLO carries its `slo` label and the SLO's own labels. The error
//! ratio is recorded as `slo:sli_error:ratio_rate<W>` over each window the alerts read (over
//! 30 days 5m to 3d; the windows scale with the SLO's) and over the SLO's window;
//! `slo:objective:ratio` and `slo:error_budget:ratio` hold its objective;
//! `slo:error_budget_remaining:ratio` is what is left of the budget over the window. The alert
//! `ErrorBudgetBurn` pages (`severity="page"`) when 2 % of the budget burns in an hour or 5 %
//! in six, and opens a ticket (`severity="ticket"`) when 10 % burns in a day or in three (over
//! 30 days; over another window in the same shares of it, a 720th, a 120th, a 30th and a
//! tenth, never under five minutes), each checked over a long and a short window so that it
//! fires fast and resets fast.
//!
//! YAML is written by hand, every string double-quoted as JSON writes it (a JSON string is a
//! YAML double-quoted scalar): no YAML library is needed to write a fixed, simple shape.

use std::fmt::Write as _;
use std::time::Duration;

use rigor_model::plan::{prometheus_duration, Selector, Sli, Slo};

/// The alert every SLO's burn-rate rules raise.
pub const ALERT: &str = "ErrorBudgetBurn";

fn q(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into())
}

/// `0.3`, `1`, `2.5`: seconds as an exporter writes a bucket's `le`.
pub fn le(threshold: Duration) -> String {
    rigor_model::plan::le_label(threshold)
}

/// The matcher of a threshold's bucket. A whole number of seconds is matched written either
/// way: clients write `le="1"`, and Prometheus 3 stores it as `le="1.0"`.
fn le_matcher(threshold: Duration) -> String {
    let le = le(threshold);
    if le.contains('.') {
        format!("le=\"{le}\"")
    } else {
        format!("le=~\"{le}|{le}\\\\.0\"")
    }
}

/// A number as PromQL reads it, without float noise (`0.001`, `14.4`).
fn number(v: f64) -> String {
    rigor_model::units::at_most_decimals(v, 12)
}

/// The shortest window the error ratio is recorded over (`5m` over 30 days): the SLO's
/// window is an average of it, and the dashboard plots it.
fn shortest(slo: &Slo) -> String {
    prometheus_duration(slo.rule_windows()[0])
}

/// The SLO's own selector for its recorded series: `{slo="NAME"}`.
fn own(slo: &Slo) -> String {
    format!("{{slo={}}}", q(&slo.name))
}

/// The error ratio over `window`, from the raw series.
fn error_ratio(slo: &Slo, window: &str) -> String {
    match &slo.sli {
        Sli::Availability { total, errors } => format!(
            "sum(rate({}[{window}])) / sum(rate({}[{window}]))",
            errors.with("", ""),
            total.with("", "")
        ),
        Sli::Latency {
            histogram,
            threshold,
        } => format!(
            "1 - (sum(rate({}[{window}])) / sum(rate({}[{window}])))",
            histogram.with("_bucket", &le_matcher(*threshold)),
            histogram.with("_count", "")
        ),
    }
}

fn labels(out: &mut String, indent: &str, slo: &Slo, extra: &[(&str, &str)]) {
    let _ = writeln!(out, "{indent}labels:");
    let _ = writeln!(out, "{indent}  slo: {}", q(&slo.name));
    for (k, v) in extra {
        let _ = writeln!(out, "{indent}  {k}: {}", q(v));
    }
    for (k, v) in &slo.labels {
        let _ = writeln!(out, "{indent}  {k}: {}", q(v));
    }
}

/// What the SLO promises, in words.
fn promise(slo: &Slo) -> String {
    let what = match &slo.sli {
        Sli::Availability { .. } => "of requests succeed".to_string(),
        Sli::Latency { threshold, .. } => format!(
            "of requests are answered within {}",
            rigor_model::units::format_nanos(threshold.as_nanos() as f64)
        ),
    };
    format!(
        "{}% {what} over {}",
        number(slo.objective * 100.0),
        prometheus_duration(slo.window)
    )
}

/// The alert's annotations, fixed text (no templates): what promtool's tests expect.
pub fn annotations(slo: &Slo, severity: &str) -> Vec<(&'static str, String)> {
    let alerts: Vec<String> = slo
        .burn_alerts()
        .iter()
        .filter(|a| a.severity == severity)
        .map(|a| {
            format!(
                "{}× over {} and {} ({}% of the budget in {})",
                number((a.factor * 1000.0).round() / 1000.0),
                prometheus_duration(a.long),
                prometheus_duration(a.short),
                number(a.budget_share * 100.0),
                prometheus_duration(a.long)
            )
        })
        .collect();
    let mut out = vec![
        (
            "summary",
            format!(
                "SLO {}: the error budget is burning too fast ({severity})",
                slo.name
            ),
        ),
        (
            "description",
            format!(
                "{}{}: the error rate is above {}",
                slo.description
                    .as_deref()
                    .map(|d| format!("{d}. "))
                    .unwrap_or_default(),
                promise(slo),
                alerts.join(", or ")
            ),
        ),
    ];
    if let Some(r) = &slo.runbook {
        out.push(("runbook_url", r.clone()));
    }
    out
}

/// The rules file: one group per SLO.
pub fn rules_yaml(slos: &[Slo], source: &str) -> String {
    let mut out = format!(
        "# Prometheus rules for {} SLO{}, written by `rigor slo rules` from {source}.\n# Regenerate rather than edit; `promtool check rules` checks them.\ngroups:\n",
        slos.len(),
        if slos.len() == 1 { "" } else { "s" }
    );
    for slo in slos {
        let sel = own(slo);
        let _ = writeln!(out, "  - name: {}", q(&format!("rigor-slo-{}", slo.name)));
        let _ = writeln!(out, "    rules:");
        for w in slo.rule_windows() {
            let w = prometheus_duration(w);
            let _ = writeln!(
                out,
                "      - record: {}",
                q(&format!("slo:sli_error:ratio_rate{w}"))
            );
            let _ = writeln!(out, "        expr: {}", q(&error_ratio(slo, &w)));
            labels(&mut out, "        ", slo, &[]);
        }
        let window = prometheus_duration(slo.window);
        let shortest = shortest(slo);
        let budget = number(slo.error_budget());
        for (record, expr) in [
            (
                "slo:objective:ratio".to_string(),
                format!("vector({})", number(slo.objective)),
            ),
            (
                "slo:error_budget:ratio".to_string(),
                format!("vector({budget})"),
            ),
            (
                format!("slo:sli_error:ratio_rate{window}"),
                format!("avg_over_time(slo:sli_error:ratio_rate{shortest}{sel}[{window}])"),
            ),
            (
                "slo:error_budget_remaining:ratio".to_string(),
                format!("1 - slo:sli_error:ratio_rate{window}{sel} / slo:error_budget:ratio{sel}"),
            ),
        ] {
            let _ = writeln!(out, "      - record: {}", q(&record));
            let _ = writeln!(out, "        expr: {}", q(&expr));
            labels(&mut out, "        ", slo, &[]);
        }
        for severity in ["page", "ticket"] {
            let pairs: Vec<String> = slo
                .burn_alerts()
                .iter()
                .filter(|a| a.severity == severity)
                .map(|a| {
                    let limit = format!("{} * {budget}", number((a.factor * 1e9).round() / 1e9));
                    format!(
                        "(slo:sli_error:ratio_rate{}{sel} > {limit} and slo:sli_error:ratio_rate{}{sel} > {limit})",
                        prometheus_duration(a.long),
                        prometheus_duration(a.short)
                    )
                })
                .collect();
            let _ = writeln!(out, "      - alert: {}", q(ALERT));
            let _ = writeln!(out, "        expr: {}", q(&pairs.join(" or ")));
            labels(&mut out, "        ", slo, &[("severity", severity)]);
            let _ = writeln!(out, "        annotations:");
            for (k, v) in annotations(slo, severity) {
                let _ = writeln!(out, "          {k}: {}", q(&v));
            }
        }
    }
    out
}

/// Input series that a synthetic test can feed an SLO's SLI: (series, per-minute increase of
/// good events, of bad events) as label sets, or why its selectors cannot be synthesised
/// (regular-expression or negative matchers).
fn synthetic_series(slo: &Slo) -> Result<Vec<(String, Kind)>, String> {
    let equalities = |s: &Selector| -> Result<Vec<(String, String)>, String> {
        if s.matchers.is_empty() {
            return Ok(Vec::new());
        }
        s.matchers
            .split(',')
            .map(|m| {
                let (k, v) = m.split_once('=').ok_or_else(|| m.to_string())?;
                if k.ends_with('!') || v.starts_with('~') {
                    return Err(format!("the matcher `{m}` is not an equality"));
                }
                let v = v.trim();
                let v = v
                    .strip_prefix('"')
                    .and_then(|v| v.strip_suffix('"'))
                    .ok_or_else(|| format!("the matcher `{m}` has no quoted value"))?;
                Ok((k.trim().to_string(), v.to_string()))
            })
            .collect()
    };
    let render = |name: &str, labels: &[(String, String)]| {
        let inner: Vec<String> = labels
            .iter()
            .map(|(k, v)| format!("{k}={}", q(v)))
            .collect();
        format!("{name}{{{}}}", inner.join(","))
    };
    match &slo.sli {
        Sli::Availability { total, errors } => {
            let (t, e) = (equalities(total)?, equalities(errors)?);
            if total.name != errors.name || t.iter().any(|p| !e.contains(p)) {
                return Err(
                    "its errors are not a subset of its total (another metric or other labels)"
                        .into(),
                );
            }
            // The good series: the total's labels, and a value of each errors-only label that
            // the errors selector does not take.
            let mut good = t.clone();
            for (k, v) in e.iter().filter(|p| !t.contains(p)) {
                good.push((k.clone(), format!("not_{v}")));
            }
            Ok(vec![
                (render(&total.name, &good), Kind::Good),
                (render(&errors.name, &e), Kind::Bad),
            ])
        }
        Sli::Latency {
            histogram,
            threshold,
        } => {
            let h = equalities(histogram)?;
            let mut fast = h.clone();
            fast.push(("le".into(), le(*threshold)));
            let mut all = h.clone();
            all.push(("le".into(), "+Inf".into()));
            Ok(vec![
                (
                    render(&format!("{}_bucket", histogram.name), &fast),
                    Kind::Good,
                ),
                (
                    render(&format!("{}_bucket", histogram.name), &all),
                    Kind::All,
                ),
                (render(&format!("{}_count", histogram.name), &h), Kind::All),
            ])
        }
    }
}

/// What a synthetic series counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Good,
    Bad,
    All,
}

/// promtool unit tests of the alerts (`promtool test rules FILE`): for each SLO whose
/// selectors can be synthesised, a fast burn (five times the fastest page's rate: 7.2 % of
/// requests bad against a 99.9 % objective) pages and opens a ticket within 10 minutes, and a
/// slow one (twice the budget's rate) has opened a ticket and never paged after longer than
/// the slower page looks back (7 hours over 30 days). An alert that can never fire (a page
/// against a loose objective would need more than every request to fail) is expected not to.
/// The second value is the SLOs left out, with why.
pub fn rules_tests_yaml(slos: &[Slo], rules_file: &str) -> (String, Vec<String>) {
    let mut out = format!(
        "# promtool unit tests of the SLO alerts, written by `rigor slo rules`: promtool test rules this file.\nrule_files:\n  - {}\nevaluation_interval: 1m\ntests:\n",
        q(rules_file)
    );
    let mut skipped = Vec::new();
    for slo in slos {
        let series = match synthetic_series(slo) {
            Ok(s) => s,
            Err(why) => {
                skipped.push(format!("{}: {why}", slo.name));
                continue;
            }
        };
        let budget = slo.error_budget();
        let alerts = slo.burn_alerts();
        let limit = |i: usize| alerts[i].factor * budget;
        // A fast burn well past the fastest page; a slow one between the slowest ticket and
        // the slowest page. Never every request bad: a share of 1 has no good series.
        let fast = (limit(0) * 5.0).min(0.9);
        let slow = (limit(3) * 2.0)
            .min((limit(3) + limit(0).min(limit(1))) / 2.0)
            .min(0.9);
        // Long enough to outlast the slower page's long window (7 h over 30 days), up to 8 h
        // (promtool refuses to load more samples than a year's windows would make it).
        let slow_minutes = (alerts[1].long.as_secs() * 7 / 6)
            .div_ceil(60)
            .clamp(30, 8 * 60) as u32;
        for (case, bad_share, minutes) in [
            ("fast burn", fast, 10u32),
            ("slow burn", slow, slow_minutes),
        ] {
            // A severity is expected when one of its alerts' limits is below the burn.
            let expected: Vec<&str> = ["page", "ticket"]
                .into_iter()
                .filter(|severity| {
                    alerts
                        .iter()
                        .any(|a| a.severity == *severity && a.factor * budget < bad_share)
                })
                .collect();
            // Enough requests that the bad ones are a hundred a step or more: a burn of a
            // millionth of the requests needs a hundred million of them.
            let per_step = (100_000.0f64).max(100.0 / bad_share).round();
            let bad = (per_step * bad_share).round();
            let _ = writeln!(
                out,
                "  # {}: {case}, {} of requests bad: {}",
                slo.name,
                number(bad / per_step),
                match (expected.contains(&"page"), expected.contains(&"ticket")) {
                    (true, _) => "it pages",
                    (false, true) => "a ticket, never a page",
                    (false, false) => "no alert can fire at this objective",
                }
            );
            // Once a minute, as Prometheus scrapes by default: every window holds five samples
            // or more.
            let _ = writeln!(out, "  - interval: 1m");
            let _ = writeln!(out, "    input_series:");
            for (name, kind) in &series {
                let step = match kind {
                    Kind::Bad => bad,
                    Kind::Good => per_step - bad,
                    Kind::All => per_step,
                };
                let _ = writeln!(out, "      - series: {}", q(name));
                let _ = writeln!(
                    out,
                    "        values: {}",
                    q(&format!("0+{}x{}", number(step), minutes + 10))
                );
            }
            let _ = writeln!(out, "    alert_rule_test:");
            let _ = writeln!(out, "      - eval_time: {minutes}m");
            let _ = writeln!(out, "        alertname: {}", q(ALERT));
            if expected.is_empty() {
                let _ = writeln!(out, "        exp_alerts: []");
            } else {
                let _ = writeln!(out, "        exp_alerts:");
            }
            for severity in expected {
                let _ = writeln!(out, "          - exp_labels:");
                let _ = writeln!(out, "              slo: {}", q(&slo.name));
                let _ = writeln!(out, "              severity: {}", q(severity));
                for (k, v) in &slo.labels {
                    let _ = writeln!(out, "              {k}: {}", q(v));
                }
                let _ = writeln!(out, "            exp_annotations:");
                for (k, v) in annotations(slo, severity) {
                    let _ = writeln!(out, "              {k}: {}", q(&v));
                }
            }
        }
    }
    (out, skipped)
}

/// A Grafana dashboard (JSON model, Prometheus data source `${DS_PROMETHEUS}` asked at
/// import) with, for each SLO, the SLI over its window, the error budget remaining, the burn
/// rate over the alerts' long windows and the error ratio over the shortest window (5 minutes
/// over 30 days). Its queries read
/// only the recording rules of [`rules_yaml`].
pub fn dashboard_json(slos: &[Slo]) -> serde_json::Value {
    let datasource = serde_json::json!({ "type": "prometheus", "uid": "${DS_PROMETHEUS}" });
    let mut panels = Vec::new();
    let mut y = 0;
    for (i, slo) in slos.iter().enumerate() {
        let sel = own(slo);
        let window = prometheus_duration(slo.window);
        let id = |n: usize| (i * 10 + n) as u64;
        panels.push(serde_json::json!({
            "type": "row", "id": id(0), "title": format!("SLO {}: {}", slo.name, promise(slo)),
            "gridPos": { "h": 1, "w": 24, "x": 0, "y": y }, "collapsed": false, "panels": []
        }));
        y += 1;
        let target = |expr: String, legend: &str| serde_json::json!({ "datasource": datasource, "expr": expr, "legendFormat": legend, "refId": legend });
        panels.push(serde_json::json!({
            "type": "stat", "id": id(1), "title": format!("SLI over {window}"), "datasource": datasource,
            "gridPos": { "h": 6, "w": 6, "x": 0, "y": y },
            "fieldConfig": { "defaults": { "unit": "percentunit", "decimals": 3 } },
            "targets": [target(format!("1 - slo:sli_error:ratio_rate{window}{sel}"), "SLI")]
        }));
        panels.push(serde_json::json!({
            "type": "stat", "id": id(2), "title": "Error budget remaining", "datasource": datasource,
            "gridPos": { "h": 6, "w": 6, "x": 6, "y": y },
            "fieldConfig": { "defaults": { "unit": "percentunit", "decimals": 1,
                "thresholds": { "mode": "absolute", "steps": [
                    { "color": "red", "value": null }, { "color": "orange", "value": 0.25 }, { "color": "green", "value": 0.5 } ] } } },
            "targets": [target(format!("slo:error_budget_remaining:ratio{sel}"), "remaining")]
        }));
        let burns: Vec<serde_json::Value> = slo
            .burn_alerts()
            .iter()
            .map(|a| {
                let w = prometheus_duration(a.long);
                target(
                    format!("slo:sli_error:ratio_rate{w}{sel} / slo:error_budget:ratio{sel}"),
                    &w,
                )
            })
            .collect();
        let shortest = shortest(slo);
        panels.push(serde_json::json!({
            "type": "timeseries", "id": id(3), "title": "Burn rate (1 = the budget lasts the window)",
            "datasource": datasource, "gridPos": { "h": 6, "w": 12, "x": 12, "y": y },
            "fieldConfig": { "defaults": { "unit": "none" } }, "targets": burns
        }));
        y += 6;
        panels.push(serde_json::json!({
            "type": "timeseries", "id": id(4), "title": format!("Error ratio over {shortest}"),
            "datasource": datasource, "gridPos": { "h": 6, "w": 24, "x": 0, "y": y },
            "fieldConfig": { "defaults": { "unit": "percentunit" } },
            "targets": [
                target(format!("slo:sli_error:ratio_rate{shortest}{sel}"), "error ratio"),
                target(format!("slo:error_budget:ratio{sel}"), "budget")
            ]
        }));
        y += 6;
    }
    serde_json::json!({
        "__inputs": [{ "name": "DS_PROMETHEUS", "label": "Prometheus", "type": "datasource",
                       "pluginId": "prometheus", "pluginName": "Prometheus" }],
        "title": "SLOs (rigor)",
        "uid": "rigor-slos",
        "tags": ["slo", "rigor"],
        "schemaVersion": 39,
        "version": 1,
        "editable": true,
        "time": { "from": "now-7d", "to": "now" },
        "panels": panels
    })
}
