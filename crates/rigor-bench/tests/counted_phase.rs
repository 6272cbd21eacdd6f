//! The counted phase's failure paths, with the timed runs on the fake executor and a
//! stand-in for valgrind (a shell script that writes cachegrind's summary where it is told):
//! a hook that fails while counting ends that command's counting and keeps the timed runs;
//! Ctrl-C during a counted run is a stop, not a failure; a run that fails keeps the counts
//! taken before it and says how many there were.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rigor_bench::count::Tools;
use rigor_bench::spec::Counting;
use rigor_bench::{BenchSpec, FakeExecutor, HookOutput, Hooks, Runner};

/// A valgrind that counts `ir` instructions and exits 0 on its first `good` calls, then
/// exits 3; every call is appended to `calls` in `dir`.
fn fake_valgrind(dir: &Path, ir: u64, good: u32) -> PathBuf {
    let path = dir.join("valgrind");
    let calls = dir.join("calls");
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\n\
             for a in \"$@\"; do case $a in --cachegrind-out-file=*) out=${{a#--cachegrind-out-file=}};; esac; done\n\
             out=$(echo \"$out\" | sed \"s/%p/$$/\")\n\
             echo x >> '{calls}'\n\
             n=$(wc -l < '{calls}')\n\
             [ \"$n\" -gt {good} ] && exit 3\n\
             printf 'events: Ir I1mr ILmr Dr D1mr DLmr Dw D1mw DLmw\\nsummary: {ir} 0 0 0 0 0 0 0 0\\n' > \"$out\"\n",
            calls = calls.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn tools(valgrind: PathBuf) -> Tools {
    Tools {
        perf: None,
        perf_missing: Some("no counters in this test".into()),
        valgrind: Some(valgrind),
    }
}

fn counted_spec(hooks: Hooks) -> BenchSpec {
    BenchSpec {
        runs: rigor_bench::RunCount::Fixed { runs: 2 },
        hooks,
        counting: Some(Counting {
            instructions: true,
            cycles_estimate: false,
            runs: 3,
        }),
        ..BenchSpec::new(["work"])
    }
}

#[test]
fn a_hook_failing_while_counting_keeps_the_timed_runs() {
    let dir = tempfile::tempdir().unwrap();
    let mut calls = 0;
    // The prepare hook runs before each of the two timed runs, then fails before the second
    // counted one.
    let mut fake = FakeExecutor::constant(Duration::from_millis(1)).with_hooks(move |hook| {
        calls += 1;
        Ok(if hook.line == "prepare" && calls == 4 {
            HookOutput {
                exit_code: Some(1),
                signal: None,
                stdout_tail: String::new(),
                stderr_tail: "no cache to drop\n".into(),
            }
        } else {
            HookOutput::success()
        })
    });
    let spec = counted_spec(Hooks {
        prepare: Some("prepare".into()),
        ..Hooks::default()
    });
    let plan = spec.resolve().unwrap();
    let result = Runner::new(&plan, &mut fake)
        .tools(tools(fake_valgrind(dir.path(), 1_000, 10)))
        .run()
        .expect("a hook failing in the counted phase does not fail the bench");
    let command = &result.commands[0];
    assert_eq!(command.runs.len(), 2, "the timed runs are kept");
    let counts = command.counts.as_ref().unwrap();
    assert_eq!(counts.instructions.as_ref().unwrap().values, [1_000]);
    let note = counts.unavailable.join("\n");
    assert!(
        note.contains("after 1 of 3 counted runs") && note.contains("no cache to drop"),
        "{note}"
    );
}

#[test]
fn a_counted_run_that_fails_keeps_the_counts_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut fake = FakeExecutor::constant(Duration::from_millis(1));
    let plan = counted_spec(Hooks::default()).resolve().unwrap();
    let result = Runner::new(&plan, &mut fake)
        .tools(tools(fake_valgrind(dir.path(), 2_000, 2)))
        .run()
        .unwrap();
    let counts = result.commands[0].counts.as_ref().unwrap();
    assert_eq!(counts.instructions.as_ref().unwrap().values, [2_000, 2_000]);
    let note = counts.unavailable.join("\n");
    assert!(
        note.contains("cachegrind stopped counting after 2 of 3 counted runs")
            && note.contains("exit code 3"),
        "{note}"
    );
}

#[test]
fn ctrl_c_during_a_counted_run_is_a_stop_not_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let stop = rigor_model::StopHandle::new();
    let flag = stop.clone();
    let mut calls = 0;
    // Ctrl-C arrives as the second counted run starts (the fake valgrind then "dies" of it).
    let mut fake = FakeExecutor::constant(Duration::from_millis(1)).with_hooks(move |_| {
        calls += 1;
        if calls == 4 {
            flag.escalate();
        }
        Ok(HookOutput::success())
    });
    let plan = counted_spec(Hooks {
        prepare: Some("prepare".into()),
        ..Hooks::default()
    })
    .resolve()
    .unwrap();
    let result = Runner::new(&plan, &mut fake)
        .stop(stop)
        .tools(tools(fake_valgrind(dir.path(), 3_000, 1)))
        .run()
        .unwrap();
    assert!(result.interrupted);
    let command = &result.commands[0];
    assert_eq!(command.runs.len(), 2);
    let counts = command.counts.as_ref().unwrap();
    assert_eq!(counts.instructions.as_ref().unwrap().values, [3_000]);
    assert!(
        !counts
            .unavailable
            .iter()
            .any(|n| n.contains("stopped counting")),
        "a stop is not reported as a failure: {:?}",
        counts.unavailable
    );
}
