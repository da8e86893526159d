//! The i.MX6UL/ULL memory map and interrupt numbers.
//!
//! Programs built for a board on this SoC (feature `imx6ull-evk`) reach it as
//! [`crate::memory_map`]. The names are those of the i.MX6Q/DL map
//! ([`crate::soc::imx6q::memory_map`]) wherever the block is the same, so that the
//! shared drivers (GPT, UART, I2C, GIC, SDMA platform) build for either SoC.
//!
//! Sources (two agree on every address and interrupt below): QEMU 7.2
//! `include/hw/arm/fsl-imx6ul.h` (`FslIMX6ULMemoryMap`, `FslIMX6ULIRQs`) and the Linux
//! device tree `imx6ul.dtsi`. What differs from the i.MX6Q/DL:
//!
//! * DDR starts at `0x8000_0000` (i.MX6Q: `0x1000_0000`);
//! * the Cortex-A7 private region holds a GIC-400 (GICv2): distributor at
//!   `0x00A0_1000` as on the A9, but the CPU interface at `0x00A0_2000` (A9:
//!   `0x00A0_0100`); there is no SCU, no A9 global timer and **no PL310** (the A7's
//!   L2 is inside the core, maintained by CP15 set/way operations);
//! * the SSI1-3 windows hold SAI1-3 (`0x0202_8000`, `0x0202_C000`, `0x0203_0000`), and
//!   there is no AUDMUX: each SAI has its own pads;
//! * UART6-8 and I2C4 are new (UART7 at `0x0201_8000`, UART8 at `0x0202_4000`, UART6
//!   at `0x021F_C000`, I2C4 at `0x021F_8000`); GPT2 sits at `0x020E_8000`.
//!
//! QEMU 7.2 `-M mcimx6ul-evk` emulates the GIC, UART1-8, GPT1/2, EPIT, GPIO, I2C1-4,
//! the CCM and its analog part, SRC, SNVS and the watchdogs. The SAIs, the SDMA and
//! the IOMUXC pads are unimplemented windows: reads return 0, writes are dropped.
//!
//! Interrupt IDs are GIC IDs (SPI number + 32), as for the i.MX6Q.

// ---------------------------------------------------------------------------
// Memories
// ---------------------------------------------------------------------------

/// Boot ROM (96 KiB; zero-filled on QEMU).
pub const BOOT_ROM: usize = 0x0000_0000;
/// On-chip RAM (OCRAM), 128 KiB.
pub const OCRAM: usize = 0x0090_0000;
/// Size of the OCRAM.
pub const OCRAM_SIZE: usize = 0x2_0000;
/// DDR through the MMDC: `0x8000_0000..0x1_0000_0000` (2 GiB window).
pub const DDR: usize = 0x8000_0000;
/// DDR size on the i.MX6ULL EVK (512 MiB of DDR3L; QEMU's default is 512 MiB too).
pub const DDR_SIZE_EVK: usize = 0x2000_0000;
/// Where the BSP's `link.x` places a program (`_start`): DDR + 4 KiB, so that the
/// i.MX boot image header in the 4 KiB below it is in DDR too.
pub const PROGRAM_BASE: usize = 0x8000_1000;

// ---------------------------------------------------------------------------
// Cortex-A7 private region (GIC-400)
// ---------------------------------------------------------------------------

/// Base of the A7 private region.
pub const ARM_PERIPH: usize = 0x00A0_0000;
/// GIC distributor (`GICD_*`).
pub const GIC_DIST: usize = 0x00A0_1000;
/// GIC CPU interface (`GICC_*`).
pub const GIC_CPU: usize = 0x00A0_2000;

// ---------------------------------------------------------------------------
// AIPS-1 (0x0200_0000 .. 0x020F_FFFF); the first 256 KiB is the SPBA
// ---------------------------------------------------------------------------

