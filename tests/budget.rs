//! The per-cell time budget: the estimate from a smaller N, the skip decision and its line, the budget's
//! parsing, and the hook in the suite, on synthetic timings (no real model runs).

mod common;

use std::time::{Duration, SystemTime};

use criterion::Criterion;
use taskbench::catalogue;
use taskbench::harness::budget::{parse_budget, CellBudget, CellTime, Plan, BUDGET_ENV};
use taskbench::harness::cell_times;
use taskbench::harness::criterion_setup::Runners;
use taskbench::harness::runner::Matrix;
use taskbench::harness::settings::Filter;
use taskbench::harness::{run_group_with, GroupSpec};
use taskbench::record::{read_cells, CellLog};

const SPAWN: GroupSpec = GroupSpec::of(&catalogue::SPAWN);
const SPAWN_COLD: GroupSpec = GroupSpec::of(&catalogue::SPAWN_COLD);
const HEAP: GroupSpec = GroupSpec::of(&catalogue::HEAP);

/// The suite's settings at 10^5 and 10^6 for a timing group: 10 samples, 3 s and 4 s of measurement.
fn plan(spec: &GroupSpec, n: usize) -> Plan {
    let time = if n > 200_000 { 4 } else { 3 };
    Plan::new(spec, n, 10, Duration::from_secs(time))
}

/// A cell of `plan` whose processes took `in_processes` seconds in all: 11 Criterion calls of one iteration
/// each, and 1 s of Criterion's own.
fn cell_time(plan: Plan, in_processes: f64) -> CellTime {
    CellTime {
        plan,
        in_processes: Duration::from_secs_f64(in_processes),
        wall: Duration::from_secs_f64(in_processes + 1.0),
        calls: 11,
        measured_iterations: 11,
    }
}

/// A warm timing cell at 10^5 whose full iterations took `per_iteration` each: 11 Criterion calls of one
/// iteration, each in its own process with two warm-up iterations (33 in all), and 1 s of Criterion's own.
fn may_at_1e5(per_iteration: f64) -> CellTime {
    cell_time(plan(&SPAWN, 100_000), 33.0 * per_iteration)
}

#[test]
fn the_plan_counts_the_iterations_a_cell_at_a_million_runs() {
    // One iteration of 13 s (may at 10^6 on a 16-core machine): Criterion asks for one per sample.
    let count = |spec: &GroupSpec| {
        let p = plan(spec, 1_000_000);
        let (calls, measured) = p.criterion_calls(13.0);
        p.full_iterations(calls, measured)
    };
    assert_eq!(count(&SPAWN), 23, "6 processes x 2 warm-up iterations + 11 measured");
    assert_eq!(count(&SPAWN_COLD), 11, "11 processes of one iteration");
    assert_eq!(count(&HEAP), 11, "memory cells are cold: 11 processes of one iteration");
}

#[test]
fn criterion_fills_its_measurement_time_when_iterations_are_short() {
    // 10 ms per iteration at 10^5: the warm-up call (a process's 2 warm-ups and 1 measured) takes 30 ms, so
    // Criterion fits 10 iterations into each 0.3 s sample; each of the 11 calls has a process of its own.
    let p = plan(&SPAWN, 100_000);
    assert_eq!(p.criterion_calls(0.010), (11, 101));
    assert_eq!(p.full_iterations(11, 101), 101 + 11 * 2);
}

#[test]
fn a_cell_over_the_budget_is_skipped_with_the_expected_line() {
    let mut b = CellBudget::new("spawn", Some(Duration::from_secs(120)), None);
    b.ran("may", may_at_1e5(1.3));
    let why = b.check("may", &plan(&SPAWN, 1_000_000)).unwrap_err();
    assert_eq!(
        why,
        "estimated 300 s (23 iterations of about 13 s, scaled from spawn/may/100000) exceeds the cell budget \
         of 120 s; raise it with TASKBENCH_CELL_BUDGET_S=<seconds> (0 or none: unbounded)"
    );
}

#[test]
fn a_cell_under_the_budget_runs() {
    let mut b = CellBudget::new("spawn", Some(Duration::from_secs(120)), None);
    // 0.5 s per iteration at 10^5: 23 iterations of 5 s at 10^6 are 116 s.
    b.ran("may", may_at_1e5(0.5));
    let est = b.estimate("may", &plan(&SPAWN, 1_000_000)).unwrap();
    assert!((est.seconds - 116.0).abs() < 0.01, "{est:?}");
    assert_eq!(b.check("may", &plan(&SPAWN, 1_000_000)), Ok(()));
}

#[test]
fn an_unbounded_budget_never_skips() {
    let mut b = CellBudget::new("spawn", None, None);
    b.ran("may", may_at_1e5(1e6));
    assert!(b.estimate("may", &plan(&SPAWN, 1_000_000)).unwrap().seconds > 1e8);
    assert_eq!(b.check("may", &plan(&SPAWN, 1_000_000)), Ok(()));
}

