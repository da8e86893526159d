//! SGTL5000 driver: exact I2C transactions against `embedded-hal-mock`, and ordering
//! properties (mutes around power steps, waits between steps) against a register model
//! that logs bus writes and delays in one timeline.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use embedded_hal::delay::DelayNs;
use embedded_hal::i2c::{ErrorKind, ErrorType, I2c, NoAcknowledgeSource, Operation};
use embedded_hal_mock::eh1::delay::{CheckedDelay, NoopDelay, Transaction as DelayTx};
use embedded_hal_mock::eh1::i2c::{Mock as I2cMock, Transaction as I2cTx};
use imx6_bsp::sgtl5000::{
    ana_ctrl, ana_power, reg, CaptureInput, ChipId, ClockError, Error, MicGain, SampleRate,
    SampleWidth, Sgtl5000, StreamFormat, Supplies, DEFAULT_ADDRESS,
};

const A: u8 = DEFAULT_ADDRESS;

fn w(register: u16, value: u16) -> I2cTx {
    let [r0, r1] = register.to_be_bytes();
    let [v0, v1] = value.to_be_bytes();
    I2cTx::write(A, vec![r0, r1, v0, v1])
}

fn r(register: u16, value: u16) -> I2cTx {
    I2cTx::write_read(
        A,
        register.to_be_bytes().to_vec(),
        value.to_be_bytes().to_vec(),
    )
}

#[test]
fn probe_checks_the_part_id() {
    let mut i2c = I2cMock::new(&[r(reg::CHIP_ID, 0xA011), r(reg::CHIP_ID, 0x1234)]);
    let mut codec = Sgtl5000::new(i2c.clone(), A);
    assert_eq!(
        codec.probe(),
        Ok(ChipId {
            part: 0xA0,
            revision: 0x11
        })
    );
    assert_eq!(codec.probe(), Err(Error::WrongPartId { chip_id: 0x1234 }));
    i2c.done();
}

#[test]
fn probe_nack_is_a_typed_bus_error() {
    let nack = ErrorKind::NoAcknowledge(NoAcknowledgeSource::Address);
    let mut i2c = I2cMock::new(&[r(reg::CHIP_ID, 0).with_error(nack)]);
    let mut codec = Sgtl5000::new(i2c.clone(), A);
    assert_eq!(codec.probe(), Err(Error::I2c(nack)));
    i2c.done();
}

#[test]
fn cold_power_up_writes_the_reference_sequence() {
    let expected = [
        r(reg::CHIP_ID, 0xA011),
        w(reg::CLK_CTRL, 0x0008),
        w(reg::ANA_CTRL, 0x0133),
        r(reg::ANA_POWER, 0x7060), // VAG off: cold boot, no wait
        w(reg::LINREG_CTRL, 0x0008),
        w(reg::ANA_POWER, 0x7260),
        w(reg::I2S_CTRL, 0x0010),
        w(reg::SSS_CTRL, 0x0010),
        w(reg::DAC_VOL, 0x3C3C),
        w(reg::ANA_ADC_CTRL, 0x0000),
        w(reg::ANA_HP_CTRL, 0x1818),
        w(reg::PLL_CTRL, 0x5000),
        w(reg::CLK_TOP_CTRL, 0x0000),
        w(reg::REF_CTRL, 0x0120),
        w(reg::LINE_OUT_CTRL, 0x0322),
        w(reg::LINE_OUT_VOL, 0x0303),
        w(reg::REF_CTRL, 0x0121),
        w(reg::SHORT_CTRL, 0x0000),
        w(reg::DIG_POWER, 0x0060),
        w(reg::ADCDAC_CTRL, 0x020C),
        w(reg::PAD_STRENGTH, 0x015F),
        w(reg::ANA_CTRL, 0x0133),
        w(reg::MIC_CTRL, 0x0200),
        w(reg::ADCDAC_CTRL, 0x0200),
    ];
    let mut i2c = I2cMock::new(&expected);
    let mut delay = CheckedDelay::new(&[DelayTx::delay_us(1)]);
    let mut codec = Sgtl5000::new(i2c.clone(), A);
    let id = codec
        .power_up(Supplies::SABRELITE, &mut delay)
        .expect("powered");
    assert_eq!(id.part, 0xA0);
    i2c.done();
    delay.done();
}

