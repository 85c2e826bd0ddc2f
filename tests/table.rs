//! The one table's queries on two small hand-built runs, each expected value typed here: rows in the runs'
//! model order, cells by run, RSS + kernel totals per run, skips per run and merged across runs.

use std::path::PathBuf;

use serde_json::{json, Value};
use taskbench::results::noise::DiffRule;
use taskbench::results::run::Run;
use taskbench::results::table::{self, Total};

fn interval(p: f64) -> Value {
    json!({"point": p, "lower": p * 0.99, "upper": p * 1.01, "confidence_level": 0.95, "standard_error": 0.0})
}

fn bench(group: &str, model: &str, n: usize, v: f64) -> Value {
    json!({"id": format!("{group}/{model}/{n}"), "group": group, "model": model, "n": n, "unit": "bytes/task",
        "mean": interval(v), "median": interval(v), "std_dev": 0.0, "per_task_unit": "bytes/task",
        "per_task": interval(v), "mean_per_task": interval(v), "samples": vec![v; 10], "sample_count": 10,
        "iterations": 10.0, "sampling_mode": "Flat", "raw": null})
}

fn skip(group: &str, model: &str, n: usize, reason: &str) -> Value {
    json!({"id": format!("{group}/{model}/{n}"), "model": model, "n": n, "reason": reason})
}

/// A run of `rss_per_task` and `kernel_per_task`; the models' order is tokio-mt, then floor (not by name).
fn run(name: &str, benchmarks: Vec<Value>, rss_skips: Vec<Value>) -> Run {
    let machine = json!({"schema": 1, "slug": "m", "cpu_model": "Test CPU", "physical_cores": 2, "logical_cores": 2,
        "available_parallelism": 2, "memory_total_bytes": 8u64 << 30, "cgroup_memory_limit_bytes": null, "os": null,
        "kernel": "6.1", "arch": "x86_64", "transparent_hugepage": "never", "vm_max_map_count": 65530,
        "kernel_pid_max": 32768, "kernel_threads_max": 1000, "ulimit_nproc": "1000", "rustc": "rustc 1.95.0",
        "build_profile": "bench", "crates": {}, "go": null, "git_commit": "abc", "git_dirty": false,
        "date": "2026-01-02T03:04:05Z"});
    let models = json!([{"name": "tokio-mt", "config": "2 workers", "caveat": null},
                        {"name": "floor", "config": "none", "caveat": "a control"}]);
    let group = |g: &str, skipped: Vec<Value>| {
        json!({"group": g, "unit": "bytes/task", "value_is": "bytes", "n_values": [100, 10000],
            "recorded_at": "2026-01-02T03:00:00Z", "models": models, "skipped": skipped})
    };
    let summary = json!({"schema": 3, "taskbench_version": "0.1.0", "machine": "m", "run": name,
        "criterion_home": "/nowhere", "groups": [group("rss_per_task", rss_skips), group("kernel_per_task", vec![])],
        "benchmarks": benchmarks});
    Run {
        path: PathBuf::from(format!("runs/m/{name}")),
        machine: serde_json::from_value(machine).unwrap(),
        summary: serde_json::from_value(summary).unwrap(),
    }
}

fn two_runs() -> Vec<Run> {
    let a = run(
        "a",
        vec![
            bench("rss_per_task", "tokio-mt", 10000, 300.0),
            bench("rss_per_task", "floor", 10000, 90.0),
            bench("kernel_per_task", "tokio-mt", 10000, 1000.0),
            bench("kernel_per_task", "floor", 10000, 500.0),
        ],
        vec![skip("rss_per_task", "floor", 100, "too small")],
    );
    let b = run(
        "b",
        vec![
            bench("rss_per_task", "tokio-mt", 10000, 330.0),
            bench("rss_per_task", "floor", 10000, 99.0),
            bench("kernel_per_task", "tokio-mt", 10000, 1000.0),
        ],
        vec![skip("rss_per_task", "floor", 100, "too small"), skip("rss_per_task", "tokio-mt", 100, "no room")],
    );
    vec![a, b]
}

/// Fails on: rows sorted by model name instead of the runs' model order; a cell read from the wrong run; a
/// ratio taken the wrong way round.
#[test]
fn rows_follow_the_model_order_and_cells_their_run() {
    let t = table::read(&two_runs(), &DiffRule::default()).unwrap();
    let names: Vec<&str> = t.groups.iter().map(|g| g.group.name).collect();
    assert_eq!(names, ["rss_per_task", "kernel_per_task"]);
    let rss = t.group("rss_per_task").unwrap();
    let rows: Vec<(&str, usize)> = rss.rows.iter().map(|r| (r.model.as_str(), r.x)).collect();
    assert_eq!(rows, [("tokio-mt", 10000), ("floor", 10000)]);
    assert_eq!(rss.models(), ["tokio-mt", "floor"]);
    assert_eq!(t.rank("floor"), 1);
    assert_eq!(rss.cell("floor", 10000, 1).unwrap().value(), 99.0);
    let ratio = rss.cell("floor", 10000, 1).unwrap().ratio.unwrap();
    assert!((ratio - 1.1).abs() < 1e-12, "{ratio}");
    assert!(rss.cell("floor", 10000, 0).unwrap().ratio.is_none(), "run A is the reference");
    assert!(t.group("kernel_per_task").unwrap().cell("floor", 10000, 1).is_none());
    assert_eq!(t.caveats["floor"], "a control");
}

/// Fails on: a total whose kernel figure comes from another run (run B would get a floor total), or that
/// adds RSS twice.
#[test]
fn totals_are_per_run_and_need_both_figures() {
    let t = table::read(&two_runs(), &DiffRule::default()).unwrap();
    let total = |model: &str, rss: f64, kernel: f64| Total { model: model.into(), n: 10000, rss, kernel };
    assert_eq!(t.totals(0), [total("tokio-mt", 300.0, 1000.0), total("floor", 90.0, 500.0)]);
    assert_eq!(t.totals(1), [total("tokio-mt", 330.0, 1000.0)]);
    assert_eq!(t.totals(0)[1].bytes(), 590.0);
}

/// Fails on: one run's skips shown as another's; the same skip in both runs listed twice instead of once
/// with both runs.
#[test]
fn skips_are_merged_across_runs_and_read_per_run() {
    let t = table::read(&two_runs(), &DiffRule::default()).unwrap();
    let rss = t.group("rss_per_task").unwrap();
    let merged: Vec<(&[usize], &str)> = rss.skipped.iter().map(|(who, s)| (who.as_slice(), s.id.as_str())).collect();
    assert_eq!(merged, [(&[0, 1][..], "rss_per_task/floor/100"), (&[1][..], "rss_per_task/tokio-mt/100")]);
    let in_a: Vec<&str> = rss.skipped_in(0).map(|s| s.model.as_str()).collect();
    assert_eq!(in_a, ["floor"]);
    let in_b: Vec<&str> = rss.skipped_in(1).map(|s| s.reason.as_str()).collect();
    assert_eq!(in_b, ["too small", "no room"]);
    assert_eq!(t.in_runs(&[0, 1]), " in every run");
    assert_eq!(t.in_runs(&[1]), " in B");
}
