//! A profile of the target (or a benchmarked command) taken during a run: how it was taken,
//! or why it could not be, and its hottest frames. The folded stacks themselves are kept in
//! the store beside it; `rigor-analysis` reads them into [`ProfileReport`]s.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How a profile was taken: what the store keeps beside the folded stacks.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProfileCapture {
    /// What was profiled: `target` for a load run's target, or a command's name.
    pub name: String,
    /// The sampling event (`cpu-clock`: a timer, so it works without hardware counters).
    pub event: String,
    pub frequency_hz: u32,
    /// `fp` (frame pointers) or `dwarf`.
    pub call_graph: String,
    /// The processes sampled.
    pub pids: Vec<u32>,
    /// When sampling began and how long it lasted, from the run's start.
    pub window_start_ns: u64,
    pub window_ns: u64,
    /// The phase the window covers (`steady`, or `whole run`).
    pub window: String,
    /// Stacks sampled.
    pub samples: u64,
    /// The profiler, as `perf --version` says.
    pub tool: String,
    /// Why there is no profile, and what would give one; `None` when it was taken.
    pub unavailable: Option<String>,
    /// What to do for better stacks (symbols, frame pointers).
    pub hints: Vec<String>,
    /// The binary or library each frame was found in, by frame.
    #[serde(default)]
    pub modules: std::collections::BTreeMap<String, String>,
}

/// One frame's share of the samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HotFrame {
    /// The function, demangled.
    pub frame: String,
    /// The binary or library it is in, when perf said.
    pub module: Option<String>,
    /// Samples in which it was the innermost frame (running its own code).
    pub self_samples: u64,
    /// Samples in which it was anywhere on the stack.
    pub total_samples: u64,
    /// The same as shares of all samples, 0 to 1.
    pub self_share: f64,
    pub total_share: f64,
}

/// A profile as reports show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProfileReport {
    /// The run profiled.
    pub run_id: i64,
    pub capture: ProfileCapture,
    /// By self samples, most first: the bottleneck priority list.
    pub hottest: Vec<HotFrame>,
}

/// How one frame's share changed between two profiles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FrameChange {
    pub frame: String,
    pub module: Option<String>,
    /// Self shares (0 to 1) before and after, each of its own profile's samples, so profiles
    /// of different lengths and rates compare.
    pub before_self_share: f64,
    pub after_self_share: f64,
    pub before_total_share: f64,
    pub after_total_share: f64,
}

impl FrameChange {
    /// The change of its self share, in shares (0.1 is ten percentage points).
    pub fn self_change(&self) -> f64 {
        self.after_self_share - self.before_self_share
    }

    /// The change of its total share (time with it anywhere on the stack).
    pub fn total_change(&self) -> f64 {
        self.after_total_share - self.before_total_share
    }
}

/// `rigor profile --diff A B`: where the time moved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProfileDiff {
    /// The profile compared (`target`, or a benchmarked command's name).
    #[serde(default)]
    pub name: String,
    pub before_run: i64,
    pub after_run: i64,
    pub before_samples: u64,
    pub after_samples: u64,
    /// Frames whose share grew most, largest growth of total share first (then of self).
    pub grew: Vec<FrameChange>,
    /// Frames whose share shrank most, largest fall first.
    pub shrank: Vec<FrameChange>,
}