#[test]
fn power_up_stops_at_a_missing_codec() {
    let nack = ErrorKind::NoAcknowledge(NoAcknowledgeSource::Address);
    let mut i2c = I2cMock::new(&[r(reg::CHIP_ID, 0).with_error(nack)]);
    let mut codec = Sgtl5000::new(i2c.clone(), A);
    assert_eq!(
        codec.power_up(Supplies::SABRELITE, &mut NoopDelay::new()),
        Err(Error::I2c(nack))
    );
    i2c.done();
}

#[test]
fn sabrelite_stream_uses_the_pll_in_the_right_order() {
    let mut i2c = I2cMock::new(&[
        w(reg::CLK_TOP_CTRL, 0x0008),
        w(reg::PLL_CTRL, 0x8312),
        r(reg::ANA_POWER, 0x7260),
        w(reg::ANA_POWER, 0x7760), // PLL | VCOAMP before CLK_CTRL selects the PLL
        w(reg::CLK_CTRL, 0x000B),
        w(reg::I2S_CTRL, 0x01B0),
    ]);
    let mut codec = Sgtl5000::new(i2c.clone(), A);
    let plan = codec
        .configure_stream(&StreamFormat::SABRELITE_48K_S16)
        .expect("configured");
    assert_eq!(plan.clk_ctrl, 0x000B);
    i2c.done();
}

#[test]
fn exact_mclk_stream_leaves_the_pll_after_switching_clocks() {
    let mut i2c = I2cMock::new(&[
        w(reg::CLK_CTRL, 0x0008),
        r(reg::ANA_POWER, 0x7760),
        w(reg::ANA_POWER, 0x7260),
        w(reg::I2S_CTRL, 0x0130),
    ]);
    let mut codec = Sgtl5000::new(i2c.clone(), A);
    codec
        .configure_stream(&StreamFormat {
            mclk_hz: 12_288_000,
            rate: SampleRate::Hz48000,
            width: SampleWidth::Bits16,
            codec_master: false,
        })
        .expect("configured");
    i2c.done();
}

#[test]
fn impossible_clocking_is_rejected_before_any_transfer() {
    let mut i2c = I2cMock::new(&[]);
    let mut codec = Sgtl5000::new(i2c.clone(), A);
    let slave_24mhz = StreamFormat {
        codec_master: false,
        ..StreamFormat::SABRELITE_48K_S16
    };
    assert_eq!(
        codec.configure_stream(&slave_24mhz),
        Err(Error::Clock(ClockError::PllRequiresCodecMaster))
    );
    assert_eq!(
        codec.set_headphone_volume(30, 0),
        Err(Error::VolumeOutOfRange(30))
    );
    assert_eq!(codec.set_dac_volume(0, 2), Err(Error::VolumeOutOfRange(2)));
    i2c.done();
}

#[test]
fn volumes() {
    let mut i2c = I2cMock::new(&[w(reg::ANA_HP_CTRL, 0x1824), w(reg::DAC_VOL, 0x5050)]);
    let mut codec = Sgtl5000::new(i2c.clone(), A);
    codec.set_headphone_volume(-12, 0).expect("ok"); // left -6 dB, right 0 dB
    codec.set_dac_volume(-20, -20).expect("ok"); // -10 dB both
    i2c.done();
}

// ---------------------------------------------------------------------------------
// Timeline model: register file + one log for bus writes and delays.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ev {
    Write(u16, u16),
    DelayNs(u64),
}

#[derive(Clone)]
struct Model {
    regs: Rc<RefCell<BTreeMap<u16, u16>>>,
    log: Rc<RefCell<Vec<Ev>>>,
}

