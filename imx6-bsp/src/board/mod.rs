//! Boards: the drivers of this crate composed for one machine, on one SoC.
//!
//! * [`sabrelite::SabreLite`]: the Boundary Devices SabreLite (i.MX6Quad, SGTL5000
//!   codec on I2C1, SSI1 through AUDMUX port 4, console UART2).
//! * [`imx6ull_evk::Imx6ullEvk`]: the NXP i.MX6ULL EVK (MCIMX6ULL-EVK: i.MX6ULL,
//!   WM8960 codec on I2C2, SAI2, console UART1).
//!
//! A board is a type implementing [`Board`]; a program names none: it calls
//! [`start`] and drives [`Selected`], the board the crate is built for (cargo feature
//! `imx6ull-evk` for the EVK, the SabreLite otherwise; `cargo xtask qemu PROGRAM
//! --board imx6ull-evk` sets it, with the board's linker script). One start-up path
//! serves both boards: [`start`] detects the machine, takes the register blocks,
//! sets up the console pads and clocks, and starts the GPT, GIC and console.
//!
//! The same board type runs on the real board and on its QEMU model (`-M sabrelite`,
//! `-M mcimx6ul-evk`); what differs between the two is a [`Profile`], chosen from the
//! [`Machine`] the program finds itself on ([`Board::detect_machine`]).
//!
//! # What QEMU 7.2 emulates
//!
//! (`docs/hardware-facts.md#qemu-sabrelite`.) On both machines UART1-5, the GPT, the GIC, the I2C controllers (with nothing on
//! the bus: the codec is absent) and the CCM as a register file are emulated. The
//! audio blocks (SSI, AUDMUX, SAI), the SDMA and the IOMUXC pads are not: their
//! registers read 0 and writes are dropped, without an abort. So on QEMU:
//!
//! * the bring-up runs every register sequence of the real board, but the read-backs
//!   of the audio blocks read 0 ([`Readback::NotEmulated`]);
//! * the codec probe ends in the typed I2C error `NoAcknowledge(Address)`, recognised
//!   after a bounded number of status reads ([`Profile::i2c`]);
//! * there is no SDMA, so no audio stream can run ([`Profile::has_sdma`]).

pub mod imx6ull_evk;
pub mod sabrelite;

pub use imx6ull_evk::Imx6ullEvk;
pub use sabrelite::{Blocks, BoardError, BringUpReport, CodecReport, SabreLite};

use core::fmt;

use embedded_hal::delay::DelayNs;
use pcm_dma::AudioInterface;
use sdma_core::dmaengine::FifoEndpoint;
use sdma_core::sdma::PeripheralType;

use crate::i2c;
use crate::mmio::{Mmio, MmioBlock};
use crate::pl310::Pl310;
use crate::soc::Soc;
use crate::uart;

/// The board the crate is built for: the i.MX6ULL EVK with the feature
/// `imx6ull-evk`, the SabreLite otherwise.
#[cfg(not(feature = "imx6ull-evk"))]
pub type Selected = SabreLite<MmioBlock>;
/// The board the crate is built for: the i.MX6ULL EVK with the feature
/// `imx6ull-evk`, the SabreLite otherwise.
#[cfg(feature = "imx6ull-evk")]
pub type Selected = Imx6ullEvk<MmioBlock>;

/// A board: its SoC, its machine detection and profiles, its register blocks, its
/// console set-up, the bring-up of its audio path and the probe of its codec.
///
/// Everything a program does the same way on every board goes through this trait
/// (`bsp-probe` is written once against it); what only one board has (the
/// SabreLite's AUDMUX, the EVK's audio PLL) stays on the board type.
pub trait Board: Sized {
    /// The register blocks the board drives.
    type Blocks;
    /// What the bring-up did and read back (one line per block).
    type Report: fmt::Display;
    /// Why the bring-up refused its configuration.
    type Error: fmt::Display;
    /// What the codec probe returns when the codec answers.
    type CodecId: fmt::Debug;
    /// The codec driver's error on the board's I2C bus.
    type CodecError: fmt::Debug;