/// SPDIF transceiver.
pub const SPDIF: usize = 0x0200_4000;
/// ECSPI1..ECSPI4.
pub const ECSPI: [usize; 4] = [0x0200_8000, 0x0200_C000, 0x0201_0000, 0x0201_4000];
/// UART7.
pub const UART7: usize = 0x0201_8000;
/// UART1 (the EVK console; QEMU: the first `-serial`).
pub const UART1: usize = 0x0202_0000;
/// UART8.
pub const UART8: usize = 0x0202_4000;
/// SAI1 (synchronous audio interface). Not emulated by QEMU 7.2.
pub const SAI1: usize = 0x0202_8000;
/// SAI2 (the EVK's WM8960 audio port). Not emulated by QEMU 7.2.
pub const SAI2: usize = 0x0202_C000;
/// SAI3.
pub const SAI3: usize = 0x0203_0000;
/// SAI1..SAI3 by index.
pub const SAI: [usize; 3] = [SAI1, SAI2, SAI3];
/// ASRC.
pub const ASRC: usize = 0x0203_4000;
/// SPBA registers.
pub const SPBA: usize = 0x0203_C000;
/// PWM1..PWM4.
pub const PWM: [usize; 4] = [0x0208_0000, 0x0208_4000, 0x0208_8000, 0x0208_C000];
/// FlexCAN1.
pub const CAN1: usize = 0x0209_0000;
/// FlexCAN2.
pub const CAN2: usize = 0x0209_4000;
/// General purpose timer 1 (the BSP's clock, as on the i.MX6Q).
pub const GPT: usize = 0x0209_8000;
/// GPIO1..GPIO5.
pub const GPIO: [usize; 5] = [
    0x0209_C000,
    0x020A_0000,
    0x020A_4000,
    0x020A_8000,
    0x020A_C000,
];
/// Watchdog 1.
pub const WDOG1: usize = 0x020B_C000;
/// Watchdog 2.
pub const WDOG2: usize = 0x020C_0000;
/// Clock controller module (CCM).
pub const CCM: usize = 0x020C_4000;
/// CCM analog part (ANATOP): PLLs, including PLL4 (audio).
pub const CCM_ANALOG: usize = 0x020C_8000;
/// Secure non-volatile storage (high-power part).
pub const SNVS: usize = 0x020C_C000;
/// EPIT1.
pub const EPIT1: usize = 0x020D_0000;
/// EPIT2.
pub const EPIT2: usize = 0x020D_4000;
/// System reset controller.
pub const SRC: usize = 0x020D_8000;
/// General power controller.
pub const GPC: usize = 0x020D_C000;
/// IOMUX controller (pads). Not emulated by QEMU 7.2 (reads 0).
pub const IOMUXC: usize = 0x020E_0000;
/// IOMUXC general purpose registers.
pub const IOMUXC_GPR: usize = 0x020E_4000;
/// General purpose timer 2.
pub const GPT2: usize = 0x020E_8000;
/// Smart DMA controller (SDMA). Not emulated by QEMU 7.2 (reads 0).
pub const SDMA: usize = 0x020E_C000;

// ---------------------------------------------------------------------------
// AIPS-2 (0x0210_0000 .. 0x021F_FFFF)
// ---------------------------------------------------------------------------

/// USB OTG controllers.
pub const USB: usize = 0x0218_4000;
/// Ethernet MAC 1.
pub const ENET1: usize = 0x0218_8000;
/// uSDHC1, uSDHC2.
pub const USDHC: [usize; 2] = [0x0219_0000, 0x0219_4000];
/// I2C1.
pub const I2C1: usize = 0x021A_0000;
/// I2C2 (the EVK's codec bus: WM8960 at 0x1A).
pub const I2C2: usize = 0x021A_4000;
/// I2C3.
pub const I2C3: usize = 0x021A_8000;
/// I2C4.
pub const I2C4: usize = 0x021F_8000;
/// MMDC (DDR controller).
pub const MMDC_P0: usize = 0x021B_0000;
/// On-chip OTP controller.
pub const OCOTP: usize = 0x021B_C000;
/// UART2.
pub const UART2: usize = 0x021E_8000;
/// UART3.
pub const UART3: usize = 0x021E_C000;
/// UART4.
pub const UART4: usize = 0x021F_0000;
/// UART5.
pub const UART5: usize = 0x021F_4000;
/// UART6.
pub const UART6: usize = 0x021F_C000;
/// UART1..UART8 by index (`UART[0]` is UART1).
pub const UART: [usize; 8] = [UART1, UART2, UART3, UART4, UART5, UART6, UART7, UART8];
/// I2C1..I2C4 by index.
pub const I2C: [usize; 4] = [I2C1, I2C2, I2C3, I2C4];

/// GIC interrupt IDs (SPI number + 32).
pub mod irq {
    /// First shared peripheral interrupt: GIC ID = SPI number + `SPI_BASE`.
    pub const SPI_BASE: u32 = 32;
    /// Number of interrupt IDs of the i.MX6UL GIC (32 private + 128 shared).
    pub const COUNT: u32 = 160;

