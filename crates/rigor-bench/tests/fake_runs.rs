//! Whole benchmarks replayed on the deterministic fake executor: every number, warning and
//! ordering below is exact. Expected statistics come from Python 3.11's `statistics` module.

use std::time::Duration;

use rigor_bench::{
    Batch, BatchOutcome, BenchError, BenchProgress, BenchResult, BenchSpec, CommandSpec,
    CommandTemplate, ExecError, Executor, FakeExecutor, HookOutput, Hooks, Measurement, Order,
    OutputMode, Parameter, Phase, RunCount, Runner, Shell, WarningKind,
};

fn ms(value: f64) -> Duration {
    Duration::from_micros((value * 1e3).round() as u64)
}

fn fixed(runs: u64) -> RunCount {
    RunCount::Fixed { runs }
}

fn run(spec: &BenchSpec, executor: &mut FakeExecutor) -> Result<BenchResult, BenchError> {
    let plan = spec.resolve().expect("valid spec");
    let clock = executor.clock();
    Runner::new(&plan, executor).clock(clock).run()
}

#[test]
fn reproduces_statistics_outliers_and_the_slow_first_run_hint() {
    let walls = [45.0, 12.1, 11.8, 12.4, 12.0, 30.2, 12.2, 12.3, 12.1, 12.0];
    let runs = walls
        .iter()
        .enumerate()
        .map(|(i, &w)| Measurement {
            user: ms(8.0 + i as f64),
            system: ms(2.0),
            peak_rss: 10_000_000 + 1_000 * i as u64,
            ..Measurement::from_wall(ms(w))
        })
        .collect();
    let mut fake = FakeExecutor::scripted([("parse", runs)]);
    let spec = BenchSpec {
        runs: fixed(10),
        ..BenchSpec {
            commands: vec![CommandTemplate::named("parse", "./parse big.json")],
            ..BenchSpec::default()
        }
    };
    let result = run(&spec, &mut fake).unwrap();
    let command = &result.commands[0];
    let stats = command.stats.as_ref().unwrap();

    // statistics.mean / stdev / median of the walls: 17.21, 11.299700094348621, 12.15
    assert_eq!(stats.count, 10);
    assert_eq!(stats.mean, Duration::from_nanos(17_210_000));
    assert_eq!(stats.stddev, Some(Duration::from_nanos(11_299_700)));
    assert_eq!(stats.median, ms(12.15));
    assert_eq!((stats.min, stats.max), (ms(11.8), ms(45.0)));
    // n = 10: ranks 2 and 9 of the sorted runs, coverage 0.978515625.
    let ci = stats.median_ci.as_ref().unwrap();
    assert_eq!((ci.lower_rank, ci.upper_rank), (2, 9));
    assert_eq!((ci.lower, ci.upper), (ms(12.0), ms(30.2)));
    assert_eq!(ci.confidence, 0.978515625);
    // user: 8..=17 ms, mean 12.5 ms.
    assert_eq!(stats.user_mean, ms(12.5));
    assert_eq!(stats.system_mean, ms(2.0));
    assert_eq!(stats.peak_rss_max_bytes, 10_009_000);
    assert_eq!(stats.peak_rss_median_bytes, 10_004_500);

    // Modified z-scores 147.7 (run 0) and 81.2 (run 5); the others are below 1.6.
    assert_eq!(command.outliers, vec![0, 5]);
    assert_eq!(command.runs.len(), 10, "outliers are never dropped");
    let kinds: Vec<WarningKind> = result.warnings.iter().map(|w| w.kind).collect();
    assert_eq!(kinds, [WarningKind::Outliers, WarningKind::SlowFirstRun]);
    assert_eq!(
        result.warnings[0].message,
        "2 of 10 runs of `parse` are outliers (more than 3.5 robust standard deviations, \
         1.4826 MADs each, from the median); they are kept in every statistic. This can be \
         interference from other processes or caching: consider --warmup or a quieter machine"
    );
    assert_eq!(
        result.warnings[1].message,
        "the first run of `parse` took 45ms, against a median of 12.1ms for the others: caches \
         (page cache, disk, JIT) were probably cold for it. Consider --warmup to fill them \
         before timing, or a --prepare command that clears them before every run so that all \
         runs are alike"
    );
    assert!(command.relative.is_none());
    assert!(!result.interrupted);
}

