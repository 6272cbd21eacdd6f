//! Profiles read: the hottest frames of folded stacks (the bottleneck priority list) and the
//! frames whose share moved most between two profiles. Shares are of each profile's own
//! samples, so profiles of different lengths and sampling rates compare.

use std::collections::{BTreeMap, BTreeSet};

use rigor_model::output::profile::{FrameChange, HotFrame, ProfileCapture, ProfileReport};

/// Each frame's self and total weight (samples, or perf's periods) in folded stacks (`outer;…;inner count` lines, the
/// thread's name first, which is not a frame and is left out), and the samples in all.
fn frame_counts(folded: &str) -> (BTreeMap<&str, (u64, u64)>, u64) {
    let mut frames: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    let mut samples = 0;
    for line in folded.lines() {
        let Some((stack, count)) = line.rsplit_once(' ') else {
            continue;
        };
        let Ok(count) = count.trim().parse::<u64>() else {
            continue;
        };
        samples += count;
        let names: Vec<&str> = stack.split(';').skip(1).collect();
        if let Some(leaf) = names.last() {
            frames.entry(leaf).or_default().0 += count;
        }
        // A frame counts once per stack, however often it recurses.
        let distinct: BTreeSet<&str> = names.into_iter().collect();
        for n in distinct {
            frames.entry(n).or_default().1 += count;
        }
    }
    (frames, samples)
}

/// The `top` frames by self samples (ties by total, then name), with their shares.
pub fn hottest(run_id: i64, capture: &ProfileCapture, folded: &str, top: usize) -> ProfileReport {
    let (frames, samples) = frame_counts(folded);
    let share = |n: u64| {
        if samples == 0 {
            0.0
        } else {
            n as f64 / samples as f64
        }
    };
    let mut hot: Vec<HotFrame> = frames
        .into_iter()
        .map(|(frame, (own, total))| HotFrame {
            frame: frame.to_string(),
            module: capture.modules.get(frame).cloned(),
            self_samples: own,
            total_samples: total,
            self_share: share(own),
            total_share: share(total),
        })
        .collect();
    hot.sort_by(|a, b| {
        b.self_samples
            .cmp(&a.self_samples)
            .then(b.total_samples.cmp(&a.total_samples))
            .then(a.frame.cmp(&b.frame))
    });
    hot.truncate(top);
    ProfileReport {
        run_id,
        capture: capture.clone(),
        hottest: hot,
    }
}

/// Frames whose total share moved by about the same (within [`ALIKE`]) are one call chain
/// that grew or shrank together: among them, the frame whose own code moved most comes first,
/// so the work leads its callers. `changes` comes sorted by total change, largest first.
fn chains_by_work(changes: Vec<FrameChange>) -> Vec<FrameChange> {
    let mut rest = changes;
    let mut out = Vec::with_capacity(rest.len());
    while !rest.is_empty() {
        let head = rest[0].total_change();
        let end = rest
            .iter()
            .position(|c| (c.total_change() - head).abs() > ALIKE)
            .unwrap_or(rest.len());
        let mut group: Vec<FrameChange> = rest.drain(..end).collect();
        // Growth leads with the largest own growth, a fall with the largest own fall.
        if head >= 0.0 {
            group.sort_by(|a, b| b.self_change().total_cmp(&a.self_change()));
        } else {
            group.sort_by(|a, b| a.self_change().total_cmp(&b.self_change()));
            group.reverse();
        }
        out.extend(group);
    }
    out
}

/// Two total-share changes this close (five percentage points) are the same change: dwarf
/// unwinding loses or misplaces a few frames of some stacks, so a chain that grew together
/// rarely grew by exactly the same.
const ALIKE: f64 = 0.05;

