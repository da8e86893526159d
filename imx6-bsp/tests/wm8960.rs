//! WM8960 driver: the exact I2C writes of the start-up (reset, anti-pop VMID ramp,
//! clocks and I2S format, capture and playback routing, unmute last) against
//! `embedded-hal-mock`, and typed errors (`docs/hardware-facts.md#wm8960`).

use embedded_hal::i2c::{ErrorKind, NoAcknowledgeSource};
use embedded_hal_mock::eh1::delay::{CheckedDelay, Transaction as DelayTx};
use embedded_hal_mock::eh1::i2c::{Mock as I2cMock, Transaction as I2cTx};
use imx6_bsp::wm8960::{
    bits, reg, CaptureInput, ClockError, Error, Format, Setup, Wm8960, ADDRESS, VMID_RAMP_MS,
};

/// The I2C write of `value` to `register`: 7-bit address, bit 8 of the value below it.
fn w(register: u8, value: u16) -> I2cTx {
    I2cTx::write(
        ADDRESS,
        vec![(register << 1) | (value >> 8) as u8, value as u8],
    )
}

#[test]
fn power_up_ramps_vmid_behind_the_anti_pop_settings() {
    let mut i2c = I2cMock::new(&[
        w(0x0F, 0x000),
        w(0x1C, 0x09C),
        w(0x19, 0x080),
        w(0x19, 0x0C0),
        w(0x1C, 0x008),
    ]);
    let mut delay = CheckedDelay::new(&[DelayTx::delay_ms(VMID_RAMP_MS)]);
    let mut codec = Wm8960::new(i2c.clone(), ADDRESS);
    codec.power_up(&mut delay).expect("acknowledged");
    i2c.done();
    delay.done();
}

#[test]
fn configure_evk_mic_writes_clocks_then_paths_then_unmutes_last() {
    let expected = [
        // Clocks: SYSCLK = MCLK = 256 fs; BCLK = SYSCLK / 8 (32 fs); I2S 16-bit master.
        w(0x04, 0x000),
        w(0x08, 0x1C7),
        w(0x07, 0x042),
        w(0x18, 0x004),
        // Capture: right PGA from RINPUT1 (-) / RINPUT2 (+), boost +20 dB, to the boost
        // mixer; left PGA muted; both ADC channels carry the right ADC.
        w(0x20, 0x000),
        w(0x21, 0x168),
        w(0x2B, 0x000),
        w(0x2C, 0x000),
        w(0x00, 0x080),
        w(0x01, 0x117),
        w(0x17, 0x0C8),
        w(0x19, 0x0DE),
        // Playback: DAC to the output mixers, mixers and PGA on, DACs and headphone on.
        w(0x22, 0x100),
        w(0x25, 0x100),
        w(0x2F, 0x01C),
        w(0x1A, 0x1E0),
        // Headphone -6 dB at zero cross, left then right with the update bit.
        w(0x02, 0x0F3),
        w(0x03, 0x1F3),
        // DAC unmute, last.
        w(0x05, 0x000),
    ];
    let mut i2c = I2cMock::new(&expected);
    let mut codec = Wm8960::new(i2c.clone(), ADDRESS);
    codec.configure(&Setup::EVK_MIC).expect("acknowledged");
    i2c.done();
}

#[test]
fn line_input_uses_the_boost_mixers_without_the_pgas() {
    let setup = Setup {
        input: CaptureInput::LineIn3,
        ..Setup::EVK_MIC
    };
    let seq = imx6_bsp::wm8960::configure_sequence::<()>(&setup).expect("valid");
    let get = |r: u8| seq.iter().find(|(reg, _)| *reg == r).map(|(_, v)| *v);
    assert_eq!(get(reg::LINBMIX), Some(0x050));
    assert_eq!(get(reg::RINBMIX), Some(0x050));
    assert_eq!(get(reg::RINPATH), Some(0));
    let power1 = get(reg::POWER1).expect("written");
    assert_eq!(power1 & bits::MICB, 0, "no mic bias for a line input");
    assert_ne!(power1 & (bits::AINL | bits::AINR), 0);
    assert_eq!(
        get(reg::POWER3).expect("written") & (bits::LMIC | bits::RMIC),
        0
    );
    // Power before routing would pop: every path register precedes its power bits.
    let pos = |r: u8| seq.iter().position(|(reg, _)| *reg == r).expect("written");
    assert!(pos(reg::LOUTMIX) < pos(reg::POWER2));
    assert!(pos(reg::IFACE1) < pos(reg::POWER1));
}

#[test]
fn an_absent_codec_is_a_typed_nack() {
    let nack = ErrorKind::NoAcknowledge(NoAcknowledgeSource::Address);
    let mut i2c = I2cMock::new(&[w(0x0F, 0).with_error(nack)]);
    let mut codec = Wm8960::new(i2c.clone(), ADDRESS);
    assert_eq!(codec.reset(), Err(Error::I2c(nack)));
    i2c.done();
}

#[test]
fn invalid_setups_write_nothing() {
    let mut i2c = I2cMock::new(&[]);
    let mut codec = Wm8960::new(i2c.clone(), ADDRESS);
    let loud = Setup {
        headphone_db: 7,
        ..Setup::EVK_MIC
    };
    assert_eq!(codec.configure(&loud), Err(Error::VolumeOutOfRange(7)));
    let bad_clock = Setup {
        format: Format {
            mclk_hz: 11_289_600,
            ..Format::EVK_48K_S16
        },
        ..Setup::EVK_MIC
    };
    assert_eq!(
        codec.configure(&bad_clock),
        Err(Error::Clock(ClockError::MclkNot256Fs {
            mclk_hz: 11_289_600,
            rate_hz: 48_000
        }))
    );
    assert_eq!(
        codec.set_headphone_db(-80),
        Err(Error::VolumeOutOfRange(-80))
    );
    assert_eq!(
        codec.write(0x38, 0),
        Err(Error::InvalidWrite {
            register: 0x38,
            value: 0
        })
    );
    i2c.done();
}
