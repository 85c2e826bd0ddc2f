//! The glue every bench binary shares: the N matrix, Criterion's settings, the preflight with its one-line
//! skips, and the record left beside Criterion's output. A bench file names its group and what one
//! iteration measures; this module runs it for every model in the registry at every N that fits.

use std::io::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use criterion::measurement::Measurement;
use criterion::{AxisScale, Bencher, BenchmarkId, Criterion, PlotConfiguration, SamplingMode, Throughput};
use regex::Regex;

use crate::limits::{self, Snapshot};
use crate::models::{self, TaskModel};
use crate::record::{records_dir, GroupRecord, ModelRecord, Skipped};

/// The N values measured when `TASKBENCH_N` is not set.
pub const DEFAULT_N: [usize; 3] = [10_000, 100_000, 1_000_000];

/// Parses a `TASKBENCH_N` value: comma-separated task counts, e.g. `1000,10000`.
pub fn parse_n_values(text: &str) -> Result<Vec<usize>> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let n: usize = part
            .replace('_', "")
            .parse()
            .with_context(|| format!("TASKBENCH_N: {part:?} is not a task count (expected e.g. 1000,10000)"))?;
        if n == 0 {
            bail!("TASKBENCH_N: a task count must be at least 1");
        }
        out.push(n);
    }
    if out.is_empty() {
        bail!("TASKBENCH_N is set but lists no task count (expected e.g. 1000,10000)");
    }
    Ok(out)
}

/// The N values for this run: `TASKBENCH_N` if set, else [`DEFAULT_N`].
pub fn n_values() -> Result<Vec<usize>> {
    match std::env::var("TASKBENCH_N") {
        Ok(text) => parse_n_values(&text),
        Err(_) => Ok(DEFAULT_N.to_vec()),
    }
}

/// The models for this run: `TASKBENCH_MODELS` (comma-separated names) if set, else the whole registry.
pub fn selected_models() -> Result<Vec<&'static dyn TaskModel>> {
    let Ok(text) = std::env::var("TASKBENCH_MODELS") else { return Ok(models::registry()) };
    text.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|name| {
            models::by_name(name).with_context(|| {
                let known: Vec<_> = models::registry().iter().map(|m| m.name()).collect();
                format!("TASKBENCH_MODELS: unknown model {name:?}; known: {}", known.join(", "))
            })
        })
        .collect()
}

/// Criterion's filter as given on the bench command line, so that skip lines are printed only for
/// benchmarks the user asked for. `None` runs everything.
pub struct Filter {
    pattern: Option<Regex>,
    exact: Option<String>,
}

impl Filter {
    /// Reads the filter from bench arguments the way Criterion does (first free argument; `--exact`).
    pub fn from_args(args: impl IntoIterator<Item = String>) -> Self {
        const TAKES_VALUE: [&str; 16] = [
            "--color",
            "--save-baseline",
            "--baseline",
            "--baseline-lenient",
            "--format",
            "--profile-time",
            "--load-baseline",
            "--sample-size",
            "--warm-up-time",
            "--measurement-time",
            "--nresamples",
            "--noise-threshold",
            "--confidence-level",
            "--significance-level",
            "--plotting-backend",
            "--output-format",
        ];
        let (mut free, mut exact, mut skip_next) = (None, false, false);
        for arg in args.into_iter().skip(1) {
            if std::mem::take(&mut skip_next) {
                continue;
            }
            if arg == "--exact" {
                exact = true;
            } else if TAKES_VALUE.contains(&arg.as_str()) || arg == "-c" || arg == "-s" || arg == "-b" {
                skip_next = true;
            } else if !arg.starts_with('-') && free.is_none() {
                free = Some(arg);
            }
        }
        match (free, exact) {
            (None, _) => Filter { pattern: None, exact: None },
            (Some(f), true) => Filter { pattern: None, exact: Some(f) },
            (Some(f), false) => Filter { pattern: Regex::new(&f).ok(), exact: None },
        }
    }

    pub fn matches(&self, id: &str) -> bool {
        match (&self.pattern, &self.exact) {
            (_, Some(exact)) => id == exact,
            (Some(re), _) => re.is_match(id),
            (None, None) => true,
        }
    }
}

/// One benchmark group as a bench binary declares it.
pub struct GroupSpec {
    /// Criterion group name, first part of every id.
    pub name: &'static str,
    /// Unit of the value Criterion records.
    pub unit: &'static str,
    /// What one Criterion value is, in words (goes into the record and the reports).
    pub value_is: &'static str,
    /// Set `Throughput::Elements(N)` so reports show tasks/s (timing groups only).
    pub per_task_throughput: bool,
}

/// Criterion settings that keep 10^6 tasks affordable: flat sampling, 10 samples, short warm-up.
pub fn criterion_config<M: Measurement>(c: Criterion<M>) -> Criterion<M> {
    c.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2))
}