/// The frames whose share changed most from `before` to `after`: the `top` that grew and the
/// `top` that shrank. Ranked by the change of their total share (time with the frame anywhere
/// on the stack: where the time moved, including what a frame's callees do, so a function
/// whose work is spread over inlined helpers still leads), then of their self share (so of a
/// call chain that grew alike, the frame doing the work comes first).
pub fn diff(
    (before, before_modules): (&str, &BTreeMap<String, String>),
    (after, after_modules): (&str, &BTreeMap<String, String>),
    top: usize,
) -> (Vec<FrameChange>, Vec<FrameChange>) {
    let (a, na) = frame_counts(before);
    let (b, nb) = frame_counts(after);
    let share = |n: u64, of: u64| if of == 0 { 0.0 } else { n as f64 / of as f64 };
    let names: BTreeSet<&str> = a.keys().chain(b.keys()).copied().collect();
    let mut changes: Vec<FrameChange> = names
        .into_iter()
        .map(|frame| {
            let (sa, ta) = a.get(frame).copied().unwrap_or_default();
            let (sb, tb) = b.get(frame).copied().unwrap_or_default();
            FrameChange {
                frame: frame.to_string(),
                module: after_modules
                    .get(frame)
                    .or_else(|| before_modules.get(frame))
                    .cloned(),
                before_self_share: share(sa, na),
                after_self_share: share(sb, nb),
                before_total_share: share(ta, na),
                after_total_share: share(tb, nb),
            }
        })
        .collect();
    let key = |c: &FrameChange| (c.total_change(), c.self_change());
    changes.sort_by(|x, y| {
        let (a, b) = (key(x), key(y));
        b.0.total_cmp(&a.0).then(b.1.total_cmp(&a.1))
    });
    let changes = chains_by_work(changes);
    // Shares of equal counts can differ in the last bit; smaller than this is no change.
    const NONE: f64 = 1e-12;
    let direction = |c: &FrameChange| {
        let (total, own) = key(c);
        if total.abs() > NONE {
            total.signum()
        } else if own.abs() > NONE {
            own.signum()
        } else {
            0.0
        }
    };
    let grew: Vec<FrameChange> = changes
        .iter()
        .filter(|c| direction(c) > 0.0)
        .take(top)
        .cloned()
        .collect();
    let shrank: Vec<FrameChange> = changes
        .iter()
        .rev()
        .filter(|c| direction(c) < 0.0)
        .take(top)
        .cloned()
        .collect();
    (grew, shrank)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FOLDED: &str = "\
worker;main;parse;lex 30
worker;main;parse 10
worker;main;render 50
worker;main;render;render 10
";

    #[test]
    fn self_and_total_shares_of_folded_stacks() {
        let r = hottest(1, &ProfileCapture::default(), FOLDED, 10);
        let get = |name: &str| r.hottest.iter().find(|f| f.frame == name).unwrap();
        assert_eq!(r.hottest[0].frame, "render", "60 self samples, the most");
        assert_eq!(get("render").self_samples, 60);
        assert_eq!(get("render").total_samples, 60, "recursion counts once");
        assert_eq!(get("parse").self_samples, 10);
        assert_eq!(get("parse").total_samples, 40);
        assert_eq!(get("main").self_samples, 0);
        assert!((get("main").total_share - 1.0).abs() < 1e-12);
        assert!((get("lex").self_share - 0.3).abs() < 1e-12);
        assert!(
            r.hottest.iter().all(|f| f.frame != "worker"),
            "the thread is not a frame"
        );
    }

    #[test]
    fn the_work_leads_the_callers_that_grew_with_it() {
        let before = "t;main;idle 90\nt;main;serve 10\n";
        // `serve` grows a little more than `work` in total (it also did a little itself).
        let after = "t;main;idle 10\nt;main;serve;work 80\nt;main;serve 11\n";
        let none = BTreeMap::new();
        let (grew, shrank) = diff((before, &none), (after, &none), 5);
        assert_eq!(grew[0].frame, "work", "{grew:#?}");
        assert_eq!(grew[1].frame, "serve");
        assert_eq!(shrank[0].frame, "idle");
    }

    #[test]
    fn the_diff_is_of_shares_not_counts() {
        // The same shape at twice the samples: nothing moved.
        let doubled: String = FOLDED
            .lines()
            .map(|l| {
                let (s, n) = l.rsplit_once(' ').unwrap();
                format!("{s} {}\n", n.parse::<u64>().unwrap() * 2)
            })
            .collect();
        let none = BTreeMap::new();
        let (grew, shrank) = diff((FOLDED, &none), (&doubled, &none), 5);
        assert!(grew.is_empty() && shrank.is_empty(), "{grew:?} {shrank:?}");
        // Lexing got heavier.
        let heavier = FOLDED.replace("lex 30", "lex 130");
        let (grew, shrank) = diff((FOLDED, &none), (&heavier, &none), 5);
        assert_eq!(grew[0].frame, "lex");
        assert!((grew[0].after_self_share - 0.65).abs() < 1e-12);
        assert_eq!(
            shrank[0].frame, "render",
            "its share fell from 60 % to 30 %"
        );
    }
}
