//! Parameters: scans (`n` from 1 to 8 step 1) and lists (`compiler` in gcc, clang), and the
//! `{name}` templates they fill in.
//!
//! Scans are computed in exact decimal arithmetic, so `0.1 … 0.3 step 0.1` gives `0.1`, `0.2`,
//! `0.3` (floating point would miss the end and print `0.30000000000000004`).

/// The most values one parameter may take, so a typo (`step 0.0001`) fails fast instead of
/// queueing a million benchmarks.
pub const MAX_PARAMETER_VALUES: usize = 10_000;

/// One named parameter and the values it takes, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameter {
    pub name: String,
    pub values: Vec<String>,
}

/// A parameter that cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    #[error("parameter name `{name}` is not valid: use letters, digits, `_` or `-`")]
    InvalidName { name: String },
    #[error("parameter scan `{name}`: `{text}` is not a number (expected e.g. 4, -2 or 0.25)")]
    NotANumber { name: String, text: String },
    #[error(
        "parameter scan `{name}`: a step of {step} never reaches the end; use a positive step"
    )]
    ZeroStep { name: String, step: String },
    #[error(
        "parameter scan `{name}`: the step {step} is negative; scans count upwards from start \
         to end, so give a positive step (and the smaller value first)"
    )]
    NegativeStep { name: String, step: String },
    #[error(
        "parameter scan `{name}`: start {start} is greater than end {end}; give the smaller \
         value first"
    )]
    Reversed {
        name: String,
        start: String,
        end: String,
    },
    #[error(
        "parameter scan `{name}`: {start} to {end} has decimals, so give a step too (e.g. 0.1)"
    )]
    NeedsStep {
        name: String,
        start: String,
        end: String,
    },
    #[error(
        "parameter `{name}` would take {count} values, more than the limit of {limit}; use a \
         larger step"
    )]
    TooMany {
        name: String,
        count: u128,
        limit: usize,
    },
    #[error("parameter list `{name}` is empty: give at least one value")]
    EmptyList { name: String },
}

impl Parameter {
    /// A scan from `start` to `end` inclusive. Without a step, integer bounds step by 1;
    /// decimal bounds need an explicit step. A zero or negative step is refused, as is a
    /// start past the end.
    pub fn scan(
        name: &str,
        start: &str,
        end: &str,
        step: Option<&str>,
    ) -> Result<Parameter, ParamError> {
        check_name(name)?;
        let number = |text: &str| {
            Decimal::parse(text).ok_or_else(|| ParamError::NotANumber {
                name: name.to_string(),
                text: text.to_string(),
            })
        };
        let (lo, hi) = (number(start)?, number(end)?);
        let step_value = match step {
            Some(text) => number(text)?,
            None if lo.scale == 0 && hi.scale == 0 => Decimal { units: 1, scale: 0 },
            None => {
                return Err(ParamError::NeedsStep {
                    name: name.to_string(),
                    start: start.to_string(),
                    end: end.to_string(),
                })
            }
        };
        let step_text = step.unwrap_or("1").to_string();
        if step_value.units == 0 {
            return Err(ParamError::ZeroStep {
                name: name.to_string(),
                step: step_text,
            });
        }
        if step_value.units < 0 {
            return Err(ParamError::NegativeStep {
                name: name.to_string(),
                step: step_text,
            });
        }
        let scale = lo.scale.max(hi.scale).max(step_value.scale);
        let (lo, hi, step_units) = (lo.at(scale), hi.at(scale), step_value.at(scale));
        if lo > hi {
            return Err(ParamError::Reversed {
                name: name.to_string(),
                start: start.to_string(),
                end: end.to_string(),
            });
        }
        let count = (hi - lo) / step_units + 1;
        if count > MAX_PARAMETER_VALUES as i128 {
            return Err(ParamError::TooMany {
                name: name.to_string(),
                count: count as u128,
                limit: MAX_PARAMETER_VALUES,
            });
        }
        let values = (0..count)
            .map(|i| format_decimal(lo + i * step_units, scale))
            .collect();
        Ok(Parameter {
            name: name.to_string(),
            values,
        })
    }

    /// A list of values, used as given.
    pub fn list(name: &str, values: Vec<String>) -> Result<Parameter, ParamError> {
        check_name(name)?;
        if values.is_empty() {
            return Err(ParamError::EmptyList {
                name: name.to_string(),
            });
        }
        if values.len() > MAX_PARAMETER_VALUES {
            return Err(ParamError::TooMany {
                name: name.to_string(),
                count: values.len() as u128,
                limit: MAX_PARAMETER_VALUES,
            });
        }
        Ok(Parameter {
            name: name.to_string(),
            values,
        })
    }
}

fn check_name(name: &str) -> Result<(), ParamError> {
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
    if valid {
        Ok(())
    } else {
        Err(ParamError::InvalidName {
            name: name.to_string(),
        })
    }
}

/// Every combination of the parameters' values, the first parameter varying slowest.
/// No parameters give one empty combination.
pub fn combinations(parameters: &[Parameter]) -> Vec<Vec<(String, String)>> {
    let mut combos: Vec<Vec<(String, String)>> = vec![Vec::new()];
    for parameter in parameters {
        combos = combos
            .into_iter()
            .flat_map(|prefix| {
                parameter.values.iter().map(move |value| {
                    let mut combo = prefix.clone();
                    combo.push((parameter.name.clone(), value.clone()));
                    combo
                })
            })
            .collect();
    }
    combos
}

