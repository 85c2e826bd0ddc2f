//! `spawn_join_cold/<model>/<N>`: the time to spawn the first N trivial tasks in a fresh process and wait
//! until every one has run. Every iteration is its own process; the runtime is built and warmed with a
//! handful of tasks outside the clock.

use criterion::Criterion;
use taskbench::cell::Temperature;
use taskbench::suite::{bench_main, criterion_config, spawn_join_ns, GroupSpec};

const SPAWN_JOIN_COLD: GroupSpec = GroupSpec {
    name: "spawn_join_cold",
    unit: "ns",
    value_is: "time to spawn the first N trivial tasks in a fresh process and wait until all have run",
    per_task_throughput: true,
    with_controls: false,
    temperature: Temperature::Cold,
    reads_memory: false,
    only: None,
    state_sizes: None,
};

fn main() {
    bench_main(&SPAWN_JOIN_COLD, &[], spawn_join_ns, || criterion_config(Criterion::default()));
}
