//! The task models under test, one module each, all behind [`TaskModel`].
//!
//! A model knows how to do two experiments and nothing else:
//! - [`TaskModel::run_parked`]: spawn `n` tasks that each park on a gate, time only the spawn loop, wait until all
//!   `n` are alive and parked, let an [`Observer`] read memory, then release and join them all;
//! - [`TaskModel::run_spawn_join`]: spawn `n` trivial tasks and time until every one has finished.
//!
//! Both verify that exactly `n` tasks ran (and, for `run_parked`, were parked at once); a shortfall is an
//! error, never a number. Every wait is bounded by [`wait_limit`], so a hung runtime fails instead of hanging.
//!
//! Adding a model is one file here and one line in [`registry`]; every bench and report picks it up.

pub mod async_std;
pub mod floor;
pub mod goroutine;
pub mod may;
pub mod smol;
pub mod thread;
pub mod tokio_ct;
pub mod tokio_mt;
pub mod tokio_mt_inside;

use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Result};

use crate::gate::{Rendezvous, Tally};
use crate::limits::Needs;

/// One way of running tasks: a runtime, OS threads, coroutines, or another process.
pub trait TaskModel: Sync {
    /// The id used in benchmark ids (`group/<name>/N`) and results.
    fn name(&self) -> &'static str;
    /// The configuration in force (workers, stack size, versions), printed with results.
    fn config(&self) -> String;
    /// A caveat a reader must see next to the numbers (e.g. "discontinued upstream").
    fn caveat(&self) -> Option<&'static str> {
        None
    }
    /// Where the spawns are issued: from a plain thread outside the runtime, or from a task inside it.
    fn spawn_site(&self) -> SpawnSite;
    /// What one live task takes from the machine, for the preflight in [`crate::limits`].
    fn needs(&self) -> Needs;
    /// Trivial tasks a cold measurement runs first, outside the clock, so that the runtime's lazy start-up
    /// (worker threads, first allocations) is not charged to the burst of N.
    fn warm_up_tasks(&self) -> usize {
        16
    }
    /// `Err(reason)` when the model cannot run on this machine at all (e.g. Go is not installed).
    fn available(&self) -> Result<(), String> {
        Ok(())
    }
    /// Spawn `n` parked tasks, observe them all alive, release and join. See the module docs.
    fn run_parked(&self, n: usize, observer: &mut dyn Observer) -> Result<ParkedRun>;
    /// Spawn `n` trivial tasks and return the time until all of them have finished.
    fn run_spawn_join(&self, n: usize) -> Result<Duration>;
}

/// Where a model's spawn loop runs. The two are different operations: a spawn from outside goes through
/// the runtime's shared (injection) queue, one from inside goes to the spawning worker's own queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpawnSite {
    /// A plain thread (the bench's), not a worker of the runtime.
    Outside,
    /// A task (or the `block_on` future) running on the runtime itself.
    Inside,
}

impl SpawnSite {
    pub fn describe(self) -> &'static str {
        match self {
            SpawnSite::Outside => "spawned from outside the runtime (the bench thread)",
            SpawnSite::Inside => "spawned from inside the runtime (a task on it)",
        }
    }
}

/// Every model this build knows, in report order.
pub fn registry() -> Vec<&'static dyn TaskModel> {
    vec![
        &thread::MODEL,
        &tokio_mt::MODEL,
        &tokio_mt_inside::MODEL,
        &tokio_ct::MODEL,
        &async_std::MODEL,
        &smol::MODEL,
        &may::MODEL,
        &floor::MODEL,
        &goroutine::MODEL,
    ]
}

/// Calibration controls for the memory groups: the floor task holding a known payload, whose excess over
/// the plain floor must measure as that payload.
pub fn controls() -> Vec<&'static dyn TaskModel> {
    vec![&floor::INLINE_1KIB, &floor::HEAP_4KIB]
}

/// The model or control called `name`, if this build has it.
pub fn by_name(name: &str) -> Option<&'static dyn TaskModel> {
    registry().into_iter().chain(controls()).find(|m| m.name() == name)
}

/// What [`TaskModel::run_parked`] measured.
#[derive(Debug, Clone, Copy)]
pub struct ParkedRun {
    /// Time of the spawn loop alone (n spawns), taken by the model around the same phase for every model.
    pub spawn_time: Duration,
    /// Tasks that were parked at once when the observer ran (always `n` on success).
    pub parked: usize,
}

