//! `tokio-ct`: tokio's current-thread runtime.
//!
//! The whole experiment runs inside `block_on`, as a `#[tokio::main(flavor = "current_thread")]` program
//! would: spawns go to the runtime's local queue (no cross-thread queue), and the tasks run on the bench
//! thread whenever the experiment awaits. The spawn loop is timed the same way as for every other model.

use std::future::Future;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Result};
use tokio::runtime::{Builder, Runtime};

use super::{handle_storage, leak, wait_limit, Observer, ParkedRun, SpawnSite, TaskModel, ThisProcess};
use crate::gate::{Rendezvous, Tally};
use crate::limits::Needs;

pub struct TokioCt {
    runtime: OnceLock<Runtime>,
}
pub static MODEL: TokioCt = TokioCt { runtime: OnceLock::new() };

impl TokioCt {
    fn runtime(&self) -> &Runtime {
        self.runtime.get_or_init(|| {
            Builder::new_current_thread().enable_time().build().expect("building tokio's current-thread runtime")
        })
    }
}

/// Waits for `what`, failing after [`wait_limit`] with a message naming the count reached.
async fn bounded(what: impl Future<Output = ()>, tally: &Tally, target: usize) -> Result<()> {
    let limit = wait_limit(target);
    tokio::time::timeout(limit, what).await.map_err(|_| {
        anyhow!("timed out after {:.1} s: {} of {target} tasks arrived", limit.as_secs_f64(), tally.count())
    })
}

impl TaskModel for TokioCt {
    fn name(&self) -> &'static str {
        "tokio-ct"
    }

    fn config(&self) -> String {
        "tokio current-thread, spawned from inside block_on".into()
    }

    fn spawn_site(&self) -> SpawnSite {
        SpawnSite::Inside
    }

    fn needs(&self) -> Needs {
        Needs::STACKLESS
    }

    fn run_parked(&self, n: usize, observer: &mut dyn Observer) -> Result<ParkedRun> {
        self.runtime().block_on(async {
            let rv = leak(Rendezvous::new());
            let mut handles = handle_storage(n);
            observer.before_spawn(&ThisProcess)?;
            let start = Instant::now();
            for _ in 0..n {
                handles.push(tokio::spawn(async move { rv.park().await }));
            }
            let spawn_time = start.elapsed();
            let parked = bounded(rv.arrived.reached(n), &rv.arrived, n).await.and_then(|()| rv.all_parked(n));
            let observed = match parked {
                Ok(()) => observer.all_parked(&ThisProcess),
                Err(e) => Err(e.context("not every task parked")),
            };
            rv.gate.open();
            bounded(rv.finished.reached(n), &rv.finished, n).await?;
            for h in handles {
                h.await?;
            }
            observed?;
            rv.check(n)?;
            Ok(ParkedRun { spawn_time, parked: n })
        })
    }

    fn run_spawn_join(&self, n: usize) -> Result<Duration> {
        self.runtime().block_on(async {
            let done = leak(Tally::new());
            let mut handles = handle_storage(n);
            let start = Instant::now();
            for _ in 0..n {
                handles.push(tokio::spawn(async move { done.add() }));
            }
            bounded(done.reached(n), done, n).await?;
            let elapsed = start.elapsed();
            for h in handles {
                h.await?;
            }
            let ran = done.count();
            anyhow::ensure!(ran == n, "{ran} trivial tasks ran, expected exactly {n}");
            Ok(elapsed)
        })
    }
}
