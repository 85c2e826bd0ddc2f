//! Paired ratios between two cells measured in interleaved rounds ([`crate::harness::rounds`]): sample `i` of
//! each is one round's, so the machine's speed then divides out. The figure is the median of the per-round
//! ratios with a distribution-free interval (order statistics, ranks from Bin(rounds, 1/2)); the caller
//! checks that the group's samples are round-aligned.

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
