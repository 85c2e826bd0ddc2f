//! `async-std`: async-std's global executor (async-global-executor over async-executor, the engine smol
//! uses too), with its default worker count (`ASYNC_STD_THREAD_COUNT`, else one per core).
//!
//! async-std is discontinued upstream (its README says to use smol; advisory RUSTSEC-2025-0052). It stays
//! here because published comparisons still quote it; every report marks it.

use std::time::Duration;

use anyhow::Result;

use super::{available_cores, parked_with, spawn_join_with, Observer, ParkedRun, SpawnSite, TaskModel};
use crate::limits::Needs;

pub struct AsyncStd;
pub static MODEL: AsyncStd = AsyncStd;

fn join_all(handles: Vec<async_std::task::JoinHandle<()>>) -> Result<()> {
    async_std::task::block_on(async {
        for h in handles {
            h.await;
        }
    });
    Ok(())
}

impl TaskModel for AsyncStd {
    fn name(&self) -> &'static str {
        "async-std"
    }

    fn config(&self) -> String {
        let workers = std::env::var("ASYNC_STD_THREAD_COUNT")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or_else(available_cores);
        format!("async-std 1.13 global executor, {workers} workers")
    }

    fn caveat(&self) -> Option<&'static str> {
        Some("discontinued upstream (RUSTSEC-2025-0052); kept for comparison")
    }

    fn spawn_site(&self) -> SpawnSite {
        SpawnSite::Outside
    }

    fn needs(&self) -> Needs {
        Needs::STACKLESS
    }

    fn run_parked(&self, n: usize, observer: &mut dyn Observer) -> Result<ParkedRun> {
        parked_with(
            n,
            observer,
            |rv| Ok(async_std::task::spawn(async move { rv.park().await })),
            |rv| rv.gate.open(),
            join_all,
        )
    }

    fn run_spawn_join(&self, n: usize) -> Result<Duration> {
        spawn_join_with(n, |done| Ok(async_std::task::spawn(async move { done.add() })), join_all)
    }
}
