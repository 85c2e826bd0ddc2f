//! The Criterion measurement whose value is bytes per task, so Criterion's pages and plots read in
//! B/KiB/MiB instead of ns (the labels still say "time": Criterion has no other word).
//!
//! Bench bodies produce the value themselves with `iter_custom`: the sum over `iters` runs of one run's
//! bytes per task, which Criterion divides by `iters`. It is not a throughput: `Throughput` assumes work
//! per unit of time and would invert the bounds.

use criterion::measurement::{Measurement, ValueFormatter};
use criterion::Throughput;

pub struct BytesPerTask;

impl Measurement for BytesPerTask {
    /// Live heap bytes at the start, for benches that use `iter` instead of `iter_custom`.
    type Intermediate = i64;
    type Value = f64;

    fn start(&self) -> i64 {
        super::alloc::live_bytes()
    }
    fn end(&self, start: i64) -> f64 {
        (super::alloc::live_bytes() - start) as f64
    }
    fn add(&self, a: &f64, b: &f64) -> f64 {
        a + b
    }
    fn zero(&self) -> f64 {
        0.0
    }
    fn to_f64(&self, value: &f64) -> f64 {
        *value
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &BytesFormatter
    }
}

/// Scales byte values to B, KiB or MiB (per task).
pub struct BytesFormatter;

impl BytesFormatter {
    fn unit(typical: f64) -> (f64, &'static str) {
        match typical.abs() {
            t if t >= (1 << 20) as f64 => ((1 << 20) as f64, "MiB/task"),
            t if t >= 1024.0 => (1024.0, "KiB/task"),
            _ => (1.0, "B/task"),
        }
    }
}

impl ValueFormatter for BytesFormatter {
    fn scale_values(&self, typical_value: f64, values: &mut [f64]) -> &'static str {
        let (divisor, unit) = Self::unit(typical_value);
        values.iter_mut().for_each(|v| *v /= divisor);
        unit
    }

    fn scale_throughputs(&self, typical_value: f64, _: &Throughput, values: &mut [f64]) -> &'static str {
        // No throughput is set on the memory groups; scale as plain bytes if one ever is.
        self.scale_values(typical_value, values)
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "B/task"
    }
}
