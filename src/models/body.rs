//! The task bodies, typed once: every model runs exactly these, so differences between models come from the
//! models. Each body has an async form (stackless models spawn it as a future) and a blocking form (threads
//! and coroutines run it on their own stack).
//!
//! - [`Parked`]: waits at the park point until the harness releases it, counted on the way in and out.
//! - [`Holding`]: [`Parked`] holding a [`State`] across the park point, written before and read after so it
//!   is resident (the calibration controls; any size of state a model should carry).
//! - [`Trivial`]: counts itself and returns.

use std::future::Future;
use std::hint::black_box;
use std::marker::PhantomData;

use std::task::Waker;

use super::switch::Baton;
use crate::gate::{Rendezvous, Tally};

/// A task's body, given by the harness.
pub trait Body: Send + 'static {
    /// The body as a future, for stackless models. Parking awaits the gate.
    fn into_future(self) -> impl Future<Output = ()> + Send + 'static;
    /// The body run on the task's own stack, for threads and coroutines. Parking blocks at a [`ParkPoint`].
    fn run(self);
}

/// Where a blocking task (a thread, a coroutine) waits at the park point, made fresh for each run.
pub trait ParkPoint: Copy + Send + Sync + 'static {
    /// The park point of one run, made before the memory baseline.
    fn for_run() -> Self;
    /// The blocking form of [`Rendezvous::park`]: counts the task in `rv.arrived` once it waits, blocks until
    /// released, then counts it in `rv.finished`.
    fn park(self, rv: &Rendezvous);
    /// Releases every task parked here.
    fn release(self, rv: &Rendezvous);
    /// Blocks until `baton` is passed, and takes it (the hand-off experiment, [`super::switch`]). Threads wait
    /// on the baton's own notification; a model whose tasks must not block their worker parks its own way,
    /// keeping what it needs for that across a task's waits in `waker`.
    fn wait_for(self, baton: &Baton, waker: &mut Option<Waker>) {
        let _ = waker;
        baton.take_blocking();
    }
    /// Yields to the scheduler (the yield experiment): `sched_yield` for a thread.
    fn yield_now(self) {
        std::thread::yield_now();
    }
}

/// The run's gate: every async task awaits it, and threads block on it.
#[derive(Debug, Clone, Copy)]
pub struct OnGate;

impl ParkPoint for OnGate {
    fn for_run() -> Self {
        OnGate
    }
    fn park(self, rv: &Rendezvous) {
        rv.park_blocking();
    }
    fn release(self, rv: &Rendezvous) {
        rv.gate.open();
    }
}

/// A task that parks until released.
#[derive(Clone, Copy)]
pub struct Parked<P> {
    pub rv: &'static Rendezvous,
    pub park: P,
}

impl<P: ParkPoint> Body for Parked<P> {
    fn into_future(self) -> impl Future<Output = ()> + Send + 'static {
        // Only `rv` is captured: the park point is for blocking tasks, and would add to every future.
        let rv = self.rv;
        async move { rv.park().await }
    }
    fn run(self) {
        self.park.park(self.rv);
    }
}

/// A task that parks holding an `S` across its park point.
pub struct Holding<P, S> {
    pub rv: &'static Rendezvous,
    pub park: P,
    held: PhantomData<fn() -> S>,
}

impl<P, S> Holding<P, S> {
    pub fn new(rv: &'static Rendezvous, park: P) -> Self {
        Self { rv, park, held: PhantomData }
    }
}

impl<P: ParkPoint, S: State> Body for Holding<P, S> {
    fn into_future(self) -> impl Future<Output = ()> + Send + 'static {
        let rv = self.rv;
        // Made inside the future, so that it is held once, in the future's own state.
        async move {
            let held = black_box(S::fill());
            rv.park().await;
            black_box(&held);
        }
    }
    fn run(self) {
        let held = black_box(S::fill());
        self.park.park(self.rv);
        black_box(&held);
    }
}

/// What a [`Holding`] task holds.
pub trait State: Send + 'static {
    fn fill() -> Self;
}

/// `K` bytes inside the task (its future, or its stack).
pub struct Inline<const K: usize>(pub [u8; K]);

impl<const K: usize> State for Inline<K> {
    fn fill() -> Self {
        Inline([0x5a; K])
    }
}

/// A `K`-byte heap buffer; the `Vec`'s 24-byte header lives in the task.
pub struct Heap<const K: usize>(pub Vec<u8>);

impl<const K: usize> State for Heap<K> {
    fn fill() -> Self {
        Heap(vec![0x5a; K])
    }
}

/// A task that counts itself in a tally and returns.
#[derive(Clone, Copy)]
pub struct Trivial(pub &'static Tally);

impl Body for Trivial {
    fn into_future(self) -> impl Future<Output = ()> + Send + 'static {
        let done = self.0;
        async move { done.add() }
    }
    fn run(self) {
        self.0.add();
    }
}

/// What a model's parked tasks hold across their park point, besides their gate state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload {
    None,
    /// A 1024-byte array inside the task ([`Inline<1024>`]).
    Inline1KiB,
    /// A 4096-byte heap buffer ([`Heap<4096>`]).
    Heap4KiB,
}

impl Payload {
    /// The bytes the payload adds to a task, as allocated: what calibration must measure.
    pub const fn bytes(self) -> usize {
        match self {
            Payload::None => 0,
            Payload::Inline1KiB => 1024,
            Payload::Heap4KiB => 4096,
        }
    }
}
