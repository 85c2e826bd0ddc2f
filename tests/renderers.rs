//! Each renderer on a small hand-built run, with its expected output typed here (not produced by the code
//! under test), and the catalogue against the bench binaries.

use std::path::{Path, PathBuf};

use serde_json::json;
use taskbench::catalogue::{Group, Measures, GROUPS};
use taskbench::results::format::{figure, human, number, power_of_ten, ratio, thousands};
use taskbench::results::noise::DiffRule;
use taskbench::results::page::Format;
use taskbench::results::run::Run;
use taskbench::results::table;
use taskbench::results::text::render;
use taskbench::results::{export, findings, readme};

fn interval(p: f64) -> serde_json::Value {
    json!({"point": p, "lower": p * 0.99, "upper": p * 1.01, "confidence_level": 0.95, "standard_error": 0.0})
}

fn bench(group: &str, unit: &str, model: &str, n: usize, per_task: f64, samples: &[f64]) -> serde_json::Value {
    let per_n = if unit == "ns" { n as f64 } else { 1.0 };
    json!({"id": format!("{group}/{model}/{n}"), "group": group, "model": model, "n": n, "unit": unit,
        "mean": interval(per_task * per_n), "median": interval(per_task * per_n), "std_dev": 0.0,
        "per_task_unit": if unit == "ns" { "ns/task" } else { "bytes/task" },
        "per_task": interval(per_task), "mean_per_task": interval(per_task), "samples": samples,
        "sample_count": samples.len(), "iterations": samples.len() as f64, "sampling_mode": "Flat", "raw": null})
}

/// Two models, spawn and RSS at N = 10^4, one skipped cell, no build recorded.
fn tiny_run() -> Run {
    let machine = json!({"schema": 1, "slug": "m", "cpu_model": "Test CPU", "physical_cores": 2, "logical_cores": 2,
        "available_parallelism": 2, "memory_total_bytes": 8u64 << 30, "cgroup_memory_limit_bytes": null, "os": null,
        "kernel": "6.1", "arch": "x86_64", "transparent_hugepage": "never", "vm_max_map_count": 65530,
        "kernel_pid_max": 32768, "kernel_threads_max": 1000, "ulimit_nproc": "1000", "rustc": "rustc 1.95.0",
        "build_profile": "bench", "crates": {}, "go": null, "git_commit": "abcdef0123456789", "git_dirty": true,
        "date": "2026-01-02T03:04:05Z"});
    let models = json!([{"name": "tokio-mt", "config": "2 workers", "caveat": null},
                        {"name": "floor", "config": "1 worker", "caveat": null}]);
    let group = |name: &str, unit: &str, skipped: serde_json::Value| {
        json!({"group": name, "unit": unit,
        "value_is": format!("what {name} is"), "n_values": [10000, 100000], "recorded_at": "2026-01-02T03:00:00Z",
        "models": models, "skipped": skipped})
    };
    let flat = [250.0; 10];
    let summary = json!({"schema": 2, "taskbench_version": "0.1.0", "machine": "m", "run": "tiny",
        "criterion_home": "/nowhere",
        "groups": [group("spawn", "ns", json!([{"id": "spawn/floor/100000", "model": "floor", "n": 100000,
                       "reason": "too many"}])), group("rss_per_task", "bytes/task", json!([]))],
        "benchmarks": [bench("spawn", "ns", "tokio-mt", 10000, 250.0, &flat),
                       bench("spawn", "ns", "floor", 10000, 1250.0, &[1250.0; 10]),
                       bench("rss_per_task", "bytes/task", "tokio-mt", 10000, 300.0, &[300.0; 10]),
                       bench("rss_per_task", "bytes/task", "floor", 10000, 90.0, &[90.0; 10])]});
    Run {
        path: PathBuf::from("runs/m/tiny"),
        machine: serde_json::from_value(machine).unwrap(),
        summary: serde_json::from_value(summary).unwrap(),
    }
}

