//! `goroutine`: Go's goroutines, run by a small Go program (`scripts/goroutine/main.go`, standard library
//! only) that [`super::probe`] builds on first use and drives over the probe protocol on its stdin and stdout.
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
//! The probe is one of [`super::probe`]'s rows: Go's entry ([`super::probe::go`]) says how to find the toolchain,
//! build the probe and run it; the protocol and the checks of every count are the same for every language.

use std::process::Stdio;

use anyhow::{bail, Result};

pub use super::probe::go::{available_with_path, find_go, GO_MISSING};
use super::probe::{Child, ProbeModel, Reply};
use super::wait_limit;
use crate::limits::Needs;

/// The `goroutine` row.
pub static MODEL: ProbeModel = ProbeModel::new(&super::probe::go::GO);

/// What the seed method's process takes: N goroutines that may all be alive at once, in a child process.
pub const CHILD_NEEDS: Needs = Needs::IN_CHILD_PROCESS;

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
    let mut command = MODEL.command()?;
    let limit = wait_limit(n);
    let request = format!("goroutine-probe seed {n}");
    let mut child = Child::spawn(command.arg("seed").arg(n.to_string()).stdin(Stdio::null()), "goroutine")?;
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
