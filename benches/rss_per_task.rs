//! `rss_per_task/<model>/<N>`: resident memory (RSS) per task with all N tasks alive and parked.
//!
//! RSS is read from `/proc/<pid>/smaps_rollup` (the tasks' own process, or the child process that holds
//! them) by a reader that allocates nothing. Before the baseline, freed heap is returned to the OS
//! (`malloc_trim`), so free pages left by start-up do not hide the growth. RSS counts touched pages, allocator
//! slack included: this is the figure that sees thread and coroutine stacks. The system allocator serves
//! every allocation; the counting allocator only counts them. Each sample runs in a fresh process: the runtime
//! is built and warmed with a handful of tasks, then N are spawned, so tables a runtime grows for N and never
//! shrinks are counted, as Go's are (see [`taskbench::harness::cell`]). Under `cargo bench` the processes are
//! the ones `heap_per_task` started, which read RSS too (see [`taskbench::harness::shared`]).

use taskbench::catalogue;
use taskbench::harness::criterion_setup::memory_config;
use taskbench::harness::experiments::memory_shared;
use taskbench::harness::{bench_main, GroupSpec};
use taskbench::measure::{CountingAllocator, MemoryKind};

// Every memory bench counts heap: one process reads every memory figure of a cell for the memory groups of
// one `cargo bench` (see `taskbench::harness::shared`). The counters take no memory of their own.
#[global_allocator]
static ALLOC: CountingAllocator = CountingAllocator;

const RSS: GroupSpec =
    GroupSpec { with_controls: true, shares: Some(MemoryKind::Rss), ..GroupSpec::of(&catalogue::RSS) };

fn main() {
    bench_main(&RSS, &[], |model, n| memory_shared(model, n, MemoryKind::Rss), memory_config);
}
