//! `may`: stackful coroutines on may's scheduler, one worker per available core, may's default stack of
//! 0x1000 words (32 KiB on 64-bit); `may-4k` runs them on 4 KiB stacks.
//!
//! A coroutine cannot block its worker thread, so instead of the shared gate it parks on may's own
//! `SyncFlag` (each waiter queues one reference-counted blocker). It counts itself as arrived just before it
//! parks; a worker runs one coroutine at a time until it parks, so at most one coroutine per worker can be
//! between the two when memory is read. Coroutine stacks are mappings, not heap: the heap figure misses
//! them, RSS counts the touched pages. Each coroutine takes 2 mappings (stack and guard page).
//!
//! may's settings are process-wide, and its scheduler builds a pool of 1000 coroutines with the stack size
//! set when the first one spawns; only coroutines of that size are pooled. So a model sets the stack size
//! when it starts, and a process runs one stack size: every bench cell has a process of its own, and here
//! a second size is unavailable rather than measured on the first one's pool.

use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Wake, Waker};

use anyhow::{anyhow, Result};
use may::coroutine::{Builder, JoinHandle};
use may::sync::SyncFlag;

use super::body::{Body, ParkPoint};
use super::switch::Baton;
use super::{available_cores, leak, Runtime, TaskStack};
use crate::gate::Rendezvous;
use crate::limits::Needs;

/// may's default coroutine stack: 0x1000 words.
pub const DEFAULT_STACK_BYTES: usize = 0x1000 * WORD;
const WORD: usize = std::mem::size_of::<usize>();

/// The stack size, in words, may was set to in this process.
static STACK_WORDS: OnceLock<usize> = OnceLock::new();

pub struct May {
    pub name: &'static str,
    pub stack_bytes: usize,
}

impl May {
    /// may's `set_stack_size` takes words, not bytes.
    fn stack_words(&self) -> usize {
        self.stack_bytes / WORD
    }
}

impl Runtime for May {
    type Started = ();
    type Handle = JoinHandle<()>;
    type Park = &'static SyncFlag;

    fn name(&self) -> &'static str {
        self.name
    }

    fn config(&self) -> String {
        let words = self.stack_words();
        format!("may {} workers, stack {words:#x} words ({} KiB)", available_cores(), self.stack_bytes / 1024)
    }

    fn needs(&self) -> Needs {
        Needs {
            maps_per_task: 2,
            threads_per_task: 0,
            bytes_per_task: self.stack_bytes as u64 + 4096,
            in_child_process: false,
            runtime_cap: None,
        }
    }

    fn stack(&self) -> Option<TaskStack> {
        Some(TaskStack {
            bytes: self.stack_bytes as u64,
            bigger: "a may row with a bigger stack is one line in the registry (`may::May` in src/models/mod.rs)"
                .into(),
        })
    }

    fn available(&self) -> Result<(), String> {
        match STACK_WORDS.get() {
            Some(&set) if set != self.stack_words() => {
                Err(format!("may's stack size is process-wide and this process already runs may with {set:#x} words"))
            }
            _ => Ok(()),
        }
    }

    fn start(&self) -> Result<()> {
        STACK_WORDS.get_or_init(|| {
            may::config().set_workers(available_cores()).set_stack_size(self.stack_words());
            self.stack_words()
        });
        Runtime::available(self).map_err(|why| anyhow!("{}: {why}", self.name))
    }

    fn spawn((): (), body: impl Body) -> Result<JoinHandle<()>> {
        // SAFETY: the bodies use no thread-local storage and hold no borrowed data (may's two conditions for
        // a sound spawn).
        unsafe { Builder::new().spawn(move || body.run()) }.map_err(|e| anyhow!("may coroutine spawn failed: {e}"))
    }

    fn join((): (), handles: Vec<JoinHandle<()>>) -> Result<()> {
        for h in handles {
            h.join().map_err(|_| anyhow!("a may coroutine panicked"))?;
        }
        Ok(())
    }
}

impl ParkPoint for &'static SyncFlag {
    fn for_run() -> Self {
        leak(SyncFlag::new())
    }
    fn park(self, rv: &Rendezvous) {
        rv.arrived.add();
        self.wait();
        rv.finished.add();
    }
    fn release(self, _: &Rendezvous) {
        self.fire();
    }
    fn wait_for(self, baton: &Baton, waker: &mut Option<Waker>) {
        // may's own park and unpark, behind a waker made once per coroutine: the baton's wake unparks it.
        let waker = waker.get_or_insert_with(|| Waker::from(Arc::new(Unpark(may::coroutine::current()))));
        let mut take = std::pin::pin!(baton.take());
        while take.as_mut().poll(&mut Context::from_waker(waker)).is_pending() {
            may::coroutine::park();
        }
    }
    fn yield_now(self) {
        may::coroutine::yield_now();
    }
}

/// Wakes a parked coroutine: what may's `Coroutine::unpark` is to a waker.
struct Unpark(may::coroutine::Coroutine);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}
