//! Charts as inline SVG, drawn here rather than by a charting library: a report must open
//! offline, years later, in any browser, and print; SVG made once in Rust needs no script, no
//! font files and no vendored code, and its size grows with the points drawn only.
//!
//! Three shapes: [`LineChart`] (series over seconds or over percentiles on HdrHistogram's log
//! axis, with phase boundaries and limits), [`StripChart`] (every run of each command as a
//! point, with its median and quartiles), and [`interval`] (one change and its interval
//! against the noise band, for a verdict table's row). Every element that shows measured data
//! carries the class `data`, so a browser test can tell a drawn chart from an empty frame.
//! Colours come from CSS variables (dark mode), and lines differ in dash as well as colour in
//! print.

use std::fmt::Write as _;

use rigor_model::units::{format_nanos, three_figures};

use super::esc;

const WIDTH: f64 = 960.0;
const HEIGHT: f64 = 280.0;
const LEFT: f64 = 76.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 30.0;
const BOTTOM: f64 = 34.0;

/// How a chart's values read on its axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// Nanoseconds, shown in the largest fitting unit.
    Duration,
    /// Plain numbers (requests per second, threads, cores).
    Number,
    /// Bytes, in binary units.
    Bytes,
}

impl Scale {
    /// The divisor and unit ticks are written in, for values up to `max`.
    fn unit(self, max: f64) -> (f64, &'static str) {
        match self {
            Scale::Duration => match max {
                m if m >= 3600e9 => (3600e9, "h"),
                m if m >= 60e9 => (60e9, "min"),
                m if m >= 1e9 => (1e9, "s"),
                m if m >= 1e6 => (1e6, "ms"),
                m if m >= 1e3 => (1e3, "µs"),
                _ => (1.0, "ns"),
            },
            Scale::Bytes => match max {
                m if m >= 1024f64.powi(3) => (1024f64.powi(3), "GiB"),
                m if m >= 1024f64.powi(2) => (1024f64.powi(2), "MiB"),
                m if m >= 1024.0 => (1024.0, "KiB"),
                _ => (1.0, "B"),
            },
            Scale::Number => (1.0, ""),
        }
    }

    /// A value as a label: `12.3ms`, `1.2 MiB`, `3400`.
    pub fn label(self, value: f64) -> String {
        match self {
            Scale::Duration => format_nanos(value),
            Scale::Bytes => {
                let (div, unit) = self.unit(value);
                format!("{} {unit}", three_figures(value / div))
            }
            Scale::Number => three_figures(value),
        }
    }
}

/// What the horizontal axis is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XAxis {
    /// Seconds since the run began.
    Seconds,
    /// Percentiles, 0 to 100, on HdrHistogram's axis: `log10(1 / (1 - p))`, so 90 %, 99 %,
    /// 99.9 % are evenly spaced; 100 (the maximum) sits a little beyond the last.
    Percentile,
}

/// One line of a chart.
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    /// `(x, y)`; a `None` y breaks the line (a second without responses).
    pub points: Vec<(f64, Option<f64>)>,
    /// The colour and dash: 0 to 5.
    pub style: usize,
}

/// A horizontal line: a threshold or budget on the chart's metric.
#[derive(Debug, Clone)]
pub struct Limit {
    pub value: f64,
    pub label: String,
    pub failed: bool,
}

/// A line chart.
#[derive(Debug, Clone)]
pub struct LineChart {
    /// The id of the `figure`, stable for tests and links.
    pub id: String,
    pub title: String,
    /// One sentence under the chart: what is drawn and how to read it.
    pub caption: String,
    pub x: XAxis,
    pub y: Scale,
    pub series: Vec<Series>,
    /// Vertical lines at x, labelled: phase boundaries.
    pub marks: Vec<(f64, String)>,
    pub limits: Vec<Limit>,
    /// Whether the vertical axis is logarithmic (latency spectra span decades).
    pub y_log: bool,
}

impl LineChart {
    pub fn new(id: &str, title: &str, x: XAxis, y: Scale) -> LineChart {
        LineChart {
            id: id.to_string(),
            title: title.to_string(),
            caption: String::new(),
            x,
            y,
            series: Vec::new(),
            marks: Vec::new(),
            limits: Vec::new(),
            y_log: false,
        }
    }

    pub fn caption(mut self, caption: &str) -> LineChart {
        self.caption = caption.to_string();
        self
    }

    pub fn series(mut self, name: &str, style: usize, points: Vec<(f64, Option<f64>)>) -> Self {
        self.series.push(Series {
            name: name.to_string(),
            points,
            style,
        });
        self
    }

    /// Whether any series has a value to draw.
    pub fn has_data(&self) -> bool {
        self.series
            .iter()
            .any(|s| s.points.iter().any(|(_, y)| y.is_some_and(f64::is_finite)))
    }

