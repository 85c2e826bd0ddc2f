//! What a bench binary leaves beside Criterion's output: which models ran with which configuration, and
//! which benchmarks were skipped and why. `results save` reads it; Criterion itself has no place for it.
//!
//! One file per group: `<target>/taskbench/<group>.json` (see [`records_dir`]), rewritten by each run of that
//! group's bench.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// The record of one benchmark group's last run.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct GroupRecord {
    /// `spawn`, `spawn_join`, `heap_per_task`, `rss_per_task`.
    pub group: String,
    /// Unit of Criterion's value for this group: `ns` (per iteration of N tasks) or `bytes/task`.
    pub unit: String,
    /// What one Criterion value covers, in words.
    pub value_is: String,
    /// The N values this run asked for.
    pub n_values: Vec<usize>,
    pub models: Vec<ModelRecord>,
    /// Ids (`group/model/N`) that ran.
    pub ran: Vec<String>,
    pub skipped: Vec<Skipped>,
    /// Seconds since the Unix epoch when the record was written.
    pub written_at_unix: u64,
    /// Cores the bench process could use (its affinity), which sets the runtimes' worker counts; 0 if unknown.
    #[serde(default)]
    pub usable_cores: usize,
}

/// A model as it was configured for the run.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ModelRecord {
    pub name: String,
    pub config: String,
    pub caveat: Option<String>,
}

/// A benchmark that did not run, with the one line printed for it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Skipped {
    /// `group/model/N`.
    pub id: String,
    pub model: String,
    pub n: usize,
    pub reason: String,
}

/// Criterion's output folder, found the way Criterion finds it: `CRITERION_HOME`, else
/// `$CARGO_TARGET_DIR/criterion`, else `target/criterion` under the working directory.
pub fn criterion_home() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    target_dir().join("criterion")
}

/// The cargo target folder (`$CARGO_TARGET_DIR` or `target`).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("target"))
}

/// Where group records are kept: a `taskbench` folder beside Criterion's (`target/taskbench/` by default).
pub fn records_dir() -> PathBuf {
    let home = criterion_home();
    home.parent().map_or_else(|| PathBuf::from("taskbench"), |p| p.join("taskbench"))
}
