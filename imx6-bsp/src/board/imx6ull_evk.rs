//! The NXP i.MX6ULL EVK (MCIMX6ULL-EVK: i.MX6ULL, 512 MiB DDR3L): WM8960 codec on I2C2
//! at 0x1A, its I2S port wired to SAI2 on the JTAG pads, SAI2's MCLK output driving
//! the codec's MCLK, console on UART1 (on the board and on QEMU `-M mcimx6ul-evk`).
//!
//! # Bring-up ([`Imx6ullEvk::bring_up`])
//!
//! In this order, each step needing the previous ones:
//!
//! 1. **Clock gates** on ([`AUDIO_GATES`]: SDMA, SPBA, IOMUXC, SAI2, I2C2), read back.
//! 2. **Pads**: SAI2 BCLK/SYNC/TXD/RXD/MCLK, I2C2 SCL/SDA
//!    ([`crate::soc::imx6ul::pads`]).
//! 3. **Audio PLL**: PLL4 at 786.432 MHz ([`AudioPll::MHZ_786_432`]), lock polled
//!    with a bound ([`crate::anatop`]).
//! 4. **SAI2 clock root**: `CSCMR1.SAI2_CLK_SEL` = PLL4, `CS2CDR` ÷4 ÷16: 12.288 MHz
//!    = 256 fs at 48 kHz, the codec's MCLK.
//! 5. **MCLK out**: `IOMUXC_GPR1.SAI2_MCLK_DIR` (bit 20) = output, so the SAI2_MCLK
//!    pad drives the WM8960's MCLK (as NXP's `imx-wm8960` machine driver does).
//! 6. **SAI2**: I2S slave of the codec, 16-bit stereo, bursts of 8 ([`Config::EVK`]),
//!    left disabled, read back.
//! 7. **I2C2**: reset, divider for 100 kHz from a 66 MHz `perclk`, enable, 50 µs
//!    settling.
//!
//! The codec is not touched: [`Imx6ullEvk::probe_codec`] writes its reset register
//! (the WM8960 is write-only, so an acknowledged write is the probe); on QEMU it ends
//! in the typed `NoAcknowledge(Address)`.
//!
//! # Telling QEMU from silicon
//!
//! [`Board::detect_machine`] reads the pad control register of UART1_TX_DATA: QEMU
//! 7.2 does not implement the IOMUXC (reads 0); on silicon the register holds its
//! reset value or the boot loader's setting, never 0 (`docs/hardware-facts.md#evk`).

use core::fmt;

use embedded_hal::delay::DelayNs;
use embedded_hal::i2c::NoAcknowledgeSource;
use sdma_core::sdma::PeripheralType;

use super::{Board, Machine, Profile, Readback, TxStartProbe, QEMU_I2C_POLL_LIMIT};
use crate::anatop::{Anatop, AudioPll, PllStart};
use crate::ccm::{Ccm, Gate, GateMode, SsiClockSource, SsiIndex, SsiRootDividers};
use crate::i2c::{self, I2c};
use crate::iomuxc::Iomuxc;
use crate::mmio::{Mmio, MmioBlock};
use crate::sai::{self, Config, Sai};
use crate::soc::imx6ul::{gates, memory_map, pads};
use crate::soc::{self, Soc};
use crate::uart;
use crate::wm8960::{self, Wm8960};

/// The codec's 7-bit I2C address on the EVK.
pub const CODEC_ADDRESS: u8 = wm8960::ADDRESS;

/// The clock gates of the audio path, with names for reports, in the order they are
/// turned on.
pub const AUDIO_GATES: [(&str, Gate); 5] = [
    ("SDMA", gates::SDMA),
    ("SPBA", gates::SPBA),
    ("IOMUXC", gates::IOMUXC),
    ("SAI2", gates::SAI2),
    ("I2C2", gates::I2C2),
];

/// Number of pads the audio bring-up configures: five SAI2 pads, two I2C2 pads.
pub const AUDIO_PAD_COUNT: usize = pads::EVK_SAI2.len() + pads::EVK_I2C2.len();

/// Offset of the pad control register of UART1_TX_DATA (machine detection).
pub const DETECT_PAD_CTL: usize = 0x310;