    fn x_of(&self, x: f64) -> f64 {
        match self.x {
            XAxis::Seconds => x,
            XAxis::Percentile => percentile_position(x),
        }
    }

    /// The chart as a `figure` with its SVG, legend and caption.
    pub fn render(&self, out: &mut String) {
        let values = || {
            self.series
                .iter()
                .flat_map(|s| s.points.iter())
                .filter_map(|(x, y)| Some((*x, (*y)?)))
                .filter(|(x, y)| x.is_finite() && y.is_finite())
        };
        let (mut x_min, mut x_max) = (f64::INFINITY, f64::NEG_INFINITY);
        let mut y_max: f64 = 0.0;
        let mut y_min_positive = f64::INFINITY;
        for (x, y) in values() {
            let x = self.x_of(x);
            x_min = x_min.min(x);
            x_max = x_max.max(x);
            y_max = y_max.max(y);
            if y > 0.0 {
                y_min_positive = y_min_positive.min(y);
            }
        }
        // A limit far above the data would flatten it against the axis: such a limit is
        // named at the top of the chart instead of drawn.
        let (drawn_limits, above): (Vec<&Limit>, Vec<&Limit>) = self
            .limits
            .iter()
            .partition(|l| y_max <= 0.0 || l.value <= y_max * 2.0);
        for l in &drawn_limits {
            y_max = y_max.max(l.value);
        }
        if !x_min.is_finite() {
            (x_min, x_max) = (0.0, 1.0);
        }
        if self.x == XAxis::Seconds {
            x_min = x_min.min(0.0);
        }
        if x_max <= x_min {
            x_max = x_min + 1.0;
        }
        let y_axis = if self.y_log && y_min_positive.is_finite() {
            YAxis::log(y_min_positive, y_max.max(y_min_positive * 10.0))
        } else {
            YAxis::linear(self.y, y_max)
        };
        let plot_w = WIDTH - LEFT - RIGHT;
        let plot_h = HEIGHT - TOP - BOTTOM;
        let px = |x: f64| LEFT + (self.x_of(x) - x_min) / (x_max - x_min) * plot_w;
        let py = |y: f64| TOP + plot_h - y_axis.fraction(y) * plot_h;

        open_figure(out, &self.id, &self.title, HEIGHT);
        // Grid and vertical axis.
        for (value, label) in y_axis.ticks(self.y) {
            let y = py(value);
            let _ = write!(
                out,
                "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{x2}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/>\
                 <text class=\"tick\" x=\"{tx}\" y=\"{ty:.1}\" text-anchor=\"end\">{label}</text>",
                x2 = WIDTH - RIGHT,
                tx = LEFT - 6.0,
                ty = y + 4.0,
                label = esc(&label),
            );
        }
        // Horizontal axis.
        for (value, label) in x_ticks(self.x, x_min, x_max) {
            let x = LEFT + (value - x_min) / (x_max - x_min) * plot_w;
            let _ = write!(
                out,
                "<line class=\"axis\" x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{y1}\" y2=\"{y2}\"/>\
                 <text class=\"tick\" x=\"{x:.1}\" y=\"{ty}\" text-anchor=\"middle\">{label}</text>",
                y1 = TOP + plot_h,
                y2 = TOP + plot_h + 5.0,
                ty = TOP + plot_h + 18.0,
                label = esc(&label),
            );
        }
        let _ = write!(
            out,
            "<line class=\"axis\" x1=\"{LEFT}\" x2=\"{x2}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/>",
            x2 = WIDTH - RIGHT,
            y = TOP + plot_h,
        );
        for (x, label) in &self.marks {
            let x = px(*x);
            let _ = write!(
                out,
                "<line class=\"mark\" x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{TOP}\" y2=\"{y2}\"/>\
                 <text class=\"mark-label\" x=\"{tx:.1}\" y=\"{ty}\">{label}</text>",
                y2 = TOP + plot_h,
                tx = x + 3.0,
                ty = TOP + 10.0,
                label = esc(label),
            );
        }
        for (i, l) in above.iter().enumerate() {
            let _ = write!(
                out,
                "<text class=\"limit-label{extra}\" x=\"{x}\" y=\"{y}\" text-anchor=\"end\">↑ {label}: above the chart</text>",
                x = WIDTH - RIGHT - 4.0,
                y = TOP - 18.0 + 12.0 * i as f64,
                extra = if l.failed { " failed" } else { "" },
                label = esc(&l.label),
            );
        }
        for l in &drawn_limits {
            let y = py(l.value);
            let class = if l.failed { "limit failed" } else { "limit" };
            let _ = write!(
                out,
                "<line class=\"{class}\" x1=\"{LEFT}\" x2=\"{x2}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/>\
                 <text class=\"limit-label{extra}\" x=\"{tx}\" y=\"{ty:.1}\" text-anchor=\"end\">{label}</text>",
                x2 = WIDTH - RIGHT,
                tx = WIDTH - RIGHT - 4.0,
                ty = y - 4.0,
                extra = if l.failed { " failed" } else { "" },
                label = esc(&l.label),
            );
        }
        for s in &self.series {
            let mut d = String::new();
            let mut drawn = 0usize;
            let mut pen_down = false;
            let mut lone: Option<(f64, f64)> = None;
            for (x, y) in &s.points {
                match y.filter(|y| y.is_finite() && x.is_finite()) {
                    Some(y) => {
                        let (x, y) = (px(*x), py(y));
                        let _ = write!(d, "{}{x:.1},{y:.1}", if pen_down { 'L' } else { 'M' });
                        lone = if pen_down { None } else { Some((x, y)) };
                        pen_down = true;
                        drawn += 1;
                    }
                    None => {
                        // A point with no neighbour is drawn as a dot (a round cap on a
                        // zero-length stroke).
                        if lone.take().is_some() {
                            d.push_str("h0");
                        }
                        pen_down = false;
                    }
                }
            }
            if lone.is_some() {
                d.push_str("h0");
            }
            if drawn == 0 {
                continue;
            }
            let _ = write!(
                out,
                "<path class=\"data line s{style}\" data-series=\"{name}\" data-points=\"{drawn}\" d=\"{d}\"/>",
                style = s.style % 6,
                name = esc(&s.name),
            );
        }
        if !self.has_data() {
            let _ = write!(
                out,
                "<text class=\"empty\" x=\"{x}\" y=\"{y}\" text-anchor=\"middle\">no data</text>",
                x = LEFT + plot_w / 2.0,
                y = TOP + plot_h / 2.0,
            );
        }
        out.push_str("</svg>");
        legend(out, self.series.iter().map(|s| (s.name.as_str(), s.style)));
        close_figure(out, &self.caption);
    }
}

