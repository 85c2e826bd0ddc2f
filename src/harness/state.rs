//! The state groups' sizing: every row of a state group runs one N at every K (the bytes each task holds),
//! chosen once per row from what fits this machine while each task holds the largest K, so that the figures
//! at different K differ by the state alone.

use crate::limits::{self, Snapshot};

/// The most tasks a state group's row runs: 10^5, fewer where the machine holds fewer, or the largest
/// `TASKBENCH_N` when that is smaller (a smoke run at 10^4 stays short).
pub const STATE_MAX_N: usize = 100_000;

/// The fewest tasks a state group's row runs (unless `TASKBENCH_N` asks for fewer): below this RSS growth no
/// longer stands clear of what the allocator and the runtime touch anyway. A row that fits fewer is skipped.
pub const STATE_MIN_N: usize = 1000;

/// What a task holding `k` bytes takes: `needs` with `2·K` more resident bytes (a generous bound: a goroutine's
/// stack doubles to hold it, a boxed future is a second allocation).
pub fn holding_needs(needs: &limits::Needs, k: usize) -> limits::Needs {
    limits::Needs { bytes_per_task: needs.bytes_per_task + 2 * k as u64, ..*needs }
}

/// The tasks each iteration of a cell runs, and what each takes from the machine: `x` tasks of the row's
/// `needs`, or in a state group's row (`tasks` set: its N) N tasks each holding `x` bytes.
pub fn cell_load(tasks: Option<usize>, needs: &limits::Needs, x: usize) -> (usize, limits::Needs) {
    match tasks {
        Some(n) => (n, holding_needs(needs, x)),
        None => (x, *needs),
    }
}

/// The N a state group's row runs at every K: 95% of the largest that fits this machine with the preflight's
/// margin while each task holds `largest_k`, in whole thousands, up to `cap`. The tightest limit when that is fewer than [`STATE_MIN_N`]
/// (or than `cap`, when `cap` is smaller).
pub fn state_tasks(
    needs: &limits::Needs,
    largest_k: usize,
    cap: usize,
    snap: &Snapshot,
) -> Result<usize, limits::Shortfall> {
    let needs = holding_needs(needs, largest_k);
    let fits = limits::max_tasks(&needs, snap).map_or(cap, |(max, _)| usize::try_from(max).unwrap_or(usize::MAX));
    // 95% of what fits, in whole thousands: a limit read again before each K (mappings in use move a little
    // between cells) must not skip the row's later Ks.
    let n = cap.min((fits / 100 * 95 / 1000 * 1000).max(1000.min(fits)));
    limits::check(&needs, n.max(STATE_MIN_N.min(cap)), snap)?;
    Ok(n)
}
