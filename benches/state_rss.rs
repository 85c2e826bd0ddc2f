//! `state_rss/<model>/<K>`: resident bytes per task with all N tasks parked, each holding K bytes across its
//! park point (K = 0, 64, 512, 4096, 16384).
//!
//! The figure that sees every way of holding state: a `[u8; K]` inside a stackless task's future, on a
//! thread's or coroutine's own stack, or on a goroutine's stack, which Go grows by doubling. The array is
//! written before the park point and read after, so its pages are resident. N is one per model, nearly the
//! largest that fits this machine up to 10^5 (or the largest `TASKBENCH_N`), printed with the model's configuration
//! and recorded; a K a task's stack cannot hold is skipped with one line. Every reading is a fresh process,
//! as in `rss_per_task`: under `cargo bench`, the one `state_heap` started (see [`taskbench::harness::shared`]).

use taskbench::catalogue;
use taskbench::harness::criterion_setup::memory_config;
use taskbench::harness::experiments::state_memory_shared;
use taskbench::harness::{bench_main, GroupSpec};
use taskbench::measure::{CountingAllocator, MemoryKind};
use taskbench::models::STATE_SIZES;

// Every memory bench counts heap: one process reads every memory figure of a cell for the memory groups of
// one `cargo bench` (see `taskbench::harness::shared`). The counters take no memory of their own.
#[global_allocator]
static ALLOC: CountingAllocator = CountingAllocator;

const STATE_RSS: GroupSpec = GroupSpec {
    state_sizes: Some(&STATE_SIZES),
    shares: Some(MemoryKind::Rss),
    ..GroupSpec::of(&catalogue::STATE_RSS)
};

fn main() {
    bench_main(&STATE_RSS, &[], |model, k| state_memory_shared(model, k, MemoryKind::Rss), memory_config);
}
