//! The glue every bench binary shares: the N matrix, Criterion's settings, the preflight and the time budget
//! with their one-line skips, and the cell records left beside Criterion's output ([`crate::record`]). A bench
//! file names its group and what one iteration measures; this module runs it for every model in the registry
//! at every N that fits.

use std::cell::RefCell;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{anyhow, bail, Context, Result};
use criterion::measurement::{Measurement, WallTime};
use criterion::{AxisScale, BenchmarkGroup, BenchmarkId, Criterion, PlotConfiguration, SamplingMode, Throughput};
use regex::Regex;

use crate::budget::{self, CellBudget, Plan};
use crate::cell::{self, CellProcesses, Temperature};
use crate::limits::{self, Snapshot};
use crate::measure::{BytesPerTask, MemoryKind, MemoryObserver};
use crate::models::{self, TaskModel};
use crate::record::{criterion_cell_dir, criterion_home, records_dir, CellLog, CellRecord};
use crate::results::overview;
use crate::results::plain_page::{plots_at_risk, write_plain_page};

/// The N values measured when `TASKBENCH_N` is not set.
pub const DEFAULT_N: [usize; 3] = [10_000, 100_000, 1_000_000];

/// Parses a `TASKBENCH_N` value: comma-separated task counts, e.g. `1000,10000`. A count listed twice is an
/// error rather than deduplicated: Criterion cannot hold two cells with one id, and a typo is likelier than
/// a wish to measure the same N twice.
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
        if out.contains(&n) {
            bail!("TASKBENCH_N: {n} is listed twice; list each task count once (e.g. 1000,10000)");
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
    match env_text("TASKBENCH_N")? {
        Some(text) => parse_n_values(&text),
        None => Ok(DEFAULT_N.to_vec()),
    }
}

/// A variable's value, `None` when unset; a value that is not UTF-8 is an error, not "unset".
fn env_text(name: &str) -> Result<Option<String>> {
    match std::env::var(name) {
        Ok(text) => Ok(Some(text)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => bail!("{name} is not valid UTF-8"),
    }
}

/// What `TASKBENCH_MODELS` selects in one bench binary.
pub struct Selection<'x> {
    pub models: Vec<&'static dyn TaskModel>,
    /// This bench's extra rows that were named.
    pub extra: Vec<&'x str>,
    /// One line per name that is an extra row of other groups only: it is accepted and does not apply here.
    pub notes: Vec<String>,
}

/// Parses a `TASKBENCH_MODELS` value for a bench whose own extra rows are `extra`. Every name must be a
/// model, a calibration control, or an extra row of some group ([`EXTRA_ROWS`]): one list serves every
/// bench, so a row that only another group has is noted and skipped here, and only a name no group knows
/// is an error.
pub fn parse_models<'x>(text: &str, extra: &[&'x str]) -> Result<Selection<'x>> {
    let mut chosen = Selection { models: Vec::new(), extra: Vec::new(), notes: Vec::new() };
    let names: Vec<&str> = text.split(',').map(str::trim).filter(|p| !p.is_empty()).collect();
    if names.is_empty() {
        bail!(
            "TASKBENCH_MODELS is set but names no model; unset it to run them all, or name some of: {}",
            known_rows()
        );
    }
    for name in names {
        if let Some(model) = models::by_name(name) {
            chosen.models.push(model);
        } else if let Some(x) = extra.iter().find(|x| **x == name) {
            chosen.extra.push(*x);
        } else if let Some(groups) = groups_with_extra_row(name) {
            chosen
                .notes
                .push(format!("TASKBENCH_MODELS: {name} is a row of {groups} only; it does not apply to this bench"));
        } else {
            bail!("TASKBENCH_MODELS: unknown model {name:?}; known: {}", known_rows());
        }
    }
    Ok(chosen)
}

/// The groups that have an extra row called `name`, comma-joined; `None` when no group has one.
fn groups_with_extra_row(name: &str) -> Option<String> {
    let groups: Vec<&str> =
        EXTRA_ROWS.iter().filter(|(_, rows)| rows.iter().any(|r| r.name == name)).map(|(g, _)| *g).collect();
    (!groups.is_empty()).then(|| groups.join(", "))
}

