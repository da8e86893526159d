//! SGTL5000 audio codec, over any `embedded-hal` 1.0 I2C bus.
//!
//! # Bus protocol
//!
//! Registers are 16 bits wide at even 16-bit addresses, everything MSB first. A write
//! is one I2C write of `[reg_hi, reg_lo, val_hi, val_lo]`; a read is a `write_read` of
//! `[reg_hi, reg_lo]` then 2 bytes (repeated START in between). The codec has no reset
//! pin and no soft reset, so [`Sgtl5000::power_up`] rewrites every register it relies
//! on.
//!
//! # Sequences (`docs/hardware-facts.md#sgtl5000`, Linux `sgtl5000.c` order)
//!
//! * [`power_up`](Sgtl5000::power_up): wait ≥ 8 MCLK periods, check `CHIP_ID`, park
//!   the clocks (`CLK_CTRL = 0x0008`) with every output muted (`ANA_CTRL = 0x0133`); if
//!   a warm boot left VAG on, turn it off and wait 500 ms (pop avoidance); internal
//!   VDDD regulator at 1.2 V (`LINREG_CTRL = 0x0008`, `ANA_POWER = 0x7260`); restore
//!   defaults; reference and line-out bias from the supplies (SabreLite: `REF_CTRL =
//!   0x0120`, `LINE_OUT_CTRL = 0x0322`, `LINE_OUT_VOL = 0x0303`); then `SMALL_POP`,
//!   `SHORT_CTRL = 0`, `DIG_POWER = 0x0060`, `ADCDAC_CTRL = 0x020C`, `PAD_STRENGTH =
//!   0x015F`, `ANA_CTRL = 0x0133`, `MIC_CTRL = 0x0200`, `ADCDAC_CTRL = 0x0200`.
//! * [`configure_stream`](Sgtl5000::configure_stream): clocks (PLL when MCLK is not
//!   256/384/512 × fs: `CLK_TOP_CTRL`, `PLL_CTRL`, power the PLL, **then** `CLK_CTRL`),
//!   then `I2S_CTRL` (SabreLite 48 kHz S16: `CLK_CTRL = 0x000B`, `PLL_CTRL = 0x8312`,
//!   `CLK_TOP_CTRL = 0x0008`, `I2S_CTRL = 0x01B0`).
//! * [`enable_playback`](Sgtl5000::enable_playback), [`enable_capture`](Sgtl5000::enable_capture),
//!   [`route_line_in_to_headphone`](Sgtl5000::route_line_in_to_headphone): power steps
//!   with the headphone muted around them.
//! * [`power_down`](Sgtl5000::power_down): mute, VAG off, wait 500 ms, drop the rest.
//!
//! # Timing
//!
//! Each register access is one I2C transaction (6 bytes on the wire for a write, 7 for
//! a read: about 0.7 ms at 86 kHz). `power_up` waits 500 ms only on a warm boot with
//! VAG on; `power_down` always waits 500 ms. The waits use the caller's
//! [`DelayNs`]. The PLL lock is not polled (Linux does not either).

use embedded_hal::delay::DelayNs;
use embedded_hal::i2c::I2c;

/// 7-bit I2C address with `CTRL_ADR0_CS` low (the SabreLite wiring).
pub const DEFAULT_ADDRESS: u8 = 0x0A;

/// `CHIP_ID[15:8]` of every SGTL5000.
pub const PART_ID: u8 = 0xA0;

/// How long VAG needs to ramp down before the analog blocks can be cut without a pop.
pub const VAG_RAMP_MS: u32 = 500;

