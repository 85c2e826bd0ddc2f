//! The one way the harness talks to the user during a bench run: a line on stderr, prefixed so that it
//! stands out between Criterion's lines (and so that CI can grep for `taskbench: skip` and `FAILED`).

use std::io::Write;

/// Prints one line to stderr, prefixed with `taskbench: `.
pub fn say(line: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "taskbench: {line}");
}
