//! The i.MX6Q/DL memory map and interrupt numbers, in one place.
//!
//! Programs built for a board on this SoC (the default build, SabreLite) reach it as
//! [`crate::memory_map`].
//!
//! Every base address is the physical address of the block's first register (the
//! MMU is off in this BSP, so physical = virtual). Blocks are 16 KiB apart unless
//! noted. Sources: U-Boot `arch/arm/include/asm/arch-mx6/imx-regs.h`, the Linux
//! device tree `imx6qdl.dtsi`, and `docs/hardware-facts.md#memory-map`
//! (QEMU runs).
//!
//! # Interrupt numbering
//!
//! The constants in [`irq`] are **GIC interrupt IDs**, the numbers the GIC
//! distributor registers are indexed by and that `GICC_IAR` returns. For a shared
//! peripheral interrupt (SPI) the ID is the SPI number + 32: the Linux device tree
//! writes the SDMA interrupt as `<0 2 ...>` (SPI 2), and its GIC ID is
//! [`irq::SDMA`] = 34. The i.MX6 reference manual's "IRQ" column uses the same
//! 32-based IDs. Use [`irq::spi`] to convert a device-tree SPI number.
//!
//! QEMU `-M sabrelite` (7.2) emulates UART1-5, the GPT, EPIT1/2, GPIO, I2C, the CCM
//! register file, SRC and the GIC; reads of SSI, AUDMUX, SDMA, IOMUXC and the
//! PL310 return 0 and writes are dropped.

// ---------------------------------------------------------------------------
// Memories
// ---------------------------------------------------------------------------

/// Boot ROM (96 KiB; a zero-filled ROM on QEMU, which has no boot code).
pub const BOOT_ROM: usize = 0x0000_0000;
/// On-chip RAM (OCRAM), 256 KiB on i.MX6Q/D (128 KiB on i.MX6DL/S).
pub const OCRAM: usize = 0x0090_0000;
/// Size of the OCRAM on i.MX6Q/D.
pub const OCRAM_SIZE: usize = 0x4_0000;
/// First OCRAM byte the boot ROM leaves free (it uses `0x0090_0000..0x0090_7000`).
pub const OCRAM_FREE: usize = 0x0090_7000;
/// DDR through MMDC channel 0: `0x1000_0000..0x8000_0000`.
pub const DDR: usize = 0x1000_0000;
/// DDR size on the SabreLite (1 GiB). QEMU's default is 128 MiB (`-m 1G` to match).
pub const DDR_SIZE_SABRELITE: usize = 0x4000_0000;
/// Where the BSP's `link.x` places a program (`_start`): DDR + 4 KiB, so that the
/// i.MX boot image header in the 4 KiB below it is in DDR too.
pub const PROGRAM_BASE: usize = 0x1000_1000;

// ---------------------------------------------------------------------------
// Cortex-A9 MPCore private region (SCU, GIC, timers) and the PL310 L2 cache
// ---------------------------------------------------------------------------

/// Base of the A9 MPCore private memory region (also the SCU).
pub const ARM_PERIPH: usize = 0x00A0_0000;
/// Snoop control unit.
pub const SCU: usize = 0x00A0_0000;
/// GIC CPU interface (`GICC_*`).
pub const GIC_CPU: usize = 0x00A0_0100;
/// A9 global timer (64-bit, per cluster).
pub const GLOBAL_TIMER: usize = 0x00A0_0200;
/// A9 private timer and watchdog (per core).
pub const PRIVATE_TIMER: usize = 0x00A0_0600;
/// GIC distributor (`GICD_*`).
pub const GIC_DIST: usize = 0x00A0_1000;
/// PL310 (L2C-310) outer cache controller. Not mapped by QEMU 7.2 (reads 0).
pub const PL310: usize = 0x00A0_2000;

// ---------------------------------------------------------------------------
// AIPS-1 (0x0200_0000 .. 0x020F_FFFF); the first 256 KiB is the SPBA
// ---------------------------------------------------------------------------

