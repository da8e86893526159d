//! Register cell types and the `read_reg!` / `write_reg!` / `modify_reg!` macros.
//!
//! Every register of the generated [`RegisterBlock`](crate::sdma::RegisterBlock) is one of
//! the cell types below. The type encodes what the hardware does with an access, so the
//! compiler rejects the dangerous ones:
//!
//! | Type | Read | Write | `modify` (read-modify-write) |
//! |---|---|---|---|
//! | [`RWRegister`] | yes | yes | yes |
//! | [`RORegister`] | yes | no | no |
//! | [`WORegister`] | no | yes | no |
//! | [`W1SRegister`] (HSTART, EVTPEND) | yes | 1 bits set, 0 bits do nothing | **no** |
//! | [`W1CRegister`] (INTR, STOP_STAT) | yes | 1 bits clear, 0 bits do nothing | **no** |
//! | [`ClearOnReadRegister`] (EVTERR) | yes, and the read clears it | no | **no** |
//!
//! A read-modify-write of a write-one register writes back every bit that was set at read
//! time: on INTR or STOP_STAT that clears (acknowledges, stops) channels nobody meant to
//! touch; on HSTART it restarts a channel the engine stopped between the read and the
//! write (the Freescale BSP fix ENGR00138121 for hangs under continuous arecord/aplay).
//! `modify_reg!` therefore only compiles on [`RWRegister`]:
//!
//! ```compile_fail
//! # fn f(regs: &sdma_pac::sdma::RegisterBlock) {
//! // INTR is write-1-to-clear: no read-modify-write.
//! sdma_pac::modify_reg!(sdma_pac::sdma, regs, INTR, HI: 1);
//! # }
//! ```
//!
//! ```compile_fail
//! # fn f(regs: &sdma_pac::sdma::RegisterBlock) {
//! // HSTART is write-1-to-set: no read-modify-write.
//! sdma_pac::modify_reg!(sdma_pac::sdma, regs, HSTART, |r| r | 1);
//! # }
//! ```
//!
//! ```compile_fail
//! # fn f(regs: &sdma_pac::sdma::RegisterBlock) {
//! // EVTERR clears on read and cannot be written at all.
//! sdma_pac::write_reg!(sdma_pac::sdma, regs, EVTERR, 0);
//! # }
//! ```
//!
//! The same calls on a plain read/write register compile:
//!
//! ```
//! # fn f(regs: &sdma_pac::sdma::RegisterBlock) {
//! use sdma_pac::{modify_reg, read_reg, write_reg};
//! modify_reg!(sdma_pac::sdma, regs, CONFIG, CSM: DYNAMIC);
//! write_reg!(sdma_pac::sdma, regs, HSTART, 1 << 3); // start channel 3 only
//! write_reg!(sdma_pac::sdma, regs, INTR, 1 << 3); // acknowledge channel 3 only
//! let csm = read_reg!(sdma_pac::sdma, regs, CONFIG, CSM);
//! let prio = read_reg!(sdma_pac::sdma, regs, CHNPRI[3], CHNPRI);
//! # let _ = (csm, prio);
//! # }
//! ```
//!
//! # What one access compiles to
//!
//! Without the `sim` feature each `read` is exactly one `read_volatile` and each `write`
//! exactly one `write_volatile` of the 32-bit cell: no indirection, no call. `cargo xtask
//! gen-pac --asm-check` builds the `asm-probe` functions of this crate (`src/probe.rs`,
//! `#[inline(never)] extern "C"`, one macro call each) in release mode for
//! `armv7a-none-eabi`, disassembles them with `llvm-objdump` and fails unless each has
//! exactly the expected loads/stores. Its output (rustc 1.95, `opt-level = "s"`; the
//! `push`/`pop` pair is the frame-pointer prologue of the probe function itself):
//!
//! ```text
//! read_reg!(sdma, regs, INTR)             ldr r0, [r0, #4]
//! write_reg!(sdma, regs, HSTART, bits)    str r1, [r0, #12]
//! read_reg!(sdma, regs, EVTERR)           ldr r0, [r0, #40]
//! modify_reg!(sdma, regs, CONFIG, CSM: DYNAMIC)
//!                                         ldr r1, [r0, #56]
//!                                         orr r1, r1, #3
//!                                         str r1, [r0, #56]
//! write_reg!(sdma, regs, CHNPRI[ch], CHNPRI: prio)
//!                                         cmp r1, #31            (array bounds check)
//!                                         addls r0, r0, r1, lsl #2
//!                                         andls r1, r2, #7
//!                                         strls r1, [r0, #256]
//!                                         bxls lr                (else: panic path)
//! ```
//!
//! With `sim`, an access first asks the installed `sim::Hook` and only falls
//! back to the volatile access when the hook does not claim the address.

