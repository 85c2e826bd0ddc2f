//! `floor`: the least a stackless task can cost. Raw `async-task` (one allocation per task: header,
//! schedule function and future) with a lock-free ring of runnables and one worker thread that runs them; no
//! runtime, no timers, no I/O, no work stealing, and no allocation besides the task's own.
//!
//! Every report shows it so a reader sees how far each runtime sits above this floor.
//!
//! Two calibration controls run the same floor task holding a known [`Payload`] across its await: 1 KiB
//! inside the future, or a 4 KiB heap buffer. Their memory minus the plain floor's must come out as the
//! payload; they appear in the memory groups only (see [`super::controls`]).

use std::sync::LazyLock;

use anyhow::Result;
use async_task::{Runnable, Task};
use concurrent_queue::{ConcurrentQueue, PushError};
use event_listener::{listener, Event, Listener};

use super::body::{Body, OnGate, Payload};
use super::Runtime;

/// Runnable tasks, and the signal that wakes the worker when it finds them empty.
struct Queue {
    /// New tasks, in a ring allocated, and every slot written, once when the queue is made. An unbounded
    /// queue would allocate a 512-byte block per 31 runnables during the burst and free it once they ran,
    /// leaving holes between the tasks' chunks that RSS counts (5 to 15 B per task, depending on how far the
    /// spawner ran ahead of the worker): the floor would not be a floor.
    spawned: ConcurrentQueue<Runnable>,
    /// Woken tasks. A wake can come from inside the gate's lock (the release wakes every task), where waiting
    /// for room in the ring could wait for the worker, which needs that lock: so wakes never wait, and the
    /// release's burst, after every reading, goes here.
    woken: ConcurrentQueue<Runnable>,
    pushed: Event,
}

/// Slots in the ring of new tasks.
const RING: usize = 4096;

static QUEUE: LazyLock<&'static Queue> = LazyLock::new(|| {
    let queue: &'static Queue = Box::leak(Box::new(Queue {
        spawned: ConcurrentQueue::bounded(RING),
        woken: ConcurrentQueue::unbounded(),
        pushed: Event::new(),
    }));
    std::thread::Builder::new()
        .name("floor-worker".into())
        .spawn(move || loop {
            while let Ok(task) = queue.spawned.pop().or_else(|_| queue.woken.pop()) {
                task.run();
            }
            listener!(queue.pushed => idle);
            if queue.spawned.is_empty() && queue.woken.is_empty() {
                idle.wait();
            }
        })
        .expect("starting the floor worker thread");
    queue
});

// A plain fn, not a closure: the schedule function adds nothing to each task's allocation.
fn schedule(task: Runnable) {
    let queue = *QUEUE;
    queue.woken.push(task).expect("the floor queue is unbounded and never closed");
    queue.pushed.notify(1);
}

/// Queues a new task, waiting for room if the spawner ran a whole ring ahead of the worker.
fn push_spawned(mut task: Runnable) {
    let queue = *QUEUE;
    loop {
        match queue.spawned.push(task) {
            Ok(()) => break,
            Err(PushError::Full(back)) => {
                queue.pushed.notify(1);
                std::thread::yield_now();
                task = back;
            }
            Err(PushError::Closed(_)) => unreachable!("the floor queue is never closed"),
        }
    }
    queue.pushed.notify(1);
}

pub struct Floor {
    pub name: &'static str,
    pub payload: Payload,
}

impl Runtime for Floor {
    type Started = ();
    type Handle = Task<()>;
    type Park = OnGate;

    fn name(&self) -> &'static str {
        self.name
    }

    fn config(&self) -> String {
        let held = match self.payload {
            Payload::None => "",
            Payload::Inline1KiB => "; each task holds 1024 B inside its future (calibration)",
            Payload::Heap4KiB => "; each task holds a 4096 B heap buffer (calibration)",
        };
        format!("async-task, one lock-free ring of {RING} runnables, 1 worker thread{held}")
    }

    fn payload(&self) -> Payload {
        self.payload
    }

    fn start(&self) -> Result<()> {
        LazyLock::force(&QUEUE);
        Ok(())
    }

    fn spawn((): (), body: impl Body) -> Result<Task<()>> {
        let (runnable, task) = async_task::spawn(body.into_future(), schedule);
        push_spawned(runnable);
        Ok(task)
    }

    fn join((): (), handles: Vec<Task<()>>) -> Result<()> {
        futures_lite::future::block_on(async {
            for h in handles {
                h.await;
            }
        });
        Ok(())
    }
}