/// `IOMUXC_GPR1` offset in the GPR block.
pub const GPR1: usize = 0x04;
/// `IOMUXC_GPR1.SAI2_MCLK_DIR`: the SAI2_MCLK pad is an output.
pub const GPR1_SAI2_MCLK_DIR: u32 = 1 << 20;

/// The SAI2 clock root dividers: PLL4 786.432 MHz ÷ 4 ÷ 16 = 12.288 MHz.
pub const SAI2_ROOT: SsiRootDividers = SsiRootDividers { pred: 4, podf: 16 };

/// The codec MCLK (SAI2 root) in Hz.
pub const MCLK_HZ: u32 = 12_288_000;

const _: () = assert!(
    AudioPll::MHZ_786_432.output_hz() / (SAI2_ROOT.pred as u64 * SAI2_ROOT.podf as u64)
        == MCLK_HZ as u64
);

/// The register blocks the board drives, one [`Mmio`] each.
#[derive(Debug)]
pub struct Blocks<M> {
    /// CCM (clock gates, SAI2 clock root).
    pub ccm: M,
    /// CCM analog part (audio PLL).
    pub ccm_analog: M,
    /// IOMUXC (pads).
    pub iomuxc: M,
    /// IOMUXC general purpose registers (MCLK direction).
    pub iomuxc_gpr: M,
    /// SAI2.
    pub sai2: M,
    /// I2C2 (codec control bus).
    pub i2c2: M,
}

/// Whether [`Blocks::take`] has handed the blocks out (read and written inside
/// `startup::free` on core 0 only).
static TAKEN: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

impl Blocks<MmioBlock> {
    /// The EVK's register blocks at their i.MX6UL addresses, the first time it is
    /// called; `None` afterwards, so that each block has one driver.
    pub fn take() -> Option<Self> {
        use core::sync::atomic::Ordering;
        crate::startup::free(|| {
            if TAKEN.load(Ordering::Relaxed) {
                return None;
            }
            TAKEN.store(true, Ordering::Relaxed);
            // SAFETY: the addresses are the CCM, CCM analog, IOMUXC, IOMUXC GPR, SAI2
            // and I2C2 register blocks of the i.MX6UL memory map (identity-mapped device memory for the whole
            // program); the drivers only use offsets inside their block, aligned to
            // the access width; `TAKEN` makes this the only set of drivers.
            unsafe {
                Some(Blocks {
                    ccm: MmioBlock::new(memory_map::CCM),
                    ccm_analog: MmioBlock::new(memory_map::CCM_ANALOG),
                    iomuxc: MmioBlock::new(memory_map::IOMUXC),
                    iomuxc_gpr: MmioBlock::new(memory_map::IOMUXC_GPR),
                    sai2: MmioBlock::new(memory_map::SAI2),
                    i2c2: MmioBlock::new(memory_map::I2C2),
                })
            }
        })
    }
}

/// Bring-up errors. The board's own configurations are valid, so these only come
/// from a [`Profile`] with an invalid I2C setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BoardError {
    /// The SAI configuration was refused.
    Sai(sai::SaiError),
    /// The I2C configuration was refused.
    I2c(i2c::ConfigError),
}

impl fmt::Display for BoardError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BoardError::Sai(e) => write!(f, "SAI2 configuration refused: {e:?}"),
            BoardError::I2c(e) => write!(f, "I2C2 configuration refused: {e:?}"),
        }
    }
}

/// Errors of the codec, on the board's I2C bus.
pub type CodecError = wm8960::Error<i2c::Error>;

/// A one-line explanation of a codec error for a console report. Pure.
pub const fn explain_codec_error(e: &CodecError) -> &'static str {
    match e {
        wm8960::Error::I2c(i2c::Error::NoAcknowledge(NoAcknowledgeSource::Address)) => {
            "nothing acknowledged the codec's address: no codec on I2C2 (expected on QEMU)"
        }
        wm8960::Error::I2c(e) => e.explain(),
        wm8960::Error::InvalidWrite { .. } => "a codec register write outside the register map",
        wm8960::Error::VolumeOutOfRange(_) => "a headphone level outside the codec's range",
        wm8960::Error::Clock(_) => "no codec clock configuration for this MCLK and format",
    }
}

