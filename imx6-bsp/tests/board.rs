//! The SabreLite board type against register fakes: the bring-up order across blocks
//! and its values (`docs/hardware-facts.md#sabrelite-wiring`), read-back verdicts on silicon and on QEMU, the
//! console set-up, and the codec over the I2C controller model (absent codec on QEMU:
//! typed NACK within the poll bound; present codec: the full start sequence).

mod common;

use std::cell::RefCell;

use common::i2c_model::{BusEvent, I2cModel, Mode, RegisterDevice};
use common::RecordingMmio;
use embedded_hal::i2c::NoAcknowledgeSource;
use embedded_hal_mock::eh1::delay::NoopDelay;
use imx6_bsp::audmux;
use imx6_bsp::board::sabrelite::{explain_codec_error, CodecSetup, CODEC_ADDRESS};
use imx6_bsp::board::{
    Blocks, BoardError, Machine, Profile, Readback, SabreLite, QEMU_I2C_POLL_LIMIT,
};
use imx6_bsp::ccm::{self, gates, GateMode};
use imx6_bsp::i2c::{self, Error as I2cError};
use imx6_bsp::iomuxc;
use imx6_bsp::mmio::Mmio;
use imx6_bsp::sgtl5000::{self, reg as codec_reg, ChipId};
use imx6_bsp::ssi;

/// One write seen anywhere on the board, tagged with its block.
type Timeline = RefCell<Vec<(&'static str, usize, u32)>>;

/// Forwards to a block fake and records writes in a board-wide timeline, so that the
/// order across blocks can be checked.
struct Tap<'a> {
    block: &'static str,
    inner: &'a dyn Mmio,
    timeline: &'a Timeline,
}

impl Mmio for Tap<'_> {
    fn read32(&self, offset: usize) -> u32 {
        self.inner.read32(offset)
    }
    fn write32(&self, offset: usize, value: u32) {
        self.timeline.borrow_mut().push((self.block, offset, value));
        self.inner.write32(offset, value)
    }
    fn read16(&self, offset: usize) -> u16 {
        self.inner.read16(offset)
    }
    fn write16(&self, offset: usize, value: u16) {
        self.timeline
            .borrow_mut()
            .push((self.block, offset, u32::from(value)));
        self.inner.write16(offset, value)
    }
    fn read8(&self, offset: usize) -> u8 {
        self.inner.read8(offset)
    }
    fn write8(&self, offset: usize, value: u8) {
        self.timeline
            .borrow_mut()
            .push((self.block, offset, u32::from(value)));
        self.inner.write8(offset, value)
    }
}

/// The board's fakes. The CCM starts at the QEMU reset values (`docs/hardware-facts.md#ccm`).
struct Fakes {
    ccm: RecordingMmio,
    iomuxc: RecordingMmio,
    audmux: RecordingMmio,
    ssi: RecordingMmio,
    i2c: I2cModel,
    timeline: Timeline,
}

const CCOSR_RESET: u32 = 0x000A_0001;

impl Fakes {
    fn new(i2c_mode: Mode) -> Fakes {
        let ccm =
            RecordingMmio::with_values(&[(0x70, 0xFC3F_FFFF), (ccm::reg::CCOSR, CCOSR_RESET)]);
        Fakes {
            ccm,
            iomuxc: RecordingMmio::new(),
            audmux: RecordingMmio::new(),
            ssi: RecordingMmio::new(),
            i2c: I2cModel::new(i2c_mode),
            timeline: RefCell::new(Vec::new()),
        }
    }

    /// QEMU: the IOMUXC, AUDMUX and SSI read as zero whatever is written.
    fn qemu() -> Fakes {
        let f = Fakes::new(Mode::Qemu);
        f.iomuxc.on_read(|_, _| 0);
        f.audmux.on_read(|_, _| 0);
        f.ssi.on_read(|_, _| 0);
        f
    }

