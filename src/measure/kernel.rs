//! The kernel's memory for the tasks, none of it in RSS: kernel stacks (one per thread, 16 KiB on x86-64) and
//! the page tables that map the tasks' memory.
//!
//! - Page tables: `VmPTE` of the process that holds the tasks (`/proc/<pid>/status`), exact and per process.
//! - Kernel stacks: `KernelStack` of `/proc/meminfo`. The kernel keeps no per-process figure, so this one is
//!   machine-wide, and another process starting or ending threads meanwhile would move it by 16 KiB a
//!   thread. So every reading also takes the machine's thread count (`/proc/loadavg`) and the process's
//!   (`Threads:` in its status). A window in which the machine's count moved by exactly the process's own
//!   growth reads the stacks machine-wide; any other takes the process's exact thread growth times one
//!   thread's kernel stack ([`stack_per_thread`]), so a busy machine still gives the process's figure
//!   ([`KernelReading::growth_since`], which says which way it went).
//!
//! Not included: the thread's `task_struct` and the other slab objects a thread takes (the slab is shared by
//! every cache user and too noisy to attribute). The files are read into a fixed buffer on the stack: the
//! reader allocates nothing.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context, Result};

/// One reading of the kernel's memory, with the thread counts that tell whether a window saw only the tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KernelReading {
    /// Kernel stacks of the whole machine, in bytes.
    pub stacks: u64,
    /// Page tables of the process that holds the tasks, in bytes.
    pub page_tables: u64,
    /// Threads on the whole machine.
    pub machine_threads: u64,
    /// Threads of the process that holds the tasks.
    pub process_threads: u64,
}

/// The kernel's growth over a window, and where its kernel-stack part came from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KernelGrowth {
    pub bytes: i64,
    pub stacks_from: StacksFrom,
}

/// Where a window's kernel stacks came from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StacksFrom {
    /// The machine-wide growth: only the measured process's threads came or went in the window.
    MachineWide,
    /// Other threads came or went: the process's exact thread growth times one thread's kernel stack.
    PerThread { threads: i64, bytes_per_thread: PerThread },
}

/// One thread's kernel stack, and how it is known.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PerThread {
    pub bytes: u64,
    /// `measured`: from a clean machine-wide reading of this process's own threads; otherwise the kernel's
    /// configuration for this architecture.
    pub measured: bool,
}

impl KernelReading {
    /// Kernel stacks plus page tables, in bytes.
    pub fn bytes(&self) -> u64 {
        self.stacks + self.page_tables
    }

    /// What the kernel's memory grew by since `before` for the measured process: its page tables (exact), and
    /// its kernel stacks, machine-wide when only its own threads came or went, else its exact thread growth
    /// times `per_thread()` (so a busy machine still gives the process's figure).
    pub fn growth_since(&self, before: &KernelReading, per_thread: impl FnOnce() -> PerThread) -> KernelGrowth {
        let machine = self.machine_threads as i64 - before.machine_threads as i64;
        let own = self.process_threads as i64 - before.process_threads as i64;
        let page_tables = self.page_tables as i64 - before.page_tables as i64;
        if machine == own {
            let stacks = self.stacks as i64 - before.stacks as i64;
            return KernelGrowth { bytes: stacks + page_tables, stacks_from: StacksFrom::MachineWide };
        }
        let bytes_per_thread = per_thread();
        KernelGrowth {
            bytes: own * bytes_per_thread.bytes as i64 + page_tables,
            stacks_from: StacksFrom::PerThread { threads: own, bytes_per_thread },
        }
    }
}

impl std::fmt::Display for StacksFrom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StacksFrom::MachineWide => write!(f, "kernel stacks read machine-wide"),
            StacksFrom::PerThread { threads, bytes_per_thread: p } => write!(
                f,
                "other threads came or went on the machine: kernel stacks taken as {threads:+} threads x {} B ({})",
                p.bytes,
                if p.measured {
                    "one thread's kernel stack, measured on this machine"
                } else {
                    "the kernel's configured stack size for this architecture"
                }
            ),
        }
    }
}

/// One thread's kernel stack: measured once per process from a clean machine-wide reading of 64 threads of
/// its own, or, when no window is clean in 20 tries, the kernel's stack size for this architecture (16 KiB
/// on x86-64 and arm64: `THREAD_SIZE`).
pub fn stack_per_thread() -> PerThread {
    static MEASURED: std::sync::OnceLock<PerThread> = std::sync::OnceLock::new();
    *MEASURED.get_or_init(|| match (0..20).find_map(|_| measure_stack_per_thread(64)) {
        Some(bytes) => PerThread { bytes, measured: true },
        None => PerThread { bytes: 16 << 10, measured: false },
    })
}