/// Register addresses.
pub mod reg {
    /// Part ID and revision.
    pub const CHIP_ID: u16 = 0x0000;
    /// Digital block power.
    pub const DIG_POWER: u16 = 0x0002;
    /// Sample rate and MCLK mode.
    pub const CLK_CTRL: u16 = 0x0004;
    /// I2S format.
    pub const I2S_CTRL: u16 = 0x0006;
    /// Digital routing.
    pub const SSS_CTRL: u16 = 0x000A;
    /// ADC/DAC control (DAC mutes, volume ramp).
    pub const ADCDAC_CTRL: u16 = 0x000E;
    /// DAC digital volume.
    pub const DAC_VOL: u16 = 0x0010;
    /// I/O pad drive strength.
    pub const PAD_STRENGTH: u16 = 0x0014;
    /// ADC analog gain.
    pub const ANA_ADC_CTRL: u16 = 0x0020;
    /// Headphone volume.
    pub const ANA_HP_CTRL: u16 = 0x0022;
    /// Analog routing and mutes.
    pub const ANA_CTRL: u16 = 0x0024;
    /// Internal regulator.
    pub const LINREG_CTRL: u16 = 0x0026;
    /// Reference voltages.
    pub const REF_CTRL: u16 = 0x0028;
    /// Microphone bias and gain.
    pub const MIC_CTRL: u16 = 0x002A;
    /// Line-out bias.
    pub const LINE_OUT_CTRL: u16 = 0x002C;
    /// Line-out volume.
    pub const LINE_OUT_VOL: u16 = 0x002E;
    /// Analog power.
    pub const ANA_POWER: u16 = 0x0030;
    /// PLL dividers.
    pub const PLL_CTRL: u16 = 0x0032;
    /// Clock top control (PLL input divider).
    pub const CLK_TOP_CTRL: u16 = 0x0034;
    /// Analog status (PLL lock, shorts).
    pub const ANA_STATUS: u16 = 0x0036;
    /// Headphone short detection.
    pub const SHORT_CTRL: u16 = 0x003C;
}

/// `DIG_POWER` bits.
pub mod dig_power {
    /// ADC enable.
    pub const ADC_EN: u16 = 1 << 6;
    /// DAC enable.
    pub const DAC_EN: u16 = 1 << 5;
    /// I2S output (codec to SoC) power.
    pub const I2S_OUT_POWERUP: u16 = 1 << 1;
    /// I2S input (SoC to codec) power.
    pub const I2S_IN_POWERUP: u16 = 1 << 0;
}

/// `ANA_POWER` bits.
pub mod ana_power {
    /// DAC stereo.
    pub const DAC_STEREO: u16 = 1 << 14;
    /// Simple (low-power) linear regulator.
    pub const LINREG_SIMPLE: u16 = 1 << 13;
    /// Start-up power supply.
    pub const STARTUP: u16 = 1 << 12;
    /// Charge pump for VDDC.
    pub const VDDC_CHRGPMP: u16 = 1 << 11;
    /// PLL power.
    pub const PLL: u16 = 1 << 10;
    /// Internal VDDD regulator.
    pub const LINEREG_D: u16 = 1 << 9;
    /// PLL VCO amplifier.
    pub const VCOAMP: u16 = 1 << 8;
    /// VAG reference buffer.
    pub const VAG: u16 = 1 << 7;
    /// ADC stereo.
    pub const ADC_STEREO: u16 = 1 << 6;
    /// Reference bias.
    pub const REFTOP: u16 = 1 << 5;
    /// Headphone amplifier.
    pub const HP: u16 = 1 << 4;
    /// DAC.
    pub const DAC: u16 = 1 << 3;
    /// Capless headphone mode.
    pub const CAPLESS_HP: u16 = 1 << 2;
    /// ADC.
    pub const ADC: u16 = 1 << 1;
    /// Line out.
    pub const LINE_OUT: u16 = 1 << 0;
}

/// `ANA_CTRL` bits.
pub mod ana_ctrl {
    /// Line-out mute.
    pub const LINE_OUT_MUTE: u16 = 1 << 8;
    /// Headphone source: 0 = DAC, 1 = LINE_IN (analog bypass).
    pub const HP_SEL_LINE_IN: u16 = 1 << 6;
    /// Headphone zero-cross detect.
    pub const HP_ZCD: u16 = 1 << 5;
    /// Headphone mute.
    pub const HP_MUTE: u16 = 1 << 4;
    /// ADC source: 0 = microphone, 1 = LINE_IN.
    pub const ADC_SEL_LINE_IN: u16 = 1 << 2;
    /// ADC zero-cross detect.
    pub const ADC_ZCD: u16 = 1 << 1;
    /// ADC mute.
    pub const ADC_MUTE: u16 = 1 << 0;
}

/// `ADCDAC_CTRL` bits.
pub mod adcdac_ctrl {
    /// DAC volume ramp.
    pub const DAC_VOL_RAMP_EN: u16 = 1 << 9;
    /// DAC right mute.
    pub const DAC_MUTE_RIGHT: u16 = 1 << 3;
    /// DAC left mute.
    pub const DAC_MUTE_LEFT: u16 = 1 << 2;
}

