//! Criterion's "Unable to complete N samples in 2.0s. You may wish to increase target time to 16.4s" warning,
//! taken out of a bench run's stderr. Criterion prints it for every cell whose planned iterations run one per
//! sample, which is the suite's deliberate plan for long iterations (flat sampling, 10 samples, one
//! iteration each at 10^6: the budget counts on it); raising the target time would double those cells' run
//! time instead (Criterion then plans two iterations per sample). The user can do nothing with the line, and
//! it buries the skips, discards and failures. Criterion has no setting for it, so while a group runs this
//! process's stderr (fd 2, inherited by the cells' processes) goes through a pipe whose reader forwards
//! everything but that warning, byte by byte as it comes (Criterion's overwritten progress lines included).
//! Every other line, Criterion's other warnings too, passes unchanged.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{FromRawFd, RawFd};
use std::sync::mpsc;
use std::time::Duration;

/// The warning as Criterion writes it (`eprint!("\nWarning: Unable to complete …")`), up to its numbers.
const WARNING: &[u8] = b"\nWarning: Unable to complete ";

/// The streaming filter: drops every line that starts with [`WARNING`] (its leading newline included) and
/// forwards the rest unchanged. Only a tail that may be the start of the warning is held back.
#[derive(Debug, Default)]
pub struct WarningFilter {
    held: Vec<u8>,
    dropping: bool,
}

impl WarningFilter {
    /// Filters `input`, appending what passes to `out`.
    pub fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) {
        for &b in input {
            if self.dropping {
                // The warning's line ends with Criterion's `eprintln!`.
                self.dropping = b != b'\n';
                continue;
            }
            self.held.push(b);
            if self.held == WARNING {
                self.held.clear();
                self.dropping = true;
            } else if !WARNING.starts_with(&self.held) {
                // Forward all but the longest tail that may still start the warning (a newline).
                let keep = usize::from(b == b'\n');
                out.extend_from_slice(&self.held[..self.held.len() - keep]);
                self.held.drain(..self.held.len() - keep);
            }
        }
    }

    /// The end of the stream: what is still held passes.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        out.append(&mut self.held);
    }
}

/// This process's stderr routed through a [`WarningFilter`] until dropped.
pub struct QuietStderr {
    saved: RawFd,
    done: mpsc::Receiver<()>,
}

impl QuietStderr {
    /// Routes fd 2 through the filter; `None` (stderr left as it is) when a pipe or a descriptor cannot be had.
    pub fn start() -> Option<QuietStderr> {
        let mut fds = [0; 2];
        // SAFETY: plain descriptor calls on descriptors this function owns; fd 2 is restored on drop.
        unsafe {
            if libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) != 0 {
                return None;
            }
            let saved = libc::fcntl(2, libc::F_DUPFD_CLOEXEC, 3);
            let forward = libc::fcntl(2, libc::F_DUPFD_CLOEXEC, 3);
            if saved < 0 || forward < 0 || libc::dup2(fds[1], 2) < 0 {
                for fd in [fds[0], fds[1], saved, forward] {
                    if fd >= 0 {
                        libc::close(fd);
                    }
                }
                return None;
            }
            libc::close(fds[1]);
            let (reader, writer) = (File::from_raw_fd(fds[0]), File::from_raw_fd(forward));
            let (tell, done) = mpsc::channel();
            std::thread::spawn(move || {
                forward_filtered(reader, writer);
                let _ = tell.send(());
            });
            Some(QuietStderr { saved, done })
        }
    }
}

impl Drop for QuietStderr {
    fn drop(&mut self) {
        // SAFETY: `saved` is this struct's own copy of the original fd 2.
        unsafe {
            libc::dup2(self.saved, 2);
            libc::close(self.saved);
        }
        // The reader ends when every copy of the pipe's write end is closed; a process of a cell that still
        // lives would hold one, so the wait is bounded.
        let _ = self.done.recv_timeout(Duration::from_secs(2));
    }
}

fn forward_filtered(mut reader: File, mut writer: File) {
    let (mut filter, mut buf, mut out) = (WarningFilter::default(), [0u8; 4096], Vec::new());
    loop {
        match reader.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(k) => {
                filter.feed(&buf[..k], &mut out);
                let _ = writer.write_all(&out);
                out.clear();
            }
        }
    }
    filter.finish(&mut out);
    let _ = writer.write_all(&out);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fails on: the warning (or its blank line) passing, another line lost or changed, or a result that
    /// depends on where the stream was cut into reads.
    #[test]
    fn drops_the_warning_and_nothing_else_wherever_the_reads_cut() {
        let input = "Benchmarking spawn/may/1000000: Collecting 10 samples\n\
                     \nWarning: Unable to complete 10 samples in 4.0s. You may wish to increase target time to \
                     52.7s, or reduce sample count to 5.\n\
                     taskbench: skip spawn/may/2000000: needs more\n\
                     \nWarning: It is not recommended to reduce nresamples below 1000.\n\
                     spawn/may/1000000 time: [13.1 s 13.2 s 13.3 s]\n\
                     \nWarning: Unable to complete 10 samples in 2.0s. You may wish to increase target time to 3.0s.\n\
                     Warning: Unable\n";
        let expected = "Benchmarking spawn/may/1000000: Collecting 10 samples\n\
                        taskbench: skip spawn/may/2000000: needs more\n\
                        \nWarning: It is not recommended to reduce nresamples below 1000.\n\
                        spawn/may/1000000 time: [13.1 s 13.2 s 13.3 s]\n\
                        Warning: Unable\n";
        for cut in 0..input.len() {
            let (mut filter, mut out) = (WarningFilter::default(), Vec::new());
            filter.feed(&input.as_bytes()[..cut], &mut out);
            filter.feed(&input.as_bytes()[cut..], &mut out);
            filter.finish(&mut out);
            assert_eq!(String::from_utf8(out).unwrap(), expected, "cut at {cut}");
        }
    }
}
