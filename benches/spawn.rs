//! `spawn/<model>/<N>`: the time to issue N spawns of tasks that park on a gate.
//!
//! Only the spawn loop is timed; waiting until all N are parked, releasing and joining happen outside the
//! clock. Every iteration checks that exactly N tasks parked and finished. Throughput is N tasks per
//! iteration, so Criterion's reports show tasks/s next to the time for N spawns.

use criterion::{criterion_group, criterion_main, Criterion};
use taskbench::suite::{criterion_config, run_group, time_spawn, GroupSpec};

const SPAWN: GroupSpec = GroupSpec {
    name: "spawn",
    unit: "ns",
    value_is: "time of the spawn loop for N parked tasks",
    per_task_throughput: true,
    with_controls: false,
};

fn spawn(c: &mut Criterion) {
    run_group(c, &SPAWN, &[], time_spawn);
}

criterion_group! { name = benches; config = criterion_config(Criterion::default()); targets = spawn }
criterion_main!(benches);
