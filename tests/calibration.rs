//! Trust in the instrument. Calibration: a floor task holding a known payload must measure, over the plain
//! floor task, that payload within 1% on the heap and, on RSS, what glibc's chunk sizes say; and a floor task
//! holding K bytes across its park point (the state groups' body) must read K over K = 0, so the compiler kept
//! the state. Plausibility: every model's heap and RSS per task is positive and in the range its kind allows.
//!
//! Heap and RSS are process-wide, so the tests in this file take turns (one lock). Every run is preceded by
//! the benches' preflight: what does not fit this machine is skipped with a `SKIPPED` line saying which limit
//! binds.

use std::sync::Mutex;

use taskbench::gate::Rendezvous;
use taskbench::harness::experiments::memory_holding;
use taskbench::harness::state::holding_needs;
use taskbench::limits::{check, Snapshot};
use taskbench::measure::{alloc, CountingAllocator, MemoryKind, MemoryObserver};
use taskbench::models::body::{Body, Holding, Inline, OnGate, Payload};
use taskbench::models::{by_name, TaskModel, STATE_SIZES};

mod machine;
use machine::{each_model, skip};

#[global_allocator]
static ALLOC: CountingAllocator = CountingAllocator;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Heap figures are exact at any N. RSS figures need enough tasks that the process's background noise (idle
/// runtime threads touching pages again, about a megabyte) is small beside the growth: 50k floor tasks
/// holding 1 KiB are ~60 MB.
const N: usize = 5000;
const N_RSS: usize = 50_000;

/// The calibration controls and the payload each holds, which their excess over the plain floor must show.
const CONTROLS: [(&str, Payload); 2] =
    [("floor-1KiB-inline", Payload::Inline1KiB), ("floor-4KiB-heap", Payload::Heap4KiB)];

/// Each control's heap excess over the plain floor, in bytes requested: the inline payload grows the task's
/// future by 1024 B; the heap payload is a `Vec` (3 words, 24 B, in the future) pointing at its own 4096 B.
const HEAP_EXCESS: [(&str, f64); 2] = [("floor-1KiB-inline", 1024.0), ("floor-4KiB-heap", 4096.0 + 24.0)];

fn row(name: &str) -> &'static dyn TaskModel {
    by_name(name).unwrap_or_else(|| panic!("no row {name}"))
}

/// Whether the floor and both controls fit at `n`.
fn all_fit(test: &str, n: usize) -> bool {
    ["floor", CONTROLS[0].0, CONTROLS[1].0].into_iter().all(|name| fits(test, row(name), n))
}

/// Whether `n` live tasks of `model` fit this machine now, as the benches decide it; prints why not.
fn fits(test: &str, model: &dyn TaskModel, n: usize) -> bool {
    match check(&model.needs(), n, &Snapshot::live()) {
        Ok(()) => true,
        Err(short) => {
            skip(&format!("calibration::{test} for {}/{n}", model.name()), &short.to_string());
            false
        }
    }
}

/// Bytes per task, the median of a few runs after one warm-up run (as Criterion would take it).
fn per_task(model: &dyn TaskModel, kind: MemoryKind, n: usize) -> f64 {
    let mut runs: Vec<f64> = (0..4)
        .map(|_| {
            let mut observer = MemoryObserver::new(kind);
            model.run_parked(n, &mut observer).unwrap_or_else(|e| panic!("{}: {e:#}", model.name()));
            observer.per_task(n).unwrap_or_else(|e| panic!("{}: {e:#}", model.name()))
        })
        .skip(1)
        .collect();
    runs.sort_by(f64::total_cmp);
    runs[runs.len() / 2]
}

