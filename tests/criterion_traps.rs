//! Criterion with a bytes measurement: the traps the field notes list, exercised for real at small scale.
//! - a sample of exactly 0 is refused by the suite before Criterion sees it;
//! - constant samples (exact byte counts repeat) survive `--save-baseline` followed by `--baseline`.

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

#[test]
fn constant_samples_survive_a_baseline_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = quick(dir.path()).save_baseline("a".into());
    constant(&mut c);
    // What the memory benches do when the command line asks for a baseline comparison.
    assert!(taskbench::suite::comparing_to_baseline(["bench".to_string(), "--baseline".into(), "a".into()]));
    assert!(taskbench::suite::comparing_to_baseline(["bench".to_string(), "--baseline-lenient=a".into()]));
    assert!(!taskbench::suite::comparing_to_baseline(["bench".to_string(), "--save-baseline".into(), "a".into()]));
    let mut c = quick(dir.path()).retain_baseline("a".into(), true).without_plots();
    constant(&mut c);
    // Criterion folds a bench_function id's slashes into one folder name.
    let bench = dir.path().join("heap_per_task_constant_1000");
    let text = std::fs::read_to_string(bench.join("new/estimates.json")).unwrap();
    assert!(text.contains("\"point_estimate\":256.0"), "{text}");
    assert!(bench.join("change/estimates.json").exists(), "the comparison against baseline a did not run");
    assert!(bench.join("a/estimates.json").exists(), "baseline a was lost");
}

/// With plots on, the same round trip is what Criterion 0.8 cannot do: this documents the trap the memory
/// benches step around, and tells us when a Criterion upgrade fixes it.
#[test]
fn criterion_cannot_plot_a_baseline_comparison_of_constant_samples() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = quick(dir.path()).save_baseline("a".into());
    constant(&mut c);
    let compared = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut c = quick(dir.path()).retain_baseline("a".into(), true);
        constant(&mut c);
    }));
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