#[test]
fn interleaves_commands_and_their_warmups() {
    let mut fake = FakeExecutor::constant(ms(5.0));
    let spec = BenchSpec {
        warmup: 1,
        runs: fixed(3),
        ..BenchSpec::new(["a", "b"])
    };
    let result = run(&spec, &mut fake).unwrap();
    assert_eq!(fake.log(), ["a", "b", "a", "b", "a", "b", "a", "b"]);
    assert_eq!(result.warmup_order, [0, 1]);
    assert_eq!(result.order, [0, 1, 0, 1, 0, 1]);
    let rounds: Vec<u64> = result.commands[1].runs.iter().map(|r| r.round).collect();
    assert_eq!(rounds, [0, 1, 2]);
    assert_eq!(result.ordering, Some(Order::Interleaved));
}

#[test]
fn random_order_is_a_permutation_per_round_and_reproducible_from_the_seed() {
    let order_for = |seed: u64| {
        let mut fake = FakeExecutor::constant(ms(1.0));
        let spec = BenchSpec {
            warmup: 2,
            runs: fixed(8),
            order: Order::Random { seed },
            ..BenchSpec::new(["a", "b", "c"])
        };
        let result = run(&spec, &mut fake).unwrap();
        let names: Vec<String> = fake.log().to_vec();
        (result.warmup_order, result.order, names)
    };
    let (warmup, order, log) = order_for(42);
    assert_eq!(warmup.len(), 6);
    assert_eq!(order.len(), 24);
    for round in order.chunks(3).chain(warmup.chunks(3)) {
        let mut sorted = round.to_vec();
        sorted.sort();
        assert_eq!(
            sorted,
            [0, 1, 2],
            "each round runs every command once: {round:?}"
        );
    }
    // The log is the recorded order: warm-ups then timed runs.
    let from_log: Vec<usize> = log
        .iter()
        .map(|name| ["a", "b", "c"].iter().position(|n| n == name).unwrap())
        .collect();
    assert_eq!(from_log, [warmup.clone(), order.clone()].concat());
    assert_eq!(
        order_for(42),
        (warmup, order.clone(), log),
        "same seed, same order"
    );
    let sequential: Vec<usize> = (0..8).flat_map(|_| [0, 1, 2]).collect();
    assert_ne!(order, sequential, "seed 42 shuffles at least one round");
    assert_ne!(order_for(7).1, order, "another seed, another order");
}

/// Hands the fake executor one run of every batch, as if the loop had no batches.
struct OneAtATime(FakeExecutor);

impl Executor for OneAtATime {
    fn run(&mut self, command: &CommandSpec) -> Result<Measurement, ExecError> {
        self.0.run(command)
    }

    fn run_hook(&mut self, hook: &CommandSpec) -> Result<HookOutput, ExecError> {
        self.0.run_hook(hook)
    }

    fn run_batch(
        &mut self,
        commands: &[CommandSpec],
        batch: &Batch,
        stop: &dyn Fn() -> bool,
    ) -> Result<BatchOutcome, ExecError> {
        let first = Batch {
            runs: batch.runs[..1].to_vec(),
            ..batch.clone()
        };
        self.0.run_batch(commands, &first, stop)
    }
}