/// Every name `TASKBENCH_MODELS` accepts, for error lines.
fn known_rows() -> String {
    let models = models::registry().into_iter().chain(models::controls()).map(|m| m.name());
    let extra = EXTRA_ROWS.iter().flat_map(|(_, rows)| rows.iter().map(|r| r.name));
    let mut names: Vec<&str> = Vec::new();
    for name in models.chain(extra) {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names.join(", ")
}

/// The models and extra rows for this run: those `TASKBENCH_MODELS` names (comma-separated, see
/// [`parse_models`]) if set, else the whole registry (plus the calibration controls when `with_controls`)
/// and every extra row.
pub fn selected_models<'x>(
    with_controls: bool,
    extra: &[&'x str],
) -> Result<(Vec<&'static dyn TaskModel>, Vec<&'x str>)> {
    let Some(text) = env_text("TASKBENCH_MODELS")? else {
        let controls = if with_controls { models::controls() } else { Vec::new() };
        return Ok((models::registry().into_iter().chain(controls).collect(), extra.to_vec()));
    };
    let chosen = parse_models(&text, extra)?;
    for note in &chosen.notes {
        say(note);
    }
    Ok((chosen.models, chosen.extra))
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
    /// The models this group applies to, by what a task needs (`None`: every model). The others are named
    /// in one line and not measured.
    pub only: Option<ModelsWhere>,
    /// The state groups: every parked task holds K bytes across its park point, K from this list, and the
    /// ids end in K (`group/model/K`). Each row runs one N at every K ([`state_tasks`]: nearly the largest that
    /// fits this machine, up to [`STATE_MAX_N`] or the largest `TASKBENCH_N`), recorded with its cells. A K a
    /// task's stack cannot hold is skipped with one line ([`models::state_fits`]). `None`: the ids end in N,
    /// one cell per `TASKBENCH_N` value.
    pub state_sizes: Option<&'static [usize]>,
}

/// A subset of the models, by what one task needs, and its description for the line naming the others.
#[derive(Clone, Copy)]
pub struct ModelsWhere {
    pub applies: fn(&limits::Needs) -> bool,
    pub describe: &'static str,
}

/// Models whose tasks cost the kernel per task: each task is a thread or owns a stack mapping (thread, may),
/// and Go, whose few threads are the point of its row.
pub const KERNEL_SHARE: ModelsWhere = ModelsWhere {
    applies: |needs| needs.threads_per_task > 0 || needs.maps_per_task > 0 || needs.in_child_process,
    describe: "models whose tasks are threads or own a stack mapping, and Go",
};

/// The most tasks a state group's row runs: 10^5, fewer where the machine holds fewer, or the largest
/// `TASKBENCH_N` when that is smaller (a smoke run at 10^4 stays short).
pub const STATE_MAX_N: usize = 100_000;

/// The fewest tasks a state group's row runs (unless `TASKBENCH_N` asks for fewer): below this RSS growth no
/// longer stands clear of what the allocator and the runtime touch anyway. A row that fits fewer is skipped.
pub const STATE_MIN_N: usize = 1000;

/// What a task holding `k` bytes takes: `needs` with `2·K` more resident bytes (a generous bound: a goroutine's
/// stack doubles to hold it, a boxed future is a second allocation).
pub fn holding_needs(needs: &limits::Needs, k: usize) -> limits::Needs {
    limits::Needs { bytes_per_task: needs.bytes_per_task + 2 * k as u64, ..*needs }
}

/// The N a state group's row runs at every K: 95% of the largest that fits this machine with the preflight's
/// margin while each task holds `largest_k`, in whole thousands, up to `cap`. The tightest limit when that is fewer than [`STATE_MIN_N`]
/// (or than `cap`, when `cap` is smaller).
pub fn state_tasks(
    needs: &limits::Needs,
    largest_k: usize,
    cap: usize,
    snap: &Snapshot,
) -> Result<usize, limits::Shortfall> {
    let needs = holding_needs(needs, largest_k);
    let fits = limits::max_tasks(&needs, snap).map_or(cap, |(max, _)| usize::try_from(max).unwrap_or(usize::MAX));
    // 95% of what fits, in whole thousands: a limit read again before each K (mappings in use move a little
    // between cells) must not skip the row's later Ks.
    let n = cap.min((fits / 100 * 95 / 1000 * 1000).max(1000.min(fits)));
    limits::check(&needs, n.max(STATE_MIN_N.min(cap)), snap)?;
    Ok(n)
}

/// Criterion settings that keep 10^6 tasks affordable: flat sampling, 10 samples. Criterion's own warm-up is
/// one short call: each sample's process warms itself (see [`crate::cell`]), so Criterion's warm-up only
/// estimates how long a sample takes.
pub fn criterion_config<M: Measurement>(c: Criterion<M>) -> Criterion<M> {
    c.sample_size(10).warm_up_time(Duration::from_nanos(1)).measurement_time(Duration::from_secs(2))
}

/// Criterion settings for the memory groups: [`criterion_config`] with the bytes measurement.
pub fn memory_config() -> Criterion<BytesPerTask> {
    criterion_config(Criterion::default().with_measurement(BytesPerTask))
}

/// A bench binary's Criterion runners, both configured from the same command line: `plots` as the user asked,
/// and `no_plots`, the same without plots, for the cells whose plots are at risk ([`plots_at_risk`]).
/// Criterion's plots are a setting of the whole runner, so a cell at risk is measured by the second runner,
/// in a group of the same name. `criterion_home` is where both write.
pub struct Runners<M: Measurement> {
    pub plots: Criterion<M>,
    /// `None` under cargo-criterion, which draws the plots itself (and holds the one connection).
    pub no_plots: Option<Criterion<M>>,
    pub criterion_home: PathBuf,
}

impl<M: Measurement> Runners<M> {
    /// Two runners from `config` and the command line; Criterion's folder found as Criterion finds it.
    pub fn from_args(config: impl Fn() -> Criterion<M>) -> Runners<M> {
        let plots = config().configure_from_args();
        // A second runner would wait forever for cargo-criterion's connection, which the first one holds.
        let no_plots =
            std::env::var_os("CARGO_CRITERION_PORT").is_none().then(|| config().configure_from_args().without_plots());
        Runners { plots, no_plots, criterion_home: criterion_home() }
    }
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
    config: impl Fn() -> Criterion<M>,
) {
    // The run's id, and the instant Criterion's results must be newer than to be recorded.
    let started = SystemTime::now();
    if let Some(id) = cell::requested_cell() {
        serve_cell(spec, extra, measure, &id);
    }
    let mut runners = Runners::from_args(config);
    let measured = run_group(&mut runners, spec, extra, started);
    runners.plots.final_summary();
    // Last, so that the page's path is the run's last line; nothing measured (--list, test mode), no page.
    if measured > 0 {
        say(&overview::after_bench(&runners.criterion_home, &records_dir()));
    }
}

/// Runs `spec` for every selected model at every N that fits this machine (settings from the environment
/// and Criterion's filter from the command line), then the `extra` rows, recording each cell as it finishes.
/// Every cell is measured in child processes of this binary (see [`crate::cell`]). Returns how many cells
/// Criterion measured.
pub fn run_group<M: CellValue>(c: &mut Runners<M>, spec: &GroupSpec, extra: &[ExtraRow], started: SystemTime) -> usize {
    let fail = |e: anyhow::Error| -> ! {
        say(&format!("{e:#}"));
        std::process::exit(2);
    };
    let n_values = n_values().unwrap_or_else(|e| fail(e));
    models::wait_limit_setting().unwrap_or_else(|e| fail(e));
    let extra_names: Vec<&str> = extra.iter().map(|row| row.name).collect();
    let (models, extra_names) = selected_models(spec.with_controls, &extra_names).unwrap_or_else(|e| fail(e));
    let extra: Vec<&ExtraRow> = extra.iter().filter(|row| extra_names.contains(&row.name)).collect();
    let models = applicable(spec, models);
    let filter = Filter::from_args(std::env::args());
    let processes = RefCell::new(CellProcesses::new(spec.temperature));
    let mut log = CellLog::new(c.criterion_home.clone(), records_dir(), started);
    let sampler = InProcesses { processes: &processes, spec };
    run_group_with(c, spec, &n_values, &models, &extra, &filter, &mut log, sampler);
    let seconds = started.elapsed().map_or(0.0, |d| d.as_secs_f64());
    if log.measured_cells == 0 {
        say(&format!(
            "{}: no cell recorded (Criterion wrote no new result in {}), in {seconds:.0} s",
            spec.name,
            c.criterion_home.display()
        ));
    } else {
        say(&format!(
            "{}: {} cells measured and {} skipped, recorded in {}, in {seconds:.0} s",
            spec.name,
            log.measured_cells,
            log.skipped_cells,
            records_dir().join("cells").join(spec.name).display()
        ));
    }
    log.measured_cells
}

/// The models `spec` applies to; the others are named in one line.
fn applicable(spec: &GroupSpec, models: Vec<&'static dyn TaskModel>) -> Vec<&'static dyn TaskModel> {
    let is_control = |m: &&'static dyn TaskModel| models::controls().iter().any(|c| c.name() == m.name());
    let models = if spec.state_sizes.is_some() && models.iter().any(is_control) {
        // A control holds a payload of its own; here every row holds the group's K.
        let (controls, models): (Vec<_>, Vec<_>) = models.into_iter().partition(is_control);
        let names: Vec<&str> = controls.iter().map(|m| m.name()).collect();
        say(&format!(
            "{} holds K bytes in every model's task; not the calibration controls {}",
            spec.name,
            names.join(", ")
        ));
        models
    } else {
        models
    };
    let Some(only) = spec.only else { return models };
    let (kept, left): (Vec<_>, Vec<_>) = models.into_iter().partition(|m| (only.applies)(&m.needs()));
    if !left.is_empty() {
        let names: Vec<&str> = left.iter().map(|m| m.name()).collect();
        say(&format!("{} measures {} only; not {}", spec.name, only.describe, names.join(", ")));
    }
    kept
}

/// One row's facts, whether it is a model or an extra row.
struct Row<'a> {
    name: &'static str,
    model: Option<&'static dyn TaskModel>,
    config: String,
    caveat: Option<&'static str>,
    available: Result<(), String>,
    needs: limits::Needs,
    /// The task's own stack, where it has one (see [`TaskModel::stack`]).
    stack: Option<models::TaskStack>,
    /// The number of tasks of a state group's row ([`state_tasks`]); `None` where ids end in N.
    tasks: Option<usize>,
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
                stack: model.stack(),
                tasks: None,
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
            stack: None,
            tasks: None,
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

/// What measures a cell's samples for [`run_group_with`]: any `Fn(id, tasks, iters)` (tests), or the cell's
/// processes.
pub trait Sampler {
    /// The summed value of `iters` iterations of cell `id`; `tasks` is its number of tasks where the id does
    /// not end in it (the state groups end in K).
    fn sample(&self, id: &str, tasks: Option<usize>, iters: u64) -> Result<f64>;
    /// Called when a cell is done, before the next cell's preflight: nothing it started may still hold memory.
    fn cell_done(&self) {}
}

impl<F: Fn(&str, Option<usize>, u64) -> Result<f64>> Sampler for F {
    fn sample(&self, id: &str, tasks: Option<usize>, iters: u64) -> Result<f64> {
        self(id, tasks, iters)
    }
}

/// The benches' sampler: every cell in fresh processes of this binary ([`crate::cell`]).
struct InProcesses<'a> {
    processes: &'a RefCell<CellProcesses>,
    spec: &'a GroupSpec,
}

impl Sampler for InProcesses<'_> {
    fn sample(&self, id: &str, tasks: Option<usize>, iters: u64) -> Result<f64> {
        let (_, _, n) = split_id(id)?;
        let samples_per_process = cell::samples_per_process(tasks.unwrap_or(n), self.spec.reads_memory);
        self.processes.borrow_mut().measure(id, tasks, iters, samples_per_process)
    }
    /// A warm process that served fewer samples than it could would otherwise live on, holding its N tasks'
    /// memory, until the next cell asks: the next cell's preflight would see that memory as taken.
    fn cell_done(&self) {
        self.processes.borrow_mut().finish();
    }
}

