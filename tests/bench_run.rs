//! A bench run end to end, over fake models: this binary acts as the `spawn` bench (`bench_main_over`).
//! - A failed cell never stops its group (issue 20): one model fails in the middle of its first cell's
//!   sampling; the cells after it must still run and be recorded, the failure must be recorded with its
//!   reason, and the binary must exit non-zero with one summary line, without a panic.
//! - Criterion's "Unable to complete N samples" warning, which the suite's plan makes on purpose for long
//!   iterations, does not reach the output.
//!
//! `harness = false` (Cargo.toml): a bench binary re-executes itself for each cell without arguments, which
//! a libtest binary would answer by running every test.

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use criterion::Criterion;
use taskbench::catalogue;
use taskbench::harness::criterion_setup::criterion_config;
use taskbench::harness::experiments::spawn_ns;
use taskbench::harness::runner::bench_main_over;
use taskbench::harness::settings::ModelSet;
use taskbench::harness::GroupSpec;
use taskbench::limits::Needs;
use taskbench::models::{Observer, ParkedRun, SpawnSite, TaskModel};
use taskbench::provenance::{Build, ProbeBuild};
use taskbench::record::read_cells;

/// Set: this process is the fake `spawn` bench.
const ACT_AS_BENCH: &str = "TASKBENCH_TEST_ACT_AS_BENCH";

/// Iterations this process has run: a cell's process fails once it has run a few.
static ITERATIONS: AtomicUsize = AtomicUsize::new(0);

struct Fake {
    name: &'static str,
    /// Measured by a (fake) child probe: its records name the probe's build.
    probe: bool,
    available: bool,
    /// The N at which this model's process fails its 4th iteration (after its 2 warm-up iterations and a
    /// first measured one, so the failure comes mid-sampling, not at the start).
    fails_at: Option<usize>,
}

static A: Fake = Fake { name: "a", probe: false, available: true, fails_at: None };
static FAILS: Fake = Fake { name: "fails", probe: false, available: true, fails_at: Some(100) };
static B: Fake = Fake { name: "b", probe: true, available: true, fails_at: None };
static MISSING: Fake = Fake { name: "missing", probe: false, available: false, fails_at: None };
/// Iterations long enough that Criterion plans one per sample (and would warn).
static SLOW: Fake = Fake { name: "slow", probe: false, available: true, fails_at: None };

fn fake_probe() -> ProbeBuild {
    ProbeBuild { hash: "0123456789abcdef".into(), toolchain: "fake toolchain".into() }
}

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
    fn available(&self) -> Result<(), String> {
        if self.available {
            Ok(())
        } else {
            Err("not on this machine".into())
        }
    }
    fn probe_build(&self) -> Option<ProbeBuild> {
        self.probe.then(fake_probe)
    }
    fn run_parked(&self, n: usize, _: &mut dyn Observer) -> Result<ParkedRun> {
        let iteration = ITERATIONS.fetch_add(1, Ordering::SeqCst) + 1;
        if self.fails_at == Some(n) && iteration >= 4 {
            bail!("fake failure in iteration {iteration} at N = {n}");
        }
        if self.name == "b" && n == 200 {
            taskbench::harness::cell::note("b/200: a note from the reading");
        }
        // A time that is never zero and not always the same (Criterion needs both).
        let started = Instant::now();
        std::thread::sleep(if self.name == "slow" { Duration::from_millis(40) } else { Duration::from_micros(20) });
        Ok(ParkedRun { spawn_time: started.elapsed(), parked: n })
    }
    fn run_spawn_join(&self, _: usize) -> Result<Duration> {
        Ok(Duration::from_nanos(1))
    }
    fn run_holding(&self, n: usize, _: usize, observer: &mut dyn Observer) -> Result<ParkedRun> {
        self.run_parked(n, observer)
    }
}

fn main() {
    if std::env::var_os(ACT_AS_BENCH).is_some() {
        let set = ModelSet::of(&[&A, &FAILS, &B, &MISSING, &SLOW]);
        let spec = GroupSpec::of(&catalogue::SPAWN);
        bench_main_over(&set, &spec, &[], spawn_ns, || criterion_config(Criterion::default()));
        return;
    }
    if std::env::args().any(|a| a == "--list") {
        println!("failed_cell: test");
        return;
    }
    let tests: [(&str, fn()); 3] = [
        ("a_failed_cell_is_recorded_and_the_group_goes_on", a_failed_cell_is_recorded_and_the_group_goes_on),
        ("criterions_warning_on_one_iteration_per_sample_is_not_shown", criterions_warning_is_not_shown),
        ("a_bad_setting_ends_the_bench_with_its_line", a_bad_setting_ends_the_bench_with_its_line),
    ];
    for (name, test) in tests {
        println!("test {name} ...");
        test();
        println!("test {name} ... ok");
    }
}

