//! A memory group of fake models, run in process through the suite's real Criterion path
//! (`harness::run_group_with`) into a temporary Criterion home, with the values the test chooses.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::Result;
use criterion::Criterion;
use taskbench::catalogue;
use taskbench::harness::criterion_setup::Runners;
use taskbench::harness::runner::Matrix;
use taskbench::harness::settings::Filter;
use taskbench::harness::{run_group_with, GroupSpec};
use taskbench::limits::Needs;
use taskbench::measure::BytesPerTask;
use taskbench::models::{MemorySource, Observer, ParkedRun, SpawnSite, TaskModel};
use taskbench::record::CellLog;

pub struct Fake {
    pub name: &'static str,
    pub available: bool,
}

impl TaskModel for Fake {
    fn name(&self) -> &'static str {
        self.name
    }
    fn config(&self) -> String {
        format!("fake {}", self.name)
    }
    fn spawn_site(&self) -> SpawnSite {
        SpawnSite::Outside
    }
    fn needs(&self) -> Needs {
        Needs::STACKLESS
    }
    fn available(&self) -> Result<(), String> {
        if self.available {
            Ok(())
        } else {
            Err("not on this machine".into())
        }
    }
    fn run_parked(&self, n: usize, _: &mut dyn Observer) -> Result<ParkedRun> {
        Ok(ParkedRun { spawn_time: Duration::from_nanos(1), parked: n })
    }
    fn run_spawn_join(&self, _: usize) -> Result<Duration> {
        Ok(Duration::from_nanos(1))
    }
    fn run_holding(&self, n: usize, _: usize, observer: &mut dyn Observer) -> Result<ParkedRun> {
        self.run_parked(n, observer)
    }
}

pub static A: Fake = Fake { name: "a", available: true };
pub static B: Fake = Fake { name: "b", available: true };
pub static MISSING: Fake = Fake { name: "missing", available: false };
pub static FAKE: Fake = Fake { name: "fake", available: true };

pub const SPEC: GroupSpec = GroupSpec::of(&catalogue::HEAP);

/// A temporary `target/`: Criterion's home and the records beside it.
pub struct Target {
    _tmp: tempfile::TempDir,
    pub criterion: PathBuf,
    pub records: PathBuf,
}

pub fn target() -> Target {
    let tmp = tempfile::tempdir().unwrap();
    let criterion = tmp.path().join("criterion");
    let records = tmp.path().join("taskbench");
    Target { _tmp: tmp, criterion, records }
}

/// A short Criterion run into `home` (the suite's settings per cell still apply: 10 samples, flat).
pub fn quick(home: &Path) -> Criterion<BytesPerTask> {
    Criterion::default()
        .with_measurement(BytesPerTask)
        .output_directory(home)
        .warm_up_time(Duration::from_millis(10))
        .nresamples(10_000)
}

/// Runs the group (`models` x `n_values`) as a bench process would, with `value(id)` bytes per task in every
/// sample of cell `id`, and `runner` turning a fresh Criterion into the configured one (baselines, modes).
pub fn run(
    t: &Target,
    models: &[&'static dyn TaskModel],
    n_values: &[usize],
    filter: &[&str],
    runner: impl Fn(Criterion<BytesPerTask>) -> Criterion<BytesPerTask>,
    value: impl Fn(&str) -> f64,
) -> CellLog {
    let mut c = Runners {
        plots: runner(quick(&t.criterion)),
        no_plots: Some(runner(quick(&t.criterion)).without_plots()),
        criterion_home: t.criterion.clone(),
    };
    // A run id has millisecond resolution; two runs of a test must not share one.
    std::thread::sleep(Duration::from_millis(5));
    let mut log = CellLog::new(t.criterion.clone(), t.records.clone(), SystemTime::now());
    let args = std::iter::once("bench".to_string()).chain(filter.iter().map(|f| f.to_string()));
    let sample = |id: &str, _: Option<usize>, iters: u64| {
        // A sample that takes no time makes Criterion plan an iteration count that overflows (a panic in a
        // debug build, which `cargo test` is).
        std::thread::sleep(Duration::from_micros(200));
        Ok(value(id) * iters as f64)
    };
    let matrix = Matrix {
        n_values: n_values.to_vec(),
        models: models.to_vec(),
        extra: Vec::new(),
        filter: Filter::from_args(args),
    };
    run_group_with(&mut c, &SPEC, &matrix, &mut log, sample);
    log
}

/// Records the order of the observer calls (a parked run must make exactly: before_spawn, then all_parked).
#[derive(Default)]
pub struct Calls(pub Vec<&'static str>);

impl Observer for Calls {
    fn before_spawn(&mut self, _: &dyn MemorySource) -> Result<()> {
        self.0.push("before_spawn");
        Ok(())
    }
    fn all_parked(&mut self, _: &dyn MemorySource) -> Result<()> {
        self.0.push("all_parked");
        Ok(())
    }
}

/// Runs the ignored test `test` of this test binary alone in a child process with `env` set; its output.
pub fn rerun_ignored(test: &str, env: &[(&str, &str)]) -> std::process::Output {
    std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--ignored", "--nocapture", "--test-threads=1"])
        .envs(env.iter().copied())
        .output()
        .expect("re-running the test binary")
}
