//! The group runner: every selected row at every N (or K) that fits, each cell preflighted against the
//! machine ([`crate::limits`]) and the time budget ([`super::budget`]), measured by Criterion from samples
//! its [`Sampler`] takes (the cell's fresh processes in the benches), and recorded as it finishes
//! ([`crate::record`]): measured, skipped with its one line, or failed with its reason.
//!
//! A failed cell never stops the group: its first error is printed and recorded, the rest of its Criterion
//! calls get a stand-in value without asking a process (Criterion's closure cannot return an error), and the
//! bench binary exits non-zero at the end with one line naming every failed cell.

use std::cell::RefCell;
use std::path::PathBuf;
use std::time::{Instant, SystemTime};

use anyhow::{anyhow, Result};
use criterion::measurement::Measurement;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion};

use super::budget::{budget_from_env, CellBudget, Plan};
use super::cell::{self, CellProcesses};
use super::criterion_setup::{cell_sample_size, measurement_time, set_up, CellValue, Runners};
use super::experiments::serve_count;
use super::quiet::QuietStderr;
use super::rounds::{rounds_on, RoundCell, Rounds, ITERATIONS_PER_ROUND};
use super::sampler::{sample_or_stand_in, InProcesses, Sampler};
use super::say::say;
use super::serve::serve_cell;
use super::settings::{n_values, selected_models, Filter, ModelSet, CONTROLS_MAX_N};
use super::shared::SharedReadings;
use super::spec::{rows, ExtraRow, GroupSpec, Measure, Row};
use super::state::{cell_load, state_tasks, STATE_MAX_N};
use crate::catalogue::Measures;
use crate::limits::{self, Snapshot};
use crate::measure::instructions;
use crate::models::{self, TaskModel};
use crate::record::{criterion_cell_dir, records_dir, CellLog};
use crate::results::overview;
use crate::results::plain_page::{plots_at_risk, write_plain_page};

/// A bench binary's `main` over the registry's models. In a cell's child process (see [`super::cell`]) it
/// measures that cell and exits; otherwise it builds Criterion from `config` and the command line, runs the
/// group, prints Criterion's summary and the overview's path, and exits non-zero when a cell failed.
pub fn bench_main<M: CellValue>(
    spec: &GroupSpec,
    extra: &[ExtraRow],
    measure: Measure,
    config: impl Fn() -> Criterion<M>,
) {
    bench_main_over(&ModelSet::registry(), spec, extra, measure, config)
}

/// [`bench_main`] over the models of `set` (tests run fake models as a bench binary this way).
pub fn bench_main_over<M: CellValue>(
    set: &ModelSet,
    spec: &GroupSpec,
    extra: &[ExtraRow],
    measure: Measure,
    config: impl Fn() -> Criterion<M>,
) {
    // The run's id, and the instant Criterion's results must be newer than to be recorded.
    let started = SystemTime::now();
    // A process started under callgrind to count a spawn loop's instructions: the count is all it does.
    if let Some(asked) = instructions::requested() {
        match asked.and_then(|(name, n)| set.by_name(&name).map(|m| (m, n)).ok_or_else(|| anyhow!("no row {name}"))) {
            Ok((model, n)) => serve_count(model, n),
            Err(e) => {
                say(&format!("{e:#}"));
                std::process::exit(2);
            }
        }
    }
    if let Some(id) = cell::requested_cell() {
        let models: Vec<_> = set.all().collect();
        serve_cell(spec, &models, &extra.iter().collect::<Vec<_>>(), measure, &id);
    }
    if let Err(why) = spec.check() {
        say(&why);
        std::process::exit(2);
    }
    let mut runners = Runners::from_args(config);
    let outcome = run_group_over(set, &mut runners, spec, extra, started);
    runners.plots.final_summary();
    // Last but the failures, so that the page's path ends a good run; nothing measured (--list, test mode),
    // no page.
    if outcome.measured > 0 {
        say(&overview::after_bench(&runners.criterion_home, &records_dir()));
    }
    if let Some(line) = failure_summary(&outcome.failed) {
        say(&line);
        std::process::exit(1);
    }
}

/// A cell that failed once it had started, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct FailedCell {
    pub id: String,
    pub reason: String,
}

/// What a group's run came to.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Cells Criterion measured and the run recorded.
    pub measured: usize,
    pub failed: Vec<FailedCell>,
}

