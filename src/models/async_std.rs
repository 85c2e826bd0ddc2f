//! `async-std`: async-std's global executor (async-global-executor over async-executor, the engine smol
//! uses too), with its default worker count (`ASYNC_STD_THREAD_COUNT`, else one per core).
//!
//! async-std is discontinued upstream (its README says to use smol; advisory RUSTSEC-2025-0052). It stays
//! here because published comparisons still quote it; every report marks it.

use anyhow::Result;
use async_std::task::JoinHandle;

use super::body::{Body, OnGate};
use super::{available_cores, Runtime};

pub struct AsyncStd;

impl Runtime for AsyncStd {
    type Started = ();
    type Handle = JoinHandle<()>;
    type Park = OnGate;

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

    fn start(&self) -> Result<()> {
        Ok(())
    }

    fn spawn((): (), body: impl Body) -> Result<JoinHandle<()>> {
        Ok(async_std::task::spawn(body.into_future()))
    }

    fn join((): (), handles: Vec<JoinHandle<()>>) -> Result<()> {
        async_std::task::block_on(async {
            for h in handles {
                h.await;
            }
        });
        Ok(())
    }

    fn yield_now() -> impl std::future::Future<Output = ()> + Send {
        async_std::task::yield_now()
    }
}
