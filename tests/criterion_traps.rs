//! Criterion with a bytes measurement: the traps the field notes list, exercised for real at small scale.
//! - a sample of exactly 0 is refused by the suite before Criterion sees it;
//! - constant samples (exact byte counts repeat) survive a second run and a `--baseline` comparison: the
//!   suite turns Criterion's plots off for exactly the cells whose earlier samples were identical, and draws
//!   their pages itself.

mod common;

use std::time::Duration;

use criterion::Criterion;
use taskbench::measure::BytesPerTask;

fn quick(dir: &std::path::Path) -> Criterion<BytesPerTask> {
    Criterion::default()
        .with_measurement(BytesPerTask)
        .output_directory(dir)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(10))
        .measurement_time(Duration::from_millis(50))
}

/// A bench whose every sample is exactly 256 bytes per task, as exact byte counts often are.
fn constant(c: &mut Criterion<BytesPerTask>) {
    c.bench_function("heap_per_task/constant/1000", |b| {
        b.iter_custom(|iters| {
            std::thread::sleep(Duration::from_micros(200));
            256.0 * iters as f64
        })
    });
}

const CONSTANT: &str = "heap_per_task/a/1000";

fn page(t: &common::Target, model: &str) -> String {
    std::fs::read_to_string(t.criterion.join(format!("heap_per_task/{model}/1000/report/index.html"))).unwrap()
}

/// Fails on: a second plain run panicking in Criterion's t-test plot (`kde.rs`) when a cell's samples were
/// identical in both runs, the ordinary re-run of the memory groups.
#[test]
fn a_second_run_of_constant_samples_does_not_panic_and_every_cell_keeps_a_page() {
    let t = common::target();
    // `b` varies from sample to sample, `a` is the same exact byte count every time.
    let calls = std::sync::atomic::AtomicU64::new(0);
    let value = |id: &str| {
        let k = calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if id == CONSTANT {
            256.0
        } else {
            300.0 + (k % 7) as f64
        }
    };
    for run in 1..=2 {
        let log = common::run(&t, &[&common::A, &common::B], &[1000], &[], |c| c, value);
        assert_eq!(log.measured_cells, 2, "run {run}");
        for model in ["a", "b"] {
            assert!(page(&t, model).contains("<svg") || page(&t, model).contains("<img"), "run {run}: {model}");
        }
    }
    let cell = t.criterion.join(CONSTANT);
    assert!(cell.join("change/estimates.json").is_file(), "the second run was compared with the first");
    let text = std::fs::read_to_string(cell.join("new/estimates.json")).unwrap();
    assert!(text.contains("\"point_estimate\":256.0"), "{text}");
    assert!(page(&t, "a").contains("Drawn by taskbench") && page(&t, "a").contains("256"), "{}", page(&t, "a"));
    assert!(!page(&t, "b").contains("Drawn by taskbench"), "Criterion still draws the cells it can");
    assert!(t.criterion.join("heap_per_task/report/index.html").is_file(), "the group's page");
}

/// Fails on: `--save-baseline` then `--baseline` with constant samples panicking in the same plot.
#[test]
fn a_baseline_comparison_of_constant_samples_does_not_panic() {
    let t = common::target();
    common::run(&t, &[&common::A], &[1000], &[], |c| c.save_baseline("a".into()), |_| 256.0);
    common::run(&t, &[&common::A], &[1000], &[], |c| c.retain_baseline("a".into(), true), |_| 256.0);
    let cell = t.criterion.join(CONSTANT);
    assert!(cell.join("change/estimates.json").exists(), "the comparison against baseline a did not run");
    assert!(cell.join("a/estimates.json").exists(), "baseline a was lost");
    assert!(page(&t, "a").contains("Drawn by taskbench"));
}

/// With plots on, a plain second run of constant samples is what Criterion 0.8 cannot do: this documents the
/// trap the suite steps around, and tells us when a Criterion upgrade fixes it.
#[test]
fn criterion_cannot_plot_a_rerun_of_constant_samples() {
    let dir = tempfile::tempdir().unwrap();
    constant(&mut quick(dir.path()));
    let compared = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| constant(&mut quick(dir.path()))));
    assert!(compared.is_err(), "Criterion now plots constant samples: the no-plot workaround can go");
}

#[test]
fn a_zero_or_negative_reading_is_an_error_not_a_figure() {
    use taskbench::measure::{MemoryKind, MemoryObserver};
    use taskbench::models::{MemorySource, Observer};
    struct Fixed(u64);
    impl MemorySource for Fixed {
        fn heap_bytes(&self) -> Option<u64> {
            Some(self.0)
        }
    }
    let mut same = MemoryObserver::new(MemoryKind::Heap);
    same.before_spawn(&Fixed(1000)).unwrap();
    same.all_parked(&Fixed(1000)).unwrap();
    let err = same.per_task(10).unwrap_err().to_string();
    assert!(err.contains("grew by 0 bytes"), "{err}");
    let mut shrunk = MemoryObserver::new(MemoryKind::Heap);
    shrunk.before_spawn(&Fixed(1000)).unwrap();
    shrunk.all_parked(&Fixed(500)).unwrap();
    assert!(shrunk.per_task(10).is_err());
    let mut grew = MemoryObserver::new(MemoryKind::Heap);
    grew.before_spawn(&Fixed(1000)).unwrap();
    grew.all_parked(&Fixed(3560)).unwrap();
    assert_eq!(grew.per_task(10).unwrap(), 256.0);
}
