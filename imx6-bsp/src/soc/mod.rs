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

/// How the MMU maps one region ([`Soc::regions`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegionKind {
    /// Normal memory (DDR, OCRAM): cacheable when the caches are on.
    Normal,
    /// Device registers and ROM: Device/Strongly-ordered, never cached, never
    /// executed from.
    Device,
}

/// One physical address range with its memory type, for the translation table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    /// A short name for reports.
    pub name: &'static str,
    /// First byte (1 MiB aligned: the table maps sections).
    pub start: usize,
    /// Size in bytes (a multiple of 1 MiB).
    pub size: usize,
    /// Memory type.
    pub kind: RegionKind,
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
    /// The memory map as the MMU must see it: every region a program touches, with
    /// its type. DDR is listed with the window's size; a board has less.
    pub regions: &'static [Region],
}

impl Soc {
    /// The region holding `addr`, if any. Pure.
    pub fn region_of(&self, addr: usize) -> Option<&'static Region> {
        self.regions
            .iter()
            .find(|r| addr >= r.start && addr - r.start < r.size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: usize = 1 << 20;

    fn check_regions(soc: &Soc) {
        for r in soc.regions {
            assert_eq!(r.start % MIB, 0, "{}: {}", soc.name, r.name);
            assert_eq!(r.size % MIB, 0, "{}: {}", soc.name, r.name);
        }
        for (i, a) in soc.regions.iter().enumerate() {
            for b in &soc.regions[i + 1..] {
                let disjoint = a.start + a.size <= b.start || b.start + b.size <= a.start;
                assert!(disjoint, "{}: {} overlaps {}", soc.name, a.name, b.name);
            }
        }
        let kind = |addr| soc.region_of(addr).map(|r| r.kind);
        assert_eq!(kind(soc.program_base), Some(RegionKind::Normal));
        assert_eq!(kind(soc.gic_distributor), Some(RegionKind::Device));
        assert_eq!(kind(soc.gic_cpu_interface), Some(RegionKind::Device));
        assert_eq!(kind(soc.sdma), Some(RegionKind::Device));
        if let Some(l2) = soc.l2_cache_controller {
            assert_eq!(kind(l2), Some(RegionKind::Device));
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
