//! The Cirrus Logic (Wolfson) WM8960 stereo codec over an `embedded-hal` 1.0 I2C bus:
//! power-up with its anti-pop order, clocking from MCLK, the I2S format, headphone
//! playback and microphone or line capture.
//!
//! # Why not the `wm8960` crate
//!
//! `wm8960` 0.1.2 (imxrt-rs, MIT OR Apache-2.0, `no_std`, no declared MSRV) was
//! checked first. Its `eh10` feature only pulls `embedded-hal` 1.0.0-rc.2: the I2C
//! interface is implemented for `embedded-hal` 0.2 alone, so it does not build on an
//! `embedded-hal` 1.0 bus; its recording routes are `unimplemented!()` (a panic, and
//! capture is half of a loopback); out-of-range PLL and divider values panic instead
//! of returning an error. So this is our own driver (written from the datasheet's
//! register map and Linux `wm8960.c` for the facts, `docs/hardware-facts.md#wm8960`).
//!
//! # The control port
//!
//! Write-only: every access is one two-byte I2C write to the 7-bit address [`ADDRESS`]
//! (0x1A): the 7-bit register address shifted left by one with bit 8 of the 9-bit
//! value below it, then the value's low 8 bits ([`frame`]). Nothing can be read back,
//! so the driver writes full register values it chose, never read-modify-write, and
//! the probe is an acknowledged write (the software reset).
//!
//! # Start-up order ([`Wm8960::power_up`], then [`Wm8960::configure`])
//!
//! 1. Software reset (`R15`).
//! 2. Anti-pop: `R28 = POBCTRL | BUFDCOPEN | BUFIOEN | SOFT_ST`; `R25 = VMIDSEL 2×50k`;
//!    wait [`VMID_RAMP_MS`] for VMID to ramp; `R25 |= VREF`; `R28 = BUFIOEN`. Outputs
//!    stay off until the end, so the ramp is inaudible.
//! 3. Clocks and format: `R4` (SYSCLK = MCLK, ADC/DAC at SYSCLK/256), `R8` (BCLK =
//!    SYSCLK / [`Format::bclk_divider_field`]), `R7` (I2S, word length, master), `R24`
//!    (`LRCM`: the LR clocks stay up while either path runs, Linux `wlf,shared-lrclk`).
//! 4. Capture path: input PGA/boost routing, input volume unmuted, ADC data select,
//!    input and ADC power.
//! 5. Playback path: DAC to the output mixers, mixer power, DAC and headphone power,
//!    headphone volume (zero-cross, written left then right with the update bit).
//! 6. DAC soft mute off (`R5 = 0`), last: the first sound is the stream's.
//!
//! Timing: [`VMID_RAMP_MS`] (100 ms) in step 2; every other step is one I2C write
//! (about 0.25 ms at 86 kHz SCL); [`Wm8960::configure`] makes 16 writes.

use embedded_hal::delay::DelayNs;
use embedded_hal::i2c::I2c;

/// The WM8960's 7-bit I2C address (fixed by the part).
pub const ADDRESS: u8 = 0x1A;

/// Time for VMID to ramp through the 2×50 kΩ divider before VREF is enabled (Linux
/// waits 100 ms).
pub const VMID_RAMP_MS: u32 = 100;