/// SPDIF transceiver.
pub const SPDIF: usize = 0x0200_4000;
/// ECSPI1..ECSPI5 (SPI masters).
pub const ECSPI: [usize; 5] = [
    0x0200_8000,
    0x0200_C000,
    0x0201_0000,
    0x0201_4000,
    0x0201_8000,
];
/// UART1 (QEMU: the first `-serial`, i.e. stdio under `-nographic`).
pub const UART1: usize = 0x0202_0000;
/// ESAI (enhanced serial audio interface).
pub const ESAI: usize = 0x0202_4000;
/// SSI1 (synchronous serial interface: I2S). SabreLite audio uses SSI1.
pub const SSI1: usize = 0x0202_8000;
/// SSI2.
pub const SSI2: usize = 0x0202_C000;
/// SSI3.
pub const SSI3: usize = 0x0203_0000;
/// ASRC (asynchronous sample rate converter).
pub const ASRC: usize = 0x0203_4000;
/// SPBA (shared peripheral bus arbiter) registers.
pub const SPBA: usize = 0x0203_C000;
/// VPU.
pub const VPU: usize = 0x0204_0000;
/// AIPS-1 configuration (AIPSTZ1).
pub const AIPSTZ1: usize = 0x0207_C000;
/// PWM1..PWM4.
pub const PWM: [usize; 4] = [0x0208_0000, 0x0208_4000, 0x0208_8000, 0x0208_C000];
/// FlexCAN1.
pub const CAN1: usize = 0x0209_0000;
/// FlexCAN2.
pub const CAN2: usize = 0x0209_4000;
/// General purpose timer (GPT).
pub const GPT: usize = 0x0209_8000;
/// GPIO1.
pub const GPIO1: usize = 0x0209_C000;
/// GPIO2.
pub const GPIO2: usize = 0x020A_0000;
/// GPIO3.
pub const GPIO3: usize = 0x020A_4000;
/// GPIO4.
pub const GPIO4: usize = 0x020A_8000;
/// GPIO5.
pub const GPIO5: usize = 0x020A_C000;
/// GPIO6.
pub const GPIO6: usize = 0x020B_0000;
/// GPIO7.
pub const GPIO7: usize = 0x020B_4000;
/// GPIO1..GPIO7 by index (`GPIO[0]` is GPIO1).
pub const GPIO: [usize; 7] = [GPIO1, GPIO2, GPIO3, GPIO4, GPIO5, GPIO6, GPIO7];
/// Keypad port.
pub const KPP: usize = 0x020B_8000;
/// Watchdog 1.
pub const WDOG1: usize = 0x020B_C000;
/// Watchdog 2.
pub const WDOG2: usize = 0x020C_0000;
/// Clock controller module (CCM): gates (CCGR0..6), dividers, CCOSR.
pub const CCM: usize = 0x020C_4000;
/// CCM analog part (ANATOP): PLLs, regulators, temperature sensor.
pub const CCM_ANALOG: usize = 0x020C_8000;
/// USB PHY1 (inside the ANATOP page).
pub const USBPHY1: usize = 0x020C_9000;
/// USB PHY2.
pub const USBPHY2: usize = 0x020C_A000;
/// Secure non-volatile storage (RTC).
pub const SNVS: usize = 0x020C_C000;
/// Enhanced periodic interrupt timer 1.
pub const EPIT1: usize = 0x020D_0000;
/// Enhanced periodic interrupt timer 2.
pub const EPIT2: usize = 0x020D_4000;
/// System reset controller (SRC): core resets, secondary-core entry (GPR3..GPR10).
pub const SRC: usize = 0x020D_8000;
/// General power controller (GPC): interrupt wake-up masks.
pub const GPC: usize = 0x020D_C000;
/// IOMUX controller (IOMUXC), including the GPRs at offset 0.
pub const IOMUXC: usize = 0x020E_0000;
/// Display content integrity checker 1.
pub const DCIC1: usize = 0x020E_4000;
/// Display content integrity checker 2.
pub const DCIC2: usize = 0x020E_8000;
/// Smart DMA controller (SDMA). Not emulated by QEMU 7.2 (reads 0).
pub const SDMA: usize = 0x020E_C000;

// ---------------------------------------------------------------------------
// AIPS-2 (0x0210_0000 .. 0x021F_FFFF)
// ---------------------------------------------------------------------------

