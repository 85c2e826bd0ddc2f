//! `floor`: the least a stackless task can cost. Raw `async-task` (one allocation per task: header,
//! schedule function and future) with a lock-free queue and one worker thread that runs it; no runtime,
//! no timers, no I/O, no work stealing.
//!
//! Every report shows it so a reader sees how far each runtime sits above this floor.
//!
//! Two calibration controls run the same floor task holding a known [`Payload`] across its await: 1 KiB
//! inside the future, or a 4 KiB heap buffer. Their memory minus the plain floor's must come out as the
//! payload; they appear in the memory groups only (see [`super::controls`]).

use std::sync::LazyLock;

use anyhow::Result;
use async_task::{Runnable, Task};
use concurrent_queue::ConcurrentQueue;
use event_listener::{listener, Event, Listener};

use super::body::{Body, OnGate, Payload};
use super::Runtime;

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
        format!("async-task, one lock-free queue, 1 worker thread{held}")
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
        runnable.schedule();
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
