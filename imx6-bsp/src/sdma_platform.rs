//! The SDMA driver's [`Platform`] on i.MX6Q/DL silicon.
//!
//! | Platform need | Here |
//! |---|---|
//! | register block | MMIO at [`memory_map::SDMA`] (`0x020E_C000`), one volatile access per register |
//! | bus addresses | identity (the SDMA sees physical addresses; the BSP runs identity-mapped) |
//! | cache clean | L1 `DCCMVAC` per 32-byte line, `DSB`, then PL310 `CLEAN_LINE_PA` per line and `CACHE_SYNC` (inner before outer) |
//! | cache invalidate | edge lines cleaned and invalidated (no neighbour data lost); L1 `DCIMVAC`, `DSB`; PL310 `INV_LINE_PA`, `CACHE_SYNC`; L1 `DCIMVAC` again, `DSB` (L1 before outer for a buffer about to be written, outer before L1 after the DMA: doing both covers either use) |
//! | time, deadline | the GPT at 3 MHz ([`gpt::now`], [`gpt::set_deadline`]); the program's GPT handler calls `Sdma::handle_deadline` |
//! | interrupt | [`SDMA_IRQ`] = GIC ID 34: the program enables it and calls `Sdma::handle_interrupt` |
//!
//! The PL310 is used only when its `CACHE_ID` reads non-zero (QEMU 7.2 does not map it).
//! The BSP's start-up runs with the MMU and caches off, so all maintenance is harmless
//! then; the driver's own [`DmaArea`](sdma_core::sdma::DmaArea) must stay non-cacheable
//! if a program turns caches on.
//!
//! The driver also needs a `critical-section` implementation: [`IrqMaskCriticalSection`]
//! (IRQ masking on the one running core), installed by the program with
//! `critical_section::set_impl!(IrqMaskCriticalSection);` (re-exported here as
//! [`critical_section`]).

pub use critical_section;
pub use sdma_core;

use sdma_core::sdma::Platform;
use sdma_pac::sdma::RegisterBlock;

use crate::memory_map;
use crate::mmio::{Mmio, MmioBlock};
use crate::{gpt, startup};

/// GIC interrupt ID of the SDMA (SPI 2).
pub const SDMA_IRQ: u32 = memory_map::irq::SDMA;

/// Cache line size of the Cortex-A9 L1 and of the PL310 (bytes).
pub const CACHE_LINE: usize = 32;

/// PL310 register offsets used here.
mod pl310 {
    pub const CACHE_ID: usize = 0x000;
    pub const CACHE_SYNC: usize = 0x730;
    pub const INV_LINE_PA: usize = 0x770;
    pub const CLEAN_LINE_PA: usize = 0x7B0;
    pub const CLEAN_INV_LINE_PA: usize = 0x7F0;
}

/// The i.MX6 platform of the SDMA driver.
pub struct Imx6SdmaPlatform {
    regs: &'static RegisterBlock,
    l2: Option<MmioBlock>,
}

impl core::fmt::Debug for Imx6SdmaPlatform {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Imx6SdmaPlatform")
            .field("sdma", &memory_map::SDMA)
            .field("l2", &self.l2.is_some())
            .finish()
    }
}

impl Imx6SdmaPlatform {
    /// The platform at the i.MX6Q/DL addresses.
    ///
    /// # Safety
    ///
    /// Only on an i.MX6Q/DL (or QEMU `-M sabrelite`) running identity-mapped, with the
    /// SDMA clock gate open ([`crate::ccm::gates::SDMA`]) and [`gpt::init`] done. The
    /// caller hands the SDMA register block to the driver alone.
    pub unsafe fn new() -> Self {
        // SAFETY: per the caller's contract the SDMA window is mapped (QEMU: reads 0,
        // writes dropped, no abort).
        let regs = unsafe { RegisterBlock::from_addr(memory_map::SDMA) };
        // SAFETY: the PL310 window is part of the A9 private region, always mapped.
        let l2 = unsafe { MmioBlock::new(memory_map::PL310) };
        let l2 = (l2.read32(pl310::CACHE_ID) != 0).then_some(l2);
        Imx6SdmaPlatform { regs, l2 }
    }

    /// Whether the PL310 L2 cache answered (false under QEMU 7.2).
    pub fn has_l2(&self) -> bool {
        self.l2.is_some()
    }

    fn lines(addr: usize, len: usize) -> impl Iterator<Item = usize> {
        let start = addr & !(CACHE_LINE - 1);
        let end = addr.saturating_add(len);
        (start..end).step_by(CACHE_LINE)
    }

