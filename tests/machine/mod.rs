//! Tests that depend on the live machine: what the machine cannot run is skipped with a line on stdout
//! (past the test harness's capture, so a passing run shows it), and fails instead under
//! `TASKBENCH_REQUIRE_ALL=1`, which CI sets. And every model of the registry, each in a process where it can
//! run: may's stack size is process-wide, so once `may` has started here `may-4k` runs in a fresh process.

#![allow(dead_code)]

use std::io::Write;
use std::process::Command;

use taskbench::models::{by_name, registry, TaskModel};

/// Set to `1` to turn every skip into a failure.
pub const REQUIRE_ALL: &str = "TASKBENCH_REQUIRE_ALL";
/// Set in a fresh process of a test to run it for this one model.
const ONLY_MODEL: &str = "TASKBENCH_TEST_ONLY_MODEL";

/// Whether every skip is a failure in this run.
pub fn required() -> bool {
    std::env::var_os(REQUIRE_ALL).is_some_and(|v| v == "1")
}

/// Says that `what` did not run and why, on stdout; panics instead under [`REQUIRE_ALL`].
pub fn skip(what: &str, why: &str) {
    let line = format!("SKIPPED {what}: {why}");
    assert!(!required(), "{line} ({REQUIRE_ALL}=1 requires it to run)");
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

/// Runs `check` for every model of the registry: here when the model can run in this process, else in a
/// fresh process of this test binary running `test` (the test's exact name) for that model alone. A model
/// that cannot run in a fresh process either is skipped with [`skip`].
pub fn each_model(test: &str, mut check: impl FnMut(&'static dyn TaskModel)) {
    if let Ok(only) = std::env::var(ONLY_MODEL) {
        let model = by_name(&only).unwrap_or_else(|| panic!("no model {only}"));
        match model.available() {
            Ok(()) => check(model),
            Err(why) => skip(&format!("{test} for {only}"), &why),
        }
        return;
    }
    for model in registry() {
        if model.available().is_ok() {
            check(model);
            continue;
        }
        let out = Command::new(std::env::current_exe().expect("the test binary"))
            .args(["--exact", test, "--nocapture", "--test-threads=1"])
            .env(ONLY_MODEL, model.name())
            .output()
            .expect("re-running the test binary");
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(
            out.status.success() && stdout.contains("1 passed"),
            "{test} for {} in a fresh process:\n{stdout}\n{stderr}",
            model.name()
        );
        // Run one at a time, libtest starts the test's own line before the test prints.
        for line in stdout.lines().filter_map(|l| l.find("SKIPPED ").map(|at| &l[at..])) {
            let _ = writeln!(std::io::stdout().lock(), "{line}");
        }
    }
}
