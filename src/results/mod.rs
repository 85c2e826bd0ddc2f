//! Saved runs: what `taskbench save`, `compare`, `report`, `readme` and `export` do, as plain functions on paths.
//!
//! A run folder is `results/<machine>/<run>/` and holds:
//! - `machine.json` ([`machine::Machine`]): the hardware, kernel limits and versions the numbers came from;
//! - `summary.json` ([`summary::Summary`]): one record per `group/model/N` with its median per task and
//!   confidence bounds, the mean, every sample's per-task value, flags, unit and sample count, the skipped
//!   benchmarks with their reasons, and the model configurations;
//! - `criterion/<group>/<model>/<N>/new/{benchmark,estimates,sample}.json`: Criterion's own files, copied as
//!   they were, for later analysis (`critcmp --target-dir <run> new` reads them as baseline `new`; mind
//!   that critcmp prints every value as a time, so the memory groups' bytes show up as "ns").
//!
//! Both JSON files carry `"schema"`, each its own version ([`SUMMARY_SCHEMA`], [`MACHINE_SCHEMA`]); a reader
//! refuses a version it does not know instead of guessing. Summary schema 1 (published the mean, kept no
//! samples) is still read: [`summary::load`] brings it up to the current form. Schema 3 adds each cell's
//! build; a run saved before it names the save-time checkout in `machine.json` as its build, and no more.
//!
//! Layers, lowest first (a module imports only from those above it in this list): [`mod@format`], [`noise`],
//! [`mod@bench`], [`summary`], [`machine`], [`run`], [`table`], [`chart`], [`text`], [`links`], [`findings`],
//! [`readme`], [`report`], [`overview`], [`export`], [`plain_page`]. Group names, units, axes and columns
//! come from [`crate::catalogue`]; nothing here reads today's model registry.
//!
//! The pieces, as a newcomer reads the folder: reading a run is [`mod@bench`] (one cell, from Criterion's
//! files), [`summary`] (gathering the records into `summary.json`, and loading it back), [`machine`] and
//! [`run`] (the run folder, saved atomically); [`table`] is the one table every renderer reads, judged by
//! [`noise`] and printed through [`mod@format`]; the renderers are [`text`] (`compare`, terminal and Markdown),
//! [`report`] with [`chart`] and [`links`] (the HTML page, and [`overview`], the page every bench leaves
//! in Criterion's folder), [`readme`] with [`findings`] (the README's tables, sentences and memory chart),
//! [`export`] (`critcmp`, `bencher`) and [`plain_page`] (a cell's page where Criterion drew none).
//!
//! Every command computes its whole output before writing anything, and writes through [`write_atomic`], so
//! bad input leaves nothing behind and a crash leaves no half-written file.

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
/// The `machine.json` schema this build writes and the only one it reads.
pub const MACHINE_SCHEMA: u64 = 1;
