//! When is a difference between two runs real, and when is one cell's sample set suspect? The one home of
//! both rules; `compare`, `report` and anything else that marks differences call [`DiffRule::judge`].
//!
//! A difference is real when both hold:
//! - **separated samples**: a two-sided Mann–Whitney U test on the two runs' per-sample values gives
//!   p < [`ALPHA`]. Every Criterion sample of a cell comes from separate fresh processes, so the samples carry
//!   the between-process variation a single process's confidence interval misses;
//! - **minimum effect**: the medians differ by at least [`DiffRule::time_min_effect`] (groups in `ns/task`,
//!   default [`DEFAULT_TIME_MIN_EFFECT`]) or [`DiffRule::memory_min_effect`] (`bytes/task`, default
//!   [`DEFAULT_MEMORY_MIN_EFFECT`]). Back-to-back runs of the same commit on the same 2-core machine moved
//!   warm time medians by up to 64% with tightly separated samples (a machine state that lasts minutes, which
//!   no single run can see; the README carries the A/A evidence), 35 of 40 warm Rust cells by less than 25%;
//!   RSS at 10^4 moved by up to 3%. Smaller differences are not evidence even when the test separates the
//!   samples.
//!
//! A run without per-sample values (summary schema 1) falls back to: the two confidence intervals of the
//! median do not overlap, with the same minimum effect.
//!
//! A cell is flagged (`~`) when its samples split into two clusters ([`is_bimodal`]) or its mean and median
//! differ by more than [`MEAN_MEDIAN_LIMIT`]: one number does not describe such a cell well. The flags are
//! computed from the samples whenever a run is read, never stored, so a changed threshold applies to every
//! saved run at once.
//!
//! The rank test and `erfc` are written here: `statrs` has `erfc` but no Mann–Whitney U, and the test with
//! its tie correction is 30 lines; both are checked against published values in `tests/results.rs`.

use serde::{Deserialize, Serialize};

use super::format::pct;
use crate::catalogue::Measures;

/// A point estimate and its confidence interval.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct Interval {
    pub point: f64,
    pub lower: f64,
    pub upper: f64,
    /// 0.95 unless Criterion was configured otherwise.
    pub confidence_level: f64,
    pub standard_error: f64,
}

impl Interval {
    /// The interval divided by `by`: per iteration to per task.
    pub fn scaled(&self, by: f64) -> Interval {
        Interval {
            point: self.point / by,
            lower: self.lower / by,
            upper: self.upper / by,
            confidence_level: self.confidence_level,
            standard_error: self.standard_error / by,
        }
    }

    /// Half the interval's width relative to the point, as a fraction (`0.01` = ±1%).
    pub fn relative_half_width(&self) -> f64 {
        if self.point == 0.0 {
            0.0
        } else {
            (self.upper - self.lower) / 2.0 / self.point.abs()
        }
    }
}

/// What the rule reads of a cell: its median per task with the interval, its per-sample values and whether
/// it is time or bytes.
pub trait Sampled {
    fn median_per_task(&self) -> &Interval;
    fn samples(&self) -> &[f64];
    fn measures(&self) -> Measures;
}

/// The test's significance level: samples count as separated below this two-sided p-value.
pub const ALPHA: f64 = 0.01;
/// Default minimum effect for the time groups (`ns/task`), as a fraction of the reference median.
pub const DEFAULT_TIME_MIN_EFFECT: f64 = 0.25;
/// Default minimum effect for the memory groups (`bytes/task`), as a fraction of the reference median.
pub const DEFAULT_MEMORY_MIN_EFFECT: f64 = 0.05;
/// A cell's mean and median differing by more than this fraction of the median flags the cell.
pub const MEAN_MEDIAN_LIMIT: f64 = 0.10;
/// The gap between two sample clusters must be at least this fraction of the median to count as bimodal.
pub const BIMODAL_MIN_GAP: f64 = 0.10;

