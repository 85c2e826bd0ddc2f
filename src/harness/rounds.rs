//! Interleaved rounds for the timing groups, warm (`spawn`, `spawn_join`, `handoff`, `yield`) and cold
//! (`spawn_cold`, `spawn_join_cold`): at one N, before Criterion measures the cells, every row that passed its
//! preflight is measured in rounds, one per Criterion sample of its cell (rows of fewer samples drop out of the
//! later rounds). Each round visits the rows in a fresh
//! random order and starts one process per row ([`super::cell`]): a warm one runs its untimed warm-up, then one
//! timed iteration per call it serves (one call, or two at 10^6 as cell by cell,
//! [`super::cell::samples_per_process`]); a cold one times its first burst, one call. Criterion's calls for a
//! cell are then served from the store in order: each call gets one timed iteration's value times the
//! iterations Criterion asks for, so each Criterion sample is one process's figure per iteration (Criterion's
//! warm-up call, which it uses only to plan its iterations, is answered with round 1's value, which is also the
//! first sample's: no process is spent on it), and sample `i`
//! of every row was taken in the same round, minutes apart at most from the others: the machine's drift moves a
//! round's rows together, and a ratio between rows can be taken per round ([`crate::results::paired`]). Each
//! round starts with a reading of the machine-speed reference ([`crate::measure::reference`]), recorded with
//! every cell at that N, so that two runs can be compared against how much the machine itself moved.
//!
//! What it does not do: memory groups and the instruction counts keep one cell after the other (neither
//! drifts with the machine's speed). A cold cell measured cell by cell (`TASKBENCH_ROUNDS=0`) averages as many
//! fresh processes per sample as Criterion's measuring time fits; in rounds each sample is one process. A row
//! whose process fails in a round fails that cell only, at that call; the other rows go on. A call past the
//! store is measured on the spot (cell by cell, as without rounds). Rounds rely on the suite's one-call warm-up
//! ([`super::criterion_setup::criterion_config`]): a longer Criterion warm-up, timed on the wall clock,
//! doubles its iterations over calls that served values answer at once, and would run past the store into
//! one process asked for millions of iterations. `TASKBENCH_ROUNDS=0` turns rounds off.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Result};

use super::sampler::Sampler;
use crate::measure::reference::MachineReference;

/// The setting that turns rounds off (`0`).
pub const ROUNDS_ENV: &str = "TASKBENCH_ROUNDS";

/// Timed iterations each round's process runs: one, the simplest honest choice: Criterion's flat sampling
/// at these sizes asks a warm process for one or two iterations per call too.
pub const ITERATIONS_PER_ROUND: u64 = 1;

/// Whether rounds are on: not with `TASKBENCH_ROUNDS=0`, and only under Criterion's own sampling (its
/// warm-up call and its samples): its `--quick`, `--test` and `--profile-time` modes make other calls (quick
/// mode doubles the iterations until two calls agree; served values never would, and the call past the store
/// would then ask one process for millions of iterations), so they keep the cell-by-cell path.
pub fn rounds_on() -> bool {
    let other_mode = std::env::args().any(|a| matches!(a.as_str(), "--quick" | "--test" | "--profile-time"));
    !other_mode && std::env::var(ROUNDS_ENV).map_or(true, |v| v.trim() != "0")
}

/// A cell in the rounds: its id, the tasks it runs where the id does not end in N, Criterion's samples of it
/// (its calls less the warm-up call, which round 1 answers: [`Rounds::serve`]), and the calls one process serves.
#[derive(Debug, Clone)]
pub struct RoundCell {
    pub id: String,
    pub tasks: Option<usize>,
    pub samples: usize,
    pub per_process: usize,
}

impl RoundCell {
    /// The rounds that give its samples.
    fn rounds(&self) -> usize {
        self.samples.div_ceil(self.per_process.max(1))
    }
}

/// One cell's rounds: its values per iteration in round order, then the reason it failed, if it did.
#[derive(Debug, Default)]
struct Taken {
    per_iteration: Vec<f64>,
    failed: Option<String>,
    /// Time in its processes, for the budget, and the notes they left.
    seconds: Duration,
    notes: Vec<String>,
    /// The index of the next Criterion call.
    served: usize,
}

