//! `tokio-mt`: tokio's multi-thread runtime with one worker per available core, spawned from the bench
//! thread, outside the runtime: every spawn goes through the runtime's shared inject queue, as a server's
//! accept loop on a plain thread would. One allocation per task holds the task header, the future and the
//! trailer.
//!
//! `tokio-mt-inside`: the same runtime, with the spawn loop in a task on one of its workers (as a server's
//! per-connection task fanning out work would), so each spawn goes to that worker's local queue. It is the
//! like-for-like partner of `tokio-ct` and Go, which also spawn from inside their runtime. Only the spawn
//! loop runs in that task (the clock starts and stops there); waiting, the memory readings and joining
//! happen on the bench thread, as for `tokio-mt`.

use std::sync::OnceLock;

use anyhow::{Context, Result};
use tokio::runtime::{Builder, Runtime as Tokio};
use tokio::task::JoinHandle;

use super::body::{Body, OnGate};
use super::{available_cores, leak, Runtime, SpawnSite};

/// `INSIDE`: the spawn loop runs in a task on a worker.
pub struct TokioMt<const INSIDE: bool> {
    name: &'static str,
    runtime: OnceLock<&'static Tokio>,
}

impl<const INSIDE: bool> TokioMt<INSIDE> {
    pub const fn new(name: &'static str) -> Self {
        Self { name, runtime: OnceLock::new() }
    }
}

impl<const INSIDE: bool> Runtime for TokioMt<INSIDE> {
    type Started = &'static Tokio;
    type Handle = JoinHandle<()>;
    type Park = OnGate;

    fn name(&self) -> &'static str {
        self.name
    }

    fn config(&self) -> String {
        let site = if INSIDE { ", spawn loop in a task on a worker" } else { "" };
        format!("tokio multi-thread, {} workers{site}", available_cores())
    }

    fn spawn_site(&self) -> SpawnSite {
        if INSIDE {
            SpawnSite::Inside
        } else {
            SpawnSite::Outside
        }
    }

    fn start(&self) -> Result<&'static Tokio> {
        Ok(self.runtime.get_or_init(|| {
            leak(
                Builder::new_multi_thread()
                    .worker_threads(available_cores())
                    .build()
                    .expect("building tokio's multi-thread runtime"),
            )
        }))
    }

    fn spawn(rt: &'static Tokio, body: impl Body) -> Result<JoinHandle<()>> {
        Ok(if INSIDE { tokio::spawn(body.into_future()) } else { rt.spawn(body.into_future()) })
    }

    fn join(rt: &'static Tokio, handles: Vec<JoinHandle<()>>) -> Result<()> {
        join_tokio(rt, handles)
    }

    fn yield_now() -> impl std::future::Future<Output = ()> + Send {
        tokio::task::yield_now()
    }

    fn at_spawn_site<T: Send + 'static>(
        rt: &'static Tokio,
        spawn_loop: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T> {
        if !INSIDE {
            return Ok(spawn_loop());
        }
        rt.block_on(rt.spawn(async move { spawn_loop() })).context("the spawning task failed")
    }
}

pub(crate) fn join_tokio(rt: &Tokio, handles: Vec<JoinHandle<()>>) -> Result<()> {
    rt.block_on(async {
        for h in handles {
            h.await?;
        }
        Ok(())
    })
}
