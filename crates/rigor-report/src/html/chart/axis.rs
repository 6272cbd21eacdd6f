//! The axes: where a value sits on a linear or logarithmic vertical axis and its ticks, the
//! horizontal axis over seconds or over percentiles (HdrHistogram's), and nice steps.

use rigor_model::units::three_figures;

use super::{Scale, XAxis};

/// Where percentile `p` (0 to 100) sits on the spectrum's axis; the maximum (100) half a
/// decade beyond 99.999 %.
pub(super) fn percentile_position(p: f64) -> f64 {
    if p >= 100.0 {
        return 5.5;
    }
    (1.0 / (1.0 - p / 100.0)).log10().min(5.0)
}

/// The vertical axis: where a value sits, and its ticks.
pub(super) enum YAxis {
    Linear { max: f64, step: f64 },
    Log { low: f64, high: f64 },
}

impl YAxis {
    pub(super) fn linear(scale: Scale, max: f64) -> YAxis {
        let (div, _) = scale.unit(max);
        let max_in_unit = if max > 0.0 { max / div } else { 1.0 };
        let step = nice_step(max_in_unit / 5.0) * div;
        let top = (max / step).ceil().max(1.0) * step;
        YAxis::Linear { max: top, step }
    }

    pub(super) fn log(low: f64, high: f64) -> YAxis {
        YAxis::Log {
            low: 10f64.powf(low.log10().floor()),
            high: 10f64.powf(high.log10().ceil()),
        }
    }

    pub(super) fn fraction(&self, y: f64) -> f64 {
        match *self {
            YAxis::Linear { max, .. } => (y / max).clamp(0.0, 1.0),
            YAxis::Log { low, high } => {
                ((y.max(low).log10() - low.log10()) / (high.log10() - low.log10())).clamp(0.0, 1.0)
            }
        }
    }

    pub(super) fn ticks(&self, scale: Scale) -> Vec<(f64, String)> {
        match *self {
            YAxis::Linear { max, step } => {
                let (div, unit) = scale.unit(max);
                let n = (max / step).round() as usize;
                (0..=n)
                    .map(|i| {
                        let v = step * i as f64;
                        let label = match scale {
                            Scale::Number => three_figures(v),
                            _ if v == 0.0 => "0".to_string(),
                            _ => format!("{}{}{unit}", three_figures(v / div), space(scale)),
                        };
                        (v, label)
                    })
                    .collect()
            }
            YAxis::Log { low, high } => {
                let mut v = low;
                let mut out = Vec::new();
                while v <= high * 1.0001 {
                    out.push((v, scale.label(v)));
                    v *= 10.0;
                }
                out
            }
        }
    }
}

pub(super) fn space(scale: Scale) -> &'static str {
    if scale == Scale::Bytes {
        " "
    } else {
        ""
    }
}

/// 1, 2 or 5 times a power of ten, at least `raw`.
pub(super) fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let power = 10f64.powf(raw.log10().floor());
    let f = raw / power;
    let nice = if f <= 1.0 {
        1.0
    } else if f <= 2.0 {
        2.0
    } else if f <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * power
}

/// The horizontal axis's ticks, as positions on the axis (already transformed).
pub(super) fn x_ticks(axis: XAxis, min: f64, max: f64) -> Vec<(f64, String)> {
    match axis {
        XAxis::Seconds => {
            let step = [
                1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0,
            ]
            .into_iter()
            .find(|s| (max - min) / s <= 10.0)
            .unwrap_or_else(|| nice_step((max - min) / 10.0 / 3600.0) * 3600.0);
            let mut out = Vec::new();
            let mut t = (min / step).ceil() * step;
            while t <= max + 1e-9 {
                out.push((t, clock(t)));
                t += step;
            }
            out
        }
        XAxis::Linear(unit) => {
            let step = nice_step((max - min) / 8.0);
            let mut out = Vec::new();
            let mut t = (min / step).ceil() * step;
            while t <= max + 1e-9 {
                out.push((t, format!("{}{unit}", three_figures(t))));
                t += step;
            }
            out
        }
        XAxis::Percentile => {
            let mut out: Vec<(f64, String)> = ["0%", "90%", "99%", "99.9%", "99.99%", "99.999%"]
                .into_iter()
                .enumerate()
                .filter(|(i, _)| (*i as f64) <= max.min(5.0) + 1e-9)
                .map(|(i, l)| (i as f64, l.to_string()))
                .collect();
            if max >= 5.5 - 1e-9 {
                out.push((5.5, "max".to_string()));
            }
            out
        }
    }
}

/// Seconds as a clock reading: `45s`, `2:30`, `1:02:00`.
pub(super) fn clock(seconds: f64) -> String {
    let s = seconds.round() as u64;
    match s {
        0..=119 => format!("{s}s"),
        120..=3599 => format!("{}:{:02}", s / 60, s % 60),
        _ => format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60),
    }
}
