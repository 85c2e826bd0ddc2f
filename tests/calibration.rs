//! Trust in the instrument. Calibration: a floor task holding a known payload must measure, over the plain
//! floor task, that payload within 1% on the heap and within a page on RSS. Plausibility: every model's heap
//! and RSS per task is positive and in the range its kind allows.
//!
//! Heap and RSS are process-wide, so the tests in this file take turns (one lock). Every run is preceded by
//! the benches' preflight: what does not fit this machine is skipped with a `SKIPPED` line saying which limit
//! binds.

use std::io::Write;
use std::sync::Mutex;

use taskbench::limits::{check, Snapshot};
use taskbench::measure::{CountingAllocator, MemoryKind, MemoryObserver};
use taskbench::models::{self, by_name, TaskModel};

#[global_allocator]
static ALLOC: CountingAllocator = CountingAllocator;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Heap figures are exact at any N. RSS figures need enough tasks that the process's background noise (idle
/// runtime threads touching pages again, about a megabyte) is small beside the growth: 50k floor tasks
/// holding 1 KiB are ~60 MB.
const N: usize = 5000;
const N_RSS: usize = 50_000;

/// The calibration controls and the payload each must measure as, over the plain floor.
const CONTROLS: [(&str, f64); 2] = [("floor-1KiB-inline", 1024.0), ("floor-4KiB-heap", 4096.0)];

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
            // Straight to stderr: the test harness captures eprintln! of passing tests.
            let _ = writeln!(std::io::stderr(), "SKIPPED calibration::{test} for {}/{n}: {short}", model.name());
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
fn heap_calibration_measures_each_payload_within_one_percent() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let test = "heap_calibration_measures_each_payload_within_one_percent";
    if !all_fit(test, N) {
        return;
    }
    let base = per_task(row("floor"), MemoryKind::Heap, N);
    for (name, payload) in CONTROLS {
        let measured = per_task(row(name), MemoryKind::Heap, N) - base;
        let error = (measured - payload).abs() / payload;
        eprintln!("heap calibration {name}: {measured:.1} B over floor for a {payload} B payload");
        assert!(error < 0.01, "{name}: measured {measured:.1} B for a {payload} B payload ({:.2}% off)", error * 100.0);
    }
}

#[test]
fn rss_calibration_measures_each_payload_within_a_page() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let test = "rss_calibration_measures_each_payload_within_a_page";
    if !all_fit(test, N_RSS) {
        return;
    }
    let base = per_task(row("floor"), MemoryKind::Rss, N_RSS);
    for (name, payload) in CONTROLS {
        let measured = per_task(row(name), MemoryKind::Rss, N_RSS) - base;
        eprintln!("rss calibration {name}: {measured:.1} B over floor for a {payload} B payload");
        // Seeing under half the payload means freed pages were reused and hid the growth (a bug seen before).
        assert!(measured > payload * 0.5, "{name}: RSS saw only {measured:.1} B of a {payload} B payload");
        assert!((measured - payload).abs() < 4096.0, "{name}: {measured:.1} B for a {payload} B payload");
    }
}

#[test]
fn every_model_costs_a_plausible_amount_per_task() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    for model in models::registry() {
        if let Err(why) = model.available() {
            eprintln!("SKIPPED {}: {why}", model.name());
            continue;
        }
        // Threads and coroutines touch a page or more each, so fewer of them suffice (and fit the limits).
        let n_rss = if model.needs().maps_per_task > 0 { 5000 } else { 20_000 };
        if !fits("every_model_costs_a_plausible_amount_per_task", model, n_rss.max(2000)) {
            continue;
        }
        let heap = per_task(model, MemoryKind::Heap, 2000);
        let rss = per_task(model, MemoryKind::Rss, n_rss);
        eprintln!("{}: heap {heap:.0} B/task, rss {rss:.0} B/task", model.name());
        assert!(heap > 0.0 && rss > 0.0, "{}: heap {heap}, rss {rss}", model.name());
        match model.name() {
            // Threads and coroutines: stacks are not heap; what they cost shows in RSS, at least one touched
            // page each.
            _ if model.needs().maps_per_task > 0 => assert!(rss >= 4096.0, "{}: rss {rss} B/task", model.name()),
            // Goroutine stacks start at 2 KiB and are not in HeapAlloc.
            "goroutine" => {
                assert!(heap < 4096.0, "goroutine heap {heap}");
                assert!(rss >= 2048.0, "goroutine rss {rss}");
            }
            // Stackless tasks: well under 4 KiB of heap each.
            _ => assert!(heap < 4096.0, "{}: heap {heap} B/task", model.name()),
        }
    }
}
