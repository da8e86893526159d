//! The Boundary Devices SabreLite (i.MX6Quad) audio board: SGTL5000 codec on I2C1 at
//! 0x0A, its I2S port on the AUD4 pads (AUDMUX port 4) wired to SSI1 (port 1), codec
//! MCLK = 24 MHz from the CLKO1 pad, console on UART2.
//!
//! # Bring-up ([`SabreLite::bring_up`])
//!
//! In this order, each step needing the previous ones:
//!
//! 1. **Clock gates** on ([`AUDIO_GATES`]: SDMA, SPBA, SSI1, I2C1), read back: a block
//!    must be clocked before its registers are touched.
//! 2. **Pads**: CLKO1 (codec MCLK), AUD4 RXD/TXC/TXD/TXFS, I2C1 SCL/SDA
//!    ([`crate::iomuxc::Iomuxc::configure_sabrelite_audio`]).
//! 3. **Codec MCLK**: CKO2 = 24 MHz oscillator on the CLKO1 pad (`CCOSR`), read back.
//!    It must run before any I2C access to the codec.
//! 4. **AUDMUX**: port 1 (SSI1) to port 4 (AUD4), synchronous, codec master
//!    ([`crate::audmux::SABRELITE`]), read back.
//! 5. **SSI1**: I2S slave, 16-bit, 2 slots, watermark 8, left disabled
//!    ([`crate::ssi::Config::SABRELITE`]), read back.
//! 6. **I2C1**: reset, divider for 100 kHz (≈ 85.9 kHz from 66 MHz), enable, 50 µs
//!    settling.
//!
//! Nothing waits without bound; the only timed wait is the 50 µs of step 6. The codec
//! is not touched by the bring-up: [`SabreLite::probe_codec`] and
//! [`SabreLite::start_codec`] do that, so a program decides what an absent or silent
//! codec means (on QEMU it is always absent).
//!
//! The console pads and the UART clock gates (silicon only; see
//! [`Profile::console_pins`]) are set up by [`SabreLite::prepare_console`], which a
//! program calls first, before [`super::init_core`], so that it can print from the
//! start.
//!
//! # Streams
//!
//! For an audio stream the order is: codec clocks running ([`SabreLite::start_codec`]:
//! the codec is the I2S master, so BCLK/LRCLK start here), SDMA channels started on
//! [`crate::ssi::SSI1`]'s FIFOs and events, then [`crate::ssi::Ssi::start_rx`] /
//! [`crate::ssi::Ssi::start_tx`] through [`SabreLite::ssi`].
//!
//! Facts: `docs/hardware-facts.md#sabrelite-wiring` and the sections of each block.

use core::fmt;

use embedded_hal::delay::DelayNs;
use embedded_hal::i2c::NoAcknowledgeSource;
use sdma_core::sdma::PeripheralType;

use super::{Board, Machine, Profile, Readback, TxStartProbe};
use crate::audmux::{self, Audmux};
use crate::ccm::{self, gates, Ccm, Gate, GateMode};
use crate::i2c::{self, I2c};
use crate::iomuxc::{self, Iomuxc};
use crate::mmio::{Mmio, MmioBlock};
use crate::sgtl5000::{
    self, CaptureInput, ChipId, ClockPlan, MicGain, Sgtl5000, StreamFormat, Supplies,
};
use crate::soc::imx6q::memory_map;
use crate::soc::{self, Soc};
use crate::ssi::{self, Ssi};

/// The codec's 7-bit I2C address on the SabreLite (`CTRL_ADR0_CS` low).
pub const CODEC_ADDRESS: u8 = sgtl5000::DEFAULT_ADDRESS;

/// The clock gates of the audio path, with names for reports, in the order they are
/// turned on. SPBA is included because whether the SSI needs it is unverified.
pub const AUDIO_GATES: [(&str, Gate); 4] = [
    ("SDMA", gates::SDMA),
    ("SPBA", gates::SPBA),
    ("SSI1", gates::SSI1),
    ("I2C1", gates::I2C1),
];

