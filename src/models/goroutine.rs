//! `goroutine`: Go's goroutines, run by a small Go program (`scripts/goroutine/main.go`, standard library
//! only) that this module builds on first use and drives over a line protocol on its stdin and stdout.
//!
//! What is measured, all inside the Go process with Go's own clock and `runtime.MemStats`:
//! - `run_parked`: the time of the `go parkOne()` loop alone; then, once every goroutine has counted itself
//!   and blocked on a shared channel, `HeapAlloc` and `StackInuse` after `runtime.GC()`, handed to the
//!   observer with the child's pid (the observer reads the child's RSS itself). `StackInuse` is not part of
//!   `HeapAlloc`: goroutine stacks are only in the stack figure, their `g` structs and channel waiters
//!   (`sudog`s) only in the heap figure.
//! - `run_holding`: `run_parked` with every goroutine holding a `[K]byte` array on its stack, written before
//!   it blocks and read after (the probe's `hold=K`), so its stack grows as Go grows stacks: by doubling.
//! - `run_spawn_join`: the spawn loop plus the wait until every trivial goroutine has run, like the Rust side.
//! - `run_handoff` and `run_yield`: the switch experiments ([`super::switch`]) inside the probe: a ring of
//!   goroutines with an unbuffered channel per link (the token is the hand-off's sequence number, checked by
//!   each receiver), and goroutines calling `runtime.Gosched()`; timed by Go's clock, counts checked here.
//! - [`seed_method_bytes_per_goroutine`]: the origin blog post's method, reproduced exactly in a fresh process:
//!   `MemStats.Alloc` before and after `wg.Wait()`, no GC forced. It reads memory after the goroutines have
//!   exited, so it measures what dead goroutines leave in the heap, not what a live one costs; it is reported
//!   as its own row so the difference can be seen.
//!
//! What is not measured: the goroutines' share of the Go runtime's fixed cost (the baseline is taken after the
//! runtime is up and collected), and anything a goroutine would hold beyond blocking on a channel (and, in
//! `run_holding`, its array).
//!
//! A `run_parked` whose observer reads memory runs in a fresh Go process, started before the baseline and
//! outside every clock; timing-only runs (the `spawn` group) use the long-lived process, warm like every
//! other model. In a reused process the readings depend on what ran before: `g` structs are never freed and are reused by later
//! goroutines (the heap delta falls from ~520 B to ~100 B per goroutine), and since go1.19 the starting stack
//! size adapts to the stacks scanned at the previous GC (stacks grow from 2 KiB to 4 KiB from the second run
//! on). `run_spawn_join` and the switch experiments also reuse the long-lived process.
//!
//! The probe itself (building it, the process and its protocol) is in `probe.rs` beside this file.

mod probe;

use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use anyhow::{anyhow, bail, Result};

pub use self::probe::{available_with_path, find_go, GO_MISSING};
use self::probe::{build_probe, find_toolchain, Child, Hello, Probe, Reply, Toolchain};
use super::{wait_limit, MemorySource, Observer, ParkedRun, SpawnSite, TaskModel, STATE_SIZES};
use crate::limits::Needs;
use crate::provenance::ProbeBuild;

pub struct Goroutine {
    toolchain: OnceLock<Result<Toolchain, String>>,
    probe: OnceLock<Result<Probe, String>>,
    /// The long-lived probe `run_spawn_join` and `config` talk to; replaced when it fails.
    server: Mutex<Option<Child>>,
}

pub static MODEL: Goroutine = Goroutine::new();

impl Goroutine {
    pub const fn new() -> Self {
        Self { toolchain: OnceLock::new(), probe: OnceLock::new(), server: Mutex::new(None) }
    }

    fn toolchain(&self) -> Result<&Toolchain, String> {
        self.toolchain
            .get_or_init(|| find_toolchain(&std::env::var_os("PATH").unwrap_or_default()))
            .as_ref()
            .map_err(Clone::clone)
    }

    fn probe(&self) -> Result<&Probe, String> {
        self.probe.get_or_init(|| build_probe(self.toolchain()?)).as_ref().map_err(Clone::clone)
    }

    /// Runs `f` on the long-lived probe, starting it if needed; a probe that failed is dropped (killed).
    fn with_server<T>(&self, f: impl FnOnce(&mut Child) -> Result<T>) -> Result<T> {
        let probe = self.probe().map_err(|e| anyhow!(e))?;
        let mut server = self.server.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if server.is_none() {
            *server = Some(Child::start(&probe.binary)?);
        }
        let child = server.as_mut().expect("started above");
        let result = f(child);
        if child.broken {
            *server = None;
        }
        result
    }

    fn hello(&self) -> Result<Hello> {
        self.with_server(|c| Ok(c.hello.clone()))
    }
}