use core::cell::UnsafeCell;

/// How the hardware treats reads and writes of one register (from the register
/// description's `access`, `modifiedWriteValues` and `readAction`).
///
/// The simulator uses this to model each register with its real semantics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    /// Plain read/write storage.
    ReadWrite,
    /// Read-only (writes are ignored by the hardware).
    ReadOnly,
    /// Write-only (reads return an undefined value).
    WriteOnly,
    /// Writing 1 sets the bit, writing 0 has no effect; reads return the current bits.
    WriteOneToSet,
    /// Writing 1 clears the bit, writing 0 has no effect; reads return the current bits.
    WriteOneToClear,
    /// Read-only, and a read returns the bits then clears them.
    ClearOnRead,
}

/// One register (or register array) of the description, as a row of a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegisterDesc {
    /// Register name as in the description (array registers without the index).
    pub name: &'static str,
    /// Byte offset of the register (of element 0 for arrays) from the block base.
    pub offset: usize,
    /// Number of elements: 1 for a scalar register.
    pub count: usize,
    /// Byte distance between array elements (4 for scalars).
    pub stride: usize,
    /// Access semantics.
    pub access: Access,
    /// Value after reset.
    pub reset: u32,
}

impl RegisterDesc {
    /// Returns the element index when `offset` falls on this register (or on one of its
    /// array elements), else `None`.
    pub const fn index_of(&self, offset: usize) -> Option<usize> {
        if offset < self.offset {
            return None;
        }
        let delta = offset - self.offset;
        if delta % self.stride != 0 {
            return None;
        }
        let index = delta / self.stride;
        if index < self.count {
            Some(index)
        } else {
            None
        }
    }
}

/// Reads one 32-bit register cell.
#[inline(always)]
fn read_cell(cell: &UnsafeCell<u32>) -> u32 {
    #[cfg(feature = "sim")]
    if let Some(value) = crate::sim::hook_read(cell.get() as usize) {
        return value;
    }
    // SAFETY: `cell` is a field of a `RegisterBlock` reached through a reference, so the
    // pointer is aligned and valid for a 32-bit access: either the device's register
    // window (the unsafe step is creating the reference, see `sdma::RegisterBlock::steal`)
    // or host memory holding a `RegisterBlock` for simulation.
    unsafe { cell.get().read_volatile() }
}

/// Writes one 32-bit register cell.
#[inline(always)]
fn write_cell(cell: &UnsafeCell<u32>, value: u32) {
    #[cfg(feature = "sim")]
    if crate::sim::hook_write(cell.get() as usize, value) {
        return;
    }
    // SAFETY: as in `read_cell`: the reference guarantees an aligned, valid register cell.
    unsafe { cell.get().write_volatile(value) }
}

macro_rules! register_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[repr(transparent)]
        pub struct $name<T> {
            cell: UnsafeCell<T>,
        }

        // SAFETY: a register is shared between the CPU contexts (thread, IRQ) that hold a
        // reference to the block. Each access is one aligned 32-bit volatile load or store,
        // which the bus performs as a unit; ordering between contexts is the driver's job,
        // exactly as for any memory-mapped register. In simulation the hook serves the
        // access (the backing host memory is not touched when the hook claims it).
        unsafe impl<T: Send> Sync for $name<T> {}

        impl<T> core::fmt::Debug for $name<T> {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                // Never read in Debug: a read may have side effects (EVTERR).
                write!(f, "{}@{:p}", stringify!($name), self.cell.get())
            }
        }

        impl<T> $name<T> {
            /// Address of the register (for diagnostics and simulators).
            #[inline(always)]
            pub fn as_ptr(&self) -> *mut T {
                self.cell.get()
            }
        }
    };
}