/// `REF_CTRL` small-pop bit.
pub const REF_CTRL_SMALL_POP: u16 = 1 << 0;
/// `CLK_TOP_CTRL` PLL input divide-by-2.
pub const CLK_TOP_INPUT_FREQ_DIV2: u16 = 1 << 3;

/// Register defaults (datasheet reset values) that [`Sgtl5000::power_up`] restores,
/// for a warm start. Registers the sequence writes explicitly later are left out.
pub const RESET_DEFAULTS: [(u16, u16); 7] = [
    (reg::I2S_CTRL, 0x0010),
    (reg::SSS_CTRL, 0x0010),
    (reg::DAC_VOL, 0x3C3C),
    (reg::ANA_ADC_CTRL, 0x0000),
    (reg::ANA_HP_CTRL, 0x1818),
    (reg::PLL_CTRL, 0x5000),
    (reg::CLK_TOP_CTRL, 0x0000),
];

/// Codec errors, generic over the bus error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error<E> {
    /// The I2C transfer failed (on QEMU: a NACK, no codec is modelled).
    I2c(E),
    /// `CHIP_ID` did not carry the SGTL5000 part ID.
    WrongPartId {
        /// The full `CHIP_ID` value read.
        chip_id: u16,
    },
    /// No clock configuration for this MCLK and rate.
    Clock(ClockError),
    /// A volume outside the register's range (value in half-dB steps).
    VolumeOutOfRange(i16),
}

/// Clock planning errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClockError {
    /// MCLK outside the 8..=27 MHz the codec accepts.
    MclkOutOfRange(u32),
    /// MCLK is not 256/384/512 × fs, and the PLL may only be used when the codec is the
    /// I2S master (its output clocks then follow the PLL).
    PllRequiresCodecMaster,
    /// The PLL cannot produce the needed frequency from this MCLK.
    PllOutOfRange(u32),
}

/// Chip identification.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChipId {
    /// Part ID, always [`PART_ID`].
    pub part: u8,
    /// Silicon revision.
    pub revision: u8,
}

/// Supply voltages, from which the analog references are derived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Supplies {
    /// VDDA in millivolts.
    pub vdda_mv: u16,
    /// VDDIO in millivolts.
    pub vddio_mv: u16,
}

impl Supplies {
    /// SabreLite: VDDA 2.5 V, VDDIO 3.3 V, internal VDDD.
    pub const SABRELITE: Supplies = Supplies {
        vdda_mv: 2500,
        vddio_mv: 3300,
    };

    /// `REF_CTRL.VAG_VAL`: VAG = VDDA / 2, coded as 0.8 V + n × 25 mV, n ≤ 31.
    pub const fn vag_code(self) -> u16 {
        bias_code(self.vdda_mv / 2, 0x1F)
    }

    /// `LINE_OUT_CTRL.LO_VAGCNTRL`: line-out bias = VDDIO / 2, 0.8 V + n × 25 mV.
    pub const fn line_out_vag_code(self) -> u16 {
        bias_code(self.vddio_mv / 2, 0x3F)
    }
}

const fn bias_code(mv: u16, max: u16) -> u16 {
    if mv <= 800 {
        return 0;
    }
    let n = (mv - 800) / 25;
    if n > max {
        max
    } else {
        n
    }
}

/// Sample rates the codec supports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SampleRate {
    /// 8 kHz (32 kHz ÷ 4).
    Hz8000,
    /// 11.025 kHz (44.1 kHz ÷ 4).
    Hz11025,
    /// 16 kHz (32 kHz ÷ 2).
    Hz16000,
    /// 22.05 kHz (44.1 kHz ÷ 2).
    Hz22050,
    /// 32 kHz.
    Hz32000,
    /// 44.1 kHz.
    Hz44100,
    /// 48 kHz.
    Hz48000,
    /// 96 kHz.
    Hz96000,
}

impl SampleRate {
    /// The rate for a frequency in Hz, if supported.
    pub const fn from_hz(hz: u32) -> Option<Self> {
        Some(match hz {
            8000 => SampleRate::Hz8000,
            11025 => SampleRate::Hz11025,
            16000 => SampleRate::Hz16000,
            22050 => SampleRate::Hz22050,
            32000 => SampleRate::Hz32000,
            44100 => SampleRate::Hz44100,
            48000 => SampleRate::Hz48000,
            96000 => SampleRate::Hz96000,
            _ => return None,
        })
    }

