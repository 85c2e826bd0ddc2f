//! Saving, comparing and reporting runs, on fake Criterion output built in a temporary folder; the rule that
//! marks a difference real, on synthetic samples; schema 1 runs (the committed one, and a shared one from
//! another machine when present); and every kind of bad input, through the library and through the
//! `taskbench` binary (exit codes, nothing written).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;
use taskbench::record::{write_cell, CellRecord, GroupRecord, MachineReference, ModelRecord, RunInfo, Skipped};
use taskbench::results::machine::Machine;
use taskbench::results::noise::{self, Basis, DiffRule};
use taskbench::results::page::Format;
use taskbench::results::run::{self, SaveOptions};
use taskbench::results::stability::{self, Stability};
use taskbench::results::summary::{Bench, Interval};
use taskbench::results::table;
use taskbench::results::text;
use taskbench::results::{export, findings, readme, report};

const MODELS: &[&str] = &["thread", "tokio-mt", "tokio-ct", "async-std", "smol", "may", "floor", "goroutine"];
const NS: &[usize] = &[10_000, 100_000, 1_000_000];
const GROUPS: &[(&str, &str)] = &[
    ("spawn", "ns"),
    ("spawn_cold", "ns"),
    ("spawn_join", "ns"),
    ("spawn_join_cold", "ns"),
    ("heap_per_task", "bytes/task"),
    ("rss_per_task", "bytes/task"),
];
/// A README holding nothing but the generated sections' markers.
const MARKERS: &str = "<!-- findings:begin -->\n<!-- findings:end -->\n<!-- results:begin -->\n<!-- results:end -->\n";
const GROUP_NAMES: &[&str] = &["spawn", "spawn_cold", "spawn_join", "spawn_join_cold", "heap_per_task", "rss_per_task"];

/// A per-task value for a fake benchmark, different per model, N and group.
fn fake_value(group: &str, model_idx: usize, n: usize) -> f64 {
    let base = match group {
        "spawn" => 100.0,
        "spawn_cold" => 120.0,
        "spawn_join" => 150.0,
        "spawn_join_cold" => 170.0,
        "heap_per_task" => 128.0,
        _ => 300.0,
    };
    base * (1.0 + model_idx as f64) * (1.0 + (n as f64).log10() / 10.0)
}

/// Whether the fake machine "cannot" run this model at this N.
fn fake_skip(model: &str, n: usize) -> Option<String> {
    match (model, n) {
        ("thread", n) if n >= 100_000 => Some(format!("needs {} memory maps; vm.max_map_count is 65530", 4 * n)),
        ("may", 1_000_000) => Some("needs 2000000 memory maps; vm.max_map_count is 65530".to_string()),
        _ => None,
    }
}

struct Fixture {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    criterion: PathBuf,
    records: PathBuf,
    results: PathBuf,
}

/// A fake `cargo bench` output: Criterion files and records for all groups. `scale` multiplies every value,
/// `spread` is the confidence interval's half width relative to the value, and the samples' spread too.
fn fixture(scale: f64, spread: f64) -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    let f = Fixture {
        criterion: root.join("target/criterion"),
        records: root.join("target/taskbench"),
        results: root.join("results"),
        root,
        _tmp: tmp,
    };
    write_bench_output(&f, scale, spread);
    f
}

fn write_bench_output(f: &Fixture, scale: f64, spread: f64) {
    write_bench_output_of(f, scale, spread, GROUP_NAMES, &fake_run(1_795_728_600_000));
}

/// A run (one bench process) that started at `started_unix_ms`.
fn fake_run(started_unix_ms: u64) -> RunInfo {
    RunInfo {
        id: format!("run-{started_unix_ms}"),
        started_unix_ms,
        usable_cores: 2,
        n_values: NS.to_vec(),
        cells: Vec::new(),
    }
}

fn group_models(group: &str) -> Vec<&'static str> {
    let mut models: Vec<&str> = MODELS.to_vec();
    if group == "heap_per_task" {
        models.push("goroutine-seed-method");
    }
    models
}

/// The cell records and Criterion files of `run` for `groups`.
fn write_bench_output_of(f: &Fixture, scale: f64, spread: f64, groups: &[&str], run: &RunInfo) {
    for (group, unit) in GROUPS.iter().filter(|(g, _)| groups.contains(g)) {
        let models = group_models(group);
        let run = RunInfo {
            cells: models.iter().flat_map(|m| NS.iter().map(move |n| format!("{group}/{m}/{n}"))).collect(),
            ..run.clone()
        };
        for (mi, model) in models.iter().enumerate() {
            for &n in NS {
                let skipped = fake_skip(model, n);
                if skipped.is_none() {
                    let per_task = fake_value(group, mi, n) * scale;
                    // Time groups: Criterion's value is one iteration of N tasks.
                    let value = if *unit == "ns" { per_task * n as f64 } else { per_task };
                    write_criterion(&f.criterion, group, model, n, value, spread, *unit == "ns");
                }
                write_cell(&f.records, &fake_cell(group, unit, model, n, skipped, &run)).unwrap();
            }
        }
    }
}

fn fake_cell(group: &str, unit: &str, model: &str, n: usize, skipped: Option<String>, run: &RunInfo) -> CellRecord {
    CellRecord {
        id: format!("{group}/{model}/{n}"),
        group: group.to_string(),
        model: model.to_string(),
        n,
        unit: unit.to_string(),
        value_is: format!("fake {group} value"),
        config: format!("{model} with 2 workers"),
        caveat: (model == "async-std").then(|| "discontinued upstream (RUSTSEC-2025-0052)".to_string()),
        skipped,
        failed: None,
        notes: Vec::new(),
        tasks: None,
        interleaved: false,
        machine_reference: Vec::new(),
        run: run.clone(),
        build: None,
        written_at_unix: 1_795_728_605,
    }
}

fn estimate(v: f64, spread: f64) -> serde_json::Value {
    json!({
        "confidence_interval": {"confidence_level": 0.95, "lower_bound": v * (1.0 - spread), "upper_bound": v * (1.0 + spread)},
        "point_estimate": v,
        "standard_error": v * spread / 2.0
    })
}

/// Ten fixed offsets spread evenly over [-1, 1], in a shuffled order: the jitter of fake samples.
fn jitter() -> impl Iterator<Item = f64> {
    (0..10).map(|k| f64::from((k * 7) % 10) / 4.5 - 1.0)
}

/// The files Criterion 0.8 writes for one benchmark: mean and median `value`, ten one-iteration samples within
/// `spread` of it.
fn write_criterion(home: &Path, group: &str, model: &str, n: usize, value: f64, spread: f64, throughput: bool) {
    let times: Vec<f64> = jitter().map(|j| value * (1.0 + spread * j)).collect();
    let est = Estimates { mean: value, median: value, spread };
    write_criterion_samples(home, group, model, n, &vec![1.0; times.len()], &times, est, throughput);
}

/// Criterion's estimates for a fake benchmark, in Criterion's unit.
#[derive(Clone, Copy)]
struct Estimates {
    mean: f64,
    median: f64,
    /// Half the confidence interval, relative.
    spread: f64,
}

/// The files Criterion 0.8 writes for one benchmark (layout from its src/analysis/mod.rs), with the given
/// samples (`iters[i]` iterations took `times[i]`) and estimates.
#[allow(clippy::too_many_arguments)]
fn write_criterion_samples(
    home: &Path,
    group: &str,
    model: &str,
    n: usize,
    iters: &[f64],
    times: &[f64],
    est: Estimates,
    throughput: bool,
) {
    let dir = home.join(group).join(model).join(n.to_string()).join("new");
    fs::create_dir_all(&dir).unwrap();
    let full_id = format!("{group}/{model}/{n}");
    let bench = json!({
        "group_id": group, "function_id": model, "value_str": n.to_string(),
        "throughput": if throughput { json!({"Elements": n}) } else { json!(null) },
        "full_id": full_id, "directory_name": full_id, "title": full_id
    });
    let spread = est.spread;
    let est = json!({
        "mean": estimate(est.mean, spread), "median": estimate(est.median, spread),
        "median_abs_dev": estimate(est.median * 0.01, spread), "slope": null,
        "std_dev": estimate(est.median * 0.02, spread)
    });
    let sample = json!({"sampling_mode": "Flat", "iters": iters, "times": times});
    fs::write(dir.join("benchmark.json"), bench.to_string()).unwrap();
    fs::write(dir.join("estimates.json"), est.to_string()).unwrap();
    fs::write(dir.join("sample.json"), sample.to_string()).unwrap();
    let report = home.join(group).join(model).join(n.to_string()).join("report");
    fs::create_dir_all(&report).unwrap();
    fs::write(report.join("index.html"), "<html>criterion</html>").unwrap();
}

fn fake_machine(slug: &str, kernel: &str) -> Machine {
    Machine {
        schema: 1,
        slug: slug.to_string(),
        cpu_model: "Fake CPU 9000".to_string(),
        physical_cores: Some(2),
        logical_cores: 4,
        available_parallelism: 4,
        memory_total_bytes: 8 << 30,
        cgroup_memory_limit_bytes: None,
        os: Some("Test OS".to_string()),
        kernel: kernel.to_string(),
        arch: "x86_64".to_string(),
        transparent_hugepage: Some("madvise".to_string()),
        vm_max_map_count: Some(65530),
        kernel_pid_max: Some(32768),
        kernel_threads_max: Some(192_000),
        ulimit_nproc: Some("96000".to_string()),
        rustc: Some("rustc 1.95.0 (59807616e 2026-04-14)".to_string()),
        build_profile: "bench".to_string(),
        crates: BTreeMap::from([("tokio".to_string(), "1.54.0".to_string())]),
        go: None,
        git_commit: Some("0123456789abcdef".to_string()),
        git_dirty: Some(false),
        date: "2026-11-26T21:40:00Z".to_string(),
    }
}

fn opts(f: &Fixture, name: &str) -> SaveOptions {
    SaveOptions {
        criterion_home: f.criterion.clone(),
        records_dir: f.records.clone(),
        results_dir: f.results.clone(),
        name: Some(name.to_string()),
        label: None,
        machine_name: None,
        force: false,
    }
}

fn err_text<T: std::fmt::Debug>(r: anyhow::Result<T>) -> String {
    format!("{:#}", r.expect_err("expected an error"))
}

