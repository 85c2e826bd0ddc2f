//! Saved runs: what `taskbench save`, `compare`, `report`, `readme` and `export` do, as plain functions on paths.
//!
//! A run folder is `results/<machine>/<run>/` and holds:
//! - `machine.json` ([`machine::Machine`]): the hardware, kernel limits and versions the numbers came from;
//! - `summary.json` ([`summary::Summary`]): one record per `group/model/N` with its median per task and
//!   confidence bounds, the mean, every sample's per-task value, flags, unit and sample count, the skipped
//!   benchmarks with their reasons, and the model configurations;
//! - `criterion/<group>/<model>/<N>/new/{benchmark,estimates,sample}.json`: Criterion's own files, copied as
//!   they were, for later analysis (`critcmp --target-dir <run> new` reads them as baseline `new`; mind
//!   that critcmp prints every value as a time, so the memory groups' bytes show up as "ns").
//!
//! Both JSON files carry `"schema"`, each its own version ([`SUMMARY_SCHEMA`], [`MACHINE_SCHEMA`]); a reader
//! refuses a version it does not know instead of guessing. Summary schema 1 (published the mean, kept no
//! samples) is still read: [`summary::load`] brings it up to the current form.
//!
//! The pieces:
//! - [`machine`]: describe this machine;
//! - [`summary`]: read Criterion's output and the bench binaries' records into a [`summary::Summary`];
//! - [`run`]: save a run folder atomically, and load one back with clear errors;
//! - [`noise`]: the one rule for a real difference between runs, and the flags for a suspect sample set;
//! - [`compare`]: runs side by side, machine differences first, with ratios and the noise rule;
//! - [`chart`]: log-log SVG charts, for the report and the README's memory chart;
//! - [`report`]: a self-contained HTML page with log-log charts;
//! - [`overview`]: the page every bench leaves in Criterion's folder, for every cell measured so far;
//! - [`readme`]: the README's results section, regenerated from a saved run;
//! - [`findings`]: the README's opening sentences and memory chart, generated from a saved run;
//! - [`export`]: the formats other tools read (`critcmp`, `bencher`).
//!
//! Every command computes its whole output before writing anything, and writes through [`write_atomic`], so
//! bad input leaves nothing behind and a crash leaves no half-written file.

pub mod chart;
pub mod compare;
pub mod export;
pub mod findings;
pub mod machine;
pub mod noise;
pub mod overview;
pub mod plain_page;
pub mod readme;
pub mod report;
pub mod run;
pub mod summary;

pub use crate::files::{
    from_versioned, iso8601, now_unix, read_json, read_versioned, read_versioned_value, relative_to, run_stamp, slug,
    to_json, write_atomic,
};

/// The `summary.json` schema this build writes. 2: `per_task` is the median (was the mean), with
/// `mean_per_task`, `samples` and the `bimodal` / `mean_median` flags added. It reads 1 and 2.
pub const SUMMARY_SCHEMA: u64 = 2;
/// The oldest `summary.json` schema this build reads.
pub const OLDEST_SUMMARY_SCHEMA: u64 = 1;
/// The `machine.json` schema this build writes and the only one it reads.
pub const MACHINE_SCHEMA: u64 = 1;

/// A value in a unit, scaled for people: `253 ns`, `1.25 µs`, `256 B`, `20.3 KiB`. Three significant digits.
pub fn human(value: f64, unit: &str) -> String {
    let (scaled, unit) = match unit {
        "ns" | "ns/task" => {
            let abs = value.abs();
            if abs >= 1e9 {
                (value / 1e9, "s")
            } else if abs >= 1e6 {
                (value / 1e6, "ms")
            } else if abs >= 1e3 {
                (value / 1e3, "µs")
            } else {
                (value, "ns")
            }
        }
        "bytes/task" | "B/task" | "bytes" | "B" => {
            let abs = value.abs();
            if abs >= 1024.0 * 1024.0 * 1024.0 {
                (value / (1024.0 * 1024.0 * 1024.0), "GiB")
            } else if abs >= 1024.0 * 1024.0 {
                (value / (1024.0 * 1024.0), "MiB")
            } else if abs >= 1024.0 {
                (value / 1024.0, "KiB")
            } else {
                (value, "B")
            }
        }
        other => (value, other),
    };
    format!("{} {unit}", sig3(scaled))
}

/// Three significant digits, no exponent: `253`, `25.3`, `2.53`, `0.253`.
pub fn sig3(v: f64) -> String {
    let abs = v.abs();
    if !v.is_finite() {
        format!("{v}")
    } else if abs >= 100.0 || abs == 0.0 {
        format!("{v:.0}")
    } else if abs >= 10.0 {
        format!("{v:.1}")
    } else if abs >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// `1,234,567`: a whole number with thousands separators.
pub fn thousands(v: f64) -> String {
    let r = v.round() as i64;
    let digits = r.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if r < 0 {
        out.insert(0, '-');
    }
    out
}

/// The short unit shown with per-task values: `ns/task` or `B/task`.
pub fn per_task_label(unit: &str) -> &str {
    match unit {
        "bytes/task" => "B/task",
        other => other,
    }
}

/// The order groups appear in, everywhere: time first, then memory, then the state a task holds. Unknown
/// groups sort after, by name.
pub fn group_rank(group: &str) -> (usize, String) {
    let known = [
        "spawn",
        "spawn_cold",
        "spawn_join",
        "spawn_join_cold",
        "heap_per_task",
        "rss_per_task",
        "kernel_per_task",
        "state_heap",
        "state_rss",
    ];
    (known.iter().position(|g| *g == group).unwrap_or(known.len()), group.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_units() {
        assert_eq!(human(253.4, "ns/task"), "253 ns");
        assert_eq!(human(1250.0, "ns/task"), "1.25 µs");
        assert_eq!(human(256.0, "bytes/task"), "256 B");
        assert_eq!(human(20787.0, "bytes/task"), "20.3 KiB");
    }
}
