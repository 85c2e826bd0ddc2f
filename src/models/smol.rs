//! `smol`: an `async_executor::Executor` run on one thread per available core, each thread in
//! `block_on(executor.run(..))`; tasks are spawned from the bench thread.
//!
//! One allocation per task (header, schedule closure, future), the same engine async-std runs on.

use std::sync::OnceLock;

use anyhow::Result;
use async_executor::{Executor, Task};

use super::body::{Body, OnGate};
use super::{available_cores, leak, Runtime};

#[derive(Default)]
pub struct Smol {
    executor: OnceLock<&'static Executor<'static>>,
}

impl Runtime for Smol {
    type Started = &'static Executor<'static>;
    type Handle = Task<()>;
    type Park = OnGate;

    fn name(&self) -> &'static str {
        "smol"
    }

    fn config(&self) -> String {
        format!("async-executor Executor on {} threads", available_cores())
    }

    fn start(&self) -> Result<&'static Executor<'static>> {
        Ok(self.executor.get_or_init(|| {
            let ex: &'static Executor<'static> = leak(Executor::new());
            for i in 0..available_cores() {
                std::thread::Builder::new()
                    .name(format!("smol-worker-{i}"))
                    .spawn(move || smol::block_on(ex.run(smol::future::pending::<()>())))
                    .expect("starting a smol worker thread");
            }
            ex
        }))
    }

    fn spawn(ex: &'static Executor<'static>, body: impl Body) -> Result<Task<()>> {
        Ok(ex.spawn(body.into_future()))
    }

    fn join(_: &'static Executor<'static>, handles: Vec<Task<()>>) -> Result<()> {
        smol::block_on(async {
            for h in handles {
                h.await;
            }
        });
        Ok(())
    }
}