/// What the bring-up did and read back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BringUpReport {
    /// The machine.
    pub machine: Machine,
    /// Each audio gate's mode as read back after it was turned on.
    pub gates: [(&'static str, GateMode); 5],
    /// Pads configured.
    pub pads: usize,
    /// The audio PLL start.
    pub pll: PllStart,
    /// Codec MCLK (SAI2 root) in Hz.
    pub mclk_hz: u32,
    /// `IOMUXC_GPR1` read-back after the MCLK direction was set.
    pub gpr1: Readback,
    /// The SAI2 register values written.
    pub sai_registers: sai::Registers,
    /// The SAI2 read-back.
    pub sai: Readback,
    /// The I2C2 bit-rate setting.
    pub i2c: i2c::Divider,
    /// The I2C2 status-read bound per wait.
    pub i2c_poll_limit: u32,
}

impl BringUpReport {
    /// The first block whose read-back shows a fault: a gate that is not on, an audio
    /// PLL that did not lock on silicon, a GPR or SAI2 register that does not hold
    /// what was written.
    pub fn fault(&self) -> Option<&'static str> {
        if let Some((name, _)) = self.gates.iter().find(|(_, m)| *m != GateMode::On) {
            return Some(name);
        }
        if self.machine == Machine::Silicon && !self.pll.locked {
            return Some("PLL4");
        }
        if self.gpr1.is_fault() {
            return Some("IOMUXC_GPR1");
        }
        if self.sai.is_fault() {
            return Some("SAI2");
        }
        None
    }
}

impl fmt::Display for BringUpReport {
    /// One line per block, each starting with the block's name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "machine: {} (i.MX6ULL EVK)", self.machine.name())?;
        f.write_str("clocks: gates")?;
        for (name, mode) in self.gates {
            write!(f, " {name}={mode:?}")?;
        }
        writeln!(
            f,
            "; PLL4 {} after {} reads; codec MCLK {} Hz on SAI2_MCLK (GPR1: {})",
            if self.pll.locked {
                "locked"
            } else {
                "NOT locked"
            },
            self.pll.polls,
            self.mclk_hz,
            self.gpr1
        )?;
        writeln!(
            f,
            "iomuxc: {} pads (SAI2 x5, I2C2 x2){}",
            self.pads,
            if self.machine == Machine::Qemu {
                ": not emulated"
            } else {
                ""
            }
        )?;
        let r = self.sai_registers;
        writeln!(
            f,
            "sai2: I2S slave 16-bit x2, burst 8 (TCR1 {} RCR1 {} TCR2 {:#010x} RCR2 {:#010x} xCR4 {:#010x} xCR5 {:#010x}): {}",
            r.tcr1, r.rcr1, r.tcr2, r.rcr2, r.cr4, r.cr5, self.sai
        )?;
        write!(
            f,
            "i2c2: IFDR {:#04x} (/{}) = {} Hz SCL, at most {} status reads per wait",
            self.i2c.ifdr, self.i2c.divider, self.i2c.actual_hz, self.i2c_poll_limit
        )
    }
}

/// The i.MX6ULL EVK with its audio path brought up.
#[derive(Debug)]
pub struct Imx6ullEvk<M: Mmio> {
    profile: Profile,
    ccm: Ccm<M>,
    anatop: Anatop<M>,
    iomuxc: Iomuxc<M>,
    iomuxc_gpr: M,
    sai: Sai<M>,
    i2c: I2c<M>,
}

impl Imx6ullEvk<MmioBlock> {
    /// The real EVK.
    pub const SILICON: Profile = Profile {
        machine: Machine::Silicon,
        console: uart::Port::Uart1,
        console_pins: true,
        i2c: i2c::Config::STANDARD_66MHZ,
        has_sdma: true,
        audio_blocks_readable: true,
        has_l2_cache: false,
    };

