//! The per-cell time budget: a cell whose estimated wall time exceeds it is skipped with one line, the way
//! the preflight skips a cell that does not fit the machine, so that a run on a big machine (where may fits
//! 10^6 coroutines and one such iteration takes seconds) stays bounded.
//!
//! **The estimate** of a cell comes from the same group and model at the largest smaller N that ran in the
//! same bench process. Of that cell the parent knows the wall time it spent waiting for the cell's processes,
//! the Criterion calls it made and the iterations they asked for; with the cell's [`Plan`] that gives the
//! full iterations its processes ran (measured ones plus each process's untimed warm-up), hence the seconds
//! per full iteration, process start-up included. That is scaled linearly by the ratio of the work (N tasks, or
//! the switch groups' hand-offs and yields, which stay at 4,000 up to N = 4,000), and multiplied
//! by the full iterations the larger cell will run: the iterations Criterion plans (it times its one warm-up
//! call and fits the samples into the measurement time, one iteration each at least) and the warm-ups of the
//! processes serving them. Criterion's own analysis and report time (measured on the smaller cell) is added
//! as it is. Not estimated: per-task costs that grow faster than N (the estimate is then low) and start-up
//! costs that do not grow with N (it is then high). A cell with no smaller N before it runs unestimated.
//!
//! **The budget** is [`DEFAULT_BUDGET_S`] seconds per cell unless [`BUDGET_ENV`] says otherwise (`0` or
//! `none`: unbounded). Every cell's time and estimate are kept in `<records>/cell-times/<group>.json` so that
//! `taskbench limits` can show them before the next run ([`print_report`]).

use std::cell::Cell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use super::cell::{self, WARM_UP_ITERATIONS};
use super::experiments::work_per_iteration;
use super::say::say;
use super::spec::GroupSpec;
use crate::catalogue::Temperature;
use crate::files::write_atomic;
use crate::record::records_dir;

/// Seconds a cell may take; `0` or `none` lifts the bound.
pub const BUDGET_ENV: &str = "TASKBENCH_CELL_BUDGET_S";

/// The default budget. A 16-core machine that fits may's 10^6 coroutines spends about 13 s per iteration
/// there, so may's 10^6 cells would take 143 s (cold: 11 iterations) to 300 s (warm timing: 23): the budget
/// sits below them. The 2-core machine's largest cells take 30-70 s: the budget leaves them 1.7x for the
/// estimate's error.
pub const DEFAULT_BUDGET_S: u64 = 120;

/// How a user raises the budget, quoted in every skip line and in `taskbench limits`.
pub const HOW_TO_RAISE: &str = "raise it with TASKBENCH_CELL_BUDGET_S=<seconds> (0 or none: unbounded)";

/// Parses a [`BUDGET_ENV`] value: whole or decimal seconds, `0` or `none` for unbounded (`None`).
pub fn parse_budget(text: &str) -> Result<Option<Duration>> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    let seconds: f64 = match t.parse() {
        Ok(s) => s,
        Err(_) => {
            bail!("{BUDGET_ENV}={text:?} is not a number of seconds (expected e.g. 600, or 0 or none for unbounded)")
        }
    };
    if seconds == 0.0 {
        return Ok(None);
    }
    match Duration::try_from_secs_f64(seconds) {
        Ok(budget) if seconds.is_finite() => Ok(Some(budget)),
        _ => bail!("{BUDGET_ENV}={text:?}: the budget must be 0 (unbounded) or a positive number of seconds"),
    }
}

/// The budget for this run: [`BUDGET_ENV`] if set, else [`DEFAULT_BUDGET_S`]. `None`: unbounded.
pub fn budget_from_env() -> Result<Option<Duration>> {
    match std::env::var(BUDGET_ENV) {
        Ok(text) => parse_budget(&text),
        Err(std::env::VarError::NotPresent) => Ok(Some(Duration::from_secs(DEFAULT_BUDGET_S))),
        Err(std::env::VarError::NotUnicode(_)) => bail!("{BUDGET_ENV} is not valid text"),
    }
}