/// [`run_group`] with its inputs spelled out; `sampler` measures `iters` iterations of a cell by id (in
/// fresh processes when the benches run), given the number of tasks where the id does not end in it (the
/// state groups). Each cell is recorded in `log` as it finishes.
#[allow(clippy::too_many_arguments)]
pub fn run_group_with<M: CellValue>(
    c: &mut Runners<M>,
    spec: &GroupSpec,
    n_values: &[usize],
    models: &[&'static dyn TaskModel],
    extra: &[&ExtraRow],
    filter: &Filter,
    log: &mut CellLog,
    sampler: impl Sampler,
) {
    let mut budget = CellBudget::from_env(spec.name, log.records_dir()).unwrap_or_else(|e| {
        say(&format!("{e:#}"));
        std::process::exit(2)
    });
    // Rows measure nothing here (their processes do); they give names, settings and limits.
    let rows = rows(models, extra, |_, _| Ok(0.0));
    let is_control = |name: &str| models::controls().iter().any(|c| c.name() == name);
    // The last part of each cell's id: N, or in a state group K.
    let cells_of = |row: &Row<'_>| -> Vec<usize> {
        match spec.state_sizes {
            Some(sizes) => sizes.to_vec(),
            None => n_values.iter().copied().filter(|&n| !is_control(row.name) || n <= CONTROLS_MAX_N).collect(),
        }
    };
    let state_cap = n_values.iter().copied().max().unwrap_or(STATE_MAX_N).min(STATE_MAX_N);
    let planned =
        rows.iter().flat_map(|r| cells_of(r).into_iter().map(move |n| format!("{}/{}/{n}", spec.name, r.name)));
    log.plan(n_values, models::available_cores(), planned.collect());
    let Runners { plots, no_plots, criterion_home } = c;
    let mut group = plots.benchmark_group(spec.name);
    for mut row in rows {
        let wanted: Vec<usize> =
            cells_of(&row).into_iter().filter(|n| filter.matches(&format!("{}/{}/{n}", spec.name, row.name))).collect();
        if wanted.is_empty() {
            continue;
        }
        if let Err(why) = &row.available {
            say(&format!("skip {}/{}: {why}", spec.name, row.name));
            for n in wanted {
                noted(log.skipped(cell_record(spec, &row, n), why.clone()));
            }
            continue;
        }
        if spec.state_sizes.is_some() {
            // One N for every K of the row, sized for the largest K its stack holds: the figures at
            // different K differ by the state alone.
            let fits = |k: &usize| models::stack_fits(row.name, row.stack.as_ref(), *k).is_ok();
            let largest = wanted.iter().copied().filter(fits).max().unwrap_or(0);
            match state_tasks(&row.needs, largest, state_cap, &Snapshot::live()) {
                Ok(n) => {
                    row.tasks = Some(n);
                    row.config = format!("{}; N = {n} tasks at every K", row.config);
                }
                Err(short) => {
                    for k in wanted {
                        say(&format!("skip {}/{}/{k}: {short}", spec.name, row.name));
                        noted(log.skipped(cell_record(spec, &row, k), short.to_string()));
                    }
                    continue;
                }
            }
        }
        let caveat = row.caveat.map(|c| format!(" [{c}]")).unwrap_or_default();
        say(&format!("{} {}: {}{caveat}", spec.name, row.name, row.config));
        for x in wanted {
            let id = format!("{}/{}/{x}", spec.name, row.name);
            // The tasks each iteration runs, and what each takes from the machine.
            let (n, needs) = match row.tasks {
                Some(n) => (n, holding_needs(&row.needs, x)),
                None => (x, row.needs),
            };
            if row.tasks.is_some() {
                if let Err(why) = models::stack_fits(row.name, row.stack.as_ref(), x) {
                    say(&format!("skip {id}: {why}"));
                    noted(log.skipped(cell_record(spec, &row, x), why));
                    continue;
                }
            }
            if let Err(short) = limits::check(&needs, n, &Snapshot::live()) {
                say(&format!("skip {id}: {short}"));
                noted(log.skipped(cell_record(spec, &row, x), short.to_string()));
                continue;
            }
            let plan = Plan::new(spec, &row.needs, n, cell_sample_size(spec, n), measurement_time(n)).keyed_by(x);
            if let Err(why) = budget.check(row.name, &plan) {
                say(&format!("skip {id}: {why}"));
                noted(log.skipped(cell_record(spec, &row, x), why));
                continue;
            }
            let started = Instant::now();
            let cell_dir = criterion_cell_dir(criterion_home, spec.name, row.name, x);
            let tasks = row.tasks;
            let bench = |b: &mut criterion::Bencher<'_, M>, _: &usize| {
                b.iter_custom(|iters| {
                    M::from_cell(or_fail(&id, budget.sample(iters, || sampler.sample(&id, tasks, iters))))
                })
            };
            let plain = match no_plots.as_mut().filter(|_| plots_at_risk(&cell_dir)) {
                Some(no_plots) => {
                    let mut alone = no_plots.benchmark_group(spec.name);
                    set_up(&mut alone, spec, n).bench_with_input(BenchmarkId::new(row.name, x), &x, bench);
                    alone.finish();
                    true
                }
                None => {
                    set_up(&mut group, spec, n).bench_with_input(BenchmarkId::new(row.name, x), &x, bench);
                    false
                }
            };
            sampler.cell_done();
            budget.finish(row.name, plan, started.elapsed());
            if log.measured(cell_record(spec, &row, x)).unwrap_or_else(|e| noted::<bool>(Err(e))) && plain {
                match write_plain_page(&cell_dir, spec.name, spec.unit, row.name, x) {
                    Ok(page) => say(&format!(
                        "{id}: its last samples were all identical, so Criterion's plots were off for it (Criterion \
                         0.8 panics drawing a t-test of identical samples); its page is drawn by taskbench: {}",
                        page.display()
                    )),
                    Err(e) => say(&format!("{id}: could not draw its page: {e:#}")),
                }
            }
        }
    }
    group.finish();
}

