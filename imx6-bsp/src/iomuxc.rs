//! IOMUX controller: pad function selection, pad electrical settings and input
//! ("daisy chain") selection, with the SabreLite audio, I2C1 and console pads.
//!
//! A pad is set up by three registers: the **mux** register picks the function (ALT
//! mode, plus SION to force the input path on), the **pad control** register sets pulls,
//! keeper, drive strength, speed and slew rate, and, when several pads can feed the
//! same peripheral input, a **select input** register chooses which pad does.
//! [`Iomuxc::configure`] writes them in the order select input, pad control, mux: the
//! peripheral function is connected last, so the pin never drives or samples with a
//! stale electrical setting or a wrong input path.
//!
//! Offsets are i.MX6Quad/Dual (`imx6q-pinfunc.h`); i.MX6DL/Solo uses different ones.
//! Values: `docs/hardware-facts.md#iomuxc`. QEMU does not emulate the
//! IOMUXC (reads as zero, writes ignored).

use crate::mmio::Mmio;

/// Physical base address of the IOMUXC.
pub const IOMUXC_BASE: usize = crate::memory_map::IOMUXC;

/// Mux register bit 4: force the input path on whatever the ALT mode (needed for I2C,
/// whose controller reads back SDA/SCL).
pub const SION: u32 = 1 << 4;

/// Pad control register builder (fields from the reference's pad control bit list).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PadCtl(pub u32);

/// Pull/keeper selection for [`PadCtl`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pull {
    /// Neither pull nor keeper.
    None,
    /// Keeper enabled (PKE = 1, PUE = 0).
    Keeper,
    /// 100 kΩ pull-down.
    Down100k,
    /// 47 kΩ pull-up.
    Up47k,
    /// 100 kΩ pull-up.
    Up100k,
    /// 22 kΩ pull-up.
    Up22k,
}

impl PadCtl {
    const HYS: u32 = 1 << 16;
    const PUS_SHIFT: u32 = 14;
    const PUE: u32 = 1 << 13;
    const PKE: u32 = 1 << 12;
    const ODE: u32 = 1 << 11;
    const SPEED_SHIFT: u32 = 6;
    const DSE_SHIFT: u32 = 3;
    const SRE: u32 = 1 << 0;

    /// A pad setting from its fields.
    ///
    /// `speed` is the 2-bit SPEED field, `drive` the 3-bit DSE field (6 = 40 Ω); larger
    /// values are truncated to the field width.
    pub const fn new(
        pull: Pull,
        hysteresis: bool,
        open_drain: bool,
        speed: u8,
        drive: u8,
        fast_slew: bool,
    ) -> Self {
        let pull_bits = match pull {
            Pull::None => 0,
            Pull::Keeper => Self::PKE,
            Pull::Down100k => Self::PKE | Self::PUE,
            Pull::Up47k => Self::PKE | Self::PUE | (1 << Self::PUS_SHIFT),
            Pull::Up100k => Self::PKE | Self::PUE | (2 << Self::PUS_SHIFT),
            Pull::Up22k => Self::PKE | Self::PUE | (3 << Self::PUS_SHIFT),
        };
        let mut v = pull_bits
            | (((speed & 0b11) as u32) << Self::SPEED_SHIFT)
            | (((drive & 0b111) as u32) << Self::DSE_SHIFT);
        if hysteresis {
            v |= Self::HYS;
        }
        if open_drain {
            v |= Self::ODE;
        }
        if fast_slew {
            v |= Self::SRE;
        }
        PadCtl(v)
    }
}

/// Everything needed to set up one pad.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PadSetting {
    /// Signal name, for reports.
    pub name: &'static str,
    /// Offset of the mux register.
    pub mux_offset: usize,
    /// Value of the mux register (ALT mode, possibly with [`SION`]).
    pub mux: u32,
    /// Offset of the pad control register.
    pub pad_offset: usize,
    /// Value of the pad control register.
    pub pad: PadCtl,
    /// Select-input register offset and value, if the signal has one.
    pub input_select: Option<(usize, u32)>,
}

/// Audio pad setting used by Linux for AUD4 (100 kΩ pull-down, hysteresis, 40 Ω,
/// medium speed): 0x130B0.
pub const AUDIO_PAD: PadCtl = PadCtl::new(Pull::Down100k, true, false, 2, 6, false);
/// AUD4_TXD setting (keeper instead of pull): 0x110B0.
pub const AUDIO_TXD_PAD: PadCtl = PadCtl::new(Pull::Keeper, true, false, 2, 6, false);
/// CLKO1 (codec MCLK) setting: 0x030B0.
pub const MCLK_PAD: PadCtl = PadCtl::new(Pull::Down100k, false, false, 2, 6, false);
/// I2C setting: 100 kΩ pull-up, open drain, hysteresis, 40 Ω, fast slew: 0x1B8B1.
pub const I2C_PAD: PadCtl = PadCtl::new(Pull::Up100k, true, true, 2, 6, true);
/// UART setting: 0x1B0B1.
pub const UART_PAD: PadCtl = PadCtl::new(Pull::Up100k, true, false, 2, 6, true);