/// Every file under `dir`, for "nothing was written" checks.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn save_writes_machine_summary_and_raw_files() {
    let f = fixture(1.0, 0.01);
    let saved = run::save(&opts(&f, "base"), fake_machine("fake-4c-8g", "6.8.0")).unwrap();
    assert_eq!(saved.path, f.results.join("fake-4c-8g/base"));
    let r = run::load(&saved.path).unwrap();
    assert_eq!(r.summary.schema, 3);
    let groups: Vec<&str> = r.summary.groups.iter().map(|g| g.group.as_str()).collect();
    assert_eq!(groups, GROUP_NAMES, "groups in the fixed order, cold after warm");
    // 8 models x 3 N, minus 3 skipped, per group; heap has the seed-method row too.
    assert_eq!(r.summary.benchmarks.len(), 6 * (24 - 3) + 3);
    let b = r.summary.bench("spawn/tokio-mt/10000").unwrap();
    assert_eq!(b.unit, "ns");
    assert_eq!(b.per_task_unit, "ns/task");
    assert!((b.per_task.point - fake_value("spawn", 1, 10_000)).abs() < 1e-6);
    assert!((b.mean.point - fake_value("spawn", 1, 10_000) * 10_000.0).abs() < 1e-3);
    assert!(b.per_task.lower < b.per_task.point && b.per_task.point < b.per_task.upper);
    assert_eq!(b.sample_count, 10);
    assert_eq!(b.samples.len(), 10);
    assert!(b.samples.iter().all(|v| (v / fake_value("spawn", 1, 10_000) - 1.0).abs() <= 0.01 + 1e-12));
    assert!(!b.bimodal() && !b.mean_median());
    let h = r.summary.bench("heap_per_task/goroutine-seed-method/10000").unwrap();
    assert_eq!(h.per_task_unit, "bytes/task");
    assert_eq!(h.per_task.point, h.mean.point);
    let spawn = r.summary.group("spawn").unwrap();
    assert_eq!(spawn.skipped.len(), 3);
    assert!(spawn.skipped.iter().any(|s| s.id == "spawn/thread/1000000" && s.reason.contains("max_map_count")));
    assert_eq!(spawn.recorded_at, "2026-11-26T21:30:05Z");
    assert!(table::of_run(&r).caveats["async-std"].contains("discontinued"));
    let raw = saved.path.join(b.raw.as_ref().unwrap());
    for file in ["benchmark.json", "estimates.json", "sample.json"] {
        assert!(raw.join(file).is_file(), "{file} copied");
    }
    // No temporary folders left beside the run.
    let names: Vec<String> = fs::read_dir(f.results.join("fake-4c-8g"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, vec!["base".to_string()]);
}

#[test]
fn default_run_name_is_the_bench_time_plus_label() {
    let f = fixture(1.0, 0.01);
    let mut o = opts(&f, "x");
    o.name = None;
    o.label = Some("4workers".to_string());
    let saved = run::save(&o, fake_machine("m", "6.8.0")).unwrap();
    assert_eq!(saved.path, f.results.join("m/2026-11-26T2130Z-4workers"));
}

#[test]
fn existing_run_is_kept_without_force() {
    let f = fixture(1.0, 0.01);
    run::save(&opts(&f, "base"), fake_machine("m", "6.8.0")).unwrap();
    let summary = f.results.join("m/base/summary.json");
    let before = fs::read(&summary).unwrap();
    write_bench_output(&f, 2.0, 0.01);
    let e = err_text(run::save(&opts(&f, "base"), fake_machine("m", "6.8.0")));
    assert!(e.contains("exists already") && e.contains("--force"), "{e}");
    assert_eq!(fs::read(&summary).unwrap(), before, "untouched");
    let mut o = opts(&f, "base");
    o.force = true;
    let saved = run::save(&o, fake_machine("m", "6.8.0")).unwrap();
    assert!(saved.replaced);
    assert_ne!(fs::read(&summary).unwrap(), before, "replaced");
    assert_eq!(fs::read_dir(f.results.join("m")).unwrap().count(), 1, "no leftovers");
}

#[test]
fn stale_criterion_results_are_ignored_and_missing_ones_reported() {
    let f = fixture(1.0, 0.01);
    // A result from an older run with another N: not in the record, so not saved.
    write_criterion(&f.criterion, "spawn", "tokio-mt", 42, 4200.0, 0.01, true);
    // A result the record says ran but Criterion did not save.
    fs::remove_dir_all(f.criterion.join("spawn/smol/10000")).unwrap();
    let saved = run::save(&opts(&f, "r"), fake_machine("m", "6.8.0")).unwrap();
    assert!(saved.summary.bench("spawn/tokio-mt/42").is_none());
    assert!(saved.summary.bench("spawn/smol/10000").is_none());
    assert!(saved.warnings.iter().any(|w| w.contains("spawn/smol/10000")));
    assert!(saved.summary.group("spawn").unwrap().skipped.iter().any(|s| s.id == "spawn/smol/10000"));
}