impl Goroutine {
    /// The parked experiment, each goroutine holding `hold` bytes on its stack when asked.
    fn parked_holding(&self, n: usize, hold: Option<usize>, observer: &mut dyn Observer) -> Result<ParkedRun> {
        if !observer.reads_memory() {
            // A timing run: the warm, reused process, as every other model is timed warm.
            return self.with_server(|c| parked(c, n, hold, observer));
        }
        let probe = self.probe().map_err(|e| anyhow!(e))?;
        // A memory run: a fresh process each time; see the module docs for what a reused one gets wrong.
        let mut child = Child::start(&probe.binary)?;
        parked(&mut child, n, hold, observer)
    }
}

impl Default for Goroutine {
    fn default() -> Self {
        Self::new()
    }
}

impl TaskModel for Goroutine {
    fn name(&self) -> &'static str {
        "goroutine"
    }

    fn config(&self) -> String {
        let hash = self.probe().map(|p| p.build.hash.clone()).unwrap_or_default();
        match self.hello() {
            Ok(h) => format!(
                "{}, GOMAXPROCS={}, GODEBUG={}, child process (probe {hash}), fresh process per memory reading",
                h.go,
                h.gomaxprocs,
                if h.godebug == "-" { "unset" } else { &h.godebug }
            ),
            Err(e) => format!("unavailable: {e:#}"),
        }
    }

    fn caveat(&self) -> Option<&'static str> {
        Some("a separate Go process: Go's clock and MemStats; heap is HeapAlloc, goroutine stacks are only in StackInuse")
    }

    fn spawn_site(&self) -> SpawnSite {
        SpawnSite::Inside
    }

    fn needs(&self) -> Needs {
        // Measured ~2.7 KB of RSS per parked goroutine (2 KiB stack, ~520 B heap); 8 KiB leaves room for the
        // 4 KiB stacks that go1.19's adaptive stack start can choose.
        Needs { maps_per_task: 0, threads_per_task: 0, bytes_per_task: 8 << 10, in_child_process: true }
    }

    fn warm_up_tasks(&self) -> usize {
        // The probe's runtime is up once it says hello; goroutines spawned first would leave exited `g`s for
        // the cold burst to recycle.
        0
    }

    fn available(&self) -> Result<(), String> {
        self.probe().map(|_| ())
    }

    fn probe_build(&self) -> Option<ProbeBuild> {
        self.probe().ok().map(|p| p.build.clone())
    }

    fn run_parked(&self, n: usize, observer: &mut dyn Observer) -> Result<ParkedRun> {
        self.parked_holding(n, None, observer)
    }

    fn run_holding(&self, n: usize, k: usize, observer: &mut dyn Observer) -> Result<ParkedRun> {
        if !STATE_SIZES.contains(&k) {
            bail!("{k} B is not one of the state sizes {STATE_SIZES:?}");
        }
        self.parked_holding(n, Some(k), observer)
    }

    fn run_spawn_join(&self, n: usize) -> Result<Duration> {
        let limit = wait_limit(n);
        self.with_server(|c| {
            let r = c.request(&format!("spawn_join {n} limit_ms={}", child_limit_ms(limit)), "spawn_join", limit)?;
            let finished = r.num("finished")?;
            if finished != n as u64 {
                c.broken = true;
                bail!("{finished} trivial goroutines ran, expected exactly {n}");
            }
            Ok(Duration::from_nanos(r.num("ns")?))
        })
    }

    fn run_handoff(&self, n: usize, laps: usize) -> Result<Duration> {
        let limit = wait_limit(n * laps);
        self.with_server(|c| {
            let ask = format!("handoff {n} laps={laps} limit_ms={}", child_limit_ms(limit));
            let r = c.request(&ask, "handoff", limit)?;
            let (made, out_of_order, finished) = (r.num("handoffs")?, r.num("out_of_order")?, r.num("finished")?);
            if made != (n * laps) as u64 || out_of_order != 0 || finished != n as u64 {
                c.broken = true;
                bail!(
                    "a ring of {n} goroutines, {laps} laps: expected exactly {} hand-offs in ring order; {made} \
                     happened, {out_of_order} of them out of order, and {finished} of {n} goroutines finished",
                    n * laps
                );
            }
            Ok(Duration::from_nanos(r.num("ns")?))
        })
    }

    fn run_yield(&self, n: usize, yields: usize) -> Result<Duration> {
        let limit = wait_limit(n * yields);
        self.with_server(|c| {
            let r =
                c.request(&format!("yield {n} yields={yields} limit_ms={}", child_limit_ms(limit)), "yield", limit)?;
            let (count, finished) = (r.num("yields")?, r.num("finished")?);
            if count != (n * yields) as u64 || finished != n as u64 {
                c.broken = true;
                bail!("expected {n} goroutines to yield {yields} times each; {finished} finished, {count} yields");
            }
            Ok(Duration::from_nanos(r.num("ns")?))
        })
    }
}