/// What marks a difference real. See the module docs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DiffRule {
    /// Fraction (`0.25` = 25%) the medians of a time group must differ by.
    pub time_min_effect: f64,
    /// Fraction the medians of a memory group must differ by.
    pub memory_min_effect: f64,
}

impl Default for DiffRule {
    fn default() -> Self {
        DiffRule { time_min_effect: DEFAULT_TIME_MIN_EFFECT, memory_min_effect: DEFAULT_MEMORY_MIN_EFFECT }
    }
}

/// How a difference was judged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Basis {
    /// Mann–Whitney U on the per-sample values, with this two-sided p-value.
    MannWhitney { p: f64 },
    /// One run had no per-sample values: the confidence intervals of the median were compared.
    Intervals { overlap: bool },
}

/// The verdict on one cell against the reference run's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Verdict {
    pub real: bool,
    /// `|other / reference − 1|` of the medians.
    pub effect: f64,
    /// The minimum effect that applied.
    pub min_effect: f64,
    pub basis: Basis,
}

impl DiffRule {
    /// The minimum effect for a group that measures time or bytes.
    pub fn min_effect_for(&self, measures: Measures) -> f64 {
        match measures {
            Measures::Time => self.time_min_effect,
            // Counts repeat like bytes do: the same floor.
            Measures::Bytes | Measures::Instructions => self.memory_min_effect,
        }
    }

    /// Whether `other` differs from `reference` for real. See the module docs.
    pub fn judge(&self, reference: &impl Sampled, other: &impl Sampled) -> Verdict {
        let min_effect = self.min_effect_for(reference.measures());
        let effect = relative_effect(reference.median_per_task().point, other.median_per_task().point);
        let basis = if reference.samples().is_empty() || other.samples().is_empty() {
            Basis::Intervals { overlap: overlap(reference.median_per_task(), other.median_per_task()) }
        } else {
            Basis::MannWhitney { p: mann_whitney_p(reference.samples(), other.samples()) }
        };
        let separated = match basis {
            Basis::MannWhitney { p } => p < ALPHA,
            Basis::Intervals { overlap } => !overlap,
        };
        Verdict { real: separated && effect >= min_effect, effect, min_effect, basis }
    }

    /// The rule in words, for legends and `--help`.
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

fn overlap(a: &Interval, b: &Interval) -> bool {
    !(a.upper < b.lower || a.lower > b.upper)
}

/// The two-sided p-value of the Mann–Whitney U test of `a` against `b`: normal approximation with the tie
/// correction and a continuity correction. 1 when either side is empty or every value is the same (no
/// evidence either way, and no division by a zero variance). With no ties it cannot go below about 0.01
/// under 8 samples a side; Criterion takes at least 10.
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
        let avg_rank = ranked + (t + 1.0) / 2.0;
        ranked += t;
        tie_term += t * t * t - t;
        rank_sum_a += avg_rank * tie.iter().filter(|x| x.1).count() as f64;
    }
    let u = rank_sum_a - n1 * (n1 + 1.0) / 2.0;
    let mean = n1 * n2 / 2.0;
    let variance = n1 * n2 / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0)));
    if variance <= 0.0 {
        return 1.0;
    }
    let z = ((u - mean).abs() - 0.5).max(0.0) / variance.sqrt();
    erfc(z / std::f64::consts::SQRT_2).min(1.0)
}

/// The complementary error function, with fractional error below 1.2e-7 (Numerical Recipes' `erfcc`,
/// Chebyshev fit); enough for p-values compared with 0.01.
pub fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98 + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

/// Whether `samples` split into two clusters. Rule: sort them and take the largest gap between neighbours;
/// bimodal when each side of that gap holds at least 2 samples, the gap is at least [`BIMODAL_MIN_GAP`] of
/// the median, and the gap is wider than the spread (max − min) within either side. One stray sample (a
/// cold first iteration) is not a cluster; it shows in the mean-versus-median flag instead.
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
