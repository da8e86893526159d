//! The SoCs this crate supports, each described once: memory map, interrupt numbers,
//! SDMA event numbers, clock gates, and the facts the shared start-up, interrupt,
//! cache and console code needs ([`Soc`]).
//!
//! * [`imx6q`]: i.MX6Quad/Dual/DualLite/Solo (Cortex-A9 MPCore, GIC in the A9 private
//!   region, PL310 L2 cache controller, SSI + AUDMUX audio).
//! * [`imx6ul`]: i.MX6UltraLite/ULL (one Cortex-A7, GIC-400, L2 inside the core, SAI
//!   audio with its own pads).
//!
//! Both modules always build (host tests check both); a program runs on the SoC of
//! the board it is built for ([`crate::board`]): [`SELECTED`] and
//! [`crate::memory_map`] follow the cargo feature `imx6ull-evk` (the i.MX6UL) and
//! default to the i.MX6Q. Nothing here touches a register.

pub mod imx6q;
pub mod imx6ul;

use crate::mmu::{Memory, MemorySystem};

/// The SoC the crate is built for: the i.MX6UL with the feature `imx6ull-evk`,
/// otherwise the i.MX6Q.
#[cfg(not(feature = "imx6ull-evk"))]
pub use imx6q as selected;
/// The SoC the crate is built for: the i.MX6UL with the feature `imx6ull-evk`,
/// otherwise the i.MX6Q.
#[cfg(feature = "imx6ull-evk")]
pub use imx6ul as selected;

/// The description of the SoC the crate is built for.
pub const SELECTED: &Soc = &selected::SOC;

/// The application core of a SoC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Core {
    /// Cortex-A9 MPCore (i.MX6Q/DL): SCU, private timers, external PL310 L2.
    CortexA9,
    /// Cortex-A7 (i.MX6UL/ULL): integrated L2, GIC-400, generic timer.
    CortexA7,
}

impl Core {
    /// Whether `ACTLR.SMP` (bit 6) must be set before the data cache and the MMU
    /// are enabled, even on a single core. On the Cortex-A7 the data cache takes
    /// part in coherency only with SMP set, and the TRM asks for it before caches,
    /// MMU or maintenance operations (Cortex-A7 MPCore TRM, ACTLR; status in
    /// `docs/hardware-facts.md#cores`). On the Cortex-A9 the bit only enrols the
    /// core in SCU coherency, which a single-core program does not need.
    pub const fn needs_smp_bit_for_caches(self) -> bool {
        matches!(self, Core::CortexA7)
    }

    /// A short name for reports.
    pub const fn name(self) -> &'static str {
        match self {
            Core::CortexA9 => "Cortex-A9",
            Core::CortexA7 => "Cortex-A7",
        }
    }
}

/// What the shared code must know about a SoC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Soc {
    /// The SoC family's name.
    pub name: &'static str,
    /// The application core.
    pub core: Core,
    /// GIC distributor base.
    pub gic_distributor: usize,
    /// GIC CPU interface base.
    pub gic_cpu_interface: usize,
    /// Number of GIC interrupt IDs (32 private + shared).
    pub gic_ids: u32,
    /// The PL310 L2 cache controller, if the SoC has one.
    pub l2_cache_controller: Option<usize>,
    /// The SDMA register block.
    pub sdma: usize,
    /// The SDMA interrupt (GIC ID).
    pub sdma_irq: u32,
    /// Start of the DDR window.
    pub ddr: usize,
    /// Where programs are linked (`_start`): DDR + 4 KiB.
    pub program_base: usize,
    /// The memory map as the start-up's MMU and caches see it (regions and outer
    /// cache controller; [`crate::mmu`]).
    pub memory: &'static MemorySystem,
}

impl Soc {
    /// The memory kind of the region holding `addr`, if any (the last region that
    /// holds it wins, as in the translation table). Pure.
    pub fn memory_at(&self, addr: usize) -> Option<Memory> {
        let addr = u64::try_from(addr).ok()?;
        self.memory
            .regions
            .iter()
            .rev()
            .find(|r| addr >= u64::from(r.base) && addr - u64::from(r.base) < u64::from(r.size))
            .map(|r| r.memory)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_regions(soc: &Soc) {
        let kind = |addr| soc.memory_at(addr);
        assert_eq!(kind(soc.program_base), Some(Memory::Normal));
        assert_eq!(kind(soc.gic_distributor), Some(Memory::Device));
        assert_eq!(kind(soc.gic_cpu_interface), Some(Memory::Device));
        assert_eq!(kind(soc.sdma), Some(Memory::Device));
        assert_eq!(soc.memory.l2_cache, soc.l2_cache_controller);
        if let Some(l2) = soc.l2_cache_controller {
            assert_eq!(kind(l2), Some(Memory::Device));
        }
        assert_eq!(soc.program_base, soc.ddr + 0x1000);
    }

    #[test]
    fn region_tables_are_consistent() {
        check_regions(&imx6q::SOC);
        check_regions(&imx6ul::SOC);
    }

    #[test]
    fn the_cores_differ_where_the_a7_differs() {
        assert_eq!(imx6q::SOC.core, Core::CortexA9);
        assert_eq!(imx6ul::SOC.core, Core::CortexA7);
        assert!(imx6ul::SOC.core.needs_smp_bit_for_caches());
        assert!(!imx6q::SOC.core.needs_smp_bit_for_caches());
        assert!(imx6q::SOC.l2_cache_controller.is_some());
        assert!(imx6ul::SOC.l2_cache_controller.is_none());
        assert_eq!(imx6q::SOC.gic_cpu_interface, 0x00A0_0100);
        assert_eq!(imx6ul::SOC.gic_cpu_interface, 0x00A0_2000);
    }

    #[test]
    fn selected_follows_the_feature() {
        let expected = if cfg!(feature = "imx6ull-evk") {
            imx6ul::SOC
        } else {
            imx6q::SOC
        };
        assert_eq!(*SELECTED, expected);
        assert_eq!(crate::memory_map::GIC_CPU, SELECTED.gic_cpu_interface);
    }
}
