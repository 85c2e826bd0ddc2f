//! `spawn_join/<model>/<N>`: the time to spawn N trivial tasks and wait until every one has run (the shape
//! of the original goroutine experiment). Joining the handles happens after the clock stops; the count of
//! tasks that ran must be exactly N.

use criterion::{criterion_group, criterion_main, Criterion};
use taskbench::suite::{criterion_config, run_group, time_spawn_join, GroupSpec};

const SPAWN_JOIN: GroupSpec = GroupSpec {
    name: "spawn_join",
    unit: "ns",
    value_is: "time to spawn N trivial tasks and wait until all have run",
    per_task_throughput: true,
    with_controls: false,
};

fn spawn_join(c: &mut Criterion) {
    run_group(c, &SPAWN_JOIN, &[], time_spawn_join);
}

criterion_group! { name = benches; config = criterion_config(Criterion::default()); targets = spawn_join }
criterion_main!(benches);
