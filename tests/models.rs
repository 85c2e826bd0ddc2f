//! Every model in the registry: N parked tasks alive at once, then released and joined; N trivial tasks
//! run to completion; the runtime reused across runs; a failed run leaves no task behind. Counts are checked
//! by the models themselves (a shortfall is an error); here the observer's calls, the clocks' plausibility
//! and the heap left after a failed run are checked from outside, and so are the mappings each task adds
//! (what the preflight counts). may's stack size is process-wide, so `may-4k` runs in a process of its own.
//! Also the settings read from the environment.
//!
//! The leak check reads the process-wide heap, so the tests in this file take turns (one lock): another
//! test's allocations, or a panic's backtrace being symbolized, would read as a leak.

use std::future::Future;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use taskbench::gate::Rendezvous;
use taskbench::limits::Needs;
use taskbench::measure::{alloc::live_bytes, CountingAllocator};
use taskbench::models::body::{Body, OnGate};
use taskbench::models::{
    by_name, parse_wait_limit, registry, MemorySource, Observer, ParkedRun, Runtime, SpawnSite, TaskModel, ThisProcess,
};

mod common;
use common::Calls;
mod machine;
use machine::each_model;

#[global_allocator]
static ALLOC: CountingAllocator = CountingAllocator;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn turn() -> MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner())
}

const N: usize = 1000;

/// A clock reading for `n` tasks that could be true: at least 1 ns per task (spawning anything takes more;
/// a unit mix-up or an unstarted clock reads less) and at most the wall time of the whole call.
fn assert_plausible(what: &str, clock: Duration, n: usize, wall: Duration) {
    assert!(
        clock >= Duration::from_nanos(n as u64) && clock <= wall,
        "{what}: {clock:?} for {n} tasks, in a call that took {wall:?}"
    );
}

#[test]
fn every_model_parks_n_tasks_at_once_then_joins_them() {
    let _turn = turn();
    each_model("every_model_parks_n_tasks_at_once_then_joins_them", |model| {
        for round in 0..2 {
            let mut calls = Calls::default();
            let start = Instant::now();
            let run =
                model.run_parked(N, &mut calls).unwrap_or_else(|e| panic!("{} round {round}: {e:#}", model.name()));
            let wall = start.elapsed();
            assert_eq!(calls.0, ["before_spawn", "all_parked"], "{}", model.name());
            assert_plausible(&format!("{} spawn time", model.name()), run.spawn_time, N, wall);
        }
    });
}

#[test]
fn every_model_runs_n_trivial_tasks_to_completion() {
    let _turn = turn();
    each_model("every_model_runs_n_trivial_tasks_to_completion", |model| {
        for round in 0..2 {
            let start = Instant::now();
            let elapsed = model.run_spawn_join(N).unwrap_or_else(|e| panic!("{} round {round}: {e:#}", model.name()));
            assert_plausible(&format!("{} spawn-join time", model.name()), elapsed, N, start.elapsed());
        }
    });
}

/// Threads whose spawn fails once `.0` have been spawned; joins count in [`JOINED`].
struct FailsAfter(usize);
static SPAWNED: AtomicUsize = AtomicUsize::new(0);
static JOINED: AtomicUsize = AtomicUsize::new(0);

impl Runtime for FailsAfter {
    type Started = usize;
    type Handle = std::thread::JoinHandle<()>;
    type Park = OnGate;
    fn name(&self) -> &'static str {
        "fails-after"
    }
    fn config(&self) -> String {
        format!("threads, spawn fails after {}", self.0)
    }
    fn start(&self) -> Result<usize> {
        Ok(self.0)
    }
    fn spawn(k: usize, body: impl Body) -> Result<Self::Handle> {
        if SPAWNED.fetch_add(1, Ordering::SeqCst) >= k {
            bail!("no more threads");
        }
        Ok(std::thread::spawn(move || body.run()))
    }
    fn join(_: usize, handles: Vec<Self::Handle>) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(30);
        for h in handles {
            // A task never released would block the join for good.
            while !h.is_finished() {
                if Instant::now() > deadline {
                    bail!("a task was never released");
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            h.join().unwrap();
            JOINED.fetch_add(1, Ordering::SeqCst);
        }
        Ok(())
    }
}

