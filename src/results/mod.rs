//! Saved runs: what `taskbench save`, `compare`, `report`, `readme` and `export` do, as plain functions on paths.
//!
//! A run folder `results/<machine>/<run>/` holds `machine.json` ([`machine::Machine`]), `summary.json`
//! ([`summary::Summary`]: per `group/model/N` cell the median per task with its interval, the mean, every
//! sample, the build that measured it; the skips and the model configurations) and Criterion's own files
//! under `criterion/` (`critcmp --target-dir <run> new` reads them; it prints bytes as "ns"). Both JSON
//! files carry a `"schema"`; a reader refuses one it does not know. Summary schema 1 (the mean published, no
//! samples) is brought up to date by [`summary::load`]; before schema 3 a run's build is the save-time checkout.
//!
//! Layers, lowest first (each imports only those before it): [`mod@format`] and [`noise`]; [`mod@bench`],
//! [`summary`], [`machine`] and [`run`] (reading and saving a run); [`table`], the one table every renderer
//! reads; [`page`], the writer of text, Markdown and HTML; the renderers [`chart`], [`text`] (`compare`), [`findings`], [`stability`],
//! [`readme`], [`report`], [`overview`], [`export`] and [`plain_page`]. Groups come from
//! [`crate::catalogue`]; nothing here reads today's model registry. Every command computes its whole output
//! before writing it atomically ([`crate::files::write_atomic`]).

pub mod bench;
pub mod chart;
pub mod export;
pub mod findings;
pub mod format;
pub mod machine;
pub mod noise;
pub mod overview;
pub mod page;
pub mod paired;
pub mod plain_page;
pub mod readme;
pub mod report;
pub mod run;
pub mod stability;
pub mod summary;
pub mod table;
pub mod text;

/// The `summary.json` schema written: 2 made `per_task` the median and added the samples, 3 each cell's
/// `build` (and stopped storing the flags).
pub const SUMMARY_SCHEMA: u64 = 3;
/// The oldest `summary.json` schema read.
pub const OLDEST_SUMMARY_SCHEMA: u64 = 1;
