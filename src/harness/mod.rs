//! The harness: everything between a bench binary's `main` and a model's experiment. A bench file names its
//! catalogue group and what one iteration measures ([`spec::GroupSpec`], [`spec::Measure`]) and calls
//! [`runner::bench_main`]; the harness reads the run's settings, sizes the state groups, skips what the
//! machine or the time budget cannot hold, measures every cell in fresh processes, and records each cell.
//!
//! One job per file, in the order a run meets them:
//! - [`settings`]: `TASKBENCH_N`, `TASKBENCH_MODELS` and Criterion's filter, from the environment and the
//!   command line.
//! - [`spec`]: what a bench declares (its catalogue group, extra rows) and the row type the others walk.
//! - [`state`]: the one N a state group's row runs at every K.
//! - [`budget`]: the per-cell time budget and its estimates; [`cell_times`]: each cell's kept time, for
//!   `taskbench limits`.
//! - [`criterion_setup`]: Criterion's runners and per-cell settings.
//! - [`runner`]: the group runner: preflight, budget, Criterion, records, failures; [`sampler`]: what takes
//!   a cell's samples, and the stand-in a failed cell's remaining calls get; [`rounds`]: the timing
//!   groups' interleaved rounds at each N, which serve Criterion's calls (`TASKBENCH_ROUNDS=0`: off).
//! - [`cell`]: the parent's and the child's ends of a cell's processes; [`serve`]: the child's body;
//!   [`shared`]: the memory readings one `cargo bench`'s memory groups share.
//! - [`experiments`]: what one iteration runs over a model; [`go_rows`]: Go's extra rows.
//! - [`say`]: the one-line messages on stderr; [`quiet`]: Criterion's warning the user cannot act on, filtered
//!   out of it.
//!
//! Layering: the harness sits above `models`, `measure`, `limits`, `record` and the catalogue, and calls
//! `results` only to write the overview page and the plain page of a cell whose plots were off.

pub mod budget;
pub mod cell;
pub mod cell_times;
pub mod criterion_setup;
pub mod experiments;
pub mod go_rows;
pub mod quiet;
pub mod rounds;
pub mod runner;
pub mod sampler;
pub mod say;
pub mod serve;
pub mod settings;
pub mod shared;
pub mod spec;
pub mod state;

pub use runner::{bench_main, run_group, run_group_with};
pub use spec::GroupSpec;