/// Fails on: a later filtered run replacing the group (the save then holds one heap cell), and on a save that
/// says nothing about cells from two runs.
#[test]
fn save_says_which_cells_came_from_which_run_and_warns_of_a_mix() {
    let f = fixture(1.0, 0.01);
    // A later run of one heap cell (`cargo bench --bench heap_per_task -- 'heap_per_task/smol/10000$'`).
    let later = fake_run(1_795_729_000_000);
    write_criterion(&f.criterion, "heap_per_task", "smol", 10_000, 999.0, 0.01, false);
    write_cell(&f.records, &fake_cell("heap_per_task", "bytes/task", "smol", 10_000, None, &later)).unwrap();
    let saved = run::save(&opts(&f, "mixed"), fake_machine("m", "6.8.0")).unwrap();
    assert_eq!(saved.summary.benchmarks.len(), 6 * (24 - 3) + 3, "every cell kept");
    assert_eq!(saved.summary.bench("heap_per_task/smol/10000").unwrap().per_task.point, 999.0);
    assert_eq!(
        saved.warnings,
        ["heap_per_task mixes 2 runs (26 from run-1795728600000, 1 from run-1795729000000); its cells were \
          measured at different times, possibly with other settings. Re-run the group whole to save one run"]
    );
    let (code, out, err) = taskbench(&f.root, &["save", "--name", "mixed-too", "--machine", "m"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("spawn: 24 cells from run run-1795728600000: every cell\n"), "{out}");
    assert!(
        out.contains("heap_per_task: 26 cells from run run-1795728600000: heap_per_task/async-std/10000, "),
        "{out}"
    );
    assert!(out.contains("heap_per_task: 1 cell from run run-1795729000000: heap_per_task/smol/10000\n"), "{out}");
    assert!(err.contains("warning: heap_per_task mixes 2 runs"), "{err}");
}

/// Fails on: a save that refuses (or says nothing) when a group was interrupted and left only some cells.
#[test]
fn save_keeps_what_an_interrupted_run_recorded_and_names_what_it_lacks() {
    let f = fixture(1.0, 0.01);
    fs::remove_dir_all(f.records.join("cells/rss_per_task/goroutine")).unwrap();
    let saved = run::save(&opts(&f, "partial"), fake_machine("m", "6.8.0")).unwrap();
    assert_eq!(saved.summary.benchmarks.len(), 6 * (24 - 3) + 3 - 3);
    assert!(saved.summary.bench("rss_per_task/goroutine/10000").is_none());
    assert_eq!(
        saved.warnings,
        ["rss_per_task lacks 3 of its cells (not run: interrupted, failed or filtered out): \
          rss_per_task/goroutine/10000, rss_per_task/goroutine/100000, rss_per_task/goroutine/1000000"]
    );
}

/// Per-group records written by older builds (`target/taskbench/<group>.json`) are still read.
#[test]
fn older_per_group_records_are_still_read() {
    let f = fixture(1.0, 0.01);
    fs::remove_dir_all(f.records.join("cells")).unwrap();
    let rec = GroupRecord {
        group: "spawn".into(),
        unit: "ns".into(),
        value_is: "fake spawn value".into(),
        n_values: NS.to_vec(),
        models: vec![ModelRecord {
            name: "tokio-mt".into(),
            config: "tokio-mt with 2 workers".into(),
            caveat: None,
            tasks: None,
        }],
        ran: vec!["spawn/tokio-mt/10000".into()],
        skipped: vec![Skipped {
            id: "spawn/tokio-mt/100000".into(),
            model: "tokio-mt".into(),
            n: 100_000,
            reason: "too big".into(),
        }],
        written_at_unix: 1_795_728_605,
        usable_cores: 2,
    };
    fs::write(f.records.join("spawn.json"), serde_json::to_string(&rec).unwrap()).unwrap();
    let saved = run::save(&opts(&f, "old"), fake_machine("m", "6.8.0")).unwrap();
    assert_eq!(saved.summary.benchmarks.len(), 1);
    let spawn = saved.summary.group("spawn").unwrap();
    assert_eq!(spawn.models[0].config, "tokio-mt with 2 workers");
    assert_eq!(spawn.skipped[0].reason, "too big");
    assert_eq!(spawn.recorded_at, "2026-11-26T21:30:05Z");
    assert!(saved.warnings.is_empty(), "{:?}", saved.warnings);
}

#[test]
fn compare_shows_machine_differences_ratios_and_real_marks() {
    let a = fixture(1.0, 0.01);
    let run_a = run::save(&opts(&a, "a"), fake_machine("m", "6.8.0")).unwrap().path;
    // B: 30% slower with 1% spread (real), except tokio-ct at 10k, whose samples spread ±50% over A's.
    let b = fixture(1.3, 0.01);
    write_criterion(&b.criterion, "spawn", "tokio-ct", 10_000, fake_value("spawn", 2, 10_000) * 1.3 * 1e4, 0.5, true);
    let run_b = run::save(&opts(&b, "b"), fake_machine("m", "6.9.1")).unwrap().path;
    let runs = run::load_all(&[run_a, run_b]).unwrap();
    let c = table::read(&runs, &DiffRule::default()).unwrap();
    assert_eq!(c.machine_diffs.len(), 1);
    assert_eq!(c.machine_diffs[0].0, "kernel");
    let spawn = c.groups.iter().find(|g| g.group.name == "spawn").unwrap();
    let row = |m: &str, n: usize| spawn.rows.iter().find(|r| r.model == m && r.x == n).unwrap();
    let cell = row("tokio-mt", 10_000).cells[1].clone().unwrap();
    assert!((cell.ratio.unwrap() - 1.3).abs() < 1e-9);
    assert_eq!(cell.real, Some(true));
    assert!(matches!(cell.verdict.unwrap().basis, Basis::MannWhitney { p } if p < noise::ALPHA));
    let wide = row("tokio-ct", 10_000).cells[1].clone().unwrap();
    assert!((wide.ratio.unwrap() - 1.3).abs() < 1e-9, "the medians differ by 30%");
    assert_eq!(wide.real, Some(false), "but the samples overlap");

    // A larger minimum effect turns the 30% into noise.
    let strict = table::read(&runs, &DiffRule { time_min_effect: 0.5, ..DiffRule::default() }).unwrap();
    let spawn_strict = strict.groups.iter().find(|g| g.group.name == "spawn").unwrap();
    assert!(spawn_strict.rows.iter().all(|r| r.cells[1].as_ref().is_none_or(|c| c.real == Some(false))));
    let heap_strict = strict.groups.iter().find(|g| g.group.name == "heap_per_task").unwrap();
    assert!(heap_strict.rows.iter().all(|r| r.cells[1].as_ref().is_none_or(|c| c.real == Some(true))), "memory: 5%");

    let text = text::render(&c, Format::Terminal);
    let kernel_at = text.find("kernel").unwrap();
    assert!(kernel_at < text.find("spawn (ns/task").unwrap(), "machine differences come first:\n{text}");
    assert!(text.contains("1.30× ≠"), "{text}");
    assert!(text.contains("Mann–Whitney U test at p < 0.01") && text.contains("at least 25% (time groups)"), "{text}");
    assert!(text.contains("the median, ± half its 95% confidence interval"), "legend:\n{text}");
    let md = text::render(&c, Format::Markdown);
    assert!(md.contains("| model | N | A (ns/task) | B (ns/task) | B/A |"), "{md}");
    assert!(md.contains("| kernel | 6.8.0 | 6.9.1 |"), "{md}");
    for m in MODELS {
        assert!(md.contains(&format!("| {m} | 10000 |")), "{m} row in markdown");
    }
}

/// Fails on: the ×floor or ×tokio-ct column missing for an interleaved group, shown for one that is not, not
/// beside its run's value, or not the paired ratio (the fixture's samples share one jitter, so each round's
/// ratio is the ratio of the values); the same in the README's table (after the value, floor's then
/// tokio-ct's, `—` for a row's ratio to itself, with its note) and in the report's.
#[test]
fn compare_readme_and_report_show_the_paired_ratios_to_floor_and_tokio_ct_for_an_interleaved_group() {
    let f = fixture(1.0, 0.01);
    for mut cell in taskbench::record::read_cells(&f.records).unwrap().into_iter().filter(|c| c.group == "spawn") {
        cell.interleaved = true;
        write_cell(&f.records, &cell).unwrap();
    }
    let path = run::save(&opts(&f, "a"), fake_machine("m", "6.8.0")).unwrap().path;
    let runs = run::load_all(&[path]).unwrap();
    let c = table::read(&runs, &DiffRule::default()).unwrap();
    let md = text::render(&c, Format::Markdown);
    assert!(md.contains("| model | N | A (ns/task) | A ×floor | A ×tokio-ct |"), "{md}");
    assert_eq!(md.matches("×tokio-ct |").count(), 1, "only the spawn group has the columns:\n{md}");
    // tokio-mt spawns in 100 · 2 · 1.4 = 280 ns, tokio-ct in 100 · 3 · 1.4 = 420, floor in 100 · 7 · 1.4 = 980.
    let row = md.lines().find(|l| l.starts_with("| tokio-mt | 10000 |") && l.contains("ns")).unwrap();
    let columns: Vec<&str> = row.trim_end_matches(" |").split(" | ").collect();
    assert_eq!(columns[3..], ["0.29× (0.29–0.29)", "0.67× (0.67–0.67)"], "{md}");
    let section = readme::section(&runs[0], &f.root);
    let row =
        |model: &str| section.lines().find(|l| l.starts_with(&format!("| {model} | 10,000 |"))).unwrap().to_string();
    assert!(row("tokio-mt").contains("| 280 (0.286×, 0.667×) |"), "{section}");
    assert!(row("floor").contains("| 980 (—, 2.33×) |"), "{section}");
    assert!(row("tokio-ct").contains("| 420 (0.429×, —) |"), "{section}");
    assert!(section.contains("In parentheses: the cell's ratio to `floor`, then to `tokio-ct`"), "{section}");
    let html = report::render(&runs, &DiffRule::default(), &f.root, None, None).unwrap();
    assert!(html.contains("<th class=\"num\">A ×floor</th><th class=\"num\">A ×tokio-ct</th>"), "report header");
    assert!(html.contains(">0.29× (0.29–0.29)</td>") && html.contains(">0.67× (0.67–0.67)</td>"), "report cells");
}

/// Run `f`'s spawn cells, marked as measured in rounds whose machine reference read `workload_ns` and
/// `wake_ns` each round.
fn with_machine_reference(f: &Fixture, workload_ns: f64, wake_ns: f64) {
    let reading = MachineReference { workload_ns, wake_ns: Some(wake_ns) };
    for mut cell in taskbench::record::read_cells(&f.records).unwrap().into_iter().filter(|c| c.group == "spawn") {
        cell.interleaved = true;
        cell.machine_reference = vec![reading; 21];
        write_cell(&f.records, &cell).unwrap();
    }
}

/// Fails on: the machine reference not carried from the records into the run, not shown first in
/// `compare` with each run's figures and B/A, a real change within the machine's move not marked ≈ref, one
/// beyond it (or in a memory group) marked, or the README not stating its run's reference.
#[test]
fn compare_reads_timing_changes_against_the_machine_reference() {
    let a = fixture(1.0, 0.01);
    with_machine_reference(&a, 2_000_000.0, 20_000.0);
    let run_a = run::save(&opts(&a, "a"), fake_machine("m", "6.8.0")).unwrap().path;
    // B: every cell 30% slower, the machine's workload 25% slower and its wake 10% faster; tokio-ct at
    // 10^4 twice as slow.
    let b = fixture(1.3, 0.01);
    write_criterion(&b.criterion, "spawn", "tokio-ct", 10_000, fake_value("spawn", 2, 10_000) * 2.0 * 1e4, 0.01, true);
    with_machine_reference(&b, 2_500_000.0, 18_000.0);
    let run_b = run::save(&opts(&b, "b"), fake_machine("m", "6.8.0")).unwrap().path;
    let runs = run::load_all(&[run_a, run_b]).unwrap();
    let c = table::read(&runs, &DiffRule::default()).unwrap();
    let md = text::render(&c, Format::Markdown);
    let reference_at = md.find("**Machine reference**").expect(&md);
    assert!(reference_at < md.find("**Machine differences**").unwrap(), "the reference comes first:\n{md}");
    // 21 rounds at each of the fixture's three N.
    assert!(md.contains("- **A**: 2.00 ms fixed workload, 20.0 µs cross-core wake round trip (63 readings)"), "{md}");
    assert!(md.contains("**B/A: fixed workload 1.25×, cross-core wake 0.90×**"), "{md}");
    let row = |model: &str, n: usize| {
        let start = format!("| {model} | {n} |");
        let spawn = &md[md.find("**spawn** (").unwrap()..];
        spawn.lines().find(|l| l.starts_with(&start)).unwrap().to_string()
    };
    // 1.30 lies within [0.90, 1.25] widened by 25%; 2.00 does not.
    assert!(row("tokio-mt", 10_000).ends_with("| 1.30× ≠ ≈ref |"), "{md}");
    assert!(row("tokio-ct", 10_000).ends_with("| 2.00× ≠ |"), "{md}");
    let heap = &md[md.find("**heap_per_task**").unwrap()..];
    assert!(!heap[..heap.find("**Legend**").unwrap()].contains("≈ref"), "memory is not timed:\n{md}");
    let section = readme::section(&runs[1], &b.root);
    assert!(
        section.contains(
            "Machine reference of this run (a fixed single-threaded workload and a cross-core wake, \
             read in every round; medians): 2.50 ms fixed workload, 18.0 µs cross-core wake round trip (63 readings)."
        ),
        "{section}"
    );
}

// ---- the difference rule on synthetic samples ----

/// A benchmark with these per-task samples; its published median is theirs, its interval ± `half` of it.
fn synthetic(per_task_unit: &str, samples: Vec<f64>, half: f64) -> Bench {
    let median = noise::median(&samples);
    let mean = samples.iter().sum::<f64>() / samples.len().max(1) as f64;
    let interval = |p: f64| Interval {
        point: p,
        lower: p * (1.0 - half),
        upper: p * (1.0 + half),
        confidence_level: 0.95,
        standard_error: p * half / 2.0,
    };
    Bench {
        id: "g/m/1".to_string(),
        group: "g".to_string(),
        model: "m".to_string(),
        n: 1,
        unit: per_task_unit.trim_end_matches("/task").to_string(),
        mean: interval(mean),
        median: interval(median),
        std_dev: 0.0,
        per_task_unit: per_task_unit.to_string(),
        per_task: interval(median),
        mean_per_task: interval(mean),
        sample_count: samples.len(),
        iterations: samples.len() as f64,
        sampling_mode: Some("Flat".to_string()),
        raw: None,
        build: None,
        samples,
    }
}

/// `count` values around `center`, each within `jitter` (relative) of it, from a fixed pseudo-random sequence.
fn around(center: f64, jitter: f64, count: usize, seed: u64) -> Vec<f64> {
    let mut x = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
    (0..count)
        .map(|_| {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let u = (x >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0;
            center * (1.0 + jitter * u)
        })
        .collect()
}

#[test]
fn rule_a_a_runs_are_not_marked() {
    let rule = DiffRule::default();
    // Same distribution, small jitter.
    let a = synthetic("ns/task", around(200.0, 0.03, 20, 1), 0.01);
    let b = synthetic("ns/task", around(200.0, 0.03, 20, 2), 0.01);
    let v = rule.judge(&a, &b);
    assert!(!v.real, "{v:?}");
    // Back-to-back runs drift a few percent between processes: fully separated samples, tight intervals that
    // do not overlap, but a 20% shift of the medians is below the 25% minimum effect.
    let shifted = synthetic("ns/task", around(240.0, 0.005, 20, 3), 0.002);
    let tight = synthetic("ns/task", around(200.0, 0.005, 20, 4), 0.002);
    let v = rule.judge(&tight, &shifted);
    assert!(matches!(v.basis, Basis::MannWhitney { p } if p < noise::ALPHA), "separated: {v:?}");
    assert!(!v.real, "but within the minimum effect: {v:?}");
}

#[test]
fn rule_marks_a_large_consistent_difference() {
    let rule = DiffRule::default();
    let a = synthetic("ns/task", around(200.0, 0.05, 10, 5), 0.02);
    let b = synthetic("ns/task", around(260.0, 0.05, 10, 6), 0.02);
    let v = rule.judge(&a, &b);
    assert!(v.real && (v.effect - 0.3).abs() < 0.05, "{v:?}");
    assert!(rule.judge(&b, &a).real, "either direction");
}

#[test]
fn rule_ignores_a_median_jump_when_samples_overlap() {
    // Two clusters in both runs; the median lands in the upper one in A and the lower one in B.
    let a: Vec<f64> = [100.0, 101.0, 102.0, 103.0, 104.0, 150.0, 151.0, 152.0, 153.0, 154.0, 155.0].to_vec();
    let b: Vec<f64> = [100.5, 101.5, 102.5, 103.5, 104.5, 105.5, 150.5, 151.5, 152.5, 153.5, 154.5].to_vec();
    let (a, b) = (synthetic("ns/task", a, 0.01), synthetic("ns/task", b, 0.01));
    let v = DiffRule::default().judge(&a, &b);
    assert!(v.effect > 0.25, "the medians differ a lot: {v:?}");
    assert!(!v.real, "the samples do not: {v:?}");
    assert!(a.bimodal() && b.bimodal(), "and both are flagged");
}

#[test]
fn rule_on_exact_byte_counts() {
    let rule = DiffRule::default();
    let same =
        rule.judge(&synthetic("bytes/task", vec![256.0; 10], 0.0), &synthetic("bytes/task", vec![256.0; 10], 0.0));
    assert!(!same.real && same.effect == 0.0, "{same:?}");
    assert!(matches!(same.basis, Basis::MannWhitney { p } if p == 1.0), "no NaN: {same:?}");
    let more =
        rule.judge(&synthetic("bytes/task", vec![256.0; 10], 0.0), &synthetic("bytes/task", vec![300.0; 10], 0.0));
    assert!(more.real, "{more:?}");
    // 6% more bytes is real for memory (5%), though it would not be for time (25%); 3% is not real for either.
    let a = synthetic("bytes/task", vec![256.0; 10], 0.0);
    assert!(rule.judge(&a, &synthetic("bytes/task", vec![272.0; 10], 0.0)).real);
    assert!(!rule.judge(&a, &synthetic("bytes/task", vec![264.0; 10], 0.0)).real);
    assert!(!rule.judge(&synthetic("ns/task", vec![256.0; 10], 0.0), &synthetic("ns/task", vec![272.0; 10], 0.0)).real);
}

#[test]
fn rule_falls_back_to_intervals_without_samples() {
    let rule = DiffRule::default();
    let old = |median: f64, half: f64| synthetic("ns/task", Vec::new(), half).with_median(median, half);
    let with_samples = synthetic("ns/task", around(300.0, 0.01, 10, 7), 0.01);
    // 30% apart, intervals apart: real, judged by the intervals even though one side has samples.
    let v = rule.judge(&old(200.0, 0.02), &old(260.0, 0.02));
    assert!(v.real && v.basis == Basis::Intervals { overlap: false }, "{v:?}");
    let v = rule.judge(&old(200.0, 0.02), &with_samples);
    assert!(v.real && v.basis == Basis::Intervals { overlap: false }, "{v:?}");
    // 30% apart, intervals overlapping: not real.
    assert!(!rule.judge(&old(200.0, 0.2), &old(260.0, 0.2)).real);
    // Intervals apart but only 5%: below the minimum effect.
    let v = rule.judge(&old(200.0, 0.01), &old(210.0, 0.01));
    assert!(!v.real && v.basis == Basis::Intervals { overlap: false }, "{v:?}");
}

/// Setting a synthetic benchmark's published median and its interval.
trait WithMedian {
    fn with_median(self, median: f64, half: f64) -> Self;
}

impl WithMedian for Bench {
    fn with_median(mut self, median: f64, half: f64) -> Bench {
        self.per_task =
            Interval { point: median, lower: median * (1.0 - half), upper: median * (1.0 + half), ..self.per_task };
        self
    }
}

// ---- what save reads from Criterion ----

#[test]
fn per_task_is_the_median_and_samples_are_per_task() {
    let f = fixture(1.0, 0.01);
    let n = 10_000;
    // One slow process among ten: the mean is pulled up, the median is not. Iterations differ per sample.
    let per_iter = [1.0e6, 1.02e6, 0.99e6, 1.01e6, 1.0e6, 0.98e6, 1.03e6, 1.0e6, 0.97e6, 9.0e6];
    let iters: Vec<f64> = (1..=10).map(f64::from).collect();
    let times: Vec<f64> = per_iter.iter().zip(&iters).map(|(v, i)| v * i).collect();
    let est = Estimates { mean: 1.8e6, median: 1.0e6, spread: 0.02 };
    write_criterion_samples(&f.criterion, "spawn", "smol", n, &iters, &times, est, true);
    let r = run::load(&run::save(&opts(&f, "a"), fake_machine("m", "6.8.0")).unwrap().path).unwrap();
    let b = r.summary.bench("spawn/smol/10000").unwrap();
    assert!((b.per_task.point - 100.0).abs() < 1e-9, "median / N: {}", b.per_task.point);
    assert!((b.per_task.upper - 102.0).abs() < 1e-9 && (b.per_task.lower - 98.0).abs() < 1e-9);
    assert!((b.mean_per_task.point - 180.0).abs() < 1e-9, "mean / N kept: {}", b.mean_per_task.point);
    let expected: Vec<f64> = per_iter.iter().map(|v| v / n as f64).collect();
    assert_eq!(b.samples.len(), 10);
    for (got, want) in b.samples.iter().zip(&expected) {
        assert!((got - want).abs() < 1e-9, "time / iters / N: {got} vs {want}");
    }
    assert!(b.mean_median(), "mean 80% above the median");
    assert!(!b.bimodal(), "one stray sample is not a cluster");
    // Memory groups: already per task, not divided by N.
    let h = r.summary.bench("heap_per_task/smol/10000").unwrap();
    assert!((h.per_task.point - fake_value("heap_per_task", 4, n)).abs() < 1e-9);
    assert!(h.samples.iter().all(|v| (v / h.per_task.point - 1.0).abs() <= 0.01 + 1e-12));

    let c = table::read(&[r], &DiffRule::default()).unwrap();
    let text = text::render(&c, Format::Terminal);
    assert!(text.contains("100 ns ±2.0% ~"), "flagged in the table:\n{text}");
    assert!(text.contains("~ after a value"), "and explained:\n{text}");
}

#[test]
fn bimodal_cells_are_flagged_and_unimodal_ones_are_not() {
    let f = fixture(1.0, 0.01);
    let two: Vec<f64> = [400.0, 402.0, 398.0, 401.0, 399.0, 520.0, 522.0, 518.0, 521.0, 519.0].to_vec();
    let one: Vec<f64> = [400.0, 402.0, 398.0, 401.0, 399.0, 403.0, 397.0, 400.5, 401.5, 398.5].to_vec();
    for (model, samples) in [("smol", &two), ("floor", &one)] {
        let med = noise::median(samples);
        let mean = samples.iter().sum::<f64>() / samples.len() as f64;
        let est = Estimates { mean, median: med, spread: 0.01 };
        write_criterion_samples(&f.criterion, "rss_per_task", model, 10_000, &[1.0; 10], samples, est, false);
    }
    let path = run::save(&opts(&f, "a"), fake_machine("m", "6.8.0")).unwrap().path;
    let r = run::load(&path).unwrap();
    let smol = r.summary.bench("rss_per_task/smol/10000").unwrap();
    assert!(smol.bimodal() && !smol.mean_median(), "two clusters, mean near the median");
    assert!(!r.summary.bench("rss_per_task/floor/10000").unwrap().bimodal());

    let file = f.root.join("README.md");
    fs::write(&file, MARKERS).unwrap();
    readme::update(&file, &r, false).unwrap();
    let text = fs::read_to_string(&file).unwrap();
    let smol_row = text.lines().find(|l| l.starts_with("| smol | 10,000 |")).unwrap();
    assert!(smol_row.contains(" ~ |"), "{smol_row}");
    assert!(!text.lines().find(|l| l.starts_with("| floor | 10,000 |")).unwrap().contains('~'));
    assert!(text.contains("~: the samples split into two clusters"), "{text}");

    let out = f.root.join("r.html");
    report::write_report(&[r], &DiffRule::default(), &out, None).unwrap();
    let html = fs::read_to_string(&out).unwrap();
    assert!(html.contains("; samples split into two clusters\">") && html.contains(" ~<"), "flag with its reason");
}

// ---- schema 1 runs (older taskbench) ----

/// The committed schema 1 run of this repository.
fn committed_run() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("results/amd-epyc-2c-24g/2026-11-26T2148Z-full")
}

#[test]
fn schema_1_runs_load_with_the_median_published_and_no_samples() {
    let r = run::load(&committed_run()).unwrap();
    assert_eq!(r.summary.schema, 1);
    let raw: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(committed_run().join("summary.json")).unwrap()).unwrap();
    let old = raw["benchmarks"].as_array().unwrap().iter().find(|b| b["id"] == "spawn/tokio-mt/10000").unwrap();
    let b = r.summary.bench("spawn/tokio-mt/10000").unwrap();
    let median = old["median"]["point"].as_f64().unwrap();
    assert!((b.per_task.point - median / 10_000.0).abs() < 1e-9, "the stored median, per task");
    assert_eq!(b.mean_per_task.point, old["per_task"]["point"].as_f64().unwrap(), "the old published mean");
    assert!(b.samples.is_empty() && !b.bimodal());

    // Against a schema 2 run: the shared cells are judged by the interval rule, and the legend says so.
    let f = fixture(1.0, 0.01);
    let new = run::load(&run::save(&opts(&f, "a"), fake_machine("m", "6.8.0")).unwrap().path).unwrap();
    let c = table::read(&[new, r], &DiffRule::default()).unwrap();
    let spawn = c.groups.iter().find(|g| g.group.name == "spawn").unwrap();
    let cell = spawn.rows.iter().find(|r| r.model == "tokio-mt" && r.x == 10_000).unwrap().cells[1].clone();
    assert!(matches!(cell.unwrap().verdict.unwrap().basis, Basis::Intervals { .. }));
    let text = text::render(&c, Format::Terminal);
    assert!(text.contains("Run B was saved by an older taskbench (summary schema 1), which published means"), "{text}");
}

