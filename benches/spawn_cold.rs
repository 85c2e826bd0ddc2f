//! `spawn_cold/<model>/<N>`: the time to issue the first N spawns of parked tasks in a fresh process.
//!
//! Every iteration is its own process: the runtime is built and warmed with a handful of tasks outside the
//! clock, then the spawn loop of the first burst of N is timed. It pays what a program pays the first time
//! it fans out: fresh pages, runtime tables growing from empty, and (Go) a new `g` and stack per goroutine.

use criterion::Criterion;
use taskbench::catalogue;
use taskbench::harness::criterion_setup::criterion_config;
use taskbench::harness::experiments::spawn_ns;
use taskbench::harness::{bench_main, GroupSpec};

const SPAWN_COLD: GroupSpec = GroupSpec::of(&catalogue::SPAWN_COLD);

fn main() {
    bench_main(&SPAWN_COLD, &[], spawn_ns, || criterion_config(Criterion::default()));
}
