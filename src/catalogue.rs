//! The catalogue of benchmark groups: one entry per group, read by the bench binaries, the harness, the
//! records and every renderer. A group's name, what it measures, its unit, its x axis, warm or cold, its
//! README column and its place in every listing are said here and nowhere else.
//!
//! Adding a group is three edits: its bench file, its `[[bench]]` line in `Cargo.toml`, and an entry in
//! [`GROUPS`]. A group that a saved run holds but this catalogue lacks (a group removed since, or one from a
//! newer taskbench) still renders: [`Group::unknown`] describes it from the run's own unit and sorts it last.

/// What a group's value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Measures {
    /// Nanoseconds (Criterion's value is the time of one iteration over N tasks).
    Time,
    /// Bytes per task (Criterion's value is already per task).
    Bytes,
    /// Instructions per task, counted rather than timed (Criterion's value is already per task).
    Instructions,
}

/// What the last part of a group's ids counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Axis {
    /// The number of tasks: `group/model/N`.
    N,
    /// The bytes each task holds across its park point: `group/model/K` (each row runs one N of its own).
    K,
}

impl Axis {
    /// `N` or `K`, as ids, tables and charts name it.
    pub fn letter(self) -> &'static str {
        match self {
            Axis::N => "N",
            Axis::K => "K",
        }
    }
}

/// Warm (the steady state after untimed iterations in the same process) or cold (the first burst in a
/// fresh process).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Temperature {
    Warm,
    Cold,
}

/// What one per-task value counts: a task (the spawn and memory groups), or one event of the switch groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Per {
    Task,
    /// One hand-off round a ring: a wake of a waiting task and the switch to it.
    HandOff,
    /// One yield of a task to its scheduler.
    Yield,
}

/// One benchmark group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Group {
    /// Criterion's group name, the first part of every id.
    pub name: &'static str,
    pub measures: Measures,
    pub axis: Axis,
    pub temperature: Temperature,
    /// What the per-task value (Criterion's value divided by N) counts.
    pub per: Per,
    /// The N values measured when `TASKBENCH_N` is not set; `None`: the harness's default.
    pub default_n: Option<&'static [usize]>,
    /// The README table's column header.
    pub column: &'static str,
    /// What one value is, in words (goes into the records and the reports).
    pub value_is: &'static str,
}

/// Every group, in the order listings show them: time first, then memory, then the state a task holds.
pub const GROUPS: &[Group] = &[
    SPAWN,
    SPAWN_COLD,
    SPAWN_JOIN,
    SPAWN_JOIN_COLD,
    SPAWN_INSTRUCTIONS,
    HANDOFF,
    YIELD,
    HEAP,
    RSS,
    KERNEL,
    STATE_HEAP,
    STATE_RSS,
];

/// The switch groups' N: two tasks (the switch alone, everything in cache), then rings and crowds where each
/// wake reaches a task that has gone cold in cache.
pub const SWITCH_N: &[usize] = &[2, 1_000, 100_000];

/// The instruction counts' N: 10^4 and 10^5. A count per spawn at 10^6 reads within 0.2% of 10^5's (the
/// stackless rows, 12-04), and each of its processes runs a minute under callgrind; `TASKBENCH_N` still asks it.
pub const INSTRUCTIONS_N: &[usize] = &[10_000, 100_000];

pub const SPAWN: Group = Group {
    name: "spawn",
    measures: Measures::Time,
    axis: Axis::N,
    temperature: Temperature::Warm,
    per: Per::Task,
    default_n: None,
    column: "spawn ns/task",
    value_is: "time of the spawn loop for N parked tasks, warm (after two untimed iterations in the same process)",
};

pub const SPAWN_COLD: Group = Group {
    name: "spawn_cold",
    measures: Measures::Time,
    axis: Axis::N,
    temperature: Temperature::Cold,
    per: Per::Task,
    default_n: None,
    column: "spawn cold",
    value_is: "time of the spawn loop for the first N parked tasks in a fresh process",
};

pub const SPAWN_JOIN: Group = Group {
    name: "spawn_join",
    measures: Measures::Time,
    axis: Axis::N,
    temperature: Temperature::Warm,
    per: Per::Task,
    default_n: None,
    column: "spawn+join",
    value_is: "time to spawn N trivial tasks and wait until all have run, warm",
};

pub const SPAWN_JOIN_COLD: Group = Group {
    name: "spawn_join_cold",
    measures: Measures::Time,
    axis: Axis::N,
    temperature: Temperature::Cold,
    per: Per::Task,
    default_n: None,
    column: "spawn+join cold",
    value_is: "time to spawn the first N trivial tasks in a fresh process and wait until all have run",
};

pub const SPAWN_INSTRUCTIONS: Group = Group {
    name: "spawn_instructions",
    measures: Measures::Instructions,
    axis: Axis::N,
    temperature: Temperature::Cold,
    per: Per::Task,
    default_n: Some(INSTRUCTIONS_N),
    column: "spawn instr/task",
    value_is: "instructions the spawning thread executes in the spawn loop, per task (callgrind), for the first N \
               parked tasks in a fresh process",
};

pub const HANDOFF: Group = Group {
    name: "handoff",
    measures: Measures::Time,
    axis: Axis::N,
    temperature: Temperature::Warm,
    per: Per::HandOff,
    default_n: Some(SWITCH_N),
    column: "hand-off ns",
    value_is: "time of N hand-offs (one lap of a ring of N tasks: each wakes the next and waits), warm; per \
               hand-off: the value / N",
};

