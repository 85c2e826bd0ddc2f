//! The task models under test, all behind [`TaskModel`], the face every bench, test and report sees.
//!
//! A model does two experiments, each written once here and the same for every model:
//! - [`TaskModel::run_parked`] ([`parked_experiment`]): spawn `n` tasks that each park on a gate, time only
//!   the spawn loop, wait until all `n` are alive and parked, let an [`Observer`] read memory, then release
//!   and join them all;
//! - [`TaskModel::run_spawn_join`] ([`spawn_join_experiment`]): spawn `n` trivial tasks and time until every
//!   one has finished.
//!
//! [`TaskModel::run_holding`] is the parked experiment with every task holding `K` bytes across its park
//! point ([`STATE_SIZES`]): inside its future, or on its own stack where [`TaskModel::stack`] leaves room.
//!
//! Both verify that exactly `n` tasks ran (and, for `run_parked`, were parked at once); a shortfall is an
//! error, never a number. Every wait is bounded by [`wait_limit`], so a hung runtime fails instead of hanging.
//! The tasks run the harness's bodies ([`body`]), so no model types its own.
//!
//! A Rust model implements only what differs, [`Runtime`]: start, spawn one task running a body, join; every
//! `Runtime` is a [`TaskModel`]. Adding one is a file here and a line in [`registry`]; a configuration variant
//! (another stack size, spawn site or payload) is a line in [`registry`]. Other languages' rows (Go's
//! [`goroutine`], Java's virtual threads) run in a child process that speaks one protocol ([`probe`]).

pub mod async_std;
pub mod body;
pub mod compio;
pub mod floor;
pub mod futures_pool;
pub mod goroutine;
pub mod may;
pub mod probe;
pub mod smol;
pub mod smol_local;
pub mod switch;
pub mod thread;
pub mod tokio_ct;
pub mod tokio_local;
pub mod tokio_mt;
mod wait;

pub use wait::{parse_wait_limit, wait_limit, wait_limit_setting, WAIT_LIMIT_ENV};

use std::sync::LazyLock;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Result};

use self::body::{Body, Heap, Holding, Inline, ParkPoint, Parked, Payload, Trivial};
use crate::gate::{Rendezvous, Tally};
use crate::limits::Needs;
use crate::provenance::ProbeBuild;

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
    /// `Err(reason)` when the model cannot run here (e.g. Go is not installed).
    fn available(&self) -> Result<(), String> {
        Ok(())
    }
    /// Spawn `n` parked tasks, observe them all alive, release and join. See the module docs.
    fn run_parked(&self, n: usize, observer: &mut dyn Observer) -> Result<ParkedRun>;
    /// Spawn `n` trivial tasks and return the time until all of them have finished.
    fn run_spawn_join(&self, n: usize) -> Result<Duration>;
    /// [`TaskModel::run_parked`] with every task holding `k` bytes across its park point, written before it and
    /// read after ([`body::Holding`] with [`Inline<K>`]); `k` is one of [`STATE_SIZES`]. A `k` the task's stack
    /// cannot hold ([`state_fits`]) is an error, never a stack overflow.
    fn run_holding(&self, n: usize, k: usize, observer: &mut dyn Observer) -> Result<ParkedRun>;
    /// The stack each task runs on, for a task with a fixed stack of its own (a thread, a coroutine); `None`
    /// for stackless tasks, and for goroutines, whose stacks grow.
    fn stack(&self) -> Option<TaskStack> {
        None
    }
    /// The time of `n · laps` hand-offs round a ring of `n` tasks ([`switch`]); an error for a model that
    /// cannot run one.
    fn run_handoff(&self, n: usize, laps: usize) -> Result<Duration> {
        let _ = (n, laps);
        bail!("{} runs no hand-off ring", self.name())
    }
    /// The time until `n` tasks have each yielded `yields` times ([`switch`]); an error for a model that
    /// cannot yield.
    fn run_yield(&self, n: usize, yields: usize) -> Result<Duration> {
        let _ = (n, yields);
        bail!("{} has no yield", self.name())
    }
    /// The child probe that measures this model, as built: a hash of its source and the toolchain's version
    /// (recorded with every cell, [`crate::provenance::Build::probe`]); `None` for models measured in this
    /// process, and for a probe that could not be built.
    fn probe_build(&self) -> Option<ProbeBuild> {
        None
    }
}

