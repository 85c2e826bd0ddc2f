//! Resident memory (RSS) of this process or of a child, from `/proc/<pid>/smaps_rollup`: the kernel's sum over
//! every mapping's page tables, exact to the page (unlike `statm`, whose counters are cached per CPU).
//!
//! The reader allocates nothing: the file is read into a fixed buffer on the stack, so the reading cannot
//! count itself (a reader that loads all of `/proc/self/smaps` into a `String` allocates about 0.75 KB per
//! mapping, and a process with 10^4 threads has 4·10^4 mappings). Walking the page tables takes milliseconds
//! with thousands of threads: never inside a timed region.

use std::path::Path;

use anyhow::{anyhow, Result};

/// Resident bytes of this process.
pub fn this_process() -> Result<u64> {
    rollup_rss_bytes(Path::new("/proc/self/smaps_rollup"))
}

/// Resident bytes of process `pid`.
pub fn of_process(pid: u32) -> Result<u64> {
    rollup_rss_bytes(Path::new(&format!("/proc/{pid}/smaps_rollup")))
}

/// The `Rss:` figure of a smaps_rollup file, in bytes, read without allocating (the whole file is a few
/// hundred bytes; `Rss` is its second line).
fn rollup_rss_bytes(path: &Path) -> Result<u64> {
    let mut buf = [0u8; 4096];
    let text = super::kernel::read_small(path, &mut buf)?;
    parse_rss_kib(text).map(|kib| kib * 1024).ok_or_else(|| anyhow!("no Rss line in {}", path.display()))
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