    /// QEMU `-M mcimx6ul-evk` (7.2).
    pub const QEMU: Profile = Profile {
        machine: Machine::Qemu,
        console: uart::Port::Uart1,
        console_pins: false,
        i2c: i2c::Config {
            poll_limit: QEMU_I2C_POLL_LIMIT,
            ..i2c::Config::STANDARD_66MHZ
        },
        has_sdma: false,
        audio_blocks_readable: false,
        has_l2_cache: false,
    };
}

/// The machine whose UART1_TX_DATA pad control register reads `pad_ctl`: 0 only on
/// QEMU, which does not implement the IOMUXC. Pure.
pub const fn machine_from_pad_ctl(pad_ctl: u32) -> Machine {
    if pad_ctl == 0 {
        Machine::Qemu
    } else {
        Machine::Silicon
    }
}

impl<M: Mmio> Imx6ullEvk<M> {
    /// The EVK's profile on `machine`. Pure.
    pub const fn profile_for(machine: Machine) -> Profile {
        match machine {
            Machine::Silicon => Imx6ullEvk::SILICON,
            Machine::Qemu => Imx6ullEvk::QEMU,
        }
    }

    /// On silicon ([`Profile::console_pins`]) turns the UART1 clock gate on and muxes
    /// the UART1 pads; does nothing on QEMU.
    pub fn prepare_console(blocks: &Blocks<M>, profile: &Profile) {
        if !profile.console_pins {
            return;
        }
        Ccm::new(&blocks.ccm).enable(gates::UART1);
        Iomuxc::new(&blocks.iomuxc).configure_all(&pads::EVK_UART1);
    }