/// A task's own stack: its size, and how a user gets a bigger one (for the line that skips a state it cannot
/// hold).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskStack {
    pub bytes: u64,
    pub bigger: String,
}

/// The state sizes `K` of the state groups: bytes each parked task holds across its park point. `0` is the
/// same body holding nothing, the base every other size is read against.
pub const STATE_SIZES: [usize; 5] = [0, 64, 512, 4096, 16384];

/// Stack a task needs to hold `k` bytes on it: the state may be built and then moved (two copies), and the
/// body's own frames (the parked body uses about 1.1 KiB of a may stack in a release build) get 2 KiB.
pub const fn stack_to_hold(k: usize) -> u64 {
    2 * k as u64 + 2048
}

/// `Ok` when `model`'s tasks can hold `k` bytes; else the reason, naming the stack and how to get a bigger one.
pub fn state_fits(model: &dyn TaskModel, k: usize) -> Result<(), String> {
    stack_fits(model.name(), model.stack().as_ref(), k)
}

/// [`state_fits`] for the tasks of the row `name`, whose stack is `stack` (`None`: stackless, or growing).
pub fn stack_fits(name: &str, stack: Option<&TaskStack>, k: usize) -> Result<(), String> {
    match stack {
        Some(stack) if stack_to_hold(k) > stack.bytes => Err(format!(
            "holding {k} B on a task's stack needs 2·K + 2 KiB = {} B (the state may be built, then moved: two \
             copies), but a {name} task's stack is {} B; {}",
            stack_to_hold(k),
            stack.bytes,
            stack.bigger
        )),
        _ => Ok(()),
    }
}

/// What differs between the Rust models: how a model starts, spawns one task running a harness-given
/// [`Body`], and joins. The experiments are generic over it, so every model runs them the same way.
pub trait Runtime: Sync + 'static {
    /// What spawning and joining need of the started model (a handle to the runtime, a stack size). `Copy`
    /// and `'static`, so that a spawn loop can take it into a task on the runtime ([`Runtime::at_spawn_site`]).
    type Started: Copy + Send + 'static;
    /// A spawned task's handle.
    type Handle: Send + 'static;
    /// Where this model's blocking tasks wait at the park point; async tasks always await the gate.
    type Park: ParkPoint;

    /// See [`TaskModel::name`].
    fn name(&self) -> &'static str;
    /// See [`TaskModel::config`].
    fn config(&self) -> String;
    /// See [`TaskModel::caveat`].
    fn caveat(&self) -> Option<&'static str> {
        None
    }
    /// See [`TaskModel::spawn_site`]; it must say where [`Runtime::at_spawn_site`] runs the spawn loop.
    fn spawn_site(&self) -> SpawnSite {
        SpawnSite::Outside
    }
    /// See [`TaskModel::needs`].
    fn needs(&self) -> Needs {
        Needs::STACKLESS
    }
    /// See [`TaskModel::available`].
    fn available(&self) -> Result<(), String> {
        Ok(())
    }
    /// What each parked task holds across its park point.
    fn payload(&self) -> Payload {
        Payload::None
    }
    /// See [`TaskModel::stack`].
    fn stack(&self) -> Option<TaskStack> {
        None
    }
    /// Builds and starts the model on first use and returns what spawns need. Called before every run,
    /// before the memory baseline and outside every clock.
    fn start(&self) -> Result<Self::Started>;
    /// Starts one task running `body`: its future on a stackless runtime, [`Body::run`] on a thread or
    /// coroutine.
    fn spawn(on: Self::Started, body: impl Body) -> Result<Self::Handle>;
    /// Waits until every task in `handles` has ended.
    fn join(on: Self::Started, handles: Vec<Self::Handle>) -> Result<()>;
    /// Runs a spawn loop where this model spawns from: this thread unless the model spawns from inside.
    fn at_spawn_site<T: Send + 'static>(
        _on: Self::Started,
        spawn_loop: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T> {
        Ok(spawn_loop())
    }
    /// The model's own yield to its scheduler, for its stackless tasks (the yield experiment); a future that
    /// wakes itself once and returns `Pending` unless the runtime has its own.
    fn yield_now() -> impl std::future::Future<Output = ()> + Send {
        futures_lite::future::yield_now()
    }
    /// Blocks until `tally` reaches `n`, failing after [`wait_limit`]. A model whose tasks run only while
    /// it is driven (tokio-ct) drives itself here.
    fn wait(_on: Self::Started, tally: &Tally, n: usize) -> Result<()> {
        tally.wait(n, wait_limit(n))
    }
}

