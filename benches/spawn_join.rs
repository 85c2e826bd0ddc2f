//! `spawn_join/<model>/<N>`: the time to spawn N trivial tasks and wait until every one has run (the shape
//! of the original goroutine experiment), warm. Joining the handles happens after the clock stops; the count
//! of tasks that ran must be exactly N. Each sample runs in a fresh process that first does two untimed full
//! iterations at the same N (`spawn_join_cold` is the first burst).

use criterion::Criterion;
use taskbench::catalogue;
use taskbench::harness::criterion_setup::criterion_config;
use taskbench::harness::experiments::spawn_join_ns;
use taskbench::harness::{bench_main, GroupSpec};

const SPAWN_JOIN: GroupSpec = GroupSpec::of(&catalogue::SPAWN_JOIN);

fn main() {
    bench_main(&SPAWN_JOIN, &[], spawn_join_ns, || criterion_config(Criterion::default()));
}