/// A spawn that fails fails the run, naming how far it got, and the tasks spawned before it are released and
/// joined, not left parked.
#[test]
fn a_spawn_failure_releases_and_joins_the_tasks_spawned_before_it() {
    let _turn = turn();
    let err = FailsAfter(300).run_parked(N, &mut Calls::default()).expect_err("the 301st spawn fails");
    let text = format!("{err:#}");
    assert!(text.contains("spawn failed after 300 of 1000 tasks") && text.contains("no more threads"), "{text}");
    assert_eq!(JOINED.load(Ordering::SeqCst), 300, "tasks spawned before the failure and joined");
}

/// Threads that wait [`PARK_DELAY`] before they run their body, so they reach the gate late: the spawn loop
/// is quick, the wait until all of them have parked is not.
struct SlowToPark;
const PARK_DELAY: Duration = Duration::from_millis(500);

impl Runtime for SlowToPark {
    type Started = ();
    type Handle = std::thread::JoinHandle<()>;
    type Park = OnGate;
    fn name(&self) -> &'static str {
        "slow-to-park"
    }
    fn config(&self) -> String {
        format!("threads that sleep {PARK_DELAY:?} before parking")
    }
    fn start(&self) -> Result<()> {
        Ok(())
    }
    fn spawn(_: (), body: impl Body) -> Result<Self::Handle> {
        Ok(std::thread::spawn(move || {
            std::thread::sleep(PARK_DELAY);
            body.run()
        }))
    }
    fn join(_: (), handles: Vec<Self::Handle>) -> Result<()> {
        handles.into_iter().for_each(|h| h.join().unwrap());
        Ok(())
    }
}

/// The parked experiment's clock covers the spawn loop and stops before the wait for the tasks to park: 8
/// spawns take well under [`PARK_DELAY`], the wait at least that. A clock stopped after the wait (or at the
/// observer's reading) reads the delay and fails.
#[test]
fn the_spawn_clock_stops_before_the_wait_for_the_tasks_to_park() {
    let _turn = turn();
    let start = Instant::now();
    let run = SlowToPark.run_parked(8, &mut Calls::default()).unwrap();
    assert!(start.elapsed() >= PARK_DELAY, "the tasks parked late");
    assert!(run.spawn_time < PARK_DELAY / 2, "spawn clock {:?} includes the wait for parking", run.spawn_time);
}

/// Lines of /proc/self/maps at the baseline and while all tasks are parked.
#[derive(Default)]
struct Mappings {
    before: usize,
    parked: usize,
}

fn mappings() -> usize {
    std::fs::read_to_string("/proc/self/maps").expect("reading /proc/self/maps").lines().count()
}

impl Observer for Mappings {
    fn before_spawn(&mut self, _: &dyn MemorySource) -> Result<()> {
        self.before = mappings();
        Ok(())
    }
    fn all_parked(&mut self, _: &dyn MemorySource) -> Result<()> {
        self.parked = mappings();
        Ok(())
    }
}

/// The preflight keeps `vm.max_map_count` from being reached by counting each model's mappings per task; an
/// undercount (a smaller stack that splits into more mappings, say) would let a run hit the limit, where std
/// aborts the process. Slack for the allocator's own mappings as the heap grows.
#[test]
fn no_model_maps_more_per_task_than_the_preflight_counts() {
    let _turn = turn();
    each_model("no_model_maps_more_per_task_than_the_preflight_counts", |model| {
        if model.needs().in_child_process {
            // Its tasks live in another process; this one's mappings say nothing of them.
            return;
        }
        let mut maps = Mappings::default();
        model.run_parked(N, &mut maps).unwrap_or_else(|e| panic!("{}: {e:#}", model.name()));
        let added = maps.parked.saturating_sub(maps.before);
        let counted = N * model.needs().maps_per_task as usize;
        eprintln!("{}: {added} mappings for {N} parked tasks, {counted} counted", model.name());
        assert!(
            added <= counted + 64,
            "{}: {added} mappings for {N} tasks, the preflight counts {counted}",
            model.name()
        );
    });
}

