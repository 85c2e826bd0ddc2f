//! `handoff/<model>/<N>`: the time to hand control from one task to another. N tasks in a ring, each waiting
//! for a baton; a token goes round the ring, each task that receives it waking the next and waiting again,
//! for at least 4,000 hand-offs an iteration. The value is the time of one lap (N hand-offs), so the figure
//! per task is ns per hand-off: one wake plus one switch. N = 2 is ping-pong (everything in cache); larger
//! rings wake tasks that have gone cold in cache. What carries the token for each model is in
//! `models::switch`; Go's ring is an unbuffered channel per link. Every iteration checks that exactly
//! N · laps hand-offs happened, in ring order. Warm: each sample's process first runs two untimed iterations.

use criterion::Criterion;
use taskbench::catalogue;
use taskbench::harness::criterion_setup::criterion_config;
use taskbench::harness::experiments::handoff_ns;
use taskbench::harness::{bench_main, GroupSpec};

const HANDOFF: GroupSpec = GroupSpec::of(&catalogue::HANDOFF);

fn main() {
    bench_main(&HANDOFF, &[], handoff_ns, || criterion_config(Criterion::default()));
}
