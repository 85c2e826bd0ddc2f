//! What a bench binary declares: its group ([`GroupSpec`], the catalogue's entry plus the harness's knobs),
//! the rows beside the models ([`ExtraRow`]), and the one row type the runner and the cell processes both
//! walk (`Row`, a model or an extra row with its name, settings and limits).

use anyhow::Result;

use crate::catalogue::{self, Axis, Group, Measures, Temperature};
use crate::limits;
use crate::measure::MemoryKind;
use crate::models::{self, TaskModel};
use crate::provenance::{Build, ProbeBuild};
use crate::record::CellRecord;

/// One benchmark group as a bench binary declares it: the catalogue's entry (name, unit, what a value is,
/// warm or cold, x axis) and what only the harness needs.
#[derive(Clone, Copy)]
pub struct GroupSpec {
    pub group: &'static Group,
    /// Also run the calibration controls (memory groups).
    pub with_controls: bool,
    /// The models this group applies to, by what a task needs (`None`: every model). The others are named
    /// in one line and not measured.
    pub only: Option<ModelsWhere>,
    /// The state groups (axis K): every parked task holds K bytes across its park point, K from this list.
    /// Each row runs one N at every K ([`super::state::state_tasks`]: nearly the largest that fits this
    /// machine, up to [`super::state::STATE_MAX_N`] or the largest `TASKBENCH_N`), recorded with its cells. A
    /// K a task's stack cannot hold is skipped with one line ([`models::state_fits`]). `None` (axis N): one
    /// cell per `TASKBENCH_N` value.
    pub state_sizes: Option<&'static [usize]>,
    /// The memory figure the group's model rows read, from processes that read every figure at once and
    /// share them with the other memory groups of one `cargo bench` ([`super::shared`]); `None`: the group's
    /// processes are its own.
    pub shares: Option<MemoryKind>,
}

impl GroupSpec {
    /// `group` with every model, no controls, ids ending in N.
    pub const fn of(group: &'static Group) -> GroupSpec {
        GroupSpec { group, with_controls: false, only: None, state_sizes: None, shares: None }
    }

    /// Criterion's group name, the first part of every id.
    pub fn name(&self) -> &'static str {
        self.group.name
    }

    pub fn temperature(&self) -> Temperature {
        self.group.temperature
    }

    /// Set `Throughput::Elements(N)` so that Criterion's reports show tasks/s: the time groups.
    pub fn per_task_throughput(&self) -> bool {
        self.group.measures == Measures::Time
    }

    /// The group reads memory (its value is bytes per task, and its samples repeat).
    pub fn reads_memory(&self) -> bool {
        self.group.measures == Measures::Bytes
    }

    /// A cell's readings repeat from process to process (bytes, instruction counts): the group takes
    /// Criterion's minimum of samples, one fresh process each, and the reading Criterion's warm-up call took
    /// is its first sample ([`super::sampler`]).
    pub fn readings_repeat(&self) -> bool {
        matches!(self.group.measures, Measures::Bytes | Measures::Instructions)
    }

    /// The cell id `group/row/x`.
    pub fn id(&self, row: &str, x: usize) -> String {
        format!("{}/{row}/{x}", self.group.name)
    }

    /// Why a bench binary cannot run this declaration: a group that is not the catalogue's own entry (tests
    /// may declare groups of their own for the runner, not bench binaries), or state sizes that disagree
    /// with the group's axis (ids end in K exactly when each task holds K bytes).
    pub fn check(&self) -> Result<(), String> {
        let name = self.group.name;
        if catalogue::Group::find(name) != Some(self.group) {
            return Err(format!("{name}: not a group of the catalogue (src/catalogue.rs); add its entry there"));
        }
        match (self.group.axis, self.state_sizes) {
            (Axis::K, None) => Err(format!("{name}: its ids end in K, but it declares no state sizes")),
            (Axis::N, Some(_)) => Err(format!("{name}: its ids end in N, but it declares state sizes")),
            _ => Ok(()),
        }
    }
}

/// A subset of the models, by what one task needs, and its description for the line naming the others.
#[derive(Clone, Copy)]
pub struct ModelsWhere {
    pub applies: fn(&limits::Needs) -> bool,
    pub describe: &'static str,
}

/// Models whose tasks cost the kernel per task: each task is a thread or owns a stack mapping (thread, may),
/// and Go, whose few threads are the point of its row.
pub const KERNEL_SHARE: ModelsWhere = ModelsWhere {
    applies: |needs| needs.threads_per_task > 0 || needs.maps_per_task > 0 || needs.in_child_process,
    describe: "models whose tasks are threads or own a stack mapping, and Go",
};

