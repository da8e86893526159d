//! The interrupt controller (distributor + CPU interface) and the IRQ dispatcher:
//! the Cortex-A9 MPCore GIC of the i.MX6Q/DL and the GIC-400 (GICv2) of the
//! i.MX6UL's Cortex-A7. The register sequences below are the same on both; only the
//! CPU interface's address differs (`0x00A0_0100` vs `0x00A0_2000`), and the free
//! functions take it from the selected SoC's [`crate::memory_map`].
//!
//! Interrupt IDs are GIC IDs (SPI + 32), as in [`crate::memory_map::irq`].
//!
//! Use: [`init`] once, [`register`] a handler, [`enable`] the ID, then unmask IRQs
//! on the core ([`crate::startup::enable_irq`]). Every interrupt goes to core 0 in
//! group 0 (the program runs in the Secure world, where QEMU and the boot ROM leave
//! it) and is signalled as IRQ. i.MX6 peripheral interrupts are level-sensitive: a
//! handler must clear its device's status before it returns, because
//! [`dispatch`] writes EOI right after (HW-031 in `docs/hardware-assumptions.md`).
//!
//! # Register sequences
//!
//! [`Gic`] is the driver on two [`Mmio`] blocks, distributor and CPU interface
//! (host-tested against recording fakes); the free functions of this module drive the
//! GIC at its fixed addresses and own the handler table.
//!
//! * [`Gic::init`]: `GICD_CTLR = 0`; for every bank of 32 IDs `ICENABLER = !0`,
//!   `ICPENDR = !0`, `IGROUPR = 0`; every `IPRIORITYR` byte = [`DEFAULT_PRIORITY`];
//!   every SPI `ITARGETSR` byte = 1 (core 0); every SPI `ICFGR` word read and written
//!   back with the edge bits cleared; `GICD_CTLR = 1`; `GICC_PMR` =
//!   [`PRIORITY_MASK`], `GICC_BPR = 0`, `GICC_CTLR = 1`.
//! * Enabling, disabling and pending bits are single writes of one bit to the
//!   set/clear register of the ID's bank (no read-modify-write); priority and target
//!   are byte writes.
//!
//! Every per-ID call checks the ID against [`irq::COUNT`] and returns
//! [`GicError::InvalidId`] without touching a register when it is out of range.

use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

use crate::memory_map::{self, irq};
use crate::mmio::{Mmio, MmioBlock};

/// Distributor register offsets (`GICD_*`).
pub mod gicd {
    /// Control (bit 0: forward interrupts).
    pub const CTLR: usize = 0x000;
    /// Type (bits 4:0: lines / 32 - 1).
    pub const TYPER: usize = 0x004;
    /// Implementer identification.
    pub const IIDR: usize = 0x008;
    /// Interrupt group (security) registers, one bit per ID.
    pub const IGROUPR: usize = 0x080;
    /// Set-enable, one bit per ID.
    pub const ISENABLER: usize = 0x100;
    /// Clear-enable, one bit per ID.
    pub const ICENABLER: usize = 0x180;
    /// Set-pending, one bit per ID.
    pub const ISPENDR: usize = 0x200;
    /// Clear-pending, one bit per ID.
    pub const ICPENDR: usize = 0x280;
    /// Active bits (read-only on GIC v1).
    pub const ISACTIVER: usize = 0x300;
    /// Priority, one byte per ID (byte access is architected).
    pub const IPRIORITYR: usize = 0x400;
    /// CPU targets, one byte per ID (bit n = core n).
    pub const ITARGETSR: usize = 0x800;
    /// Configuration, 2 bits per ID (upper bit set = edge-triggered).
    pub const ICFGR: usize = 0xC00;
    /// Software-generated interrupt register.
    pub const SGIR: usize = 0xF00;
}