    /// Brings the audio path up (see the module docs) and reports what it read back.
    pub fn bring_up(
        blocks: Blocks<M>,
        profile: Profile,
        delay: &mut impl DelayNs,
    ) -> Result<(Self, BringUpReport), BoardError> {
        let readable = profile.audio_blocks_readable;

        // 1. Clock gates.
        let ccm = Ccm::new(&blocks.ccm);
        let mut gate_modes = [("", GateMode::Off); 5];
        for (slot, (name, gate)) in gate_modes.iter_mut().zip(AUDIO_GATES) {
            ccm.enable(gate);
            *slot = (name, ccm.gate_mode(gate));
        }

        // 2. Pads.
        let iomuxc = Iomuxc::new(&blocks.iomuxc);
        iomuxc.configure_all(&pads::EVK_SAI2);
        iomuxc.configure_all(&pads::EVK_I2C2);

        // 3. Audio PLL, 4. SAI2 clock root.
        let pll = Anatop::new(&blocks.ccm_analog).start_audio_pll(AudioPll::MHZ_786_432);
        ccm.set_ssi_root(SsiIndex::Ssi2, SsiClockSource::Pll4Audio, SAI2_ROOT);

        // 5. MCLK pad direction.
        blocks.iomuxc_gpr.modify32(GPR1, 0, GPR1_SAI2_MCLK_DIR);
        let gpr1_read = blocks.iomuxc_gpr.read32(GPR1) & GPR1_SAI2_MCLK_DIR;
        let gpr1 = Readback::judge(GPR1_SAI2_MCLK_DIR, gpr1_read, readable);

        // 6. SAI2, left disabled.
        let sai = Sai::new(&blocks.sai2);
        let sai_registers = sai.configure(&Config::EVK).map_err(BoardError::Sai)?;
        let sai_readback = sai_readback(&sai.read_registers(), &sai_registers, readable);

        // 7. I2C2.
        let Blocks {
            ccm,
            ccm_analog,
            iomuxc,
            iomuxc_gpr,
            sai2,
            i2c2,
        } = blocks;
        let i2c = I2c::new(i2c2, profile.i2c, delay).map_err(BoardError::I2c)?;

        let report = BringUpReport {
            machine: profile.machine,
            gates: gate_modes,
            pads: AUDIO_PAD_COUNT,
            pll,
            mclk_hz: MCLK_HZ,
            gpr1,
            sai_registers,
            sai: sai_readback,
            i2c: i2c.divider(),
            i2c_poll_limit: profile.i2c.poll_limit,
        };
        let board = Imx6ullEvk {
            profile,
            ccm: Ccm::new(ccm),
            anatop: Anatop::new(ccm_analog),
            iomuxc: Iomuxc::new(iomuxc),
            iomuxc_gpr,
            sai: Sai::new(sai2),
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

    /// The IOMUXC driver.
    pub fn iomuxc(&self) -> &Iomuxc<M> {
        &self.iomuxc
    }

    /// The audio PLL driver.
    pub fn anatop(&self) -> &Anatop<M> {
        &self.anatop
    }

    /// The SAI2 driver; its halves ([`Sai::tx`], [`Sai::rx`]) are what the streams
    /// drive.
    pub fn sai(&self) -> &Sai<M> {
        &self.sai
    }

    /// The I2C2 bus (an `embedded-hal` `I2c`).
    pub fn i2c(&mut self) -> &mut I2c<M> {
        &mut self.i2c
    }

    /// The codec driver, borrowing I2C2.
    pub fn codec(&mut self) -> Wm8960<&mut I2c<M>> {
        Wm8960::new(&mut self.i2c, CODEC_ADDRESS)
    }

    /// Resets the codec (one I2C write; the WM8960 cannot be read). On QEMU this
    /// returns `Err(I2c(NoAcknowledge(Address)))` after at most
    /// [`Profile::i2c`]`.poll_limit` status reads.
    pub fn probe_codec(&mut self) -> Result<(), CodecError> {
        self.codec().reset()
    }

    /// Powers the codec up and sets it to `setup` (see [`crate::wm8960`] for the order):
    /// reset, VMID/VREF behind the anti-pop settings, clocks and I2S format (the codec
    /// then drives BCLK and LRCLK from the 12.288 MHz MCLK), capture and playback
    /// paths, headphone level, DAC unmute last. About 100 ms (the VMID ramp) plus 24
    /// I2C writes (~6 ms at 86 kHz).
    pub fn start_codec(
        &mut self,
        setup: &wm8960::Setup,
        delay: &mut impl DelayNs,
    ) -> Result<(), CodecError> {
        let mut codec = self.codec();
        codec.power_up(delay)?;
        codec.configure(setup)
    }

    /// Gives the register blocks back (the I2C controller is disabled).
    pub fn free(self) -> (Profile, Blocks<M>) {
        (
            self.profile,
            Blocks {
                ccm: self.ccm.free(),
                ccm_analog: self.anatop.free(),
                iomuxc: self.iomuxc.free(),
                iomuxc_gpr: self.iomuxc_gpr,
                sai2: self.sai.free(),
                i2c2: self.i2c.free(),
            },
        )
    }
}

/// Judges the SAI2 read-back of the registers [`Sai::configure`] wrote.
fn sai_readback(read: &sai::Registers, written: &sai::Registers, readable: bool) -> Readback {
    [
        (written.tcr1, read.tcr1),
        (written.tcr2, read.tcr2),
        (written.rcr1, read.rcr1),
        (written.rcr2, read.rcr2),
        (written.cr3, read.cr3),
        (written.cr4, read.cr4),
        (written.cr5, read.cr5),
    ]
    .into_iter()
    .fold(Readback::Match, |verdict, (w, r)| {
        verdict.and(Readback::judge(w, r, readable))
    })
}

impl Board for Imx6ullEvk<MmioBlock> {
    type Blocks = Blocks<MmioBlock>;
    type Report = BringUpReport;
    type Error = BoardError;
    type CodecId = ();
    type CodecError = CodecError;

    const NAME: &'static str = "i.MX6ULL EVK";
    const QEMU_MACHINE: &'static str = "mcimx6ul-evk";
    const XTASK_BOARD: &'static str = "imx6ull-evk";
    const SOC: &'static Soc = &soc::imx6ul::SOC;
    const CODEC_ADDRESS: u8 = CODEC_ADDRESS;
    const CODEC_NAME: &'static str = "wm8960";
    const AUDIO_PORT: &'static str = "sai2";

    fn detect_machine() -> Machine {
        // SAFETY: the IOMUXC block of the i.MX6UL memory map (mapped device memory; a
        // read-as-zero window on QEMU); one aligned 32-bit read of a pad control
        // register, which has no side effect.
        let iomuxc = unsafe { MmioBlock::new(memory_map::IOMUXC) };
        machine_from_pad_ctl(iomuxc.read32(DETECT_PAD_CTL))
    }

    fn profile(machine: Machine) -> Profile {
        Self::profile_for(machine)
    }

    fn take_blocks() -> Option<Blocks<MmioBlock>> {
        Blocks::take()
    }

    fn prepare_console(blocks: &Blocks<MmioBlock>, profile: &Profile) {
        Imx6ullEvk::prepare_console(blocks, profile)
    }

    fn bring_up(
        blocks: Blocks<MmioBlock>,
        profile: Profile,
        delay: &mut impl DelayNs,
    ) -> Result<(Self, BringUpReport), BoardError> {
        Imx6ullEvk::bring_up(blocks, profile, delay)
    }

    fn report_fault(report: &BringUpReport) -> Option<&'static str> {
        report.fault()
    }

    fn audio_readback(report: &BringUpReport) -> Readback {
        report.sai
    }

    fn probe_tx_start(&self) -> TxStartProbe {
        let (prefilled, polls) = self.sai.probe_tx_prefill();
        TxStartProbe {
            prefilled,
            polls,
            poll_limit: sai::TX_PREFILL_POLLS,
        }
    }

    fn probe_codec(&mut self) -> Result<(), CodecError> {
        Imx6ullEvk::probe_codec(self)
    }

    fn codec_bus_error(e: &CodecError) -> Option<i2c::Error> {
        match e {
            wm8960::Error::I2c(e) => Some(*e),
            _ => None,
        }
    }

    fn explain_codec_error(e: &CodecError) -> &'static str {
        explain_codec_error(e)
    }

