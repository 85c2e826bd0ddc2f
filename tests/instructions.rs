//! The instruction counter reads what a spawn loop executes: a fake runtime whose spawn runs exactly K extra
//! `nop`s per task must read K more instructions per task than the same runtime without them. A counter that
//! counted the whole program, another thread, or nothing (the loop inlined away) reads otherwise.

use anyhow::Result;
use taskbench::gate::Tally;
use taskbench::measure::instructions::{count, requested, CHILD_ENV, SPAWN_LOOP};
use taskbench::models::body::{OnGate, Trivial};
use taskbench::models::{spawn_all, Runtime};

mod machine;

/// Spawns nothing: each spawn runs `K` `nop`s (an unrolled block, no loop around them) and returns.
struct Nops<const K: usize>;

impl<const K: usize> Runtime for Nops<K> {
    type Started = ();
    type Handle = ();
    type Park = OnGate;
    fn name(&self) -> &'static str {
        "nops"
    }
    fn config(&self) -> String {
        format!("{K} nops per spawn")
    }
    fn start(&self) -> Result<()> {
        Ok(())
    }
    fn spawn(_: (), body: impl taskbench::models::body::Body) -> Result<()> {
        drop(body);
        // SAFETY: nops only.
        unsafe { std::arch::asm!(".rept {k}", "nop", ".endr", k = const K, options(nomem, nostack)) };
        Ok(())
    }
    fn join(_: (), _: Vec<()>) -> Result<()> {
        Ok(())
    }
}

const N: usize = 10_000;
const EXTRA: usize = 100;

/// The instructions counted for `n` spawns of the fake `model`, in a fresh process under callgrind.
fn counted(model: &str, n: usize) -> u64 {
    let exe = std::env::current_exe().unwrap();
    let args = ["--exact", "child_spawns_under_callgrind", "--ignored", "--test-threads=1"];
    count(SPAWN_LOOP, &exe, &args, &[(CHILD_ENV, format!("{model} {n}"))], &[]).unwrap()
}

#[test]
fn a_spawn_with_k_more_instructions_reads_k_more_per_task() {
    if let Err(why) = taskbench::measure::instructions::find_valgrind() {
        machine::skip("instructions::a_spawn_with_k_more_instructions_reads_k_more_per_task", &why);
        return;
    }
    let (plain, padded) = (counted("nops-0", N) as f64 / N as f64, counted("nops-100", N) as f64 / N as f64);
    eprintln!("instructions per spawn: {plain:.2} plain, {padded:.2} with {EXTRA} nops");
    assert!((padded - plain - EXTRA as f64).abs() <= 2.0, "{plain:.2} and {padded:.2} per task");
    // Nothing but the loop is counted: twice the spawns, twice the count, to a few instructions (the loop's
    // own entry and exit). A count that took in the program's start-up or another thread does not double.
    let (once, twice) = (counted("nops-0", N), counted("nops-0", 2 * N));
    assert!(twice.abs_diff(2 * once) <= 64, "{once} instructions for {N} spawns, {twice} for {}", 2 * N);
}

#[test]
#[ignore = "run under callgrind by a_spawn_with_k_more_instructions_reads_k_more_per_task"]
fn child_spawns_under_callgrind() {
    let Some(asked) = requested() else { return };
    let (model, n) = asked.unwrap();
    let tally: &'static Tally = Box::leak(Box::new(Tally::new()));
    let mut handles = Vec::with_capacity(n);
    let body = || Trivial(tally);
    match model.as_str() {
        "nops-0" => spawn_all::<Nops<0>, _>((), n, &mut handles, &body).unwrap(),
        "nops-100" => spawn_all::<Nops<EXTRA>, _>((), n, &mut handles, &body).unwrap(),
        other => panic!("no fake {other}"),
    }
    assert_eq!(handles.len(), n);
}