/// CPU interface register offsets (`GICC_*`).
pub mod gicc {
    /// Control (bit 0: signal interrupts to the core).
    pub const CTLR: usize = 0x00;
    /// Priority mask: only priorities below this value are signalled.
    pub const PMR: usize = 0x04;
    /// Binary point.
    pub const BPR: usize = 0x08;
    /// Interrupt acknowledge (reading it acknowledges).
    pub const IAR: usize = 0x0C;
    /// End of interrupt.
    pub const EOIR: usize = 0x10;
    /// Running priority.
    pub const RPR: usize = 0x14;
    /// Highest pending interrupt.
    pub const HPPIR: usize = 0x18;
}

/// The lower bit of every 2-bit `GICD_ICFGR` field.
const LOWER_BITS: u32 = 0x5555_5555;

/// Priority given to every interrupt by [`init`] (lower is more urgent).
pub const DEFAULT_PRIORITY: u8 = 0xA0;
/// Priority mask written by [`init`]: priorities 0x00..0xEF are signalled.
pub const PRIORITY_MASK: u8 = 0xF0;

/// GIC errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GicError {
    /// The interrupt ID is not below [`irq::COUNT`].
    InvalidId(u32),
}

impl core::fmt::Display for GicError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            GicError::InvalidId(id) => {
                write!(f, "interrupt ID {id} is not below the GIC's {}", irq::COUNT)
            }
        }
    }
}

/// `id` if it is a valid i.MX6 interrupt ID.
const fn checked(id: u32) -> Result<u32, GicError> {
    if id < irq::COUNT {
        Ok(id)
    } else {
        Err(GicError::InvalidId(id))
    }
}

/// Register index and bit mask of `id` in a one-bit-per-ID register array.
pub const fn bit_position(id: u32) -> (usize, u32) {
    ((id / 32) as usize, 1 << (id % 32))
}

/// Register index and shift of `id`'s field in `GICD_ICFGR` (2 bits per ID).
pub const fn config_position(id: u32) -> (usize, u32) {
    ((id / 16) as usize, (id % 16) * 2)
}

/// The number of interrupt IDs a `GICD_TYPER` value announces, capped at 1020.
pub const fn lines_from_typer(typer: u32) -> u32 {
    let n = ((typer & 0x1F) + 1) * 32;
    if n > 1020 {
        1020
    } else {
        n
    }
}

/// The interrupt ID in a `GICC_IAR` value (bits 9:0), `None` if spurious (1022/1023).
pub const fn iar_id(iar: u32) -> Option<u32> {
    let id = iar & 0x3FF;
    if id >= 1022 {
        None
    } else {
        Some(id)
    }
}

/// The GIC driver: distributor and CPU interface. Every method is a bounded number of
/// register accesses.
#[derive(Debug)]
pub struct Gic<M: Mmio> {
    gicd: M,
    gicc: M,
}

impl<M: Mmio> Gic<M> {
    /// Wraps the distributor and CPU interface register blocks.
    pub const fn new(distributor: M, cpu_interface: M) -> Self {
        Self {
            gicd: distributor,
            gicc: cpu_interface,
        }
    }

    /// Gives the register blocks back (distributor, CPU interface).
    pub fn free(self) -> (M, M) {
        (self.gicd, self.gicc)
    }

    /// Number of interrupt IDs the distributor implements (160 on i.MX6Q, i.MX6UL and
    /// their QEMU models).
    pub fn lines(&self) -> u32 {
        lines_from_typer(self.gicd.read32(gicd::TYPER))
    }

