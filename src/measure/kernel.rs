//! The kernel's memory for the tasks, none of it in RSS: kernel stacks (one per thread, 16 KiB on x86-64) and
//! the page tables that map the tasks' memory.
//!
//! - Page tables: `VmPTE` of the process that holds the tasks (`/proc/<pid>/status`), exact and per process.
//! - Kernel stacks: `KernelStack` of `/proc/meminfo`. The kernel keeps no per-process figure, so this one is
//!   machine-wide: another process starting or ending threads meanwhile moves it by 16 KiB a thread. Run the
//!   group on an otherwise quiet machine; a reading that falls is retried, then an error.
//!
//! Not included: the thread's `task_struct` and the other slab objects a thread takes (the slab is shared by
//! every cache user and too noisy to attribute). Both files are read into a fixed buffer on the stack: the
//! reader allocates nothing.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context, Result};

/// Kernel stacks (machine-wide) plus the page tables of process `pid` (`None`: this process), in bytes.
pub fn kernel_bytes(pid: Option<u32>) -> Result<u64> {
    let mut buf = [0u8; 8192];
    let stacks = kib_field(read_small(Path::new("/proc/meminfo"), &mut buf)?, "KernelStack")
        .ok_or_else(|| anyhow!("/proc/meminfo has no KernelStack line"))?;
    let status: PathBuf = match pid {
        Some(pid) => format!("/proc/{pid}/status").into(),
        None => PathBuf::new(),
    };
    let status = if pid.is_some() { status.as_path() } else { Path::new("/proc/self/status") };
    let page_tables = kib_field(read_small(status, &mut buf)?, "VmPTE")
        .ok_or_else(|| anyhow!("{} has no VmPTE line", status.display()))?;
    Ok((stacks + page_tables) * 1024)
}

/// A file of a few KiB read into `buf`, as text.
fn read_small<'b>(path: &Path, buf: &'b mut [u8]) -> Result<&'b str> {
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

/// The value of a `Name:   1234 kB` line, in KiB.
pub fn kib_field(text: &str, name: &str) -> Option<u64> {
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
        assert_eq!(kib_field(text, "KernelStack"), Some(1272));
        // A longer name that starts with the one asked for is another line.
        assert_eq!(kib_field(text, "PageTables"), Some(2632));
        assert_eq!(kib_field(text, "VmPTE"), None);
    }

    #[test]
    fn this_process_reads_a_figure() {
        assert!(kernel_bytes(None).unwrap() > 0);
    }
}
