//! A value shared between a program's thread and its interrupt handlers, behind a
//! critical section: a `static` slot that starts empty and is filled once at start-up.
//!
//! The empty slot is all zeros (an explicit tag 0, not an `Option` niche), so a
//! `static` of it goes to `.bss` rather than becoming a large `.data` initialiser.
//!
//! ```
//! use pcm_dma::shared::Shared;
//!
//! static COUNT: Shared<u32> = Shared::new();
//! # critical_section_std();
//! # fn critical_section_std() {}
//! assert_eq!(COUNT.with(|c| *c), None); // not installed yet
//! assert!(COUNT.install(41).is_ok());
//! assert_eq!(COUNT.with(|c| { *c += 1; *c }), Some(42));
//! ```

use core::cell::RefCell;

use critical_section::Mutex;

/// `Option<T>` with an explicit zero tag for "empty".
#[allow(clippy::large_enum_variant)] // one value, in a static, and no heap to box into
#[repr(u8)]
enum Slot<T> {
    Empty = 0,
    Installed(T),
}

/// A slot shared between thread and interrupt context (see the module docs).
pub struct Shared<T> {
    inner: Mutex<RefCell<Slot<T>>>,
}

impl<T> Default for Shared<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Shared<T> {
    /// An empty slot.
    pub const fn new() -> Self {
        Shared {
            inner: Mutex::new(RefCell::new(Slot::Empty)),
        }
    }

    /// Put `value` in the slot; hands it back if the slot is full (or borrowed).
    pub fn install(&self, value: T) -> Result<(), T> {
        critical_section::with(|cs| match self.inner.borrow(cs).try_borrow_mut() {
            Ok(mut slot) if matches!(*slot, Slot::Empty) => {
                *slot = Slot::Installed(value);
                Ok(())
            }
            _ => Err(value),
        })
    }

    /// Take the value out.
    pub fn take(&self) -> Option<T> {
        critical_section::with(|cs| {
            let mut slot = self.inner.borrow(cs).try_borrow_mut().ok()?;
            match core::mem::replace(&mut *slot, Slot::Empty) {
                Slot::Installed(v) => Some(v),
                Slot::Empty => None,
            }
        })
    }

    /// Run `f` on the value inside a critical section (interrupts masked on a
    /// single-core target: keep it short). `None` if the slot is empty, or borrowed
    /// (only from inside another `with` closure).
    pub fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> Option<R> {
        critical_section::with(|cs| {
            let mut slot = self.inner.borrow(cs).try_borrow_mut().ok()?;
            match &mut *slot {
                Slot::Installed(v) => Some(f(v)),
                Slot::Empty => None,
            }
        })
    }
}