/// What a cell's processes and Criterion run for one `group/model/N` cell: enough to count its full iterations.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plan {
    /// The number of tasks each iteration runs.
    pub n: usize,
    /// What an iteration's time grows with: its tasks, or the switch groups' hand-offs or yields
    /// ([`work_per_iteration`]).
    pub work: usize,
    /// The last part of the cell's id: `n`, or in the state groups K ([`Plan::keyed_by`]).
    pub id_n: usize,
    pub temperature: Temperature,
    /// Criterion's sample size.
    pub samples: usize,
    /// Criterion's target measurement time.
    pub measurement_time: Duration,
    /// Criterion calls one warm process serves ([`cell::samples_per_process`]).
    pub samples_per_process: u32,
    /// Untimed full iterations each warm process runs first.
    pub warm_up_iterations: u64,
}

impl Plan {
    /// The plan of a cell of `spec` at `n` with Criterion's `samples` and `measurement_time`.
    pub fn new(spec: &GroupSpec, n: usize, samples: usize, measurement_time: Duration) -> Self {
        Plan {
            n,
            work: work_per_iteration(spec.group, n),
            id_n: n,
            temperature: spec.temperature(),
            samples,
            measurement_time,
            samples_per_process: cell::samples_per_process(n),
            warm_up_iterations: warm_up_iterations(spec.temperature()),
        }
    }

    /// The plan of a cell whose id ends in `id_n` rather than in its number of tasks (the state groups' K).
    pub fn keyed_by(self, id_n: usize) -> Self {
        Plan { id_n, ..self }
    }

    /// Full iterations run by the processes of a cell that made `calls` Criterion calls asking for `measured`
    /// iterations in all.
    pub fn full_iterations(&self, calls: u64, measured: u64) -> u64 {
        match self.temperature {
            Temperature::Warm => {
                measured + calls.div_ceil(u64::from(self.samples_per_process.max(1))) * self.warm_up_iterations
            }
            Temperature::Cold => measured,
        }
    }

    /// The Criterion calls and measured iterations of this cell when one full iteration takes
    /// `seconds_per_iteration`: one warm-up call of one iteration, then `samples` samples of as many
    /// iterations as fit the measurement time by the warm-up call's wall time, at least one.
    pub fn criterion_calls(&self, seconds_per_iteration: f64) -> (u64, u64) {
        let samples = self.samples as u64;
        let first_call = match self.temperature {
            Temperature::Warm => (self.warm_up_iterations + 1) as f64 * seconds_per_iteration,
            Temperature::Cold => seconds_per_iteration,
        };
        let per_sample = self.measurement_time.as_secs_f64() / samples.max(1) as f64;
        let iterations_per_sample = if first_call > 0.0 { (per_sample / first_call).ceil().max(1.0) as u64 } else { 1 };
        (1 + samples, 1 + samples * iterations_per_sample)
    }
}

/// Untimed full iterations a cell's process runs before it measures: [`WARM_UP_ITERATIONS`] for warm cells,
/// none for cold ones (they warm the runtime with a handful of tasks, outside this count).
pub fn warm_up_iterations(temperature: Temperature) -> u64 {
    match temperature {
        Temperature::Warm => WARM_UP_ITERATIONS,
        Temperature::Cold => 0,
    }
}

/// How long a cell that ran took, as the parent saw it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CellTime {
    pub plan: Plan,
    /// The whole `bench_with_input` call: Criterion's calls, analysis and report.
    pub wall: Duration,
    /// The part spent waiting for the cell's processes (starting them, their warm-ups, their iterations).
    pub in_processes: Duration,
    /// Criterion calls made, and the iterations they asked for in all.
    pub calls: u64,
    pub measured_iterations: u64,
}

impl CellTime {
    pub fn full_iterations(&self) -> u64 {
        self.plan.full_iterations(self.calls, self.measured_iterations)
    }

    /// Wall seconds per full iteration, process start-ups included.
    pub fn seconds_per_iteration(&self) -> f64 {
        self.in_processes.as_secs_f64() / self.full_iterations().max(1) as f64
    }
}