    fn blocks(&self) -> Blocks<Tap<'_>> {
        Blocks {
            ccm: Tap {
                block: "ccm",
                inner: &self.ccm,
                timeline: &self.timeline,
            },
            iomuxc: Tap {
                block: "iomuxc",
                inner: &self.iomuxc,
                timeline: &self.timeline,
            },
            audmux: Tap {
                block: "audmux",
                inner: &self.audmux,
                timeline: &self.timeline,
            },
            ssi1: Tap {
                block: "ssi1",
                inner: &self.ssi,
                timeline: &self.timeline,
            },
            i2c1: Tap {
                block: "i2c1",
                inner: &self.i2c,
                timeline: &self.timeline,
            },
        }
    }

    /// The blocks in the order they were first written.
    fn block_order(&self) -> Vec<&'static str> {
        let mut order: Vec<&'static str> = Vec::new();
        for &(block, _, _) in self.timeline.borrow().iter() {
            if order.last() != Some(&block) {
                order.push(block);
            }
        }
        order
    }

    fn writes_to(&self, block: &str) -> Vec<(usize, u32)> {
        self.timeline
            .borrow()
            .iter()
            .filter(|(b, _, _)| *b == block)
            .map(|&(_, o, v)| (o, v))
            .collect()
    }
}

fn bring_up<'a>(
    fakes: &'a Fakes,
    profile: Profile,
) -> (SabreLite<Tap<'a>>, imx6_bsp::board::BringUpReport) {
    SabreLite::bring_up(fakes.blocks(), profile, &mut NoopDelay::new()).expect("valid profile")
}

#[test]
fn bring_up_runs_the_blocks_in_dependency_order() {
    let fakes = Fakes::new(Mode::Silicon);
    let _ = bring_up(&fakes, Profile::SILICON);
    // Gates, pads, MCLK (CCOSR), AUDMUX, SSI, I2C: each block is clocked before it is
    // touched, MCLK runs before any I2C access, the AUDMUX is routed before the SSI.
    assert_eq!(
        fakes.block_order(),
        ["ccm", "iomuxc", "ccm", "audmux", "ssi1", "i2c1"]
    );
}

#[test]
fn bring_up_writes_the_reference_values() {
    let fakes = Fakes::new(Mode::Silicon);
    let (_board, report) = bring_up(&fakes, Profile::SILICON);

    // Gates: SDMA, SPBA, SSI1 in CCGR5, I2C1 in CCGR2, each a read-modify-write that
    // leaves the other fields alone.
    let ccm_writes = fakes.writes_to("ccm");
    let ccgr5 = gates::SDMA.offset();
    assert_eq!(ccgr5, 0x7C);
    assert_eq!(
        ccm_writes,
        vec![
            (ccgr5, 0b11 << 6),
            (ccgr5, (0b11 << 6) | (0b11 << 12)),
            (ccgr5, (0b11 << 6) | (0b11 << 12) | (0b11 << 18)),
            (0x70, 0xFC3F_FFFF),
            // `docs/hardware-facts.md#ccm` (CLKO1): clear 0x01FF0100, OR in 0x010E0100.
            (ccm::reg::CCOSR, (CCOSR_RESET & !0x01FF_0100) | 0x010E_0100),
        ]
    );

    // Pads: CLKO1, the four AUD4 pads, the two I2C1 pads; select input, pad, mux each.
    let pad_writes = fakes.writes_to("iomuxc");
    let mut expected = Vec::new();
    let mut pads = vec![iomuxc::SABRELITE_MCLK];
    pads.extend(iomuxc::SABRELITE_AUD4);
    pads.extend(iomuxc::SABRELITE_I2C1);
    for p in &pads {
        if let Some(sel) = p.input_select {
            expected.push(sel);
        }
        expected.push((p.pad_offset, p.pad.0));
        expected.push((p.mux_offset, p.mux));
    }
    assert_eq!(pad_writes, expected);
    assert_eq!(report.pads, pads.len());
    // The Linux values of `docs/hardware-facts.md#iomuxc` for two representative pads.
    assert!(pad_writes.contains(&(0x744, 0x130B0)));
    assert!(pad_writes.contains(&(0x0A4, 0x16)));

    // AUDMUX: the Linux SabreLite values, port 1 then port 4.
    assert_eq!(
        fakes.writes_to("audmux"),
        vec![
            (0x00, 0x9CC0_0800),
            (0x04, 0x0000_6000),
            (0x18, 0x0000_0800),
            (0x1C, 0x0000_0000)
        ]
    );

    // SSI1: stopped first, Linux register values, left disabled (SSIEN clear).
    let ssi_writes = fakes.writes_to("ssi1");
    assert_eq!(ssi_writes.first(), Some(&(ssi::reg::SCR, 0)));
    assert_eq!(ssi_writes.last(), Some(&(ssi::reg::SCR, 0x1058)));
    assert!(ssi_writes.contains(&(ssi::reg::STCR, 0x20D)));
    assert!(ssi_writes.contains(&(ssi::reg::STCCR, 0x0004_E100)));
    assert!(ssi_writes.contains(&(ssi::reg::SFCSR, 0x0088_0088)));

    // I2C1: disable, divider for ~86 kHz (/768), clear status, enable.
    assert_eq!(
        fakes.writes_to("i2c1"),
        vec![
            (i2c::reg::I2CR, 0),
            (i2c::reg::IFDR, 0x39),
            (i2c::reg::I2SR, 0),
            (i2c::reg::I2CR, u32::from(i2c::i2cr::IEN))
        ]
    );
    assert_eq!(report.i2c.actual_hz, 85_937);
}

