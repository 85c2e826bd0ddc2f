//! `tokio-mt`: tokio's multi-thread runtime with one worker per available core.
//!
//! Tasks are spawned from the bench thread, outside the runtime, so every spawn goes through the runtime's
//! shared inject queue, as a server's accept loop on a plain thread would. One allocation per task holds
//! the task header, the future and the trailer.

use std::sync::OnceLock;
use std::time::Duration;

use anyhow::Result;
use tokio::runtime::{Builder, Runtime};

use super::{available_cores, parked_with, spawn_join_with, Observer, ParkedRun, SpawnSite, TaskModel};
use crate::limits::Needs;

pub struct TokioMt {
    runtime: OnceLock<Runtime>,
}
pub static MODEL: TokioMt = TokioMt { runtime: OnceLock::new() };

impl TokioMt {
    fn runtime(&self) -> &Runtime {
        self.runtime.get_or_init(multi_thread_runtime)
    }
}

/// tokio's multi-thread runtime with one worker per available core, as `tokio-mt` and `tokio-mt-inside` run it.
pub(crate) fn multi_thread_runtime() -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(available_cores())
        .build()
        .expect("building tokio's multi-thread runtime")
}

pub(crate) fn join_tokio(rt: &Runtime, handles: Vec<tokio::task::JoinHandle<()>>) -> Result<()> {
    rt.block_on(async {
        for h in handles {
            h.await?;
        }
        Ok(())
    })
}

impl TaskModel for TokioMt {
    fn name(&self) -> &'static str {
        "tokio-mt"
    }

    fn config(&self) -> String {
        format!("tokio multi-thread, {} workers", available_cores())
    }

    fn spawn_site(&self) -> SpawnSite {
        SpawnSite::Outside
    }

    fn needs(&self) -> Needs {
        Needs::STACKLESS
    }

    fn run_parked(&self, n: usize, observer: &mut dyn Observer) -> Result<ParkedRun> {
        let rt = self.runtime();
        parked_with(
            n,
            observer,
            |rv| Ok(rt.spawn(async move { rv.park().await })),
            |rv| rv.gate.open(),
            |handles| join_tokio(rt, handles),
        )
    }

    fn run_spawn_join(&self, n: usize) -> Result<Duration> {
        let rt = self.runtime();
        spawn_join_with(n, |done| Ok(rt.spawn(async move { done.add() })), |handles| join_tokio(rt, handles))
    }
}