    /// (SYS_FS field, SYS_FS in Hz, RATE_MODE field).
    const fn fields(self) -> (u16, u32, u16) {
        match self {
            SampleRate::Hz8000 => (0, 32_000, 2),
            SampleRate::Hz11025 => (1, 44_100, 2),
            SampleRate::Hz16000 => (0, 32_000, 1),
            SampleRate::Hz22050 => (1, 44_100, 1),
            SampleRate::Hz32000 => (0, 32_000, 0),
            SampleRate::Hz44100 => (1, 44_100, 0),
            SampleRate::Hz48000 => (2, 48_000, 0),
            SampleRate::Hz96000 => (3, 96_000, 0),
        }
    }
}

/// Sample width on the I2S bus.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SampleWidth {
    /// 16 bits, 32 bit clocks per frame.
    Bits16,
    /// 20 bits, 64 bit clocks per frame.
    Bits20,
    /// 24 bits, 64 bit clocks per frame.
    Bits24,
    /// 32 bits, 64 bit clocks per frame.
    Bits32,
}

/// The PLL part of a clock plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PllSetting {
    /// `PLL_CTRL`: INT `[15:11]`, FRAC `[10:0]`.
    pub pll_ctrl: u16,
    /// `CLK_TOP_CTRL` (input divide-by-2 when MCLK > 17 MHz).
    pub clk_top_ctrl: u16,
}

/// Register values for a sample rate from a given MCLK.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClockPlan {
    /// `CLK_CTRL`.
    pub clk_ctrl: u16,
    /// PLL settings, if the PLL is needed.
    pub pll: Option<PllSetting>,
}

/// Computes the clock registers for `rate` from `mclk_hz`.
///
/// Without the PLL, MCLK must be 256, 384 or 512 × SYS_FS. Otherwise the PLL makes
/// 196.608 MHz (48 kHz family) or 180.6336 MHz (44.1 kHz family) from MCLK (halved
/// first when above 17 MHz), which is allowed only when the codec is the I2S master.
pub const fn clock_plan(
    mclk_hz: u32,
    rate: SampleRate,
    codec_master: bool,
) -> Result<ClockPlan, ClockError> {
    if mclk_hz < 8_000_000 || mclk_hz > 27_000_000 {
        return Err(ClockError::MclkOutOfRange(mclk_hz));
    }
    let (sys_fs, sys_fs_hz, rate_mode) = rate.fields();
    let base = (rate_mode << 4) | (sys_fs << 2);
    let mclk_freq = if mclk_hz == 256 * sys_fs_hz {
        Some(0)
    } else if mclk_hz == 384 * sys_fs_hz {
        Some(1)
    } else if mclk_hz == 512 * sys_fs_hz {
        Some(2)
    } else {
        None
    };
    if let Some(m) = mclk_freq {
        return Ok(ClockPlan {
            clk_ctrl: base | m,
            pll: None,
        });
    }
    if !codec_master {
        return Err(ClockError::PllRequiresCodecMaster);
    }
    let (input, clk_top_ctrl) = if mclk_hz > 17_000_000 {
        (mclk_hz / 2, CLK_TOP_INPUT_FREQ_DIV2)
    } else {
        (mclk_hz, 0)
    };
    let out: u32 = if sys_fs_hz == 44_100 {
        180_633_600
    } else {
        196_608_000
    };
    let int = out / input;
    if int > 0x1F {
        return Err(ClockError::PllOutOfRange(mclk_hz));
    }
    let frac = ((out % input) as u64 * 2048 / input as u64) as u16;
    Ok(ClockPlan {
        clk_ctrl: base | 3,
        pll: Some(PllSetting {
            pll_ctrl: ((int as u16) << 11) | frac,
            clk_top_ctrl,
        }),
    })
}

/// `I2S_CTRL` for a format: I2S (MSB one bit after LRCLK), 32 × fs bit clock for
/// 16-bit samples and 64 × fs otherwise.
pub const fn i2s_ctrl(width: SampleWidth, codec_master: bool) -> u16 {
    let (dlen, sclk_32fs) = match width {
        SampleWidth::Bits16 => (3, true),
        SampleWidth::Bits20 => (2, false),
        SampleWidth::Bits24 => (1, false),
        SampleWidth::Bits32 => (0, false),
    };
    let mut v = dlen << 4;
    if sclk_32fs {
        v |= 1 << 8;
    }
    if codec_master {
        v |= 1 << 7;
    }
    v
}