#[test]
fn compare_and_report_work_on_two_schema_1_runs_from_different_machines() {
    let foreign =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/runs/intel-xeon-16c-126g/2026-11-27T1151Z-16core");
    if !foreign.join("summary.json").is_file() {
        println!("skipped: {} is absent (the shared 16-core run is not in this checkout)", foreign.display());
        return;
    }
    let runs = run::load_all(&[committed_run(), foreign]).unwrap();
    assert!(runs.iter().all(|r| r.summary.schema == 1));
    let c = table::read(&runs, &DiffRule::default()).unwrap();
    assert!(c.machine_diffs.iter().any(|(f, _)| f == "usable cores"), "{:?}", c.machine_diffs);
    assert!(c.runs.iter().all(|r| !r.has_samples));
    let cells: Vec<_> = c.groups.iter().flat_map(|g| &g.rows).filter_map(|r| r.cells[1].as_ref()).collect();
    assert!(!cells.is_empty());
    assert!(cells.iter().all(|c| matches!(c.verdict.unwrap().basis, Basis::Intervals { .. })));
    for format in [Format::Terminal, Format::Markdown] {
        let text = text::render(&c, format);
        assert!(text.contains("Runs A, B were saved by an older taskbench"), "{text}");
        assert!(text.contains("intel-xeon-16c-126g/2026-11-27T1151Z-16core"), "{text}");
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("report.html");
    report::write_report(&runs, &DiffRule::default(), &out, None).unwrap();
    let html = fs::read_to_string(&out).unwrap();
    assert!(html.contains("<section id=\"spawn\">") && html.contains("<svg"));
    assert!(html.contains("summary schema 1"), "the report says the runs are schema 1");
}

#[test]
fn report_is_self_contained_and_holds_every_models_row() {
    let a = fixture(1.0, 0.01);
    let run_a = run::save(&opts(&a, "a"), fake_machine("m", "6.8.0")).unwrap().path;
    let b = fixture(1.2, 0.01);
    let run_b = run::save(&opts(&b, "b"), fake_machine("m", "6.8.0")).unwrap().path;
    for paths in [vec![run_a.clone()], vec![run_a.clone(), run_b]] {
        let runs = run::load_all(&paths).unwrap();
        let out = a.root.join("report.html");
        report::write_report(&runs, &DiffRule::default(), &out, None).unwrap();
        let html = fs::read_to_string(&out).unwrap();
        assert!(html.starts_with("<!DOCTYPE html>"));
        for &group in GROUP_NAMES {
            let start = html.find(&format!("<section id=\"{group}\">")).unwrap_or_else(|| panic!("{group} section"));
            let end = start + html[start..].find("</section>").unwrap();
            let section = &html[start..end];
            assert!(section.contains("<svg"), "{group} chart");
            let mut models: Vec<&str> = MODELS.to_vec();
            if group == "heap_per_task" {
                models.push("goroutine-seed-method");
            }
            for m in models {
                assert!(section.contains(&format!("</span>{m}</td>")), "{group}: {m} row");
                assert!(section.contains(&format!(">{m}</text>")), "{group}: {m} in the chart legend");
            }
            assert!(section.contains(&format!("{group}/thread/1000000</code>")), "{group}: skipped entry");
        }
        assert!(html.contains("discontinued upstream"), "caveat shown");
        // Offline: no scripts, stylesheets, images or fonts fetched from anywhere.
        for banned in
            ["<script", "<link", "<img", "<iframe", "@import", "url(", "src=", "https://", "http://www.w3.org/1999"]
        {
            assert!(!html.contains(banned), "{banned} in report");
        }
        for href in html.split("href=\"").skip(1).map(|s| &s[..s.find('"').unwrap()]) {
            assert!(href.starts_with('#') || !href.contains("://") || href.starts_with("file://"), "{href}");
        }
        // Criterion's pages are linked because target/criterion still holds run A's data.
        assert!(html.contains("target/criterion/spawn/tokio-mt/10000/report/index.html"), "link to Criterion");
        if paths.len() == 2 {
            assert!(html.contains("stroke-dasharray"), "dashed lines for run B");
            assert!(html.contains("B/A"));
        }
    }
}

#[test]
fn readme_section_is_regenerated_between_the_markers() {
    let f = fixture(1.0, 0.01);
    let path = run::save(&opts(&f, "a"), fake_machine("m", "6.8.0")).unwrap().path;
    let r = run::load(&path).unwrap();
    let file = f.root.join("README.md");
    fs::write(&file, "# T\n\nintro\n\n## Results\n").unwrap();
    let e = err_text(readme::update(&file, &r, false));
    assert!(e.contains("README.md") && e.contains("results:begin"), "{e}");
    fs::write(&file, "# T\n\n<!-- results:begin -->\nold\n<!-- results:end -->\n\nafter\n").unwrap();
    let e = err_text(readme::update(&file, &r, false));
    assert!(e.contains("README.md") && e.contains("findings:begin"), "{e}");
    fs::write(&file, "# T\n\n<!-- findings:begin -->\n<!-- findings:end -->\n\n<!-- results:begin -->\nold\n<!-- results:end -->\n\nafter\n").unwrap();
    assert_eq!(readme::update(&file, &r, false).unwrap(), readme::Outcome::Updated);
    let text = fs::read_to_string(&file).unwrap();
    assert!(text.starts_with("# T\n\n<!-- findings:begin -->\n") && text.ends_with("<!-- results:end -->\n\nafter\n"));
    assert!(!text.contains("\nold\n"), "the old section is gone");
    assert!(
        text.contains(
            "| model | N | heap B/task | RSS B/task | spawn ns/task | spawn cold | spawn+join | spawn+join cold |"
        ),
        "{text}"
    );
    assert!(text.contains("Criterion medians per task"), "{text}");
    assert!(text.contains("| tokio-mt | 10,000 |"), "{text}");
    assert!(
        text.contains("| thread | 1,000,000 | skipped | skipped | skipped | skipped | skipped | skipped |"),
        "{text}"
    );
    assert!(text.contains("results/m/a/summary.json"), "{text}");
    assert!(text.contains("Fake CPU 9000"));
    assert_eq!(readme::update(&file, &r, true).unwrap(), readme::Outcome::AlreadyCurrent);
}

/// The state group `state_rss` of a fake run beside the other groups: floor and goroutine at 10^5 tasks, may at
/// 29,205 with K = 16,384 skipped for its stack. Floor grows by K, goroutine by 2K (its stack doubles), and
/// `state_heap` has goroutine-stack's 2 KiB and 32 KiB; may-4k, skipped from 4 KiB, reads a byte less at 512 B
/// than at 0 (its one stack page was touched anyway).
fn write_state_rss(f: &Fixture) {
    const KS: [usize; 5] = [0, 64, 512, 4096, 16384];
    let rows: [(&str, usize, f64, f64); 4] = [
        ("floor", 100_000, 200.0, 1.0),
        ("may", 29_205, 7800.0, 1.0),
        ("may-4k", 29_205, 4195.0, -1.0 / 512.0),
        ("goroutine", 100_000, 2700.0, 2.0),
    ];
    let run = RunInfo {
        cells: rows.iter().flat_map(|(m, ..)| KS.iter().map(move |k| format!("state_rss/{m}/{k}"))).collect(),
        ..fake_run(1_795_728_700_000)
    };
    for (group, k, stack) in [("state_heap", 0, 2048.0), ("state_heap", 16384, 32768.0)] {
        write_criterion(&f.criterion, group, "goroutine-stack", k, stack, 0.0, false);
        let run = RunInfo { cells: vec![format!("{group}/goroutine-stack/{k}")], ..run.clone() };
        write_cell(&f.records, &fake_cell(group, "bytes/task", "goroutine-stack", k, None, &run)).unwrap();
    }
    for (model, tasks, base, per_byte) in rows {
        for k in KS {
            let stack = if model == "may" { 32768 } else { 4096 };
            let skipped = ((model == "may" && k == 16384) || (model == "may-4k" && k >= 4096)).then(|| {
                format!(
                    "holding {k} B on a task's stack needs 2·K + 2 KiB = {} B (the state may be built, then moved: \
                     two copies), but a {model} task's stack is {stack} B",
                    2 * k + 2048
                )
            });
            if skipped.is_none() {
                write_criterion(&f.criterion, "state_rss", model, k, base + per_byte * k as f64, 0.0, false);
            }
            let mut cell = fake_cell("state_rss", "bytes/task", model, k, skipped, &run);
            cell.tasks = Some(tasks);
            cell.config = format!("{}; N = {tasks} tasks at every K", cell.config);
            write_cell(&f.records, &cell).unwrap();
        }
    }
}

/// Fails on: state cells in the main table (it is keyed by N, and K is not N), a state table without a
/// model's N or a skipped K, a report chart of the state group on an N axis or with K = 0 dropped silently,
/// and a finding that does not say how each model grows with K.
#[test]
fn state_groups_get_their_own_table_a_k_axis_and_a_finding() {
    let f = fixture(1.0, 0.01);
    write_state_rss(&f);
    let path = run::save(&opts(&f, "a"), fake_machine("m", "6.8.0")).unwrap().path;
    let r = run::load(&path).unwrap();
    let section = readme::section(&r, &f.root);
    let (main, state) = section.split_at(section.find("Holding state").expect("a state section"));
    assert!(
        main.contains(
            "| model | N | heap B/task | RSS B/task | spawn ns/task | spawn cold | spawn+join | spawn+join cold |\n"
        ),
        "{main}"
    );
    for k in ["0", "64", "512", "4,096", "16,384"] {
        assert!(!main.contains(&format!("| floor | {k} |")), "K = {k} in the main table: {main}");
    }
    assert!(!main.contains("state_rss"), "{main}");
    assert!(
        state.contains("`state_rss`, RSS B/task:\n\n| model | N | K = 0 | K = 64 | K = 512 | K = 4,096 | K = 16,384 |"),
        "{state}"
    );
    assert!(state.contains("| floor | 100,000 | 200 | 264 | 712 | 4,296 | 16,584 |"), "{state}");
    assert!(state.contains("| may | 29,205 | 7,800 | 7,864 | 8,312 | 11,896 | skipped |"), "{state}");
    assert!(state.contains("| goroutine | 100,000 | 2,700 | 2,828 | 3,724 | 10,892 | 35,468 |"), "{state}");
    assert!(state.contains("- may, K = 16,384 (state_rss): holding 16384 B on a task's stack"), "{state}");

    let c = table::read(std::slice::from_ref(&r), &DiffRule::default()).unwrap();
    let said = findings::bullets(&c).into_iter().find(|b| b.contains("state_rss")).expect("a state finding");
    assert!(
        said.contains(
            "per byte held: 1.00 B for floor; 2.00 B for goroutine (its stack, Go's `StackInuse`, grows from 2,048 B \
             to 32,768 B; RSS counts the pages it touched); 1.00 B for may (at K = 4,096, the largest it ran); 0.00 B \
             for may-4k (at K = 512, the largest it ran)."
        ),
        "{said}"
    );
    let text = text::render(&c, Format::Terminal);
    assert!(
        text.contains("N, the same at every K: floor 100,000, may 29,205, may-4k 29,205, goroutine 100,000."),
        "{text}"
    );

    let out = f.root.join("report.html");
    report::write_report(std::slice::from_ref(&r), &DiffRule::default(), &out, None).unwrap();
    let html = fs::read_to_string(&out).unwrap();
    let start = html.find("<section id=\"state_rss\">").expect("a state_rss section");
    let section = &html[start..start + html[start..].find("</section>").unwrap()];
    assert!(section.contains("K, bytes each task holds across its park point, log scale"), "{section}");
    assert!(!section.contains("N (tasks)"), "{section}");
    assert!(section.contains(">16 KiB</text>") && section.contains(">64 B</text>"), "K ticks in bytes");
    assert!(section.contains("At K = 0 (each task holding nothing"), "{section}");
    assert!(section.contains("floor 200 B") && section.contains("goroutine 2.64 KiB"), "{section}");
    assert!(section.contains("<th class=\"num\">K</th>"), "{section}");
}

/// Fails on: rows above 10^6 tasks mixed into the main table, or dropped, or a second table listing groups that
/// were not run that far.
#[test]
fn readme_puts_rows_above_a_million_tasks_in_a_table_of_their_own() {
    let f = fixture(1.0, 0.01);
    let path = run::save(&opts(&f, "a"), fake_machine("m", "6.8.0")).unwrap().path;
    let mut r = run::load(&path).unwrap();
    let mut large = r.summary.bench("rss_per_task/tokio-mt/1000000").unwrap().clone();
    large.n = 10_000_000;
    large.id = "rss_per_task/tokio-mt/10000000".to_string();
    r.summary.benchmarks.push(large);
    let text = readme::section(&r, &f.root);
    let (main, rest) = text.split_once("Above 10^6 tasks").unwrap_or_else(|| panic!("no second table: {text}"));
    assert!(!main.contains("| 10,000,000 |"), "{main}");
    assert!(main.contains("| tokio-mt | 1,000,000 |"), "{main}");
    assert!(rest.contains("| model | N | RSS B/task |\n"), "only the group run at 10^7: {rest}");
    assert!(rest.contains("| tokio-mt | 10,000,000 |"), "{rest}");
}

// ---- the README's findings and memory chart ----

/// The `<text>` labels of an SVG with their x and y, in order (a label's text up to its first tag).
fn svg_texts(svg: &str) -> Vec<(f64, f64, String)> {
    let attr = |tag: &str, name: &str| -> Option<f64> {
        let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        tag[at..].split('"').next()?.parse().ok()
    };
    svg.split("<text")
        .skip(1)
        .filter_map(|t| {
            let (tag, rest) = t.split_once('>')?;
            let text = rest.split('<').next()?.to_string();
            // A rotated label has neither (NaN).
            Some((attr(tag, "x").unwrap_or(f64::NAN), attr(tag, "y").unwrap_or(f64::NAN), text))
        })
        .collect()
}

/// Fails on: a model missing from the chart or its legend, two lines for one model (or one for two), the
/// kernel line drawn without kernel cells or missing with them, and axes that are not logarithmic.
#[test]
fn memory_chart_has_one_line_per_model_and_log_axes() {
    let f = fixture(1.0, 0.01);
    // Kernel memory for thread at every N it ran (10^4), as the kernel_per_task group records it.
    write_criterion(&f.criterion, "kernel_per_task", "thread", 10_000, 12_288.0, 0.0, false);
    let run_info = RunInfo { cells: vec!["kernel_per_task/thread/10000".into()], ..fake_run(1_795_728_600_000) };
    write_cell(&f.records, &fake_cell("kernel_per_task", "bytes/task", "thread", 10_000, None, &run_info)).unwrap();
    let r = run::load(&run::save(&opts(&f, "a"), fake_machine("m", "6.8.0")).unwrap().path).unwrap();
    let c = table::read(std::slice::from_ref(&r), &DiffRule::default()).unwrap();
    let svg = findings::chart_svg(&r, &c).expect("a chart");
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\"") && svg.ends_with("</svg>\n"));
    let lines: Vec<&str> = svg.split("<polyline ").skip(1).map(|l| &l[..l.find("/>").unwrap()]).collect();
    let solid: Vec<&&str> = lines.iter().filter(|l| !l.contains("stroke-dasharray")).collect();
    let dashed: Vec<&&str> = lines.iter().filter(|l| l.contains("stroke-dasharray")).collect();
    assert_eq!(solid.len(), MODELS.len(), "one RSS line per model");
    assert_eq!(dashed.len(), 1, "RSS + kernel for thread alone");
    let color = |l: &str| l.split("stroke=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let mut colors: Vec<String> = solid.iter().map(|l| color(l)).collect();
    colors.sort();
    colors.dedup();
    assert_eq!(colors.len(), MODELS.len(), "a colour per model");
    let thread_color = color(solid[0]);
    assert_eq!(color(dashed[0]), thread_color, "the kernel line in thread's colour");
    // Every RSS point on its line: thread ran at 10^4 only, may up to 10^5, the others at every N.
    let points = |l: &str| l.split("points=\"").nth(1).unwrap().split('"').next().unwrap().split(' ').count();
    let counts: Vec<usize> = solid.iter().map(|l| points(l)).collect();
    assert_eq!(counts, [1, 3, 3, 3, 3, 2, 3, 3], "in the run's model order");

    let texts = svg_texts(&svg);
    let has = |t: &str| texts.iter().any(|(_, _, s)| s == t);
    for m in MODELS {
        assert!(has(m), "{m} in the legend: {texts:?}");
    }
    assert!(has("RSS") && has("RSS + kernel"), "the line styles in the legend");
    assert!(texts.iter().any(|(_, _, s)| s.starts_with("N (tasks)") && s.contains("log scale")));
    assert!(texts.iter().any(|(_, _, s)| s.contains("per live task, bytes (log scale)")));
    // Log axes: the ticks 10k, 100k, 1M equally far apart across; each power-of-two tick equally far up.
    let x: Vec<f64> = ["10k", "100k", "1M"].iter().map(|t| texts.iter().find(|(_, _, s)| s == t).unwrap().0).collect();
    assert!(((x[1] - x[0]) - (x[2] - x[1])).abs() < 0.2, "{x:?}");
    let y: Vec<f64> = texts.iter().filter(|(_, _, s)| s.ends_with(" B") || s.ends_with(" KiB")).map(|t| t.1).collect();
    assert!(y.len() >= 4, "{texts:?}");
    let steps: Vec<f64> = y.windows(2).map(|w| w[0] - w[1]).collect();
    assert!(steps.iter().all(|d| *d > 10.0 && (d - steps[0]).abs() < 0.2), "ticks a power of two apart: {y:?}");

    // Without kernel cells, no dashed line and no style legend.
    let g = fixture(1.0, 0.01);
    let r = run::load(&run::save(&opts(&g, "a"), fake_machine("m", "6.8.0")).unwrap().path).unwrap();
    let c = table::read(std::slice::from_ref(&r), &DiffRule::default()).unwrap();
    let svg = findings::chart_svg(&r, &c).unwrap();
    assert_eq!(svg.matches("<polyline ").count(), MODELS.len());
    assert!(!svg.contains("<polyline points=\"\" ") && !svg_texts(&svg).iter().any(|t| t.2 == "RSS + kernel"));
    assert!(!svg.split("<polyline ").skip(1).any(|l| l[..l.find("/>").unwrap()].contains("stroke-dasharray")));
}

