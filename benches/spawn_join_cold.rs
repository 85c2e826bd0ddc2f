//! `spawn_join_cold/<model>/<N>`: the time to spawn the first N trivial tasks in a fresh process and wait
//! until every one has run. Every iteration is its own process; the runtime is built and warmed with a
//! handful of tasks outside the clock.

use criterion::Criterion;
use taskbench::catalogue;
use taskbench::harness::criterion_setup::criterion_config;
use taskbench::harness::experiments::spawn_join_ns;
use taskbench::harness::{bench_main, GroupSpec};

const SPAWN_JOIN_COLD: GroupSpec = GroupSpec::of(&catalogue::SPAWN_JOIN_COLD);

fn main() {
    bench_main(&SPAWN_JOIN_COLD, &[], spawn_join_ns, || criterion_config(Criterion::default()));
}