/// Replaces `{name}` for every parameter in `values`, in one pass (a value containing `{x}`
/// is not expanded again). Braces that name no parameter stay as written, so `awk '{print}'`
/// survives.
pub fn expand(template: &str, values: &[(String, String)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let substituted = after.find('}').and_then(|close| {
            let key = &after[..close];
            values
                .iter()
                .find(|(name, _)| name == key)
                .map(|(_, value)| (value, close))
        });
        match substituted {
            Some((value, close)) => {
                out.push_str(value);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// A decimal as an integer count of `10^-scale` units.
#[derive(Debug, Clone, Copy)]
struct Decimal {
    units: i128,
    scale: u32,
}

impl Decimal {
    fn parse(text: &str) -> Option<Decimal> {
        let text = text.trim();
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let all_digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
        if whole.is_empty() && fraction.is_empty()
            || !all_digits(whole)
            || !all_digits(fraction)
            || fraction.len() > 18
            || whole.len() > 18
        {
            return None;
        }
        let joined = format!("{whole}{fraction}");
        let units: i128 = joined.parse().ok()?;
        Some(Decimal {
            units: if negative { -units } else { units },
            scale: fraction.len() as u32,
        })
    }

    fn at(self, scale: u32) -> i128 {
        self.units * 10i128.pow(scale - self.scale)
    }
}

fn format_decimal(units: i128, scale: u32) -> String {
    if scale == 0 {
        return units.to_string();
    }
    let divisor = 10i128.pow(scale);
    let sign = if units < 0 { "-" } else { "" };
    let magnitude = units.abs();
    format!(
        "{sign}{}.{:0width$}",
        magnitude / divisor,
        magnitude % divisor,
        width = scale as usize
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(name: &str, start: &str, end: &str, step: Option<&str>) -> Vec<String> {
        Parameter::scan(name, start, end, step).unwrap().values
    }

    #[test]
    fn integer_and_decimal_scans() {
        assert_eq!(values("n", "1", "4", None), ["1", "2", "3", "4"]);
        assert_eq!(values("n", "1", "8", Some("3")), ["1", "4", "7"]);
        assert_eq!(values("n", "-2", "1", None), ["-2", "-1", "0", "1"]);
        assert_eq!(values("n", "5", "5", None), ["5"]);
        assert_eq!(
            values("x", "0.1", "0.3", Some("0.1")),
            ["0.1", "0.2", "0.3"]
        );
        assert_eq!(
            values("x", "0", "1", Some("0.25")),
            ["0.00", "0.25", "0.50", "0.75", "1.00"]
        );
        assert_eq!(
            values("x", "-0.5", "0.5", Some("0.5")),
            ["-0.5", "0.0", "0.5"]
        );
        assert_eq!(values("x", "1", "2", Some("0.4")), ["1.0", "1.4", "1.8"]);
    }

    #[test]
    fn refuses_bad_scans_with_clear_errors() {
        let err = |start, end, step| Parameter::scan("n", start, end, step).unwrap_err();
        assert_eq!(
            err("1", "8", Some("0")).to_string(),
            "parameter scan `n`: a step of 0 never reaches the end; use a positive step"
        );
        assert_eq!(
            err("1", "8", Some("0.0")),
            ParamError::ZeroStep {
                name: "n".into(),
                step: "0.0".into()
            }
        );
        assert!(matches!(
            err("1", "8", Some("-1")),
            ParamError::NegativeStep { .. }
        ));
        assert_eq!(
            err("8", "1", None).to_string(),
            "parameter scan `n`: start 8 is greater than end 1; give the smaller value first"
        );
        assert!(matches!(
            err("0.5", "2", None),
            ParamError::NeedsStep { .. }
        ));
        assert!(matches!(
            err("one", "2", None),
            ParamError::NotANumber { .. }
        ));
        assert!(matches!(
            err("1e3", "2", None),
            ParamError::NotANumber { .. }
        ));
        assert!(matches!(
            err("0", "1", Some("0.00001")),
            ParamError::TooMany { count: 100_001, .. }
        ));
        assert!(matches!(
            Parameter::scan("a b", "1", "2", None).unwrap_err(),
            ParamError::InvalidName { .. }
        ));
        assert!(matches!(
            Parameter::list("cc", vec![]).unwrap_err(),
            ParamError::EmptyList { .. }
        ));
    }

    #[test]
    fn combinations_vary_the_last_parameter_fastest() {
        let n = Parameter::scan("n", "1", "2", None).unwrap();
        let cc = Parameter::list("cc", vec!["gcc".into(), "clang".into()]).unwrap();
        let combos = combinations(&[n, cc]);
        let flat: Vec<String> = combos
            .iter()
            .map(|c| {
                c.iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect();
        assert_eq!(
            flat,
            ["n=1,cc=gcc", "n=1,cc=clang", "n=2,cc=gcc", "n=2,cc=clang"]
        );
        assert_eq!(combinations(&[]), vec![Vec::<(String, String)>::new()]);
    }

    #[test]
    fn expands_known_names_only_once() {
        let values = vec![
            ("n".to_string(), "4".to_string()),
            ("x".to_string(), "{n}".to_string()),
        ];
        assert_eq!(expand("make -j{n}", &values), "make -j4");
        assert_eq!(expand("{n}{n} {x}", &values), "44 {n}");
        assert_eq!(
            expand("awk '{print $1}' {n", &values),
            "awk '{print $1}' {n"
        );
        assert_eq!(expand("{}", &values), "{}");
    }
}
