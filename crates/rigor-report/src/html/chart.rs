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

mod axis;
mod distribution;

use axis::{percentile_position, x_ticks, YAxis};
pub use distribution::{bars, interval, Strip, StripChart};

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
    /// A plain quantity (offered load, users, requests in flight), from zero, labelled with
    /// its unit (`/s`).
    Linear(&'static str),
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
            XAxis::Seconds | XAxis::Linear(_) => x,
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
        if matches!(self.x, XAxis::Seconds | XAxis::Linear(_)) {
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
            // A label that would run past the plot's right edge is set to the mark's left.
            let wide = 6.5 * label.chars().count() as f64;
            let (tx, anchor) = if x + 3.0 + wide > WIDTH - RIGHT {
                (x - 3.0, "end")
            } else {
                (x + 3.0, "start")
            };
            let _ = write!(
                out,
                "<line class=\"mark\" x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{TOP}\" y2=\"{y2}\"/>\
                 <text class=\"mark-label\" x=\"{tx:.1}\" y=\"{ty}\" text-anchor=\"{anchor}\">{label}</text>",
                y2 = TOP + plot_h,
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

#[cfg(test)]
mod tests {
    use super::axis::{clock, nice_step};
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