/// Register addresses (7 bits).
pub mod reg {
    /// Left input PGA volume.
    pub const LINVOL: u8 = 0x00;
    /// Right input PGA volume.
    pub const RINVOL: u8 = 0x01;
    /// LOUT1 (left headphone) volume.
    pub const LOUT1: u8 = 0x02;
    /// ROUT1 (right headphone) volume.
    pub const ROUT1: u8 = 0x03;
    /// Clocking 1: SYSCLK source and dividers, ADC/DAC sample-rate dividers.
    pub const CLOCK1: u8 = 0x04;
    /// ADC and DAC control 1: DAC soft mute, de-emphasis.
    pub const DACCTL1: u8 = 0x05;
    /// Audio interface 1: format, word length, master mode.
    pub const IFACE1: u8 = 0x07;
    /// Clocking 2: BCLK divider, class-D clock divider.
    pub const CLOCK2: u8 = 0x08;
    /// Software reset.
    pub const RESET: u8 = 0x0F;
    /// Additional control 1: ADC data select, VSEL.
    pub const ADDCTL1: u8 = 0x17;
    /// Additional control 2: LR clock mode.
    pub const ADDCTL2: u8 = 0x18;
    /// Power management 1: VMID, VREF, inputs, ADCs, mic bias.
    pub const POWER1: u8 = 0x19;
    /// Power management 2: DACs, outputs.
    pub const POWER2: u8 = 0x1A;
    /// Anti-pop 1.
    pub const APOP1: u8 = 0x1C;
    /// Left ADC signal path (PGA inputs, boost).
    pub const LINPATH: u8 = 0x20;
    /// Right ADC signal path.
    pub const RINPATH: u8 = 0x21;
    /// Left output mixer.
    pub const LOUTMIX: u8 = 0x22;
    /// Right output mixer.
    pub const ROUTMIX: u8 = 0x25;
    /// Left input boost mixer (LINPUT2/3 boost).
    pub const LINBMIX: u8 = 0x2B;
    /// Right input boost mixer (RINPUT2/3 boost).
    pub const RINBMIX: u8 = 0x2C;
    /// Power management 3: PGAs, output mixers.
    pub const POWER3: u8 = 0x2F;
}

/// The largest register address.
pub const MAX_REGISTER: u8 = 0x37;

/// Register values and bits used by the driver.
pub mod bits {
    /// `R25`: VMID divider 2×50 kΩ (playback/record).
    pub const VMIDSEL_50K: u16 = 0b01 << 7;
    /// `R25`: VREF on.
    pub const VREF: u16 = 1 << 6;
    /// `R25`: left analogue input (PGA and boost) on.
    pub const AINL: u16 = 1 << 5;
    /// `R25`: right analogue input on.
    pub const AINR: u16 = 1 << 4;
    /// `R25`: left ADC on.
    pub const ADCL: u16 = 1 << 3;
    /// `R25`: right ADC on.
    pub const ADCR: u16 = 1 << 2;
    /// `R25`: microphone bias on.
    pub const MICB: u16 = 1 << 1;
    /// `R26`: left DAC on.
    pub const DACL: u16 = 1 << 8;
    /// `R26`: right DAC on.
    pub const DACR: u16 = 1 << 7;
    /// `R26`: LOUT1 on.
    pub const LOUT1: u16 = 1 << 6;
    /// `R26`: ROUT1 on.
    pub const ROUT1: u16 = 1 << 5;
    /// `R47`: left input PGA on.
    pub const LMIC: u16 = 1 << 5;
    /// `R47`: right input PGA on.
    pub const RMIC: u16 = 1 << 4;
    /// `R47`: left output mixer on.
    pub const LOMIX: u16 = 1 << 3;
    /// `R47`: right output mixer on.
    pub const ROMIX: u16 = 1 << 2;
    /// `R28`: anti-pop: power-on bias from the fast VMID buffer.
    pub const POBCTRL: u16 = 1 << 7;
    /// `R28`: anti-pop: output buffers' DC path open.
    pub const BUFDCOPEN: u16 = 1 << 4;
    /// `R28`: anti-pop: unused outputs tied to VMID.
    pub const BUFIOEN: u16 = 1 << 3;
    /// `R28`: anti-pop: soft start.
    pub const SOFT_ST: u16 = 1 << 2;
    /// `R7`: master mode (the codec drives BCLK and LRCLK).
    pub const MS: u16 = 1 << 6;
    /// `R7`: I2S format.
    pub const FORMAT_I2S: u16 = 0b10;
    /// `R24`: LR clocks disabled only when both ADC and DAC are off.
    pub const LRCM: u16 = 1 << 2;
    /// `R34`/`R37`: DAC to the output mixer.
    pub const DAC_TO_MIX: u16 = 1 << 8;
    /// `R2`/`R3`, `R0`/`R1`: volume update (latches both channels).
    pub const VU: u16 = 1 << 8;
    /// `R2`/`R3`: zero-cross detection (volume changes at a zero crossing).
    pub const OUT1_ZC: u16 = 1 << 7;
    /// `R32`/`R33`: INPUT1 to the PGA's inverting input.
    pub const MN1: u16 = 1 << 8;
    /// `R32`/`R33`: INPUT2 to the PGA's non-inverting input.
    pub const MP2: u16 = 1 << 6;
    /// `R32`/`R33`: PGA to the input boost mixer.
    pub const MIC2B: u16 = 1 << 3;
    /// `R23`: VSEL default (analogue bias for 3.3 V).
    pub const VSEL_DEFAULT: u16 = 0b11 << 6;
    /// `R23`: both ADC channels take the right ADC's data.
    pub const DATSEL_RIGHT: u16 = 0b10 << 2;
}