#[test]
fn the_estimate_scales_the_largest_smaller_n_of_the_same_model() {
    let mut b = CellBudget::new("spawn", Some(Duration::from_secs(1)), None);
    // Nothing smaller has run: the cell runs unestimated, whatever the budget.
    assert_eq!(b.check("may", &plan(&SPAWN, 10_000)), Ok(()));
    let slow_small = CellTime { plan: plan(&SPAWN, 10_000), ..may_at_1e5(100.0) };
    b.ran("may", slow_small);
    b.ran("may", may_at_1e5(1.3));
    b.ran("tokio-mt", may_at_1e5(1000.0));
    let est = b.estimate("may", &plan(&SPAWN, 1_000_000)).unwrap();
    assert_eq!(est.from_n, 100_000);
    assert!((est.seconds_per_iteration - 13.0).abs() < 1e-6, "{est:?}");
    assert!(b.estimate("smol", &plan(&SPAWN, 1_000_000)).is_none());
}

#[test]
fn budget_values_parse_strictly() {
    assert_eq!(parse_budget("90").unwrap(), Some(Duration::from_secs(90)));
    assert_eq!(parse_budget(" 2.5 ").unwrap(), Some(Duration::from_millis(2500)));
    assert_eq!(parse_budget("0").unwrap(), None);
    assert_eq!(parse_budget("none").unwrap(), None);
    assert_eq!(parse_budget("None").unwrap(), None);
    for bad in ["", "abc", "-1", "-0.5", "inf", "NaN", "1e400", "1e300", "10s", "1,5"] {
        let e = parse_budget(bad).expect_err(bad);
        assert!(e.to_string().contains(BUDGET_ENV), "{bad:?}: {e}");
    }
}

#[test]
fn limits_refuses_a_bad_budget_with_exit_code_2() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_taskbench"))
        .arg("limits")
        .env(BUDGET_ENV, "-1")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("TASKBENCH_CELL_BUDGET_S=\"-1\""), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn the_limits_report_shows_kept_times_and_estimates_and_says_when_there_are_none() {
    let dir = tempfile::tempdir().unwrap();
    let none = cell_times::report(Some(Duration::from_secs(120)), dir.path()).unwrap();
    assert!(none.contains("Cell time budget: 120 s per cell"), "{none}");
    assert!(none.contains("once a smaller N of its group and model has run"), "{none}");

    // A run that measured may at 10^5 (44 s, nearly all of it Criterion's own) and skipped it at 10^6.
    let ten = Some(Duration::from_secs(10));
    let mut b = CellBudget::new("spawn", ten, Some(dir.path().to_path_buf()));
    assert_eq!(b.check("may", &plan(&SPAWN, 100_000)), Ok(()));
    for _ in 0..11 {
        b.sample(1, || ());
    }
    b.finish("may", plan(&SPAWN, 100_000), Duration::from_secs(44));
    assert!(b.check("may", &plan(&SPAWN, 1_000_000)).is_err());
    let text = cell_times::report(ten, dir.path()).unwrap();
    assert!(text.contains("summed over the groups (spawn)"), "{text}");
    let row = text.lines().find(|l| l.starts_with("may ")).unwrap_or_else(|| panic!("{text}"));
    let cells: Vec<&str> = row.split("  ").map(str::trim).filter(|c| !c.is_empty()).collect();
    // The estimate: Criterion's own 44 s again, plus its measurement time filled with near-empty iterations.
    assert_eq!(cells[..2], ["may", "44"], "{text}");
    assert!(cells[2].starts_with("~4") && cells[2].ends_with(" [1 over]"), "{text}");
    // Unbounded, nothing is over.
    let text = cell_times::report(None, dir.path()).unwrap();
    let row = text.lines().find(|l| l.starts_with("may ")).unwrap_or_else(|| panic!("{text}"));
    assert!(!row.contains("over]"), "{text}");
}

