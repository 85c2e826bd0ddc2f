//! `tokio-mt-inside`: tokio's multi-thread runtime, spawning from a task on one of its workers.
//!
//! The same runtime as `tokio-mt`, but the spawn loop runs inside a task (as a server's per-connection task
//! fanning out work would), so each spawn goes to the worker's local queue instead of the shared inject queue.
//! It is the like-for-like partner of `tokio-ct` and Go, which also spawn from inside their runtime. The clock
//! starts and stops inside that task; waiting for the tasks, the memory readings and joining happen on the
//! bench thread, as for `tokio-mt`.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use tokio::runtime::Runtime;

use super::tokio_mt::{join_tokio, multi_thread_runtime};
use super::{available_cores, parked_experiment, spawn_join_experiment, Observer, ParkedRun, SpawnSite, TaskModel};
use crate::limits::Needs;

pub struct TokioMtInside {
    runtime: OnceLock<Runtime>,
}
pub static MODEL: TokioMtInside = TokioMtInside { runtime: OnceLock::new() };

impl TokioMtInside {
    fn runtime(&self) -> &Runtime {
        self.runtime.get_or_init(multi_thread_runtime)
    }
}

impl TaskModel for TokioMtInside {
    fn name(&self) -> &'static str {
        "tokio-mt-inside"
    }

    fn config(&self) -> String {
        format!("tokio multi-thread, {} workers, spawn loop in a task on a worker", available_cores())
    }

    fn spawn_site(&self) -> SpawnSite {
        SpawnSite::Inside
    }

    fn needs(&self) -> Needs {
        Needs::STACKLESS
    }

    fn run_parked(&self, n: usize, observer: &mut dyn Observer) -> Result<ParkedRun> {
        let rt = self.runtime();
        parked_experiment(
            n,
            observer,
            |rv, handles| {
                spawn_from_worker(rt, n, handles, move || tokio::spawn(async move { rv.park().await }))
                    .map(|(_, took)| took)
            },
            |rv| rv.gate.open(),
            |handles| join_tokio(rt, handles),
        )
    }

    fn run_spawn_join(&self, n: usize) -> Result<Duration> {
        let rt = self.runtime();
        spawn_join_experiment(
            n,
            |done, handles| {
                spawn_from_worker(rt, n, handles, move || tokio::spawn(async move { done.add() }))
                    .map(|(start, _)| start)
            },
            |handles| join_tokio(rt, handles),
        )
    }
}

/// Runs `n` calls of `spawn` in a task on one of `rt`'s workers, pushing the handles into `handles`, and
/// returns when that loop started and how long it took. The pre-sized vector travels into the spawning task
/// and back, so it is never regrown.
fn spawn_from_worker<H: Send + 'static>(
    rt: &Runtime,
    n: usize,
    handles: &mut Vec<H>,
    spawn: impl Fn() -> H + Send + 'static,
) -> Result<(Instant, Duration)> {
    let mut moved = std::mem::take(handles);
    let (back, start, took) = rt
        .block_on(rt.spawn(async move {
            let start = Instant::now();
            for _ in 0..n {
                moved.push(spawn());
            }
            (moved, start, start.elapsed())
        }))
        .context("the spawning task failed")?;
    *handles = back;
    Ok((start, took))
}
