//! `rss_per_task/<model>/<N>`: resident memory (RSS) per task with all N tasks alive and parked.
//!
//! RSS is read with `memory-stats` (the tasks' own process) or from `/proc/<pid>/smaps_rollup` (a child
//! process). Before the baseline, freed heap is returned to the OS (`malloc_trim`), so pages a previous run
//! freed do not hide this run's growth. RSS counts touched pages, allocator slack included: this is the
//! figure that sees thread and coroutine stacks. This binary uses the plain system allocator. Each sample
//! runs in a fresh process after two untimed parked runs at the same N (Go: a fresh Go process per reading).

use taskbench::cell::Temperature;
use taskbench::measure::MemoryKind;
use taskbench::suite::{bench_main, memory_config, memory_per_task, GroupSpec};

const RSS: GroupSpec = GroupSpec {
    name: "rss_per_task",
    unit: "bytes/task",
    value_is: "resident bytes per task with all N tasks parked",
    per_task_throughput: false,
    with_controls: true,
    temperature: Temperature::Warm,
    reads_memory: true,
};

fn main() {
    bench_main(&RSS, &[], |model, n| memory_per_task(model, n, MemoryKind::Rss), memory_config);
}
