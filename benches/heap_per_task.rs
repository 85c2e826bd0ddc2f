//! `heap_per_task/<model>/<N>`: live heap bytes per task with all N tasks alive and parked.
//!
//! This binary installs the counting allocator (process-wide atomics, so the runtimes' worker threads
//! count). The baseline is read after the runtime is built and warmed, right before the first spawn; the
//! second reading is taken once exactly N tasks have parked; the difference divided by N is the value.
//! Stacks of threads and coroutines are not heap: see `rss_per_task` for those models.

use criterion::{criterion_group, criterion_main, Criterion};
use taskbench::measure::{BytesPerTask, CountingAllocator, MemoryKind};
use taskbench::models::{goroutine, TaskModel};
use taskbench::suite::{goroutine_stack, memory_config, memory_per_task, run_group, seed_method, ExtraRow, GroupSpec};

#[global_allocator]
static ALLOC: CountingAllocator = CountingAllocator;

const HEAP: GroupSpec = GroupSpec {
    name: "heap_per_task",
    unit: "bytes/task",
    value_is: "live heap bytes per task with all N tasks parked",
    per_task_throughput: false,
    with_controls: true,
};

/// The origin post's method, beside the live measurement: `MemStats.Alloc` before spawning and after
/// `wg.Wait()`, when every goroutine has exited, divided by N.
const SEED_METHOD: ExtraRow<BytesPerTask> = ExtraRow {
    name: "goroutine-seed-method",
    config: || "the origin post's program: MemStats.Alloc before and after wg.Wait(), goroutines exited".into(),
    caveat: Some("reproduces a flawed method: reads after the goroutines exited, and Alloc excludes stacks"),
    available: || goroutine::MODEL.available(),
    needs: goroutine::CHILD_NEEDS,
    bench: |b, n| seed_method(b, n),
};

/// Go keeps goroutine stacks outside its heap; this row shows them (`StackInuse`) next to the heap row.
const GOROUTINE_STACK: ExtraRow<BytesPerTask> = ExtraRow {
    name: "goroutine-stack",
    config: || goroutine::MODEL.config(),
    caveat: Some("not heap: Go's StackInuse growth per live goroutine, shown beside its heap row"),
    available: || goroutine::MODEL.available(),
    needs: goroutine::CHILD_NEEDS,
    bench: goroutine_stack,
};

fn heap_per_task(c: &mut Criterion<BytesPerTask>) {
    run_group(c, &HEAP, &[GOROUTINE_STACK, SEED_METHOD], |b, model, n| memory_per_task(b, model, n, MemoryKind::Heap));
}

criterion_group! {
    name = benches;
    config = memory_config();
    targets = heap_per_task
}
criterion_main!(benches);
