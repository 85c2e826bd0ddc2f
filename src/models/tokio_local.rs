//! `tokio-local`: tokio's `LocalRuntime` (stable since tokio 1.51), a current-thread runtime whose tasks need
//! not be `Send`, with every task spawned by `tokio::task::spawn_local` from inside `block_on` and run on the
//! bench thread only while it drives the runtime, as a program of `!Send` tasks on one thread would be.
//!
//! The scheduler is `tokio-ct`'s (tokio builds `LocalRuntime` on the current-thread scheduler); the spawn is
//! `spawn_local`'s, which binds the task to the runtime's thread instead of requiring `Send`. A task is
//! `tokio-ct`'s (the task cell, and a share of the local run queue), and is measured as there: the spawn loop
//! inside `block_on`, every wait a `block_on` bounded by a tokio timer.
//!
//! The runtime is `!Send`, so it lives in a thread-local: one per thread that starts the model, built on its
//! first `start` and leaked (never dropped, as `tokio-ct`'s), so that spawns, waits and joins on that thread
//! all reach the runtime their tasks are bound to.

use std::cell::OnceCell;

use anyhow::{anyhow, Context, Result};
use tokio::runtime::{Builder, LocalOptions, LocalRuntime};
use tokio::task::JoinHandle;

use super::body::{Body, OnGate};
use super::{leak, wait_limit, Runtime, SpawnSite};
use crate::gate::Tally;

thread_local! {
    /// This thread's runtime, once `start` has built it here.
    static RUNTIME: OnceCell<&'static LocalRuntime> = const { OnceCell::new() };
}

/// The runtime of the calling thread; an error on a thread that never started the model.
fn runtime() -> Result<&'static LocalRuntime> {
    RUNTIME.with(|rt| rt.get().copied()).context("tokio-local was not started on this thread")
}

pub struct TokioLocal;

impl Runtime for TokioLocal {
    type Started = ();
    type Handle = JoinHandle<()>;
    type Park = OnGate;

    fn name(&self) -> &'static str {
        "tokio-local"
    }

    fn config(&self) -> String {
        "tokio LocalRuntime (current-thread), spawn_local from inside block_on".into()
    }

    fn spawn_site(&self) -> SpawnSite {
        SpawnSite::Inside
    }

    fn start(&self) -> Result<()> {
        RUNTIME.with(|cell| {
            if cell.get().is_none() {
                let built = Builder::new_current_thread().enable_time().build_local(LocalOptions::default());
                let _ = cell.set(leak(built.context("building tokio's local runtime")?));
            }
            Ok(())
        })
    }

    fn spawn((): (), body: impl Body) -> Result<JoinHandle<()>> {
        Ok(tokio::task::spawn_local(body.into_future()))
    }

    fn join((): (), handles: Vec<JoinHandle<()>>) -> Result<()> {
        runtime()?.block_on(async {
            for h in handles {
                h.await?;
            }
            Ok(())
        })
    }

    fn yield_now() -> impl std::future::Future<Output = ()> + Send {
        tokio::task::yield_now()
    }

    fn at_spawn_site<T: Send + 'static>((): (), spawn_loop: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        Ok(runtime()?.block_on(async move { spawn_loop() }))
    }

    fn wait((): (), tally: &Tally, n: usize) -> Result<()> {
        let limit = wait_limit(n);
        runtime()?.block_on(async { tokio::time::timeout(limit, tally.reached(n)).await }).map_err(|_| {
            anyhow!("timed out after {:.1} s: {} of {n} tasks arrived", limit.as_secs_f64(), tally.count())
        })
    }
}
