//! The i.MX6Quad/Dual/DualLite/Solo: one Cortex-A9 MPCore cluster, the GIC in the
//! A9 private region, a PL310 L2 cache controller, SSI1-3 behind the AUDMUX.
//!
//! [`memory_map`] holds the addresses and interrupt IDs; the SDMA events are
//! [`crate::events`], the clock gates [`crate::ccm::gates`], the pads
//! [`crate::iomuxc`] (i.MX6Quad/Dual offsets).

pub mod memory_map;

use super::{Core, Soc};

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
    memory: &memory_map::MEMORY_SYSTEM,
};
