//! `perf script` text to folded stacks (inferno's perf collapser), with Rust names demangled,
//! each frame's module (the binary or library perf resolved it in) kept on the side, and hints
//! when the stacks say symbols or frame pointers were missing.

use std::collections::BTreeMap;

use inferno::collapse::perf::{Folder, Options};
use inferno::collapse::Collapse as _;

/// Folded stacks: `outer;…;inner count` lines, outermost frame first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Folded {
    /// The folded lines, sorted.
    pub text: String,
    /// Stacks sampled. The folded lines' counts are perf's periods (for `cpu-clock`, nanoseconds
    /// of CPU), so shares weigh each sample by the time it stands for.
    pub samples: u64,
    /// The module each frame was found in (`libc.so.6`, `rigor`, `[kernel.kallsyms]`).
    pub modules: BTreeMap<String, String>,
    /// What would give better stacks, when these look poor.
    pub hints: Vec<String>,
}

/// Folds the text `perf script` prints. Each sample counts once: a sample's period (which
/// perf prints by default and inferno would weigh it by) is dropped first, so the counts are
/// samples, whatever the event.
pub fn fold_perf_script(text: &str) -> Result<Folded, std::io::Error> {
    let mut options = Options::default();
    options.annotate_kernel = false;
    options.annotate_jit = false;
    let mut folder = Folder::from(options);
    let unweighted: String = text.lines().map(|l| without_period(l) + "\n").collect();
    let mut out = Vec::new();
    folder.collapse(unweighted.as_bytes(), &mut out)?;
    let collapsed = String::from_utf8_lossy(&out);
    let mut lines: Vec<String> = Vec::new();
    let mut weight = 0u64;
    let (mut frames, mut unknown) = (0u64, 0u64);
    let mut shallow = 0u64;
    for line in collapsed.lines() {
        let Some((stack, count)) = line.rsplit_once(' ') else {
            continue;
        };
        let Ok(count) = count.trim().parse::<u64>() else {
            continue;
        };
        let names: Vec<String> = stack.split(';').map(demangle).collect();
        weight += count;
        // The thread's name comes first. A stack of the leaf alone, or of the leaf and the
        // thread's start, was not unwound: the frames between were lost.
        if names.len() <= 3 {
            shallow += count;
        }
        for n in names.iter().skip(1) {
            frames += count;
            if n == "[unknown]" || n.starts_with("0x") {
                unknown += count;
            }
        }
        lines.push(format!("{} {count}", names.join(";")));
    }
    lines.sort();
    let mut hints = Vec::new();
    if frames > 0 && unknown * 5 > frames {
        hints.push(format!(
            "{}% of the frames have no symbol: the binary is stripped or its symbols are elsewhere; build with symbols (Rust: `debug = \"line-tables-only\"` or `strip = false` in the release profile; C/C++: -g) and keep the binary where perf finds it",
            unknown * 100 / frames
        ));
    }
    if weight > 0 && shallow * 2 > weight {
        hints.push(
            "most stacks are one or two frames deep: the code has no frame pointers; build with them (Rust: RUSTFLAGS=\"-C force-frame-pointers=yes\"; C/C++: -fno-omit-frame-pointer) or profile with --call-graph dwarf".into(),
        );
    }
    let mut text_out = lines.join("\n");
    if !text_out.is_empty() {
        text_out.push('\n');
    }
    // A sample is a header in the first column with its frames indented under it.
    let raw: Vec<&str> = text.lines().collect();
    let samples = raw
        .windows(2)
        .filter(|pair| {
            let (head, first) = (pair[0], pair[1]);
            !head.is_empty()
                && !head.starts_with(char::is_whitespace)
                && !head.starts_with('#')
                && head.contains(": ")
                && first.starts_with(char::is_whitespace)
                && !first.trim().is_empty()
        })
        .count() as u64;
    if samples == 0 {
        // Not perf script text: nothing was sampled, whatever the collapser made of it.
        text_out.clear();
        hints.clear();
    }
    Ok(Folded {
        text: text_out,
        samples,
        modules: modules(text),
        hints,
    })
}

