//! When is a difference between two runs real, and when is one cell's sample set suspect ([`DiffRule::verdict`])?
//! Real: a two-sided Mann–Whitney U test on the runs' per-sample values gives p < [`ALPHA`] *and* the medians
//! differ by at least the minimum effect (25% for time, 5% for bytes: A/A runs on a 2-core machine moved warm
//! medians by up to 64%); runs without samples (schema 1) fall back to non-overlapping intervals. A cell is
//! flagged (`~`) when its samples are bimodal or its mean is far from its median. `erfc` is written here
//! (`statrs` has no Mann–Whitney U); both are checked against published values in `tests/units.rs`.

use serde::{Deserialize, Serialize};

use super::format::pct;
use crate::catalogue::Measures;

/// A point estimate and its confidence interval.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct Interval {
    pub point: f64,
    pub lower: f64,
    pub upper: f64,
    pub confidence_level: f64,
    pub standard_error: f64,
}

impl Interval {
    /// The interval divided by `by`: per iteration to per task.
    pub fn scaled(&self, by: f64) -> Interval {
        let Interval { point, lower, upper, standard_error, .. } = *self;
        Interval {
            point: point / by,
            lower: lower / by,
            upper: upper / by,
            standard_error: standard_error / by,
            ..*self
        }
    }

    /// Half the interval's width relative to the point (`0.01` = ±1%).
    pub fn relative_half_width(&self) -> f64 {
        if self.point == 0.0 {
            0.0
        } else {
            (self.upper - self.lower) / 2.0 / self.point.abs()
        }
    }
}

/// Samples count as separated below this two-sided p-value.
pub const ALPHA: f64 = 0.01;
pub const DEFAULT_TIME_MIN_EFFECT: f64 = 0.25;
pub const DEFAULT_MEMORY_MIN_EFFECT: f64 = 0.05;
/// A mean this far (a fraction of the median) from the median flags the cell.
pub const MEAN_MEDIAN_LIMIT: f64 = 0.10;
/// The gap between two sample clusters must be at least this fraction of the median to count as bimodal.
pub const BIMODAL_MIN_GAP: f64 = 0.10;

/// What marks a difference real: the minimum effects, as fractions (`0.25` = 25%).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DiffRule {
    pub time_min_effect: f64,
    pub memory_min_effect: f64,
}

impl Default for DiffRule {
    fn default() -> Self {
        DiffRule { time_min_effect: DEFAULT_TIME_MIN_EFFECT, memory_min_effect: DEFAULT_MEMORY_MIN_EFFECT }
    }
}

/// How a difference was judged: the test's p-value, or (without samples) whether the intervals overlap.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Basis {
    MannWhitney { p: f64 },
    Intervals { overlap: bool },
}

/// The verdict on one cell against the reference run's; `effect` is `|other / reference − 1|`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Verdict {
    pub real: bool,
    pub effect: f64,
    pub min_effect: f64,
    pub basis: Basis,
}

impl DiffRule {
    pub fn min_effect_for(&self, measures: Measures) -> f64 {
        match measures {
            Measures::Time => self.time_min_effect,
            // Counts repeat like bytes do: the same floor.
            Measures::Bytes | Measures::Instructions => self.memory_min_effect,
        }
    }

    /// Whether `other` differs from `reference` for real, each side its median and samples per task (see
    /// the module docs; [`super::bench::Bench`]'s cells are judged by `DiffRule::judge`).
    pub fn verdict(&self, measures: Measures, reference: (&Interval, &[f64]), other: (&Interval, &[f64])) -> Verdict {
        let ((a, a_samples), (b, b_samples)) = (reference, other);
        let (min_effect, effect) = (self.min_effect_for(measures), relative_effect(a.point, b.point));
        let (basis, separated) = if a_samples.is_empty() || b_samples.is_empty() {
            let overlap = !(a.upper < b.lower || a.lower > b.upper);
            (Basis::Intervals { overlap }, !overlap)
        } else {
            let p = mann_whitney_p(a_samples, b_samples);
            (Basis::MannWhitney { p }, p < ALPHA)
        };
        Verdict { real: separated && effect >= min_effect, effect, min_effect, basis }
    }