/// A cell's Criterion settings: flat sampling, a log-scale summary, tasks/s where asked, and the sample size
/// and measuring time for its N.
fn set_up<'g, 'c, M: Measurement>(
    group: &'g mut BenchmarkGroup<'c, M>,
    spec: &GroupSpec,
    n: usize,
) -> &'g mut BenchmarkGroup<'c, M> {
    // A state group's ids end in K, and K = 0 has no place on a log axis.
    let scale = if spec.state_sizes.is_some() { AxisScale::Linear } else { AxisScale::Logarithmic };
    group.sampling_mode(SamplingMode::Flat).plot_config(PlotConfiguration::default().summary_scale(scale));
    if spec.per_task_throughput {
        group.throughput(Throughput::Elements(n as u64));
    }
    group.measurement_time(measurement_time(n)).sample_size(cell_sample_size(spec, n))
}

/// Samples per cell: [`sample_size`] for timings, Criterion's minimum of 10 for memory (readings repeat).
fn cell_sample_size(spec: &GroupSpec, n: usize) -> usize {
    if spec.reads_memory {
        10
    } else {
        sample_size(n)
    }
}

fn cell_record(spec: &GroupSpec, row: &Row<'_>, n: usize) -> CellRecord {
    CellRecord {
        tasks: row.tasks,
        id: format!("{}/{}/{n}", spec.name, row.name),
        group: spec.name.into(),
        model: row.name.into(),
        n,
        unit: spec.unit.into(),
        value_is: spec.value_is.into(),
        config: row.config.clone(),
        caveat: row.caveat.map(Into::into),
        build: Some(crate::provenance::Build::this_binary()),
        ..CellRecord::default()
    }
}