    /// Resets the GIC to a known state: every interrupt disabled and not pending,
    /// group 0, priority [`DEFAULT_PRIORITY`], targeted at core 0, level-sensitive;
    /// distributor and CPU interface enabled with mask [`PRIORITY_MASK`] (the module
    /// docs list the register sequence).
    pub fn init(&self) {
        let d = &self.gicd;
        let n = self.lines() as usize;
        d.write32(gicd::CTLR, 0);
        for bank in 0..n / 32 {
            d.write32(gicd::ICENABLER + 4 * bank, !0);
            d.write32(gicd::ICPENDR + 4 * bank, !0);
            d.write32(gicd::IGROUPR + 4 * bank, 0);
        }
        for id in 0..n {
            d.write8(gicd::IPRIORITYR + id, DEFAULT_PRIORITY);
        }
        // Targets of SGIs/PPIs (IDs 0-31) are read-only; SPIs go to core 0.
        for id in 32..n {
            d.write8(gicd::ITARGETSR + id, 0x01);
        }
        // SPIs level-sensitive: clear the upper (edge) bit of each 2-bit field and keep
        // the lower one, which GIC v1 uses for the N-N / 1-N model (as Linux does).
        // ICFGR0 (SGIs) is read-only and ICFGR1 belongs to the PPIs.
        for word in 2..n / 16 {
            d.modify32(gicd::ICFGR + 4 * word, !LOWER_BITS, 0);
        }
        d.write32(gicd::CTLR, 1);
        self.gicc.write32(gicc::PMR, u32::from(PRIORITY_MASK));
        self.gicc.write32(gicc::BPR, 0);
        self.gicc.write32(gicc::CTLR, 1);
    }

    /// Writes `id`'s bit to the one-bit-per-ID register array at `array`.
    fn write_bit(&self, array: usize, id: u32) -> Result<(), GicError> {
        let (index, mask) = bit_position(checked(id)?);
        self.gicd.write32(array + 4 * index, mask);
        Ok(())
    }

    /// Reads `id`'s bit of the one-bit-per-ID register array at `array`.
    fn read_bit(&self, array: usize, id: u32) -> Result<bool, GicError> {
        let (index, mask) = bit_position(checked(id)?);
        Ok(self.gicd.read32(array + 4 * index) & mask != 0)
    }

    /// Enables (forwards) interrupt `id`.
    pub fn enable(&self, id: u32) -> Result<(), GicError> {
        self.write_bit(gicd::ISENABLER, id)
    }

    /// Disables interrupt `id`.
    pub fn disable(&self, id: u32) -> Result<(), GicError> {
        self.write_bit(gicd::ICENABLER, id)
    }

    /// Whether interrupt `id` is enabled.
    pub fn is_enabled(&self, id: u32) -> Result<bool, GicError> {
        self.read_bit(gicd::ISENABLER, id)
    }

    /// Makes `id` pending by software.
    pub fn set_pending(&self, id: u32) -> Result<(), GicError> {
        self.write_bit(gicd::ISPENDR, id)
    }

    /// Clears the pending state of `id`.
    pub fn clear_pending(&self, id: u32) -> Result<(), GicError> {
        self.write_bit(gicd::ICPENDR, id)
    }

    /// Whether `id` is pending.
    pub fn is_pending(&self, id: u32) -> Result<bool, GicError> {
        self.read_bit(gicd::ISPENDR, id)
    }

    /// Sets the priority of `id` (lower is more urgent; it must be below
    /// [`PRIORITY_MASK`] to be signalled).
    pub fn set_priority(&self, id: u32, priority: u8) -> Result<(), GicError> {
        let id = checked(id)?;
        self.gicd.write8(gicd::IPRIORITYR + id as usize, priority);
        Ok(())
    }

    /// Sets the cores interrupt `id` is sent to (bit n = core n). SPIs only: the
    /// targets of IDs 0-31 are read-only.
    pub fn set_targets(&self, id: u32, cores: u8) -> Result<(), GicError> {
        let id = checked(id)?;
        self.gicd.write8(gicd::ITARGETSR + id as usize, cores);
        Ok(())
    }

    /// Makes `id` edge-triggered (`true`) or level-sensitive (`false`). SPIs only.
    /// A read-modify-write of the ID's `ICFGR` word: serialise against other callers.
    pub fn set_edge_triggered(&self, id: u32, edge: bool) -> Result<(), GicError> {
        let (word, shift) = config_position(checked(id)?);
        let edge_bit = 0b10 << shift;
        self.gicd.modify32(
            gicd::ICFGR + 4 * word,
            edge_bit,
            if edge { edge_bit } else { 0 },
        );
        Ok(())
    }

    /// Acknowledges the highest-priority pending interrupt: the raw `GICC_IAR` value,
    /// to be passed to [`Gic::end_of_interrupt`], or `None` if none was pending
    /// (spurious).
    pub fn acknowledge(&self) -> Option<u32> {
        let iar = self.gicc.read32(gicc::IAR);
        iar_id(iar).map(|_| iar)
    }