/// The line a bench ends with when cells failed: `N cell(s) FAILED: id (reason); …`.
pub fn failure_summary(failed: &[FailedCell]) -> Option<String> {
    let cells: Vec<String> = failed.iter().map(|f| format!("{} ({})", f.id, f.reason)).collect();
    (!failed.is_empty()).then(|| format!("{} cell(s) FAILED: {}", failed.len(), cells.join("; ")))
}

/// Runs `spec` over the registry (see [`run_group_over`]).
pub fn run_group<M: CellValue>(
    c: &mut Runners<M>,
    spec: &GroupSpec,
    extra: &[ExtraRow],
    started: SystemTime,
) -> Outcome {
    run_group_over(&ModelSet::registry(), c, spec, extra, started)
}

/// Runs `spec` for every selected model of `set` at every N that fits this machine (settings from the
/// environment and Criterion's filter from the command line), then the `extra` rows, recording each cell as
/// it finishes. Every cell is measured in child processes of this binary (see [`super::cell`]). A setting
/// that cannot be read ends the process with its line and status 2.
pub fn run_group_over<M: CellValue>(
    set: &ModelSet,
    c: &mut Runners<M>,
    spec: &GroupSpec,
    extra: &[ExtraRow],
    started: SystemTime,
) -> Outcome {
    let fail = |e: anyhow::Error| -> ! {
        say(&format!("{e:#}"));
        std::process::exit(2);
    };
    let n_values = n_values(spec.group.default_n).unwrap_or_else(|e| fail(e));
    models::wait_limit_setting().unwrap_or_else(|e| fail(e));
    // Read here, before stderr goes through the filter: an exit while it does could lose the line.
    budget_from_env().unwrap_or_else(|e| fail(e));
    let extra_names: Vec<&str> = extra.iter().map(|row| row.name).collect();
    let (models, extra_names) = selected_models(set, spec.with_controls, &extra_names).unwrap_or_else(|e| fail(e));
    let matrix = Matrix {
        n_values,
        models: applicable(spec, set, models),
        extra: extra.iter().filter(|row| extra_names.contains(&row.name)).collect(),
        filter: Filter::from_args(std::env::args()),
    };
    let processes = RefCell::new(CellProcesses::new(spec.temperature()));
    let mut log = CellLog::new(c.criterion_home.clone(), records_dir(), started);
    // Every setting is read by now: nothing below ends the process while its stderr is filtered.
    let quiet = QuietStderr::start();
    let shared = spec.shares.and_then(|_| SharedReadings::of_this_run(&records_dir()));
    let sampler = InProcesses::new(&processes, spec, shared, &matrix.extra);
    let failed = run_group_with(c, spec, &matrix, &mut log, sampler);
    drop(quiet);
    let seconds = started.elapsed().map_or(0.0, |d| d.as_secs_f64());
    if log.measured_cells + log.failed_cells == 0 {
        say(&format!(
            "{}: no cell recorded (Criterion wrote no new result in {}), in {seconds:.0} s",
            spec.name(),
            c.criterion_home.display()
        ));
    } else {
        say(&format!(
            "{}: {} cells measured, {} skipped and {} failed, recorded in {}, in {seconds:.0} s",
            spec.name(),
            log.measured_cells,
            log.skipped_cells,
            log.failed_cells,
            records_dir().join("cells").join(spec.name()).display()
        ));
    }
    Outcome { measured: log.measured_cells, failed }
}

