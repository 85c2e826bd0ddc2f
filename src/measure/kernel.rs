//! The kernel's memory for the tasks, none of it in RSS: kernel stacks (one per thread, 16 KiB on x86-64) and
//! the page tables that map the tasks' memory.
//!
//! - Page tables: `VmPTE` of the process that holds the tasks (`/proc/<pid>/status`), exact and per process.
//! - Kernel stacks: `KernelStack` of `/proc/meminfo`. The kernel keeps no per-process figure, so this one is
//!   machine-wide, and another process starting or ending threads meanwhile would move it by 16 KiB a
//!   thread. So every reading also takes the machine's thread count (`/proc/loadavg`) and the process's
//!   (`Threads:` in its status): a window in which the machine's count moved by anything but the process's own
//!   growth saw other threads come or go, and is not a figure ([`KernelReading::growth_since`]).
//!
//! Not included: the thread's `task_struct` and the other slab objects a thread takes (the slab is shared by
//! every cache user and too noisy to attribute). The files are read into a fixed buffer on the stack: the
//! reader allocates nothing.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};

/// One reading of the kernel's memory, with the thread counts that tell whether a window saw only the tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KernelReading {
    /// Kernel stacks (machine-wide) plus the page tables of the process, in bytes.
    pub bytes: u64,
    /// Threads on the whole machine.
    pub machine_threads: u64,
    /// Threads of the process that holds the tasks.
    pub process_threads: u64,
}

impl KernelReading {
    /// Bytes the kernel's memory grew by since `before`, or an error when other threads on the machine started
    /// or ended in between (their kernel stacks would be counted as the tasks').
    pub fn growth_since(&self, before: &KernelReading) -> Result<i64> {
        let machine = self.machine_threads as i64 - before.machine_threads as i64;
        let own = self.process_threads as i64 - before.process_threads as i64;
        if machine != own {
            bail!(
                "other threads started or ended on this machine during the reading (the machine's thread count \
                 moved by {machine:+}, the measured process's by {own:+}); kernel stacks are counted machine-wide, \
                 so run on a quiet machine"
            );
        }
        Ok(self.bytes as i64 - before.bytes as i64)
    }
}

/// Reads kernel stacks, page tables and thread counts for process `pid` (`None`: this process).
pub fn read(pid: Option<u32>) -> Result<KernelReading> {
    let mut buf = [0u8; 8192];
    let stacks = field(read_small(Path::new("/proc/meminfo"), &mut buf)?, "KernelStack")
        .ok_or_else(|| anyhow!("/proc/meminfo has no KernelStack line"))?;
    let machine_threads = loadavg_threads(read_small(Path::new("/proc/loadavg"), &mut buf)?)
        .ok_or_else(|| anyhow!("/proc/loadavg has no running/total thread field"))?;
    // Only another process's path is built (a small, fixed-size allocation); this process's is static.
    let other: PathBuf;
    let status = match pid {
        Some(pid) => {
            other = format!("/proc/{pid}/status").into();
            other.as_path()
        }
        None => Path::new("/proc/self/status"),
    };
    let text = read_small(status, &mut buf)?;
    let page_tables = field(text, "VmPTE").ok_or_else(|| anyhow!("{} has no VmPTE line", status.display()))?;
    let process_threads = field(text, "Threads").ok_or_else(|| anyhow!("{} has no Threads line", status.display()))?;
    Ok(KernelReading { bytes: (stacks + page_tables) * 1024, machine_threads, process_threads })
}

/// The machine's thread count: the total of `/proc/loadavg`'s `running/total` field.
fn loadavg_threads(text: &str) -> Option<u64> {
    text.split_whitespace().nth(3)?.split_once('/')?.1.parse().ok()
}

/// A file of a few KiB read into `buf`, as text, without allocating (the readers must not count themselves).
pub(crate) fn read_small<'b>(path: &Path, buf: &'b mut [u8]) -> Result<&'b str> {
    let mut len = 0;
    let mut file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    while len < buf.len() {
        match file.read(&mut buf[len..]) {
            Ok(0) => break,
            Ok(read) => len += read,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }
    std::str::from_utf8(&buf[..len]).with_context(|| format!("{} is not text", path.display()))
}

/// The number after `Name:` on its line (for a `Name:   1234 kB` line, the KiB).
fn field(text: &str, name: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(':')))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_named_line_and_only_that_one() {
        let text = "MemTotal: 100 kB\nKernelStack:     1272 kB\nPageTablesX: 9 kB\nPageTables:   2632 kB\n";
        assert_eq!(field(text, "KernelStack"), Some(1272));
        // A longer name that starts with the one asked for is another line.
        assert_eq!(field(text, "PageTables"), Some(2632));
        assert_eq!(field(text, "VmPTE"), None);
    }

    #[test]
    fn a_window_in_which_other_threads_came_or_went_is_not_a_figure() {
        let before = KernelReading { bytes: 1 << 20, machine_threads: 100, process_threads: 3 };
        let tasks = KernelReading { bytes: 2 << 20, machine_threads: 150, process_threads: 53 };
        assert_eq!(tasks.growth_since(&before).unwrap(), 1 << 20);
        let others = KernelReading { machine_threads: 149, ..tasks };
        assert!(others.growth_since(&before).is_err());
        assert_eq!(loadavg_threads("0.20 0.18 0.12 1/80 11206\n"), Some(80));
        assert_eq!(field("Name:\tx\nThreads:\t7\n", "Threads"), Some(7));
    }

    /// Every thread on the machine has a kernel stack of at least a page, so the reading holds at least a
    /// page per thread the machine counts; one that read kB as bytes, or the page tables alone, holds less.
    #[test]
    fn this_process_reads_at_least_a_page_per_thread_on_the_machine() {
        let r = read(None).unwrap();
        assert!(r.process_threads >= 1, "{r:?}");
        assert!(r.bytes >= 4096 * r.machine_threads, "{} bytes for {} threads", r.bytes, r.machine_threads);
    }
}
