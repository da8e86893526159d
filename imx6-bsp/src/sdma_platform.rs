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
//! The BSP's start-up turns the MMU and caches on (see [`crate::startup`], "The DMA
//! policy"): the driver's own [`DmaArea`](sdma_core::sdma::DmaArea) must be in the
//! non-cacheable DMA window (`imx6_bsp::dma_coherent!`; check with
//! [`startup::is_dma_coherent`]), client buffers are cacheable and maintained here.
//! Because the i.MX6Q's PL310 (r3p1) does not drain its store buffer by itself
//! (erratum 769419), `dma_barrier` syncs the outer cache after the `DSB`, so that BD and
//! CCB writes to that non-cacheable window reach DDR before HSTART.
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
use crate::mmio::MmioBlock;
use crate::pl310::{self, Pl310};
use crate::{gpt, startup};

/// GIC interrupt ID of the SDMA (SPI 2).
pub const SDMA_IRQ: u32 = memory_map::irq::SDMA;

/// Cache line size of the Cortex-A9 L1 and of the PL310 (bytes).
pub const CACHE_LINE: usize = pl310::LINE;

/// The i.MX6 platform of the SDMA driver.
pub struct Imx6SdmaPlatform {
    regs: &'static RegisterBlock,
    l2: Option<Pl310<MmioBlock>>,
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
        // SAFETY: per the caller's contract the SDMA window is mapped device memory
        // (QEMU: reads 0, writes dropped, no abort) for the whole program and this
        // driver is its only user, so a `'static` shared reference to the register
        // block (whose fields are volatile cells) aliases no Rust object.
        let regs = unsafe { RegisterBlock::from_addr(memory_map::SDMA) };
        let l2 = crate::soc::SELECTED
            .l2_cache_controller
            .map(|base| {
                // SAFETY: the PL310 window, where the SoC has one (the i.MX6Q/DL; the
                // i.MX6UL has none), is part of the A9 private region, mapped on
                // every i.MX6Q (a read-as-zero hole on QEMU); `Pl310` only uses
                // offsets inside it. Other users of the PL310
                // (`board::Machine::detect`) only read `CACHE_ID`.
                Pl310::new(unsafe { MmioBlock::new(base) })
            })
            .filter(|l2| l2.cache_id() != 0);
        Imx6SdmaPlatform { regs, l2 }
    }

    /// Whether the PL310 L2 cache answered (false under QEMU 7.2).
    pub fn has_l2(&self) -> bool {
        self.l2.is_some()
    }
}

#[inline]
fn dsb() {
    #[cfg(target_arch = "arm")]
    // SAFETY: a barrier instruction: it waits for outstanding memory accesses and
    // cache maintenance, reads and writes no memory itself, and (no `nomem`) keeps the
    // compiler from moving accesses across it.
    unsafe {
        core::arch::asm!("dsb", options(nostack, preserves_flags));
    }
}

/// An L1 data-cache maintenance operation by virtual address (to the point of
/// coherency).
#[derive(Clone, Copy)]
enum L1Op {
    /// `DCCMVAC`.
    Clean,
    /// `DCIMVAC`.
    Invalidate,
    /// `DCCIMVAC`.
    CleanInvalidate,
}

/// Applies `op` to the L1 line holding `line`.
#[inline]
fn l1_line(op: L1Op, line: usize) {
    #[cfg(target_arch = "arm")]
    // SAFETY: the instructions only act on the cache line, not on memory contents
    // the compiler knows about, except that an invalidate discards dirty data: it is
    // only applied to lines inside the DMA buffer the driver hands over (whose CPU
    // copy is dead by contract), after the partial edge lines were cleaned
    // (`invalidate_dcache`), so no data outside the buffer is lost. On the
    // non-cacheable DMA window (the DmaArea) the operations find no line and do nothing.
    unsafe {
        match op {
            L1Op::Clean => {
                core::arch::asm!("mcr p15, 0, {0}, c7, c10, 1", in(reg) line, options(nostack, preserves_flags))
            }
            L1Op::Invalidate => {
                core::arch::asm!("mcr p15, 0, {0}, c7, c6, 1", in(reg) line, options(nostack, preserves_flags))
            }
            L1Op::CleanInvalidate => {
                core::arch::asm!("mcr p15, 0, {0}, c7, c14, 1", in(reg) line, options(nostack, preserves_flags))
            }
        }
    }
    #[cfg(not(target_arch = "arm"))]
    let _ = (op, line);
}

// SAFETY: `new`'s contract gives this platform the SDMA register block alone; the BSP runs
// identity-mapped below 4 GiB, so `bus_address` (identity, refused past 4 GiB) names the
// same memory the CPU sees; cache maintenance is L1 then PL310 by line with `DSB`
// (`invalidate_dcache` cleans partial edge lines first); `dma_barrier` is a `DSB`, a PL310
// sync where there is one (erratum 769419) and a second `DSB`; the GPT
// counts up at 3 MHz and `request_deadline` never leaves a passed compare armed. The
// default stop backstop is NXP's 1 ms figure (not measured by this project).
unsafe impl Platform for Imx6SdmaPlatform {
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
        for line in pl310::lines(cpu_addr, len) {
            l1_line(L1Op::Clean, line);
        }
        dsb();
        if let Some(l2) = &self.l2 {
            l2.clean_range(cpu_addr, len);
        }
    }

    fn invalidate_dcache(&self, cpu_addr: usize, len: usize) {
        if len == 0 {
            return;
        }
        // Partial edge lines hold CPU data outside the buffer: clean them too.
        for edge in pl310::edge_lines(cpu_addr, len) {
            l1_line(L1Op::CleanInvalidate, edge);
        }
        dsb();
        if let Some(l2) = &self.l2 {
            l2.clean_invalidate_edges(cpu_addr, len);
        }
        for line in pl310::lines(cpu_addr, len) {
            l1_line(L1Op::Invalidate, line);
        }
        dsb();
        if let Some(l2) = &self.l2 {
            l2.invalidate_range(cpu_addr, len);
        }
        for line in pl310::lines(cpu_addr, len) {
            l1_line(L1Op::Invalidate, line);
        }
        dsb();
    }

    fn dma_barrier(&self) {
        dsb();
        // PL310 erratum 769419 (before r3p2; the i.MX6Q has r3p1): writes to normal
        // non-cacheable memory (the DmaArea) may wait in the L2 store buffer until a
        // sync; the second DSB orders the sync before the HSTART write that follows.
        if let Some(l2) = &self.l2 {
            l2.sync();
            dsb();
        }
    }

    fn now_ns(&self) -> u64 {
        // u64 arithmetic on purpose: a u128 divide is ~750 B of Thumb/ARM code that LTO
        // would inline into every driver path reading the time. Exact for a whole-MHz
        // tick (asserted below); `ticks * 1000` overflows only after ~195 years at 3 MHz.
        const TICKS_PER_US: u64 = gpt::TICK_HZ as u64 / 1_000_000;
        const _: () = assert!(gpt::TICK_HZ as u64 % 1_000_000 == 0 && TICKS_PER_US > 0);
        gpt::now().saturating_mul(1_000) / TICKS_PER_US
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
