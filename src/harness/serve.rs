//! A cell's child process ([`super::cell`]): finds the row the cell names, warms up as the group's
//! temperature asks, then answers the parent's requests with the summed value of that many iterations.

use anyhow::{anyhow, Context, Result};

use super::cell::{self, WARM_UP_ITERATIONS};
use super::spec::{ExtraRow, GroupSpec, Measure};
use crate::catalogue::Temperature;
use crate::models::TaskModel;
use crate::record::split_id;

/// The body of the child process measuring cell `id` of `spec`, one of the rows of `models` and `extra`.
/// Never returns: the process exits when the parent closes its stdin, or with the failure reported.
pub fn serve_cell(
    spec: &GroupSpec,
    models: &[&'static dyn TaskModel],
    extra: &[&ExtraRow],
    measure: Measure,
    id: &str,
) -> ! {
    let found =
        split_id(spec.name(), id).and_then(|(name, n)| Ok((served_row(spec, models, extra, measure, &name)?, n)));
    let (row, n) = match found {
        Ok(found) => found,
        Err(e) => cell::serve_child(|| Err(e), |_| unreachable!("the warm-up failed")),
    };
    cell::serve_child(|| warm_up(spec, &row, n), |iters| (0..iters).map(|_| (row.measure)(n)).sum())
}

/// What a cell's process needs of its row: one iteration, and the model to warm (none for an extra row).
struct Served<'a> {
    model: Option<&'static dyn TaskModel>,
    measure: Box<dyn Fn(usize) -> Result<f64> + 'a>,
}

/// The row named `name`, once it says it can run. Only that row is asked, and only whether it can run: a
/// full [`super::spec::Row`] would also ask every row for its configuration line, which for a probe row
/// starts its runtime (a JVM, a BEAM) in every cell process, for a line the parent has already printed.
fn served_row<'a>(
    spec: &GroupSpec,
    models: &[&'static dyn TaskModel],
    extra: &[&'a ExtraRow],
    measure: Measure,
    name: &str,
) -> Result<Served<'a>> {
    if let Some(&model) = models.iter().find(|m| m.name() == name) {
        model.available().map_err(|why| anyhow!(why))?;
        return Ok(Served { model: Some(model), measure: Box::new(move |n| measure(model, n)) });
    }
    let row = extra.iter().find(|x| x.name == name).ok_or_else(|| anyhow!("no row {name:?} in {}", spec.name()))?;
    (row.available)().map_err(|why| anyhow!(why))?;
    Ok(Served { model: None, measure: Box::new(row.measure) })
}

/// What a cell's process runs before its first measured iteration, outside every clock: warm cells run
/// full iterations at the same N, cold cells start the runtime with a handful of tasks.
fn warm_up(spec: &GroupSpec, row: &Served<'_>, n: usize) -> Result<()> {
    match spec.temperature() {
        Temperature::Warm => {
            for _ in 0..WARM_UP_ITERATIONS {
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::limits::Needs;
    use crate::models::{Observer, ParkedRun, SpawnSite};

    /// A model that fails the test if anything about it is asked.
    struct Untouchable;

    impl TaskModel for Untouchable {
        fn name(&self) -> &'static str {
            "untouchable"
        }
        fn config(&self) -> String {
            panic!("a cell of another row asked this row for its configuration")
        }
        fn spawn_site(&self) -> SpawnSite {
            SpawnSite::Outside
        }
        fn needs(&self) -> Needs {
            Needs::STACKLESS
        }
        fn available(&self) -> Result<(), String> {
            panic!("a cell of another row asked this row whether it can run")
        }
        fn run_parked(&self, _: usize, _: &mut dyn Observer) -> Result<ParkedRun> {
            unreachable!()
        }
        fn run_spawn_join(&self, _: usize) -> Result<Duration> {
            unreachable!()
        }
        fn run_holding(&self, _: usize, _: usize, _: &mut dyn Observer) -> Result<ParkedRun> {
            unreachable!()
        }
        fn probe_build(&self) -> Option<crate::provenance::ProbeBuild> {
            panic!("a cell of another row asked this row for its probe's build")
        }
    }

    static UNTOUCHABLE: Untouchable = Untouchable;

    /// Fails on: a cell's process that builds every row of its group (asking each whether it can run, how it
    /// is configured, what probe measures it) to find its own, which started a JVM and a BEAM in every cell
    /// process of every row (1.6 s a process, most of a memory group's run time).
    #[test]
    fn a_cells_process_asks_only_its_own_row() {
        let spec = GroupSpec::of(&crate::catalogue::HEAP);
        let floor = crate::models::registry().into_iter().find(|m| m.name() == "floor").expect("floor");
        let models: [&'static dyn TaskModel; 2] = [&UNTOUCHABLE, floor];
        let row = served_row(&spec, &models, &[], |_, n| Ok(n as f64), "floor").expect("floor is served");
        assert!(row.model.is_some_and(|m| m.name() == "floor"));
        assert_eq!((row.measure)(7).unwrap(), 7.0);
        let e = served_row(&spec, &models, &[], |_, n| Ok(n as f64), "nosuch").err().expect("no such row");
        assert!(e.to_string().contains("no row \"nosuch\""), "{e}");
    }
}
