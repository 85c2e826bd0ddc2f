//! The instruments: a counting global allocator (live heap bytes), resident memory (RSS) of this process
//! or of a child, the Criterion measurement whose value is bytes per task, and the observer that reads
//! them at the two moments a parked run offers.
//!
//! What is measured: the growth between a baseline read after the runtime is built and warmed and a read
//! while all N tasks are alive and parked, divided by N. What is not: memory the tasks would use doing
//! real work, and for the heap figure anything that is not heap (thread and coroutine stacks). The kernel's
//! memory (kernel stacks, page tables) is a figure of its own ([`kernel`]), never in heap or RSS.

pub mod alloc;
pub mod bytes;
pub mod instructions;
pub mod kernel;
pub mod observer;
pub mod reference;
pub mod rss;

pub use alloc::CountingAllocator;
pub use bytes::BytesPerTask;
pub use instructions::InstructionsPerTask;
pub use observer::{MemoryKind, MemoryObserver, Readings};