#[test]
fn heap_calibration_measures_each_payload_to_the_byte() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let test = "heap_calibration_measures_each_payload_to_the_byte";
    if !all_fit(test, N) {
        return;
    }
    let base = per_task(row("floor"), MemoryKind::Heap, N);
    // Heap bytes are counted exactly, so the excess is exact too: a counter off by a few bytes per
    // allocation (the 4 KiB control makes one allocation more than the floor) fails.
    for (name, expected) in HEAP_EXCESS {
        let measured = per_task(row(name), MemoryKind::Heap, N) - base;
        eprintln!("heap calibration {name}: {measured:.1} B over floor, {expected} B expected");
        assert!((measured - expected).abs() < 0.5, "{name}: measured {measured:.1} B over floor, expected {expected}");
    }
}

/// The size and alignment of the future a stackless task holding `K` bytes runs: what its task's
/// allocation holds.
fn holding_future<const K: usize>() -> (usize, usize) {
    let rv: &'static Rendezvous = Box::leak(Box::new(Rendezvous::new()));
    let future = Holding::<OnGate, Inline<K>>::new(rv, OnGate).into_future();
    (std::mem::size_of_val(&future), std::mem::align_of_val(&future))
}

/// async-task (the floor's tasks, and smol's and async-std's) boxes a future of this many bytes or more: the
/// task then holds a pointer to it, and the future is an allocation of its own.
const ASYNC_TASK_BOXES_FROM: usize = 2048;

/// The state groups' body on the floor: a `[u8; K]` written before the park point and read after must sit in
/// the task's future, so the future grows by K up to its alignment, and the task's heap by exactly what the
/// future grows by while the future is inline in the task's allocation. From 2 KiB async-task boxes the
/// future: the heap then grows by the future's growth plus the same few bytes at every K (the task's pointer
/// to its boxed future). RSS grows by what glibc's chunks say of those allocations. A state the compiler
/// dropped (or held twice) reads 0 (or 2K) and fails.
#[test]
fn floor_tasks_holding_k_bytes_read_k_bytes_more_than_at_k_0() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let test = "floor_tasks_holding_k_bytes_read_k_bytes_more_than_at_k_0";
    let floor = row("floor");
    let largest = *STATE_SIZES.last().unwrap();
    if let Err(short) = check(&holding_needs(&floor.needs(), largest), N_RSS, &Snapshot::live()) {
        skip(&format!("calibration::{test} for floor/{N_RSS}"), &short.to_string());
        return;
    }
    let futures = [
        holding_future::<0>(),
        holding_future::<64>(),
        holding_future::<512>(),
        holding_future::<4096>(),
        holding_future::<16384>(),
    ];
    let (base_future, _) = futures[0];
    assert!(base_future < ASYNC_TASK_BOXES_FROM, "the K = 0 future is inline: {base_future} B");
    let base_heap = fresh(MemoryKind::Heap, "floor", N, Some(0));
    let base_rss = fresh(MemoryKind::Rss, "floor", N_RSS, Some(0));
    let mut box_pointer = None;
    for (&k, &(future, align)) in STATE_SIZES.iter().zip(&futures).skip(1) {
        let by_future = (future - base_future) as f64;
        assert!((by_future - k as f64).abs() < align as f64, "holding {k} B grew the future by {by_future} B");
        let heap = fresh(MemoryKind::Heap, "floor", N, Some(k));
        let grew = heap - base_heap;
        let rss = fresh(MemoryKind::Rss, "floor", N_RSS, Some(k)) - base_rss;
        let chunk = |bytes: f64| glibc_chunk(bytes.round() as usize) as f64;
        let boxed = future >= ASYNC_TASK_BOXES_FROM;
        // The task's allocations: one, or the task and its boxed future.
        let chunks = if boxed { chunk(heap - future as f64) + chunk(future as f64) } else { chunk(heap) };
        let chunks = chunks - chunk(base_heap);
        eprintln!(
            "floor holding {k} B: heap +{grew:.1} B (future +{by_future} B, align {align}{}), rss +{rss:.1} B \
             (chunks say +{chunks})",
            if boxed { ", boxed" } else { "" }
        );
        if boxed {
            // What the task holds besides its future's growth: a pointer, the same at every K.
            let extra = grew - by_future;
            assert!((8.0..=16.5).contains(&extra), "floor holding {k} B: heap +{grew} B, its future +{by_future} B");
            let first = *box_pointer.get_or_insert(extra);
            assert!(
                (extra - first).abs() < 0.5,
                "floor holding {k} B: +{extra} B besides the future, {first} B before"
            );
        } else {
            assert!((grew - by_future).abs() < 0.5, "floor holding {k} B: heap +{grew} B, its future +{by_future} B");
        }
        assert!((rss - chunks).abs() <= 8.0, "floor holding {k} B: rss +{rss:.1} B; its chunks say +{chunks} B");
    }
    assert!(box_pointer.is_some(), "no size reached async-task's boxing: the test covers one layout only");
}

