//! The switch experiments (`models::switch`): every model's ring rotates and its yields are counted, and a
//! model whose hand-off skips a link, or that loses tasks, fails the count instead of giving a number.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::Waker;
use std::thread::JoinHandle;

use anyhow::{anyhow, Result};
use taskbench::gate::Rendezvous;
use taskbench::models::body::{Body, ParkPoint};
use taskbench::models::switch::{Baton, Ring};
use taskbench::models::{registry, Runtime, TaskModel};

/// Stalls end the test in seconds, not the default minute.
fn short_waits() {
    std::env::set_var("TASKBENCH_WAIT_LIMIT_S", "3");
}

/// Fails on: a ring that does not rotate (a task woken out of turn, a lap lost, a task that ends early) or a
/// yield loop that does not count, in any model of the registry.
#[test]
fn every_models_ring_rotates_and_every_yield_is_counted() {
    for model in registry() {
        // One may stack size per process (the second may row is unavailable here), and Go has its own tests.
        if model.available().is_err() || model.name() == "goroutine" {
            continue;
        }
        for (n, laps) in [(2, 5), (3, 4), (7, 4)] {
            let took = model.run_handoff(n, laps).unwrap_or_else(|e| panic!("{}: ring of {n}: {e:#}", model.name()));
            assert!(took.as_nanos() > 0, "{}", model.name());
        }
        model.run_yield(5, 12).unwrap_or_else(|e| panic!("{}: yield: {e:#}", model.name()));
    }
}

/// Fails on: a ring check that passes a ring whose every task finished but one hand-off reached the wrong
/// task, one hand-off never happened, or one task held the baton fewer times than the laps (each case alone,
/// so each clause of the check must catch it).
#[test]
fn a_ring_counts_a_hand_off_out_of_turn() {
    let ring_of_3 = |receivers: &[usize], held: [usize; 3]| {
        let ring = Ring::new(3, 1);
        receivers.iter().for_each(|i| ring.received(*i));
        (0..3).for_each(|i| ring.ended(i, held[i]));
        ring.check().map_err(|e| e.to_string())
    };
    let e = ring_of_3(&[0, 2, 1], [1, 1, 1]).unwrap_err();
    assert!(e.contains("3 happened, 2 of them out of order"), "{e}");
    let e = ring_of_3(&[0, 1], [1, 1, 1]).unwrap_err();
    assert!(e.contains("2 happened, 0 of them out of order"), "{e}");
    let e = ring_of_3(&[0, 1, 2], [1, 0, 1]).unwrap_err();
    assert!(e.contains("1 of them without"), "{e}");
    ring_of_3(&[0, 1, 2], [1, 1, 1]).unwrap();
}

/// Threads whose wait for the baton returns without it every fifth time (`SKIPS`: a skipped link), or whose
/// every third spawn never runs (a lost task).
struct Faulty<const SKIPS: bool>;

static WAITS: AtomicUsize = AtomicUsize::new(0);
static SPAWNS: AtomicUsize = AtomicUsize::new(0);

#[derive(Clone, Copy)]
struct Skipping<const SKIPS: bool>;

impl<const SKIPS: bool> ParkPoint for Skipping<SKIPS> {
    fn for_run() -> Self {
        Skipping
    }
    fn park(self, rv: &Rendezvous) {
        rv.park_blocking();
    }
    fn release(self, rv: &Rendezvous) {
        rv.gate.open();
    }
    fn wait_for(self, baton: &Baton, _: &mut Option<Waker>) {
        if SKIPS && WAITS.fetch_add(1, Ordering::SeqCst) % 5 == 4 {
            return;
        }
        baton.take_blocking();
    }
}

impl<const SKIPS: bool> Runtime for Faulty<SKIPS> {
    type Started = ();
    type Handle = Option<JoinHandle<()>>;
    type Park = Skipping<SKIPS>;

    fn name(&self) -> &'static str {
        if SKIPS {
            "skipping"
        } else {
            "losing"
        }
    }
    fn config(&self) -> String {
        "faulty threads".into()
    }
    fn start(&self) -> Result<()> {
        Ok(())
    }
    fn spawn((): (), body: impl Body) -> Result<Self::Handle> {
        if !SKIPS && SPAWNS.fetch_add(1, Ordering::SeqCst) % 3 == 2 {
            return Ok(None);
        }
        Ok(Some(std::thread::spawn(move || body.run())))
    }
    fn join((): (), handles: Vec<Self::Handle>) -> Result<()> {
        for h in handles.into_iter().flatten() {
            h.join().map_err(|_| anyhow!("a thread panicked"))?;
        }
        Ok(())
    }
}

/// Fails on: a ring run that returns a figure although a link was skipped (the skipping wait is the only
/// difference from the thread model, whose ring passes): the two batons then in flight end the ring early
/// or stall it, and either way its counts are reported.
#[test]
fn a_hand_off_that_skips_a_link_fails_the_count() {
    short_waits();
    let e = format!("{:#}", Faulty::<true>.run_handoff(4, 10).unwrap_err());
    assert!(e.contains("of them out of order") && !e.contains(" 0 of them out of order"), "{e}");
}

/// Fails on: a ring or a yield run that does not notice tasks that never ran.
#[test]
fn lost_tasks_fail_the_ring_and_the_yields() {
    short_waits();
    let e = format!("{:#}", Faulty::<false>.run_handoff(6, 2).unwrap_err());
    assert!(e.contains("the ring did not start"), "{e}");
    let e = format!("{:#}", Faulty::<false>.run_yield(6, 10).unwrap_err());
    assert!(e.contains("did not start"), "{e}");
}

/// Threads whose wait for the baton returns at once: every task runs its laps as soon as it starts, so the
/// ring completes (every hand-off counted, every task finished) with its hand-offs out of ring order.
struct Impatient;

#[derive(Clone, Copy)]
struct NeverWaits;

impl ParkPoint for NeverWaits {
    fn for_run() -> Self {
        NeverWaits
    }
    fn park(self, rv: &Rendezvous) {
        rv.park_blocking();
    }
    fn release(self, rv: &Rendezvous) {
        rv.gate.open();
    }
    fn wait_for(self, _: &Baton, _: &mut Option<Waker>) {}
}

impl Runtime for Impatient {
    type Started = ();
    type Handle = JoinHandle<()>;
    type Park = NeverWaits;

    fn name(&self) -> &'static str {
        "impatient"
    }
    fn config(&self) -> String {
        "threads that never wait for the baton".into()
    }
    fn start(&self) -> Result<()> {
        Ok(())
    }
    fn spawn((): (), body: impl Body) -> Result<Self::Handle> {
        Ok(std::thread::spawn(move || body.run()))
    }
    fn join((): (), handles: Vec<Self::Handle>) -> Result<()> {
        handles.into_iter().try_for_each(|h| h.join().map_err(|_| anyhow!("a thread panicked")))
    }
}

/// Fails on: a ring run that returns a figure once every task has finished without checking the ring's
/// counts at the end (the stalls the other faults cause are caught on the way; this ring does not stall).
#[test]
fn a_ring_that_completes_out_of_order_fails_the_count() {
    short_waits();
    let e = format!("{:#}", Impatient.run_handoff(4, 3).unwrap_err());
    assert!(e.contains("of them out of order") && !e.contains(" 0 of them out of order"), "{e}");
}