    /// The GIC ID of a device-tree SPI number (`interrupts = <GIC_SPI n ...>`).
    pub const fn spi(n: u32) -> u32 {
        n + SPI_BASE
    }

    /// SDMA (SPI 2).
    pub const SDMA: u32 = 34;
    /// SAI3 receive/transmit (SPI 24).
    pub const SAI3: u32 = 56;
    /// UART1..UART5 (SPI 26-30).
    pub const UART1: u32 = 58;
    /// UART2 (SPI 27).
    pub const UART2: u32 = 59;
    /// UART3 (SPI 28).
    pub const UART3: u32 = 60;
    /// UART4 (SPI 29).
    pub const UART4: u32 = 61;
    /// UART5 (SPI 30).
    pub const UART5: u32 = 62;
    /// UART6 (SPI 17).
    pub const UART6: u32 = 49;
    /// UART7 (SPI 39).
    pub const UART7: u32 = 71;
    /// UART8 (SPI 40).
    pub const UART8: u32 = 72;
    /// UART1..UART8 by index.
    pub const UART: [u32; 8] = [UART1, UART2, UART3, UART4, UART5, UART6, UART7, UART8];
    /// I2C4 (SPI 35).
    pub const I2C4: u32 = 67;
    /// I2C1 (SPI 36).
    pub const I2C1: u32 = 68;
    /// I2C2 (SPI 37).
    pub const I2C2: u32 = 69;
    /// I2C3 (SPI 38).
    pub const I2C3: u32 = 70;
    /// I2C1..I2C4 by index.
    pub const I2C: [u32; 4] = [I2C1, I2C2, I2C3, I2C4];
    /// ASRC (SPI 50).
    pub const ASRC: u32 = 82;
    /// SPDIF (SPI 52).
    pub const SPDIF: u32 = 84;
    /// GPT1 (SPI 55).
    pub const GPT: u32 = 87;
    /// EPIT1 (SPI 56).
    pub const EPIT1: u32 = 88;
    /// EPIT2 (SPI 57).
    pub const EPIT2: u32 = 89;
    /// SAI1 (SPI 97).
    pub const SAI1: u32 = 129;
    /// SAI2 (SPI 98).
    pub const SAI2: u32 = 130;
    /// SAI1..SAI3 by index.
    pub const SAI: [u32; 3] = [SAI1, SAI2, SAI3];
    /// GPT2 (SPI 109).
    pub const GPT2: u32 = 141;
    /// The ID `GICC_IAR` returns when no interrupt is pending.
    pub const SPURIOUS: u32 = 1023;

    const _: () = assert!(GPT2 < COUNT && SAI2 < COUNT);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spi_numbers_of_the_device_tree_map_to_gic_ids() {
        // imx6ul.dtsi `interrupts = <GIC_SPI n ...>` (and QEMU's FslIMX6ULIRQs).
        assert_eq!(irq::spi(2), irq::SDMA);
        assert_eq!(irq::spi(26), irq::UART1);
        assert_eq!(irq::spi(37), irq::I2C2);
        assert_eq!(irq::spi(55), irq::GPT);
        assert_eq!(irq::spi(97), irq::SAI1);
        assert_eq!(irq::spi(98), irq::SAI2);
        assert_eq!(irq::spi(24), irq::SAI3);
    }

    #[test]
    fn what_differs_from_the_imx6q() {
        use crate::soc::imx6q::memory_map as q;
        // Same blocks at the same places.
        for (ul, q) in [
            (UART1, q::UART1),
            (GPT, q::GPT),
            (CCM, q::CCM),
            (IOMUXC, q::IOMUXC),
            (SDMA, q::SDMA),
            (I2C1, q::I2C1),
            (I2C2, q::I2C2),
            (GIC_DIST, q::GIC_DIST),
        ] {
            assert_eq!(ul, q);
        }
        assert_eq!(irq::GPT, q::irq::GPT);
        assert_eq!(irq::SDMA, q::irq::SDMA);
        // The SAIs took the SSI windows; DDR and the GIC CPU interface moved.
        assert_eq!(SAI, q::SSI);
        assert_ne!(DDR, q::DDR);
        assert_ne!(GIC_CPU, q::GIC_CPU);
        assert_eq!(PROGRAM_BASE - DDR, 0x1000);
    }
}