/// A stream format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamFormat {
    /// Codec MCLK in Hz.
    pub mclk_hz: u32,
    /// Sample rate.
    pub rate: SampleRate,
    /// Sample width.
    pub width: SampleWidth,
    /// Whether the codec drives BCLK and LRCLK (SabreLite: yes).
    pub codec_master: bool,
}

impl StreamFormat {
    /// SabreLite default: 24 MHz MCLK, 48 kHz, 16-bit, codec master.
    pub const SABRELITE_48K_S16: StreamFormat = StreamFormat {
        mclk_hz: 24_000_000,
        rate: SampleRate::Hz48000,
        width: SampleWidth::Bits16,
        codec_master: true,
    };
}

/// Capture source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaptureInput {
    /// Microphone input with bias (4 kΩ, 1.25 V) and the given preamp gain.
    Mic(MicGain),
    /// LINE_IN (whether the SabreLite brings it out is unverified).
    LineIn,
}

/// Microphone preamplifier gain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MicGain {
    /// 0 dB.
    Db0,
    /// +20 dB.
    Db20,
    /// +30 dB.
    Db30,
    /// +40 dB.
    Db40,
}

impl MicGain {
    const fn bits(self) -> u16 {
        match self {
            MicGain::Db0 => 0,
            MicGain::Db20 => 1,
            MicGain::Db30 => 2,
            MicGain::Db40 => 3,
        }
    }
}

/// `MIC_CTRL` bias resistor 4 kΩ, bias voltage 1.25 V (what Linux programs).
pub const MIC_CTRL_BIAS_4K: u16 = 0x0200;

/// Headphone volume code for a gain in half-dB steps: +24 (= +12 dB) down to -103
/// (= -51.5 dB), 0 = 0 dB.
pub const fn headphone_volume_code(half_db: i16) -> Option<u16> {
    if half_db > 24 || half_db < -103 {
        None
    } else {
        Some((0x18 - half_db) as u16)
    }
}

/// DAC volume code for a gain in half-dB steps: 0 (= 0 dB) down to -180 (= -90 dB).
pub const fn dac_volume_code(half_db: i16) -> Option<u16> {
    if half_db > 0 || half_db < -180 {
        None
    } else {
        Some((0x3C - half_db) as u16)
    }
}

/// The SGTL5000 driver.
#[derive(Debug)]
pub struct Sgtl5000<I> {
    i2c: I,
    address: u8,
}

impl<I: I2c> Sgtl5000<I> {
    /// A codec at `address` on `i2c`. Does no I/O.
    pub const fn new(i2c: I, address: u8) -> Self {
        Self { i2c, address }
    }

    /// Gives the bus back.
    pub fn free(self) -> I {
        self.i2c
    }

    /// Reads one register.
    pub fn read(&mut self, register: u16) -> Result<u16, Error<I::Error>> {
        let mut value = [0u8; 2];
        self.i2c
            .write_read(self.address, &register.to_be_bytes(), &mut value)
            .map_err(Error::I2c)?;
        Ok(u16::from_be_bytes(value))
    }

    /// Writes one register.
    pub fn write(&mut self, register: u16, value: u16) -> Result<(), Error<I::Error>> {
        let [r0, r1] = register.to_be_bytes();
        let [v0, v1] = value.to_be_bytes();
        self.i2c
            .write(self.address, &[r0, r1, v0, v1])
            .map_err(Error::I2c)
    }

    /// Read-modify-write: clears `clear`, sets `set`. Skips the write when nothing
    /// changes.
    pub fn modify(&mut self, register: u16, clear: u16, set: u16) -> Result<u16, Error<I::Error>> {
        let old = self.read(register)?;
        let new = (old & !clear) | set;
        if new != old {
            self.write(register, new)?;
        }
        Ok(new)
    }

    /// Reads `CHIP_ID` and checks the part ID. The codec's MCLK must be running.
    pub fn probe(&mut self) -> Result<ChipId, Error<I::Error>> {
        let chip_id = self.read(reg::CHIP_ID)?;
        let [part, revision] = chip_id.to_be_bytes();
        if part != PART_ID {
            return Err(Error::WrongPartId { chip_id });
        }
        Ok(ChipId { part, revision })
    }