/// Models whose spawn loop runs in this process and whose tasks are stackless: the spawn_instructions rows.
/// Threads and may are left out: a thread's spawn is mostly the kernel's (`clone`), which callgrind does not
/// see, and may switches stacks in ways valgrind reads unreliably. Go's loop runs in its own process.
pub const STACKLESS_IN_PROCESS: ModelsWhere = ModelsWhere {
    applies: |needs| needs.threads_per_task == 0 && needs.maps_per_task == 0 && !needs.in_child_process,
    describe: "stackless models whose spawn loop runs in this process (threads, may and Go are left out)",
};

/// The value of one iteration of a cell: ns for the time groups, bytes per task for the memory groups.
pub type Measure = fn(&'static dyn TaskModel, usize) -> Result<f64>;

/// A row of a group that is not a [`TaskModel`] run (e.g. the origin post's method for goroutines): its
/// name, whether it can run here, and the value of one iteration at N.
pub struct ExtraRow {
    pub name: &'static str,
    pub config: fn() -> String,
    pub caveat: Option<&'static str>,
    pub available: fn() -> Result<(), String>,
    pub needs: limits::Needs,
    pub measure: fn(usize) -> Result<f64>,
    /// The child probe that measures the row, as built (recorded with each cell); `None` for none.
    pub probe: fn() -> Option<ProbeBuild>,
    /// The row whose processes also read this row's figure, and which figure (Go's stacks beside its heap),
    /// for the readings shared within one `cargo bench` ([`super::shared`]).
    pub shares: Option<(&'static str, MemoryKind)>,
}

/// One row's facts, whether it is a model or an extra row.
pub(super) struct Row {
    pub name: &'static str,
    pub config: String,
    pub caveat: Option<&'static str>,
    pub available: Result<(), String>,
    pub needs: limits::Needs,
    /// The task's own stack, where it has one (see [`TaskModel::stack`]).
    pub stack: Option<models::TaskStack>,
    /// The number of tasks of a state group's row ([`super::state::state_tasks`]); `None` where ids end in N.
    pub tasks: Option<usize>,
    /// The child probe that measures the row, where one does ([`TaskModel::probe_build`]).
    pub probe: Option<ProbeBuild>,
}

impl Row {
    /// The record of this row's cell `x`, with the build that measures it (and the probe's, for a probe's row).
    pub fn record(&self, spec: &GroupSpec, x: usize) -> CellRecord {
        let build = match &self.probe {
            Some(probe) => Build::this_binary().with_probe(probe.clone()),
            None => Build::this_binary(),
        };
        CellRecord {
            tasks: self.tasks,
            id: spec.id(self.name, x),
            group: spec.name().into(),
            model: self.name.into(),
            n: x,
            unit: spec.group.unit().into(),
            value_is: spec.group.value_is.into(),
            config: self.config.clone(),
            caveat: self.caveat.map(Into::into),
            build: Some(build),
            ..CellRecord::default()
        }
    }
}

/// The rows of `models` and then `extra`, as the parent announces and records them (a cell's process asks
/// its one row only whether it can run: [`super::serve`]).
pub(super) fn rows(models: &[&'static dyn TaskModel], extra: &[&ExtraRow]) -> Vec<Row> {
    models
        .iter()
        .map(|&model| {
            let available = model.available();
            Row {
                name: model.name(),
                // A model that cannot run may not be able to say how it is configured either.
                config: if available.is_ok() {
                    format!("{}; {}", model.config(), model.spawn_site().describe())
                } else {
                    String::new()
                },
                caveat: model.caveat(),
                available,
                needs: model.needs(),
                stack: model.stack(),
                tasks: None,
                probe: model.probe_build(),
            }
        })
        .chain(extra.iter().map(|x| Row {
            name: x.name,
            config: (x.config)(),
            caveat: x.caveat,
            available: (x.available)(),
            needs: x.needs,
            stack: None,
            tasks: None,
            probe: (x.probe)(),
        }))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fails on: a bench binary allowed to declare a group the catalogue lacks (or a copy of an entry that
    /// differs from it), or state sizes that disagree with the group's axis.
    #[test]
    fn a_declaration_must_be_the_catalogues_and_agree_with_its_axis() {
        assert_eq!(GroupSpec::of(&catalogue::SPAWN).check(), Ok(()));
        let sizes: &'static [usize] = &[0, 64];
        assert_eq!(GroupSpec { state_sizes: Some(sizes), ..GroupSpec::of(&catalogue::STATE_RSS) }.check(), Ok(()));
        const RENAMED: Group = Group { column: "another column", ..catalogue::SPAWN };
        let e = GroupSpec::of(&RENAMED).check().unwrap_err();
        assert!(e.contains("not a group of the catalogue"), "{e}");
        let e = GroupSpec::of(&catalogue::STATE_RSS).check().unwrap_err();
        assert!(e.contains("no state sizes"), "{e}");
        let e = GroupSpec { state_sizes: Some(sizes), ..GroupSpec::of(&catalogue::HEAP) }.check().unwrap_err();
        assert_eq!(e, "heap_per_task: its ids end in N, but it declares state sizes");
    }
}