#[test]
fn batches_change_nothing_about_the_runs_their_rounds_or_their_order() {
    // Three commands of different speeds, each with its own stop rule hit mid-batch:
    // a (0.2 ms) runs up to its cap, b (1-3 ms) fills the minimum time, c (40 ms) has
    // the minimum count.
    let script = |command: &CommandSpec, before: u64| {
        Ok(Measurement::from_wall(match command.name.as_str() {
            "a" => ms(0.2),
            "b" => ms(1.0 + (before % 3) as f64),
            _ => ms(40.0),
        }))
    };
    let spec = BenchSpec {
        warmup: 3,
        runs: RunCount::Auto {
            min_runs: 20,
            min_time: Duration::from_millis(700),
            max_runs: Some(2500),
        },
        order: Order::Random { seed: 9 },
        ..BenchSpec::new(["a", "b", "c"])
    };
    let plan = spec.resolve().unwrap();
    let mut batched = FakeExecutor::new(script);
    let together = Runner::new(&plan, &mut batched).run().unwrap();
    let mut single = OneAtATime(FakeExecutor::new(script));
    let alone = Runner::new(&plan, &mut single).run().unwrap();

    let counts = |r: &BenchResult| r.commands.iter().map(|c| c.runs.len()).collect::<Vec<_>>();
    // a: 700 ms / 0.2 ms = 3500 runs, capped at 2500; b: 1, 2, 3, 1, 2, 3 ms … reaches
    // 699 ms after 350 runs and 702 ms after 351; c: 20 runs.
    assert_eq!(counts(&together), [2500, 351, 20]);
    assert_eq!(counts(&alone), counts(&together));
    assert_eq!(together.order, alone.order);
    assert_eq!(together.warmup_order, alone.warmup_order);
    for (x, y) in together.commands.iter().zip(&alone.commands) {
        let rounds =
            |c: &rigor_bench::CommandResult| c.runs.iter().map(|r| r.round).collect::<Vec<_>>();
        assert_eq!(rounds(x), rounds(y));
    }
    assert_eq!(batched.log(), single.0.log());
}

#[test]
fn minimum_runs_and_minimum_time_apply_per_command() {
    // a: 100 ms per run needs 10 runs to fill 1 s; b: 600 ms per run fills it in 2 runs
    // but needs the minimum of 3.
    let mut fake = FakeExecutor::new(|command, _| {
        Ok(Measurement::from_wall(if command.name == "a" {
            ms(100.0)
        } else {
            ms(600.0)
        }))
    });
    let spec = BenchSpec {
        runs: RunCount::Auto {
            min_runs: 3,
            min_time: Duration::from_secs(1),
            max_runs: None,
        },
        ..BenchSpec::new(["a", "b"])
    };
    let result = run(&spec, &mut fake).unwrap();
    assert_eq!(result.commands[0].runs.len(), 10);
    assert_eq!(result.commands[1].runs.len(), 3);
    assert_eq!(result.order, [0, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0]);

    // max_runs caps a command that would need more time.
    let mut fake = FakeExecutor::constant(Duration::from_secs(1));
    let spec = BenchSpec {
        runs: RunCount::Auto {
            min_runs: 2,
            min_time: Duration::from_secs(60),
            max_runs: Some(5),
        },
        ..BenchSpec::new(["slow"])
    };
    assert_eq!(run(&spec, &mut fake).unwrap().commands[0].runs.len(), 5);

    // The default is hyperfine's: at least 10 runs and at least 3 s.
    let mut fake = FakeExecutor::constant(ms(500.0));
    assert_eq!(
        run(&BenchSpec::new(["x"]), &mut fake).unwrap().commands[0]
            .runs
            .len(),
        10
    );
    let mut fake = FakeExecutor::constant(ms(1.0));
    assert_eq!(
        run(&BenchSpec::new(["x"]), &mut fake).unwrap().commands[0]
            .runs
            .len(),
        3000
    );
}