    /// The board's name.
    const NAME: &'static str;
    /// The QEMU machine (`-M`) that models the board.
    const QEMU_MACHINE: &'static str;
    /// The board's name for `cargo xtask ... --board` (`sabrelite`, `imx6ull-evk`).
    const XTASK_BOARD: &'static str;
    /// The board's SoC.
    const SOC: &'static Soc;
    /// The codec's 7-bit I2C address.
    const CODEC_ADDRESS: u8;
    /// The codec's name.
    const CODEC_NAME: &'static str;
    /// The audio port's name (`ssi1`, `sai2`).
    const AUDIO_PORT: &'static str;

    /// The machine the program runs on (bare metal only: reads a register that only
    /// silicon implements).
    fn detect_machine() -> Machine;
    /// The board's profile on `machine`. Pure.
    fn profile(machine: Machine) -> Profile;
    /// The board's register blocks at their addresses, the first time; `None` after.
    fn take_blocks() -> Option<Self::Blocks>;
    /// On silicon ([`Profile::console_pins`]) opens the console UART's clock gates and
    /// muxes its pads; nothing on QEMU. Runs before [`init_core`].
    fn prepare_console(blocks: &Self::Blocks, profile: &Profile);
    /// Brings the audio path up (clocks, pads, audio port, codec bus) and reports
    /// what it read back. The codec is not touched.
    fn bring_up(
        blocks: Self::Blocks,
        profile: Profile,
        delay: &mut impl DelayNs,
    ) -> Result<(Self, Self::Report), Self::Error>;
    /// The first block whose read-back shows a fault, if any.
    fn report_fault(report: &Self::Report) -> Option<&'static str>;
    /// The read-back of the audio blocks (port and its routing) in `report`.
    fn audio_readback(report: &Self::Report) -> Readback;
    /// Starts the audio port's transmitter with DMA requests on and stops it again:
    /// the prefill wait must stay within its bound on every machine.
    fn probe_tx_start(&self) -> TxStartProbe;
    /// One transaction with the codec that needs its acknowledge.
    fn probe_codec(&mut self) -> Result<Self::CodecId, Self::CodecError>;
    /// The I2C error inside a codec error, if the bus failed.
    fn codec_bus_error(e: &Self::CodecError) -> Option<i2c::Error>;
    /// A one-line explanation of a codec error for a console report. Pure.
    fn explain_codec_error(e: &Self::CodecError) -> &'static str;

    // The audio port as the loopback uses it: typed DMA endpoints, the SDMA scripts
    // that serve it, the codec set-up, and the two directions as streams' interfaces.

    /// The capture FIFO's typed DMA endpoint.
    type RxFifo: FifoEndpoint;
    /// The playback FIFO's typed DMA endpoint.
    type TxFifo: FifoEndpoint;
    /// The capture FIFO (SSI1 `SRX0`, SAI2 `RDR0`).
    const RX_FIFO: Self::RxFifo;
    /// The playback FIFO (SSI1 `STX0`, SAI2 `TDR0`).
    const TX_FIFO: Self::TxFifo;
    /// The SDMA peripheral type of the port, which picks the ROM scripts: `SsiSp`
    /// (`shp_2_mcu`/`mcu_2_shp`) for the SabreLite's SSI1, `Sai`
    /// (`app_2_mcu`/`mcu_2_app`) for the EVK's SAI2.
    const PERIPHERAL_TYPE: PeripheralType;
    /// The capture direction as a stream's audio interface.
    type Capture<'a>: AudioInterface
    where
        Self: 'a;
    /// The playback direction as a stream's audio interface.
    type Playback<'a>: AudioInterface
    where
        Self: 'a;
    /// What the codec start reports.
    type CodecReport: fmt::Debug;

