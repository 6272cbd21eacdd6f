//! Flame graphs of folded stacks, drawn by inferno as interactive SVG (search and zoom are the
//! SVG's own script), and differential ones between two profiles: red where the after profile
//! spends a larger share, blue where a smaller one.

use std::io;

use inferno::flamegraph::{self, Options};

/// A flame graph of `folded` (`frame;frame count` lines).
pub fn flamegraph(folded: &str, title: &str) -> io::Result<String> {
    let mut options = Options::default();
    options.title = title.to_string();
    options.count_name = "samples".to_string();
    options.deterministic = true;
    draw(&mut options, folded)
}

/// A differential flame graph from `before` to `after`, the two normalised to the same total
/// so profiles of different lengths and rates compare; the shape is the after profile's.
pub fn differential(before: &str, after: &str, title: &str) -> io::Result<String> {
    let mut lines = Vec::new();
    let diff_options = inferno::differential::Options {
        normalize: true,
        ..Default::default()
    };
    inferno::differential::from_readers(
        diff_options,
        before.as_bytes(),
        after.as_bytes(),
        &mut lines,
    )?;
    let mut options = Options::default();
    options.title = title.to_string();
    options.count_name = "samples".to_string();
    options.deterministic = true;
    draw(&mut options, &String::from_utf8_lossy(&lines))
}

/// The SVG's height in pixels, from its root element (for the frame that holds it).
pub fn height(svg: &str) -> Option<u32> {
    let root = &svg[svg.find("<svg")?..];
    let at = root[..root.find('>')?].find(" height=\"")? + 9;
    root[at..]
        .split('"')
        .next()?
        .trim_end_matches("px")
        .parse()
        .ok()
}

fn draw(options: &mut Options<'_>, folded: &str) -> io::Result<String> {
    // A fixed width: inferno's fluid default measures the page it sits in, and a report's
    // frame is not the page.
    options.image_width = Some(1000);
    let mut svg = Vec::new();
    if folded.trim().is_empty() {
        return Ok(String::new());
    }
    flamegraph::from_lines(options, folded.lines(), &mut svg)?;
    Ok(String::from_utf8_lossy(&svg).into_owned())
}
