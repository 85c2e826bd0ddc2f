//! Saved runs: what `taskbench save`, `compare`, `report`, `readme` and `export` do, as plain functions on paths.
//! A run folder `results/<machine>/<run>/` holds `machine.json`, `summary.json` (per `group/model/N` cell the
//! median per task with its interval, the mean, every sample, the build) and Criterion's files under `criterion/`.
//!
//! Layers, lowest first (each imports only those before it): [`mod@format`], [`noise`], [`paired`];
//! [`mod@bench`], [`summary`], [`machine`], [`run`] (reading and saving), [`reference`]; [`table`], which every renderer reads;
//! [`page`] (text, Markdown, HTML); then [`chart`], [`text`], [`findings`], [`stability`], [`readme`],
//! [`report`], [`overview`], [`export`] and [`plain_page`]. Groups come from [`crate::catalogue`].

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
pub mod reference;
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