impl<R: Runtime> TaskModel for R {
    fn name(&self) -> &'static str {
        Runtime::name(self)
    }
    fn config(&self) -> String {
        Runtime::config(self)
    }
    fn caveat(&self) -> Option<&'static str> {
        Runtime::caveat(self)
    }
    fn spawn_site(&self) -> SpawnSite {
        Runtime::spawn_site(self)
    }
    fn needs(&self) -> Needs {
        Runtime::needs(self)
    }
    fn available(&self) -> Result<(), String> {
        Runtime::available(self)
    }
    fn run_parked(&self, n: usize, observer: &mut dyn Observer) -> Result<ParkedRun> {
        match self.payload() {
            Payload::None => parked_experiment(self, n, observer, |rv, park| Parked { rv, park }),
            Payload::Inline1KiB => parked_experiment(self, n, observer, Holding::<_, Inline<1024>>::new),
            Payload::Heap4KiB => parked_experiment(self, n, observer, Holding::<_, Heap<4096>>::new),
        }
    }
    fn run_spawn_join(&self, n: usize) -> Result<Duration> {
        spawn_join_experiment(self, n)
    }
    fn run_handoff(&self, n: usize, laps: usize) -> Result<Duration> {
        switch::handoff_experiment(self, n, laps)
    }
    fn run_yield(&self, n: usize, yields: usize) -> Result<Duration> {
        switch::yield_experiment(self, n, yields)
    }
    fn run_holding(&self, n: usize, k: usize, observer: &mut dyn Observer) -> Result<ParkedRun> {
        state_fits(self, k).map_err(|why| anyhow!(why))?;
        fn holding<R: Runtime, const K: usize>(model: &R, n: usize, observer: &mut dyn Observer) -> Result<ParkedRun> {
            parked_experiment(model, n, observer, Holding::<_, Inline<K>>::new)
        }
        // One body per size, typed at compile time, so the state is a plain array in the future or the frame.
        match k {
            0 => holding::<R, 0>(self, n, observer),
            64 => holding::<R, 64>(self, n, observer),
            512 => holding::<R, 512>(self, n, observer),
            4096 => holding::<R, 4096>(self, n, observer),
            16384 => holding::<R, 16384>(self, n, observer),
            _ => bail!("{k} B is not one of the state sizes {STATE_SIZES:?}"),
        }
    }
    fn stack(&self) -> Option<TaskStack> {
        Runtime::stack(self)
    }
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

/// Every model this build knows, in report order. Each line is one row of every group; a configuration
/// variant is one more line.
pub fn registry() -> Vec<&'static dyn TaskModel> {
    static MODELS: LazyLock<Vec<&'static dyn TaskModel>> = LazyLock::new(|| {
        vec![
            leak(thread::Thread { name: "thread", stack: None }),
            leak(thread::Thread { name: "thread-16k", stack: Some(16 << 10) }),
            leak(tokio_mt::TokioMt::<false>::new("tokio-mt")),
            leak(tokio_mt::TokioMt::<true>::new("tokio-mt-inside")),
            leak(tokio_ct::TokioCt::default()),
            leak(tokio_local::TokioLocal),
            leak(async_std::AsyncStd),
            leak(smol::Smol::default()),
            leak(smol_local::SmolLocal),
            leak(futures_pool::FuturesPool::default()),
            leak(compio::CompioModel),
            leak(may::May { name: "may", stack_bytes: may::DEFAULT_STACK_BYTES }),
            leak(may::May { name: "may-4k", stack_bytes: 4 << 10 }),
            leak(floor::Floor { name: "floor", payload: Payload::None }),
            &goroutine::MODEL,
            &probe::java::MODEL,
            &probe::erlang::MODEL,
        ]
    });
    MODELS.clone()
}

/// Calibration controls for the memory groups: the floor task holding a known payload, whose excess over
/// the plain floor must measure as that payload.
pub fn controls() -> Vec<&'static dyn TaskModel> {
    static CONTROLS: LazyLock<Vec<&'static dyn TaskModel>> = LazyLock::new(|| {
        vec![
            leak(floor::Floor { name: "floor-1KiB-inline", payload: Payload::Inline1KiB }),
            leak(floor::Floor { name: "floor-4KiB-heap", payload: Payload::Heap4KiB }),
        ]
    });
    CONTROLS.clone()
}