    /// Probes the codec and brings it to its idle powered state (see the module docs
    /// for the exact sequence). MCLK must be running before this is called.
    pub fn power_up(
        &mut self,
        supplies: Supplies,
        delay: &mut impl DelayNs,
    ) -> Result<ChipId, Error<I::Error>> {
        // At least 8 MCLK periods after MCLK starts (1 µs covers MCLK >= 8 MHz).
        delay.delay_us(1);
        let id = self.probe()?;
        self.write(reg::CLK_CTRL, 0x0008)?;
        self.write(reg::ANA_CTRL, 0x0133)?;
        let power = self.read(reg::ANA_POWER)?;
        if power & ana_power::VAG != 0 {
            self.write(reg::ANA_POWER, power & !ana_power::VAG)?;
            delay.delay_ms(VAG_RAMP_MS);
        }
        // Internal VDDD regulator at 1.2 V; VDDIO >= 3.1 V, so no charge pump.
        self.write(reg::LINREG_CTRL, 0x0008)?;
        self.write(
            reg::ANA_POWER,
            ana_power::DAC_STEREO
                | ana_power::LINREG_SIMPLE
                | ana_power::STARTUP
                | ana_power::LINEREG_D
                | ana_power::ADC_STEREO
                | ana_power::REFTOP,
        )?;
        for (register, value) in RESET_DEFAULTS {
            self.write(register, value)?;
        }
        let ref_ctrl = supplies.vag_code() << 4;
        self.write(reg::REF_CTRL, ref_ctrl)?;
        // 0.36 mA line-out bias current, line-out VAG from VDDIO.
        self.write(reg::LINE_OUT_CTRL, (3 << 8) | supplies.line_out_vag_code())?;
        self.write(reg::LINE_OUT_VOL, 0x0303)?;
        self.write(reg::REF_CTRL, ref_ctrl | REF_CTRL_SMALL_POP)?;
        self.write(reg::SHORT_CTRL, 0)?;
        self.write(reg::DIG_POWER, dig_power::ADC_EN | dig_power::DAC_EN)?;
        self.write(
            reg::ADCDAC_CTRL,
            adcdac_ctrl::DAC_VOL_RAMP_EN | adcdac_ctrl::DAC_MUTE_RIGHT | adcdac_ctrl::DAC_MUTE_LEFT,
        )?;
        self.write(reg::PAD_STRENGTH, 0x015F)?;
        self.write(reg::ANA_CTRL, 0x0133)?;
        self.write(reg::MIC_CTRL, MIC_CTRL_BIAS_4K)?;
        self.write(reg::ADCDAC_CTRL, adcdac_ctrl::DAC_VOL_RAMP_EN)?;
        Ok(id)
    }

    /// Programs clocks and the I2S format for a stream. Returns the clock plan used.
    pub fn configure_stream(
        &mut self,
        format: &StreamFormat,
    ) -> Result<ClockPlan, Error<I::Error>> {
        let plan =
            clock_plan(format.mclk_hz, format.rate, format.codec_master).map_err(Error::Clock)?;
        match plan.pll {
            Some(pll) => {
                self.write(reg::CLK_TOP_CTRL, pll.clk_top_ctrl)?;
                self.write(reg::PLL_CTRL, pll.pll_ctrl)?;
                self.modify(reg::ANA_POWER, 0, ana_power::PLL | ana_power::VCOAMP)?;
                self.write(reg::CLK_CTRL, plan.clk_ctrl)?;
            }
            None => {
                // Leave the PLL in the reverse order: switch the clock first.
                self.write(reg::CLK_CTRL, plan.clk_ctrl)?;
                self.modify(reg::ANA_POWER, ana_power::PLL | ana_power::VCOAMP, 0)?;
            }
        }
        self.write(reg::I2S_CTRL, i2s_ctrl(format.width, format.codec_master))?;
        Ok(plan)
    }

    /// I2S input -> DAC -> headphone. The headphone is muted during the power steps
    /// and unmuted at the end; the DAC mutes are cleared.
    pub fn enable_playback(&mut self) -> Result<(), Error<I::Error>> {
        self.modify(reg::ANA_CTRL, 0, ana_ctrl::HP_MUTE)?;
        // DAC_SEL = I2S_IN, I2S_OUT_SEL = ADC.
        self.modify(reg::SSS_CTRL, 0x3 << 4 | 0x3, 1 << 4)?;
        self.modify(
            reg::DIG_POWER,
            0,
            dig_power::I2S_IN_POWERUP | dig_power::DAC_EN,
        )?;
        self.modify(reg::ANA_POWER, 0, ana_power::DAC)?;
        self.modify(reg::ANA_CTRL, ana_ctrl::HP_SEL_LINE_IN, 0)?;
        self.modify(reg::ANA_POWER, 0, ana_power::HP)?;
        self.modify(reg::ANA_POWER, 0, ana_power::VAG)?;
        self.modify(
            reg::ADCDAC_CTRL,
            adcdac_ctrl::DAC_MUTE_LEFT | adcdac_ctrl::DAC_MUTE_RIGHT,
            0,
        )?;
        self.modify(reg::ANA_CTRL, ana_ctrl::HP_MUTE, 0)?;
        Ok(())
    }

