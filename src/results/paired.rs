//! Paired ratios between two cells measured in interleaved rounds ([`crate::harness::rounds`]): sample `i`
//! of each was taken in the same round, so the machine's speed at that moment divides out of their ratio.
//! The figure is the median of the per-round ratios, with a distribution-free interval for that median
//! (order statistics of the sorted ratios, ranks from the binomial distribution Bin(rounds, 1/2)): it
//! assumes the rounds' ratios are independent draws, nothing about their shape.
//!
//! What it does not do: pair cells whose samples were not round-aligned (the caller checks the group's
//! `interleaved`), or say anything about absolute figures.

use super::noise::median;

/// The wanted confidence of the interval.
pub const CONFIDENCE: f64 = 0.95;

/// The median of per-round ratios `other / reference`, its interval and the interval's actual coverage.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairedRatio {
    pub median: f64,
    pub low: f64,
    pub high: f64,
    /// The interval's exact coverage under the binomial: at least [`CONFIDENCE`] from 6 rounds on; below
    /// it, the interval is the whole range, and this says how much less it covers.
    pub coverage: f64,
    pub rounds: usize,
}

/// The paired ratio of `other` to `reference` (both in round order), over the rounds both have (a row of
/// fewer samples was in the first rounds only), or `None` when either is empty or a reference value is not
/// positive.
pub fn paired_ratio(reference: &[f64], other: &[f64]) -> Option<PairedRatio> {
    let rounds = reference.len().min(other.len());
    let (reference, other) = (&reference[..rounds], &other[..rounds]);
    if rounds == 0 || reference.iter().any(|&r| r <= 0.0) {
        return None;
    }
    let mut ratios: Vec<f64> = other.iter().zip(reference).map(|(o, r)| o / r).collect();
    ratios.sort_by(f64::total_cmp);
    let n = ratios.len();
    let (rank, coverage) = median_interval_rank(n);
    Some(PairedRatio { median: median(&ratios), low: ratios[rank - 1], high: ratios[n - rank], coverage, rounds: n })
}

/// The 1-based rank `l` such that [x(l), x(n+1-l)] covers the median with at least [`CONFIDENCE`] (the
/// largest such `l`, at least 1), and that interval's coverage, 1 - 2·P(Bin(n, 1/2) ≤ l-1).
pub fn median_interval_rank(n: usize) -> (usize, f64) {
    let mut cdf = 0.0; // P(Bin(n, 1/2) ≤ k)
                       // Rank 1 (the whole range) when even it falls short.
    let mut rank = 1;
    let mut coverage = 1.0 - 2.0 * 0.5f64.powi(n as i32);
    let mut choose = 1.0; // C(n, k)
    for k in 0..n / 2 {
        cdf += choose * 0.5f64.powi(n as i32);
        let wider = 1.0 - 2.0 * cdf; // coverage of [x(k+1), x(n-k)]
        if wider < CONFIDENCE {
            break;
        }
        rank = k + 1;
        coverage = wider;
        choose *= (n - k) as f64 / (k + 1) as f64;
    }
    (rank, coverage)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fails on: ratios taken between unpaired samples (sorted first, or medians divided: the slowdown
    /// half-way moves them), a wrong rank for the interval (off by one in the binomial sum), a median of
    /// an even count not the mean of its middle two.
    #[test]
    fn a_machine_slowing_down_half_way_moves_the_values_not_the_paired_ratio() {
        // 20 rounds; the machine runs at half speed from round 10 on, and the floor jitters (100 to 119 at
        // full speed). The model's ratio to the floor in round i is 2.90 + 0.01·((7i) mod 20): a
        // permutation of 2.90, 2.91, ..., 3.09.
        let slowdown = |i: usize| if i < 10 { 1.0 } else { 2.0 };
        let floor: Vec<f64> = (0..20).map(|i| slowdown(i) * (100 + (11 * i) % 20) as f64).collect();
        let model: Vec<f64> = (0..20).map(|i| floor[i] * (2.90 + 0.01 * ((7 * i) % 20) as f64)).collect();
        let spread = model.iter().cloned().fold(0.0, f64::max) / model.iter().cloned().fold(f64::MAX, f64::min);
        assert!(spread > 2.0, "the absolute values move: {spread}");
        let r = paired_ratio(&floor, &model).unwrap();
        // Bin(20, 1/2): P(≤ 5) = 0.02069, P(≤ 6) = 0.05766, so the interval is [x(6), x(15)].
        assert!((r.median - 2.995).abs() < 1e-9, "{r:?}");
        assert!((r.low - 2.95).abs() < 1e-9, "{r:?}");
        assert!((r.high - 3.04).abs() < 1e-9, "{r:?}");
        assert!((r.coverage - 0.958610535).abs() < 1e-6, "{r:?}");
        assert_eq!(r.rounds, 20);
    }

    /// Fails on: a rank table that is off for Criterion's other sample size (10), or below 6 rounds.
    #[test]
    fn ranks_for_ten_and_five_rounds() {
        // Bin(10, 1/2): P(≤ 1) = 0.01074, P(≤ 2) = 0.05469: [x(2), x(9)], coverage 0.97852.
        let (rank, coverage) = median_interval_rank(10);
        assert_eq!(rank, 2);
        assert!((coverage - 0.978515625).abs() < 1e-9);
        // Five rounds cannot reach 95%: the whole range, 1 - 2/32.
        assert_eq!(median_interval_rank(5), (1, 0.9375));
        assert_eq!(paired_ratio(&[1.0, 2.0], &[3.0]).map(|r| (r.median, r.rounds)), Some((3.0, 1)));
        assert_eq!(paired_ratio(&[], &[1.0]), None);
    }
}