/// Driver errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error<E> {
    /// The I2C transfer failed (an absent codec: `NoAcknowledge(Address)`).
    I2c(E),
    /// A register address above [`MAX_REGISTER`] or a value wider than 9 bits.
    InvalidWrite {
        /// The register.
        register: u8,
        /// The value.
        value: u16,
    },
    /// A headphone level outside [`HEADPHONE_DB`].
    VolumeOutOfRange(i8),
    /// No SYSCLK/BCLK division gives this format from this MCLK.
    Clock(ClockError),
}

/// Why [`Format::clock_registers`] refused a format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClockError {
    /// MCLK is not 256 × the sample rate (the only SYSCLK this driver derives
    /// without the codec's PLL).
    MclkNot256Fs {
        /// MCLK in Hz.
        mclk_hz: u32,
        /// Sample rate in Hz.
        rate_hz: u32,
    },
    /// No BCLK divider gives 2 × `slot_bits` bit clocks per frame.
    NoBclkDivider {
        /// Bit clocks per slot.
        slot_bits: u8,
    },
    /// Word length not 16, 20, 24 or 32.
    WordLength(u8),
}

/// The stream format: MCLK in, sample rate, word and slot width; the codec is master.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Format {
    /// MCLK in Hz.
    pub mclk_hz: u32,
    /// Sample rate in Hz.
    pub rate_hz: u32,
    /// Bits per sample (16, 20, 24 or 32).
    pub word_bits: u8,
    /// Bit clocks per slot (two slots per frame).
    pub slot_bits: u8,
}

impl Format {
    /// The i.MX6ULL EVK: 12.288 MHz MCLK from SAI2, 48 kHz, 16-bit in 16-bit slots
    /// (BCLK 1.536 MHz = SYSCLK / 8).
    pub const EVK_48K_S16: Format = Format {
        mclk_hz: 12_288_000,
        rate_hz: 48_000,
        word_bits: 16,
        slot_bits: 16,
    };

    /// `R8.BCLKDIV` for `SYSCLK / bclk` (datasheet table: ÷1, 1.5, 2, 3, 4, 5.5, 6, 8,
    /// 11, 12, 16, 22, 24, 32), if the ratio is an integer in the table. Pure.
    pub const fn bclk_divider_field(ratio: u32) -> Option<u16> {
        // (ratio, field); the fractional ratios 1.5 and 5.5 never come out integral.
        const TABLE: [(u32, u16); 12] = [
            (1, 0),
            (2, 2),
            (3, 3),
            (4, 4),
            (6, 6),
            (8, 7),
            (11, 8),
            (12, 9),
            (16, 10),
            (22, 11),
            (24, 12),
            (32, 13),
        ];
        let mut i = 0;
        while i < TABLE.len() {
            if TABLE[i].0 == ratio {
                return Some(TABLE[i].1);
            }
            i += 1;
        }
        None
    }

