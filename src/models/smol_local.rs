//! `smol-local`: async-executor's `LocalExecutor`, smol's single-threaded executor whose tasks need not be
//! `Send`, driven by the bench thread alone: no worker threads, the tasks run only while the bench thread is
//! in `block_on(executor.run(..))`. The spawn loop is the future `run` drives, as a program's
//! `block_on(ex.run(main))` spawns from `main`.
//!
//! The same engine as `smol` (one allocation per task: header, schedule closure, future; a share of the
//! executor's `Slab` of wakers), on one thread. Every wait is `run` until the tally is reached or an
//! async-io timer fires.
//!
//! The executor is `!Send`, so it lives in a thread-local: one per thread that starts the model, made on its
//! first `start` and leaked (never dropped), so that spawns, waits and joins on that thread all reach the
//! executor their tasks are on.

use std::cell::OnceCell;

use anyhow::{bail, Context, Result};
use async_executor::{LocalExecutor, Task};
use futures_lite::future;

use super::body::{Body, OnGate};
use super::{leak, wait_limit, Runtime, SpawnSite};
use crate::gate::Tally;

thread_local! {
    /// This thread's executor, once `start` has made it here.
    static EXECUTOR: OnceCell<&'static LocalExecutor<'static>> = const { OnceCell::new() };
}

/// The executor of the calling thread; an error on a thread that never started the model.
fn executor() -> Result<&'static LocalExecutor<'static>> {
    EXECUTOR.with(|ex| ex.get().copied()).context("smol-local was not started on this thread")
}

pub struct SmolLocal;

impl Runtime for SmolLocal {
    type Started = ();
    type Handle = Task<()>;
    type Park = OnGate;

    fn name(&self) -> &'static str {
        "smol-local"
    }

    fn config(&self) -> String {
        "async-executor LocalExecutor on the bench thread, spawned from inside its run future".into()
    }

    fn spawn_site(&self) -> SpawnSite {
        SpawnSite::Inside
    }

    fn start(&self) -> Result<()> {
        EXECUTOR.with(|cell| {
            cell.get_or_init(|| leak(LocalExecutor::new()));
        });
        Ok(())
    }

    fn spawn((): (), body: impl Body) -> Result<Task<()>> {
        Ok(executor()?.spawn(body.into_future()))
    }

    fn join((): (), handles: Vec<Task<()>>) -> Result<()> {
        let ex = executor()?;
        smol::block_on(ex.run(async {
            for h in handles {
                h.await;
            }
        }));
        Ok(())
    }

    fn at_spawn_site<T: Send + 'static>((): (), spawn_loop: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        let ex = executor()?;
        Ok(smol::block_on(ex.run(async move { spawn_loop() })))
    }

    fn wait((): (), tally: &Tally, n: usize) -> Result<()> {
        let (ex, limit) = (executor()?, wait_limit(n));
        let reached = async {
            tally.reached(n).await;
            true
        };
        let timed_out = async {
            smol::Timer::after(limit).await;
            false
        };
        if !smol::block_on(ex.run(future::or(reached, timed_out))) {
            bail!("timed out after {:.1} s: {} of {n} tasks arrived", limit.as_secs_f64(), tally.count());
        }
        Ok(())
    }
}
