//! `spawn_instructions/<model>/<N>`: the instructions the spawning thread executes in the spawn loop, per
//! task, for the first N parked tasks in a fresh process, counted by valgrind's callgrind.
//!
//! A count is what a clock is not: the same on a slow day and a fast one, on a busy machine and a quiet one.
//! Each iteration runs the bench binary again under callgrind, which builds and warms the runtime, spawns N
//! parked tasks, counts only the instructions of `taskbench::models::spawn_all` on the thread that runs it,
//! and ends once every task is parked (see [`taskbench::measure::instructions`] for what that includes).
//! Stackless models only ([`taskbench::harness::spec::STACKLESS_IN_PROCESS`]). Without valgrind the group is
//! skipped with one line.

use taskbench::catalogue;
use taskbench::harness::criterion_setup::instructions_config;
use taskbench::harness::experiments::spawn_instructions;
use taskbench::harness::say::say;
use taskbench::harness::spec::STACKLESS_IN_PROCESS;
use taskbench::harness::{bench_main, GroupSpec};
use taskbench::measure::instructions::find_valgrind;

const SPAWN_INSTRUCTIONS: GroupSpec =
    GroupSpec { only: Some(STACKLESS_IN_PROCESS), ..GroupSpec::of(&catalogue::SPAWN_INSTRUCTIONS) };

fn main() {
    if let Err(why) = find_valgrind() {
        say(&format!("skip {}: {why}", catalogue::SPAWN_INSTRUCTIONS.name));
        return;
    }
    bench_main(&SPAWN_INSTRUCTIONS, &[], spawn_instructions, instructions_config);
}
