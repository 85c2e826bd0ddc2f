//! Interleaved rounds (`harness::rounds`) through the suite's real Criterion path, with fake rows whose
//! sampler the test writes: a warm timing group (`yield`) at one N.

mod common;

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{bail, Result};
use criterion::Criterion;
use taskbench::catalogue;
use taskbench::harness::criterion_setup::{criterion_config, Runners};
use taskbench::harness::runner::Matrix;
use taskbench::harness::sampler::Sampler;
use taskbench::harness::settings::Filter;
use taskbench::harness::{run_group_with, GroupSpec};
use taskbench::measure::BytesPerTask;
use taskbench::models::TaskModel;
use taskbench::record::{read_cells, CellRecord, MachineReference};

use common::{target, Fake, Target, A, B};

static FAILS: Fake = Fake { name: "fails", available: true };
const SPEC: GroupSpec = GroupSpec::of(&catalogue::YIELD);

/// Runs `yield` over `models` at N = 2; `value(id, call)` is the value per iteration of the `call`-th
/// process asked for cell `id`. Returns the cells' records.
fn run(t: &Target, models: &[&'static dyn TaskModel], value: impl Fn(&str, usize) -> Result<f64>) -> Vec<CellRecord> {
    let calls: RefCell<HashMap<String, usize>> = RefCell::default();
    let sample = |id: &str, _: Option<usize>, iters: u64| {
        // A process takes time; so does every value here.
        std::thread::sleep(Duration::from_millis(2));
        let call = {
            let mut calls = calls.borrow_mut();
            let call = calls.entry(id.to_string()).or_default();
            *call += 1;
            *call
        };
        Ok(value(id, call)? * iters as f64)
    };
    run_with(t, models, sample)
}

/// Runs `yield` over `models` at N = 2 through `sampler`. Returns the cells' records.
fn run_with(t: &Target, models: &[&'static dyn TaskModel], sampler: impl Sampler) -> Vec<CellRecord> {
    run_group(t, &SPEC, models, sampler)
}

/// Runs `spec` over `models` at N = 2 through `sampler`. Returns the cells' records.
fn run_group(
    t: &Target,
    spec: &GroupSpec,
    models: &[&'static dyn TaskModel],
    sampler: impl Sampler,
) -> Vec<CellRecord> {
    let criterion =
        || criterion_config(Criterion::default().with_measurement(BytesPerTask)).output_directory(&t.criterion);
    let mut c = Runners {
        plots: criterion(),
        no_plots: Some(criterion().without_plots()),
        criterion_home: t.criterion.clone(),
    };
    let mut log = taskbench::record::CellLog::new(t.criterion.clone(), t.records.clone(), SystemTime::now());
    let matrix = Matrix {
        n_values: vec![2],
        models: models.to_vec(),
        extra: Vec::new(),
        filter: Filter::from_args(["bench".to_string()]),
    };
    run_group_with(&mut c, spec, &matrix, &mut log, sampler);
    read_cells(&t.records).unwrap()
}

/// Criterion's samples of `model` at N = 2, each per iteration, in Criterion's order.
fn samples(t: &Target, model: &str) -> Vec<f64> {
    samples_of(t, "yield", model)
}

/// Criterion's samples of `group/model/2`, each per iteration, in Criterion's order.
fn samples_of(t: &Target, group: &str, model: &str) -> Vec<f64> {
    let path = t.criterion.join(group).join(model).join("2").join("new").join("sample.json");
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let iters = json["iters"].as_array().unwrap();
    let times = json["times"].as_array().unwrap();
    iters.iter().zip(times).map(|(i, t)| t.as_f64().unwrap() / i.as_f64().unwrap()).collect()
}

/// Fails on: the rows measured one after the other (rounds off, or each row's rounds run back to back):
/// the first row's samples would all come before the second's; values served out of round order.
#[test]
fn rounds_interleave_the_rows_over_the_same_span() {
    let t = target();
    let start = Instant::now();
    let cells = run(&t, &[&A, &B], |_, _| Ok(start.elapsed().as_secs_f64() * 1e3));
    let (a, b) = (samples(&t, "a"), samples(&t, "b"));
    assert_eq!((a.len(), b.len()), (20, 20));
    // In round order: each row's values only grow.
    assert!(a.windows(2).all(|w| w[0] < w[1]) && b.windows(2).all(|w| w[0] < w[1]), "{a:?} {b:?}");
    assert!(a[0] < b[19] && b[0] < a[19], "{a:?} {b:?}");
    let span = a[19].max(b[19]) - a[0].min(b[0]);
    let overlap = a[19].min(b[19]) - a[0].max(b[0]);
    assert!(overlap > 0.8 * span, "overlap {overlap} of {span}: {a:?} {b:?}");
    assert!(cells.iter().all(|c| c.interleaved && c.failed.is_none()), "{cells:?}");
}

/// Fails on: a cold timing group measured cell after cell (its rows' samples would not share a span, and
/// Criterion would ask for its many iterations per sample instead of one first burst per round's process),
/// or asking a row for more processes than its samples (round 1 also answers Criterion's warm-up call).
#[test]
fn a_cold_group_runs_in_rounds_one_first_burst_per_row_and_round() {
    let t = target();
    let start = Instant::now();
    let asked: RefCell<Vec<(String, u64)>> = RefCell::default();
    let sample = |id: &str, _: Option<usize>, iters: u64| {
        std::thread::sleep(Duration::from_millis(2));
        asked.borrow_mut().push((id.to_string(), iters));
        Ok(start.elapsed().as_secs_f64() * 1e3 * iters as f64)
    };
    let cells = run_group(&t, &GroupSpec::of(&catalogue::SPAWN_COLD), &[&A, &B], sample);
    assert!(cells.iter().all(|c| c.interleaved && c.failed.is_none()), "{cells:?}");
    let asked = asked.into_inner();
    assert!(asked.iter().all(|(_, iters)| *iters == 1), "{asked:?}");
    assert_eq!(asked.iter().filter(|(id, _)| id == "spawn_cold/a/2").count(), 20, "{asked:?}");
    let (a, b) = (samples_of(&t, "spawn_cold", "a"), samples_of(&t, "spawn_cold", "b"));
    assert_eq!((a.len(), b.len()), (20, 20));
    assert!(a[0] < b[19] && b[0] < a[19], "{a:?} {b:?}");
}

/// Fails on: a process failing in one row's round failing the whole group, or the other row's cell, or
/// not failing its own cell (a stand-in or a fresh process's value recorded as a figure).
#[test]
fn a_process_failing_in_a_round_fails_that_cell_only() {
    let t = target();
    let cells = run(&t, &[&A, &FAILS], |id, call| {
        if id == "yield/fails/2" && call == 3 {
            bail!("fake failure in its third process");
        }
        Ok(1000.0)
    });
    let by_id: HashMap<&str, &CellRecord> = cells.iter().map(|c| (c.id.as_str(), c)).collect();
    assert_eq!(by_id["yield/fails/2"].failed.as_deref(), Some("fake failure in its third process"), "{cells:?}");
    assert_eq!(by_id["yield/a/2"].failed, None, "{cells:?}");
    assert_eq!(samples(&t, "a"), vec![1000.0; 20]);
}

/// Counts the rounds' machine-reference readings: reading `i` has a workload of `i` ns.
struct WithReference<F>(F, std::cell::Cell<u32>);

impl<F: Fn(&str, Option<usize>, u64) -> Result<f64>> Sampler for WithReference<F> {
    fn sample(&self, id: &str, tasks: Option<usize>, iters: u64) -> Result<f64> {
        (self.0)(id, tasks, iters)
    }
    fn machine_reference(&self) -> Option<MachineReference> {
        self.1.set(self.1.get() + 1);
        Some(MachineReference { workload_ns: f64::from(self.1.get()), wake_ns: None })
    }
}

/// Fails on: the reference not read once per round (per process instead, or once in all), or not recorded
/// with every cell of the rounds, in round order.
#[test]
fn every_round_reads_the_machine_reference_and_every_cell_records_them() {
    let t = target();
    let value = |_: &str, _: Option<usize>, iters: u64| {
        // As in `run`: a cell that takes no time could write its result within the file system's coarse
        // clock tick before the log's start, and would not count as this run's.
        std::thread::sleep(Duration::from_millis(2));
        Ok(1000.0 * iters as f64)
    };
    let cells = run_with(&t, &[&A, &B], WithReference(value, Default::default()));
    let rounds: Vec<f64> = (1..=20).map(f64::from).collect();
    for cell in &cells {
        let read: Vec<f64> = cell.machine_reference.iter().map(|r| r.workload_ns).collect();
        assert_eq!(read, rounds, "{}: 20 samples, a round and a reading each", cell.id);
    }
    assert_eq!(cells.len(), 2, "{cells:?}");
}

/// Records the cells the runner plans two processes at a time, and answers every call with 1000.
#[derive(Default)]
struct Plans(RefCell<Vec<(String, usize)>>);

impl Sampler for &Plans {
    fn sample(&self, _: &str, _: Option<usize>, iters: u64) -> Result<f64> {
        std::thread::sleep(Duration::from_millis(2));
        Ok(1000.0 * iters as f64)
    }
    fn two_at_once(&self, id: &str, _: Option<usize>, processes: usize) {
        self.0.borrow_mut().push((id.to_string(), processes));
    }
}

/// Fails on: the runner never asking for two processes at a time in a memory group (the memory groups
/// back to one after the other), asking for more or fewer processes than the cell's samples, or asking in a
/// timing group.
#[test]
fn a_memory_cell_of_a_stackless_row_is_planned_two_processes_at_a_time_and_a_timing_cell_is_not() {
    let two_cores = taskbench::models::available_cores() >= 2;
    let plans = Plans::default();
    run_group(&target(), &GroupSpec::of(&catalogue::HEAP), &[&A], &plans);
    let expected = if two_cores { vec![("heap_per_task/a/2".to_string(), 10)] } else { Vec::new() };
    assert_eq!(plans.0.take(), expected);
    run_group(&target(), &GroupSpec::of(&catalogue::SPAWN_COLD), &[&A], &plans);
    assert_eq!(plans.0.take(), Vec::new(), "a timing group");
}
