//! A run's machine-speed reference ([`crate::measure::reference`]): the medians of the readings its timing
//! groups' rounds took, and how far it moved between two runs. A timing cell's change between runs that lies
//! within what the reference moved (widened by the rule's minimum effect) may be the machine's, not the
//! model's; `compare`, `report` and the README say so.

use super::format::human;
use super::noise::median;
use super::summary::GroupSummary;
use crate::catalogue::Measures;
use crate::record::MachineReference;

/// The medians of a run's (or a group's) reference readings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reference {
    pub workload_ns: f64,
    /// `None` where no reading had a cross-core wake (a single usable core).
    pub wake_ns: Option<f64>,
    pub readings: usize,
}

impl Reference {
    /// The medians of `readings`; `None` without any.
    pub fn of(readings: &[MachineReference]) -> Option<Reference> {
        let workload: Vec<f64> = readings.iter().map(|r| r.workload_ns).collect();
        let wake: Vec<f64> = readings.iter().filter_map(|r| r.wake_ns).collect();
        (!workload.is_empty()).then(|| Reference {
            workload_ns: median(&workload),
            wake_ns: (!wake.is_empty()).then(|| median(&wake)),
            readings: readings.len(),
        })
    }

    /// The reference of every group of a run that has one.
    pub fn of_groups<'a>(groups: impl IntoIterator<Item = &'a GroupSummary>) -> Option<Reference> {
        let all: Vec<MachineReference> = groups.into_iter().flat_map(|g| g.machine_reference.iter().copied()).collect();
        Reference::of(&all)
    }

    /// `this / reference` for each figure: how far the machine moved from the `reference` run to this one.
    pub fn moved_from(&self, reference: &Reference) -> Moved {
        let wake = self.wake_ns.zip(reference.wake_ns).map(|(b, a)| b / a);
        Moved { workload: self.workload_ns / reference.workload_ns, wake }
    }

    /// `3.10 ms fixed workload, 24.0 µs cross-core wake round trip (240 readings)`.
    pub fn describe(&self) -> String {
        let wake = self.wake_ns.map_or("no cross-core wake (one core)".to_string(), |w| {
            format!("{} cross-core wake round trip", human(w, Measures::Time))
        });
        format!("{} fixed workload, {wake} ({} readings)", human(self.workload_ns, Measures::Time), self.readings)
    }
}

/// How far the reference moved between two runs: each figure's ratio, later run over earlier.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Moved {
    pub workload: f64,
    pub wake: Option<f64>,
}

impl Moved {
    /// Whether a cell's ratio between the same two runs lies within what the reference moved: between the
    /// smallest and largest of 1 and the reference's ratios, widened by `margin` (a fraction) each way.
    pub fn explains(&self, ratio: f64, margin: f64) -> bool {
        let moves = [1.0, self.workload].into_iter().chain(self.wake);
        let (low, high) = moves.fold((f64::INFINITY, 0.0f64), |(l, h), m| (l.min(m), h.max(m)));
        ratio >= low / (1.0 + margin) && ratio <= high * (1.0 + margin)
    }

    /// `fixed workload 1.21×, cross-core wake 0.95×`.
    pub fn describe(&self) -> String {
        let wake = self.wake.map_or(String::new(), |w| format!(", cross-core wake {w:.2}×"));
        format!("fixed workload {:.2}×{wake}", self.workload)
    }
}
