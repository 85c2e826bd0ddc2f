//! `compio`: compio's runtime on io_uring, the thread-per-core design: one runtime per thread, sharing nothing,
//! whose tasks need not be `Send`. A program runs one per core, all alike; the row runs one, on the bench
//! thread, with the spawn loop inside `block_on` and the tasks run only while the bench thread drives it, as
//! `tokio-ct`'s are. A task is one allocation (header and future) and an entry in the executor's slot map (a
//! `Vec` that grows with N and is kept), linked into its hot list (woken) or cold list (parked). Every wait is
//! a `block_on` bounded by compio's timer.
//!
//! Why compio of the three such runtimes (glommio, monoio, compio), as of 2026-12: it is the one kept up.
//! compio released 0.19.0 in 2026-05 and 0.19.2 in 2026-08, has 0.20 in beta, and took over 300 commits from
//! several maintainers in the year before; monoio's last release is 0.2.4 (2024-08) and its last commit
//! 2025-11; glommio's last release is 0.9.0 (2024-03) and its last commit 2025-04. compio 0.19.2 builds here
//! with Rust 1.95 from crates.io, with its io_uring driver alone (no polling fallback, so the row is io_uring).
//!
//! A kernel that refuses io_uring (`kernel.io_uring_disabled`, a seccomp filter, too small a
//! `RLIMIT_MEMLOCK`, no io_uring at all) skips the row with one line: `available` sets up a ring once per
//! process and names the cause and how to lift it ([`IoUringRefusal`]). The runtime is `!Send`, so it lives in
//! a thread-local, one per thread that starts the model, leaked as `tokio-ct`'s is.

use std::cell::OnceCell;
use std::sync::OnceLock;

use anyhow::{anyhow, Context, Result};
use compio::runtime::{JoinHandle, Runtime as Compio};

use super::body::{Body, OnGate};
use super::{leak, wait_limit, Runtime, SpawnSite};
use crate::gate::Tally;
use crate::limits::IoUringRefusal;

thread_local! {
    /// This thread's runtime, once `start` has built it here.
    static RUNTIME: OnceCell<&'static Compio> = const { OnceCell::new() };
}

/// The runtime of the calling thread; an error on a thread that never started the model.
fn runtime() -> Result<&'static Compio> {
    RUNTIME.with(|rt| rt.get().copied()).context("compio was not started on this thread")
}

pub struct CompioModel;

impl Runtime for CompioModel {
    type Started = ();
    type Handle = JoinHandle<()>;
    type Park = OnGate;

    fn name(&self) -> &'static str {
        "compio"
    }

    fn config(&self) -> String {
        "compio 0.19 runtime on io_uring, one thread-per-core runtime on the bench thread, spawned from inside \
         block_on"
            .into()
    }

    fn spawn_site(&self) -> SpawnSite {
        SpawnSite::Inside
    }

    fn available(&self) -> Result<(), String> {
        static RING: OnceLock<Result<(), String>> = OnceLock::new();
        RING.get_or_init(|| Compio::new().map(drop).map_err(|e| IoUringRefusal::live(&e).to_string())).clone()
    }

    fn start(&self) -> Result<()> {
        RUNTIME.with(|cell| {
            if cell.get().is_none() {
                let built = Compio::new().map_err(|e| anyhow!("compio: {}", IoUringRefusal::live(&e)))?;
                let _ = cell.set(leak(built));
            }
            Ok(())
        })
    }

    fn spawn((): (), body: impl Body) -> Result<JoinHandle<()>> {
        Ok(compio::runtime::spawn(body.into_future()))
    }

    fn join((): (), handles: Vec<JoinHandle<()>>) -> Result<()> {
        runtime()?.block_on(async {
            for h in handles {
                h.await.map_err(|e| anyhow!("a compio task failed: {e}"))?;
            }
            Ok(())
        })
    }

    fn at_spawn_site<T: Send + 'static>((): (), spawn_loop: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        Ok(runtime()?.block_on(async move { spawn_loop() }))
    }

    fn wait((): (), tally: &Tally, n: usize) -> Result<()> {
        let limit = wait_limit(n);
        runtime()?.block_on(compio::time::timeout(limit, tally.reached(n))).map_err(|_| {
            anyhow!("timed out after {:.1} s: {} of {n} tasks arrived", limit.as_secs_f64(), tally.count())
        })
    }
}
