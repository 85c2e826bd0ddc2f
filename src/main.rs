//! `taskbench`: the command line around the benches. `cargo bench` measures; this checks the machine's
//! limits first, then saves, compares and reports runs. The work is in [`taskbench::results`]; this file only
//! parses arguments and prints.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use taskbench::files::write_atomic;
use taskbench::limits::{max_tasks, Snapshot};
use taskbench::record::{criterion_home, records_dir};
use taskbench::results::machine::{project_dir, Machine};
use taskbench::results::noise::{DiffRule, DEFAULT_MEMORY_MIN_EFFECT};
use taskbench::results::stability::Stability;
use taskbench::results::{export, findings, page, readme, report, run, table, text};

#[derive(Parser)]
#[command(
    name = "taskbench",
    version,
    about = "What does a task cost? Save, compare and report taskbench runs.",
    long_about = "What does a task cost? Spawn latency and bytes per live task across Rust runtimes, threads, \
                  coroutines and goroutines.\n\n\
                  Measure with `cargo bench`, then use this tool to keep the run (`save`), set runs from \
                  different machines or settings side by side (`compare`, `report`), and regenerate the README's \
                  results (`readme`).\n\n\
                  Typical use:\n  taskbench limits\n  cargo bench\n  taskbench save --label default\n  \
                  taskbench compare results/<machine>/<run-a> results/<machine>/<run-b>\n  \
                  taskbench report results/<machine>/<run-a> results/<machine>/<run-b> --out report.html"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check this machine's kernel limits against what each model needs at each N, and show the cell time
    /// budget with the latest cell times, before running benches.
    Limits,
    /// Save the last `cargo bench` run as results/<machine>/<run>/ (machine.json, summary.json, Criterion files).
    #[command(long_about = "Save the last `cargo bench` run as results/<machine>/<run>/.\n\n\
        Reads Criterion's output (target/criterion, or $CRITERION_HOME, or $CARGO_TARGET_DIR/criterion) and the \
        records the benches leave in target/taskbench/cells/ (one per group/model/N cell, written as the cell \
        finishes; for each cell the latest run's), and writes machine.json (CPU, cores, memory, kernel, \
        THP, limits, versions, commit, date), summary.json (one entry per group/model/N with the median per \
        task and its confidence interval, the mean, every sample's per-task value, flags, unit and sample count, \
        plus skipped benchmarks and model settings) and a copy of Criterion's estimates and samples. It prints \
        which cells came from which run (a run is one bench process, named by its start time), and warns when \
        a group mixes runs or lacks cells, e.g. after a filtered or interrupted `cargo bench`. The folder appears whole or not at all; an existing run is kept unless --force.")]
    Save {
        /// Run folder name [default: the UTC time the benches finished, e.g. 2026-11-26T2130Z].
        #[arg(long, conflicts_with = "label")]
        name: Option<String>,
        /// Appended to the default run name, e.g. --label 4workers → 2026-11-26T2130Z-4workers.
        #[arg(long)]
        label: Option<String>,
        /// Replace an existing run of the same name.
        #[arg(long)]
        force: bool,
        /// Where runs are kept.
        #[arg(long, default_value = "results")]
        results_dir: PathBuf,
        /// Machine folder name [default: CPU model, usable cores and memory, e.g. amd-epyc-2c-24g].
        #[arg(long)]
        machine: Option<String>,
        /// Criterion's output folder [default: $CRITERION_HOME, else $CARGO_TARGET_DIR/criterion, else target/criterion].
        #[arg(long)]
        criterion_dir: Option<PathBuf>,
        /// The benches' records [default: a taskbench folder beside Criterion's, e.g. target/taskbench].
        #[arg(long)]
        records_dir: Option<PathBuf>,
    },
    /// List the saved runs under results/.
    List {
        /// Where runs are kept.
        #[arg(long, default_value = "results")]
        results_dir: PathBuf,
    },
    /// Compare saved runs: machine differences first, then each benchmark's per-task median, ratio and noise test.
    #[command(long_about = "Compare saved runs (folders written by `taskbench save`), the first one as the \
        reference.\n\n\
        Prints each run's machine reference first (a fixed single-threaded workload and a cross-core wake, \
        read in every round of the interleaved timing groups) and how far it moved from the first run's, then \
        the machine differences (CPU, cores, memory, kernel, THP, limits, versions) and model configuration \
        differences, then per group, model and N each run's per-task value (ns/task or B/task, the median ± \
        half its confidence interval), the ratio of medians to the first run, ≠ where the difference is real, \
        ≈ref after it where a timing change lies within what the machine reference moved (the machine may \
        explain it), and ~ where a cell's samples split into two clusters or its mean and median differ by \
        more than 10%.\n\n\
        A difference is real when the two runs' per-sample values are separated by a two-sided Mann–Whitney U \
        test at p < 0.01 AND the medians differ by at least the minimum effect: --min-effect (default 25%) \
        for the time groups, 5% for the memory groups. Runs saved by an older taskbench keep no samples; \
        for them the test is replaced by non-overlapping confidence intervals of the medians.\n\n\
        critcmp: `taskbench export RUN --format critcmp` writes files `critcmp a.json b.json` reads; critcmp \
        assumes nanoseconds, so only the spawn groups are exported.")]
    Compare {
        /// Run folders, e.g. results/amd-epyc-2c-24g/2026-11-26T2130Z (two or more).
        #[arg(required = true, num_args = 2.., value_name = "RUN")]
        runs: Vec<PathBuf>,
        /// Aligned text for a terminal, or Markdown to paste into a post.
        #[arg(long, value_enum, default_value_t = Format::Terminal)]
        format: Format,
        /// Minimum difference of the medians, in percent, for a time group (ns/task) to be marked real [the
        /// memory groups use 5%]. Back-to-back runs of the same commit on the same 2-core machine moved 35 of
        /// 40 warm cells by less than 25% but some by up to 64% (the README shows the A/A runs), so smaller
        /// differences are not evidence even when the samples separate. Measure your machine's A/A noise
        /// before lowering it.
        #[arg(long, value_name = "PERCENT", default_value_t = 25.0, value_parser = parse_percent)]
        min_effect: f64,
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Write one self-contained HTML page (charts and tables) for one run or a comparison of several.
    #[command(long_about = "Write one self-contained HTML page for one run or a comparison of several: per \
        group a log-log chart of per-task cost against N (one line per model, one dash pattern per run), the \
        table beneath it, caveats, skipped benchmarks, and links to Criterion's detailed pages where \
        target/criterion still holds the run's data. No scripts, no network fetches.")]
    Report {
        /// Run folders; the first is the reference for ratios.
        #[arg(required = true, num_args = 1.., value_name = "RUN")]
        runs: Vec<PathBuf>,
        /// The HTML file to write.
        #[arg(long)]
        out: PathBuf,
        /// Minimum difference of the medians, in percent, for a time group (ns/task) to be marked real [the
        /// memory groups use 5%]. Back-to-back runs of the same commit on the same 2-core machine moved 35 of
        /// 40 warm cells by less than 25% but some by up to 64% (the README shows the A/A runs), so smaller
        /// differences are not evidence even when the samples separate. Measure your machine's A/A noise
        /// before lowering it.
        #[arg(long, value_name = "PERCENT", default_value_t = 25.0, value_parser = parse_percent)]
        min_effect: f64,
    },
    /// Regenerate the README's findings and results sections (between <!-- findings:begin --> and
    /// <!-- findings:end -->, <!-- results:begin --> and <!-- results:end -->) and the memory chart
    /// (memory.svg in the run's folder).
    Readme {
        /// The run folder the section is made from.
        run: PathBuf,
        /// The README to update.
        #[arg(long, default_value = "README.md")]
        readme: PathBuf,
        /// Write nothing; fail if a section or the chart is not what this run generates (for CI).
        #[arg(long)]
        check: bool,
        /// An A/A pair (two runs of one build on one machine) the stability section is made from; repeat it
        /// for another pair (e.g. one back to back, one an hour apart).
        #[arg(long, num_args = 2, value_names = ["RUN_A", "RUN_B"], action = clap::ArgAction::Append)]
        aa: Option<Vec<PathBuf>>,
        /// A run of the same build with one thing changed, which the section compares with each run of the
        /// first A/A pair.
        #[arg(long, requires = "aa")]
        ab: Option<PathBuf>,
    },
    /// Export a saved run's spawn timings for other tools: critcmp JSON or bencher lines.
    #[command(long_about = "Export a saved run's time groups (spawn, spawn_join) for other tools.\n\n\
        --format critcmp writes the JSON `critcmp --export` writes, so `critcmp a.json b.json` compares runs \
        from different machines (values are ns per iteration of N tasks). --format bencher writes libtest \
        bench lines (median ns/iter, +/- standard deviation), as Criterion's --output-format bencher does. \
        Memory groups are left out: both formats mean nanoseconds.")]
    Export {
        /// The run folder.
        run: PathBuf,
        /// critcmp: JSON that `critcmp a.json b.json` reads; bencher: libtest `ns/iter` lines.
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// Baseline name shown by critcmp [default: the run's name].
        #[arg(long)]
        name: Option<String>,
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Print what `save` records about this machine (machine.json).
    Machine,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Terminal,
    Markdown,
}

#[derive(Clone, Copy, ValueEnum)]
enum ExportFormat {
    Critcmp,
    Bencher,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run_command(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// A percentage from the command line: a finite number from 0 to 1000.
fn parse_percent(s: &str) -> std::result::Result<f64, String> {
    let v: f64 = s.trim_end_matches('%').parse().map_err(|_| format!("{s:?} is not a number of percent"))?;
    if !(0.0..=1000.0).contains(&v) {
        return Err(format!("{v} is not between 0 and 1000 percent"));
    }
    Ok(v)
}

/// The difference rule with `--min-effect` (percent) for the time groups.
fn diff_rule(min_effect_percent: f64) -> DiffRule {
    DiffRule { time_min_effect: min_effect_percent / 100.0, memory_min_effect: DEFAULT_MEMORY_MIN_EFFECT }
}

fn emit(text: &str, out: Option<&Path>) -> Result<()> {
    match out {
        Some(path) => {
            write_atomic(path, text.as_bytes())?;
            eprintln!("wrote {}", path.display());
        }
        None => print!("{text}"),
    }
    Ok(())
}

fn run_command(cmd: Command) -> Result<()> {
    match cmd {
        Command::Limits => {
            // A bad budget is a usage error, as it is for the benches (exit 2).
            let budget = taskbench::harness::budget::budget_from_env().unwrap_or_else(|e| {
                eprintln!("error: {e:#}");
                std::process::exit(2)
            });
            print_limits();
            println!();
            taskbench::harness::cell_times::print_report(budget)
        }
        Command::Save { name, label, force, results_dir, machine, criterion_dir, records_dir: records } => {
            let opts = run::SaveOptions {
                criterion_home: criterion_dir.unwrap_or_else(criterion_home),
                records_dir: records.unwrap_or_else(records_dir),
                results_dir,
                name,
                label,
                machine_name: machine,
                force,
            };
            save(&opts)
        }
        Command::List { results_dir } => {
            for path in run::list(&results_dir)? {
                match run::load(&path) {
                    Ok(r) => println!(
                        "{}  {} benchmarks  saved {}  {}",
                        path.display(),
                        r.summary.benchmarks.len(),
                        r.machine.date,
                        r.machine.one_line()
                    ),
                    Err(e) => println!("{}  unreadable: {e:#}", path.display()),
                }
            }
            Ok(())
        }
        Command::Compare { runs, format, out, min_effect } => {
            let loaded = run::load_all(&runs)?;
            let c = table::read(&loaded, &diff_rule(min_effect))?;
            let format = match format {
                Format::Terminal => page::Format::Terminal,
                Format::Markdown => page::Format::Markdown,
            };
            emit(&text::render(&c, format), out.as_deref())
        }
        Command::Report { runs, out, min_effect } => {
            let loaded = run::load_all(&runs)?;
            report::write_report(&loaded, &diff_rule(min_effect), &out, Some(&criterion_home()))?;
            println!("wrote {}", out.display());
            Ok(())
        }
        Command::Readme { run: path, readme: file, check, aa, ab } => readme_command(&path, &file, check, aa, ab),
        Command::Export { run: path, format, name, out } => {
            let r = run::load(&path)?;
            let format = match format {
                ExportFormat::Critcmp => export::ExportFormat::Critcmp,
                ExportFormat::Bencher => export::ExportFormat::Bencher,
            };
            let (text, left_out) = export::export(&r, format, name.as_deref())?;
            if !left_out.is_empty() {
                eprintln!("note: left out (not nanoseconds): {}", left_out.join(", "));
            }
            emit(&text, out.as_deref())
        }
        Command::Machine => {
            let m = Machine::collect(&project_dir());
            print!("{}", taskbench::files::to_json(&m).context("machine.json")?);
            Ok(())
        }
    }
}

/// `taskbench save`: the run folder, and what the user should hear about it.
fn save(opts: &run::SaveOptions) -> Result<()> {
    let saved = run::save(opts, Machine::collect(&project_dir()))?;
    for line in &saved.provenance {
        println!("{line}");
    }
    if let Some(line) = &saved.mixed_builds {
        println!("{line}");
    }
    for w in &saved.warnings {
        eprintln!("warning: {w}");
    }
    let notes: usize = saved.summary.groups.iter().map(|g| g.notes.len()).sum();
    if notes > 0 {
        println!("{notes} notes from the readings (a reading discarded, a figure's source), kept in summary.json");
    }
    let skipped: usize = saved.summary.groups.iter().map(|g| g.skipped.len()).sum();
    println!(
        "{} {}: {} benchmarks in {} groups, {skipped} skipped",
        if saved.replaced { "replaced" } else { "saved" },
        saved.path.display(),
        saved.summary.benchmarks.len(),
        saved.summary.groups.len()
    );
    Ok(())
}

/// `taskbench readme`: the generated sections of `file` from `path` (and the stability section's runs).
fn readme_command(path: &Path, file: &Path, check: bool, aa: Option<Vec<PathBuf>>, ab: Option<PathBuf>) -> Result<()> {
    let r = run::load(path)?;
    let stability = match aa {
        Some(runs) => Some(Stability {
            aa: runs.chunks(2).map(|p| Ok([run::load(&p[0])?, run::load(&p[1])?])).collect::<Result<_>>()?,
            ab: ab.as_deref().map(run::load).transpose()?,
        }),
        None => None,
    };
    let chart = path.join(findings::CHART_FILE);
    match readme::update_with(file, &r, stability.as_ref(), check)? {
        readme::Outcome::Updated => println!(
            "updated what was stale of the generated sections of {} and the chart {}",
            file.display(),
            chart.display()
        ),
        readme::Outcome::AlreadyCurrent => {
            println!("{}: the generated sections and the chart {} are current", file.display(), chart.display())
        }
    }
    Ok(())
}

/// `taskbench limits`: the machine's limits now, and for each model the largest N they hold and which binds.
fn print_limits() {
    let snap = Snapshot::live();
    let show = |v: Option<u64>| v.map_or("unknown".to_string(), |v| v.to_string());
    println!("Machine limits now:");
    println!(
        "  vm.max_map_count   {} ({} mappings in use by this process)",
        show(snap.max_map_count),
        snap.maps_in_use
    );
    println!("  kernel.pid_max     {} ({} threads running on the machine)", show(snap.pid_max), snap.threads_in_use);
    println!("  kernel.threads-max {}", show(snap.threads_max));
    println!("  RLIMIT_NPROC       {}", snap.nproc_limit.map_or("unlimited".into(), |v| v.to_string()));
    println!(
        "  cgroup pids        {}",
        snap.cgroup_pids.map_or("no limit".into(), |(m, c)| format!("{m} ({c} in use)"))
    );
    println!(
        "  MemAvailable       {} MiB",
        snap.mem_available_bytes.map_or("unknown".into(), |b| (b >> 20).to_string())
    );
    println!("  THP                {}", snap.thp.as_deref().unwrap_or("unknown"));
    println!();
    println!("{:<16} {:>12}  binding limit", "model", "largest N");
    for model in taskbench::models::registry() {
        if let Err(why) = model.available() {
            println!("{:<16} {:>12}  not available: {why}", model.name(), "-");
            continue;
        }
        match max_tasks(&model.needs(), &snap) {
            Some((n, limit)) => println!("{:<16} {:>12}  {}", model.name(), n, limit.name()),
            None => println!("{:<16} {:>12}  none known", model.name(), "unbounded"),
        }
    }
}