/// Target measuring time for one benchmark: larger N gets a little more, but one iteration per sample
/// is the floor (Criterion then runs 10 iterations whatever this says).
fn measurement_time(n: usize) -> Duration {
    match n {
        0..=20_000 => Duration::from_secs(2),
        20_001..=200_000 => Duration::from_secs(3),
        _ => Duration::from_secs(4),
    }
}

/// Prints one line to stderr, flushed, prefixed so it stands out between Criterion's lines.
pub fn say(line: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "taskbench: {line}");
}

/// Runs `spec` for every selected model at every N that fits this machine, skipping the rest with one line
/// each, then writes the group's record. `bench` runs one benchmark (its `Bencher`, the model, N).
pub fn run_group<M: Measurement>(
    c: &mut Criterion<M>,
    spec: &GroupSpec,
    mut bench: impl FnMut(&mut Bencher<'_, M>, &'static dyn TaskModel, usize),
) {
    let fail = |e: anyhow::Error| -> ! {
        say(&format!("{e:#}"));
        std::process::exit(2);
    };
    let n_values = n_values().unwrap_or_else(|e| fail(e));
    let models = selected_models().unwrap_or_else(|e| fail(e));
    let filter = Filter::from_args(std::env::args());
    let mut record = GroupRecord {
        group: spec.name.into(),
        unit: spec.unit.into(),
        value_is: spec.value_is.into(),
        n_values: n_values.clone(),
        ..GroupRecord::default()
    };

    let mut group = c.benchmark_group(spec.name);
    group
        .sampling_mode(SamplingMode::Flat)
        .plot_config(PlotConfiguration::default().summary_scale(AxisScale::Logarithmic));
    for &model in &models {
        let wanted: Vec<usize> = n_values
            .iter()
            .copied()
            .filter(|n| filter.matches(&format!("{}/{}/{n}", spec.name, model.name())))
            .collect();
        if wanted.is_empty() {
            continue;
        }
        if let Err(why) = model.available() {
            say(&format!("skip {}/{}: {why}", spec.name, model.name()));
            for n in wanted {
                record.skipped.push(skipped(spec, model.name(), n, why.clone()));
            }
            continue;
        }
        record.models.push(ModelRecord {
            name: model.name().into(),
            config: model.config(),
            caveat: model.caveat().map(Into::into),
        });
        let caveat = model.caveat().map(|c| format!(" [{c}]")).unwrap_or_default();
        say(&format!("{} {}: {}{caveat}", spec.name, model.name(), model.config()));
        for n in wanted {
            let id = format!("{}/{}/{n}", spec.name, model.name());
            if let Err(short) = limits::check(&model.needs(), n, &Snapshot::live()) {
                say(&format!("skip {id}: {short}"));
                record.skipped.push(skipped(spec, model.name(), n, short.to_string()));
                continue;
            }
            if spec.per_task_throughput {
                group.throughput(Throughput::Elements(n as u64));
            }
            group.measurement_time(measurement_time(n));
            group.bench_with_input(BenchmarkId::new(model.name(), n), &n, |b, &n| bench(b, model, n));
            record.ran.push(id);
        }
    }
    group.finish();
    record.written_at_unix = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    if let Err(e) = write_record(&record) {
        say(&format!("could not write the group record: {e:#}"));
    }
}

fn skipped(spec: &GroupSpec, model: &str, n: usize, reason: String) -> Skipped {
    Skipped { id: format!("{}/{model}/{n}", spec.name), model: model.into(), n, reason }
}

/// Writes `<target>/taskbench/<group>.json` atomically (temp file, then rename).
pub fn write_record(record: &GroupRecord) -> Result<()> {
    let dir = records_dir();
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join(format!("{}.json", record.group));
    let tmp = dir.join(format!(".{}.json.tmp", record.group));
    std::fs::write(&tmp, serde_json::to_vec_pretty(record)?).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, &path).with_context(|| format!("renaming to {}", path.display()))?;
    Ok(())
}

/// Runs a model's experiment, or stops the bench with the error: a failed check is never a number.
pub fn or_fail<T>(id: &str, result: Result<T>) -> T {
    result.unwrap_or_else(|e| {
        say(&format!("{id} FAILED: {e:#}"));
        panic!("{id} failed: {e:#}");
    })
}

/// The `spawn` bench body: `iters` parked runs, summing only their spawn loops.
pub fn time_spawn(b: &mut Bencher<'_>, model: &'static dyn TaskModel, n: usize) {
    let id = format!("spawn/{}/{n}", model.name());
    b.iter_custom(|iters| {
        (0..iters).map(|_| or_fail(&id, model.run_parked(n, &mut models::NoObserver)).spawn_time).sum()
    });
}

/// The `spawn_join` bench body: `iters` runs of spawning `n` trivial tasks and waiting for all.
pub fn time_spawn_join(b: &mut Bencher<'_>, model: &'static dyn TaskModel, n: usize) {
    let id = format!("spawn_join/{}/{n}", model.name());
    b.iter_custom(|iters| (0..iters).map(|_| or_fail(&id, model.run_spawn_join(n))).sum());
}