#[test]
fn parameter_scans_expand_into_commands_names_and_hooks() {
    let mut fake = FakeExecutor::new(|command, _| {
        let threads: f64 = command.parameters[0].1.parse().unwrap();
        Ok(Measurement::from_wall(ms(120.0 / threads)))
    });
    let spec = BenchSpec {
        commands: vec![CommandTemplate::named(
            "make -j{threads}",
            "make -j{threads} all",
        )],
        parameters: vec![Parameter::scan("threads", "1", "4", Some("1")).unwrap()],
        hooks: Hooks {
            prepare: Some("make clean-{threads}".into()),
            ..Hooks::default()
        },
        runs: fixed(2),
        ..BenchSpec::default()
    };
    let result = run(&spec, &mut fake).unwrap();
    let names: Vec<&str> = result.commands.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["make -j1", "make -j2", "make -j3", "make -j4"]);
    assert_eq!(result.commands[2].command, "make -j3 all");
    assert_eq!(result.commands[2].parameters[0].name, "threads");
    assert_eq!(result.commands[2].parameters[0].value, "3");
    let means: Vec<Duration> = result
        .commands
        .iter()
        .map(|c| c.stats.as_ref().unwrap().mean)
        .collect();
    assert_eq!(means, [ms(120.0), ms(60.0), ms(40.0), ms(30.0)]);
    assert_eq!(
        &fake.log()[..4],
        ["make clean-1", "make -j1", "make clean-2", "make -j2"]
    );
    // The fastest is the reference; make -j1 is 4× slower (no spread, so σ = 0).
    let slowest = result.commands[0].relative.as_ref().unwrap();
    assert_eq!((slowest.ratio, slowest.stddev), (4.0, Some(0.0)));
    assert!(result.commands[3].relative.as_ref().unwrap().fastest);
}

#[test]
fn hooks_run_in_order_around_every_run() {
    let mut fake = FakeExecutor::constant(ms(1.0));
    let spec = BenchSpec {
        warmup: 1,
        runs: fixed(2),
        hooks: Hooks {
            setup: Some("setup {x}".into()),
            prepare: Some("prepare {x}".into()),
            conclude: Some("conclude {x}".into()),
            cleanup: Some("cleanup {x}".into()),
        },
        parameters: vec![Parameter::list("x", vec!["A".into(), "B".into()]).unwrap()],
        ..BenchSpec::new(["run {x}"])
    };
    run(&spec, &mut fake).unwrap();
    let cycle = |x: &str| {
        [
            format!("prepare {x}"),
            format!("run {x}"),
            format!("conclude {x}"),
        ]
    };
    let mut want = vec!["setup A".to_string(), "setup B".to_string()];
    for _ in 0..3 {
        want.extend(cycle("A"));
        want.extend(cycle("B"));
    }
    want.extend(["cleanup A".to_string(), "cleanup B".to_string()]);
    assert_eq!(fake.log(), want);
}

#[test]
fn a_failing_hook_stops_with_its_exit_code_and_output() {
    let mut fake = FakeExecutor::constant(ms(1.0)).with_hooks(|hook| {
        Ok(if hook.line.starts_with("prepare") {
            HookOutput {
                exit_code: Some(3),
                signal: None,
                stdout_tail: "clearing caches\n".into(),
                stderr_tail: "tee: /proc/sys/vm/drop_caches: Permission denied\n".into(),
            }
        } else {
            HookOutput::success()
        })
    });
    let spec = BenchSpec {
        hooks: Hooks {
            prepare: Some("prepare-caches".into()),
            cleanup: Some("cleanup".into()),
            ..Hooks::default()
        },
        ..BenchSpec::new(["cmd"])
    };
    let error = run(&spec, &mut fake).unwrap_err();
    assert_eq!(
        error.to_string(),
        "the prepare command `prepare-caches` (for `cmd`) failed with exit code 3\nstderr:\ntee: \
         /proc/sys/vm/drop_caches: Permission denied\nstdout:\nclearing caches"
    );
    // Cleanup still ran for the command that had started.
    assert_eq!(fake.log(), ["prepare-caches", "cleanup"]);
}

