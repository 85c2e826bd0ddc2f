//! The runtime-agnostic gate every async model parks on, and the tallies that count arrivals.
//!
//! A parked task registers a listener on the gate's [`Event`], counts itself as arrived, and waits until the gate
//! opens. The listener is built with `event_listener::listener!`, so it lives inside the task's own future (or
//! the thread's stack): the gate allocates nothing per waiter. What it does cost per waiter is one intrusive
//! list node inside the task: [`park_future_bytes`] reports the size of the whole parking future on this
//! build, and the memory figures include it for every model that parks on the gate. Threads wait on the same gate, blocking. `may` coroutines cannot block a worker
//! thread, so they park on may's own `SyncFlag` instead (see `models::may`).
//!
//! Because a task counts itself only after its listener is registered, `arrived == n` means every task is
//! alive with its waiting state allocated; the main thread then reads memory.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use crossbeam_utils::CachePadded;
use event_listener::{listener, Event, Listener};

/// Bytes a parked async task holds for the gate: the size of the [`Gate::park`] future, listener included.
pub fn park_future_bytes() -> usize {
    let (gate, tally) = (Gate::new(), Tally::new());
    let future = gate.park(&tally);
    std::mem::size_of_val(&future)
}

/// A one-shot gate: closed until [`Gate::open`], then open for good.
#[derive(Default)]
pub struct Gate {
    open: AtomicBool,
    event: Event,
}

impl Gate {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn is_open(&self) -> bool {
        self.open.load(Ordering::SeqCst)
    }

    /// Opens the gate and wakes every waiter.
    pub fn open(&self) {
        self.open.store(true, Ordering::SeqCst);
        self.event.notify(usize::MAX);
    }

    /// Registers as a waiter, counts this task in `arrived` once, and waits until the gate opens.
    pub async fn park(&self, arrived: &Tally) {
        let mut counted = false;
        loop {
            listener!(self.event => waiter);
            if !counted {
                arrived.add();
                counted = true;
            }
            if self.is_open() {
                return;
            }
            // Only `open` notifies, so one wake means open; the loop guards against a stray wake all the same.
            waiter.await;
        }
    }

    /// [`Gate::park`] for a thread: blocks the calling thread.
    pub fn park_blocking(&self, arrived: &Tally) {
        // event-listener allocates a thread's parker on its first blocking wait. Waiting once with a deadline
        // already passed makes that allocation before the thread counts itself, so `arrived == n` means every
        // thread's waiting state exists, as it does for a task; otherwise a reading would catch some threads
        // before their parker and some after.
        listener!(self.event => first);
        let _ = first.wait_deadline(Instant::now());
        let mut counted = false;
        loop {
            listener!(self.event => waiter);
            if !counted {
                arrived.add();
                counted = true;
            }
            if self.is_open() {
                return;
            }
            waiter.wait();
        }
    }
}

/// A counter that a waiter can block on until it reaches a target.
pub struct Tally {
    // On a cache line of its own: the tasks write it, and nothing else the spawn loop or a waiter touches
    // may share that line (false sharing would charge the harness to the runtime).
    count: CachePadded<AtomicUsize>,
    // The count a waiter is blocked on; `add` notifies only when it is reached, so counting stays cheap.
    awaited: AtomicUsize,
    reached_target: Event,
}

impl Tally {
    pub fn new() -> Self {
        Self {
            count: CachePadded::new(AtomicUsize::new(0)),
            awaited: AtomicUsize::new(usize::MAX),
            reached_target: Event::new(),
        }
    }

    pub fn count(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }

    /// Counts one.
    pub fn add(&self) {
        self.add_many(1);
    }

    /// Counts `k`.
    pub fn add_many(&self, k: usize) {
        let now = self.count.fetch_add(k, Ordering::SeqCst) + k;
        if now >= self.awaited.load(Ordering::SeqCst) {
            self.reached_target.notify(usize::MAX);
        }
    }

    /// Blocks until the count reaches `target`, or fails after `limit` naming how far it got.
    pub fn wait(&self, target: usize, limit: Duration) -> Result<()> {
        let deadline = Instant::now() + limit;
        self.awaited.store(target, Ordering::SeqCst);
        loop {
            if self.count() >= target {
                return Ok(());
            }
            listener!(self.reached_target => waiter);
            if self.count() >= target {
                return Ok(());
            }
            if waiter.wait_deadline(deadline).is_none() && self.count() < target {
                bail!(
                    "timed out after {:.1} s: {} of {target} tasks arrived (a hung or deadlocked runtime?)",
                    limit.as_secs_f64(),
                    self.count()
                );
            }
        }
    }

    /// [`Tally::wait`] for code running inside a runtime; the caller bounds it with its own timer.
    pub async fn reached(&self, target: usize) {
        self.awaited.store(target, Ordering::SeqCst);
        loop {
            if self.count() >= target {
                return;
            }
            listener!(self.reached_target => waiter);
            if self.count() >= target {
                return;
            }
            waiter.await;
        }
    }
}

/// The state shared by one parked experiment: the gate and the two counts that prove every task ran.
pub struct Rendezvous {
    pub gate: Gate,
    /// Tasks alive and parked.
    pub arrived: Tally,
    /// Tasks that passed the gate and finished.
    pub finished: Tally,
}

impl Default for Rendezvous {
    fn default() -> Self {
        Self::new()
    }
}

impl Default for Tally {
    fn default() -> Self {
        Self::new()
    }
}

impl Rendezvous {
    pub fn new() -> Self {
        Self { gate: Gate::new(), arrived: Tally::new(), finished: Tally::new() }
    }

    /// The body of a parked async task.
    pub async fn park(&self) {
        self.gate.park(&self.arrived).await;
        self.finished.add();
    }

    /// The body of a parked thread.
    pub fn park_blocking(&self) {
        self.gate.park_blocking(&self.arrived);
        self.finished.add();
    }

    /// Exactly `n` tasks are parked at once: `n` arrived and none has passed the still-closed gate.
    pub fn all_parked(&self, n: usize) -> Result<()> {
        let (arrived, finished) = (self.arrived.count(), self.finished.count());
        if arrived != n || finished != 0 || self.gate.is_open() {
            bail!("expected exactly {n} tasks parked at once; {arrived} arrived and {finished} already finished");
        }
        Ok(())
    }

    /// Exactly `n` arrived and `n` finished, or an error naming the difference.
    pub fn check(&self, n: usize) -> Result<()> {
        let (arrived, finished) = (self.arrived.count(), self.finished.count());
        if arrived != n || finished != n {
            bail!("expected exactly {n} tasks; {arrived} parked and {finished} finished");
        }
        Ok(())
    }
}
