//! The i.MX I2C driver against a behavioural model of the controller and its bus.

mod common;

use common::i2c_model::{BusEvent, I2cModel, Mode, RegisterDevice};
use embedded_hal::i2c::{Error as _, ErrorKind, I2c as _, NoAcknowledgeSource, Operation};
use embedded_hal_mock::eh1::delay::{CheckedDelay, NoopDelay, Transaction as DelayTx};
use imx6_bsp::i2c::{reg, Config, ConfigError, Error, I2c, Phase};
use imx6_bsp::sgtl5000::{self, ChipId, Sgtl5000};

const CODEC: u8 = 0x0A;
const POLLS: u32 = 1_000;

fn config() -> Config {
    Config {
        poll_limit: POLLS,
        ..Config::STANDARD_66MHZ
    }
}

fn model_with_codec(mode: Mode) -> I2cModel {
    let model = I2cModel::new(mode);
    model.attach(
        CODEC,
        RegisterDevice::with(&[(0x0000, 0xA011), (0x0030, 0x7060)]),
    );
    model
}

fn driver(model: &I2cModel) -> I2c<&I2cModel> {
    let d = I2c::new(model, config(), &mut NoopDelay::new()).expect("valid config");
    model.clear_events();
    d
}

/// The bus events of a write phase to the codec after a (repeated) START: its address
/// with the write bit, then `bytes`, every one ACKed by the codec.
fn write_phase(bytes: &[u8]) -> Vec<BusEvent> {
    let address = BusEvent::Address(CODEC << 1, true);
    std::iter::once(address)
        .chain(bytes.iter().map(|&b| BusEvent::Tx(b, true)))
        .collect()
}

/// The bus events of a read phase from the codec after a (repeated) START: its address
/// with the read bit, then `bytes`, every one ACKed by the master but the last.
fn read_phase(bytes: &[u8]) -> Vec<BusEvent> {
    let address = BusEvent::Address(CODEC << 1 | 1, true);
    let data = bytes
        .iter()
        .enumerate()
        .map(|(i, &b)| BusEvent::Rx(b, i + 1 < bytes.len()));
    std::iter::once(address).chain(data).collect()
}

/// One transaction: START, the phases joined by repeated STARTs, STOP.
fn transaction(phases: &[Vec<BusEvent>]) -> Vec<BusEvent> {
    let mut events = vec![BusEvent::Start];
    for (i, phase) in phases.iter().enumerate() {
        if i > 0 {
            events.push(BusEvent::RepeatedStart);
        }
        events.extend_from_slice(phase);
    }
    events.push(BusEvent::Stop);
    events
}

#[test]
fn init_resets_programs_divider_enables_then_settles() {
    let model = I2cModel::new(Mode::Qemu);
    let mut delay = CheckedDelay::new(&[DelayTx::delay_us(50)]);
    let i2c = I2c::new(&model, config(), &mut delay).expect("valid");
    delay.done();
    assert_eq!(
        model.writes(),
        vec![
            (reg::I2CR, 0),
            (reg::IFDR, 0x39),
            (reg::I2SR, 0),
            (reg::I2CR, 0x80)
        ]
    );
    assert_eq!(i2c.divider().actual_hz, 85_937);
    assert_eq!(model.ifdr(), 0x39);
}

#[test]
fn config_errors_are_typed() {
    let model = I2cModel::new(Mode::Qemu);
    let bad_rate = Config {
        bitrate_hz: 1_000_000,
        ..config()
    };
    assert_eq!(
        I2c::new(&model, bad_rate, &mut NoopDelay::new()).err(),
        Some(ConfigError::BitrateOutOfRange(1_000_000))
    );
    let no_polls = Config {
        poll_limit: 0,
        ..config()
    };
    assert_eq!(
        I2c::new(&model, no_polls, &mut NoopDelay::new()).err(),
        Some(ConfigError::ZeroPollLimit)
    );
    // Nothing was written to the hardware for a rejected configuration.
    assert!(model.writes().is_empty());
}

#[test]
fn write_sends_start_address_bytes_stop() {
    let model = model_with_codec(Mode::Silicon);
    let mut i2c = driver(&model);
    i2c.write(CODEC, &[0x00, 0x30, 0x72, 0x60]).expect("acked");
    assert_eq!(
        model.events(),
        transaction(&[write_phase(&[0x00, 0x30, 0x72, 0x60])])
    );
    assert!(!model.bus_busy());
    // The device saw the register write.
    let mut buf = [0u8; 2];
    i2c.write_read(CODEC, &[0x00, 0x30], &mut buf)
        .expect("acked");
    assert_eq!(buf, [0x72, 0x60]);
}

#[test]
fn write_read_uses_repeated_start_and_nacks_the_last_byte() {
    for mode in [Mode::Qemu, Mode::Silicon] {
        let model = model_with_codec(mode);
        let mut i2c = driver(&model);
        let mut buf = [0u8; 2];
        i2c.write_read(CODEC, &[0x00, 0x00], &mut buf)
            .expect("acked");
        assert_eq!(buf, [0xA0, 0x11], "{mode:?}");
        assert_eq!(
            model.events(),
            transaction(&[write_phase(&[0x00, 0x00]), read_phase(&[0xA0, 0x11])]),
            "{mode:?}"
        );
        assert!(!model.bus_busy());
    }
}