    /// The values of `R4` (Clocking 1), `R8` (Clocking 2) and `R7` (Audio interface 1)
    /// for this format, codec master. Pure.
    pub const fn clock_registers(&self) -> Result<(u16, u16, u16), ClockError> {
        if self.rate_hz == 0 || self.mclk_hz != self.rate_hz * 256 {
            return Err(ClockError::MclkNot256Fs {
                mclk_hz: self.mclk_hz,
                rate_hz: self.rate_hz,
            });
        }
        let wl = match self.word_bits {
            16 => 0b00,
            20 => 0b01,
            24 => 0b10,
            32 => 0b11,
            other => return Err(ClockError::WordLength(other)),
        };
        let bclk_per_frame = 2 * self.slot_bits as u32;
        if self.slot_bits < self.word_bits || 256 % bclk_per_frame != 0 {
            return Err(ClockError::NoBclkDivider {
                slot_bits: self.slot_bits,
            });
        }
        let bclkdiv = match Format::bclk_divider_field(256 / bclk_per_frame) {
            Some(f) => f,
            None => {
                return Err(ClockError::NoBclkDivider {
                    slot_bits: self.slot_bits,
                })
            }
        };
        // R4 = 0: SYSCLK = MCLK, SYSCLKDIV ÷1, ADCDIV = DACDIV = SYSCLK/256.
        // R8: DCLKDIV at its reset value (0b111, class-D only), BCLKDIV.
        let r8 = (0b111 << 6) | bclkdiv;
        let r7 = bits::MS | (wl << 2) | bits::FORMAT_I2S;
        Ok((0x000, r8, r7))
    }
}

/// What the ADC records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaptureInput {
    /// A microphone between RINPUT1 (inverting) and RINPUT2 (non-inverting) of the
    /// right PGA, with mic bias, the boost at `boost` (0 = 0 dB, 1 = +13 dB, 2 = +20 dB,
    /// 3 = +29 dB); both ADC channels carry it. The EVK's on-board microphone (the NXP
    /// device tree routes "AMIC" to RINPUT1/RINPUT2).
    Mic {
        /// `RMICBOOST` field, 0..=3.
        boost: u8,
    },
    /// Stereo line level on LINPUT3/RINPUT3 through the boost mixers at 0 dB (PGAs off).
    LineIn3,
}

/// Headphone levels the driver accepts, in dB (1 dB steps; the part goes to +6 dB).
pub const HEADPHONE_DB: core::ops::RangeInclusive<i8> = -73..=6;

/// The `LOUT1`/`ROUT1` volume field for `db` (0x79 = 0 dB). Pure.
pub const fn headphone_field(db: i8) -> Option<u16> {
    if db < *HEADPHONE_DB.start() || db > *HEADPHONE_DB.end() {
        return None;
    }
    Some((0x79 + db as i16) as u16)
}

/// How [`Wm8960::configure`] sets the codec up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Setup {
    /// Stream format.
    pub format: Format,
    /// Capture input.
    pub input: CaptureInput,
    /// Headphone level in dB ([`HEADPHONE_DB`]).
    pub headphone_db: i8,
}

impl Setup {
    /// The EVK loopback: 48 kHz 16-bit, on-board microphone at +20 dB, headphone at
    /// -6 dB.
    pub const EVK_MIC: Setup = Setup {
        format: Format::EVK_48K_S16,
        input: CaptureInput::Mic { boost: 2 },
        headphone_db: -6,
    };
}

/// The two bytes that write `value` (9 bits) to `register` (7 bits). Pure.
pub const fn frame(register: u8, value: u16) -> Option<[u8; 2]> {
    if register > MAX_REGISTER || value > 0x1FF {
        return None;
    }
    Some([(register << 1) | (value >> 8) as u8, value as u8])
}

