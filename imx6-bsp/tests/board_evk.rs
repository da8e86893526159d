//! The i.MX6ULL EVK board type against register fakes: the bring-up order across
//! blocks (gates, pads, audio PLL, SAI2 clock root, MCLK direction, SAI2, I2C2), its
//! values, read-back verdicts on silicon and QEMU, and the absent codec on QEMU
//! (`docs/hardware-facts.md#evk`).

mod common;

use std::cell::RefCell;

use common::i2c_model::{BusEvent, I2cModel, Mode};
use common::RecordingMmio;
use embedded_hal::i2c::NoAcknowledgeSource;
use embedded_hal_mock::eh1::delay::NoopDelay;
use imx6_bsp::anatop::{self, pll};
use imx6_bsp::board::imx6ull_evk::{
    explain_codec_error, Blocks, BringUpReport, Imx6ullEvk, CODEC_ADDRESS, GPR1, GPR1_SAI2_MCLK_DIR,
};
use imx6_bsp::board::{Machine, Readback, QEMU_I2C_POLL_LIMIT};
use imx6_bsp::ccm;
use imx6_bsp::i2c::Error as I2cError;
use imx6_bsp::mmio::{Mmio, MmioBlock};
use imx6_bsp::sai::{self, reg as sai_reg};
use imx6_bsp::wm8960;

type Timeline = RefCell<Vec<(&'static str, usize, u32)>>;

/// Forwards to a block fake and records writes in a board-wide timeline.
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

struct Fakes {
    ccm: RecordingMmio,
    analog: RecordingMmio,
    iomuxc: RecordingMmio,
    gpr: RecordingMmio,
    sai: RecordingMmio,
    i2c: I2cModel,
    timeline: Timeline,
}

impl Fakes {
    /// Silicon: registers hold what is written; the audio PLL reports LOCK.
    fn silicon() -> Fakes {
        let f = Fakes {
            ccm: RecordingMmio::new(),
            analog: RecordingMmio::new(),
            iomuxc: RecordingMmio::new(),
            gpr: RecordingMmio::new(),
            sai: RecordingMmio::new(),
            i2c: I2cModel::new(Mode::Silicon),
            timeline: RefCell::new(Vec::new()),
        };
        f.analog.on_read(|offset, v| {
            if offset == anatop::reg::PLL_AUDIO {
                v | pll::LOCK
            } else {
                v
            }
        });
        f
    }

    /// QEMU: the pads, the GPR and the SAI read 0; no codec on the bus.
    fn qemu() -> Fakes {
        let f = Fakes::silicon();
        let f = Fakes {
            i2c: I2cModel::new(Mode::Qemu),
            ..f
        };
        f.iomuxc.on_read(|_, _| 0);
        f.gpr.on_read(|_, _| 0);
        f.sai.on_read(|_, _| 0);
        f
    }

    fn blocks(&self) -> Blocks<Tap<'_>> {
        let tap = |block, inner| Tap {
            block,
            inner,
            timeline: &self.timeline,
        };
        Blocks {
            ccm: tap("ccm", &self.ccm),
            ccm_analog: tap("analog", &self.analog),
            iomuxc: tap("iomuxc", &self.iomuxc),
            iomuxc_gpr: tap("gpr", &self.gpr),
            sai2: tap("sai2", &self.sai),
            i2c2: tap("i2c2", &self.i2c),
        }
    }

    fn block_order(&self) -> Vec<&'static str> {
        let mut order: Vec<&'static str> = Vec::new();
        for &(block, _, _) in self.timeline.borrow().iter() {
            if order.last() != Some(&block) {
                order.push(block);
            }
        }
        order
    }

    fn writes_of(&self, block: &str) -> Vec<(usize, u32)> {
        self.timeline
            .borrow()
            .iter()
            .filter(|(b, _, _)| *b == block)
            .map(|&(_, o, v)| (o, v))
            .collect()
    }
}

fn bring_up(fakes: &Fakes, machine: Machine) -> (Imx6ullEvk<Tap<'_>>, BringUpReport) {
    let profile = Imx6ullEvk::<MmioBlock>::profile_for(machine);
    Imx6ullEvk::bring_up(fakes.blocks(), profile, &mut NoopDelay::new()).expect("valid")
}

#[test]
fn bring_up_runs_the_blocks_in_dependency_order() {
    let fakes = Fakes::silicon();
    let _ = bring_up(&fakes, Machine::Silicon);
    // Gates before any block; pads; the PLL before the clock root that divides it;
    // MCLK out before the codec bus is used; SAI2 configured before I2C2.
    assert_eq!(
        fakes.block_order(),
        ["ccm", "iomuxc", "analog", "ccm", "gpr", "sai2", "i2c2"]
    );
}

