//! Go's extra rows, beside the goroutine model's own: `goroutine-stack` (Go's `StackInuse`, which its heap
//! figure cannot see) in `heap_per_task` and `state_heap`, and `goroutine-seed-method` (the origin post's
//! method, reproduced) in `heap_per_task`, with the file that keeps every seed-method reading, zero or less
//! included ([`SeedReadings`]).

use anyhow::{bail, Context, Result};

use super::cell;
use super::experiments::{memory_shared, state_memory_shared};
use super::say::say;
use super::spec::ExtraRow;
use crate::catalogue::{self, Group};
use crate::measure::MemoryKind;
use crate::models::{self, TaskModel};
use crate::record::records_dir;

/// Go keeps goroutine stacks outside its heap; this `heap_per_task` row shows them (`StackInuse`) next to the
/// heap row.
pub const GOROUTINE_STACK: ExtraRow = ExtraRow {
    name: "goroutine-stack",
    config: || models::goroutine::MODEL.config(),
    caveat: Some("not heap: Go's StackInuse growth per live goroutine, shown beside its heap row"),
    available: || models::goroutine::MODEL.available(),
    needs: models::goroutine::CHILD_NEEDS,
    measure: goroutine_stack,
    probe: || models::goroutine::MODEL.probe_build(),
    shares: Some(("goroutine", MemoryKind::RuntimeStacks)),
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
    probe: || models::goroutine::MODEL.probe_build(),
    shares: None,
};

/// The extra rows of `heap_per_task`.
pub const HEAP_EXTRA_ROWS: [ExtraRow; 2] = [GOROUTINE_STACK, SEED_METHOD];

/// `state_heap`'s row beside the goroutine's: Go's `StackInuse` growth per goroutine holding K bytes, which
/// the heap row cannot see (the array is on the goroutine's stack, which Go grows by doubling).
pub const GOROUTINE_STACK_HOLDING: ExtraRow = ExtraRow {
    caveat: Some("not heap: Go's StackInuse growth per live goroutine holding K bytes, shown beside its heap row"),
    measure: |k| state_memory_shared(&models::goroutine::MODEL, k, MemoryKind::RuntimeStacks),
    ..GOROUTINE_STACK
};

/// The extra rows of `state_heap`.
pub const STATE_HEAP_EXTRA_ROWS: [ExtraRow; 1] = [GOROUTINE_STACK_HOLDING];

/// Every group's extra rows: what `TASKBENCH_MODELS` accepts besides the models (see [`super::settings::parse_models`]).
pub const EXTRA_ROWS: &[(&Group, &[ExtraRow])] =
    &[(&catalogue::HEAP, &HEAP_EXTRA_ROWS), (&catalogue::STATE_HEAP, &STATE_HEAP_EXTRA_ROWS)];

/// The `heap_per_task/goroutine-stack/<N>` value: Go's `StackInuse` growth per live goroutine, read in the
/// same kind of run as the heap row. Stacks are not heap; the row stands beside it so the two add up to what
/// Go holds.
pub fn goroutine_stack(n: usize) -> Result<f64> {
    memory_shared(&models::goroutine::MODEL, n, MemoryKind::RuntimeStacks)
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
    use anyhow::anyhow;

    fn err(r: Result<impl std::fmt::Debug>) -> String {
        format!("{:#}", r.expect_err("an error"))
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
