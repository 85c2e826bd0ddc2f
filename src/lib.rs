//! taskbench: what does a task cost? Spawn latency, bytes per live task and the cost of switching to one,
//! with Criterion's statistics, for OS threads, tokio (and its local runtime), async-std, smol (and its local
//! executor), futures' thread pool, compio on io_uring, may's coroutines, a raw `async-task` floor, and Go's
//! goroutines.
//!
//! The data flow: a bench binary (`benches/`) names its [`catalogue`] group and what one iteration measures,
//! and hands them to the [`harness`], which picks the rows and N values, skips what the machine or the time
//! budget cannot hold, and measures every `group/model/N` cell in fresh processes (the state groups' cells
//! are `group/model/K`, K bytes held by each task, at one N per model). In each process a model ([`models`])
//! runs one of its experiments (parked, spawn-join, or a switch: `models::switch`) with the gate and tallies
//! ([`gate`]), timed by the harness or read by an observer ([`measure`]). The harness records each cell, with
//! the build that measured it ([`provenance`]), beside Criterion's output ([`record`]); `taskbench save` keeps
//! a run under `results/`, and `compare`, `report` and `readme` read saved runs ([`results`]).
//!
//! The layers, each importing only from those below it:
//! 1. [`catalogue`] (the groups), [`files`] (JSON, atomic writes, dates), [`provenance`] (builds),
//!    [`record`] (what a bench run leaves beside Criterion's output).
//! 2. [`gate`] (the park point and the tallies), [`limits`] (the preflight), [`machine`] (the machine a run
//!    is made on, for `machine.json`), [`measure`] (heap, RSS, kernel readers and the observer).
//! 3. [`models`]: the task models behind one trait, the experiments written once, the registry.
//! 4. [`results`]: reads records and Criterion's files and renders them; never imports models or harness.
//! 5. [`harness`]: settings, the group runner, cell processes, experiments, the budget; it calls `results`
//!    only for the overview page (`results::overview::after_bench`) and the plain page of a cell whose plots
//!    were off (`results::plain_page`).
//! 6. The bench binaries (`benches/`) and the `taskbench` command (`src/main.rs`).

pub mod catalogue;
pub mod files;
pub mod gate;
pub mod harness;
pub mod limits;
pub mod machine;
pub mod measure;
pub mod models;
pub mod provenance;
pub mod record;
pub mod results;
