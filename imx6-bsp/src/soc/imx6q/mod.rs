//! The i.MX6Quad/Dual/DualLite/Solo: one Cortex-A9 MPCore cluster, the GIC in the
//! A9 private region, a PL310 L2 cache controller, SSI1-3 behind the AUDMUX.
//!
//! [`memory_map`] holds the addresses and interrupt IDs; the SDMA events are
//! [`crate::events`], the clock gates [`crate::ccm::gates`], the pads
//! [`crate::iomuxc`] (i.MX6Quad/Dual offsets).

pub mod memory_map;

use super::{Core, Region, RegionKind, Soc};

const MIB: usize = 1 << 20;

/// The MMU's view: boot ROM, OCRAM, the A9 private region, the AIPS buses (one
/// device range `0x0000_0000..0x1000_0000` covers them all), and the DDR window.
pub const REGIONS: [Region; 2] = [
    Region {
        name: "ROM, OCRAM, A9 private region, AIPS-1/2 and the rest below DDR",
        start: 0,
        size: 256 * MIB,
        kind: RegionKind::Device,
    },
    Region {
        name: "DDR (MMDC window)",
        start: memory_map::DDR,
        size: 0x7000_0000,
        kind: RegionKind::Normal,
    },
];

/// The i.MX6Q/DL.
pub const SOC: Soc = Soc {
    name: "i.MX6Q/DL",
    core: Core::CortexA9,
    gic_distributor: memory_map::GIC_DIST,
    gic_cpu_interface: memory_map::GIC_CPU,
    gic_ids: memory_map::irq::COUNT,
    l2_cache_controller: Some(memory_map::PL310),
    sdma: memory_map::SDMA,
    sdma_irq: memory_map::irq::SDMA,
    ddr: memory_map::DDR,
    program_base: memory_map::PROGRAM_BASE,
    regions: &REGIONS,
};