#[test]
fn silicon_read_backs_match_and_report_no_fault() {
    let fakes = Fakes::new(Mode::Silicon);
    let (_board, report) = bring_up(&fakes, Profile::SILICON);
    assert_eq!(report.machine, Machine::Silicon);
    assert_eq!(
        report.gates,
        [
            ("SDMA", GateMode::On),
            ("SPBA", GateMode::On),
            ("SSI1", GateMode::On),
            ("I2C1", GateMode::On)
        ]
    );
    assert_eq!(report.mclk_hz, 24_000_000);
    assert_eq!(report.ccosr_readback, Readback::Match);
    assert_eq!(report.audmux, Readback::Match);
    assert_eq!(report.ssi, Readback::Match);
    assert_eq!(report.routing, audmux::SABRELITE);
    assert_eq!(report.i2c_poll_limit, i2c::DEFAULT_POLL_LIMIT);
    assert_eq!(report.fault(), None);
}

#[test]
fn qemu_reads_zero_from_the_audio_blocks_without_a_fault() {
    let fakes = Fakes::qemu();
    let (_board, report) = bring_up(&fakes, Profile::QEMU);
    assert_eq!(report.audmux, Readback::NotEmulated);
    assert_eq!(report.ssi, Readback::NotEmulated);
    // The CCM is a register file on QEMU too.
    assert_eq!(report.ccosr_readback, Readback::Match);
    assert_eq!(report.fault(), None);
    assert_eq!(report.i2c_poll_limit, QEMU_I2C_POLL_LIMIT);
    // The same register sequence as on silicon is still written.
    assert_eq!(fakes.writes_to("audmux").len(), 4);
    let text = report.to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 6, "{text}");
    for (line, block) in lines.iter().zip([
        "machine:", "clocks:", "iomuxc:", "audmux:", "ssi1:", "i2c1:",
    ]) {
        assert!(line.starts_with(block), "{line}");
    }
    assert!(lines[0].contains("QEMU"));
    assert!(lines[3].ends_with("not emulated (reads 0)"), "{}", lines[3]);
    assert!(lines[4].ends_with("not emulated (reads 0)"), "{}", lines[4]);
}

#[test]
fn an_unclocked_block_on_silicon_is_a_fault() {
    // SSI1 reads 0 on silicon: its gate or the bus is broken.
    let fakes = Fakes::new(Mode::Silicon);
    fakes.ssi.on_read(|_, _| 0);
    let (_board, report) = bring_up(&fakes, Profile::SILICON);
    assert_eq!(
        report.ssi,
        Readback::Mismatch {
            expected: 0x1058,
            read: 0
        }
    );
    assert_eq!(report.fault(), Some("SSI1"));
    assert!(report.to_string().contains("MISMATCH"));

    // A gate that does not stick is named.
    let fakes = Fakes::new(Mode::Silicon);
    fakes
        .ccm
        .on_read(|offset, v| if offset == 0x7C { v & !(0b11 << 12) } else { v });
    let (_board, report) = bring_up(&fakes, Profile::SILICON);
    assert_eq!(report.gates[1], ("SPBA", GateMode::Off));
    assert_eq!(report.fault(), Some("SPBA"));
}

