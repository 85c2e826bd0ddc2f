//! `thread`: one OS thread per task, std's default stack (2 MiB unless `RUST_MIN_STACK` says otherwise);
//! `thread-16k` asks `Builder::stack_size` for 16 KiB, which std raises to glibc's minimum for this binary.
//!
//! Threads block on the shared gate. Their stacks are memory mappings, not heap: the heap figure misses them
//! and RSS counts only the stack pages a thread touched. Each thread takes 4 mappings (stack, guard page,
//! signal stack and its guard page), which is what `vm.max_map_count` limits.

use std::thread::{Builder, JoinHandle};

use anyhow::{anyhow, Context, Result};

use super::body::{Body, OnGate};
use super::{Runtime, TaskStack};
use crate::limits::{thread_stack_bytes, thread_stack_resident_bytes, Needs};

/// The stack std gives a thread spawned without a size: `RUST_MIN_STACK` when it is set to a number of bytes,
/// else 2 MiB (std's default).
fn default_stack() -> usize {
    std::env::var("RUST_MIN_STACK").ok().and_then(|v| v.parse().ok()).unwrap_or(2 << 20)
}

pub struct Thread {
    pub name: &'static str,
    /// Bytes asked of `Builder::stack_size`; `None` keeps std's default.
    pub stack: Option<usize>,
}

impl Runtime for Thread {
    type Started = Option<usize>;
    type Handle = JoinHandle<()>;
    type Park = OnGate;

    fn name(&self) -> &'static str {
        self.name
    }

    fn config(&self) -> String {
        match (self.stack, std::env::var("RUST_MIN_STACK")) {
            (Some(asked), _) => format!(
                "std::thread, stack {} KiB asked, {} B as std sets it (at least glibc's minimum for this binary)",
                asked >> 10,
                thread_stack_bytes(asked)
            ),
            (None, Ok(v)) => format!("std::thread, stack RUST_MIN_STACK={v} bytes"),
            (None, Err(_)) => "std::thread, default stack 2 MiB".into(),
        }
    }

    fn needs(&self) -> Needs {
        // A stack cannot be more resident than its mapping is long.
        let mapped = self.stack.map_or(u64::MAX, |asked| thread_stack_bytes(asked).next_multiple_of(4096));
        let stack = thread_stack_resident_bytes().min(mapped);
        // Plus the kernel's per-thread memory (not in RSS but not free either).
        Needs {
            maps_per_task: 4,
            threads_per_task: 1,
            bytes_per_task: stack + (16 << 10),
            in_child_process: false,
            runtime_cap: None,
        }
    }

    fn stack(&self) -> Option<TaskStack> {
        let bigger = match self.stack {
            Some(_) => "the `thread` row runs the same tasks on std's default stack".to_string(),
            None => "set RUST_MIN_STACK=<bytes> for a bigger default stack".to_string(),
        };
        Some(TaskStack { bytes: thread_stack_bytes(self.stack.unwrap_or_else(default_stack)), bigger })
    }

    fn start(&self) -> Result<Option<usize>> {
        Ok(self.stack)
    }

    fn spawn(stack: Option<usize>, body: impl Body) -> Result<JoinHandle<()>> {
        let builder = match stack {
            Some(bytes) => Builder::new().stack_size(bytes),
            None => Builder::new(),
        };
        builder.spawn(move || body.run()).context("std::thread spawn failed")
    }

    fn join(_: Option<usize>, handles: Vec<JoinHandle<()>>) -> Result<()> {
        for h in handles {
            h.join().map_err(|_| anyhow!("a thread panicked"))?;
        }
        Ok(())
    }
}