/// A cell's estimated wall time and what it rests on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub seconds: f64,
    /// Full iterations the cell is expected to run, and the seconds each is expected to take.
    pub iterations: u64,
    pub seconds_per_iteration: f64,
    /// The N it was scaled from.
    pub from_n: usize,
}

/// The estimate of the cell `plan` describes, from a smaller cell of the same group and model.
pub fn estimate(smaller: &CellTime, plan: &Plan) -> Estimate {
    let per_iteration = smaller.seconds_per_iteration() * plan.work as f64 / smaller.plan.work.max(1) as f64;
    let (calls, measured) = plan.criterion_calls(per_iteration);
    let iterations = plan.full_iterations(calls, measured);
    let criterion_own = smaller.wall.saturating_sub(smaller.in_processes).as_secs_f64();
    Estimate {
        seconds: iterations as f64 * per_iteration + criterion_own,
        iterations,
        seconds_per_iteration: per_iteration,
        from_n: smaller.plan.n,
    }
}

/// Why a cell with this estimate is skipped under `budget` (`None`: it runs).
pub fn over_budget(group: &str, model: &str, est: &Estimate, budget: Option<Duration>) -> Option<String> {
    let budget = budget?;
    (est.seconds > budget.as_secs_f64()).then(|| {
        format!(
            "estimated {:.0} s ({} iterations of about {}, scaled from {group}/{model}/{}) exceeds the cell \
             budget of {:.0} s; {HOW_TO_RAISE}",
            est.seconds,
            est.iterations,
            seconds(est.seconds_per_iteration),
            est.from_n,
            budget.as_secs_f64()
        )
    })
}

fn seconds(s: f64) -> String {
    if s >= 10.0 {
        format!("{s:.0} s")
    } else if s >= 0.1 {
        format!("{s:.1} s")
    } else {
        format!("{:.1} ms", s * 1e3)
    }
}

/// The budget's bookkeeping for one group in the bench's parent process: which cells ran and how long they
/// took. The runner asks [`CellBudget::check`] before a cell, routes the cell's process calls through
/// [`CellBudget::sample`] and reports the end with [`CellBudget::finish`].
pub struct CellBudget {
    group: String,
    budget: Option<Duration>,
    ran: Vec<(String, CellTime)>,
    /// The latest estimate, made by `check`, for the cell about to run.
    pending_estimate: Option<f64>,
    calls: Cell<u64>,
    measured: Cell<u64>,
    in_processes: Cell<Duration>,
    /// Where cell times are kept for `taskbench limits` (`None`: not kept).
    store: Option<PathBuf>,
}

impl CellBudget {
    /// The budget from the environment; cell times are kept in `cell-times/` of `records` (the run's records
    /// folder, so a run into another Criterion home, a test's included, keeps its times there too).
    pub fn from_env(group: &str, records: &Path) -> Result<Self> {
        Ok(Self::new(group, budget_from_env()?, Some(times_dir_in(records))))
    }

    pub fn new(group: &str, budget: Option<Duration>, store: Option<PathBuf>) -> Self {
        CellBudget {
            group: group.into(),
            budget,
            ran: Vec::new(),
            pending_estimate: None,
            calls: Cell::new(0),
            measured: Cell::new(0),
            in_processes: Cell::new(Duration::ZERO),
            store,
        }
    }

    /// The estimate for `model`'s cell `plan`, from the largest smaller N of the model that ran here.
    pub fn estimate(&self, model: &str, plan: &Plan) -> Option<Estimate> {
        self.ran
            .iter()
            .filter(|(m, t)| m == model && t.plan.n < plan.n)
            .max_by_key(|(_, t)| t.plan.n)
            .map(|(_, smaller)| estimate(smaller, plan))
    }

    /// `Err(line)` when the cell's estimate exceeds the budget: the reason to print after `skip <id>: `.
    pub fn check(&mut self, model: &str, plan: &Plan) -> Result<(), String> {
        let est = self.estimate(model, plan);
        self.pending_estimate = est.map(|e| e.seconds);
        self.calls.set(0);
        self.measured.set(0);
        self.in_processes.set(Duration::ZERO);
        match est.and_then(|e| over_budget(&self.group, model, &e, self.budget)) {
            Some(why) => {
                self.keep(model, plan, None);
                Err(why)
            }
            None => Ok(()),
        }
    }