/// A record that could not be written is said, not fatal: the measurement stands in Criterion's folder.
fn noted<T: Default>(result: Result<T>) -> T {
    result.unwrap_or_else(|e| {
        say(&format!("could not write a cell record: {e:#}"));
        T::default()
    })
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
    // The kernel's stacks are read machine-wide: a window in which other threads on the machine came or went is
    // read again, a few times, before it is an error.
    let attempts = if kind == MemoryKind::Kernel { KERNEL_ATTEMPTS } else { 1 };
    let mut attempt = 1;
    loop {
        let mut observer = MemoryObserver::new(kind);
        model.run_parked(n, &mut observer)?;
        match observer.per_task(n) {
            Err(e) if attempt < attempts => {
                say(&format!("{}/{n}: reading {attempt} of {attempts} discarded: {e:#}", model.name()));
                // Other processes' threads come and go in bursts (a build, a test run): let one pass.
                std::thread::sleep(Duration::from_millis(200) * attempt as u32);
                attempt += 1;
            }
            result => return result,
        }
    }
}

/// One state-group iteration: a parked run of the N tasks the parent chose for the row
/// ([`cell::requested_tasks`]), each holding `k` bytes, read as [`memory_holding`] reads it.
pub fn state_memory(model: &'static dyn TaskModel, k: usize, kind: MemoryKind) -> Result<f64> {
    memory_holding(model, cell::requested_tasks()?, k, kind)
}