/// The only test here that sets the environment (tests in one binary share it).
#[test]
fn the_suite_skips_a_cell_over_the_budget_and_records_the_skip() {
    let home = tempfile::tempdir().unwrap();
    std::env::set_var(BUDGET_ENV, "5");
    std::env::set_var("CRITERION_HOME", home.path().join("criterion"));
    let criterion_home = home.path().join("criterion");
    let records = home.path().join("taskbench");
    let mut runners = Runners {
        // The suite's one-call warm-up (`criterion_config`): the interleaved rounds serve a fixed number of
        // calls, and Criterion's default 3 s warm-up, timed on the wall clock, would double past them.
        plots: Criterion::default()
            .warm_up_time(Duration::from_nanos(1))
            .output_directory(&criterion_home)
            .without_plots(),
        no_plots: None,
        criterion_home: criterion_home.clone(),
    };
    let mut log = CellLog::new(criterion_home, records.clone(), SystemTime::now());
    // 1 ms per iteration at N = 10: at 20 the cell takes a few seconds of measurement but its iterations
    // are short; at 10^4 each iteration would take 1 s and the cell over 5 s.
    let matrix = Matrix {
        n_values: vec![10, 20, 10_000],
        models: vec![&common::FAKE],
        extra: Vec::new(),
        filter: Filter::from_args(Vec::<String>::new()),
    };
    run_group_with(&mut runners, &SPAWN, &matrix, &mut log, |id: &str, _: Option<usize>, iters: u64| {
        let n: f64 = id.rsplit('/').next().unwrap().parse().unwrap();
        std::thread::sleep(Duration::from_secs_f64(iters as f64 * n * 1e-4));
        Ok(1000.0 * iters as f64)
    });
    let cells = read_cells(&records).unwrap();
    let ran: Vec<_> = cells.iter().filter(|c| c.skipped.is_none()).map(|c| c.id.as_str()).collect();
    assert_eq!(ran, ["spawn/fake/10", "spawn/fake/20"]);
    let skipped: Vec<_> = cells.iter().filter(|c| c.skipped.is_some()).collect();
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(skipped[0].id, "spawn/fake/10000");
    let reason = skipped[0].skipped.as_deref().unwrap();
    assert!(reason.starts_with("estimated "), "{reason}");
    // Two smaller N ran: the estimate splits their times into a part per process and a part per task.
    assert!(reason.contains("fitted to spawn/fake/10 and /20 as "), "{reason}");
    assert!(reason.contains(" a process plus a share per task) exceeds the cell budget of 5 s"), "{reason}");
    let kept = cell_times::read_times(&cell_times::times_dir_in(&records)).unwrap();
    assert_eq!(kept["spawn"].len(), 3, "{kept:?}");
    assert!(kept["spawn"]["spawn/fake/10000"].seconds.is_none());
}

/// A cold memory cell of a row whose every process starts a JVM: 1 s of start-up and warm-up per process, then
/// 2 µs per task; 10 samples of one iteration each and Criterion's warm-up call, 11 processes, 1 s of its own.
fn jvm_memory_cell(n: usize) -> CellTime {
    cell_time(plan(&HEAP, n), 11.0 * (1.0 + 2e-6 * n as f64))
}

/// Fails on: the start-up scaled with N (linear from 10^5 alone: 11 iterations of 12 s, 133 s, over the
/// budget), the split fitted to the wrong pair of cells, or processes counted as iterations of warm cells.
#[test]
fn two_smaller_cells_split_a_process_start_up_from_the_work_per_task() {
    let mut b = CellBudget::new("heap_per_task", Some(Duration::from_secs(120)), None);
    b.ran("java-vthread", jvm_memory_cell(10_000));
    let alone = b.estimate("java-vthread", &plan(&HEAP, 1_000_000)).unwrap();
    assert!((alone.seconds - (11.0 * 102.0 + 1.0)).abs() < 0.01, "one smaller N: scaled linearly, {alone:?}");
    b.ran("java-vthread", jvm_memory_cell(100_000));
    let est = b.estimate("java-vthread", &plan(&HEAP, 1_000_000)).unwrap();
    // 11 processes of 1 s start-up plus 10^6 tasks at 2 µs, and Criterion's 1 s.
    assert!((est.seconds - 34.0).abs() < 0.01, "{est:?}");
    assert_eq!((est.iterations, est.from_n), (11, 100_000));
    assert_eq!(b.check("java-vthread", &plan(&HEAP, 1_000_000)), Ok(()));
    let mut tight = CellBudget::new("heap_per_task", Some(Duration::from_secs(30)), None);
    tight.ran("java-vthread", jvm_memory_cell(100_000));
    tight.ran("java-vthread", jvm_memory_cell(10_000));
    assert_eq!(
        tight.check("java-vthread", &plan(&HEAP, 1_000_000)).unwrap_err(),
        "estimated 34 s (11 iterations of about 3.0 s, fitted to heap_per_task/java-vthread/10000 and /100000 as \
         1.0 s a process plus a share per task) exceeds the cell budget of 30 s; raise it with \
         TASKBENCH_CELL_BUDGET_S=<seconds> (0 or none: unbounded)"
    );
    // A warm cell's processes serve several iterations each: its split counts processes, not iterations.
    let warm = |n: usize, per_process: f64, per_iteration: f64| {
        cell_time(plan(&SPAWN, n), 11.0 * per_process + 33.0 * per_iteration)
    };
    let mut w = CellBudget::new("spawn", None, None);
    w.ran("java-vthread", warm(10_000, 1.0, 0.05));
    w.ran("java-vthread", warm(100_000, 1.0, 0.5));
    let est = w.estimate("java-vthread", &plan(&SPAWN, 1_000_000)).unwrap();
    // At 10^6: 5 s an iteration; 6 processes (2 samples each) of 1 s, 11 measured + 12 warm-up iterations.
    assert_eq!(est.iterations, 23);
    assert!((est.seconds - (6.0 + 23.0 * 5.0 + 1.0)).abs() < 0.01, "{est:?}");
}