/// Where the memory of a model's tasks can be read: this process, or the child process a model drives.
pub trait MemorySource {
    /// Live heap bytes as the model's own instrument sees them, or `None` to use this process's
    /// counting allocator.
    fn heap_bytes(&self) -> Option<u64> {
        None
    }
    /// Bytes of task stacks the runtime reports outside its heap (Go's `StackInuse`), when it does.
    fn stack_bytes(&self) -> Option<u64> {
        None
    }
    /// The process whose resident memory holds the tasks; `None` means this process.
    fn pid(&self) -> Option<u32> {
        None
    }
}

/// The tasks live in this process.
pub struct ThisProcess;
impl MemorySource for ThisProcess {}

/// Called by [`TaskModel::run_parked`] at the two moments a memory reading makes sense.
pub trait Observer {
    /// Whether this observer reads memory (a model may then isolate the run, e.g. in a fresh process).
    fn reads_memory(&self) -> bool {
        true
    }
    /// After the runtime is built and warmed, right before the first spawn.
    fn before_spawn(&mut self, _memory: &dyn MemorySource) -> Result<()> {
        Ok(())
    }
    /// While all `n` tasks are alive and parked, before any is released.
    fn all_parked(&mut self, _memory: &dyn MemorySource) -> Result<()> {
        Ok(())
    }
}

/// An observer that reads nothing (the timing benches).
pub struct NoObserver;
impl Observer for NoObserver {
    fn reads_memory(&self) -> bool {
        false
    }
}

/// How long any single wait for tasks may take before the run fails: 60 s plus 100 µs per task, or
/// `TASKBENCH_WAIT_LIMIT_S` when set. A setting that is not a usable number of seconds stops a bench before it
/// starts ([`crate::suite::run_group`] checks [`wait_limit_setting`]); here it falls back to the default, so
/// that no wait can panic on it.
pub fn wait_limit(n: usize) -> Duration {
    let default = || Duration::from_secs(60) + Duration::from_micros(100) * n as u32;
    wait_limit_setting().ok().flatten().unwrap_or_else(default)
}

/// The variable that overrides [`wait_limit`], in seconds.
pub const WAIT_LIMIT_ENV: &str = "TASKBENCH_WAIT_LIMIT_S";

/// `TASKBENCH_WAIT_LIMIT_S` as set: `None` when unset, an error when it is not a usable number of seconds.
pub fn wait_limit_setting() -> Result<Option<Duration>> {
    match std::env::var_os(WAIT_LIMIT_ENV) {
        None => Ok(None),
        Some(v) => parse_wait_limit(&v.to_string_lossy()).map(Some),
    }
}

/// Parses a wait limit in seconds: a finite number above zero (`0.5`, `120`).
pub fn parse_wait_limit(text: &str) -> Result<Duration> {
    let expected = "expected a number of seconds above 0, e.g. 120";
    let seconds: f64 =
        text.trim().parse().map_err(|_| anyhow!("{WAIT_LIMIT_ENV}: {text:?} is not a number; {expected}"))?;
    if seconds.is_nan() || seconds <= 0.0 {
        bail!("{WAIT_LIMIT_ENV}: {text:?} is not above 0; {expected}");
    }
    Duration::try_from_secs_f64(seconds).map_err(|_| anyhow!("{WAIT_LIMIT_ENV}: {text:?} is too large; {expected}"))
}

/// Moves `value` to a `'static` home for the rest of the process. The experiments' shared state lives there so
/// that tasks hold a plain reference: an `Arc` clone per spawn would write a reference count inside the timed
/// loop, on a structure the tasks write too. One small allocation per run, made before any baseline.
pub(crate) fn leak<T>(value: T) -> &'static T {
    Box::leak(Box::new(value))
}

/// An empty vector with room for `n` handles, its pages already resident. Made before any baseline, so that
/// neither a memory reading nor a clock sees the handles' storage: reserved but untouched, the pages would
/// become resident during the spawn loop (page faults inside the clock, and 8 to 32 B per task in RSS).
pub(crate) fn handle_storage<H>(n: usize) -> Vec<H> {
    let mut handles: Vec<H> = Vec::with_capacity(n);
    let spare = handles.spare_capacity_mut();
    // SAFETY: zeroing uninitialised capacity writes no `H`; the length stays 0.
    unsafe { std::ptr::write_bytes(spare.as_mut_ptr(), 0, spare.len()) };
    handles
}