/// Opens a chart's `figure`, its title and its SVG of `height` (in the width every chart has).
fn open_figure(out: &mut String, id: &str, title: &str, height: f64) {
    let _ = write!(
        out,
        "<figure class=\"chart\" id=\"{id}\"><figcaption><h3>{title}</h3></figcaption>\
         <svg viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-label=\"{title}\">",
        id = esc(id),
        title = esc(title),
    );
}

/// The caption under a chart, and the end of its `figure`.
fn close_figure(out: &mut String, caption: &str) {
    if !caption.is_empty() {
        let _ = write!(out, "<p class=\"caption\">{}</p>", esc(caption));
    }
    out.push_str("</figure>");
}

/// Vertical grid lines with their labels under the axis, every `step` from `low` to `top`.
fn vertical_grid(
    out: &mut String,
    (low, top, step): (f64, f64, f64),
    px: impl Fn(f64) -> f64,
    bottom: f64,
    label: impl Fn(f64) -> String,
) {
    let mut t = low;
    while t <= top + step * 1e-6 {
        let x = px(t);
        let _ = write!(
            out,
            "<line class=\"grid\" x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{TOP}\" y2=\"{bottom}\"/>\
             <text class=\"tick\" x=\"{x:.1}\" y=\"{ty}\" text-anchor=\"middle\">{label}</text>",
            ty = bottom + 18.0,
            label = esc(&label(t)),
        );
        t += step;
    }
}

/// The legend: a short line of each series' style and its name.
fn legend<'a>(out: &mut String, entries: impl Iterator<Item = (&'a str, usize)>) {
    out.push_str("<ul class=\"legend\">");
    for (name, style) in entries {
        let _ = write!(
            out,
            "<li><svg viewBox=\"0 0 28 10\" width=\"28\" height=\"10\" aria-hidden=\"true\">\
             <line class=\"line s{style}\" x1=\"1\" x2=\"27\" y1=\"5\" y2=\"5\"/></svg>{name}</li>",
            style = style % 6,
            name = esc(name),
        );
    }
    out.push_str("</ul>");
}

/// Where percentile `p` (0 to 100) sits on the spectrum's axis; the maximum (100) half a
/// decade beyond 99.999 %.
fn percentile_position(p: f64) -> f64 {
    if p >= 100.0 {
        return 5.5;
    }
    (1.0 / (1.0 - p / 100.0)).log10().min(5.0)
}

/// The vertical axis: where a value sits, and its ticks.
enum YAxis {
    Linear { max: f64, step: f64 },
    Log { low: f64, high: f64 },
}