    /// Analog input -> ADC -> I2S output.
    pub fn enable_capture(&mut self, input: CaptureInput) -> Result<(), Error<I::Error>> {
        self.modify(reg::ANA_CTRL, 0, ana_ctrl::ADC_MUTE)?;
        match input {
            CaptureInput::Mic(gain) => {
                self.write(reg::MIC_CTRL, MIC_CTRL_BIAS_4K | gain.bits())?;
                self.modify(reg::ANA_CTRL, ana_ctrl::ADC_SEL_LINE_IN, 0)?;
            }
            CaptureInput::LineIn => {
                self.modify(reg::ANA_CTRL, 0, ana_ctrl::ADC_SEL_LINE_IN)?;
            }
        }
        self.modify(
            reg::ANA_POWER,
            0,
            ana_power::ADC | ana_power::ADC_STEREO | ana_power::VAG,
        )?;
        self.modify(
            reg::DIG_POWER,
            0,
            dig_power::I2S_OUT_POWERUP | dig_power::ADC_EN,
        )?;
        self.modify(reg::ANA_CTRL, ana_ctrl::ADC_MUTE, 0)?;
        Ok(())
    }

    /// Analog bypass: LINE_IN straight to the headphone amplifier.
    pub fn route_line_in_to_headphone(&mut self) -> Result<(), Error<I::Error>> {
        self.modify(reg::ANA_CTRL, 0, ana_ctrl::HP_MUTE)?;
        self.modify(reg::ANA_CTRL, 0, ana_ctrl::HP_SEL_LINE_IN)?;
        self.modify(reg::ANA_POWER, 0, ana_power::HP | ana_power::VAG)?;
        self.modify(reg::ANA_CTRL, ana_ctrl::HP_MUTE, 0)?;
        Ok(())
    }

    /// Sets the headphone amplifier gain per channel, in half-dB steps (+24 ..= -103).
    pub fn set_headphone_volume(
        &mut self,
        left_half_db: i16,
        right_half_db: i16,
    ) -> Result<(), Error<I::Error>> {
        let l = headphone_volume_code(left_half_db).ok_or(Error::VolumeOutOfRange(left_half_db))?;
        let r =
            headphone_volume_code(right_half_db).ok_or(Error::VolumeOutOfRange(right_half_db))?;
        self.write(reg::ANA_HP_CTRL, (r << 8) | l)
    }

    /// Sets the DAC digital volume per channel, in half-dB steps (0 ..= -180).
    pub fn set_dac_volume(
        &mut self,
        left_half_db: i16,
        right_half_db: i16,
    ) -> Result<(), Error<I::Error>> {
        let l = dac_volume_code(left_half_db).ok_or(Error::VolumeOutOfRange(left_half_db))?;
        let r = dac_volume_code(right_half_db).ok_or(Error::VolumeOutOfRange(right_half_db))?;
        self.write(reg::DAC_VOL, (r << 8) | l)
    }

    /// Mutes or unmutes the headphone output.
    pub fn mute_headphone(&mut self, mute: bool) -> Result<(), Error<I::Error>> {
        if mute {
            self.modify(reg::ANA_CTRL, 0, ana_ctrl::HP_MUTE)?;
        } else {
            self.modify(reg::ANA_CTRL, ana_ctrl::HP_MUTE, 0)?;
        }
        Ok(())
    }

    /// Whether the PLL reports lock (`ANA_STATUS.PLL_LOCKED`).
    pub fn pll_locked(&mut self) -> Result<bool, Error<I::Error>> {
        Ok(self.read(reg::ANA_STATUS)? & (1 << 4) != 0)
    }

