//! Saved runs: what `taskbench save`, `compare`, `report`, `readme` and `export` do, as plain functions on paths.
//!
//! A run folder is `results/<machine>/<run>/` and holds:
//! - `machine.json` ([`machine::Machine`]): the hardware, kernel limits and versions the numbers came from;
//! - `summary.json` ([`summary::Summary`]): one record per `group/model/N` with its median per task and
//!   confidence bounds, the mean, every sample's per-task value, unit, sample count and the build that
//!   measured it; the skipped benchmarks with their reasons, and the model configurations;
//! - `criterion/<group>/<model>/<N>/new/{benchmark,estimates,sample}.json`: Criterion's own files, copied as
//!   they were, for later analysis (`critcmp --target-dir <run> new` reads them as baseline `new`; mind
//!   that critcmp prints every value as a time, so the memory groups' bytes show up as "ns").
//!
//! Both JSON files carry `"schema"`, each its own version ([`SUMMARY_SCHEMA`],
//! [`crate::machine::MACHINE_SCHEMA`]); a reader refuses a version it does not know instead of guessing. Summary
//! schema 1 (published the mean, kept no samples) is still read: [`summary::load`] brings it up to the current
//! form. Schema 3 adds each cell's build; a run saved before it names the save-time checkout in `machine.json`
//! as its build, and no more.
//!
//! The modules, lowest layer first (each imports only from those before it): [`mod@format`] (the one number
//! formatter) and [`noise`] (the difference rule and the flags); reading a run: [`mod@bench`] (one cell, from
//! Criterion's files), [`summary`] (the records gathered into `summary.json`, and loaded back), [`machine`]
//! and [`run`] (the run folder, saved atomically); [`table`], the one table every renderer reads; the
//! renderers: [`chart`], [`text`] (`compare`, terminal and Markdown), [`links`], [`findings`] and
//! [`readme`] (the README's tables, sentences and memory chart, with [`stability`]), [`report`] (the HTML
//! page), [`overview`] (the page every bench leaves in Criterion's folder), [`export`] (`critcmp`, `bencher`)
//! and [`plain_page`] (a cell's page where Criterion drew none). Group names, units, axes and columns come
//! from [`crate::catalogue`]; nothing here reads today's model registry.
//!
//! Every command computes its whole output before writing anything, and writes atomically
//! ([`crate::files::write_atomic`]), so bad input leaves nothing behind and a crash leaves no half-written file.

pub mod bench;
pub mod chart;
pub mod export;
pub mod findings;
pub mod format;
pub mod links;
pub mod machine;
pub mod noise;
pub mod overview;
pub mod plain_page;
pub mod readme;
pub mod report;
pub mod run;
pub mod stability;
pub mod summary;
pub mod table;
pub mod text;

/// The `summary.json` schema this build writes. 2: `per_task` is the median (was the mean), with
/// `mean_per_task` and `samples` added. 3: each benchmark's `build`, and the flags are no longer written
/// (they are computed from the samples when read). It reads 1, 2 and 3.
pub const SUMMARY_SCHEMA: u64 = 3;
/// The oldest `summary.json` schema this build reads.
pub const OLDEST_SUMMARY_SCHEMA: u64 = 1;