    fn l2_lines(&self, reg: usize, addr: usize, len: usize) {
        if let Some(l2) = &self.l2 {
            for line in Self::lines(addr, len) {
                l2.write32(reg, line as u32);
            }
            l2.write32(pl310::CACHE_SYNC, 0);
        }
    }
}

#[inline]
fn dsb() {
    #[cfg(target_arch = "arm")]
    // SAFETY: a barrier instruction; no memory is accessed.
    unsafe {
        core::arch::asm!("dsb", options(nostack, preserves_flags));
    }
}

/// L1 maintenance by MVA: `op` 0 = DCCMVAC (clean), 1 = DCIMVAC (invalidate), 2 =
/// DCCIMVAC (clean and invalidate).
#[inline]
fn l1_line(op: u8, line: usize) {
    #[cfg(target_arch = "arm")]
    // SAFETY: cache maintenance by address on memory the caller owns (a DMA buffer);
    // invalidation is only applied to whole lines inside it (edges are cleaned first),
    // so no other data is discarded.
    unsafe {
        match op {
            0 => {
                core::arch::asm!("mcr p15, 0, {0}, c7, c10, 1", in(reg) line, options(nostack, preserves_flags))
            }
            1 => {
                core::arch::asm!("mcr p15, 0, {0}, c7, c6, 1", in(reg) line, options(nostack, preserves_flags))
            }
            _ => {
                core::arch::asm!("mcr p15, 0, {0}, c7, c14, 1", in(reg) line, options(nostack, preserves_flags))
            }
        }
    }
    #[cfg(not(target_arch = "arm"))]
    let _ = (op, line);
}

impl Platform for Imx6SdmaPlatform {
    fn registers(&self) -> &RegisterBlock {
        self.regs
    }

    fn bus_address(&self, cpu_addr: usize, len: usize) -> Option<u32> {
        let end = (cpu_addr as u64).checked_add(len as u64)?;
        (end <= 1 << 32).then_some(cpu_addr as u32)
    }

    fn clean_dcache(&self, cpu_addr: usize, len: usize) {
        if len == 0 {
            return;
        }
        for line in Self::lines(cpu_addr, len) {
            l1_line(0, line);
        }
        dsb();
        self.l2_lines(pl310::CLEAN_LINE_PA, cpu_addr, len);
    }

    fn invalidate_dcache(&self, cpu_addr: usize, len: usize) {
        if len == 0 {
            return;
        }
        let end = cpu_addr.saturating_add(len);
        // Partial edge lines hold CPU data outside the buffer: clean them too.
        for edge in [cpu_addr & !(CACHE_LINE - 1), (end - 1) & !(CACHE_LINE - 1)] {
            l1_line(2, edge);
        }
        dsb();
        if let Some(l2) = &self.l2 {
            for edge in [cpu_addr & !(CACHE_LINE - 1), (end - 1) & !(CACHE_LINE - 1)] {
                l2.write32(pl310::CLEAN_INV_LINE_PA, edge as u32);
            }
        }
        for line in Self::lines(cpu_addr, len) {
            l1_line(1, line);
        }
        dsb();
        self.l2_lines(pl310::INV_LINE_PA, cpu_addr, len);
        for line in Self::lines(cpu_addr, len) {
            l1_line(1, line);
        }
        dsb();
    }

    fn now_ns(&self) -> u64 {
        let ticks = u128::from(gpt::now());
        (ticks * 1_000_000_000 / u128::from(gpt::TICK_HZ)) as u64
    }

    fn request_deadline(&self, at_ns: u64) {
        // ns -> ticks, rounded up so the deadline is never early.
        let per_us = gpt::TICK_HZ as u64 / 1_000_000;
        let mut ticks = at_ns.saturating_mul(per_us).div_ceil(1_000);
        // A passed compare would only match after a counter wrap: move it just ahead.
        while gpt::set_deadline(ticks) == gpt::Deadline::Passed {
            ticks = gpt::now().saturating_add(per_us);
        }
    }
}

/// A `critical-section` implementation that masks IRQs on the running core (the BSP
/// runs on core 0 only).
#[derive(Debug)]
pub struct IrqMaskCriticalSection;

// SAFETY: acquire masks IRQs and reports whether they were masked before; release
// unmasks only if they were not, so nesting restores the outer state. With one running
// core, masked IRQs exclude every other context.
unsafe impl critical_section::Impl for IrqMaskCriticalSection {
    unsafe fn acquire() -> critical_section::RawRestoreState {
        let was_masked = startup::irq_masked();
        startup::disable_irq();
        was_masked
    }

    unsafe fn release(was_masked: critical_section::RawRestoreState) {
        if !was_masked {
            // SAFETY: IRQs were unmasked when the matching `acquire` ran.
            unsafe { startup::enable_irq() };
        }
    }
}
