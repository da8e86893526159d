//! The i.MX6UL/ULL pads the i.MX6ULL EVK uses for its console, its codec bus and its
//! audio port, as [`PadSetting`]s for [`crate::iomuxc::Iomuxc::configure`].
//!
//! Offsets (mux, pad control, select input) and ALT modes are those of the Linux
//! `imx6ul-pinfunc.h`; the pad values are the EVK device tree's (`imx6ul-14x14-evk.dtsi`,
//! groups `pinctrl_uart1`, `pinctrl_i2c2`, `pinctrl_sai2`). The IOMUXC works as on the
//! i.MX6Q (same register kinds, same write order), only the offsets differ. QEMU 7.2
//! does not emulate the IOMUXC.

use crate::iomuxc::{PadCtl, PadSetting, SION};

/// UART pads: 0x1B0B1 (as on the i.MX6Q).
pub const UART_PAD: PadCtl = PadCtl(0x1_B0B1);
/// I2C pads: 0x1B8B0 (100 kΩ pull-up, open drain, hysteresis, 40 Ω, slow slew).
pub const I2C_PAD: PadCtl = PadCtl(0x1_B8B0);
/// SAI2 clock and MCLK pads: 0x17088 (the EVK device tree value).
pub const SAI_CLOCK_PAD: PadCtl = PadCtl(0x1_7088);
/// SAI2 data pads: 0x11088.
pub const SAI_DATA_PAD: PadCtl = PadCtl(0x1_1088);

/// UART1 (the EVK console) on the UART1_TX_DATA / UART1_RX_DATA pads, ALT0.
pub const EVK_UART1: [PadSetting; 2] = [
    PadSetting {
        name: "UART1_TX (UART1_TX_DATA)",
        mux_offset: 0x084,
        mux: 0,
        pad_offset: 0x310,
        pad: UART_PAD,
        input_select: None,
    },
    PadSetting {
        name: "UART1_RX (UART1_RX_DATA)",
        mux_offset: 0x088,
        mux: 0,
        pad_offset: 0x314,
        pad: UART_PAD,
        input_select: Some((0x624, 3)),
    },
];

/// I2C2 (the codec bus) on the UART5 pads, ALT2 with SION.
pub const EVK_I2C2: [PadSetting; 2] = [
    PadSetting {
        name: "I2C2_SCL (UART5_TX_DATA)",
        mux_offset: 0x0BC,
        mux: 2 | SION,
        pad_offset: 0x348,
        pad: I2C_PAD,
        input_select: Some((0x5AC, 2)),
    },
    PadSetting {
        name: "I2C2_SDA (UART5_RX_DATA)",
        mux_offset: 0x0C0,
        mux: 2 | SION,
        pad_offset: 0x34C,
        pad: I2C_PAD,
        input_select: Some((0x5B0, 2)),
    },
];

/// SAI2 (the codec's I2S port) on the JTAG pads, ALT2: bit clock, frame sync, TX
/// data, RX data, MCLK.
pub const EVK_SAI2: [PadSetting; 5] = [
    PadSetting {
        name: "SAI2_TX_BCLK (JTAG_TDI)",
        mux_offset: 0x050,
        mux: 2,
        pad_offset: 0x2DC,
        pad: SAI_CLOCK_PAD,
        input_select: Some((0x5F8, 0)),
    },
    PadSetting {
        name: "SAI2_TX_SYNC (JTAG_TDO)",
        mux_offset: 0x04C,
        mux: 2,
        pad_offset: 0x2D8,
        pad: SAI_CLOCK_PAD,
        input_select: Some((0x5FC, 0)),
    },
    PadSetting {
        name: "SAI2_TX_DATA (JTAG_TRST_B)",
        mux_offset: 0x058,
        mux: 2,
        pad_offset: 0x2E4,
        pad: SAI_DATA_PAD,
        input_select: None,
    },
    PadSetting {
        name: "SAI2_RX_DATA (JTAG_TCK)",
        mux_offset: 0x054,
        mux: 2,
        pad_offset: 0x2E0,
        pad: SAI_DATA_PAD,
        input_select: Some((0x5F4, 0)),
    },
    PadSetting {
        name: "SAI2_MCLK (JTAG_TMS)",
        mux_offset: 0x048,
        mux: 2,
        pad_offset: 0x2D4,
        pad: SAI_CLOCK_PAD,
        input_select: Some((0x5F0, 0)),
    },
];