/// Fails on: a unit scaled at the wrong step, thousands separators in the wrong place, a ratio near 1
/// rounded to `1.00×`.
#[test]
fn numbers_are_formatted_in_one_way() {
    assert_eq!(human(253.4, Measures::Time), "253 ns");
    assert_eq!(human(1250.0, Measures::Time), "1.25 µs");
    assert_eq!(human(2.5e9, Measures::Time), "2.50 s");
    assert_eq!(human(256.0, Measures::Bytes), "256 B");
    assert_eq!(human(20787.0, Measures::Bytes), "20.3 KiB");
    assert_eq!(thousands(1234567.4), "1,234,567");
    assert_eq!(thousands(-1500.0), "-1,500");
    assert_eq!(number(42.25, Measures::Time), "42.2");
    assert_eq!(number(42.25, Measures::Bytes), "42");
    assert_eq!(figure(8773.0), "8,773");
    assert_eq!(ratio(1.003), "1.003×");
    assert_eq!(ratio(1.5), "1.50×");
    assert_eq!(power_of_ten(1_000_000), "10^6");
    assert_eq!(power_of_ten(25_000), "25,000");
}

/// Fails on: a column or row order change, a value in the wrong unit, the skip or build line lost, the
/// terminal and Markdown walks drifting apart.
#[test]
fn compare_renders_one_run_as_text_and_markdown() {
    let c = table::read(&[tiny_run()], &DiffRule::default()).unwrap();
    let text = render(&c, Format::Terminal);
    let expected_start = "Runs

- A: m/tiny (runs/m/tiny), saved 2026-01-02T03:04:05Z. Machine: Test CPU, 2 cores (2 logical), 8.0 GiB, Linux 6.1, \
THP never, rustc 1.95.0. Build: the save-time checkout, commit abcdef012345 with uncommitted changes (this run's cells \
do not name the build that measured them).

Models

- tokio-mt: 2 workers
- floor: 1 worker

spawn (ns/task, lower is better)

what spawn is

   model         N    A (ns/task)
   tokio-mt  10000   250 ns ±1.0%
   floor     10000  1.25 µs ±1.0%

- skipped: spawn/floor/100000: too many

rss_per_task (B/task, lower is better)

what rss_per_task is

   model         N    A (B/task)
   tokio-mt  10000   300 B ±1.0%
   floor     10000  90.0 B ±1.0%

";
    assert!(text.starts_with(expected_start), "{text}");
    let md = render(&c, Format::Markdown);
    assert!(
        md.starts_with("**Runs**\n\n- **A**: `m/tiny` (runs/m/tiny), saved 2026-01-02T03:04:05Z. Machine: Test CPU"),
        "{md}"
    );
    assert!(
        md.contains(
            "\n**spawn** (ns/task, lower is better)\n\nwhat spawn is\n\n| model | N | A (ns/task) |\n|---|---:|---:|\n\
                         | tokio-mt | 10000 | 250 ns ±1.0% |\n| floor | 10000 | 1.25 µs ±1.0% |\n\n\
                         - skipped: `spawn/floor/100000`: too many\n"
        ),
        "{md}"
    );
}

/// Fails on: a README column renamed or reordered (memory first), numbers in the wrong format, the build
/// line claiming more than the save-time checkout.
#[test]
fn readme_table_of_a_tiny_run() {
    let section = readme::section(&tiny_run(), Path::new("."));
    assert!(
        section.contains("Build: the save-time checkout, commit abcdef012345 with uncommitted changes"),
        "{section}"
    );
    assert!(section.contains("| model | N | RSS B/task | spawn ns/task |\n|---|---:|---:|---:|\n\
                              | tokio-mt | 10,000 | 300 | 250 |\n| floor | 10,000 | 90 | 1,250 |\n| floor | 100,000 | — | skipped |\n"),
        "{section}");
    assert!(section.contains("- floor, N = 100,000 (spawn): too many"), "{section}");
}

/// Fails on: memory groups exported as nanoseconds, or the value not per iteration of N tasks.
#[test]
fn bencher_export_of_a_tiny_run() {
    let (out, left_out) = export::export(&tiny_run(), export::ExportFormat::Bencher, None).unwrap();
    assert_eq!(left_out, ["rss_per_task (bytes/task)"]);
    assert!(out.contains("test spawn/tokio-mt/10000 ... bench:"), "{out}");
    assert!(out.contains("2,500,000 ns/iter"), "{out}");
    assert!(!out.contains("rss_per_task"), "{out}");
}

/// Fails on: a bench binary (a `[[bench]]` in Cargo.toml, or a group declared in `benches/*.rs`) whose group
/// the catalogue lacks. Adding a group is its bench file, its `[[bench]]` line and a catalogue entry.
#[test]
fn every_bench_group_is_in_the_catalogue() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cargo = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let mut declared = Vec::new();
    for block in cargo.split("[[bench]]").skip(1) {
        let name = block.lines().find_map(|l| l.trim().strip_prefix("name = ")).expect("a [[bench]] has a name");
        declared.push(name.trim_matches('"').to_string());
    }
    assert!(!declared.is_empty());
    for entry in std::fs::read_dir(root.join("benches")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        for line in text.lines().map(str::trim) {
            if let Some(rest) = line.strip_prefix("name: \"") {
                declared.push(rest.split('"').next().unwrap().to_string());
            } else if let Some(rest) = line.split("catalogue::").nth(1) {
                let konst: String = rest.chars().take_while(|c| c.is_ascii_uppercase() || *c == '_').collect();
                if !konst.is_empty() && konst != "GROUPS" {
                    let known = GROUPS.iter().any(|g| g.name.to_uppercase() == konst || const_name(g) == konst);
                    assert!(known, "{}: catalogue::{konst} is no catalogue group", path.display());
                }
            }
        }
    }
    for name in declared {
        assert!(Group::find(&name).is_some(), "bench group {name:?} is not in catalogue::GROUPS");
    }
}