#[test]
fn a_failing_command_fails_the_benchmark_unless_ignored() {
    let script = |_: &rigor_bench::CommandSpec, before: u64| {
        Ok(Measurement {
            exit_code: Some(if before == 2 { 1 } else { 0 }),
            ..Measurement::from_wall(ms(2.0))
        })
    };
    let spec = BenchSpec {
        warmup: 1,
        runs: fixed(4),
        ..BenchSpec::new(["flaky"])
    };
    let error = run(&spec, &mut FakeExecutor::new(script)).unwrap_err();
    assert_eq!(
        error.to_string(),
        "`flaky` failed with exit code 1 on timed run 2; pass --ignore-failure to benchmark it \
         anyway (its output was discarded: --output inherit shows what it printed)"
    );
    // Where the user already sees the output, the message does not send them looking for it.
    let shown = BenchSpec {
        output: OutputMode::Inherit,
        ..spec.clone()
    };
    let error = run(&shown, &mut FakeExecutor::new(script)).unwrap_err();
    assert_eq!(
        error.to_string(),
        "`flaky` failed with exit code 1 on timed run 2; pass --ignore-failure to benchmark it \
         anyway"
    );
    let spec = BenchSpec {
        ignore_failure: true,
        ..spec
    };
    let result = run(&spec, &mut FakeExecutor::new(script)).unwrap();
    assert_eq!(result.commands[0].runs[1].measurement.exit_code, Some(1));
    assert_eq!(result.warnings[0].kind, WarningKind::FailuresIgnored);
    assert!(result.warnings[0]
        .message
        .starts_with("1 of 4 runs of `flaky` failed"));
}

#[test]
fn an_interrupted_benchmark_keeps_the_finished_runs() {
    let stop = rigor_model::StopHandle::new();
    // Ctrl-C arrives during the fifth timed run (a's third): the runs of a batch are
    // reported after it, so the stop has to come from inside a run.
    let flag = stop.clone();
    let mut fake = FakeExecutor::new(move |command, before| {
        if command.name == "a" && before == 2 {
            flag.escalate();
        }
        Ok(Measurement::from_wall(ms(10.0)))
    });
    let spec = BenchSpec {
        runs: fixed(10),
        hooks: Hooks {
            cleanup: Some("cleanup".into()),
            ..Hooks::default()
        },
        ..BenchSpec::new(["a", "b"])
    };
    let plan = spec.resolve().unwrap();
    let mut seen = Vec::new();
    let result = Runner::new(&plan, &mut fake)
        .stop(stop)
        .on_run(|command, run| seen.push((command, run.round)))
        .run()
        .unwrap();
    // Every kept run was handed to the recorder as it was accepted, in order.
    assert_eq!(seen, [(0, 0), (1, 0), (0, 1), (1, 1), (0, 2)]);
    assert!(result.interrupted);
    assert_eq!(result.order, [0, 1, 0, 1, 0]);
    assert_eq!(result.commands[0].runs.len(), 3);
    assert_eq!(result.commands[1].runs.len(), 2);
    assert!(result.commands[1].stats.is_some());
    assert_eq!(fake.log().iter().filter(|n| *n == "cleanup").count(), 2);
}

#[test]
fn progress_reports_runs_elapsed_and_time_left() {
    let mut fake = FakeExecutor::constant(ms(100.0));
    let clock = fake.clock();
    let spec = BenchSpec {
        warmup: 1,
        runs: fixed(4),
        ..BenchSpec::new(["a", "b"])
    };
    let plan = spec.resolve().unwrap();
    let mut reports = Vec::new();
    Runner::new(&plan, &mut fake)
        .clock(clock)
        .on_progress(|p: &BenchProgress| reports.push(p.clone()))
        .run()
        .unwrap();
    assert_eq!(reports.len(), 10);
    assert_eq!(reports[0].phase, Phase::Warmup);
    let third_timed = &reports[4];
    assert_eq!(third_timed.phase, Phase::Timed);
    assert_eq!(
        (third_timed.command, third_timed.run, third_timed.of),
        (0, 2, 4)
    );
    assert_eq!((third_timed.done, third_timed.total), (3, 8));
    assert!(!third_timed.estimated);
    assert_eq!(third_timed.elapsed, ms(500.0));
    assert_eq!(third_timed.remaining, Some(ms(500.0)));
    assert_eq!(reports[9].remaining, Some(Duration::ZERO));
}