    /// The rule in words, for legends.
    pub fn describe(&self, confidence_level: f64) -> String {
        format!(
            "the two runs' per-sample values are separated by a two-sided Mann–Whitney U test at p < {ALPHA} \
             and the medians differ by at least {} (time groups) or {} (memory groups). Where a run has no \
             per-sample values (saved by an older taskbench, summary schema 1) the test is replaced by: the \
             {:.0}% confidence intervals of the medians do not overlap",
            pct(self.time_min_effect),
            pct(self.memory_min_effect),
            confidence_level * 100.0
        )
    }
}

/// `|other / reference − 1|`; infinite when the reference is 0 and the other is not.
pub fn relative_effect(reference: f64, other: f64) -> f64 {
    if reference == other {
        0.0
    } else if reference == 0.0 {
        f64::INFINITY
    } else {
        (other / reference - 1.0).abs()
    }
}

/// The two-sided Mann–Whitney U p-value of `a` against `b` (normal approximation, tie and continuity corrected).
pub fn mann_whitney_p(a: &[f64], b: &[f64]) -> f64 {
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    if a.is_empty() || b.is_empty() {
        return 1.0;
    }
    let mut all: Vec<(f64, bool)> = a.iter().map(|&v| (v, true)).chain(b.iter().map(|&v| (v, false))).collect();
    all.sort_by(|x, y| x.0.total_cmp(&y.0));
    let n = all.len() as f64;
    let (mut ranked, mut rank_sum_a, mut tie_term) = (0.0, 0.0, 0.0);
    for tie in all.chunk_by(|x, y| x.0 == y.0) {
        // Ranks ranked+1 ..= ranked+t share their average.
        let t = tie.len() as f64;
        rank_sum_a += (ranked + (t + 1.0) / 2.0) * tie.iter().filter(|x| x.1).count() as f64;
        ranked += t;
        tie_term += t * t * t - t;
    }
    let u = rank_sum_a - n1 * (n1 + 1.0) / 2.0;
    let variance = n1 * n2 / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0)));
    if variance <= 0.0 {
        return 1.0;
    }
    let z = ((u - n1 * n2 / 2.0).abs() - 0.5).max(0.0) / variance.sqrt();
    erfc(z / std::f64::consts::SQRT_2).min(1.0)
}

const ERFC: [f64; 9] =
    [1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277];

/// The complementary error function, fractional error below 1.2e-7 (Numerical Recipes' `erfcc`).
pub fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = ERFC.iter().rev().fold(0.0, |acc, c| c + t * acc);
    let r = t * (-z * z - 1.265_512_23 + t * poly).exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

/// Whether `samples` split at their largest gap into two sides of 2 or more, the gap at least
/// [`BIMODAL_MIN_GAP`] of the median and wider than either side's spread.
pub fn is_bimodal(samples: &[f64]) -> bool {
    if samples.len() < 4 {
        return false;
    }
    let mut s = samples.to_vec();
    s.sort_by(f64::total_cmp);
    let Some((at, gap)) = s.windows(2).map(|w| w[1] - w[0]).enumerate().max_by(|x, y| x.1.total_cmp(&y.1)) else {
        return false;
    };
    let (low, high) = s.split_at(at + 1);
    let spread = |side: &[f64]| side[side.len() - 1] - side[0];
    low.len() >= 2
        && high.len() >= 2
        && gap >= BIMODAL_MIN_GAP * median(&s).abs()
        && gap > spread(low)
        && gap > spread(high)
}

/// Whether the mean and median differ by more than [`MEAN_MEDIAN_LIMIT`] of the median.
pub fn mean_far_from_median(mean: f64, median: f64) -> bool {
    relative_effect(median, mean) > MEAN_MEDIAN_LIMIT
}

/// The median of `samples` (0 when empty).
pub fn median(samples: &[f64]) -> f64 {
    let mut s = samples.to_vec();
    s.sort_by(f64::total_cmp);
    match s.len() {
        0 => 0.0,
        n if n % 2 == 1 => s[n / 2],
        n => (s[n / 2 - 1] + s[n / 2]) / 2.0,
    }
}
