//! The charts of distributions rather than of time: every run of each command as a point
//! ([`StripChart`]), bars of relative speed ([`bars`]), and one change's interval against the
//! noise band ([`interval`]). They share the line charts' frame, grid and scale.

use std::fmt::Write as _;

use rigor_model::units::three_figures;

use super::{close_figure, open_figure, vertical_grid, Scale, YAxis, BOTTOM, RIGHT, TOP, WIDTH};
use crate::html::esc;

/// One row of a strip chart: a command and its runs' wall times.
#[derive(Debug, Clone)]
pub struct Strip {
    pub name: String,
    pub values: Vec<f64>,
    /// Indices of values marked as outliers.
    pub outliers: Vec<usize>,
}

/// Every run of each command as a point on one time axis, with its median (a bar) and
/// quartiles (a box), so a reader sees the spread, the outliers and the overlap at once.
#[derive(Debug, Clone)]
pub struct StripChart {
    pub id: String,
    pub title: String,
    pub caption: String,
    pub strips: Vec<Strip>,
}

impl StripChart {
    pub fn render(&self, out: &mut String) {
        const ROW: f64 = 44.0;
        let height = TOP + ROW * self.strips.len().max(1) as f64 + BOTTOM;
        let all = || self.strips.iter().flat_map(|s| s.values.iter().copied());
        let max = all().fold(0.0_f64, f64::max);
        let min = all().fold(f64::INFINITY, f64::min);
        // From zero, so ratios read true, unless the runs sit far from it.
        let low = if min.is_finite() && min > max * 0.5 {
            min * 0.9
        } else {
            0.0
        };
        let axis = YAxis::linear(Scale::Duration, max.max(1.0));
        let YAxis::Linear { max: top, step } = axis else {
            return;
        };
        let low = (low / step).floor() * step;
        let left = 180.0;
        let plot_w = WIDTH - left - RIGHT;
        let px = |v: f64| left + (v - low) / (top - low) * plot_w;
        open_figure(out, &self.id, &self.title, height);
        vertical_grid(out, (low, top, step), px, height - BOTTOM, |t| {
            Scale::Duration.label(t)
        });
        for (row, strip) in self.strips.iter().enumerate() {
            let mid = TOP + ROW * row as f64 + ROW / 2.0;
            let _ = write!(
                out,
                "<text class=\"tick\" x=\"{tx}\" y=\"{ty:.1}\" text-anchor=\"end\">{name}</text>",
                tx = left - 8.0,
                ty = mid + 4.0,
                name = esc(&truncate(&strip.name, 26)),
            );
            let mut sorted = strip.values.clone();
            sorted.sort_by(f64::total_cmp);
            if let (Some(q1), Some(q2), Some(q3)) = (
                quantile(&sorted, 0.25),
                quantile(&sorted, 0.5),
                quantile(&sorted, 0.75),
            ) {
                let _ = write!(
                    out,
                    "<rect class=\"box s{style}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{h}\"/>\
                     <line class=\"median\" x1=\"{m:.1}\" x2=\"{m:.1}\" y1=\"{y:.1}\" y2=\"{y2:.1}\"/>",
                    style = row % 6,
                    x = px(q1),
                    y = mid - ROW * 0.35,
                    w = (px(q3) - px(q1)).max(1.0),
                    h = ROW * 0.7,
                    m = px(q2),
                    y2 = mid + ROW * 0.35,
                );
            }
            let _ = write!(
                out,
                "<g class=\"data points s{}\" data-points=\"{}\">",
                row % 6,
                strip.values.len()
            );
            for (i, v) in strip.values.iter().enumerate() {
                // A fixed spread by run index, so the same report draws the same way.
                let jitter = ((i * 7919) % 97) as f64 / 96.0 - 0.5;
                let class = if strip.outliers.contains(&i) {
                    " class=\"outlier\""
                } else {
                    ""
                };
                let _ = write!(
                    out,
                    "<circle{class} cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3\"><title>run {n}: {label}</title></circle>",
                    x = px(*v),
                    y = mid + jitter * ROW * 0.5,
                    n = i + 1,
                    label = esc(&Scale::Duration.label(*v)),
                );
            }
            out.push_str("</g>");
        }
        out.push_str("</svg>");
        close_figure(out, &self.caption);
    }
}

fn truncate(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        return text.to_string();
    }
    let mut t: String = text.chars().take(chars - 1).collect();
    t.push('…');
    t
}