    /// Pop-free power-down: mute everything, VAG off, wait [`VAG_RAMP_MS`], then switch
    /// off the analog and digital blocks (the regulator and references stay on).
    pub fn power_down(&mut self, delay: &mut impl DelayNs) -> Result<(), Error<I::Error>> {
        self.modify(
            reg::ANA_CTRL,
            0,
            ana_ctrl::HP_MUTE | ana_ctrl::LINE_OUT_MUTE | ana_ctrl::ADC_MUTE,
        )?;
        self.modify(
            reg::ADCDAC_CTRL,
            0,
            adcdac_ctrl::DAC_MUTE_LEFT | adcdac_ctrl::DAC_MUTE_RIGHT,
        )?;
        self.modify(reg::ANA_POWER, ana_power::VAG, 0)?;
        delay.delay_ms(VAG_RAMP_MS);
        self.modify(
            reg::ANA_POWER,
            ana_power::HP
                | ana_power::DAC
                | ana_power::ADC
                | ana_power::LINE_OUT
                | ana_power::PLL
                | ana_power::VCOAMP,
            0,
        )?;
        self.write(reg::DIG_POWER, 0)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sabrelite_clock_plans_match_reference_table() {
        let cases = [
            (SampleRate::Hz48000, 0x000B, 0x8312),
            (SampleRate::Hz44100, 0x0007, 0x786C),
            (SampleRate::Hz32000, 0x0003, 0x8312),
            (SampleRate::Hz96000, 0x000F, 0x8312),
            (SampleRate::Hz16000, 0x0013, 0x8312),
            (SampleRate::Hz8000, 0x0023, 0x8312),
        ];
        for (rate, clk_ctrl, pll_ctrl) in cases {
            let plan = clock_plan(24_000_000, rate, true).expect("plan");
            assert_eq!(plan.clk_ctrl, clk_ctrl, "{rate:?}");
            assert_eq!(
                plan.pll,
                Some(PllSetting {
                    pll_ctrl,
                    clk_top_ctrl: 0x0008
                }),
                "{rate:?}"
            );
        }
    }

    #[test]
    fn exact_mclk_needs_no_pll() {
        let plan = clock_plan(12_288_000, SampleRate::Hz48000, false).expect("plan");
        assert_eq!(
            plan,
            ClockPlan {
                clk_ctrl: 0x0008,
                pll: None
            }
        );
        let plan = clock_plan(18_432_000, SampleRate::Hz48000, false).expect("plan");
        assert_eq!(plan.clk_ctrl, 0x0009);
        let plan = clock_plan(11_289_600, SampleRate::Hz22050, false).expect("plan");
        assert_eq!(plan.clk_ctrl, 0x0014);
    }

    #[test]
    fn pll_only_as_codec_master_and_mclk_in_range() {
        assert_eq!(
            clock_plan(24_000_000, SampleRate::Hz48000, false),
            Err(ClockError::PllRequiresCodecMaster)
        );
        assert_eq!(
            clock_plan(4_000_000, SampleRate::Hz48000, true),
            Err(ClockError::MclkOutOfRange(4_000_000))
        );
        // 12 MHz without halving: 196.608 / 12 = 16.384.
        let plan = clock_plan(12_000_000, SampleRate::Hz48000, true).expect("plan");
        assert_eq!(plan.pll.map(|p| p.clk_top_ctrl), Some(0));
        assert_eq!(plan.pll.map(|p| p.pll_ctrl), Some(0x8312));
    }

    #[test]
    fn i2s_ctrl_and_references_match_linux() {
        assert_eq!(i2s_ctrl(SampleWidth::Bits16, true), 0x01B0);
        assert_eq!(i2s_ctrl(SampleWidth::Bits24, true), 0x0090);
        assert_eq!(Supplies::SABRELITE.vag_code() << 4, 0x0120);
        assert_eq!(Supplies::SABRELITE.line_out_vag_code(), 0x22);
        assert_eq!(
            Supplies {
                vdda_mv: 3300,
                vddio_mv: 1800
            }
            .vag_code(),
            0x1F
        );
    }

    #[test]
    fn volume_codes() {
        assert_eq!(headphone_volume_code(0), Some(0x18));
        assert_eq!(headphone_volume_code(24), Some(0x00));
        assert_eq!(headphone_volume_code(-103), Some(0x7F));
        assert_eq!(headphone_volume_code(25), None);
        assert_eq!(dac_volume_code(0), Some(0x3C));
        assert_eq!(dac_volume_code(-180), Some(0xF0));
        assert_eq!(dac_volume_code(1), None);
        assert_eq!(SampleRate::from_hz(44_100), Some(SampleRate::Hz44100));
        assert_eq!(SampleRate::from_hz(44_000), None);
    }
}
