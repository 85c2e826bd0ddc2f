//! `kernel_per_task/<model>/<N>`: the kernel's memory per task with all N tasks alive and parked: the growth
//! of `KernelStack` + `PageTables` in `/proc/meminfo` (see [`taskbench::measure::kernel`]). None of it is in
//! RSS: a thread's kernel stack and the page tables that map its stack are what a thread costs beyond its
//! resident pages.
//!
//! Only models whose tasks are threads or own a stack mapping (thread, may), and Go, whose few threads are
//! the point of its row; a stackless task costs the kernel only the page tables of its heap (about 0.2% of
//! its RSS), below the machine's noise. The figure is machine-wide: run it on an otherwise quiet machine.
//! Each sample is a fresh process, measured as `rss_per_task` is.

use taskbench::cell::Temperature;
use taskbench::measure::MemoryKind;
use taskbench::suite::{bench_main, memory_config, memory_per_task, GroupSpec, KERNEL_SHARE};

const KERNEL: GroupSpec = GroupSpec {
    name: "kernel_per_task",
    unit: "bytes/task",
    value_is: "kernel stack and page-table bytes per task (machine-wide /proc/meminfo) with all N tasks parked",
    per_task_throughput: false,
    with_controls: false,
    temperature: Temperature::Cold,
    reads_memory: true,
    only: Some(KERNEL_SHARE),
    state_sizes: None,
};

fn main() {
    bench_main(&KERNEL, &[], |model, n| memory_per_task(model, n, MemoryKind::Kernel), memory_config);
}