/// A committed run: the first of the A/A pair.
fn aa1_run() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("results/amd-epyc-2c-24g/2026-11-27T1323Z-aa1")
}

/// Fails on: findings with figures that are not the run's medians (typed, read from the wrong cell, or the
/// mean instead of the median). The expected figures are typed: the medians of the per-iteration values in
/// each cell's Criterion `sample.json`, computed outside taskbench (times / iters, over N for time).
#[test]
fn findings_carry_the_committed_runs_figures() {
    let r = run::load(&aa1_run()).unwrap();
    let c = table::read(std::slice::from_ref(&r), &DiffRule::default()).unwrap();
    let bullets = findings::bullets(&c);
    assert!((3..=6).contains(&bullets.len()), "{bullets:?}");
    let said = |text: &str| assert!(bullets.iter().any(|b| b.contains(text)), "{text:?} in none of {bullets:#?}");
    said("from 197 B of RSS (floor"); // rss_per_task/floor/1000000: 196.77
    said("the cheapest runtime is smol, at 226 B"); // rss_per_task/smol/1000000: 225.94
    said("A live goroutine takes 2,726 B of RSS at 10^6"); // 2725.88
    said("a 2,048 B stack"); // heap_per_task/goroutine-stack/1000000: 2048.03
    said("thread takes 8,773 B of RSS"); // rss_per_task/thread/10000: 8772.61
    said("170 ns per task (async-std)"); // spawn/async-std/100000: 169.80
}