/// A parked run of `n` tasks each holding `k` bytes ([`TaskModel::run_holding`]), read by a
/// [`MemoryObserver`], as bytes per task.
pub fn memory_holding(model: &dyn TaskModel, n: usize, k: usize, kind: MemoryKind) -> Result<f64> {
    let mut observer = MemoryObserver::new(kind);
    model.run_holding(n, k, &mut observer)?;
    observer.per_task(n)
}

/// Readings of the kernel's share a cell may discard (see [`memory_per_task`]).
pub const KERNEL_ATTEMPTS: usize = 8;

/// Go keeps goroutine stacks outside its heap; this `heap_per_task` row shows them (`StackInuse`) next to the
/// heap row.
pub const GOROUTINE_STACK: ExtraRow = ExtraRow {
    name: "goroutine-stack",
    config: || models::goroutine::MODEL.config(),
    caveat: Some("not heap: Go's StackInuse growth per live goroutine, shown beside its heap row"),
    available: || models::goroutine::MODEL.available(),
    needs: models::goroutine::CHILD_NEEDS,
    measure: goroutine_stack,
};

/// The origin post's method, beside the live measurement in `heap_per_task`: `MemStats.Alloc` before
/// spawning and after `wg.Wait()`, when every goroutine has exited, divided by N.
pub const SEED_METHOD: ExtraRow = ExtraRow {
    name: "goroutine-seed-method",
    config: || "the origin post's program: MemStats.Alloc before and after wg.Wait(), goroutines exited".into(),
    caveat: Some(
        "reproduces a flawed method: reads after the goroutines exited, and Alloc excludes stacks; the figure is \
         over the runs that read above zero, every reading is in taskbench/seed-method/<N>.json",
    ),
    available: || models::goroutine::MODEL.available(),
    needs: models::goroutine::CHILD_NEEDS,
    measure: seed_method,
};

/// The extra rows of `heap_per_task`.
pub const HEAP_EXTRA_ROWS: [ExtraRow; 2] = [GOROUTINE_STACK, SEED_METHOD];

/// `state_heap`'s row beside the goroutine's: Go's `StackInuse` growth per goroutine holding K bytes, which
/// the heap row cannot see (the array is on the goroutine's stack, which Go grows by doubling).
pub const GOROUTINE_STACK_HOLDING: ExtraRow = ExtraRow {
    caveat: Some("not heap: Go's StackInuse growth per live goroutine holding K bytes, shown beside its heap row"),
    measure: |k| state_memory(&models::goroutine::MODEL, k, MemoryKind::RuntimeStacks),
    ..GOROUTINE_STACK
};

/// The extra rows of `state_heap`.
pub const STATE_HEAP_EXTRA_ROWS: [ExtraRow; 1] = [GOROUTINE_STACK_HOLDING];

