//! Host-side simulation hook (feature `sim`).
//!
//! With the `sim` feature every register access made through this crate (the register
//! cell methods and therefore `read_reg!`, `write_reg!`, `modify_reg!`) first calls the
//! installed [`Hook`] with the *absolute* address of the register:
//!
//! - [`Hook::read`] returns `Some(value)` to serve the read, or `None` to let the access
//!   fall through to a volatile load of the backing memory;
//! - [`Hook::write`] returns `true` when it consumed the write, `false` to let it fall
//!   through to a volatile store.
//!
//! A simulator allocates a zeroed, `RegisterBlock`-sized buffer in host memory (see
//! [`RegisterBlock::zeroed`](crate::sdma::RegisterBlock::zeroed)), hands its address to
//! the driver as the register block, installs a hook and maps `addr - base` to a register
//! with [`sdma::offsets`](crate::sdma::offsets) or
//! [`sdma::register_at`](crate::sdma::register_at). Because the hook sees absolute
//! addresses, one hook can serve several simulated blocks (e.g. parallel tests) by
//! dispatching on the address range.
//!
//! There is one hook per process, kept in a `static` guarded by an atomic flag (no `std`,
//! no allocation). [`set_hook`] may be called again to replace it; [`clear_hook`] removes
//! it. The lock is held only while the `&'static dyn Hook` is copied, never while the hook
//! runs, so a hook may itself touch registers.
//!
//! ```
//! use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
//! use sdma_pac::sdma::offsets;
//!
//! /// Models only INTR (write 1 to clear); everything else falls through to memory.
//! struct Model { base: AtomicUsize, intr: AtomicU32 }
//!
//! impl sdma_pac::sim::Hook for Model {
//!     fn read(&self, addr: usize) -> Option<u32> {
//!         let offset = addr.wrapping_sub(self.base.load(Ordering::Relaxed));
//!         (offset == offsets::INTR).then(|| self.intr.load(Ordering::Relaxed))
//!     }
//!     fn write(&self, addr: usize, value: u32) -> bool {
//!         let offset = addr.wrapping_sub(self.base.load(Ordering::Relaxed));
//!         if offset != offsets::INTR {
//!             return false;
//!         }
//!         self.intr.fetch_and(!value, Ordering::Relaxed);
//!         true
//!     }
//! }
//! ```

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, Ordering};

/// A host-side model that may serve register accesses.
pub trait Hook: Sync {
    /// Serves a read of the 32-bit register at absolute address `addr`, or returns `None`
    /// to let the access read the backing memory.
    fn read(&self, addr: usize) -> Option<u32>;
    /// Consumes a write of `value` to the register at absolute address `addr` (returns
    /// `true`), or returns `false` to let the access write the backing memory.
    fn write(&self, addr: usize, value: u32) -> bool;
}

/// The installed hook: a fat `&'static dyn Hook` behind a tiny spin lock (it cannot live in
/// one atomic word).
struct HookSlot {
    /// True while someone copies or replaces `hook`.
    locked: AtomicBool,
    /// Fast path: false when no hook is installed, so accesses skip the lock.
    installed: AtomicBool,
    hook: UnsafeCell<Option<&'static dyn Hook>>,
}

// SAFETY: `hook` is only read or written while `locked` is held (acquired with `Acquire`,
// released with `Release`), so accesses to the cell never overlap; the stored reference is
// to a `Sync` object.
unsafe impl Sync for HookSlot {}

static SLOT: HookSlot = HookSlot {
    locked: AtomicBool::new(false),
    installed: AtomicBool::new(false),
    hook: UnsafeCell::new(None),
};

impl HookSlot {
    fn with_lock<R>(&self, f: impl FnOnce(&mut Option<&'static dyn Hook>) -> R) -> R {
        while self
            .locked
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            core::hint::spin_loop();
        }
        // SAFETY: we hold the lock, so no other reference to the cell's contents exists.
        let result = f(unsafe { &mut *self.hook.get() });
        self.locked.store(false, Ordering::Release);
        result
    }

    fn current(&self) -> Option<&'static dyn Hook> {
        if !self.installed.load(Ordering::Acquire) {
            return None;
        }
        self.with_lock(|slot| *slot)
    }
}

/// Installs `hook` for every register access of this process, replacing any previous one.
pub fn set_hook(hook: &'static dyn Hook) {
    SLOT.with_lock(|slot| *slot = Some(hook));
    SLOT.installed.store(true, Ordering::Release);
}

/// Removes the installed hook: accesses go to the backing memory again.
pub fn clear_hook() {
    SLOT.installed.store(false, Ordering::Release);
    SLOT.with_lock(|slot| *slot = None);
}

/// Asks the hook to serve a read.
#[inline]
pub(crate) fn hook_read(addr: usize) -> Option<u32> {
    SLOT.current()?.read(addr)
}

/// Asks the hook to consume a write.
#[inline]
pub(crate) fn hook_write(addr: usize, value: u32) -> bool {
    match SLOT.current() {
        Some(hook) => hook.write(addr, value),
        None => false,
    }
}