/// may's stack size is set once per process, so `may-4k` runs in a process of its own, as in every bench
/// cell. Its parked and trivial bodies must fit 4 KiB: an overflow hits may's guard page or its overflow
/// check, and either ends the child.
#[test]
fn may_4k_runs_its_tasks_on_4_kib_stacks_in_a_process_of_its_own() {
    let _turn = turn();
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_runs_may_4k", "--ignored", "--nocapture"])
        .env("TASKBENCH_MODELS_CHILD", "1")
        .output()
        .expect("re-running the test binary");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && stdout.contains("may-4k ran"), "{stdout}\n{stderr}");
}

#[test]
#[ignore = "run by may_4k_runs_its_tasks_on_4_kib_stacks_in_a_process_of_its_own, in a process of its own"]
fn child_runs_may_4k() {
    if std::env::var_os("TASKBENCH_MODELS_CHILD").is_none() {
        return;
    }
    let model = by_name("may-4k").expect("may-4k in the registry");
    model.available().expect("may-4k in a fresh process");
    for round in 0..2 {
        let mut calls = Calls::default();
        model.run_parked(N, &mut calls).unwrap_or_else(|e| panic!("may-4k round {round}: {e:#}"));
        assert_eq!(calls.0, ["before_spawn", "all_parked"]);
        model.run_spawn_join(N).unwrap_or_else(|e| panic!("may-4k round {round}: {e:#}"));
    }
    // may counts words.
    assert_eq!(may::config().get_stack_size(), 4096 / std::mem::size_of::<usize>());
    // A second stack size in this process is refused, not run on may-4k's pool.
    let may = by_name("may").unwrap();
    assert!(may.available().is_err(), "may available in a process that runs may-4k");
    assert!(may.run_spawn_join(10).is_err(), "may ran in a process that runs may-4k");
    println!("may-4k ran");
}

/// An observer that fails while the tasks are parked.
struct Fails;
impl Observer for Fails {
    fn all_parked(&mut self, _: &dyn MemorySource) -> Result<()> {
        bail!("reading failed")
    }
}

/// Live heap bytes a task that stayed parked would keep at the least (its task, or a thread's handles).
const HELD_PER_LEAKED_TASK: i64 = 16;

