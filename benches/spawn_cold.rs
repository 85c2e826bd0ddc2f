//! `spawn_cold/<model>/<N>`: the time to issue the first N spawns of parked tasks in a fresh process.
//!
//! Every iteration is its own process: the runtime is built and warmed with a handful of tasks outside the
//! clock, then the spawn loop of the first burst of N is timed. It pays what a program pays the first time
//! it fans out: fresh pages, runtime tables growing from empty, and (Go) a new `g` and stack per goroutine.

use criterion::Criterion;
use taskbench::cell::Temperature;
use taskbench::suite::{bench_main, criterion_config, spawn_ns, GroupSpec};

const SPAWN_COLD: GroupSpec = GroupSpec {
    name: "spawn_cold",
    unit: "ns",
    value_is: "time of the spawn loop for the first N parked tasks in a fresh process",
    per_task_throughput: true,
    with_controls: false,
    temperature: Temperature::Cold,
    reads_memory: false,
    only: None,
    state_sizes: None,
};

fn main() {
    bench_main(&SPAWN_COLD, &[], spawn_ns, || criterion_config(Criterion::default()));
}