/// The register writes of [`Wm8960::configure`] for `setup`, in order. Pure.
/// The headphone volume and the unmute follow in [`Wm8960::configure`]; the setup is
/// checked whole here, so an invalid one writes nothing.
pub fn configure_sequence<E>(setup: &Setup) -> Result<[(u8, u16); 16], Error<E>> {
    let (r4, r8, r7) = setup.format.clock_registers().map_err(Error::Clock)?;
    headphone_field(setup.headphone_db).ok_or(Error::VolumeOutOfRange(setup.headphone_db))?;
    // Input routing, PGA volumes, ADC data select, and the input power bits.
    let (linpath, rinpath, linbmix, rinbmix, linvol, rinvol, addctl1, power1_in, power3_in) =
        match setup.input {
            CaptureInput::Mic { boost } => (
                0x000,
                bits::MN1 | bits::MP2 | bits::MIC2B | (((boost & 0b11) as u16) << 4),
                0x000,
                0x000,
                // Left PGA muted (LINMUTE), right PGA at 0 dB (0x17), update.
                0x080,
                bits::VU | 0x017,
                bits::VSEL_DEFAULT | bits::DATSEL_RIGHT,
                bits::AINR | bits::ADCL | bits::ADCR | bits::MICB,
                bits::RMIC,
            ),
            CaptureInput::LineIn3 => (
                0x000,
                0x000,
                // LIN3BOOST / RIN3BOOST = 0b101: 0 dB.
                0b101 << 4,
                0b101 << 4,
                0x080,
                bits::VU | 0x080,
                bits::VSEL_DEFAULT,
                bits::AINL | bits::AINR | bits::ADCL | bits::ADCR,
                0x000,
            ),
        };
    Ok([
        (reg::CLOCK1, r4),
        (reg::CLOCK2, r8),
        (reg::IFACE1, r7),
        (reg::ADDCTL2, bits::LRCM),
        (reg::LINPATH, linpath),
        (reg::RINPATH, rinpath),
        (reg::LINBMIX, linbmix),
        (reg::RINBMIX, rinbmix),
        (reg::LINVOL, linvol),
        (reg::RINVOL, rinvol),
        (reg::ADDCTL1, addctl1),
        (reg::POWER1, bits::VMIDSEL_50K | bits::VREF | power1_in),
        (reg::LOUTMIX, bits::DAC_TO_MIX),
        (reg::ROUTMIX, bits::DAC_TO_MIX),
        (reg::POWER3, bits::LOMIX | bits::ROMIX | power3_in),
        (
            reg::POWER2,
            bits::DACL | bits::DACR | bits::LOUT1 | bits::ROUT1,
        ),
    ])
}

/// The WM8960 driver on an I2C bus.
#[derive(Debug)]
pub struct Wm8960<I> {
    i2c: I,
    address: u8,
}

impl<I: I2c> Wm8960<I> {
    /// The codec at `address` on `i2c`.
    pub const fn new(i2c: I, address: u8) -> Self {
        Self { i2c, address }
    }

    /// Gives the bus back.
    pub fn free(self) -> I {
        self.i2c
    }

    /// Writes `value` to `register` (one I2C write of two bytes).
    pub fn write(&mut self, register: u8, value: u16) -> Result<(), Error<I::Error>> {
        let bytes = frame(register, value).ok_or(Error::InvalidWrite { register, value })?;
        self.i2c.write(self.address, &bytes).map_err(Error::I2c)
    }

    /// Resets every register to its default (`R15` = 0): the probe of a write-only
    /// part, since only a present codec acknowledges it.
    pub fn reset(&mut self) -> Result<(), Error<I::Error>> {
        self.write(reg::RESET, 0)
    }