/// The UART clock gates (all UARTs share them).
pub const CONSOLE_GATES: [Gate; 2] = [gates::UART_IPG, gates::UART_SERIAL];

/// Number of pads the audio bring-up configures: CLKO1, four AUD4 pads, two I2C1 pads.
pub const AUDIO_PAD_COUNT: usize = 1 + iomuxc::SABRELITE_AUD4.len() + iomuxc::SABRELITE_I2C1.len();

/// Mask of the `SFCSR` watermark fields (the FIFO counts are read-only status).
const SFCSR_WATERMARKS: u32 = 0x00FF_00FF;

/// The register blocks the board drives, one [`Mmio`] each.
#[derive(Debug)]
pub struct Blocks<M> {
    /// CCM (clock gates, CCOSR).
    pub ccm: M,
    /// IOMUXC (pads).
    pub iomuxc: M,
    /// AUDMUX.
    pub audmux: M,
    /// SSI1.
    pub ssi1: M,
    /// I2C1 (codec control bus).
    pub i2c1: M,
}

/// Whether [`Blocks::take`] has handed the blocks out. Read and written only inside
/// `startup::free` on core 0 (no read-modify-write atomics: the A9 implements them
/// only on cacheable memory, and the MMU is off).
static TAKEN: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

impl Blocks<MmioBlock> {
    /// The SabreLite's register blocks at their i.MX6 addresses, the first time it is
    /// called; `None` afterwards, so that each block has one driver.
    pub fn take() -> Option<Self> {
        use core::sync::atomic::Ordering;
        crate::startup::free(|| {
            if TAKEN.load(Ordering::Relaxed) {
                return None;
            }
            TAKEN.store(true, Ordering::Relaxed);
            // SAFETY: the addresses are the CCM, IOMUXC, AUDMUX, SSI1 and I2C1 register
            // blocks of the i.MX6 memory map (identity-mapped device memory for the
            // whole program); the drivers only use offsets inside their block, aligned
            // to the access width; `TAKEN` makes this the only set of drivers.
            unsafe {
                Some(Blocks {
                    ccm: MmioBlock::new(memory_map::CCM),
                    iomuxc: MmioBlock::new(memory_map::IOMUXC),
                    audmux: MmioBlock::new(memory_map::AUDMUX),
                    ssi1: MmioBlock::new(memory_map::SSI1),
                    i2c1: MmioBlock::new(memory_map::I2C1),
                })
            }
        })
    }
}

/// Bring-up errors. The board's own configurations are valid, so these only come
/// from a [`Profile`] with an invalid I2C setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BoardError {
    /// The SSI configuration was refused.
    Ssi(ssi::SsiError),
    /// The I2C configuration was refused.
    I2c(i2c::ConfigError),
}

impl fmt::Display for BoardError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BoardError::Ssi(e) => write!(f, "SSI1 configuration refused: {e:?}"),
            BoardError::I2c(e) => write!(f, "I2C1 configuration refused: {e:?}"),
        }
    }
}

/// Errors of the codec, on the board's I2C bus.
pub type CodecError = sgtl5000::Error<i2c::Error>;

/// A one-line explanation of a codec error for a console report. Pure.
pub const fn explain_codec_error(e: &CodecError) -> &'static str {
    match e {
        sgtl5000::Error::I2c(i2c::Error::NoAcknowledge(NoAcknowledgeSource::Address)) => {
            "nothing acknowledged the codec's address: no codec on I2C1 (expected on QEMU)"
        }
        sgtl5000::Error::I2c(e) => e.explain(),
        sgtl5000::Error::WrongPartId { .. } => "a device answered at 0x0A but it is no SGTL5000",
        sgtl5000::Error::Clock(_) => "no codec clock configuration for this MCLK and rate",
        sgtl5000::Error::VolumeOutOfRange(_) => "a volume outside the codec's range",
    }
}