    /// Signals the end of the interrupt `iar` returned by [`Gic::acknowledge`].
    pub fn end_of_interrupt(&self, iar: u32) {
        self.gicc.write32(gicc::EOIR, iar);
    }
}

/// The GIC at its fixed addresses.
fn gic() -> Gic<MmioBlock> {
    // SAFETY: `GIC_DIST` and `GIC_CPU` are the distributor and CPU interface of the
    // selected SoC's private region (A9 or A7), device memory mapped for the whole program. `Gic` only uses
    // the offsets of `gicd`/`gicc` plus, for per-ID arrays, an ID checked against
    // `irq::COUNT` (or below the `GICD_TYPER` count in `init`), which stays inside
    // each array. The module functions are the GIC's one driver; the values they
    // create are stateless views of the same registers.
    unsafe {
        Gic::new(
            MmioBlock::new(memory_map::GIC_DIST),
            MmioBlock::new(memory_map::GIC_CPU),
        )
    }
}

/// Number of interrupt IDs the distributor implements (160 on i.MX6Q, i.MX6UL and
/// their QEMU models).
pub fn lines() -> u32 {
    gic().lines()
}

/// Resets the GIC (see [`Gic::init`]).
pub fn init() {
    gic().init();
}

/// Enables (forwards) interrupt `id`.
pub fn enable(id: u32) -> Result<(), GicError> {
    gic().enable(id)
}

/// Disables interrupt `id`.
pub fn disable(id: u32) -> Result<(), GicError> {
    gic().disable(id)
}

/// Whether interrupt `id` is enabled.
pub fn is_enabled(id: u32) -> Result<bool, GicError> {
    gic().is_enabled(id)
}

/// Sets the priority of `id` (see [`Gic::set_priority`]).
pub fn set_priority(id: u32, priority: u8) -> Result<(), GicError> {
    gic().set_priority(id, priority)
}

/// Sets the cores interrupt `id` is sent to (see [`Gic::set_targets`]).
pub fn set_targets(id: u32, cores: u8) -> Result<(), GicError> {
    gic().set_targets(id, cores)
}

/// Makes `id` edge-triggered (`true`) or level-sensitive (`false`), with IRQs masked
/// around the read-modify-write. SPIs only.
pub fn set_edge_triggered(id: u32, edge: bool) -> Result<(), GicError> {
    crate::startup::free(|| gic().set_edge_triggered(id, edge))
}

/// Makes `id` pending by software (a test hook: a level-sensitive source that is
/// not asserted stays pending until acknowledged).
pub fn set_pending(id: u32) -> Result<(), GicError> {
    gic().set_pending(id)
}

/// Clears the pending state of `id`.
pub fn clear_pending(id: u32) -> Result<(), GicError> {
    gic().clear_pending(id)
}

/// Whether `id` is pending.
pub fn is_pending(id: u32) -> Result<bool, GicError> {
    gic().is_pending(id)
}

/// Acknowledges the highest-priority pending interrupt: the raw `GICC_IAR` value,
/// to be passed to [`end_of_interrupt`], or `None` if none was pending (spurious).
pub fn acknowledge() -> Option<u32> {
    gic().acknowledge()
}

/// Signals the end of the interrupt `iar` returned by [`acknowledge`].
pub fn end_of_interrupt(iar: u32) {
    gic().end_of_interrupt(iar);
}

/// An interrupt handler: runs in IRQ mode with IRQs masked.
pub type Handler = fn();

const NO_HANDLER: usize = 0;
static HANDLERS: [AtomicUsize; irq::COUNT as usize] =
    [const { AtomicUsize::new(NO_HANDLER) }; irq::COUNT as usize];
static UNHANDLED: AtomicU32 = AtomicU32::new(0);
static LAST_UNHANDLED: AtomicU32 = AtomicU32::new(irq::SPURIOUS);