#[test]
fn reads_of_any_length_clock_exactly_that_many_bytes() {
    for len in 1..=6usize {
        let model = I2cModel::new(Mode::Silicon);
        let regs: Vec<(u16, u16)> = (0..4u16).map(|i| (2 * i, 0x1000 * (i + 1) + i)).collect();
        model.attach(CODEC, RegisterDevice::with(&regs));
        let mut i2c = driver(&model);
        let mut buf = vec![0u8; len];
        i2c.read(CODEC, &mut buf).expect("acked");
        let rx: Vec<(u8, bool)> = model
            .events()
            .iter()
            .filter_map(|e| match *e {
                BusEvent::Rx(b, ack) => Some((b, ack)),
                _ => None,
            })
            .collect();
        assert_eq!(rx.len(), len, "len {len}: clocked {rx:?}");
        for (i, &(b, ack)) in rx.iter().enumerate() {
            assert_eq!(b, buf[i], "len {len} byte {i}");
            assert_eq!(ack, i + 1 < len, "len {len} byte {i}: master ACK");
        }
        // Big-endian register contents in order: 0x1000, 0x2001, 0x3002.
        let expected: Vec<u8> = regs
            .iter()
            .flat_map(|&(_, v)| v.to_be_bytes())
            .take(len)
            .collect();
        assert_eq!(buf, expected, "len {len}");
        assert_eq!(model.events().last(), Some(&BusEvent::Stop));
    }
}

#[test]
fn read_then_write_in_one_transaction_clocks_no_extra_byte() {
    let model = model_with_codec(Mode::Silicon);
    let mut i2c = driver(&model);
    let mut a = [0u8; 1];
    let mut b = [0u8; 1];
    i2c.transaction(
        CODEC,
        &mut [
            Operation::Read(&mut a),
            Operation::Read(&mut b),
            Operation::Write(&[0x00, 0x30]),
        ],
    )
    .expect("acked");
    assert_eq!(
        model.events(),
        transaction(&[read_phase(&[0xA0, 0x11]), write_phase(&[0x00, 0x30])])
    );
    assert_eq!((a[0], b[0]), (0xA0, 0x11));
}

#[test]
fn absent_device_on_qemu_is_a_typed_nack_after_a_bounded_wait() {
    let model = I2cModel::new(Mode::Qemu);
    let mut i2c = driver(&model);
    let err = i2c.write(CODEC, &[0, 0]).expect_err("nobody home");
    assert_eq!(err, Error::NoAcknowledge(NoAcknowledgeSource::Address));
    assert_eq!(
        err.kind(),
        ErrorKind::NoAcknowledge(NoAcknowledgeSource::Address)
    );
    // Bounded: one idle check, START, the IIF wait (POLLS reads), STOP.
    let reads = model.status_reads();
    assert!(
        reads as u32 >= POLLS && reads as u32 <= POLLS + 4,
        "{reads} status reads"
    );
    assert_eq!(
        model.events(),
        vec![
            BusEvent::Start,
            BusEvent::Address(0x14, false),
            BusEvent::Stop
        ]
    );
    assert!(!model.bus_busy(), "bus released");
    // The controller is usable again afterwards.
    model.attach(CODEC, RegisterDevice::with(&[(0, 0xA011)]));
    let mut buf = [0u8; 2];
    i2c.write_read(CODEC, &[0, 0], &mut buf)
        .expect("now present");
    assert_eq!(buf, [0xA0, 0x11]);
}

#[test]
fn absent_device_on_silicon_nacks_without_waiting() {
    let model = I2cModel::new(Mode::Silicon);
    let mut i2c = driver(&model);
    let mut buf = [0u8; 2];
    let err = i2c
        .write_read(CODEC, &[0, 0], &mut buf)
        .expect_err("nobody");
    assert_eq!(err, Error::NoAcknowledge(NoAcknowledgeSource::Address));
    assert!(model.status_reads() < 10, "{}", model.status_reads());
    assert!(!model.bus_busy());
}

#[test]
fn data_nack_is_reported_as_data() {
    for mode in [Mode::Qemu, Mode::Silicon] {
        let model = I2cModel::new(mode);
        let mut dev = RegisterDevice::default();
        dev.nack_after = Some(2);
        model.attach(CODEC, dev);
        let mut i2c = driver(&model);
        let err = i2c.write(CODEC, &[0, 0x30, 0x12, 0x34]).expect_err("nack");
        assert_eq!(
            err,
            Error::NoAcknowledge(NoAcknowledgeSource::Data),
            "{mode:?}"
        );
        assert_eq!(model.events().last(), Some(&BusEvent::Stop), "{mode:?}");
        assert!(!model.bus_busy());
    }
}

