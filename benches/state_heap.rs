//! `state_heap/<model>/<K>`: live heap bytes per task with all N tasks parked, each holding K bytes across
//! its park point (K = 0, 64, 512, 4096, 16384).
//!
//! The state is a `[u8; K]` written before the park point and read after: inside the future of a stackless
//! task (so it is part of the task's allocation), on the stack of a thread or coroutine (not heap: see
//! `state_rss`), on a goroutine's stack (Go's `StackInuse`, the `goroutine-stack` row). N is one per model,
//! nearly the largest that fits this machine up to 10^5 (or the largest `TASKBENCH_N`), printed with the model's
//! configuration and recorded; a K a task's stack cannot hold is skipped with one line. Every reading is a
//! fresh process, as in `heap_per_task`, which reads RSS too, for `state_rss` (see
//! [`taskbench::harness::shared`]).

use taskbench::catalogue;
use taskbench::harness::criterion_setup::memory_config;
use taskbench::harness::experiments::state_memory_shared;
use taskbench::harness::go_rows::STATE_HEAP_EXTRA_ROWS;
use taskbench::harness::{bench_main, GroupSpec};
use taskbench::measure::{CountingAllocator, MemoryKind};
use taskbench::models::STATE_SIZES;

#[global_allocator]
static ALLOC: CountingAllocator = CountingAllocator;

const STATE_HEAP: GroupSpec = GroupSpec {
    state_sizes: Some(&STATE_SIZES),
    shares: Some(MemoryKind::Heap),
    ..GroupSpec::of(&catalogue::STATE_HEAP)
};

fn main() {
    bench_main(
        &STATE_HEAP,
        &STATE_HEAP_EXTRA_ROWS,
        |model, k| state_memory_shared(model, k, MemoryKind::Heap),
        memory_config,
    );
}