    /// Starts the codec for a loopback at 48 kHz, 16-bit stereo (it is the I2S master
    /// on both boards): microphone in (`line_in`: line input), headphone out.
    fn start_codec_for_loopback(
        &mut self,
        line_in: bool,
        delay: &mut impl DelayNs,
    ) -> Result<Self::CodecReport, Self::CodecError>;
    /// The capture direction of the port.
    fn capture(&self) -> Self::Capture<'_>;
    /// The playback direction of the port.
    fn playback(&self) -> Self::Playback<'_>;
    /// Reads and clears the port's error flags: (transmit underrun, receive overrun).
    fn take_port_errors(&self) -> (bool, bool);
}

/// What [`Board::probe_tx_start`] saw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxStartProbe {
    /// Whether the transmit FIFO filled before the bound.
    pub prefilled: bool,
    /// Status reads made.
    pub polls: u32,
    /// The bound on status reads.
    pub poll_limit: u32,
}

/// The machine a program runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Machine {
    /// A real i.MX6 board.
    Silicon,
    /// The board's QEMU model.
    Qemu,
}

impl Machine {
    /// The machine whose PL310 reads `cache_id` in `CACHE_ID`: 0 only on QEMU, which
    /// does not map the L2 cache controller. Pure. (i.MX6Q/DL boards.)
    pub const fn from_l2_cache_id(cache_id: u32) -> Machine {
        if cache_id == 0 {
            Machine::Qemu
        } else {
            Machine::Silicon
        }
    }

    /// Detects the machine by reading the PL310 `CACHE_ID` through `pl310` (the
    /// register block at `soc::imx6q::memory_map::PL310`). (i.MX6Q/DL boards.)
    pub fn detect_with(pl310: &impl Mmio) -> Machine {
        Machine::from_l2_cache_id(Pl310::new(pl310).cache_id())
    }

    /// Detects the machine the program runs on (bare metal only), the selected
    /// board's way ([`Board::detect_machine`]).
    pub fn detect() -> Machine {
        Selected::detect_machine()
    }

    /// A short name for reports, for the selected board.
    pub const fn name(self) -> &'static str {
        match self {
            Machine::Silicon => "i.MX6 silicon",
            Machine::Qemu => QEMU_NAME,
        }
    }
}

/// How reports name the selected board's QEMU model.
#[cfg(not(feature = "imx6ull-evk"))]
const QEMU_NAME: &str = "QEMU -M sabrelite";
/// How reports name the selected board's QEMU model.
#[cfg(feature = "imx6ull-evk")]
const QEMU_NAME: &str = "QEMU -M mcimx6ul-evk";

/// Everything that differs between a board and its QEMU model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Profile {
    /// The machine.
    pub machine: Machine,
    /// The console UART: UART2 on the board (the SabreLite's serial console),
    /// UART1 on QEMU (the first `-serial`, what `cargo xtask qemu` shows).
    pub console: uart::Port,
    /// Whether the console pads (UART2 on EIM_D26/D27) and UART clock gates must be
    /// set up by the program (on silicon nothing may have done it when the boot ROM
    /// starts the image directly).
    pub console_pins: bool,
    /// I2C1 settings. On QEMU a NACKed address never sets IIF, so the driver only sees
    /// the NACK when a status wait runs out: the poll limit there is lower, so that
    /// the absent codec is reported quickly. Silicon keeps the driver's default, which
    /// tolerates clock stretching.
    pub i2c: i2c::Config,
    /// Whether the SDMA engine exists (not on QEMU).
    pub has_sdma: bool,
    /// Whether the audio-path blocks (IOMUXC, AUDMUX, SSI) are emulated, i.e. whether
    /// their registers read back what was written.
    pub audio_blocks_readable: bool,
    /// Whether the PL310 L2 cache controller exists.
    pub has_l2_cache: bool,
}

