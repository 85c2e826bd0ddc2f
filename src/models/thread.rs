//! `thread`: one OS thread per task, std's default stack (2 MiB unless `RUST_MIN_STACK` says otherwise).
//!
//! Threads park on the shared gate by blocking. Their stacks are memory mappings, not heap: the heap figure
//! misses them and RSS counts only the stack pages a thread touched. Each thread takes 4 mappings (stack,
//! guard page, signal stack and its guard page), which is what `vm.max_map_count` limits.

use std::time::Duration;

use anyhow::{Context, Result};

use super::{parked_with, spawn_join_with, Observer, ParkedRun, SpawnSite, TaskModel};
use crate::limits::{thread_stack_resident_bytes, Needs};

pub struct Thread;
pub static MODEL: Thread = Thread;

impl TaskModel for Thread {
    fn name(&self) -> &'static str {
        "thread"
    }

    fn config(&self) -> String {
        match std::env::var("RUST_MIN_STACK") {
            Ok(v) => format!("std::thread, stack RUST_MIN_STACK={v} bytes"),
            Err(_) => "std::thread, default stack 2 MiB".into(),
        }
    }

    fn spawn_site(&self) -> SpawnSite {
        SpawnSite::Outside
    }

    fn needs(&self) -> Needs {
        Needs {
            maps_per_task: 4,
            threads_per_task: 1,
            // Touched stack pages plus the kernel's per-thread memory (not in RSS but not free either).
            bytes_per_task: thread_stack_resident_bytes() + (16 << 10),
            in_child_process: false,
        }
    }

    fn run_parked(&self, n: usize, observer: &mut dyn Observer) -> Result<ParkedRun> {
        parked_with(
            n,
            observer,
            |rv| std::thread::Builder::new().spawn(move || rv.park_blocking()).context("std::thread spawn failed"),
            |rv| rv.gate.open(),
            join_all,
        )
    }

    fn run_spawn_join(&self, n: usize) -> Result<Duration> {
        spawn_join_with(
            n,
            |done| std::thread::Builder::new().spawn(move || done.add()).context("std::thread spawn failed"),
            join_all,
        )
    }
}

fn join_all(handles: Vec<std::thread::JoinHandle<()>>) -> Result<()> {
    for h in handles {
        h.join().map_err(|_| anyhow::anyhow!("a thread panicked"))?;
    }
    Ok(())
}
