//! A counting global allocator: the system allocator plus process-wide atomic counters of live bytes, so
//! allocations made on any runtime's worker threads count (per-thread counters would miss them).
//!
//! Bench and test binaries that want heap figures install it:
//! `#[global_allocator] static ALLOC: CountingAllocator = CountingAllocator;`
//! It counts the bytes asked for (`Layout::size`), not the allocator's rounding: RSS shows that slack.
//! It stays out of the timing benches, whose binaries do not install it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};

static LIVE_BYTES: AtomicI64 = AtomicI64::new(0);
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static INSTALLED: AtomicBool = AtomicBool::new(false);

pub struct CountingAllocator;

// SAFETY: every call is forwarded unchanged to `System`; the counters do not affect the memory returned.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            counted(layout.size() as i64);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if !p.is_null() {
            counted(layout.size() as i64);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        LIVE_BYTES.fetch_sub(layout.size() as i64, Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            counted(new_size as i64 - layout.size() as i64);
        }
        p
    }
}

#[inline]
fn counted(bytes: i64) {
    LIVE_BYTES.fetch_add(bytes, Ordering::Relaxed);
    ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    if !INSTALLED.load(Ordering::Relaxed) {
        INSTALLED.store(true, Ordering::Relaxed);
    }
}

/// Heap bytes allocated and not yet freed, process-wide, since the allocator was installed.
pub fn live_bytes() -> i64 {
    LIVE_BYTES.load(Ordering::SeqCst)
}

/// Allocations made so far (each `alloc` and `realloc`).
pub fn allocations() -> u64 {
    ALLOCATIONS.load(Ordering::SeqCst)
}

/// Whether this binary installed [`CountingAllocator`] (it has counted at least one allocation).
pub fn installed() -> bool {
    INSTALLED.load(Ordering::SeqCst)
}
