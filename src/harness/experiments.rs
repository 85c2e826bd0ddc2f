//! The experiments a cell's process runs for one iteration, over any [`TaskModel`]: the spawn loop's time,
//! spawn-and-join's time, and the bytes per task a [`MemoryObserver`] reads with all N tasks parked (with
//! or without K bytes of state each). What each times or reads is said at each function.

use std::time::Duration;

use anyhow::Result;

use super::cell;
use super::say::say;
use crate::measure::kernel::StacksFrom;
use crate::measure::{instructions, MemoryKind, MemoryObserver};
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
    // A kernel reading whose window saw the process's memory fall is read again, a few times, before it is an
    // error. Other threads on the machine no longer spoil a window (see `measure::kernel`), but a reading
    // that took the kernel stacks per thread says so in the cell's record.
    let attempts = if kind == MemoryKind::Kernel { KERNEL_ATTEMPTS } else { 1 };
    let mut attempt = 1;
    loop {
        let mut observer = MemoryObserver::new(kind);
        model.run_parked(n, &mut observer)?;
        match observer.per_task(n) {
            Err(e) if attempt < attempts => {
                cell::note(&format!("{}/{n}: reading {attempt} of {attempts} discarded: {e:#}", model.name()));
                // Other processes' threads come and go in bursts (a build, a test run): let one pass.
                std::thread::sleep(Duration::from_millis(200) * attempt as u32);
                attempt += 1;
            }
            Ok(per_task) => {
                if let Some(g) = observer.kernel_growth().filter(|g| g.stacks_from != StacksFrom::MachineWide) {
                    cell::note(&format!("{}/{n}: {}", model.name(), g.stacks_from));
                }
                return Ok(per_task);
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

/// One `spawn_instructions` iteration: this binary run again under callgrind for a parked run of `n` tasks
/// (the runtime built and warmed first, as in every cold cell), counting the spawning thread's instructions
/// in the spawn loop ([`instructions::SPAWN_LOOP`]), per task.
pub fn spawn_instructions(model: &'static dyn TaskModel, n: usize) -> Result<f64> {
    let exe = std::env::current_exe()?;
    let asked = [(instructions::CHILD_ENV, format!("{} {n}", model.name()))];
    let count = instructions::count(instructions::SPAWN_LOOP, &exe, &[], &asked, &[cell::CELL_ENV])?;
    Ok(count as f64 / n as f64)
}

/// The process [`spawn_instructions`] starts under callgrind: warms the model and runs `n` parked tasks, then
/// ends the process (status 1 with the reason on stderr when the run fails).
pub fn serve_count(model: &'static dyn TaskModel, n: usize) -> ! {
    let run = model.run_spawn_join(model.warm_up_tasks()).and_then(|_| model.run_parked(n, &mut models::NoObserver));
    match run {
        Ok(_) => std::process::exit(0),
        Err(e) => {
            say(&format!("{}/{n} under callgrind: {e:#}", model.name()));
            std::process::exit(1)
        }
    }
}
