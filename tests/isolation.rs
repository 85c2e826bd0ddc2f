//! Isolated cells: a cell's figure does not depend on the cells measured before it, and a cold figure
//! comes from a process of its own.
//!
//! The fake models here report, as their "spawn time", how many iterations their process ran before (plus
//! one): a figure that depends on nothing but the process's history. This test binary serves the cells
//! itself: the harness re-executes it with a filter that runs only `serves_cells_in_child_processes`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Result;
use taskbench::catalogue::{self, Temperature};
use taskbench::harness::cell::{requested_cell, CellProcesses};
use taskbench::harness::experiments::spawn_ns;
use taskbench::harness::serve::serve_cell;
use taskbench::harness::GroupSpec;
use taskbench::limits::Needs;
use taskbench::models::{Observer, ParkedRun, SpawnSite, TaskModel};

/// Iterations run in this process so far, weighted: the "history" a shared process would carry over.
static HISTORY: AtomicU64 = AtomicU64::new(0);

struct Fake {
    name: &'static str,
    /// How much one iteration adds to the history (a heavy cell leaves a lot behind).
    weight: u64,
}

static LIGHT: Fake = Fake { name: "light", weight: 1 };
static HEAVY: Fake = Fake { name: "heavy", weight: 1000 };
/// Takes [`SLOW_MS`] an iteration, and reports when its iteration started (ms since the Unix epoch).
static SLOW: Fake = Fake { name: "slow", weight: 0 };
const SLOW_MS: u64 = 300;

impl TaskModel for Fake {
    fn name(&self) -> &'static str {
        self.name
    }
    fn config(&self) -> String {
        "fake".into()
    }
    fn spawn_site(&self) -> SpawnSite {
        SpawnSite::Outside
    }
    fn needs(&self) -> Needs {
        Needs::STACKLESS
    }
    fn warm_up_tasks(&self) -> usize {
        0
    }
    fn run_parked(&self, n: usize, _: &mut dyn Observer) -> Result<ParkedRun> {
        if self.name == "slow" {
            let started = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?;
            std::thread::sleep(Duration::from_millis(SLOW_MS));
            return Ok(ParkedRun { spawn_time: Duration::from_millis(started.as_millis() as u64), parked: n });
        }
        let before = HISTORY.fetch_add(self.weight, Ordering::SeqCst);
        Ok(ParkedRun { spawn_time: Duration::from_nanos(1 + before), parked: n })
    }
    fn run_spawn_join(&self, _: usize) -> Result<Duration> {
        Ok(Duration::from_nanos(1))
    }
    fn run_holding(&self, n: usize, _: usize, observer: &mut dyn Observer) -> Result<ParkedRun> {
        self.run_parked(n, observer)
    }
}

const SPEC: GroupSpec = GroupSpec::of(&catalogue::SPAWN);
const COLD: GroupSpec = GroupSpec::of(&catalogue::SPAWN_COLD);

const CHILD_ARGS: [&str; 4] = ["--exact", "serves_cells_in_child_processes", "--nocapture", "--test-threads=1"];

/// Not a check: the entry point of the child processes the other tests start. In a plain test run it
/// returns at once.
#[test]
fn serves_cells_in_child_processes() {
    if let Some(id) = requested_cell() {
        let spec = if id.starts_with("spawn_cold/") { &COLD } else { &SPEC };
        serve_cell(spec, &[&LIGHT, &HEAVY, &SLOW], &[], spawn_ns, &id);
    }
}

fn processes(temperature: Temperature) -> CellProcesses {
    CellProcesses::new(temperature).with_args(&CHILD_ARGS)
}

#[test]
fn a_cell_hands_criterion_the_same_values_alone_and_after_a_heavy_cell() {
    let alone: Vec<f64> = {
        let mut p = processes(Temperature::Warm);
        (0..4).map(|_| p.measure("spawn/light/10", None, 3, 2).unwrap()).collect()
    };
    let after_heavy: Vec<f64> = {
        let mut p = processes(Temperature::Warm);
        for _ in 0..3 {
            p.measure("spawn/heavy/10", None, 3, 2).unwrap();
        }
        (0..4).map(|_| p.measure("spawn/light/10", None, 3, 2).unwrap()).collect()
    };
    assert_eq!(alone, after_heavy, "the light cell's values depend on the heavy cell measured before it");
    // Two warm-up iterations ran before the first sample: it sums iterations 3, 4 and 5 of its process
    // (1 + history each). The second sample continues in the same process; the third starts a new one.
    assert_eq!(alone, [3.0 + 4.0 + 5.0, 6.0 + 7.0 + 8.0, 3.0 + 4.0 + 5.0, 6.0 + 7.0 + 8.0]);
}

#[test]
fn cold_mode_starts_a_fresh_process_for_every_iteration() {
    let mut p = processes(Temperature::Cold);
    // Every iteration is the first of its process, so each reads 1 + 0.
    assert_eq!(p.measure("spawn_cold/light/10", None, 5, 2).unwrap(), 5.0);
    assert_eq!(p.started, 5);
    assert_eq!(p.measure("spawn_cold/light/10", None, 3, 2).unwrap(), 3.0);
    assert_eq!(p.started, 8);
}

/// Fails on: a cell planned two at a time whose processes still run one after the other (the next one not
/// started while the current one measures), or one process more than planned started ahead.
#[test]
fn a_cell_planned_two_at_once_runs_its_next_process_beside_the_current_one() {
    let mut p = processes(Temperature::Cold);
    p.plan_two_at_once("spawn_cold/slow/10", None, 4);
    // Each value is the ms its process's iteration started at.
    let started: Vec<f64> = (0..4).map(|_| p.measure("spawn_cold/slow/10", None, 1, 1).unwrap() / 1e6).collect();
    assert_eq!(p.started, 4, "as many processes as planned");
    // Process 2 started while process 1 slept its 300 ms, and so on in pairs.
    assert!(started[1] - started[0] < SLOW_MS as f64 * 0.8, "{started:?}");
    assert!(started[3] - started[2] < SLOW_MS as f64 * 0.8, "{started:?}");
    // Past the plan, one at a time again.
    let alone: Vec<f64> = (0..2).map(|_| p.measure("spawn_cold/slow/10", None, 1, 1).unwrap() / 1e6).collect();
    assert!(alone[1] - alone[0] >= SLOW_MS as f64, "{alone:?}");
    assert_eq!(p.started, 6);
}

/// Fails on: a child's own reason lost on the way to the parent (e.g. only "it exited without an answer").
#[test]
fn a_failing_cell_is_an_error_with_the_childs_reason() {
    let mut p = processes(Temperature::Warm);
    let err = p.measure("spawn/no-such-model/10", None, 1, 1).unwrap_err();
    assert_eq!(format!("{err:#}"), "no row \"no-such-model\" in spawn");
}