/// What the bring-up did and read back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BringUpReport {
    /// The machine.
    pub machine: Machine,
    /// Each audio gate's mode as read back after it was turned on.
    pub gates: [(&'static str, GateMode); 4],
    /// Codec MCLK frequency in Hz.
    pub mclk_hz: u32,
    /// `CCOSR` as written.
    pub ccosr: u32,
    /// `CCOSR` read-back (the CCM is emulated on QEMU too).
    pub ccosr_readback: Readback,
    /// Pads configured.
    pub pads: usize,
    /// The AUDMUX routing written.
    pub routing: audmux::Routing,
    /// The AUDMUX read-back (all four registers).
    pub audmux: Readback,
    /// The SSI1 register values written.
    pub ssi_registers: ssi::Registers,
    /// The SSI1 read-back (`SCR`, `STCR`, `SRCR`, `STCCR`, `SFCSR` watermarks).
    pub ssi: Readback,
    /// The I2C1 bit-rate setting.
    pub i2c: i2c::Divider,
    /// The I2C1 status-read bound per wait.
    pub i2c_poll_limit: u32,
}

impl BringUpReport {
    /// The first block whose read-back shows a fault, if any (a gate that is not on,
    /// or a register that does not hold what was written on a machine that emulates
    /// it).
    pub fn fault(&self) -> Option<&'static str> {
        if let Some((name, _)) = self.gates.iter().find(|(_, m)| *m != GateMode::On) {
            return Some(name);
        }
        if self.ccosr_readback.is_fault() {
            return Some("CCOSR");
        }
        if self.audmux.is_fault() {
            return Some("AUDMUX");
        }
        if self.ssi.is_fault() {
            return Some("SSI1");
        }
        None
    }
}

impl fmt::Display for BringUpReport {
    /// One line per block, each starting with the block's name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "machine: {}", self.machine.name())?;
        f.write_str("clocks: gates")?;
        for (name, mode) in self.gates {
            write!(f, " {name}={mode:?}")?;
        }
        writeln!(
            f,
            "; codec MCLK {} Hz on CLKO1 (CCOSR {:#010x}: {})",
            self.mclk_hz, self.ccosr, self.ccosr_readback
        )?;
        writeln!(
            f,
            "iomuxc: {} pads (CLKO1, AUD4 x4, I2C1 x2){}",
            self.pads,
            if self.machine == Machine::Qemu {
                ": not emulated"
            } else {
                ""
            }
        )?;
        let r = self.routing;
        writeln!(
            f,
            "audmux: port {} <-> port {} (PTCR {:#010x}/{:#010x}, PDCR {:#06x}/{:#06x}): {}",
            r.internal.port.index() + 1,
            r.external.port.index() + 1,
            r.internal.ptcr,
            r.external.ptcr,
            r.internal.pdcr,
            r.external.pdcr,
            self.audmux
        )?;
        let s = self.ssi_registers;
        writeln!(
            f,
            "ssi1: I2S slave 16-bit x2, watermark 8 (SCR {:#06x} STCR {:#05x} STCCR {:#010x} SFCSR {:#010x}): {}",
            s.scr, s.stcr, s.stccr, s.sfcsr, self.ssi
        )?;
        write!(
            f,
            "i2c1: IFDR {:#04x} (/{}) = {} Hz SCL, at most {} status reads per wait",
            self.i2c.ifdr, self.i2c.divider, self.i2c.actual_hz, self.i2c_poll_limit
        )
    }
}

/// How [`SabreLite::start_codec`] sets the codec up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CodecSetup {
    /// Stream format (MCLK, rate, width, who is master).
    pub format: StreamFormat,
    /// Capture input.
    pub input: CaptureInput,
    /// Headphone gain in half-dB steps (+24 ..= -103; 0 = 0 dB).
    pub headphone_half_db: i16,
}

impl CodecSetup {
    /// 48 kHz, 16-bit stereo, codec master; microphone with +20 dB (the input the
    /// SabreLite device tree routes); headphone at -6 dB.
    pub const SABRELITE_MIC: CodecSetup = CodecSetup {
        format: StreamFormat::SABRELITE_48K_S16,
        input: CaptureInput::Mic(MicGain::Db20),
        headphone_half_db: -12,
    };
    /// As [`CodecSetup::SABRELITE_MIC`], capturing LINE_IN (whether the SabreLite
    /// brings LINE_IN out is unverified).
    pub const SABRELITE_LINE_IN: CodecSetup = CodecSetup {
        input: CaptureInput::LineIn,
        ..CodecSetup::SABRELITE_MIC
    };
}