/// Every group's extra rows: what `TASKBENCH_MODELS` accepts besides the models (see [`parse_models`]).
pub const EXTRA_ROWS: &[(&str, &[ExtraRow])] =
    &[("heap_per_task", &HEAP_EXTRA_ROWS), ("state_heap", &STATE_HEAP_EXTRA_ROWS)];

/// The `heap_per_task/goroutine-stack/<N>` value: Go's `StackInuse` growth per live goroutine, read in the
/// same kind of run as the heap row. Stacks are not heap; the row stands beside it so the two add up to what
/// Go holds.
pub fn goroutine_stack(n: usize) -> Result<f64> {
    memory_per_task(&models::goroutine::MODEL, n, MemoryKind::RuntimeStacks)
}

/// Runs of the post's program in a row that may read zero or less before a seed-method iteration fails.
pub const SEED_MAX_RUNS: usize = 20;

/// The `heap_per_task/goroutine-seed-method/<N>` value: the origin post's program, in a fresh Go process,
/// its `(after - before) / N`.
///
/// Under that method a reading of zero or less is a legitimate outcome (a GC can run while the goroutines
/// spawn, and all of them have exited when `after` is read). Criterion cannot hold one: it drops a cell with
/// a zero sample, and a negative bytes figure breaks its charts. So every reading, whatever its sign, is kept
/// in the cell's [`SeedReadings`] file, a reading of zero or less is printed with the count so far, and the
/// post's program runs again: Criterion's figure is that of the runs that read above zero, and the file
/// says how many did not. Only [`SEED_MAX_RUNS`] readings in a row at zero or less fail the iteration: the
/// method then has no figure Criterion can hold.
pub fn seed_method(n: usize) -> Result<f64> {
    // Only a cell's process keeps the file: a test calling this directly leaves nothing behind.
    let id = cell::requested_cell();
    let path = SeedReadings::path(n);
    let keep = id.as_deref().map(|id| (id, path.as_path()));
    first_reading_above_zero(n, keep, || {
        Ok(models::goroutine::seed_method_bytes_per_goroutine(n)?.bytes_per_goroutine())
    })
}

/// [`seed_method`]'s loop over the readings `read` gives; `keep` names the cell and the file its readings
/// go to.
pub fn first_reading_above_zero(
    n: usize,
    keep: Option<(&str, &std::path::Path)>,
    mut read: impl FnMut() -> Result<f64>,
) -> Result<f64> {
    let id = keep.map_or("goroutine-seed-method", |(id, _)| id);
    let mut last = 0.0;
    for _ in 0..SEED_MAX_RUNS {
        last = read()?;
        let kept = match keep.map(|(id, path)| (path, SeedReadings::add(path, id, last))) {
            Some((path, Ok(readings))) => Some((path, readings)),
            // The reading is still printed below when it is zero or less; a lost file must not stop the group.
            Some((path, Err(e))) => {
                say(&format!("{id}: could not keep the reading {last} in {}: {e:#}", path.display()));
                None
            }
            None => None,
        };
        if last > 0.0 {
            return Ok(last);
        }
        let so_far = kept.map_or(String::new(), |(path, r)| {
            format!(
                "; {} of {} runs so far read zero or less, every reading is in {}",
                r.zero_or_less(),
                r.bytes_per_goroutine.len(),
                path.display()
            )
        });
        say(&format!(
            "{id}: the post's method read {last} bytes per goroutine at N = {n}; running it again (Criterion's \
             figure counts the runs above zero{so_far})"
        ));
    }
    bail!(
        "the post's method read zero or less in {SEED_MAX_RUNS} runs in a row at N = {n} (last {last} bytes per \
         goroutine): no figure Criterion can hold"
    )
}

/// Every reading the post's method gave in one seed-method cell of one bench run, zero or less included:
/// `<records dir>/seed-method/<N>.json`. Criterion holds only the readings above zero (see [`seed_method`]);
/// this file holds them all, for the figure's count of runs at zero or less.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SeedReadings {
    /// `heap_per_task/goroutine-seed-method/<N>`.
    pub id: String,
    /// The bench process whose cell processes took the readings: a new bench run starts a new list.
    pub bench_pid: u32,
    /// `(after - before) / N` of every run, in bytes per goroutine, in the order they ran.
    pub bytes_per_goroutine: Vec<f64>,
}

impl SeedReadings {
    /// Runs that read zero or less.
    pub fn zero_or_less(&self) -> usize {
        self.bytes_per_goroutine.iter().filter(|v| **v <= 0.0).count()
    }

    /// Where the readings of the seed-method cell at `n` are kept.
    pub fn path(n: usize) -> std::path::PathBuf {
        records_dir().join("seed-method").join(format!("{n}.json"))
    }