register_type! {
    /// A read/write register. The only type with [`modify`](RWRegister::modify).
    RWRegister
}
register_type! {
    /// A read-only register.
    RORegister
}
register_type! {
    /// A write-only register.
    WORegister
}
register_type! {
    /// A write-1-to-set register (HSTART, EVTPEND): writing 1 sets a bit, 0 leaves it.
    /// Write only the bits you mean to set; there is deliberately no `modify`.
    W1SRegister
}
register_type! {
    /// A write-1-to-clear register (INTR, STOP_STAT): writing 1 clears a bit, 0 leaves it.
    /// Write only the bits you mean to clear; there is deliberately no `modify`.
    W1CRegister
}
register_type! {
    /// A clear-on-read register (EVTERR): a read returns the bits and clears them.
    /// Read it once and keep the value; it cannot be written or modified.
    ClearOnReadRegister
}

impl RWRegister<u32> {
    /// Reads the register (one volatile load).
    #[inline(always)]
    pub fn read(&self) -> u32 {
        read_cell(&self.cell)
    }
    /// Writes the register (one volatile store).
    #[inline(always)]
    pub fn write(&self, value: u32) {
        write_cell(&self.cell, value)
    }
    /// Read-modify-write: one load, `f`, one store. Not atomic against other contexts.
    #[inline(always)]
    pub fn modify<F: FnOnce(u32) -> u32>(&self, f: F) {
        self.write(f(self.read()))
    }
}

impl RORegister<u32> {
    /// Reads the register (one volatile load).
    #[inline(always)]
    pub fn read(&self) -> u32 {
        read_cell(&self.cell)
    }
}

impl WORegister<u32> {
    /// Writes the register (one volatile store).
    #[inline(always)]
    pub fn write(&self, value: u32) {
        write_cell(&self.cell, value)
    }
}

impl W1SRegister<u32> {
    /// Reads the current bits (one volatile load).
    #[inline(always)]
    pub fn read(&self) -> u32 {
        read_cell(&self.cell)
    }
    /// Sets the bits that are 1 in `bits`; bits that are 0 are left alone (one store).
    #[inline(always)]
    pub fn write(&self, bits: u32) {
        write_cell(&self.cell, bits)
    }
}

impl W1CRegister<u32> {
    /// Reads the current bits (one volatile load).
    #[inline(always)]
    pub fn read(&self) -> u32 {
        read_cell(&self.cell)
    }
    /// Clears the bits that are 1 in `bits`; bits that are 0 are left alone (one store).
    #[inline(always)]
    pub fn write(&self, bits: u32) {
        write_cell(&self.cell, bits)
    }
}

impl ClearOnReadRegister<u32> {
    /// Reads the bits and clears them in hardware (one volatile load).
    #[inline(always)]
    pub fn read(&self) -> u32 {
        read_cell(&self.cell)
    }
}

/// Reads a register, one or more of its fields, or compares a field.
///
/// `regs` is anything that auto-derefs to the peripheral's `RegisterBlock`
/// (`&RegisterBlock`, `&'static RegisterBlock`, a smart handle with `Deref`).
///
/// ```
/// # fn f(regs: &sdma_pac::sdma::RegisterBlock) {
/// use sdma_pac::read_reg;
/// let raw: u32 = read_reg!(sdma_pac::sdma, regs, STOP_STAT);
/// let csm: u32 = read_reg!(sdma_pac::sdma, regs, CONFIG, CSM);
/// let (csm, acr) = read_reg!(sdma_pac::sdma, regs, CONFIG, CSM, ACR);
/// let dynamic: bool = read_reg!(sdma_pac::sdma, regs, CONFIG, CSM == DYNAMIC);
/// let prio = read_reg!(sdma_pac::sdma, regs, CHNPRI[5], CHNPRI);
/// # let _ = (raw, csm, acr, dynamic, prio);
/// # }
/// ```
///
/// Each invocation reads the register exactly once (this matters for EVTERR).
#[macro_export]
macro_rules! read_reg {
    ($periph:path, $regs:expr, $reg:ident $([$idx:expr])?, $field:ident == $value:expr) => {{
        #[allow(unused_imports, non_snake_case)]
        use $periph::{$reg::$field::{R::*, RW::*}};
        #[allow(unused_imports)]
        use $periph::{$reg::$field as __F};
        (($regs.$reg $([$idx])?.read() & __F::mask) >> __F::offset) == ($value)
    }};
    ($periph:path, $regs:expr, $reg:ident $([$idx:expr])?, $field:ident) => {{
        #[allow(unused_imports)]
        use $periph::{$reg::$field as __F};
        ($regs.$reg $([$idx])?.read() & __F::mask) >> __F::offset
    }};
    ($periph:path, $regs:expr, $reg:ident $([$idx:expr])?, $($field:ident),+ $(,)?) => {{
        let __value = $regs.$reg $([$idx])?.read();
        ( $( {
            #[allow(unused_imports)]
            use $periph::{$reg::$field as __F};
            (__value & __F::mask) >> __F::offset
        } ),+ )
    }};
    ($periph:path, $regs:expr, $reg:ident $([$idx:expr])?) => {{
        $regs.$reg $([$idx])?.read()
    }};
}