#[test]
fn an_invalid_i2c_profile_is_a_typed_error() {
    let fakes = Fakes::new(Mode::Silicon);
    let mut profile = Profile::SILICON;
    profile.i2c.poll_limit = 0;
    let err = SabreLite::bring_up(fakes.blocks(), profile, &mut NoopDelay::new()).err();
    assert_eq!(err, Some(BoardError::I2c(i2c::ConfigError::ZeroPollLimit)));
}

#[test]
fn console_pins_only_on_silicon() {
    let fakes = Fakes::new(Mode::Silicon);
    SabreLite::prepare_console(&fakes.blocks(), &Profile::QEMU);
    assert!(fakes.timeline.borrow().is_empty());

    SabreLite::prepare_console(&fakes.blocks(), &Profile::SILICON);
    let ccgr5 = gates::UART_IPG.offset();
    assert_eq!(
        fakes.writes_to("ccm"),
        vec![(ccgr5, 0b11 << 24), (ccgr5, 0b1111 << 24)]
    );
    let pads = fakes.writes_to("iomuxc");
    // UART2 TX/RX on EIM_D26/D27, ALT4, RX select input = 1 (`docs/hardware-facts.md#iomuxc`).
    assert_eq!(
        pads,
        vec![
            (0x3D0, 0x1B0B1),
            (0x0BC, 4),
            (0x928, 1),
            (0x3D4, 0x1B0B1),
            (0x0C0, 4)
        ]
    );
}

#[test]
fn absent_codec_on_qemu_is_a_typed_nack_within_the_poll_bound() {
    let fakes = Fakes::qemu();
    let (mut board, _) = bring_up(&fakes, Profile::QEMU);
    fakes.i2c.clear_events();
    let err = board.probe_codec().expect_err("no codec on the bus");
    assert_eq!(
        err,
        sgtl5000::Error::I2c(I2cError::NoAcknowledge(NoAcknowledgeSource::Address))
    );
    assert!(explain_codec_error(&err).contains("no codec"));
    // One address phase that runs out at the poll limit, plus the bounded START and
    // STOP waits that QEMU answers at once.
    let reads = fakes.i2c.status_reads();
    let limit = QEMU_I2C_POLL_LIMIT as usize;
    assert!((limit..limit + 10).contains(&reads), "{reads} status reads");
    assert_eq!(
        fakes.i2c.events(),
        vec![
            BusEvent::Start,
            BusEvent::Address(CODEC_ADDRESS << 1, false),
            BusEvent::Stop
        ]
    );
    assert!(!fakes.i2c.bus_busy(), "the bus is released");
}

/// The codec register writes in bus order, rebuilt from the wire.
fn codec_writes(events: &[BusEvent]) -> Vec<(u16, u16)> {
    let mut out = Vec::new();
    let mut bytes: Vec<u8> = Vec::new();
    let mut writing = false;
    for e in events {
        match *e {
            BusEvent::Address(a, _) => {
                bytes.clear();
                writing = a & 1 == 0;
            }
            BusEvent::Tx(b, _) if writing => bytes.push(b),
            BusEvent::Stop | BusEvent::RepeatedStart => {
                if writing && bytes.len() == 4 {
                    out.push((
                        u16::from_be_bytes([bytes[0], bytes[1]]),
                        u16::from_be_bytes([bytes[2], bytes[3]]),
                    ));
                }
                bytes.clear();
                writing = false;
            }
            _ => {}
        }
    }
    out
}