/// The rounds at one N, and Criterion's calls served from them.
#[derive(Debug, Default)]
pub struct Rounds {
    cells: RefCell<HashMap<String, Taken>>,
    /// The machine reference read at the start of each round ([`crate::measure::reference`]).
    machine_reference: Vec<MachineReference>,
}

impl Rounds {
    /// Runs rounds over `cells`, each round in a fresh random order over the cells that still want one: one
    /// process per cell per round through `sampler`, which serves the cell's `per_process` consecutive calls
    /// (two at 10^6, where the untimed warm-up is most of a process's time: [`super::cell::samples_per_process`]).
    /// Round `i` of every cell is taken in the same pass.
    pub fn run(cells: &[RoundCell], sampler: &dyn Sampler) -> Rounds {
        let mut taken: HashMap<String, Taken> = cells.iter().map(|c| (c.id.clone(), Taken::default())).collect();
        let mut order: Vec<&RoundCell> = cells.iter().collect();
        let most = cells.iter().map(RoundCell::rounds).max().unwrap_or(0);
        let mut machine_reference = Vec::new();
        for round in 0..most {
            machine_reference.extend(sampler.machine_reference());
            fastrand::shuffle(&mut order);
            for c in order.iter().filter(|c| round < c.rounds()) {
                let cell = taken.get_mut(&c.id).expect("every cell has an entry");
                if cell.failed.is_some() {
                    continue;
                }
                let started = Instant::now();
                for _ in 0..c.per_process {
                    match sampler.sample(&c.id, c.tasks, ITERATIONS_PER_ROUND) {
                        Ok(v) => cell.per_iteration.push(v / ITERATIONS_PER_ROUND as f64),
                        Err(e) => {
                            cell.failed = Some(format!("{e:#}"));
                            break;
                        }
                    }
                }
                // The round's process ends here, before the next row's starts.
                cell.notes.extend(sampler.cell_done());
                cell.seconds += started.elapsed();
            }
        }
        Rounds { cells: RefCell::new(taken), machine_reference }
    }

    /// The machine reference of each round, in round order.
    pub fn machine_reference(&self) -> &[MachineReference] {
        &self.machine_reference
    }

    /// Whether `id` was in the rounds.
    pub fn has(&self, id: &str) -> bool {
        self.cells.borrow().contains_key(id)
    }

    /// Criterion's next call for `id`: the next round's value per iteration × `iters`, the round's failure,
    /// or `None` past the store. The first call is Criterion's warm-up, of which it keeps only the wall time
    /// (a served value answers at once, so it plans as many iterations per sample at any value); it gets
    /// round 1's value, and the first sample gets it again: sample `i` is round `i`'s.
    pub fn serve(&self, id: &str, iters: u64) -> Option<Result<f64>> {
        let mut cells = self.cells.borrow_mut();
        let cell = cells.get_mut(id)?;
        let index = cell.served.saturating_sub(1);
        cell.served += 1;
        match (cell.per_iteration.get(index), &cell.failed) {
            (Some(v), _) => Some(Ok(v * iters as f64)),
            (None, Some(reason)) => Some(Err(anyhow!("{reason}"))),
            (None, None) => None,
        }
    }

    /// The time `id`'s round processes took (zero for a cell not in the rounds).
    pub fn time_of(&self, id: &str) -> Duration {
        self.cells.borrow().get(id).map_or(Duration::ZERO, |c| c.seconds)
    }