/// Heap bytes still held after a run of `model` whose observer failed, over what the process held before
/// it. A same-sized successful run comes first, so that the runtime's tables have grown to this size; tasks
/// freed by a worker shortly after the join are waited for (a parked task that leaked never is).
fn held_after_a_failed_run(model: &dyn TaskModel) -> i64 {
    model.run_parked(N, &mut Calls::default()).unwrap_or_else(|e| panic!("{}: {e:#}", model.name()));
    let before = live_bytes();
    let err = model.run_parked(N, &mut Fails).expect_err(model.name());
    assert!(format!("{err:#}").contains("reading failed"), "{}: {err:#}", model.name());
    drop(err);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let held = live_bytes() - before;
        if held < N as i64 * HELD_PER_LEAKED_TASK || Instant::now() > deadline {
            return held;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// An observer that fails must fail the run, and its parked tasks must still be released and joined: the
/// heap they held comes back, and the next run works. (A leaked task parks on the old gate, so the next run
/// alone would not notice it.)
#[test]
fn a_failing_observer_fails_the_run_without_leaking_parked_tasks() {
    let _turn = turn();
    each_model("a_failing_observer_fails_the_run_without_leaking_parked_tasks", |model| {
        let held = held_after_a_failed_run(model);
        assert!(
            held < N as i64 * HELD_PER_LEAKED_TASK,
            "{}: {held} heap bytes still held after a failed run of {N} parked tasks",
            model.name()
        );
        model
            .run_parked(100, &mut Calls::default())
            .unwrap_or_else(|e| panic!("{} after failure: {e:#}", model.name()));
    });
}

/// A model with the bug the test above looks for: when its observer fails it returns at once, and its
/// threads stay parked on a gate nobody opens.
struct Leaky {
    left_parked: OnceLock<&'static Rendezvous>,
}

impl TaskModel for Leaky {
    fn name(&self) -> &'static str {
        "leaky"
    }
    fn config(&self) -> String {
        "threads that stay parked when the observer fails".into()
    }
    fn spawn_site(&self) -> SpawnSite {
        SpawnSite::Outside
    }
    fn needs(&self) -> Needs {
        Needs::STACKLESS
    }
    fn run_parked(&self, n: usize, observer: &mut dyn Observer) -> Result<ParkedRun> {
        let rv: &'static Rendezvous = Box::leak(Box::new(Rendezvous::new()));
        observer.before_spawn(&ThisProcess)?;
        let start = Instant::now();
        let handles: Vec<_> = (0..n).map(|_| std::thread::spawn(move || rv.park_blocking())).collect();
        let spawn_time = start.elapsed();
        rv.arrived.wait(n, Duration::from_secs(30))?;
        if let Err(e) = observer.all_parked(&ThisProcess) {
            let _ = self.left_parked.set(rv);
            return Err(e);
        }
        rv.gate.open();
        handles.into_iter().for_each(|h| h.join().unwrap());
        Ok(ParkedRun { spawn_time, parked: n })
    }
    fn run_spawn_join(&self, _: usize) -> Result<Duration> {
        bail!("not used")
    }
    fn run_holding(&self, _: usize, _: usize, _: &mut dyn Observer) -> Result<ParkedRun> {
        bail!("not used")
    }
}

#[test]
fn the_leak_check_catches_tasks_left_parked() {
    let _turn = turn();
    let leaky = Leaky { left_parked: OnceLock::new() };
    let held = held_after_a_failed_run(&leaky);
    let rv = leaky.left_parked.get().expect("the failed run left its threads parked");
    rv.gate.open();
    rv.finished.wait(N, Duration::from_secs(30)).unwrap();
    assert!(held >= N as i64 * HELD_PER_LEAKED_TASK, "{N} parked threads were left behind, yet only {held} bytes held");
}

#[test]
fn model_names_are_unique_and_match_the_documented_ids() {
    let _turn = turn();
    let names: Vec<_> = registry().iter().map(|m| m.name()).collect();
    for expected in [
        "thread",
        "thread-16k",
        "tokio-mt",
        "tokio-mt-inside",
        "tokio-ct",
        "async-std",
        "smol",
        "may",
        "may-4k",
        "floor",
        "tokio-local",
        "smol-local",
        "futures-pool",
        "compio",
    ] {
        assert!(names.contains(&expected), "{expected} missing from {names:?}");
    }
    let mut sorted = names.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), names.len(), "duplicate model names in {names:?}");
}

#[test]
fn the_gate_holds_until_opened_and_counts_each_waiter_once() {
    let _turn = turn();
    use std::sync::Arc;
    let rv = Arc::new(Rendezvous::new());
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let rv = rv.clone();
            std::thread::spawn(move || rv.park_blocking())
        })
        .collect();
    rv.arrived.wait(4, std::time::Duration::from_secs(30)).unwrap();
    rv.all_parked(4).unwrap();
    assert_eq!(rv.finished.count(), 0, "a waiter passed a closed gate");
    rv.gate.open();
    rv.finished.wait(4, std::time::Duration::from_secs(30)).unwrap();
    threads.into_iter().for_each(|t| t.join().unwrap());
    rv.check(4).unwrap();
    assert!(rv.check(5).is_err(), "a count mismatch must be an error");
}