/// CAAM (cryptographic accelerator).
pub const CAAM: usize = 0x0210_0000;
/// USB controllers (OTG + host 1..3).
pub const USBOH3: usize = 0x0218_4000;
/// Ethernet MAC (ENET).
pub const ENET: usize = 0x0218_8000;
/// Media local bus.
pub const MLB: usize = 0x0218_C000;
/// uSDHC1..uSDHC4 (SD/MMC).
pub const USDHC: [usize; 4] = [0x0219_0000, 0x0219_4000, 0x0219_8000, 0x0219_C000];
/// I2C1 (SabreLite: SGTL5000 codec at 7-bit address 0x0A).
pub const I2C1: usize = 0x021A_0000;
/// I2C2.
pub const I2C2: usize = 0x021A_4000;
/// I2C3.
pub const I2C3: usize = 0x021A_8000;
/// ROM patch controller.
pub const ROMCP: usize = 0x021A_C000;
/// MMDC (DDR controller) port 0.
pub const MMDC_P0: usize = 0x021B_0000;
/// MMDC port 1 (i.MX6Q/D 64-bit configurations).
pub const MMDC_P1: usize = 0x021B_4000;
/// External interface module (EIM / WEIM).
pub const EIM: usize = 0x021B_8000;
/// On-chip OTP controller (fuses).
pub const OCOTP: usize = 0x021B_C000;
/// Central security unit.
pub const CSU: usize = 0x021C_0000;
/// TrustZone address space controller 1.
pub const TZASC1: usize = 0x021D_0000;
/// TrustZone address space controller 2.
pub const TZASC2: usize = 0x021D_4000;
/// Digital audio multiplexer (AUDMUX). Not emulated by QEMU 7.2.
pub const AUDMUX: usize = 0x021D_8000;
/// MIPI CSI-2 host.
pub const MIPI_CSI: usize = 0x021D_C000;
/// MIPI DSI host.
pub const MIPI_DSI: usize = 0x021E_0000;
/// Video data order adapter.
pub const VDOA: usize = 0x021E_4000;
/// UART2 (the SabreLite console, `ttymxc1`; QEMU: the second `-serial`).
pub const UART2: usize = 0x021E_8000;
/// UART3.
pub const UART3: usize = 0x021E_C000;
/// UART4.
pub const UART4: usize = 0x021F_0000;
/// UART5.
pub const UART5: usize = 0x021F_4000;
/// UART1..UART5 by index (`UART[0]` is UART1).
pub const UART: [usize; 5] = [UART1, UART2, UART3, UART4, UART5];
/// SSI1..SSI3 by index.
pub const SSI: [usize; 3] = [SSI1, SSI2, SSI3];
/// I2C1..I2C3 by index.
pub const I2C: [usize; 3] = [I2C1, I2C2, I2C3];

/// GIC interrupt IDs (SPI number + 32; see the module docs).
///
/// IDs 0-15 are software-generated (SGI) and 16-31 private per core (PPI). QEMU's
/// GIC reports 160 IDs (`GICD_TYPER` = 0x404), which covers every ID here.
pub mod irq {
    /// First shared peripheral interrupt: GIC ID = SPI number + `SPI_BASE`.
    pub const SPI_BASE: u32 = 32;
    /// Number of interrupt IDs of the i.MX6Q GIC (32 private + 128 shared).
    pub const COUNT: u32 = 160;

    /// The GIC ID of a device-tree SPI number (`interrupts = <0 n ...>`).
    pub const fn spi(n: u32) -> u32 {
        n + SPI_BASE
    }

    /// A9 global timer (PPI 11).
    pub const GLOBAL_TIMER: u32 = 27;
    /// A9 legacy nFIQ (PPI 12).
    pub const LEGACY_FIQ: u32 = 28;
    /// A9 private timer (PPI 13).
    pub const PRIVATE_TIMER: u32 = 29;
    /// A9 private watchdog (PPI 14).
    pub const PRIVATE_WATCHDOG: u32 = 30;
    /// A9 legacy nIRQ (PPI 15).
    pub const LEGACY_IRQ: u32 = 31;