/// Runs this binary as the `spawn` bench with `args` and `env`, into `home`'s Criterion folder.
fn bench(home: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    Command::new(std::env::current_exe().unwrap())
        .args(args)
        .env(ACT_AS_BENCH, "1")
        .env("CRITERION_HOME", home.join("criterion"))
        .env_remove("TASKBENCH_MODELS")
        .env_remove("TASKBENCH_CELL_BUDGET_S")
        .env_remove("RUST_BACKTRACE")
        .envs(env.iter().copied())
        .output()
        .expect("running this binary as a bench")
}

/// Fails on: the warning shown (the filter not in place, or not matching Criterion's text); the filter
/// swallowing the lines around it (the row's configuration line, Criterion's result).
fn criterions_warning_is_not_shown() {
    let home = tempfile::tempdir().unwrap();
    // Not --quick: quick mode plans no samples, so Criterion never warns there.
    let out = bench(
        home.path(),
        &["--bench", "--noplot", "--nresamples", "1000"],
        &[("TASKBENCH_N", "100"), ("TASKBENCH_MODELS", "slow")],
    );
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("Unable to complete"), "{stderr}");
    assert!(stderr.contains("taskbench: spawn slow: fake;"), "{stderr}");
    assert!(stdout.contains("spawn/slow/100") && stdout.contains("time:"), "{stdout}");
}

/// Fails on: a panic or a backtrace for the failed cell; the cells after it not run or not recorded; the
/// failure not recorded, or recorded without its reason or build; a zero exit status; the failing cell's
/// processes asked again after it failed (a second FAILED line); no summary line, or another one; a
/// skipped cell without the build, a probe's row without the probe's build; a reading's note lost on its way
/// from the cell's process to the record, or put on another cell.
fn a_failed_cell_is_recorded_and_the_group_goes_on() {
    let home = tempfile::tempdir().unwrap();
    let out = bench(
        home.path(),
        &["--bench", "--quick", "--noplot", "--nresamples", "1000"],
        &[("TASKBENCH_N", "100,200"), ("TASKBENCH_MODELS", "a,fails,b,missing")],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked") && !stderr.contains("backtrace"), "{stderr}");
    let reason = "fake failure in iteration 4 at N = 100";
    let failed_lines: Vec<&str> = stderr.lines().filter(|l| l.contains("spawn/fails/100 FAILED")).collect();
    assert_eq!(
        failed_lines,
        [format!("taskbench: spawn/fails/100 FAILED: {reason}; the group goes on with its next cell")],
        "{stderr}"
    );
    let last = stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or_default();
    assert_eq!(last, format!("taskbench: 1 cell(s) FAILED: spawn/fails/100 ({reason})"), "{stderr}");

    let cells = read_cells(&home.path().join("taskbench")).unwrap();
    let ids: Vec<&str> = cells.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "spawn/a/100",
            "spawn/a/200",
            "spawn/b/100",
            "spawn/b/200",
            "spawn/fails/100",
            "spawn/fails/200",
            "spawn/missing/100",
            "spawn/missing/200"
        ],
        "{stderr}"
    );
    for cell in &cells {
        let skipped = (cell.model == "missing").then(|| "not on this machine".to_string());
        assert_eq!(cell.skipped, skipped, "{}", cell.id);
        let failed = (cell.id == "spawn/fails/100").then(|| reason.to_string());
        assert_eq!(cell.failed, failed, "{}", cell.id);
        // Measured, failed and skipped cells alike name the build; the probe's rows name the probe's too.
        let probe = (cell.model == "b").then(fake_probe);
        assert_eq!(cell.build, Some(Build { probe, ..Build::this_binary() }), "{}", cell.id);
        // A reading's note reaches its own cell's record, and no other.
        let noted = cell.notes.iter().all(|n| n == "b/200: a note from the reading") && !cell.notes.is_empty();
        assert_eq!(noted, cell.id == "spawn/b/200", "{}: {:?}", cell.id, cell.notes);
    }
}

/// Fails on: a setting that cannot be read ending the bench without its line (an exit while stderr goes
/// through the warning filter loses what the filter has not forwarded yet), or with another status than 2.
fn a_bad_setting_ends_the_bench_with_its_line() {
    let home = tempfile::tempdir().unwrap();
    let out = bench(home.path(), &["--bench"], &[("TASKBENCH_N", "100"), ("TASKBENCH_CELL_BUDGET_S", "soon")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.lines().any(|l| l.starts_with("taskbench: TASKBENCH_CELL_BUDGET_S=\"soon\" is not a number of seconds")),
        "{stderr}"
    );
}
