//! A cell's child process ([`super::cell`]): finds the row the cell names, warms up as the group's
//! temperature asks, then answers the parent's requests with the summed value of that many iterations.

use anyhow::{anyhow, Context, Result};

use super::cell::{self, WARM_UP_ITERATIONS};
use super::spec::{rows, ExtraRow, GroupSpec, Measure, Row};
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
    let found = split_id(spec.name(), id).and_then(|(model, n)| {
        let row = rows(models, extra, measure)
            .into_iter()
            .find(|r| r.name == model)
            .ok_or_else(|| anyhow!("no row {model:?} in {}", spec.name()))?;
        row.available.clone().map_err(|why| anyhow!(why))?;
        Ok((row, n))
    });
    let (row, n) = match found {
        Ok(found) => found,
        Err(e) => cell::serve_child(|| Err(e), |_| unreachable!("the warm-up failed")),
    };
    cell::serve_child(|| warm_up(spec, &row, n), |iters| (0..iters).map(|_| (row.measure)(n)).sum())
}

/// What a cell's process runs before its first measured iteration, outside every clock: warm cells run
/// full iterations at the same N, cold cells start the runtime with a handful of tasks.
fn warm_up(spec: &GroupSpec, row: &Row<'_>, n: usize) -> Result<()> {
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