    /// Reads the file at `path`, or `None` when there is none or it cannot be read.
    pub fn load(path: &std::path::Path) -> Option<SeedReadings> {
        serde_json::from_slice(&std::fs::read(path).ok()?).ok()
    }

    /// Adds one reading to the file at `path` (atomically: temp file, then rename) and returns what the file
    /// now holds. A cell's processes run one at a time, so none races another.
    pub fn add(path: &std::path::Path, id: &str, reading: f64) -> Result<SeedReadings> {
        let bench_pid = std::os::unix::process::parent_id();
        let mut readings = Self::load(path)
            .filter(|r| r.id == id && r.bench_pid == bench_pid)
            .unwrap_or_else(|| SeedReadings { id: id.into(), bench_pid, bytes_per_goroutine: Vec::new() });
        readings.bytes_per_goroutine.push(reading);
        let dir = path.parent().context("a readings file needs a folder")?;
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(&readings)?)
            .with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, path).with_context(|| format!("renaming to {}", path.display()))?;
        Ok(readings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(r: Result<impl std::fmt::Debug>) -> String {
        format!("{:#}", r.expect_err("an error"))
    }

    #[test]
    fn a_task_count_listed_twice_is_an_error_naming_it() {
        assert_eq!(parse_n_values("1000, 10_000").unwrap(), [1000, 10_000]);
        let e = err(parse_n_values("1000,1000"));
        assert!(e.contains("1000 is listed twice"), "{e}");
        // The same count spelled two ways is still one cell id.
        assert!(err(parse_n_values("10000,10_000")).contains("10000 is listed twice"));
    }

    #[test]
    fn an_empty_model_list_is_an_error_listing_the_known_names() {
        for text in ["", " ", ",,"] {
            let e = err(parse_models(text, &[]).map(|s| s.models.len()));
            assert!(e.contains("names no model") && e.contains("tokio-mt") && e.contains("goroutine-stack"), "{e}");
        }
    }

    #[test]
    fn another_groups_extra_row_is_noted_not_an_error() {
        // A bench without that row (spawn, rss_per_task) runs the model and notes the row once.
        let s = parse_models("goroutine,goroutine-stack", &[]).unwrap();
        assert_eq!(s.models.iter().map(|m| m.name()).collect::<Vec<_>>(), ["goroutine"]);
        assert!(s.extra.is_empty());
        assert_eq!(s.notes.len(), 1);
        assert!(s.notes[0].contains("goroutine-stack is a row of heap_per_task, state_heap only"), "{}", s.notes[0]);
        // The bench that has the row runs it, with nothing to note.
        let s = parse_models("goroutine,goroutine-stack", &["goroutine-stack"]).unwrap();
        assert_eq!(s.extra, ["goroutine-stack"]);
        assert!(s.notes.is_empty());
        // A name no group knows is still an error.
        let e = err(parse_models("goroutine,gorutine-stack", &[]).map(|s| s.models.len()));
        assert!(e.contains("unknown model \"gorutine-stack\"") && e.contains("goroutine-seed-method"), "{e}");
    }

    #[test]
    fn readings_at_zero_or_less_are_kept_counted_and_never_reach_criterion() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("seed-method").join("1000.json");
        let id = "heap_per_task/goroutine-seed-method/1000";
        let mut readings = [-3.5, 0.0, 7.25, 2.0].into_iter();
        let mut read = || readings.next().ok_or_else(|| anyhow!("no more readings"));
        assert_eq!(first_reading_above_zero(1000, Some((id, path.as_path())), &mut read).unwrap(), 7.25);
        assert_eq!(first_reading_above_zero(1000, Some((id, path.as_path())), &mut read).unwrap(), 2.0);
        let kept = SeedReadings::load(&path).expect("the readings file");
        assert_eq!(kept.bytes_per_goroutine, [-3.5, 0.0, 7.25, 2.0]);
        assert_eq!(kept.zero_or_less(), 2);
        assert_eq!(kept.id, id);
        // A new bench run (another parent process) starts a new list.
        std::fs::write(&path, serde_json::to_vec(&SeedReadings { bench_pid: 1, ..kept }).unwrap()).unwrap();
        assert_eq!(SeedReadings::add(&path, id, 4.0).unwrap().bytes_per_goroutine, [4.0]);
    }

    #[test]
    fn a_method_that_never_reads_above_zero_fails_after_a_bounded_number_of_runs() {
        let mut runs = 0;
        let e = err(first_reading_above_zero(10, None, || {
            runs += 1;
            Ok(-1.0)
        }));
        assert_eq!(runs, SEED_MAX_RUNS);
        assert!(e.contains("zero or less in 20 runs in a row"), "{e}");
    }
}
