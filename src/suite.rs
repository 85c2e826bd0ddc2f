//! The glue every bench binary shares: the N matrix, Criterion's settings, the preflight and the time budget
//! with their one-line skips, and the record left beside Criterion's output. A bench file names its group and
//! what one iteration measures; this module runs it for every model in the registry at every N that fits.

use std::cell::RefCell;
use std::io::Write;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail, Context, Result};
use criterion::measurement::{Measurement, WallTime};
use criterion::{AxisScale, BenchmarkId, Criterion, PlotConfiguration, SamplingMode, Throughput};
use regex::Regex;

use crate::budget::{self, CellBudget, Plan};
use crate::cell::{self, CellProcesses, Temperature};
use crate::limits::{self, Snapshot};
use crate::measure::{BytesPerTask, MemoryKind, MemoryObserver};
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

/// The models and extra rows for this run: those `TASKBENCH_MODELS` names (comma-separated) if set, else the
/// whole registry (plus the calibration controls when `with_controls`) and every extra row.
pub fn selected_models<'x>(
    with_controls: bool,
    extra: &[&'x str],
) -> Result<(Vec<&'static dyn TaskModel>, Vec<&'x str>)> {
    let Ok(text) = std::env::var("TASKBENCH_MODELS") else {
        let controls = if with_controls { models::controls() } else { Vec::new() };
        return Ok((models::registry().into_iter().chain(controls).collect(), extra.to_vec()));
    };
    let (mut chosen, mut chosen_extra) = (Vec::new(), Vec::new());
    for name in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match (models::by_name(name), extra.iter().find(|x| **x == name)) {
            (Some(model), _) => chosen.push(model),
            (None, Some(x)) => chosen_extra.push(*x),
            (None, None) => {
                let known: Vec<_> = models::registry().iter().chain(&models::controls()).map(|m| m.name()).collect();
                bail!("TASKBENCH_MODELS: unknown model {name:?}; known: {}", known.join(", "))
            }
        }
    }
    Ok((chosen, chosen_extra))
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
    /// Also run the calibration controls (memory groups).
    pub with_controls: bool,
    /// Warm (steady state after untimed iterations) or cold (first burst in a fresh process).
    pub temperature: Temperature,
    /// The group reads memory. A model whose tasks live in a child process started afresh for every
    /// reading (Go) then has nothing to warm in the bench's process.
    pub reads_memory: bool,
}

/// Criterion settings that keep 10^6 tasks affordable: flat sampling, 10 samples. Criterion's own warm-up is
/// one short call: each sample's process warms itself (see [`crate::cell`]), so Criterion's warm-up only
/// estimates how long a sample takes.
pub fn criterion_config<M: Measurement>(c: Criterion<M>) -> Criterion<M> {
    c.sample_size(10).warm_up_time(Duration::from_nanos(1)).measurement_time(Duration::from_secs(2))
}

/// Criterion settings for the memory groups: [`criterion_config`] with the bytes measurement, and no plots
/// when comparing against a saved baseline (see [`comparing_to_baseline`]).
pub fn memory_config() -> Criterion<BytesPerTask> {
    let c = criterion_config(Criterion::default().with_measurement(BytesPerTask));
    if comparing_to_baseline(std::env::args()) {
        say(
            "comparing memory figures to a baseline: Criterion's plots are off for this run (exact byte counts \
             repeat, and Criterion 0.8 cannot plot a t-test of identical samples); the change figures below are complete",
        );
        return c.without_plots();
    }
    c
}

/// Whether the bench arguments ask Criterion to compare against a saved baseline. Exact byte counts are
/// often identical in every sample; Criterion 0.8's Welch t-test plot then has no finite point and panics
/// (`kde.rs`, index out of bounds), so the memory benches draw no plots in that run. Values, confidence
/// intervals and the change report are unaffected.
pub fn comparing_to_baseline(args: impl IntoIterator<Item = String>) -> bool {
    args.into_iter().any(|a| {
        let flag = a.split('=').next().unwrap_or("");
        matches!(flag, "--baseline" | "--baseline-lenient" | "-b" | "--load-baseline")
    })
}

/// The calibration controls run up to this N: at 10^6 the 4 KiB control touches 4 GiB per iteration (over a
/// minute per cell) and checks nothing that 10^5 does not.
pub const CONTROLS_MAX_N: usize = 100_000;

