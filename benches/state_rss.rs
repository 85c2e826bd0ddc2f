//! `state_rss/<model>/<K>`: resident bytes per task with all N tasks parked, each holding K bytes across its
//! park point (K = 0, 64, 512, 4096, 16384).
//!
//! The figure that sees every way of holding state: a `[u8; K]` inside a stackless task's future, on a
//! thread's or coroutine's own stack, or on a goroutine's stack, which Go grows by doubling. The array is
//! written before the park point and read after, so its pages are resident. N is one per model, nearly the
//! largest that fits this machine up to 10^5 (or the largest `TASKBENCH_N`), printed with the model's configuration
//! and recorded; a K a task's stack cannot hold is skipped with one line. Every reading is a fresh process,
//! as in `rss_per_task`.

use taskbench::catalogue;
use taskbench::harness::criterion_setup::memory_config;
use taskbench::harness::experiments::state_memory;
use taskbench::harness::{bench_main, GroupSpec};
use taskbench::measure::MemoryKind;
use taskbench::models::STATE_SIZES;

const STATE_RSS: GroupSpec = GroupSpec { state_sizes: Some(&STATE_SIZES), ..GroupSpec::of(&catalogue::STATE_RSS) };

fn main() {
    bench_main(&STATE_RSS, &[], |model, k| state_memory(model, k, MemoryKind::Rss), memory_config);
}