/// A sample's header without its period: `comm 12 3.5:   10101010 cpu-clock:` →
/// `comm 12 3.5: cpu-clock:`. Frame lines (indented) are left as they are.
fn without_period(line: &str) -> String {
    if line.starts_with(char::is_whitespace) {
        return line.to_string();
    }
    let Some(at) = line.find(": ") else {
        return line.to_string();
    };
    let rest = &line[at + 2..];
    let trimmed = rest.trim_start();
    let digits = trimmed.bytes().take_while(u8::is_ascii_digit).count();
    let after = &trimmed[digits..];
    if digits > 0
        && after.starts_with(' ')
        && after
            .split_whitespace()
            .next()
            .is_some_and(|t| t.ends_with(':'))
    {
        format!("{}: {}", &line[..at], after.trim_start())
    } else {
        line.to_string()
    }
}

/// A frame name readable: Rust's mangled symbols demangled without their hash, C++'s (Itanium
/// ABI, `_Z…`) demangled as c++filt would, and the hash dropped from names perf demangled
/// itself. `;` (the folded format's separator) never stays.
fn demangle(name: &str) -> String {
    let name = name.trim();
    let out = if name.starts_with("_R") || is_rust_legacy(name) {
        format!("{:#}", rustc_demangle::demangle(name))
    } else if name.starts_with("_Z") {
        cpp_demangle::Symbol::new(name)
            .ok()
            .and_then(|s| s.demangle().ok())
            .unwrap_or_else(|| format!("{:#}", rustc_demangle::demangle(name)))
    } else {
        strip_hash(name).to_string()
    };
    out.replace(';', ":")
}

/// Rust's legacy mangling is Itanium-shaped but ends in a 16-digit hash path element:
/// `_ZN4core3fmt5write17h1a2b3c4d5e6f7a8bE`.
fn is_rust_legacy(name: &str) -> bool {
    let Some(body) = name.strip_prefix("_ZN").and_then(|n| n.strip_suffix('E')) else {
        return false;
    };
    body.len() > 19
        && body.is_char_boundary(body.len() - 19)
        && body[body.len() - 19..].starts_with("17h")
        && body[body.len() - 16..]
            .bytes()
            .all(|b| b.is_ascii_hexdigit())
}

/// `core::fmt::write::h1a2b3c4d5e6f7a8b` → `core::fmt::write`.
fn strip_hash(name: &str) -> &str {
    if let Some((head, hash)) = name.rsplit_once("::h") {
        if hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return head;
        }
    }
    name
}

/// Each frame's module, from `perf script`'s frame lines: `\t addr symbol+0xoff (module)`.
fn modules(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.len() == line.len() || trimmed.is_empty() {
            continue; // not a frame line (sample headers start in column 0)
        }
        let Some((rest, module)) = trimmed.rsplit_once(" (") else {
            continue;
        };
        let module = module.trim_end_matches(')');
        let Some((_, symbol)) = rest.split_once(char::is_whitespace) else {
            continue;
        };
        let symbol = match symbol.rsplit_once("+0x") {
            Some((s, _)) => s,
            None => symbol,
        };
        let short = module.rsplit('/').next().unwrap_or(module);
        out.entry(demangle(symbol))
            .or_insert_with(|| short.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_samples_period_is_dropped_from_its_header_only() {
        assert_eq!(
            without_period("tokio-rt-worker 31983  3574.259769:   10101010 cpu-clock: "),
            "tokio-rt-worker 31983  3574.259769: cpu-clock: "
        );
        assert_eq!(
            without_period("comm 1 2.0: cpu-clock: "),
            "comm 1 2.0: cpu-clock: "
        );
        let frame = "\t         1484aa5 main+0x25 (/bin/x)";
        assert_eq!(without_period(frame), frame);
    }

    #[test]
    fn rust_names_lose_their_hash() {
        assert_eq!(
            demangle("_ZN4core3fmt5write17h1a2b3c4d5e6f7a8bE"),
            "core::fmt::write"
        );
        assert_eq!(
            demangle("rigor_target::work::burn::h0123456789abcdef"),
            "rigor_target::work::burn"
        );
        assert_eq!(
            demangle("std::vector<int>::push_back"),
            "std::vector<int>::push_back"
        );
        // C++ names as GNU c++filt gives them (binutils 2.40 on this project's machines).
        assert_eq!(
            demangle("_ZNSt6vectorIiSaIiEE9push_backERKi"),
            "std::vector<int, std::allocator<int> >::push_back(int const&)"
        );
        assert_eq!(demangle("_ZN3foo3barEv"), "foo::bar()");
        assert_eq!(demangle("_Znot-a-symbol"), "_Znot-a-symbol");
    }
}
