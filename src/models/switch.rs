//! The third cost of a task: switching to it. Two experiments, written once over every [`Runtime`]:
//!
//! - **hand-off** ([`handoff_experiment`]): `n` tasks in a ring, each waiting for a [`Baton`]; the harness
//!   passes the first, and each task that receives it passes it to the next, until every task has held it
//!   `laps` times. Timed from the first pass until the last task has finished, so one hand-off is one wake of
//!   a waiting task plus the switch to it. The ring is spawned, and every task counted as started, before the
//!   clock.
//! - **yield** ([`yield_experiment`]): `n` tasks, started and waiting at the run's gate, each yield to their
//!   scheduler `yields` times once the gate opens; timed from the gate's opening until every task is done.
//!
//! The baton is the same runtime-agnostic notification for every model (an [`Event`] and a flag): a waiting
//! stackless task registers its runtime's waker and returns `Pending`, so the difference between the async
//! rows comes from their schedulers. A thread blocks on the same notification (a futex wait and wake); a may
//! coroutine parks through may's own park and unpark ([`ParkPoint::wait_for`]). The yield is the model's own
//! ([`Runtime::yield_now`], [`ParkPoint::yield_now`]).
//!
//! Both check the count: every hand-off happened in ring order (the baton carries a sequence number each
//! receiver checks: a skipped link or a wake of the wrong task is counted), the ring made exactly
//! `n · laps` of them, and exactly `n · yields` yields ran. A shortfall is an error, never a number.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use crossbeam_utils::CachePadded;
use event_listener::{listener, Event};

use super::body::{Body, ParkPoint};
use super::{handle_storage, leak, spawn_loop, Runtime};
use crate::gate::{Rendezvous, Tally};

/// A one-slot notification between tasks: [`Baton::pass`] sets it and wakes its waiter, [`Baton::take`] waits
/// until it is set and clears it.
#[derive(Default)]
pub struct Baton {
    ready: AtomicBool,
    event: Event,
}

impl Baton {
    /// Hands the baton over and wakes the task waiting for it (if it waits yet).
    pub fn pass(&self) {
        self.ready.store(true, Ordering::SeqCst);
        self.event.notify(1);
    }

    /// Takes the baton, without waiting, if it has been passed.
    pub fn try_take(&self) -> bool {
        self.ready.swap(false, Ordering::SeqCst)
    }

    /// Waits until the baton is passed, and takes it.
    pub async fn take(&self) {
        loop {
            if self.try_take() {
                return;
            }
            listener!(self.event => waiter);
            if self.try_take() {
                return;
            }
            waiter.await;
        }
    }

    /// [`Baton::take`] for a thread: blocks it.
    pub fn take_blocking(&self) {
        futures_lite::future::block_on(self.take());
    }
}

/// One ring of the hand-off experiment: its batons, the sequence number the baton carries, and the counts.
pub struct Ring {
    batons: Vec<CachePadded<Baton>>,
    laps: usize,
    /// The number of the next hand-off: hand-off `s` must reach task `s % n`.
    sequence: CachePadded<AtomicUsize>,
    /// Hand-offs that reached a task out of ring order (a skipped link, a wake of the wrong task).
    out_of_order: AtomicUsize,
    /// The times each task held the baton, written once as it ends.
    held: Vec<AtomicUsize>,
    /// Tasks started and about to wait for their first baton.
    pub started: Tally,
    /// Tasks that held the baton `laps` times and ended.
    pub finished: Tally,
}

impl Ring {
    pub fn new(n: usize, laps: usize) -> Ring {
        Ring {
            batons: (0..n).map(|_| CachePadded::new(Baton::default())).collect(),
            laps,
            sequence: CachePadded::new(AtomicUsize::new(0)),
            out_of_order: AtomicUsize::new(0),
            held: (0..n).map(|_| AtomicUsize::new(0)).collect(),
            started: Tally::new(),
            finished: Tally::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.batons.len()
    }

    pub fn is_empty(&self) -> bool {
        self.batons.is_empty()
    }

    /// Task `index` holds the baton: checks and advances the sequence, and passes the baton on unless this
    /// was the ring's last hand-off.
    pub fn received(&self, index: usize) {
        let n = self.len();
        let s = self.sequence.load(Ordering::SeqCst);
        if s % n != index {
            self.out_of_order.fetch_add(1, Ordering::SeqCst);
        }
        self.sequence.store(s + 1, Ordering::SeqCst);
        if s + 1 < n * self.laps {
            self.batons[(index + 1) % n].pass();
        }
    }

    /// Task `index` ends, having held the baton `times` times.
    pub fn ended(&self, index: usize, times: usize) {
        self.held[index].store(times, Ordering::SeqCst);
        self.finished.add();
    }

    /// Exactly `n · laps` hand-offs, all in ring order, and every task finished having held the baton `laps`
    /// times; else what differed.
    pub fn check(&self) -> Result<()> {
        let (n, laps) = (self.len(), self.laps);
        let (made, out_of_order, finished) =
            (self.sequence.load(Ordering::SeqCst), self.out_of_order.load(Ordering::SeqCst), self.finished.count());
        let not_held = self.held.iter().filter(|h| h.load(Ordering::SeqCst) != laps).count();
        if made != n * laps || out_of_order != 0 || finished != n || not_held != 0 {
            bail!(
                "a ring of {n} tasks, {laps} laps: expected exactly {} hand-offs in ring order; {made} happened, \
                 {out_of_order} of them out of order; {finished} of {n} tasks finished, {not_held} of them without \
                 holding the baton {laps} times",
                n * laps
            );
        }
        Ok(())
    }
}

/// A task of the ring: waits for its baton, receives it, `laps` times.
pub struct Link<R, P> {
    pub ring: &'static Ring,
    pub index: usize,
    pub park: P,
    runtime: std::marker::PhantomData<fn() -> R>,
}

impl<R: Runtime, P: ParkPoint> Body for Link<R, P> {
    fn into_future(self) -> impl Future<Output = ()> + Send + 'static {
        let (ring, index) = (self.ring, self.index);
        async move {
            ring.started.add();
            let mut held = 0;
            for _ in 0..ring.laps {
                ring.batons[index].take().await;
                ring.received(index);
                held += 1;
            }
            ring.ended(index, held);
        }
    }
    fn run(self) {
        let (ring, index) = (self.ring, self.index);
        ring.started.add();
        let (mut waker, mut held) = (None, 0);
        for _ in 0..ring.laps {
            self.park.wait_for(&ring.batons[index], &mut waker);
            ring.received(index);
            held += 1;
        }
        ring.ended(index, held);
    }
}

