//! The experiments a cell's process runs for one iteration, over any [`TaskModel`]: the spawn loop's time,
//! spawn-and-join's time, the time of a hand-off and of a yield (`models::switch`), and the bytes per task a [`MemoryObserver`] reads with all N tasks parked (with
//! or without K bytes of state each). What each times or reads is said at each function.

use std::convert::Infallible;
use std::time::Duration;

use anyhow::Result;

use super::cell;
use super::say::say;
use crate::catalogue::{Group, Per};
use crate::measure::kernel::StacksFrom;
use crate::measure::{instructions, MemoryKind, MemoryObserver, Readings};
use crate::models::{self, TaskModel};

/// One `spawn` iteration: a parked run, of which only the spawn loop is timed (ns).
pub fn spawn_ns(model: &'static dyn TaskModel, n: usize) -> Result<f64> {
    Ok(model.run_parked(n, &mut models::NoObserver)?.spawn_time.as_nanos() as f64)
}

/// One `spawn_join` iteration: spawning `n` trivial tasks and waiting until all have run (ns).
pub fn spawn_join_ns(model: &'static dyn TaskModel, n: usize) -> Result<f64> {
    Ok(model.run_spawn_join(n)?.as_nanos() as f64)
}

/// Hand-offs or yields one switch iteration makes at least, so that a cell's figure stands clear of the
/// clock's and the start's cost even at N = 2 (a thread's hand-off took 5 µs on a 16-core machine and 22 µs
/// on the 2-core one, so a thread ring's iteration takes 20–90 ms; the fast rows' take about 1 ms).
pub const SWITCHES_PER_ITERATION: usize = 4_000;

/// Laps of a ring of `n` tasks in one `handoff` iteration: [`SWITCHES_PER_ITERATION`] hand-offs, at least one
/// lap.
pub fn handoff_laps(n: usize) -> usize {
    SWITCHES_PER_ITERATION.div_ceil(n.max(1))
}

/// Yields of each of `n` tasks in one `yield` iteration: [`SWITCHES_PER_ITERATION`] in all, and at least 4
/// each, so that the gate's release of `n` tasks is a small part of the clock.
pub fn yields_per_task(n: usize) -> usize {
    SWITCHES_PER_ITERATION.div_ceil(n.max(1)).max(4)
}

/// What one iteration of `group` at `n` does, in the unit its time grows with: hand-offs or yields in the
/// switch groups, tasks in every other (the cell budget scales its estimates by it).
pub fn work_per_iteration(group: &Group, n: usize) -> usize {
    match group.per {
        Per::Task => n,
        Per::HandOff => n * handoff_laps(n),
        Per::Yield => n * yields_per_task(n),
    }
}

/// One `handoff` iteration: [`handoff_laps`] laps round a ring of `n` tasks, as the time of one lap (`n`
/// hand-offs, so that the value per task is the time per hand-off).
pub fn handoff_ns(model: &'static dyn TaskModel, n: usize) -> Result<f64> {
    let laps = handoff_laps(n);
    Ok(model.run_handoff(n, laps)?.as_nanos() as f64 / laps as f64)
}

/// One `yield` iteration: `n` tasks each yielding [`yields_per_task`] times, as the time of `n` yields (one
/// per task, so that the value per task is the time per yield).
pub fn yield_ns(model: &'static dyn TaskModel, n: usize) -> Result<f64> {
    let yields = yields_per_task(n);
    Ok(model.run_yield(n, yields)?.as_nanos() as f64 / yields as f64)
}

/// One memory iteration: a parked run read by a [`MemoryObserver`], as bytes per task.
pub fn memory_per_task(model: &'static dyn TaskModel, n: usize, kind: MemoryKind) -> Result<f64> {
    if kind == MemoryKind::Kernel {
        return kernel_attempts(model, n, 1, cell::note);
    }
    let mut observer = MemoryObserver::new(kind);
    model.run_parked(n, &mut observer)?;
    observer.per_task(n)
}

