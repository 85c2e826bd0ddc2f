//! The machine-speed reference: two fixed pieces of work, timed in every round of the interleaved timing
//! groups ([`crate::harness::rounds`]) and kept with the run, so that a comparison between two runs can tell
//! how much the machine itself moved from how much a model did.
//!
//! What is measured: (1) **a fixed single-threaded workload** on the calling thread: a dependent walk over a
//! 256 KiB buffer mixed with integer arithmetic and one heap allocation per 64 steps (the kinds of work a
//! spawn loop does: arithmetic, cache-resident loads, the allocator), its median of three passes after one
//! untimed pass; (2) **a cross-core wake**: a thread pinned to one usable core wakes a thread pinned to
//! another (`unpark`, a futex on Linux) and waits for its wake back, the path a runtime takes to hand work to
//! an idle worker; the figure is one round trip, over [`WAKE_ROUND_TRIPS`] of them. The reading runs in the
//! bench's parent process between the rounds' cell processes, never inside a timed region.
//!
//! What is not: a benchmark of the machine (the figures mean something only beside another run's), memory
//! bandwidth, or a wake within one core. With a single usable core there is no cross-core wake and that
//! figure is absent.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Instant;

pub use crate::record::MachineReference;

/// Round trips per wake reading: enough that one slow trip moves the figure little, few enough that a
/// reading takes milliseconds.
pub const WAKE_ROUND_TRIPS: u32 = 400;
/// Steps of the workload per pass (about 1-3 ms on a 2020s core).
const WORKLOAD_STEPS: u64 = 400_000;
/// The buffer the workload walks: larger than L1, smaller than L2 on most machines.
const BUFFER_WORDS: usize = 32 * 1024;

/// One reading of both references.
pub fn take() -> MachineReference {
    let _untimed = workload_pass();
    let mut passes = [workload_pass(), workload_pass(), workload_pass()];
    passes.sort_by(f64::total_cmp);
    MachineReference { workload_ns: passes[1], wake_ns: two_usable_cores().map(wake_round_trip_ns) }
}

/// Nanoseconds one pass of the fixed workload takes.
fn workload_pass() -> f64 {
    let started = Instant::now();
    let mut buffer = vec![0u64; BUFFER_WORDS];
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut at = 0usize;
    for step in 0..WORKLOAD_STEPS {
        // xorshift64: cheap arithmetic whose result decides the next load.
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buffer[at] = buffer[at].wrapping_add(x);
        at = (buffer[at] as usize ^ at) % BUFFER_WORDS;
        if step % 64 == 0 {
            black_box(Box::new(x));
        }
    }
    black_box(&buffer);
    started.elapsed().as_nanos() as f64
}

/// The first two cores this process may run on, if it may run on two.
fn two_usable_cores() -> Option<[usize; 2]> {
    let cores = cores_in(&current_affinity()?);
    Some([*cores.first()?, *cores.get(1)?])
}

/// Pins the calling thread to `core` (best effort: unpinned, the figure may include a same-core wake).
fn pin_to(core: usize) {
    // SAFETY: a zeroed set with one core added.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(core, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

/// Nanoseconds per round trip: the caller, on `cores[0]`, wakes a thread on `cores[1]`, which wakes it back.
fn wake_round_trip_ns(cores: [usize; 2]) -> f64 {
    // Odd: the partner's turn; even: the caller's.
    let turn = Arc::new(AtomicU64::new(0));
    let caller = thread::current();
    let partner = {
        let turn = Arc::clone(&turn);
        thread::spawn(move || {
            pin_to(cores[1]);
            for trip in 0..u64::from(WAKE_ROUND_TRIPS) {
                while turn.load(Ordering::Acquire) != 2 * trip + 1 {
                    thread::park();
                }
                turn.store(2 * trip + 2, Ordering::Release);
                caller.unpark();
            }
        })
    };
    // The caller's own pinning is undone below: it is the bench's parent thread.
    let was = current_affinity();
    pin_to(cores[0]);
    let started = Instant::now();
    for trip in 0..u64::from(WAKE_ROUND_TRIPS) {
        turn.store(2 * trip + 1, Ordering::Release);
        partner.thread().unpark();
        while turn.load(Ordering::Acquire) != 2 * trip + 2 {
            thread::park();
        }
    }
    let elapsed = started.elapsed();
    if let Some(set) = was {
        // SAFETY: restores the set read above.
        unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) };
    }
    partner.join().expect("the wake partner does not panic");
    elapsed.as_nanos() as f64 / f64::from(WAKE_ROUND_TRIPS)
}

/// The calling thread's affinity.
fn current_affinity() -> Option<libc::cpu_set_t> {
    // SAFETY: a zeroed cpu_set_t is a valid empty set; sched_getaffinity fills it for this thread.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) } == 0;
    ok.then_some(set)
}

/// The cores in `set`.
fn cores_in(set: &libc::cpu_set_t) -> Vec<usize> {
    // SAFETY: CPU_ISSET reads the set within its size.
    (0..libc::CPU_SETSIZE as usize).filter(|&c| unsafe { libc::CPU_ISSET(c, set) }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fails on: a wake loop that deadlocks or leaves the caller pinned to one core (the bench's parent
    /// would then run every later cell's bookkeeping on that core).
    #[test]
    fn a_reading_finishes_and_leaves_the_callers_cores_as_they_were() {
        let before = current_affinity().map(|s| cores_in(&s));
        let reading = take();
        let after = current_affinity().map(|s| cores_in(&s));
        assert_eq!(before, after);
        assert!(reading.workload_ns > 0.0);
        assert_eq!(reading.wake_ns.is_some(), two_usable_cores().is_some());
    }
}
