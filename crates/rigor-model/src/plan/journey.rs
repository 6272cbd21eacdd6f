//! `[[scenario.step]]`: a journey, the ordered requests one virtual user walks, each able to
//! take values out of its response into variables for the steps after it (issue 20).
//!
//! Resolved here into the scenario's requests (one per step, so every step has its own
//! figures) and a [`Journey`] that says their order, what each extracts, its think time and
//! its repeats. Everything that can be wrong with a journey is found when the plan is read,
//! named with its line and column: a variable no earlier step extracts, an extraction that
//! does not parse, a repeat that would never end.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::extraction::Extraction;
use super::limits;
use super::resolve::{Place, ResolveError};
use super::template::{is_variable_name, pieces, variables as used_in};
use super::{CheckSpec, Request, RequestSpec};
use crate::units::HumanDuration;

/// One step as the plan writes it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepSpec {
    /// Name under which the step's figures are reported (default: `METHOD path`).
    pub name: Option<String>,
    pub method: Option<String>,
    pub url: String,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    pub body: Option<String>,
    pub timeout: Option<HumanDuration>,
    #[serde(default)]
    pub check: CheckSpec,
    /// Variables taken from the response: `{ token = "json:/token" }`.
    #[serde(default)]
    pub extract: BTreeMap<String, String>,
    /// Pause after the step, before the next (default the scenario's `think_time`).
    pub think: Option<HumanDuration>,
    /// How many times the step is sent in a row (default 1).
    pub repeat: Option<u32>,
}

/// A resolved journey: step `i` is the scenario's request `i`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Journey {
    pub steps: Vec<JourneyStep>,
    /// Every variable the steps extract, in slot order (a template's `{token}` is a slot).
    pub variables: Vec<String>,
    /// Whether each journey keeps the cookies its responses set and sends them back.
    pub cookies: bool,
}

/// What a journey does around one step's request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JourneyStep {
    /// The values taken from its response, each into a variable's slot.
    pub extract: Vec<Extract>,
    pub think: Duration,
    pub repeat: u32,
}

/// One value to take: into `variable` (slot `slot` of [`Journey::variables`]), from where
/// `from` says (an [`Extraction`] as written).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Extract {
    pub variable: String,
    pub slot: usize,
    pub from: String,
}

impl Journey {
    /// How many requests one walk of the journey sends.
    pub fn sends(&self) -> u32 {
        self.steps.iter().map(|s| s.repeat).sum()
    }
}

