//! `rss_per_task/<model>/<N>`: resident memory (RSS) per task with all N tasks alive and parked.
//!
//! RSS is read from `/proc/<pid>/smaps_rollup` (the tasks' own process, or the child process that holds
//! them) by a reader that allocates nothing. Before the baseline, freed heap is returned to the OS
//! (`malloc_trim`), so free pages left by start-up do not hide the growth. RSS counts touched pages, allocator
//! slack included: this is the figure that sees thread and coroutine stacks. This binary uses the plain system allocator. Each sample
//! runs in a fresh process: the runtime is built and warmed with a handful of tasks, then N are spawned, so
//! tables a runtime grows for N and never shrinks are counted, as Go's are (see [`taskbench::cell`]).

use taskbench::catalogue;
use taskbench::harness::criterion_setup::memory_config;
use taskbench::harness::experiments::memory_per_task;
use taskbench::harness::{bench_main, GroupSpec};
use taskbench::measure::MemoryKind;

const RSS: GroupSpec = GroupSpec { with_controls: true, ..GroupSpec::of(&catalogue::RSS) };

fn main() {
    bench_main(&RSS, &[], |model, n| memory_per_task(model, n, MemoryKind::Rss), memory_config);
}
