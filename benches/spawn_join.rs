//! `spawn_join/<model>/<N>`: the time to spawn N trivial tasks and wait until every one has run (the shape
//! of the original goroutine experiment), warm. Joining the handles happens after the clock stops; the count
//! of tasks that ran must be exactly N. Each sample runs in a fresh process that first does two untimed full
//! iterations at the same N (`spawn_join_cold` is the first burst).

use criterion::Criterion;
use taskbench::cell::Temperature;
use taskbench::suite::{bench_main, criterion_config, spawn_join_ns, GroupSpec};

const SPAWN_JOIN: GroupSpec = GroupSpec {
    name: "spawn_join",
    unit: "ns",
    value_is: "time to spawn N trivial tasks and wait until all have run, warm",
    per_task_throughput: true,
    with_controls: false,
    temperature: Temperature::Warm,
    reads_memory: false,
    only: None,
    state_sizes: None,
};

fn main() {
    bench_main(&SPAWN_JOIN, &[], spawn_join_ns, || criterion_config(Criterion::default()));
}
