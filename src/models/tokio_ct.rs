//! `tokio-ct`: tokio's current-thread runtime, driven by the bench thread, as a
//! `#[tokio::main(flavor = "current_thread")]` program's would be.
//!
//! The spawn loop runs inside `block_on`, so spawns go to the runtime's local queue (no cross-thread queue),
//! and the tasks run on the bench thread only while it drives the runtime: every wait for them is a
//! `block_on` bounded by a tokio timer. The spawn loop is timed the same way as for every other model.

use std::sync::OnceLock;

use anyhow::{anyhow, Result};
use tokio::runtime::{Builder, Runtime as Tokio};
use tokio::task::JoinHandle;

use super::body::{Body, OnGate};
use super::tokio_mt::join_tokio;
use super::{leak, wait_limit, Runtime, SpawnSite};
use crate::gate::Tally;

#[derive(Default)]
pub struct TokioCt {
    runtime: OnceLock<&'static Tokio>,
}

impl Runtime for TokioCt {
    type Started = &'static Tokio;
    type Handle = JoinHandle<()>;
    type Park = OnGate;

    fn name(&self) -> &'static str {
        "tokio-ct"
    }

    fn config(&self) -> String {
        "tokio current-thread, spawned from inside block_on".into()
    }

    fn spawn_site(&self) -> SpawnSite {
        SpawnSite::Inside
    }

    fn start(&self) -> Result<&'static Tokio> {
        Ok(self.runtime.get_or_init(|| {
            leak(Builder::new_current_thread().enable_time().build().expect("building tokio's current-thread runtime"))
        }))
    }

    fn spawn(_: &'static Tokio, body: impl Body) -> Result<JoinHandle<()>> {
        Ok(tokio::spawn(body.into_future()))
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
        Ok(rt.block_on(async move { spawn_loop() }))
    }

    fn wait(rt: &'static Tokio, tally: &Tally, n: usize) -> Result<()> {
        let limit = wait_limit(n);
        rt.block_on(async { tokio::time::timeout(limit, tally.reached(n)).await }).map_err(|_| {
            anyhow!("timed out after {:.1} s: {} of {n} tasks arrived", limit.as_secs_f64(), tally.count())
        })
    }
}