/// Fails on: the other languages' sentence missing, reading another row's or another group's cell, or not
/// placing them against a goroutine and the floor at the same N. Their cells are added to a fake run by hand.
#[test]
fn findings_place_the_other_languages_against_goroutines_and_the_floor() {
    let f = fixture(1.0, 0.01);
    let mut r = run::load(&run::save(&opts(&f, "a"), fake_machine("m", "6.8.0")).unwrap().path).unwrap();
    for (group, model, value) in [
        ("rss_per_task", "java-vthread", 1288.0),
        ("heap_per_task", "java-vthread", 747.0),
        ("spawn", "java-vthread", 512.0),
        ("rss_per_task", "erlang", 3223.0),
        ("heap_per_task", "erlang", 2724.0),
        ("spawn", "erlang", 1500.0),
    ] {
        let mut b = r.summary.bench(&format!("{group}/goroutine/1000000")).unwrap().clone();
        (b.id, b.model) = (format!("{group}/{model}/1000000"), model.to_string());
        b.per_task = Interval { point: value, lower: value, upper: value, ..b.per_task };
        b.mean_per_task = b.per_task;
        r.summary.benchmarks.push(b);
    }
    let c = table::read(std::slice::from_ref(&r), &DiffRule::default()).unwrap();
    let bullets = findings::bullets(&c);
    let said = bullets.iter().find(|b| b.contains("java-vthread")).unwrap_or_else(|| panic!("{bullets:#?}"));
    // The fixture's goroutine (8th model) and floor (7th): 300 · 8 · 1.6 = 3,840 B and 300 · 7 · 1.6 = 3,360 B
    // of RSS at 10^6; goroutine's spawn 100 · 8 · 1.6 = 1,280 ns.
    assert_eq!(
        said,
        "At 10^6 live tasks, a Java virtual thread (`java-vthread`) takes 1,288 B of RSS (747 B of its runtime's \
         heap) and an Erlang (BEAM) process (`erlang`) 3,223 B (2,724 B of its runtime's heap), against 3,840 B for \
         a goroutine and 3,360 B for the floor; a warm spawn there takes 512 ns (java-vthread), 1,500 ns (erlang) \
         and 1,280 ns (goroutine)."
    );
}