    /// IOMUXC general purpose register 1 interrupt (SPI 0).
    pub const IOMUXC: u32 = 32;
    /// SDMA (SPI 2).
    pub const SDMA: u32 = 34;
    /// VPU JPEG (SPI 3).
    pub const VPU_JPEG: u32 = 35;
    /// SNVS (consolidated, SPI 19).
    pub const SNVS: u32 = 51;
    /// uSDHC1..uSDHC4 (SPI 22-25).
    pub const USDHC: [u32; 4] = [54, 55, 56, 57];
    /// UART1 (SPI 26).
    pub const UART1: u32 = 58;
    /// UART2 (SPI 27).
    pub const UART2: u32 = 59;
    /// UART3 (SPI 28).
    pub const UART3: u32 = 60;
    /// UART4 (SPI 29).
    pub const UART4: u32 = 61;
    /// UART5 (SPI 30).
    pub const UART5: u32 = 62;
    /// UART1..UART5 by index.
    pub const UART: [u32; 5] = [UART1, UART2, UART3, UART4, UART5];
    /// ECSPI1..ECSPI5 (SPI 31-35).
    pub const ECSPI: [u32; 5] = [63, 64, 65, 66, 67];
    /// I2C1 (SPI 36).
    pub const I2C1: u32 = 68;
    /// I2C2 (SPI 37).
    pub const I2C2: u32 = 69;
    /// I2C3 (SPI 38).
    pub const I2C3: u32 = 70;
    /// I2C1..I2C3 by index.
    pub const I2C: [u32; 3] = [I2C1, I2C2, I2C3];
    /// USB OTG (SPI 43).
    pub const USB_OTG: u32 = 75;
    /// SSI1 (SPI 46).
    pub const SSI1: u32 = 78;
    /// SSI2 (SPI 47).
    pub const SSI2: u32 = 79;
    /// SSI3 (SPI 48).
    pub const SSI3: u32 = 80;
    /// SSI1..SSI3 by index.
    pub const SSI: [u32; 3] = [SSI1, SSI2, SSI3];
    /// Temperature sensor (SPI 49).
    pub const TEMPMON: u32 = 81;
    /// ASRC (SPI 50).
    pub const ASRC: u32 = 82;
    /// ESAI (SPI 51).
    pub const ESAI: u32 = 83;
    /// SPDIF (SPI 52).
    pub const SPDIF: u32 = 84;
    /// GPT (SPI 55).
    pub const GPT: u32 = 87;
    /// EPIT1 (SPI 56).
    pub const EPIT1: u32 = 88;
    /// EPIT2 (SPI 57).
    pub const EPIT2: u32 = 89;
    /// GPIO1..GPIO7, pins 0-15 (SPI 66, 68, ..., 78).
    pub const GPIO_LOW: [u32; 7] = [98, 100, 102, 104, 106, 108, 110];
    /// GPIO1..GPIO7, pins 16-31 (SPI 67, 69, ..., 79).
    pub const GPIO_HIGH: [u32; 7] = [99, 101, 103, 105, 107, 109, 111];
    /// Watchdog 1 (SPI 80).
    pub const WDOG1: u32 = 112;
    /// Watchdog 2 (SPI 81).
    pub const WDOG2: u32 = 113;
    /// PWM1..PWM4 (SPI 83-86).
    pub const PWM: [u32; 4] = [115, 116, 117, 118];
    /// CCM interrupt 1 (SPI 87).
    pub const CCM1: u32 = 119;
    /// CCM interrupt 2 (SPI 88).
    pub const CCM2: u32 = 120;
    /// GPC (SPI 89).
    pub const GPC: u32 = 121;
    /// SRC (SPI 91).
    pub const SRC: u32 = 123;
    /// PL310 L2 cache controller (SPI 92).
    pub const PL310: u32 = 124;
    /// A9 performance monitor (SPI 94).
    pub const PMU: u32 = 126;
    /// ENET (SPI 118).
    pub const ENET: u32 = 150;
    /// FlexCAN1 (SPI 110).
    pub const CAN1: u32 = 142;
    /// FlexCAN2 (SPI 111).
    pub const CAN2: u32 = 143;
    /// The ID `GICC_IAR` returns when no interrupt is pending.
    pub const SPURIOUS: u32 = 1023;

    // Every ID above fits the GIC (the handler table has `COUNT` entries).
    const _: () = assert!(ENET < COUNT && CAN2 < COUNT && PMU < COUNT);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spi_numbers_of_the_device_tree_map_to_gic_ids() {
        // Device-tree SPI numbers from imx6qdl.dtsi.
        assert_eq!(irq::spi(2), irq::SDMA);
        assert_eq!(irq::spi(26), irq::UART1);
        assert_eq!(irq::spi(36), irq::I2C1);
        assert_eq!(irq::spi(46), irq::SSI1);
        assert_eq!(irq::spi(55), irq::GPT);
        assert_eq!(irq::spi(56), irq::EPIT1);
        assert_eq!(irq::spi(66), irq::GPIO_LOW[0]);
        assert_eq!(irq::spi(79), irq::GPIO_HIGH[6]);
        assert_eq!(irq::spi(92), irq::PL310);
    }

    #[test]
    fn blocks_are_in_their_bus_windows() {
        for b in [UART1, SSI1, GPT, CCM, CCM_ANALOG, IOMUXC, SDMA, SRC] {
            assert!(
                (0x0200_0000..0x0210_0000).contains(&b),
                "{b:#x} not on AIPS-1"
            );
        }
        for b in [I2C1, I2C3, AUDMUX, UART2, UART5, MMDC_P0] {
            assert!(
                (0x0210_0000..0x0220_0000).contains(&b),
                "{b:#x} not on AIPS-2"
            );
        }
        assert_eq!(GIC_DIST - ARM_PERIPH, 0x1000);
        assert_eq!(GIC_CPU - ARM_PERIPH, 0x100);
        assert_eq!(PROGRAM_BASE - DDR, 0x1000);
    }
}
