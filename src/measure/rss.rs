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
pub fn return_free_heap_to_os() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases memory the allocator holds free.
    unsafe {
        libc::malloc_trim(0);
    }
}