/// A task of the yield experiment: waits at the gate, then yields `yields` times, counts its yields and
/// itself as done.
pub struct Yielder<R, P> {
    pub rv: &'static Rendezvous,
    pub yields: usize,
    pub yielded: &'static Tally,
    pub done: &'static Tally,
    pub park: P,
    runtime: std::marker::PhantomData<fn() -> R>,
}

impl<R: Runtime, P: ParkPoint> Body for Yielder<R, P> {
    fn into_future(self) -> impl Future<Output = ()> + Send + 'static {
        let (rv, yields, yielded, done) = (self.rv, self.yields, self.yielded, self.done);
        async move {
            rv.park().await;
            let mut count = 0;
            for _ in 0..yields {
                R::yield_now().await;
                count += 1;
            }
            yielded.add_many(count);
            done.add();
        }
    }
    fn run(self) {
        self.park.park(self.rv);
        let mut count = 0;
        for _ in 0..self.yields {
            self.park.yield_now();
            count += 1;
        }
        self.yielded.add_many(count);
        self.done.add();
    }
}

/// The hand-off experiment (see the module docs): the time of `n · laps` hand-offs round a ring of `n` tasks.
/// A ring that fails to start or stalls is an error; its waiting tasks are left to the cell's process, which
/// ends with that error.
pub(crate) fn handoff_experiment<R: Runtime>(model: &R, n: usize, laps: usize) -> Result<Duration> {
    if n < 2 || laps == 0 {
        bail!("a ring needs at least 2 tasks and one lap; asked for {n} tasks, {laps} laps");
    }
    let on = model.start()?;
    let ring: &'static Ring = leak(Ring::new(n, laps));
    let park = R::Park::for_run();
    let next: &'static AtomicUsize = leak(AtomicUsize::new(0));
    let link = move || Link::<R, R::Park> {
        ring,
        index: next.fetch_add(1, Ordering::Relaxed),
        park,
        runtime: std::marker::PhantomData,
    };
    let (handles, spawned) = spawn_loop::<R, _>(on, n, handle_storage(n), link)?;
    spawned.and_then(|_| R::wait(on, &ring.started, n)).map_err(|e| e.context("the ring did not start"))?;
    let start = Instant::now();
    ring.batons[0].pass();
    let waited = R::wait(on, &ring.finished, n);
    let elapsed = start.elapsed();
    if let Err(e) = waited {
        return Err(e.context(format!(
            "the ring stalled ({})",
            ring.check().err().map_or_else(String::new, |e| e.to_string())
        )));
    }
    R::join(on, handles)?;
    ring.check()?;
    Ok(elapsed)
}

/// The yield experiment (see the module docs): the time until `n` tasks have each yielded `yields` times.
pub(crate) fn yield_experiment<R: Runtime>(model: &R, n: usize, yields: usize) -> Result<Duration> {
    let on = model.start()?;
    let rv: &'static Rendezvous = leak(Rendezvous::new());
    let (yielded, done): (&'static Tally, &'static Tally) = (leak(Tally::new()), leak(Tally::new()));
    let park = R::Park::for_run();
    let body = move || Yielder::<R, R::Park> { rv, yields, yielded, done, park, runtime: std::marker::PhantomData };
    let (handles, spawned) = spawn_loop::<R, _>(on, n, handle_storage(n), body)?;
    let started = spawned.and_then(|_| R::wait(on, &rv.arrived, n));
    // Released even when not every task started, so that the ones that did can end.
    let start = Instant::now();
    park.release(rv);
    let waited = R::wait(on, done, n);
    let elapsed = start.elapsed();
    started.map_err(|e| e.context("the yielding tasks did not start"))?;
    waited?;
    R::join(on, handles)?;
    let (ran, count) = (done.count(), yielded.count());
    if ran != n || count != n * yields {
        bail!(
            "expected {n} tasks to yield {yields} times each ({} yields); {ran} finished, {count} yields",
            n * yields
        );
    }
    Ok(elapsed)
}
