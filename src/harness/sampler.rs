//! What measures a cell's samples for the runner ([`Sampler`]: the cell's fresh processes in the benches, a
//! closure in tests), and what Criterion's calls get once a cell has failed: a stand-in that asks no process.

use std::cell::RefCell;
use std::time::Duration;

use anyhow::Result;

use super::cell::{self, CellProcesses};
use super::say::say;
use super::spec::GroupSpec;
use crate::record::split_id;

/// What measures a cell's samples for [`super::runner::run_group_with`]: any `Fn(id, tasks, iters)` (tests), or the cell's
/// processes.
pub trait Sampler {
    /// The summed value of `iters` iterations of cell `id`; `tasks` is its number of tasks where the id does
    /// not end in it (the state groups end in K).
    fn sample(&self, id: &str, tasks: Option<usize>, iters: u64) -> Result<f64>;
    /// Called when a cell is done, before the next cell's preflight: nothing it started may still hold memory.
    /// Returns the notes its readings left (see [`cell::note`]).
    fn cell_done(&self) -> Vec<String> {
        Vec::new()
    }
}

impl<F: Fn(&str, Option<usize>, u64) -> Result<f64>> Sampler for F {
    fn sample(&self, id: &str, tasks: Option<usize>, iters: u64) -> Result<f64> {
        self(id, tasks, iters)
    }
}

/// The benches' sampler: every cell in fresh processes of this binary ([`super::cell`]).
pub(super) struct InProcesses<'a> {
    pub processes: &'a RefCell<CellProcesses>,
    pub spec: &'a GroupSpec,
}

impl Sampler for InProcesses<'_> {
    fn sample(&self, id: &str, tasks: Option<usize>, iters: u64) -> Result<f64> {
        let (_, n) = split_id(self.spec.name(), id)?;
        let samples_per_process = cell::samples_per_process(tasks.unwrap_or(n));
        self.processes.borrow_mut().measure(id, tasks, iters, samples_per_process)
    }
    /// A warm process that served fewer samples than it could would otherwise live on, holding its N tasks'
    /// memory, until the next cell asks: the next cell's preflight would see that memory as taken.
    fn cell_done(&self) -> Vec<String> {
        let mut processes = self.processes.borrow_mut();
        processes.finish();
        processes.take_notes()
    }
}

/// One Criterion call's value: what `sample` measured, or, once the cell has failed, a stand-in of one unit
/// per iteration that asks no process (Criterion's closure cannot return an error; the cell is recorded
/// as failed, so the stand-in is never read as a figure). The first failure is printed and kept.
pub(super) fn sample_or_stand_in(
    id: &str,
    failure: &RefCell<Option<String>>,
    iters: u64,
    sample: impl FnOnce() -> Result<f64>,
) -> f64 {
    let stand_in = iters as f64;
    if failure.borrow().is_some() {
        // Criterion's quick mode doubles its iterations until 100 ms have passed: calls that take no time
        // would overflow its count.
        std::thread::sleep(STAND_IN_CALL);
        return stand_in;
    }
    match sample() {
        Ok(value) => value,
        Err(e) => {
            let reason = format!("{e:#}").replace('\n', " / ");
            say(&format!("{id} FAILED: {reason}; the group goes on with its next cell"));
            *failure.borrow_mut() = Some(reason);
            stand_in
        }
    }
}

/// How long a stand-in call takes (see [`sample_or_stand_in`]).
const STAND_IN_CALL: Duration = Duration::from_millis(5);
