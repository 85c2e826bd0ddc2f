//! `spawn/<model>/<N>`: the time to issue N spawns of tasks that park on a gate, warm.
//!
//! Only the spawn loop is timed; waiting until all N are parked, releasing and joining happen outside the
//! clock. Each sample runs in a fresh process that first does two untimed full iterations at the same N, so
//! the figure is the steady state of a program that has fanned out N tasks before (`spawn_cold` is the first
//! burst). Every iteration checks that exactly N tasks parked and finished.

use criterion::Criterion;
use taskbench::cell::Temperature;
use taskbench::suite::{bench_main, criterion_config, spawn_ns, GroupSpec};

const SPAWN: GroupSpec = GroupSpec {
    name: "spawn",
    unit: "ns",
    value_is: "time of the spawn loop for N parked tasks, warm (after two untimed iterations in the same process)",
    per_task_throughput: true,
    with_controls: false,
    temperature: Temperature::Warm,
    reads_memory: false,
    only: None,
    state_sizes: None,
};

fn main() {
    bench_main(&SPAWN, &[], spawn_ns, || criterion_config(Criterion::default()));
}
