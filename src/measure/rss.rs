//! Resident memory (RSS): this process through the `memory-stats` crate (which sums `/proc/self/smaps`),
//! another process through its `/proc/<pid>/smaps_rollup`, the same figures summed by the kernel.
//! Reading smaps walks every mapping (milliseconds with thousands of threads): never inside a timed region.

use anyhow::{anyhow, Context, Result};

/// Resident bytes of this process.
pub fn this_process() -> Result<u64> {
    memory_stats::memory_stats()
        .map(|s| s.physical_mem as u64)
        .ok_or_else(|| anyhow!("memory-stats could not read this process's resident memory"))
}

/// Resident bytes of process `pid`.
pub fn of_process(pid: u32) -> Result<u64> {
    let path = format!("/proc/{pid}/smaps_rollup");
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    parse_rss_kib(&text).map(|kib| kib * 1024).with_context(|| format!("no Rss line in {path}"))
}

/// The `Rss:` line of a smaps or smaps_rollup text, in KiB.
pub fn parse_rss_kib(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix("Rss:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// Returns freed heap pages to the OS (glibc `malloc_trim`), so that pages a previous run freed, still
/// resident in the allocator's free lists, do not hide the growth of the next run.
///
/// The first call also pins glibc's trim and mmap thresholds at their documented defaults (128 KiB). Left
/// dynamic, glibc raises them after a large block is freed (a handle vector for 10^6 tasks is 8 MB), and
/// from then on keeps up to twice that free at the top of each thread's arena, resident and out of
/// `malloc_trim`'s reach: a later run then reuses those pages and its growth reads too small. Pinned, the
/// allocator returns freed memory as it does in a fresh process. Live allocations are unaffected.
pub fn return_free_heap_to_os() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        static PIN_THRESHOLDS: std::sync::Once = std::sync::Once::new();
        // SAFETY: mallopt and malloc_trim change only how glibc keeps or returns free memory.
        unsafe {
            PIN_THRESHOLDS.call_once(|| {
                libc::mallopt(libc::M_TRIM_THRESHOLD, 128 * 1024);
                libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
            });
            libc::malloc_trim(0);
        }
    }
}