/// Samples per timing cell: 20 at 10^4 and below, where a sample's process costs milliseconds and more
/// processes steady the median; Criterion's minimum of 10 above (and for memory, whose readings repeat).
fn sample_size(n: usize) -> usize {
    if n <= 10_000 {
        20
    } else {
        10
    }
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

/// The value of one iteration of a cell: ns for the time groups, bytes per task for the memory groups.
pub type Measure = fn(&'static dyn TaskModel, usize) -> Result<f64>;

/// A row of a group that is not a [`TaskModel`] run (e.g. the origin post's method for goroutines): its
/// name, whether it can run here, and the value of one iteration at N.
pub struct ExtraRow {
    pub name: &'static str,
    pub config: fn() -> String,
    pub caveat: Option<&'static str>,
    pub available: fn() -> Result<(), String>,
    pub needs: limits::Needs,
    pub measure: fn(usize) -> Result<f64>,
}

/// A Criterion measurement whose value can be rebuilt from the number a cell's process prints.
pub trait CellValue: Measurement + 'static {
    fn from_cell(value: f64) -> Self::Value;
}

impl CellValue for WallTime {
    fn from_cell(ns: f64) -> Duration {
        Duration::from_nanos(ns.round() as u64)
    }
}

impl CellValue for BytesPerTask {
    fn from_cell(bytes_per_task: f64) -> f64 {
        bytes_per_task
    }
}

/// A bench binary's `main`. In a cell's child process (see [`crate::cell`]) it measures that cell and exits;
/// otherwise it builds Criterion from `config` and the command line, runs the group and prints Criterion's
/// summary. Criterion is never built in a child, so a child prints nothing but its answers and errors.
pub fn bench_main<M: CellValue>(
    spec: &GroupSpec,
    extra: &[ExtraRow],
    measure: Measure,
    config: impl FnOnce() -> Criterion<M>,
) {
    if let Some(id) = cell::requested_cell() {
        serve_cell(spec, extra, measure, &id);
    }
    let mut c = config().configure_from_args();
    run_group(&mut c, spec, extra);
    c.final_summary();
}

/// Runs `spec` for every selected model at every N that fits this machine (settings from the environment
/// and Criterion's filter from the command line), then the `extra` rows, then writes the group's record.
/// Every cell is measured in child processes of this binary (see [`crate::cell`]).
pub fn run_group<M: CellValue>(c: &mut Criterion<M>, spec: &GroupSpec, extra: &[ExtraRow]) {
    let fail = |e: anyhow::Error| -> ! {
        say(&format!("{e:#}"));
        std::process::exit(2);
    };
    let n_values = n_values().unwrap_or_else(|e| fail(e));
    let extra_names: Vec<&str> = extra.iter().map(|row| row.name).collect();
    let (models, extra_names) = selected_models(spec.with_controls, &extra_names).unwrap_or_else(|e| fail(e));
    let extra: Vec<&ExtraRow> = extra.iter().filter(|row| extra_names.contains(&row.name)).collect();
    let filter = Filter::from_args(std::env::args());
    let started = std::time::Instant::now();
    let processes = RefCell::new(CellProcesses::new(spec.temperature));
    let record = run_group_with(c, spec, &n_values, &models, &extra, &filter, |id, iters| {
        let (_, _, n) = split_id(id)?;
        processes.borrow_mut().measure(id, iters, cell::samples_per_process(n, spec.reads_memory))
    });
    if let Err(e) = write_record(&record) {
        say(&format!("could not write the group record: {e:#}"));
    }
    say(&format!(
        "{}: {} cells measured, {} skipped, in {:.0} s",
        spec.name,
        record.ran.len(),
        record.skipped.len(),
        started.elapsed().as_secs_f64()
    ));
}

/// One row's facts, whether it is a model or an extra row.
struct Row<'a> {
    name: &'static str,
    model: Option<&'static dyn TaskModel>,
    config: String,
    caveat: Option<&'static str>,
    available: Result<(), String>,
    needs: limits::Needs,
    measure: Box<dyn Fn(usize) -> Result<f64> + 'a>,
}