/// The gate allocates nothing per waiter: a parked task's listener lives inside its own future, so the memory
/// rows count it as part of the task ([`taskbench::gate::park_future_bytes`]). A gate that boxed a listener
/// per waiter (event-listener's `Event::listen`) makes an allocation here and fails.
#[test]
fn parking_on_the_gate_allocates_nothing_per_waiter() {
    let _turn = turn();
    let (gate, tally) = (taskbench::gate::Gate::new(), taskbench::gate::Tally::new());
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    // The first waiter makes the event's shared list, once per gate.
    let mut first = std::pin::pin!(gate.park(&tally));
    assert!(first.as_mut().poll(&mut cx).is_pending());
    let before = taskbench::measure::alloc::allocations();
    let mut waiters: Vec<_> = (0..8).map(|_| Box::pin(gate.park(&tally))).collect();
    let boxes = taskbench::measure::alloc::allocations() - before;
    for w in &mut waiters {
        assert!(w.as_mut().poll(&mut cx).is_pending());
    }
    let made = taskbench::measure::alloc::allocations() - before - boxes;
    assert_eq!(tally.count(), 9, "every waiter counted itself");
    assert_eq!(made, 0, "registering 8 waiters made {made} allocations");
}

#[test]
fn a_tally_that_never_reaches_its_target_times_out_with_the_count() {
    let _turn = turn();
    let tally = taskbench::gate::Tally::new();
    tally.add();
    let err = tally.wait(3, std::time::Duration::from_millis(50)).unwrap_err();
    assert!(err.to_string().contains("1 of 3"), "{err}");
}

#[test]
fn a_wait_limit_must_be_a_positive_number_of_seconds() {
    let _turn = turn();
    assert_eq!(parse_wait_limit("0.5").unwrap(), Duration::from_millis(500));
    assert_eq!(parse_wait_limit(" 120 ").unwrap(), Duration::from_secs(120));
    for (bad, says) in [("-1", "not above 0"), ("0", "not above 0"), ("abc", "not a number"), ("", "not a number")] {
        let e = parse_wait_limit(bad).unwrap_err().to_string();
        assert!(e.starts_with("TASKBENCH_WAIT_LIMIT_S: ") && e.contains(says), "{bad:?}: {e}");
    }
    for bad in ["NaN", "inf", "1e300"] {
        assert!(parse_wait_limit(bad).is_err(), "{bad}");
    }
}

