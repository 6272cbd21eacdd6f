//! `SpawnServerExecutor` against a real helper process: this test binary run again with only
//! `spawn_server_process` selected, which serves requests like `rigor __spawn-server` does.

use std::process::{Command, Stdio};

use rigor_bench::{
    BenchSpec, CommandSpec, ExecError, Executor, Hooks, Invocation, OutputMode, RunCount, Runner,
    Shell, SpawnServerExecutor,
};

const MIB: u64 = 1024 * 1024;

/// Set in the helper's environment only, so running the ignored tests by hand does nothing.
const SERVE: &str = "RIGOR_BENCH_TEST_SPAWN_SERVER";

/// Not a test of its own: the helper process the other tests start.
#[test]
#[ignore = "the spawn server that the other tests start"]
fn spawn_server_process() {
    if std::env::var_os(SERVE).is_some() {
        rigor_bench::run_spawn_server().expect("the spawn server serves");
    }
}

fn server() -> SpawnServerExecutor {
    let mut command = Command::new(std::env::current_exe().expect("test binary"));
    command
        .args(["spawn_server_process", "--exact", "--ignored", "--quiet"])
        .args(["--test-threads", "1"])
        .env(SERVE, "1")
        // The test harness reports on standard output; keep it out of the test log.
        .stdout(Stdio::null());
    SpawnServerExecutor::start_command(command).expect("the spawn server starts")
}

fn shell(script: &str) -> CommandSpec {
    CommandSpec {
        name: script.to_string(),
        line: script.to_string(),
        invocation: Invocation::Shell {
            shell: "sh".into(),
            script: script.into(),
        },
        output: OutputMode::Discard,
        parameters: Vec::new(),
    }
}

fn direct(line: &str) -> CommandSpec {
    let mut words = line.split(' ').map(str::to_string);
    CommandSpec {
        name: line.to_string(),
        line: line.to_string(),
        invocation: Invocation::Direct {
            program: words.next().expect("a program"),
            args: words.collect(),
        },
        output: OutputMode::Discard,
        parameters: Vec::new(),
    }
}

#[test]
fn small_commands_report_their_own_memory_and_large_ones_all_of_it() {
    let mut executor = server();
    let small = executor.run(&direct("true")).unwrap();
    assert!(small.succeeded());
    // The floor is the helper's own resident size (a few MiB; more in debug builds), never
    // the size of the process that started the helper.
    assert!(
        small.peak_rss < 16 * MIB,
        "`true` peaked at {} KiB: the spawner's memory leaked into it",
        small.peak_rss / 1024
    );
    // One byte written per page makes all 100 MiB resident.
    let large = executor
        .run(&shell(
            "python3 -c \"b = bytearray(100*1024*1024); b[::4096] = b'x' * len(b[::4096])\"",
        ))
        .unwrap();
    assert!(large.succeeded());
    assert!(
        large.peak_rss >= 100 * MIB,
        "100 MiB touched, {} KiB reported",
        large.peak_rss / 1024
    );
}

#[test]
fn results_and_errors_match_running_commands_directly() {
    let mut executor = server();
    let failed = executor.run(&direct("false")).unwrap();
    assert_eq!(failed.exit_code, Some(1));
    let killed = executor.run(&shell("kill -9 $$")).unwrap();
    assert_eq!((killed.exit_code, killed.signal), (None, Some(9)));

    let missing = executor.run(&direct("rigor-no-such-command")).unwrap_err();
    assert!(matches!(missing, ExecError::Spawn { .. }), "{missing:?}");
    assert_eq!(
        missing.to_string(),
        "cannot start `rigor-no-such-command`: No such file or directory (os error 2)"
    );

    let hook = executor
        .run_hook(&shell("echo out; echo err >&2; exit 4"))
        .unwrap();
    assert_eq!(hook.exit_code, Some(4));
    assert_eq!(hook.stdout_tail, "out\n");
    assert_eq!(hook.stderr_tail, "err\n");
}

