//! The memory groups of one `cargo bench` share their processes (issue 19): this binary acts as the
//! `heap_per_task` bench and then as the `rss_per_task` bench, both started by one process named `cargo`,
//! over a fake model whose heap figure is the pid of the process that read it. The RSS group must start no
//! process of its own (its fake model fails if it does), and its i-th reading must be the RSS of the process
//! that gave the heap group its i-th reading.
//!
//! `harness = false` (Cargo.toml): a bench binary re-executes itself for each cell without arguments, which
//! a libtest binary would answer by running every test.

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Result};
use taskbench::catalogue;
use taskbench::harness::criterion_setup::memory_config;
use taskbench::harness::experiments::memory_shared;
use taskbench::harness::runner::bench_main_over;
use taskbench::harness::settings::ModelSet;
use taskbench::harness::GroupSpec;
use taskbench::limits::Needs;
use taskbench::measure::MemoryKind;
use taskbench::models::{MemorySource, Observer, ParkedRun, SpawnSite, TaskModel};
use taskbench::record::read_cells;

/// `heap` or `rss`: the bench this process acts as.
const ACT_AS: &str = "TASKBENCH_TEST_SHARED_GROUP";

struct Fake;

/// The fake's own heap figure: nothing before the spawns, `n` times this process's pid with the tasks parked.
struct PidHeap(u64);

impl MemorySource for PidHeap {
    fn heap_bytes(&self) -> Option<u64> {
        Some(self.0)
    }
}

impl TaskModel for Fake {
    fn name(&self) -> &'static str {
        "fake"
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
    fn run_parked(&self, n: usize, observer: &mut dyn Observer) -> Result<ParkedRun> {
        if std::env::var(ACT_AS).as_deref() == Ok("rss") {
            bail!("the rss group started a process of its own");
        }
        observer.before_spawn(&PidHeap(0))?;
        // Resident pages for the RSS reading: 4 KiB per task, touched.
        let held = vec![1u8; n * 4096];
        observer.all_parked(&PidHeap(n as u64 * u64::from(std::process::id())))?;
        std::hint::black_box(&held);
        Ok(ParkedRun { spawn_time: std::time::Duration::from_micros(1), parked: n })
    }
    fn run_spawn_join(&self, _: usize) -> Result<std::time::Duration> {
        bail!("not a timing test")
    }
    fn run_holding(&self, n: usize, _: usize, observer: &mut dyn Observer) -> Result<ParkedRun> {
        self.run_parked(n, observer)
    }
}

static FAKE: Fake = Fake;

fn main() {
    match std::env::var(ACT_AS).as_deref() {
        Ok("heap") => {
            let spec = GroupSpec { shares: Some(MemoryKind::Heap), ..GroupSpec::of(&catalogue::HEAP) };
            let heap = |m, n| memory_shared(m, n, MemoryKind::Heap);
            return bench_main_over(&ModelSet::of(&[&FAKE]), &spec, &[], heap, memory_config);
        }
        Ok("rss") => {
            let spec = GroupSpec { shares: Some(MemoryKind::Rss), ..GroupSpec::of(&catalogue::RSS) };
            let rss = |m, n| memory_shared(m, n, MemoryKind::Rss);
            return bench_main_over(&ModelSet::of(&[&FAKE]), &spec, &[], rss, memory_config);
        }
        _ => {}
    }
    if std::env::args().any(|a| a == "--list") {
        println!("shared_readings: test");
        return;
    }
    println!("test the_rss_group_reads_the_heap_groups_processes ...");
    the_rss_group_reads_the_heap_groups_processes();
    println!("test the_rss_group_reads_the_heap_groups_processes ... ok");
}

/// Each sample's per-iteration value in Criterion's `sample.json` of a cell.
fn samples(home: &Path, group: &str, n: usize) -> Vec<f64> {
    let file = home.join("criterion").join(group).join(format!("fake/{n}/new/sample.json"));
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let column = |k: &str| json[k].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect::<Vec<_>>();
    column("times").iter().zip(column("iters")).map(|(t, i)| t / i).collect()
}

/// Fails on: readings not kept, or not found by the next group (a wrong key, an index not reset between
/// cells), so that the RSS group starts a process and its cell fails; readings handed out in another order,
/// or another kind's figure handed out; more than one process per sample in a memory group (the heap
/// figures, each a process's pid, would repeat or not match the store); an eleventh process for Criterion's
/// warm-up call, whose reading is the first sample's.
fn the_rss_group_reads_the_heap_groups_processes() {
    let home = tempfile::tempdir().unwrap();
    // A shell named `cargo` runs both benches, as `cargo bench` does.
    let cargo = home.path().join("cargo");
    std::os::unix::fs::symlink("/bin/sh", &cargo).unwrap();
    let exe = std::env::current_exe().unwrap();
    let args = "--bench --noplot --nresamples 1000";
    let script = format!("{ACT_AS}=heap \"$0\" {args} && {ACT_AS}=rss \"$0\" {args}");
    let out = Command::new(&cargo)
        .args(["-c", &script])
        .arg(&exe)
        .env("CRITERION_HOME", home.path().join("criterion"))
        .env("TASKBENCH_N", "1000,2000")
        .env_remove("TASKBENCH_MODELS")
        .env_remove("TASKBENCH_CELL_BUDGET_S")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let cells = read_cells(&home.path().join("taskbench")).unwrap();
    let ids: Vec<(&str, Option<&String>)> = cells.iter().map(|c| (c.id.as_str(), c.failed.as_ref())).collect();
    let expected =
        ["heap_per_task/fake/1000", "heap_per_task/fake/2000", "rss_per_task/fake/1000", "rss_per_task/fake/2000"];
    assert_eq!(ids, expected.map(|id| (id, None)), "{stderr}");

    let sessions: Vec<_> = std::fs::read_dir(home.path().join("taskbench/readings")).unwrap().flatten().collect();
    assert_eq!(sessions.len(), 1, "one store for one cargo process");
    for n in [1000, 2000] {
        let file = sessions[0].path().join(format!("fake/{n}.json"));
        let store: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        let kept = |kind: &str| store.as_array().unwrap().iter().map(|r| r["values"][kind].as_f64().unwrap()).collect();
        let (heap, rss): (Vec<f64>, Vec<f64>) = (kept("heap"), kept("rss"));
        // Ten samples of one process each, the first of them the reading of Criterion's warm-up call.
        assert_eq!(heap.len(), 10, "{store}");
        let mut pids = heap.clone();
        pids.dedup();
        assert_eq!(pids.len(), 10, "a fresh process for every reading: {heap:?}");
        assert_eq!(samples(home.path(), "heap_per_task", n), heap);
        assert_eq!(samples(home.path(), "rss_per_task", n), rss);
        assert!(rss.iter().all(|&r| r >= 4096.0), "each task's 4 KiB is resident: {rss:?}");
    }
}
