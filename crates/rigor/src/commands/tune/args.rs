//! The command line of `rigor tune`: its subcommands and their options, and the protocol's
//! phases and gates as `--help` tells them.

use std::path::PathBuf;

use rigor_model::tune::{Area, Gate};

/// The protocol's phases and gates as `rigor tune` carries them out, for `--help`.
const PROTOCOL: &str = "\
The procedure, phase by phase:
  1 Baseline and requirements           start (goal, scope, --scenario/--bench or --url/--command,
                                        --tests, --peak, --approve), set, approve,
                                        baseline [--repeat N] (and a run at the expected peak)
  2 Profiling and bottleneck discovery  diagnose [--profile]
  3 Optimisation                        hypothesis add/update, validate --note … --hypothesis N
                                        (at the goal's load and at the expected peak; with
                                        --before CMD --after CMD [--rounds N]: interleaved)
  4 Load testing and capacity           capacity --search latest (a `rigor capacity` search
                                        after the last change, against the expected peak),
                                        or capacity --skip --reason WHY
  5 Monitoring and continuous           monitor [--budget EXPR] (the goal into the plan as a
    optimisation                        budget), gate governance, close [--promote];
                                        report writes the evidence

The gates, each answered once with --yes, --no or --clarify WHY (who and when recorded; at a
terminal, `rigor tune gate G` asks Yes / No / Clarify):
  plan          the plan reviewed before execution (needs a hypothesis)
  baseline      baseline recorded, goal and gap stated
  diagnosis     the scenarios ran, saturation and profile captured, bottleneck named
                (needs `diagnose`)
  optimisation  improvement measured with its interval, the goal met (or signed off with
                --note), no regression (or the trade-off signed off), the functional tests pass
  governance    SLO and budget updates recorded (needs phase 4 done or skipped, and
                `monitor`), report published (the evidence is written as it passes)

Exit codes: 0 done · 2 bad input (nothing changed) · 3 blocked: an input is missing (the
output names it and the command that supplies it).";

#[derive(clap::Args, Debug)]
#[command(after_long_help = PROTOCOL)]
pub struct TuneArgs {
    #[command(subcommand)]
    pub action: TuneAction,

    /// The plan whose scenarios and benches reproduce the load.
    #[arg(long, short = 'p', default_value = "rigor.toml", global = true)]
    pub plan: PathBuf,

    /// The run store (default .rigor/rigor.db next to the plan).
    #[arg(long, env = "RIGOR_STORE", value_name = "PATH", global = true)]
    pub store: Option<PathBuf>,

    /// Who is acting, for the audit trail (default: git's user.name, else $USER).
    #[arg(long, value_name = "NAME", global = true)]
    pub by: Option<String>,

    /// Print the session as JSON (schema/tune-status.schema.json).
    #[arg(long, global = true)]
    pub json: bool,
}

/// The inputs a session takes, at its start or later with `set`.
#[derive(clap::Args, Debug, Default)]
pub struct Inputs {
    /// The performance goal: `latency.p95 < 120ms at 100/s`, `throughput > 500/s`,
    /// `target.cpu -20%` (relative to the baseline).
    #[arg(long, value_name = "EXPR")]
    pub goal: Option<String>,
    /// The load the service is expected to peak at (`300/s`).
    #[arg(long, value_name = "RATE")]
    pub peak: Option<rigor_model::Rate>,
    /// The component, service or code path in scope.
    #[arg(long, value_name = "TEXT")]
    pub scope: Option<String>,
    /// The plan's scenario that reproduces the load.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["bench", "url", "command"])]
    pub scenario: Option<String>,
    /// The plan's bench that reproduces the work.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["url", "command"])]
    pub bench: Option<String>,
    /// No benchmark yet: write a minimal scenario loading this URL into the plan (at the
    /// goal's `at` rate, else 10/s, for 30 s) and use it: the missing-benchmark remediation.
    #[arg(long, value_name = "URL", conflicts_with = "command")]
    pub url: Option<String>,
    /// No benchmark yet: write a minimal bench of this command into the plan and use it.
    #[arg(long, value_name = "CMD")]
    pub command: Option<String>,
    /// The command whose success says nothing broke (`cargo test`), run through `sh -c`.
    #[arg(long, value_name = "CMD")]
    pub tests: Option<String>,
}

