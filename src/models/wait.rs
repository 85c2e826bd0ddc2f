//! How long a wait for tasks may take before a run fails (`TASKBENCH_WAIT_LIMIT_S`): a stalled runtime ends
//! its cell with an error instead of hanging the suite.

use std::time::Duration;

use anyhow::{anyhow, bail, Result};

/// How long any single wait for tasks may take before the run fails: 60 s plus 100 µs per task, or
/// `TASKBENCH_WAIT_LIMIT_S` when set. A setting that is not a usable number of seconds stops a bench before it
/// starts ([`crate::harness::run_group`] checks [`wait_limit_setting`]); here it falls back to the default, so
/// that no wait can panic on it.
pub fn wait_limit(n: usize) -> Duration {
    let default = || Duration::from_secs(60) + Duration::from_micros(100) * n as u32;
    wait_limit_setting().ok().flatten().unwrap_or_else(default)
}

/// The variable that overrides [`wait_limit`], in seconds.
pub const WAIT_LIMIT_ENV: &str = "TASKBENCH_WAIT_LIMIT_S";

/// `TASKBENCH_WAIT_LIMIT_S` as set: `None` when unset, an error when it is not a usable number of seconds.
pub fn wait_limit_setting() -> Result<Option<Duration>> {
    match std::env::var_os(WAIT_LIMIT_ENV) {
        None => Ok(None),
        Some(v) => parse_wait_limit(&v.to_string_lossy()).map(Some),
    }
}

/// Parses a wait limit in seconds: a finite number above zero (`0.5`, `120`).
pub fn parse_wait_limit(text: &str) -> Result<Duration> {
    let expected = "expected a number of seconds above 0, e.g. 120";
    let seconds: f64 =
        text.trim().parse().map_err(|_| anyhow!("{WAIT_LIMIT_ENV}: {text:?} is not a number; {expected}"))?;
    if seconds.is_nan() || seconds <= 0.0 {
        bail!("{WAIT_LIMIT_ENV}: {text:?} is not above 0; {expected}");
    }
    Duration::try_from_secs_f64(seconds).map_err(|_| anyhow!("{WAIT_LIMIT_ENV}: {text:?} is too large; {expected}"))
}