fn rows<'a>(models: &[&'static dyn TaskModel], extra: &[&'a ExtraRow], measure: Measure) -> Vec<Row<'a>> {
    models
        .iter()
        .map(|&model| {
            let available = model.available();
            Row {
                name: model.name(),
                model: Some(model),
                // A model that cannot run may not be able to say how it is configured either.
                config: if available.is_ok() {
                    format!("{}; {}", model.config(), model.spawn_site().describe())
                } else {
                    String::new()
                },
                caveat: model.caveat(),
                available,
                needs: model.needs(),
                measure: Box::new(move |n| measure(model, n)) as Box<dyn Fn(usize) -> Result<f64>>,
            }
        })
        .chain(extra.iter().map(|x| Row {
            name: x.name,
            model: None,
            config: (x.config)(),
            caveat: x.caveat,
            available: (x.available)(),
            needs: x.needs,
            measure: Box::new(x.measure),
        }))
        .collect()
}

/// The body of a cell's child process: warms up as the group's temperature asks, then answers the parent's
/// requests with the summed value of that many iterations. Never returns.
fn serve_cell(spec: &GroupSpec, extra: &[ExtraRow], measure: Measure, id: &str) -> ! {
    let extra: Vec<&ExtraRow> = extra.iter().collect();
    let all: Vec<_> = models::registry().into_iter().chain(models::controls()).collect();
    serve_cell_with(spec, &all, &extra, measure, id)
}

/// [`serve_cell`] over the given rows (tests serve fake models this way).
pub fn serve_cell_with(
    spec: &GroupSpec,
    all: &[&'static dyn TaskModel],
    extra: &[&ExtraRow],
    measure: Measure,
    id: &str,
) -> ! {
    let found = split_id(id).and_then(|(group, model, n)| {
        if group != spec.name {
            bail!("this bench binary measures {}, not {group}", spec.name);
        }
        let row = rows(all, extra, measure)
            .into_iter()
            .find(|r| r.name == model)
            .ok_or_else(|| anyhow!("no row {model:?} in {group}"))?;
        row.available.clone().map_err(|why| anyhow!(why))?;
        Ok((row, n))
    });
    let (row, n) = match found {
        Ok(found) => found,
        Err(e) => cell::serve_child(id, || Err(e), |_| unreachable!("the warm-up failed")),
    };
    cell::serve_child(id, || warm_up(spec, &row, n), |iters| (0..iters).map(|_| (row.measure)(n)).sum())
}

/// What a cell's process runs before its first measured iteration, outside every clock.
fn warm_up(spec: &GroupSpec, row: &Row<'_>, n: usize) -> Result<()> {
    match spec.temperature {
        Temperature::Warm => {
            for _ in 0..budget::warm_up_iterations(spec.temperature, spec.reads_memory, row.needs.in_child_process) {
                (row.measure)(n).context("warm-up iteration")?;
            }
        }
        Temperature::Cold => {
            if let Some(model) = row.model.filter(|m| m.warm_up_tasks() > 0) {
                model.run_spawn_join(model.warm_up_tasks()).context("warming the runtime with a handful of tasks")?;
            }
        }
    }
    Ok(())
}

/// `group/model/N` into its parts.
pub fn split_id(id: &str) -> Result<(&str, &str, usize)> {
    let mut parts = id.splitn(2, '/');
    let group = parts.next().unwrap_or_default();
    let rest = parts.next().ok_or_else(|| anyhow!("{id:?} is not a group/model/N id"))?;
    let (model, n) = rest.rsplit_once('/').ok_or_else(|| anyhow!("{id:?} is not a group/model/N id"))?;
    let n = n.parse().with_context(|| format!("{id:?}: {n:?} is not a task count"))?;
    Ok((group, model, n))
}

/// [`run_group`] with its inputs spelled out; `sample` measures `iters` iterations of a cell by id (in
/// fresh processes when the benches run). Returns the record instead of writing it.
pub fn run_group_with<M: CellValue>(
    c: &mut Criterion<M>,
    spec: &GroupSpec,
    n_values: &[usize],
    models: &[&'static dyn TaskModel],
    extra: &[&ExtraRow],
    filter: &Filter,
    sample: impl Fn(&str, u64) -> Result<f64>,
) -> GroupRecord {
    let mut record = GroupRecord {
        group: spec.name.into(),
        unit: spec.unit.into(),
        value_is: spec.value_is.into(),
        n_values: n_values.to_vec(),
        usable_cores: models::available_cores(),
        ..GroupRecord::default()
    };
    let mut budget = CellBudget::from_env(spec.name).unwrap_or_else(|e| {
        say(&format!("{e:#}"));
        std::process::exit(2)
    });
    let mut group = c.benchmark_group(spec.name);
    group
        .sampling_mode(SamplingMode::Flat)
        .plot_config(PlotConfiguration::default().summary_scale(AxisScale::Logarithmic));
    // Rows measure nothing here (their processes do); they give names, settings and limits.
    for row in rows(models, extra, |_, _| Ok(0.0)) {
        let is_control = models::controls().iter().any(|c| c.name() == row.name);
        let wanted: Vec<usize> = n_values
            .iter()
            .copied()
            .filter(|&n| !is_control || n <= CONTROLS_MAX_N)
            .filter(|n| filter.matches(&format!("{}/{}/{n}", spec.name, row.name)))
            .collect();
        if wanted.is_empty() {
            continue;
        }
        if let Err(why) = &row.available {
            say(&format!("skip {}/{}: {why}", spec.name, row.name));
            for n in wanted {
                record.skipped.push(skipped(spec, row.name, n, why.clone()));
            }
            continue;
        }
        record.models.push(ModelRecord {
            name: row.name.into(),
            config: row.config.clone(),
            caveat: row.caveat.map(Into::into),
        });
        let caveat = row.caveat.map(|c| format!(" [{c}]")).unwrap_or_default();
        say(&format!("{} {}: {}{caveat}", spec.name, row.name, row.config));
        for n in wanted {
            let id = format!("{}/{}/{n}", spec.name, row.name);
            if let Err(short) = limits::check(&row.needs, n, &Snapshot::live()) {
                say(&format!("skip {id}: {short}"));
                record.skipped.push(skipped(spec, row.name, n, short.to_string()));
                continue;
            }
            if spec.per_task_throughput {
                group.throughput(Throughput::Elements(n as u64));
            }
            let samples = if spec.reads_memory { 10 } else { sample_size(n) };
            group.measurement_time(measurement_time(n)).sample_size(samples);
            let plan = Plan::new(spec, &row.needs, n, samples, measurement_time(n));
            if let Err(why) = budget.check(row.name, &plan) {
                say(&format!("skip {id}: {why}"));
                record.skipped.push(skipped(spec, row.name, n, why));
                continue;
            }
            let started = Instant::now();
            group.bench_with_input(BenchmarkId::new(row.name, n), &n, |b, _| {
                b.iter_custom(|iters| M::from_cell(or_fail(&id, budget.sample(iters, || sample(&id, iters)))))
            });
            budget.finish(row.name, plan, started.elapsed());
            record.ran.push(id);
        }
    }
    group.finish();
    record.written_at_unix = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    record
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

/// One `spawn` iteration: a parked run, of which only the spawn loop is timed (ns).
pub fn spawn_ns(model: &'static dyn TaskModel, n: usize) -> Result<f64> {
    Ok(model.run_parked(n, &mut models::NoObserver)?.spawn_time.as_nanos() as f64)
}

/// One `spawn_join` iteration: spawning `n` trivial tasks and waiting until all have run (ns).
pub fn spawn_join_ns(model: &'static dyn TaskModel, n: usize) -> Result<f64> {
    Ok(model.run_spawn_join(n)?.as_nanos() as f64)
}

/// One memory iteration: a parked run read by a [`MemoryObserver`], as bytes per task.
pub fn memory_per_task(model: &'static dyn TaskModel, n: usize, kind: MemoryKind) -> Result<f64> {
    let mut observer = MemoryObserver::new(kind);
    model.run_parked(n, &mut observer)?;
    observer.per_task(n)
}

/// The `heap_per_task/goroutine-stack/<N>` value: Go's `StackInuse` growth per live goroutine, read in the
/// same kind of run as the heap row. Stacks are not heap; the row stands beside it so the two add up to what
/// Go holds.
pub fn goroutine_stack(n: usize) -> Result<f64> {
    memory_per_task(&models::goroutine::MODEL, n, MemoryKind::RuntimeStacks)
}

/// The `heap_per_task/goroutine-seed-method/<N>` value: the origin post's program, in a fresh Go process,
/// its `(after - before) / N`. A reading of zero or less is an error like any other.
pub fn seed_method(n: usize) -> Result<f64> {
    let per = models::goroutine::seed_method_bytes_per_goroutine(n)?.bytes_per_goroutine();
    if per <= 0.0 {
        bail!("the post's method read {per} bytes per goroutine");
    }
    Ok(per)
}
