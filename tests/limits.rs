//! The preflight on synthetic machines (parsed snapshots, not the live one): the right N is skipped, with
//! the right limit named.

use taskbench::limits::{check, max_tasks, stack_resident_bytes, thread_stack_bytes, Limit, Needs, Snapshot, Sources};
use taskbench::models::by_name;

/// A machine like the one this project is developed on: 2 cores, 24 GiB, default kernel limits.
fn small_machine() -> Sources {
    Sources {
        max_map_count: Some("65530\n".into()),
        self_maps: Some("x\n".repeat(300)),
        pid_max: Some("32768\n".into()),
        threads_max: Some("192730\n".into()),
        loadavg: Some("0.10 0.20 0.30 1/250 12345\n".into()),
        nproc_limit: Some(96365),
        cgroup_pids_max: None,
        cgroup_pids_current: None,
        meminfo: Some("MemTotal:       24000000 kB\nMemFree:  1 kB\nMemAvailable:   23000000 kB\n".into()),
        thp_enabled: Some("always [madvise] never\n".into()),
    }
}

const THREAD: Needs = Needs {
    maps_per_task: 4,
    threads_per_task: 1,
    bytes_per_task: 80 << 10,
    in_child_process: false,
    runtime_cap: None,
};
const COROUTINE: Needs = Needs {
    maps_per_task: 2,
    threads_per_task: 0,
    bytes_per_task: 36 << 10,
    in_child_process: false,
    runtime_cap: None,
};

#[test]
fn parses_the_files() {
    let s = Snapshot::parse(&small_machine());
    assert_eq!(s.max_map_count, Some(65530));
    assert_eq!(s.maps_in_use, 300);
    assert_eq!(s.pid_max, Some(32768));
    assert_eq!(s.threads_in_use, 250);
    assert_eq!(s.mem_available_bytes, Some(23000000 * 1024));
    assert_eq!(s.thp.as_deref(), Some("madvise"));
    assert_eq!(s.cgroup_pids, None);
}

#[test]
fn threads_fit_at_ten_thousand_and_are_skipped_at_a_hundred_thousand_by_max_map_count() {
    let s = Snapshot::parse(&small_machine());
    assert_eq!(check(&THREAD, 10_000, &s), Ok(()));
    let short = check(&THREAD, 100_000, &s).unwrap_err();
    assert_eq!(short.limit, Limit::MaxMapCount);
    assert_eq!(short.value, 65530);
    let line = short.to_string();
    assert!(line.contains("vm.max_map_count = 65530"), "{line}");
    assert!(line.contains("sysctl -w vm.max_map_count"), "{line}");
    // 90% of (65530 - 300 in use), in tenths: 6523 * 9 = 58,707, less the 512 reserved: 58,195 mappings, 4 a
    // thread.
    assert_eq!(short.max_tasks, 14_548);
    // A few mappings more or less in use (a cached thread stack) give the same line.
    assert!(line.contains("leaves room for about 14500 tasks"), "{line}");
    let fewer = check(&THREAD, 100_000, &Snapshot { maps_in_use: 312, ..s.clone() }).unwrap_err();
    assert_eq!((fewer.max_tasks, fewer.to_string()), (14_544, line));
}

#[test]
fn coroutines_are_capped_by_max_map_count_near_half_of_it() {
    let s = Snapshot::parse(&small_machine());
    assert_eq!(check(&COROUTINE, 10_000, &s), Ok(()));
    let (max, limit) = max_tasks(&COROUTINE, &s).unwrap();
    assert_eq!(limit, Limit::MaxMapCount);
    assert!(max > 28_000 && max < 32_765, "{max}");
    assert_eq!(check(&COROUTINE, 100_000, &s).unwrap_err().limit, Limit::MaxMapCount);
}

#[test]
fn stackless_tasks_fit_a_million_and_are_bound_only_by_memory() {
    let s = Snapshot::parse(&small_machine());
    assert_eq!(check(&Needs::STACKLESS, 1_000_000, &s), Ok(()));
    assert_eq!(max_tasks(&Needs::STACKLESS, &s).unwrap().1, Limit::MemAvailable);
}

#[test]
fn pid_max_binds_threads_when_mappings_are_plentiful() {
    let mut src = small_machine();
    src.max_map_count = Some("10000000".into());
    let short = check(&THREAD, 100_000, &Snapshot::parse(&src)).unwrap_err();
    assert_eq!(short.limit, Limit::PidMax);
    assert!(short.to_string().contains("kernel.pid_max = 32768"), "{short}");
}

#[test]
fn a_cgroup_pids_limit_binds_when_it_is_the_tightest() {
    let mut src = small_machine();
    src.cgroup_pids_max = Some("2000\n".into());
    src.cgroup_pids_current = Some("100\n".into());
    let s = Snapshot::parse(&src);
    let short = check(&THREAD, 10_000, &s).unwrap_err();
    assert_eq!(short.limit, Limit::CgroupPids);
    // "max" means no limit.
    src.cgroup_pids_max = Some("max\n".into());
    assert_eq!(check(&THREAD, 10_000, &Snapshot::parse(&src)), Ok(()));
}