#[test]
fn bring_up_writes_the_reference_values() {
    let fakes = Fakes::silicon();
    let (_board, report) = bring_up(&fakes, Machine::Silicon);
    // Gates: CCGR5 SDMA (CG3), SPBA (CG6), SAI2 (CG15); CCGR2 IOMUXC (CG7), I2C2 (CG4).
    assert_eq!(fakes.ccm.value(ccm::reg::CCGR0 + 4 * 5), 0xC000_30C0);
    assert_eq!(fakes.ccm.value(ccm::reg::CCGR0 + 4 * 2), 0x0000_C300);
    // SAI2 root: PLL4 (CSCMR1[13:12] = 2), ÷4 ÷16 (CS2CDR PRED 3, PODF 15).
    assert_eq!(fakes.ccm.value(ccm::reg::CSCMR1) & (0b11 << 12), 2 << 12);
    assert_eq!(fakes.ccm.value(ccm::reg::CS2CDR) & 0x1FF, (3 << 6) | 15);
    // Audio PLL: bypassed while programmed, then enabled, 786.432 MHz.
    let control = anatop::AudioPll::MHZ_786_432.control();
    assert_eq!(
        fakes.writes_of("analog"),
        vec![
            (anatop::reg::PLL_AUDIO, pll::BYPASS | control),
            (anatop::reg::PLL_AUDIO_NUM, 768),
            (anatop::reg::PLL_AUDIO_DENOM, 1000),
            (anatop::reg::PLL_AUDIO, pll::ENABLE | control),
            (anatop::reg::MISC2, 0),
        ]
    );
    assert!(report.pll.locked);
    assert_eq!(report.mclk_hz, 12_288_000);
    // MCLK pad is an output.
    assert_eq!(fakes.gpr.value(GPR1), GPR1_SAI2_MCLK_DIR);
    // SAI2: reset, then the I2S slave values, nothing enabled.
    let sai_writes = fakes.writes_of("sai2");
    assert_eq!(
        sai_writes[..4].to_vec(),
        vec![
            (sai_reg::TCSR, sai::csr::SR),
            (sai_reg::RCSR, sai::csr::SR),
            (sai_reg::TCSR, 0),
            (sai_reg::RCSR, 0),
        ]
    );
    assert_eq!(
        report.sai_registers,
        sai::Registers::for_config(&sai::Config::EVK).expect("valid")
    );
    assert_eq!(fakes.sai.value(sai_reg::TCSR) & sai::csr::XE, 0);
    // Pads: 7 pads, the SAI2 MCLK pad (JTAG_TMS, mux 0x48) muxed to ALT2.
    assert_eq!(report.pads, 7);
    assert_eq!(fakes.iomuxc.value(0x048), 2);
    assert_eq!(fakes.iomuxc.value(0x0BC), 2 | 1 << 4, "I2C2 SCL with SION");
    assert_eq!(report.sai, Readback::Match);
    assert_eq!(report.gpr1, Readback::Match);
    assert_eq!(report.fault(), None);
    let text = format!("{report}");
    for line in ["machine:", "clocks:", "iomuxc:", "sai2:", "i2c2:"] {
        assert!(text.contains(line), "{line} missing in\n{text}");
    }
}

#[test]
fn qemu_reads_zero_from_the_audio_blocks_without_a_fault() {
    let fakes = Fakes::qemu();
    let (_board, report) = bring_up(&fakes, Machine::Qemu);
    assert_eq!(report.sai, Readback::NotEmulated);
    assert_eq!(report.gpr1, Readback::NotEmulated);
    assert_eq!(report.fault(), None);
}

#[test]
fn an_unlocked_pll_or_a_wrong_sai_is_a_fault_on_silicon() {
    let fakes = Fakes::silicon();
    fakes.analog.on_read(|_, v| v & !pll::LOCK);
    let (_b, report) = bring_up(&fakes, Machine::Silicon);
    assert!(!report.pll.locked);
    assert_eq!(report.pll.polls, anatop::LOCK_POLLS);
    assert_eq!(report.fault(), Some("PLL4"));

    let fakes = Fakes::silicon();
    fakes.sai.on_read(|_, v| v ^ 1);
    let (_b, report) = bring_up(&fakes, Machine::Silicon);
    assert!(report.sai.is_fault());
    assert_eq!(report.fault(), Some("SAI2"));
}

#[test]
fn absent_codec_on_qemu_is_a_typed_nack_within_the_poll_bound() {
    let fakes = Fakes::qemu();
    let (mut board, _) = bring_up(&fakes, Machine::Qemu);
    fakes.i2c.clear_events();
    let err = board.probe_codec().expect_err("no codec on the bus");
    assert_eq!(
        err,
        wm8960::Error::I2c(I2cError::NoAcknowledge(NoAcknowledgeSource::Address))
    );
    assert!(explain_codec_error(&err).contains("no codec on I2C2"));
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
}