/// The model or control called `name`, if this build has it.
pub fn by_name(name: &str) -> Option<&'static dyn TaskModel> {
    registry().into_iter().chain(controls()).find(|m| m.name() == name)
}

/// What [`TaskModel::run_parked`] measured.
#[derive(Debug, Clone, Copy)]
pub struct ParkedRun {
    /// Time of the spawn loop alone (n spawns), taken around the same loop for every model.
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

/// A spawn loop's handles (from [`handle_storage`], before any baseline, so their storage is neither timed
/// nor counted), and when the loop started and how long it took, or the error that stopped it.
type Spawned<H> = (Vec<H>, Result<(Instant, Duration)>);

/// Spawns `n` tasks running `body()` at the model's spawn site, pushing their handles into `handles`. The
/// vector travels to the spawn site and back, so it is never regrown.
pub(crate) fn spawn_loop<R: Runtime, B: Body>(
    on: R::Started,
    n: usize,
    mut handles: Vec<R::Handle>,
    body: impl Fn() -> B + Send + 'static,
) -> Result<Spawned<R::Handle>> {
    R::at_spawn_site(on, move || {
        let start = Instant::now();
        let spawned = spawn_all::<R, B>(on, n, &mut handles, &body);
        let took = start.elapsed();
        (handles, spawned.map(|()| (start, took)))
    })
}

/// The spawn loop itself, a function of its own that is never inlined, so that an instruction counter can
/// count exactly its instructions by name ([`crate::measure::instructions::SPAWN_LOOP`]).
#[inline(never)]
pub fn spawn_all<R: Runtime, B: Body>(
    on: R::Started,
    n: usize,
    handles: &mut Vec<R::Handle>,
    body: &impl Fn() -> B,
) -> Result<()> {
    for _ in 0..n {
        handles.push(R::spawn(on, body())?);
    }
    Ok(())
}

/// The parked experiment: `n` tasks running `body(rv, park)`, which park until the run releases them.
pub(crate) fn parked_experiment<R: Runtime, B: Body>(
    model: &R,
    n: usize,
    observer: &mut dyn Observer,
    body: fn(&'static Rendezvous, R::Park) -> B,
) -> Result<ParkedRun> {
    let on = model.start()?;
    let rv = leak(Rendezvous::new());
    let park = R::Park::for_run();
    let handles = handle_storage(n);
    observer.before_spawn(&ThisProcess)?;
    // A spawn site that failed as a whole (the spawning task panicked) returns no handles to join.
    let (handles, spawned) =
        spawn_loop::<R, B>(on, n, handles, move || body(rv, park)).unwrap_or_else(|e| (Vec::new(), Err(e)));
    let spawn_time = match spawned {
        Ok((_, took)) => took,
        Err(e) => {
            park.release(rv);
            let _ = R::wait(on, &rv.finished, handles.len());
            let _ = R::join(on, handles);
            return Err(e.context(format!("spawn failed after {} of {n} tasks", rv.arrived.count())));
        }
    };
    let parked = R::wait(on, &rv.arrived, n).and_then(|()| rv.all_parked(n));
    let observed = match parked {
        Ok(()) => observer.all_parked(&ThisProcess),
        Err(e) => Err(e.context("not every task parked")),
    };
    park.release(rv);
    R::wait(on, &rv.finished, n)?;
    R::join(on, handles)?;
    observed?;
    rv.check(n)?;
    Ok(ParkedRun { spawn_time, parked: n })
}

/// The spawn-join experiment: the clock covers the spawn loop and the wait until all `n` trivial tasks have
/// run; joining the handles happens after the clock stops.
pub(crate) fn spawn_join_experiment<R: Runtime>(model: &R, n: usize) -> Result<Duration> {
    let on = model.start()?;
    let done = leak(Tally::new());
    let handles = handle_storage(n);
    let (handles, spawned) = spawn_loop::<R, Trivial>(on, n, handles, move || Trivial(done))?;
    let (start, _) = spawned?;
    R::wait(on, done, n)?;
    let elapsed = start.elapsed();
    R::join(on, handles)?;
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