/// The catalogue's constant for a group (`HEAP` for `heap_per_task`, `STATE_RSS` for `state_rss`).
fn const_name(g: &Group) -> String {
    let name = g.name.to_uppercase();
    name.strip_suffix("_PER_TASK").unwrap_or(&name).to_string()
}

/// A run of the switch groups alone: two models, a hand-off at N = 2 and 10^3 and a yield at N = 2.
fn switch_run() -> Run {
    let mut run = tiny_run();
    let models = json!([{"name": "tokio-ct", "config": "1 thread", "caveat": null},
                        {"name": "thread", "config": "std", "caveat": null}]);
    let group = |name: &str| {
        json!({"group": name, "unit": "ns", "value_is": "", "n_values": [2, 1000], "recorded_at": "2026-01-02T03:00:00Z",
               "models": models, "skipped": []})
    };
    let summary = json!({"schema": 2, "taskbench_version": "0.1.0", "machine": "m", "run": "switch",
        "criterion_home": "/nowhere", "groups": [group("handoff"), group("yield")],
        "benchmarks": [bench("handoff", "ns", "tokio-ct", 2, 110.0, &[220.0; 10]),
                       bench("handoff", "ns", "thread", 2, 12000.0, &[24000.0; 10]),
                       bench("handoff", "ns", "tokio-ct", 1000, 140.0, &[140000.0; 10]),
                       bench("handoff", "ns", "thread", 1000, 15000.0, &[15000000.0; 10]),
                       bench("yield", "ns", "tokio-ct", 2, 90.0, &[180.0; 10]),
                       bench("yield", "ns", "thread", 2, 400.0, &[800.0; 10])]});
    run.summary = serde_json::from_value(summary).unwrap();
    run
}

/// Fails on: the switch groups mixed into the main table (their N are not the spawn groups'), a column per N
/// lost, a cell put under another N, or the finding's figures taken from the wrong N or model.
#[test]
fn switch_groups_get_a_table_and_a_finding_of_their_own() {
    let run = switch_run();
    let section = readme::section(&run, Path::new("."));
    assert!(
        section.contains(
            "| model | hand-off ns N=2 | hand-off ns N=10^3 | yield ns N=2 |\n|---|---:|---:|---:|\n\
             | tokio-ct | 110 | 140 | 90.0 |\n| thread | 12,000 | 15,000 | 400 |\n"
        ),
        "{section}"
    );
    assert!(!section.contains("| model | N |"), "{section}");
    let bullets = findings::bullets(&table::of_run(&run));
    let switch = bullets.iter().find(|b| b.contains("`handoff`")).expect("a switch finding");
    assert!(
        switch.contains(
            "at N = 2, from 110 ns (tokio-ct) to 12,000 ns (thread): 110 ns for the stackless rows and 12,000 ns \
             for thread; in a ring of 10^3, each wake reaching a task gone cold in cache, from 140 ns (tokio-ct) to \
             15,000 ns (thread). A yield to the scheduler (`yield`, N = 2) takes from 90.0 ns (tokio-ct) to 400 ns \
             (thread)."
        ),
        "{switch}"
    );
}
