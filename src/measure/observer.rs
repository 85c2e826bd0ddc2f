//! The observer that reads memory at a parked run's two moments and turns the difference into bytes per task.

use anyhow::{bail, Result};

use super::kernel::{KernelGrowth, KernelReading};
use crate::models::{MemorySource, Observer};

/// Which figure to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MemoryKind {
    /// Live heap bytes: the counting allocator here, or the runtime's own heap figure for a child process.
    Heap,
    /// Resident bytes of the process that holds the tasks.
    Rss,
    /// Stack bytes a runtime reports outside its heap (Go's `StackInuse`); an error for models without.
    RuntimeStacks,
    /// The kernel's memory outside any process's RSS: kernel stacks (machine-wide) and the page tables of the
    /// process that holds the tasks.
    Kernel,
}

impl MemoryKind {
    /// Every kind, in the order their baselines are read ([`Readings`]): the heap's last, as near the first
    /// spawn as can be, because the other readers may allocate.
    pub const ALL: [MemoryKind; 4] = [MemoryKind::Kernel, MemoryKind::Rss, MemoryKind::RuntimeStacks, MemoryKind::Heap];

    /// The kind's name in a cell's answer and in the shared readings' files.
    pub fn name(self) -> &'static str {
        match self {
            MemoryKind::Heap => "heap",
            MemoryKind::Rss => "rss",
            MemoryKind::RuntimeStacks => "runtime-stacks",
            MemoryKind::Kernel => "kernel",
        }
    }

    /// The kind named `name` ([`MemoryKind::name`]).
    pub fn named(name: &str) -> Option<MemoryKind> {
        MemoryKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// Several kinds read in one parked run, each as its own [`MemoryObserver`] would read it, so that one fresh
/// process gives every memory figure of a cell. The readers stay out of each other's windows: freed heap is
/// returned to the OS first (as the RSS reading asks), then the baselines are read in [`MemoryKind::ALL`]'s
/// order (the heap's last, right before the first spawn) and the second readings in the reverse order (the
/// heap's first). The allocator counts only the bytes asked for, and the RSS reader allocates nothing, so
/// neither moves another's figure. A runtime without a stack figure of its own (every model but Go) is
/// simply not read for [`MemoryKind::RuntimeStacks`].
pub struct Readings {
    observers: Vec<MemoryObserver>,
}

impl Readings {
    /// Reads each of `kinds` (any order, once each).
    pub fn of(kinds: &[MemoryKind]) -> Readings {
        let observers = MemoryKind::ALL.into_iter().filter(|k| kinds.contains(k)).map(MemoryObserver::new).collect();
        Readings { observers }
    }

    /// The reading of `kind`, if it was read.
    pub fn get(&self, kind: MemoryKind) -> Option<&MemoryObserver> {
        self.observers.iter().find(|o| o.kind == kind)
    }

    /// The kinds read, in [`MemoryKind::ALL`]'s order.
    pub fn kinds(&self) -> Vec<MemoryKind> {
        self.observers.iter().map(|o| o.kind).collect()
    }
}

impl Observer for Readings {
    fn before_spawn(&mut self, memory: &dyn MemorySource) -> Result<()> {
        if memory.stack_bytes().is_none() {
            self.observers.retain(|o| o.kind != MemoryKind::RuntimeStacks);
        }
        if memory.pid().is_none() && self.get(MemoryKind::Rss).is_some() {
            super::rss::return_free_heap_to_os();
        }
        self.observers.iter_mut().try_for_each(|o| o.before_spawn(memory))
    }

    fn all_parked(&mut self, memory: &dyn MemorySource) -> Result<()> {
        self.observers.iter_mut().rev().try_for_each(|o| o.all_parked(memory))
    }
}

/// Reads `kind` before the first spawn and again with all tasks parked.
pub struct MemoryObserver {
    pub kind: MemoryKind,
    before: Option<i64>,
    after: Option<i64>,
    /// The kernel's readings in full, with the thread counts that validate the window.
    kernel: [Option<KernelReading>; 2],
}

impl MemoryObserver {
    pub fn new(kind: MemoryKind) -> Self {
        Self { kind, before: None, after: None, kernel: [None, None] }
    }

    /// Reads the figure at moment `at` (0: before, 1: all parked), keeping the kernel's reading in full (its
    /// thread counts validate the window).
    fn take(&mut self, memory: &dyn MemorySource, at: usize) -> Result<i64> {
        let bytes = match self.kind {
            MemoryKind::Heap => match memory.heap_bytes() {
                Some(bytes) => bytes as i64,
                None if super::alloc::installed() => super::alloc::live_bytes(),
                None => bail!("heap figures need the counting allocator installed in this binary"),
            },
            MemoryKind::Rss => match memory.pid() {
                Some(pid) => super::rss::of_process(pid)? as i64,
                None => super::rss::this_process()? as i64,
            },
            MemoryKind::RuntimeStacks => match memory.stack_bytes() {
                Some(bytes) => bytes as i64,
                None => bail!("this model's runtime reports no stack figure"),
            },
            MemoryKind::Kernel => {
                let reading = super::kernel::read(memory.pid())?;
                self.kernel[at] = Some(reading);
                reading.bytes() as i64
            }
        };
        Ok(bytes)
    }

    /// Growth between the two readings, in bytes (may be negative if something freed memory meanwhile). The
    /// kernel's is the measured process's, whatever other threads on the machine did ([`Self::kernel_growth`]).
    pub fn growth(&self) -> Result<i64> {
        if let Some(g) = self.kernel_growth() {
            return Ok(g.bytes);
        }
        match (self.before, self.after) {
            (Some(b), Some(a)) => Ok(a - b),
            _ => bail!("the run did not call both observer moments"),
        }
    }

    /// The kernel's growth over the window and where its kernel stacks came from; `None` for other kinds.
    pub fn kernel_growth(&self) -> Option<KernelGrowth> {
        match &self.kernel {
            [Some(before), Some(after)] => Some(after.growth_since(before, super::kernel::stack_per_thread)),
            _ => None,
        }
    }

    /// Growth per task. A task cannot be free in heap or RSS: zero or less is an error, never a figure. The
    /// kernel's share can be nothing at the kernel's 1 KiB resolution (a few goroutines' page tables); less
    /// than nothing means something else on the machine freed kernel memory meanwhile, and is an error.
    pub fn per_task(&self, n: usize) -> Result<f64> {
        let growth = self.growth()?;
        if self.kind == MemoryKind::Kernel && growth < 0 {
            bail!(
                "the kernel's memory fell by {} bytes while {n} tasks were spawned: the process's page tables or \
                 threads shrank meanwhile",
                -growth
            );
        }
        if growth <= 0 && self.kind != MemoryKind::Kernel {
            bail!(
                "{:?} grew by {growth} bytes with {n} tasks alive: the window did not see the tasks' memory",
                self.kind
            );
        }
        Ok(growth as f64 / n as f64)
    }
}

impl Observer for MemoryObserver {
    fn before_spawn(&mut self, memory: &dyn MemorySource) -> Result<()> {
        if self.kind == MemoryKind::Rss && memory.pid().is_none() {
            super::rss::return_free_heap_to_os();
        }
        self.before = Some(self.take(memory, 0)?);
        Ok(())
    }

    fn all_parked(&mut self, memory: &dyn MemorySource) -> Result<()> {
        self.after = Some(self.take(memory, 1)?);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;

    /// A model's own figures, logging the order in which they are asked for.
    struct Logged<'a> {
        log: &'a RefCell<Vec<&'static str>>,
        bytes: u64,
    }

    impl MemorySource for Logged<'_> {
        fn heap_bytes(&self) -> Option<u64> {
            self.log.borrow_mut().push("heap");
            Some(self.bytes)
        }
        fn stack_bytes(&self) -> Option<u64> {
            self.log.borrow_mut().push("stacks");
            Some(2 * self.bytes)
        }
    }

    /// Fails on: the heap's baseline read before another figure's (a reader that allocates would then count
    /// in the heap's window), its second reading after another's, a figure read twice or into another kind.
    #[test]
    fn several_figures_are_read_in_one_run_with_the_heap_nearest_the_spawns() {
        let log = RefCell::new(Vec::new());
        let mut readings = Readings::of(&[MemoryKind::Heap, MemoryKind::RuntimeStacks]);
        readings.before_spawn(&Logged { log: &log, bytes: 1000 }).unwrap();
        readings.all_parked(&Logged { log: &log, bytes: 3000 }).unwrap();
        // The first "stacks" asks whether the runtime has a stack figure at all.
        assert_eq!(*log.borrow(), ["stacks", "stacks", "heap", "heap", "stacks"]);
        assert_eq!(readings.get(MemoryKind::Heap).unwrap().per_task(10).unwrap(), 200.0);
        assert_eq!(readings.get(MemoryKind::RuntimeStacks).unwrap().per_task(10).unwrap(), 400.0);
        assert!(readings.get(MemoryKind::Rss).is_none());
    }
}
