//! `smol`: an `async_executor::Executor` run on one thread per available core, each thread in
//! `block_on(executor.run(..))`; tasks are spawned from the bench thread.
//!
//! One allocation per task (header, schedule closure, future), the same engine async-std runs on.

use std::sync::OnceLock;
use std::time::Duration;

use anyhow::Result;
use async_executor::{Executor, Task};

use super::{available_cores, parked_with, spawn_join_with, Observer, ParkedRun, SpawnSite, TaskModel};
use crate::limits::Needs;

pub struct Smol {
    executor: OnceLock<&'static Executor<'static>>,
}
pub static MODEL: Smol = Smol { executor: OnceLock::new() };

impl Smol {
    fn executor(&self) -> &'static Executor<'static> {
        self.executor.get_or_init(|| {
            let ex: &'static Executor<'static> = Box::leak(Box::new(Executor::new()));
            for i in 0..available_cores() {
                std::thread::Builder::new()
                    .name(format!("smol-worker-{i}"))
                    .spawn(move || smol::block_on(ex.run(smol::future::pending::<()>())))
                    .expect("starting a smol worker thread");
            }
            ex
        })
    }
}

fn join_all(handles: Vec<Task<()>>) -> Result<()> {
    smol::block_on(async {
        for h in handles {
            h.await;
        }
    });
    Ok(())
}

impl TaskModel for Smol {
    fn name(&self) -> &'static str {
        "smol"
    }

    fn config(&self) -> String {
        format!("async-executor Executor on {} threads", available_cores())
    }

    fn spawn_site(&self) -> SpawnSite {
        SpawnSite::Outside
    }

    fn needs(&self) -> Needs {
        Needs::STACKLESS
    }

    fn run_parked(&self, n: usize, observer: &mut dyn Observer) -> Result<ParkedRun> {
        let ex = self.executor();
        parked_with(n, observer, |rv| Ok(ex.spawn(async move { rv.park().await })), |rv| rv.gate.open(), join_all)
    }

    fn run_spawn_join(&self, n: usize) -> Result<Duration> {
        let ex = self.executor();
        spawn_join_with(n, |done| Ok(ex.spawn(async move { done.add() })), join_all)
    }
}