/// Registers `handler` for interrupt `id` (replacing any earlier one).
pub fn register(id: u32, handler: Handler) -> Result<(), GicError> {
    handler_slot(id)?.store(handler as usize, Ordering::Release);
    Ok(())
}

/// Removes the handler of `id`.
pub fn unregister(id: u32) -> Result<(), GicError> {
    handler_slot(id)?.store(NO_HANDLER, Ordering::Release);
    Ok(())
}

fn handler_slot(id: u32) -> Result<&'static AtomicUsize, GicError> {
    HANDLERS.get(id as usize).ok_or(GicError::InvalidId(id))
}

/// How many interrupts arrived with no handler registered (each was disabled),
/// and the ID of the last one.
pub fn unhandled() -> (u32, u32) {
    (
        UNHANDLED.load(Ordering::Relaxed),
        LAST_UNHANDLED.load(Ordering::Relaxed),
    )
}

fn handler_of(id: u32) -> Option<Handler> {
    let raw = HANDLERS.get(id as usize)?.load(Ordering::Acquire);
    if raw == NO_HANDLER {
        return None;
    }
    // SAFETY: the only non-zero values stored in HANDLERS are `Handler` function
    // pointers converted to `usize` by `register`; converting back gives the same
    // pointer (function pointers and usize have the same size on every target).
    Some(unsafe { core::mem::transmute::<usize, Handler>(raw) })
}

/// Acknowledges and handles pending interrupts until none is left; called by the
/// IRQ vector. An interrupt without a handler is disabled (so a level-sensitive
/// source cannot storm) and counted in [`unhandled`].
pub fn dispatch() {
    let gic = gic();
    while let Some(iar) = gic.acknowledge() {
        let id = iar & 0x3FF;
        match handler_of(id) {
            Some(h) => h(),
            None => {
                // An ID without a handler slot (>= irq::COUNT) cannot be disabled
                // here; it is still counted and ended.
                let _ = gic.disable(id);
                // Only the IRQ handler writes these, with IRQs masked: load/store
                // is enough.
                UNHANDLED.store(UNHANDLED.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
                LAST_UNHANDLED.store(id, Ordering::Relaxed);
            }
        }
        gic.end_of_interrupt(iar);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_positions() {
        assert_eq!(bit_position(0), (0, 1));
        assert_eq!(bit_position(31), (0, 1 << 31));
        assert_eq!(bit_position(irq::GPT), (2, 1 << 23)); // 87 = 2 * 32 + 23
        assert_eq!(bit_position(irq::SDMA), (1, 1 << 2));
    }

    #[test]
    fn config_positions() {
        assert_eq!(config_position(0), (0, 0));
        assert_eq!(config_position(15), (0, 30));
        assert_eq!(config_position(irq::GPT), (5, 14)); // 87 = 5 * 16 + 7
    }

    #[test]
    fn typer_decoding() {
        assert_eq!(lines_from_typer(0x404), 160); // QEMU sabrelite, i.MX6Q
        assert_eq!(lines_from_typer(0x1F), 1020);
    }

    #[test]
    fn spurious_ids() {
        assert_eq!(iar_id(irq::GPT), Some(irq::GPT));
        assert_eq!(iar_id((1 << 10) | 5), Some(5)); // CPU ID bits of an SGI
        assert_eq!(iar_id(1023), None);
        assert_eq!(iar_id(1022), None);
    }

    fn h1() {}

    #[test]
    fn handler_table_round_trip() {
        assert!(handler_of(irq::EPIT2).is_none());
        assert_eq!(register(irq::EPIT2, h1), Ok(()));
        assert_eq!(
            handler_of(irq::EPIT2).map(|h| h as usize),
            Some(h1 as Handler as usize)
        );
        assert_eq!(unregister(irq::EPIT2), Ok(()));
        assert!(handler_of(irq::EPIT2).is_none());
        assert!(handler_of(5000).is_none());
        assert_eq!(
            register(irq::COUNT, h1),
            Err(GicError::InvalidId(irq::COUNT))
        );
        assert_eq!(unregister(5000), Err(GicError::InvalidId(5000)));
    }
}