/// `I2SR` reads per wait on QEMU (see [`Profile::i2c`]). `bsp-probe` measured the
/// resulting NACK of the absent codec at about 1.1 ms on QEMU 7.2 (a status read
/// costs about 0.1 µs there).
pub const QEMU_I2C_POLL_LIMIT: u32 = 10_000;

impl Profile {
    /// The real SabreLite.
    pub const SILICON: Profile = Profile {
        machine: Machine::Silicon,
        console: uart::Port::Uart2,
        console_pins: true,
        i2c: i2c::Config::STANDARD_66MHZ,
        has_sdma: true,
        audio_blocks_readable: true,
        has_l2_cache: true,
    };

    /// QEMU `-M sabrelite` (7.2).
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

    /// The SabreLite's profile on `machine` (see [`Board::profile`] for any board).
    /// Pure.
    pub const fn for_machine(machine: Machine) -> Profile {
        match machine {
            Machine::Silicon => Profile::SILICON,
            Machine::Qemu => Profile::QEMU,
        }
    }

    /// The selected board's profile on the machine the program runs on (bare metal
    /// only; see [`Machine::detect`]).
    pub fn detect() -> Profile {
        <Selected as Board>::profile(Machine::detect())
    }
}

/// How a register read back after it was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Readback {
    /// It holds the value written.
    Match,
    /// It reads 0 on a machine that does not emulate the block (QEMU): nothing can be
    /// checked, and nothing is wrong.
    NotEmulated,
    /// It holds something else: the block is not clocked, not there, or the write
    /// went astray.
    Mismatch {
        /// The value written.
        expected: u32,
        /// The value read.
        read: u32,
    },
}

impl Readback {
    /// Judges a read-back. `readable` says whether the machine emulates the block
    /// ([`Profile::audio_blocks_readable`]); a 0 read from an unemulated block is
    /// [`Readback::NotEmulated`], anything else that differs is a mismatch. Pure.
    pub const fn judge(expected: u32, read: u32, readable: bool) -> Readback {
        if read == expected {
            Readback::Match
        } else if !readable && read == 0 {
            Readback::NotEmulated
        } else {
            Readback::Mismatch { expected, read }
        }
    }

    /// Whether this read-back shows a fault.
    pub const fn is_fault(self) -> bool {
        matches!(self, Readback::Mismatch { .. })
    }

    /// Combines two read-backs of one block: the worse one wins (a mismatch over
    /// "not emulated" over a match). Pure.
    pub const fn and(self, other: Readback) -> Readback {
        match (self, other) {
            (Readback::Mismatch { .. }, _) => self,
            (_, Readback::Mismatch { .. }) => other,
            (Readback::NotEmulated, _) | (_, Readback::NotEmulated) => Readback::NotEmulated,
            _ => Readback::Match,
        }
    }
}

impl core::fmt::Display for Readback {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            Readback::Match => f.write_str("read back ok"),
            Readback::NotEmulated => f.write_str("not emulated (reads 0)"),
            Readback::Mismatch { expected, read } => {
                write!(f, "MISMATCH: wrote {expected:#010x}, read {read:#010x}")
            }
        }
    }
}

/// A [`DelayNs`] on the GPT ([`crate::gpt`]): busy-waits, rounding up to whole
/// microseconds (the GPT ticks at 3 MHz). [`crate::gpt::init`] must have run.
#[derive(Clone, Copy, Debug, Default)]
pub struct GptDelay;

impl DelayNs for GptDelay {
    fn delay_ns(&mut self, ns: u32) {
        crate::gpt::delay_us(u64::from(ns).div_ceil(1_000));
    }
}

/// Starts the core services every program needs, for `profile`: the GPT as the
/// monotonic clock, the GIC (all interrupts disabled, IRQs still masked on the core),
/// and the console UART at 115 200 baud, made the target of
/// [`println!`](crate::println).
///
/// On silicon the console pads and the UART clock gates must be set up first
/// ([`Board::prepare_console`]); [`start`] does both. Bare metal only (uses the
/// fixed register addresses).
pub fn init_core(profile: &Profile) {
    crate::gpt::init();
    crate::gic::init();
    uart::set_console(profile.console);
    uart::init_console();
}