/// Memory figures of the child process, as the probe read them.
struct ChildMemory {
    heap: u64,
    stack: u64,
    pid: u32,
}

impl MemorySource for ChildMemory {
    fn heap_bytes(&self) -> Option<u64> {
        Some(self.heap)
    }
    fn stack_bytes(&self) -> Option<u64> {
        Some(self.stack)
    }
    fn pid(&self) -> Option<u32> {
        Some(self.pid)
    }
}

fn parked(child: &mut Child, n: usize, hold: Option<usize>, observer: &mut dyn Observer) -> Result<ParkedRun> {
    let limit = wait_limit(n);
    let pid = child.hello.pid;
    let memory =
        |r: &Reply| -> Result<ChildMemory> { Ok(ChildMemory { heap: r.num("heap")?, stack: r.num("stack")?, pid }) };

    let asked = hold.map(|k| format!(" hold={k}")).unwrap_or_default();
    let base = child.request(&format!("parked {n} limit_ms={}{asked}", child_limit_ms(limit)), "baseline", limit)?;
    if let Err(e) = observer.before_spawn(&memory(&base)?) {
        // The observer's error is the one to report; the probe is dropped (killed) either way.
        let _ = child.request("abort", "aborted", limit);
        return Err(e);
    }
    // A timing run skips the probe's memory reading: its runtime.GC() scans every live stack.
    let spawn = if observer.reads_memory() { "spawn" } else { "spawn nomem" };
    let parked = child.request(spawn, "parked", limit)?;
    let arrived = parked.num("arrived")?;
    let observed = if arrived == n as u64 {
        observer.all_parked(&memory(&parked)?)
    } else {
        Err(anyhow!("{arrived} goroutines parked, expected exactly {n}"))
    };
    let joined = child.request("release", "joined", limit)?;
    observed?;
    let finished = joined.num("finished")?;
    if finished != n as u64 {
        bail!("expected exactly {n} goroutines; {arrived} parked and {finished} finished");
    }
    // Every goroutine read back its whole array after the park point: the state was held, not dropped.
    if let Some(k) = hold {
        let (read, expected) = (joined.num("held")?, (n * k) as u64 * HELD_BYTE);
        if read != expected {
            bail!("{n} goroutines holding {k} B read back {read} in all after release, expected {expected}");
        }
    }
    Ok(ParkedRun { spawn_time: Duration::from_nanos(parked.num("spawn_ns")?), parked: n })
}

/// The byte the probe's holding goroutines fill their arrays with.
const HELD_BYTE: u64 = 0x5a;

/// The probe's own bound on a wait: a little under ours, so that its error line arrives before our timeout.
fn child_limit_ms(limit: Duration) -> u128 {
    (limit.as_millis() * 9 / 10).max(1)
}

/// What the seed method's process takes: N goroutines that may all be alive at once, in a child process.
pub const CHILD_NEEDS: Needs =
    Needs { maps_per_task: 0, threads_per_task: 0, bytes_per_task: 8 << 10, in_child_process: true };

/// What the origin post's method printed for one fresh process: `MemStats.Alloc` before spawning and after
/// `wg.Wait()`, in bytes.
///
/// `after - before` can be negative or zero (a GC may run while the goroutines spawn, and they have all exited
/// when `after` is read), so the raw numbers are returned and the caller decides how to show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedReading {
    pub n: usize,
    pub before: u64,
    pub after: u64,
    /// Goroutines that ran `wg.Done()`: always `n` when the reading exists (the probe's `wg.Wait()` returned).
    pub finished: usize,
}

impl SeedReading {
    /// `(after - before) / n`, what the post reports as memory per goroutine; may be negative.
    pub fn bytes_per_goroutine(&self) -> f64 {
        (self.after as f64 - self.before as f64) / self.n.max(1) as f64
    }
}

/// Runs the origin post's program (`goroutine-probe seed N`) once, in a fresh process as the post did.
pub fn seed_method_bytes_per_goroutine(n: usize) -> Result<SeedReading> {
    let probe = MODEL.probe().map_err(|e| anyhow!(e))?;
    let limit = wait_limit(n);
    let request = format!("goroutine-probe seed {n}");
    let mut child = Child::spawn(Command::new(&probe.binary).arg("seed").arg(n.to_string()).stdin(Stdio::null()))?;
    let mut line = |expect: &str| -> Result<Reply> {
        let r = child.read_reply(&request, limit)?;
        if r.word != expect {
            bail!("`{request}`: expected a `{expect}` line, got `{}`", r.line);
        }
        Ok(r)
    };
    let before = line("seed")?;
    let after = line("seed")?;
    let reading = SeedReading {
        n,
        before: before.num("before")?,
        after: after.num("after")?,
        finished: after.num("finished")? as usize,
    };
    if reading.finished != n {
        bail!("`{request}`: {} goroutines finished, expected exactly {n}", reading.finished);
    }
    Ok(reading)
}
