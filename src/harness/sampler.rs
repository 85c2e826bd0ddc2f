//! What measures a cell's samples for the runner ([`Sampler`]: the cell's fresh processes in the benches, a
//! closure in tests), and what Criterion's calls get once a cell has failed: a stand-in that asks no process.

use std::cell::{Cell, RefCell};
use std::time::{Duration, Instant};

use anyhow::Result;

use super::cell::{self, CellProcesses};
use super::say::say;
use super::shared::{Key, SharedReadings};
use super::spec::{ExtraRow, GroupSpec};
use crate::measure::reference::{self, MachineReference};
use crate::measure::MemoryKind;
use crate::record::split_id;

/// What measures a cell's samples for [`super::runner::run_group_with`]: any `Fn(id, tasks, iters)` (tests), or the cell's
/// processes.
pub trait Sampler {
    /// The summed value of `iters` iterations of cell `id`; `tasks` is its number of tasks where the id does
    /// not end in it (the state groups end in K).
    fn sample(&self, id: &str, tasks: Option<usize>, iters: u64) -> Result<f64>;
    /// Lets the next `processes` processes of cell `id` run two at a time ([`cell::two_at_once`] says where);
    /// a sampler that starts no processes ignores it.
    fn two_at_once(&self, _id: &str, _tasks: Option<usize>, _processes: usize) {}
    /// Called when a cell is done, before the next cell's preflight: nothing it started may still hold memory.
    /// Returns the notes its readings left (see [`cell::note`]).
    fn cell_done(&self) -> Vec<String> {
        Vec::new()
    }
    /// The time the processes of readings taken from another group's run took, since the last call (see
    /// [`super::shared`]); nothing for a sampler that measures every value itself.
    fn take_stored_time(&self) -> Duration {
        Duration::ZERO
    }
    /// A reading of the machine-speed reference, taken at the start of each interleaved round; none for a
    /// sampler that does not measure the machine (tests' fakes).
    fn machine_reference(&self) -> Option<MachineReference> {
        None
    }
}

impl<F: Fn(&str, Option<usize>, u64) -> Result<f64>> Sampler for F {
    fn sample(&self, id: &str, tasks: Option<usize>, iters: u64) -> Result<f64> {
        self(id, tasks, iters)
    }
}

/// The benches' sampler: every cell in fresh processes of this binary ([`super::cell`]); in a memory group
/// run by `cargo bench`, first from the readings the memory groups before it kept ([`super::shared`]).
pub(super) struct InProcesses<'a> {
    processes: &'a RefCell<CellProcesses>,
    spec: &'a GroupSpec,
    shared: Option<SharedReadings>,
    /// The extra rows whose readings are shared under another row ([`super::spec::ExtraRow::shares`]).
    extra_shares: Vec<(&'static str, (&'static str, MemoryKind))>,
    /// The cell's Criterion iterations so far: the index of its next reading.
    index: Cell<usize>,
    /// Notes and process time of the shared readings used since they were last taken.
    stored_notes: RefCell<Vec<String>>,
    stored_time: Cell<Duration>,
    /// Whether the cell has had no call yet, and the reading its first call took, kept for its first sample
    /// (see [`InProcesses::sample`]).
    first_call: Cell<bool>,
    kept: Cell<Option<f64>>,
}

impl<'a> InProcesses<'a> {
    pub fn new(
        processes: &'a RefCell<CellProcesses>,
        spec: &'a GroupSpec,
        shared: Option<SharedReadings>,
        extra: &[&ExtraRow],
    ) -> Self {
        let extra_shares = extra.iter().filter_map(|x| Some((x.name, x.shares?))).collect();
        InProcesses {
            processes,
            spec,
            shared,
            extra_shares,
            index: Cell::new(0),
            stored_notes: RefCell::default(),
            stored_time: Cell::new(Duration::ZERO),
            first_call: Cell::new(true),
            kept: Cell::new(None),
        }
    }

    /// One iteration of a cell whose readings are shared: the store's, or a fresh process's, kept for the
    /// groups after this one.
    fn shared_iteration(&self, store: &SharedReadings, id: &str, key: Key<'_>, kind: MemoryKind) -> Result<f64> {
        let index = self.index.replace(self.index.get() + 1);
        if let Some(taken) = store.take(key, index, kind) {
            for note in &taken.notes {
                say(note);
            }
            self.stored_notes.borrow_mut().extend(taken.notes);
            self.stored_time.set(self.stored_time.get() + taken.seconds);
            return Ok(taken.value);
        }
        let started = Instant::now();
        let mut processes = self.processes.borrow_mut();
        let value = processes.measure(id, key.tasks, 1, 1)?;
        let also = processes.take_also();
        if let Err(e) = store.keep(key, index, kind, value, also, started.elapsed()) {
            say(&format!("{id}: could not keep its readings for the other memory groups: {e:#}"));
        }
        Ok(value)
    }

    /// `iters` iterations of cell `id`: from the store where the group shares readings, else in processes.
    fn measure(&self, id: &str, tasks: Option<usize>, iters: u64) -> Result<f64> {
        let (row, x) = split_id(self.spec.name(), id)?;
        let shares = match self.extra_shares.iter().find(|(name, _)| *name == row) {
            Some((_, shares)) => Some(*shares),
            None => self.spec.shares.map(|kind| (row.as_str(), kind)),
        };
        if let (Some(store), Some((source, kind))) = (&self.shared, shares) {
            let key = Key { row: source, x, tasks };
            return (0..iters).map(|_| self.shared_iteration(store, id, key, kind)).sum();
        }
        let samples_per_process = cell::samples_per_process(tasks.unwrap_or(x));
        self.processes.borrow_mut().measure(id, tasks, iters, samples_per_process)
    }
}

impl Sampler for InProcesses<'_> {
    fn two_at_once(&self, id: &str, tasks: Option<usize>, processes: usize) {
        self.processes.borrow_mut().plan_two_at_once(id, tasks, processes);
    }
    /// In a group whose readings repeat ([`GroupSpec::readings_repeat`]), the reading of a cell's first call
    /// (Criterion's warm-up, one iteration) also answers its second (the first sample): it is a fresh process's
    /// reading like any other, and Criterion keeps only the warm-up's wall time, which plans one iteration per
    /// sample at these groups' measuring time. Ten samples, ten processes, not eleven.
    fn sample(&self, id: &str, tasks: Option<usize>, iters: u64) -> Result<f64> {
        if let Some(value) = self.kept.take().filter(|_| iters == 1) {
            return Ok(value);
        }
        let value = self.measure(id, tasks, iters)?;
        if self.first_call.replace(false) && iters == 1 && self.spec.readings_repeat() {
            self.kept.set(Some(value));
        }
        Ok(value)
    }
    /// A warm process that served fewer samples than it could would otherwise live on, holding its N tasks'
    /// memory, until the next cell asks: the next cell's preflight would see that memory as taken.
    fn cell_done(&self) -> Vec<String> {
        let mut processes = self.processes.borrow_mut();
        processes.finish();
        self.index.set(0);
        self.first_call.set(true);
        self.kept.set(None);
        // Figures read for other groups, where no store keeps them, are dropped with the cell.
        processes.take_also();
        let mut notes = processes.take_notes();
        notes.append(&mut self.stored_notes.borrow_mut());
        notes
    }
    fn take_stored_time(&self) -> Duration {
        self.stored_time.replace(Duration::ZERO)
    }
    fn machine_reference(&self) -> Option<MachineReference> {
        Some(reference::take())
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
