//! `may`: stackful coroutines on may's scheduler, one worker per available core, may's default stack of
//! 0x1000 words (32 KiB on 64-bit).
//!
//! A coroutine cannot block its worker thread, so instead of the shared gate it parks on may's own
//! `SyncFlag` (each waiter queues one reference-counted blocker). It counts itself as arrived just before it
//! parks; a worker runs one coroutine at a time until it parks, so at most one coroutine per worker can be
//! between the two when memory is read. Coroutine stacks are mappings, not heap: the heap figure misses
//! them, RSS counts the touched pages. Each coroutine takes 2 mappings (stack and guard page). may's
//! configuration is process-wide and fixed at the first coroutine, so it is set here once.

use std::sync::Once;
use std::time::Duration;

use anyhow::{anyhow, Result};
use may::coroutine::{Builder, JoinHandle};
use may::sync::SyncFlag;

use super::{available_cores, leak, parked_with, spawn_join_with, Observer, ParkedRun, SpawnSite, TaskModel};
use crate::limits::Needs;

/// may's default coroutine stack, in words.
pub const STACK_WORDS: usize = 0x1000;

pub struct May {
    configured: Once,
}
pub static MODEL: May = May { configured: Once::new() };

impl May {
    fn configure(&self) {
        self.configured.call_once(|| {
            may::config().set_workers(available_cores()).set_stack_size(STACK_WORDS);
        });
    }

    fn spawn<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Result<JoinHandle<T>> {
        // SAFETY: the closures here use no thread-local storage and hold no borrowed data (may's two
        // conditions for a sound spawn).
        unsafe { Builder::new().spawn(f) }.map_err(|e| anyhow!("may coroutine spawn failed: {e}"))
    }
}

fn join_all<T>(handles: Vec<JoinHandle<T>>) -> Result<()> {
    for h in handles {
        h.join().map_err(|_| anyhow!("a may coroutine panicked"))?;
    }
    Ok(())
}

impl TaskModel for May {
    fn name(&self) -> &'static str {
        "may"
    }

    fn config(&self) -> String {
        format!(
            "may {} workers, stack {:#x} words ({} KiB)",
            available_cores(),
            STACK_WORDS,
            STACK_WORDS * std::mem::size_of::<usize>() / 1024
        )
    }

    fn spawn_site(&self) -> SpawnSite {
        SpawnSite::Outside
    }

    fn needs(&self) -> Needs {
        let stack = (STACK_WORDS * std::mem::size_of::<usize>()) as u64;
        Needs { maps_per_task: 2, threads_per_task: 0, bytes_per_task: stack + 4096, in_child_process: false }
    }

    fn run_parked(&self, n: usize, observer: &mut dyn Observer) -> Result<ParkedRun> {
        self.configure();
        let flag = leak(SyncFlag::new());
        parked_with(
            n,
            observer,
            |rv| {
                self.spawn(move || {
                    rv.arrived.add();
                    flag.wait();
                    rv.finished.add();
                })
            },
            |_| flag.fire(),
            join_all,
        )
    }

    fn run_spawn_join(&self, n: usize) -> Result<Duration> {
        self.configure();
        spawn_join_with(n, |done| self.spawn(move || done.add()), join_all)
    }
}
