//! Register access for memory-mapped peripherals.
//!
//! Every driver in this crate reaches its registers through the [`Mmio`] trait, never
//! through raw pointers (the one exception is the SDMA register block, whose type the
//! SDMA driver's `Platform` trait fixes: see [`crate::sdma_platform`]). On silicon the implementation is [`MmioBlock`]: each call is
//! exactly one volatile load or store of the given width at `base + offset`, with no
//! caching, merging or reordering by the compiler. Host tests implement the trait with
//! a register-recording fake (see `imx6-bsp/tests/common`), so the order and the values
//! of every access a driver makes can be checked against the reference manual.
//!
//! Offsets are byte offsets from the block base. The trait methods take `&self`:
//! register writes are side effects on the device, not on the Rust value, and a fake
//! uses interior mutability to record them.

/// A block of device registers addressed by byte offset.
pub trait Mmio {
    /// Reads the 32-bit register at `offset`.
    fn read32(&self, offset: usize) -> u32;
    /// Writes `value` to the 32-bit register at `offset`.
    fn write32(&self, offset: usize, value: u32);
    /// Reads the 16-bit register at `offset` (the i.MX I2C block only decodes 16-bit
    /// accesses cleanly; QEMU splits a 32-bit store into two halves).
    fn read16(&self, offset: usize) -> u16;
    /// Writes `value` to the 16-bit register at `offset`.
    fn write16(&self, offset: usize, value: u16);
    /// Reads the 8-bit register at `offset` (the GIC's byte-per-interrupt priority and
    /// target registers, where byte access is architected).
    fn read8(&self, offset: usize) -> u8;
    /// Writes `value` to the 8-bit register at `offset`.
    fn write8(&self, offset: usize, value: u8);

    /// Read-modify-write of a 32-bit register: clears `clear`, then sets `set`.
    ///
    /// Not atomic with respect to other bus masters or interrupt handlers; callers that
    /// share a register with an interrupt handler must serialise themselves.
    fn modify32(&self, offset: usize, clear: u32, set: u32) {
        let value = self.read32(offset);
        self.write32(offset, (value & !clear) | set);
    }
}

impl<T: Mmio + ?Sized> Mmio for &T {
    fn read32(&self, offset: usize) -> u32 {
        (**self).read32(offset)
    }
    fn write32(&self, offset: usize, value: u32) {
        (**self).write32(offset, value)
    }
    fn read16(&self, offset: usize) -> u16 {
        (**self).read16(offset)
    }
    fn write16(&self, offset: usize, value: u16) {
        (**self).write16(offset, value)
    }
    fn read8(&self, offset: usize) -> u8 {
        (**self).read8(offset)
    }
    fn write8(&self, offset: usize, value: u8) {
        (**self).write8(offset, value)
    }
}

/// A register block on silicon: volatile accesses at a fixed physical address.
///
/// The crate assumes the identity map used by the bare-metal start-up (device memory
/// mapped as Device or Strongly-ordered, so accesses reach the bus in program order).
#[derive(Debug)]
pub struct MmioBlock {
    base: usize,
}

impl MmioBlock {
    /// Wraps the register block at physical address `base`.
    ///
    /// # Safety
    ///
    /// `base` must be the base address of a device register block that is mapped (as
    /// device memory) for as long as the returned value is used, and every offset later
    /// passed to the [`Mmio`] methods must lie inside that block and be aligned to the
    /// access width. The caller must also make sure no other code drives the same
    /// registers in a conflicting way (one driver instance per block).
    pub const unsafe fn new(base: usize) -> Self {
        Self { base }
    }

    /// The base address this block was created with.
    pub const fn base(&self) -> usize {
        self.base
    }
}

impl Mmio for MmioBlock {
    fn read32(&self, offset: usize) -> u32 {
        // SAFETY: `new`'s contract makes `base + offset` a mapped device register
        // inside this block, aligned to 4 bytes. Device memory is never a Rust object,
        // so a volatile read of it aliases nothing the compiler reasons about.
        unsafe { core::ptr::read_volatile((self.base + offset) as *const u32) }
    }
    fn write32(&self, offset: usize, value: u32) {
        // SAFETY: as in `read32`: a mapped, 4-byte aligned device register of this
        // block, which no Rust reference points to.
        unsafe { core::ptr::write_volatile((self.base + offset) as *mut u32, value) }
    }
    fn read16(&self, offset: usize) -> u16 {
        // SAFETY: as in `read32`, with the 2-byte alignment `new` requires for 16-bit
        // accesses.
        unsafe { core::ptr::read_volatile((self.base + offset) as *const u16) }
    }
    fn write16(&self, offset: usize, value: u16) {
        // SAFETY: as in `read16`.
        unsafe { core::ptr::write_volatile((self.base + offset) as *mut u16, value) }
    }
    fn read8(&self, offset: usize) -> u8 {
        // SAFETY: as in `read32`; a byte access needs no alignment.
        unsafe { core::ptr::read_volatile((self.base + offset) as *const u8) }
    }
    fn write8(&self, offset: usize, value: u8) {
        // SAFETY: as in `read8`.
        unsafe { core::ptr::write_volatile((self.base + offset) as *mut u8, value) }
    }
}
