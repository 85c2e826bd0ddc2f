//! Cell records: one per `group/model/N`, written as the cell finishes and only when Criterion wrote its
//! result in this run. Each test runs fake models through the suite's real Criterion path in process
//! (see `common`) and reads the records back the way `taskbench save` does.

mod common;

use std::time::Duration;

use common::{run, target, A, B, MISSING};
use taskbench::record::read_cells;
use taskbench::results::summary::gather;

fn ids(t: &common::Target) -> Vec<String> {
    read_cells(&t.records).map(|cells| cells.into_iter().map(|c| c.id).collect()).unwrap_or_default()
}

/// Fails on: a group's record written once at the end, so an interrupted run leaves nothing to save.
#[test]
fn an_interrupted_run_keeps_the_cells_that_finished() {
    let t = target();
    let interrupted = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        run(
            &t,
            &[&A, &B],
            &[10, 20],
            &[],
            |c| c,
            |id| {
                assert!(id != "heap_per_task/b/10", "interrupted");
                256.0
            },
        )
    }));
    assert!(interrupted.is_err(), "the fake interruption did not happen");
    assert_eq!(ids(&t), ["heap_per_task/a/10", "heap_per_task/a/20"]);
    // The cells' times go with the records, not into the working directory's target/ (where they would show
    // in the user's `taskbench limits`).
    let times =
        taskbench::harness::cell_times::read_times(&taskbench::harness::cell_times::times_dir_in(&t.records)).unwrap();
    assert_eq!(times["heap_per_task"].len(), 2, "{times:?}");
    let g = gather(&t.criterion, &t.records).unwrap();
    assert_eq!(g.summary.benchmarks.len(), 2);
    assert!(
        g.warnings.iter().any(|w| w.contains("heap_per_task lacks 2 of its cells")
            && w.contains("heap_per_task/b/10, heap_per_task/b/20")),
        "{:?}",
        g.warnings
    );
}

/// Fails on: a filtered run replacing the group's record, which then holds only the filtered cell; and on a
/// save that says nothing about cells from two runs.
#[test]
fn a_filtered_run_after_a_full_run_keeps_the_other_cells_and_save_warns_of_the_mix() {
    let t = target();
    run(&t, &[&A, &B], &[10, 20], &[], |c| c, |_| 256.0);
    let log = run(&t, &[&A, &B], &[10, 20], &["heap_per_task/b/10$"], |c| c, |_| 300.0);
    assert_eq!(log.measured_cells, 1);
    assert_eq!(ids(&t), ["heap_per_task/a/10", "heap_per_task/a/20", "heap_per_task/b/10", "heap_per_task/b/20"]);
    let g = gather(&t.criterion, &t.records).unwrap();
    assert_eq!(g.summary.benchmarks.len(), 4);
    assert_eq!(g.summary.bench("heap_per_task/b/10").unwrap().per_task.point, 300.0);
    assert_eq!(g.summary.bench("heap_per_task/b/20").unwrap().per_task.point, 256.0);
    assert!(g.warnings.iter().any(|w| w.contains("heap_per_task mixes 2 runs")), "{:?}", g.warnings);
    assert!(!g.warnings.iter().any(|w| w.contains("lacks")), "{:?}", g.warnings);
    assert_eq!(g.provenance.len(), 2, "{:?}", g.provenance);
    assert!(g.provenance[1].contains("1 cell from run") && g.provenance[1].ends_with(": heap_per_task/b/10"));
}

/// Fails on: records written whether or not Criterion measured anything. `--list` is a mode only Criterion's
/// own argument parsing sets; the runs here are the two other ways Criterion runs a bench without writing a
/// result: a filter that matches nothing (as `--list`, no sample is taken) and `--profile-time` (samples
/// taken, nothing analysed). A skipped cell is not recorded either.
#[test]
fn runs_in_which_criterion_writes_no_result_write_no_records() {
    let t = target();
    let log = run(&t, &[&A, &MISSING], &[10], &[], |c| c.with_filter("nothing matches this"), |_| 256.0);
    assert_eq!((log.measured_cells, log.skipped_cells), (0, 0));
    let log = run(&t, &[&A, &MISSING], &[10], &[], |c| c.profile_time(Some(Duration::from_millis(20))), |_| 256.0);
    assert_eq!((log.measured_cells, log.skipped_cells), (0, 0));
    assert!(!t.records.join("cells").exists(), "records written: {:?}", ids(&t));
    // The same run measuring: the cell and the skip are recorded.
    let log = run(&t, &[&A, &MISSING], &[10], &[], |c| c, |_| 256.0);
    assert_eq!((log.measured_cells, log.skipped_cells), (1, 1));
    assert_eq!(ids(&t), ["heap_per_task/a/10", "heap_per_task/missing/10"]);
}

/// Fails on: a group's models ordered by the newest run alone, so that a run of one model moves it first in
/// every table, chart and legend (the overview page shows every cell measured so far, often from such runs).
#[test]
fn a_run_of_one_model_after_a_full_run_keeps_the_models_order() {
    let t = target();
    run(&t, &[&A, &B], &[10], &[], |c| c, |_| 256.0);
    run(&t, &[&B], &[10], &[], |c| c, |_| 300.0);
    let g = gather(&t.criterion, &t.records).unwrap();
    let models: Vec<&str> = g.summary.groups[0].models.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(models, ["a", "b"]);
    let ids: Vec<&str> = g.summary.benchmarks.iter().map(|b| b.id.as_str()).collect();
    assert_eq!(ids, ["heap_per_task/a/10", "heap_per_task/b/10"]);
}
