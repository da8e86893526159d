//! The Cortex-A9 MPCore interrupt controller (GIC v1: distributor + CPU interface)
//! and the IRQ dispatcher.
//!
//! Interrupt IDs are GIC IDs (SPI + 32), as in [`crate::memory_map::irq`].
//!
//! Use: [`init`] once, [`register`] a handler, [`enable`] the ID, then unmask IRQs
//! on the core ([`crate::startup::enable_irq`]). Every interrupt goes to core 0 in
//! group 0 (the program runs in the Secure world, where QEMU and the boot ROM leave
//! it) and is signalled as IRQ. i.MX6 peripheral interrupts are level-sensitive: a
//! handler must clear its device's status before it returns, because
//! [`dispatch`] writes EOI right after.

use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use vcell::VolatileCell;

use crate::memory_map::{self, irq};

/// The distributor register block (`GICD_*`).
#[repr(C)]
pub struct Distributor {
    /// 0x000 control (bit 0: forward interrupts).
    pub ctlr: VolatileCell<u32>,
    /// 0x004 type (bits 4:0: lines / 32 - 1).
    pub typer: VolatileCell<u32>,
    /// 0x008 implementer identification.
    pub iidr: VolatileCell<u32>,
    _reserved0: [u32; 29],
    /// 0x080 interrupt group (security) registers.
    pub igroupr: [VolatileCell<u32>; 32],
    /// 0x100 set-enable.
    pub isenabler: [VolatileCell<u32>; 32],
    /// 0x180 clear-enable.
    pub icenabler: [VolatileCell<u32>; 32],
    /// 0x200 set-pending.
    pub ispendr: [VolatileCell<u32>; 32],
    /// 0x280 clear-pending.
    pub icpendr: [VolatileCell<u32>; 32],
    /// 0x300 active bits (read-only on GIC v1).
    pub isactiver: [VolatileCell<u32>; 32],
    /// 0x380 clear-active (GIC v2; reserved on v1).
    pub icactiver: [VolatileCell<u32>; 32],
    /// 0x400 priority, one byte per ID (byte access is architected).
    pub ipriorityr: [VolatileCell<u8>; 1024],
    /// 0x800 CPU targets, one byte per ID (bit n = core n).
    pub itargetsr: [VolatileCell<u8>; 1024],
    /// 0xC00 configuration, 2 bits per ID (upper bit set = edge-triggered).
    pub icfgr: [VolatileCell<u32>; 64],
    _reserved1: [u32; 128],
    /// 0xF00 software-generated interrupt register.
    pub sgir: VolatileCell<u32>,
}

/// The CPU interface register block (`GICC_*`).
#[repr(C)]
pub struct CpuInterface {
    /// 0x00 control (bit 0: signal interrupts to the core).
    pub ctlr: VolatileCell<u32>,
    /// 0x04 priority mask: only priorities below this value are signalled.
    pub pmr: VolatileCell<u32>,
    /// 0x08 binary point.
    pub bpr: VolatileCell<u32>,
    /// 0x0C interrupt acknowledge (reading it acknowledges).
    pub iar: VolatileCell<u32>,
    /// 0x10 end of interrupt.
    pub eoir: VolatileCell<u32>,
    /// 0x14 running priority.
    pub rpr: VolatileCell<u32>,
    /// 0x18 highest pending interrupt.
    pub hppir: VolatileCell<u32>,
}

const _: () = {
    use core::mem::offset_of;
    assert!(offset_of!(Distributor, igroupr) == 0x080);
    assert!(offset_of!(Distributor, isenabler) == 0x100);
    assert!(offset_of!(Distributor, icpendr) == 0x280);
    assert!(offset_of!(Distributor, ipriorityr) == 0x400);
    assert!(offset_of!(Distributor, itargetsr) == 0x800);
    assert!(offset_of!(Distributor, icfgr) == 0xC00);
    assert!(offset_of!(Distributor, sgir) == 0xF00);
    assert!(offset_of!(CpuInterface, iar) == 0x0C);
    assert!(offset_of!(CpuInterface, hppir) == 0x18);
};

/// The lower bit of every 2-bit `GICD_ICFGR` field.
const LOWER_BITS: u32 = 0x5555_5555;

/// Priority given to every interrupt by [`init`] (lower is more urgent).
pub const DEFAULT_PRIORITY: u8 = 0xA0;
/// Priority mask written by [`init`]: priorities 0x00..0xEF are signalled.
pub const PRIORITY_MASK: u8 = 0xF0;

fn dist() -> &'static Distributor {
    // SAFETY: `GIC_DIST` is the distributor of the A9 private region, MMIO that
    // lives for the whole program; every access goes through `VolatileCell`.
    unsafe { &*(memory_map::GIC_DIST as *const Distributor) }
}

fn cpu() -> &'static CpuInterface {
    // SAFETY: as in `dist`, for the CPU interface.
    unsafe { &*(memory_map::GIC_CPU as *const CpuInterface) }
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

/// Number of interrupt IDs the distributor implements (160 on i.MX6Q and QEMU).
pub fn lines() -> u32 {
    lines_from_typer(dist().typer.get())
}

