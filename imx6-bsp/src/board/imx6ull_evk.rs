//! The NXP i.MX6ULL EVK (MCIMX6ULL-EVK: i.MX6ULL, 512 MiB DDR3L): WM8960 codec on I2C2
//! at 0x1A, its I2S port wired to SAI2 on the JTAG pads, SAI2's MCLK output driving
//! the codec's MCLK, console on UART1 (on the board and on QEMU `-M mcimx6ul-evk`).
//!
//! # Bring-up ([`Imx6ullEvk::bring_up`])
//!
//! In this order, each step needing the previous ones:
//!
//! 1. **Clock gates** on ([`AUDIO_GATES`]: SDMA, SPBA, SAI2, I2C2, IOMUXC), read back.
//! 2. **Pads**: SAI2 BCLK/SYNC/TXD/RXD/MCLK, I2C2 SCL/SDA
//!    ([`crate::soc::imx6ul::pads`]).
//! 3. **I2C2**: reset, divider for 100 kHz from a 66 MHz `perclk`, enable, 50 µs
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

use super::{Board, Machine, Profile, Readback, TxStartProbe, QEMU_I2C_POLL_LIMIT};
use crate::ccm::{Ccm, Gate, GateMode};
use crate::i2c::{self, I2c};
use crate::iomuxc::Iomuxc;
use crate::mmio::{Mmio, MmioBlock};
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

/// The register blocks the board drives, one [`Mmio`] each.
#[derive(Debug)]
pub struct Blocks<M> {
    /// CCM (clock gates).
    pub ccm: M,
    /// IOMUXC (pads).
    pub iomuxc: M,
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
            // SAFETY: the addresses are the CCM, IOMUXC, SAI2 and I2C2 register blocks
            // of the i.MX6UL memory map (identity-mapped device memory for the whole
            // program); the drivers only use offsets inside their block, aligned to
            // the access width; `TAKEN` makes this the only set of drivers.
            unsafe {
                Some(Blocks {
                    ccm: MmioBlock::new(memory_map::CCM),
                    iomuxc: MmioBlock::new(memory_map::IOMUXC),
                    sai2: MmioBlock::new(memory_map::SAI2),
                    i2c2: MmioBlock::new(memory_map::I2C2),
                })
            }
        })
    }
}

/// Bring-up errors (only an invalid I2C setting in a [`Profile`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BoardError {
    /// The I2C configuration was refused.
    I2c(i2c::ConfigError),
}

impl fmt::Display for BoardError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
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
        wm8960::Error::I2c(i2c::Error::NoAcknowledge(_)) => {
            "the codec stopped acknowledging in the middle of a transfer"
        }
        wm8960::Error::I2c(i2c::Error::ArbitrationLost) => "another I2C master took the bus",
        wm8960::Error::I2c(i2c::Error::BusBusy) => {
            "I2C2 stayed busy (a slave may hold SDA low: bus recovery needed)"
        }
        wm8960::Error::I2c(i2c::Error::Timeout(_)) => {
            "an I2C2 status wait ran out (SCL held low, or the controller is not clocked)"
        }
        wm8960::Error::I2c(_) => "the I2C request was invalid",
        wm8960::Error::InvalidWrite { .. } => "a codec register write outside the register map",
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
    /// The I2C2 bit-rate setting.
    pub i2c: i2c::Divider,
    /// The I2C2 status-read bound per wait.
    pub i2c_poll_limit: u32,
}

impl BringUpReport {
    /// The first block whose read-back shows a fault (a gate that is not on).
    pub fn fault(&self) -> Option<&'static str> {
        self.gates
            .iter()
            .find(|(_, m)| *m != GateMode::On)
            .map(|(name, _)| *name)
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
        writeln!(f)?;
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
    iomuxc: Iomuxc<M>,
    sai2: M,
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

        // 3. I2C2.
        let Blocks {
            ccm,
            iomuxc,
            sai2,
            i2c2,
        } = blocks;
        let i2c = I2c::new(i2c2, profile.i2c, delay).map_err(BoardError::I2c)?;

        let report = BringUpReport {
            machine: profile.machine,
            gates: gate_modes,
            pads: AUDIO_PAD_COUNT,
            i2c: i2c.divider(),
            i2c_poll_limit: profile.i2c.poll_limit,
        };
        let board = Imx6ullEvk {
            profile,
            ccm: Ccm::new(ccm),
            iomuxc: Iomuxc::new(iomuxc),
            sai2,
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

    /// Gives the register blocks back (the I2C controller is disabled).
    pub fn free(self) -> (Profile, Blocks<M>) {
        (
            self.profile,
            Blocks {
                ccm: self.ccm.free(),
                iomuxc: self.iomuxc.free(),
                sai2: self.sai2,
                i2c2: self.i2c.free(),
            },
        )
    }
}

impl Board for Imx6ullEvk<MmioBlock> {
    type Blocks = Blocks<MmioBlock>;
    type Report = BringUpReport;
    type Error = BoardError;
    type CodecId = ();
    type CodecError = CodecError;

    const NAME: &'static str = "i.MX6ULL EVK";
    const QEMU_MACHINE: &'static str = "mcimx6ul-evk";
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

    fn audio_readback(_report: &BringUpReport) -> Readback {
        Readback::NotEmulated
    }

    fn probe_tx_start(&self) -> TxStartProbe {
        TxStartProbe {
            prefilled: false,
            polls: 0,
            poll_limit: 0,
        }
    }

    fn probe_codec(&mut self) -> Result<(), CodecError> {
        Imx6ullEvk::probe_codec(self)
    }

    fn codec_bus_error(e: &CodecError) -> Option<i2c::Error> {
        match e {
            wm8960::Error::I2c(e) => Some(*e),
            wm8960::Error::InvalidWrite { .. } => None,
        }
    }

    fn explain_codec_error(e: &CodecError) -> &'static str {
        explain_codec_error(e)
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
