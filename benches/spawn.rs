//! `spawn/<model>/<N>`: the time to issue N spawns of tasks that park on a gate, warm.
//!
//! Only the spawn loop is timed; waiting until all N are parked, releasing and joining happen outside the
//! clock. Each sample runs in a fresh process that first does two untimed full iterations at the same N, so
//! the figure is the steady state of a program that has fanned out N tasks before (`spawn_cold` is the first
//! burst). Every iteration checks that exactly N tasks parked and finished.

use criterion::Criterion;
use taskbench::catalogue;
use taskbench::harness::criterion_setup::criterion_config;
use taskbench::harness::experiments::spawn_ns;
use taskbench::harness::{bench_main, GroupSpec};

const SPAWN: GroupSpec = GroupSpec::of(&catalogue::SPAWN);

fn main() {
    bench_main(&SPAWN, &[], spawn_ns, || criterion_config(Criterion::default()));
}