/// The start of every program, in one call, for the board the crate is built for
/// ([`Selected`]): detects the machine ([`Board::detect_machine`]), takes the board's
/// register blocks ([`Board::take_blocks`]), sets up the console pads and clocks
/// where needed ([`Board::prepare_console`]) and starts the GPT, the GIC and the
/// console ([`init_core`]) on the machine's console UART (SabreLite: UART2 on the
/// board, UART1 on QEMU; EVK: UART1 on both).
///
/// Returns `None`, doing nothing, if the blocks were already taken (a second call).
/// Bare metal only.
pub fn start() -> Option<(Profile, <Selected as Board>::Blocks)> {
    start_board::<Selected>()
}

/// [`start`] for any board type.
pub fn start_board<B: Board>() -> Option<(Profile, B::Blocks)> {
    let profile = B::profile(B::detect_machine());
    let blocks = B::take_blocks()?;
    B::prepare_console(&blocks, &profile);
    init_core(&profile);
    Some((profile, blocks))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_l2_cache_id_tells_qemu_from_silicon() {
        assert_eq!(Machine::from_l2_cache_id(0), Machine::Qemu);
        // i.MX6Q (r3p1) and i.MX6DL (r3p2) PL310s.
        assert_eq!(Machine::from_l2_cache_id(0x4100_00C7), Machine::Silicon);
        assert_eq!(Machine::from_l2_cache_id(0x4100_00C8), Machine::Silicon);
    }

    #[test]
    fn profiles_differ_where_qemu_differs() {
        let (s, q) = (
            Profile::for_machine(Machine::Silicon),
            Profile::for_machine(Machine::Qemu),
        );
        assert_eq!(s, Profile::SILICON);
        assert_eq!(q, Profile::QEMU);
        assert_eq!(s.console.base(), crate::memory_map::UART2);
        assert_eq!(q.console.base(), crate::memory_map::UART1);
        assert!(s.console_pins && !q.console_pins);
        assert!(s.has_sdma && !q.has_sdma);
        assert!(s.audio_blocks_readable && !q.audio_blocks_readable);
        assert!(s.has_l2_cache && !q.has_l2_cache);
        assert_eq!(s.i2c.poll_limit, i2c::DEFAULT_POLL_LIMIT);
        assert_eq!(q.i2c.poll_limit, QEMU_I2C_POLL_LIMIT);
        // Same bus speed on both.
        assert_eq!(s.i2c.bitrate_hz, q.i2c.bitrate_hz);
        assert_eq!(s.i2c.ipg_per_hz, q.i2c.ipg_per_hz);
    }

    #[test]
    fn readback_verdicts() {
        assert_eq!(Readback::judge(5, 5, true), Readback::Match);
        assert_eq!(Readback::judge(5, 5, false), Readback::Match);
        assert_eq!(Readback::judge(5, 0, false), Readback::NotEmulated);
        assert_eq!(
            Readback::judge(5, 0, true),
            Readback::Mismatch {
                expected: 5,
                read: 0
            }
        );
        assert_eq!(
            Readback::judge(5, 4, false),
            Readback::Mismatch {
                expected: 5,
                read: 4
            }
        );
        // Writing 0 and reading 0 is a match even on QEMU.
        assert_eq!(Readback::judge(0, 0, false), Readback::Match);
        let bad = Readback::Mismatch {
            expected: 1,
            read: 2,
        };
        assert_eq!(
            Readback::Match.and(Readback::NotEmulated),
            Readback::NotEmulated
        );
        assert_eq!(Readback::NotEmulated.and(bad), bad);
        assert_eq!(bad.and(Readback::Match), bad);
        assert_eq!(Readback::Match.and(Readback::Match), Readback::Match);
        assert!(bad.is_fault() && !Readback::NotEmulated.is_fault());
    }
}