/// Writes a register: either named fields (all other bits 0) or a raw value.
///
/// Field values may be plain numbers or the field's named values (e.g. `CSM: DYNAMIC`).
/// A value wider than its field is truncated to the field.
///
/// ```
/// # fn f(regs: &sdma_pac::sdma::RegisterBlock) {
/// use sdma_pac::write_reg;
/// write_reg!(sdma_pac::sdma, regs, CHN0ADDR, CHN0ADDR: 0x050, SMSZ: WORDS_32);
/// write_reg!(sdma_pac::sdma, regs, CHNPRI[0], CHNPRI: 7);
/// write_reg!(sdma_pac::sdma, regs, STOP_STAT, 1 << 4); // stop channel 4
/// # }
/// ```
#[macro_export]
macro_rules! write_reg {
    ($periph:path, $regs:expr, $reg:ident $([$idx:expr])?, $($field:ident : $value:expr),+ $(,)?) => {{
        $regs.$reg $([$idx])?.write(
            0u32 $( | {
                #[allow(unused_imports, non_snake_case)]
                use $periph::{$reg::$field::{W::*, RW::*}};
                #[allow(unused_imports)]
                use $periph::{$reg::$field as __F};
                ((($value) as u32) << __F::offset) & __F::mask
            } )+
        )
    }};
    ($periph:path, $regs:expr, $reg:ident $([$idx:expr])?, $value:expr) => {{
        $regs.$reg $([$idx])?.write($value)
    }};
}

/// Read-modify-write of a read/write register: named fields, or a closure on the raw
/// value. Does not compile on write-1-to-set, write-1-to-clear or clear-on-read
/// registers (see the [module docs](crate::register)).
///
/// ```
/// # fn f(regs: &sdma_pac::sdma::RegisterBlock) {
/// use sdma_pac::modify_reg;
/// modify_reg!(sdma_pac::sdma, regs, CONFIG, CSM: DYNAMIC, ACR: 0);
/// modify_reg!(sdma_pac::sdma, regs, EVTOVR, |r| r | (1 << 2));
/// modify_reg!(sdma_pac::sdma, regs, CHNENBL[37], |r| r | (1 << 2));
/// # }
/// ```
#[macro_export]
macro_rules! modify_reg {
    ($periph:path, $regs:expr, $reg:ident $([$idx:expr])?, $($field:ident : $value:expr),+ $(,)?) => {{
        $regs.$reg $([$idx])?.modify(|__r: u32| {
            let __mask = 0u32 $( | {
                #[allow(unused_imports)]
                use $periph::{$reg::$field as __F};
                __F::mask
            } )+;
            let __bits = 0u32 $( | {
                #[allow(unused_imports, non_snake_case)]
                use $periph::{$reg::$field::{W::*, RW::*}};
                #[allow(unused_imports)]
                use $periph::{$reg::$field as __F};
                ((($value) as u32) << __F::offset) & __F::mask
            } )+;
            (__r & !__mask) | __bits
        })
    }};
    ($periph:path, $regs:expr, $reg:ident $([$idx:expr])?, $f:expr) => {{
        $regs.$reg $([$idx])?.modify($f)
    }};
}
