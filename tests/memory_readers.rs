//! The RSS and kernel readers must not count themselves: a reader that allocated in proportion to the process
//! (all of `/proc/self/smaps` in a `String`, about 0.75 KB per mapping) would add its own growth to every
//! reading of a process with thousands of threads. One test, alone in its binary, so that no other test
//! allocates while it counts.

use taskbench::measure::{alloc, kernel, rss, CountingAllocator};

#[global_allocator]
static ALLOC: CountingAllocator = CountingAllocator;

/// `count` one-page anonymous mappings the kernel cannot merge (alternating protections), as a process with
/// `count / 4` threads has.
fn many_mappings(count: usize) -> Vec<*mut libc::c_void> {
    (0..count)
        .map(|i| {
            let prot = if i % 2 == 0 { libc::PROT_READ } else { libc::PROT_READ | libc::PROT_WRITE };
            // SAFETY: a fresh anonymous private mapping; nothing else refers to it.
            let p =
                unsafe { libc::mmap(std::ptr::null_mut(), 4096, prot, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS, -1, 0) };
            assert_ne!(p, libc::MAP_FAILED, "mmap failed");
            p
        })
        .collect()
}

#[test]
fn the_readers_allocate_nothing_however_many_mappings_the_process_has() {
    let mappings = many_mappings(4000);
    for (what, read) in [
        ("rss::this_process", (|| rss::this_process().map(|_| ())) as fn() -> anyhow::Result<()>),
        ("kernel::read", || kernel::read(None).map(|_| ())),
    ] {
        let (allocations, live) = (alloc::allocations(), alloc::live_bytes());
        read().unwrap_or_else(|e| panic!("{what}: {e:#}"));
        let (made, grew) = (alloc::allocations() - allocations, alloc::live_bytes() - live);
        assert_eq!((made, grew), (0, 0), "{what} allocated {made} times ({grew} bytes kept) with 4000 extra mappings");
    }
    for p in mappings {
        // SAFETY: each was mapped above with this length and is not used after.
        unsafe { libc::munmap(p, 4096) };
    }
}
