//! `futures-pool`: futures-executor's `ThreadPool` (the `futures` crate, feature `thread-pool`) with one worker
//! per available core, tasks spawned from the bench thread, outside the pool.
//!
//! No work stealing and no local queues: every spawn sends the task down one `std::sync::mpsc` channel (behind
//! a mutex), and the workers take turns receiving from it. A task is two allocations: its boxed future, and
//! the `Arc` that holds the task while it is parked and wakes it. Each spawn also clones the pool handle twice
//! (an atomic count, into the task and into its waker).
//!
//! The pool has no join handle of its own. futures-util's `spawn_with_handle` wraps each task in a second
//! future with a oneshot channel: more allocations per task, which a caller who wants the result pays but
//! which are not the pool's. So tasks are spawned with `spawn_ok`, as the pool's docs do, the handles are
//! `()`, and the run's tallies are the join: every experiment waits until all `n` bodies have finished
//! before it joins, and a body that never ran fails that wait.

use std::sync::OnceLock;

use anyhow::{Context, Result};
use futures::executor::ThreadPool;

use super::body::{Body, OnGate};
use super::{available_cores, leak, Runtime};

#[derive(Default)]
pub struct FuturesPool {
    pool: OnceLock<&'static ThreadPool>,
}

impl Runtime for FuturesPool {
    type Started = &'static ThreadPool;
    type Handle = ();
    type Park = OnGate;

    fn name(&self) -> &'static str {
        "futures-pool"
    }

    fn config(&self) -> String {
        format!("futures-executor ThreadPool, {} workers, spawn_ok (no join handle)", available_cores())
    }

    fn start(&self) -> Result<&'static ThreadPool> {
        if let Some(pool) = self.pool.get() {
            return Ok(pool);
        }
        let pool = ThreadPool::builder()
            .pool_size(available_cores())
            .name_prefix("futures-pool-")
            .create()
            .context("starting futures-executor's thread pool")?;
        Ok(self.pool.get_or_init(|| leak(pool)))
    }

    fn spawn(pool: &'static ThreadPool, body: impl Body) -> Result<()> {
        pool.spawn_ok(body.into_future());
        Ok(())
    }

    fn join(_: &'static ThreadPool, _: Vec<()>) -> Result<()> {
        // Nothing to wait on: the caller has already waited for every body to finish (see the module docs).
        Ok(())
    }
}