const FRESH_READING: &str = "TASKBENCH_FRESH_READING";

/// Heap or RSS per task of the row `name`, its tasks each holding `k` bytes (`None`: the row's own body), read
/// as a memory cell reads it: the first burst of `n` in a fresh process (this test binary, re-run). In this
/// process an RSS reading depends on the malloc arena the test's thread was given and on what earlier tests
/// left in it (the 1 KiB control read 8 to 11 B per task too many after some orders of the other tests), and
/// the state test's hundreds of megabytes would be left in it for the next.
fn fresh(kind: MemoryKind, name: &str, n: usize, k: Option<usize>) -> f64 {
    let kind_word = if kind == MemoryKind::Heap { "heap" } else { "rss" };
    let k_word = k.map_or("-".to_string(), |k| k.to_string());
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "fresh_process_reading", "--ignored", "--nocapture"])
        .env(FRESH_READING, format!("{kind_word} {name} {n} {k_word}"))
        .output()
        .expect("re-running the test binary");
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines().find_map(|l| l.strip_prefix("fresh-reading ")).and_then(|v| v.trim().parse().ok()).unwrap_or_else(
        || {
            panic!(
                "the fresh process gave no {kind:?} figure for {name}: {text}{}",
                String::from_utf8_lossy(&out.stderr)
            )
        },
    )
}

/// The fresh process of [`fresh`]: the warm-up a cold cell makes, then one burst of N tasks, read for heap
/// (this binary's counting allocator) or RSS.
#[test]
#[ignore = "run by the calibration tests in a fresh process"]
fn fresh_process_reading() {
    let Some(asked) = std::env::var(FRESH_READING).ok() else { return };
    let parts: Vec<&str> = asked.split(' ').collect();
    let kind = if parts[0] == "heap" { MemoryKind::Heap } else { MemoryKind::Rss };
    let (model, n): (&dyn TaskModel, usize) = (row(parts[1]), parts[2].parse().unwrap());
    model.run_spawn_join(model.warm_up_tasks()).unwrap();
    let value = match parts[3].parse::<usize>() {
        Ok(k) => memory_holding(model, n, k, kind).unwrap(),
        Err(_) => {
            let mut observer = MemoryObserver::new(kind);
            model.run_parked(n, &mut observer).unwrap();
            observer.per_task(n).unwrap()
        }
    };
    println!("fresh-reading {value}");
}

/// The bytes glibc's malloc takes for one allocation of `size` bytes on 64-bit Linux: the size plus its 8-byte
/// header, rounded up to 16, at least 32 (below the mmap threshold).
fn glibc_chunk(size: usize) -> usize {
    ((size + 8).div_ceil(16) * 16).max(32)
}

