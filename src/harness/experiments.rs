//! The experiments a cell's process runs for one iteration, over any [`TaskModel`]: the spawn loop's time,
//! spawn-and-join's time, and the bytes per task a [`MemoryObserver`] reads with all N tasks parked (with
//! or without K bytes of state each). What each times or reads is said at each function.

use std::time::Duration;

use anyhow::Result;

use super::cell;
use super::say::say;
use crate::measure::{MemoryKind, MemoryObserver};
use crate::models::{self, TaskModel};

/// One `spawn` iteration: a parked run, of which only the spawn loop is timed (ns).
pub fn spawn_ns(model: &'static dyn TaskModel, n: usize) -> Result<f64> {
    Ok(model.run_parked(n, &mut models::NoObserver)?.spawn_time.as_nanos() as f64)
}

/// One `spawn_join` iteration: spawning `n` trivial tasks and waiting until all have run (ns).
pub fn spawn_join_ns(model: &'static dyn TaskModel, n: usize) -> Result<f64> {
    Ok(model.run_spawn_join(n)?.as_nanos() as f64)
}

/// One memory iteration: a parked run read by a [`MemoryObserver`], as bytes per task.
pub fn memory_per_task(model: &'static dyn TaskModel, n: usize, kind: MemoryKind) -> Result<f64> {
    // The kernel's stacks are read machine-wide: a window in which other threads on the machine came or went is
    // read again, a few times, before it is an error.
    let attempts = if kind == MemoryKind::Kernel { KERNEL_ATTEMPTS } else { 1 };
    let mut attempt = 1;
    loop {
        let mut observer = MemoryObserver::new(kind);
        model.run_parked(n, &mut observer)?;
        match observer.per_task(n) {
            Err(e) if attempt < attempts => {
                say(&format!("{}/{n}: reading {attempt} of {attempts} discarded: {e:#}", model.name()));
                // Other processes' threads come and go in bursts (a build, a test run): let one pass.
                std::thread::sleep(Duration::from_millis(200) * attempt as u32);
                attempt += 1;
            }
            result => return result,
        }
    }
}

/// One state-group iteration: a parked run of the N tasks the parent chose for the row
/// ([`cell::requested_tasks`]), each holding `k` bytes, read as [`memory_holding`] reads it.
pub fn state_memory(model: &'static dyn TaskModel, k: usize, kind: MemoryKind) -> Result<f64> {
    memory_holding(model, cell::requested_tasks()?, k, kind)
}

/// A parked run of `n` tasks each holding `k` bytes ([`TaskModel::run_holding`]), read by a
/// [`MemoryObserver`], as bytes per task.
pub fn memory_holding(model: &dyn TaskModel, n: usize, k: usize, kind: MemoryKind) -> Result<f64> {
    let mut observer = MemoryObserver::new(kind);
    model.run_holding(n, k, &mut observer)?;
    observer.per_task(n)
}

/// Readings of the kernel's share a cell may discard (see [`memory_per_task`]).
pub const KERNEL_ATTEMPTS: usize = 8;
