//! `floor`: the least a stackless task can cost. Raw `async-task` (one allocation per task: header,
//! schedule function and future) with a lock-free queue and one worker thread that runs it; no runtime,
//! no timers, no I/O, no work stealing.
//!
//! Every report shows it so a reader sees how far each runtime sits above this floor.

use std::sync::LazyLock;
use std::time::Duration;

use anyhow::Result;
use async_task::{Runnable, Task};
use concurrent_queue::ConcurrentQueue;
use event_listener::{listener, Event, Listener};

use super::{parked_with, spawn_join_with, Observer, ParkedRun, TaskModel};
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

pub struct Floor;
pub static MODEL: Floor = Floor;

impl TaskModel for Floor {
    fn name(&self) -> &'static str {
        "floor"
    }

    fn config(&self) -> String {
        "async-task, one lock-free queue, 1 worker thread".into()
    }

    fn needs(&self) -> Needs {
        Needs::STACKLESS
    }

    fn run_parked(&self, n: usize, observer: &mut dyn Observer) -> Result<ParkedRun> {
        LazyLock::force(&QUEUE);
        parked_with(
            n,
            observer,
            |rv| {
                let rv = rv.clone();
                Ok(spawn(async move { rv.park().await }))
            },
            |rv| rv.gate.open(),
            join_all,
        )
    }

    fn run_spawn_join(&self, n: usize) -> Result<Duration> {
        LazyLock::force(&QUEUE);
        spawn_join_with(
            n,
            |done| {
                let done = done.clone();
                Ok(spawn(async move { done.add() }))
            },
            join_all,
        )
    }
}