/// Calls `spawn` `n` times from this thread, keeping the handles, and returns the time the loop took.
/// The handles' storage comes from [`handle_storage`], before any baseline, so it is neither timed nor counted.
pub(crate) fn spawn_loop<H>(n: usize, handles: &mut Vec<H>, mut spawn: impl FnMut() -> Result<H>) -> Result<Duration> {
    let start = Instant::now();
    for _ in 0..n {
        handles.push(spawn()?);
    }
    Ok(start.elapsed())
}

/// The parked experiment for models whose tasks are spawned from this thread and whose handles join
/// from here: `spawn` starts one task that parks on `rv` (see [`Rendezvous::park`]), `join` joins them all.
/// `release` opens whatever the tasks park on (the gate, unless a model parks elsewhere).
pub(crate) fn parked_with<H>(
    n: usize,
    observer: &mut dyn Observer,
    mut spawn: impl FnMut(&'static Rendezvous) -> Result<H>,
    release: impl FnOnce(&Rendezvous),
    join: impl FnOnce(Vec<H>) -> Result<()>,
) -> Result<ParkedRun> {
    parked_experiment(n, observer, |rv, handles| spawn_loop(n, handles, || spawn(rv)), release, join)
}

/// [`parked_with`] for any way of spawning: `spawn_all` spawns `n` parked tasks into the (pre-sized) handle
/// vector and returns the time of its spawn loop alone.
pub(crate) fn parked_experiment<H>(
    n: usize,
    observer: &mut dyn Observer,
    spawn_all: impl FnOnce(&'static Rendezvous, &mut Vec<H>) -> Result<Duration>,
    release: impl FnOnce(&Rendezvous),
    join: impl FnOnce(Vec<H>) -> Result<()>,
) -> Result<ParkedRun> {
    let rv = leak(Rendezvous::new());
    let mut handles = handle_storage(n);
    observer.before_spawn(&ThisProcess)?;
    let spawn_time = match spawn_all(rv, &mut handles) {
        Ok(t) => t,
        Err(e) => {
            release(rv);
            let _ = rv.finished.wait(handles.len(), wait_limit(n));
            let _ = join(handles);
            return Err(e.context(format!("spawn failed after {} of {n} tasks", rv.arrived.count())));
        }
    };
    let parked = rv.arrived.wait(n, wait_limit(n)).and_then(|()| rv.all_parked(n));
    let observed = match parked {
        Ok(()) => observer.all_parked(&ThisProcess),
        Err(e) => Err(e.context("not every task parked")),
    };
    release(rv);
    rv.finished.wait(n, wait_limit(n))?;
    join(handles)?;
    observed?;
    rv.check(n)?;
    Ok(ParkedRun { spawn_time, parked: n })
}

/// The spawn-join experiment for models spawned and joined from this thread: the clock covers the spawn
/// loop and the wait until all `n` tasks have run; joining the handles happens after the clock stops.
pub(crate) fn spawn_join_with<H>(
    n: usize,
    mut spawn: impl FnMut(&'static Tally) -> Result<H>,
    join: impl FnOnce(Vec<H>) -> Result<()>,
) -> Result<Duration> {
    spawn_join_experiment(
        n,
        |done, handles| {
            let start = Instant::now();
            spawn_loop(n, handles, || spawn(done))?;
            Ok(start)
        },
        join,
    )
}

/// [`spawn_join_with`] for any way of spawning: `spawn_all` spawns `n` trivial tasks into the handle vector
/// and returns the instant its clock started; the clock stops when all `n` have run.
pub(crate) fn spawn_join_experiment<H>(
    n: usize,
    spawn_all: impl FnOnce(&'static Tally, &mut Vec<H>) -> Result<Instant>,
    join: impl FnOnce(Vec<H>) -> Result<()>,
) -> Result<Duration> {
    let done = leak(Tally::new());
    let mut handles = handle_storage(n);
    let start = spawn_all(done, &mut handles)?;
    done.wait(n, wait_limit(n))?;
    let elapsed = start.elapsed();
    join(handles)?;
    let ran = done.count();
    if ran != n {
        bail!("{ran} trivial tasks ran, expected exactly {n}");
    }
    Ok(elapsed)
}

/// Logical cores available to this process (the default worker count of the multi-threaded models).
pub fn available_cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}
