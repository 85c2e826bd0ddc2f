//! Criterion's side of a bench run: the runners built from the command line, the settings every cell gets
//! (flat sampling, sample size and measuring time by N), and how a number a cell's process prints becomes
//! Criterion's value ([`CellValue`]).

use std::path::PathBuf;
use std::time::Duration;

use criterion::measurement::{Measurement, WallTime};
use criterion::{AxisScale, BenchmarkGroup, Criterion, PlotConfiguration, SamplingMode, Throughput};

use super::spec::GroupSpec;
use crate::catalogue::{Axis, Per};
use crate::limits::Needs;
use crate::measure::{BytesPerTask, InstructionsPerTask};
use crate::record::criterion_home;

/// Criterion settings that keep 10^6 tasks affordable: flat sampling, 10 samples. Criterion's own warm-up is
/// one short call: each sample's process warms itself (see [`super::cell`]), so Criterion's warm-up only
/// estimates how long a sample takes (and where readings repeat, its reading is the first sample's:
/// [`super::sampler`]).
///
/// [`BOOTSTRAP_RESAMPLES`] rather than Criterion's 100,000: the plots of the bootstrap distributions (a
/// density estimate over every resample) were most of a run's time. Three `yield` cells at N = 2 on 2 cores
/// took 10.7 s with 100,000 resamples, 2.6 s with 10,000 and 2.3 s without plots.
pub fn criterion_config<M: Measurement>(c: Criterion<M>) -> Criterion<M> {
    c.sample_size(10)
        .warm_up_time(Duration::from_nanos(1))
        .measurement_time(Duration::from_secs(2))
        .nresamples(BOOTSTRAP_RESAMPLES)
}

/// Bootstrap resamples per cell. Criterion's intervals are percentile intervals of the resamples; with
/// 10,000 the 2.5% and 97.5% points each stand within about 0.2 percentile points of where infinitely many
/// would put them (binomial error, sqrt(0.025 · 0.975 / 10,000) = 0.16%). The medians, the samples and the
/// suite's own noise test (ranks of the samples) do not depend on it. `--nresamples` still overrides it.
pub const BOOTSTRAP_RESAMPLES: usize = 10_000;

/// Criterion settings for the memory groups: [`criterion_config`] with the bytes measurement.
pub fn memory_config() -> Criterion<BytesPerTask> {
    criterion_config(Criterion::default().with_measurement(BytesPerTask))
}

/// Criterion settings for the instruction counts: [`criterion_config`] with the instructions measurement.
pub fn instructions_config() -> Criterion<InstructionsPerTask> {
    criterion_config(Criterion::default().with_measurement(InstructionsPerTask))
}

/// A bench binary's Criterion runners, both configured from the same command line: `plots` as the user asked,
/// and `no_plots`, the same without plots, for the cells whose plots are at risk ([`crate::results::plain_page::plots_at_risk`]).
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

/// Samples per timing cell: 20 at 10^4 and below, where a sample's process costs milliseconds and more
/// processes steady the median; Criterion's minimum of 10 above, and for rows whose every task is a thread or
/// owns a stack mapping (`stackful`). Those rows' processes cost seconds at 10^4 (three bursts of 10^4 thread
/// spawns: 20–74 s for a cell of 20 in the 12-04 13:09 run), and ten of their samples give a median 0.4–4.0%
/// from twenty's (that run's thread and may cells at 10^4, the median over 200 random halves of each), where
/// the machine's speed moves a cell by tens of percent between runs.
fn sample_size(n: usize, stackful: bool) -> usize {
    if n <= 10_000 && !stackful {
        20
    } else {
        10
    }
}

