//! taskbench: what does a task cost? Spawn latency and bytes per live task, with Criterion's statistics,
//! for OS threads, tokio, async-std, smol, may's coroutines, a raw `async-task` floor, and Go's goroutines.
//!
//! - [`models`]: one module per task model behind one trait, and the registry every bench iterates.
//! - [`gate`]: the gate parked tasks wait on and the tallies that prove exactly N ran.
//! - [`limits`]: the preflight that skips what the machine cannot hold instead of crashing into it.
//! - [`budget`]: the per-cell time budget: a cell estimated to take longer than it is skipped with one line.
//! - [`cell`]: every cell measured in fresh processes (the bench binary re-executes itself), warm or cold.
//! - [`suite`]: the glue the bench binaries share (matrix, Criterion settings, skip lines, records).
//! - [`record`]: what a bench run leaves beside Criterion's output.

pub mod budget;
pub mod cell;
pub mod gate;
pub mod limits;
pub mod measure;
pub mod models;
pub mod record;
pub mod results;
pub mod suite;