/// The models `spec` applies to; the others are named in one line.
fn applicable(spec: &GroupSpec, set: &ModelSet, models: Vec<&'static dyn TaskModel>) -> Vec<&'static dyn TaskModel> {
    let is_control = |m: &&'static dyn TaskModel| set.is_control(m.name());
    let models = if spec.state_sizes.is_some() && models.iter().any(is_control) {
        // A control holds a payload of its own; here every row holds the group's K.
        let (controls, models): (Vec<_>, Vec<_>) = models.into_iter().partition(is_control);
        let names: Vec<&str> = controls.iter().map(|m| m.name()).collect();
        say(&format!(
            "{} holds K bytes in every model's task; not the calibration controls {}",
            spec.name(),
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
        say(&format!("{} measures {} only; not {}", spec.name(), only.describe, names.join(", ")));
    }
    kept
}

/// What a group's run covers: the N values, the rows, and Criterion's filter.
pub struct Matrix<'x> {
    pub n_values: Vec<usize>,
    pub models: Vec<&'static dyn TaskModel>,
    pub extra: Vec<&'x ExtraRow>,
    pub filter: Filter,
}

/// Runs the group over `matrix`; `sampler` measures `iters` iterations of a cell by id (in fresh processes
/// when the benches run). Each cell is recorded in `log` as it finishes. Returns the cells that failed.
pub fn run_group_with<M: CellValue>(
    c: &mut Runners<M>,
    spec: &GroupSpec,
    matrix: &Matrix<'_>,
    log: &mut CellLog,
    sampler: impl Sampler,
) -> Vec<FailedCell> {
    let budget = CellBudget::from_env(spec.name(), log.records_dir()).unwrap_or_else(|e| {
        say(&format!("{e:#}"));
        std::process::exit(2)
    });
    // Rows measure nothing here (their processes do); they give names, settings and limits.
    let rows = rows(&matrix.models, &matrix.extra);
    let Runners { plots, no_plots, criterion_home } = c;
    let mut run = GroupRun {
        spec,
        matrix,
        group: plots.benchmark_group(spec.name()),
        no_plots: no_plots.as_mut(),
        criterion_home: criterion_home.clone(),
        log,
        budget,
        sampler: &sampler,
        failed: Vec::new(),
        rounds: Rounds::default(),
    };
    let planned: Vec<String> =
        rows.iter().flat_map(|r| run.cells_of(r).into_iter().map(|x| spec.id(r.name, x))).collect();
    run.log.plan(&matrix.n_values, models::available_cores(), planned);
    // Timing groups, warm and cold: see [`super::rounds`] for why and what not.
    if spec.group.measures == Measures::Time && rounds_on() {
        run.run_in_rounds(rows);
    } else {
        for row in rows {
            run.run_row(row);
        }
    }
    run.group.finish();
    run.failed
}

/// One group's run in progress: Criterion's group, the log, the budget and the failures so far.
struct GroupRun<'r, 'c, M: Measurement> {
    spec: &'r GroupSpec,
    matrix: &'r Matrix<'r>,
    group: BenchmarkGroup<'c, M>,
    /// The runner without plots, for cells whose plots are at risk ([`plots_at_risk`]).
    no_plots: Option<&'c mut Criterion<M>>,
    criterion_home: PathBuf,
    log: &'r mut CellLog,
    budget: CellBudget,
    sampler: &'r dyn Sampler,
    failed: Vec<FailedCell>,
    /// The interleaved rounds at the current N ([`super::rounds`]); empty outside them.
    rounds: Rounds,
}

impl<M: CellValue> GroupRun<'_, '_, M> {
    /// The last part of each of `row`'s cell ids, before the filter: N, or in a state group K.
    fn cells_of(&self, row: &Row) -> Vec<usize> {
        match self.spec.state_sizes {
            Some(sizes) => sizes.to_vec(),
            None => {
                let is_control = models::controls().iter().any(|c| c.name() == row.name);
                self.matrix.n_values.iter().copied().filter(|&n| !is_control || n <= CONTROLS_MAX_N).collect()
            }
        }
    }

    /// The cells of `row` Criterion's filter lets through, or none (each recorded as skipped with its line)
    /// when the row cannot run here.
    fn wanted(&mut self, row: &Row) -> Vec<usize> {
        let wanted: Vec<usize> = (self.cells_of(row).into_iter())
            .filter(|&x| self.matrix.filter.matches(&self.spec.id(row.name, x)))
            .collect();
        if wanted.is_empty() {
            return wanted;
        }
        if let Err(why) = &row.available {
            say(&format!("skip {}/{}: {why}", self.spec.name(), row.name));
            for x in wanted {
                self.record_skip(row, x, why.clone());
            }
            return Vec::new();
        }
        wanted
    }

    /// Every wanted cell of `row`, one after the other.
    fn run_row(&mut self, mut row: Row) {
        let wanted = self.wanted(&row);
        if wanted.is_empty() {
            return;
        }
        if self.spec.state_sizes.is_some() && !self.size_state_row(&mut row, &wanted) {
            return;
        }
        self.announce(&row);
        for x in wanted {
            self.run_cell(&row, x);
        }
    }

    /// The row's configuration line (and caveat), once before its cells.
    fn announce(&self, row: &Row) {
        let caveat = row.caveat.map(|c| format!(" [{c}]")).unwrap_or_default();
        say(&format!("{} {}: {}{caveat}", self.spec.name(), row.name, row.config));
    }

    /// The rows N by N: at each N the rows that pass their preflight are measured in interleaved rounds,
    /// then Criterion measures each cell from its rounds ([`super::rounds`]).
    fn run_in_rounds(&mut self, rows: Vec<Row>) {
        let mut ready = Vec::new();
        for row in rows {
            let wanted = self.wanted(&row);
            if !wanted.is_empty() {
                self.announce(&row);
                ready.push((row, wanted));
            }
        }
        for &n in &self.matrix.n_values.clone() {
            let mut passed = Vec::new();
            for (row, _) in ready.iter().filter(|(_, wanted)| wanted.contains(&n)) {
                // The same preflight runs again at the cell's turn (the budget's counters are per cell); its
                // verdict does not change in between: estimates come from smaller N only.
                match self.preflight(row, n) {
                    Ok(plan) => passed.push((row, plan)),
                    Err(why) => self.skip(row, n, why),
                }
            }
            // A round per Criterion sample; round 1 also answers its warm-up call.
            let cells: Vec<_> = passed
                .iter()
                .map(|(row, _)| RoundCell {
                    id: self.spec.id(row.name, n),
                    tasks: row.tasks,
                    samples: cell_sample_size(self.spec, n, &row.needs),
                    per_process: cell::calls_per_process(self.spec.temperature(), n) as usize,
                })
                .collect();
            if !cells.is_empty() {
                say(&format!("{}: {} rows at N = {n} in interleaved rounds", self.spec.name(), cells.len()));
            }
            self.rounds = Rounds::run(&cells, self.sampler);
            for (row, _) in passed {
                self.run_cell(row, n);
            }
            self.rounds = Rounds::default();
        }
    }

    /// Gives a state row its one N for every K, sized for the largest K its stack holds, so that the figures
    /// at different K differ by the state alone. `false` (each cell skipped with its line) when none fits.
    fn size_state_row(&mut self, row: &mut Row, wanted: &[usize]) -> bool {
        let fits = |k: &usize| models::stack_fits(row.name, row.stack.as_ref(), *k).is_ok();
        let largest = wanted.iter().copied().filter(fits).max().unwrap_or(0);
        let cap = self.matrix.n_values.iter().copied().max().unwrap_or(STATE_MAX_N).min(STATE_MAX_N);
        match state_tasks(&row.needs, largest, cap, &Snapshot::live()) {
            Ok(n) => {
                row.tasks = Some(n);
                row.config = format!("{}; N = {n} tasks at every K", row.config);
                true
            }
            Err(short) => {
                for &k in wanted {
                    self.skip(row, k, short.to_string());
                }
                false
            }
        }
    }

    /// The cell's plan, or why it is skipped: a state its tasks' stacks cannot hold, a machine that cannot
    /// hold its tasks, or an estimate over the time budget.
    fn preflight(&mut self, row: &Row, x: usize) -> Result<Plan, String> {
        let (n, needs) = cell_load(row.tasks, &row.needs, x);
        if row.tasks.is_some() {
            models::stack_fits(row.name, row.stack.as_ref(), x)?;
        }
        limits::check(&needs, n, &Snapshot::live()).map_err(|short| short.to_string())?;
        let samples = cell_sample_size(self.spec, n, &needs);
        let plan = Plan::new(self.spec, n, samples, measurement_time(self.spec, n)).keyed_by(x);
        self.budget.check(row.name, &plan)?;
        Ok(plan)
    }

    /// One cell, from its preflight to its record.
    fn run_cell(&mut self, row: &Row, x: usize) {
        let plan = match self.preflight(row, x) {
            Ok(plan) => plan,
            Err(why) => return self.skip(row, x, why),
        };
        let started = Instant::now();
        let id = self.spec.id(row.name, x);
        // Its rounds' processes ran before: their time counts as the cell's.
        let in_rounds = self.rounds.time_of(&id);
        self.budget.add_process_time(in_rounds);
        let cell_dir = criterion_cell_dir(&self.criterion_home, self.spec.name(), row.name, x);
        let plain = self.no_plots.is_some() && plots_at_risk(&cell_dir);
        let (n, needs) = cell_load(row.tasks, &row.needs, x);
        let room_for_two = || limits::check(&needs, 2 * n, &Snapshot::live()).is_ok();
        if !self.rounds.has(&id) && cell::two_at_once(self.spec, &needs, room_for_two) {
            self.sampler.two_at_once(&id, row.tasks, plan.samples);
        }
        let failure = self.measure(row, x, plan.n, plain);
        let mut notes = self.rounds.take_notes(&id);
        notes.extend(self.sampler.cell_done());
        let mut record = row.record(self.spec, x);
        record.notes = notes;
        record.interleaved = self.rounds.has(&id);
        if record.interleaved {
            record.machine_reference = self.rounds.machine_reference().to_vec();
        }
        match &failure {
            // A failed cell's time says nothing of what a full one takes: the budget does not learn from it.
            Some(reason) => {
                self.failed.push(FailedCell { id: id.clone(), reason: reason.clone() });
                record.failed = Some(reason.clone());
            }
            None => self.budget.finish(row.name, plan, started.elapsed() + in_rounds),
        }
        let recorded = self.log.measured(record).unwrap_or_else(|e| noted::<bool>(Err(e)));
        if recorded && plain && failure.is_none() {
            match write_plain_page(&cell_dir, self.spec.name(), self.spec.group.unit(), row.name, x) {
                Ok(page) => say(&format!(
                    "{id}: its last samples were all identical, so Criterion's plots were off for it (Criterion \
                     0.8 panics drawing a t-test of identical samples); its page is drawn by taskbench: {}",
                    page.display()
                )),
                Err(e) => say(&format!("{id}: could not draw its page: {e:#}")),
            }
        }
    }

    /// Criterion's measurement of cell `x` of `row` (`n` tasks per iteration), on the runner without plots
    /// when `plain`. Returns the reason when the cell failed.
    fn measure(&mut self, row: &Row, x: usize, n: usize, plain: bool) -> Option<String> {
        let id = self.spec.id(row.name, x);
        let failure: RefCell<Option<String>> = RefCell::new(None);
        let (budget, sampler, tasks, rounds) = (&self.budget, self.sampler, row.tasks, &self.rounds);
        let bench = |b: &mut criterion::Bencher<'_, M>, _: &usize| {
            b.iter_custom(|iters| {
                M::from_cell(sample_or_stand_in(&id, &failure, iters, || {
                    // A served value counts as its round's iterations (its process's time counted already), so
                    // that the budget learns what a round costs, not the iterations Criterion asked for.
                    let value = match rounds.serve(&id, iters) {
                        Some(served) => budget.sample(ITERATIONS_PER_ROUND, || served),
                        None => budget.sample(iters, || sampler.sample(&id, tasks, iters)),
                    };
                    // Readings another group's processes took count as this group's time in them.
                    budget.add_process_time(sampler.take_stored_time());
                    value
                }))
            })
        };
        let bench_id = BenchmarkId::new(row.name, x);
        match self.no_plots.as_deref_mut().filter(|_| plain) {
            Some(no_plots) => {
                let mut alone = no_plots.benchmark_group(self.spec.name());
                set_up(&mut alone, self.spec, n, &row.needs).bench_with_input(bench_id, &x, bench);
                alone.finish();
            }
            None => {
                set_up(&mut self.group, self.spec, n, &row.needs).bench_with_input(bench_id, &x, bench);
            }
        }
        failure.into_inner()
    }

    /// Says why cell `x` of `row` does not run, and records it.
    fn skip(&mut self, row: &Row, x: usize, why: String) {
        say(&format!("skip {}: {why}", self.spec.id(row.name, x)));
        self.record_skip(row, x, why);
    }

    fn record_skip(&mut self, row: &Row, x: usize, why: String) {
        noted(self.log.skipped(row.record(self.spec, x), why));
    }
}

/// A record that could not be written is said, not fatal: the measurement stands in Criterion's folder.
fn noted<T: Default>(result: Result<T>) -> T {
    result.unwrap_or_else(|e| {
        say(&format!("could not write a cell record: {e:#}"));
        T::default()
    })
}