    /// Runs one Criterion call's `measure` of `iters` iterations, counting it and its time.
    pub fn sample<T>(&self, iters: u64, measure: impl FnOnce() -> T) -> T {
        let started = Instant::now();
        let out = measure();
        self.in_processes.set(self.in_processes.get() + started.elapsed());
        self.calls.set(self.calls.get() + 1);
        self.measured.set(self.measured.get() + iters);
        out
    }

    /// Counts `time` as spent in the cell's processes: readings another group's processes took and this
    /// group used ([`super::shared`]), so that estimates learn what a cell's processes cost.
    pub fn add_process_time(&self, time: Duration) {
        self.in_processes.set(self.in_processes.get() + time);
    }

    /// Records the cell that just ran (its whole `bench_with_input` call took `wall`).
    pub fn finish(&mut self, model: &str, plan: Plan, wall: Duration) {
        let time = CellTime {
            plan,
            wall,
            in_processes: self.in_processes.get(),
            calls: self.calls.get(),
            measured_iterations: self.measured.get(),
        };
        if time.calls > 0 {
            self.ran(model, time);
        }
        self.keep(model, &plan, Some(wall.as_secs_f64()));
    }

    /// Adds a cell that ran to those later cells are estimated from (tests feed synthetic times here).
    pub fn ran(&mut self, model: &str, time: CellTime) {
        self.ran.push((model.into(), time));
    }

    /// Adds the cell to the group's times file; a failure to write it costs only `limits` its figure.
    fn keep(&mut self, model: &str, plan: &Plan, seconds: Option<f64>) {
        let estimate_s = self.pending_estimate.take();
        let Some(dir) = &self.store else { return };
        let cell = StoredCell {
            model: model.into(),
            n: plan.n,
            id_n: (plan.id_n != plan.n).then_some(plan.id_n),
            seconds,
            estimate_s,
            at_unix: SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()),
        };
        if let Err(e) = store_cell(dir, &self.group, cell) {
            say(&format!("could not keep the cell's time for `taskbench limits`: {e:#}"));
        }
    }
}

/// Where cell times are kept: `cell-times/` in the records folder (`target/taskbench/cell-times/`).
pub fn times_dir() -> PathBuf {
    times_dir_in(&records_dir())
}

/// `cell-times/` in the records folder `records`.
pub fn times_dir_in(records: &Path) -> PathBuf {
    records.join("cell-times")
}

/// One cell's latest time, as `taskbench limits` reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredCell {
    pub model: String,
    /// The cell's number of tasks.
    pub n: usize,
    /// The last part of its id where that is not `n` (the state groups' K): cells are kept by id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_n: Option<usize>,
    /// Wall seconds of the cell; `None` when it was skipped over the budget.
    pub seconds: Option<f64>,
    /// The estimate made before it ran or was skipped; `None` when no smaller N had run.
    pub estimate_s: Option<f64>,
    pub at_unix: u64,
}

/// A group's cells by id (`group/model/N`).
pub type GroupTimes = BTreeMap<String, StoredCell>;

fn store_cell(dir: &Path, group: &str, cell: StoredCell) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join(format!("{group}.json"));
    let mut times = read_group(&path).unwrap_or_default();
    times.insert(format!("{group}/{}/{}", cell.model, cell.id_n.unwrap_or(cell.n)), cell);
    write_atomic(&path, &serde_json::to_vec_pretty(&times)?)
}

fn read_group(path: &Path) -> Result<GroupTimes> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// Every group's kept cell times in `dir`, by group name.
pub fn read_times(dir: &Path) -> Result<BTreeMap<String, GroupTimes>> {
    let mut out = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return Ok(out) };
    for entry in entries {
        let path = entry?.path();
        if let (Some(group), Some("json")) =
            (path.file_stem().and_then(|s| s.to_str()), path.extension().and_then(|e| e.to_str()))
        {
            out.insert(group.to_string(), read_group(&path)?);
        }
    }
    Ok(out)
}