/// The kernel's share from the first of up to [`KERNEL_ATTEMPTS`] readings (counting from `first`) whose
/// window did not see the process's memory fall: other threads on the machine no longer spoil a window (see
/// `measure::kernel`), but a reading that took the kernel stacks per thread says so in the cell's record.
fn kernel_attempts(model: &'static dyn TaskModel, n: usize, first: usize, note: impl Fn(&str)) -> Result<f64> {
    let mut attempt = first;
    loop {
        let mut observer = MemoryObserver::new(MemoryKind::Kernel);
        model.run_parked(n, &mut observer)?;
        match observer.per_task(n) {
            Err(e) if attempt < KERNEL_ATTEMPTS => {
                note(&format!("{}/{n}: reading {attempt} of {KERNEL_ATTEMPTS} discarded: {e:#}", model.name()));
                // Other processes' threads come and go in bursts (a build, a test run): let one pass.
                std::thread::sleep(Duration::from_millis(200) * attempt as u32);
                attempt += 1;
            }
            Ok(per_task) => {
                note_stacks_source(model, n, &observer, &note);
                return Ok(per_task);
            }
            result => return result,
        }
    }
}

/// One memory iteration whose process reads every figure the model has ([`shared_kinds`]) in one parked run
/// ([`Readings`]), so that the memory groups of one `cargo bench` share their processes (see
/// [`super::shared`]). Each figure is read as [`memory_per_task`] reads it alone: heap, RSS and Go's stacks
/// from the run (a figure that does not grow is an error), the kernel's share from the first reading that
/// comes clean (a discarded kernel reading runs the parked run again, for the kernel's figure only, as
/// `kernel_per_task` always has). Returns `kind`'s value; the others go to the parent ([`cell::also`]).
pub fn memory_shared(model: &'static dyn TaskModel, n: usize, kind: MemoryKind) -> Result<f64> {
    shared(model, n, None, kind)
}

/// [`memory_shared`] for a state group's iteration: `k` bytes held by each of the row's N tasks.
pub fn state_memory_shared(model: &'static dyn TaskModel, k: usize, kind: MemoryKind) -> Result<f64> {
    shared(model, cell::requested_tasks()?, Some(k), kind)
}

/// The figures a memory process reads for `model`: heap, RSS and the runtime's own stack figure where it has
/// one, and, outside the state groups (`holding`), the kernel's share for the models `kernel_per_task`
/// measures (reading it for the others would only risk a discarded reading).
pub fn shared_kinds(model: &dyn TaskModel, holding: bool) -> Vec<MemoryKind> {
    let mut kinds = vec![MemoryKind::Heap, MemoryKind::Rss, MemoryKind::RuntimeStacks];
    if !holding && (super::spec::KERNEL_SHARE.applies)(&model.needs()) {
        kinds.push(MemoryKind::Kernel);
    }
    kinds
}

fn shared(model: &'static dyn TaskModel, n: usize, hold: Option<usize>, kind: MemoryKind) -> Result<f64> {
    let mut readings = Readings::of(&shared_kinds(model, hold.is_some()));
    match hold {
        Some(k) => model.run_holding(n, k, &mut readings)?,
        None => model.run_parked(n, &mut readings)?,
    };
    let mut own = None;
    for read in readings.kinds() {
        let observer = readings.get(read).expect("read");
        let note = |text: &str| cell::note_for(read.name(), read == kind, text);
        let value = match observer.per_task(n) {
            Err(e) if read == MemoryKind::Kernel => {
                note(&format!("{}/{n}: reading 1 of {KERNEL_ATTEMPTS} discarded: {e:#}", model.name()));
                std::thread::sleep(Duration::from_millis(200));
                kernel_attempts(model, n, 2, note)
            }
            result => {
                note_stacks_source(model, n, observer, &note);
                result
            }
        };
        // Another group's figure that failed is not sent: that group measures the cell itself, and fails there.
        match value {
            Ok(v) if read != kind => cell::also(read.name(), v),
            Ok(v) => own = Some(v),
            Err(e) if read == kind => return Err(e),
            Err(_) => {}
        }
    }
    own.ok_or_else(|| anyhow::anyhow!("{} has no {} figure", model.name(), kind.name()))
}