pub const YIELD: Group = Group {
    name: "yield",
    measures: Measures::Time,
    axis: Axis::N,
    temperature: Temperature::Warm,
    per: Per::Yield,
    default_n: Some(SWITCH_N),
    column: "yield ns",
    value_is: "time of N yields (each of N tasks yields to its scheduler once), warm; per yield: the value / N",
};

pub const HEAP: Group = Group {
    name: "heap_per_task",
    measures: Measures::Bytes,
    axis: Axis::N,
    temperature: Temperature::Cold,
    per: Per::Task,
    default_n: None,
    column: "heap B/task",
    value_is: "live heap bytes per task with all N tasks parked",
};

pub const RSS: Group = Group {
    name: "rss_per_task",
    measures: Measures::Bytes,
    axis: Axis::N,
    temperature: Temperature::Cold,
    per: Per::Task,
    default_n: None,
    column: "RSS B/task",
    value_is: "resident bytes per task with all N tasks parked",
};

pub const KERNEL: Group = Group {
    name: "kernel_per_task",
    measures: Measures::Bytes,
    axis: Axis::N,
    temperature: Temperature::Cold,
    per: Per::Task,
    default_n: None,
    column: "kernel B/task",
    value_is: "kernel stack and page-table bytes per task (machine-wide /proc/meminfo) with all N tasks parked",
};

pub const STATE_HEAP: Group = Group {
    name: "state_heap",
    measures: Measures::Bytes,
    axis: Axis::K,
    temperature: Temperature::Cold,
    per: Per::Task,
    default_n: None,
    column: "heap B/task",
    value_is: "live heap bytes per task with N tasks parked, each holding K bytes (the id's last part is K; N is \
               the model's, in its configuration)",
};

pub const STATE_RSS: Group = Group {
    name: "state_rss",
    measures: Measures::Bytes,
    axis: Axis::K,
    temperature: Temperature::Cold,
    per: Per::Task,
    default_n: None,
    column: "RSS B/task",
    value_is: "resident bytes per task with N tasks parked, each holding K bytes (the id's last part is K; N is \
               the model's, in its configuration)",
};

impl Group {
    /// The catalogue's entry for `name`, if it has one.
    pub fn find(name: &str) -> Option<&'static Group> {
        GROUPS.iter().find(|g| g.name == name)
    }

    /// A group this catalogue does not list, described from a saved run's unit (`ns` or `bytes/task`).
    /// Its column is its name, and it sorts after every catalogued group.
    pub fn unknown(name: &str, unit: &str) -> Group {
        let measures = if unit.starts_with("bytes") || unit.starts_with("B") {
            Measures::Bytes
        } else if unit.starts_with("instructions") {
            Measures::Instructions
        } else {
            Measures::Time
        };
        let name: &'static str = Box::leak(name.to_string().into_boxed_str());
        Group {
            name,
            measures,
            axis: Axis::N,
            temperature: Temperature::Warm,
            per: Per::Task,
            default_n: None,
            column: name,
            value_is: "",
        }
    }

    /// The entry for `name`, or [`Group::unknown`] from the unit a run recorded for it.
    pub fn find_or_unknown(name: &str, unit: &str) -> Group {
        Group::find(name).copied().unwrap_or_else(|| Group::unknown(name, unit))
    }

    /// Where the group sorts in every listing: its place in [`GROUPS`], unknown groups last (then by name).
    pub fn rank(name: &str) -> (usize, &str) {
        (GROUPS.iter().position(|g| g.name == name).unwrap_or(GROUPS.len()), name)
    }

    /// Criterion's unit for the group's value: `ns` per iteration, or `bytes/task`.
    pub fn unit(&self) -> &'static str {
        match self.measures {
            Measures::Time => "ns",
            Measures::Bytes => "bytes/task",
            Measures::Instructions => "instructions/task",
        }
    }

    /// The unit of a value per task: `ns/task` (`ns/hand-off`, `ns/yield`) or `bytes/task`.
    pub fn per_task_unit(&self) -> &'static str {
        match self.measures {
            Measures::Time => self.ns_per(),
            Measures::Bytes => "bytes/task",
            Measures::Instructions => "instructions/task",
        }
    }

    /// The short per-task unit people read: `ns/task` (`ns/hand-off`, `ns/yield`) or `B/task`.
    pub fn short_unit(&self) -> &'static str {
        match self.measures {
            Measures::Time => self.ns_per(),
            Measures::Bytes => "B/task",
            Measures::Instructions => "instr/task",
        }
    }

    fn ns_per(&self) -> &'static str {
        match self.per {
            Per::Task => "ns/task",
            Per::HandOff => "ns/hand-off",
            Per::Yield => "ns/yield",
        }
    }

    pub fn is_time(&self) -> bool {
        self.measures == Measures::Time
    }

    pub fn is_bytes(&self) -> bool {
        self.measures == Measures::Bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_found() {
        for (i, g) in GROUPS.iter().enumerate() {
            assert_eq!(Group::find(g.name), Some(g));
            assert!(GROUPS[..i].iter().all(|o| o.name != g.name), "{} listed twice", g.name);
        }
        assert_eq!(Group::find("no_such_group"), None);
    }

    #[test]
    fn unknown_groups_sort_last_and_keep_their_unit() {
        assert!(Group::rank("state_rss") < Group::rank("zzz_new"));
        assert!(Group::rank("spawn") < Group::rank("heap_per_task"));
        assert_eq!(Group::unknown("x", "bytes/task").measures, Measures::Bytes);
        assert_eq!(Group::unknown("x", "ns").measures, Measures::Time);
        assert_eq!(Group::unknown("x", "instructions/task").measures, Measures::Instructions);
    }
}