/// What [`SabreLite::start_codec`] found and chose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CodecReport {
    /// The codec's identification.
    pub chip: ChipId,
    /// Its clock configuration.
    pub clocks: ClockPlan,
}

/// The SabreLite with its audio path brought up.
#[derive(Debug)]
pub struct SabreLite<M: Mmio> {
    profile: Profile,
    ccm: Ccm<M>,
    iomuxc: Iomuxc<M>,
    audmux: Audmux<M>,
    ssi: Ssi<M>,
    i2c: I2c<M>,
}

impl<M: Mmio> SabreLite<M> {
    /// On silicon ([`Profile::console_pins`]), turns the UART clock gates on and muxes
    /// the UART2 pads; does nothing on QEMU. Call it before [`super::init_core`].
    pub fn prepare_console(blocks: &Blocks<M>, profile: &Profile) {
        if !profile.console_pins {
            return;
        }
        let ccm = Ccm::new(&blocks.ccm);
        ccm.enable_all(&CONSOLE_GATES);
        Iomuxc::new(&blocks.iomuxc).configure_all(&iomuxc::SABRELITE_UART2);
    }

    /// Brings the audio path up (see the module docs for the steps and their order)
    /// and reports what it read back. The codec is not touched.
    pub fn bring_up(
        blocks: Blocks<M>,
        profile: Profile,
        delay: &mut impl DelayNs,
    ) -> Result<(Self, BringUpReport), BoardError> {
        let readable = profile.audio_blocks_readable;

        // 1. Clock gates.
        let ccm = Ccm::new(&blocks.ccm);
        let mut gate_modes = [("", GateMode::Off); 4];
        for (slot, (name, gate)) in gate_modes.iter_mut().zip(AUDIO_GATES) {
            ccm.enable(gate);
            *slot = (name, ccm.gate_mode(gate));
        }

        // 2. Pads.
        Iomuxc::new(&blocks.iomuxc).configure_sabrelite_audio();

        // 3. Codec MCLK.
        let before = blocks.ccm.read32(ccm::reg::CCOSR);
        let mclk_hz = ccm.enable_sabrelite_codec_mclk();
        let ccosr = ccm::ccosr_cko2_on_pad(before, ccm::Cko2Source::Osc, 1);
        let ccosr_readback = Readback::judge(ccosr, blocks.ccm.read32(ccm::reg::CCOSR), true);

        // 4. AUDMUX.
        let routing = audmux::SABRELITE;
        let mux = Audmux::new(&blocks.audmux);
        mux.apply(&routing);
        let mut audmux_readback = Readback::Match;
        for expected in [routing.internal, routing.external] {
            let read = mux.read_port(expected.port);
            audmux_readback = audmux_readback
                .and(Readback::judge(expected.ptcr, read.ptcr, readable))
                .and(Readback::judge(expected.pdcr, read.pdcr, readable));
        }

        // 5. SSI1, left disabled.
        let ssi_registers = Ssi::new(&blocks.ssi1)
            .configure(&ssi::Config::SABRELITE)
            .map_err(BoardError::Ssi)?;
        let ssi_readback = ssi_readback(&blocks.ssi1, &ssi_registers, readable);

        // 6. I2C1.
        let Blocks {
            ccm,
            iomuxc,
            audmux,
            ssi1,
            i2c1,
        } = blocks;
        let i2c = I2c::new(i2c1, profile.i2c, delay).map_err(BoardError::I2c)?;

        let report = BringUpReport {
            machine: profile.machine,
            gates: gate_modes,
            mclk_hz,
            ccosr,
            ccosr_readback,
            pads: AUDIO_PAD_COUNT,
            routing,
            audmux: audmux_readback,
            ssi_registers,
            ssi: ssi_readback,
            i2c: i2c.divider(),
            i2c_poll_limit: profile.i2c.poll_limit,
        };
        let board = SabreLite {
            profile,
            ccm: Ccm::new(ccm),
            iomuxc: Iomuxc::new(iomuxc),
            audmux: Audmux::new(audmux),
            ssi: Ssi::new(ssi1),
            i2c,
        };
        Ok((board, report))
    }