/// A floor task is one allocation (the `async-task` header and its future) and its queue allocates nothing
/// per task, so the first burst of N in a fresh process, as the benches read it, costs that allocation's
/// chunk and nothing else. Nothing of the harness may show: the handles' storage added 8 B per task until it
/// was made resident ahead of the baseline (and the floor's old unbounded queue left 5 to 15 B of holes).
#[test]
fn floor_rss_at_100k_is_its_tasks_malloc_chunk_within_two_bytes() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let (test, n) = ("floor_rss_at_100k_is_its_tasks_malloc_chunk_within_two_bytes", 100_000);
    if !fits(test, row("floor"), n) {
        return;
    }
    let allocations = alloc::allocations();
    let heap = per_task(row("floor"), MemoryKind::Heap, N);
    let per_run = (alloc::allocations() - allocations) as f64 / (4 * N) as f64;
    // The release's wakes go through an unbounded queue whose blocks come and go after the reading.
    assert!(per_run < 1.5, "a floor task made {per_run:.3} allocations; this test assumes one that stays");
    let chunk = glibc_chunk(heap as usize) as f64;
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "fresh_process_floor_rss", "--ignored", "--nocapture"])
        .env(FRESH_CHILD, n.to_string())
        .output()
        .expect("re-running the test binary");
    let text = String::from_utf8_lossy(&out.stdout);
    let rss: f64 =
        text.lines().find_map(|l| l.strip_prefix("floor-rss ")).and_then(|v| v.trim().parse().ok()).unwrap_or_else(
            || panic!("the fresh process gave no figure: {text}{}", String::from_utf8_lossy(&out.stderr)),
        );
    eprintln!("floor at {n}: heap {heap} B/task, chunk {chunk} B, rss {rss:.2} B/task in a fresh process");
    assert!((rss - chunk).abs() <= 2.0, "floor rss {rss:.2} B/task at {n}: its task's chunk is {chunk} B");
}

const FRESH_CHILD: &str = "TASKBENCH_FRESH_FLOOR_N";

/// The fresh process of the test above: one burst of N floor tasks after the warm-up a cold cell makes.
#[test]
#[ignore = "run by floor_rss_at_100k_is_its_tasks_malloc_chunk_within_two_bytes in a fresh process"]
fn fresh_process_floor_rss() {
    let Some(n) = std::env::var(FRESH_CHILD).ok().and_then(|v| v.parse().ok()) else { return };
    let floor = row("floor");
    floor.run_spawn_join(floor.warm_up_tasks()).unwrap();
    let mut observer = MemoryObserver::new(MemoryKind::Rss);
    floor.run_parked(n, &mut observer).unwrap();
    println!("floor-rss {}", observer.per_task(n).unwrap());
}

/// Over the plain floor task, a control's RSS is what glibc's chunks say: its task allocation's chunk (the
/// future grew by the payload, or by the `Vec` that points to it) plus, for the heap payload, the buffer's
/// own chunk, minus the floor task's chunk; within half a chunk granule (8 B), not a page. Each RSS figure is a
/// fresh process's first burst, as the benches read it ([`fresh`]).
#[test]
fn rss_calibration_measures_each_payload_as_its_malloc_chunks() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let test = "rss_calibration_measures_each_payload_as_its_malloc_chunks";
    if !all_fit(test, N_RSS) {
        return;
    }
    let floor_task = per_task(row("floor"), MemoryKind::Heap, N).round() as usize;
    let base = fresh(MemoryKind::Rss, "floor", N_RSS, None);
    for (name, kind) in CONTROLS {
        let payload = kind.bytes();
        let heap = per_task(row(name), MemoryKind::Heap, N).round() as usize;
        let expected = match kind {
            Payload::Heap4KiB => glibc_chunk(heap - payload) + glibc_chunk(payload),
            _ => glibc_chunk(heap),
        } as f64
            - glibc_chunk(floor_task) as f64;
        let measured = fresh(MemoryKind::Rss, name, N_RSS, None) - base;
        eprintln!(
            "rss calibration {name}: {measured:.1} B over floor for a {payload} B payload; chunks say {expected}"
        );
        assert!(
            (measured - expected).abs() <= 8.0,
            "{name}: {measured:.1} B over floor for a {payload} B payload; its chunks say {expected} B"
        );
    }
}