#[test]
fn present_codec_is_probed_then_started_for_the_loopback() {
    let fakes = Fakes::new(Mode::Silicon);
    fakes.i2c.attach(
        CODEC_ADDRESS,
        RegisterDevice::with(&[(codec_reg::CHIP_ID, 0xA011), (codec_reg::ANA_POWER, 0x7060)]),
    );
    let (mut board, _) = bring_up(&fakes, Profile::SILICON);
    assert_eq!(
        board.probe_codec(),
        Ok(ChipId {
            part: 0xA0,
            revision: 0x11
        })
    );
    fakes.i2c.clear_events();

    let report = board
        .start_codec(&CodecSetup::SABRELITE_MIC, &mut NoopDelay::new())
        .expect("codec answers");
    assert_eq!(report.chip.part, 0xA0);
    // 24 MHz MCLK at 48 kHz needs the PLL (`docs/hardware-facts.md#sgtl5000`).
    assert_eq!(report.clocks.clk_ctrl, 0x000B);

    let mut codec = board.codec();
    let read = |c: &mut sgtl5000::Sgtl5000<_>, r| c.read(r).expect("read");
    assert_eq!(read(&mut codec, codec_reg::I2S_CTRL), 0x01B0);
    assert_eq!(read(&mut codec, codec_reg::PLL_CTRL), 0x8312);
    assert_eq!(read(&mut codec, codec_reg::CLK_CTRL), 0x000B);
    // -6 dB on both headphone channels: code 0x18 + 12.
    assert_eq!(read(&mut codec, codec_reg::ANA_HP_CTRL), 0x2424);
    let ana_ctrl = read(&mut codec, codec_reg::ANA_CTRL);
    assert_eq!(
        ana_ctrl & sgtl5000::ana_ctrl::HP_MUTE,
        0,
        "headphone unmuted"
    );
    assert_eq!(ana_ctrl & sgtl5000::ana_ctrl::ADC_MUTE, 0, "ADC unmuted");
    assert_eq!(
        ana_ctrl & sgtl5000::ana_ctrl::ADC_SEL_LINE_IN,
        0,
        "mic input"
    );
    let dig = read(&mut codec, codec_reg::DIG_POWER);
    assert_eq!(dig & 0b11, 0b11, "I2S in and out powered");

    // The headphone is unmuted last, after its gain and every power step.
    let writes = codec_writes(&fakes.i2c.events());
    let last_hp_unmute = writes
        .iter()
        .rposition(|&(r, v)| r == codec_reg::ANA_CTRL && v & sgtl5000::ana_ctrl::HP_MUTE == 0)
        .expect("unmuted");
    let hp_gain = writes
        .iter()
        .position(|&(r, _)| r == codec_reg::ANA_HP_CTRL)
        .expect("gain set");
    let last_power = writes
        .iter()
        .rposition(|&(r, _)| r == codec_reg::ANA_POWER)
        .expect("powered");
    assert!(
        hp_gain < last_hp_unmute && last_power < last_hp_unmute,
        "{writes:x?}"
    );
    assert_eq!(last_hp_unmute, writes.len() - 1);
    // Every earlier ANA_CTRL write keeps the headphone muted.
    for &(r, v) in &writes[..last_hp_unmute] {
        if r == codec_reg::ANA_CTRL {
            assert_ne!(v & sgtl5000::ana_ctrl::HP_MUTE, 0, "{writes:x?}");
        }
    }
}

#[test]
fn line_in_setup_selects_line_in() {
    let fakes = Fakes::new(Mode::Silicon);
    fakes.i2c.attach(
        CODEC_ADDRESS,
        RegisterDevice::with(&[(codec_reg::CHIP_ID, 0xA011)]),
    );
    let (mut board, _) = bring_up(&fakes, Profile::SILICON);
    board
        .start_codec(&CodecSetup::SABRELITE_LINE_IN, &mut NoopDelay::new())
        .expect("codec answers");
    let ana_ctrl = board.codec().read(codec_reg::ANA_CTRL).expect("read");
    assert_ne!(ana_ctrl & sgtl5000::ana_ctrl::ADC_SEL_LINE_IN, 0);
}

#[test]
fn free_gives_every_block_back() {
    let fakes = Fakes::new(Mode::Silicon);
    let (board, _) = bring_up(&fakes, Profile::SILICON);
    let (profile, blocks) = board.free();
    assert_eq!(profile, Profile::SILICON);
    // The I2C controller is disabled on the way out.
    assert_eq!(fakes.writes_to("i2c1").last(), Some(&(i2c::reg::I2CR, 0)));
    assert_eq!(blocks.ssi1.block, "ssi1");
    assert_eq!(blocks.i2c1.block, "i2c1");
}