    type RxFifo = sai::SaiFifo;
    type TxFifo = sai::SaiFifo;
    const RX_FIFO: sai::SaiFifo = sai::SAI2_RX;
    const TX_FIFO: sai::SaiFifo = sai::SAI2_TX;
    const PERIPHERAL_TYPE: PeripheralType = PeripheralType::Sai;
    type Capture<'a> = sai::SaiRx<&'a MmioBlock>;
    type Playback<'a> = sai::SaiTx<&'a MmioBlock>;
    type CodecReport = wm8960::Setup;

    fn start_codec_for_loopback(
        &mut self,
        line_in: bool,
        delay: &mut impl DelayNs,
    ) -> Result<wm8960::Setup, CodecError> {
        let setup = if line_in {
            wm8960::Setup {
                input: wm8960::CaptureInput::LineIn3,
                ..wm8960::Setup::EVK_MIC
            }
        } else {
            wm8960::Setup::EVK_MIC
        };
        self.start_codec(&setup, delay)?;
        Ok(setup)
    }

    fn capture(&self) -> sai::SaiRx<&MmioBlock> {
        self.sai.rx()
    }

    fn playback(&self) -> sai::SaiTx<&MmioBlock> {
        self.sai.tx()
    }

    fn take_port_errors(&self) -> (bool, bool) {
        let tx = self.sai.take_errors(sai::Direction::Tx);
        let rx = self.sai.take_errors(sai::Direction::Rx);
        (tx.fifo, rx.fifo)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pad_register_tells_qemu_from_silicon() {
        assert_eq!(machine_from_pad_ctl(0), Machine::Qemu);
        assert_eq!(machine_from_pad_ctl(0x10B0), Machine::Silicon);
        assert_eq!(machine_from_pad_ctl(0x1_B0B1), Machine::Silicon);
    }

    #[test]
    fn profiles() {
        let (s, q) = (
            Imx6ullEvk::<MmioBlock>::profile_for(Machine::Silicon),
            Imx6ullEvk::<MmioBlock>::profile_for(Machine::Qemu),
        );
        assert_eq!(s.console, uart::Port::Uart1);
        assert_eq!(q.console, uart::Port::Uart1);
        assert!(s.console_pins && !q.console_pins);
        assert!(!s.has_l2_cache && !q.has_l2_cache);
        assert_eq!(q.i2c.poll_limit, QEMU_I2C_POLL_LIMIT);
    }
}