    /// The profile the board was brought up with.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The CCM driver.
    pub fn ccm(&self) -> &Ccm<M> {
        &self.ccm
    }

    /// The IOMUXC driver (for example for I2C1 bus recovery).
    pub fn iomuxc(&self) -> &Iomuxc<M> {
        &self.iomuxc
    }

    /// The AUDMUX driver.
    pub fn audmux(&self) -> &Audmux<M> {
        &self.audmux
    }

    /// The SSI1 driver: start and stop the directions with it, once the codec clocks
    /// run and the DMA channels are started.
    pub fn ssi(&self) -> &Ssi<M> {
        &self.ssi
    }

    /// The I2C1 bus (an `embedded-hal` `I2c`).
    pub fn i2c(&mut self) -> &mut I2c<M> {
        &mut self.i2c
    }

    /// The codec driver, borrowing I2C1.
    pub fn codec(&mut self) -> Sgtl5000<&mut I2c<M>> {
        Sgtl5000::new(&mut self.i2c, CODEC_ADDRESS)
    }

    /// Reads the codec's `CHIP_ID` (one I2C write-read). On QEMU this returns
    /// `Err(Error::I2c(i2c::Error::NoAcknowledge(Address)))` after at most
    /// [`Profile::i2c`]`.poll_limit` status reads.
    pub fn probe_codec(&mut self) -> Result<ChipId, CodecError> {
        self.codec().probe()
    }

    /// Powers the codec up and sets it to `setup`: power-up sequence for the
    /// SabreLite supplies, stream clocks and I2S format (the codec then drives BCLK
    /// and LRCLK), capture from `setup.input`, playback to the headphone, headphone
    /// gain. The headphone stays muted (as the power-up leaves it) until the last step. Takes about 30 I2C
    /// transactions (~25 ms at 86 kHz), plus 500 ms after a warm boot with VAG on.
    pub fn start_codec(
        &mut self,
        setup: &CodecSetup,
        delay: &mut impl DelayNs,
    ) -> Result<CodecReport, CodecError> {
        let mut codec = self.codec();
        let chip = codec.power_up(Supplies::SABRELITE, delay)?;
        let clocks = codec.configure_stream(&setup.format)?;
        codec.enable_capture(setup.input)?;
        codec.set_headphone_volume(setup.headphone_half_db, setup.headphone_half_db)?;
        // Unmutes the headphone as its last step.
        codec.enable_playback()?;
        Ok(CodecReport { chip, clocks })
    }

    /// Gives the register blocks back (the I2C controller is disabled).
    pub fn free(self) -> (Profile, Blocks<M>) {
        (
            self.profile,
            Blocks {
                ccm: self.ccm.free(),
                iomuxc: self.iomuxc.free(),
                audmux: self.audmux.free(),
                ssi1: self.ssi.free(),
                i2c1: self.i2c.free(),
            },
        )
    }
}

impl Board for SabreLite<MmioBlock> {
    type Blocks = Blocks<MmioBlock>;
    type Report = BringUpReport;
    type Error = BoardError;
    type CodecId = ChipId;
    type CodecError = CodecError;

    const NAME: &'static str = "SabreLite";
    const QEMU_MACHINE: &'static str = "sabrelite";
    const XTASK_BOARD: &'static str = "sabrelite";
    const SOC: &'static Soc = &soc::imx6q::SOC;
    const CODEC_ADDRESS: u8 = CODEC_ADDRESS;
    const CODEC_NAME: &'static str = "sgtl5000";
    const AUDIO_PORT: &'static str = "ssi1";

