//! taskbench: what does a task cost? Spawn latency and bytes per live task, with Criterion's statistics,
//! for OS threads, tokio, async-std, smol, may's coroutines, a raw `async-task` floor, and Go's goroutines.
//!
//! The data flow: a bench binary (`benches/`) names its group and hands it to [`suite`], which picks the
//! models and N values, skips what the machine or the time budget cannot hold ([`limits`], [`budget`]), and
//! measures every `group/model/N` cell in fresh processes ([`cell`]; the state groups' cells are
//! `group/model/K`, K bytes held by each task, at one N per model). In each, a model ([`models`]) runs one
//! of two experiments with the harness's gate and tallies ([`gate`]), timed by the harness or read by an
//! observer ([`measure`]); the suite records each cell beside Criterion's output ([`record`]). `taskbench
//! save` keeps a run under `results/`, and `compare`, `report` and `readme` read saved runs ([`results`]).
//!
//! - [`suite`]: the glue the bench binaries share (matrix, Criterion settings, skip lines, records).
//! - [`limits`]: the preflight that skips what the machine cannot hold instead of crashing into it.
//! - [`budget`]: the per-cell time budget: a cell estimated to take longer than it is skipped with one line.
//! - [`cell`]: every cell measured in fresh processes (the bench binary re-executes itself), warm or cold.
//! - [`models`]: the task models behind one trait, the two experiments written once over them, and the
//!   registry every bench iterates.
//! - [`gate`]: the gate parked tasks wait on and the tallies that prove exactly N ran.
//! - [`measure`]: the heap counter, RSS readings and the observer that turns them into bytes per task.
//! - [`record`]: what a bench run leaves beside Criterion's output.
//! - [`results`]: saved runs (machine, summary, samples) and what reads them: compare, report, readme, export.

pub mod catalogue;
pub mod files;
pub mod gate;
pub mod harness;
pub mod limits;
pub mod measure;
pub mod models;
pub mod provenance;
pub mod record;
pub mod results;
