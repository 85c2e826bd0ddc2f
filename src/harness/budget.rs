//! The per-cell time budget: a cell whose estimated wall time exceeds it is skipped with one line, the way
//! the preflight skips a cell that does not fit the machine, so that a run on a big machine (where may fits
//! 10^6 coroutines and one such iteration takes seconds) stays bounded.
//!
//! **The estimate** of a cell comes from the same group and model at smaller N that ran in the same bench
//! process. Of such a cell the parent knows the wall time it spent waiting for the cell's processes, the
//! Criterion calls it made and the iterations they asked for; with the cell's [`Plan`] that gives the
//! processes it started and the full iterations they ran (measured ones plus each process's untimed warm-up).
//! With two smaller N, their times are split into a part per process (start-up: a runtime's, or a JVM's with
//! its warm-up, which does not grow with N) and a part per unit of work (N tasks, or the switch groups'
//! hand-offs and yields, which stay at 4,000 up to N = 4,000), the [`CostModel`] both fit exactly; the larger
//! cell then costs its processes times the first plus its iterations' work times the second. Where there is
//! one smaller N, or the split needs a negative part (work growing faster than N, or noise), the largest
//! smaller N's seconds per full iteration, process start-up included, are scaled linearly by the ratio of the
//! work (high where start-up dominates). Either way the iterations are those Criterion plans (it times its
//! one warm-up call and fits the samples into the measurement time, one iteration each at least) and the
//! warm-ups of the processes serving them, and Criterion's own analysis and report time (measured on the
//! smaller cell) is added as it is. Not estimated: per-task costs that grow faster than N (the estimate is
//! then low). A cell with no smaller N before it runs unestimated.
//!
//! **The budget** is [`DEFAULT_BUDGET_S`] seconds per cell unless [`BUDGET_ENV`] says otherwise (`0` or
//! `none`: unbounded). Every cell's time and estimate are kept ([`super::cell_times`]) so that `taskbench
//! limits` can show them before the next run.

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Result};

use super::cell::{self, WARM_UP_ITERATIONS};
use super::cell_times::{store_cell, times_dir_in, StoredCell};
use super::experiments::work_per_iteration;
use super::say::say;
use super::spec::GroupSpec;
use crate::catalogue::Temperature;

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

    /// Processes started for a cell that made `calls` Criterion calls asking for `measured` iterations.
    pub fn processes(&self, calls: u64, measured: u64) -> u64 {
        match self.temperature {
            Temperature::Warm => calls.div_ceil(u64::from(self.samples_per_process.max(1))),
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

    pub fn processes(&self) -> u64 {
        self.plan.processes(self.calls, self.measured_iterations)
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
    /// Where two smaller cells were split into a part per process and a part per unit of work: the smaller
    /// of their N, and the seconds per process.
    pub per_process: Option<(usize, f64)>,
}

/// The estimate of the cell `plan` describes, from a smaller cell of the same group and model; with a
/// second, still smaller one (`below`), from the [`CostModel`] both fit where there is one.
pub fn estimate(smaller: &CellTime, below: Option<&CellTime>, plan: &Plan) -> Estimate {
    let fitted = below.and_then(|b| CostModel::fit(b, smaller).map(|m| (b.plan.n, m)));
    // Without a split, a full iteration carries its share of start-up, as the smaller cell's did.
    let model = fitted.map_or(
        CostModel { per_process: 0.0, per_work: smaller.seconds_per_iteration() / smaller.plan.work.max(1) as f64 },
        |(_, m)| m,
    );
    let work = plan.work as f64 * model.per_work;
    // Criterion times its warm-up call, a process's start-up included, to plan the samples.
    let (calls, measured) = plan.criterion_calls(work + model.per_process / (plan.warm_up_iterations + 1) as f64);
    let iterations = plan.full_iterations(calls, measured);
    let in_processes = plan.processes(calls, measured) as f64 * model.per_process + iterations as f64 * work;
    Estimate {
        seconds: in_processes + smaller.wall.saturating_sub(smaller.in_processes).as_secs_f64(),
        iterations,
        seconds_per_iteration: in_processes / iterations.max(1) as f64,
        from_n: smaller.plan.n,
        per_process: fitted.map(|(n, m)| (n, m.per_process)),
    }
}

/// A cell's time in its processes as a part per process (its start-up: a runtime's, or a JVM's and its
/// warm-up, which do not grow with N) plus a part per unit of work.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CostModel {
    pub per_process: f64,
    pub per_work: f64,
}

impl CostModel {
    /// The split both cells' times fit exactly; `None` where it would need a negative part (work that grows
    /// faster than linearly, or noise) or the two cells cannot tell the parts apart.
    pub fn fit(a: &CellTime, b: &CellTime) -> Option<Self> {
        let units = |t: &CellTime| (t.processes() as f64, (t.full_iterations() * t.plan.work as u64) as f64);
        let ((pa, wa), (pb, wb)) = (units(a), units(b));
        let (ta, tb) = (a.in_processes.as_secs_f64(), b.in_processes.as_secs_f64());
        let det = pa * wb - pb * wa;
        if det.abs() <= 1e-9 * (pa * wb).abs() {
            return None;
        }
        let model = CostModel { per_process: (ta * wb - tb * wa) / det, per_work: (pa * tb - pb * ta) / det };
        (model.per_process >= 0.0 && model.per_work > 0.0).then_some(model)
    }
}

/// Why a cell with this estimate is skipped under `budget` (`None`: it runs).
pub fn over_budget(group: &str, model: &str, est: &Estimate, budget: Option<Duration>) -> Option<String> {
    let budget = budget?;
    let basis = match est.per_process {
        Some((below, per_process)) => format!(
            "fitted to {group}/{model}/{below} and /{} as {} a process plus a share per task",
            est.from_n,
            seconds(per_process)
        ),
        None => format!("scaled from {group}/{model}/{}", est.from_n),
    };
    (est.seconds > budget.as_secs_f64()).then(|| {
        format!(
            "estimated {:.0} s ({} iterations of about {}, {basis}) exceeds the cell budget of {:.0} s; \
             {HOW_TO_RAISE}",
            est.seconds,
            est.iterations,
            seconds(est.seconds_per_iteration),
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

    /// The estimate for `model`'s cell `plan`, from the two largest smaller N of the model that ran here.
    pub fn estimate(&self, model: &str, plan: &Plan) -> Option<Estimate> {
        let mut smaller: Vec<&CellTime> =
            self.ran.iter().filter(|(m, t)| m == model && t.plan.n < plan.n).map(|(_, t)| t).collect();
        smaller.sort_by_key(|t| std::cmp::Reverse(t.plan.n));
        let below = smaller.get(1).copied().filter(|b| b.plan.n < smaller[0].plan.n);
        smaller.first().map(|largest| estimate(largest, below, plan))
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