/// Resolves the steps into the scenario's requests and its journey. `has_data` says whether
/// the scenario has a CSV: a variable that is neither `seq` nor extracted earlier is then
/// left for the engine to find among its columns (with the step's name).
pub(super) fn resolve_steps(
    specs: &[StepSpec],
    default_timeout: Duration,
    think_time: Duration,
    cookies: bool,
    has_data: bool,
) -> Result<(Vec<Request>, Journey), ResolveError> {
    let mut requests: Vec<Request> = Vec::with_capacity(specs.len());
    let mut steps = Vec::with_capacity(specs.len());
    let mut variables: Vec<String> = Vec::new();
    // Which step first extracts each variable, to say "step 3 extracts it, after this one".
    let extracted_by: BTreeMap<&str, usize> = specs
        .iter()
        .enumerate()
        .rev()
        .flat_map(|(i, s)| s.extract.keys().map(move |k| (k.as_str(), i)))
        .collect();
    let mut sends: u32 = 0;
    for (i, spec) in specs.iter().enumerate() {
        let at = |key: &'static str, message: String| {
            ResolveError::new(
                Place::Step(i, Some(key)),
                format!("step {}: {message}", i + 1),
            )
        };
        let as_request = RequestSpec {
            name: spec.name.clone(),
            method: spec.method.clone(),
            url: spec.url.clone(),
            headers: spec.headers.clone(),
            body: spec.body.clone(),
            weight: None,
            timeout: spec.timeout,
            check: spec.check.clone(),
        };
        let request = as_request
            .resolve(default_timeout)
            .map_err(|(key, e)| at(key, e))?;
        if let Some(j) = requests.iter().position(|r| r.name == request.name) {
            return Err(ResolveError::new(
                Place::Step(i, None),
                format!(
                    "steps {} and {} are both named `{}`: give each a distinct `name` (a step's figures are reported under it)",
                    j + 1,
                    i + 1,
                    request.name
                ),
            ));
        }
        // What the step's templates use: known by now, or extracted by a later step.
        let texts = std::iter::once(("url", spec.url.as_str()))
            .chain(spec.headers.values().map(|v| ("headers", v.as_str())))
            .chain(spec.body.iter().map(|b| ("body", b.as_str())));
        for (key, text) in texts {
            pieces(text).map_err(|e| at(key, e))?;
            for name in used_in(text) {
                if name == "seq" || variables.contains(&name) {
                    continue;
                }
                match extracted_by.get(name.as_str()) {
                    Some(&by) => {
                        let when = if by == i {
                            "this step extracts it from its own response, which comes after the request that uses it".to_string()
                        } else {
                            format!("step {} extracts it, after this step", by + 1)
                        };
                        return Err(at(key, format!("`{{{name}}}` is used before it has a value: {when}; a step can use only what earlier steps extracted")));
                    }
                    None if !has_data => {
                        let known = if variables.is_empty() {
                            "no earlier step extracts a variable".to_string()
                        } else {
                            format!("earlier steps extract {}", variables.join(", "))
                        };
                        let hint = super::did_you_mean(
                            &name,
                            &variables.iter().map(String::as_str).collect::<Vec<_>>(),
                        )
                        .map(|v| format!(" (did you mean `{{{v}}}`?)"))
                        .unwrap_or_default();
                        return Err(at(key, format!("`{{{name}}}` is not a variable: {known}, the scenario has no `data` CSV, and {{seq}} is the arrival's number{hint}")));
                    }
                    // A data column, or not: the engine knows the CSV's columns.
                    None => {}
                }
            }
        }
        let mut extract = Vec::with_capacity(spec.extract.len());
        for (variable, from) in &spec.extract {
            if !is_variable_name(variable) || variable == "seq" {
                return Err(at(
                    "extract",
                    format!("`{variable}` cannot be a variable's name: use letters, digits and `_`, not starting with a digit, and not `seq`"),
                ));
            }
            from.parse::<Extraction>()
                .map_err(|e| at("extract", format!("{variable}: {e}")))?;
            let slot = match variables.iter().position(|v| v == variable) {
                Some(slot) => slot,
                None => {
                    variables.push(variable.clone());
                    variables.len() - 1
                }
            };
            extract.push(Extract {
                variable: variable.clone(),
                slot,
                from: from.clone(),
            });
        }
        let repeat = spec.repeat.unwrap_or(1);
        if !(1..=limits::MAX_REPEAT).contains(&repeat) {
            return Err(at(
                "repeat",
                format!(
                    "`repeat = {repeat}`: a step is sent from 1 to {} times in a row",
                    limits::MAX_REPEAT
                ),
            ));
        }
        sends = sends.saturating_add(repeat);
        if sends > limits::MAX_JOURNEY_SENDS {
            return Err(at(
                "repeat",
                format!(
                    "the journey would send {sends} requests by this step, more than {}: a journey is one user's visit and must end; split it, or lower the repeats",
                    limits::MAX_JOURNEY_SENDS
                ),
            ));
        }
        let think = spec.think.map_or(think_time, |t| t.0);
        limits::duration_within(think, Duration::ZERO, limits::MAX_WAIT)
            .map_err(|e| at("think", format!("`think` {e}")))?;
        requests.push(request);
        steps.push(JourneyStep {
            extract,
            think,
            repeat,
        });
    }
    Ok((
        requests,
        Journey {
            steps,
            variables,
            cookies,
        },
    ))
}