#[test]
fn a_whole_benchmark_runs_through_it_with_hooks_and_an_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.txt");
    let spec = BenchSpec {
        runs: RunCount::Fixed { runs: 3 },
        output: OutputMode::File(out.clone()),
        hooks: Hooks {
            prepare: Some("true".into()),
            ..Hooks::default()
        },
        ..BenchSpec::new(["echo ran"])
    };
    let plan = spec.resolve().unwrap();
    let result = Runner::new(&plan, &mut server()).run().unwrap();
    assert_eq!(result.commands[0].runs.len(), 3);
    // Truncated before the first run, appended to by the others, as without the helper.
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "ran\nran\nran\n");
}

#[test]
fn runs_go_in_batches_with_the_same_counts_and_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.txt");
    // About 1 ms a run: after the first run alone, the rest go in batches of ~200.
    let spec = BenchSpec {
        warmup: 2,
        runs: RunCount::Auto {
            min_runs: 10,
            min_time: std::time::Duration::ZERO,
            max_runs: Some(400),
        },
        output: OutputMode::File(out.clone()),
        ..BenchSpec::new(["echo a", "echo b"])
    };
    let plan = spec.resolve().unwrap();
    let result = Runner::new(&plan, &mut server()).run().unwrap();
    assert_eq!(result.commands[0].runs.len(), 10);
    let text = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2 * (2 + 10), "{text}");
    assert!(lines.chunks(2).all(|round| round == ["a", "b"]), "{text}");
}

#[test]
fn a_ctrl_c_to_the_helper_stops_its_batch_after_the_run_in_progress() {
    let dir = tempfile::tempdir().unwrap();
    let count = dir.path().join("count");
    // The fifth run interrupts the helper (its parent), as a Ctrl-C to the process group
    // would, and still succeeds. `rigor __spawn-server` has one thread, which takes the
    // signal before the run's `wait4` returns; this test binary has the test harness's
    // threads too, one of which may take it a moment later, hence the pause.
    let script = format!(
        "n=$(( $(cat {0} 2>/dev/null || echo 0) + 1 )); echo $n > {0}; \
         if [ $n -eq 5 ]; then kill -INT $PPID; sleep 0.1; fi",
        count.display()
    );
    let spec = BenchSpec {
        runs: RunCount::Fixed { runs: 1000 },
        shell: Some(Shell {
            subtract_overhead: false,
            ..Shell::default()
        }),
        ..BenchSpec::new([script.as_str()])
    };
    let plan = spec.resolve().unwrap();
    let result = Runner::new(&plan, &mut server()).run().unwrap();
    assert!(result.interrupted);
    assert_eq!(result.commands[0].runs.len(), 5);
    assert_eq!(std::fs::read_to_string(&count).unwrap().trim(), "5");
}

#[test]
fn a_helper_that_dies_is_a_clear_error() {
    let mut executor = server();
    // The shell's parent is the helper.
    let lost = executor.run(&shell("kill -9 $PPID; sleep 1")).unwrap_err();
    let message = lost.to_string();
    assert!(matches!(lost, ExecError::SpawnServer { .. }), "{lost:?}");
    assert!(
        message.starts_with("cannot run `kill -9 $PPID; sleep 1`: rigor's spawn server")
            && message.ends_with("ended unexpectedly with signal 9"),
        "{message}"
    );
    // Every later run says the same instead of hanging.
    let again = executor.run(&direct("true")).unwrap_err().to_string();
    assert!(
        again.ends_with("ended unexpectedly with signal 9"),
        "{again}"
    );
}

#[test]
fn a_program_that_is_no_spawn_server_is_refused_at_start() {
    let error = SpawnServerExecutor::start("true", [] as [&str; 0]).unwrap_err();
    assert_eq!(
        error.to_string(),
        "the spawn server did not start properly: it ended unexpectedly with exit code 0"
    );
    assert!(SpawnServerExecutor::start("rigor-no-such-command", ["x"]).is_err());
}
