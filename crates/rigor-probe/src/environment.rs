//! The environment fingerprint stored with every run: comparisons across different machines,
//! kernels or rigor versions warn instead of silently comparing apples with oranges.

use std::path::Path;
use std::process::{Command, Stdio};

use rigor_model::output::Environment;

/// Reads the fingerprint of this machine and of the git checkout in `dir`.
pub fn fingerprint(dir: &Path) -> Environment {
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    let cpu_model = read("/proc/cpuinfo")
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .map(|v| v.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    let memory_bytes = read("/proc/meminfo")
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kib| kib * 1024);
    let os = read("/etc/os-release")
        .lines()
        .find_map(|l| {
            l.strip_prefix("PRETTY_NAME=")
                .map(|v| v.trim_matches('"').to_string())
        })
        .unwrap_or_else(|| std::env::consts::OS.to_string());
    let git = git_state(dir);
    Environment {
        rigor_version: env!("CARGO_PKG_VERSION").to_string(),
        hostname: read("/proc/sys/kernel/hostname").trim().to_string(),
        os,
        kernel: read("/proc/sys/kernel/osrelease").trim().to_string(),
        cpu_model,
        cores: std::thread::available_parallelism().map_or(1, |n| n.get() as u32),
        memory_bytes,
        git_commit: git.commit,
        git_dirty: git.dirty,
        git_branch: git.branch,
        load_average_1m: read("/proc/loadavg")
            .split_whitespace()
            .next()
            .and_then(|v| v.parse().ok()),
    }
}

/// The commit checked out in `dir` and whether tracked files differ from it: one `git status`,
/// and no process at all outside a git checkout. `(None, None)` without a checkout, without
/// git, or before the first commit.
fn git_state(dir: &Path) -> GitState {
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let in_checkout =
        std::env::var_os("GIT_DIR").is_some() || dir.ancestors().any(|d| d.join(".git").exists());
    if !in_checkout {
        return GitState::default();
    }
    // No optional locks: a benchmark must not make a concurrent git command fail on
    // `index.lock` by refreshing the index behind its back.
    let output = Command::new("git")
        .args([
            "--no-optional-locks",
            "status",
            "--porcelain=v2",
            "--branch",
        ])
        .arg("--untracked-files=no")
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output();
    match output {
        Ok(output) if output.status.success() => {
            parse_git_status(&String::from_utf8_lossy(&output.stdout))
        }
        _ => GitState::default(),
    }
}

/// Reads `git status --porcelain=v2 --branch`: the `# branch.oid` header names the commit,
/// and every other line is a changed tracked file.
/// What `git status` says of a checkout: its commit, whether tracked files changed, and the
/// branch checked out (`None` when detached, as CI checkouts of a commit often are).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct GitState {
    commit: Option<String>,
    dirty: Option<bool>,
    branch: Option<String>,
}

fn parse_git_status(text: &str) -> GitState {
    let header = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .map(str::trim)
            .filter(|v| !v.is_empty() && !v.starts_with('('))
            .map(str::to_string)
    };
    let Some(commit) = header("# branch.oid ") else {
        return GitState::default();
    };
    GitState {
        commit: Some(commit),
        dirty: Some(text.lines().any(|l| !l.is_empty() && !l.starts_with('#'))),
        branch: header("# branch.head "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git(dir: &Path, args: &[&str]) {
        let status = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(["-c", "commit.gpgsign=false"])
            .args(args)
            .current_dir(dir)
            .stdout(Stdio::null())
            .status()
            .expect("git runs");
        assert!(status.success(), "git {args:?}");
    }

    #[test]
    fn reads_the_commit_and_whether_tracked_files_changed() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path();
        let sub = repo.join("sub");
        std::fs::create_dir(&sub).unwrap();
        assert_eq!(git_state(&sub), GitState::default(), "not a checkout yet");
        git(repo, &["init", "-q"]);
        assert_eq!(git_state(&sub), GitState::default(), "no commit yet");
        std::fs::write(repo.join("a.txt"), "1").unwrap();
        git(repo, &["add", "a.txt"]);
        git(repo, &["commit", "-q", "-m", "one"]);
        let head = Command::new("git")
            .args(["rev-parse", "HEAD"])
            .current_dir(repo)
            .output()
            .unwrap();
        let head = String::from_utf8(head.stdout).unwrap().trim().to_string();
        let state = |dirty| GitState {
            commit: Some(head.clone()),
            dirty: Some(dirty),
            branch: Some("trunk".into()),
        };
        git(repo, &["branch", "-M", "trunk"]);
        assert_eq!(git_state(&sub), state(false));
        // Untracked files do not count; a changed tracked file does.
        std::fs::write(sub.join("new.txt"), "x").unwrap();
        assert_eq!(git_state(&sub), state(false));
        std::fs::write(repo.join("a.txt"), "2").unwrap();
        assert_eq!(git_state(&sub), state(true));
        // A detached checkout has a commit and no branch.
        git(repo, &["checkout", "-q", "--detach"]);
        assert_eq!(git_state(&sub).branch, None);
    }

    #[test]
    fn parses_porcelain_v2_headers_and_entries() {
        let clean = "# branch.oid 1232b26aa\n# branch.head main\n";
        assert_eq!(
            parse_git_status(clean),
            GitState {
                commit: Some("1232b26aa".to_string()),
                dirty: Some(false),
                branch: Some("main".to_string()),
            }
        );
        let changed = format!("{clean}1 .M N... 100644 100644 100644 a b a.txt\n");
        assert_eq!(parse_git_status(&changed).dirty, Some(true));
        assert_eq!(
            parse_git_status("# branch.oid (initial)\n# branch.head main\n"),
            GitState::default()
        );
        assert_eq!(
            parse_git_status("# branch.oid 1232b26aa\n# branch.head (detached)\n").branch,
            None
        );
    }
}