/// Bad settings stop a bench before it measures anything: exit code 2 and one line on stderr, never a panic.
/// Each case re-runs this test binary's `child_runs_a_group` with the setting in its environment.
#[test]
fn bad_environment_values_stop_a_bench_with_one_line() {
    let _turn = turn();
    let home = tempfile::tempdir().unwrap();
    let cases = [
        ("TASKBENCH_N", "1000,1000", "taskbench: TASKBENCH_N: 1000 is listed twice"),
        ("TASKBENCH_WAIT_LIMIT_S", "-1", "taskbench: TASKBENCH_WAIT_LIMIT_S: \"-1\" is not above 0"),
        ("TASKBENCH_WAIT_LIMIT_S", "abc", "taskbench: TASKBENCH_WAIT_LIMIT_S: \"abc\" is not a number"),
        ("TASKBENCH_MODELS", "", "taskbench: TASKBENCH_MODELS is set but names no model"),
        ("TASKBENCH_MODELS", "goroutine,nope", "taskbench: TASKBENCH_MODELS: unknown model \"nope\"; known: thread,"),
    ];
    for (name, value, line) in cases {
        let out = child_group(home.path(), &[("TASKBENCH_N", "10"), (name, value)]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        // Criterion may say which plotting backend it found; every other line is the suite's.
        let ours: Vec<_> = stderr.lines().filter(|l| !l.trim().is_empty() && !l.starts_with("Gnuplot")).collect();
        assert_eq!(out.status.code(), Some(2), "{name}={value:?}:\n{stderr}");
        assert!(ours.len() == 1 && ours[0].starts_with(line), "{name}={value:?}, expected `{line}`:\n{stderr}");
    }
}

/// A row that only another group has is accepted with one line, and the bench goes on.
#[test]
fn another_groups_row_in_the_model_list_is_noted_and_the_bench_goes_on() {
    let _turn = turn();
    let home = tempfile::tempdir().unwrap();
    let out = child_group(home.path(), &[("TASKBENCH_N", "10"), ("TASKBENCH_MODELS", "goroutine-stack")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains(
            "taskbench: TASKBENCH_MODELS: goroutine-stack is a row of heap_per_task, state_heap only; it does"
        ),
        "{stderr}"
    );
}

fn child_group(home: &std::path::Path, env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", "child_runs_a_group", "--ignored", "--nocapture"])
        .env("TASKBENCH_MODELS_CHILD", "1")
        .env("CRITERION_HOME", home.join("criterion"))
        .env_remove("TASKBENCH_N")
        .env_remove("TASKBENCH_MODELS")
        .env_remove("TASKBENCH_WAIT_LIMIT_S");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("re-running the test binary")
}

#[test]
#[ignore = "run by the environment tests above, with the setting under test"]
fn child_runs_a_group() {
    if std::env::var_os("TASKBENCH_MODELS_CHILD").is_none() {
        return;
    }
    use taskbench::catalogue::{Axis, Group, Measures, Per, Temperature};
    use taskbench::harness::criterion_setup::Runners;
    use taskbench::harness::{run_group, GroupSpec};
    const CHECK: Group = Group {
        name: "environment_check",
        measures: Measures::Time,
        axis: Axis::N,
        temperature: Temperature::Warm,
        per: Per::Task,
        default_n: None,
        column: "",
        value_is: "nothing: this group stops or runs no cell",
    };
    const SPEC: GroupSpec = GroupSpec::of(&CHECK);
    run_group(&mut Runners::from_args(criterion::Criterion::default), &SPEC, &[], std::time::SystemTime::now());
}

/// The io_uring row's preflight line names the cause the kernel gave and how to lift it, on one line, for each
/// way a ring is refused; and on this machine either the row runs or its line is one of these.
#[test]
fn an_io_uring_refusal_is_one_line_naming_the_cause_and_how_to_lift_it() {
    let _turn = turn();
    use taskbench::limits::{soft_memlock_bytes, IoUringRefusal};
    let refusal = |errno: i32, disabled: Option<u32>, memlock_bytes: Option<u64>| {
        let error = std::io::Error::from_raw_os_error(errno).to_string();
        IoUringRefusal { errno: Some(errno), error, disabled, memlock_bytes }.to_string()
    };
    let cases = [
        (refusal(libc::ENOSYS, None, None), ["ENOSYS", "CONFIG_IO_URING"]),
        (
            refusal(libc::EPERM, Some(2), Some(8 << 20)),
            ["kernel.io_uring_disabled = 2", "sysctl -w kernel.io_uring_disabled=0"],
        ),
        (refusal(libc::EPERM, Some(1), None), ["kernel.io_uring_disabled = 1", "kernel.io_uring_group"]),
        (refusal(libc::EPERM, Some(0), None), ["seccomp", "seccomp=unconfined"]),
        (refusal(libc::ENOMEM, Some(0), Some(64 << 10)), ["RLIMIT_MEMLOCK = 64 KiB", "ulimit -l unlimited"]),
        (refusal(libc::EINVAL, Some(0), None), ["io_uring_setup failed", "Invalid argument"]),
    ];
    for (line, parts) in cases {
        assert!(!line.contains('\n'), "{line}");
        for part in parts {
            assert!(line.contains(part), "{line:?} lacks {part:?}");
        }
    }
    let limits = "Max processes             63704                63704                processes\n\
                  Max locked memory         8388608              8388608              bytes\n";
    assert_eq!(soft_memlock_bytes(limits), Some(8 << 20));
    assert_eq!(soft_memlock_bytes("Max locked memory         unlimited            unlimited            bytes"), None);
    let compio = by_name("compio").expect("compio in the registry");
    if let Err(why) = compio.available() {
        let known = ["ENOSYS", "io_uring_disabled", "seccomp", "RLIMIT_MEMLOCK", "io_uring_setup failed"];
        assert!(!why.contains('\n') && known.iter().any(|k| why.contains(k)), "{why}");
        machine::skip("compio's rows", &why);
    }
}
