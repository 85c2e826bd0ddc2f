//! `heap_per_task/<model>/<N>`: live heap bytes per task with all N tasks alive and parked.
//!
//! This binary installs the counting allocator (process-wide atomics, so the runtimes' worker threads
//! count). The baseline is read after the runtime is built and warmed, right before the first spawn; the
//! second reading is taken once exactly N tasks have parked; the difference divided by N is the value.
//! Each sample runs in a fresh process after two untimed parked runs at the same N (Go: a fresh Go process
//! per reading). Stacks of threads and coroutines are not heap: see `rss_per_task` for those models.

use taskbench::cell::Temperature;
use taskbench::measure::{CountingAllocator, MemoryKind};
use taskbench::models::{goroutine, TaskModel};
use taskbench::suite::{bench_main, goroutine_stack, memory_config, memory_per_task, seed_method, ExtraRow, GroupSpec};

#[global_allocator]
static ALLOC: CountingAllocator = CountingAllocator;

const HEAP: GroupSpec = GroupSpec {
    name: "heap_per_task",
    unit: "bytes/task",
    value_is: "live heap bytes per task with all N tasks parked",
    per_task_throughput: false,
    with_controls: true,
    temperature: Temperature::Warm,
    reads_memory: true,
};

/// The origin post's method, beside the live measurement: `MemStats.Alloc` before spawning and after
/// `wg.Wait()`, when every goroutine has exited, divided by N.
const SEED_METHOD: ExtraRow = ExtraRow {
    name: "goroutine-seed-method",
    config: || "the origin post's program: MemStats.Alloc before and after wg.Wait(), goroutines exited".into(),
    caveat: Some("reproduces a flawed method: reads after the goroutines exited, and Alloc excludes stacks"),
    available: || goroutine::MODEL.available(),
    needs: goroutine::CHILD_NEEDS,
    measure: seed_method,
};

/// Go keeps goroutine stacks outside its heap; this row shows them (`StackInuse`) next to the heap row.
const GOROUTINE_STACK: ExtraRow = ExtraRow {
    name: "goroutine-stack",
    config: || goroutine::MODEL.config(),
    caveat: Some("not heap: Go's StackInuse growth per live goroutine, shown beside its heap row"),
    available: || goroutine::MODEL.available(),
    needs: goroutine::CHILD_NEEDS,
    measure: goroutine_stack,
};

fn main() {
    bench_main(
        &HEAP,
        &[GOROUTINE_STACK, SEED_METHOD],
        |model, n| memory_per_task(model, n, MemoryKind::Heap),
        memory_config,
    );
}
