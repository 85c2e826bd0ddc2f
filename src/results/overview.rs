//! The page a bench run leaves to open first: `taskbench report`'s page for every cell measured so far, in
//! Criterion's folder (`<criterion home>/taskbench.html`), rewritten by each bench binary as it finishes
//! ([`after_bench`]) from the records of every group. It saves nothing under `results/`.

use std::path::{Path, PathBuf};

use anyhow::Result;

use super::machine::{project_dir, Machine};
use super::noise::DiffRule;
use super::{report, run};
use crate::files::write_atomic;

pub const PAGE: &str = "taskbench.html";

/// What Criterion's own pages call every value (their axis titles are fixed), and what it is.
pub const CRITERION_LABELS: &str = "Criterion's own pages, linked below, title every value \"time\" (\"Average time \
    (B/task)\"); Criterion has no setting for that word. The unit beside it is right: in the memory groups the value \
    is bytes per task, in spawn_instructions instructions per task.";

/// What a bench binary prints last: the overview's path, or why it could not be written (never an error).
pub fn after_bench(criterion_home: &Path, records_dir: &Path) -> String {
    match write(criterion_home, records_dir, Machine::collect(&project_dir())) {
        Ok(page) => format!("overview of every cell measured so far: {}", page.display()),
        Err(e) => format!("warning: could not write the overview page {}: {e:#}", criterion_home.join(PAGE).display()),
    }
}

/// Writes the overview of every cell recorded in `records_dir`; its path.
fn write(criterion_home: &Path, records_dir: &Path, machine: Machine) -> Result<PathBuf> {
    let (run, provenance) = run::unsaved(criterion_home, records_dir, machine, "measured-so-far")?;
    let intro = format!(
        "Every cell measured so far in {}, the latest run of each, read from the records in {}. Nothing here is \
         saved: `taskbench save` keeps these cells under results/. Each bench rewrites this page as it finishes. \
         {CRITERION_LABELS} The cells came from these bench runs:",
        run.summary.criterion_home,
        records_dir.display()
    );
    let html = report::render(&[run], &DiffRule::default(), criterion_home, None, Some((&intro, &provenance)))?;
    let out = criterion_home.join(PAGE);
    write_atomic(&out, html.as_bytes())?;
    Ok(std::path::absolute(&out).unwrap_or(out))
}
