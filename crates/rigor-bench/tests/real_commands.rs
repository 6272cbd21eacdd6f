//! Real processes through `ProcessExecutor`: exit codes, wall and CPU time, peak memory,
//! error messages, output modes and the shell correction. Each test takes well under a
//! second.

use std::time::Duration;

use rigor_bench::{
    BenchError, BenchResult, BenchSpec, CommandTemplate, Hooks, OutputMode, ProcessExecutor,
    RunCount, Runner, Shell, Summary, WarningKind,
};

const MIB: u64 = 1024 * 1024;

fn run(spec: BenchSpec) -> Result<BenchResult, BenchError> {
    let plan = spec.resolve().expect("valid spec");
    Runner::new(&plan, &mut ProcessExecutor::new()).run()
}

fn fixed(runs: u64, lines: &[&str]) -> BenchSpec {
    BenchSpec {
        runs: RunCount::Fixed { runs },
        ..BenchSpec::new(lines.iter().copied())
    }
}

fn stats(result: &BenchResult, index: usize) -> &Summary {
    result.commands[index].stats.as_ref().expect("stats")
}

#[test]
fn true_runs_and_exits_zero() {
    let result = run(fixed(5, &["true"])).unwrap();
    let runs = &result.commands[0].runs;
    assert_eq!(runs.len(), 5);
    for record in runs {
        assert_eq!(record.measurement.exit_code, Some(0));
        assert_eq!(record.measurement.signal, None);
        assert!(record.measurement.wall > Duration::ZERO);
        assert!(record.measurement.peak_rss > 0);
    }
}

#[test]
fn sleep_takes_wall_time_but_little_cpu() {
    let result = run(fixed(2, &["sleep 0.05"])).unwrap();
    for record in &result.commands[0].runs {
        let m = record.measurement;
        assert!(m.wall >= Duration::from_millis(50), "wall {:?}", m.wall);
        assert!(
            m.user + m.system < Duration::from_millis(25),
            "cpu {:?}",
            m.user + m.system
        );
    }
}

/// A shell busy loop (builtins only, so the work is the shell's own) that then prints the
/// shell's own CPU time as the kernel accounts it, `/proc/$$/stat`, and the clock tick.
const BUSY_LOOP: &str = "i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done; \
                         cat /proc/$$/stat; getconf CLK_TCK";

