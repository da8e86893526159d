//! The SabreLite (i.MX6Q, 4 x 128M x 16 DDR3-1066, 1 GiB) boot-time register
//! set-up, in DCD order, and the board's load windows.
//!
//! Values are U-Boot's `nitrogen6q.cfg` (ddr-setup.cfg, 1066mhz_4x128mx16.cfg
//! and clocks.cfg) after preprocessing: 97 writes, one DCD write command of
//! 784 bytes. The delay-line and leveling values are this board's calibration;
//! they are not valid for other memory. CCGR5 = 0x0F0000C3 leaves SSI1-3 and
//! SPBA gated: the audio BSP must ungate them itself.

use super::imx::DcdCmd;

const fn w(addr: u32, value: u32) -> DcdCmd {
    DcdCmd::Write { addr, value }
}

/// The SabreLite DDR3/clock DCD.
pub const DCD: &[DcdCmd] = &[
    // DRAM_SDQS0..7 pads: 40 ohm drive.
    w(0x020E_05A8, 0x0000_0030),
    w(0x020E_05B0, 0x0000_0030),
    w(0x020E_0524, 0x0000_0030),
    w(0x020E_051C, 0x0000_0030),
    w(0x020E_0518, 0x0000_0030),
    w(0x020E_050C, 0x0000_0030),
    w(0x020E_05B8, 0x0000_0030),
    w(0x020E_05C0, 0x0000_0030),
    // Data byte-lane groups B0..B7 drive strength.
    w(0x020E_0784, 0x0000_0030),
    w(0x020E_0788, 0x0000_0030),
    w(0x020E_0794, 0x0000_0030),
    w(0x020E_079C, 0x0000_0030),
    w(0x020E_07A0, 0x0000_0030),
    w(0x020E_07A4, 0x0000_0030),
    w(0x020E_07A8, 0x0000_0030),
    w(0x020E_0748, 0x0000_0030),
    // Address and control groups.
    w(0x020E_074C, 0x0000_0030),
    w(0x020E_078C, 0x0000_0030),
    // DRAM_DQM0..7: DDR input mode + 40 ohm.
    w(0x020E_05AC, 0x0002_0030),
    w(0x020E_05B4, 0x0002_0030),
    w(0x020E_0528, 0x0002_0030),
    w(0x020E_0520, 0x0002_0030),
    w(0x020E_0514, 0x0002_0030),
    w(0x020E_0510, 0x0002_0030),
    w(0x020E_05BC, 0x0002_0030),
    w(0x020E_05C4, 0x0002_0030),
    // CAS, RAS, SDCLK_0, SDCLK_1, RESET.
    w(0x020E_056C, 0x0002_0030),
    w(0x020E_0578, 0x0002_0030),
    w(0x020E_0588, 0x0002_0030),
    w(0x020E_0594, 0x0002_0030),
    w(0x020E_057C, 0x0002_0030),
    // SDCKE0/1, SDODT0/1.
    w(0x020E_0590, 0x0000_3000),
    w(0x020E_0598, 0x0000_3000),
    w(0x020E_059C, 0x0000_3030),
    w(0x020E_05A0, 0x0000_3030),
    // DDRMODE_CTL, GRP_DDRMODE: differential input.
    w(0x020E_0750, 0x0002_0000),
    w(0x020E_0774, 0x0002_0000),
    // GRP_DDRPKE, SDBA2; GRP_DDR_TYPE = DDR3.
    w(0x020E_0758, 0x0000_0000),
    w(0x020E_058C, 0x0000_0000),
    w(0x020E_0798, 0x000C_0000),
    // MMDC P0/P1 MPRDDQBY0..3DL: per-bit read DQ delays.
    w(0x021B_081C, 0x3333_3333),
    w(0x021B_0820, 0x3333_3333),
    w(0x021B_0824, 0x3333_3333),
    w(0x021B_0828, 0x3333_3333),
    w(0x021B_481C, 0x3333_3333),
    w(0x021B_4820, 0x3333_3333),
    w(0x021B_4824, 0x3333_3333),
    w(0x021B_4828, 0x3333_3333),
    // MDMISC, MDSCR (enter configuration), MDPDC, MDCFG0..2, MDRWD, MDOR, MDOTC,
    // MDPDC, MDASP (1 GiB on CS0), MDCTL.
    w(0x021B_0018, 0x0008_1740),
    w(0x021B_001C, 0x0000_8000),
    w(0x021B_0004, 0x0002_0036),
    w(0x021B_000C, 0x555A_7974),
    w(0x021B_0010, 0xDB53_8F64),
    w(0x021B_0014, 0x01FF_00DB),
    w(0x021B_002C, 0x0000_26D2),
    w(0x021B_0030, 0x005A_1023),
    w(0x021B_0008, 0x0944_4040),
    w(0x021B_0004, 0x0002_5576),
    w(0x021B_0040, 0x0000_0027),
    w(0x021B_0000, 0x831A_0000),
    // MDSCR: MR2, MR3, MR1, MR0 (DLL reset) to CS0, then ZQ calibration.
    w(0x021B_001C, 0x0408_8032),
    w(0x021B_001C, 0x0000_8033),
    w(0x021B_001C, 0x0042_8031),
    w(0x021B_001C, 0x1930_8030),
    w(0x021B_001C, 0x0400_8040),
    // MPZQHWCTRL P0/P1, MDREF, MPODTCTRL P0/P1.
    w(0x021B_0800, 0xA139_0003),
    w(0x021B_4800, 0xA139_0003),
    w(0x021B_0020, 0x0000_5800),
    w(0x021B_0818, 0x0002_2227),
    w(0x021B_4818, 0x0002_2227),
    // Calibrated DQS gating, read/write delay lines, write leveling.
    w(0x021B_083C, 0x4272_0306),
    w(0x021B_0840, 0x026F_0266),
    w(0x021B_483C, 0x4273_030A),
    w(0x021B_4840, 0x0274_0240),
    w(0x021B_0848, 0x4539_3B3E),
    w(0x021B_4848, 0x403A_3747),
    w(0x021B_0850, 0x4043_4541),
    w(0x021B_4850, 0x473E_4A3B),
    w(0x021B_080C, 0x0011_000E),
    w(0x021B_0810, 0x000E_001B),
    w(0x021B_480C, 0x0019_0015),
    w(0x021B_4810, 0x0007_0018),
    // MPMUR0 P0/P1: force delay-line update; leave configuration mode; MAPSR.
    w(0x021B_08B8, 0x0000_0800),
    w(0x021B_48B8, 0x0000_0800),
    w(0x021B_001C, 0x0000_0000),
    w(0x021B_0404, 0x0001_1006),
    // CCM CCGR0..6 clock gates.
    w(0x020C_4068, 0x00C0_3F3F),
    w(0x020C_406C, 0x0030_FC03),
    w(0x020C_4070, 0x0FFF_C000),
    w(0x020C_4074, 0x3FF0_0000),
    w(0x020C_4078, 0x00FF_F300),
    w(0x020C_407C, 0x0F00_00C3),
    w(0x020C_4080, 0x0000_03FF),
    // IOMUXC GPR4 (AXI cache), GPR6/GPR7 (IPU QoS), CCM CCOSR (CKO1).
    w(0x020E_0010, 0xF000_00CF),
    w(0x020E_0018, 0x007F_007F),
    w(0x020E_001C, 0x007F_007F),
    w(0x020C_4060, 0x0000_00FB),
];

/// A memory range a boot image (header included) may be loaded into.
#[derive(Clone, Copy, Debug)]
pub struct Window {
    /// Name for messages.
    pub name: &'static str,
    /// First usable address.
    pub start: u32,
    /// One past the last usable address.
    pub end: u32,
}

/// Where the SabreLite ROM may copy an image: DDR (1 GiB, set up by the DCD)
/// and the OCRAM range the ROM leaves free (below its MMU tables at 0x00938000).
pub const WINDOWS: &[Window] = &[
    Window {
        name: "DDR",
        start: 0x1000_0000,
        end: 0x5000_0000,
    },
    Window {
        name: "OCRAM",
        start: 0x0090_7000,
        end: 0x0093_8000,
    },
];