/// SabreLite AUD4 (the codec's I2S port, AUDMUX external port 4) on the SD2 pads.
pub const SABRELITE_AUD4: [PadSetting; 4] = [
    PadSetting {
        name: "AUD4_RXD (SD2_DAT0)",
        mux_offset: 0x054,
        mux: 3,
        pad_offset: 0x368,
        pad: AUDIO_PAD,
        input_select: Some((0x7B4, 0)),
    },
    PadSetting {
        name: "AUD4_TXC (SD2_DAT3)",
        mux_offset: 0x35C,
        mux: 3,
        pad_offset: 0x744,
        pad: AUDIO_PAD,
        input_select: Some((0x7C4, 1)),
    },
    PadSetting {
        name: "AUD4_TXD (SD2_DAT2)",
        mux_offset: 0x050,
        mux: 3,
        pad_offset: 0x364,
        pad: AUDIO_TXD_PAD,
        input_select: Some((0x7B8, 0)),
    },
    PadSetting {
        name: "AUD4_TXFS (SD2_DAT1)",
        mux_offset: 0x04C,
        mux: 3,
        pad_offset: 0x360,
        pad: AUDIO_PAD,
        input_select: Some((0x7C8, 0)),
    },
];

/// SabreLite codec MCLK: `CCM_CLKO1` on GPIO_0 (ALT0).
pub const SABRELITE_MCLK: PadSetting = PadSetting {
    name: "CCM_CLKO1 (GPIO_0)",
    mux_offset: 0x220,
    mux: 0,
    pad_offset: 0x5F0,
    pad: MCLK_PAD,
    input_select: None,
};

/// SabreLite I2C1 (codec control bus): SCL on EIM_D21 (ALT6), SDA on EIM_D28 (ALT1),
/// both with SION.
pub const SABRELITE_I2C1: [PadSetting; 2] = [
    PadSetting {
        name: "I2C1_SCL (EIM_D21)",
        mux_offset: 0x0A4,
        mux: 6 | SION,
        pad_offset: 0x3B8,
        pad: I2C_PAD,
        input_select: Some((0x898, 0)),
    },
    PadSetting {
        name: "I2C1_SDA (EIM_D28)",
        mux_offset: 0x0C4,
        mux: 1 | SION,
        pad_offset: 0x3D8,
        pad: I2C_PAD,
        input_select: Some((0x89C, 0)),
    },
];

/// I2C1 pads switched to GPIO (ALT5: GPIO3_IO21 = SCL, GPIO3_IO28 = SDA) for bus
/// recovery: clocking out a slave that holds SDA low. Only the mux changes.
pub const SABRELITE_I2C1_RECOVERY_GPIO: [(usize, u32); 2] = [(0x0A4, 5), (0x0C4, 5)];

/// SabreLite console UART2 on EIM_D26 (TX) / EIM_D27 (RX), ALT4.
pub const SABRELITE_UART2: [PadSetting; 2] = [
    PadSetting {
        name: "UART2_TX (EIM_D26)",
        mux_offset: 0x0BC,
        mux: 4,
        pad_offset: 0x3D0,
        pad: UART_PAD,
        input_select: None,
    },
    PadSetting {
        name: "UART2_RX (EIM_D27)",
        mux_offset: 0x0C0,
        mux: 4,
        pad_offset: 0x3D4,
        pad: UART_PAD,
        input_select: Some((0x928, 1)),
    },
];

/// The IOMUXC driver.
#[derive(Debug)]
pub struct Iomuxc<M: Mmio> {
    regs: M,
}

impl<M: Mmio> Iomuxc<M> {
    /// Wraps the IOMUXC register block.
    pub const fn new(regs: M) -> Self {
        Self { regs }
    }

    /// Gives the register block back.
    pub fn free(self) -> M {
        self.regs
    }

    /// Sets up one pad: select input (if any), then pad control, then mux.
    pub fn configure(&self, pad: &PadSetting) {
        if let Some((offset, value)) = pad.input_select {
            self.regs.write32(offset, value);
        }
        self.regs.write32(pad.pad_offset, pad.pad.0);
        self.regs.write32(pad.mux_offset, pad.mux);
    }

    /// Sets up several pads, in order.
    pub fn configure_all(&self, pads: &[PadSetting]) {
        for pad in pads {
            self.configure(pad);
        }
    }

    /// Sets up every pad of the SabreLite audio path: MCLK, AUD4 and I2C1.
    pub fn configure_sabrelite_audio(&self) {
        self.configure(&SABRELITE_MCLK);
        self.configure_all(&SABRELITE_AUD4);
        self.configure_all(&SABRELITE_I2C1);
    }

    /// Switches the I2C1 pads to GPIO for bus recovery. Call
    /// [`configure_all`](Self::configure_all) with [`SABRELITE_I2C1`] to switch back.
    pub fn i2c1_to_gpio(&self) {
        for (offset, value) in SABRELITE_I2C1_RECOVERY_GPIO {
            self.regs.write32(offset, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pad_builder_reproduces_linux_values() {
        assert_eq!(AUDIO_PAD.0, 0x130B0);
        assert_eq!(AUDIO_TXD_PAD.0, 0x110B0);
        assert_eq!(MCLK_PAD.0, 0x030B0);
        assert_eq!(I2C_PAD.0, 0x1B8B1);
        assert_eq!(UART_PAD.0, 0x1B0B1);
    }

    #[test]
    fn i2c_mux_values_include_sion() {
        assert_eq!(SABRELITE_I2C1[0].mux, 0x16);
        assert_eq!(SABRELITE_I2C1[1].mux, 0x11);
    }
}