    /// The notes `id`'s processes left, taken once.
    pub fn take_notes(&self, id: &str) -> Vec<String> {
        self.cells.borrow_mut().get_mut(id).map(|c| std::mem::take(&mut c.notes)).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;

    /// Logs the cells it is asked for, in order, and answers each with the call's place in the log.
    #[derive(Default)]
    struct Log(RefCell<Vec<String>>);

    impl Sampler for Log {
        fn sample(&self, id: &str, _: Option<usize>, _: u64) -> Result<f64> {
            let mut log = self.0.borrow_mut();
            log.push(id.to_string());
            Ok(log.len() as f64)
        }
    }

    /// Fails on: a row of ten samples measured in every round of the rows of twenty (twice the processes it
    /// needs), or a row's first rounds not taken beside the other rows' first rounds.
    #[test]
    fn a_row_of_fewer_samples_is_in_the_first_rounds_only() {
        let log = Log::default();
        let cell = |id: &str, calls| RoundCell { id: id.to_string(), tasks: None, samples: calls, per_process: 1 };
        let cells = [cell("g/cheap/1", 21), cell("g/costly/1", 11)];
        let rounds = Rounds::run(&cells, &log);
        let asked = log.0.borrow();
        assert_eq!(asked.iter().filter(|id| id.as_str() == "g/costly/1").count(), 11);
        assert_eq!(asked.iter().filter(|id| id.as_str() == "g/cheap/1").count(), 21);
        // Both rows in each of the first 11 passes, the cheap row alone after.
        for pass in asked[..22].chunks(2) {
            assert_ne!(pass[0], pass[1], "{asked:?}");
        }
        assert!(asked[22..].iter().all(|id| id == "g/cheap/1"));
        assert!(rounds.serve("g/costly/1", 1).is_some());
    }

    /// Fails on: Criterion's warm-up call given a round of its own (the last sample would then run past the
    /// store, one process more a cell), or the first sample not round 1's.
    #[test]
    fn the_warm_up_call_and_the_first_sample_are_both_round_one() {
        let log = Log::default();
        let rounds = Rounds::run(&[RoundCell { id: "g/a/1".into(), tasks: None, samples: 3, per_process: 1 }], &log);
        let served: Vec<f64> = (0..4).map(|_| rounds.serve("g/a/1", 2).map(|v| v.unwrap()).unwrap_or(-1.0)).collect();
        assert_eq!(served, [2.0, 2.0, 4.0, 6.0], "warm-up, then three samples of one iteration's value × 2");
        assert!(rounds.serve("g/a/1", 1).is_none(), "past the store");
    }

    /// Fails on: the machine reference read per process instead of per round, or after a round's rows.
    #[test]
    fn each_round_starts_with_a_reading_of_the_machine_reference() {
        struct Reads(Log);
        impl Sampler for Reads {
            fn sample(&self, id: &str, tasks: Option<usize>, iters: u64) -> Result<f64> {
                self.0.sample(id, tasks, iters)
            }
            fn machine_reference(&self) -> Option<MachineReference> {
                let taken = self.0 .0.borrow().len() as f64;
                Some(MachineReference { workload_ns: taken, wake_ns: None })
            }
        }
        let reads = Reads(Log::default());
        let cell = |id: &str| RoundCell { id: id.to_string(), tasks: None, samples: 11, per_process: 2 };
        let rounds = Rounds::run(&[cell("g/a/1"), cell("g/b/1")], &reads);
        // Six rounds of two rows serving two calls each: read before calls 0, 4, 8, ...
        let at: Vec<f64> = rounds.machine_reference().iter().map(|r| r.workload_ns).collect();
        assert_eq!(at, [0.0, 4.0, 8.0, 12.0, 16.0, 20.0]);
    }

    /// Fails on: a process that serves two calls (10^6) started for each call (twice the processes), or its
    /// two calls not taken one after the other in its round.
    #[test]
    fn a_process_serving_two_calls_gives_both_in_its_round() {
        let log = Log::default();
        let cell = |id: &str| RoundCell { id: id.to_string(), tasks: None, samples: 11, per_process: 2 };
        let rounds = Rounds::run(&[cell("g/a/1"), cell("g/b/1")], &log);
        let asked = log.0.borrow();
        assert_eq!(asked.len(), 24, "6 rounds of two rows, two calls each: {asked:?}");
        for call in asked.chunks(2) {
            assert_eq!(call[0], call[1], "{asked:?}");
        }
        for pass in asked.chunks(4) {
            assert_ne!(pass[0], pass[2], "{asked:?}");
        }
        assert!((0..11).all(|_| matches!(rounds.serve("g/a/1", 1), Some(Ok(_)))));
    }
}
