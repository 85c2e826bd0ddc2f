//! `kernel_per_task/<model>/<N>`: the kernel's memory per task with all N tasks alive and parked: the growth
//! of the process's page tables (`VmPTE`) and of the kernel stacks (`KernelStack`, machine-wide; per thread
//! when other threads came or went: see [`taskbench::measure::kernel`]). None of it is in
//! RSS: a thread's kernel stack and the page tables that map its stack are what a thread costs beyond its
//! resident pages.
//!
//! Only models whose tasks are threads or own a stack mapping (thread, may), and Go, whose few threads are
//! the point of its row; a stackless task costs the kernel only the page tables of its heap (about 0.2% of
//! its RSS: an 8-byte page-table entry per 4 KiB page), below the machine's noise. A busy machine still gives the process's figure; a reading that took
//! the kernel stacks per thread leaves a note in the cell's record. Each sample is a fresh process, measured as `rss_per_task` is,
//! and under `cargo bench` the one `heap_per_task` started (see [`taskbench::harness::shared`]).

use taskbench::catalogue;
use taskbench::harness::criterion_setup::memory_config;
use taskbench::harness::experiments::memory_shared;
use taskbench::harness::spec::KERNEL_SHARE;
use taskbench::harness::{bench_main, GroupSpec};
use taskbench::measure::{CountingAllocator, MemoryKind};

// Every memory bench counts heap: one process reads every memory figure of a cell for the memory groups of
// one `cargo bench` (see `taskbench::harness::shared`). The counters take no memory of their own.
#[global_allocator]
static ALLOC: CountingAllocator = CountingAllocator;

const KERNEL: GroupSpec =
    GroupSpec { only: Some(KERNEL_SHARE), shares: Some(MemoryKind::Kernel), ..GroupSpec::of(&catalogue::KERNEL) };

fn main() {
    bench_main(&KERNEL, &[], |model, n| memory_shared(model, n, MemoryKind::Kernel), memory_config);
}