impl YAxis {
    fn linear(scale: Scale, max: f64) -> YAxis {
        let (div, _) = scale.unit(max);
        let max_in_unit = if max > 0.0 { max / div } else { 1.0 };
        let step = nice_step(max_in_unit / 5.0) * div;
        let top = (max / step).ceil().max(1.0) * step;
        YAxis::Linear { max: top, step }
    }

    fn log(low: f64, high: f64) -> YAxis {
        YAxis::Log {
            low: 10f64.powf(low.log10().floor()),
            high: 10f64.powf(high.log10().ceil()),
        }
    }

    fn fraction(&self, y: f64) -> f64 {
        match *self {
            YAxis::Linear { max, .. } => (y / max).clamp(0.0, 1.0),
            YAxis::Log { low, high } => {
                ((y.max(low).log10() - low.log10()) / (high.log10() - low.log10())).clamp(0.0, 1.0)
            }
        }
    }

    fn ticks(&self, scale: Scale) -> Vec<(f64, String)> {
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

fn space(scale: Scale) -> &'static str {
    if scale == Scale::Bytes {
        " "
    } else {
        ""
    }
}

/// 1, 2 or 5 times a power of ten, at least `raw`.
fn nice_step(raw: f64) -> f64 {
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
fn x_ticks(axis: XAxis, min: f64, max: f64) -> Vec<(f64, String)> {
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
fn clock(seconds: f64) -> String {
    let s = seconds.round() as u64;
    match s {
        0..=119 => format!("{s}s"),
        120..=3599 => format!("{}:{:02}", s / 60, s % 60),
        _ => format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60),
    }
}

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
/// inline SVG for a table cell. `worse_above` says which side of zero is the bad one.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_one_two_or_five_times_a_power_of_ten() {
        assert_eq!(nice_step(0.7), 1.0);
        assert_eq!(nice_step(1.3), 2.0);
        assert_eq!(nice_step(3.0), 5.0);
        assert_eq!(nice_step(7.0), 10.0);
        assert_eq!(nice_step(260.0), 500.0);
        assert_eq!(nice_step(0.0), 1.0);
    }

    #[test]
    fn percentiles_sit_on_hdrhistograms_axis() {
        assert_eq!(percentile_position(0.0), 0.0);
        assert!((percentile_position(90.0) - 1.0).abs() < 1e-9);
        assert!((percentile_position(99.9) - 3.0).abs() < 1e-9);
        assert_eq!(percentile_position(100.0), 5.5);
    }

    #[test]
    fn a_gap_breaks_the_line_and_a_lone_point_is_a_dot() {
        let chart = LineChart::new("c", "t", XAxis::Seconds, Scale::Number).series(
            "s",
            0,
            vec![
                (0.0, Some(1.0)),
                (1.0, Some(2.0)),
                (2.0, None),
                (3.0, Some(1.0)),
                (4.0, None),
            ],
        );
        let mut out = String::new();
        chart.render(&mut out);
        let d = out
            .split(" d=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        assert_eq!(d.matches('M').count(), 2, "{d}");
        assert_eq!(d.matches('L').count(), 1, "{d}");
        assert!(d.ends_with("h0"), "{d}");
        assert!(out.contains("data-points=\"3\""));
    }

    #[test]
    fn an_empty_chart_says_so_and_draws_no_data() {
        let chart = LineChart::new("c", "t", XAxis::Seconds, Scale::Duration).series(
            "s",
            0,
            vec![(0.0, None)],
        );
        let mut out = String::new();
        chart.render(&mut out);
        assert!(out.contains("no data"));
        assert!(!out.contains("class=\"data"));
    }

    #[test]
    fn a_limit_far_above_the_data_is_named_not_drawn() {
        let mut chart = LineChart::new("c", "t", XAxis::Seconds, Scale::Duration).series(
            "p99",
            0,
            vec![(0.5, Some(20e6)), (1.5, Some(25e6))],
        );
        chart.limits = vec![
            Limit {
                value: 500e6,
                label: "latency.p99 < 500ms".into(),
                failed: false,
            },
            Limit {
                value: 22e6,
                label: "latency.p50 < 22ms".into(),
                failed: true,
            },
        ];
        let mut out = String::new();
        chart.render(&mut out);
        assert!(out.contains("latency.p99 &lt; 500ms: above the chart"));
        assert_eq!(out.matches("<line class=\"limit failed\"").count(), 1);
        assert_eq!(out.matches("<line class=\"limit\"").count(), 0);
        // The axis ends near the data, not at the far limit.
        assert!(!out.contains(">500ms<"), "{out}");
    }

    #[test]
    fn clock_readings() {
        assert_eq!(clock(45.0), "45s");
        assert_eq!(clock(150.0), "2:30");
        assert_eq!(clock(3720.0), "1:02:00");
    }
}