/// Target measuring time for one benchmark: larger N gets a little more, but one iteration per sample
/// is the floor (Criterion then runs 10 iterations whatever this says). A memory group's target is the
/// floor itself: one process per sample. Its readings repeat (heap to the byte, RSS to a few pages), so
/// more processes per sample would buy no narrower interval; they cost up to 19 processes per sample at
/// 10^4 (190 for a cell) when Criterion fitted them into seconds. One process per sample is also what lets
/// the memory groups of one run share their processes ([`super::shared`]): every group asks for one
/// reading per call, in the same order. Instruction counts repeat too, and get the same floor.
pub fn measurement_time(spec: &GroupSpec, n: usize) -> Duration {
    if spec.readings_repeat() {
        return Duration::from_nanos(1);
    }
    // A switch iteration is thousands of hand-offs or yields at any N, so its time does not grow with N;
    // Criterion's estimate from the warm-up call (a process start included) makes this one or two
    // iterations per sample's process.
    if spec.group.per != Per::Task {
        return Duration::from_secs(1);
    }
    match n {
        0..=20_000 => Duration::from_secs(2),
        20_001..=200_000 => Duration::from_secs(3),
        _ => Duration::from_secs(4),
    }
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

impl CellValue for InstructionsPerTask {
    fn from_cell(instructions_per_task: f64) -> f64 {
        instructions_per_task
    }
}

impl CellValue for BytesPerTask {
    fn from_cell(bytes_per_task: f64) -> f64 {
        bytes_per_task
    }
}

/// A cell's Criterion settings: flat sampling, a log-scale summary, tasks/s where asked, and the sample size
/// and measuring time for its N (and its row's tasks: [`cell_sample_size`]).
pub fn set_up<'g, 'c, M: Measurement>(
    group: &'g mut BenchmarkGroup<'c, M>,
    spec: &GroupSpec,
    n: usize,
    needs: &Needs,
) -> &'g mut BenchmarkGroup<'c, M> {
    // A state group's ids end in K, and K = 0 has no place on a log axis.
    let scale = match spec.group.axis {
        Axis::K => AxisScale::Linear,
        Axis::N => AxisScale::Logarithmic,
    };
    group.sampling_mode(SamplingMode::Flat).plot_config(PlotConfiguration::default().summary_scale(scale));
    if spec.per_task_throughput() {
        group.throughput(Throughput::Elements(n as u64));
    }
    group.measurement_time(measurement_time(spec, n)).sample_size(cell_sample_size(spec, n, needs))
}

/// Samples per cell: 20 or 10 by N and the row's tasks for timings (see `sample_size`), Criterion's minimum of
/// 10 for memory (readings repeat) and for instruction counts. A count repeats to within 0.25% between
/// processes (the 12-04 18:55 run's cells at 10^4, most to the instruction), and ten samples put the median
/// within 0.05% of twenty's (the worst of 200 random halves of those cells); the other ten cost 10 processes
/// under callgrind per cell, 0.4–0.7 s each at 10^4.
pub fn cell_sample_size(spec: &GroupSpec, n: usize, needs: &Needs) -> usize {
    if spec.readings_repeat() {
        10
    } else {
        sample_size(n, needs.threads_per_task > 0 || needs.maps_per_task > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue;

    /// Fails on: a thread or may row at 10^4 given twenty samples again (a minute a cell for a median within
    /// 1% of ten's), a cheap row at 10^4 cut to ten, or a memory group or an instruction count given more than
    /// Criterion's minimum.
    #[test]
    fn samples_follow_the_cost_of_a_rows_process() {
        let spawn = GroupSpec::of(&catalogue::SPAWN);
        let thread = Needs { threads_per_task: 1, ..Needs::STACKLESS };
        let coroutine = Needs { maps_per_task: 2, ..Needs::STACKLESS };
        assert_eq!(cell_sample_size(&spawn, 10_000, &Needs::STACKLESS), 20);
        assert_eq!(cell_sample_size(&spawn, 10_000, &thread), 10);
        assert_eq!(cell_sample_size(&spawn, 10_000, &coroutine), 10);
        assert_eq!(cell_sample_size(&spawn, 100_000, &Needs::STACKLESS), 10);
        assert_eq!(cell_sample_size(&GroupSpec::of(&catalogue::HEAP), 10_000, &Needs::STACKLESS), 10);
        assert_eq!(cell_sample_size(&GroupSpec::of(&catalogue::SPAWN_INSTRUCTIONS), 10_000, &Needs::STACKLESS), 10);
    }

    /// Fails on: an instruction count given seconds of measuring time again, where a process that counts
    /// faster than the time per sample would be asked for two or more iterations (processes) per sample.
    #[test]
    fn a_count_is_one_process_per_sample() {
        let floor = Duration::from_nanos(1);
        assert_eq!(measurement_time(&GroupSpec::of(&catalogue::SPAWN_INSTRUCTIONS), 10_000), floor);
        assert_eq!(measurement_time(&GroupSpec::of(&catalogue::HEAP), 1_000_000), floor);
        assert_eq!(measurement_time(&GroupSpec::of(&catalogue::SPAWN_COLD), 10_000), Duration::from_secs(2));
    }
}