    /// Reads the PL310 `CACHE_ID`: the i.MX6Q's L2 cache controller reads
    /// `0x410000C7` (r3p1); QEMU 7.2 does not map it (reads 0).
    fn detect_machine() -> Machine {
        // SAFETY: 0x00A0_2000 is the PL310 register block in the i.MX6Q memory map
        // (mapped on silicon, a read-as-zero hole on QEMU), valid for the whole
        // program; only the aligned 32-bit CACHE_ID register is read, which has no
        // side effect, so sharing the block with the SDMA platform's PL310 is harmless.
        let pl310 = unsafe { MmioBlock::new(memory_map::PL310) };
        Machine::detect_with(&pl310)
    }

    fn profile(machine: Machine) -> Profile {
        Profile::for_machine(machine)
    }

    fn take_blocks() -> Option<Blocks<MmioBlock>> {
        Blocks::take()
    }

    fn prepare_console(blocks: &Blocks<MmioBlock>, profile: &Profile) {
        SabreLite::prepare_console(blocks, profile)
    }

    fn bring_up(
        blocks: Blocks<MmioBlock>,
        profile: Profile,
        delay: &mut impl DelayNs,
    ) -> Result<(Self, BringUpReport), BoardError> {
        SabreLite::bring_up(blocks, profile, delay)
    }

    fn report_fault(report: &BringUpReport) -> Option<&'static str> {
        report.fault()
    }

    fn audio_readback(report: &BringUpReport) -> Readback {
        report.audmux.and(report.ssi)
    }

    fn probe_tx_start(&self) -> TxStartProbe {
        let tx = self.ssi.start_tx(true);
        self.ssi.stop_tx();
        TxStartProbe {
            prefilled: tx.prefilled,
            polls: tx.polls,
            poll_limit: ssi::TX_PREFILL_POLLS,
        }
    }

    fn probe_codec(&mut self) -> Result<ChipId, CodecError> {
        SabreLite::probe_codec(self)
    }

    fn codec_bus_error(e: &CodecError) -> Option<i2c::Error> {
        match e {
            sgtl5000::Error::I2c(e) => Some(*e),
            _ => None,
        }
    }

    fn explain_codec_error(e: &CodecError) -> &'static str {
        explain_codec_error(e)
    }

    type RxFifo = ssi::SsiFifo;
    type TxFifo = ssi::SsiFifo;
    const RX_FIFO: ssi::SsiFifo = ssi::SSI1_RX;
    const TX_FIFO: ssi::SsiFifo = ssi::SSI1_TX;
    const PERIPHERAL_TYPE: PeripheralType = PeripheralType::SsiSp;
    type Capture<'a> = ssi::SsiRx<&'a MmioBlock>;
    type Playback<'a> = ssi::SsiTx<&'a MmioBlock>;
    type CodecReport = CodecReport;

    fn start_codec_for_loopback(
        &mut self,
        line_in: bool,
        delay: &mut impl DelayNs,
    ) -> Result<CodecReport, CodecError> {
        let setup = if line_in {
            CodecSetup::SABRELITE_LINE_IN
        } else {
            CodecSetup::SABRELITE_MIC
        };
        self.start_codec(&setup, delay)
    }

    fn capture(&self) -> ssi::SsiRx<&MmioBlock> {
        self.ssi.rx()
    }

    fn playback(&self) -> ssi::SsiTx<&MmioBlock> {
        self.ssi.tx()
    }

    fn take_port_errors(&self) -> (bool, bool) {
        let e = self.ssi.take_errors();
        (e.tx_underrun, e.rx_overrun)
    }
}

/// Judges the SSI read-back of the registers [`Ssi::configure`] wrote.
fn ssi_readback(regs: &impl Mmio, written: &ssi::Registers, readable: bool) -> Readback {
    let checks = [
        (ssi::reg::SCR, written.scr, u32::MAX),
        (ssi::reg::STCR, written.stcr, u32::MAX),
        (ssi::reg::SRCR, written.srcr, u32::MAX),
        (ssi::reg::STCCR, written.stccr, u32::MAX),
        (ssi::reg::SFCSR, written.sfcsr, SFCSR_WATERMARKS),
    ];
    let mut verdict = Readback::Match;
    for (offset, value, mask) in checks {
        let read = regs.read32(offset) & mask;
        verdict = verdict.and(Readback::judge(value & mask, read, readable));
    }
    verdict
}
