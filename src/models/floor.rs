//! `floor`: the least a stackless task can cost. Raw `async-task` (one allocation per task: header,
//! schedule function and future) with a lock-free queue and one worker thread that runs it; no runtime,
//! no timers, no I/O, no work stealing.
//!
//! Every report shows it so a reader sees how far each runtime sits above this floor.
//!
//! Two calibration controls run the same floor task holding a known payload across its await: 1 KiB inside
//! the future, or a 4 KiB heap buffer. Their memory minus the plain floor's must come out as the payload;
//! they appear in the memory groups only (see [`super::controls`]).

use std::hint::black_box;
use std::sync::LazyLock;
use std::time::Duration;

use anyhow::Result;
use async_task::{Runnable, Task};
use concurrent_queue::ConcurrentQueue;
use event_listener::{listener, Event, Listener};

use crate::gate::Rendezvous;

use super::{parked_with, spawn_join_with, Observer, ParkedRun, SpawnSite, TaskModel};
use crate::limits::Needs;

/// Runnable tasks, and the signal that wakes the worker when it finds the queue empty.
struct Queue {
    runnable: ConcurrentQueue<Runnable>,
    pushed: Event,
}

static QUEUE: LazyLock<&'static Queue> = LazyLock::new(|| {
    let queue: &'static Queue =
        Box::leak(Box::new(Queue { runnable: ConcurrentQueue::unbounded(), pushed: Event::new() }));
    std::thread::Builder::new()
        .name("floor-worker".into())
        .spawn(move || loop {
            while let Ok(task) = queue.runnable.pop() {
                task.run();
            }
            listener!(queue.pushed => woken);
            if queue.runnable.is_empty() {
                woken.wait();
            }
        })
        .expect("starting the floor worker thread");
    queue
});

// A plain fn, not a closure: the schedule function adds nothing to each task's allocation.
fn schedule(task: Runnable) {
    let queue = *QUEUE;
    queue.runnable.push(task).expect("the floor queue is unbounded and never closed");
    queue.pushed.notify(1);
}

fn spawn<F: std::future::Future<Output = ()> + Send + 'static>(future: F) -> Task<()> {
    let (runnable, task) = async_task::spawn(future, schedule);
    runnable.schedule();
    task
}

fn join_all(handles: Vec<Task<()>>) -> Result<()> {
    futures_lite::future::block_on(async {
        for h in handles {
            h.await;
        }
    });
    Ok(())
}

/// What a floor task holds across its await, besides its gate state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload {
    None,
    /// A 1024-byte array inside the future.
    Inline1KiB,
    /// A 4096-byte heap buffer (`Vec<u8>`, whose 24-byte header lives in the future).
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

pub struct Floor {
    name: &'static str,
    payload: Payload,
}
pub static MODEL: Floor = Floor { name: "floor", payload: Payload::None };
pub static INLINE_1KIB: Floor = Floor { name: "floor-1KiB-inline", payload: Payload::Inline1KiB };
pub static HEAP_4KIB: Floor = Floor { name: "floor-4KiB-heap", payload: Payload::Heap4KiB };

impl Floor {
    pub fn payload(&self) -> Payload {
        self.payload
    }
}

/// A parked floor task holding `payload` across its await; the payload is written before and read after,
/// so it is resident and cannot be optimised away.
fn parked_task(rv: &'static Rendezvous, payload: Payload) -> Task<()> {
    match payload {
        Payload::None => spawn(async move { rv.park().await }),
        Payload::Inline1KiB => spawn(async move {
            let held = black_box([0x5au8; 1024]);
            rv.park().await;
            black_box(&held);
        }),
        Payload::Heap4KiB => spawn(async move {
            let held = black_box(vec![0x5au8; 4096]);
            rv.park().await;
            black_box(&held);
        }),
    }
}

impl TaskModel for Floor {
    fn name(&self) -> &'static str {
        self.name
    }

    fn config(&self) -> String {
        let held = match self.payload {
            Payload::None => "",
            Payload::Inline1KiB => "; each task holds 1024 B inside its future (calibration)",
            Payload::Heap4KiB => "; each task holds a 4096 B heap buffer (calibration)",
        };
        format!("async-task, one lock-free queue, 1 worker thread{held}")
    }

    fn spawn_site(&self) -> SpawnSite {
        SpawnSite::Outside
    }

    fn needs(&self) -> Needs {
        Needs::STACKLESS
    }

    fn run_parked(&self, n: usize, observer: &mut dyn Observer) -> Result<ParkedRun> {
        LazyLock::force(&QUEUE);
        parked_with(n, observer, |rv| Ok(parked_task(rv, self.payload)), |rv| rv.gate.open(), join_all)
    }

    fn run_spawn_join(&self, n: usize) -> Result<Duration> {
        LazyLock::force(&QUEUE);
        spawn_join_with(n, |done| Ok(spawn(async move { done.add() })), join_all)
    }
}