/// User + system CPU time from a `/proc/<pid>/stat` line (fields 14 and 15, in clock ticks,
/// counted after the parenthesised command name, which may hold spaces).
fn stat_cpu(stat: &str, ticks_per_second: u64) -> Duration {
    let after_name = &stat[stat.rfind(')').expect("a stat line") + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    Duration::from_micros(ticks * 1_000_000 / ticks_per_second)
}

/// Each busy loop's self-reported CPU time and the clock tick, from `BUSY_LOOP`'s output.
fn self_reports(output: &str) -> Vec<(Duration, u64)> {
    let lines: Vec<&str> = output.lines().collect();
    lines
        .chunks(2)
        .map(|pair| {
            let ticks_per_second: u64 = pair[1].trim().parse().expect("CLK_TCK");
            (stat_cpu(pair[0], ticks_per_second), ticks_per_second)
        })
        .collect()
}

/// This test process's own CPU time so far (every thread), from `/proc/self/stat`.
fn own_cpu(ticks_per_second: u64) -> Duration {
    stat_cpu(
        &std::fs::read_to_string("/proc/self/stat").unwrap(),
        ticks_per_second,
    )
}

#[test]
fn cpu_time_is_the_childs_own() {
    // rigor's user + system figure for each run is checked against the CPU time the same
    // process reports for itself, never against wall time: on a busy machine the wall time of
    // a busy loop stretches while its CPU time does not.
    let dir = tempfile::tempdir().unwrap();
    // Once outside rigor, to know how much CPU one loop costs on this machine.
    let calibration = std::process::Command::new("sh")
        .args(["-c", BUSY_LOOP])
        .output()
        .unwrap();
    let (one_loop, ticks_per_second) =
        self_reports(&String::from_utf8_lossy(&calibration.stdout))[0];
    // Make this process (the parent of every run) cost far more CPU than a run may be
    // reported at, so that a figure taken from the parent cannot pass for the child's.
    let parent_floor = one_loop * 4 + Duration::from_millis(100);
    let mut spin = 0u64;
    while own_cpu(ticks_per_second) < parent_floor {
        for _ in 0..1_000_000 {
            spin = std::hint::black_box(spin.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
    }
    let parent_before = own_cpu(ticks_per_second);
    let path = dir.path().join("cpu.txt");
    let spec = BenchSpec {
        shell: Some(Shell {
            subtract_overhead: false,
            ..Shell::default()
        }),
        output: OutputMode::File(path.clone()),
        ..fixed(3, &[BUSY_LOOP])
    };
    let result = run(spec).unwrap();
    let reports = self_reports(&std::fs::read_to_string(&path).unwrap());
    let runs = &result.commands[0].runs;
    assert_eq!(reports.len(), runs.len());
    for (record, &(own, _)) in runs.iter().zip(&reports) {
        let m = record.measurement;
        let cpu = m.user + m.system;
        // The loop did measurable work (at least two clock ticks at the usual 100 Hz)...
        assert!(own >= Duration::from_millis(20), "self-reported {own:?}");
        // ...and rigor reports that work: generous bounds for the tick rounding of /proc and
        // the `cat` and `getconf` at the end, but not the twice or thrice it would be if
        // earlier children's time were added in.
        assert!(
            cpu >= own / 2,
            "rigor {cpu:?} vs self-reported {own:?} ({m:?})"
        );
        assert!(
            cpu <= own * 3 / 2 + Duration::from_millis(50),
            "rigor {cpu:?} vs self-reported {own:?} ({m:?})"
        );
        // Not the parent's: it had used more than any bound above before the run started.
        assert!(
            cpu < parent_before,
            "rigor {cpu:?} vs the parent's {parent_before:?}"
        );
    }
}

#[test]
fn false_fails_clearly_and_is_accepted_with_ignore_failure() {
    let error = run(fixed(3, &["false"])).unwrap_err();
    assert_eq!(
        error.to_string(),
        "`false` failed with exit code 1 on timed run 1; pass --ignore-failure to benchmark it \
         anyway (its output was discarded: --output inherit shows what it printed)"
    );
    let result = run(BenchSpec {
        ignore_failure: true,
        ..fixed(3, &["false"])
    })
    .unwrap();
    assert_eq!(result.commands[0].runs.len(), 3);
    assert!(result.commands[0]
        .runs
        .iter()
        .all(|r| r.measurement.exit_code == Some(1)));
    assert!(result
        .warnings
        .iter()
        .any(|w| w.kind == WarningKind::FailuresIgnored));
}

#[test]
fn a_command_that_cannot_start_is_named_with_the_reason() {
    let error = run(fixed(1, &["nosuchcmd-rigor --flag"])).unwrap_err();
    assert_eq!(
        error.to_string(),
        "cannot start `nosuchcmd-rigor --flag`: No such file or directory (os error 2)"
    );
    let error = run(fixed(1, &["nosuchcmd-rigor | wc -l"])).unwrap_err();
    assert!(
        error
            .to_string()
            .ends_with("; it runs without a shell, so pipes, redirections and variables do not work: run it with a shell"),
        "{error}"
    );
}

#[test]
fn peak_rss_shows_a_known_allocation() {
    // bytearray() maps zeroed pages lazily; writing one byte per page makes all 200 MiB
    // resident. The baseline interpreter is subtracted.
    let touch = "b = bytearray(200*1024*1024); b[::4096] = b'x' * len(b[::4096])";
    let spec = BenchSpec {
        commands: vec![
            CommandTemplate::named("baseline", "python3 -c pass"),
            CommandTemplate::named("alloc", format!("python3 -c \"{touch}\"")),
        ],
        ..fixed(1, &[])
    };
    let result = run(spec).unwrap();
    let baseline = stats(&result, 0).peak_rss_max_bytes;
    let alloc = stats(&result, 1).peak_rss_max_bytes;
    let extra = alloc.saturating_sub(baseline) as f64;
    let want = (200 * MIB) as f64;
    assert!(
        (extra - want).abs() <= 0.1 * want,
        "baseline {baseline} B, with 200 MiB {alloc} B: extra {extra} B"
    );
}

#[test]
fn shell_overhead_is_subtracted() {
    let spec = |subtract_overhead| BenchSpec {
        shell: Some(Shell {
            subtract_overhead,
            calibration_runs: 20,
            ..Shell::default()
        }),
        ..fixed(20, &["true"])
    };
    let corrected = run(spec(true)).unwrap();
    let raw = run(spec(false)).unwrap();
    let shell = corrected.shell.as_ref().expect("shell overhead recorded");
    assert!(shell.subtracted);
    assert_eq!(shell.runs, 20);
    assert!(shell.wall_mean > Duration::ZERO);
    assert!(raw.shell.is_none());
    // How much is subtracted, exactly, is checked with the deterministic fake executor
    // (`fake_runs.rs`, shell_start_up_is_measured_and_subtracted). Here only what holds
    // whatever else the machine is doing: comparing two separate runs' wall times would
    // assert the machine's load, and failed on a busy 2-core CI machine.
    assert_eq!(stats(&corrected, 0).count, 20);
    assert!(shell.clamped_runs <= 20);
}

#[test]
fn piped_output_is_drained() {
    // 1 MB of output: more than a pipe holds, so the run would hang if nobody read it.
    let spec = BenchSpec {
        output: OutputMode::Pipe,
        ..fixed(2, &["head -c 1000000 /dev/zero"])
    };
    let result = run(spec).unwrap();
    assert_eq!(result.commands[0].runs.len(), 2);
}

#[test]
fn kept_output_holds_every_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.txt");
    std::fs::write(&path, "stale\n").unwrap();
    let spec = BenchSpec {
        output: OutputMode::File(path.clone()),
        warmup: 1,
        ..fixed(2, &["echo hello"])
    };
    run(spec).unwrap();
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "hello\nhello\nhello\n"
    );
}

#[test]
fn a_failing_setup_hook_reports_its_output() {
    let spec = BenchSpec {
        hooks: Hooks {
            setup: Some("echo preparing; echo 'no space left' >&2; exit 3".into()),
            ..Hooks::default()
        },
        ..fixed(1, &["true"])
    };
    let error = run(spec).unwrap_err();
    assert_eq!(
        error.to_string(),
        "the setup command `echo preparing; echo 'no space left' >&2; exit 3` (for `true`) \
         failed with exit code 3\nstderr:\nno space left\nstdout:\npreparing"
    );
}

#[test]
fn hooks_run_through_the_shell_around_real_runs() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    let log = log.display();
    let spec = BenchSpec {
        hooks: Hooks {
            setup: Some(format!("echo setup >> {log}")),
            prepare: Some(format!("echo prepare >> {log}")),
            conclude: Some(format!("echo conclude >> {log}")),
            cleanup: Some(format!("echo cleanup >> {log}")),
        },
        ..fixed(2, &["true"])
    };
    run(spec).unwrap();
    let text = std::fs::read_to_string(dir.path().join("log")).unwrap();
    assert_eq!(
        text,
        "setup\nprepare\nconclude\nprepare\nconclude\ncleanup\n"
    );
}

#[test]
fn the_shell_may_carry_options() {
    // `sh -e` stops at the first failing command, plain `sh` runs on to `true`.
    let spec = |program: &str| BenchSpec {
        shell: Some(Shell {
            program: program.to_string(),
            subtract_overhead: false,
            ..Shell::default()
        }),
        ..fixed(1, &["false; true"])
    };
    assert!(run(spec("sh")).is_ok());
    assert!(run(spec("sh -e"))
        .unwrap_err()
        .to_string()
        .starts_with("`false; true` failed with exit code 1"));
}