impl Model {
    fn new(initial: &[(u16, u16)]) -> Self {
        Self {
            regs: Rc::new(RefCell::new(initial.iter().copied().collect())),
            log: Rc::new(RefCell::new(Vec::new())),
        }
    }
    fn get(&self, register: u16) -> u16 {
        self.regs.borrow().get(&register).copied().unwrap_or(0)
    }
    fn events(&self) -> Vec<Ev> {
        self.log.borrow().clone()
    }
}

impl ErrorType for Model {
    type Error = ErrorKind;
}

impl I2c for Model {
    fn transaction(&mut self, address: u8, ops: &mut [Operation<'_>]) -> Result<(), ErrorKind> {
        assert_eq!(address, A);
        match ops {
            [Operation::Write(b)] if b.len() == 4 => {
                let register = u16::from_be_bytes([b[0], b[1]]);
                let value = u16::from_be_bytes([b[2], b[3]]);
                self.regs.borrow_mut().insert(register, value);
                self.log.borrow_mut().push(Ev::Write(register, value));
            }
            [Operation::Write(b), Operation::Read(out)] if b.len() == 2 && out.len() == 2 => {
                let register = u16::from_be_bytes([b[0], b[1]]);
                out.copy_from_slice(&self.get(register).to_be_bytes());
            }
            other => panic!("unexpected transaction shape {other:?}"),
        }
        Ok(())
    }
}

impl DelayNs for Model {
    fn delay_ns(&mut self, ns: u32) {
        self.log.borrow_mut().push(Ev::DelayNs(ns.into()));
    }
}

#[test]
fn warm_power_up_ramps_vag_down_for_500ms_before_the_regulator() {
    let model = Model::new(&[(reg::CHIP_ID, 0xA011), (reg::ANA_POWER, 0x72E0)]);
    let mut delay = model.clone();
    let mut codec = Sgtl5000::new(model.clone(), A);
    codec.power_up(Supplies::SABRELITE, &mut delay).expect("ok");
    let ev = model.events();
    let vag_off = ev
        .iter()
        .position(|e| *e == Ev::Write(reg::ANA_POWER, 0x7260))
        .expect("VAG cleared");
    assert_eq!(ev[vag_off + 1], Ev::DelayNs(500_000_000));
    let linreg = ev
        .iter()
        .position(|e| *e == Ev::Write(reg::LINREG_CTRL, 0x0008))
        .expect("regulator");
    assert!(vag_off + 1 < linreg);
    assert_eq!(model.get(reg::ANA_POWER), 0x7260);
}

fn powered_and_streaming() -> (Model, Sgtl5000<Model>) {
    let model = Model::new(&[(reg::CHIP_ID, 0xA011), (reg::ANA_POWER, 0x7060)]);
    let mut codec = Sgtl5000::new(model.clone(), A);
    codec
        .power_up(Supplies::SABRELITE, &mut NoopDelay::new())
        .expect("ok");
    codec
        .configure_stream(&StreamFormat::SABRELITE_48K_S16)
        .expect("ok");
    model.log.borrow_mut().clear();
    (model, codec)
}

/// Replays the log and checks every ANA_POWER write happens with the headphone muted.
fn power_steps_are_muted(model: &Model, initial_ana_ctrl: u16) {
    let mut ana_ctrl_now = initial_ana_ctrl;
    for e in model.events() {
        match e {
            Ev::Write(reg::ANA_CTRL, v) => ana_ctrl_now = v,
            Ev::Write(reg::ANA_POWER, v) => assert_ne!(
                ana_ctrl_now & ana_ctrl::HP_MUTE,
                0,
                "ANA_POWER <- {v:#06x} with the headphone unmuted"
            ),
            _ => {}
        }
    }
}

#[test]
fn playback_powers_up_muted_and_ends_unmuted_with_linux_ana_power() {
    let (model, mut codec) = powered_and_streaming();
    let ana_ctrl_before = model.get(reg::ANA_CTRL);
    codec.enable_playback().expect("ok");
    power_steps_are_muted(&model, ana_ctrl_before);
    // `docs/hardware-facts.md#sgtl5000` (power-up, analog power): 0x77F8 while playing through the PLL.
    assert_eq!(model.get(reg::ANA_POWER), 0x77F8);
    assert_eq!(model.get(reg::ANA_CTRL) & ana_ctrl::HP_MUTE, 0);
    assert_eq!(model.get(reg::ANA_CTRL) & ana_ctrl::HP_SEL_LINE_IN, 0);
    assert_eq!(model.get(reg::ADCDAC_CTRL) & 0b1100, 0, "DAC unmuted");
    assert_eq!(model.get(reg::DIG_POWER) & 0x21, 0x21, "I2S_IN and DAC on");
    assert_eq!(model.get(reg::SSS_CTRL) & 0x33, 0x10, "I2S_IN -> DAC");
}

#[test]
fn mic_capture_routes_and_powers_the_adc() {
    let (model, mut codec) = powered_and_streaming();
    codec
        .enable_capture(CaptureInput::Mic(MicGain::Db20))
        .expect("ok");
    assert_eq!(model.get(reg::MIC_CTRL), 0x0201);
    let ctrl = model.get(reg::ANA_CTRL);
    assert_eq!(ctrl & (ana_ctrl::ADC_SEL_LINE_IN | ana_ctrl::ADC_MUTE), 0);
    let power = model.get(reg::ANA_POWER);
    let want = ana_power::ADC | ana_power::ADC_STEREO | ana_power::VAG;
    assert_eq!(power & want, want);
    assert_eq!(model.get(reg::DIG_POWER) & 0x42, 0x42, "I2S_OUT and ADC on");
    // The ADC is unmuted only after it is powered.
    let ev = model.events();
    let powered = ev
        .iter()
        .position(|e| matches!(e, Ev::Write(reg::ANA_POWER, v) if v & ana_power::ADC != 0))
        .expect("ADC powered");
    let unmuted = ev
        .iter()
        .rposition(|e| matches!(e, Ev::Write(reg::ANA_CTRL, v) if v & ana_ctrl::ADC_MUTE == 0))
        .expect("unmuted");
    assert!(powered < unmuted);
}

#[test]
fn line_in_bypass_selects_line_in_for_the_headphone() {
    let (model, mut codec) = powered_and_streaming();
    let before = model.get(reg::ANA_CTRL);
    codec.route_line_in_to_headphone().expect("ok");
    power_steps_are_muted(&model, before);
    let ctrl = model.get(reg::ANA_CTRL);
    assert_ne!(ctrl & ana_ctrl::HP_SEL_LINE_IN, 0);
    assert_eq!(ctrl & ana_ctrl::HP_MUTE, 0);
    let p = model.get(reg::ANA_POWER);
    assert_eq!(
        p & (ana_power::HP | ana_power::VAG),
        ana_power::HP | ana_power::VAG
    );
}

#[test]
fn power_down_mutes_ramps_vag_then_cuts_power() {
    let (model, mut codec) = powered_and_streaming();
    codec.enable_playback().expect("ok");
    model.log.borrow_mut().clear();
    let mut delay = model.clone();
    codec.power_down(&mut delay).expect("ok");
    let ev = model.events();
    let vag_off = ev
        .iter()
        .position(|e| matches!(e, Ev::Write(reg::ANA_POWER, v) if v & ana_power::VAG == 0))
        .expect("VAG off");
    // Everything muted before VAG goes down.
    let ctrl_at_vag_off = ev[..vag_off]
        .iter()
        .rev()
        .find_map(|e| match e {
            Ev::Write(reg::ANA_CTRL, v) => Some(*v),
            _ => None,
        })
        .expect("muted first");
    assert_eq!(ctrl_at_vag_off & 0x111, 0x111, "HP, line out and ADC muted");
    // Still powered at the VAG write (only VAG cleared), then the 500 ms wait.
    assert!(matches!(ev[vag_off], Ev::Write(_, v) if v & ana_power::HP != 0));
    assert_eq!(ev[vag_off + 1], Ev::DelayNs(500_000_000));
    let p = model.get(reg::ANA_POWER);
    assert_eq!(
        p & (ana_power::HP | ana_power::DAC | ana_power::PLL | ana_power::VAG),
        0
    );
    assert_eq!(model.get(reg::DIG_POWER), 0);
}