/// The `q` quantile of sorted values, interpolated.
fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let pos = q * last as f64;
    let (i, frac) = (pos.floor() as usize, pos.fract());
    let a = sorted[i];
    let b = sorted.get(i + 1).copied().unwrap_or(a);
    Some(a + (b - a) * frac)
}

/// Horizontal bars, one per entry, from zero to its value, with an optional ± whisker.
pub fn bars(
    out: &mut String,
    id: &str,
    title: &str,
    caption: &str,
    rows: &[(String, f64, Option<f64>)],
) {
    const ROW: f64 = 30.0;
    let height = TOP + ROW * rows.len().max(1) as f64 + BOTTOM;
    let max = rows
        .iter()
        .map(|(_, v, sd)| v + sd.unwrap_or(0.0))
        .fold(1.0_f64, f64::max);
    let YAxis::Linear { max: top, step } = YAxis::linear(Scale::Number, max) else {
        return;
    };
    let left = 180.0;
    let plot_w = WIDTH - left - RIGHT;
    let px = |v: f64| left + v / top * plot_w;
    open_figure(out, id, title, height);
    vertical_grid(out, (0.0, top, step), px, height - BOTTOM, |t| {
        format!("{}×", three_figures(t))
    });
    let _ = write!(
        out,
        "<g class=\"data bars\" data-points=\"{}\">",
        rows.len()
    );
    for (row, (name, value, sd)) in rows.iter().enumerate() {
        let y = TOP + ROW * row as f64;
        let _ = write!(
            out,
            "<text class=\"tick\" x=\"{tx}\" y=\"{ty:.1}\" text-anchor=\"end\">{name}</text>\
             <rect class=\"bar s{style}\" x=\"{left}\" y=\"{by:.1}\" width=\"{w:.1}\" height=\"{h}\"><title>{name}: {v}×</title></rect>",
            tx = left - 8.0,
            ty = y + ROW / 2.0 + 4.0,
            name = esc(&truncate(name, 26)),
            style = row % 6,
            by = y + ROW * 0.2,
            w = (px(*value) - left).max(1.0),
            h = ROW * 0.6,
            v = three_figures(*value),
        );
        if let Some(sd) = sd {
            let _ = write!(
                out,
                "<line class=\"whisker\" x1=\"{a:.1}\" x2=\"{b:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/>",
                a = px((value - sd).max(0.0)),
                b = px(value + sd),
                y = y + ROW / 2.0,
            );
        }
    }
    out.push_str("</g></svg>");
    close_figure(out, caption);
}

/// One verdict row's change and interval, drawn against the noise band and zero: a small
/// inline SVG for a table cell; `class` colours it by the verdict.
pub fn interval(out: &mut String, change: f64, lower: f64, upper: f64, noise: f64, class: &str) {
    const W: f64 = 180.0;
    const H: f64 = 18.0;
    let reach = [change, lower, upper, noise, -noise]
        .into_iter()
        .filter(|v| v.is_finite())
        .fold(0.0_f64, |a, v| a.max(v.abs()))
        .max(1e-12)
        * 1.15;
    let px = |v: f64| (W / 2.0 + v / reach * (W / 2.0 - 4.0)).clamp(0.0, W);
    let _ = write!(
        out,
        "<svg class=\"interval\" viewBox=\"0 0 {W} {H}\" width=\"{W}\" height=\"{H}\" aria-hidden=\"true\">"
    );
    if noise.is_finite() && noise > 0.0 {
        let _ = write!(
            out,
            "<rect class=\"noise\" x=\"{x:.1}\" y=\"2\" width=\"{w:.1}\" height=\"{h}\"/>",
            x = px(-noise),
            w = px(noise) - px(-noise),
            h = H - 4.0,
        );
    }
    let _ = write!(
        out,
        "<line class=\"zero\" x1=\"{m}\" x2=\"{m}\" y1=\"0\" y2=\"{H}\"/>",
        m = W / 2.0
    );
    if lower.is_finite() && upper.is_finite() {
        let _ = write!(
            out,
            "<line class=\"data ci {class}\" x1=\"{a:.1}\" x2=\"{b:.1}\" y1=\"{y}\" y2=\"{y}\"/>",
            a = px(lower),
            b = px(upper),
            y = H / 2.0,
        );
    }
    if change.is_finite() {
        let _ = write!(
            out,
            "<circle class=\"data est {class}\" cx=\"{x:.1}\" cy=\"{y}\" r=\"3.5\"/>",
            x = px(change),
            y = H / 2.0,
        );
    }
    out.push_str("</svg>");
}