    /// Steps 1-2 of the start-up (module docs): reset, then VMID and VREF up behind
    /// the anti-pop settings. Takes [`VMID_RAMP_MS`].
    pub fn power_up(&mut self, delay: &mut impl DelayNs) -> Result<(), Error<I::Error>> {
        self.reset()?;
        self.write(
            reg::APOP1,
            bits::POBCTRL | bits::BUFDCOPEN | bits::BUFIOEN | bits::SOFT_ST,
        )?;
        self.write(reg::POWER1, bits::VMIDSEL_50K)?;
        delay.delay_ms(VMID_RAMP_MS);
        self.write(reg::POWER1, bits::VMIDSEL_50K | bits::VREF)?;
        self.write(reg::APOP1, bits::BUFIOEN)
    }

    /// Steps 3-6 of the start-up: clocks and I2S format (the codec then drives BCLK
    /// and LRCLK), capture routing and power, playback routing and power, headphone
    /// level, DAC unmute last.
    pub fn configure(&mut self, setup: &Setup) -> Result<(), Error<I::Error>> {
        let sequence = configure_sequence(setup)?;
        for (register, value) in sequence {
            self.write(register, value)?;
        }
        self.set_headphone_db(setup.headphone_db)?;
        // DAC soft mute off (DACMU clear, no de-emphasis).
        self.write(reg::DACCTL1, 0x000)
    }

    /// Sets both headphone channels to `db` ([`HEADPHONE_DB`]), changing at a zero
    /// crossing: left without the update bit, then right with it (both latch together).
    pub fn set_headphone_db(&mut self, db: i8) -> Result<(), Error<I::Error>> {
        let field = headphone_field(db).ok_or(Error::VolumeOutOfRange(db))?;
        self.write(reg::LOUT1, bits::OUT1_ZC | field)?;
        self.write(reg::ROUT1, bits::VU | bits::OUT1_ZC | field)
    }

    /// Mutes the DAC (soft mute) and powers the outputs, inputs and VMID down, the
    /// reverse of the start-up.
    pub fn power_down(&mut self) -> Result<(), Error<I::Error>> {
        self.write(reg::DACCTL1, 1 << 3)?;
        self.write(reg::POWER2, 0)?;
        self.write(reg::POWER3, 0)?;
        self.write(reg::POWER1, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_put_bit_8_under_the_register_address() {
        assert_eq!(frame(reg::RESET, 0), Some([0x1E, 0x00]));
        assert_eq!(frame(0x02, 0x179), Some([0x05, 0x79]));
        assert_eq!(frame(0x38, 0), None);
        assert_eq!(frame(0x00, 0x200), None);
    }

    #[test]
    fn evk_clocks() {
        let (r4, r8, r7) = Format::EVK_48K_S16.clock_registers().expect("valid");
        assert_eq!((r4, r8, r7), (0x000, 0x1C7, 0x042));
        let f24 = Format {
            word_bits: 24,
            slot_bits: 32,
            ..Format::EVK_48K_S16
        };
        assert_eq!(f24.clock_registers().expect("valid"), (0, 0x1C4, 0x04A));
        assert_eq!(
            Format {
                mclk_hz: 24_000_000,
                ..Format::EVK_48K_S16
            }
            .clock_registers(),
            Err(ClockError::MclkNot256Fs {
                mclk_hz: 24_000_000,
                rate_hz: 48_000
            })
        );
        assert_eq!(
            Format {
                word_bits: 18,
                ..Format::EVK_48K_S16
            }
            .clock_registers(),
            Err(ClockError::WordLength(18))
        );
    }

    #[test]
    fn headphone_levels() {
        assert_eq!(headphone_field(0), Some(0x79));
        assert_eq!(headphone_field(6), Some(0x7F));
        assert_eq!(headphone_field(-73), Some(0x30));
        assert_eq!(headphone_field(7), None);
        assert_eq!(headphone_field(-74), None);
    }
}