/// One thread's kernel stack from `threads` threads of this process, when only they came in the window (the
/// growth per thread, rounded to whole pages, and within a tenth of them).
fn measure_stack_per_thread(threads: usize) -> Option<u64> {
    let (arrived, release) = (std::sync::Barrier::new(threads + 1), std::sync::Barrier::new(threads + 1));
    std::thread::scope(|scope| {
        let before = read(None).ok();
        for _ in 0..threads {
            scope.spawn(|| {
                arrived.wait();
                release.wait();
            });
        }
        arrived.wait();
        let after = read(None).ok();
        release.wait();
        let (before, after) = (before?, after?);
        let (machine, own) = (
            after.machine_threads as i64 - before.machine_threads as i64,
            after.process_threads as i64 - before.process_threads as i64,
        );
        // The kernel keeps a couple of freed stacks per CPU for reuse, so a burst can read a stack or two
        // short of one per thread: the figure is the growth per thread, in whole pages.
        let grew = after.stacks as f64 - before.stacks as f64;
        let pages = (grew / own.max(1) as f64 / 4096.0).round();
        let near = (grew / own.max(1) as f64 - pages * 4096.0).abs() <= 0.1 * pages * 4096.0;
        (machine == own && own == threads as i64 && pages >= 1.0 && near).then(|| pages as u64 * 4096)
    })
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
    Ok(KernelReading { stacks: stacks * 1024, page_tables: page_tables * 1024, machine_threads, process_threads })
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

    /// A window in which only the process's threads came reads the machine-wide growth; one in which another
    /// process's threads came too (a build beside the bench) still gives the process's figure, from its exact
    /// thread growth and one thread's stack, and says so.
    #[test]
    fn other_threads_on_the_machine_do_not_change_the_process_figure() {
        let before = KernelReading { stacks: 1 << 20, page_tables: 4096, machine_threads: 100, process_threads: 3 };
        let tasks = KernelReading {
            stacks: (1 << 20) + 50 * 16384,
            page_tables: 8192,
            machine_threads: 150,
            process_threads: 53,
        };
        let never = || -> PerThread { panic!("a clean window needs no per-thread size") };
        let g = tasks.growth_since(&before, never);
        assert_eq!((g.bytes, g.stacks_from), (50 * 16384 + 4096, StacksFrom::MachineWide));
        // A build started 40 threads and ended 13 meanwhile: the machine moved by +77 and its stacks with it.
        let busy = KernelReading { stacks: tasks.stacks + 27 * 16384, machine_threads: 177, ..tasks };
        let per = PerThread { bytes: 16384, measured: true };
        let g = busy.growth_since(&before, || per);
        assert_eq!(g.bytes, 50 * 16384 + 4096);
        assert_eq!(g.stacks_from, StacksFrom::PerThread { threads: 50, bytes_per_thread: per });
        assert!(g.stacks_from.to_string().contains("+50 threads x 16384 B"), "{}", g.stacks_from);
        assert_eq!(loadavg_threads("0.20 0.18 0.12 1/80 11206\n"), Some(80));
        assert_eq!(field("Name:\tx\nThreads:\t7\n", "Threads"), Some(7));
    }

    /// One thread's kernel stack on this machine is whole pages, at least one, at most 64 KiB (no kernel
    /// configures more); x86-64 without KASAN gives 16 KiB.
    #[test]
    fn one_threads_kernel_stack_is_whole_pages() {
        let p = stack_per_thread();
        assert!(p.bytes % 4096 == 0 && (4096..=65536).contains(&p.bytes), "{p:?}");
    }

    /// Every thread on the machine has a kernel stack of at least a page, so the reading holds at least a
    /// page per thread the machine counts; one that read kB as bytes, or the page tables alone, holds less.
    #[test]
    fn this_process_reads_at_least_a_page_per_thread_on_the_machine() {
        let r = read(None).unwrap();
        assert!(r.process_threads >= 1, "{r:?}");
        assert!(r.bytes() >= 4096 * r.machine_threads, "{} bytes for {} threads", r.bytes(), r.machine_threads);
    }
}
