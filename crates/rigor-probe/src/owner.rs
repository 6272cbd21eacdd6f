//! Who is recording a run: `boot-id:pid:start-time`. The boot id tells a reboot apart (after
//! which no pid of before is alive), and the process's start time tells a reused pid apart.

/// This process's identity.
pub fn this_process() -> Option<String> {
    identity(std::process::id())
}

/// The identity of process `pid`, if it is running and `/proc` can be read.
pub fn identity(pid: u32) -> Option<String> {
    let boot = boot_id()?;
    let start = start_time(pid)?;
    Some(format!("{boot}:{pid}:{start}"))
}

/// Whether the process named by `owner` (as [`identity`] wrote it) is still running. An
/// identity from another boot, a pid now held by another process, or one that cannot be read
/// is not alive. A text this build cannot parse is taken as alive: rigor never marks a run
/// crashed unless it knows its owner is gone.
pub fn is_alive(owner: &str) -> bool {
    let mut parts = owner.rsplitn(3, ':');
    let (Some(start), Some(pid), Some(boot)) = (parts.next(), parts.next(), parts.next()) else {
        return true;
    };
    let (Ok(pid), Ok(start)) = (pid.parse::<u32>(), start.parse::<u64>()) else {
        return true;
    };
    if boot_id().is_none_or(|b| b != boot) {
        return false;
    }
    start_time(pid) == Some(start)
}

fn boot_id() -> Option<String> {
    let id = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    Some(id.trim().to_string())
}

/// Field 22 of `/proc/PID/stat`: the process's start time in clock ticks since boot.
fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: fields resume after the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_a_dead_child_is_not() {
        let me = this_process().expect("readable /proc");
        assert!(is_alive(&me));
        let mut child = std::process::Command::new("true")
            .spawn()
            .expect("spawn true");
        let id = identity(child.id());
        child.wait().expect("wait");
        if let Some(id) = id {
            assert!(!is_alive(&id), "{id} was reaped");
        }
        // Same pid, another start time: a reused pid.
        let (rest, _) = me.rsplit_once(':').expect("three parts");
        assert!(!is_alive(&format!("{rest}:1")));
        // Another boot.
        let pid = std::process::id();
        assert!(!is_alive(&format!(
            "00000000-0000-0000-0000-000000000000:{pid}:1"
        )));
        // Not an identity this build wrote: never called dead.
        assert!(is_alive("something else"));
    }
}