/// Resets the GIC to a known state: every interrupt disabled and not pending,
/// group 0, priority [`DEFAULT_PRIORITY`], targeted at core 0, level-sensitive;
/// distributor and CPU interface enabled with mask [`PRIORITY_MASK`].
pub fn init() {
    let d = dist();
    let c = cpu();
    let n = lines();
    d.ctlr.set(0);
    for i in 0..(n / 32) as usize {
        d.icenabler[i].set(!0);
        d.icpendr[i].set(!0);
        d.igroupr[i].set(0);
    }
    for id in 0..n as usize {
        d.ipriorityr[id].set(DEFAULT_PRIORITY);
    }
    // Targets of SGIs/PPIs (IDs 0-31) are read-only; SPIs go to core 0.
    for id in 32..n as usize {
        d.itargetsr[id].set(0x01);
    }
    // SPIs level-sensitive: clear the upper (edge) bit of each 2-bit field and keep
    // the lower one, which GIC v1 uses for the N-N / 1-N model (as Linux does).
    // ICFGR0 (SGIs) is read-only and ICFGR1 belongs to the PPIs.
    for i in 2..(n / 16) as usize {
        d.icfgr[i].set(d.icfgr[i].get() & LOWER_BITS);
    }
    d.ctlr.set(1);
    c.pmr.set(u32::from(PRIORITY_MASK));
    c.bpr.set(0);
    c.ctlr.set(1);
}

/// Enables (forwards) interrupt `id`.
pub fn enable(id: u32) {
    let (i, m) = bit_position(id);
    dist().isenabler[i].set(m);
}

/// Disables interrupt `id`.
pub fn disable(id: u32) {
    let (i, m) = bit_position(id);
    dist().icenabler[i].set(m);
}

/// Whether interrupt `id` is enabled.
pub fn is_enabled(id: u32) -> bool {
    let (i, m) = bit_position(id);
    dist().isenabler[i].get() & m != 0
}

/// Sets the priority of `id` (lower is more urgent; it must be below
/// [`PRIORITY_MASK`] to be signalled).
pub fn set_priority(id: u32, priority: u8) {
    dist().ipriorityr[id as usize].set(priority);
}

/// Sets the cores interrupt `id` is sent to (bit n = core n). SPIs only.
pub fn set_targets(id: u32, cores: u8) {
    dist().itargetsr[id as usize].set(cores);
}

/// Makes `id` edge-triggered (`true`) or level-sensitive (`false`). SPIs only.
pub fn set_edge_triggered(id: u32, edge: bool) {
    let (i, shift) = config_position(id);
    let reg = &dist().icfgr[i];
    crate::startup::free(|| {
        let v = reg.get() & !(0b10 << shift);
        reg.set(if edge { v | (0b10 << shift) } else { v });
    });
}

/// Makes `id` pending by software (a test hook: a level-sensitive source that is
/// not asserted stays pending until acknowledged).
pub fn set_pending(id: u32) {
    let (i, m) = bit_position(id);
    dist().ispendr[i].set(m);
}

/// Clears the pending state of `id`.
pub fn clear_pending(id: u32) {
    let (i, m) = bit_position(id);
    dist().icpendr[i].set(m);
}

/// Whether `id` is pending.
pub fn is_pending(id: u32) -> bool {
    let (i, m) = bit_position(id);
    dist().ispendr[i].get() & m != 0
}

/// Acknowledges the highest-priority pending interrupt: the raw `GICC_IAR` value,
/// to be passed to [`end_of_interrupt`], or `None` if none was pending (spurious).
pub fn acknowledge() -> Option<u32> {
    let iar = cpu().iar.get();
    iar_id(iar).map(|_| iar)
}

/// Signals the end of the interrupt `iar` returned by [`acknowledge`].
pub fn end_of_interrupt(iar: u32) {
    cpu().eoir.set(iar);
}

/// An interrupt handler: runs in IRQ mode with IRQs masked.
pub type Handler = fn();

const NO_HANDLER: usize = 0;
static HANDLERS: [AtomicUsize; irq::COUNT as usize] =
    [const { AtomicUsize::new(NO_HANDLER) }; irq::COUNT as usize];
static UNHANDLED: AtomicU32 = AtomicU32::new(0);
static LAST_UNHANDLED: AtomicU32 = AtomicU32::new(irq::SPURIOUS);

/// Registers `handler` for interrupt `id` (replacing any earlier one). Panics if
/// `id` is not below [`irq::COUNT`].
pub fn register(id: u32, handler: Handler) {
    HANDLERS[id as usize].store(handler as usize, Ordering::Release);
}

/// Removes the handler of `id`.
pub fn unregister(id: u32) {
    HANDLERS[id as usize].store(NO_HANDLER, Ordering::Release);
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
    while let Some(iar) = acknowledge() {
        let id = iar & 0x3FF;
        match handler_of(id) {
            Some(h) => h(),
            None => {
                disable(id);
                // Only the IRQ handler writes these, with IRQs masked: load/store
                // is enough.
                UNHANDLED.store(UNHANDLED.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
                LAST_UNHANDLED.store(id, Ordering::Relaxed);
            }
        }
        end_of_interrupt(iar);
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
        register(irq::EPIT2, h1);
        assert_eq!(
            handler_of(irq::EPIT2).map(|h| h as usize),
            Some(h1 as Handler as usize)
        );
        unregister(irq::EPIT2);
        assert!(handler_of(irq::EPIT2).is_none());
        assert!(handler_of(5000).is_none());
    }
}