/// A thread costs the kernel its kernel stack (16 KiB on x86-64, 8 KiB on some 32-bit kernels, up to 32 KiB
/// with KASAN) and the page table that maps its stack: at least a page each, whatever the architecture, and
/// no more than the largest kernel stack plus two page-table pages. A broken reading (a field missing, a
/// window that sees nothing) reads far less; one that counts a growth twice reads over 32 KiB on x86-64.
#[test]
fn the_kernel_share_of_a_thread_is_a_kernel_stack_and_a_page_table_at_5000_threads() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let (test, n) = ("the_kernel_share_of_a_thread_is_a_kernel_stack_and_a_page_table_at_5000_threads", 5000);
    if let Err(e) = taskbench::measure::kernel::read(None) {
        skip(&format!("calibration::{test}"), &format!("this kernel does not say: {e:#}"));
        return;
    }
    if !fits(test, row("thread"), n) {
        return;
    }
    let kernel = taskbench::harness::experiments::memory_per_task(row("thread"), n, MemoryKind::Kernel)
        .unwrap_or_else(|e| panic!("thread kernel share: {e:#}"));
    eprintln!("thread at {n}: kernel {kernel:.0} B/task");
    let largest = if cfg!(target_arch = "x86_64") { 16_384.0 + 2.0 * 4096.0 } else { 32_768.0 + 2.0 * 4096.0 };
    assert!(
        (4096.0..=largest).contains(&kernel),
        "the kernel's share of a thread read {kernel:.0} B at {n} threads, outside 4096..={largest}"
    );
}

/// Heap and RSS per task, in bytes, that each kind of model can plausibly read (typed from what a task is, not
/// from a run): a stackless task is one allocation of a few hundred bytes; RSS is that allocation's pages,
/// give or take the allocator's alignment; a thread or coroutine adds its touched stack pages, at least one
/// page and, parked, far below its stack's size. An RSS reader off by 10x, a heap counter that counts frees as
/// allocations, or a reading taken before the tasks parked falls outside.
fn plausible(model: &dyn TaskModel) -> (std::ops::RangeInclusive<f64>, std::ops::RangeInclusive<f64>) {
    match model.name() {
        "thread" | "thread-16k" => (64.0..=1024.0, 4096.0..=32_768.0),
        // may pools 1000 coroutines with touched stacks, so 5000 fresh ones read below a full stack page.
        "may" => (64.0..=2048.0, 2048.0..=16_384.0),
        "may-4k" => (64.0..=2048.0, 1024.0..=8192.0),
        // A 2 KiB stack outside the heap: the heap holds the g and its share of allgs.
        "goroutine" => (256.0..=2048.0, 2048.0..=8192.0),
        // A parked virtual thread is a Thread and a Continuation object, its frames copied into a stack chunk,
        // and a queue node, all on the Java heap (~2 KB read): no stack outside the heap.
        "java-vthread" => (512.0..=4096.0, 512.0..=8192.0),
        // A fresh BEAM process is 338 words (2,704 B on 64-bit: control block and its 233-word minimum
        // heap+stack block, Efficiency Guide) plus the probe's 16 B list cell for its pid; RSS is those
        // blocks in the VM's allocator carriers, a few hundred bytes either way.
        "erlang" => (2048.0..=4096.0, 2048.0..=8192.0),
        _ => (128.0..=1024.0, 128.0..=2048.0),
    }
}

#[test]
fn every_model_costs_a_plausible_amount_per_task() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    each_model("every_model_costs_a_plausible_amount_per_task", |model| {
        // Threads and coroutines touch a page or more each, so fewer of them suffice (and fit the limits).
        let n_rss = if model.needs().maps_per_task > 0 { 5000 } else { 20_000 };
        if !fits("every_model_costs_a_plausible_amount_per_task", model, n_rss.max(2000)) {
            return;
        }
        let heap = per_task(model, MemoryKind::Heap, 2000);
        let rss = per_task(model, MemoryKind::Rss, n_rss);
        eprintln!("{}: heap {heap:.0} B/task, rss {rss:.0} B/task", model.name());
        let (heap_range, rss_range) = plausible(model);
        assert!(heap_range.contains(&heap), "{}: heap {heap:.0} B/task outside {heap_range:?}", model.name());
        assert!(rss_range.contains(&rss), "{}: rss {rss:.0} B/task outside {rss_range:?}", model.name());
    });
}