/// A parked run of `n` tasks each holding `k` bytes ([`TaskModel::run_holding`]), read by a
/// [`MemoryObserver`], as bytes per task.
pub fn memory_holding(model: &dyn TaskModel, n: usize, k: usize, kind: MemoryKind) -> Result<f64> {
    let mut observer = MemoryObserver::new(kind);
    model.run_holding(n, k, &mut observer)?;
    observer.per_task(n)
}

/// Notes a kernel reading whose stacks were not read machine-wide (see `measure::kernel`).
fn note_stacks_source(model: &dyn TaskModel, n: usize, observer: &MemoryObserver, note: &impl Fn(&str)) {
    if let Some(g) = observer.kernel_growth().filter(|g| g.stacks_from != StacksFrom::MachineWide) {
        note(&format!("{}/{n}: {}", model.name(), g.stacks_from));
    }
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
/// ends the process as soon as every task is parked (status 1 with the reason on stderr when the run fails).
pub fn serve_count(model: &'static dyn TaskModel, n: usize) -> ! {
    match count_run(model, n, exit_counted) {
        Ok(never) => match never {},
        Err(e) => {
            say(&format!("{}/{n} under callgrind: {e:#}", model.name()));
            std::process::exit(1)
        }
    }
}

/// A counting process's run: the model warmed, then `n` parked tasks, and `parked` called (it never returns)
/// once all of them are parked. The count is complete when the spawn loop returns; releasing, joining and
/// dropping the tasks after it is half of the program's instructions at 10^5 (tokio-ct), at callgrind's speed.
pub fn count_run(model: &'static dyn TaskModel, n: usize, parked: fn() -> !) -> Result<Infallible> {
    model.run_spawn_join(model.warm_up_tasks())?;
    model.run_parked(n, &mut AtParked(parked))?;
    anyhow::bail!("the run ended without calling its observer with every task parked")
}

fn exit_counted() -> ! {
    std::process::exit(0)
}

/// The observer of a counting run: calls its function once all tasks are parked.
struct AtParked(fn() -> !);

impl models::Observer for AtParked {
    fn reads_memory(&self) -> bool {
        false
    }
    fn all_parked(&mut self, _: &dyn models::MemorySource) -> Result<()> {
        (self.0)()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;
    use crate::limits::Needs;
    use crate::models::{Observer, ParkedRun, SpawnSite, ThisProcess};

    static RELEASED: AtomicBool = AtomicBool::new(false);

    /// Parks its tasks at once, and notes when a run goes on to release them.
    struct ParksAtOnce;

    impl TaskModel for ParksAtOnce {
        fn name(&self) -> &'static str {
            "parks-at-once"
        }
        fn config(&self) -> String {
            String::new()
        }
        fn spawn_site(&self) -> SpawnSite {
            SpawnSite::Outside
        }
        fn needs(&self) -> Needs {
            Needs::STACKLESS
        }
        fn run_parked(&self, n: usize, observer: &mut dyn Observer) -> Result<ParkedRun> {
            observer.all_parked(&ThisProcess)?;
            RELEASED.store(true, Ordering::SeqCst);
            Ok(ParkedRun { spawn_time: Duration::ZERO, parked: n })
        }
        fn run_spawn_join(&self, _: usize) -> Result<Duration> {
            Ok(Duration::ZERO)
        }
        fn run_holding(&self, _: usize, _: usize, _: &mut dyn Observer) -> Result<ParkedRun> {
            unreachable!()
        }
    }

    fn stop() -> ! {
        panic!("stopped with every task parked")
    }

    /// Fails on: a counting process that goes on, under callgrind, to release, join and drop its N tasks after
    /// the spawn loop's count is complete (half of its instructions at 10^5).
    #[test]
    fn a_counting_run_stops_once_its_tasks_are_parked() {
        let stopped = std::panic::catch_unwind(|| count_run(&ParksAtOnce, 10, stop)).expect_err("it stopped");
        assert_eq!(stopped.downcast_ref::<&str>(), Some(&"stopped with every task parked"));
        assert!(!RELEASED.load(Ordering::SeqCst), "the tasks were released");
    }
}
