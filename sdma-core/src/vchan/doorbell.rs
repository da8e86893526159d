//! A lock-free flag word from interrupt context to thread context.
//!
//! A controller's top-half interrupt handler acknowledges the hardware (e.g. SDMA `INTR`,
//! write-1-to-clear) and [`Doorbell::raise`]s one bit per channel that needs attention;
//! whoever services the channels (the same handler, a lower-priority interrupt or a
//! thread-context poll loop) [`Doorbell::take`]s the word and handles each set bit. A bit
//! raised while a `take` runs is never lost: it is either in the returned word or stays
//! in the doorbell for the next `take`. Proved by `tests/loom.rs` (run with
//! `RUSTFLAGS="--cfg loom" cargo test -p sdma-core --release --test loom`).

#[cfg(loom)]
use loom::sync::atomic::{AtomicU32, Ordering};

#[cfg(not(loom))]
use core::sync::atomic::{AtomicU32, Ordering};

/// 32 flags (one per channel), raised from interrupt context and drained elsewhere.
#[derive(Debug)]
pub struct Doorbell {
    bits: AtomicU32,
}

impl Default for Doorbell {
    fn default() -> Self {
        Self::new()
    }
}

impl Doorbell {
    /// No flag raised.
    #[cfg(not(loom))]
    pub const fn new() -> Self {
        Doorbell {
            bits: AtomicU32::new(0),
        }
    }

    /// No flag raised (loom atomics have no `const fn new`).
    #[cfg(loom)]
    pub fn new() -> Self {
        Doorbell {
            bits: AtomicU32::new(0),
        }
    }

    /// Raise the flags in `mask`. Release ordering: whatever the raiser wrote before
    /// (e.g. the progress it recorded) is visible to the taker that sees the bit.
    pub fn raise(&self, mask: u32) {
        self.bits.fetch_or(mask, Ordering::Release);
    }

    /// Take (and clear) every raised flag at once.
    pub fn take(&self) -> u32 {
        self.bits.swap(0, Ordering::Acquire)
    }

    /// Take (and clear) only the flags in `mask`; the others stay raised.
    pub fn take_masked(&self, mask: u32) -> u32 {
        self.bits.fetch_and(!mask, Ordering::Acquire) & mask
    }

    /// The raised flags, without clearing them.
    pub fn peek(&self) -> u32 {
        self.bits.load(Ordering::Acquire)
    }
}