#[test]
fn progress_estimates_the_run_count_under_a_minimum_time() {
    let mut fake = FakeExecutor::constant(ms(250.0));
    let spec = BenchSpec {
        runs: RunCount::Auto {
            min_runs: 2,
            min_time: Duration::from_secs(2),
            max_runs: None,
        },
        ..BenchSpec::new(["a"])
    };
    let plan = spec.resolve().unwrap();
    let mut reports = Vec::new();
    let clock = fake.clock();
    Runner::new(&plan, &mut fake)
        .clock(clock)
        .on_progress(|p: &BenchProgress| reports.push((p.run, p.of, p.estimated)))
        .run()
        .unwrap();
    assert_eq!(reports.len(), 8);
    assert!(reports
        .iter()
        .all(|&(_, of, estimated)| of == 8 && estimated));
}

#[test]
fn shell_start_up_is_measured_and_subtracted() {
    let mut fake = FakeExecutor::new(|command, before| {
        Ok(Measurement {
            user: ms(1.0),
            system: ms(0.5),
            ..Measurement::from_wall(match command.line.as_str() {
                // The 3 calibration warm-ups are slow and must not count.
                "" if before < 3 => ms(50.0),
                "" => ms(2.0),
                _ if before == 0 => ms(1.5),
                _ => ms(7.0),
            })
        })
    });
    let spec = BenchSpec {
        shell: Some(Shell {
            calibration_runs: 10,
            ..Shell::default()
        }),
        runs: fixed(3),
        ..BenchSpec::new(["work"])
    };
    let result = run(&spec, &mut fake).unwrap();
    let shell = result.shell.as_ref().unwrap();
    assert_eq!(
        (shell.runs, shell.wall_mean, shell.wall_stddev),
        (10, ms(2.0), Duration::ZERO)
    );
    assert_eq!((shell.user_mean, shell.system_mean), (ms(1.0), ms(0.5)));
    assert!(shell.subtracted);
    assert_eq!(shell.clamped_runs, 1);
    let walls: Vec<Duration> = result.commands[0]
        .runs
        .iter()
        .map(|r| r.measurement.wall)
        .collect();
    assert_eq!(walls, [Duration::ZERO, ms(5.0), ms(5.0)]);
    assert_eq!(result.commands[0].runs[1].measurement.user, Duration::ZERO);
    assert_eq!(fake.log().len(), 13 + 3);
    assert!(result
        .warnings
        .iter()
        .any(|w| w.kind == WarningKind::ShellOverheadClamped));
}

#[test]
fn relative_speed_of_two_commands() {
    let walls = |v: [f64; 4]| v.map(|w| Measurement::from_wall(ms(w))).to_vec();
    let mut fake = FakeExecutor::scripted([
        ("old", walls([20.0, 22.0, 24.0, 22.0])),
        ("new", walls([10.0, 11.0, 12.0, 11.0])),
    ]);
    let spec = BenchSpec {
        runs: fixed(4),
        ..BenchSpec::new(["old", "new"])
    };
    let result = run(&spec, &mut fake).unwrap();
    let old = result.commands[0].relative.as_ref().unwrap();
    // Python: 2.0 · sqrt((1.632993161855452/22)² + (0.816496580927726/11)²)
    assert!((old.ratio - 2.0).abs() < 1e-9);
    assert!((old.stddev.unwrap() - 0.2099455524325912).abs() < 1e-6);
    assert_eq!(result.fastest(), Some(1));
}
