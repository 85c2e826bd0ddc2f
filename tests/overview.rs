//! The overview page every bench binary leaves in Criterion's folder (`<criterion home>/taskbench.html`), end
//! to end: this binary acts as a bench binary (`harness::bench_main`, the real floor model at N = 100, its cells
//! served by child processes of this binary) with the settings under test, in a temporary Criterion home.
//!
//! `harness = false` (Cargo.toml): a bench binary re-executes itself for each cell without arguments, which
//! a libtest binary would answer by running every test.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use criterion::Criterion;
use taskbench::catalogue;
use taskbench::harness::criterion_setup::criterion_config;
use taskbench::harness::experiments::{spawn_join_ns, spawn_ns};
use taskbench::harness::{bench_main, GroupSpec};
use taskbench::results::format::{esc, human};
use taskbench::results::overview;
use taskbench::results::summary::gather;

/// Set to a group's name: this process is that group's bench binary.
const ACT_AS_BENCH: &str = "TASKBENCH_TEST_ACT_AS_BENCH";

const SPAWN: GroupSpec = GroupSpec::of(&catalogue::SPAWN);
const SPAWN_JOIN: GroupSpec = GroupSpec::of(&catalogue::SPAWN_JOIN);

fn main() {
    if let Ok(group) = std::env::var(ACT_AS_BENCH) {
        let (spec, measure) =
            if group == SPAWN.name() { (&SPAWN, spawn_ns as _) } else { (&SPAWN_JOIN, spawn_join_ns as _) };
        bench_main(spec, &[], measure, || criterion_config(Criterion::default()));
        return;
    }
    if std::env::args().any(|a| a == "--list") {
        println!("overview: test");
        return;
    }
    let tests: [(&str, fn()); 3] = [
        ("a_bench_run_writes_the_overview_of_every_group_measured_so_far", a_bench_run_writes_the_overview),
        ("runs_that_measure_nothing_write_no_overview", runs_that_measure_nothing_write_no_overview),
        ("a_page_that_cannot_be_written_is_a_warning_not_a_failed_bench", a_page_that_cannot_be_written_is_a_warning),
    ];
    for (name, test) in tests {
        println!("test {name} ...");
        test();
        println!("test {name} ... ok");
    }
}

/// Runs this binary as `group`'s bench with `args`, the floor model at N = 100, into `home`'s Criterion folder.
fn bench(home: &Path, group: &str, args: &[&str]) -> Output {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(args)
        .env(ACT_AS_BENCH, group)
        .env("CRITERION_HOME", home.join("criterion"))
        .env("TASKBENCH_N", "100")
        .env("TASKBENCH_MODELS", "floor")
        .env_remove("TASKBENCH_CELL_BUDGET_S")
        .output()
        .expect("running this binary as a bench");
    assert!(out.status.success(), "{group} {args:?} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    out
}

fn last_line(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).lines().rev().find(|l| !l.trim().is_empty()).unwrap_or_default().to_string()
}

fn page(home: &Path) -> PathBuf {
    home.join("criterion").join(overview::PAGE)
}

/// Fails on: no page after a bench; a page at another place than the Criterion home the bench used; the
/// path not said last; a page of this binary's group alone; a page without the cells' figures or without
/// working links to Criterion's pages.
fn a_bench_run_writes_the_overview() {
    let home = tempfile::tempdir().unwrap();
    let out = bench(home.path(), "spawn", &["--bench"]);
    let page = page(home.path());
    assert_eq!(
        last_line(&out),
        format!("taskbench: overview of every cell measured so far: {}", page.display()),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Another group's binary: its page holds both groups.
    let out = bench(home.path(), "spawn_join", &["--bench"]);
    assert!(last_line(&out).ends_with(&page.display().to_string()));
    let html = std::fs::read_to_string(&page).unwrap();
    // Where Criterion's wording is wrong and cannot be changed, the page says so once (issue 20).
    assert_eq!(html.matches(&esc(overview::CRITERION_LABELS)).count(), 1, "{html}");
    let g = gather(&home.path().join("criterion"), &home.path().join("taskbench")).unwrap();
    assert_eq!(g.summary.benchmarks.len(), 2, "{:?}", g.summary.benchmarks);
    for b in &g.summary.benchmarks {
        assert!(html.contains(&format!("<section id=\"{}\">", b.group)), "{} section", b.group);
        let figure = format!("\">{} ±", human(b.per_task.point, b.group().measures));
        assert!(html.contains(&figure), "{}: {figure} not on the page", b.id);
        let link = format!("href=\"{}/floor/100/report/index.html\"", b.group);
        assert!(html.contains(&link), "{}: no link {link}", b.id);
        assert!(home.path().join("criterion").join(&b.group).join("floor/100/report/index.html").is_file());
    }
}

/// Fails on: a page written by a run that measured nothing: `--list`, and Criterion's test mode (`cargo test
/// --benches` runs a bench without `--bench`).
fn runs_that_measure_nothing_write_no_overview() {
    let home = tempfile::tempdir().unwrap();
    for args in [&["--bench", "--list"][..], &[]] {
        let out = bench(home.path(), "spawn_join", args);
        assert!(!page(home.path()).exists(), "{args:?} wrote the page");
        assert!(!String::from_utf8_lossy(&out.stderr).contains("overview"), "{args:?} spoke of an overview");
    }
}

/// Fails on: a bench that fails (or panics) because its overview could not be written.
fn a_page_that_cannot_be_written_is_a_warning() {
    let home = tempfile::tempdir().unwrap();
    // A folder where the page goes: the rename onto it fails.
    std::fs::create_dir_all(page(home.path()).join("in-the-way")).unwrap();
    let out = bench(home.path(), "spawn_join", &["--bench"]);
    let line = last_line(&out);
    assert!(
        line.starts_with(&format!(
            "taskbench: warning: could not write the overview page {}",
            page(home.path()).display()
        )),
        "{line}"
    );
}
