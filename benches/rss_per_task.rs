//! `rss_per_task/<model>/<N>`: resident memory (RSS) per task with all N tasks alive and parked.
//!
//! RSS is read with `memory-stats` (the tasks' own process) or from `/proc/<pid>/smaps_rollup` (a child
//! process). Before the baseline, freed heap is returned to the OS (`malloc_trim`), so pages a previous run
//! freed do not hide this run's growth. RSS counts touched pages, allocator slack included: this is the
//! figure that sees thread and coroutine stacks. This binary uses the plain system allocator.

use criterion::{criterion_group, criterion_main, Criterion};
use taskbench::measure::{BytesPerTask, MemoryKind};
use taskbench::suite::{memory_config, memory_per_task, run_group, GroupSpec};

const RSS: GroupSpec = GroupSpec {
    name: "rss_per_task",
    unit: "bytes/task",
    value_is: "resident bytes per task with all N tasks parked",
    per_task_throughput: false,
    with_controls: true,
};

fn rss_per_task(c: &mut Criterion<BytesPerTask>) {
    run_group(c, &RSS, &[], |b, model, n| memory_per_task(b, model, n, MemoryKind::Rss));
}

criterion_group! {
    name = benches;
    config = memory_config();
    targets = rss_per_task
}
criterion_main!(benches);