#[derive(clap::Subcommand, Debug)]
pub enum TuneAction {
    /// Start a session: `rigor tune start NAME --goal '…' --scope '…' --scenario S --tests '…'`.
    Start {
        name: String,
        #[command(flatten)]
        inputs: Inputs,
        /// The tuning is approved (scheduled and prioritised).
        #[arg(long)]
        approve: bool,
    },
    /// Give or change the current session's inputs.
    Set {
        #[command(flatten)]
        inputs: Inputs,
    },
    /// The phase tracker, the gates, the goal against the latest measurement, what is
    /// missing and the next command.
    Status,
    /// Record that the tuning is approved.
    Approve,
    /// Run the reproducer now and record the run as the session's baseline (or adopt a
    /// stored run with --run), with the goal's gap.
    Baseline {
        /// A stored run to adopt instead of taking a new one.
        #[arg(long, value_name = "ID", conflicts_with = "repeat")]
        run: Option<i64>,
        /// Take this many runs of the unchanged system (the first is the baseline): their
        /// spread is the benchmark's own noise, set against the goal's margin in the plan's
        /// risks.
        #[arg(long, value_name = "N", default_value_t = 1,
              value_parser = clap::value_parser!(u32).range(1..=20))]
        repeat: u32,
    },
    /// Diagnose: run the reproducer (with the target's signals; --profile samples its stacks
    /// with perf) and name the bottleneck from the evidence: CPU-bound, waiting, memory
    /// growth, errors under load, a throughput plateau.
    Diagnose {
        /// Profile the target with Linux perf during the run.
        #[arg(long)]
        profile: bool,
    },
    /// Validate a change: run the reproducer again, compare it with the baseline (every
    /// metric, with intervals), run the functional tests, and judge the iteration.
    Validate {
        /// What changed, for the record.
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
        /// The hypothesis the change tests: confirmed or refuted by the result.
        #[arg(long, value_name = "ID")]
        hypothesis: Option<u32>,
        /// Interleave: the command that starts the version before the change (the target's
        /// command for a scenario, the benchmarked command for a bench), run in alternation
        /// with --after, A B A B …, and judged round by round, so that the machine's drift
        /// cannot fake a win.
        #[arg(long, value_name = "CMD", requires = "after")]
        before: Option<String>,
        /// The command that starts the version after the change (with --before).
        #[arg(long, value_name = "CMD", requires = "before")]
        after: Option<String>,
        /// Rounds of an interleaved validation (each a run before and a run after).
        #[arg(long, value_name = "N", default_value_t = 5,
              value_parser = clap::value_parser!(u32).range(3..=50))]
        rounds: u32,
    },
    /// The plan's hypotheses: add, list, update.
    Hypothesis {
        #[command(subcommand)]
        action: HypothesisAction,
    },
    /// Answer a gate (plan, baseline, diagnosis, optimisation, governance, or 1–5).
    Gate {
        gate: Gate,
        #[arg(long, conflicts_with_all = ["no", "clarify"])]
        yes: bool,
        #[arg(long, conflicts_with = "clarify")]
        no: bool,
        /// A question that must be answered before the gate can pass.
        #[arg(long, value_name = "WHY")]
        clarify: Option<String>,
        /// Why, with a Yes or a No.
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
    },
    /// Phase 4, load testing and capacity: take a capacity search of the reproducer made
    /// after the last change (`rigor capacity SCENARIO --slo …`, then --search latest), kept
    /// with its headroom over the expected peak; or record the phase as skipped with --skip
    /// --reason WHY.
    Capacity {
        /// The capacity search to take: its id, or `latest`.
        #[arg(long, value_name = "ID|latest", conflicts_with = "skip")]
        search: Option<String>,
        #[arg(long)]
        skip: bool,
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
    },
    /// Phase 5, monitoring: write the goal into the plan as a budget of the reproducer
    /// (`rigor gate` enforces it; one of the same metric is changed in place) and record
    /// the objective changes in slo-update-record.json.
    Monitor {
        /// Another budget to write, an absolute limit (`error_rate < 0.1%`); repeatable.
        #[arg(long, value_name = "EXPR")]
        budget: Vec<String>,
        /// Change one of the plan's SLOs, `NAME KEY=VALUE …` with KEY objective, threshold
        /// or window (`'checkout-latency threshold=250ms objective=99.5%'`); repeatable.
        /// Recorded in slo-update-record.json with the final run as evidence, and the SLO
        /// rules are written again.
        #[arg(long, value_name = "NAME KEY=VALUE…")]
        slo: Vec<String>,
        /// Where the SLO rules are written again [default: the plan's directory].
        #[arg(long, value_name = "DIR")]
        rules_out: Option<std::path::PathBuf>,
    },
    /// Close the session: completed when its gates passed, or --abort with a reason.
    Close {
        #[arg(long, requires = "reason", conflicts_with = "promote")]
        abort: bool,
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
        /// Make the final run the named baseline (see --baseline) and write its snapshot to
        /// docs/perf/baselines/.
        #[arg(long)]
        promote: bool,
        /// The baseline name --promote sets.
        #[arg(
            long,
            value_name = "NAME",
            default_value = "main",
            requires = "promote"
        )]
        baseline: String,
    },
    /// Print the plan for review — steps, goal and baseline, hypotheses by return on
    /// effort, measurement, risks — and write it (optimization-plan.json, with the rest of
    /// the evidence).
    Plan,
    /// Every session in the store, with its state.
    List,
    /// Write the session's evidence: the intake report, baseline metrics, hypothesis log,
    /// plan, profiling report, runs, validation report, phase reports, PERFORMANCE-REPORT.md
    /// and a manifest with each file's SHA-256 (also written at close).
    Report {
        /// Where (default .artifacts/performance next to the plan).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
}

#[derive(clap::Subcommand, Debug)]
pub enum HypothesisAction {
    /// Add one: `rigor tune hypothesis add 'cache the product list' --area caching
    /// --expect 'latency.p95 -30%' --gain 4 --effort 2`.
    Add {
        text: String,
        #[arg(long, default_value = "configuration")]
        area: Area,
        /// The metric it should move, and by how much, in the goal's grammar.
        #[arg(long, value_name = "EXPR")]
        expect: Option<String>,
        /// Expected gain, 1 (small) to 5 (large).
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(1..=5))]
        gain: u8,
        /// Effort, 1 (small) to 5 (large).
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(1..=5))]
        effort: u8,
    },
    /// List them in the plan's order: by gain over effort.
    List,
    /// Mark one confirmed, refuted or dropped, with the evidence.
    Update {
        id: u32,
        #[arg(long, value_parser = ["confirmed", "refuted", "dropped", "proposed"])]
        status: String,
        #[arg(long, value_name = "TEXT")]
        evidence: Option<String>,
    },
}
