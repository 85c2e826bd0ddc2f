//! `heap_per_task/<model>/<N>`: live heap bytes per task with all N tasks alive and parked.
//!
//! This binary installs the counting allocator (process-wide atomics, so the runtimes' worker threads
//! count). The baseline is read after the runtime is built and warmed, right before the first spawn; the
//! second reading is taken once exactly N tasks have parked; the difference divided by N is the value.
//! Every reading is a fresh process (see [`taskbench::harness::cell`]), which reads the cell's RSS and kernel figures
//! too, for `rss_per_task` and `kernel_per_task` (see [`taskbench::harness::shared`]): the runtime is built and warmed with a handful
//! of tasks, then N are spawned, so tables a runtime grows for N and never shrinks are counted, as Go's are.
//! Stacks of threads and coroutines are not heap: see `rss_per_task` for those models.
//!
//! Two extra rows stand beside the goroutine row ([`taskbench::harness::go_rows::HEAP_EXTRA_ROWS`]): Go's stacks, and
//! the origin post's method.

use taskbench::catalogue;
use taskbench::harness::criterion_setup::memory_config;
use taskbench::harness::experiments::memory_shared;
use taskbench::harness::go_rows::HEAP_EXTRA_ROWS;
use taskbench::harness::{bench_main, GroupSpec};
use taskbench::measure::{CountingAllocator, MemoryKind};

#[global_allocator]
static ALLOC: CountingAllocator = CountingAllocator;

const HEAP: GroupSpec =
    GroupSpec { with_controls: true, shares: Some(MemoryKind::Heap), ..GroupSpec::of(&catalogue::HEAP) };

fn main() {
    bench_main(&HEAP, &HEAP_EXTRA_ROWS, |model, n| memory_shared(model, n, MemoryKind::Heap), memory_config);
}
