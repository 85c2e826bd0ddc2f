//! Interleaved rounds for the warm timing groups (`spawn`, `spawn_join`, `handoff`, `yield`): at one N,
//! before Criterion measures the cells, every row that passed its preflight is measured in R rounds, R being
//! Criterion's calls for its cell (its sample size plus its one warm-up call; rows of fewer samples drop out
//! of the later rounds). Each round visits the rows in a
//! fresh random order and starts one process per row ([`super::cell`]: its untimed warm-up, then
//! [`ITERATIONS_PER_ROUND`] timed iteration). Criterion's calls for a cell are then served from the store in
//! round order: call `i` gets round `i`'s value per iteration times the iterations Criterion asks for, so
//! each Criterion sample is one process's figure per iteration, and sample `i` of every row was taken in the
//! same round, minutes apart at most from the others: the machine's drift moves a round's rows together,
//! and a ratio between rows can be taken per round ([`crate::results::paired`]).
//!
//! What it does not do: cold groups and memory groups keep one cell after the other (a cold figure is a
//! single first burst already; memory does not drift with the machine's speed). A row whose process fails in
//! a round fails that cell only, at that call; the other rows go on. A call past the store is measured on the spot
//! (cell by cell, as without rounds). Rounds rely on the suite's one-call warm-up
//! ([`super::criterion_setup::criterion_config`]): a longer Criterion warm-up, timed on the wall clock,
//! doubles its iterations over calls that served values answer at once, and would run past the store into
//! one process asked for millions of iterations. `TASKBENCH_ROUNDS=0` turns rounds off.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Result};

use super::sampler::Sampler;

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
}

impl Rounds {
    /// Runs rounds over `cells` (id, the tasks it runs where the id does not end in N, and its number of
    /// rounds), each round in a fresh random order over the cells that still want one, one process per cell
    /// per round through `sampler`. Round `i` of every cell is taken in the same pass.
    pub fn run(cells: &[(String, Option<usize>, usize)], sampler: &dyn Sampler) -> Rounds {
        let mut taken: HashMap<String, Taken> = cells.iter().map(|(id, ..)| (id.clone(), Taken::default())).collect();
        let mut order: Vec<&(String, Option<usize>, usize)> = cells.iter().collect();
        let most = cells.iter().map(|c| c.2).max().unwrap_or(0);
        for round in 0..most {
            fastrand::shuffle(&mut order);
            for (id, tasks, _) in order.iter().filter(|c| round < c.2) {
                let cell = taken.get_mut(id).expect("every cell has an entry");
                if cell.failed.is_some() {
                    continue;
                }
                let started = Instant::now();
                let value = sampler.sample(id, *tasks, ITERATIONS_PER_ROUND);
                // One process per round: it ends here, before the next row's starts.
                cell.notes.extend(sampler.cell_done());
                cell.seconds += started.elapsed();
                match value {
                    Ok(v) => cell.per_iteration.push(v / ITERATIONS_PER_ROUND as f64),
                    Err(e) => cell.failed = Some(format!("{e:#}")),
                }
            }
        }
        Rounds { cells: RefCell::new(taken) }
    }

    /// Whether `id` was in the rounds.
    pub fn has(&self, id: &str) -> bool {
        self.cells.borrow().contains_key(id)
    }

    /// Criterion's next call for `id`: the next round's value per iteration × `iters`, the round's failure,
    /// or `None` past the store.
    pub fn serve(&self, id: &str, iters: u64) -> Option<Result<f64>> {
        let mut cells = self.cells.borrow_mut();
        let cell = cells.get_mut(id)?;
        let index = cell.served;
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
        let cells = [("g/cheap/1".to_string(), None, 21), ("g/costly/1".to_string(), None, 11)];
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
}
