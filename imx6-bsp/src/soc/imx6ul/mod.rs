//! The i.MX6UltraLite/ULL: one Cortex-A7, a GIC-400, no PL310, SAI1-3 with their own
//! pads (no AUDMUX), DDR at `0x8000_0000`.
//!
//! [`memory_map`] holds the addresses and interrupt IDs, [`events`] the SDMA request
//! numbers, [`gates`] the clock gates that differ from the i.MX6Q, [`pads`] the pads
//! the EVK uses.

pub mod events;
pub mod memory_map;
pub mod pads;

use super::{Core, Region, RegionKind, Soc};

const MIB: usize = 1 << 20;

/// The MMU's view: boot ROM, OCRAM, the A7 private region and the AIPS buses (one
/// device range `0x0000_0000..0x1000_0000`), and the DDR window (2 GiB).
pub const REGIONS: [Region; 2] = [
    Region {
        name: "ROM, OCRAM, A7 private region, AIPS-1/2/3",
        start: 0,
        size: 256 * MIB,
        kind: RegionKind::Device,
    },
    Region {
        name: "DDR (MMDC window)",
        start: memory_map::DDR,
        size: 0x8000_0000,
        kind: RegionKind::Normal,
    },
];

/// The i.MX6UL/ULL.
pub const SOC: Soc = Soc {
    name: "i.MX6UL/ULL",
    core: Core::CortexA7,
    gic_distributor: memory_map::GIC_DIST,
    gic_cpu_interface: memory_map::GIC_CPU,
    gic_ids: memory_map::irq::COUNT,
    l2_cache_controller: None,
    sdma: memory_map::SDMA,
    sdma_irq: memory_map::irq::SDMA,
    ddr: memory_map::DDR,
    program_base: memory_map::PROGRAM_BASE,
    regions: &REGIONS,
};

/// Clock gates of the i.MX6UL (Linux `clk-imx6ul.c`). The GPT1, SDMA, SPBA and I2C1-3
/// gates sit where the i.MX6Q has them ([`crate::ccm::gates`]); the UART and audio
/// gates do not: each UART has one gate for both its clocks, and the SAIs are CG14,
/// CG15 and CG11 of CCGR5 (the i.MX6Q's SSI gates are CG9-CG11).
pub mod gates {
    use crate::ccm::Gate;

    /// SDMA: CCGR5 CG3 (as on the i.MX6Q).
    pub const SDMA: Gate = Gate { reg: 5, field: 3 };
    /// SPBA: CCGR5 CG6 (as on the i.MX6Q).
    pub const SPBA: Gate = Gate { reg: 5, field: 6 };
    /// SAI1 (bus and MCLK): CCGR5 CG14.
    pub const SAI1: Gate = Gate { reg: 5, field: 14 };
    /// SAI2 (bus and MCLK): CCGR5 CG15.
    pub const SAI2: Gate = Gate { reg: 5, field: 15 };
    /// SAI3 (bus and MCLK): CCGR5 CG11.
    pub const SAI3: Gate = Gate { reg: 5, field: 11 };
    /// UART1 (IPG and serial clock): CCGR5 CG12.
    pub const UART1: Gate = Gate { reg: 5, field: 12 };
    /// I2C1: CCGR2 CG3.
    pub const I2C1: Gate = Gate { reg: 2, field: 3 };
    /// I2C2: CCGR2 CG4.
    pub const I2C2: Gate = Gate { reg: 2, field: 4 };
    /// IOMUXC: CCGR2 CG7.
    pub const IOMUXC: Gate = Gate { reg: 2, field: 7 };
    /// GPT1 bus clock: CCGR1 CG10 (as on the i.MX6Q).
    pub const GPT_BUS: Gate = Gate { reg: 1, field: 10 };
    /// GPT1 serial clock: CCGR1 CG11 (as on the i.MX6Q).
    pub const GPT_SERIAL: Gate = Gate { reg: 1, field: 11 };

    #[cfg(test)]
    mod tests {
        use super::*;
        use crate::ccm::gates as q;

        #[test]
        fn shared_gates_match_the_imx6q_and_the_audio_gates_do_not() {
            assert_eq!(
                [SDMA, SPBA, I2C1, I2C2, GPT_BUS, GPT_SERIAL],
                [
                    q::SDMA,
                    q::SPBA,
                    q::I2C1,
                    q::I2C2,
                    q::GPT_BUS,
                    q::GPT_SERIAL
                ]
            );
            assert_ne!(SAI1, q::SSI1);
            assert_ne!(SAI2, q::SSI2);
            // SAI3 lands on the i.MX6Q's SSI3 gate.
            assert_eq!(SAI3, q::SSI3);
            assert_eq!(UART1, q::UART_IPG);
            // CCGR5 bits 30/31 and 28/29 (Linux: `base + 0x7c, 30` and `28`).
            assert_eq!((SAI2.offset(), SAI2.shift()), (0x7C, 30));
            assert_eq!((SAI1.offset(), SAI1.shift()), (0x7C, 28));
        }
    }
}
