//! The NXP i.MX6ULL EVK (i.MX6ULL, 512 MiB DDR3L, one 16-bit chip) boot-time
//! register set-up, in DCD order, and the board's load window.
//!
//! Values are U-Boot's `board/freescale/mx6ullevk/imximage.cfg` (the non-plugin
//! build: `IMAGE_VERSION 2`, `BOOT_FROM sd`, 60 `DATA 4` writes, one DCD write command
//! of 484 bytes): every CCGR gate on, the DDR pads, then the MMDC set-up of the EVK's
//! DDR3L (delay lines, calibration and timings are that board's; they are not valid
//! for other memory). `docs/hardware-facts.md#evk-dcd`.

use super::imx::DcdCmd;
use super::sabrelite::Window;

const fn w(addr: u32, value: u32) -> DcdCmd {
    DcdCmd::Write { addr, value }
}

/// The i.MX6ULL EVK DDR3L/clock DCD.
pub const DCD: &[DcdCmd] = &[
    // CCM: every clock gate on (CCGR0..CCGR6).
    w(0x020C_4068, 0xFFFF_FFFF),
    w(0x020C_406C, 0xFFFF_FFFF),
    w(0x020C_4070, 0xFFFF_FFFF),
    w(0x020C_4074, 0xFFFF_FFFF),
    w(0x020C_4078, 0xFFFF_FFFF),
    w(0x020C_407C, 0xFFFF_FFFF),
    w(0x020C_4080, 0xFFFF_FFFF),
    // IOMUXC: DDR pads (DRAM_* pad controls, DDR input mode, group drive strength).
    w(0x020E_04B4, 0x000C_0000),
    w(0x020E_04AC, 0x0000_0000),
    w(0x020E_027C, 0x0000_0030),
    w(0x020E_0250, 0x0000_0030),
    w(0x020E_024C, 0x0000_0030),
    w(0x020E_0490, 0x0000_0030),
    w(0x020E_0288, 0x000C_0030),
    w(0x020E_0270, 0x0000_0000),
    w(0x020E_0260, 0x0000_0030),
    w(0x020E_0264, 0x0000_0030),
    w(0x020E_04A0, 0x0000_0030),
    w(0x020E_0494, 0x0002_0000),
    w(0x020E_0280, 0x0000_0030),
    w(0x020E_0284, 0x0000_0030),
    w(0x020E_04B0, 0x0002_0000),
    w(0x020E_0498, 0x0000_0030),
    w(0x020E_04A4, 0x0000_0030),
    w(0x020E_0244, 0x0000_0030),
    w(0x020E_0248, 0x0000_0030),
    // MMDC: configuration request, ZQ calibration, delay lines, read/write
    // calibration values of this board's memory, timings, then the DDR3L mode
    // registers (MR2, MR3, MR1, MR0 via MDSCR), refresh, ODT, power-down, and the
    // configuration request released.
    w(0x021B_001C, 0x0000_8000),
    w(0x021B_0800, 0xA139_0003),
    w(0x021B_080C, 0x0000_0004),
    w(0x021B_083C, 0x4164_0158),
    w(0x021B_0848, 0x4040_3237),
    w(0x021B_0850, 0x4040_3C33),
    w(0x021B_081C, 0x3333_3333),
    w(0x021B_0820, 0x3333_3333),
    w(0x021B_082C, 0xF333_3333),
    w(0x021B_0830, 0xF333_3333),
    w(0x021B_08C0, 0x0094_4009),
    w(0x021B_08B8, 0x0000_0800),
    w(0x021B_0004, 0x0002_002D),
    w(0x021B_0008, 0x1B33_3030),
    w(0x021B_000C, 0x676B_52F3),
    w(0x021B_0010, 0xB66D_0B63),
    w(0x021B_0014, 0x01FF_00DB),
    w(0x021B_0018, 0x0020_1740),
    w(0x021B_001C, 0x0000_8000),
    w(0x021B_002C, 0x0000_26D2),
    w(0x021B_0030, 0x006B_1023),
    w(0x021B_0040, 0x0000_004F),
    w(0x021B_0000, 0x8418_0000),
    w(0x021B_0890, 0x0040_0000),
    w(0x021B_001C, 0x0200_8032),
    w(0x021B_001C, 0x0000_8033),
    w(0x021B_001C, 0x0004_8031),
    w(0x021B_001C, 0x1520_8030),
    w(0x021B_001C, 0x0400_8040),
    w(0x021B_0020, 0x0000_0800),
    w(0x021B_0818, 0x0000_0227),
    w(0x021B_0004, 0x0002_552D),
    w(0x021B_0404, 0x0001_1006),
    w(0x021B_001C, 0x0000_0000),
];

/// Where the i.MX6ULL ROM may copy an image: the EVK's DDR (512 MiB from
/// `0x8000_0000`, set up by the DCD). Programs are linked at `0x8000_1000`.
pub const WINDOWS: &[Window] = &[Window {
    name: "DDR",
    start: 0x8000_0000,
    end: 0xA000_0000,
}];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::imx;

    #[test]
    fn the_dcd_is_u_boots_and_fits_one_write_command() {
        assert_eq!(DCD.len(), 60);
        // First and last writes of U-Boot's table.
        assert_eq!(DCD[0], w(0x020C_4068, 0xFFFF_FFFF));
        assert_eq!(DCD[59], w(0x021B_001C, 0));
        let dcd = imx::encode_dcd(DCD);
        // Header (4) + one write command header (4) + 60 pairs.
        assert_eq!(dcd.len(), 4 + 4 + 60 * 8);
        assert!(dcd.len() <= imx::MAX_DCD_LEN);
        assert_eq!(dcd[..4], [0xD2, 0x01, 0xE8, 0x40]);
    }
}