#[test]
fn memory_binds_on_a_small_machine() {
    let mut src = small_machine();
    src.meminfo = Some("MemAvailable:   1000000 kB\n".into()); // ~1 GB
    let short = check(&Needs::STACKLESS, 1_000_000, &Snapshot::parse(&src)).unwrap_err();
    assert_eq!(short.limit, Limit::MemAvailable);
    assert!(short.to_string().contains("MemAvailable"), "{short}");
}

#[test]
fn a_child_process_model_does_not_count_mappings_here() {
    let s = Snapshot::parse(&small_machine());
    let child = Needs {
        maps_per_task: 1,
        threads_per_task: 0,
        bytes_per_task: 8192,
        in_child_process: true,
        runtime_cap: None,
    };
    assert_eq!(check(&child, 1_000_000, &s), Ok(()));
}

/// Mappings and threads per task decide where thread and may stop; memory per thread follows the live THP
/// mode (a 2 MiB page per stack under `always`), so the mapping limits are checked on a machine whose memory
/// does not bind, and the THP rule on its own.
#[test]
fn the_registered_models_declare_the_documented_needs() {
    let s = Snapshot::parse(&small_machine());
    let no_memory_limit = Snapshot { mem_available_bytes: None, ..s.clone() };
    let thread = by_name("thread").unwrap().needs();
    assert_eq!((thread.maps_per_task, thread.threads_per_task, thread.in_child_process), (4, 1, false));
    assert!(thread.bytes_per_task >= stack_resident_bytes(None), "{thread:?}");
    assert_eq!(check(&thread, 100_000, &no_memory_limit).unwrap_err().limit, Limit::MaxMapCount);
    assert_eq!(check(&by_name("may").unwrap().needs(), 100_000, &s).unwrap_err().limit, Limit::MaxMapCount);
    for name in ["tokio-mt", "tokio-ct", "async-std", "smol", "floor"] {
        assert_eq!(check(&by_name(name).unwrap().needs(), 1_000_000, &s), Ok(()), "{name}");
    }
}

/// The smaller stacks count as smaller: a thread-16k stack cannot be more resident than its mapping, nor a
/// may-4k one more than 4 KiB; each still takes its mappings.
#[test]
fn the_small_stack_rows_need_less_memory_and_the_same_mappings() {
    let (thread, small) = (by_name("thread").unwrap().needs(), by_name("thread-16k").unwrap().needs());
    assert_eq!((small.maps_per_task, small.threads_per_task), (4, 1));
    // What a thread asking for 16 KiB really gets, read in one (not from the preflight's own function), in
    // whole pages, plus its 16 KiB kernel stack.
    let got = std::thread::Builder::new().stack_size(16 << 10).spawn(own_stack_bytes).unwrap().join().unwrap();
    assert_eq!(small.bytes_per_task, got.next_multiple_of(4096) + (16 << 10));
    assert!(small.bytes_per_task < thread.bytes_per_task, "{small:?} against {thread:?}");
    let (may, may_4k) = (by_name("may").unwrap().needs(), by_name("may-4k").unwrap().needs());
    assert_eq!((may.maps_per_task, may.bytes_per_task), (2, (32 << 10) + 4096));
    assert_eq!((may_4k.maps_per_task, may_4k.bytes_per_task), (2, (4 << 10) + 4096));
}

/// The stack size thread-16k prints and counts is the one its threads get: std raises a request below glibc's
/// minimum (which includes this binary's TLS) to that minimum.
#[test]
fn a_small_thread_stack_is_what_std_gives_the_thread() {
    for asked in [4 << 10, 16 << 10, 64 << 10] {
        let got = std::thread::Builder::new().stack_size(asked).spawn(own_stack_bytes).unwrap().join().unwrap();
        assert_eq!(thread_stack_bytes(asked), got, "asked for {asked} B");
        assert!(got >= asked as u64 && got >= libc::PTHREAD_STACK_MIN as u64, "asked for {asked} B, got {got} B");
    }
}

/// The calling thread's stack size as glibc reports it.
fn own_stack_bytes() -> u64 {
    // SAFETY: the attribute is filled by pthread_getattr_np for this thread, read, then destroyed.
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        assert_eq!(libc::pthread_getattr_np(libc::pthread_self(), &mut attr), 0);
        let (mut addr, mut size) = (std::ptr::null_mut(), 0);
        assert_eq!(libc::pthread_attr_getstack(&attr, &mut addr, &mut size), 0);
        libc::pthread_attr_destroy(&mut attr);
        size as u64
    }
}

#[test]
fn a_thread_stack_may_take_a_huge_page_only_under_thp_always() {
    assert_eq!(stack_resident_bytes(Some("always")), 2 << 20);
    for mode in [Some("madvise"), Some("never"), None] {
        assert_eq!(stack_resident_bytes(mode), 64 << 10, "{mode:?}");
    }
}
