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

/// The warning's text at the start of its line (Criterion writes `eprint!("\nWarning: Unable to complete …")`).
const WARNING: &[u8] = b"Warning: Unable to complete ";

/// The streaming filter: drops every line that starts with [`WARNING`], and the newline Criterion writes
/// before it when that arrives in the same read, and forwards the rest unchanged. Only text that may still
/// become the warning is held back; a newline that ends a read passes at once, so that a line is whole
/// before whatever another writer (stdout, on the same terminal) prints next.
#[derive(Debug)]
pub struct WarningFilter {
    /// At most a newline, then the start of a line that is a prefix of the warning.
    held: Vec<u8>,
    /// Whether the next byte after `held` would start a line.
    at_line_start: bool,
    dropping: bool,
}

impl Default for WarningFilter {
    fn default() -> Self {
        WarningFilter { held: Vec::new(), at_line_start: true, dropping: false }
    }
}

impl WarningFilter {
    /// Filters one read's `input`, appending what passes to `out`.
    pub fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) {
        for &b in input {
            if self.dropping {
                // The warning's line ends with Criterion's `eprintln!`.
                if b == b'\n' {
                    (self.dropping, self.at_line_start) = (false, true);
                }
                continue;
            }
            self.held.push(b);
            let newline = usize::from(self.held[0] == b'\n');
            let (line_start, text) = (newline == 1 || self.at_line_start, &self.held[newline..]);
            if line_start && text == WARNING {
                self.held.clear();
                self.dropping = true;
            } else if !(line_start && WARNING.starts_with(text)) {
                // Forward all but a last newline, which may still come before the warning.
                let keep = usize::from(b == b'\n');
                let pass = self.held.len() - keep;
                out.extend_from_slice(&self.held[..pass]);
                if pass > 0 {
                    self.at_line_start = self.held[pass - 1] == b'\n';
                }
                self.held.drain(..pass);
            }
        }
        if self.held == b"\n" {
            out.append(&mut self.held);
            self.at_line_start = true;
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

    const INPUT: &str = "Benchmarking spawn/may/1000000: Collecting 10 samples\n\
                         \nWarning: Unable to complete 10 samples in 4.0s. You may wish to increase target time \
                         to 52.7s, or reduce sample count to 5.\n\
                         taskbench: skip spawn/may/2000000: needs more\n\
                         \nWarning: It is not recommended to reduce nresamples below 1000.\n\
                         spawn/may/1000000 time: [13.1 s 13.2 s 13.3 s]\n\
                         \nWarning: Unable to complete 10 samples in 2.0s. You may wish to increase target time \
                         to 3.0s.\n\
                         a Warning: Unable to complete is quoted here\n\
                         Warning: Unable\n";
    const EXPECTED: &str = "Benchmarking spawn/may/1000000: Collecting 10 samples\n\
                            taskbench: skip spawn/may/2000000: needs more\n\
                            \nWarning: It is not recommended to reduce nresamples below 1000.\n\
                            spawn/may/1000000 time: [13.1 s 13.2 s 13.3 s]\n\
                            a Warning: Unable to complete is quoted here\n\
                            Warning: Unable\n";

    fn filtered(reads: &[&[u8]]) -> String {
        let (mut filter, mut out) = (WarningFilter::default(), Vec::new());
        for read in reads {
            filter.feed(read, &mut out);
        }
        filter.finish(&mut out);
        String::from_utf8(out).unwrap()
    }

    fn without_blank_lines(text: &str) -> String {
        text.lines().filter(|l| !l.is_empty()).collect::<Vec<_>>().join("\n")
    }

    /// Fails on: the warning (or its blank line) passing, another line lost or changed, or text that only
    /// quotes the warning dropped. Cut into two reads anywhere, at most a blank line may differ (a newline
    /// that ends a read passes before the warning that follows it is seen).
    #[test]
    fn drops_the_warning_and_nothing_else() {
        assert_eq!(filtered(&[INPUT.as_bytes()]), EXPECTED);
        for cut in 0..INPUT.len() {
            let (a, b) = INPUT.as_bytes().split_at(cut);
            assert_eq!(without_blank_lines(&filtered(&[a, b])), without_blank_lines(EXPECTED), "cut at {cut}");
        }
    }

    /// Fails on: a newline held back until the next write, which glued Criterion's "Analyzing" line on
    /// stderr to its result line on stdout.
    #[test]
    fn a_newline_that_ends_a_read_passes_at_once() {
        let (mut filter, mut out) = (WarningFilter::default(), Vec::new());
        filter.feed(b"Benchmarking spawn/floor/1000: Analyzing\n", &mut out);
        assert_eq!(out, b"Benchmarking spawn/floor/1000: Analyzing\n");
    }
}