/// Fails on: `readme --check` passing while the chart or the findings are not what the run generates.
#[test]
fn binary_readme_check_fails_on_a_stale_chart_or_stale_findings() {
    let f = fixture(1.0, 0.01);
    assert_eq!(taskbench(&f.root, &["save", "--name", "a", "--machine", "m"]).0, 0);
    fs::write(f.root.join("README.md"), format!("x\n{MARKERS}")).unwrap();
    let svg = f.results.join("m/a").join(findings::CHART_FILE);
    let check = || taskbench(&f.root, &["readme", "results/m/a", "--check"]);
    let (code, _, err) = check();
    assert_ne!(code, 0);
    assert!(err.contains("README.md (its generated sections)") && err.contains("memory.svg (missing)"), "{err}");
    assert!(!svg.exists(), "--check wrote the chart");
    let (code, _, err) = taskbench(&f.root, &["readme", "results/m/a"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = check();
    assert_eq!(code, 0, "{err}");
    let readme = fs::read_to_string(f.root.join("README.md")).unwrap();
    assert!(readme.contains("](results/m/a/memory.svg)"), "the chart linked from the README: {readme}");

    // The chart edited, then gone.
    let good = fs::read_to_string(&svg).unwrap();
    fs::write(&svg, good.replace("#1f77b4", "#000000")).unwrap();
    let (code, _, err) = check();
    assert!(code != 0 && err.contains("memory.svg (the chart)") && !err.contains("README.md"), "{err}");
    fs::remove_file(&svg).unwrap();
    let (code, _, err) = check();
    assert!(code != 0 && err.contains("memory.svg (missing)"), "{err}");
    assert_eq!(taskbench(&f.root, &["readme", "results/m/a"]).0, 0);
    assert_eq!(fs::read_to_string(&svg).unwrap(), good);

    // A finding edited by hand.
    let begin = readme.find("\n- ").unwrap() + 3;
    fs::write(f.root.join("README.md"), format!("{}At 10^9{}", &readme[..begin], &readme[begin + 7..])).unwrap();
    let (code, _, err) = check();
    assert!(code != 0 && err.contains("README.md (its generated sections)") && !err.contains("memory.svg"), "{err}");

    // The run changed under both: a figure of the chart and of the findings.
    assert_eq!(taskbench(&f.root, &["readme", "results/m/a"]).0, 0);
    let summary = f.results.join("m/a/summary.json");
    let text = fs::read_to_string(&summary).unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
    for b in json["benchmarks"].as_array_mut().unwrap() {
        if b["group"] == "rss_per_task" {
            let v = b["per_task"]["point"].as_f64().unwrap();
            b["per_task"]["point"] = json!(v * 2.0);
        }
    }
    fs::write(&summary, serde_json::to_string_pretty(&json).unwrap()).unwrap();
    let (code, _, err) = check();
    assert!(code != 0 && err.contains("README.md") && err.contains("memory.svg (the chart)"), "{err}");
}

#[test]
fn critcmp_export_holds_only_time_groups() {
    let f = fixture(1.0, 0.01);
    let path = run::save(&opts(&f, "a"), fake_machine("m", "6.8.0")).unwrap().path;
    let r = run::load(&path).unwrap();
    let (text, left_out) = export::export(&r, export::ExportFormat::Critcmp, None).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["name"], "a");
    let b = &v["benchmarks"]["spawn/tokio-mt/10000"];
    assert_eq!(b["fullname"], "a/spawn/tokio-mt/10000");
    assert_eq!(b["criterion_benchmark_v1"]["function_id"], "tokio-mt");
    assert!(b["criterion_estimates_v1"]["mean"]["point_estimate"].is_number());
    assert!(v["benchmarks"].get("heap_per_task/tokio-mt/10000").is_none());
    assert!(v["benchmarks"].get("spawn_join_cold/tokio-mt/10000").is_some(), "cold groups are time groups");
    assert_eq!(left_out.len(), 2);
    let (bencher, _) = export::export(&r, export::ExportFormat::Bencher, None).unwrap();
    assert!(bencher.lines().all(|l| l.starts_with("test spawn") && l.contains(" ns/iter (+/- ")), "{bencher}");
}

// ---- bad input: each names the file and the problem, and writes nothing ----

#[test]
fn save_without_criterion_output_says_run_cargo_bench() {
    let tmp = tempfile::tempdir().unwrap();
    let o = SaveOptions {
        criterion_home: tmp.path().join("target/criterion"),
        records_dir: tmp.path().join("target/taskbench"),
        results_dir: tmp.path().join("results"),
        name: None,
        label: None,
        machine_name: None,
        force: false,
    };
    let e = err_text(run::save(&o, fake_machine("m", "6.8.0")));
    assert!(e.contains("target/criterion") && e.contains("cargo bench"), "{e}");
    assert!(!tmp.path().join("results").exists());
}

#[test]
fn save_with_corrupt_or_truncated_criterion_file_names_it() {
    for (content, expect) in [("{\"mean\": {\"confid", "truncated"), ("{]", "corrupt"), ("[1, 2]", "unexpected")] {
        let f = fixture(1.0, 0.01);
        let bad = f.criterion.join("spawn/tokio-mt/10000/new/estimates.json");
        fs::write(&bad, content).unwrap();
        let e = err_text(run::save(&opts(&f, "a"), fake_machine("m", "6.8.0")));
        assert!(e.contains(&bad.display().to_string()) && e.contains(expect), "{e}");
        assert!(!f.results.exists(), "nothing written");
    }
    let f = fixture(1.0, 0.01);
    let bad = f.records.join("cells/spawn/smol/10000.json");
    fs::write(&bad, "{\"group\": \"spawn\",").unwrap();
    let e = err_text(run::save(&opts(&f, "a"), fake_machine("m", "6.8.0")));
    assert!(e.contains(&bad.display().to_string()) && e.contains("truncated"), "{e}");
    assert!(!f.results.exists(), "nothing written");
}

#[test]
fn loading_bad_run_folders_names_the_file_and_the_problem() {
    let f = fixture(1.0, 0.01);
    let path = run::save(&opts(&f, "a"), fake_machine("m", "6.8.0")).unwrap().path;
    let summary = path.join("summary.json");
    let machine = path.join("machine.json");
    let good = fs::read_to_string(&summary).unwrap();

    let e = err_text(run::load(&f.root.join("results/m/nope")));
    assert!(e.contains("results/m/nope") && e.contains("no such run folder"), "{e}");

    let e = err_text(run::load(&f.results.join("m")));
    assert!(e.contains("machine folder") && e.contains(": a"), "{e}");

    fs::write(&summary, &good[..good.len() / 2]).unwrap();
    let e = err_text(run::load(&path));
    assert!(e.contains(&summary.display().to_string()) && e.contains("truncated"), "{e}");

    fs::write(&summary, "not json").unwrap();
    let e = err_text(run::load(&path));
    assert!(e.contains("summary.json") && e.contains("corrupt"), "{e}");

    for (schema, expect) in [("0", "unknown schema version 0"), ("\"one\"", "expected a whole number")] {
        fs::write(&summary, good.replacen("\"schema\": 3", &format!("\"schema\": {schema}"), 1)).unwrap();
        let e = err_text(run::load(&path));
        assert!(e.contains("summary.json") && e.contains(expect), "{e}");
    }

    fs::write(&summary, good.replacen("\"schema\": 3", "\"schema\": 4", 1)).unwrap();
    let e = err_text(run::load(&path));
    assert!(e.contains("summary.json") && e.contains("newer taskbench") && e.contains("Upgrade"), "{e}");
    assert!(e.contains("versions 1 to 3"), "{e}");

    // A schema 3 file labelled 1 does not fit the old form: named, not guessed at.
    fs::write(&summary, good.replacen("\"schema\": 3", "\"schema\": 1", 1).replace("\"per_task\"", "\"x\"")).unwrap();
    let e = err_text(run::load(&path));
    assert!(e.contains("summary.json") && e.contains("schema version 1"), "{e}");

    fs::write(&summary, good.replacen("\"schema\": 3,", "", 1)).unwrap();
    let e = err_text(run::load(&path));
    assert!(e.contains("no \"schema\" field"), "{e}");

    fs::write(&summary, &good).unwrap();
    let m = fs::read_to_string(&machine).unwrap();
    fs::write(&machine, m.replacen("\"schema\": 1", "\"schema\": 7", 1)).unwrap();
    let e = err_text(run::load(&path));
    assert!(e.contains("machine.json") && e.contains("newer taskbench"), "{e}");

    fs::remove_file(&machine).unwrap();
    let e = err_text(run::load(&path));
    assert!(e.contains("machine.json") && e.contains("not found"), "{e}");
}

#[test]
fn comparing_runs_with_nothing_in_common_fails() {
    let a = fixture(1.0, 0.01);
    let run_a = run::save(&opts(&a, "a"), fake_machine("m", "6.8.0")).unwrap().path;
    let b = fixture(1.0, 0.01);
    let run_b = run::save(&opts(&b, "b"), fake_machine("m", "6.8.0")).unwrap().path;
    // Rewrite B's ids so none matches A's.
    let s = fs::read_to_string(run_b.join("summary.json")).unwrap();
    fs::write(
        run_b.join("summary.json"),
        s.replace("/10000\"", "/7\"").replace("/100000\"", "/8\"").replace("/1000000\"", "/9\""),
    )
    .unwrap();
    let runs = run::load_all(&[run_a, run_b]).unwrap();
    let e = err_text(table::read(&runs, &DiffRule::default()));
    assert!(e.contains("no benchmark in common"), "{e}");
    let out = a.root.join("r.html");
    assert!(report::write_report(&runs, &DiffRule::default(), &out, None).is_err());
    assert!(!out.exists(), "nothing written");
}

// ---- the binary: exit codes, messages, nothing written ----

fn taskbench(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_taskbench"))
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .env_remove("CRITERION_HOME")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn binary_save_compare_report_readme_end_to_end() {
    let f = fixture(1.0, 0.01);
    let (code, out, err) = taskbench(&f.root, &["save", "--name", "a", "--machine", "m"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("saved") && out.contains("results/m/a"), "{out}");
    let (code, _, err) = taskbench(&f.root, &["save", "--name", "a", "--machine", "m"]);
    assert_ne!(code, 0);
    assert!(err.contains("--force"), "{err}");
    let (code, out, _) = taskbench(&f.root, &["save", "--name", "a", "--machine", "m", "--force"]);
    assert_eq!(code, 0);
    assert!(out.contains("replaced"), "{out}");
    let (code, _, _) = taskbench(&f.root, &["save", "--name", "b", "--machine", "m"]);
    assert_eq!(code, 0);
    let m: Machine = serde_json::from_str(&fs::read_to_string(f.results.join("m/a/machine.json")).unwrap()).unwrap();
    assert!(m.logical_cores >= 1 && !m.kernel.is_empty() && m.date.ends_with('Z'));

    let (code, out, err) = taskbench(&f.root, &["compare", "results/m/a", "results/m/b", "--format", "markdown"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("**Machine differences** (read these before the numbers)\n\nNone."), "{out}");
    assert!(out.contains("| tokio-mt | 10000 |"), "{out}");
    let (code, out, _) = taskbench(&f.root, &["list"]);
    assert_eq!(code, 0);
    assert!(out.contains("results/m/a") && out.contains("results/m/b"), "{out}");

    let (code, out, err) =
        taskbench(&f.root, &["compare", "results/m/a", "results/m/b", "--min-effect", "2.5", "--format", "markdown"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("at least 2.5% (time groups) or 5% (memory groups)"), "{out}");

    let (code, _, err) =
        taskbench(&f.root, &["report", "results/m/a", "results/m/b", "--out", "report.html", "--min-effect", "20"]);
    assert_eq!(code, 0, "{err}");
    assert!(fs::read_to_string(f.root.join("report.html")).unwrap().contains("at least 20% (time groups)"));
    let (code, _, err) = taskbench(&f.root, &["report", "results/m/a", "results/m/b", "--out", "report.html"]);
    assert_eq!(code, 0, "{err}");
    assert!(fs::read_to_string(f.root.join("report.html")).unwrap().contains("<svg"));

    fs::write(f.root.join("README.md"), format!("x\n{MARKERS}")).unwrap();
    let (code, _, err) = taskbench(&f.root, &["readme", "results/m/a", "--check"]);
    assert_ne!(code, 0, "stale section fails --check");
    assert!(err.contains("README.md"), "{err}");
    let (code, _, err) = taskbench(&f.root, &["readme", "results/m/a"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, _) = taskbench(&f.root, &["readme", "results/m/a", "--check"]);
    assert_eq!(code, 0);

    let (code, out, _) = taskbench(&f.root, &["export", "results/m/a", "--format", "critcmp"]);
    assert_eq!(code, 0);
    assert!(out.contains("criterion_estimates_v1"));
}

#[test]
fn binary_bad_input_exits_nonzero_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (code, _, err) = taskbench(dir, &["save"]);
    assert_eq!(code, 1);
    assert!(err.contains("target/criterion") && err.contains("cargo bench"), "{err}");
    assert!(!dir.join("results").exists());

    let (code, _, err) = taskbench(dir, &["compare", "missing-a", "missing-b"]);
    assert_eq!(code, 1);
    assert!(err.contains("missing-a") && err.contains("no such run folder"), "{err}");

    let (code, _, err) = taskbench(dir, &["report", "missing-a", "--out", "r.html"]);
    assert_eq!(code, 1);
    assert!(err.contains("missing-a"), "{err}");
    assert!(!dir.join("r.html").exists());

    let f = fixture(1.0, 0.01);
    let (code, _, _) = taskbench(&f.root, &["save", "--name", "a", "--machine", "m"]);
    assert_eq!(code, 0);
    fs::write(f.results.join("m/a/summary.json"), "{\"schema\": 1, \"taskbench_version\": ").unwrap();
    let before = files_under(&f.root);
    let (code, _, err) = taskbench(&f.root, &["report", "results/m/a", "--out", "r.html"]);
    assert_eq!(code, 1);
    assert!(err.contains("results/m/a/summary.json") && err.contains("truncated"), "{err}");
    assert!(!f.root.join("r.html").exists());
    let (code, _, err) = taskbench(&f.root, &["readme", "results/m/a", "--readme", "NOPE.md"]);
    assert_eq!(code, 1);
    assert!(err.contains("summary.json"), "the run is checked first: {err}");
    let (code, _, err) = taskbench(&f.root, &["compare", "results/m/a", "results/m/a", "--out", "c.md"]);
    assert_eq!(code, 1);
    assert!(err.contains("summary.json"), "{err}");
    let (code, _, err) = taskbench(&f.root, &["export", "results/m/a", "--format", "critcmp", "--out", "x.json"]);
    assert_eq!(code, 1);
    assert!(err.contains("truncated"), "{err}");
    assert_eq!(files_under(&f.root), before, "nothing written by failed commands");

    // clap: unknown flags, missing arguments and a single run to compare are usage errors.
    for args in [
        &["save", "--bogus"][..],
        &["compare", "only-one"],
        &["report", "x"],
        &["compare", "a", "b", "--format", "html"],
        &["compare", "a", "b", "--min-effect", "ten"],
        &["compare", "a", "b", "--min-effect=-5"],
        &["report", "a", "--out", "r.html", "--min-effect", "NaN"],
    ] {
        let (code, _, err) = taskbench(dir, args);
        assert_eq!(code, 2, "{args:?}: {err}");
    }
    let (code, out, _) = taskbench(dir, &["--help"]);
    assert_eq!(code, 0);
    for sub in ["limits", "save", "compare", "report", "readme", "export"] {
        assert!(out.contains(sub), "--help lists {sub}");
    }
    let (code, out, _) = taskbench(dir, &["compare", "--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("--min-effect") && out.contains("Mann–Whitney") && out.contains("same commit"), "{out}");
}

fn build(commit: &str) -> taskbench::provenance::Build {
    taskbench::provenance::Build {
        commit: Some(commit.to_string()),
        dirty: Some(false),
        rustc: Some("rustc 1.95.0".to_string()),
        lock_hash: Some("00112233aabbccdd".to_string()),
        probe: None,
    }
}

/// Every cell record of the fixture rewritten to name `build`.
fn stamp_records(f: &Fixture, build_of: impl Fn(&CellRecord) -> taskbench::provenance::Build) {
    for mut cell in taskbench::record::read_cells(&f.records).unwrap() {
        cell.build = Some(build_of(&cell));
        write_cell(&f.records, &cell).unwrap();
    }
}

/// Fails on: `save` naming the checkout at save time (the machine's `git_commit`) instead of the build in
/// the cell records, or dropping the per-cell build from summary.json.
#[test]
fn a_run_names_the_build_that_measured_it_not_the_checkout_at_save_time() {
    let f = fixture(1.0, 0.01);
    stamp_records(&f, |_| build("aaaaaaaaaaaaaaaaaaaa"));
    // fake_machine's checkout is 0123456789abcdef: a later commit than the one that measured.
    let saved = run::save(&opts(&f, "one-build"), fake_machine("m", "6.8.0")).unwrap();
    assert!(saved.mixed_builds.is_none());
    let r = run::load(&saved.path).unwrap();
    assert_eq!(r.machine.git_commit.as_deref(), Some("aaaaaaaaaaaaaaaaaaaa"));
    assert!(r.summary.benchmarks.iter().all(|b| b.build == Some(build("aaaaaaaaaaaaaaaaaaaa"))));
    assert_eq!(r.builds().describe(), "commit aaaaaaaaaaaa, rustc 1.95.0, Cargo.lock 00112233aabbccdd");
    let text = text::render(&table::read(&[r], &DiffRule::default()).unwrap(), Format::Terminal);
    assert!(text.contains(". Build: commit aaaaaaaaaaaa, rustc 1.95.0, Cargo.lock 00112233aabbccdd.\n"), "{text}");
}

/// Fails on: a mixed run reported as one build, or the line not naming which cells came from which build.
#[test]
fn a_run_from_two_builds_is_reported_as_mixed_naming_the_cells() {
    let f = fixture(1.0, 0.01);
    let goroutine_heap = "heap_per_task/goroutine/10000";
    stamp_records(&f, |c| build(if c.id == goroutine_heap { "bbbbbbbbbbbbbbbb" } else { "aaaaaaaaaaaaaaaa" }));
    let saved = run::save(&opts(&f, "two-builds"), fake_machine("m", "6.8.0")).unwrap();
    let line = saved.mixed_builds.expect("two builds are named");
    assert!(line.starts_with("the cells come from more than one build: 2 builds: commit aaaaaaaaaaaa"), "{line}");
    assert!(line.contains("measured spawn (all 21 cells), spawn_cold (all 21 cells)"), "{line}");
    assert!(
        line.contains(
            "commit bbbbbbbbbbbb, rustc 1.95.0, Cargo.lock 00112233aabbccdd measured heap_per_task/goroutine/10000"
        ),
        "{line}"
    );
    let r = run::load(&saved.path).unwrap();
    assert_eq!(r.machine.git_commit, None, "no single commit measured the run");
    let (code, out, err) = taskbench(&f.root, &["save", "--name", "two-too", "--machine", "m"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("the cells come from more than one build: 2 builds"), "{out}");
}

/// Fails on: a probe's build, which measured every cell of its rows, named cell by cell (hundreds of ids on
/// one line) instead of by its rows, or the other build not said to be the rest.
#[test]
fn a_probes_build_is_named_by_its_rows() {
    let f = fixture(1.0, 0.01);
    stamp_records(&f, |c| build(if c.model == "goroutine" { "bbbbbbbbbbbbbbbb" } else { "aaaaaaaaaaaaaaaa" }));
    let saved = run::save(&opts(&f, "probe-rows"), fake_machine("m", "6.8.0")).unwrap();
    let line = saved.mixed_builds.expect("two builds are named");
    let goroutine_cells =
        run::load(&saved.path).unwrap().summary.benchmarks.iter().filter(|b| b.model == "goroutine").count();
    assert!(line.contains(&format!("measured every cell of goroutine ({goroutine_cells} cells)")), "{line}");
    assert!(line.contains("measured every cell but those of goroutine ("), "{line}");
}

/// Fails on: the main build of a run with four probe rows (Go's three and Java's, as the 12-04 16:37 run has)
/// named cell by cell: it measured every cell but the probes', and says so in one clause.
#[test]
fn the_main_build_beside_several_probes_is_named_by_the_rows_it_did_not_measure() {
    let rows: Vec<String> = (0..10).map(|i| format!("rust{i}")).collect();
    let ids = |models: &[&str]| -> Vec<String> {
        models.iter().flat_map(|m| ["spawn", "rss_per_task"].map(|g| format!("{g}/{m}/10000"))).collect()
    };
    let main: Vec<&str> = rows.iter().map(String::as_str).collect();
    let probe = |hash: &str| {
        Some(taskbench::provenance::Build {
            probe: Some(taskbench::provenance::ProbeBuild { hash: hash.into(), toolchain: "t".into() }),
            ..build("aaaaaaaaaaaaaaaa")
        })
    };
    let builds = run::Builds::Measured(vec![
        (Some(build("aaaaaaaaaaaaaaaa")), ids(&main)),
        (probe("1111"), ids(&["goroutine", "goroutine-stack", "goroutine-seed-method"])),
        (probe("2222"), ids(&["java-vthread"])),
    ]);
    let line = builds.describe();
    assert!(
        line.contains("measured every cell but those of goroutine, goroutine-seed-method, goroutine-stack, java-vthread (20 cells)"),
        "{line}"
    );
    assert!(line.contains("measured every cell of java-vthread (2 cells)"), "{line}");
}

/// Fails on: an old run (no build in its cells) claiming a measuring build, or not saying where its commit
/// comes from.
#[test]
fn an_old_run_says_its_build_is_the_save_time_checkout() {
    let r = run::load(&committed_run()).unwrap();
    let said = r.builds().describe();
    assert!(said.starts_with("the save-time checkout, commit "), "{said}");
    assert!(said.contains("do not name the build"), "{said}");
}

fn committed(name: &str) -> run::Run {
    run::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("results/amd-epyc-2c-24g").join(name)).unwrap()
}

/// Fails on: the stability table counted one-sidedly (|r − 1| instead of max(r, 1/r): 29 becomes 32 warm
/// cells within 15%), cells put under the wrong temperature, or the marks not counted. The expected counts
/// were computed outside taskbench from the two runs' summary.json files (Python, max(r, 1/r) of the
/// medians); the marks are compare's (5 of 92 timing cells, 1 memory cell).
#[test]
fn the_stability_section_counts_the_committed_a_a_pair_symmetrically() {
    let s = Stability { aa: vec![[committed("2026-11-27T1323Z-aa1"), committed("2026-11-27T1341Z-aa2")]], ab: None };
    let text = stability::section(&s, "taskbench readme x").unwrap();
    for row in [
        "| warm timing (46) | 29 | 37 | 4 | 2.34× (spawn/goroutine/10000), 1.80× (spawn/floor/1000000)",
        "| cold timing (46) | 41 | 42 | 1 | 1.44× (spawn_cold/tokio-mt/100000)",
        "| memory (60) | 59 | 60 | 1 | 1.22× (heap_per_task/goroutine-seed-method/10000)",
    ] {
        assert!(text.contains(row), "{row}\nnot in\n{text}");
    }
    assert!(text.contains("at least 25% for time or 5% for memory"), "{text}");
}

/// Fails on: the paired ratios' moves between an A/A pair counted one-sidedly, taken from the medians instead
/// of the per-round ratios, or a reference row counted against itself (163 would become 173 and more). The
/// expected counts and worst cells are the experiment's own script's (`aa.py`, Python, on the two
/// summary.json files: `results/amd-epyc-2c-24g/experiments/2026-12-04-aa-an-hour-apart/aa.txt`).
#[test]
fn the_stability_section_counts_how_far_the_paired_ratios_moved_between_the_hour_apart_pair() {
    let s =
        Stability { aa: vec![[committed("2026-12-04T1855Z-full"), committed("2026-12-04T1936Z-aa-timing")]], ab: None };
    let text = stability::section(&s, "taskbench readme x").unwrap();
    assert!(text.contains("\nTwo runs of one build on one machine (`"), "{text}");
    for row in [
        "| paired ratio to floor (163) | 70 | ",
        " | — | 2.49× (spawn/smol-local/10000), 2.25× (spawn/tokio-local/10000), 2.16× (handoff/java-vthread/100000) |",
        "| paired ratio to tokio-ct (163) | 120 | ",
        " | — | 3.31× (handoff/java-vthread/100000), 2.77× (handoff/async-std/2), 1.76× (spawn/floor/10000) |",
    ] {
        assert!(text.contains(row), "{row}\nnot in\n{text}");
    }
}

/// Fails on: a pair of runs measured by two builds called "of one build" (the section said so of every pair).
#[test]
fn the_stability_section_names_the_two_builds_of_a_pair_that_has_two() {
    let s = Stability { aa: vec![[committed("2026-12-04T2213Z-full"), committed("2026-12-05T0006Z-full")]], ab: None };
    let text = stability::section(&s, "taskbench readme x").unwrap();
    let expected = "Two runs of two builds (commit 54f31f043f2b, then b361ac5ca823) on one machine";
    assert!(text.contains(expected), "{text}");
}

/// Fails on: `readme --check` passing with a stale stability section, or a README with that section
/// regenerated without its runs.
#[test]
fn readme_check_covers_the_stability_section() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("README.md");
    let markers = [findings::BEGIN, findings::END, readme::BEGIN, readme::END, stability::BEGIN, stability::END];
    fs::write(&file, markers.join("\n") + "\n").unwrap();
    let main = committed("2026-11-27T1722Z-full-10m-state");
    let s = Stability { aa: vec![[committed("2026-11-27T1323Z-aa1"), committed("2026-11-27T1341Z-aa2")]], ab: None };
    readme::update_with(&file, &main, Some(&s), false).unwrap();
    assert_eq!(readme::update_with(&file, &main, Some(&s), true).unwrap(), readme::Outcome::AlreadyCurrent);
    let text = fs::read_to_string(&file).unwrap();
    fs::write(&file, text.replace("| memory (60) | 59 |", "| memory (60) | 58 |")).unwrap();
    let e = readme::update_with(&file, &main, Some(&s), true).unwrap_err().to_string();
    assert!(e.contains("--aa") && e.contains("run it to update"), "{e}");
    let e = readme::update_with(&file, &main, None, true).unwrap_err().to_string();
    assert!(e.contains("stability section") && e.contains("--aa RUN_A RUN_B"), "{e}");
}
