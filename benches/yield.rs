//! `yield/<model>/<N>`: the time of a task's yield to its scheduler. N tasks, started and waiting at a gate,
//! each yield Y times once it opens (at least 4,000 yields an iteration, at least 4 per task), through the
//! model's own yield: `tokio::task::yield_now`, async-std's, `futures_lite::future::yield_now` (smol, floor),
//! may's `coroutine::yield_now`, `std::thread::yield_now` (`sched_yield`) for threads, `runtime.Gosched()`
//! for Go. The value is the time of N yields, so the figure per task is ns per yield. Every iteration checks
//! that exactly N · Y yields ran. Warm: each sample's process first runs two untimed iterations.

use criterion::Criterion;
use taskbench::catalogue;
use taskbench::harness::criterion_setup::criterion_config;
use taskbench::harness::experiments::yield_ns;
use taskbench::harness::{bench_main, GroupSpec};

const YIELD: GroupSpec = GroupSpec::of(&catalogue::YIELD);

fn main() {
    bench_main(&YIELD, &[], yield_ns, || criterion_config(Criterion::default()));
}