#[test]
fn arbitration_loss_is_typed() {
    let model = model_with_codec(Mode::Silicon);
    model.set_lose_arbitration(true);
    let mut i2c = driver(&model);
    let err = i2c.write(CODEC, &[0, 0]).expect_err("lost");
    assert_eq!(err, Error::ArbitrationLost);
    assert_eq!(err.kind(), ErrorKind::ArbitrationLoss);
    // IAL was cleared (written 0) during recovery.
    assert_eq!(model.i2sr() & imx6_bsp::i2c::i2sr::IAL, 0);
    model.set_lose_arbitration(false);
    i2c.write(CODEC, &[0, 0x30, 0, 0]).expect("works again");
}

#[test]
fn stuck_bus_gives_bus_busy_after_exactly_the_poll_limit() {
    let model = model_with_codec(Mode::Silicon);
    model.set_stuck_busy(true);
    let mut i2c = driver(&model);
    let err = i2c.write(CODEC, &[0]).expect_err("busy");
    assert_eq!(err, Error::BusBusy);
    assert_eq!(err.kind(), ErrorKind::Bus);
    assert_eq!(model.status_reads() as u32, POLLS);
    // No START was attempted.
    assert!(model.events().is_empty());
}

#[test]
fn silent_bus_times_out_instead_of_hanging() {
    let model = model_with_codec(Mode::Silicon);
    model.set_hang(true);
    let mut i2c = driver(&model);
    // Make RXAK clear so the timeout is not mistaken for a NACK: a previous good
    // transfer leaves RXAK = 0.
    model.set_hang(false);
    i2c.write(CODEC, &[0, 0x30]).expect("fine");
    model.set_hang(true);
    let err = i2c.write(CODEC, &[0, 0x30]).expect_err("hang");
    assert_eq!(err, Error::Timeout(Phase::Byte));
    assert_eq!(err.kind(), ErrorKind::Other);
}

#[test]
fn invalid_requests_touch_no_register() {
    let model = model_with_codec(Mode::Silicon);
    let mut i2c = driver(&model);
    assert_eq!(i2c.write(0x80, &[0]), Err(Error::InvalidAddress(0x80)));
    let mut empty = [0u8; 0];
    assert_eq!(i2c.read(CODEC, &mut empty), Err(Error::ZeroLengthRead));
    assert!(model.log().is_empty());
}

#[test]
fn codec_driver_over_the_imx_driver() {
    // Present codec: probe reads CHIP_ID through write/RSTA/read.
    let model = model_with_codec(Mode::Silicon);
    let i2c = driver(&model);
    let mut codec = Sgtl5000::new(i2c, sgtl5000::DEFAULT_ADDRESS);
    assert_eq!(
        codec.probe(),
        Ok(ChipId {
            part: 0xA0,
            revision: 0x11
        })
    );
    codec
        .write(sgtl5000::reg::ANA_POWER, 0x7260)
        .expect("write");
    assert_eq!(codec.read(sgtl5000::reg::ANA_POWER), Ok(0x7260));

    // QEMU without a codec model: the probe fails with the typed NACK.
    let empty = I2cModel::new(Mode::Qemu);
    let i2c = driver(&empty);
    let mut codec = Sgtl5000::new(i2c, sgtl5000::DEFAULT_ADDRESS);
    assert_eq!(
        codec.probe(),
        Err(sgtl5000::Error::I2c(Error::NoAcknowledge(
            NoAcknowledgeSource::Address
        )))
    );
}

/// Every transfer error has its own console explanation, and the board adds the bus and
/// the QEMU hint only for a NACK of the codec's address; the other I2C errors read as the
/// bus driver explains them.
#[test]
fn every_error_has_its_own_explanation_and_boards_reuse_them() {
    let all = [
        Error::NoAcknowledge(NoAcknowledgeSource::Address),
        Error::NoAcknowledge(NoAcknowledgeSource::Data),
        Error::ArbitrationLost,
        Error::BusBusy,
        Error::Timeout(Phase::Byte),
        Error::InvalidAddress(0x80),
    ];
    let texts: Vec<&str> = all.iter().map(Error::explain).collect();
    for (i, t) in texts.iter().enumerate() {
        assert!(!t.is_empty());
        assert!(
            texts[i + 1..].iter().all(|u| u != t),
            "{:?} shares its explanation",
            all[i]
        );
    }
    assert_eq!(
        Error::ZeroLengthRead.explain(),
        Error::InvalidAddress(0).explain()
    );
    assert!(Error::BusBusy.explain().contains("SDA low"));
    assert!(Error::Timeout(Phase::Stop)
        .explain()
        .contains("not clocked"));

    use imx6_bsp::board::{imx6ull_evk, sabrelite};
    for e in all {
        let sabrelite = sabrelite::explain_codec_error(&sgtl5000::Error::I2c(e));
        let evk = imx6ull_evk::explain_codec_error(&imx6_bsp::wm8960::Error::I2c(e));
        if e == Error::NoAcknowledge(NoAcknowledgeSource::Address) {
            assert!(sabrelite.contains("no codec on I2C1"), "{sabrelite}");
            assert!(evk.contains("no codec on I2C2"), "{evk}");
        } else {
            assert_eq!(sabrelite, e.explain());
            assert_eq!(evk, e.explain());
        }
    }
}