/// The `taskbench limits` section on time: the budget, how cells are estimated, and the latest time of each
/// cell kept in `dir`, summed per model and N over the groups.
pub fn report(budget: Option<Duration>, dir: &Path) -> Result<String> {
    use std::fmt::Write;
    let mut out = String::new();
    let budget_text = match budget {
        Some(b) => format!("{:.0} s per cell", b.as_secs_f64()),
        None => "unbounded".into(),
    };
    writeln!(out, "Cell time budget: {budget_text} (default {DEFAULT_BUDGET_S} s; {HOW_TO_RAISE}).")?;
    writeln!(
        out,
        "During a bench run a cell is estimated from the same group and model at the largest smaller N that ran\n\
         before it (seconds per full iteration, scaled by the ratio of N, times the iterations the cell will run),\n\
         and skipped when the estimate exceeds the budget."
    )?;
    let groups = read_times(dir)?;
    if groups.values().all(|g| g.is_empty()) {
        writeln!(
            out,
            "No bench run has kept cell times in {} yet:\n\
             each cell is estimated during the run, once a smaller N of its group and model has run.",
            dir.display()
        )?;
        return Ok(out);
    }
    let mut table: BTreeMap<&str, BTreeMap<usize, Sum>> = BTreeMap::new();
    let over = |e: Option<f64>| matches!((e, budget), (Some(e), Some(b)) if e > b.as_secs_f64());
    for cell in groups.values().flat_map(|g| g.values()) {
        let sum = table.entry(cell.model.as_str()).or_default().entry(cell.n).or_default();
        match (cell.seconds, cell.estimate_s) {
            (Some(s), _) => (sum.measured, sum.seconds) = (sum.measured + 1, sum.seconds + s),
            (None, e) => sum.estimated += e.unwrap_or(0.0),
        }
        sum.over += usize::from(over(cell.estimate_s));
    }
    let mut ns: Vec<usize> = table.values().flat_map(|m| m.keys().copied()).collect();
    ns.sort_unstable();
    ns.dedup();
    writeln!(
        out,
        "Seconds per model and N, summed over the groups ({}),\n\
         from the latest time of each cell kept in {}.\n\
         ~: estimates of cells skipped over the budget; [k over]: cells whose estimate exceeds the budget now;\n\
         -: not run.",
        groups.keys().cloned().collect::<Vec<_>>().join(", "),
        dir.display()
    )?;
    write!(out, "{:<22}", "model")?;
    for n in &ns {
        write!(out, " {n:>20}")?;
    }
    writeln!(out)?;
    let (mut measured, mut estimated) = (0.0, 0.0);
    for (model, by_n) in &table {
        write!(out, "{model:<22}")?;
        for n in &ns {
            let sum = by_n.get(n).copied().unwrap_or_default();
            measured += sum.seconds;
            estimated += sum.estimated;
            let parts = [
                (sum.measured > 0).then(|| format!("{:.0}", sum.seconds)),
                (sum.estimated > 0.0).then(|| format!("~{:.0}", sum.estimated)),
                (sum.over > 0).then(|| format!("[{} over]", sum.over)),
            ];
            let text = parts.into_iter().flatten().collect::<Vec<_>>().join(" ");
            let text = if text.is_empty() { "-".to_string() } else { text };
            write!(out, " {text:>20}")?;
        }
        writeln!(out)?;
    }
    writeln!(
        out,
        "In all: {measured:.0} s measured, ~{estimated:.0} s estimated for cells that were skipped over the budget."
    )?;
    Ok(out)
}

/// One model at one N in [`report`], summed over the groups.
#[derive(Debug, Clone, Copy, Default)]
struct Sum {
    /// Cells that ran, and their seconds.
    measured: usize,
    seconds: f64,
    /// Estimated seconds of the cells skipped over the budget.
    estimated: f64,
    /// Cells whose estimate exceeds the budget now.
    over: usize,
}

/// Prints [`report`] for this machine's kept times under the budget from the environment.
pub fn print_report(budget: Option<Duration>) -> Result<()> {
    print!("{}", report(budget, &times_dir())?);
    Ok(())
}
